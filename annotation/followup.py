"""Follow-up reading, Qt-free: record timepoints, treatment lines, baselines and each lesion's
follow-up attributes through a :class:`~annotation.reading.Reading` (undo, autosave), and turn a
project into the follow-up table the response engine reads (FOLLOWUP.csv's columns).

A lesion is one identity across timepoints through its ``tracking_uid``: at each timepoint the
reader's lesion in one of the timepoint's exam pairs with that UID. Its diameter is the
measurement on the series role it is assessed on (fixed at baseline; default ``ct_portal``): the
longest diameter, or the short axis (p3-p4) for a node. The engine lives in
:mod:`analysis.response` (the layer above); this module only gathers what the reader recorded.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from annotation.followup_records import (DEFAULT_ASSESSED_ROLE, LIVER, BaselineChoice, LesionFollowup, Timepoint,
                                         TreatmentLine)
from annotation.project import Project
from annotation.records import Lesion, LesionKey, Measurement, PairKey
from annotation.vocab import FollowupKind, FollowupStatus
from viewer.errors import InputFormatError, ValidationError
from viewer.model.layout import role_label
from viewer.records import Role

if TYPE_CHECKING:
    from annotation.reading import Reading

#: FOLLOWUP.csv's columns as :func:`followup_rows` fills them (issue 10).
FOLLOWUP_ROW_COLUMNS: tuple[str, ...] = ("patient_id", "timepoint_date", "lesion_id", "kind", "organ", "nodal",
                                         "status", "diameter_mm", "baseline", "series_role", "parent_lesion_id",
                                         "treated", "tracking_uid", "measured_mm")
TREATMENT_LINE_ROW_COLUMNS: tuple[str, ...] = ("patient_id", "name", "start_date", "end_date")


# ---------------------------------------------------------------------------- editing

def _changed_place(old: LesionFollowup | None, new: LesionFollowup) -> str:
    """What an edit of a lesion's follow-up changes of where it counts, said in the edit's description
    (a change of organ moves its marks out of the liver's counts or back, a radiologist's check)."""
    said = []
    was = old.organ if old is not None else LIVER
    if new.organ != was:
        where = (" (its marks leave the liver's counts)" if was == LIVER else
                 " (its marks count in the liver again)" if new.organ == LIVER else "")
        said.append(f"organ {new.organ.replace('_', ' ')}{where}")
    if new.nodal != (old.nodal if old is not None else False):
        said.append("nodal" if new.nodal else "not nodal")
    return "; " + ", ".join(said) if said else ""

#: what a treatment line with no name is shown as: its record's name stays empty (treatment_lines.csv's ``name`` then
#: empty too). Such a line was recorded as "treatment line", every one alike, a name no one gave (session 47's review).
NO_NAME = "no name given"


def _line_said(old: TreatmentLine | None, new: TreatmentLine, shown: int) -> str:
    """What an edit of a treatment line records, said in the edit's description: its name and start when added, else
    what changed ("treatment line 2 of P1: start 2024-05-12"). Two edits of one line both read "recorded: treatment
    line 1 of LLSYN001", counted as one said twice ("(2×) recorded …": session 46's reader). The line is named by
    its place by start date (``shown``), as the panel numbers it."""
    head = f"treatment line {shown} of {new.patient_id}"
    end = f"end {new.end_date}" if new.end_date is not None else "no end date"
    if old is None:
        return f"{head}: {new.name or NO_NAME}, start {new.start_date}" + (f", {end}" if new.end_date is not None else "")
    said = ([f"name {new.name}" if new.name else NO_NAME] if new.name != old.name else []) + \
        ([f"start {new.start_date}"] if new.start_date != old.start_date else []) + \
        ([end] if new.end_date != old.end_date else [])
    return f"{head}: {', '.join(said)}" if said else f"{head} unchanged"


def _followup_said(old: LesionFollowup | None, new: LesionFollowup) -> str:
    """What an edit of a lesion's follow-up records, said in the edit's description: its kind and status when first
    recorded, else what changed (choosing "treated" and then a Series both read "follow-up of L1: target, measured")."""
    said = [] if old is not None and (old.kind, old.status) == (new.kind, new.status) else \
        [f"{new.kind.value.replace('_', '-')}, {new.status.label}"]
    if old is not None:
        said += (["treated" if new.treated else "not treated"] if new.treated != old.treated else []) + \
            ([f"read on {role_label(new.assessed_role)}"] if new.assessed_role != old.assessed_role else []) + \
            (["its parent lesion " + ("chosen" if new.parent_tracking_uid else "cleared")]
             if new.parent_tracking_uid != old.parent_tracking_uid else [])
    place = _changed_place(old, new)
    if not said and not place:
        return f"follow-up of {new.lesion_id} unchanged"
    return f"follow-up of {new.lesion_id}: " + (", ".join(said) + place if said else place.removeprefix("; "))


class FollowupEditor:
    """The follow-up commands of one reader's :class:`Reading` (each one edit, undoable)."""

    def __init__(self, reading: "Reading") -> None:
        self.reading = reading

    @property
    def project(self) -> Project:
        return self.reading.project

    def _need_patient(self, patient_id: str) -> None:
        if patient_id not in self.project.patients:
            raise ValidationError(f"no patient {patient_id!r} in the project", where="patient_id")

    def set_timepoint(self, patient_id: str, timepoint_id: str, exam_date: _dt.date | str,
                      exam_pair_ids: tuple[str, ...] | list[str]) -> Timepoint:
        """Add or change a timepoint: its exam date and the exam pair(s) read at it."""
        self._need_patient(patient_id)
        for pid in exam_pair_ids:
            if (patient_id, pid) not in self.project.exam_pairs:
                raise ValidationError(f"no exam pair {pid!r} of {patient_id}", where="exam_pair_ids")
        tp = Timepoint(patient_id, timepoint_id, exam_date, tuple(exam_pair_ids))  # type: ignore[arg-type]
        for other in self.project.timepoints.values():
            if other.patient_id == patient_id and other.key != tp.key:
                if other.exam_date == tp.exam_date:
                    raise ValidationError(f"timepoint {other.timepoint_id} is already on {tp.exam_date}",
                                          where="exam_date")
                if set(other.exam_pair_ids) & set(tp.exam_pair_ids):
                    raise ValidationError(f"an exam pair already belongs to timepoint {other.timepoint_id}",
                                          where="exam_pair_ids")
        self.reading.apply(f"timepoint {timepoint_id} of {patient_id}", self.project.with_record(tp))
        return tp

    def set_treatment_line(self, patient_id: str, line_number: int, name: str, start_date: _dt.date | str,
                           end_date: _dt.date | str | None = None) -> TreatmentLine:
        """Record line ``line_number`` (its id) as given; the edit names it by its place in date order."""
        self._need_patient(patient_id)
        line = TreatmentLine(patient_id, line_number, name, start_date, end_date)  # type: ignore[arg-type]
        proj = self.project.with_record(line)
        self.reading.apply(_line_said(self.project.treatment_lines.get(line.key), line,
                                      line_order(proj, patient_id, line_number)), proj)
        return line

    def delete_treatment_line(self, patient_id: str, line_number: int) -> None:
        if (patient_id, line_number) not in self.project.treatment_lines:
            raise ValidationError(f"no treatment line {line_number} of {patient_id}", where="line_number")
        base = [k for k in self.project.followup_baselines if k[0] == patient_id and k[2] == line_number]
        self.reading.apply(f"delete treatment line {line_order(self.project, patient_id, line_number)}",
                           self.project.without_many({"treatment_lines": [(patient_id, line_number)],
                                                      "followup_baselines": base}))

    def choose_baseline(self, patient_id: str, timepoint_id: str, line_number: int = 0) -> BaselineChoice:
        """The reader's baseline for a treatment line (0: before any line; a new line offers a new one)."""
        if (patient_id, timepoint_id) not in self.project.timepoints:
            raise ValidationError(f"no timepoint {timepoint_id!r} of {patient_id}", where="timepoint_id")
        if line_number and (patient_id, line_number) not in self.project.treatment_lines:
            raise ValidationError(f"no treatment line {line_number} of {patient_id}", where="line_number")
        choice = BaselineChoice(patient_id, self.reading.reader, line_number, timepoint_id)
        self.reading.apply(f"baseline: {_timepoint_said(self.project, patient_id, timepoint_id)} "
                           f"{_for_line(self.project, patient_id, line_number)}", self.project.with_record(choice))
        return choice

    def set_lesion_followup(self, pair: PairKey, lesion_id: str, kind: FollowupKind | str, *,
                            status: FollowupStatus | str = FollowupStatus.MEASURED, organ: str = "liver",
                            nodal: bool = False, assessed_role: Role | str | None = None, treated: bool = False,
                            parent_tracking_uid: str = "") -> LesionFollowup:
        """Record a lesion's follow-up attributes. ``assessed_role`` defaults to the role the same
        lesion (tracking UID) was assessed on at the baseline, else ``ct_portal``."""
        lesion = self._lesion(pair, lesion_id)
        key = lesion.key
        role = assessed_role if assessed_role is not None else baseline_role(self.project, lesion)
        rec = LesionFollowup(*key, kind, organ, nodal, status, role, treated, parent_tracking_uid)  # type: ignore[arg-type]
        proj = self.reading.with_marks_of(self._with_timepoint(self.project.with_record(rec), pair), lesion)
        self.reading.apply(_followup_said(self.project.lesion_followups.get(key), rec), proj)
        return rec

    def _with_timepoint(self, proj: Project, pair: PairKey) -> Project:
        """``proj`` with the exam pair in a timepoint: the one on its exam date, else a new one (id: the
        date) — a timepoint is recorded when the reader first records follow-up on an exam; a pair
        without an exam date is left out of the timepoints."""
        if timepoint_of_pair(proj, pair[0], pair[1]) is not None:
            return proj
        rec = proj.exam_pairs.get(pair)
        when = rec.ct_date or rec.mri_date if rec is not None else None
        if when is None:  # no date to place it by: the reader adds it to a timepoint (set_timepoint)
            return proj
        same = next((t for t in timepoints_of(proj, pair[0]) if t.exam_date == when), None)
        if same is not None:
            return proj.with_record(replace(same, exam_pair_ids=(*same.exam_pair_ids, pair[1])))
        return proj.with_record(Timepoint(pair[0], when.isoformat(), when, (pair[1],)))

    def ensure_timepoint(self, pair: PairKey) -> Timepoint:
        """The timepoint of an exam pair, recorded (one edit) when it has none yet; refused without an exam date."""
        proj = self._with_timepoint(self.project, pair)
        if proj is not self.project:
            self.reading.apply(f"timepoint of {pair[1]}", proj)
        found = timepoint_of_pair(self.project, pair[0], pair[1])
        if found is None:
            raise ValidationError(f"exam pair {pair[1]} has no exam date: it cannot be a timepoint", where="exam_date")
        return found

    def add_treatment_line(self, patient_id: str, name: str, start_date: _dt.date | str,
                           end_date: _dt.date | str | None = None) -> TreatmentLine:
        """A new treatment line with the next free number as its id, whatever its start: shown and said by its place
        in date order (:func:`line_order`), so a line started before the others is line 1 and they move down one; its
        baseline is the reader's choice (:func:`suggested_baseline` offers one)."""
        used = [n for (p, n) in self.project.treatment_lines if p == patient_id]
        return self.set_treatment_line(patient_id, max(used, default=0) + 1, name, start_date, end_date)

    def clear_baseline(self, patient_id: str, line_number: int = 0) -> None:
        key = (patient_id, self.reading.reader, line_number)
        if key in self.project.followup_baselines:
            self.reading.apply(f"no baseline {_for_line(self.project, patient_id, line_number)}",
                               self.project.without("followup_baselines", key))

    def link_lesion(self, pair: PairKey, lesion_id: str, tracking_uid: str) -> None:
        """Make a lesion the same lesion as an earlier one (its tracking UID): one identity across timepoints."""
        lesion = self._lesion(pair, lesion_id)
        for other in self.project.lesions_of(pair[0], pair[1], self.reading.reader):
            if other.tracking_uid == tracking_uid and other.lesion_id != lesion_id:
                raise ValidationError(f"{other.lesion_id} of {pair[1]} is already that lesion", where="tracking_uid")
        self.reading.apply(f"{lesion_id} linked to an earlier lesion",
                           self.project.with_record(lesion.with_changes(tracking_uid=tracking_uid)))

    def carry_forward(self, prior_pair: PairKey, prior_lesion_id: str, pair: PairKey, keep_id: bool = False) -> str:
        """Add to ``pair`` the lesion ``prior_lesion_id`` of the prior timepoint: same identity (tracking
        UID), lobe and segment, and its follow-up attributes with status *not assessed* until the
        reader assesses it (the pair gets its timepoint when it has none). ``keep_id``: the prior's
        lesion id when it is free here. Returns the new lesion id."""
        prior = self._lesion(prior_pair, prior_lesion_id)
        if any(les.tracking_uid == prior.tracking_uid
               for les in self.project.lesions_of(pair[0], pair[1], self.reading.reader)):
            raise ValidationError(f"{prior_lesion_id} is already carried into {pair[1]}", where="pair")
        if pair not in self.project.exam_pairs or pair[0] != prior_pair[0]:
            raise ValidationError(f"no exam pair {pair!r} of {prior_pair[0]}", where="pair")
        taken = {les.lesion_id for les in self.project.lesions_of(pair[0], pair[1], self.reading.reader)}
        lid = prior.lesion_id if keep_id and prior.lesion_id not in taken \
            else self.project.next_lesion_id(pair[0], pair[1], self.reading.reader)
        lesion = Lesion(pair[0], pair[1], self.reading.reader, lid, prior.lobe, prior.segment,
                        tracking_uid=prior.tracking_uid)
        proj = self.project.with_record(lesion)
        f = self.project.lesion_followups.get(prior.key)
        if f is not None:
            proj = self._with_timepoint(proj, pair).with_record(replace(f, exam_pair_id=pair[1], lesion_id=lid,
                                                                        status=FollowupStatus.NOT_ASSESSED))
        self.reading.apply(f"{prior_lesion_id} carried forward as {lid}", proj)
        return lid

    def carry_followup(self, prior_pair: PairKey, prior_lesion_id: str, pair: PairKey, lesion_id: str) -> None:
        """Give ``lesion_id`` of ``pair``, carried from ``prior_lesion_id`` of ``prior_pair`` (same tracking UID) before
        the prior had a follow-up record, the prior's follow-up attributes, status *not assessed* (the pair gets its
        timepoint when it has none). A reader carried the lesions before choosing the targets at the baseline, then
        chose them there: the lesions here kept no kind, to be chosen a second time by hand."""
        prior, lesion = self._lesion(prior_pair, prior_lesion_id), self._lesion(pair, lesion_id)
        if prior.tracking_uid != lesion.tracking_uid:
            raise ValidationError(f"{lesion_id} of {pair[1]} is not {prior_lesion_id} of {prior_pair[1]}", where="lesion")
        f = self.project.lesion_followups.get(prior.key)
        if f is None:
            raise ValidationError(f"{prior_lesion_id} of {prior_pair[1]} has no follow-up record", where="lesion")
        if lesion.key in self.project.lesion_followups:
            raise ValidationError(f"{lesion_id} of {pair[1]} has its follow-up record", where="lesion")
        proj = self._with_timepoint(self.project, pair).with_record(
            replace(f, exam_pair_id=pair[1], lesion_id=lesion_id, status=FollowupStatus.NOT_ASSESSED))
        self.reading.apply(f"{prior_lesion_id}'s follow-up carried to {lesion_id}", proj)

    def renumber(self, pair: PairKey, lesion_id: str, new_id: str) -> None:
        """Give a lesion of ``pair`` another id (free on the exam), its follow-up record and count marks with it
        (its identity, the tracking UID, stays): a lesion started with N before the prior's were carried took
        the id a carried lesion keeps (a reader's check: every carried lesion was renumbered, and the notes,
        which name lesions by their baseline ids, named the wrong ones)."""
        lesion = self._lesion(pair, lesion_id)
        if any(les.lesion_id == new_id for les in self.project.lesions_of(pair[0], pair[1], self.reading.reader)):
            raise ValidationError(f"{new_id} is taken in {pair[1]}", where="lesion_id")
        moved = replace(lesion, lesion_id=new_id)
        proj = self.project.without("lesions", lesion.key).with_record(moved)
        for mark in self.project.count_marks.values():
            if mark.lesion_id == lesion_id and (mark.patient_id, mark.exam_pair_id, mark.reader) == lesion.key[:3]:
                proj = proj.with_record(replace(mark, lesion_id=new_id))
        f = self.project.lesion_followups.get(lesion.key)
        if f is not None:
            proj = proj.without("lesion_followups", f.key).with_record(replace(f, lesion_id=new_id))
        self.reading.apply(f"{lesion_id} renumbered {new_id}", proj)

    def mark_measured(self, pair: PairKey) -> list[str]:
        """Targets and new lesions of ``pair`` *not assessed* (carried forward) whose line is drawn on their
        assessed series become *measured*, and non-targets so drawn *present* (a line drawn is a lesion seen;
        unequivocal progression stays the reader's call: a reader's check found non-targets with their lines
        left "not assessed", the non-target response NE at every timepoint), in one edit; returns their ids."""
        proj, done = self.project, []
        for les in self.project.lesions_of(pair[0], pair[1], self.reading.reader):
            f = proj.lesion_followups.get(les.key)
            if f is None or f.status is not FollowupStatus.NOT_ASSESSED:
                continue
            if isinstance(les.observation(f.assessed_role), Measurement):
                now = FollowupStatus.PRESENT if f.kind is FollowupKind.NON_TARGET else FollowupStatus.MEASURED
                proj = proj.with_record(replace(f, status=now))
                done.append(les.lesion_id)
        if done:
            self.reading.apply(f"{', '.join(done)} measured", proj)
        return done

    def _lesion(self, pair: PairKey, lesion_id: str) -> Lesion:
        lesion = self.project.lesions.get((pair[0], pair[1], self.reading.reader, lesion_id))
        if lesion is None:
            raise ValidationError(f"no lesion {lesion_id} of reader {self.reading.reader} in {pair[1]}",
                                  where="lesion_id")
        return lesion

    def clear_lesion_followup(self, pair: PairKey, lesion_id: str) -> None:
        key = (pair[0], pair[1], self.reading.reader, lesion_id)
        if key in self.project.lesion_followups:
            self.reading.apply(f"follow-up of {lesion_id} cleared", self.project.without("lesion_followups", key))


