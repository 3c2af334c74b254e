"""Session 39's read (a radiologist under Xvfb at 1920 x 1080 and 1366 x 768), in the real main window with key and
mouse events: Ctrl+Z with many lesions redraws only the lesion grid's rows it changed and leaves the rows the reader
scrolled to; the Follow-up dock opens at a height that shows the exam's lesions on a 1920 x 1080 screen."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

import annotation.qt.panels as panels
from tests.app.conftest import drag, press
from viewer.records import READING_ROLES, Role


def _cell(w, role: Role):  # type: ignore[no-untyped-def]
    return next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is role)


def _lesion_with_line(w, qtbot, i: int) -> None:  # type: ignore[no-untyped-def]
    """N, then a short line dragged on CT portal, each lesion on its own spot (as bench_session draws them)."""
    portal = _cell(w, Role.CT_PORTAL)
    vp = w.grid.viewports[portal]
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))  # the air in the corner: the cell active
    vp.model.set_index(vp.model.n_slices // 2 + i % 20 - 10)
    press(w, qtbot, "new_lesion")
    row, col = 150.0 + 9 * (i % 10), 150.0 + 9 * (i // 10 % 10)
    drag(qtbot, vp, (row, col), (row + 6.0, col + 4.0))


def test_undo_with_many_lesions_redraws_only_what_changed_and_keeps_the_grid_scrolled(window, qtbot,  # type: ignore[no-untyped-def]
                                                                                    monkeypatch) -> None:
    """30 lesions added to LLSYN001's read, then a count click; the reader scrolls the grid up to the first lesions
    and presses Ctrl+Z. The grid went through every row (9 cells each: 306 of them for 34 lesions) and scrolled
    back down to the current lesion, away from the rows read (a count mark's undo changes no lesion). Now no row
    is drawn again and the grid stays; the undo of the current lesion's line redraws its row and shows it."""
    w = window
    w.show_error = lambda *a, **k: None  # type: ignore[method-assign]  # a modal dialog hangs offscreen
    w.docks.lesions_dock.raise_()
    press(w, qtbot, "tool_line")
    for i in range(30):
        _lesion_with_line(w, qtbot, i)
    t = w.docks.lesion_panel.table
    assert t.rowCount() >= 34
    last = w.state.selection.lesion_id
    press(w, qtbot, "tool_count")
    t2 = w.grid.viewports[_cell(w, Role.MR_T2FS)]
    qtbot.mouseClick(t2, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))  # chooses the cell
    marks = len(w.session.reading.project.count_marks)
    x, y = t2.transform().image_to_widget(120.0, 100.0)
    qtbot.mouseClick(t2, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert len(w.session.reading.project.count_marks) == marks + 1, w.status.text()
    bar = t.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(0)  # the reader looks at L1-L5 again
    drawn: list[tuple[int, int]] = []
    real = panels.set_cell_item

    def spy(table, r, c, item):  # type: ignore[no-untyped-def]
        if table is t:
            drawn.append((r, c))
        real(table, r, c, item)

    monkeypatch.setattr(panels, "set_cell_item", spy)
    press(w, qtbot, "undo")
    assert len(w.session.reading.project.count_marks) == marks and "undone" in w.status.text()
    assert drawn == [], len(drawn)  # no lesion changed
    assert bar.value() == 0  # the rows the reader scrolled to stay
    press(w, qtbot, "undo")  # the current lesion's line on CT portal
    assert "undone" in w.status.text() and w.state.selection.lesion_id == last
    row = next(r for r in range(t.rowCount()) if t.item(r, 0).text() == last)
    assert {r for r, _ in drawn} == {row}, sorted(set(drawn))
    assert t.item(row, panels.FIXED + READING_ROLES.index(Role.CT_PORTAL)).text() == ""
    assert t.viewport().rect().contains(t.visualItemRect(t.item(row, 0)))  # the edited row in view
    press(w, qtbot, "redo")
    assert t.item(row, panels.FIXED + READING_ROLES.index(Role.CT_PORTAL)).text() != ""
