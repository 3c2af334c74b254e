"""The Follow-up panel: the reader's RECIST 1.1 / NEN side of the open exam and the patient's course.

A thin observer of a Reading and its Selection (like the lesion grid): it redraws after every
edit, undo or redo and changes the reading only through
:class:`annotation.followup.FollowupEditor` (each edit undoable, autosaved). Three parts, a module each:

* the open exam's lesions as a follow-up (annotation.qt.followup_lesions: kind, organ, nodal, status,
  treated, parent, series, eligibility), whose edits this panel makes;
* treatment lines (name, start, end) with the baseline per line (annotation.qt.followup_lines);
* the live response table, one row per timepoint, the open exam's highlighted (annotation.qt.followup_responses).

This module lays them out side by side (the lesions given the width they need), draws them from the model, keeps
the rows read in view, and says in one place what an edit recorded or why it was refused.

The engine lives in the analysis layer, above this one: the window hands it in as ``assess``
(``analysis.response_live.live_course``), so this module stays free of it.
"""

from __future__ import annotations

import datetime as _dt
import html
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QPushButton, QSplitter, QTabWidget,
                               QTableWidget, QVBoxLayout, QWidget)

from annotation.followup import FollowupEditor, assessed_dates, timepoint_of_pair, timepoints_of
from annotation.followup_records import LesionFollowup
from annotation.project import Project
from annotation.qt.combo import leave_keys_to_images
from annotation.qt.followup_lesions import DEFAULT_STATUS, LesionTable
from annotation.qt.followup_lines import LINES_TAB, TreatmentLines
from annotation.qt.followup_responses import RESPONSE_HEADERS, RESPONSE_KEPT, ResponseTable
from annotation.qt.panels import _Observer
from annotation.records import Lesion, Measurement, NotMeasurable
from annotation.selection import Selection
from annotation.vocab import FOLLOWUP_STATUSES, FollowupKind, FollowupStatus
from viewer.errors import LesionlabError

#: (project, reader, patient, open exam date) -> the live course (analysis.response_live.LiveCourse).
Assess = Callable[[Project, str, str, "_dt.date | None"], Any]
#: the lesion table's share of the panel's width, at least (the responses the rest; at 1366 x 768 what it has)
LESIONS_SHARE = 0.45
#: the panel's line under its tables: red for a refusal, the text's own colour for a note ("line 3 added: name it…"
#: read as an error in red, a check under Xvfb, session 45)
REFUSAL_STYLE, NOTE_STYLE = "color: #ff7070", ""


