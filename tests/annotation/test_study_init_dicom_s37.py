"""A coordinator with the study's images and an empty store: `study init` said "add the exam pairs to the store
first: open their images in lesionlab", and the workstation adds a pair only at a reader's first edit on it, so the
documented commands could not set a study up (a coordinator's audit copied the sample reading, with its read, to
get the pairs). `study init STORE DEFINITION --dicom PATH` adds them from the images as the workstation would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotation.store import ReadingStore
from annotation.study_store import Study
from app.cli import main
from tests.conftest import SAMPLE_DICOM


def _definition(tmp_path: Path, cases: list[tuple[str, str]]) -> Path:
    path = tmp_path / "study.json"
    path.write_text(json.dumps({
        "study_id": "s37", "seed": 7, "readers": ["R1", "R2"],
        "sessions": [{"name": "MRI", "roles": ["mr_t2fs", "mr_dwi"]}, {"name": "CT", "roles": ["ct_portal"],
                                                                        "washout_days": 7}],
        "cases": [{"patient_id": p, "exam_pair_id": e} for p, e in cases]}), encoding="utf-8")
    return path


def test_study_init_adds_the_exam_pairs_from_the_images(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    if not (SAMPLE_DICOM / "reading.lesionlab").is_file():
        pytest.skip("sample_dicom/reading.lesionlab is missing (make sample)")
    store = tmp_path / "study.lesionlab"
    definition = _definition(tmp_path, [("LLSYN001", "E1"), ("LLSYN002", "E1"), ("LLSYN003", "E1")])
    assert main(["study", "init", str(store), str(definition)]) == 1  # no pairs: refused, as before
    assert main(["study", "init", str(store), str(definition), "--dicom", str(SAMPLE_DICOM)]) == 0
    out = capsys.readouterr().out
    assert out.count("case C0") == 3 and "LLSYN002 E1 = CT of " in out
    with ReadingStore.open(SAMPLE_DICOM / "reading.lesionlab", read_only=True) as sample:
        expected = {k: (p.ct_study_uid, p.mri_study_uid, p.ct_date, p.mri_date)
                    for k, p in sample.load().exam_pairs.items()}
    with ReadingStore.open(store, read_only=True) as st:
        project = st.load()
        got = {k: (p.ct_study_uid, p.mri_study_uid, p.ct_date, p.mri_date) for k, p in project.exam_pairs.items()}
        assert got == expected  # the pairs the workstation proposes and records for the sample
        assert project.patients["LLSYN001"].patient_name and not project.lesions
        assert Study(st).order("R1", "MRI")


def test_a_pair_the_images_do_not_hold_is_named(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "study.lesionlab"
    definition = _definition(tmp_path, [("LLSYN001", "E1"), ("LLSYN002", "E2")])
    assert main(["study", "init", str(store), str(definition), "--dicom", str(SAMPLE_DICOM)]) == 1
    err = capsys.readouterr().err
    assert "exam pair E2 of patient LLSYN002 is not among the images" in err and "E1 … E1" in err, err
    with ReadingStore.open(store, read_only=True) as st:
        assert not st.load().exam_pairs  # nothing half added
