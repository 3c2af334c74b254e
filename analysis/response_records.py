"""The records of the RECIST 1.1 / NEN response engine (:mod:`analysis.response`).

Input: a :class:`PatientCourse` (timepoints of :class:`LesionObservation`, the baseline dates,
treatment lines) and :class:`Settings`. Output: one :class:`TimepointResponse` per timepoint.
Every record is frozen and validates itself, naming the bad argument
(:class:`viewer.errors.ValidationError`); vocabularies are Enums converted at the boundary.
Rules and sources: ../shared/domain/followup.md; the rules as implemented: analysis/README.md.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from annotation import _validate as v
from annotation.vocab import FOLLOWUP_STATUSES, FollowupKind, FollowupStatus
from viewer.errors import ValidationError

__all__ = ["FollowupKind", "FollowupStatus", "Response", "Settings", "LesionObservation", "Timepoint",
           "TreatmentLine", "PatientCourse", "TimepointResponse", "RESPONSE_COLUMNS"]


class Response(str, Enum):
    """Response categories (RECIST 1.1 tables 1-3); ``non_cr_non_pd`` is table 2's middle category."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "non_cr_non_pd"
    PD = "PD"
    NE = "NE"

    def __str__(self) -> str:
        return str(self.value)


def _number(name: str, value: Any, *, low: float | None = None, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"expected a finite number, got {value!r}", where=name)
    if low is not None and value < low:
        raise ValidationError(f"{value!r} is below {low}", where=name)
    return float(value)


def _text(name: str, value: Any, *, required: bool = False) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError(f"expected {'non-empty ' if required else ''}text, got {value!r}", where=name)
    return value.strip()


def _date(name: str, value: Any) -> _dt.date:
    """A required date (the records' own rule, annotation._validate.date, which also names the field)."""
    found = v.date(name, value)
    if found is None:
        raise ValidationError(f"{value!r} is not a date (YYYY-MM-DD)", where=name)
    return found


