"""Session 49's workstation leftovers, each through the real main window with mouse and key events: text typed in a
reader study's case and not recordable went without a word at Ctrl+N (the next case)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from annotation.qt.followup_lines import NAME, START
from tests.app.conftest import press
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
