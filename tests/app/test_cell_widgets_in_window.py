"""The lesion grid and the follow-up table rebuild their combo boxes and check boxes on every
refresh. A replaced cell widget must not stay on screen: QAbstractItemView.setIndexWidget only
deleteLater()s the old one, and one that the view never laid out sits at the viewport's origin,
over the first row's lesion id (seen in bench/shot_suggest's screenshots as an empty combo box
where "L1" belongs, the script pumping events without an event loop that runs deferred deletes)."""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidget, QWidget


def _strays(t: QTableWidget) -> list[QWidget]:
    """Visible widgets on the table's viewport that are no cell's widget."""
    placed = {id(t.cellWidget(r, c)) for r in range(t.rowCount()) for c in range(t.columnCount())}
    vp = t.viewport()
    return [c for c in vp.children() if isinstance(c, QWidget) and c.isVisibleTo(vp) and id(c) not in placed]


def _over_first_id(t: QTableWidget) -> list[QWidget]:
    """Visible widgets on the viewport that cover the first row's lesion id cell."""
    cell = t.visualRect(t.model().index(0, 0))
    vp = t.viewport()
    return [c for c in vp.children() if isinstance(c, QWidget) and c.isVisibleTo(vp) and c.geometry().intersects(cell)]


def test_rebuilt_cell_widgets_leave_no_stray_over_the_first_row(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    grid = w.docks.lesion_panel.table
    assert grid.rowCount() == 4 and not _strays(grid)
    w.actions_by_id["new_lesion"].trigger()  # refreshes the grid (more than once) without running an event loop
    assert grid.rowCount() == 5 and grid.item(0, 0).text() == "L1"
    assert not _over_first_id(grid)
    stray = _strays(grid)
    assert not stray, [(type(s).__name__, s.geometry()) for s in stray]

    w.docks.followup_dock.raise_()
    follow = w.docks.followup_panel.lesions
    qtbot.waitUntil(follow.isVisible)
    assert follow.rowCount() == 5
    w.actions_by_id["new_lesion"].trigger()
    assert follow.rowCount() == 6 and follow.item(0, 0).text() == "L1"
    assert not _over_first_id(follow)
    stray = _strays(follow)
    assert not stray, [(type(s).__name__, s.geometry()) for s in stray]