# ---------------------------------------------------------------------------- queries
def outside_liver(project: Project) -> dict[tuple[str, str, str, str], str]:
    """Lesion keys the reader recorded in another organ at follow-up (a node, bone...), on any exam of
    the lesion (its tracking UID): key -> organ. Not liver metastases: the study's analysis leaves
    them out, as the counts already do."""
    organs = {}
    for f in project.lesion_followups.values():
        les = project.lesions.get((f.patient_id, f.exam_pair_id, f.reader, f.lesion_id))
        if f.organ != LIVER and les is not None:
            organs[(f.patient_id, f.reader, les.tracking_uid)] = f.organ
    return {key: organs[(key[0], key[2], les.tracking_uid)] for key, les in project.lesions.items()
            if (key[0], key[2], les.tracking_uid) in organs}


def lines_of(project: Project, patient_id: str) -> list[TreatmentLine]:
    """A patient's treatment lines in the order a clinician numbers them: by start date (on one day, the one recorded
    first). A line's ``line_number`` is its id in the store, kept whatever lines come later: a baseline chosen for it
    (every reader's, reader-owned rows another reader may not see) stays with it. A line added with an earlier start
    took the next number after the others, and the panel listed it after them as "line 3" (session 46's leftovers)."""
    return sorted((t for t in project.treatment_lines.values() if t.patient_id == patient_id),
                  key=lambda t: (t.start_date, t.line_number))


