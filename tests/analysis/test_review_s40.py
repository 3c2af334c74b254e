"""Session 40's review: which images `lesionlab analyze STORE --dicom DIR` (and the window's analysis, which passes
the folder the researcher gives) paired a reader study's lesions with.

A folder holding none of the study's cases (another study's images, a wrong folder chosen in the window's dialog)
paired no lesion across sessions, yet the summary and report.html said "Lesions were paired across sessions by
position from the images in DIR"; a folder holding some cases was said to pair them all."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest

from analysis.study_sample import build_sample_study
from annotation.store import ReadingStore
from annotation.study_store import Study
from app.cli import main
from tests.annotation.test_study_store import definition, fill, read_case

PAIRED = "Lesions were paired across sessions by position from the images in"


def test_images_of_another_study_are_said_to_pair_none(tmp_path: Path, sample_dicom: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "s.lesionlab")
    fill(path)  # exam pairs whose CT and MRI are none of the sample's
    with ReadingStore.open(path) as store:
        read_case(Study.init(store, definition()), "R1")
    out = tmp_path / "an"
    assert main(["analyze", path, "--dicom", str(sample_dicom), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    none = (f"The images in {sample_dicom} hold the CT and MRI of none of the study's 3 case(s): no lesion of one "
            "session was paired with one of another (the counts pair by exam pair).")
    assert none in said and PAIRED not in said, said
    report = (out / "report.html").read_text(encoding="utf-8")
    assert html.escape(none) in report and PAIRED not in report


def test_images_of_some_cases_name_the_cases_they_lack(tmp_path: Path, sample_dicom: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    if not (sample_dicom / "reading.lesionlab").is_file():
        pytest.skip("sample_dicom/reading.lesionlab is missing (make sample)")
    sim = build_sample_study(sample_dicom, sample_dicom / "reading.lesionlab", tmp_path / "study.lesionlab", seed=5)
    part = tmp_path / "part"
    shutil.copytree(sample_dicom / "LLSYN002", part / "LLSYN002")  # one patient's images of three
    out = tmp_path / "an"
    assert main(["analyze", str(sim.store), "--dicom", str(part), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    with ReadingStore.open(sim.store, read_only=True) as store:
        cases = Study(store, None).definition.cases
    lacking = [c.code for c in cases if c.patient_id != "LLSYN002"]
    assert len(cases) == 3 and len(lacking) == 2
    assert (f"{PAIRED} {part}, which lack the CT or MRI of 2 of the study's 3 case(s) ({', '.join(lacking)}): a "
            "lesion measured on images not there was not paired.") in said, said
    assert main(["analyze", str(sim.store), "--dicom", str(sample_dicom), "--out", str(tmp_path / "all")]) == 0
    assert f"{PAIRED} {sample_dicom}." in capsys.readouterr().out  # every case's images: as before
