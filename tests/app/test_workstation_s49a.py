"""Session 49's workstation leftovers, each through the real main window with mouse and key events: text typed in a
reader study's case and not recordable went without a word at Ctrl+N (the next case); a double click whose second
press slipped into the next cell acted there (viewer/qt/double_click.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from annotation.qt.followup_lines import NAME, START
from viewer.records import Role
from app.main_window import MainWindow
from tests.app.conftest import drag, press
from tests.app.test_suggest_in_window import one_click
from tests.app.test_study_window import loaded, make_study_store, study_window
from tests.app.test_workstation_s48a import _click_cell, _lines_tab, _type


def _case_with_a_line_typed(qtbot, env: Path, sample_dicom: Path, sample_index):  # type: ignore[no-untyped-def]
    """R1's first case of the sample's study on screen, a treatment line added in its Follow-up dock with XELOX typed
    in its Name (Enter: kept for the line, its start still to type), "soon" typed in its Start, no Enter; the window, the questions asked and the answers
    to give (the last one given again)."""
    study = make_study_store(env, sample_dicom)
    w, shown = study_window(qtbot, env, study, sample_dicom, sample_index)
    asked: list[str] = []
    answers: list[str] = ["back"]

    def ask(_title: str, text: str, choices: dict[str, str]) -> str:
        asked.append(text)
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        assert answer in choices, (answer, choices)
        return answer
    w.store_flow.ask = ask  # type: ignore[method-assign]
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow(), timeout=3000)
    press(w, qtbot, "study_next")
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    first = w.windowTitle()
    assert "1 of 3" in first, (first, shown)
    t = _lines_tab(w)
    add = next(b for b in w.docks.followup_panel.findChildren(QPushButton) if b.text() == "Add line")
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    _click_cell(qtbot, t, t.rowCount() - 1, NAME)
    _type(qtbot, "XELOX", enter=True)
    assert t.item(t.rowCount() - 1, NAME).text() == "XELOX"
    _click_cell(qtbot, t, t.rowCount() - 1, START)
    _type(qtbot, "soon")  # no Enter: refused when kept (no date)
    w.reading.activate(next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None))
    return w, asked, answers, first


def test_the_next_case_asks_about_a_refused_text_and_a_line_added_without_its_start(  # type: ignore[no-untyped-def]
        qtbot, env: Path, sample_dicom: Path, sample_index) -> None:
    """Ctrl+N in a study case with a treatment line added (XELOX), "soon" typed in its Start, no Enter: asked, as
    closing, another exam, another project and opening a study ask; "Go back to it" keeps the case on screen and the
    line; "Go on without it" goes on to the next case. It went without a word (the case finished, the line dropped).
    (Checked: fails without the question, the next case opened.)"""
    w, asked, answers, first = _case_with_a_line_typed(qtbot, env, sample_dicom, sample_index)
    for _ in range(2):  # a case not read whole is held open at the first Ctrl+N (said in the status bar)
        press(w, qtbot, "study_next")
        if asked:
            break
    assert any("'soon' in Start: refused" in a for a in asked), (asked, w.status.text())
    assert w.windowTitle() == first  # gone back to it: the same case, the line still there
    t = _lines_tab(w)
    assert t.item(t.rowCount() - 1, NAME).text() == "XELOX"
    answers[:] = ["leave"]
    asked.clear()
    w.reading.activate(next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None))
    for _ in range(2):
        press(w, qtbot, "study_next")
        if w.windowTitle() != first:
            break
    qtbot.waitUntil(lambda: "2 of 3" in w.windowTitle(), timeout=60000)
    assert asked and "'soon' in Start" in asked[0]


def test_another_case_from_the_case_list_asks_about_a_refused_text(  # type: ignore[no-untyped-def]
        qtbot, env: Path, sample_dicom: Path, sample_index) -> None:
    """The same refused Start, then another case double-clicked in the case list (a click, then the double click):
    asked, and "Go back to it" keeps the case on screen. (Checked: fails without the question, the other case
    opened.)"""
    w, asked, answers, first = _case_with_a_line_typed(qtbot, env, sample_dicom, sample_index)
    dialog = w.study_ui.dialog
    assert dialog is not None
    dialog.show()
    t = dialog.table
    row = next(i for i in range(t.rowCount()) if t.item(i, 3).text() not in ("open", "next", "done"))
    pos = t.visualRect(t.model().index(row, 2)).center()
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(t.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert any("'soon' in Start: refused" in a for a in asked), (asked, w.status.text())
    assert w.windowTitle() == first


def _cell(w: MainWindow, role: Role) -> int:
    return next(i for i, c in enumerate(w.reading.hanging.cells) if c.role is role and c.stack is not None)


def _timed_click(widget: QWidget, pos: QPoint, ms: int, double: bool = False) -> None:
    """A left click at ``pos`` pressed at ``ms`` by the window system's clock: its press (the double click alone
    with ``double``: what Qt gives another widget than the first press's within its double-click distance, checked
    under Xvfb with xdotool's clicks), then its release. QTest's clicks cannot be a double click over two widgets by
    their timestamps (QTest adds the double-click interval after every release), and the guard times a double click
    by the events' timestamps (review49b)."""
    first = QEvent.Type.MouseButtonDblClick if double else QEvent.Type.MouseButtonPress
    for kind, buttons, at in ((first, Qt.MouseButton.LeftButton, ms), (QEvent.Type.MouseButtonRelease,
                                                                        Qt.MouseButton.NoButton, ms + 60)):
        ev = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), Qt.MouseButton.LeftButton, buttons,
                         Qt.KeyboardModifier.NoModifier)
        ev.setTimestamp(at)
        QApplication.sendEvent(widget, ev)


