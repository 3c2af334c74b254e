"""Session 48's radiologist-engineer (follow-ups and a reader study under Xvfb), through the real main window with
key and mouse events."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt

from tests.app.conftest import press
from tests.app.test_study_window import loaded, study_store, study_window  # noqa: F401

_DATE = re.compile(r"\b(19|20)\d\d-?\d\d-?\d\d\b")


def _painted(vp) -> list[str]:  # type: ignore[no-untyped-def]
    vp.grab()  # a paint: the overlay's boxes are what it drew
    return [t for t, _ in vp.overlays.boxes]


def first_case(w, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+N in the case list: the reader's first case on screen, the window active."""
    dialog = w.study_ui.dialog
    assert dialog is not None
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow())
    qtbot.keyClick(dialog.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow())


def test_a_blinded_case_shows_the_series_and_image_not_the_patient(  # type: ignore[no-untyped-def]
        qtbot, env: Path, study_store: Path, sample_dicom: Path, sample_index) -> None:  # noqa: F811
    """A blinded study case hid every overlay (no "T2 FS", no "Im x/y", no W/L) and O said they would show the
    patient's id and dates. Only what identifies goes: the cells paint series, image, position, W/L and zoom, and
    neither the DICOM patient id nor a date. (Checked: fails without this change: no overlay painted.)"""
    w, shown = study_window(qtbot, env, study_store, sample_dicom, sample_index)
    dialog = w.study_ui.dialog
    assert dialog is not None
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow())
    qtbot.keyClick(dialog.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # the case list's key
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert not shown, shown
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow())
    cells = [(vp, c.stack) for vp, c in zip(w.grid.viewports, w.reading.hanging.cells) if c.stack is not None]
    assert cells
    for vp, stack in cells:
        texts = _painted(vp)
        joined = "\n".join(texts)
        assert stack.series_description and stack.series_description in joined, texts
        assert "Im " in joined and "W " in joined and "Zoom" in joined, texts
        assert stack.patient_id not in joined, texts
        assert not _DATE.search(joined), texts
    press(w, qtbot, "toggle_overlays")  # O hides them and shows them again, saying nothing of the patient
    assert not w.state.overlays and not shown, shown
    press(w, qtbot, "toggle_overlays")
    assert w.state.overlays and not shown, shown


