"""ReadingModel: the reading workstation's state in one object (the layout of an exam pair).

It owns the six viewport models, the per-stack windows, the link state, the grid layout and
the hanging protocol, and wires them: hanging a stack in a cell asks for its volume
(``volume_wanted(cell, stack)``; the Qt layer loads it in a worker and calls
:meth:`show_volume`), and the active cell follows the reader. Keyboard actions of the main
window call the methods here, so they are testable without Qt.
"""

from __future__ import annotations

from typing import Callable

from viewer.display import Preset
from viewer.model.events import Signal
from viewer.model.layout import HangingModel, LayoutModel
from viewer.model.linking import LinkModel
from viewer.model.viewport import ViewportModel, VolumeLike
from viewer.model.window import WindowStore
from viewer.records import READING_ROLES, Role, StackInfo


class ReadingModel:
    """Signals: ``volume_wanted(cell, stack|None)``, ``opened()``, plus those of the parts."""

    def __init__(self, role_of: Callable[[StackInfo], Role] = lambda s: s.role) -> None:
        self.windows = WindowStore()
        self.viewports = [ViewportModel(self.windows, i, role) for i, role in enumerate(READING_ROLES)]
        self.link = LinkModel(self.viewports)
        self.layout = LayoutModel(len(self.viewports))
        self.hanging = HangingModel(READING_ROLES, role_of)
        self.volume_wanted = Signal()
        self.opened = Signal()  # a new set of stacks was hung
        self.hanging.cell_changed.connect(self._cell_changed)

    # ------------------------------------------------------------------ content
    def open_stacks(self, stacks: tuple[StackInfo, ...] | list[StackInfo]) -> None:
        """Hang an exam pair's stacks in the six cells (each cell emits ``volume_wanted``)."""
        self.link.clear_reader_links()
        self.link.clear_reference_point()
        for vp in self.viewports:
            vp.set_linked(True)
        self.hanging.clear()
        for vp, cell in zip(self.viewports, self.hanging.cells):
            vp.set_volume(None, cell.role)
        self.hanging.hang(stacks)
        self.opened.emit()

    def role_shown(self, cell: int) -> Role:
        """The role of what a cell shows: its stack's own role (a stack dropped there keeps its role),
        or the role the empty cell misses."""
        c = self.hanging.cells[cell]
        return self.hanging.role_of(c.stack) if c.stack is not None else c.role

    def _cell_changed(self, cell: int) -> None:
        c = self.hanging.cells[cell]
        vp = self.viewports[cell]
        vp.role = self.role_shown(cell)
        if c.stack is None or vp.key != c.stack.key:
            vp.set_volume(None, vp.role)
        self.volume_wanted.emit(cell, c.stack)

    def show_volume(self, cell: int, volume: VolumeLike) -> None:
        """The loader's volume for ``cell`` (ignored when the cell has moved on to another stack)."""
        stack = self.hanging.cells[cell].stack
        if stack is not None and stack.key == volume.stack.key and self.viewports[cell].volume is not volume:
            self.viewports[cell].set_volume(volume, self.role_shown(cell))
            self._follow_linked(self.viewports[cell])

    def _follow_linked(self, vp: ViewportModel) -> None:
        """A newly shown stack joins its linked group at the group's position."""
        others = [o for o in self.link.linked_with(vp) if o.volume is not None and o.volume is not vp.volume]
        if others:
            src = self.viewports[self.layout.active] if self.viewports[self.layout.active] in others else others[0]
            centre = src.center_point_mm()
            target = None if centre is None else self.link.map_point(src, vp, centre)
            if target is not None and vp.geometry is not None:
                vp.set_index(vp.geometry.nearest_slice(target))

    def drop_stack(self, cell: int, stack: StackInfo) -> None:
        self.hanging.assign(cell, stack)

    def swap_dwi_adc(self) -> int | None:
        """The DWI cell to the ADC map or back: the cell changed, None when no cell shows either."""
        return self.hanging.swap_dwi_adc()

    # ------------------------------------------------------------------ the active viewport
    @property
    def active(self) -> ViewportModel:
        return self.viewports[self.layout.active]

    def activate(self, cell: int) -> None:
        self.layout.set_active(cell)

    def apply_preset(self, preset: Preset | str) -> None:
        self.active.apply_preset(preset)

    def link_all(self) -> dict[str, str]:
        """Link every visible stack to the active one at the landmark shown (LinkModel doc);
        returns per frame ``"point"`` or ``"slice"``."""
        visible = [self.viewports[c] for c, _, _ in self.layout.visible_cells()]
        return self.link.link_current_positions(self.active, visible if len(visible) > 1 else self.viewports)

    def toggle_link_active(self) -> None:
        self.active.set_linked(not self.active.linked)

    def toggle_cine(self) -> None:
        self.active.set_playing(not self.active.playing)