@dataclass(frozen=True)
class Settings:
    """The engine's protocol settings (the report states which were used).

    ``confirmation_required``: best overall response needs CR/PR confirmed by a later assessment
    at least ``confirmation_min_days`` apart (RECIST 1.1: 4 weeks). ``sd_min_days``: SD counts as
    best response only when measured at least that long after the baseline. NEN slow progression:
    an SD timepoint whose sum is above the earliest sum within ``slow_progression_window_days``
    (from the baseline on) by more than 0 % and at most ``slow_progression_max_pct``.
    """

    confirmation_required: bool = False
    confirmation_min_days: int = 28
    sd_min_days: int = 42
    slow_progression_window_days: int = 365
    slow_progression_max_pct: float = 20.0

    def __post_init__(self) -> None:
        if not isinstance(self.confirmation_required, bool):
            raise ValidationError(f"expected true or false, got {self.confirmation_required!r}",
                                  where="confirmation_required")
        for name in ("confirmation_min_days", "sd_min_days", "slow_progression_window_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(f"expected a whole number of days >= 0, got {value!r}", where=name)
        object.__setattr__(self, "slow_progression_max_pct",
                           _number("slow_progression_max_pct", self.slow_progression_max_pct, low=0.0))

    def describe(self) -> str:
        conf = (f"CR/PR confirmed >= {self.confirmation_min_days} days later" if self.confirmation_required
                else "no confirmation of CR/PR")
        return (f"RECIST 1.1; best overall response: {conf}, SD at least {self.sd_min_days} days after the "
                f"baseline; NEN slow progression: sum up by > 0 % and <= {self.slow_progression_max_pct:g} % "
                f"over the earliest sum within {self.slow_progression_window_days} days")


@dataclass(frozen=True)
class LesionObservation:
    """One lesion at one timepoint, as the reader recorded it.

    ``diameter_mm``: the longest diameter, or the short axis for a nodal lesion; given only when
    ``status`` is measured. ``parent_lesion_id``: lineage: a fragment of a split lesion names the
    lesion it came from (fragments are summed into it); a target merged into another target names
    that target (it then counts 0: the coalesced lesion is measured once). ``treated``: treated
    locally (chemo-embolisation, ablation): not eligible as a target unless it progresses.
    """

    lesion_id: str
    kind: FollowupKind
    organ: str
    nodal: bool
    status: FollowupStatus
    diameter_mm: float | None = None
    series_role: str = ""
    slice_thickness_mm: float | None = None
    parent_lesion_id: str = ""
    treated: bool = False
    #: its size on its assessed series whatever its kind and status (nodal: the short axis), when it was measured
    #: there: a target of a line recorded as a non-target at the next line's baseline is measured by it in that
    #: line's last assessment (the same exam; one kind per lesion and exam serves the new baseline)
    measured_mm: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "lesion_id", _text("lesion_id", self.lesion_id, required=True))
        kind = FollowupKind.parse(self.kind, "kind")
        status = FollowupStatus.parse(self.status, "status")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "organ", _text("organ", self.organ, required=True).lower())
        for name in ("nodal", "treated"):
            if not isinstance(getattr(self, name), bool):
                raise ValidationError(f"expected true or false, got {getattr(self, name)!r}", where=name)
        if status not in FOLLOWUP_STATUSES[kind]:
            allowed = ", ".join(sorted(s.value for s in FOLLOWUP_STATUSES[kind]))
            raise ValidationError(f"{status.value!r} is not a status of a {kind.value} lesion (expected one of: "
                                  f"{allowed})", where="status")
        d = _number("diameter_mm", self.diameter_mm, low=0.0, optional=True)
        if status is FollowupStatus.MEASURED and (d is None or d <= 0):
            raise ValidationError("a measured lesion needs a diameter > 0", where="diameter_mm")
        if status is not FollowupStatus.MEASURED and d is not None:
            raise ValidationError(f"a diameter is given only when measured (status {status.value})",
                                  where="diameter_mm")
        object.__setattr__(self, "diameter_mm", d)
        object.__setattr__(self, "series_role", _text("series_role", self.series_role).lower())
        t = _number("slice_thickness_mm", self.slice_thickness_mm, low=0.0, optional=True)
        if t is not None and t <= 0:
            raise ValidationError("must be positive", where="slice_thickness_mm")
        object.__setattr__(self, "slice_thickness_mm", t)
        parent = _text("parent_lesion_id", self.parent_lesion_id)
        if parent == self.lesion_id:
            raise ValidationError("a lesion cannot be its own parent", where="parent_lesion_id")
        object.__setattr__(self, "parent_lesion_id", parent)
        # 0 (a line whose ends meet) is no size, not an error: refusing it refused a whole store (a review)
        object.__setattr__(self, "measured_mm", _number("measured_mm", self.measured_mm, low=0.0, optional=True))

    @property
    def value_mm(self) -> float | None:
        """What the lesion adds to the sum: its diameter, 5 mm when too small, 0 when gone, None if not assessed."""
        if self.status is FollowupStatus.MEASURED:
            return self.diameter_mm
        if self.status is FollowupStatus.TOO_SMALL:
            return TOO_SMALL_MM
        if self.status in (FollowupStatus.DISAPPEARED, FollowupStatus.ABSENT):
            return 0.0
        return None


#: RECIST 1.1: a target too small to measure counts 5 mm.
TOO_SMALL_MM = 5.0


@dataclass(frozen=True)
class Timepoint:
    """One exam date of a patient and every lesion recorded at it (in any order)."""

    date: _dt.date
    observations: tuple[LesionObservation, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "date", _date("date", self.date))
        obs = tuple(self.observations)
        seen: set[str] = set()
        for o in obs:
            if not isinstance(o, LesionObservation):
                raise ValidationError(f"{o!r} is not a LesionObservation", where="observations")
            if o.lesion_id in seen:
                raise ValidationError(f"lesion {o.lesion_id!r} appears twice on {self.date}", where="observations")
            seen.add(o.lesion_id)
        object.__setattr__(self, "observations", obs)


@dataclass(frozen=True)
class TreatmentLine:
    """A line of treatment (name, start date, end date or None while ongoing)."""

    name: str
    start_date: _dt.date
    end_date: _dt.date | None = None

    def __post_init__(self) -> None:
        # empty: no name was given (treatment_lines.csv from a project whose line was not named)
        object.__setattr__(self, "name", _text("name", self.name))
        object.__setattr__(self, "start_date", _date("start_date", self.start_date))
        if self.end_date is not None:
            end = _date("end_date", self.end_date)
            if end < self.start_date:
                raise ValidationError(f"{end} is before the start {self.start_date}", where="end_date")
            object.__setattr__(self, "end_date", end)


