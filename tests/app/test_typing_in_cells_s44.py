"""review44b, on the real main window: the treatment lines' table is edited by typing, and typing there set off the
reading keys (N made lesion L5, S opened the segment menu). A word typed into a line's name cell, whether the cell
is only selected (the first key opens its editor) or its editor is open, is the cell's text and nothing else
changes; Esc in an open editor drops the edit (not the window's Esc); Ctrl keys still reach the window. The lesion
grid, whose cells are not edited, keeps its reading keys."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit

from annotation.qt.combo import in_a_combo
from app.lesion_keys import LesionKeys
from app.typing_guard import takes_typing
from tests.app.conftest import add_treatment_line

#: every letter of it is a reading key (N new lesion, S segment menu, E line tool, C count tool, O overlays...)
WORD = "nSecobix FOLFOX 2"


def _type(qtbot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Each key to the widget that has the focus, as the keyboard does (the first opens the cell's editor)."""
    for ch in text:
        focus = QApplication.focusWidget()
        assert focus is not None
        qtbot.keyClick(focus, ch)


def _state(w):  # type: ignore[no-untyped-def]
    r = w.session.reading
    return (r.project.lesions_of(*w.state.selection.pair, r.reader), w.state.tool, w.state.lobe,
            w.state.selection.lesion_id, w.grid.active_widget, [v.render_settings() if hasattr(v, "render_settings")
                                                               else None for v in w.grid.viewports])


def test_typing_into_a_treatment_line_cell_types_and_reads_nothing(window, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    w = window
    errors: list[str] = []
    monkeypatch.setattr(w, "show_error", lambda *a, **k: errors.append(str(a)))
    menus: list[str] = []

    def no_menu(self, lesion_id, current):  # type: ignore[no-untyped-def]
        menus.append(lesion_id)
        raise AssertionError("the segment menu opened")
    monkeypatch.setattr(LesionKeys, "segment_menu", no_menu)
    reading = w.session.reading
    panel, line = add_treatment_line(w, qtbot)
    t = panel.lines
    assert t.rowCount() == 2 and t.item(1, 1).text() == line.name

    # of the panels' tables and lists only this one, typed into, takes the keys by a click
    takers = [v for d in w.docks.docks for v in d.findChildren(QAbstractItemView)
              if v.focusPolicy() != Qt.FocusPolicy.NoFocus and not in_a_combo(v)]
    assert takers == [t], takers
    assert t.focusPolicy() == Qt.FocusPolicy.ClickFocus  # not by Tab

    # the baseline's cell is a combo box, not typed into: the reading keys stay there
    t.setCurrentCell(1, 4)
    t.setFocus()
    assert not takes_typing(t)

    w.grid.active_widget.setFocus()  # the keys with the images again, as the reader's click on one gives them
    lesions = [les.lesion_id for les in reading.project.lesions_of(*w.state.selection.pair, reading.reader)]
    before = _state(w)
    tool = w.state.tool

    # the name cell clicked (selected, the table takes the keys): the first key opens the editor with it, the rest go
    # into the editor
    assert QApplication.focusWidget() is w.grid.active_widget
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(1, 1)).center())
    assert t.currentRow() == 1 and t.currentColumn() == 1 and QApplication.focusWidget() is t
    assert takes_typing(t)  # a click in a floating panel leaves the keyboard here
    _type(qtbot, WORD)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and t.state() == QAbstractItemView.State.EditingState
    assert editor.text() == WORD
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # Enter keeps the edit (the delegate closes the editor queued)
    qtbot.waitUntil(lambda: t.state() != QAbstractItemView.State.EditingState, timeout=5000)
    qtbot.waitUntil(lambda: reading.project.treatment_lines[(line.patient_id, 1)].name == WORD, timeout=5000)
    assert t.item(1, 1).text() == WORD
    assert not menus and not errors
    assert [les.lesion_id for les in reading.project.lesions_of(*w.state.selection.pair, reading.reader)] == lesions
    assert w.state.tool == tool and _state(w) == before, "a reading key acted"

    # an editor opened by double click; Esc drops the edit and is not the window's Esc (the tool stays)
    qtbot.mouseDClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(1, 1)).center())
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    _type(qtbot, "nS")
    assert editor.text() == "nS"
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: t.state() != QAbstractItemView.State.EditingState, timeout=5000)
    assert reading.project.treatment_lines[(line.patient_id, 1)].name == WORD and t.item(1, 1).text() == WORD
    assert not menus and _state(w) == before and w.state.tool == tool

    # Ctrl keys still reach the window: Ctrl+Z undoes the name typed, with the cell only selected
    qtbot.keyClick(t, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: reading.project.treatment_lines[(line.patient_id, 1)].name == line.name, timeout=5000)

    # the lesion grid, not edited by typing, keeps the reading keys: N there makes a new lesion
    # (a click there leaves the keys with the images, as before)
    w.grid.active_widget.setFocus()
    grid = panel.lesions
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(grid.model().index(0, 0)).center())
    assert not takes_typing(grid) and QApplication.focusWidget() is w.grid.active_widget
    _type(qtbot, "n")
    after = [les.lesion_id for les in reading.project.lesions_of(*w.state.selection.pair, reading.reader)]
    assert len(after) == len(lesions) + 1, (after, w.status.text())


def test_a_treatment_cell_clicked_in_the_floating_follow_up_keeps_the_keyboard(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The Follow-up panel floating (on a second screen): a click on a line's name cell leaves the keys there (a
    click elsewhere in a floating panel hands them back to the images), and the name typed is the cell's."""
    w = window
    reading = w.session.reading
    dock = w.docks.followup_dock
    dock.show()
    dock.setFloating(True)
    dock.setGeometry(100, 100, 900, 400)  # on the screen, wide enough to show the name cell
    panel, line = add_treatment_line(w, qtbot)
    lesions = list(reading.project.lesions_of(*w.state.selection.pair, reading.reader))
    qtbot.wait(50)  # the button's click hands the keys back to the images
    dock.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dock, timeout=3000)
    t = panel.lines
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=t.visualRect(t.model().index(1, 1)).center())
    qtbot.wait(50)
    assert QApplication.activeWindow() is dock and QApplication.focusWidget() is t
    _type(qtbot, "Nivolumab")
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "Nivolumab"
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: reading.project.treatment_lines[(line.patient_id, 1)].name == "Nivolumab", timeout=5000)
    assert list(reading.project.lesions_of(*w.state.selection.pair, reading.reader)) == lesions