def _timepoint_said(project: Project, patient_id: str, timepoint_id: str) -> str:
    """A timepoint as the status bar and Edit say it: its place by date and its date ("timepoint 2 (2023-10-17)"); its
    id ("T2") read as the T2 FS series ("recorded: baseline T2 for line 2": a radiologist-engineer, session 48)."""
    tps = timepoints_of(project, patient_id)
    place = next((i for i, t in enumerate(tps, 1) if t.timepoint_id == timepoint_id), None)
    if place is None:
        return f"timepoint {timepoint_id}"
    return f"timepoint {place} ({tps[place - 1].exam_date.isoformat()})"


def _for_line(project: Project, patient_id: str, line_number: int) -> str:
    """"for line 2" (its place by start), "before any line" for the row before any (line 0)."""
    return f"for line {line_order(project, patient_id, line_number)}" if line_number else "before any line"


def line_order(project: Project, patient_id: str, line_number: int) -> int:
    """Line ``line_number``'s place among the patient's lines by start date (1 the earliest), the number the reader sees;
    0 (before any line) and an unknown id are given back as they are."""
    ids = [t.line_number for t in lines_of(project, patient_id)]
    return ids.index(line_number) + 1 if line_number in ids else line_number


def timepoints_of(project: Project, patient_id: str) -> list[Timepoint]:
    return sorted((t for t in project.timepoints.values() if t.patient_id == patient_id), key=lambda t: t.exam_date)


