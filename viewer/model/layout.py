"""The reading layout: which cells are visible (grid, maximise, active cell) and what hangs in them.

The hanging protocol (reading-protocol.md) puts the six reading series of an exam pair in
cells 0-5 in :data:`viewer.records.READING_ROLES` order: CT arterial, CT portal, T2FS, DWI
(high b), T1 arterial, T1 portal. Roles come from the indexer, corrected by the reader
(:class:`viewer.model.settings.RoleOverrides`). An empty cell keeps the role it misses; the
reader can drop any stack into any cell. The DWI cell swaps to the ADC map and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from viewer.model.events import Signal
from viewer.records import READING_ROLES, Role, StackInfo

ROLE_LABELS: dict[Role, str] = {
    Role.CT_UNENHANCED: "CT unenhanced", Role.CT_ARTERIAL: "CT arterial", Role.CT_PORTAL: "CT portal",
    Role.CT_DELAYED: "CT delayed", Role.CT_OTHER: "CT other", Role.MR_T2FS: "T2 FS", Role.MR_T2: "T2",
    Role.MR_DWI: "DWI b800", Role.MR_ADC: "ADC", Role.MR_T1_PRE: "T1 pre", Role.MR_T1_ARTERIAL: "T1 arterial",
    Role.MR_T1_PORTAL: "T1 portal", Role.MR_T1_DELAYED: "T1 delayed", Role.MR_T1_SUBTRACTION: "T1 subtraction",
    Role.MR_OTHER: "MR other", Role.UNKNOWN: "unknown role",
}


def role_label(role: Role | None) -> str:
    """Short reader-facing name of a role ("CT arterial", "DWI b800")."""
    return ROLE_LABELS.get(role, "") if role is not None else ""


def stack_label(role: Role | None, b_value: float | None) -> str:
    """A stack's name by its role, with a diffusion stack's own b-value ("DWI b0" for the b0 stack
    of the DWI series, not the "DWI b800" the role is read on)."""
    if role is Role.MR_DWI and b_value is not None and b_value != 800:
        return f"DWI b{b_value:g}"
    return role_label(role)


#: Grids offered by the layout keys, (rows, columns).
GRIDS: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 2), (2, 3), (3, 3))
DEFAULT_GRID = (2, 3)


class LayoutModel:
    """Grid size, the maximised cell (None = grid) and the active cell. ``changed()``, ``active_changed(i)``.

    The maximised cell is always the active one: the cell a reading action applies to is the one on
    screen (a reader's check under Xvfb measured on a maximised DWI, the reading moved on to T1
    arterial off screen, and V recorded "not visible" there while DWI was shown)."""

    def __init__(self, n_cells: int = len(READING_ROLES), grid: tuple[int, int] = DEFAULT_GRID) -> None:
        self.n_cells = n_cells
        self.grid = grid
        self.active = 0
        self._one_cell = False
        self.changed = Signal()
        self.active_changed = Signal()

    @property
    def maximised(self) -> int | None:
        """The cell shown alone (the active one), or None for the grid."""
        return self.active if self._one_cell else None

    def set_grid(self, rows: int, cols: int) -> None:
        if (rows, cols) not in GRIDS:
            raise ValueError(f"grid {rows}x{cols} is not one of {GRIDS}")
        self.grid = (rows, cols)
        self._one_cell = False
        self.changed.emit()

    def toggle_maximise(self, cell: int | None = None) -> None:
        """Show ``cell`` (default: the active one) alone, or go back to the grid."""
        if not self._one_cell and cell is not None:
            self.set_active(cell)
        self._one_cell = not self._one_cell
        self.changed.emit()

    def set_active(self, cell: int) -> None:
        """Make ``cell`` the one worked on (with one cell maximised, the one shown)."""
        if cell != self.active and 0 <= cell < self.n_cells:
            self.active = cell
            self.active_changed.emit(cell)
            if self._one_cell:
                self.changed.emit()

    def grid_cells(self) -> list[int]:
        """The cells the grid holds, in hanging order (shown unless one is maximised)."""
        rows, cols = self.grid
        return list(range(min(rows * cols, self.n_cells)))

    def visible_cells(self) -> list[tuple[int, int, int]]:
        """(cell, grid row, grid column) of every visible cell."""
        if self.maximised is not None:
            return [(self.maximised, 0, 0)]
        cols = self.grid[1]
        return [(i, i // cols, i % cols) for i in self.grid_cells()]


@dataclass(frozen=True)
class Cell:
    """One hanging cell: the role it is for, and the stack shown (None = missing)."""

    role: Role
    stack: StackInfo | None

    @property
    def missing(self) -> bool:
        return self.stack is None


def _rank(stack: StackInfo) -> tuple[float, float, int, int]:
    """Higher is better among stacks of one role: highest b-value (b800 over b0 for DWI),
    most confident role, most slices, lowest series number."""
    b = stack.b_value if stack.b_value is not None else -1.0
    return (b, stack.role_confidence, stack.n_slices, -(stack.series_number or 0))


def best_stack(stacks: Iterable[StackInfo], role: Role, role_of: Callable[[StackInfo], Role]) -> StackInfo | None:
    candidates = [s for s in stacks if role_of(s) is role]
    return max(candidates, key=_rank) if candidates else None


class HangingModel:
    """The six cells of an exam pair. ``cell_changed(i)`` when a cell gets another stack or role."""

    def __init__(self, roles: tuple[Role, ...] = READING_ROLES,
                 role_of: Callable[[StackInfo], Role] = lambda s: s.role) -> None:
        self.roles = roles
        self.role_of = role_of
        self.stacks: tuple[StackInfo, ...] = ()
        self.cells: list[Cell] = [Cell(r, None) for r in roles]
        self.cell_changed = Signal()

    def clear(self) -> None:
        """Every cell empty (before hanging another pair); no signals."""
        self.stacks = ()
        self.cells = [Cell(c.role if c.role is not Role.MR_ADC else Role.MR_DWI, None) for c in self.cells]

    def hang(self, stacks: Iterable[StackInfo]) -> None:
        """Fill every cell from the roles of ``stacks`` (the stacks of the chosen pair)."""
        self.stacks = tuple(stacks)
        for i, role in enumerate(self.roles):
            self._set(i, Cell(role, best_stack(self.stacks, role, self.role_of)))

    def rehang(self) -> None:
        """Re-fill every cell from the current roles (after a role correction), keeping ADC swaps."""
        for i, cell in enumerate(self.cells):
            self._set(i, Cell(cell.role, best_stack(self.stacks, cell.role, self.role_of)))

    def assign(self, cell: int, stack: StackInfo | None) -> None:
        """The reader drops ``stack`` into ``cell``; the cell keeps the role it stands for in the hanging
        (what it shows is the stack's own role: ``role_of(stack)``)."""
        if stack is not None and stack not in self.stacks:
            self.stacks = self.stacks + (stack,)
        self._set(cell, Cell(self.cells[cell].role, stack))

    def swap_dwi_adc(self) -> int | None:
        """Swap the DWI cell to the ADC map or back; returns that cell (None: no DWI cell). An exam without
        the other one (a CT-only exam, an MRI without ADC) leaves the cell as it is: its role says what it
        shows."""
        for i, cell in enumerate(self.cells):
            if cell.role in (Role.MR_DWI, Role.MR_ADC):
                role = Role.MR_ADC if cell.role is Role.MR_DWI else Role.MR_DWI
                stack = best_stack(self.stacks, role, self.role_of)
                if stack is not None:
                    self._set(i, Cell(role, stack))
                return i
        return None

    def missing_roles(self) -> list[Role]:
        return [c.role for c in self.cells if c.missing]

    def _set(self, i: int, cell: Cell) -> None:
        if self.cells[i] != cell:
            self.cells[i] = cell
            self.cell_changed.emit(i)
