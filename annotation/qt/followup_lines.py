"""The Follow-up panel's treatment lines: the patient's lines (name, start, end), typed into their cells, with the
reader's baseline per line (a new line offers one: the latest timepoint on or before its start), and the row before
any line holding the first baseline.

Lines are numbered by start date (annotation.followup.lines_of): a line added with an earlier start than the others is
line 1, the others moving down one; each keeps its id in the store (the baselines chosen for it stay with it).

A line's start date is typed, as its end date is: Add line opens a row whose Start cell asks for it (amber, its
editor open, empty), and the line is recorded once a date is typed there (Enter); Esc adds none. It started on the
open exam's date until session 46, a date a treatment line almost never has (lines start between exams), recorded
unless the reader thought to change it.

A part of the panel (annotation.qt.followup_panel): it edits through the panel's
:class:`annotation.followup.FollowupEditor`, and the panel says what was recorded or refused, in one place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (QAbstractItemDelegate, QAbstractItemView, QApplication, QHBoxLayout, QHeaderView,
                               QLineEdit, QPushButton, QTableWidgetItem, QVBoxLayout, QWidget)

from annotation._validate import DATE_FORMS
from annotation.followup import NO_NAME, line_order, lines_of, suggested_baseline, timepoints_of
from annotation.qt.cells import (PlaceholderCells, TypedTable, cell_combo, reopen_cell, set_cell_item, set_cell_widget,
                                 show_widget)
from annotation.qt.panels import MISSING_BRUSH
from viewer.errors import LesionlabError

if TYPE_CHECKING:
    from annotation.qt.followup_panel import FollowupPanel

LINE_HEADERS = ("Line", "Name", "Start", "End", "Baseline")
NAME, START, END, BASELINE = (LINE_HEADERS.index(h) for h in ("Name", "Start", "End", "Baseline"))
#: the treatment lines' tab, with their number (the lines and baselines share the dock with the responses)
LINES_TAB = "Treatment lines and baselines"


@dataclass(frozen=True)
class _Refused:
    """A cell's text refused (Enter, a click elsewhere, the window closing) and not typed again since: asked about as
    the window closes or another exam or project opens, the panel's red line having been out of sight (a click on the
    browser refused it, and the exam changed under the reader's eye: session 47's review)."""

    patient_id: str
    line_number: int  # its id; 0: the line added, waiting for its start
    column: int
    typed: str


@dataclass
class _Moved:
    """The rows moved by an edit kept (a line added or re-dated before others): the line each row showed before
    (its id; -1 the line added, waiting for its start), where the rows and the columns lay (start, size) in the
    table's viewport (a cell selected since may have scrolled it)."""

    shown: list[int]
    spans: list[tuple[int, int]]
    columns: list[tuple[int, int]]


@dataclass
class _Added:
    """A line added (Add line) whose start date is not typed yet: not in the reading until it is; what was typed in its
    other cells meanwhile."""

    patient_id: str
    name: str = ""
    end: str = ""


