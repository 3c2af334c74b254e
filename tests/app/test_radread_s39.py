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


def _whole_rows(t) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for r in range(t.rowCount()) if t.viewport().rect().contains(t.visualRect(t.model().index(r, 0))))


def _followup_compared(qtbot, env, sample_index, size: tuple[int, int]):  # type: ignore[no-untyped-def]
    """LLSYN001's last follow-up CT (the sample's follow-up read) at ``size``, CT portal beside its prior (P)."""
    from tests.app.test_followup_in_window import _open_exam
    from tests.app.test_radread_s36 import _followup_window

    w = _followup_window(qtbot, env, sample_index)
    w.resize(*size)
    _open_exam(w, qtbot, "2024-03-12")
    qtbot.mouseClick(w.grid.viewports[_cell(w, Role.CT_PORTAL)], Qt.MouseButton.LeftButton)
    press(w, qtbot, "compare_prior")  # the Follow-up dock comes to the front
    qtbot.waitUntil(lambda: not w.docks.followup_dock.visibleRegion().isEmpty())
    return w


def test_the_follow_up_dock_opens_showing_its_lesions_on_a_1920_by_1080_screen(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    """At 1920 x 1080 the Follow-up dock opened at its least height (the lesion grid's, tabbed with it): 4 of the
    exam's 6 lesions whole (L5's eligibility wraps on two lines), L6, the new lesion that makes the PD, under the
    fold, while the images had 300 pixels to spare. Raised, it grows to show the 6 lesions and the 3 responses;
    the images keep 60 % of the window's height."""
    w = _followup_compared(qtbot, env, sample_index, (1920, 1080))
    p = w.docks.followup_panel
    assert p.lesions.rowCount() == 6 and p.responses.rowCount() == 3
    qtbot.waitUntil(lambda: _whole_rows(p.lesions) == 6, timeout=3000)
    assert _whole_rows(p.responses) == 3
    assert w.centralWidget().height() >= 0.6 * w.height()
    height = w.docks.followup_dock.height()
    w.docks.lesions_dock.raise_()  # the lesion grid keeps the height: its rows in view too
    g = w.docks.lesion_panel.table
    qtbot.waitUntil(lambda: _whole_rows(g) == g.rowCount() == 6, timeout=3000)
    w.docks.followup_dock.raise_()
    qtbot.wait(50)
    assert w.docks.followup_dock.height() == height  # raised again: not grown again


def test_on_a_laptop_screen_the_follow_up_dock_leaves_the_images_their_height(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    """At 1366 x 768 the images have nothing to spare (60 % of 768 is more than they have): the dock stays at its
    least height, as session 38 left it (five lesions and the three responses whole)."""
    w = _followup_compared(qtbot, env, sample_index, (1366, 768))
    d = w.docks.followup_dock
    qtbot.wait(50)
    assert d.height() == d.minimumSizeHint().height(), (d.height(), d.minimumSizeHint().height())


def test_undo_of_a_status_makes_its_lesion_current_and_its_series_active(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's action count: a line on CT portal, V on T2 FS, N for the next lesion, then Ctrl+Z twice (the new
    lesion, then the "not visible") to correct T2 FS. No lesion was current and CT portal (where N went back) was
    active: Shift+V said "no current lesion", and ] (or a click in the grid) and a click on T2 FS came first. Now
    the undo makes the lesion current and T2 FS active: Shift+V records at once; a redo does the same."""
    w = window
    w.show_error = lambda *a, **k: None  # type: ignore[method-assign]  # a modal dialog hangs offscreen
    sel = w.state.selection
    press(w, qtbot, "tool_line")
    portal = w.grid.viewports[_cell(w, Role.CT_PORTAL)]
    qtbot.mouseClick(portal, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    press(w, qtbot, "new_lesion")
    drag(qtbot, portal, (150.0, 150.0), (160.0, 156.0))
    lesion = sel.lesion_id
    assert w.state.reading_role(w.reading.layout.active) is Role.MR_T2FS, w.status.text()
    press(w, qtbot, "not_visible")
    assert w.state.reading_role(w.reading.layout.active) is Role.MR_DWI
    press(w, qtbot, "new_lesion")
    assert sel.lesion_id != lesion and w.state.reading_role(w.reading.layout.active) is Role.CT_PORTAL
    press(w, qtbot, "undo")  # the new lesion
    assert sel.lesion_id is None
    press(w, qtbot, "undo")  # the "not visible" on T2 FS
    assert sel.lesion_id == lesion and w.state.reading_role(w.reading.layout.active) is Role.MR_T2FS, w.status.text()
    press(w, qtbot, "not_measurable")
    key = (*sel.pair, w.session.reading.reader, lesion)
    status = w.session.reading.project.lesions[key].observation(Role.MR_T2FS)
    assert status is not None and status.status.value == "not_measurable", w.status.text()
    press(w, qtbot, "undo")
    press(w, qtbot, "tool_count")
    qtbot.mouseClick(portal, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))  # the reader elsewhere meanwhile
    press(w, qtbot, "redo")
    assert sel.lesion_id == lesion and w.state.reading_role(w.reading.layout.active) is Role.MR_T2FS


def test_the_follow_up_table_behind_the_lesion_grid_is_drawn_when_its_tab_is_raised(window, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A baseline read with the Lesions tab raised: every edit, undo and redo went through each lesion's row of the
    Follow-up table behind it (14 ms of a 36 ms Ctrl+Z with 54 lesions). It now waits for its tab: nothing drawn
    while it is behind, the edits there as soon as it is raised (before a paint)."""
    w = window
    w.show_error = lambda *a, **k: None  # type: ignore[method-assign]  # a modal dialog hangs offscreen
    w.docks.lesions_dock.raise_()
    qtbot.waitUntil(lambda: w.docks.followup_dock.visibleRegion().isEmpty())
    p = w.docks.followup_panel
    filled: list[int] = []
    real = type(p)._fill_lesions
    monkeypatch.setattr(type(p), "_fill_lesions", lambda self: filled.append(1) or real(self))
    press(w, qtbot, "tool_line")
    _lesion_with_line(w, qtbot, 0)
    press(w, qtbot, "undo")
    press(w, qtbot, "redo")
    assert filled == []
    w.docks.followup_dock.raise_()
    lesions = w.session.reading.project.lesions_of(*w.state.selection.pair, w.session.reading.reader)
    assert filled and p.lesions.rowCount() == len(lesions)  # drawn at once, the new lesion's row with the others
    assert p.lesions.item(len(lesions) - 1, 0).text() == w.state.selection.lesion_id == lesions[-1].lesion_id


def test_n_takes_the_line_tool_whatever_tool_was_on(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The README said "N, E (line tool), drag": a reader following it pressed E after every N (a wasted key per
    lesion, counted under Xvfb). N takes the line tool itself (the README now says so): from the count tool, N then
    a drag records the lesion's line."""
    from app.workstation import ToolMode

    w = window
    w.show_error = lambda *a, **k: None  # type: ignore[method-assign]  # a modal dialog hangs offscreen
    press(w, qtbot, "tool_count")
    portal = w.grid.viewports[_cell(w, Role.CT_PORTAL)]
    qtbot.mouseClick(portal, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    press(w, qtbot, "new_lesion")
    assert w.state.tool is ToolMode.LINE
    drag(qtbot, portal, (150.0, 150.0), (160.0, 156.0))
    key = (*w.state.selection.pair, w.session.reading.reader, w.state.selection.lesion_id)
    assert w.session.reading.project.lesions[key].observation(Role.CT_PORTAL) is not None, w.status.text()