@dataclass(frozen=True)
class PatientCourse:
    """A patient's timepoints (sorted by date here), the chosen baseline date(s) and treatment lines.

    ``baseline_dates``: each starts a new reference (a new treatment line usually offers one); the
    default is the first timepoint. A timepoint is evaluated against the latest baseline on or
    before its date; timepoints before the first baseline get sums but no response.
    """

    patient_id: str
    timepoints: tuple[Timepoint, ...]
    baseline_dates: tuple[_dt.date, ...] = ()
    treatment_lines: tuple[TreatmentLine, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "patient_id", _text("patient_id", self.patient_id, required=True))
        tps = tuple(sorted(self.timepoints, key=lambda t: t.date))
        if not tps:
            raise ValidationError("a course needs at least one timepoint", where="timepoints")
        dates = [t.date for t in tps]
        if len(set(dates)) != len(dates):
            dup = next(d for d in dates if dates.count(d) > 1)
            raise ValidationError(f"two timepoints on {dup}", where="timepoints")
        object.__setattr__(self, "timepoints", tps)
        baselines = tuple(sorted({_date("baseline_dates", d) for d in self.baseline_dates})) or (dates[0],)
        for d in baselines:
            if d not in dates:
                raise ValidationError(f"baseline {d} is not one of the timepoints", where="baseline_dates")
        object.__setattr__(self, "baseline_dates", baselines)
        object.__setattr__(self, "treatment_lines",
                           tuple(sorted(self.treatment_lines, key=lambda line: line.start_date)))


#: DIR/response.csv columns, in order (issue 10).
RESPONSE_COLUMNS: tuple[str, ...] = (
    "patient_id", "timepoint_date", "baseline_date", "days_from_baseline", "sum_mm", "baseline_sum_mm",
    "nadir_sum_mm", "change_from_baseline_pct", "change_from_nadir_pct", "target_response",
    "non_target_response", "new_lesions", "overall_response", "best_overall_response", "nen_slow_progression",
    "tgr_pct_per_month", "note",
)


@dataclass(frozen=True)
class TimepointResponse:
    """The engine's answer for one timepoint; None where a value is undefined (the reason is in ``notes``).

    ``best_overall_response`` follows ``Settings.confirmation_required``; both variants are kept.
    """

    patient_id: str
    timepoint_date: _dt.date
    baseline_date: _dt.date | None
    days_from_baseline: int | None
    is_baseline: bool
    sum_mm: float | None
    baseline_sum_mm: float | None
    nadir_sum_mm: float | None
    change_from_baseline_pct: float | None
    change_from_nadir_pct: float | None
    target_response: Response | None
    non_target_response: Response | None
    new_lesions: bool | None
    overall_response: Response | None
    best_overall_response: Response | None
    best_overall_response_unconfirmed: Response | None
    best_overall_response_confirmed: Response | None
    nen_slow_progression: bool | None
    tgr_pct_per_month: float | None
    notes: tuple[str, ...] = field(default=())

    @property
    def note(self) -> str:
        return "; ".join(self.notes)

    def row(self) -> dict[str, Any]:
        """The response.csv row (values typed: floats, bools, Enum values as text, dates ISO)."""
        def v(x: Any) -> Any:
            return x.value if isinstance(x, Enum) else x
        return {"patient_id": self.patient_id, "timepoint_date": self.timepoint_date.isoformat(),
                "baseline_date": self.baseline_date.isoformat() if self.baseline_date else None,
                "days_from_baseline": self.days_from_baseline, "sum_mm": self.sum_mm,
                "baseline_sum_mm": self.baseline_sum_mm, "nadir_sum_mm": self.nadir_sum_mm,
                "change_from_baseline_pct": self.change_from_baseline_pct,
                "change_from_nadir_pct": self.change_from_nadir_pct, "target_response": v(self.target_response),
                "non_target_response": v(self.non_target_response), "new_lesions": self.new_lesions,
                "overall_response": v(self.overall_response), "best_overall_response": v(self.best_overall_response),
                "nen_slow_progression": self.nen_slow_progression, "tgr_pct_per_month": self.tgr_pct_per_month,
                "note": self.note}
