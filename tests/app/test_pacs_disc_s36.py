"""File -> Query/retrieve from PACS… as a radiologist meets it in the window, against a real Orthanc (tests/orthanc.py):
the server killed mid-transfer, the reader's cancel, the window closed mid-retrieve, a retry, names in ISO 2022 IR 87
and a slow server's search. What was half-written must never be read as a whole series (a lesion measured on a series
missing slices is a wrong diameter or count)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, QTimer
from PySide6.QtWidgets import QMessageBox

import viewer.interop.dimse as dimse
from tests.annotation.pg import free_port
from tests.app.conftest import dimse_dialog
from tests.dicomgen import write_series
from tests.orthanc import CLIENT_AET, Orthanc, need_orthanc, orthanc, running_orthanc  # noqa: F401 - fixture
from tests.viewer.test_disc_s36 import read_only_disc  # noqa: F401 - fixture
from viewer.index import index_path

STUDY_A = "1.2.826.0.1.3680043.8.498.3601"
STUDY_B = "1.2.826.0.1.3680043.8.498.3602"


def _patient(root: Path, pid: str, n_a: int = 6, n_b: int = 30) -> list[Path]:
    """A patient with two studies (CT of n_a slices, then one of n_b slices)."""
    a = write_series(root / pid / "a", np.zeros((n_a, 16, 16), np.int16), patient_id=pid, study_uid=STUDY_A + pid[-1],
                     seed=f"{pid}a", extra={"StudyDate": "20240101"})
    b = write_series(root / pid / "b", np.zeros((n_b, 16, 16), np.int16), patient_id=pid, study_uid=STUDY_B + pid[-1],
                     seed=f"{pid}b", extra={"StudyDate": "20240301"})
    return [*a, *b]


def _slices(folder: Path) -> list[int]:
    """The stacks a reader would be offered from ``folder`` (what the window lists once it indexes it)."""
    return sorted(s.n_slices for s in index_path(folder, workers=1).stacks) if folder.exists() else []


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    return said


def _slow_sink(monkeypatch: pytest.MonkeyPatch, seconds: float, after: Any = None) -> None:
    """Each instance received takes ``seconds`` to write (a slow server or link); ``after(sink)`` once it is written."""
    real = dimse._Sink.__call__

    def sink(self: Any, event: Any) -> int:
        time.sleep(seconds)
        code = real(self, event)
        if after is not None:
            after(self)
        return int(code)

    monkeypatch.setattr(dimse._Sink, "__call__", sink)


def test_a_server_killed_mid_transfer_leaves_no_series_missing_slices_and_a_retry_brings_all(
        window, qtbot, tmp_path: Path, boxes: list[str], monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Both studies of a patient retrieved; Orthanc killed during the second: the dialog opened the patient's folder
    with the second study's 5 instances in it, listed as a 5-slice series beside a warning, and they stayed there for
    any later opening of the folder."""
    need_orthanc()
    for server in running_orthanc(free_port()):
        server.upload(_patient(tmp_path / "src", "PART1"))
        got: list[str] = []
        dialog = dimse_dialog(window, qtbot, server.peer, CLIENT_AET, tmp_path / "pacs", got)
        dialog.patient_id.setText("PART1")
        assert len(dialog.search()) == 2
        dialog.table.selectAll()  # both (with no row chosen among several, Retrieve says so: s49)

        def kill(sink: Any) -> None:
            if sink.wanted.study_uid.startswith(STUDY_B) and len(sink.files) == 5 and server.proc.poll() is None:
                server.proc.kill()

        _slow_sink(monkeypatch, 0.0, kill)
        job = dialog.retrieve()
        assert job is not None and job.wait(60_000)
        qtbot.waitUntil(lambda: bool(boxes), timeout=10_000)
        folder = tmp_path / "pacs" / "PART1"
        assert got == [str(folder)]  # the whole first study is opened
        assert _slices(tmp_path / "pacs") == [6], "the second study's 5 instances must not read as a series"
        assert server.peer in boxes[0] and "stopped answering" in boxes[0], boxes
        assert "during the retrieve (1 of 2 studies retrieved: PART1 20240101" in boxes[0], boxes  # s49: named
        assert "not retrieved: PART1 20240301" in boxes[0], boxes
        assert "not kept" in boxes[0] and "retrieve again" in boxes[0], boxes
        assert dialog.retrieve_button.isEnabled() and not dialog.cancel_button.isEnabled()
        # the server back: a retry brings both studies whole
        monkeypatch.undo()
        monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: boxes.append(text))
        server.start()
        boxes.clear()
        job = dialog.retrieve()
        assert job is not None and job.wait(60_000)
        qtbot.waitUntil(lambda: len(got) == 2, timeout=10_000)
        assert _slices(tmp_path / "pacs") == [6, 30] and boxes == []


