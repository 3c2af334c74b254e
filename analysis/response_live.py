"""The response engine on the reading as the reader works (the workstation's Follow-up panel): one
patient, one reader, straight from a :class:`~annotation.project.Project`, recomputed on every edit.

Unlike ``lesionlab response STORE`` (which refuses an incomplete follow-up), a reading in progress
is shown as far as it goes: a lesion marked *measured* whose line is not drawn yet on its assessed
series counts as *not assessed* (the timepoint then comes out NE unless PD is reached), and a
record the engine refuses is left out; each with a note in :attr:`LiveCourse.notes`.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from analysis.response import assess_course, baseline_flags, series_label, target_ineligibility
from analysis.response_records import (FollowupKind, FollowupStatus, LesionObservation, PatientCourse, Settings,
                                       Timepoint, TimepointResponse, TreatmentLine)
from annotation.followup import followup_rows, timepoint_of_pair
from annotation.project import Project
from viewer.errors import LesionlabError


@dataclass(frozen=True)
class LiveCourse:
    """One patient's course as read so far.

    ``responses``: the engine's rows, one per timepoint with follow-up (date order).
    ``eligibility``: tracking UID -> why that target is not eligible at the baseline in force on
    ``on_date`` (empty tuple: eligible). ``flags``: that baseline's rule violations (≤ 5 targets,
    ≤ 2 per organ, sizes, treated). ``notes``: what was left out or counted as not assessed, and why.
    """

    patient_id: str
    responses: tuple[TimepointResponse, ...] = ()
    eligibility: dict[str, tuple[str, ...]] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    baseline_date: _dt.date | None = None


def _observation(row: dict[str, Any], notes: list[str]) -> LesionObservation | None:
    status = row["status"]
    if status == FollowupStatus.MEASURED.value and row["diameter_mm"] is None:
        what = "short axis" if row["nodal"] and row["kind"] == FollowupKind.TARGET.value else "line"
        notes.append(f"{row['lesion_id']} on {row['timepoint_date']}: measured but no {what} on "
                     f"{series_label(row['series_role'])} yet (counted as not assessed)")
        status = FollowupStatus.NOT_ASSESSED.value if row["kind"] != FollowupKind.NEW.value \
            else FollowupStatus.PRESENT.value
    try:
        return LesionObservation(row["lesion_id"], row["kind"], row["organ"], row["nodal"], status,
                                 row["diameter_mm"] if status == FollowupStatus.MEASURED.value else None,
                                 row["series_role"], None, row["parent_lesion_id"] or "", row["treated"],
                                 row.get("measured_mm"))
    except LesionlabError as exc:
        notes.append(f"{row['lesion_id']} on {row['timepoint_date']} left out: {exc}")
        return None


def _undated(project: Project, reader: str, patient_id: str) -> list[str]:
    """The exam pairs whose follow-up is left out because they are in no timepoint (no exam date to place them by:
    ``lesionlab response STORE`` refuses them; the panel dropped their lesions without a word, a review)."""
    left: dict[str, list[str]] = defaultdict(list)
    for f in project.lesion_followups.values():
        if f.patient_id == patient_id and f.reader == reader \
                and timepoint_of_pair(project, patient_id, f.exam_pair_id) is None:
            left[f.exam_pair_id].append(f.lesion_id)
    out = []
    for pair_id, lesions in sorted(left.items()):
        rec = project.exam_pairs.get((patient_id, pair_id))
        why = "has no exam date" if rec is None or not (rec.ct_date or rec.mri_date) else "is in no timepoint"
        out.append(f"exam {pair_id} {why}: its follow-up ({', '.join(sorted(lesions))}) is left out of the response "
                   "(give its CT or MRI a date, or add it to a timepoint)")
    return out


def live_course(project: Project, reader: str, patient_id: str, on_date: _dt.date | None = None,
                settings: Settings = Settings()) -> LiveCourse:
    """The response table, eligibility and flags of ``reader``'s follow-up of one patient.

    ``on_date``: the open exam's date; the eligibility is that of the latest baseline on or before
    it (the first baseline when None or earlier)."""
    notes = _undated(project, reader, patient_id)
    rows = followup_rows(project, reader, "reading", strict=False, patient_ids=[patient_id])
    if not rows:
        return LiveCourse(patient_id, notes=tuple(notes))
    by_date: dict[str, list[LesionObservation]] = defaultdict(list)
    uid_of: dict[tuple[str, str], str] = {}
    bases: set[str] = set()
    for row in rows:
        obs = _observation(row, notes)
        by_date[row["timepoint_date"]]  # a timepoint whose every row is left out still counts as one
        if obs is not None:
            by_date[row["timepoint_date"]].append(obs)
            uid_of[(row["timepoint_date"], obs.lesion_id)] = row["tracking_uid"]
        if row["baseline"]:
            bases.add(row["timepoint_date"])
    lines = tuple(TreatmentLine(t.name, t.start_date, t.end_date) for t in project.treatment_lines.values()
                  if t.patient_id == patient_id)
    try:
        course = PatientCourse(patient_id, tuple(Timepoint(_dt.date.fromisoformat(d), tuple(obs))
                                                 for d, obs in by_date.items()),
                               tuple(_dt.date.fromisoformat(d) for d in bases), lines)
        responses = assess_course(course, settings)
    except LesionlabError as exc:
        return LiveCourse(patient_id, notes=(*notes, f"no response: {exc}"))
    base_dates = course.baseline_dates
    base = base_dates[0] if on_date is None else max((d for d in base_dates if d <= on_date), default=base_dates[0])
    base_tp = next(t for t in course.timepoints if t.date == base)
    eligibility = {uid_of[(base.isoformat(), o.lesion_id)]: target_ineligibility(o)
                   for o in base_tp.observations if o.kind is FollowupKind.TARGET}
    return LiveCourse(patient_id, responses, eligibility, baseline_flags(base_tp), tuple(notes), base)
