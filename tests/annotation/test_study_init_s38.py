"""`study init --dicom`: the exam pairs go in with the study, in its transaction, logged under the coordinator's name
(session 38). Before, they were one edit before the study, logged under no one ("" in the edit log's reader column),
and stayed in the store when the study was then refused."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from annotation.store import ReadingStore
from annotation import study_store
from annotation.study_store import Study
from app.cli import main
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.conftest import SAMPLE_DICOM

PAIRS = "exam pairs of study {} from the images"


@pytest.fixture(autouse=True)
def _sample() -> None:
    if not (SAMPLE_DICOM / "reading.lesionlab").is_file():
        pytest.skip("sample_dicom is missing (make sample)")


def _definition(tmp_path: Path, study_id: str, patients: tuple[str, ...], session: str = "MRI") -> Path:
    path = tmp_path / f"{study_id}.json"
    path.write_text(json.dumps({
        "study_id": study_id, "seed": 7, "readers": ["R1", "R2"],
        "sessions": [{"name": session, "roles": ["mr_t2fs", "mr_dwi"]}],
        "cases": [{"patient_id": p, "exam_pair_id": "E1"} for p in patients]}), encoding="utf-8")
    return path


def _stored(location: str | Path) -> tuple[set[tuple[str, str]], list[tuple[str, str]]]:
    with ReadingStore.open(location, read_only=True) as st:
        return set(st.load().exam_pairs), [(e.description, e.reader) for e in st.edit_log()]


def test_the_pairs_edit_is_logged_under_the_coordinator_named_or_the_login_name(tmp_path: Path, capsys,  # type: ignore[no-untyped-def]
                                                                                monkeypatch) -> None:
    store = tmp_path / "a.lesionlab"
    assert main(["study", "init", str(store), str(_definition(tmp_path, "s1", ("LLSYN001",))), "--dicom",
                 str(SAMPLE_DICOM), "--coordinator", "Dr Coord"]) == 0
    out = capsys.readouterr().out
    assert "case C01: LLSYN001 E1 = CT of " in out and f"1 exam pair(s) added from {SAMPLE_DICOM}, logged under Dr Coord" in out
    assert _stored(store)[1] == [(PAIRS.format("s1"), "Dr Coord")]
    monkeypatch.setattr("getpass.getuser", lambda: "jdoe")
    other = tmp_path / "b.lesionlab"
    assert main(["study", "init", str(other), str(_definition(tmp_path, "s2", ("LLSYN002",))), "--dicom",
                 str(SAMPLE_DICOM)]) == 0
    assert _stored(other)[1] == [(PAIRS.format("s2"), "jdoe")]


def test_a_study_refused_adds_no_pair(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A second study sharing a session read name (R1@MRI) with the first is refused at init: the pair of its new
    case (LLSYN003) was added before and stayed."""
    store = tmp_path / "s.lesionlab"
    assert main(["study", "init", str(store), str(_definition(tmp_path, "s1", ("LLSYN001",))), "--dicom",
                 str(SAMPLE_DICOM), "--coordinator", "Dr Coord"]) == 0
    before = _stored(store)
    capsys.readouterr()
    indexed: list[object] = []
    real = study_store.exam_pairs_from_images
    monkeypatch.setattr(study_store, "exam_pairs_from_images", lambda *a, **k: indexed.append(a) or real(*a, **k))
    assert main(["study", "init", str(store), str(_definition(tmp_path, "s2", ("LLSYN001", "LLSYN003"))), "--dicom",
                 str(SAMPLE_DICOM), "--coordinator", "Dr Coord"]) == 1
    assert indexed == [], "refused only after its images were indexed (minutes on a real study)"
    captured = capsys.readouterr()
    assert "would open and edit them as its own" in captured.err and "LLSYN003" not in captured.out
    assert _stored(store) == before and ("LLSYN003", "E1") not in before[0]
    with ReadingStore.open(store, read_only=True) as st:
        assert [r[0] for r in st.backend_db.execute("SELECT study_id FROM studies")] == ["s1"]


def test_on_postgresql_a_study_whose_grants_wait_on_a_lock_adds_no_pair(pg_url, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                      monkeypatch, capsys) -> None:
    """The owner's grants (the study blinds the reader roles) meet a catalogue row another session is changing:
    refused within the grants' bound, naming it, and the pairs with it; once it lets go, the same command sets it up."""
    from annotation import store_pg_security
    from annotation.store_pg_security import add_reader

    monkeypatch.setattr(store_pg_security, "GRANT_LOCK_WAIT_S", 1.0, raising=False)
    with ReadingStore.open(pg_url) as owner:
        add_reader(owner.backend_db, "R1", db_role="s38i_r1")
    definition = str(_definition(tmp_path, "s1", ("LLSYN001", "LLSYN002")))
    with psycopg.connect(pg_url, application_name="dba psql") as held:
        held.execute("GRANT SELECT ON lesions TO s38i_r1")
        assert main(["study", "init", pg_url, definition, "--dicom", str(SAMPLE_DICOM), "--coordinator", "Dr C"]) == 1
        held.rollback()
    err = capsys.readouterr().err
    assert "cannot grant the readers' roles their rights: waited 1 s for a lock on pg_class, held by pid" in err, err
    assert _stored(pg_url) == (set(), [])
    assert main(["study", "init", pg_url, definition, "--dicom", str(SAMPLE_DICOM), "--coordinator", "Dr C"]) == 0
    pairs, log = _stored(pg_url)
    assert pairs == {("LLSYN001", "E1"), ("LLSYN002", "E1")} and log == [(PAIRS.format("s1"), "Dr C")]
    with ReadingStore.open(pg_url, read_only=True) as st:
        assert Study(st).order("R1", "MRI")
