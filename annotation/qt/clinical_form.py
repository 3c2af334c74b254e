"""The clinical record form of one patient, with the WHO 2019 grade and its disagreement flag."""

from __future__ import annotations

from enum import Enum
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QPushButton, QWidget

from annotation.clinical import ClinicalRecord
from annotation.qt.combo import StillCombo, leave_keys_to_images
from annotation.reading import Reading
from annotation.vocab import (Differentiation, Grade, GradeSource, LiverMetastasesTiming, PrimarySite, Sex,
                              Treatment)
from viewer.errors import LesionlabError, ValidationError

CHOICES: dict[str, type[Enum]] = {"sex": Sex, "primary_site": PrimarySite, "grade_entered": Grade,
                            "grade_source": GradeSource, "differentiation": Differentiation,
                            "liver_metastases": LiverMetastasesTiming}
NUMBERS = {"age_at_diagnosis_years": "Age at diagnosis (years)", "ki67_percent": "Ki-67 (%)",
           "mitoses_per_10hpf": "Mitoses / 10 HPF"}
#: Reader-facing words for the stored values (the files keep the values).
WORDS = {"M": "Male", "F": "Female", "O": "Other", "small_bowel": "Small bowel", "oesophagus": "Oesophagus",
         "liver_metastasis": "Liver metastasis", "NET": "NET (well differentiated)",
         "NEC": "NEC (poorly differentiated)", "chemoembolisation": "Chemo-embolisation",
         "radiofrequency_ablation": "Radiofrequency ablation", "somatostatin_analogues": "Somatostatin analogues",
         "transplant": "Liver transplant"}


#: A treatment's three answers as its choice lists them: "y" and "n" typed into the open list pick yes and no, "nn"
#: or "not" not recorded (:func:`annotation.qt.combo.typed_choice`).
TREATMENT_CHOICES: tuple[tuple[str, bool | None], ...] = (("yes", True), ("no", False), ("not recorded", None))


def word(value: str) -> str:
    return WORDS.get(value, value.replace("_", " ").capitalize() if value.islower() else value)


class ClinicalForm(QWidget):
    """Edits go straight to the Reading (one undo step per field); the form redraws from the model."""

    def __init__(self, reading: Reading, patient_id: str, parent: QWidget | None = None, age_hint: str = "") -> None:
        """``age_hint``: what the images say of the patient's age (at the exam, not at diagnosis)."""
        super().__init__(parent)
        self.reading, self.patient_id = reading, patient_id
        form = QFormLayout(self)
        self.combos: dict[str, QComboBox] = {}
        self.numbers: dict[str, QLineEdit] = {}
        #: each treatment's choice of yes / no / not recorded (a checkbox could not say "not recorded")
        self.treatments: dict[Treatment, QComboBox] = {}
        for name, enum in CHOICES.items():
            box = StillCombo()
            box.addItem("", None)
            for m in enum:
                box.addItem(word(m.value), m.value)
            box.currentIndexChanged.connect(lambda _i, n=name: self._commit(n))
            self.combos[name] = box
            form.addRow(name.replace("_", " ").capitalize(), box)
        for name, label in NUMBERS.items():
            edit = QLineEdit()
            edit.setPlaceholderText("unknown")
            edit.editingFinished.connect(lambda n=name: self._commit(n))
            self.numbers[name] = edit
            form.addRow(label, edit)
            if name == "age_at_diagnosis_years" and age_hint:
                hint = QLabel(age_hint)
                hint.setStyleSheet("color: #8a8a8a")
                hint.setWordWrap(True)
                form.addRow("", hint)
        self.grade_label = QLabel()
        self.flag_label = QLabel()
        self.flag_label.setStyleSheet("color: #c00000")
        self.flag_label.setWordWrap(True)
        form.addRow("WHO 2019 grade", self.grade_label)
        form.addRow("", self.flag_label)
        form.addRow(QLabel("<b>Treatments</b>"))
        for t in Treatment:
            box = StillCombo()
            for label, given in TREATMENT_CHOICES:
                box.addItem(label, given)
            box.currentIndexChanged.connect(lambda _i, n=t.value: self._commit(n))
            self.treatments[t] = box
            form.addRow(word(t.value), box)
        self.unconfirmed = QLabel('"no" carried from an older store, which could not tell no from not recorded')
        self.unconfirmed.setStyleSheet("color: #b06000")
        self.unconfirmed.setWordWrap(True)
        self.confirm = QPushButton("The no's are right")
        self.confirm.setToolTip("Keep every treatment's no as the patient's record says it")
        self.confirm.clicked.connect(self._confirm)
        form.addRow(self.unconfirmed)
        form.addRow("", self.confirm)
        self.status = QLabel()
        self.status.setStyleSheet("color: #c00000")
        form.addRow(self.status)
        self._filling = False
        self._unsubscribe = reading.subscribe(lambda event: self.refresh())
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self.refresh()
        leave_keys_to_images(self)  # the numbers' fields keep it, for typing

    @property
    def record(self) -> ClinicalRecord:
        return self.reading.project.patients[self.patient_id].clinical

    def refresh(self) -> None:
        if self.patient_id not in self.reading.project.patients:
            self.setEnabled(False)
            return
        rec = self.record
        self._filling = True
        try:
            for name, box in self.combos.items():
                value = getattr(rec, name)
                box.setCurrentIndex(max(0, box.findData(value.value if value is not None else None)))
            for name, edit in self.numbers.items():
                value = getattr(rec, name)
                edit.setText("" if value is None else f"{value:g}")
            for t, box in self.treatments.items():
                box.setCurrentIndex(box.findData(rec.treatment(t)))
        finally:
            self._filling = False
        derived = rec.grade_derived
        self.grade_label.setText(derived.value if derived else "unknown (enter Ki-67 or mitoses)")
        self.flag_label.setText(rec.grade_disagreement or "")
        carried = rec.treatments_unconfirmed and bool(rec.treatments_no)
        self.unconfirmed.setVisible(carried)
        self.confirm.setVisible(carried)

    def _confirm(self) -> None:
        if self.record.treatments_unconfirmed:
            self.reading.edit_patient(self.patient_id, treatments_unconfirmed=False)

    def _value(self, name: str) -> Any:
        if name in self.combos:
            return self.combos[name].currentData() or None
        text = self.numbers[name].text().strip().replace(",", ".")
        if not text:
            return None
        try:
            return int(text) if name == "age_at_diagnosis_years" else float(text)
        except ValueError:
            raise ValidationError(f"{text!r} is not a number", where=NUMBERS[name]) from None

    def _commit(self, name: str) -> None:
        if self._filling:
            return
        try:
            if name in self.combos or name in self.numbers:
                changes = {name: self._value(name)}
                if all(getattr(self.record, k) == v for k, v in changes.items()):
                    return
                self.reading.edit_patient(self.patient_id, **changes)
            else:
                t = Treatment(name)
                given = self.treatments[t].currentData()
                if given == self.record.treatment(t):
                    return
                self.reading.edit_patient(self.patient_id, clinical=self.record.with_treatment(t, given))
            self.status.setText("")
        except LesionlabError as exc:
            self.status.setText(str(exc))
            self.refresh()  # show the stored value again