def test_a_double_click_slipped_into_the_next_cell_maximises_the_cell_double_clicked(  # type: ignore[no-untyped-def]
        window: MainWindow, qtbot) -> None:
    """The window/level tool, a double click at CT arterial's foot whose second press slipped 3 pixels into DWI below
    (a click, then the double click: Qt gives DWI the double click alone): CT arterial is maximised, as the reader
    double-clicked it; DWI was. (Checked: fails without the guard, and under Xvfb with xdotool's real clicks.)"""
    w = window
    press(w, qtbot, "tool_window")
    top, below = _cell(w, Role.CT_ARTERIAL), _cell(w, Role.MR_DWI)
    a, b = w.grid.viewports[top], w.grid.viewports[below]
    x = a.width() // 2
    assert a.mapToGlobal(QPoint(x, 0)).x() == b.mapToGlobal(QPoint(x, 0)).x()  # one above the other
    t0 = 10_000_000
    _timed_click(a, QPoint(x, a.height() - 1), t0)
    _timed_click(b, QPoint(x, 0), t0 + 150, double=True)
    assert w.reading.layout.maximised == top, w.reading.layout.maximised
    assert w.reading.layout.active == top


def test_a_double_click_begun_on_the_slider_makes_no_suggestion_on_the_next_series(  # type: ignore[no-untyped-def]
        window: MainWindow, qtbot) -> None:
    """One-click on, N, a diameter dragged on DWI b800: the reading moves on to T1 arterial, the cell to its right.
    A double click at DWI's right edge whose first press fell on DWI's slice slider and whose second slipped into T1
    arterial (over the slider, farther than Qt's double-click distance: a press of its own): T1 arterial took it as a
    click in the active cell and tried a suggestion there (session 48's radiologist under Xvfb). It is the slider's
    double click: nothing happens in T1 arterial. (Checked: fails without the guard.)"""
    w = window
    if not w.view_settings.one_click:
        one_click(w).trigger()
    press(w, qtbot, "tool_line")
    dwi, t1a = _cell(w, Role.MR_DWI), _cell(w, Role.MR_T1_ARTERIAL)
    w.reading.activate(dwi)
    qtbot.waitUntil(lambda: w.reading.active.geometry is not None)
    press(w, qtbot, "new_lesion")
    lesion = w.state.selection.lesion_id
    drag(qtbot, w.grid.viewports[dwi], (100.0, 100.0), (100.0, 140.0))
    assert w.reading.layout.active == t1a, w.status.text()  # the next series, to DWI's right
    slider, right = w.grid.cells[dwi].slider, w.grid.viewports[t1a]
    y = right.height() // 2
    on_slider = slider.mapFromGlobal(right.mapToGlobal(QPoint(0, y)))
    t0 = 20_000_000
    _timed_click(slider, QPoint(slider.width() // 2, on_slider.y()), t0)
    said, lesions = w.status.text(), dict(w.session.reading.project.lesions)
    _timed_click(right, QPoint(1, y), t0 + 150)
    assert w.status.text() == said, (said, w.status.text())
    assert w.session.reading.project.lesions == lesions and w.state.selection.lesion_id == lesion
    assert w.reading.layout.active == t1a


def test_the_studies_column_reaches_all_it_holds_at_small_heights(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Since the Lesions/Follow-up docks span the window's width (session 48) the Studies / Counts / Checks / Clinical
    record column is shorter: 389 pixels at 1366 x 768, 220 at the least size (813 x 599). Looked at under Xvfb at
    1600 x 1000, 1366 x 768 and the least size: nothing cut or overlapping, each panel scrolls with its scroll bar
    shown. Kept so: at each size the clinical record's labels are whole and its last field can be scrolled to, the
    study browser's last row and the Counts table's last series too. (A guard: it passed before, nothing was fixed.)"""
    from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QScrollArea

    w = window
    for size in ((1366, 768), (w.minimumSizeHint().width(), w.minimumSizeHint().height())):
        w.resize(*size)
        qtbot.waitUntil(lambda: w.size().toTuple() == size, timeout=5000)
        qtbot.wait(200)
        w.docks.clinical_dock.raise_()
        qtbot.waitUntil(lambda: w.docks.clinical_dock.widget().isVisible(), timeout=5000)
        scroll = w.docks.clinical_dock.widget()
        assert isinstance(scroll, QScrollArea), type(scroll)
        form = scroll.widget()
        hidden = form.height() - scroll.viewport().height()
        assert hidden <= 0 or (scroll.verticalScrollBar().isVisible() and scroll.verticalScrollBar().maximum() >= hidden), \
            (size, form.height(), scroll.viewport().height())
        cut = [x.text() for x in form.findChildren(QLabel) if x.isVisible() and not x.wordWrap() and x.text()
               and x.width() < x.sizeHint().width()]
        assert not cut, (size, cut)
        for dock, view in ((w.dock, w.browser), (w.docks.counts_dock, w.docks.counts_panel.findChild(QAbstractScrollArea))):
            dock.raise_()
            qtbot.waitUntil(lambda: view.isVisible(), timeout=5000)
            bar = view.verticalScrollBar()
            below = view.viewport().height() < view.viewportSizeHint().height()
            assert not below or (bar.isVisible() and bar.maximum() > 0), (size, dock.windowTitle())


def test_finish_this_case_asks_about_a_refused_text(  # type: ignore[no-untyped-def]
        qtbot, env: Path, sample_dicom: Path, sample_index) -> None:
    """The same refused Start, then Study -> Finish this case (twice: a case not read whole is held open at the
    first): asked, and "Go back to it" leaves the case unfinished. (Checked: fails without the question, the case
    finished.)"""
    w, asked, answers, first = _case_with_a_line_typed(qtbot, env, sample_dicom, sample_index)
    study = next(a.menu() for a in w.menuBar().actions() if a.text().replace("&", "") == "Study")
    finish = next(a for a in study.actions() if a.text().replace("&", "") == "Finish this case")
    for _ in range(2):
        finish.trigger()
        if asked:
            break
    assert any("'soon' in Start: refused" in a for a in asked), (asked, w.status.text())
    assert "case finished" not in w.status.text()