def followed_before(project: Project, reader: str, pair: PairKey) -> bool:
    """The reader has follow-up records of the patient on an exam dated before this pair's, and this
    pair's timepoint is not one of the reader's baselines (a treatment line's new baseline: its lesions
    are the baseline's, a review found them recorded new): a lesion started here is new at this
    timepoint (RECIST: one not seen before), unless the reader says else."""
    def when(exam_pair_id: str) -> _dt.date | None:
        rec = project.exam_pairs.get((pair[0], exam_pair_id))
        return (rec.ct_date or rec.mri_date) if rec is not None else None

    here = when(pair[1])
    if here is None:
        return False
    tp = timepoint_of_pair(project, pair[0], pair[1])
    if tp is not None and any(b.timepoint_id == tp.timepoint_id for b in project.followup_baselines.values()
                              if b.patient_id == pair[0] and b.reader == reader):
        return False
    return any(f.patient_id == pair[0] and f.reader == reader and f.exam_pair_id != pair[1]
               and (d := when(f.exam_pair_id)) is not None and d < here for f in project.lesion_followups.values())


def timepoint_of_pair(project: Project, patient_id: str, exam_pair_id: str) -> Timepoint | None:
    return next((t for t in project.timepoints.values()
                 if t.patient_id == patient_id and exam_pair_id in t.exam_pair_ids), None)


