"""`lesionlab analyze STORE` of a reader study's store through a blinded role (a reader's, the adjudicator's) on
PostgreSQL (review39): session 39 analyses a study's store through analysis.study_pairing.joined_reads, which opens the
study (its definition: case codes and exam pairs) before loading the reads. Refused, naming the role, before the images are
indexed (minutes on a real study); nothing written, no case code or patient id said. A coordinator's role analyses it."""

from __future__ import annotations

from pathlib import Path

import pytest

import analysis.study_pairing as study_pairing
from app.cli import main
from tests.annotation.pg import Cluster, pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_study_blinding_pg import study_with_roles
from tests.annotation.test_study_store import read_case
from annotation.store import ReadingStore
from annotation.study_store import Study
from tests.conftest import SAMPLE_DICOM


def test_a_blinded_role_is_refused_the_analysis_of_a_study_store(
        pg_cluster: Cluster, pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    indexed: list[object] = []
    real = study_pairing.placed_stacks
    monkeypatch.setattr(study_pairing, "placed_stacks", lambda dicom: indexed.append(dicom) or real(dicom))
    urls = study_with_roles(pg_cluster, pg_url, "an39")
    with ReadingStore.open(pg_url) as owner:
        study = Study(owner, "s1")
        read_case(study, "R1")
        read_case(study, "R2")
        codes = [c.code for c in study.definition.cases]
    capsys.readouterr()
    for who in ("R1", "consensus"):
        out = tmp_path / f"an_{who}"
        assert main(["analyze", urls[who], "--dicom", str(SAMPLE_DICOM), "--out", str(out)]) == 1
        said = capsys.readouterr()
        assert "blinded" in said.err.lower() or "cannot be loaded" in said.err, said.err
        assert not out.exists()
        for text in (said.out, said.err):
            assert not any(code in text for code in codes), text
            assert "P1" not in text and "SECRET" not in text, text
    assert indexed == [], "the images were indexed (minutes on a real study) before the refusal"
    assert main(["analyze", urls["Coord"], "--out", str(tmp_path / "an_co")]) == 0
    assert "one read per study reader (R1, R2)" in capsys.readouterr().out
