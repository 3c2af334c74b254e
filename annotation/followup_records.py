"""Frozen, self-validating records of a follow-up reading (issue 10; RECIST 1.1, NEN).

* :class:`Timepoint` ``(patient_id, timepoint_id)``: one exam date of the course and the exam
  pair(s) read at it (a pair may be a CT alone at follow-up). Shared by the readers.
* :class:`TreatmentLine` ``(patient_id, line_number)``: name, start and end dates (clinical record); ``line_number`` is
  the line's id, kept: the reader sees the lines numbered by start date (:func:`annotation.followup.lines_of`).
* :class:`BaselineChoice` ``(patient_id, reader, line_number)``: the timepoint a reader takes as
  baseline for a treatment line (line 0: before any line). Reader-owned.
* :class:`LesionFollowup` ``(patient_id, exam_pair_id, reader, lesion_id)``: a lesion's follow-up
  attributes at the timepoint of its pair: kind, organ, nodal, status, the series role it is
  assessed on (fixed at baseline), treated locally, and its lineage (the tracking UID of the lesion
  it split from or merged into). The lesion's identity across timepoints is its ``tracking_uid``.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Any

from annotation import _validate as v
from annotation.records import check_lesion_key, reading_role
from annotation.vocab import FOLLOWUP_STATUSES, FollowupKind, FollowupStatus
from viewer.errors import ValidationError
from viewer.records import Role

#: RECIST 1.1's % limits (the engine's, analysis.response): PR a sum >= 30 % below the baseline, PD >= 20 % above
#: the nadir (and >= 5 mm).
PR_MIN_DECREASE_PCT = 30.0
PD_MIN_INCREASE_PCT = 20.0


def shown_pct(value: float) -> str:
    """A % change as the screen shows it (signed, a tenth), with a hundredth more where a tenth would round a value
    short of PR or PD onto RECIST's limit (-30 %, +20 %): -29.96 % beside SD read "-30.0" (a RECIST audit; the same
    convention as analysis.response._below for sizes). A value on a limit (1e-9 of slack) shows as is."""
    shown = f"{value:+.1f}"
    # a value short of PR shown on -30, or short of PD shown on +20 (on the limit is PR / PD)
    for limit, above in ((-PR_MIN_DECREASE_PCT, True), (PD_MIN_INCREASE_PCT, False)):
        if (value > limit + 1e-9 and float(shown) <= limit) if above else \
                (value < limit - 1e-9 and float(shown) >= limit):
            finer = f"{value:+.2f}"
            if (float(finer) > limit) if above else (float(finer) < limit):
                return finer
            return f"{(math.ceil(value * 100) if above else math.floor(value * 100)) / 100:+.2f}"
    return shown


TimepointKey = tuple[str, str]
LineKey = tuple[str, int]
BaselineKey = tuple[str, str, int]
LesionFollowupKey = tuple[str, str, str, str]
#: A lesion's organ unless the reader says otherwise; the only one with liver counts and lobes.
LIVER = "liver"
#: The organs the follow-up panel offers (the record takes any name).
ORGANS: tuple[str, ...] = (LIVER, "lymph_node", "bone", "lung", "other")
#: The series role targets are assessed on unless the reader chooses another at baseline.
DEFAULT_ASSESSED_ROLE = Role.CT_PORTAL


def _ident(name: str, value: Any, max_len: int = 200) -> str:
    return v.text(name, value, required=True, max_len=max_len)


@dataclass(frozen=True)
class Timepoint:
    patient_id: str
    timepoint_id: str
    exam_date: _dt.date
    exam_pair_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        _ident("patient_id", self.patient_id)
        _ident("timepoint_id", self.timepoint_id, 100)
        date = v.date("exam_date", self.exam_date)
        if date is None:
            raise ValidationError("a timepoint needs its exam date", where="exam_date")
        object.__setattr__(self, "exam_date", date)
        if isinstance(self.exam_pair_ids, str) or not self.exam_pair_ids:
            raise ValidationError(f"expected one or more exam pair ids, got {self.exam_pair_ids!r}",
                                  where="exam_pair_ids")
        ids = tuple(_ident("exam_pair_ids", p, 100) for p in self.exam_pair_ids)
        if len(set(ids)) != len(ids):
            raise ValidationError("an exam pair is named twice", where="exam_pair_ids")
        object.__setattr__(self, "exam_pair_ids", ids)

    @property
    def key(self) -> TimepointKey:
        return (self.patient_id, self.timepoint_id)


@dataclass(frozen=True)
class TreatmentLine:
    patient_id: str
    line_number: int
    name: str
    start_date: _dt.date
    end_date: _dt.date | None = None

    def __post_init__(self) -> None:
        _ident("patient_id", self.patient_id)
        v.number("line_number", self.line_number, low=1, high=999, integer=True)
        # no name typed: empty, shown as annotation.followup.NO_NAME (it was "treatment line", every such line alike)
        object.__setattr__(self, "name", v.text("name", self.name, max_len=500).strip())
        start = v.date("start_date", self.start_date)
        if start is None:
            raise ValidationError("a treatment line needs its start date", where="start_date")
        end = v.date("end_date", self.end_date)
        if end is not None and end < start:
            raise ValidationError(f"{end} is before the start {start}", where="end_date")
        object.__setattr__(self, "start_date", start)
        object.__setattr__(self, "end_date", end)

    @property
    def key(self) -> LineKey:
        return (self.patient_id, self.line_number)


@dataclass(frozen=True)
class BaselineChoice:
    patient_id: str
    reader: str
    line_number: int
    timepoint_id: str

    def __post_init__(self) -> None:
        _ident("patient_id", self.patient_id)
        _ident("reader", self.reader, 100)
        v.number("line_number", self.line_number, low=0, high=999, integer=True)
        _ident("timepoint_id", self.timepoint_id, 100)

    @property
    def key(self) -> BaselineKey:
        return (self.patient_id, self.reader, self.line_number)


@dataclass(frozen=True)
class LesionFollowup:
    patient_id: str
    exam_pair_id: str
    reader: str
    lesion_id: str
    kind: FollowupKind
    organ: str = LIVER
    nodal: bool = False
    status: FollowupStatus = FollowupStatus.MEASURED
    assessed_role: Role = DEFAULT_ASSESSED_ROLE
    treated: bool = False
    parent_tracking_uid: str = ""

    def __post_init__(self) -> None:
        check_lesion_key(self.patient_id, self.exam_pair_id, self.reader, self.lesion_id)
        kind = FollowupKind.parse(self.kind, "kind")
        status = FollowupStatus.parse(self.status, "status")
        if status not in FOLLOWUP_STATUSES[kind]:
            raise ValidationError(f"{status.value!r} is not a status of a {kind.value} lesion", where="status")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "organ", _ident("organ", self.organ, 100).strip().lower())
        for name in ("nodal", "treated"):
            if not isinstance(getattr(self, name), bool):
                raise ValidationError(f"expected true or false, got {getattr(self, name)!r}", where=name)
        object.__setattr__(self, "assessed_role", reading_role(self.assessed_role, "assessed_role"))
        v.uid("parent_tracking_uid", self.parent_tracking_uid)

    @property
    def in_liver(self) -> bool:
        """Counted in the liver counts (a node or a bone lesion is not)."""
        return self.organ == LIVER

    @property
    def key(self) -> LesionFollowupKey:
        return (self.patient_id, self.exam_pair_id, self.reader, self.lesion_id)