def series_date(project: Project, patient_id: str, exam_pair_id: str, role: Role) -> _dt.date | None:
    """The date of a pair's series of ``role``: its MRI's for an MR role, else its CT's (the other when missing)."""
    rec = project.exam_pairs.get((patient_id, exam_pair_id))
    if rec is None:
        return None
    return (rec.mri_date or rec.ct_date) if role.value.startswith("mr_") else (rec.ct_date or rec.mri_date)


def assessed_date(project: Project, reader: str, tp: Timepoint) -> _dt.date:
    """The date a timepoint's assessment is dated by: that of the series its targets are assessed on (a pair's CT
    and MRI may be up to 3 months apart; dating by the CT put a wrong interval into the days from baseline, the
    growth rate, SD's minimum duration and the confirmation when the targets were measured on the MRI). Targets
    on series of different dates: the date most of them are assessed on, on a tie the earliest (RECIST dates a
    progression at its first observation). No target at the timepoint: the same over its other lesions; none: the
    timepoint's own exam date (see :func:`assessed_dates` for a patient's, kept in order)."""
    found: dict[bool, list[_dt.date]] = {True: [], False: []}
    for f in project.lesion_followups.values():
        if f.patient_id == tp.patient_id and f.reader == reader and f.exam_pair_id in tp.exam_pair_ids:
            d = series_date(project, f.patient_id, f.exam_pair_id, f.assessed_role)
            if d is not None:
                found[f.kind is FollowupKind.TARGET].append(d)
    dates = found[True] or found[False]
    if not dates:
        return tp.exam_date
    return min(set(dates), key=lambda d: (-dates.count(d), d))


