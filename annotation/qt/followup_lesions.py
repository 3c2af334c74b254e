"""The Follow-up panel's lesion table: the open exam's lesions as a follow-up, one row each: kind (target /
non-target / new), organ, nodal, status at this timepoint, treated locally, parent (lineage of split and merged
lesions), the series the lesion is assessed on (fixed at baseline; a change flagged) and the engine's eligibility.

It draws what the panel hands it and sizes its columns to the width it is given; the choices it offers call the
panel's edits (annotation.qt.followup_panel), which go through :class:`annotation.followup.FollowupEditor`.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem

from annotation.followup import role_change
from annotation.followup_records import ORGANS
from annotation.project import Project
from annotation.qt.cells import CellCombo, cell_check, cell_combo, set_cell_item, set_cell_widget
from annotation.qt.column_fit import fit_widths
from annotation.qt.panels import CURRENT_BRUSH, ROLE_HEADERS
from annotation.records import Lesion
from annotation.vocab import FOLLOWUP_STATUSES, FollowupKind, FollowupStatus
from viewer.records import READING_ROLES

KIND_LABELS = {None: "—", FollowupKind.TARGET: "target", FollowupKind.NON_TARGET: "non-target",
               FollowupKind.NEW: "new"}
#: what the Organ choices read (the records and exports keep the values: "lymph_node"); "node" alone read unclearly
ORGAN_LABELS = {"lymph_node": "lymph node"}
STATUS_ORDER = (FollowupStatus.MEASURED, FollowupStatus.TOO_SMALL, FollowupStatus.DISAPPEARED, FollowupStatus.PRESENT,
                FollowupStatus.EQUIVOCAL, FollowupStatus.ABSENT, FollowupStatus.UNEQUIVOCAL_PROGRESSION,
                FollowupStatus.NOT_ASSESSED)
DEFAULT_STATUS = {FollowupKind.TARGET: FollowupStatus.MEASURED, FollowupKind.NON_TARGET: FollowupStatus.PRESENT,
                  FollowupKind.NEW: FollowupStatus.PRESENT}
LESION_HEADERS = ("Lesion", "Kind", "Organ", "Nodal", "Status", "Treated", "Parent", "Series", "Eligibility")
#: the eligibility column's width in average characters, beyond which its text wraps (its row grows)
ELIGIBILITY_CHARS = 24
#: the lesion table's columns of choices: where the columns are wider than the table they narrow, their text elided
CHOICE_COLUMNS = tuple(LESION_HEADERS.index(h) for h in ("Kind", "Organ", "Status", "Parent", "Series"))
#: the lesion table's columns of a lesion id, a check box or a parent ("—" mostly), whose header sets their width: down to the header's text
#: and :data:`TIGHT_MARGIN` pixels where the columns are wider than the table (the theme's header pads 16)
TIGHT_COLUMNS = tuple(LESION_HEADERS.index(h) for h in ("Lesion", "Nodal", "Treated", "Parent"))
TIGHT_MARGIN = 10
#: the characters a choice column keeps at least where the columns are wider than the table ("non-ta…", "lymph …")
CHOICE_CHARS = 6
#: the lesion table's combo boxes with a slimmer arrow and padding than the theme's (10 px less each): at 1600 px wide
#: the nine columns ran 210 px past the table, Series and Eligibility behind a scroll bar (a radiologist's read)
SLIM_COMBOS = "QComboBox { padding: 1px 0px 1px 3px; } QComboBox::drop-down { width: 10px; border: none; }"
WARN = QColor(255, 170, 80)

#: a cell's choice recorded through the panel: refused, the panel draws what is recorded again
Guard = Callable[[Callable[[], None]], None]


def _wrap_rows(table: QTableWidget, height: int) -> None:
    """The last column's text (a lesion's eligibility) wraps and its row grows to hold it, at least
    ``height`` px (a combo's): the dock is narrow and "not in the liver counts" was cut to "not in the
    liver …" (a reader's check)."""
    table.setWordWrap(True)
    rows = table.verticalHeader()
    rows.setMinimumSectionSize(height)
    rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)


