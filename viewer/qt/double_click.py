"""A double click belongs to the cell its first press went to.

A reader double-clicks at one place; the pointer may slip a few pixels between the two presses. Near a cell's edge
the second press then lands in the neighbouring cell (or the first on the cell's slice slider, the second on the next
cell): Qt sends that cell the double click (its second press) with no press before it, or, over the slider's gap
(more than Qt's double-click distance), a press of its own. The neighbouring cell took it as the reader's: the window/
level tool's double click maximised it, not the cell double-clicked; a press made it the active cell, and where it
was the active one (the series a line moves on to), the line tool's click made a suggestion there (a radiologist's
read under Xvfb, session 48).

:class:`DoubleClickGuard` watches the presses of a grid's cells (each cell's viewport and slider): a press in
another cell than the last one, within the double-click interval and near it (Qt's double-click distance and the
slider's gap), is that double click's second press. It is the first cell's: a double click is given to the first
cell's viewport (the window/level tool maximises that cell), a press is dropped, and so is its release. Every other
press goes through untouched.

The interval is the events' own (``QMouseEvent.timestamp()``, the window system's clock, as Qt's double-click detection
has it), not the time they are filtered at: a first press slow to handle (a slider press decoding the next slice, a
one-click suggestion, a loaded machine) let the second press through to the other cell, and two clicks a second apart
queued behind a busy thread lost the second (review49b).
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

#: beyond Qt's double-click distance, how far apart (pixels) the two presses of a double click may be when they fall in
#: two cells: the slice slider (10 px) and the grid's gap (2 px) lie between two viewports
CELL_GAP_PX = 16


class DoubleClickGuard(QObject):
    """Event filter on the widgets of each cell (``cells[i]``: the widgets of cell i): a double click's second press
    that falls in another cell than its first is the first cell's (module docstring)."""

    def __init__(self, cells: Sequence[Sequence[QWidget]], viewports: Sequence[QWidget],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cell_of: dict[int, int] = {}
        self._viewports = list(viewports)
        for i, widgets in enumerate(cells):
            for w in widgets:
                self._cell_of[id(w)] = i
                w.installEventFilter(self)
        #: the last press taken: (cell, its timestamp in ms, global position)
        self._last: tuple[int, int, QPointF] | None = None
        #: the widget whose release is dropped (its press was)
        self._drop_release: int | None = None

    def _second_press_of(self, cell: int, at: QPointF, ms: int) -> int | None:
        """The cell a press in ``cell`` at ``at`` (timestamp ``ms``) is the second press of a double click of, when
        that is another."""
        last = self._last
        if last is None or last[0] == cell:
            return None
        hints = QGuiApplication.styleHints()
        if not 0 <= ms - last[1] <= hints.mouseDoubleClickInterval():
            return None
        d = at - last[2]
        if abs(d.x()) + abs(d.y()) > hints.mouseDoubleClickDistance() + CELL_GAP_PX:
            return None
        return last[0]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseButtonRelease):
            return False
        cell = self._cell_of.get(id(watched))
        if cell is None or not isinstance(event, QMouseEvent):
            return False
        if kind == QEvent.Type.MouseButtonRelease:
            if self._drop_release == id(watched):
                self._drop_release = None
                return True
            return False
        at = event.globalPosition()
        if event.button() != Qt.MouseButton.LeftButton:
            self._last = None
            return False
        ms = int(event.timestamp())
        first = self._second_press_of(cell, at, ms)
        if first is None:
            self._last = (cell, ms, at) if kind == QEvent.Type.MouseButtonPress else None
            return False
        self._last = None
        self._drop_release = id(watched)
        if kind == QEvent.Type.MouseButtonDblClick:
            target = self._viewports[first]
            QApplication.sendEvent(target, QMouseEvent(
                QEvent.Type.MouseButtonDblClick, target.mapFromGlobal(at), at, event.button(), event.buttons(),
                event.modifiers()))
        return True


__all__ = ["CELL_GAP_PX", "DoubleClickGuard"]