def choose_row(dialog: Any, study_uid: str | None = None) -> None:
    """Choose one row of the search results: the study ``study_uid``, else the first. Not table.selectRow: its
    selection follows the keyboard modifiers Qt believes held and the first visible column, so in a full run it
    chose nothing or another row (the server lists a patient's studies in no fixed order either)."""
    table = dialog.table
    uid_col = table.columnCount() - 1
    rows = [r for r in range(table.rowCount()) if study_uid is None or table.item(r, uid_col).text() == study_uid]
    assert rows, f"{study_uid} is not listed"
    table.selectionModel().select(table.model().index(rows[0], 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                  | QItemSelectionModel.SelectionFlag.Rows)


def test_cancel_keeps_nothing_half_retrieved(orthanc: Orthanc, window, qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]  # noqa: F811
                                             boxes: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader cancels a slow retrieve: the instances received so far stayed as a series missing slices."""
    orthanc.upload(_patient(tmp_path / "src", "CANC1", n_a=30, n_b=2))
    got: list[str] = []
    dialog = dimse_dialog(window, qtbot, orthanc.peer, CLIENT_AET, tmp_path / "pacs", got)
    dialog.patient_id.setText("CANC1")
    dialog.search()
    choose_row(dialog, STUDY_A + "1")  # the 30-slice study
    assert dialog.chosen() == [("CANC1", STUDY_A + "1")]
    _slow_sink(monkeypatch, 0.02)
    job = dialog.retrieve()
    assert job is not None
    qtbot.waitUntil(lambda: "received" in dialog.status.text(), timeout=20_000)
    dialog.cancel_button.click()
    assert job.wait(20_000)
    qtbot.wait(100)
    assert got == [] and _slices(tmp_path / "pacs") == []
    assert "cancelled" in dialog.status.text() and dialog.retrieve_button.isEnabled()


def test_closing_the_window_mid_retrieve_stops_the_retrieve(orthanc: Orthanc, window, qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]  # noqa: F811
                                                            boxes: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The window closed while the dialog retrieves: the retrieve ran on to its end and opened the folder into the
    closed window (at quit Qt destroys a QThread still running: the application aborts)."""
    orthanc.upload(_patient(tmp_path / "src", "CLOS1", n_a=40, n_b=2))
    got: list[str] = []
    window.sr_actions.open_path = got.append
    window.sr_actions.show_pacs()
    dialog = window.sr_actions.pacs_dialog
    dialog.out_root = tmp_path / "pacs"
    dialog.protocol.setCurrentText("dimse")
    dialog.address.setText(orthanc.peer)
    dialog.calling.setText(CLIENT_AET)
    dialog.patient_id.setText("CLOS1")
    dialog.search()
    choose_row(dialog)
    _slow_sink(monkeypatch, 0.05)
    job = dialog.retrieve()
    assert job is not None
    qtbot.waitUntil(lambda: "received" in dialog.status.text(), timeout=20_000)
    window.close()
    assert not job.isRunning(), "the retrieve must stop with the window"
    qtbot.wait(200)
    assert got == [] and _slices(tmp_path / "pacs") == []


def test_an_ideographic_name_finds_its_patient_and_shows_whole(window, qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                              boxes: list[str]) -> None:
    """A name search with Japanese characters was sent without a character set: pydicom wrote each as '?', a
    wildcard, so '*山田*' listed every patient of the PACS (and Retrieve with no row chosen takes every row listed).
    The server answers in UTF-8 here (Orthanc ``DefaultEncoding: Utf8``; as installed, Orthanc 1.10 answers in
    Latin-1 and drops the ideographic and phonetic components: 'Yamada^Tarou=^=^', which no client can restore)."""
    need_orthanc()
    files = write_series(tmp_path / "jp", np.zeros((2, 8, 8), np.int16), patient_id="JP36", seed="jp36",
                         patient_name="Yamada^Tarou=山田^太郎=やまだ^たろう",
                         extra={"SpecificCharacterSet": ["", "ISO 2022 IR 87"]})
    files += write_series(tmp_path / "fr", np.zeros((2, 8, 8), np.int16), patient_id="FR36", seed="fr36",
                          patient_name="Bérangère^Noël^^Mme", extra={"SpecificCharacterSet": "ISO_IR 100"})
    files += write_series(tmp_path / "xy", np.zeros((2, 8, 8), np.int16), patient_id="XY36", seed="xy36",
                          patient_name="XY")
    for server in running_orthanc(free_port(), settings={"DefaultEncoding": "Utf8"}):
        server.upload(files)
        dialog = dimse_dialog(window, qtbot, server.peer, CLIENT_AET, tmp_path / "pacs", [])
        for query, pid, name in (("*山田*", "JP36", "Yamada^Tarou=山田^太郎=やまだ^たろう"),
                                 ("Bérangère*", "FR36", "Bérangère^Noël^^Mme")):
            dialog.patient_name.setText(query)
            found = dialog.search()
            assert [(s["PatientID"], s["PatientName"]) for s in found] == [(pid, name)], (query, found)
            assert dialog.table.item(0, 1).text() == name
    assert boxes == []


def test_a_slow_server_leaves_the_window_responsive_while_it_searches(window, qtbot,  # type: ignore[no-untyped-def]
                                                                      tmp_path: Path, boxes: list[str]) -> None:
    """A PACS answering C-FIND after 1.5 s: the search ran in the window's thread, which painted nothing meanwhile (a
    busy PACS froze the window for up to the 30 s timeout)."""
    from pydicom.dataset import Dataset
    from pynetdicom import AE, evt
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind  # type: ignore[attr-defined]

    def find(event):  # type: ignore[no-untyped-def]
        time.sleep(1.5)
        ds = Dataset()
        ds.QueryRetrieveLevel, ds.PatientID, ds.StudyInstanceUID = "STUDY", "SLOW1", STUDY_A
        yield 0xFF00, ds

    ae = AE(ae_title="SLOW")
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
    port = free_port()
    scp = ae.start_server(("127.0.0.1", port), block=False, evt_handlers=[(evt.EVT_C_FIND, find)])
    try:
        dialog = dimse_dialog(window, qtbot, f"SLOW@127.0.0.1:{port}", CLIENT_AET, tmp_path / "pacs", [])
        ticks: list[float] = []
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(time.monotonic()))
        timer.start(50)
        t0 = time.monotonic()
        found = dialog.search()
        timer.stop()
        assert [s["PatientID"] for s in found] == ["SLOW1"]
        assert time.monotonic() - t0 >= 1.4
        assert len(ticks) >= 10, f"the window stood still: {len(ticks)} timer tick(s) in {time.monotonic() - t0:.1f} s"
        assert np.diff([t0, *ticks]).max() < 0.5
    finally:
        scp.shutdown()


