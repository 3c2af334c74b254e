"""Session 46: the workstation's follow-up leftovers from session 45, each through the real main window with key and
mouse events: the lesion grid asked for CT arterial at a follow-up read on CT portal (and Enter went on to it); a
treatment line added took the open exam's date as its start."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt

from annotation.qt.panels import FIXED, MISSING_BRUSH
from annotation.vocab import FollowupKind
from app.browser import PAYLOAD
from app.main_window import MainWindow
from tests.app.conftest import drag, make_window, press, shot
from tests.app.test_followup_in_window import _open_exam
from tests.app.test_reader_check_s35 import _activate
from viewer.records import READING_ROLES, Role

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom"
READER = "sample"
_shot = shot  # a picture of what a test checked (LESIONLAB_SHOTS=folder)


def _followup_window(qtbot, env: Path, sample_index) -> MainWindow:  # type: ignore[no-untyped-def]
    """The sample's follow-up read of LLSYN001 (reader "sample": F1 2023-03-14 its baseline, F2 2023-10-17 and F3
    2024-03-12 read on CT portal)."""
    store = env / "work" / "followup.lesionlab"
    store.parent.mkdir(exist_ok=True)
    shutil.copy(SAMPLE / "followup.lesionlab", store)
    w = make_window(qtbot, env, reader=READER)
    assert w.store_flow.open_store(store) and not w.session.read_only
    w.resize(1600, 1000)
    w.show_index(str(SAMPLE), sample_index)
    _active(w, qtbot)
    return w


def _active(w: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The window active, as the reader's click makes it (under Xvfb with no window manager it is not at first: the
    keys and the focus go nowhere)."""
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)


def _amber(w: MainWindow) -> dict[str, set[Role]]:
    """The lesion grid's amber cells ("not read yet"), by lesion."""
    t = w.docks.lesion_panel.table
    return {t.item(r, 0).text(): {role for j, role in enumerate(READING_ROLES)
                                  if t.item(r, FIXED + j).background() == MISSING_BRUSH} for r in range(t.rowCount())}


def test_a_follow_up_read_on_ct_portal_asks_for_no_ct_arterial(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """Session 45's reader: at LLSYN001's two-phase follow-up CT of 2024-03-12, every lesion read on CT portal (its
    series since the baseline) showed CT arterial amber, "not read yet", in the lesion grid; a new lesion's line on
    CT portal then went on to CT arterial ("next: L7 on CT arterial"). At a follow-up a lesion is to read on the series
    it is assessed on: CT arterial is not asked for (a line there is kept as ever), the line stays on CT portal and the
    status says the lesion is read. The baseline keeps the protocol's every series."""
    w = _followup_window(qtbot, env, sample_index)
    w.docks.lesions_dock.raise_()
    _open_exam(w, qtbot, "2024-03-12")
    pair = w.state.selection.pair
    assert pair == ("LLSYN001", "F3"), pair
    qtbot.waitUntil(lambda: w.docks.lesion_panel.table.rowCount() == 6)
    _shot(w, "s46_followup_grid")
    amber = _amber(w)
    assert not any(amber.values()), amber  # before: {L1: {CT arterial}, ..., L6: {CT arterial}}
    t = w.docks.lesion_panel.table
    arterial = FIXED + READING_ROLES.index(Role.CT_ARTERIAL)
    assert "L1 is read on CT portal" in t.item(0, arterial).toolTip(), t.item(0, arterial).toolTip()

    # N on CT portal and a line: a new lesion, read on CT portal; Enter's move stays there and says it is read
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    press(w, qtbot, "tool_window")
    _activate(w, qtbot, portal)
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    drag(qtbot, w.grid.active_widget, (300.0, 300.0), (300.0, 330.0))
    project = w.session.reading.project
    assert project.lesion_followups[(*pair, READER, lid)].kind is FollowupKind.NEW
    assert project.lesions[(*pair, READER, lid)].observation(Role.CT_PORTAL) is not None, w.status.text()
    assert w.reading.layout.active == portal, w.status.text()  # before: CT arterial made active
    assert f"{lid} has a status on CT portal, the series it is read on at this follow-up" in w.status.text(), \
        w.status.text()
    assert "next:" not in w.status.text()
    assert lid not in _amber(w) or not _amber(w)[lid], _amber(w)
    # the lesion's CT arterial cell clicked in the grid: that series is read (a line there is welcome), as before
    row = next(r for r in range(t.rowCount()) if t.item(r, 0).text() == lid)
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(row, arterial)).center())
    assert w.state.viewer.viewports[w.reading.layout.active].role is Role.CT_ARTERIAL
    _shot(w, "s46_followup_grid_new_lesion")

    # the baseline (CT of 2023-03-14): every series is read, CT arterial amber where nothing is recorded
    from viewer.studies import ExamPair

    patient = next(p for p in w.patients if p.patient_id == "LLSYN001")
    uid = project.exam_pairs[("LLSYN001", "F1")].ct_study_uid
    ct = next(st for st in patient.studies if st.study_instance_uid == uid)
    w.open_pair(ExamPair.single(ct))
    qtbot.waitUntil(lambda: w.state.selection.pair == ("LLSYN001", "F1"), timeout=60000)
    amber = _amber(w)
    assert amber and all(Role.CT_ARTERIAL in roles for roles in amber.values()), amber


