"""Study browser panel: patient -> exam pairs and studies (date, modality) -> stacks.

Stacks show their role (the reader's correction when there is one), description, slice count
and the indexer's warnings; they can be dragged into a reading cell, or double-clicked to show
in the active cell. Proposed exam pairs are listed first under each patient with their
interval; double-click (or Enter) opens one. Every folder opened adds its patients (a patient
found in two folders is listed once, with the studies of both).
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QDrag
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QWidget

from viewer.model.layout import stack_label
from viewer.model.settings import RoleOverrides
from viewer.qt.viewport import STACK_MIME
from viewer.records import StackInfo
from viewer.studies import ExamPair, Patient, exams, prior_exam

WARN = QColor(255, 170, 80)
DIM = QColor(140, 140, 140)
PAIR = QColor(110, 190, 255)
KIND = Qt.ItemDataRole.UserRole  # "patient" | "pair" | "study" | "stack"
PAYLOAD = Qt.ItemDataRole.UserRole + 1


class StudyBrowser(QTreeWidget):
    """Signals: ``pair_chosen(ExamPair)``, ``stack_chosen(StackInfo)`` (double-click or Enter on a
    stack: shown in the active cell), ``stack_menu(StackInfo, QPoint)``, ``more_pairs(Patient)``."""

    pair_chosen = Signal(object)
    stack_chosen = Signal(object)
    stack_menu = Signal(object, object)
    more_pairs = Signal(object)

    def __init__(self, overrides: RoleOverrides, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.overrides = overrides
        self.patients: list[Patient] = []
        self.setHeaderLabels(["Patient / study / stack", "Role", "Sl."])
        self.setColumnWidth(0, 285)
        self.setColumnWidth(1, 80)
        self.setColumnWidth(2, 32)
        self.setIndentation(14)
        self.setAlternatingRowColors(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context)
        self.itemActivated.connect(self._activated)
        overrides.changed.connect(lambda *_: self.refresh_roles())

    def set_patients(self, patients: list[Patient]) -> None:
        self.patients = patients
        self.clear()
        for patient in patients:
            top = QTreeWidgetItem(self, [patient.label, "", ""])
            top.setData(0, KIND, "patient")
            top.setData(0, PAYLOAD, patient)
            for pair in exams(patient):
                self._pair_item(top, pair, patient)
            more = QTreeWidgetItem(top, ["Other CT + MRI pair…", "", ""])
            more.setData(0, KIND, "more")
            more.setData(0, PAYLOAD, patient)
            more.setForeground(0, QBrush(DIM))
            for study in patient.studies:
                st = QTreeWidgetItem(top, [study.label, f"{len(study.stacks)} stack{'' if len(study.stacks) == 1 else 's'}", ""])
                st.setData(0, KIND, "study")
                st.setData(0, PAYLOAD, study)
                st.setToolTip(0, study.study_instance_uid)
                for stack in study.stacks:
                    self._stack_item(st, stack)
            top.setExpanded(True)

    def _pair_item(self, parent: QTreeWidgetItem, pair: ExamPair, patient: Patient) -> QTreeWidgetItem:
        if pair.ct is None or pair.mr is None:
            # a follow-up only after an earlier exam: a patient's only exam, its first, or an undated one was called
            # "follow-up" too (a radiologist's read, session 47)
            after = prior_exam(patient, pair) is not None
            others = len(exams(patient)) > 1
            kind = ("follow-up" if after else "undated" if pair.study_date is None and others
                    else "first exam" if others else "only exam")
            item = QTreeWidgetItem(parent, [f"▶ Exam  {pair.label}", kind, ""])
            item.setData(0, KIND, "pair")
            item.setData(0, PAYLOAD, pair)
            item.setForeground(0, QBrush(PAIR))
            # P only where the patient has an earlier exam (at the earliest, P says there is none: session 46's reader)
            item.setToolTip(0, "Double-click to read this exam (one modality" + (
                ": a follow-up timepoint); P shows the prior exam beside it" if after else
                "; no dated exam of this patient before it: the patient's earliest exam)"))
            return item
        interval = f"{pair.interval_days} d" if pair.interval_days is not None else "? d"
        item = QTreeWidgetItem(parent, [f"▶ Pair  CT {pair.ct.date_label} + MR {pair.mr.date_label}", interval, ""])
        item.setData(0, KIND, "pair")
        item.setData(0, PAYLOAD, pair)
        item.setForeground(0, QBrush(PAIR))
        item.setToolTip(0, "Double-click to read this exam pair in the six-cell layout")
        return item

    def _stack_item(self, parent: QTreeWidgetItem, stack: StackInfo) -> QTreeWidgetItem:
        desc = stack.series_description or "(no description)"
        if stack.split_label:
            desc += f" [{stack.split_label}]"
        item = QTreeWidgetItem(parent, [desc, "", str(stack.n_slices)])
        item.setData(0, KIND, "stack")
        item.setData(0, PAYLOAD, stack)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsDragEnabled)
        self._show_role(item, stack)
        if stack.warnings:
            item.setText(0, "⚠ " + desc)
            item.setForeground(0, QBrush(WARN))
            item.setToolTip(0, "\n".join(stack.warnings))
        else:
            item.setToolTip(0, f"{stack.modality} series {stack.series_number}: {stack.role_reason}")
        return item

    def _show_role(self, item: QTreeWidgetItem, stack: StackInfo) -> None:
        corrected = self.overrides.get(stack.key)
        role = corrected or stack.role
        item.setText(1, stack_label(role, stack.b_value) + (" ✎" if corrected else ""))
        item.setToolTip(1, "corrected by the reader" if corrected else
                        f"indexer: {stack.role_reason} (confidence {stack.role_confidence:.0%})")
        item.setForeground(1, QBrush(QColor(255, 196, 64) if corrected else DIM if stack.role_confidence < 0.5 else QColor(214, 214, 214)))

    def refresh_roles(self) -> None:
        it = self._iter()
        for item in it:
            if item.data(0, KIND) == "stack":
                self._show_role(item, item.data(0, PAYLOAD))

    def _iter(self) -> list[QTreeWidgetItem]:
        """Every item, in display order (pre-order)."""
        out: list[QTreeWidgetItem] = []

        def walk(item: QTreeWidgetItem | None) -> None:
            if item is None:
                return
            out.append(item)
            for i in range(item.childCount()):
                walk(item.child(i))

        for i in range(self.topLevelItemCount()):
            walk(self.topLevelItem(i))
        return out

    def pair_items(self) -> list[QTreeWidgetItem]:
        return [i for i in self._iter() if i.data(0, KIND) == "pair"]

    def show_open(self, pair: ExamPair | None) -> None:
        """The exam open highlighted (the window calls this whenever another opens): its item, or for a study read alone
        that the browser lists within a pair (Ctrl+P: "CT 2023-03-14 only") the study's; nothing when no item is it.
        The pair double-clicked before stayed highlighted after Ctrl+P opened another exam (session 46's reader)."""
        uids = {s.study_instance_uid for s in pair.studies} if pair is not None else set()
        found = None
        for kind in ("pair", "study"):
            found = next((i for i in self._iter() if i.data(0, KIND) == kind and self._uids(i) == uids), None)
            if found is not None or not uids:
                break
        if found is None:
            self.clearSelection()
            self.setCurrentIndex(QModelIndex())  # no current item
            return
        self.setCurrentItem(found)
        self.scrollToItem(found)

    @staticmethod
    def _uids(item: QTreeWidgetItem) -> set[str]:
        """The study UIDs an exam's or a study's item stands for."""
        payload = item.data(0, PAYLOAD)
        if isinstance(payload, ExamPair):
            return {s.study_instance_uid for s in payload.studies}
        uid = getattr(payload, "study_instance_uid", None)
        return {uid} if isinstance(uid, str) else set()

    def stack_by_key(self, key: str) -> StackInfo | None:
        for item in self._iter():
            stack = item.data(0, PAYLOAD) if item.data(0, KIND) == "stack" else None
            if isinstance(stack, StackInfo) and stack.key == key:
                return stack
        return None

    def selected_patient(self) -> Patient | None:
        item = self.currentItem()
        while item is not None and item.data(0, KIND) != "patient":
            item = item.parent()
        if item is None:
            return self.patients[0] if self.patients else None
        patient = item.data(0, PAYLOAD)
        return patient if isinstance(patient, Patient) else None

    # ------------------------------------------------------------------ interaction
    def _activated(self, item: QTreeWidgetItem, _col: int) -> None:
        kind = item.data(0, KIND)
        if kind == "pair":
            self.pair_chosen.emit(item.data(0, PAYLOAD))
        elif kind == "stack":
            self.stack_chosen.emit(item.data(0, PAYLOAD))
        elif kind == "more":
            self.more_pairs.emit(item.data(0, PAYLOAD))

    def _context(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        if item is not None and item.data(0, KIND) == "stack":
            self.stack_menu.emit(item.data(0, PAYLOAD), self.viewport().mapToGlobal(pos))

    def startDrag(self, actions: Qt.DropAction) -> None:
        item = self.currentItem()
        if item is None or item.data(0, KIND) != "stack":
            return
        mime = QMimeData()
        mime.setData(STACK_MIME, item.data(0, PAYLOAD).key.encode())
        mime.setText(item.text(0))
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.CopyAction)
