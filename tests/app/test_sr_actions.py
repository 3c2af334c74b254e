"""File -> Export DICOM SR…, Import DICOM SR… and Query/retrieve from PACS… in the real window."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from annotation.dicom_context import load_contexts
from app.main_window import MainWindow
from app.pacs_dialog import PacsDialog, load_servers
from tests.annotation.pg import free_port
from tests.app.conftest import dimse_dialog
from tests.orthanc import CLIENT_AET, need_orthanc, running_orthanc


def _file_action(w: MainWindow, text: str):  # type: ignore[no-untyped-def]
    file_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&File")
    return next(a for a in file_menu.actions() if a.text() == text)


def test_export_then_import_sr_from_the_file_menu(window: MainWindow, qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    w = window
    # opening the pair recorded its series' DICOM context in the store (what SR export needs)
    contexts = load_contexts(w.session.store)
    assert {c.patient_id for c in contexts.values()} == {"LLSYN001"} and len(contexts) >= 6
    out = env / "sr"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))
    _file_action(w, "Export DICOM SR…").trigger()
    files = sorted(out.rglob("*.dcm"))
    assert [f.stem for f in files] == sorted(["ct_arterial", "ct_portal", "mr_t2fs", "mr_dwi", "mr_t1_arterial",
                                              "mr_t1_portal"])
    assert all(pydicom.dcmread(f).PatientID == "LLSYN001" for f in files)
    assert "wrote 6 DICOM SR file(s)" in w.state.status

    # import them back into the open reading (the same reader: the same lesions, by tracking UID); a line
    # deleted since comes back, what the SRs only repeat is left as it is
    before = {les.tracking_uid: les for les in w.session.reading.project.lesions_of("LLSYN001", "E1", "sample")}
    gone = next(les for les in before.values() if les.measurements())
    role = next(iter(gone.measurements()))
    w.session.reading.set_observation(("LLSYN001", "E1"), gone.lesion_id, role, None)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(f) for f in files], ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(sample_dicom / "LLSYN001"))
    _file_action(w, "Import DICOM SR…").trigger()
    assert "imported 6 of 6 SR file(s): 0 new lesion(s)" in w.state.status, w.state.status
    after = {les.tracking_uid: les for les in w.session.reading.project.lesions_of("LLSYN001", "E1", "sample")}
    assert set(after) == set(before)
    for uid, les in before.items():
        if uid != gone.tracking_uid:
            assert after[uid] == les
    assert after[gone.tracking_uid].measurements()[role].diameter_mm == pytest.approx(
        gone.measurements()[role].diameter_mm, abs=0.01)
    assert w.session.reading.can_undo and "import DICOM SR" in (w.session.reading.undo_description or "")


def test_pacs_dialog_searches_and_retrieves_from_orthanc(window: MainWindow, qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                         sample_dicom: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    _file_action(window, "Query/retrieve from PACS…").trigger()
    assert isinstance(window.sr_actions.pacs_dialog, PacsDialog)
    window.sr_actions.pacs_dialog.close()
    need_orthanc()
    for server in running_orthanc(free_port()):
        server.upload(sorted((sample_dicom / "LLSYN003" / "20240205_CT").rglob("*.dcm")))
        got: list[str] = []
        dialog = dimse_dialog(window, qtbot, server.peer, CLIENT_AET, env / "pacs", got)
        dialog.patient_id.setText("LLSYN003")
        assert len(dialog.search()) == 1 and dialog.table.rowCount() == 1
        assert [s.address for s in load_servers()] == [server.peer]  # remembered in settings
        job = dialog.retrieve()
        assert job is not None
        qtbot.waitUntil(lambda: bool(got) or not job.isRunning(), timeout=120_000)
        job.wait()
        # the thread may end before its queued "retrieved" signal reaches the dialog: let it arrive
        qtbot.waitUntil(lambda: bool(got) or bool(warnings), timeout=10_000)
        assert got == [str(env / "pacs" / "LLSYN003")], warnings
        assert len(list(Path(got[0]).rglob("*.dcm"))) == 70
        dialog.address.setText("NOBODY@127.0.0.1:1")
        dialog.search()
        assert warnings and "could not be reached" in warnings[-1], warnings


def test_pacs_dialog_pulls_each_patient_into_their_own_folder(window: MainWindow, qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                              sample_dicom: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two patients' studies retrieved together went into the first patient's folder (an interop audit), and the
    first study with a warning stopped the rest and opened nothing. Each patient now has a folder, both opened."""
    from app.pacs_dialog import patient_folder

    for hostile in ("../../etc", "a/b", "..", "", "张三"):
        assert patient_folder(env, hostile).parent == env and not patient_folder(env, hostile).name.startswith(".")
    assert patient_folder(env, "LLSYN003") == env / "LLSYN003"  # an ordinary id is its folder's name
    for a, b in (("A/B", "A_B"), ("12 34", "12_34"), ("张三", "李四")):  # never one folder for two patients
        assert patient_folder(env, a) != patient_folder(env, b)
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    need_orthanc()
    for server in running_orthanc(free_port()):
        server.upload(sorted((sample_dicom / "LLSYN003" / "20240205_CT").rglob("*.dcm"))
                      + sorted((sample_dicom / "LLSYN002" / "20231102_CT").rglob("*.dcm")))
        got: list[str] = []
        dialog = dimse_dialog(window, qtbot, server.peer, CLIENT_AET, env / "pacs", got)
        dialog.modality.setText("CT")
        assert len(dialog.search()) == 2
        dialog.table.selectAll()  # both rows chosen (with none chosen, Retrieve takes one patient only: s36)
        job = dialog.retrieve()
        assert job is not None
        job.wait(120_000)
        qtbot.waitUntil(lambda: len(got) == 2 or bool(warnings), timeout=10_000)
        assert sorted(got) == [str(env / "pacs" / "LLSYN002"), str(env / "pacs" / "LLSYN003")], warnings
        for folder in got:
            pids = {pydicom.dcmread(f, stop_before_pixels=True).PatientID for f in Path(folder).rglob("*.dcm")}
            assert pids == {Path(folder).name}
        assert not warnings
