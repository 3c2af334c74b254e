"""Patients, studies and exam pairs from an index (reading-protocol.md, "Patients and exams").

An exam pair is one CT and one liver MRI of the same patient less than :data:`PAIR_LIMIT_DAYS`
apart. :func:`propose_pairs` proposes, per patient, the closest CT/MRI couples within the limit,
each study used at most once (a patient followed for years gets 2-3 pairs);
:func:`all_pairs` lists every CT x MRI combination for the reader who needs another one, with
a warning when the interval is too long or unknown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable

from viewer.dicomtime import parse_da
from viewer.records import Role, StackInfo
from viewer.studies_identity import check_identities

#: Longest interval between the CT and the MRI of a pair (3 months), exclusive.
PAIR_LIMIT_DAYS = 90
CT_MODALITIES = frozenset({"CT"})
MR_MODALITIES = frozenset({"MR"})


#: DICOM DA (YYYYMMDD) to a date, None when empty or malformed (the name callers know).
parse_date = parse_da


@dataclass(frozen=True)
class Study:
    """One study of one patient and its stacks (in index order)."""

    patient_id: str
    patient_name: str
    study_instance_uid: str
    study_date: dt.date | None
    description: str
    modalities: tuple[str, ...]
    stacks: tuple[StackInfo, ...]

    @property
    def is_ct(self) -> bool:
        return bool(CT_MODALITIES & set(self.modalities))

    @property
    def is_mr(self) -> bool:
        return bool(MR_MODALITIES & set(self.modalities))

    @property
    def date_label(self) -> str:
        return self.study_date.isoformat() if self.study_date else "no date"

    @property
    def label(self) -> str:
        return f"{self.date_label}  {'/'.join(self.modalities)}  {self.description}".rstrip()


@dataclass(frozen=True)
class Patient:
    patient_id: str
    patient_name: str
    studies: tuple[Study, ...]  # by date, undated last
    #: studies of another person found under this id and left out (viewer.studies_identity), said
    identity_warnings: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        name = self.patient_name.replace("^", " ").strip()
        return f"{name} ({self.patient_id})" if name and name != self.patient_id else self.patient_id


@dataclass(frozen=True)
class ExamPair:
    """A CT and an MRI study of one patient read together; ``interval_days`` is None when a date is
    missing. A follow-up timepoint imaged by one modality only (the clinical case's CT-only
    follow-ups) is an exam of one study: :meth:`single`, with the other side None."""

    ct: Study | None
    mr: Study | None
    interval_days: int | None

    def __post_init__(self) -> None:
        if self.ct is None and self.mr is None:
            raise ValueError("an exam needs a CT or an MRI study")

    @classmethod
    def single(cls, study: Study) -> "ExamPair":
        """The exam of one study: its CT side when it has CT images, else its MRI side."""
        return cls(study, None, None) if study.is_ct or not study.is_mr else cls(None, study, None)

    @property
    def studies(self) -> tuple[Study, ...]:
        return tuple(s for s in (self.ct, self.mr) if s is not None)

    @property
    def ct_uid(self) -> str:
        """The CT study's instance UID, "" for an MRI-only exam."""
        return self.ct.study_instance_uid if self.ct is not None else ""

    @property
    def mr_uid(self) -> str:
        """The MRI study's instance UID, "" for a CT-only exam."""
        return self.mr.study_instance_uid if self.mr is not None else ""

    @property
    def is_single(self) -> bool:
        return self.ct is None or self.mr is None

    @property
    def study_date(self) -> dt.date | None:
        """The exam's date: the earlier of its studies' dates."""
        return min((s.study_date for s in self.studies if s.study_date is not None), default=None)

    @property
    def patient_id(self) -> str:
        return self.studies[0].patient_id

    @property
    def within_limit(self) -> bool:
        return self.interval_days is not None and self.interval_days < PAIR_LIMIT_DAYS

    @property
    def warning(self) -> str | None:
        if self.is_single:
            return None
        if self.interval_days is None:
            return "a study date is missing: the interval between CT and MRI is unknown"
        if not self.within_limit:
            return (f"CT and MRI are {self.interval_days} days apart, not less than {PAIR_LIMIT_DAYS}:"
                    " this is not an exam pair of the protocol")
        return None

    @property
    def stacks(self) -> tuple[StackInfo, ...]:
        return tuple(st for s in self.studies for st in s.stacks)

    @property
    def label(self) -> str:
        if self.ct is None or self.mr is None:
            only = self.studies[0]
            return f"{'CT' if self.ct is not None else 'MR'} {only.date_label} only"
        interval = f"{self.interval_days} d" if self.interval_days is not None else "? d"
        return f"CT {self.ct.date_label} + MR {self.mr.date_label}  ({interval})"

    @property
    def patient_sex(self) -> str | None:
        """PatientSex of the images (M, F or O) when they agree, else None."""
        values = {img.patient_sex for s in self.stacks for img in s.images[:1]} - {""}
        return values.pop() if len(values) == 1 and values <= {"M", "F", "O"} else None

    def age_at_exam(self) -> tuple[int, str] | None:
        """(age in whole years, which exam) at the earlier study, from PatientBirthDate (or PatientAge);
        None when the headers do not say. It is the age at this exam, not at diagnosis."""
        first = min(self.studies, key=lambda s: s.study_date or dt.date.max)
        img = next((s.images[0] for s in first.stacks if s.images), None)
        if img is None:
            return None
        born = parse_da(img.patient_birth_date)
        when = f"{'CT' if first is self.ct else 'MRI'} of {first.date_label}"
        if born is not None and first.study_date is not None:
            years = first.study_date.year - born.year - ((first.study_date.month, first.study_date.day) < (born.month, born.day))
            if 0 <= years <= 130:
                return years, when
        age = img.patient_age.strip().upper()
        if len(age) == 4 and age[:3].isdigit() and age[3] == "Y":
            return int(age[:3]), when
        return None