def test_enter_with_no_line_on_the_series_read_says_it_has_none(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """review46: at a follow-up, Enter with no line on the one series a new lesion is read on said "L7 has a status on
    CT portal, the series it is read on at this follow-up" (a reader could leave the time point not evaluable,
    believing the target done). It says the lesion has none there and how to give one; the cell stays active."""
    w = _followup_window(qtbot, env, sample_index)
    _open_exam(w, qtbot, "2024-03-12")
    pair = w.state.selection.pair
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    press(w, qtbot, "tool_window")
    _activate(w, qtbot, portal)
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    assert w.session.reading.project.lesions[(*pair, READER, lid)].observation(Role.CT_PORTAL) is None
    press(w, qtbot, "go_on")  # Enter, no line drawn
    text = w.status.text()
    assert "has a status" not in text, text
    assert f"{lid} on CT portal: no status yet: draw its line, or V / Shift+V" in text, text
    assert w.reading.layout.active == portal


def test_a_study_shared_by_two_exams_draws_only_the_exam_reads_lines(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """Session 46's reader: LLSYN001's CT of 2023-03-14 is both the exam pair's (with the MRI of 2023-04-11) and the
    RECIST baseline's ("CT 2023-03-14 only", F1). Opening the pair, its CT portal cell drew F1's "L1 33.9 mm" as the
    current lesion's, while the grid said L1 was not read there; a drag from that line's end at F1 drew a new line over
    the baseline target. A reading cell draws only the exam read's lines; the baseline's show again at F1."""
    w = _followup_window(qtbot, env, sample_index)
    item = next(i for i in w.browser.pair_items()
                if i.data(0, PAYLOAD).patient_id == "LLSYN001" and not i.data(0, PAYLOAD).is_single
                and i.data(0, PAYLOAD).ct is not None and i.data(0, PAYLOAD).ct.study_date.isoformat() == "2023-03-14")
    w.browser.itemActivated.emit(item, 0)
    qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack), timeout=60000)
    assert w.state.pair is not None and not w.state.pair.is_single  # the pair, not yet recorded (nothing read)
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    w.reading.viewports[portal].set_index(15)  # F1's L1 line, 33.9 mm
    w.grid.viewports[portal].repaint()
    assert "L1 33.9 mm" not in w.reading_view.line_layers[portal].labels_drawn, \
        w.reading_view.line_layers[portal].labels_drawn
    # the patient's treatment lines shown before anything is recorded on this exam (the tab was empty, uncounted,
    # until the first edit), and a line added from here (its start typed) is the patient's
    from tests.app.conftest import add_treatment_line

    panel = w.docks.followup_panel
    n = sum(1 for x in w.session.reading.project.treatment_lines.values() if x.patient_id == "LLSYN001")
    w.docks.followup_dock.raise_()
    panel.course.setCurrentIndex(1)
    panel.refresh()
    assert n and panel.lines.rowCount() == n + 1 and panel.course.tabText(1).endswith(f"({n})"), \
        (n, panel.lines.rowCount(), panel.course.tabText(1))
    _, line = add_treatment_line(w, qtbot, "2024-05-02")
    assert line.patient_id == "LLSYN001" and line.line_number == n + 1
    from viewer.studies import ExamPair  # F1 itself (Ctrl+P's "CT 2023-03-14 only"): its own lines drawn

    patient = next(p for p in w.patients if p.patient_id == "LLSYN001")
    uid = w.session.reading.project.exam_pairs[("LLSYN001", "F1")].ct_study_uid
    w.open_pair(ExamPair.single(next(st for st in patient.studies if st.study_instance_uid == uid)))
    qtbot.waitUntil(lambda: w.state.selection.pair == ("LLSYN001", "F1"), timeout=60000)
    qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack), timeout=60000)
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    w.reading.viewports[portal].set_index(15)
    w.grid.viewports[portal].repaint()
    assert "L1 33.9 mm" in w.reading_view.line_layers[portal].labels_drawn, \
        w.reading_view.line_layers[portal].labels_drawn


