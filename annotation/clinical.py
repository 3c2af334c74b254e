"""The patient and the clinical record, with the WHO 2019 grade derived from Ki-67 and mitoses.

WHO 2019, digestive neuroendocrine neoplasms (the less favourable of the two criteria decides):
G1 Ki-67 < 3 % and < 2 mitoses / 10 HPF; G2 Ki-67 3-20 % or 2-20 mitoses; G3 Ki-67 > 20 % or
> 20 mitoses. A poorly differentiated carcinoma (NEC) is G3 whatever the numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from annotation import _validate as v
from annotation.vocab import (Differentiation, Grade, GradeSource, LiverMetastasesTiming, PrimarySite,
                              Sex, Treatment)


def _who_grade(value: float, g2_from: float) -> Grade:
    """G1 below ``g2_from``, G2 up to 20 inclusive, G3 above (both WHO 2019 criteria share the G3 limit)."""
    if value < g2_from:
        return Grade.G1
    return Grade.G2 if value <= 20 else Grade.G3


def grade_from_ki67(ki67_percent: float) -> Grade:
    return _who_grade(ki67_percent, 3)


def grade_from_mitoses(mitoses_per_10hpf: float) -> Grade:
    return _who_grade(mitoses_per_10hpf, 2)


def derive_grade(ki67_percent: float | None, mitoses_per_10hpf: float | None,
                 differentiation: Differentiation | None = None) -> Grade | None:
    """WHO 2019 grade; None when neither Ki-67 nor the mitotic count is known (and not NEC)."""
    if differentiation is Differentiation.NEC:
        return Grade.G3
    grades = []
    if ki67_percent is not None:
        grades.append(grade_from_ki67(ki67_percent))
    if mitoses_per_10hpf is not None:
        grades.append(grade_from_mitoses(mitoses_per_10hpf))
    return max(grades, key=lambda g: g.value) if grades else None


#: The words (drugs, procedures, their usual abbreviations) by which a treatment line's free-text name names one of the
#: record's treatments. The follow-up's line kinds (somatostatin analogues, targeted therapy, chemotherapy, PRRT,
#: liver-directed treatment; ../shared/domain/followup.md) are coarser or other: PRRT (177Lu-DOTATATE) is none of the
#: record's eight, and a line named only "liver-directed" says neither chemo-embolisation nor ablation nor surgery.
LINE_WORDS: dict[Treatment, tuple[str, ...]] = {
    Treatment.PRIMARY_RESECTION: ("primary resection", "pancreatectomy", "duodenopancreatectomy", "whipple",
                                  "colectomy", "hemicolectomy", "enterectomy", "small bowel resection"),
    Treatment.LIVER_SURGERY: ("liver surgery", "liver resection", "hepatectomy", "metastasectomy", "segmentectomy"),
    Treatment.CHEMOEMBOLISATION: ("chemoembolisation", "chemoembolization", "chemo-embolisation", "chemo-embolization",
                                  "tace"),
    Treatment.RADIOFREQUENCY_ABLATION: ("radiofrequency", "rfa"),
    Treatment.SOMATOSTATIN_ANALOGUES: ("somatostatin analogue", "somatostatin analogues", "ssa", "octreotide",
                                       "lanreotide", "pasireotide", "sandostatin", "somatuline"),
    Treatment.CHEMOTHERAPY: ("chemotherapy", "cisplatin", "carboplatin", "etoposide", "capecitabine", "temozolomide",
                             "captem", "streptozocin", "streptozotocin", "fluorouracil", "5-fu", "oxaliplatin",
                             "folfox", "folfiri", "folfirinox", "capox", "xelox", "doxorubicin", "dacarbazine",
                             "gemcitabine", "irinotecan"),
    Treatment.TARGETED_THERAPY: ("targeted therapy", "everolimus", "sunitinib", "cabozantinib", "lenvatinib",
                                 "pazopanib", "sorafenib", "surufatinib", "axitinib", "bevacizumab"),
    Treatment.TRANSPLANT: ("liver transplant", "liver transplantation", "transplant", "transplantation"),
}
_LINE_PATTERNS = {t: re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in words) + r")(?![\w-])", re.IGNORECASE)
                  for t, words in LINE_WORDS.items()}


def treatments_named(line_name: str) -> list[Treatment]:
    """The record's treatments a treatment line's name names (its words in :data:`LINE_WORDS`), in the record's order:
    "Octreotide LAR + everolimus" names somatostatin analogues and targeted therapy, "177Lu-DOTATATE (PRRT)" none."""
    return [t for t, pattern in _LINE_PATTERNS.items() if pattern.search(line_name)]


@dataclass(frozen=True)
class ClinicalRecord:
    """What the study records per patient; every field may still be unknown (None / empty)."""

    sex: Sex | None = None
    age_at_diagnosis_years: int | None = None
    primary_site: PrimarySite | None = None
    ki67_percent: float | None = None
    mitoses_per_10hpf: float | None = None
    grade_entered: Grade | None = None  # the grade written in the pathology report
    grade_source: GradeSource | None = None
    differentiation: Differentiation | None = None
    liver_metastases: LiverMetastasesTiming | None = None
    #: the treatments recorded as given (yes); ``treatments_no`` those recorded as not given; one in neither is not
    #: recorded (a patients.csv blank). A store before migration 15 kept only the first set, its unchecked boxes meant
    #: "no" or "nobody said": ``treatments_unconfirmed`` marks the "no" it carried over until a reader confirms them.
    treatments: frozenset[Treatment] = field(default_factory=frozenset)
    treatments_no: frozenset[Treatment] = field(default_factory=frozenset)
    treatments_unconfirmed: bool = False

    def __post_init__(self) -> None:
        def opt(cls: Any, name: str) -> None:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, cls.parse(value, name))

        opt(Sex, "sex")
        opt(PrimarySite, "primary_site")
        opt(Grade, "grade_entered")
        opt(GradeSource, "grade_source")
        opt(Differentiation, "differentiation")
        opt(LiverMetastasesTiming, "liver_metastases")
        object.__setattr__(self, "age_at_diagnosis_years",
                           v.number("age_at_diagnosis_years", self.age_at_diagnosis_years, low=0, high=130,
                                    optional=True, integer=True))
        ki = v.number("ki67_percent", self.ki67_percent, low=0, high=100, optional=True)
        object.__setattr__(self, "ki67_percent", None if ki is None else float(ki))
        mi = v.number("mitoses_per_10hpf", self.mitoses_per_10hpf, low=0, high=10_000, optional=True)
        object.__setattr__(self, "mitoses_per_10hpf", None if mi is None else float(mi))
        for name in ("treatments", "treatments_no"):
            value = getattr(self, name)
            if isinstance(value, (str, Treatment)) or not isinstance(value, Iterable):
                raise v.ValidationError(f"expected a set of treatments, got {value!r}", where=name)
            object.__setattr__(self, name, frozenset(Treatment.parse(t, name) for t in value))
        both = self.treatments & self.treatments_no
        if both:
            raise v.ValidationError(f"{', '.join(sorted(t.value for t in both))} recorded both given and not given",
                                    where="treatments")
        if not isinstance(self.treatments_unconfirmed, bool):
            raise v.ValidationError(f"expected true or false, got {self.treatments_unconfirmed!r}",
                                    where="treatments_unconfirmed")

    def treatment(self, t: Treatment) -> bool | None:
        """True: given; False: recorded as not given; None: not recorded."""
        return True if t in self.treatments else False if t in self.treatments_no else None

    def with_treatment(self, t: Treatment, given: bool | None) -> "ClinicalRecord":
        """The record with ``t`` given, not given or not recorded. The other carried-over "no"s stay unconfirmed (one
        answer is not a look at the seven others: a review, session 47): the flag goes with the form's "The no's are
        right", or once no "no" is left."""
        yes, no = self.treatments - {t}, self.treatments_no - {t}
        if given is not None:
            yes, no = (yes | {t}, no) if given else (yes, no | {t})
        return replace(self, treatments=yes, treatments_no=no,
                       treatments_unconfirmed=self.treatments_unconfirmed and bool(no - {t}))

    @property
    def grade_derived(self) -> Grade | None:
        return derive_grade(self.ki67_percent, self.mitoses_per_10hpf, self.differentiation)

    @property
    def grade(self) -> Grade | None:
        """The grade used in exports: WHO 2019 from the numbers when known, else the entered one."""
        return self.grade_derived or self.grade_entered

    @property
    def grade_disagreement(self) -> str | None:
        """A readable flag when the entered grade contradicts Ki-67 / mitoses / differentiation."""
        derived = self.grade_derived
        if self.grade_entered is None or derived is None or derived is self.grade_entered:
            return None
        basis = []
        if self.differentiation is Differentiation.NEC:
            basis.append("NEC is always G3")
        if self.ki67_percent is not None:
            basis.append(f"Ki-67 {self.ki67_percent:g} % gives {grade_from_ki67(self.ki67_percent).value}")
        if self.mitoses_per_10hpf is not None:
            basis.append(f"{self.mitoses_per_10hpf:g} mitoses/10 HPF give "
                         f"{grade_from_mitoses(self.mitoses_per_10hpf).value}")
        return (f"entered grade {self.grade_entered.value} disagrees with WHO 2019 grade {derived.value} "
                f"({'; '.join(basis)})")

    def with_changes(self, **changes: Any) -> "ClinicalRecord":
        return replace(self, **changes)


