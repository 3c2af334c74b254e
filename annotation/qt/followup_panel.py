"""The Follow-up panel: the reader's RECIST 1.1 / NEN side of the open exam and the patient's course.

A thin observer of a Reading and its Selection (like the lesion grid): it redraws after every
edit, undo or redo and changes the reading only through
:class:`annotation.followup.FollowupEditor` (each edit undoable, autosaved). Three parts:

* the open exam's lesions: kind (target / non-target / new), organ, nodal, status at this
  timepoint, treated locally, parent (lineage of split and merged lesions), the series the lesion
  is assessed on (fixed at baseline; a change flagged), and the engine's eligibility messages;
* treatment lines (name, start, end) with the baseline per line (a new line offers one: the latest
  timepoint on or before its start);
* the live response table, one row per timepoint (the open exam's highlighted).

The engine lives in the analysis layer, above this one: the window hands it in as ``assess``
(``analysis.response_live.live_course``), so this module stays free of it.
"""

from __future__ import annotations

import datetime as _dt
import html
from typing import Any, Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QSplitter, QTabWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from annotation.followup import (FollowupEditor, assessed_dates, role_change, suggested_baseline, timepoint_of_pair,
                                 timepoints_of)
from annotation.followup_records import ORGANS, LesionFollowup, shown_pct
from annotation.project import Project
from annotation.qt.cells import CellCombo, TypedTable, cell_check, cell_combo, set_cell_item, set_cell_widget
from annotation.qt.column_fit import fit_widths
from annotation.qt.combo import leave_keys_to_images
from annotation.qt.panels import CURRENT_BRUSH, ROLE_HEADERS, _Observer
from annotation.records import Lesion, Measurement, NotMeasurable
from annotation.selection import Selection
from annotation.vocab import FOLLOWUP_STATUSES, FollowupKind, FollowupStatus
from viewer.errors import LesionlabError
from viewer.records import READING_ROLES

#: (project, reader, patient, open exam date) -> the live course (analysis.response_live.LiveCourse).
Assess = Callable[[Project, str, str, "_dt.date | None"], Any]
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
LINE_HEADERS = ("Line", "Name", "Start", "End", "Baseline")
#: the treatment lines' tab, with their number (the lines and baselines share the dock with the responses)
LINES_TAB = "Treatment lines and baselines"
#: the overall and best responses next to the date: at 1366 x 768 the table showed up to "New", the open exam's
#: Overall PD (a new lesion) beyond the panel's edge beside Target PR (a radiologist's check on a laptop)
RESPONSE_HEADERS = ("Date", "Overall", "Best", "Sum mm", "Δ base %", "Δ nadir %", "Target", "Non-target", "New",
                    "Slow PD", "TGR %/mo", "Note")
OVERALL_COLUMN = RESPONSE_HEADERS.index("Overall")
BEST_COLUMN = RESPONSE_HEADERS.index("Best")
#: the response columns kept in view when the lesion table takes more of the panel's width (through "New": what
#: makes a PD)
RESPONSE_KEPT = RESPONSE_HEADERS.index("New") + 1
#: the lesion table's share of the panel's width, at least (the responses the rest; at 1366 x 768 what it has)
LESIONS_SHARE = 0.45
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
#: the panel's line under its tables: red for a refusal, the text's own colour for a note ("line 3 added: name it…"
#: read as an error in red, a check under Xvfb, session 45)
REFUSAL_STYLE, NOTE_STYLE = "color: #ff7070", ""
BASELINE_BRUSH = QBrush(QColor(40, 60, 96))


def _fmt(value: float | None, signed: bool = False) -> str:
    """A size (a tenth of a mm) or, ``signed``, a % change (shown_pct: a hundredth more near RECIST's limits)."""
    if value is None:
        return ""
    return shown_pct(value) if signed else f"{value:.1f}"


def _word(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(getattr(value, "value", value))
    return "non-CR/non-PD" if text == "non_cr_non_pd" else text.replace("_", " ")


def _wrap_rows(table: QTableWidget, height: int) -> None:
    """The last column's text (a lesion's eligibility) wraps and its row grows to hold it, at least
    ``height`` px (a combo's): the dock is narrow and "not in the liver counts" was cut to "not in the
    liver …" (a reader's check)."""
    table.setWordWrap(True)
    rows = table.verticalHeader()
    rows.setMinimumSectionSize(height)
    rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)