def test_add_line_asks_for_the_start_date_instead_of_taking_the_open_exams(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Add line recorded a line starting on the open exam's date (2023-03-14 here), a date a treatment line almost
    never has (lines start between exams), kept unless the reader thought to change it. Now, as the End date, the
    Start is typed: Add line opens a row whose Start cell is amber with its editor open, empty; nothing is recorded
    until a date is typed there (Enter); Esc adds no line; a name typed first is kept for the line; a date refused is
    said in red and the cell asks again."""
    from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

    from annotation.qt.followup_lines import NAME, START
    from annotation.qt.followup_panel import NOTE_STYLE, REFUSAL_STYLE

    w = window
    _active(w, qtbot)
    errors: list[str] = []
    w.show_error = errors.append  # type: ignore[method-assign]
    lines = lambda: w.session.reading.project.treatment_lines  # noqa: E731
    w.docks.followup_dock.raise_()
    panel = w.docks.followup_panel
    panel.course.setCurrentIndex(1)
    t = panel.lines
    add = next(b for b in panel.findChildren(QPushButton) if b.text() == "Add line")

    def added_row_shown() -> None:
        # numbered once its start places it among the lines (session 47): "new" until then
        assert t.rowCount() == 2 and t.item(1, 0).text() == "new" and t.item(1, START).text() == ""
        assert t.item(1, START).background() == MISSING_BRUSH and "start date" in t.item(1, START).toolTip()

    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    assert not lines(), lines()  # before: line 1 from 2023-03-14, the open exam's date
    added_row_shown()
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "" and t.currentRow() == 1 and t.currentColumn() == START
    assert "type its start date" in panel.status.text() and panel.status.styleSheet() == NOTE_STYLE
    _shot(w, "s46_add_line")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)  # no line
    qtbot.waitUntil(lambda: t.rowCount() == 1, timeout=5000)
    assert not lines() and "no line added" in panel.status.text(), panel.status.text()

    # again: the name typed first (the cell clicked, then typed), kept while the start is still asked
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    added_row_shown()
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(1, NAME)).center())
    assert t.currentColumn() == NAME and QApplication.focusWidget() is t
    for ch in "everolimus 10 mg/d":
        qtbot.keyClick(QApplication.focusWidget(), ch)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: t.state() != t.State.EditingState, timeout=5000)
    assert not lines() and t.item(1, NAME).text() == "everolimus 10 mg/d"
    added_row_shown()
    _shot(w, "s46_add_line_waiting")
    # Del on its Start cell (no editor open): nothing of the reading to clear, said; the row still asks
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(1, START)).center())
    qtbot.keyClick(t, Qt.Key.Key_Delete)
    assert "recorded once its start date is typed" in w.status.text() and not lines(), w.status.text()
    added_row_shown()

    # a start that is no date: refused in red, the cell asks again; a date: the line, named, from that date
    for typed in ("soon", "2024-03-28"):
        qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(1, START)).center())
        for ch in typed:
            qtbot.keyClick(QApplication.focusWidget(), ch)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
        if typed != "soon":
            qtbot.waitUntil(lambda: t.state() != t.State.EditingState, timeout=5000)
        if typed == "soon":
            qtbot.waitUntil(lambda: panel.status.styleSheet() == REFUSAL_STYLE, timeout=5000)
            assert not lines() and panel.status.styleSheet() == REFUSAL_STYLE and panel.status.text(), \
                panel.status.text()
            # in the column's word (it said "start_date: 'soon' is not a date")
            assert panel.status.text().startswith("Start: 'soon' is not a date"), panel.status.text()
            added_row_shown()
            assert t.item(1, NAME).text() == "everolimus 10 mg/d"
            # its editor open again (session 46's reader: closed, the row stuck with an empty Start, Esc doing nothing)
            qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=5000)
            assert t.state() == t.State.EditingState and (t.currentRow(), t.currentColumn()) == (1, START)
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)  # its editor closed: the line dropped
            qtbot.waitUntil(lambda: t.rowCount() == 1, timeout=5000)
            qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
            added_row_shown()
            # left waiting (a click on the Name cell), then Esc on the row with no editor open: dropped too
            qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(1, NAME)).center())
            assert t.state() != t.State.EditingState and QApplication.focusWidget() is t
            qtbot.keyClick(t, Qt.Key.Key_Escape)
            assert t.rowCount() == 1 and not lines() and "no line added (Esc)" in panel.status.text(), \
                panel.status.text()
            qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
            qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(1, NAME)).center())
            for ch in "everolimus 10 mg/d":
                qtbot.keyClick(QApplication.focusWidget(), ch)
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
            qtbot.waitUntil(lambda: t.state() != t.State.EditingState, timeout=5000)
    (line,) = lines().values()
    assert (line.line_number, line.name, line.start_date.isoformat(), line.end_date) == \
        (1, "everolimus 10 mg/d", "2024-03-28", None)
    assert panel.status.text() == "line 1 added, from 2024-03-28", panel.status.text()  # named: not asked to name it
    assert t.rowCount() == 2 and t.item(1, START).text() == "2024-03-28" and t.item(1, START).background() != MISSING_BRUSH
    assert t.cellWidget(1, 4) is not None  # its baseline's box, as every line's
    _shot(w, "s46_line_added")
    # one undoable edit: Ctrl+Z takes the line back
    undo = w.actions_by_id["undo"].shortcuts()[0][0]
    qtbot.keyClick(t, undo.key(), undo.keyboardModifiers())
    qtbot.waitUntil(lambda: not lines(), timeout=5000)
    assert not errors, errors

    # a start refused as the reader leaves the cell for an image: the row waits, the keys stay on the image (review46b:
    # the editor opened again took them back in the middle of a drag, and Esc dropped the row, not the gesture)
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    for ch in "soon":
        qtbot.keyClick(QApplication.focusWidget(), ch)
    image = w.grid.viewports[w.reading.layout.active]
    image.setFocus()  # as the press on the image gives it; the editor commits on losing the focus
    qtbot.waitUntil(lambda: panel.status.styleSheet() == REFUSAL_STYLE, timeout=5000)
    qtbot.wait(50)
    assert not isinstance(QApplication.focusWidget(), QLineEdit) and t.state() != t.State.EditingState, \
        QApplication.focusWidget()
    assert not lines() and t.rowCount() == 2 and t.item(1, START).background() == MISSING_BRUSH
