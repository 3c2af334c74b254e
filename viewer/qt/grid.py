"""ReadingGrid: the six viewport widgets of a ReadingModel laid out by its LayoutModel."""

from __future__ import annotations

from functools import partial
from typing import Collection

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QWidget

from viewer.model.reading import ReadingModel
from viewer.qt.cell import ViewportCell
from viewer.qt.double_click import DoubleClickGuard
from viewer.qt.viewport import BORDER, ViewportWidget


class ReadingGrid(QWidget):
    """Signals: ``stack_dropped(cell, key)``, ``context_requested(cell, QPoint)``, ``cell_pressed(cell,
    was_active)`` (a press or a wheel turn in a cell, before it is made active: whether it already was)."""

    stack_dropped = Signal(int, str)
    context_requested = Signal(int, object)
    cell_pressed = Signal(int, bool)

    def __init__(self, reading: ReadingModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reading = reading
        # the gaps between cells: a stylesheet, so that an application style sheet does not repaint them
        self.setObjectName("readingGrid")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(f"#readingGrid {{ background: {BORDER.name()}; }}")
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(2, 2, 2, 2)
        self._grid.setSpacing(2)
        self.cells: list[ViewportCell] = []
        self.viewports: list[ViewportWidget] = []
        for i, model in enumerate(reading.viewports):
            cell = ViewportCell(model, self)
            self.cells.append(cell)
            w = cell.viewport
            w.activated.connect(lambda i=i: self._pressed(i))
            w.maximise_requested.connect(lambda i=i: reading.layout.toggle_maximise(i))
            w.stack_dropped.connect(lambda key, i=i: self.stack_dropped.emit(i, key))
            w.context_requested.connect(lambda pos, i=i: self.context_requested.emit(i, pos))
            w.link_text = self._link_text
            w.stack_hung = partial(self._stack_hung, i)
            self.viewports.append(w)
        # a double click's second press slipped into the next cell is the first cell's (viewer/qt/double_click.py)
        self.double_click = DoubleClickGuard([(c.viewport, c.slider) for c in self.cells], self.viewports, self)
        reading.layout.changed.connect(self.relayout)
        reading.link.changed.connect(lambda: [w.update() for w in self.viewports])
        reading.opened.connect(self._opened)
        reading.hanging.cell_changed.connect(lambda i: self.set_load_error(i, ""))
        reading.layout.active_changed.connect(self._active_changed)
        self.relayout()
        self._active_changed(reading.layout.active)

    def _stack_hung(self, cell: int) -> bool:
        return self.reading.hanging.cells[cell].stack is not None

    def _pressed(self, cell: int) -> None:
        self.cell_pressed.emit(cell, self.reading.layout.active == cell)
        self.reading.activate(cell)

    def _link_text(self, model: object) -> str:
        """What this cell scrolls with, only when it really does: "linked: all", "linked: CT",
        "linked: MR" or "linked ×3"; "unlinked"; "" when alone. No offset: a frame's shift into the link is where
        the other scanner put its table's origin (LLSYN002's MRI cells said "linked: all -1213.9 mm"), nothing the
        reader can read off the images; the status bar says the shift of an alignment from the images once, when the
        pair opens."""
        link = self.reading.link
        if not model.linked:  # type: ignore[attr-defined]
            return "unlinked"
        others = [o for o in link.linked_with(model) if o.volume is not None]  # type: ignore[arg-type]
        if not others:
            return ""
        shown = [vp for vp in self.reading.viewports if vp.volume is not None]
        group = [model, *others]
        modalities = {vp.volume.stack.modality for vp in group if vp.volume is not None}  # type: ignore[attr-defined]
        if len(group) == len(shown):
            what = "all"
        elif len(modalities) == 1:
            what = next(iter(modalities))
        else:
            what = f"×{len(group)}"
        return f"linked: {what}"

    def set_missing_note(self, note: str, roles: Collection[object], others: str = "") -> None:
        """What an empty cell of ``roles`` says instead of "not in this pair: drop a stack here from the browser"
        (a study case: the other session's series, "not read in session MRI"); the other cells say ``others``, else
        that (a series of the session missing from the exam is not in the pair; a follow-up exam of one study is no
        pair: "not in this exam")."""
        for w in self.viewports:
            w.missing_note = note if w.model.role in roles else others
            w.update()

    def set_idle_note(self, note: str) -> None:
        """What the cells say before any exam is open (studies listed: how to open one, not "open a study")."""
        for w in self.viewports:
            w.idle_note = note
            w.update()

    def _opened(self) -> None:
        for w in self.viewports:
            w.pair_open = True
            w.load_error = ""
            w.update()

    def set_load_error(self, cell: int, message: str) -> None:
        """What cell ``cell`` says of its stack's failed load ("" while it loads)."""
        self.viewports[cell].load_error = message
        self.viewports[cell].update()

    def stack_failed(self, key: str, message: str) -> None:
        """The loader could not load stack ``key``: every cell it is hung in says so (not "loading…")."""
        for i, c in enumerate(self.reading.hanging.cells):
            if c.stack is not None and c.stack.key == key:
                self.set_load_error(i, message)

    def relayout(self) -> None:
        for w in self.cells:
            self._grid.removeWidget(w)
            w.hide()
        rows, cols = (1, 1) if self.reading.layout.maximised is not None else self.reading.layout.grid
        for r in range(3):  # a maximised cell alone in row 0 / column 0 takes the whole grid
            self._grid.setRowStretch(r, 1 if r < rows else 0)
        for c in range(3):
            self._grid.setColumnStretch(c, 1 if c < cols else 0)
        for cell, row, col in self.reading.layout.visible_cells():
            self._grid.addWidget(self.cells[cell], row, col)
            self.cells[cell].show()
        self.active_widget.setFocus()  # hiding cells drops the focus; the reading keys need it back

    def _active_changed(self, cell: int) -> None:
        for i, w in enumerate(self.viewports):
            w.set_active(i == cell)
        if self.isAncestorOf(self.focusWidget() or self):  # keyboard follows the active cell
            self.active_widget.setFocus()

    @property
    def active_widget(self) -> ViewportWidget:
        return self.viewports[self.reading.layout.active]