class FollowupPanel(_Observer):
    """The open exam's lesions as a follow-up, treatment lines and baselines, and the live responses."""

    def __init__(self, selection: Selection, assess: Assess, parent: QWidget | None = None) -> None:
        self.assess = assess
        self.live: Any = None
        # what the tables were last scrolled to show (pair, lesion or exam, rows): scrolled again only on a change
        self._scrolled_lesions: tuple[Any, ...] | None = None
        #: whether a panel out of view (its dock's tab not raised, its dock closed) waits to be shown to redraw (the app
        #: sets it and calls shown_again; a panel on its own redraws at once), and whether it has edits to draw
        self.wait_while_hidden = False
        self._stale = False
        super().__init__(selection, parent)
        self.editor = FollowupEditor(selection.reading)
        #: how the header names a patient (the app names a blinded study case by its code)
        self.patient_label: Callable[[str], str] = lambda patient_id: patient_id
        #: the exam on screen when it is not recorded yet (its record is made at its first edit): (patient id, its
        #: date as shown, the date), or None (the app sets it: a reader's check read "No exam of this reading yet"
        #: and an empty course on a follow-up exam just opened)
        self.opened: Callable[[], tuple[str, str, _dt.date | None] | None] = lambda: None
        self.header = QLabel()
        self.header.setWordWrap(True)
        # two lines held (it wraps beside its button): a wrapped label's height is not its least one, and the panel
        # at its least height cut the lesion table's foot by the second line
        self.header.setMinimumHeight(2 * self.header.fontMetrics().lineSpacing())
        self.lesions = QTableWidget(0, len(LESION_HEADERS))
        self.lesions.setHorizontalHeaderLabels(LESION_HEADERS)
        self.lesions.verticalHeader().setVisible(False)
        self.lesions.verticalHeader().setDefaultSectionSize(24)
        self.lesions.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.lesions.setStyleSheet(SLIM_COMBOS)
        #: the widths the lesion table's columns show their contents at (the choices shown whole), before they are
        #: fitted to the table's width (:meth:`_fit_columns`)
        self._natural: list[int] = []
        self._least: dict[int, int] = {}  # a choice column's least width (CHOICE_CHARS)
        self.lesions.viewport().installEventFilter(self)
        _wrap_rows(self.lesions, 24)
        # six lesions (less a scroll bar's height), as in the lesion grid tabbed with this panel: a fixed least height (one that followed
        # the rows moved the image cells under a drag), about the one the treatment lines beside set before they
        # went to a tab of their own; without it the dock, and the grid with it, lost a row and a half at 1366 x 768
        self.lesions.setMinimumHeight(self.lesions.horizontalHeader().sizeHint().height() + 6 * 24
                                      + 2 * self.lesions.frameWidth())
        # a clicked cell painted blue read as a ticked box (a reader's check): the current lesion is
        # the green row, nothing else is selected
        self.lesions.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.lesions.cellClicked.connect(self._lesion_clicked)
        # the lesion table's width counts its scroll bar while it shows: fitted again once the bar comes or goes (the
        # dock grown to show every row hid it after the last fit, and the 14 px it left the lesions put TGR off the
        # responses' right edge at 1920 x 1080)
        self.lesions.verticalScrollBar().rangeChanged.connect(lambda *_: QTimer.singleShot(0, self, self._fit_split))
        measured = QPushButton("Lines drawn → measured")
        measured.setToolTip("carried lesions 'not assessed' whose line is drawn on their series become 'measured' "
                            "(targets, new lesions) or 'present' (non-targets)")
        measured.clicked.connect(lambda: self._try(self._mark_measured))
        self.lines = TypedTable(0, len(LINE_HEADERS), self._clear_line_cell)
        self.lines.setHorizontalHeaderLabels(LINE_HEADERS)
        self.lines.verticalHeader().setVisible(False)
        self.lines.verticalHeader().setDefaultSectionSize(24)
        self.lines.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.lines.itemChanged.connect(self._line_edited)

        add, remove = QPushButton("Add line"), QPushButton("Remove line")
        add.clicked.connect(lambda: self._try(self._add_line))
        remove.clicked.connect(lambda: self._try(self._remove_line))
        self.responses = QTableWidget(0, len(RESPONSE_HEADERS))
        self.responses.setHorizontalHeaderLabels(RESPONSE_HEADERS)
        best_header = self.responses.horizontalHeaderItem(RESPONSE_HEADERS.index("Best"))
        if best_header is not None:
            best_header.setToolTip("best overall response so far, from the baseline; a CR or PR no later exam confirms "
                                   "(28 days or more later) is marked * (unconfirmed; lesionlab response --confirm "
                                   "asks for the confirmation)")
        self.responses.verticalHeader().setVisible(False)
        self.responses.verticalHeader().setDefaultSectionSize(22)
        self.responses.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.responses.horizontalHeader().setStretchLastSection(True)
        self.responses.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.messages = QLabel()
        self.messages.setWordWrap(True)
        self.messages.setStyleSheet("color: #ffaa50")
        self.status.setStyleSheet(REFUSAL_STYLE)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()  # the button beside the header, not in a row of its own: a lesion row more in view
        row.addWidget(self.header, 1)
        row.addWidget(measured, 0, Qt.AlignmentFlag.AlignTop)
        lv.addLayout(row)
        lv.addWidget(self.lesions, 1)
        # the responses and the treatment lines as two tabs: in one column the dock's least height (where it stays
        # at 1366 x 768 and 1920 x 1080) left each table 70 px, one response row and a half in view (radiologists'
        # reads on a laptop and at 1900 x 1050). No minimum height is set: one moved the image cells under a drag
        # (the dock's least height changed). The open exam's response row is scrolled into view.
        responses = QWidget()
        rv = QVBoxLayout(responses)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.responses, 1)
        rv.addWidget(self.messages)
        lines = QWidget()
        cv = QVBoxLayout(lines)
        cv.setContentsMargins(0, 0, 0, 0)
        lines_row = QHBoxLayout()
        lines_row.addStretch(1)
        lines_row.addWidget(add)
        lines_row.addWidget(remove)
        cv.addLayout(lines_row)
        cv.addWidget(self.lines, 1)
        self.course = QTabWidget()
        self.course.setDocumentMode(True)
        self.course.addTab(responses, "Response per timepoint")
        self.course.setTabToolTip(0, "RECIST 1.1; NEN slow progression; tumour growth rate")
        self.course.addTab(lines, LINES_TAB)
        for w in (self.course, self.course.tabBar()):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a click on a tab leaves the keys to the images
        course = self.course
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(course)
        split.setSizes([450, 550])  # proportions: the lesion table has nine columns, most of them choices
        self.split = split
        #: whether the reader dragged the handle between the lesions and the responses (then kept where it is)
        self.split_by_reader = False
        split.splitterMoved.connect(self._split_moved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        self._filling = False
        self.refresh()
        leave_keys_to_images(self)

    # ------------------------------------------------------------------ model
    @property
    def project(self) -> Project:
        return self.reading.project

    def _lesions(self) -> list[Lesion]:
        pair = self.selection.pair
        if pair is None:
            return []
        return self.project.lesions_of(pair[0], pair[1], self.reading.reader)

    def _open_date(self) -> _dt.date | None:
        pair = self.selection.pair
        rec = self.project.exam_pairs.get(pair) if pair else None
        return (rec.ct_date or rec.mri_date) if rec is not None else None

    def _row_date(self) -> _dt.date | None:
        """The open exam's date in the response table: its timepoint's assessed date (the date of the series its
        targets are assessed on, annotation.followup.assessed_date), else the exam's date."""
        pair = self.selection.pair
        tp = timepoint_of_pair(self.project, pair[0], pair[1]) if pair else None
        if pair is None or tp is None:
            return self._open_date()
        return assessed_dates(self.project, self.reading.reader, pair[0]).get(tp.key) or self._open_date()

    def _pair(self) -> tuple[str, str]:
        if self.selection.pair is None:
            raise LesionlabError("open an exam first")
        return self.selection.pair

    # ------------------------------------------------------------------ drawing
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """Shown (its tab raised): the lesion read and the open exam's response scrolled into view again -- a
        table scrolled while hidden has no rows laid out (a reader's check saw 2024-03-12's PD row hidden)."""
        super().showEvent(event)
        self.shown_again()
        QTimer.singleShot(0, self, self.refresh)  # not after the panel is gone

    def shown_again(self) -> None:
        """Its tab raised (a tabbed dock's panel is moved out of view, not hidden: no show event then; the window
        calls this from the dock's visibilityChanged): the edits made meanwhile are drawn, the lesion read and the
        open exam's response scrolled into view again."""
        self._scrolled_lesions = None
        if self._stale:  # drawn now, though the dock may not have moved its tab into view yet
            self._draw()
            # laid out at once: the header's request posted while the tab was out of view was not run, and a wrapped
            # header kept the height of the text it had then, cutting the lesion table's foot (test_laptop_s38)
            for widget in (self.lesions.parentWidget(), self):
                lay = widget.layout() if widget is not None else None
                if lay is not None:
                    lay.activate()

    def _split_moved(self) -> None:
        self.split_by_reader = True

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_split()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize and watched is self.lesions.viewport():
            self._fit_columns()  # the split moved, a scroll bar came or went
        return super().eventFilter(watched, event)

    def _fit_columns(self) -> None:
        """The lesion table's columns within its width: the choices shown whole where they fit, the eligibility taking
        the rest (its text wrapping, at least its header); where they do not, the choice columns narrow in proportion
        to what they have over their least, their text elided (its tooltip whole); narrower still, every column whole
        and the table scrolls, as before. At 1600 px wide Series and Eligibility lay off the table behind a scroll bar
        (a radiologist's read under Xvfb, session 45)."""
        t, natural = self.lesions, self._natural
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

    def lesions_width(self, least: bool = False) -> int:
        """The width the lesion table needs to show its columns whole, the eligibility's text wrapping beyond
        :data:`ELIGIBILITY_CHARS` characters (its header whole); ``least``: wrapping at its header's width."""
        t = self.lesions
        last = len(LESION_HEADERS) - 1
        fm = t.fontMetrics()
        texts = [item.text() for r in range(t.rowCount()) if (item := t.item(r, last)) is not None]
        pad = 2 * fm.averageCharWidth()
        header = t.horizontalHeader().sectionSizeFromContents(last).width()
        eligibility = header if least else max(header, min(max((fm.horizontalAdvance(x) + pad for x in texts), default=0),
                                                            ELIGIBILITY_CHARS * fm.averageCharWidth()))
        bar = t.verticalScrollBar()
        natural = self._natural if len(self._natural) == t.columnCount() else \
            [t.columnWidth(c) for c in range(t.columnCount())]
        return (sum(natural[:last]) + eligibility + 2 * t.frameWidth()
                + (bar.sizeHint().width() if bar.isVisible() else 0))

    def _fit_split(self) -> None:
        """The lesion table given the width it needs (at 1920 x 1080 the Eligibility column was cut to "Eligibili" and
        L5's "not in the liver counts" to "n", a radiologist's check) as far as the responses keep their columns
        through "New" in view; never less than :data:`LESIONS_SHARE` of the width, nor once the reader has dragged
        the handle between them. The eligibility's text wraps narrower (down to its header's width) where that keeps
        the responses through TGR in view: with the lesion table's scroll bar (more than 12 lesions at 1920 x 1080)
        TGR sat 4 px past the edge (a reader's check)."""
        split = self.split
        width = split.width() - split.handleWidth()
        if self.split_by_reader or width <= 0 or not self.isVisible():
            return
        r = self.responses

        def through(column: int) -> int:
            return sum(r.columnWidth(c) for c in range(column + 1)) + 2 * r.frameWidth()

        need, tgr = self.lesions_width(), width - through(RESPONSE_HEADERS.index("TGR %/mo"))
        wanted = tgr if tgr >= self.lesions_width(least=True) else need  # no narrower where TGR would not fit anyway
        left = max(round(LESIONS_SHARE * width), min(need, wanted, width - through(RESPONSE_KEPT - 1)))
        if abs(split.sizes()[0] - left) > 2:
            split.setSizes([left, width - left])

    def height_missing(self) -> int:
        """How many pixels more the panel needs to show every lesion row and every response row whole (0 when it
        does): the window grows its dock by as much as the images can spare (app/docks.py)."""
        def missing(table: QTableWidget) -> int:
            bar = table.horizontalScrollBar()
            rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
            wanted = rows + table.horizontalHeader().height() + 2 * table.frameWidth() + (
                bar.sizeHint().height() if bar.isVisible() else 0)
            return max(0, wanted - table.height())
        return max(missing(self.lesions), missing(self.responses))

    def _scroll_later(self, table: QTableWidget, row: int) -> None:
        """Scroll ``row`` of ``table`` into view once the table has laid out its rows (scrolled at once, right
        after they were filled, the view had not: the open exam's PD row stayed hidden below the others)."""
        def scroll() -> None:
            if row < table.rowCount():
                table.scrollTo(table.model().index(row, 0), QAbstractItemView.ScrollHint.EnsureVisible)
        QTimer.singleShot(0, self, scroll)

    def refresh(self) -> None:
        if not hasattr(self, "lesions"):
            return  # the base class subscribes before the widgets exist
        if self.wait_while_hidden and self.visibleRegion().isEmpty():
            # its tab behind the lesion grid (a baseline read): drawn when shown. Each edit, undo or redo went
            # through every lesion's row of the hidden table, 14 ms of a Ctrl+Z's 36 with 54 lesions (a reader's check)
            self._stale = True
            return
        self._draw()

    def _draw(self) -> None:
        self._stale = False
        pair = self.selection.pair
        reader = self.reading.reader
        opened = self.opened() if pair is None else None
        self.live = self.assess(self.project, reader, pair[0], self._row_date()) if pair else \
            self.assess(self.project, reader, opened[0], opened[2]) if opened is not None else None
        self._filling = True
        try:
            self._fill_header()
            self._fill_lesions()
            self._fill_lines()
            self._fill_responses()
        finally:
            self._filling = False
        self._fit_split()  # the columns' widths known
        live = self.live
        lines = [f"⚠ baseline {live.baseline_date}: {f}" for f in live.flags] if live is not None else []
        lines += [f"· {n}" for n in live.notes] if live is not None else []
        # the open exam's note in full: its cell in the table's narrow last column is cut
        here = self._row_date()
        flags = set(live.flags) if live is not None else set()
        for x in live.responses if live is not None else ():
            # its parts said as the baseline's flags just above are not said twice (a reader's check: at a new
            # baseline the two warnings filled the space of the response rows twice over)
            rest = [part for part in x.note.split("; ") if part and part not in flags] if x.note else []
            if x.timepoint_date == here and rest:
                lines.append(f"· {x.timepoint_date}: {'; '.join(rest)}")
        self.messages.setText("\n".join(lines))

    def _fill_header(self) -> None:
        pair = self.selection.pair
        opened = self.opened() if pair is None else None
        if pair is None and opened is not None:
            blinded = self.patient_label(opened[0]) != opened[0]
            known = bool(self.project.pairs_of(opened[0]))  # an exam read before: P and Shift+P have a prior
            self.header.setText(f"<b>{html.escape(self.patient_label(opened[0]))}</b> · exam "
                                f"{'on screen' if blinded else html.escape(opened[1])} · nothing recorded on it yet: "
                                + ("P shows the prior exam, Shift+P carries its lesions, N starts a new one" if known
                                   else "N starts a lesion"))
            return
        if pair is None:
            self.header.setText("No exam of this reading yet: open one, then N starts a lesion and Shift+P carries the "
                                "prior exam's. Its lesions as a follow-up (target, non-target, new) show here.")
            return
        tps = timepoints_of(self.project, pair[0])
        here = timepoint_of_pair(self.project, pair[0], pair[1])
        blinded = self.patient_label(pair[0]) != pair[0]  # a study case named by its code: no exam dates either
        when = None if blinded else self._open_date()
        where = (f"timepoint {tps.index(here) + 1} of {len(tps)}" if here is not None
                 else "not a timepoint yet (recorded at its first follow-up edit)" if self._open_date() is not None
                 else "not a timepoint: the exam has no date, its follow-up is left out of the response")
        base = self.live.baseline_date if self.live is not None else None
        if blinded:  # a study case: no exam id, timepoint or baseline date to place it in the patient's course
            self.header.setText(f"<b>{html.escape(self.patient_label(pair[0]))}</b> · exam on screen")
            return
        self.header.setText(f"<b>{html.escape(self.patient_label(pair[0]))}</b> · exam {when or pair[1]} · {where}"
                            + (f" · baseline {base}" if base else ""))

    def _fill_lesions(self) -> None:
        t = self.lesions
        lesions = self._lesions()
        t.setRowCount(len(lesions))
        eligibility = self.live.eligibility if self.live is not None else {}
        for r, les in enumerate(lesions):
            f = self.project.lesion_followups.get(les.key)
            item = QTableWidgetItem(les.lesion_id)
            if les.lesion_id == self.selection.lesion_id:
                item.setBackground(CURRENT_BRUSH)
            set_cell_item(t, r, 0, item)
            kind = f.kind if f is not None else None
            self._combo(t, r, 1, [(KIND_LABELS[k], k) for k in KIND_LABELS], kind,
                        lambda v, les=les: self._set_kind(les, v))
            if f is None:
                for c in range(2, len(LESION_HEADERS)):
                    set_cell_widget(t, r, c, None)
                    set_cell_item(t, r, c, QTableWidgetItem(""))
                continue
            organs = list(ORGANS) + ([f.organ] if f.organ not in ORGANS else [])
            self._combo(t, r, 2, [(ORGAN_LABELS.get(o, o), o) for o in organs], f.organ,
                        lambda v, les=les: self._change(les, organ=v, nodal=v == "lymph_node"))
            self._check(t, r, 3, f.nodal, lambda v, les=les: self._change(les, nodal=v))
            statuses = [s for s in STATUS_ORDER if s in FOLLOWUP_STATUSES[f.kind]]
            self._combo(t, r, 4, [(s.label, s) for s in statuses], f.status,
                        lambda v, les=les: self._change(les, status=v))
            self._check(t, r, 5, f.treated, lambda v, les=les: self._change(les, treated=v))
            others = [o for o in lesions if o.lesion_id != les.lesion_id]
            self._combo(t, r, 6, [("—", ""), *((o.lesion_id, o.tracking_uid) for o in others)], f.parent_tracking_uid,
                        lambda v, les=les: self._change(les, parent_tracking_uid=v))
            self._combo(t, r, 7, [(ROLE_HEADERS[ro], ro) for ro in READING_ROLES], f.assessed_role,
                        lambda v, les=les: self._change(les, assessed_role=v))
            why = list(eligibility.get(les.tracking_uid, ())) if f.kind is FollowupKind.TARGET else []
            changed = role_change(self.project, les)
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
        self._natural = [t.columnWidth(c) for c in range(t.columnCount())]
        self._fit_columns()
        t.resizeRowsToContents()
        current = next((r for r, les in enumerate(lesions) if les.lesion_id == self.selection.lesion_id), None)
        shown = (self.selection.pair, self.selection.lesion_id, len(lesions))
        if current is not None and shown != self._scrolled_lesions:
            # the lesion read comes into view when it (or the rows) change (a reader's check: the new L6 below the
            # fold); not at every edit, which threw a reader editing L20 back to L1 (a review)
            self._scroll_later(t, current)
        self._scrolled_lesions = shown

    def _fill_lines(self) -> None:
        pair = self.selection.pair
        t = self.lines
        if pair is None:
            t.setRowCount(0)
            self.course.setTabText(1, LINES_TAB)
            return
        patient = pair[0]
        lines = sorted((x for x in self.project.treatment_lines.values() if x.patient_id == patient),
                       key=lambda x: x.line_number)
        tps = timepoints_of(self.project, patient)
        t.setRowCount(len(lines) + 1)
        for r, line in enumerate([None, *lines]):
            number = line.line_number if line is not None else 0
            cells = (str(number), line.name if line else "before any line",
                     line.start_date.isoformat() if line else "", line.end_date.isoformat() if line and line.end_date
                     else "")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if line is None or c == 0:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                elif c == 1:
                    item.setToolTip(text)  # "177Lu-DOTATATE (PRRT), 4 …" whole
                item.setData(Qt.ItemDataRole.UserRole, number)
                set_cell_item(t, r, c, item)
            # the baseline's cell is its combo box: an empty cell's item is editable by default, and a key typed on
            # the selected cell opened a text editor over the box
            baseline = QTableWidgetItem()
            baseline.setFlags(baseline.flags() & ~Qt.ItemFlag.ItemIsEditable)
            set_cell_item(t, r, 4, baseline)
            chosen = self.project.followup_baselines.get((patient, self.reading.reader, number))
            offer = suggested_baseline(self.project, patient, number) if number else None
            none = f"— (offer: {offer.exam_date})" if offer is not None and chosen is None else "—"
            self._combo(t, r, 4, [(none, ""), *((tp.exam_date.isoformat(), tp.timepoint_id) for tp in tps)],
                        chosen.timepoint_id if chosen else "", lambda v, n=number: self._set_baseline(n, v))
        t.resizeColumnToContents(0)
        t.resizeColumnToContents(4)
        self.course.setTabText(1, f"{LINES_TAB} ({len(lines)})")

    def _fill_responses(self) -> None:
        t = self.responses
        rows = list(self.live.responses) if self.live is not None else []
        here = self._row_date()
        pair = self.selection.pair
        dated = assessed_dates(self.project, self.reading.reader, pair[0]) if pair else {}
        exams = {dated.get(tp.key, tp.exam_date): ", ".join(tp.exam_pair_ids)
                 for tp in timepoints_of(self.project, pair[0])} if pair else {}
        t.setRowCount(len(rows))
        for r, x in enumerate(rows):
            tgr = x.tgr_pct_per_month
            best = _word(x.best_overall_response)
            if best and x.best_overall_response != x.best_overall_response_confirmed:
                best += "*"  # a CR / PR no later exam confirms yet (a radiologist's check read it as final)
            overall = _word(x.overall_response)
            # "baseline" where a baseline has no response: in the date's cell it made that column 131 px wide, and TGR
            # lay off the right of the table at 1920 x 1080 (session 40's closing note)
            values = (x.timepoint_date.isoformat() + (" baseline" if x.is_baseline and overall else ""),
                      overall or ("baseline" if x.is_baseline else ""),
                      best, _fmt(x.sum_mm), _fmt(x.change_from_baseline_pct, True),
                      _fmt(x.change_from_nadir_pct, True), _word(x.target_response), _word(x.non_target_response),
                      _word(x.new_lesions), _word(x.nen_slow_progression), "" if tgr is None else f"{tgr:+.2f}", x.note)
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if x.timepoint_date == here:
                    item.setBackground(CURRENT_BRUSH)
                elif x.is_baseline:
                    item.setBackground(BASELINE_BRUSH)
                if c == OVERALL_COLUMN and text == "PD":
                    # bold as well as light red: on the open exam's green row red alone read weakly, and a red /
                    # green pair is lost to the commonest colour blindness (a reader's check)
                    item.setForeground(QColor(255, 150, 140))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                tip = x.note if c == len(values) - 1 else f"exam {exams.get(x.timepoint_date, '')}"
                if c == BEST_COLUMN and best.endswith("*"):
                    tip = f"{best[:-1]} unconfirmed: no exam 28 days or more later confirms it yet; {tip}"
                item.setToolTip(tip)
                set_cell_item(t, r, c, item)
        t.resizeColumnsToContents()
        # the open exam's row (its last: a line's closing row comes before a new baseline's) in view at every
        # refresh: the table is read, not edited, and a scroll once per exam was lost under later refreshes
        current = max((r for r, x in enumerate(rows) if x.timepoint_date == here), default=None)
        if current is not None:
            self._scroll_later(t, current)

    def _combo(self, table: QTableWidget, row: int, column: int, items: list[tuple[str, Any]], current: Any,
               on_change: Callable[..., None]) -> None:
        # a refused choice (a read-only project, the edit declined) puts back what is recorded
        cell_combo(table, row, column, items, current, lambda v: self._edit_or_put_back(lambda: on_change(v)))

    def _check(self, table: QTableWidget, row: int, column: int, value: bool, on_change: Callable[..., None]) -> None:
        cell_check(table, row, column, value, lambda v: self._edit_or_put_back(lambda: on_change(v)))

    # ------------------------------------------------------------------ edits (FollowupEditor, undoable)
    def _lesion_clicked(self, row: int, _column: int) -> None:
        lesions = self._lesions()
        if 0 <= row < len(lesions):
            self.selection.set_lesion(lesions[row].lesion_id)

    def _set_kind(self, lesion: Lesion, kind: FollowupKind | None) -> None:
        pair = self._pair()
        if kind is None:
            self.editor.clear_lesion_followup(pair, lesion.lesion_id)
            return
        old = self.project.lesion_followups.get(lesion.key)
        default = DEFAULT_STATUS[kind]
        seen = (Measurement, NotMeasurable) if kind is FollowupKind.NEW else (Measurement,)
        if not any(isinstance(o, seen) for _r, o in lesion.observations):
            # a lesion carried from the prior exam, no line drawn here yet: not assessed until the reader
            # measures or looks at it (choosing its kind recorded it "measured", a reader's check); a new lesion
            # with nothing recorded likewise (it made the exam PD, a review)
            default = FollowupStatus.NOT_ASSESSED
        if old is None:
            self.editor.set_lesion_followup(pair, lesion.lesion_id, kind, status=default)
            return
        status = old.status if old.status in FOLLOWUP_STATUSES[kind] else default
        self._change(lesion, kind=kind, status=status)

    def _change(self, lesion: Lesion, **changes: Any) -> None:
        old: LesionFollowup | None = self.project.lesion_followups.get(lesion.key)
        if old is None:
            raise LesionlabError(f"choose {lesion.lesion_id}'s kind first (target, non-target or new)")
        now = {"kind": old.kind, "status": old.status, "organ": old.organ, "nodal": old.nodal,
               "assessed_role": old.assessed_role, "treated": old.treated,
               "parent_tracking_uid": old.parent_tracking_uid, **changes}
        self.editor.set_lesion_followup(self._pair(), lesion.lesion_id, **now)

    def _try(self, action) -> bool:  # type: ignore[no-untyped-def]
        self.status.setStyleSheet(REFUSAL_STYLE)  # a refusal's colour, unless the action leaves a note (_note)
        return super()._try(action)

    def _note(self, text: str) -> None:
        """A note on what was done, under the tables, not in a refusal's red."""
        self.status.setStyleSheet(NOTE_STYLE)
        self.status.setText(text)

    def _mark_measured(self) -> None:
        done = self.editor.mark_measured(self._pair())
        kinds = {f.kind for lid in done if (f := self.project.lesion_followups.get((*self._pair(), self.reading.reader, lid)))}
        present = " (non-targets: present)" if FollowupKind.NON_TARGET in kinds else ""
        self._note(f"{', '.join(done)} measured{present}" if done else
                   "no carried lesion has its line drawn on its series yet")

    def _set_baseline(self, line_number: int, timepoint_id: str) -> None:
        patient = self._pair()[0]
        if timepoint_id:
            self.editor.choose_baseline(patient, timepoint_id, line_number)
        else:
            self.editor.clear_baseline(patient, line_number)

    def _add_line(self) -> None:
        patient = self._pair()[0]
        start = self._open_date() or _dt.date.today()
        n = 1 + max((x.line_number for x in self.project.treatment_lines.values() if x.patient_id == patient), default=0)
        line = self.editor.add_treatment_line(patient, f"treatment line {n}", start)
        offer = suggested_baseline(self.project, patient, line.line_number)
        self._note(f"line {line.line_number} added: name it and set its dates"
                   + (f"; its baseline could be {offer.exam_date}" if offer else ""))

    def _remove_line(self) -> None:
        row = self.lines.currentRow()
        item = self.lines.item(row, 0) if row >= 0 else None
        number = item.data(Qt.ItemDataRole.UserRole) if item is not None else 0
        if not number:
            raise LesionlabError("select a treatment line first")
        self.editor.delete_treatment_line(self._pair()[0], number)

    def _clear_line_cell(self, row: int, column: int) -> None:
        """Del or Backspace on a treatment line's selected cell, as in a spreadsheet: the End date is cleared (an edit,
        undoable and saved), the baseline chosen too; the Name and Start, which a line needs, open their editor
        empty (Enter keeps what is typed, Esc the old text); the Line number and the row before any line are not
        cleared: the status says how a line goes."""
        t = self.lines
        item = t.item(row, 0)
        number = item.data(Qt.ItemDataRole.UserRole) if item is not None else 0
        what = LINE_HEADERS[column] if 0 <= column < len(LINE_HEADERS) else ""
        if what == "Baseline":
            chosen = self.project.followup_baselines.get((self._pair()[0], self.reading.reader, number or 0))
            if chosen is None:
                self.say("no baseline chosen on that row: nothing to clear")
            else:
                self._try(lambda: self._set_baseline(number or 0, ""))
            return
        if not number or what == "Line":
            self.say("Del clears a line's End date or baseline, or opens its Name or Start to type anew; "
                     + (f"Remove line deletes treatment line {number}" if number else
                        "the row before any line holds only the baseline; Remove line deletes a selected line"))
            return
        cell = t.item(row, column)
        if cell is None:
            return
        if what == "End":
            if not cell.text().strip():
                self.say(f"treatment line {number} has no end date: nothing to clear")
                return
            cell.setText("")  # _line_edited records it (undoable), or puts the record's back on a refusal
            return
        old = cell.text()
        t.edit(t.model().index(row, column))
        editor = QApplication.focusWidget()
        if isinstance(editor, QLineEdit):
            editor.clear()
        self.say(f"treatment line {number} needs its {what.lower()}: type it (Enter keeps it, Esc keeps "
                 f"{old or 'what it was'})")

    def _line_edited(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        number = item.data(Qt.ItemDataRole.UserRole)
        line = self.project.treatment_lines.get((self._pair()[0], number)) if number else None
        if line is None:
            return
        r = item.row()
        name, start, end = ((cell.text().strip() if (cell := self.lines.item(r, c)) is not None else "")
                            for c in (1, 2, 3))
        self._try(lambda: self.editor.set_treatment_line(line.patient_id, number, name, start, end or None))
        if self.status.text():
            self.refresh()  # the refused text goes back to the record's