class LesionTable(QTableWidget):
    """The open exam's lesions as a follow-up, its columns fitted to its width (:meth:`fit_columns`)."""

    def __init__(self) -> None:
        super().__init__(0, len(LESION_HEADERS))
        self.setHorizontalHeaderLabels(LESION_HEADERS)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(24)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setStyleSheet(SLIM_COMBOS)
        #: the widths the columns show their contents at (the choices shown whole), before they are fitted to the
        #: table's width (:meth:`fit_columns`)
        self.natural: list[int] = []
        self._least: dict[int, int] = {}  # a choice column's least width (CHOICE_CHARS)
        self.viewport().installEventFilter(self)
        _wrap_rows(self, 24)
        # six lesions (less a scroll bar's height), as in the lesion grid tabbed with this panel: a fixed least height (one that followed
        # the rows moved the image cells under a drag), about the one the treatment lines beside set before they
        # went to a tab of their own; without it the dock, and the grid with it, lost a row and a half at 1366 x 768
        self.setMinimumHeight(self.horizontalHeader().sizeHint().height() + 6 * 24 + 2 * self.frameWidth())
        # a clicked cell painted blue read as a ticked box (a reader's check): the current lesion is
        # the green row, nothing else is selected
        self.setSelectionMode(QTableWidget.SelectionMode.NoSelection)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize and watched is self.viewport():
            self.fit_columns()  # the split moved, a scroll bar came or went
        return super().eventFilter(watched, event)

    def fill(self, project: Project, lesions: Sequence[Lesion], current: str | None,
             eligibility: Mapping[str, Any], guard: Guard, set_kind: Callable[[Lesion, FollowupKind | None], None],
             change: Callable[..., None]) -> None:
        """One row per lesion of ``lesions`` (``current``'s id green), its follow-up record's choices calling
        ``set_kind(lesion, kind)`` or ``change(lesion, **changes)`` through ``guard``; ``eligibility`` the
        engine's messages by tracking UID."""
        t = self

        def combo(row: int, column: int, items: list[tuple[str, Any]], value: Any,
                  on_change: Callable[..., None]) -> None:
            # a refused choice (a read-only project, the edit declined) puts back what is recorded
            cell_combo(t, row, column, items, value, lambda v: guard(lambda: on_change(v)))

        def check(row: int, column: int, value: bool, on_change: Callable[..., None]) -> None:
            cell_check(t, row, column, value, lambda v: guard(lambda: on_change(v)))

        t.setRowCount(len(lesions))
        for r, les in enumerate(lesions):
            f = project.lesion_followups.get(les.key)
            item = QTableWidgetItem(les.lesion_id)
            if les.lesion_id == current:
                item.setBackground(CURRENT_BRUSH)
            set_cell_item(t, r, 0, item)
            kind = f.kind if f is not None else None
            combo(r, 1, [(KIND_LABELS[k], k) for k in KIND_LABELS], kind, lambda v, les=les: set_kind(les, v))
            if f is None:
                for c in range(2, len(LESION_HEADERS)):
                    set_cell_widget(t, r, c, None)
                    set_cell_item(t, r, c, QTableWidgetItem(""))
                continue
            organs = list(ORGANS) + ([f.organ] if f.organ not in ORGANS else [])
            combo(r, 2, [(ORGAN_LABELS.get(o, o), o) for o in organs], f.organ,
                  lambda v, les=les: change(les, organ=v, nodal=v == "lymph_node"))
            check(r, 3, f.nodal, lambda v, les=les: change(les, nodal=v))
            statuses = [s for s in STATUS_ORDER if s in FOLLOWUP_STATUSES[f.kind]]
            combo(r, 4, [(s.label, s) for s in statuses], f.status, lambda v, les=les: change(les, status=v))
            check(r, 5, f.treated, lambda v, les=les: change(les, treated=v))
            others = [o for o in lesions if o.lesion_id != les.lesion_id]
            combo(r, 6, [("—", ""), *((o.lesion_id, o.tracking_uid) for o in others)], f.parent_tracking_uid,
                  lambda v, les=les: change(les, parent_tracking_uid=v))
            combo(r, 7, [(ROLE_HEADERS[ro], ro) for ro in READING_ROLES], f.assessed_role,
                  lambda v, les=les: change(les, assessed_role=v))
            why = list(eligibility.get(les.tracking_uid, ())) if f.kind is FollowupKind.TARGET else []
            changed = role_change(project, les)
            if changed:
                why.append(changed)
            words = why or (["eligible"] if f.kind is FollowupKind.TARGET else [])
            if not f.in_liver:
                words.append("not in the liver counts")
            cell = QTableWidgetItem("; ".join(words))
            if why:
                cell.setForeground(WARN)
            cell.setToolTip(cell.text())
            set_cell_item(t, r, 8, cell)
        t.resizeColumnsToContents()
        # a choice column as wide as the choices its rows show, not its longest choice ("unequivocal progression",
        # "T1 subtraction" where no row has it); a status no wider than "not assessed", a longer one elided
        status = LESION_HEADERS.index("Status")
        fm = t.fontMetrics()
        self._least = {}
        for c in CHOICE_COLUMNS:
            boxes = [b for r in range(t.rowCount()) if isinstance(b := t.cellWidget(r, c), CellCombo)]
            for b in boxes:
                b.slim_arrow = True  # SLIM_COMBOS
            if boxes:
                grid = 1 if t.showGrid() else 0  # a cell's widget is its column less the grid's line
                width = max(max(b.width_for() for b in boxes) + grid, t.horizontalHeader().sectionSizeFromContents(c).width())
                t.setColumnWidth(c, min(width, boxes[0].width_for("not assessed") + grid) if c == status else width)
                least = boxes[0].width_for("") + grid + CHOICE_CHARS * fm.averageCharWidth() + fm.horizontalAdvance("…")
                self._least[c] = min(t.columnWidth(c), max(least, fm.horizontalAdvance(LESION_HEADERS[c]) + TIGHT_MARGIN))
        self.natural = [t.columnWidth(c) for c in range(t.columnCount())]
        self.fit_columns()

    def fit_columns(self) -> None:
        """The columns within the table's width: the choices shown whole where they fit, the eligibility taking
        the rest (its text wrapping, at least its header); where they do not, the choice columns narrow in proportion
        to what they have over their least, their text elided (its tooltip whole); narrower still, every column whole
        and the table scrolls, as before. At 1600 px wide Series and Eligibility lay off the table behind a scroll bar
        (a radiologist's read under Xvfb, session 45)."""
        t, natural = self, self.natural
        if len(natural) != t.columnCount():
            return
        header = t.horizontalHeader()
        last = t.columnCount() - 1
        fm = header.fontMetrics()
        # first the header's margins of the columns of a check box, a lesion id or a parent (their header whole), then
        # the choices, elided, down to :data:`CHOICE_CHARS` ("t…" and "n…" would not tell a target from a new lesion);
        # the eligibility at least its header (a stretched last section is never narrower than the header's default
        # section size, 100 px, which put it 24 px past the table's edge: set here). No fit even so (1366 x 768): every
        # column whole as before, the eligibility on one line (squeezed, L5's rose to four lines: test_laptop_s38)
        widths = fit_widths(natural, t.viewport().width(),
                            min(header.sectionSizeFromContents(last).width(),
                                fm.horizontalAdvance(LESION_HEADERS[last]) + TIGHT_MARGIN),
                            ({c: fm.horizontalAdvance(LESION_HEADERS[c]) + TIGHT_MARGIN for c in TIGHT_COLUMNS},
                             {c: self._least.get(c, natural[c]) for c in CHOICE_COLUMNS}))
        for c, width in enumerate(widths):
            if t.columnWidth(c) != width:
                t.setColumnWidth(c, width)

    def needed_width(self, least: bool = False) -> int:
        """The width the table needs to show its columns whole, the eligibility's text wrapping beyond
        :data:`ELIGIBILITY_CHARS` characters (its header whole); ``least``: wrapping at its header's width."""
        t = self
        last = len(LESION_HEADERS) - 1
        fm = t.fontMetrics()
        texts = [item.text() for r in range(t.rowCount()) if (item := t.item(r, last)) is not None]
        pad = 2 * fm.averageCharWidth()
        header = t.horizontalHeader().sectionSizeFromContents(last).width()
        eligibility = header if least else max(header, min(max((fm.horizontalAdvance(x) + pad for x in texts), default=0),
                                                            ELIGIBILITY_CHARS * fm.averageCharWidth()))
        bar = t.verticalScrollBar()
        natural = self.natural if len(self.natural) == t.columnCount() else \
            [t.columnWidth(c) for c in range(t.columnCount())]
        return (sum(natural[:last]) + eligibility + 2 * t.frameWidth()
                + (bar.sizeHint().width() if bar.isVisible() else 0))