def assessed_dates(project: Project, reader: str, patient_id: str) -> dict[tuple[str, str], _dt.date]:
    """Timepoint key -> :func:`assessed_date` for a patient's timepoints; one that would fall on or before the
    previous timepoint's keeps its own exam date (the timepoints stay in order, one per date)."""
    out: dict[tuple[str, str], _dt.date] = {}
    last: _dt.date | None = None
    for tp in timepoints_of(project, patient_id):
        d = assessed_date(project, reader, tp)
        if last is not None and d <= last:
            d = tp.exam_date
        out[tp.key] = last = d
    return out


def baseline_timepoints(project: Project, patient_id: str, reader: str) -> list[Timepoint]:
    """The reader's chosen baselines in date order. The first reference (before any line, or the first line by
    start date) is the reader's choice too; when neither has one it defaults to the first line's offer
    (:func:`suggested_baseline`), else the first timepoint, and stays before any later line's chosen baseline (a
    reader's check chose only line 2's baseline and line 1, with no choice, was gone: its PR and PD "before the
    baseline")."""
    choices = {b.line_number: b.timepoint_id for b in project.followup_baselines.values()
               if b.patient_id == patient_id and b.reader == reader}
    tps = timepoints_of(project, patient_id)
    picked = [t for t in tps if t.timepoint_id in set(choices.values())]
    first = next((t.line_number for t in lines_of(project, patient_id)), None)
    if not tps or 0 in choices or first in choices:
        return picked
    default = (suggested_baseline(project, patient_id, first) if first is not None else None) or tps[0]
    if picked and picked[0].exam_date <= default.exam_date:
        return picked
    return [default, *picked]


def suggested_baseline(project: Project, patient_id: str, line_number: int) -> Timepoint | None:
    """The baseline a treatment line offers: the latest timepoint on or before its start date."""
    line = project.treatment_lines.get((patient_id, line_number))
    if line is None:
        return None
    before = [t for t in timepoints_of(project, patient_id) if t.exam_date <= line.start_date]
    return before[-1] if before else None


def role_change(project: Project, lesion: Lesion) -> str:
    """Why the lesion's assessed role breaks RECIST's one technique per lesion ("" when it does not):
    another role (or modality) than at its baseline."""
    f = project.lesion_followups.get(lesion.key)
    if f is None:
        return ""
    base = baseline_role(project, lesion)
    if f.assessed_role is base:
        return ""
    modality = " (another modality)" if f.assessed_role.value[:2] != base.value[:2] else ""
    return f"assessed on {role_label(f.assessed_role)}, on {role_label(base)} at baseline{modality}"


def baseline_role(project: Project, lesion: Lesion) -> Role:
    """The role the lesion (same tracking UID, same reader) is assessed on at its baseline."""
    bases = baseline_timepoints(project, lesion.patient_id, lesion.reader)
    here = timepoint_of_pair(project, lesion.patient_id, lesion.exam_pair_id)
    earlier = [b for b in bases if here is None or b.exam_date <= here.exam_date]
    for base in reversed(earlier):
        for f in project.lesion_followups.values():
            if (f.patient_id, f.reader) == (lesion.patient_id, lesion.reader) and f.exam_pair_id in base.exam_pair_ids:
                other = project.lesions.get(f.key)
                if other is not None and other.tracking_uid == lesion.tracking_uid:
                    return f.assessed_role
    return DEFAULT_ASSESSED_ROLE


