"""Exam pair chooser: every CT x MRI combination of a patient with its interval in days, then each study alone.

Pairs of the protocol (< 90 days) come first; others can be chosen but carry a warning that is
shown again before opening. A study alone is an exam of one modality: a follow-up project reads a
baseline CT that also belongs to a CT + MRI pair as its own exam (the sample's LLSYN001 F1, the CT of
2023-03-14), which the browser, listing the pair, did not offer (a reader's check).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QMessageBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.window_layout import resize_within_screen
from viewer.studies import PAIR_LIMIT_DAYS, ExamPair, Patient, all_pairs

if TYPE_CHECKING:
    from app.shortcuts import Shortcut


class PairChooser(QDialog):
    def __init__(self, patient: Patient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Exam pairs of {patient.label}")
        self.pairs = all_pairs(patient) + [ExamPair.single(s) for s in patient.studies if s.is_ct or s.is_mr]
        self.chosen: ExamPair | None = None
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"A pair is one CT and one liver MRI less than {PAIR_LIMIT_DAYS} days apart."))
        self.table = QTableWidget(len(self.pairs), 4, self)
        self.table.setHorizontalHeaderLabels(["CT", "MRI", "Interval", "Note"])
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, pair in enumerate(self.pairs):
            cells = [pair.ct.label if pair.ct else "—", pair.mr.label if pair.mr else "—",
                     "—" if pair.is_single else  # one study: no interval to know (it read "unknown")
                     f"{pair.interval_days} days" if pair.interval_days is not None else "unknown",
                     pair.warning or ("one study alone (a follow-up exam)" if pair.is_single else "protocol pair")]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)  # whole, where the dialog is narrower than the note
                if pair.warning:
                    item.setForeground(QBrush(QColor(255, 170, 80)))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        # as wide as its columns (within the screen), the note taking what is left, ended with "…" where the screen is
        # narrower: at 760 px the Note column lay behind a horizontal scroll bar (session 46's reader at 1600 x 1000)
        natural = sum(self.table.columnWidth(c) for c in range(4)) + self.table.verticalHeader().sizeHint().width()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        if self.pairs:
            self.table.selectRow(0)
        self.table.doubleClicked.connect(lambda *_: self.accept())
        lay.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        m = lay.contentsMargins()
        resize_within_screen(self, max(760, natural + 2 * self.table.frameWidth() + m.left() + m.right()
                                       + self.table.verticalScrollBar().sizeHint().width()), 320)

    def selected(self) -> ExamPair | None:
        rows = self.table.selectionModel().selectedRows()
        return self.pairs[rows[0].row()] if rows else None

    def accept(self) -> None:
        pair = self.selected()
        if pair is None:
            return
        if pair.warning and QMessageBox.warning(
                self, "Not a protocol pair", pair.warning + "\n\nOpen it anyway?",
                QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel) != QMessageBox.StandardButton.Open:
            return
        self.chosen = pair
        super().accept()


class ShortcutsDialog(QDialog):
    """Help -> Shortcuts: the table of app.shortcuts, and the mouse habits."""

    def __init__(self, shortcuts: "tuple[Shortcut, ...] | None" = None, parent: QWidget | None = None) -> None:
        from app.shortcuts import MOUSE, SHORTCUTS, USER_FILE

        super().__init__(parent)
        self.setWindowTitle("Shortcuts")
        lay = QVBoxLayout(self)
        table = shortcuts if shortcuts is not None else SHORTCUTS
        lay.addWidget(QLabel(f"Keys can be changed in {USER_FILE} in the settings folder, e.g. "
                             '{"tool_line": ["E", "Ctrl+L"]} (action names in the last column).'))
        rows = [(s.group, " / ".join(s.keys), f"{s.label}  [{s.action}]") for s in table] + \
               [("Mouse", k, v) for k, v in MOUSE]
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels(["", "Keys", "Action"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c == 1:
                    item.setForeground(QBrush(QColor(255, 196, 64)))
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setShowGrid(False)
        self.table.setWordWrap(True)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay.addWidget(close)
        resize_within_screen(self, 820, 760)
