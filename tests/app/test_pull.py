"""`lesionlab pull` against a real Orthanc (tests/orthanc.py): one patient by an exact id, the index's
warnings and skip reasons shown, and a nonzero exit when nothing pulled makes a stack to read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from tests.dicomgen import write_series
from tests.orthanc import CLIENT_AET, Orthanc, orthanc  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def server(orthanc: Orthanc, tmp_path_factory: pytest.TempPathFactory) -> Orthanc:  # noqa: F811
    root = tmp_path_factory.mktemp("pacs")
    img = np.zeros((3, 8, 8), np.int16)
    files = [
        *write_series(root / "p1_ct", img, patient_id="LLPULL1", patient_name="PULL^ONE", seed="p1ct",
                      extra={"PatientBirthDate": "19600101", "PatientSex": "F", "StudyDate": "20230101"}),
        *write_series(root / "p1_ct2", img, patient_id="LLPULL1", patient_name="Pull^One", seed="p1ct2",
                      extra={"PatientBirthDate": "19600101", "PatientSex": "F", "StudyDate": "20230601"}),
        *write_series(root / "p1_other", img, patient_id="LLPULL1", patient_name="OTHER^PERSON", seed="p1x",
                      extra={"PatientBirthDate": "19900101", "PatientSex": "M", "StudyDate": "20231101"}),
        *write_series(root / "p2_ct", img, patient_id="LLPULL2", patient_name="PULL^TWO", seed="p2"),
        *write_series(root / "nostack", np.zeros((2, 8, 8), np.int16), modality="CR", iop=None,
                      positions=[None, None], patient_id="NOSTACK", patient_name="NO^STACK", seed="ns"),  # type: ignore[list-item]
    ]
    assert orthanc.upload(files) == len(files)
    return orthanc


def _args(server: Orthanc, how: str) -> list[str]:
    if how == "dicomweb":
        return ["pull", "--dicomweb", server.dicomweb]
    return ["pull", "--dimse", server.peer, "--calling-aet", CLIENT_AET, "--via", "get"]


@pytest.mark.parametrize("how", ["dimse", "dicomweb"])
def test_a_wildcard_patient_is_refused_and_nothing_pulled(server: Orthanc, tmp_path: Path, how: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pulled"
    assert main([*_args(server, how), "--patient", "LLPULL*", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "'LLPULL*' contains '*'" in err and "every patient it matches" in err
    assert not out.exists() or not any(out.rglob("*.dcm"))


@pytest.mark.parametrize("how", ["dimse", "dicomweb"])
def test_the_index_warnings_and_skip_reasons_are_shown(server: Orthanc, tmp_path: Path, how: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pulled"
    assert main([*_args(server, how), "--patient", "LLPULL1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "pulled 9 instance(s) of 3 stud" in text
    assert "! PatientID LLPULL1 is used by more than one person" in text
    assert "patient identity conflict: PatientID LLPULL1 here is OTHER^PERSON (born 1990-01-01, M)" in text
    assert "indexed: 2 stack(s), 0 other object(s), 3 file(s) skipped" in text
    assert "LLPULL2" not in text


@pytest.mark.parametrize("how", ["dimse", "dicomweb"])
def test_nothing_to_read_among_the_files_pulled_exits_nonzero(server: Orthanc, tmp_path: Path, how: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*_args(server, how), "--patient", "NOSTACK", "--out", str(tmp_path / "pulled")]) == 1
    captured = capsys.readouterr()
    assert "no ImagePositionPatient/ImageOrientationPatient" in captured.out  # the index's reason, per file
    assert "none of the 2 instance(s) pulled makes a stack to read (2 skipped, 0 listed apart" in captured.err