@dataclass(frozen=True)
class WorkItem:
    """One lesion to assess at a follow-up, as the reader steps target by target: the prior
    timepoint's lesion (key, follow-up attributes, diameter on its assessed role) beside the current
    one (None until carried forward or linked)."""

    prior: LesionKey
    current: LesionKey | None
    kind: FollowupKind
    assessed_role: Role
    prior_diameter_mm: float | None


def prior_timepoint(project: Project, patient_id: str, timepoint_id: str) -> Timepoint | None:
    order = timepoints_of(project, patient_id)
    ids = [t.timepoint_id for t in order]
    if timepoint_id not in ids:
        raise ValidationError(f"no timepoint {timepoint_id!r} of {patient_id}", where="timepoint_id")
    i = ids.index(timepoint_id)
    return order[i - 1] if i else None


def worklist(project: Project, reader: str, patient_id: str, timepoint_id: str) -> list[WorkItem]:
    """The prior timepoint's lesions with follow-up attributes (targets, then non-targets, then new;
    in lesion-id order) and their counterparts at this timepoint (same tracking UID)."""
    prior = prior_timepoint(project, patient_id, timepoint_id)
    if prior is None:
        return []
    here = project.timepoints[(patient_id, timepoint_id)]
    current = {les.tracking_uid: les.key for pid in here.exam_pair_ids
               for les in project.lesions_of(patient_id, pid, reader)}
    order = {FollowupKind.TARGET: 0, FollowupKind.NON_TARGET: 1, FollowupKind.NEW: 2}
    items = []
    for f in project.lesion_followups.values():
        if f.patient_id != patient_id or f.reader != reader or f.exam_pair_id not in prior.exam_pair_ids:
            continue
        lesion = project.lesions.get(f.key)
        if lesion is None:
            continue
        obs = lesion.observation(f.assessed_role)
        size = (obs.short_axis_mm if f.nodal else obs.diameter_mm) if isinstance(obs, Measurement) else None
        items.append((order[f.kind], lesion.number, WorkItem(f.key, current.get(lesion.tracking_uid), f.kind,
                                                             f.assessed_role, size)))
    return [item for _, _, item in sorted(items, key=lambda x: (x[0], x[1]))]


def followup_readers(project: Project) -> list[str]:
    return sorted({f.reader for f in project.lesion_followups.values()})


# ---------------------------------------------------------------------------- engine input
def _labels(project: Project, reader: str, patient_id: str, order: list[Timepoint]) -> dict[str, str]:
    """tracking UID -> a readable lesion label: its lesion id where it first appears (+ "@T" and the timepoint's
    number on a clash, "L6@T3": its date was a calendar date in a pseudonymised export's lesion ids, a review)."""
    labels: dict[str, str] = {}
    used: set[str] = set()
    for number, tp in enumerate(order, 1):
        for f in sorted(project.lesion_followups.values(), key=lambda f: f.key):
            if f.patient_id != patient_id or f.reader != reader or f.exam_pair_id not in tp.exam_pair_ids:
                continue
            uid = project.lesions[f.key].tracking_uid if f.key in project.lesions else ""
            if uid and uid not in labels:
                label = f.lesion_id if f.lesion_id not in used else f"{f.lesion_id}@T{number}"
                labels[uid] = label
                used.add(label)
    return labels


def _diameter(lesion: Lesion, f: LesionFollowup, where: str, strict: bool) -> float | None:
    if f.status is not FollowupStatus.MEASURED:
        return None
    obs = lesion.observation(f.assessed_role)
    if not strict and (not isinstance(obs, Measurement) or (f.nodal and obs.short_axis_mm is None)):
        return None
    if not isinstance(obs, Measurement):
        raise InputFormatError(f"status measured but no measurement on {f.assessed_role.value}", where=where,
                               advice="measure the lesion on its assessed series or change its status")
    if f.nodal and f.kind is FollowupKind.TARGET:
        if obs.short_axis_mm is None:
            raise InputFormatError(f"a nodal target needs its short axis on {f.assessed_role.value}", where=where,
                                   advice="draw the short axis with the bidirectional tool")
        size, what = obs.short_axis_mm, "short axis"
    else:
        size, what = obs.diameter_mm, "line"
    if strict and size <= 0:
        # named here, by lesion and exam: the engine's check named "follow-up, row 2, column 'diameter_mm'", a row
        # of a table the reader never sees (a RECIST audit)
        raise InputFormatError(f"status measured but its {what} on {f.assessed_role.value} has length 0 (both ends "
                               "on one point): no diameter", where=where,
                               advice="draw the line again or change the lesion's status")
    return size