#: The longest patient name a project keeps (a DICOM PN holds three groups of at most 64 characters).
PATIENT_NAME_MAX = 500


def name_from_images(name: str) -> str:
    """A PatientName from the images as the project keeps it: a longer one cut to :data:`PATIENT_NAME_MAX` (ending
    "…"). A header holding 705 characters refused the patient ("patient_name: is 705 characters long"), naming
    neither patient nor file: `study init --dicom` stopped, and the reader's first edit of that patient failed."""
    return name if len(name) <= PATIENT_NAME_MAX else name[:PATIENT_NAME_MAX - 1] + "\u2026"


@dataclass(frozen=True)
class Patient:
    """A patient of the project: identifiers from DICOM and the clinical record."""

    patient_id: str
    patient_name: str = ""
    clinical: ClinicalRecord = field(default_factory=ClinicalRecord)

    def __post_init__(self) -> None:
        v.identifier("patient_id", self.patient_id, max_len=200)
        v.text("patient_name", self.patient_name, max_len=PATIENT_NAME_MAX)  # as DICOM gives it; files replace controls
        if not isinstance(self.clinical, ClinicalRecord):
            raise v.ValidationError(f"expected a ClinicalRecord, got {type(self.clinical).__name__}",
                                    where="clinical")

    @property
    def key(self) -> str:
        return self.patient_id
