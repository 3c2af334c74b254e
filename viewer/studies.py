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
from typing import Iterable

from viewer.dicomtime import parse_da
from viewer.records import StackInfo

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

    @property
    def label(self) -> str:
        name = self.patient_name.replace("^", " ").strip()
        return f"{name} ({self.patient_id})" if name and name != self.patient_id else self.patient_id


@dataclass(frozen=True)
class ExamPair:
    """A CT and an MRI study of one patient; ``interval_days`` is None when a date is missing."""

    ct: Study
    mr: Study
    interval_days: int | None

    @property
    def patient_id(self) -> str:
        return self.ct.patient_id

    @property
    def within_limit(self) -> bool:
        return self.interval_days is not None and self.interval_days < PAIR_LIMIT_DAYS

    @property
    def warning(self) -> str | None:
        if self.interval_days is None:
            return "a study date is missing: the interval between CT and MRI is unknown"
        if not self.within_limit:
            return (f"CT and MRI are {self.interval_days} days apart, not less than {PAIR_LIMIT_DAYS}:"
                    " this is not an exam pair of the protocol")
        return None

    @property
    def stacks(self) -> tuple[StackInfo, ...]:
        return self.ct.stacks + self.mr.stacks

    @property
    def label(self) -> str:
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
        first = min((self.ct, self.mr), key=lambda s: s.study_date or dt.date.max)
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
    """Patients (sorted by id) with their studies (by date) from the index's stacks."""
    by_patient: dict[str, dict[str, list[StackInfo]]] = {}
    for s in stacks:
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
        patients.append(Patient(pid, studies[0].patient_name, tuple(studies)))
    return patients


def _interval(ct: Study, mr: Study) -> int | None:
    if ct.study_date is None or mr.study_date is None:
        return None
    return abs((mr.study_date - ct.study_date).days)


def all_pairs(patient: Patient) -> list[ExamPair]:
    """Every CT x MRI combination of a patient, closest first (unknown intervals last)."""
    pairs = [ExamPair(ct, mr, _interval(ct, mr))
             for ct in patient.studies if ct.is_ct for mr in patient.studies if mr.is_mr and mr is not ct]
    return sorted(pairs, key=lambda p: (p.interval_days is None, p.interval_days or 0, p.ct.date_label))


def propose_pairs(patient: Patient) -> list[ExamPair]:
    """Exam pairs of the protocol: closest couples under the limit, each study in one pair, by date."""
    used: set[str] = set()
    chosen = []
    for pair in all_pairs(patient):
        if not pair.within_limit:
            continue
        if pair.ct.study_instance_uid in used or pair.mr.study_instance_uid in used:
            continue
        used.update((pair.ct.study_instance_uid, pair.mr.study_instance_uid))
        chosen.append(pair)
    return sorted(chosen, key=_earlier_date)


def _earlier_date(pair: ExamPair) -> dt.date:
    """The earlier study date of a pair (a pair within the limit has both)."""
    return min((d for d in (pair.ct.study_date, pair.mr.study_date) if d is not None), default=dt.date.min)
