"""Session 49's read of File -> Query/retrieve from PACS… against a real Orthanc (tests/orthanc.py), in the real dialog
with Qt's own clicks: a new search kept the last results' row chosen (Retrieve fetched another patient's study), a long
status widened the dialog past the screen, a server stopped mid-retrieve was told as "could not be reached … check the
AE titles" with the studies not retrieved unnamed, no Close button, a remembered server that forgot its changed
retrieve mode and port, DICOMweb results without StudyDescription, and a killed retrieve's staging folder left for
ever."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.app.conftest import dimse_dialog
from tests.dicomgen import write_series
from tests.orthanc import CLIENT_AET, Orthanc, orthanc  # noqa: F401 - fixture
from viewer.index import UNFINISHED_FOLDER, UNFINISHED_RETRIEVE, index_path
from viewer.interop.pacs import PacsServer

STUDY = "1.2.826.0.1.3680043.8.498.4900"


def _studies(root: Path, pid: str, sizes: tuple[int, ...], name: str = "REVIEW^S49") -> list[Path]:
    """A patient's studies, one series each of ``sizes[k]`` slices, dated in order (CT, MR, CT, ...)."""
    files: list[Path] = []
    for k, n in enumerate(sizes):
        files += write_series(root / pid / str(k), np.zeros((n, 8, 8), np.int16), patient_id=pid, patient_name=name,
                              modality=("CT", "MR")[k % 2], study_uid=f"{STUDY}{pid[-1]}.{k + 1}",
                              study_description=f"EXAM {k + 1}", seed=f"{pid}-{k}",
                              extra={"StudyDate": f"2024010{k + 1}"})
    return files


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    return said


def _click_row(dialog: Any, row: int) -> None:
    """A reader's click on a row of the results."""
    table = dialog.table
    rect = table.visualRect(table.model().index(row, 1))
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())


def _search(dialog: Any, qtbot: Any, **fields: str) -> None:
    for key in ("patient_id", "patient_name", "date", "modality"):
        getattr(dialog, key).setText(fields.get(key, ""))
    QTest.mouseClick(dialog.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "found" in dialog.status.text() or dialog.search_button.isEnabled(), timeout=30_000)


def test_a_new_search_clears_the_row_chosen_and_retrieve_then_says_none_is(orthanc: Orthanc, window, qtbot,  # type: ignore[no-untyped-def]  # noqa: F811
                                                                           tmp_path: Path, boxes: list[str]) -> None:
    """Search RVA1, click row 2, search RVB2: row 2 stayed chosen on RVB2's study, and Retrieve fetched it."""
    orthanc.upload(_studies(tmp_path / "src", "RVA1", (2, 2)) + _studies(tmp_path / "src", "RVB2", (2, 2)))
    got: list[str] = []
    dialog = dimse_dialog(window, qtbot, orthanc.peer, CLIENT_AET, tmp_path / "pacs", got)
    dialog.show()
    _search(dialog, qtbot, patient_id="RVA1")
    assert dialog.table.rowCount() == 2
    _click_row(dialog, 1)
    assert {i.row() for i in dialog.table.selectedIndexes()} == {1}
    _search(dialog, qtbot, patient_id="RVB2")
    assert dialog.table.rowCount() == 2 and {dialog.table.item(r, 0).text() for r in range(2)} == {"RVB2"}
    assert dialog.table.selectedIndexes() == [], "the last search's row must not stay chosen"
    QTest.mouseClick(dialog.retrieve_button, Qt.MouseButton.LeftButton)
    assert dialog.job is None and not (tmp_path / "pacs").exists()
    assert "no study is chosen among the 2 listed" in boxes[-1], boxes
    # the reader's own choice then retrieves that study only
    _click_row(dialog, 0)
    uid = dialog.table.item(0, dialog.table.columnCount() - 1).text()
    QTest.mouseClick(dialog.retrieve_button, Qt.MouseButton.LeftButton)
    assert dialog.job is not None and dialog.job.wait(60_000)
    qtbot.waitUntil(lambda: bool(got), timeout=10_000)
    assert [p.name for p in (tmp_path / "pacs" / "RVB2").iterdir()] == [uid]


def _fits(dialog: Any, width: int) -> None:
    assert dialog.width() <= width and dialog.minimumSizeHint().width() <= width, dialog.width()
    for button in (dialog.search_button, dialog.retrieve_button, dialog.cancel_button, dialog.close_button):
        right = button.mapTo(dialog, QPoint(button.width(), 0)).x()
        assert button.isVisible() and right <= dialog.width(), (button.text(), right, dialog.width())