def test_retrieve_with_no_row_chosen_takes_no_other_patients(orthanc: Orthanc, window, qtbot,  # type: ignore[no-untyped-def]  # noqa: F811
                                                             tmp_path: Path, boxes: list[str]) -> None:
    """A name search 'MANY*' listing 60 studies of 6 patients (a probe: 300 of 7 in 0.6 s); Retrieve pressed with no
    row chosen pulled every study of every patient listed onto the workstation."""
    files: list[Path] = []
    for k in range(60):
        files += write_series(tmp_path / f"s{k}", np.zeros((1, 8, 8), np.int16), patient_id=f"MANY{k % 6}",
                              patient_name=f"MANY^P{k % 6}", seed=f"many36-{k}")
    orthanc.upload(files)
    got: list[str] = []
    dialog = dimse_dialog(window, qtbot, orthanc.peer, CLIENT_AET, tmp_path / "pacs", got)
    dialog.patient_name.setText("MANY*")
    assert len(dialog.search()) == 60
    assert dialog.retrieve() is None
    assert "60 studies of 6 patients are listed: choose the rows" in boxes[-1], boxes
    assert not (tmp_path / "pacs").exists()
    choose_row(dialog)
    job = dialog.retrieve()
    assert job is not None and job.wait(30_000)
    qtbot.waitUntil(lambda: len(got) == 1, timeout=10_000)
    assert _slices(tmp_path / "pacs") == [1]


def test_a_read_only_disc_opened_in_the_window_lists_its_series_and_gets_no_store(  # type: ignore[no-untyped-def]
        window, qtbot, read_only_disc: Path) -> None:
    """File -> Open (Ctrl+Shift+O) of a disc's ``DICOMDIR;1`` on a read-only mount: its series listed, nothing
    written onto the disc, and a new reading's store goes to the data folder, never beside the images."""
    from app.reading_session import default_store_path
    from tests.viewer.test_disc_s36 import _tree

    before = _tree(read_only_disc)
    dicomdir = str(read_only_disc / "DICOMDIR;1")
    window.open_path(dicomdir)
    qtbot.waitUntil(lambda: dicomdir in window.index_results, timeout=20_000)
    assert [s.n_slices for s in window.index_results[dicomdir].stacks] == [4]
    assert not default_store_path().is_relative_to(read_only_disc)
    assert _tree(read_only_disc) == before