def _measured(lesion: Lesion, f: LesionFollowup) -> float | None:
    """Its size on its assessed series whatever its kind and status (nodal: the short axis), or None."""
    obs = lesion.observation(f.assessed_role)
    if not isinstance(obs, Measurement):
        return None
    size = obs.short_axis_mm if f.nodal else obs.diameter_mm
    return size if size is not None and size > 0 else None  # a line whose ends meet is no size


def followup_rows(project: Project, reader: str, source: str = "store", *, strict: bool = True,
                  patient_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """FOLLOWUP.csv rows (typed values) of one reader: one per lesion with follow-up attributes.

    ``strict``: a lesion *measured* without its measurement (or a nodal target without its short
    axis) raises InputFormatError; otherwise its diameter is left empty (the export).
    """
    rows: list[dict[str, Any]] = []
    if strict:
        for f in project.lesion_followups.values():
            if f.reader == reader and (patient_ids is None or f.patient_id in patient_ids) \
                    and timepoint_of_pair(project, f.patient_id, f.exam_pair_id) is None:
                raise InputFormatError(f"exam pair {f.exam_pair_id} is in no timepoint",
                                       where=f"{source}, lesion {f.lesion_id} of {f.patient_id} ({reader})",
                                       advice="add the pair to a timepoint (its exam date) or clear the lesion's "
                                              "follow-up attributes")
    for patient_id in sorted(project.patients) if patient_ids is None else patient_ids:
        order = timepoints_of(project, patient_id)
        if not order:
            continue
        labels = _labels(project, reader, patient_id, order)
        bases = {b.timepoint_id for b in baseline_timepoints(project, patient_id, reader)}
        dated = assessed_dates(project, reader, patient_id)
        for tp in order:
            for f in sorted(project.lesion_followups.values(), key=lambda f: f.key):
                if f.patient_id != patient_id or f.reader != reader or f.exam_pair_id not in tp.exam_pair_ids:
                    continue
                where = f"{source}, lesion {f.lesion_id} of {patient_id} {f.exam_pair_id} ({reader})"
                lesion = project.lesions.get(f.key)
                if lesion is None:
                    raise InputFormatError("follow-up attributes of a lesion that does not exist", where=where)
                rows.append({
                    "patient_id": patient_id, "timepoint_date": dated[tp.key].isoformat(),
                    "lesion_id": labels[lesion.tracking_uid], "kind": f.kind.value, "organ": f.organ,
                    "nodal": f.nodal, "status": f.status.value,
                    "diameter_mm": _diameter(lesion, f, where, strict),
                    "baseline": tp.timepoint_id in bases, "series_role": f.assessed_role.value,
                    "parent_lesion_id": labels.get(f.parent_tracking_uid, f.parent_tracking_uid),
                    "treated": f.treated, "tracking_uid": lesion.tracking_uid, "measured_mm": _measured(lesion, f)})
    return rows


def treatment_line_rows(project: Project) -> list[dict[str, Any]]:
    return [{"patient_id": t.patient_id, "name": t.name, "start_date": t.start_date.isoformat(),
             "end_date": t.end_date.isoformat() if t.end_date else None}
            for t in sorted(project.treatment_lines.values(), key=lambda t: (t.patient_id, t.start_date))]


# ---------------------------------------------------------------------------- export
def first_exam_date(project: Project, patient_id: str) -> _dt.date | None:
    """The patient's earliest exam (CT or MRI of a pair, or a timepoint): day 0 of a pseudonymised export."""
    dates = [d for p in project.pairs_of(patient_id) for d in (p.ct_date, p.mri_date) if d is not None]
    dates += [t.exam_date for t in timepoints_of(project, patient_id)]
    return min(dates, default=None)


def days_from(day0: _dt.date | None, value: Any) -> int | None:
    """Days from ``day0`` of an ISO date (text or date), None when either is missing."""
    if day0 is None or value is None or value == "":
        return None
    d = value if isinstance(value, _dt.date) else _dt.date.fromisoformat(str(value))
    return (d - day0).days


def pseudonymise_dates(rows: list[dict[str, Any]], day0s: dict[str, _dt.date | None],
                       columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each ``<x>_date`` column of ``columns`` replaced by ``<x>_day``: days from the patient's first exam."""
    out = []
    for row in rows:
        new: dict[str, Any] = {}
        for k, v in row.items():
            if k in columns:
                new[k[:-len("_date")] + "_day"] = days_from(day0s.get(row["patient_id"]), v)
            else:
                new[k] = v
        out.append(new)
    return out


def followup_export_rows(project: Project) -> list[dict[str, Any]]:
    """followup.csv of an export: every reader's FOLLOWUP.csv rows with a ``reader`` column."""
    rows = []
    for reader in followup_readers(project):
        rows += [{"reader": reader, **r} for r in followup_rows(project, reader, "export", strict=False)]
    return rows