class FollowupPanel(_Observer):
    """The open exam's lesions as a follow-up, treatment lines and baselines, and the live responses."""

    FIELD_WORDS = {"start_date": "Start", "end_date": "End", "name": "Name"}

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
        self.lesions = LesionTable()
        self.lesions.cellClicked.connect(self._lesion_clicked)
        # the lesion table's width counts its scroll bar while it shows: fitted again once the bar comes or goes (the
        # dock grown to show every row hid it after the last fit, and the 14 px it left the lesions put TGR off the
        # responses' right edge at 1920 x 1080)
        self.lesions.verticalScrollBar().rangeChanged.connect(lambda *_: QTimer.singleShot(0, self, self._fit_split))
        measured = QPushButton("Lines drawn → measured")
        measured.setToolTip("carried lesions 'not assessed' whose line is drawn on their series become 'measured' "
                            "(targets, new lesions) or 'present' (non-targets)")
        measured.clicked.connect(lambda: self._try(self._mark_measured))
        self.treatment = TreatmentLines(self)
        self.lines = self.treatment.table
        self.responses = ResponseTable()
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
        self.course = QTabWidget()
        self.course.setDocumentMode(True)
        self.course.addTab(responses, "Response per timepoint")
        self.course.setTabToolTip(0, "RECIST 1.1; NEN slow progression; tumour growth rate")
        self.course.addTab(self.treatment, LINES_TAB)
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

    def _patient(self) -> str:
        """The open exam's patient, its exam recorded or not yet (treatment lines are the patient's, not an exam's).
        An edit made there records the open exam as any first edit on it does (the panel's ``prepare``), an undo step of
        its own before the line's."""
        if self.selection.pair is not None:
            return self.selection.pair[0]
        opened = self.opened()
        if opened is None:
            raise LesionlabError("open an exam first")
        return opened[0]

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

    def lesions_width(self, least: bool = False) -> int:
        """The width the lesion table needs to show its columns whole (LesionTable.needed_width)."""
        return self.lesions.needed_width(least)

    def _fit_split(self) -> None:
        """The lesion table given the width it needs (at 1920 x 1080 the Eligibility column was cut to "Eligibili" and
        L5's "not in the liver counts" to "n", a radiologist's check) as far as the responses keep their columns
        through "New" in view; never less than :data:`LESIONS_SHARE` of the width, nor once the reader has dragged
        the handle between them. The eligibility's text wraps narrower (down to its header's width) where that keeps
        the responses through TGR and the note (its header's width at least) in view: with the lesion table's scroll
        bar (more than 12 lesions at 1920 x 1080) TGR sat 4 px past the edge (a reader's check), and at 1600 x 1000
        Slow PD, TGR and the note needed the handle dragged (session 47)."""
        split = self.split
        width = split.width() - split.handleWidth()
        if self.split_by_reader or width <= 0 or not self.isVisible():
            return
        r = self.responses

        def through(column: int) -> int:
            return sum(r.columnWidth(c) for c in range(column + 1)) + 2 * r.frameWidth()

        # through the note at its header's width (its text elided, whole in its tooltip and under the table): at 1600 x
        # 1000 Slow PD, TGR and the note lay past the edge (session 47)
        note = r.horizontalHeader().sectionSizeFromContents(len(RESPONSE_HEADERS) - 1).width()
        need, tgr = self.lesions_width(), width - through(RESPONSE_HEADERS.index("TGR %/mo")) - note
        wanted = tgr if tgr >= self.lesions_width(least=True) else need  # no narrower where the note would not fit anyway
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
        self._fill_header()
        self._fill_lesions()
        self._fill_lines()
        self._fill_responses()
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
            # an exam of the patient's read before this one: P and Shift+P have a prior. Not one read after it: at
            # the patient's earliest exam "P shows the prior exam" offered what P refuses (session 46's reader)
            when = opened[2]
            known = when is not None and any((d := rec.ct_date or rec.mri_date) is not None and d < when
                                             for rec in self.project.pairs_of(opened[0]))
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
        lesions = self._lesions()
        t = self.lesions
        t.fill(self.project, lesions, self.selection.lesion_id, self.live.eligibility if self.live is not None else {},
               self._edit_or_put_back, self._set_kind, self._change)
        t.resizeRowsToContents()
        current = next((r for r, les in enumerate(lesions) if les.lesion_id == self.selection.lesion_id), None)
        shown = (self.selection.pair, self.selection.lesion_id, len(lesions))
        if current is not None and shown != self._scrolled_lesions:
            # the lesion read comes into view when it (or the rows) change (a reader's check: the new L6 below the
            # fold); not at every edit, which threw a reader editing L20 back to L1 (a review)
            self._scroll_later(t, current)
        self._scrolled_lesions = shown

    def _fill_lines(self) -> None:
        n = self.treatment.fill()
        self.course.setTabText(1, LINES_TAB if n is None else f"{LINES_TAB} ({n})")

    def _fill_responses(self) -> None:
        pair = self.selection.pair
        dated = assessed_dates(self.project, self.reading.reader, pair[0]) if pair else {}
        exams = {dated.get(tp.key, tp.exam_date): ", ".join(tp.exam_pair_ids)
                 for tp in timepoints_of(self.project, pair[0])} if pair else {}
        current = self.responses.fill(self.live.responses if self.live is not None else [], self._row_date(), exams)
        # the open exam's row in view at every refresh: the table is read, not edited, and a scroll once per exam was
        # lost under later refreshes
        if current is not None:
            self._scroll_later(self.responses, current)

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
