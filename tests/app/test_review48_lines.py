"""Review of session 48 (review48): the treatment lines' unkept questions on every path that leaves the project.

ws48a asks about a line added with a name and no start (and a refused text) as the window closes, and as another exam
or reading project opens (keep_or_ask). Opening a reader study in the window (Ctrl+Shift+T, StudyUi.open) leaves the
project too -- its exam closed (close_pair), the study's case read in its place -- but commits the open edits without
asking: the line added, "XELOX" typed in its Name, goes without a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from annotation.qt.followup_lines import NAME
from tests.app.conftest import CLICK_OK, press, typed_text_questions
from tests.app.test_study_window import make_study_store
from tests.app.test_workstation_s48a import _click_cell, _lines_tab, _type, _window


def test_opening_a_study_asks_about_a_line_added_with_a_name_and_no_start(  # type: ignore[no-untyped-def]
        qtbot, env: Path, sample_dicom: Path, sample_index, monkeypatch) -> None:
    """Add line on LLSYN001's follow-up read, XELOX typed in its Name (Enter: kept for the line, its start still to
    type), then Ctrl+Shift+T opens a reader study in the window: asked, as Ctrl+Q, Ctrl+P, the browser and File ->
    Open ask ("the treatment line added 'XELOX': no start date typed"), and "Go back to it" keeps the project and
    the line. It went without a word: the study opened, the line dropped."""
    w, asked, answers = _window(qtbot, env, sample_index)
    study = make_study_store(env, sample_dicom)
    t = _lines_tab(w)
    add = next(b for b in w.docks.followup_panel.findChildren(QPushButton) if b.text() == "Add line")
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    _click_cell(qtbot, t, t.rowCount() - 1, NAME)
    _type(qtbot, "XELOX", enter=True)
    assert t.item(t.rowCount() - 1, NAME).text() == "XELOX" and t.item(t.rowCount() - 1, 0).text() == "new"
    answers[:] = ["back"]
    typed_text_questions(monkeypatch, qtbot, [[str(study), CLICK_OK], ["R1", CLICK_OK]])
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow(), timeout=3000)
    w.reading.activate(next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None))
    press(w, qtbot, "open_study")
    assert any("the treatment line added 'XELOX'" in a for a in asked), (asked, w.status.text())
    assert w.study_ui.flow.study is None  # gone back to it: no study opened over the line
    t = _lines_tab(w)
    assert t.item(t.rowCount() - 1, NAME).text() == "XELOX"


def _row_line(t, row: int) -> int:  # type: ignore[no-untyped-def]
    item = t.item(row, 0)
    return int(item.data(Qt.ItemDataRole.UserRole) or 0)


def everolimus_and_lutetium(t) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """LLSYN001's everolimus and 177Lu-DOTATATE lines (their ids), as the table shows them."""
    names = {_row_line(t, r): t.item(r, NAME).text() for r in range(1, t.rowCount())}
    return (next(n for n, name in names.items() if name.startswith("everolimus")),
            next(n for n, name in names.items() if name.startswith("177Lu")))


@pytest.mark.parametrize("double", [False, True], ids=["click", "double click"])
def test_a_click_on_another_line_after_a_start_typed_before_it_edits_the_line_clicked(  # type: ignore[no-untyped-def]
        qtbot, env: Path, sample_index, double: bool) -> None:
    """LLSYN001: line 1 177Lu-DOTATATE (end 2023-09-26), line 2 everolimus (no end). Add line, 2020-01-02 typed in its
    Start, no Enter: a click on everolimus's End cell records the new line (the click's commit), which comes first by
    its start, the rows below it moving down one. The current cell stayed on the clicked row's place, now 177Lu's End:
    the end date typed there for everolimus went to 177Lu (2023-09-26 -> 2024-09-01), everolimus kept no end. ws48a's
    _select_line follows the edited line on Enter, not the line clicked. The line clicked keeps the keys.
    ``double``: a double click (the usual way into a cell) as a window system sends it, press, release, then the second
    press as a double click and its release: the first click was taken to everolimus's new row, the second press (after
    the first click's release) was not and made 177Lu's row current (a second review; checked: fails without
    followup_lines' _last_shift). QTest's mouseDClick alone sends the double click only."""
    from PySide6.QtWidgets import QApplication

    from annotation.qt.followup_lines import END
    w, _asked, _answers = _window(qtbot, env, sample_index)
    t = _lines_tab(w)
    everolimus, lutetium = everolimus_and_lutetium(t)
    row = next(r for r in range(1, t.rowCount()) if _row_line(t, r) == everolimus)
    ends = {x.line_number: x.end_date for x in w.session.reading.project.treatment_lines.values()
            if x.patient_id == "LLSYN001"}
    add = next(b for b in w.docks.followup_panel.findChildren(QPushButton) if b.text() == "Add line")
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    _type(qtbot, "2020-01-02")  # the added line's Start, no Enter
    _click_cell(qtbot, t, row, END)  # everolimus's End, as shown when clicked
    if double:
        qtbot.mouseDClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(row, END)).center())
    qtbot.waitUntil(lambda: any(x.start_date.isoformat() == "2020-01-02"
                                for x in w.session.reading.project.treatment_lines.values()), timeout=5000)
    if double:
        assert _row_line(t, t.currentRow()) == everolimus and t.currentColumn() == END
        if t.state() != t.State.EditingState:
            t.edit(t.currentIndex())  # (offscreen the double click opens no editor: the keys then start one)
    _type(qtbot, "2024-09-01", enter=True)
    qtbot.waitUntil(lambda: t.state() != t.State.EditingState, timeout=5000)
    assert QApplication.focusWidget() is not None
    now = {x.line_number: x.end_date for x in w.session.reading.project.treatment_lines.values()
           if x.patient_id == "LLSYN001"}
    assert now[lutetium] == ends[lutetium], (now, ends)  # 177Lu's end untouched
    assert now[everolimus] is not None and now[everolimus].isoformat() == "2024-09-01", now