def test_a_second_reader_opens_the_study_in_the_same_window(  # type: ignore[no-untyped-def]
        qtbot, env: Path, study_store: Path, sample_dicom: Path, sample_index, monkeypatch) -> None:  # noqa: F811
    """R1 read a case (a lesion drawn, the case left open), then Ctrl+Shift+T with the same store as R2: "the store is
    open for writing by this process (pid N) (close the other lesionlab window...)", N this very window. The window
    now switches readers: R1's case stays open and saved, R2's case list shows, Ctrl+N opens R2's first case, and
    R1's read is R1's. Another process on the store is still refused. (Checked: fails without app/study_flow.py's
    _holding.)"""
    import subprocess
    import sys

    from annotation.store import ReadingStore
    from annotation.study_store import Study
    from tests.app.conftest import CLICK_OK, drag, typed_text_questions

    w, shown = study_window(qtbot, env, study_store, sample_dicom, sample_index)
    first_case(w, qtbot)
    r1_case = w.study_ui.flow.current.ref.code
    w.reading.activate(next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None))
    qtbot.waitUntil(lambda: w.reading.active.geometry is not None)
    press(w, qtbot, "new_lesion")
    drag(qtbot, w.grid.active_widget, (100.0, 100.0), (100.0, 140.0))
    assert [les.reader for les in w.session.reading.project.lesions.values()] == ["R1@MRI"]

    asked = typed_text_questions(monkeypatch, qtbot, [[str(study_store), CLICK_OK], ["R2", CLICK_OK]])
    press(w, qtbot, "open_study")
    assert len(asked) == 2, asked
    assert not shown, shown  # before: "the store is open for writing by this process (pid N) ..."
    assert w.study_ui.flow.reader == "R2" and w.study_ui.flow.current is None
    assert "R2" in w.status.text() and "R1" not in w.status.text(), w.status.text()
    assert all(c.stack is None for c in w.reading.hanging.cells)  # R1's case is off screen
    dialog = w.study_ui.dialog
    assert dialog is not None and dialog.isVisible()
    with ReadingStore.open(study_store, read_only=True) as store:
        r2_first = Study(store).order("R2", "MRI")[0]
    assert dialog.table.item(0, 2).text() == r2_first and dialog.table.item(0, 3).text() == "next"
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow())
    qtbot.keyClick(dialog.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert not shown, shown
    assert w.session.reading.reader == "R2@MRI" and f"case {r2_first} (MRI, 1 of 3)" in w.windowTitle()
    assert not w.session.reading.project.lesions  # R1's read is not shown to R2

    # another process is refused the store, as before
    probe = ("import sys\nfrom annotation.store import ReadingStore\nfrom viewer.errors import StoreLockedError\n"
             "try:\n    ReadingStore.open(sys.argv[1])\nexcept StoreLockedError as e:\n    print(e.message)\n")
    out = subprocess.run([sys.executable, "-c", probe, str(study_store)], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert "open for writing by" in out.stdout, (out.stdout, out.stderr)
    w.close()
    with ReadingStore.open(study_store, read_only=True) as store:
        reads = Study(store).session_reads()
        saved = [les for les in store.load().lesions.values() if les.reader == "R1@MRI"]
    assert len(saved) == 1 and saved[0].measurements()  # R1's line saved
    assert not reads[("R1", "MRI", r1_case)].finished  # R1's case left open, for R1's next Ctrl+N


def _row_line(panel, row: int) -> int:  # type: ignore[no-untyped-def]
    """The line id shown on the treatment lines' row (0: the row before any line)."""
    item = panel.lines.item(row, 0)
    return int(item.data(Qt.ItemDataRole.UserRole) or 0)


def test_the_selection_follows_a_line_added_before_the_others(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A line added with a start before LLSYN001's lines: they renumbered, but the selected cell stayed on the row the
    new line was typed in (the last), now another line's Start, and typing there edited that line. The selection
    follows the new line now. (Checked: fails without TreatmentLines._select_line.)"""
    from PySide6.QtWidgets import QApplication

    from annotation.qt.followup_lines import NAME, START
    from tests.app.conftest import add_treatment_line
    from tests.app.test_followup_in_window import _open_exam
    from tests.app.test_reader_s47c import _followup_window

    w, _store = _followup_window(qtbot, env, sample_index)
    _open_exam(w, qtbot, "2024-03-12")
    panel, line = add_treatment_line(w, qtbot, "2020-01-02")  # before every line of the sample
    t = panel.lines
    assert t.currentColumn() == START and _row_line(panel, t.currentRow()) == line.line_number, \
        (t.currentRow(), _row_line(panel, t.currentRow()), line.line_number)
    assert t.currentRow() == 1  # line 1 now, by its start
    others = {x.line_number: (x.name, x.start_date) for x in w.session.reading.project.treatment_lines.values()
              if x.patient_id == "LLSYN001" and x.line_number != line.line_number}
    # typing goes to the new line: its Name cell (left of the Start selected), then text and Enter
    qtbot.keyClick(t, Qt.Key.Key_Left)
    assert t.currentColumn() == NAME, t.currentColumn()
    for ch in "SSA":
        qtbot.keyClick(QApplication.focusWidget(), ch)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: t.state() != t.State.EditingState, timeout=5000)
    lines = {x.line_number: x for x in w.session.reading.project.treatment_lines.values() if x.patient_id == "LLSYN001"}
    assert lines[line.line_number].name == "SSA"
    assert {n: (x.name, x.start_date) for n, x in lines.items() if n != line.line_number} == others


def _lines_shown(qtbot, env: Path, sample_index):  # type: ignore[no-untyped-def]
    """The follow-up window on LLSYN001's 2024-03-12 exam, its treatment lines shown (three or more rows)."""
    from tests.app.test_followup_in_window import _open_exam
    from tests.app.test_reader_s47c import _followup_window

    w, _store = _followup_window(qtbot, env, sample_index)
    _open_exam(w, qtbot, "2024-03-12")
    w.docks.followup_dock.raise_()
    panel = w.docks.followup_panel
    panel.course.setCurrentIndex(1)
    qtbot.waitUntil(lambda: panel.lines.rowCount() > 2, timeout=5000)
    return w, panel


def test_a_baseline_chosen_is_said_by_timepoint_and_date(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """Line 2's baseline chosen in its box: the status bar said "recorded: baseline T2 for line 2", which read as the T2
    FS series. Said by the timepoint's place and date now. (Checked: fails without annotation/followup.py's
    _timepoint_said.)"""
    from annotation.followup import timepoints_of
    from annotation.qt.followup_lines import BASELINE

    w, panel = _lines_shown(qtbot, env, sample_index)
    t = panel.lines
    box = t.cellWidget(2, BASELINE)  # line 2's
    target = box.findText("2023-10-17")
    assert target > 0, [box.itemText(i) for i in range(box.count())]
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=3000)
    key = Qt.Key.Key_Down if target > box.currentIndex() else Qt.Key.Key_Up
    for _ in range(abs(target - box.currentIndex())):
        qtbot.keyClick(box, key)
    place = next(i for i, tp in enumerate(timepoints_of(w.session.reading.project, "LLSYN001"), 1)
                 if tp.exam_date.isoformat() == "2023-10-17")
    said = f"baseline: timepoint {place} (2023-10-17) for line 2"
    qtbot.waitUntil(lambda: said in w.status.text() or said in panel.status.text(), timeout=5000)
    assert "baseline T" not in w.status.text() + panel.status.text()


def test_a_window_killed_with_a_study_open_is_not_said_to_have_had_the_next_project(  # type: ignore[no-untyped-def]
        qtbot, env: Path, study_store: Path, store_copy: Path, sample_dicom: Path, sample_index) -> None:  # noqa: F811
    """Confirmed: a window that had a project and then a study store open, killed, was followed by a start saying
    "did not close cleanly ... sample_dicom/reading.lesionlab reopened with all 1 saved edit(s)" -- the project the
    next start opened from the image folder, which the killed window never wrote (a blinded case's store is never
    kept as the position, so none was named). It says a reader study was open now. (Checked: fails without
    app/cmd_view.py's study branch.)"""
    from app.cmd_view import recovery_message
    from app.last_session import LastSession
    from tests.app.conftest import make_window

    last = LastSession(env / "last.json")
    w = make_window(qtbot, env, last=last)
    w.show_error = lambda m: None  # type: ignore[method-assign]
    fu = env / "fu.lesionlab"
    assert w.store_flow.open_store(fu)  # a project of its own (created)
    w.study_ui.open(str(study_store), "R1")
    w._save_last()  # the window is killed: no closeEvent
    if w.session.store is not None:
        w.session.store.close()
    if w.study_ui.flow.study is not None:
        w.study_ui.flow.study.store.close()
    saved = last.load()
    assert saved is not None and not saved.clean and saved.study and not saved.store

    w2 = make_window(qtbot, env, last=last)
    assert w2.store_flow.open_store(store_copy)  # the image folder's reading project, opened at the next start
    message = recovery_message(w2, saved)
    assert "did not close cleanly" in message and "reopened" not in message, message
    assert "reader study open" in message and f"{store_copy} is open now" in message, message


def test_the_selection_follows_a_line_re_dated_before_another(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """The same for a line's Start typed anew before an earlier line's: line 2 becomes line 1, the selection with it.
    (Checked: fails without _select_line in TreatmentLines._line_edited.)"""
    from PySide6.QtWidgets import QApplication

    from annotation.qt.followup_lines import START

    w, panel = _lines_shown(qtbot, env, sample_index)
    t = panel.lines
    moved = _row_line(panel, 2)
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(2, START)).center())
    for ch in "2020-01-02":
        qtbot.keyClick(QApplication.focusWidget(), ch)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: t.state() != t.State.EditingState, timeout=5000)
    assert _row_line(panel, 1) == moved  # line 1 now
    assert (t.currentRow(), t.currentColumn()) == (1, START) and _row_line(panel, t.currentRow()) == moved