def test_a_long_status_stays_within_the_dialog_at_1366_x_768(window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A status of 300 characters (a retrieve's folder and a warning) made the dialog 1795 px wide on a 1600 px screen,
    Search, Retrieve and Cancel off it: cut with "…", the whole on hover."""
    window.resize(1366, 768)
    dialog = dimse_dialog(window, qtbot, "ORTHANC@127.0.0.1:4242", CLIENT_AET, tmp_path / "pacs", [])
    dialog.show()
    qtbot.waitExposed(dialog)
    long = (f"236 instance(s) retrieved into {tmp_path}/home/.local/share/lesionlab/pacs/LLSYN001; ⚠ ORTHANC@127.0.0.1:40421"
            ": the server stopped answering during the retrieve (1 of 4 studies retrieved: LLSYN001 20230411 MR IRM FOIE;"
            " not retrieved: LLSYN001 20230314 CT TDM THORAX ABDOMEN, LLSYN001 20231017 CT TDM THORAX ABDOMEN, "
            "LLSYN001 20240312 CT TDM THORAX ABDOMEN: Retrieve again)")
    dialog.status.setText(long)
    qtbot.wait(50)
    _fits(dialog, 1366)
    assert dialog.status.text() == long and dialog.status.toolTip() == long
    assert dialog.status.shown_text().endswith("…")


def test_a_server_stopped_mid_retrieve_is_said_with_the_studies_retrieved_and_not(window, qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                                  boxes: list[str],
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Three studies retrieved, Orthanc stopped once the first had come: the box said "could not be reached, or
    aborted the association (check the AE titles …)", and the two studies after were silently absent."""
    from tests.annotation.pg import free_port
    from tests.orthanc import need_orthanc, running_orthanc

    need_orthanc()
    for server in running_orthanc(free_port()):
        server.upload(_studies(tmp_path / "src", "KILL3", (4, 3, 2)))
        got: list[str] = []
        dialog = dimse_dialog(window, qtbot, server.peer, CLIENT_AET, tmp_path / "pacs", got)
        dialog.resize(900, 500)
        dialog.show()
        _search(dialog, qtbot, patient_id="KILL3")
        assert dialog.table.rowCount() == 3
        dialog.table.selectAll()
        real = PacsServer.pull_study
        calls: list[str] = []

        def pull(self: PacsServer, uid: str, *args: Any, **kwargs: Any) -> Any:
            calls.append(uid)
            if len(calls) == 2 and server.proc is not None:  # the first study has come whole: the server stops
                server.proc.kill()
                server.proc.wait()
            return real(self, uid, *args, **kwargs)

        monkeypatch.setattr(PacsServer, "pull_study", pull)
        QTest.mouseClick(dialog.retrieve_button, Qt.MouseButton.LeftButton)
        assert dialog.job is not None and dialog.job.wait(60_000)
        qtbot.waitUntil(lambda: bool(boxes) and bool(got), timeout=10_000)
        said = boxes[-1]
        assert "the server stopped answering during the retrieve (1 of 3 studies retrieved" in said, said
        assert "check the AE titles" not in said and "could not be reached" not in said, said
        names = dialog.names()
        first, *rest = calls[0], *[u for u in names if u != calls[0]]
        assert names[first] in said.split("not retrieved")[0]
        assert all(names[u] in said.split("not retrieved")[1] for u in rest), said
        assert said.rstrip(")").endswith("Retrieve again")
        assert got == [str(tmp_path / "pacs" / "KILL3")]
        assert said in dialog.status.text()
        _fits(dialog, 1366)


def test_close_button_and_cancel_only_while_a_retrieve_runs(window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = dimse_dialog(window, qtbot, "ORTHANC@127.0.0.1:4242", CLIENT_AET, tmp_path / "pacs", [])
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.cancel_button.isEnabled() and dialog.close_button.isEnabled()
    QTest.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and dialog.stopped
    # Esc too stops what runs (it hid the dialog, and a retrieve under way went on and opened into the window)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.stopped
    dialog.activateWindow()  # the reader's Esc goes to the dialog in front (else the window's Esc shortcut takes it)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=5_000)
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.stopped


def test_a_remembered_server_keeps_its_changed_retrieve_mode_and_port(orthanc: Orthanc, window, qtbot,  # type: ignore[no-untyped-def]  # noqa: F811
                                                                      env: Path, boxes: list[str]) -> None:
    """pacs.json said get on 11113; the reader chose move on the port Orthanc sends to, and retrieved: the next
    dialog offered get on 11113 again."""
    from app.pacs_dialog import PacsDialog, save_servers, servers_path
    from viewer.interop.pacs import Protocol

    orthanc.upload(_studies(env / "src", "MOVE5", (3,)))
    save_servers([PacsServer(Protocol.DIMSE, orthanc.peer, CLIENT_AET)])
    got: list[str] = []
    dialog = PacsDialog(window, on_retrieved=got.append, out_root=env / "pacs")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.address.text() == orthanc.peer and dialog.via.currentText() == "get"
    dialog.via.setCurrentText("move")
    dialog.move_port.setValue(orthanc.move_port)
    _search(dialog, qtbot, patient_id="MOVE5")
    QTest.mouseClick(dialog.retrieve_button, Qt.MouseButton.LeftButton)
    assert dialog.job is not None and dialog.job.wait(60_000)
    qtbot.waitUntil(lambda: bool(got), timeout=10_000)
    (saved,) = json.loads(servers_path().read_text(encoding="utf-8"))["servers"]
    assert (saved["address"], saved["via"], saved["move_port"]) == (orthanc.peer, "move", orthanc.move_port)
    again = PacsDialog(window, out_root=env / "pacs")
    qtbot.addWidget(again)
    assert (again.via.currentText(), again.move_port.value()) == ("move", orthanc.move_port)


def test_dicomweb_search_lists_the_study_description(orthanc: Orthanc, tmp_path: Path) -> None:  # noqa: F811
    """QIDO-RS answers the required attributes only unless asked: the dialog's StudyDescription column was empty."""
    orthanc.upload(_studies(tmp_path / "src", "WEB6", (1, 1)))
    server = PacsServer("dicomweb", orthanc.dicomweb)
    found = server.find_studies({"PatientID": "WEB6"})
    dimse = PacsServer("dimse", orthanc.peer, CLIENT_AET).find_studies({"PatientID": "WEB6"})
    assert sorted(s["StudyDescription"] for s in found) == ["EXAM 1", "EXAM 2"]
    assert sorted(s["StudyDescription"] for s in dimse) == ["EXAM 1", "EXAM 2"]


def test_a_killed_retrieve_s_staging_folder_goes_at_the_next_retrieve(orthanc: Orthanc, tmp_path: Path) -> None:  # noqa: F811
    """A retrieve killed mid-study left its hidden `.<study>.partial-…` folder (57 files) that nothing removed, and
    `lesionlab index` called it an export's or analysis's. A live retrieve's (held by another process) and an export's
    staging folder stay."""
    from viewer.tempfiles import hold_folder

    orthanc.upload(_studies(tmp_path / "src", "STAGE7", (2,)))
    out = tmp_path / "pacs" / "STAGE7"
    killed = out / ".1.2.826.0.1.3680043.8.498.4900.partial-0123456789ab"
    (killed / "1.2" / "1.2.3").mkdir(parents=True)
    (killed / "1.2" / "1.2.3" / "1.2.3.4.dcm").write_bytes(b"half a study")
    export = out / ".ex.partial-0123456789ab"
    export.mkdir()
    live = out / ".1.2.826.0.1.3680043.8.498.4999.partial-ba9876543210"
    fd = hold_folder(live)
    old = time.time() - 60
    for p in (killed, export, live):
        os.utime(p, (old, old))
    try:
        skipped = {Path(s.path).name: s.reason for s in index_path(out, workers=1).skipped}
        assert skipped[killed.name] == UNFINISHED_RETRIEVE and skipped[export.name] == UNFINISHED_FOLDER
        assert "PACS retrieve" in UNFINISHED_RETRIEVE and "next retrieve" in UNFINISHED_RETRIEVE
        server = PacsServer("dimse", orthanc.peer, CLIENT_AET)
        (study,) = server.find_studies({"PatientID": "STAGE7"})
        result = server.pull_study(study["StudyInstanceUID"], out, patient_id="STAGE7")
        assert len(result.files) == 2
        assert not killed.exists(), "the killed retrieve's staging folder must go"
        assert live.exists() and export.exists()
        assert sorted(p.name for p in out.iterdir()) == sorted([export.name, live.name, study["StudyInstanceUID"]])
    finally:
        os.close(fd)


def test_lesionlab_pull_names_the_studies_a_stopped_server_did_not_send(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """`lesionlab pull` alike: the first study pulled, the server stopped, the others unnamed."""
    from app.cli import main
    from tests.annotation.pg import free_port
    from tests.orthanc import need_orthanc, running_orthanc

    need_orthanc()
    for server in running_orthanc(free_port()):
        server.upload(_studies(tmp_path / "src", "CLI8", (2, 2)))
        real = PacsServer.pull_study
        calls: list[str] = []

        def pull(self: PacsServer, uid: str, *args: Any, **kwargs: Any) -> Any:
            calls.append(uid)
            if len(calls) == 2 and server.proc is not None:
                server.proc.kill()
                server.proc.wait()
            return real(self, uid, *args, **kwargs)

        monkeypatch.setattr(PacsServer, "pull_study", pull)
        assert main(["pull", "--dimse", server.peer, "--calling-aet", CLIENT_AET, "--patient", "CLI8",
                     "--out", str(tmp_path / "out")]) == 1
        err = capsys.readouterr().err
        assert "the server stopped answering during the retrieve (1 of 2 studies retrieved: CLI8 2024010" in err, err
        assert "not retrieved: CLI8 2024010" in err and "pull again" in err and "check the AE titles" not in err, err