class TreatmentLines(QWidget):
    """Add line and Remove line above the lines' table (``table``), one row per line after the row before any."""

    def __init__(self, panel: FollowupPanel) -> None:
        super().__init__()
        self.panel = panel
        self._filling = False
        self.table = TypedTable(0, len(LINE_HEADERS), self._clear_line_cell, self._escape)
        self.table.setHorizontalHeaderLabels(LINE_HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        # a long name wraps in its cell, the row as high as it needs: "177Lu-DOTATATE (PRRT), 4 …" was cut at
        # 1600 x 1000, whole only in its tooltip (session 46's reader)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(self._line_edited)
        # a line with no name says so, greyed (its record's name empty, the editor opening empty); it was recorded as
        # "treatment line", every such line alike in the table and in treatment_lines.csv (session 47's review)
        self._names = PlaceholderCells(NO_NAME, self.table)
        self.table.setItemDelegateForColumn(NAME, self._names)
        # Esc in any cell lets go of what was refused there: the Name column's own delegate too (connected only to the
        # table's default delegate, Esc in a Name never let go of its refused text: review48)
        for delegate in (self.table.itemDelegate(), self._names):
            if delegate is not None:
                delegate.closeEditor.connect(self._editor_closed)
        #: a line added whose start is still to type, and its row in the table (the last), or None
        self._added: _Added | None = None
        #: the last text refused in a cell, until the cell is typed again or let go (:meth:`unkept`)
        self._refused: _Refused | None = None
        self._added_row: int | None = None
        #: rows just moved by an edit a click on the table kept, until the click has landed (:meth:`_follow_click`)
        self._moved: _Moved | None = None
        #: how far a press so taken went, its moves and release going the same way until the release
        self._shift: QPointF | None = None
        #: the shift the last redirected click's release went by, and when: a double click's second press follows it
        self._last_shift: tuple[QPointF, float] | None = None
        self._sending = False
        self.table.viewport().installEventFilter(self)
        add, remove = QPushButton("Add line"), QPushButton("Remove line")
        add.clicked.connect(lambda: panel._try(self._add_line))
        remove.clicked.connect(lambda: panel._try(self._remove_line))
        cv = QVBoxLayout(self)
        cv.setContentsMargins(0, 0, 0, 0)
        lines_row = QHBoxLayout()
        lines_row.addStretch(1)
        lines_row.addWidget(add)
        lines_row.addWidget(remove)
        cv.addLayout(lines_row)
        cv.addWidget(self.table, 1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """A press on the table's cells whose own commit (the editor losing the keys to it) moved the rows under it --
        a line added or re-dated before others: the press goes to the line it was aimed at, the line its place showed
        when pressed, in its new row (:meth:`_after_moving`)."""
        if not isinstance(event, QMouseEvent) or self._sending:
            return False
        kind = event.type()
        last, self._last_shift = self._last_shift, None
        if kind == QEvent.Type.MouseButtonDblClick and last is not None \
                and time.monotonic() - last[1] <= QApplication.doubleClickInterval() / 1000.0:
            # a double click's second press comes after the first click's release: it goes where the first went (it
            # landed on the row the first was taken from, which Qt made current: typing then edited another line)
            self._shift = last[0]
            self._send(watched, event, last[0])
            return True
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            self._shift = None  # a release lost (a grab elsewhere): a new click is its own
        if self._shift is not None and (kind == QEvent.Type.MouseButtonRelease
                                        or kind == QEvent.Type.MouseMove and event.buttons() != Qt.MouseButton.NoButton):
            # the rest of that click goes with it: a move of a pixel, the button held, made the cell under the
            # pointer current again (Qt's drag selection), the release's click is the press's cell's
            shift = self._shift
            if kind == QEvent.Type.MouseButtonRelease:
                self._shift = None
                self._last_shift = (shift, time.monotonic())
            self._send(watched, event, shift)
            return True
        moved = self._moved
        if moved is None or kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            return False
        self._moved = None
        t = self.table
        at = event.position()
        aimed = next((n for n, (top, height) in zip(moved.shown, moved.spans) if top <= at.y() < top + height), None)
        column = next((c for c, (left, width) in enumerate(moved.columns) if left <= at.x() < left + width), None)
        target = next((r for r, n in enumerate(self._rows_shown()) if n == aimed), None)
        if aimed is None or column is None or target is None \
                or (target, column) == (t.rowAt(int(at.y())), t.columnAt(int(at.x()))):
            return False
        moved_to = QPointF(t.columnViewportPosition(column) + t.columnWidth(column) / 2,
                           t.rowViewportPosition(target) + t.rowHeight(target) / 2)
        self._shift = moved_to - at
        self._send(watched, event, self._shift)
        return True  # the press taken to its line's row instead

    def _send(self, to: QObject, event: QMouseEvent, shift: QPointF) -> None:
        """``event`` again, ``shift`` away (not taken again by :meth:`eventFilter`)."""
        self._sending = True
        try:
            QApplication.sendEvent(to, QMouseEvent(event.type(), event.position() + shift,
                                                   event.scenePosition() + shift, event.globalPosition() + shift,
                                                   event.button(), event.buttons(), event.modifiers()))
        finally:
            self._sending = False

    def _rows_shown(self) -> list[int]:
        """The line each row shows (its id; 0 the row before any line, -1 the line added waiting for its start)."""
        t = self.table
        return [-1 if r == self._added_row else int((item.data(Qt.ItemDataRole.UserRole) or 0)
                                                    if (item := t.item(r, 0)) is not None else 0)
                for r in range(t.rowCount())]

    def _spans(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Where the rows and the columns lie in the viewport: (start, size) each."""
        t = self.table
        return ([(t.rowViewportPosition(r), t.rowHeight(r)) for r in range(t.rowCount())],
                [(t.columnViewportPosition(c), t.columnWidth(c)) for c in range(t.columnCount())])

    def _after_moving(self, shown: list[int], spans: tuple[list[tuple[int, int]], list[tuple[int, int]]],
                      edited: int) -> None:
        """The rows filled again after an edit kept (line ``edited``): when they moved (a line added or re-dated
        before others), a press on the table that kept the edit -- the editor losing the keys to it -- lands once the
        rows have moved: on the row's place, another line's cell, where the end date typed for everolimus went to
        177Lu, which had taken its place (review48). It goes to the line aimed at (:meth:`eventFilter`); the keys that
        keep an edit (Enter, Tab) follow the edited line as before. Until the next turn of the event loop."""
        if QApplication.mouseButtons() == Qt.MouseButton.NoButton:
            return  # kept by a key (Enter, Tab), or by no press: a press later is its own
        shown = [edited if n == -1 and self._added is None else n for n in shown]
        if self._rows_shown() == shown:
            return
        self._moved = _Moved(shown, *spans)
        QTimer.singleShot(0, self, self._forget_moved)

    def _forget_moved(self) -> None:
        self._moved = None

    def fill(self) -> int | None:
        """The open exam's patient's lines; how many (None: no exam open)."""
        self._filling = True
        try:
            return self._fill()
        finally:
            self._filling = False

    def _fill(self) -> int | None:
        panel = self.panel
        pair = panel.selection.pair
        t = self.table
        # an exam opened and nothing recorded on it yet (no exam record): its patient's lines all the same (a reader
        # under Xvfb, session 46: the tab was empty and uncounted until the first edit, the 3 lines then appearing)
        opened = panel.opened() if pair is None else None
        if pair is None and opened is None:
            t.setRowCount(0)
            return None
        patient = pair[0] if pair is not None else opened[0] if opened is not None else ""
        project = panel.project
        lines = lines_of(project, patient)
        tps = timepoints_of(project, patient)
        if self._added is not None and self._added.patient_id != patient:
            self._added = None  # another patient's exam opened: the line added there is dropped, untyped
        refused = self._refused
        if refused is not None and (refused.patient_id != patient or refused.line_number
                                    and all(x.line_number != refused.line_number for x in lines)):
            self._refused = None  # another patient's, or its line gone (undone, removed)
        t.setRowCount(len(lines) + 1 + (self._added is not None))
        for r, line in enumerate([None, *lines]):
            number = line.line_number if line is not None else 0  # its id (the row's place is its number shown)
            cells = (str(r), line.name if line else "before any line",
                     line.start_date.isoformat() if line else "", line.end_date.isoformat() if line and line.end_date
                     else "")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if line is None or c == 0:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                elif c == 1:
                    # "177Lu-DOTATATE (PRRT), 4 …" whole; a line with no name says so (NameCells shows it)
                    item.setToolTip(text or f"{NO_NAME}: type line {r}'s name here")
                item.setData(Qt.ItemDataRole.UserRole, number)
                set_cell_item(t, r, c, item)
            # the baseline's cell is its combo box: an empty cell's item is editable by default, and a key typed on
            # the selected cell opened a text editor over the box
            baseline = QTableWidgetItem()
            baseline.setFlags(baseline.flags() & ~Qt.ItemFlag.ItemIsEditable)
            set_cell_item(t, r, 4, baseline)
            chosen = project.followup_baselines.get((patient, panel.reading.reader, number))
            offer = suggested_baseline(project, patient, number) if number else None
            none = f"— (offer: {offer.exam_date})" if offer is not None and chosen is None else "—"
            cell_combo(t, r, 4, [(none, ""), *((tp.exam_date.isoformat(), tp.timepoint_id) for tp in tps)],
                       chosen.timepoint_id if chosen else "", self._baseline_chosen(number))
        self._added_row = None
        if self._added is not None:
            self._added_row = len(lines) + 1
            self._fill_added(self._added_row)
        for c in (0, START, END, BASELINE):  # the dates as wide as they are: the rest is the name's
            t.resizeColumnToContents(c)
        return len(lines)

    def _fill_added(self, row: int) -> None:
        """The row of the line added, its Start cell amber until a date is typed there (its number is its place by
        start date: "new" until then)."""
        added = self._added
        assert added is not None
        t = self.table
        for c, text in enumerate(("new", added.name, "", added.end, "")):
            item = QTableWidgetItem(text)
            if c in (0, BASELINE):
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if c == START:
                item.setBackground(MISSING_BRUSH)
                item.setToolTip(f"type the line's start date ({DATE_FORMS}): Enter adds the line, Esc adds none")
            elif c == BASELINE:
                item.setToolTip("the line's baseline is offered once its start date is typed")
            item.setData(Qt.ItemDataRole.UserRole, 0)
            set_cell_item(t, row, c, item)
        set_cell_widget(t, row, BASELINE, None)

    # ------------------------------------------------------------------ edits (FollowupEditor, undoable)
    def _baseline_chosen(self, line_number: int) -> Callable[[Any], None]:
        """What a choice in line ``line_number``'s Baseline box records: a refused one (a read-only project, the edit
        declined) puts back what is recorded."""
        return lambda timepoint_id: self.panel._edit_or_put_back(lambda: self._set_baseline(line_number, timepoint_id))

    def _set_baseline(self, line_number: int, timepoint_id: str) -> None:
        patient = self.panel._patient()
        if timepoint_id:
            self.panel.editor.choose_baseline(patient, timepoint_id, line_number)
        else:
            self.panel.editor.clear_baseline(patient, line_number)

    def _add_line(self) -> None:
        """A row for a new line, its Start cell's editor open: the line is recorded once its start date is typed."""
        panel = self.panel
        patient = panel._patient()
        if self._added is None:
            self._added = _Added(patient)
            self.fill()
        self._open_start()
        panel._note("new line: type its start date (2024-05-12, 12.05.2024 or 12 May 2024) in the amber cell, Enter "
                    "adds it, numbered by its start among the lines (Esc: no line)")

    def _record_added(self, name: str, start: str, end: str) -> int:
        """The line added, recorded now that its start is typed (a refusal keeps it waiting, the start asked again)."""
        panel = self.panel
        added, self._added = self._added, None
        assert added is not None
        try:
            line = panel.editor.add_treatment_line(added.patient_id, name, start, end or None)
        except LesionlabError:
            self._added = _Added(added.patient_id, name, end)
            raise
        project = panel.project
        self._select_line(line.line_number, START)
        offer = suggested_baseline(project, added.patient_id, line.line_number)
        n = line_order(project, added.patient_id, line.line_number)
        later = len(lines_of(project, added.patient_id)) - n
        panel._note(f"line {n} added, from {line.start_date}"
                    + (f" (the line{'s' if later > 1 else ''} after it renumbered)" if later else "")
                    + ("; no name given: type it in its Name cell" if not name else "")
                    + (f"; its baseline could be {offer.exam_date}" if offer else ""))
        return line.line_number

    def _select_line(self, line_number: int, column: int) -> None:
        """The selected cell on line ``line_number``'s row (lines are numbered by start: a line added or re-dated before
        others moves them down; the selection stayed on the row's old place, another line's cell, where typing
        edited that line: a radiologist-engineer under Xvfb, session 48)."""
        t = self.table
        for row in range(t.rowCount()):
            item = t.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == line_number and row != self._added_row:
                if (t.currentRow(), t.currentColumn()) != (row, column):
                    t.setCurrentCell(row, column)
                return

    def unkept(self, staying_patient: str | None = None) -> list[tuple[str, Callable[[], None]]]:
        """What was typed here and is not recorded, each said and with how to go back to it (app/open_edits.py asks
        about them as the window closes or another exam or project opens): the last text refused in a cell, and the
        line added whose start date is not typed when something was typed for it (its name or end), but while
        ``staying_patient``'s exams stay open (it waits for its start then). The line added went without a word
        (session 47's review): it cannot be recorded without its start, nor wait past the window."""
        said: list[tuple[str, Callable[[], None]]] = []
        refused = self._refused
        if refused is not None:
            said.append((f"{refused.typed!r} in {LINE_HEADERS[refused.column]}: refused", self._go_back_to_refused))
        added = self._added
        if added is not None and (added.name or added.end) and added.patient_id != staying_patient \
                and (refused is None or refused.line_number):
            what = repr(added.name) if added.name else f"(no name, end {added.end})"
            said.append((f"the treatment line added {what}: no start date typed, so not recorded",
                         self._go_back_to_added))
        return said

    def let_go(self, staying_patient: str | None = None, leaving_project: bool = False) -> None:
        """What :meth:`unkept` said, let go (the reader chose so), the line added waiting for its start too unless it
        is ``staying_patient``'s (``leaving_project``: whoever's; it was that project's)."""
        self._refused = None
        if self._added is not None and (leaving_project or staying_patient is not None
                                        and self._added.patient_id != staying_patient):
            self._added = None
            self.fill()

    def _go_back_to_refused(self) -> None:
        """The refused cell's editor open again holding what was typed, selected (it reopened on the record's old text:
        session 47's review), once the refusal's own events have run (the line added's Start opened again)."""
        refused = self._refused
        if refused is None:
            return
        row = self._added_row if not refused.line_number else next(
            (r for r in range(1, self.table.rowCount()) if (item := self.table.item(r, 0)) is not None
             and item.data(Qt.ItemDataRole.UserRole) == refused.line_number and r != self._added_row), None)
        if row is not None:
            QTimer.singleShot(0, self, lambda: reopen_cell(self.table, row, refused.column, refused.typed))

    def _go_back_to_added(self) -> None:
        """The line added's Start cell, its editor open, what was typed in its other cells still there."""
        show_widget(self.table)
        self.table.window().activateWindow()  # the keys back from the question's box (annotation.qt.cells.reopen_cell)
        self._open_start()

    def _drop_added(self, why: str) -> None:
        self._added = None
        if self._refused is not None and not self._refused.line_number:
            self._refused = None
        self.panel.refresh()
        self.panel._note(f"no line added ({why}): Add line, then type its start date")

    def _editor_closed(self, _editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        """Esc in the Start cell of the line added: no line (elsewhere Esc keeps the cell's text, as ever)."""
        t = self.table
        if hint != QAbstractItemDelegate.EndEditHint.RevertModelCache:
            return
        self._refused = None  # Esc in a cell: what was refused there is let go, the record's text kept
        if self._added is not None and t.currentRow() == self._added_row and t.currentColumn() == START:
            self._drop_added("Esc")

    def _ask_start(self) -> None:
        """After a refused start, its cell's editor open again, unless the keys have gone elsewhere: a refused start
        left by a click on an image must not take the keys back from the reader's drag there, where Esc then dropped
        the line waiting instead of the gesture (review46b)."""
        now = QApplication.focusWidget()
        if now is self.table or (now is not None and self.table.isAncestorOf(now)):
            self._open_start()  # else the row waits, amber

    def _open_start(self) -> None:
        """The Start cell of the line added, its editor open (nothing when no line waits for its start)."""
        row = self._added_row
        if self._added is None or row is None or row >= self.table.rowCount():
            return
        self.table.setCurrentCell(row, START)
        self.table.setFocus()
        self.table.edit(self.table.model().index(row, START))

    def _escape(self, row: int, _column: int) -> Callable[[], None] | None:
        """Esc on the row of the line added, no editor open: no line, as Esc in its Start cell's editor (it did nothing,
        the row stuck: session 46's reader)."""
        if self._added is not None and row == self._added_row:
            return lambda: self._drop_added("Esc")
        return None

    def _remove_line(self) -> None:
        row = self.table.currentRow()
        if self._added is not None and row == self._added_row:
            self._drop_added("removed before its start was typed")
            return
        item = self.table.item(row, 0) if row >= 0 else None
        number = item.data(Qt.ItemDataRole.UserRole) if item is not None else 0
        if not number:
            raise LesionlabError("select a treatment line first")
        self.panel.editor.delete_treatment_line(self.panel._patient(), number)

    def _clear_line_cell(self, row: int, column: int) -> None:
        """Del or Backspace on a treatment line's selected cell, as in a spreadsheet: the End date is cleared (an edit,
        undoable and saved), the baseline chosen too; the Name and Start, which a line needs, open their editor
        empty (Enter keeps what is typed, Esc the old text); the Line number and the row before any line are not
        cleared: the status says how a line goes."""
        panel = self.panel
        t = self.table
        item = t.item(row, 0)
        number = item.data(Qt.ItemDataRole.UserRole) if item is not None else 0
        # the line's number as the reader sees it: its place by start date, from the lines (the row's place was taken,
        # wrong in a sorted view of the table)
        shown = line_order(panel.project, panel._patient(), number) if number else 0
        what = LINE_HEADERS[column] if 0 <= column < len(LINE_HEADERS) else ""
        if self._added is not None and row == self._added_row:
            if column in (NAME, END):  # what was typed there goes (the line is not recorded yet: nothing to undo)
                cell = t.item(row, column)
                if cell is not None:
                    cell.setText("")
            panel.say("the line added is recorded once its start date is typed in the amber cell; Remove line "
                      "drops it")
            return
        if what == "Baseline":
            chosen = panel.project.followup_baselines.get((panel._patient(), panel.reading.reader, number or 0))
            if chosen is None:
                panel.say("no baseline chosen on that row: nothing to clear")
            else:
                panel._try(lambda: self._set_baseline(number or 0, ""))
            return
        if not number or what == "Line":
            panel.say("Del clears a line's End date or baseline, or opens its Name or Start to type anew; "
                      + (f"Remove line deletes treatment line {shown}" if number else
                         "the row before any line holds only the baseline; Remove line deletes a selected line"))
            return
        cell = t.item(row, column)
        if cell is None:
            return
        if what == "End":
            if not cell.text().strip():
                panel.say(f"treatment line {shown} has no end date: nothing to clear")
                return
            cell.setText("")  # _line_edited records it (undoable), or puts the record's back on a refusal
            return
        old = cell.text()
        t.edit(t.model().index(row, column))
        editor = QApplication.focusWidget()
        if isinstance(editor, QLineEdit):
            editor.clear()
        if what == "Name":  # a line may have none (shown as NO_NAME, its record's name empty)
            panel.say(f"type treatment line {shown}'s name (Enter keeps it, nothing typed: {NO_NAME}; Esc keeps "
                      f"{old or NO_NAME})")
            return
        panel.say(f"treatment line {shown} needs its {what.lower()}: type it (Enter keeps it, Esc keeps "
                  f"{old or 'what it was'})")

    def _line_edited(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        panel = self.panel
        # the rows before the edit fills them again (a click's commit lands after: _after_moving)
        shown, spans = self._rows_shown(), self._spans()
        if self._added is not None and item.row() == self._added_row:
            name, start, end = ((cell.text().strip() if (cell := self.table.item(item.row(), c)) is not None else "")
                                for c in (NAME, START, END))
            if not start:  # its name or end typed first: kept for the line, its start still asked
                self._added.name, self._added.end = name, end
                return
            recorded: list[int] = []
            if panel._try(lambda: recorded.append(self._record_added(name, start, end))):
                self._refused = None
                self._after_moving(shown, spans, recorded[0])
                return
            self._refused = _Refused(self._added.patient_id if self._added else "", 0, START, start)
            panel.refresh()  # the refused start goes, its cell amber again
            # and its editor open again, the refusal said (a reader under Xvfb, session 46: "12/05/2024" and Enter
            # left the row with its Start empty and closed, Esc and a click doing nothing)
            QTimer.singleShot(0, self, self._ask_start)  # not after the panel is gone
            return
        number = item.data(Qt.ItemDataRole.UserRole)
        line = panel.project.treatment_lines.get((panel._patient(), number)) if number else None
        if line is None:
            return
        r, column = item.row(), item.column()  # the item goes as the edit fills the table again
        before = line_order(panel.project, line.patient_id, number)  # its number before the edit, by start date
        name, start, end = ((cell.text().strip() if (cell := self.table.item(r, c)) is not None else "")
                            for c in (1, 2, 3))
        typed = item.text().strip()
        if not panel._try(lambda: panel.editor.set_treatment_line(line.patient_id, number, name, start, end or None)):
            self._refused = _Refused(line.patient_id, number, column, typed)
            panel.refresh()  # the refused text goes back to the record's
            return
        self._refused = None
        self._after_moving(shown, spans, number)
        now = panel.project.treatment_lines.get(line.key)
        if now is None or column not in (START, END):
            return
        # a date typed in another form (12.05.2024, 12 May 2024) is shown as recorded (the row is filled again from the
        # record), said with the line's number by date, which a new start may have changed
        day = now.start_date if column == START else now.end_date
        typed = start if column == START else end
        n = line_order(panel.project, line.patient_id, number)
        self._select_line(number, column)  # a new start may have moved the line
        if day is not None and typed != day.isoformat():
            panel._note(f"line {n}: {LINE_HEADERS[column]} recorded as {day.isoformat()}")
        elif n != before:
            panel._note(f"line {before} is line {n} now, by its start date")
