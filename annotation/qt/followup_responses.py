"""The Follow-up panel's response table: one row per timepoint of the live course (the open exam's highlighted),
read, never edited. The rows are the engine's (``analysis.response_live``), handed in by the panel."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem

from annotation.followup_records import shown_pct
from annotation.qt.cells import set_cell_item
from annotation.qt.panels import CURRENT_BRUSH

#: the overall and best responses next to the date: at 1366 x 768 the table showed up to "New", the open exam's
#: Overall PD (a new lesion) beyond the panel's edge beside Target PR (a radiologist's check on a laptop)
RESPONSE_HEADERS = ("Date", "Overall", "Best", "Sum mm", "Δ base %", "Δ nadir %", "Target", "Non-target", "New",
                    "Slow PD", "TGR %/mo", "Note")
#: the headers as shown: a unit or a second word on a line of its own, so that a column is as wide as its figures (at
#: 1600 x 1000 Slow PD, TGR and Note lay past the panel's edge, behind a drag of the dock's handle: session 47)
SHOWN_HEADERS = {"Sum mm": "Sum\nmm", "Δ base %": "Δ base\n%", "Δ nadir %": "Δ nadir\n%", "Slow PD": "Slow\nPD",
                 "TGR %/mo": "TGR\n%/mo"}
#: what each header names, whole, in its tooltip
HEADER_TIPS = {"Sum mm": "sum of the target lesions' diameters (mm)",
               "Δ base %": "change of the sum from the baseline (%)", "Δ nadir %": "change of the sum from the nadir (%)",
               "Slow PD": "NEN slow progression", "TGR %/mo": "tumour growth rate since the timepoint before (% per month)"}
OVERALL_COLUMN = RESPONSE_HEADERS.index("Overall")
BEST_COLUMN = RESPONSE_HEADERS.index("Best")
#: the response columns kept in view when the lesion table takes more of the panel's width (through "New": what
#: makes a PD)
RESPONSE_KEPT = RESPONSE_HEADERS.index("New") + 1
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


class ResponseTable(QTableWidget):
    """The response per timepoint: overall and best response beside the date, sum, changes, target / non-target /
    new, NEN slow progression, growth rate and the engine's note."""

    def __init__(self) -> None:
        super().__init__(0, len(RESPONSE_HEADERS))
        self.setHorizontalHeaderLabels([SHOWN_HEADERS.get(h, h) for h in RESPONSE_HEADERS])
        for c, h in enumerate(RESPONSE_HEADERS):
            item = self.horizontalHeaderItem(c)
            if item is not None and h in HEADER_TIPS:
                item.setToolTip(HEADER_TIPS[h])
        best_header = self.horizontalHeaderItem(RESPONSE_HEADERS.index("Best"))
        if best_header is not None:
            best_header.setToolTip("best overall response so far, from the baseline; a CR or PR no later exam confirms "
                                   "(28 days or more later) is marked * (unconfirmed; lesionlab response --confirm "
                                   "asks for the confirmation)")
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # the note takes the width the other columns leave, its text ended with "…" and whole in its tooltip (and the
        # open exam's under the table): sized to its text it lay behind a horizontal scroll bar at 1600 x 1000
        # (session 46's reader)
        self.horizontalHeader().setSectionResizeMode(len(RESPONSE_HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setWordWrap(False)
        self.setSelectionMode(QTableWidget.SelectionMode.NoSelection)

    def fill(self, rows: Iterable[Any], here: _dt.date | None, exams: dict[_dt.date, str]) -> int | None:
        """Show ``rows`` (the live course's responses), the open exam's (dated ``here``) highlighted, each date's
        exams (``exams``) in its tooltip; the open exam's row (its last: a line's closing row comes before a new
        baseline's), or None."""
        t = self
        rows = list(rows)
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
        return max((r for r, x in enumerate(rows) if x.timepoint_date == here), default=None)
