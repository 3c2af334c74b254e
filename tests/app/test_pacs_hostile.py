"""PACS pulls and pushes a hostile-but-fair interop engineer tries against a real Orthanc (tests/orthanc.py):
a study UID the server holds under two patient ids, UIDs that are no file names, a server refusing a SOP class,
non-ASCII names."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pydicom.config
import pytest

from app.cli import main
from tests.annotation.pg import free_port
from tests.dicomgen import write_series
from tests.orthanc import CLIENT_AET, Orthanc, need_orthanc, orthanc, running_orthanc  # noqa: F401 - fixture

SHARED_STUDY = "1.2.826.0.1.3680043.8.498.424242"


@pytest.fixture(scope="module")
def server(orthanc: Orthanc, tmp_path_factory: pytest.TempPathFactory) -> Orthanc:  # noqa: F811
    root = tmp_path_factory.mktemp("hostile-pacs")
    img = np.zeros((3, 8, 8), np.int16)
    files = [
        # one StudyInstanceUID under two patient ids (a merge gone wrong, two sites' UID roots clashing): Orthanc
        # keeps them as two studies, but a retrieve by study UID answers with both
        *write_series(root / "a", img, patient_id="DUPA", patient_name="ALPHA^ANNE", study_uid=SHARED_STUDY,
                      seed="dupa"),
        *write_series(root / "b", img, patient_id="DUPB", patient_name="BETA^BERT", study_uid=SHARED_STUDY,
                      seed="dupb"),
        *write_series(root / "m", img, patient_id="MUELLER7", patient_name="Müller^Jörg", seed="mueller",
                      extra={"SpecificCharacterSet": "ISO_IR 192", "StudyDescription": "Leber ÄÖÜ"}),
    ]
    # a series UID that is a path: written as it was named, it left the --out folder
    escaping = write_series(root / "t", np.zeros((1, 8, 8), np.int16), patient_id="TRAV", seed="trav")[0]
    ds = pydicom.dcmread(escaping)
    ds.SeriesInstanceUID = "../../../escaped"
    with pydicom.config.disable_value_validation():
        ds.save_as(escaping)
    assert orthanc.upload([*files, escaping]) == len(files) + 1
    return orthanc


def _args(server: Orthanc, how: str) -> list[str]:
    if how == "dicomweb":
        return ["pull", "--dicomweb", server.dicomweb]
    return ["pull", "--dimse", server.peer, "--calling-aet", CLIENT_AET, "--via", how, "--move-port",
            str(server.move_port)]


@pytest.mark.parametrize("how", ["get", "move", "dicomweb"])
def test_a_study_uid_held_under_two_patient_ids_pulls_the_asked_patient_only(
        server: Orthanc, tmp_path: Path, how: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An audit pulled DUPA and got DUPB's images in the same folder, exit 0, nothing said: the retrieve asks for
    the study UID, which the server answers with both patients' instances."""
    out = tmp_path / "pulled"
    assert main([*_args(server, how), "--patient", "DUPA", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    ids = sorted(str(pydicom.dcmread(f).PatientID) for f in out.rglob("*.dcm"))
    assert ids == ["DUPA"] * 3, ids
    assert "pulled 3 instance(s)" in text
    assert "3 instance(s) of study 1.2.826.0.1.3680043.8.498.424242 under patient id DUPB, not DUPA" in text, text
    assert "DUPB" not in "".join(line for line in text.splitlines() if not line.startswith("warning:"))


@pytest.mark.parametrize("how", ["get", "move", "dicomweb"])
def test_a_uid_that_is_a_path_writes_nothing_outside_the_out_folder(server: Orthanc, tmp_path: Path, how: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A series UID ``../../../escaped`` from the server: the instance went to ``<out>/../../escaped/``."""
    out = tmp_path / "a" / "b" / "pulled"
    assert main([*_args(server, how), "--patient", "TRAV", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == [], "nothing written, inside or outside"
    assert "'../../../escaped' is not a UID" in captured.out + captured.err, captured


@pytest.mark.parametrize("how", ["get", "dicomweb"])
def test_non_ascii_names_come_back_as_they_are(server: Orthanc, tmp_path: Path, how: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pulled"
    assert main([*_args(server, how), "--patient", "MUELLER7", "--out", str(out)]) == 0
    names = {str(pydicom.dcmread(f).PatientName) for f in out.rglob("*.dcm")}
    assert names == {"Müller^Jörg"}


def test_push_to_a_server_refusing_a_sop_class_names_the_file_and_stores_the_others(
        sample_dicom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An Orthanc that refuses unknown SOP classes did not accept a presentation context for a private one: push
    ended in pynetdicom's ValueError traceback, the SR before it stored and nothing said about the rest."""
    need_orthanc()
    private = write_series(tmp_path / "private", np.zeros((1, 8, 8), np.int16), patient_id="LLSYN003",
                           sop_class_uid="1.2.826.0.1.3680043.8.498.999", seed="private")[0]
    store = tmp_path / "reading.lesionlab"
    shutil.copy(sample_dicom / "reading.lesionlab", store)
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(sample_dicom)]) == 0
    srs = sorted((tmp_path / "sr" / "LLSYN003").rglob("*.dcm"))[:2]
    capsys.readouterr()
    for pacs in running_orthanc(free_port(), settings={"UnknownSopClassAccepted": False}):
        code = main(["push", "--dimse", pacs.peer, "--calling-aet", CLIENT_AET, str(srs[0]), str(private),
                     str(srs[1])])
        text = capsys.readouterr().out
        assert code == 1
        assert "stored 2 of 3 file(s)" in text, text
        assert f"not stored: {private.name}: " in text and "1.2.826.0.1.3680043.8.498.999" in text, text
        import requests

        assert len(requests.get(f"{pacs.url}/instances", timeout=10).json()) == 2


def test_the_pacs_dialog_opens_what_it_wrote_and_says_what_it_did_not(server: Orthanc, window, qtbot,  # type: ignore[no-untyped-def]
                                                                       tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """DUPA pulled from the dialog: DUPB's instances are not written and said, and DUPA's, written, are opened (the
    dialog took any warning for a failure and opened nothing)."""
    from PySide6.QtWidgets import QMessageBox

    from tests.app.conftest import dimse_dialog

    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    got: list[str] = []
    dialog = dimse_dialog(window, qtbot, server.peer, CLIENT_AET, tmp_path / "pacs", got)
    dialog.patient_id.setText("DUPA")
    assert len(dialog.search()) == 1
    job = dialog.retrieve()
    assert job is not None
    job.wait(120_000)
    qtbot.waitUntil(lambda: bool(got) and bool(warnings), timeout=10_000)
    assert got == [str(tmp_path / "pacs" / "DUPA")]
    assert {pydicom.dcmread(f).PatientID for f in Path(got[0]).rglob("*.dcm")} == {"DUPA"}
    assert "under patient id DUPB, not DUPA" in warnings[0] and "⚠" in dialog.status.text(), warnings


def test_a_non_ascii_id_that_dicomweb_matches_nothing_advises_dimse(server: Orthanc, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Orthanc's DICOMweb plugin matches no value that is not ASCII (an interop audit): C-FIND finds what QIDO-RS does
    not, so the message says to try --dimse."""
    assert main(["pull", "--dicomweb", server.dicomweb, "--patient", "MÜLLER7", "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "has no study of patient MÜLLER7" in err and "try --dimse" in err, err
