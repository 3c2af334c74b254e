"""The reading layout: which cells are visible (grid, maximise, active cell) and what hangs in them.

The hanging protocol (reading-protocol.md) puts the six reading series of an exam pair in
cells 0-5 in :data:`viewer.records.READING_ROLES` order: CT arterial, CT portal, T2FS, DWI
(high b), T1 arterial, T1 portal. Roles come from the indexer, corrected by the reader
(:class:`viewer.model.settings.RoleOverrides`). An empty cell keeps the role it misses; the
reader can drop any stack into any cell. The DWI cell swaps to the ADC map and back.

An exam of one modality (a follow-up CT) shows the cells of its own series only, in the smallest grid holding them
(:meth:`LayoutModel.fit`); the reader's Layout choice holds on the exam it is made on (:meth:`LayoutModel.choose_grid`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

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


def grid_for(n_cells: int) -> tuple[int, int]:
    """The smallest grid of :data:`GRIDS` holding ``n_cells`` cells, wider than high where it has a choice (1 x 2 for a
    CT's two phases side by side: the reading screen is wider than high)."""
    return next((g for g in GRIDS if g[0] * g[1] >= n_cells), GRIDS[-1])


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
        #: the cells the grid holds when it is fitted to an exam (None: the first rows x columns cells)
        self._cells: tuple[int, ...] | None = None
        #: the exam's own layout (:meth:`fit`) and the grid the reader chose on it (:meth:`choose_grid`, None: none)
        self._fitted: tuple[tuple[int, int], tuple[int, ...] | None] = (grid, None)
        self.chosen: tuple[int, int] | None = None
        self.changed = Signal()
        self.active_changed = Signal()

    @property
    def maximised(self) -> int | None:
        """The cell shown alone (the active one), or None for the grid."""
        return self.active if self._one_cell else None

    def set_grid(self, rows: int, cols: int) -> None:
        """The first ``rows`` x ``cols`` cells in hanging order (a layout of its own: P's prior beside, Shift+D's DWI
        beside ADC; :meth:`restore` goes back to the exam's)."""
        if (rows, cols) not in GRIDS:
            raise ValueError(f"grid {rows}x{cols} is not one of {GRIDS}")
        self.grid = (rows, cols)
        self._cells = None
        self._one_cell = False
        self.changed.emit()

    def choose_grid(self, rows: int, cols: int) -> None:
        """The reader's Layout choice: it wins over the exam's fitted layout until another exam opens (P and Shift+D
        go back to it), every cell in hanging order (2 x 3 shows a CT-only exam's empty MRI cells to drop into)."""
        self.set_grid(rows, cols)
        self.chosen = (rows, cols)

    def fit(self, cells: Sequence[int] | None) -> None:
        """An exam opened: its own layout. ``cells``: the cells a one-modality exam hangs a series in, shown alone in
        the smallest grid holding them (a CT of two phases side by side, 1 x 2; its portal phase alone, 1 x 1); None
        (a CT + MRI pair, an exam with nothing hung): the six cells, 2 x 3. At 1600 x 1000 a follow-up CT hung in the
        six cells of a pair had images of 380 x 300 pixels, four cells saying "not in this exam" (a radiologist's
        read). The reader's choice on the exam before ends."""
        shown = tuple(sorted(c for c in cells if 0 <= c < self.n_cells)) if cells else ()
        self._fitted = (grid_for(len(shown)), shown) if shown else (DEFAULT_GRID, None)
        self.chosen = None
        self.restore()

    def restore(self) -> None:
        """Back to the exam's layout (after P or Shift+D): the grid the reader chose on it, else the fitted one; the
        active cell one it shows."""
        self.grid, self._cells = (self.chosen, None) if self.chosen is not None else self._fitted
        self._one_cell = False
        cells = self.grid_cells()
        if cells and self.active not in cells:
            self.set_active(cells[0])
        self.changed.emit()

    @property
    def fitted(self) -> bool:
        """Whether the grid holds the cells of an exam's own series only (not the first rows x columns cells)."""
        return self._cells is not None

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
        if self._cells is not None:
            return list(self._cells)
        rows, cols = self.grid
        return list(range(min(rows * cols, self.n_cells)))

    def visible_cells(self) -> list[tuple[int, int, int]]:
        """(cell, grid row, grid column) of every visible cell."""
        if self.maximised is not None:
            return [(self.maximised, 0, 0)]
        cols = self.grid[1]
        return [(cell, i // cols, i % cols) for i, cell in enumerate(self.grid_cells())]


def back_to_exam(layout: LayoutModel) -> str:
    """What the status says when P or Shift+D goes back to the exam's layout."""
    n = len(layout.grid_cells())
    return "back to the six reading cells" if n == 6 and not layout.fitted else \
        f"back to the exam's {'series' if layout.fitted else f'{n} cells'}"


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