def group_studies(stacks: Iterable[StackInfo]) -> list[Patient]:
    """Patients (sorted by id) with their studies (by date) from the index's stacks.

    Studies under one PatientID whose patient's name, birth date or sex disagree with most of that
    id's studies are another person's: they are left out of the patient, and its
    ``identity_warnings`` say so (:mod:`viewer.studies_identity`; the index has already set apart
    those of one folder, this catches two folders opened together)."""
    people = check_identities(stacks)
    by_patient: dict[str, dict[str, list[StackInfo]]] = {}
    for s in people.kept:
        by_patient.setdefault(s.patient_id, {}).setdefault(s.study_instance_uid, []).append(s)
    patients = []
    for pid in sorted(by_patient):
        studies = []
        for uid, members in by_patient[pid].items():
            first = members[0]
            modalities = tuple(sorted({m.modality for m in members}))
            studies.append(Study(pid, first.patient_name, uid, parse_date(first.study_date),
                                 first.study_description, modalities, tuple(members)))
        studies.sort(key=lambda st: (st.study_date is None, st.study_date or dt.date.min, st.study_instance_uid))
        patients.append(Patient(pid, studies[0].patient_name, tuple(studies),
                                people.by_id.get(pid, ())))
    return patients


def _interval(ct: Study, mr: Study) -> int | None:
    if ct.study_date is None or mr.study_date is None:
        return None
    return abs((mr.study_date - ct.study_date).days)


def single_exams(patient: Patient) -> list[ExamPair]:
    """The patient's CT or MRI studies that no proposed pair uses, each an exam of its own (the
    follow-up timepoints imaged by one modality), by date."""
    used = {s.study_instance_uid for p in propose_pairs(patient) for s in p.studies}
    return [ExamPair.single(st) for st in patient.studies
            if st.study_instance_uid not in used and (st.is_ct or st.is_mr)]


def exams(patient: Patient) -> list[ExamPair]:
    """Every exam of a patient in date order: the proposed pairs and the single-modality exams."""
    return sorted(propose_pairs(patient) + single_exams(patient),
                  key=lambda e: (e.study_date is None, e.study_date or dt.date.min))


def prior_exam(patient: Patient, current: ExamPair) -> ExamPair | None:
    """The exam before ``current`` in date order (None for the first, or an undated exam)."""
    if current.study_date is None:
        return None
    earlier = [e for e in exams(patient) if e.study_date is not None and e.study_date < current.study_date]
    return earlier[-1] if earlier else None


def prior_stack(patient: Patient, current: ExamPair, role: Role, role_of: Callable[[StackInfo], Role],
                prefer: Callable[[ExamPair], bool] | None = None) -> tuple[ExamPair, StackInfo] | None:
    """The latest exam before ``current`` with a stack of ``role`` (as ``role_of`` says), and that
    stack (the best one when several: viewer.model.layout.best_stack), or None. ``prefer``: the
    latest such exam it accepts first (the last exam the reader read, whose lines and lesions the
    follow-up compares with), then any."""
    from viewer.model.layout import best_stack

    if current.study_date is None:
        return None
    earlier = [e for e in reversed(exams(patient)) if e.study_date is not None and e.study_date < current.study_date]
    for wanted in ((prefer,) if prefer is not None else ()) + (None,):
        for exam in earlier:
            if wanted is not None and not wanted(exam):
                continue
            found = best_stack(exam.stacks, role, role_of)
            if found is not None:
                return exam, found
    return None


def all_pairs(patient: Patient) -> list[ExamPair]:
    """Every CT x MRI combination of a patient, closest first (unknown intervals last)."""
    pairs = [ExamPair(ct, mr, _interval(ct, mr))
             for ct in patient.studies if ct.is_ct for mr in patient.studies if mr.is_mr and mr is not ct]
    return sorted(pairs, key=lambda p: (p.interval_days is None, p.interval_days or 0, p.label))


def propose_pairs(patient: Patient) -> list[ExamPair]:
    """Exam pairs of the protocol: closest couples under the limit, each study in one pair, by date."""
    used: set[str] = set()
    chosen = []
    for pair in all_pairs(patient):
        if not pair.within_limit:
            continue
        uids = {s.study_instance_uid for s in pair.studies}
        if uids & used:
            continue
        used.update(uids)
        chosen.append(pair)
    return sorted(chosen, key=_earlier_date)


def _earlier_date(pair: ExamPair) -> dt.date:
    """The earlier study date of a pair (a pair within the limit has both)."""
    return pair.study_date or dt.date.min
