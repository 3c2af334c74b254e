"""Session 47's radiologist read: opening sample_dicom said "8 file(s) skipped", which read as images lost; they are its
README, JSON, CSV and .lesionlab files. The status now names them as not DICOM, and says why of any other skipped."""

from __future__ import annotations

import dataclasses

from tests.app.conftest import make_window
from viewer.records import SkippedFile


def test_the_status_names_non_dicom_files_and_says_why_others_were_skipped(qtbot, env, sample_dicom, sample_index) -> None:  # type: ignore[no-untyped-def]
    w = make_window(qtbot, env)
    not_dicom = [s for s in sample_index.skipped if s.reason.startswith("not DICOM")]
    assert not_dicom and len(not_dicom) == len(sample_index.skipped)
    w.show_index(str(sample_dicom), sample_index)
    assert f"{len(not_dicom)} other file(s) not DICOM" in w.state.status and "skipped" not in w.state.status
    broken = dataclasses.replace(sample_index, skipped=[*sample_index.skipped, SkippedFile(
        str(sample_dicom / "x.dcm"), "pixel data cannot be decoded")])
    w.show_index(str(sample_dicom), broken)
    assert "1 file(s) skipped (x.dcm: pixel data cannot be decoded)" in w.state.status, w.state.status
