"""RECIST 1.1 response and the NEN specifics over a patient's course: pure functions, no I/O.

Rules and sources: ../shared/domain/followup.md (Eisenhauer et al., Eur J Cancer 2009;45:228-247,
the RECIST working group's FAQ; TNCD 2020 for slow progression; Ferté et al. for the growth rate).
The rules as implemented, one by one, are in analysis/README.md ("Follow-up response").

Entry point: :func:`assess_course` (one patient) / :func:`assess_courses`. The building blocks
(:func:`target_values`, :func:`target_response`, :func:`non_target_response`,
:func:`overall_response`, :func:`best_overall_response`, :func:`tgr_pct_per_month`,
:func:`target_ineligibility`, :func:`baseline_flags`) are public so the reading GUI can show
them as the reader works. Comparisons against the 20 %, 30 % and 5 mm thresholds allow 1e-9 of
floating-point slack, so 60 mm over a 50 mm nadir is +20 % exactly.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

from analysis.response_records import (FollowupKind, FollowupStatus, LesionObservation, PatientCourse, Response,
                                       Settings, Timepoint, TimepointResponse)
from annotation.followup_records import PD_MIN_INCREASE_PCT, PR_MIN_DECREASE_PCT
from annotation.records import SHOWN_MM_DECIMALS
from viewer.model.layout import role_label
from viewer.records import Role

_EPS = 1e-9
#: Days per month in the growth rate (365.25 / 12).
DAYS_PER_MONTH = 30.4375
PD_MIN_INCREASE_MM = 5.0
NODE_NORMAL_MM = 10.0
MAX_TARGETS, MAX_TARGETS_PER_ORGAN = 5, 2
MIN_LESION_MM, MIN_NODE_SHORT_AXIS_MM = 10.0, 15.0
#: The organ every nodal target counts in for the two-per-organ rule (RECIST FAQ: lymph nodes are one organ).
NODES_ORGAN = "lymph nodes"


# ---------------------------------------------------------------------------- baseline eligibility
def target_ineligibility(obs: LesionObservation) -> tuple[str, ...]:
    """Why a lesion recorded at baseline is not measurable as a target (empty when it is)."""
    why = []
    if obs.status is not FollowupStatus.MEASURED or obs.diameter_mm is None:
        why.append(f"not measured at baseline ({obs.status.label})")
    elif obs.nodal and obs.diameter_mm < MIN_NODE_SHORT_AXIS_MM - _EPS:
        why.append(f"node short axis {_under(obs.diameter_mm, MIN_NODE_SHORT_AXIS_MM)}")
    elif not obs.nodal:
        thick = obs.slice_thickness_mm
        least = 2 * thick if thick is not None and thick > 5.0 else MIN_LESION_MM
        if obs.diameter_mm < least - _EPS:
            rule = f"twice the {thick:g} mm slices" if least != MIN_LESION_MM else f"{MIN_LESION_MM:g} mm"
            why.append(_under(obs.diameter_mm, least, rule))
    if obs.treated:
        why.append("treated locally (a target only once it progresses)")
    return tuple(why)


def _below(value_mm: float, limit_mm: float) -> str:
    """A size under a limit as the screen shows sizes (a tenth of a mm; a reader's check read "11.0272 mm"),
    with a hundredth more where a tenth would round it up to the limit ("14.96", not "15.0 < 15")."""
    shown = f"{value_mm:.1f}"
    return shown if float(shown) < limit_mm - _EPS else f"{math.floor(value_mm * 100) / 100:.2f}"


def _under(value_mm: float, limit_mm: float, rule: str = "") -> str:
    """"9.99 mm < 10 mm (rule)", and where the screen and the tables show the size as the limit (to a tenth of a mm:
    10.0), that they round it (a reader compared "target L2: 9.99 mm < 10 mm" with the xlsx's 10, session 48)."""
    shown = _below(value_mm, limit_mm)
    tenth = f"{value_mm:.{SHOWN_MM_DECIMALS}f}"
    said = f"{shown} mm < {limit_mm:g} mm" + (f" ({rule})" if rule else "")
    return said + (f"; shown as {tenth} mm, rounded to {10 ** -SHOWN_MM_DECIMALS:g} mm" if shown != tenth else "")


def series_label(role: str) -> str:
    """A series as the notes name it, by its reader-facing label ("CT portal"; a reader's check read the
    file values "ct_portal" in the follow-up dock), or the value itself when it names no role."""
    try:
        return role_label(Role(role)) or role
    except ValueError:
        return role


def baseline_flags(baseline: Timepoint) -> tuple[str, ...]:
    """Violations of the baseline rules, flagged (never dropped): count, per organ, measurability, a normal node
    (< 10 mm short axis) chosen as a non-target."""
    targets = [o for o in baseline.observations if o.kind is FollowupKind.TARGET]
    flags = []
    if len(targets) > MAX_TARGETS:
        flags.append(f"{len(targets)} targets (at most {MAX_TARGETS})")
    # the RECIST working group's FAQ ("paired organs"): the lymph nodes are one organ whatever their region or the
    # organ a reader names (an audit: three nodes, named by region, went unflagged)
    for organ, n in sorted(Counter(NODES_ORGAN if o.nodal else o.organ for o in targets).items()):
        if n > MAX_TARGETS_PER_ORGAN:
            flags.append(f"{n} targets in {organ} (at most {MAX_TARGETS_PER_ORGAN} per organ"
                         + (", the nodes counting as one organ)" if organ == NODES_ORGAN else ")"))
    for o in sorted(targets, key=lambda o: o.lesion_id):
        flags += [f"target {o.lesion_id}: {why}" for why in target_ineligibility(o)]
    # followup.md: nodes < 10 mm short axis are normal -- no lesion, so not a non-target either (an audit: one chosen
    # as a non-target, seen again without its short axis drawn, kept the patient from CR with nothing said)
    flags += [f"non-target {o.lesion_id}: node short axis {_under(o.measured_mm, NODE_NORMAL_MM)} "
              "(a normal node, not a lesion)"
              for o in sorted(baseline.observations, key=lambda o: o.lesion_id)
              if o.kind is FollowupKind.NON_TARGET and o.nodal and o.status is FollowupStatus.PRESENT
              and o.measured_mm is not None and 0 < o.measured_mm < NODE_NORMAL_MM - _EPS]
    read_as_nt = sorted(o.lesion_id for o in baseline.observations if _new_at_baseline(o))
    if read_as_nt:
        flags.append(f"'new' lesions at the baseline read as non-targets: {', '.join(read_as_nt)} (every lesion not "
                     "chosen as a target is a non-target: record its kind)")
    if any(o.kind is FollowupKind.NEW and not _new_at_baseline(o) for o in baseline.observations):
        flags.append("'new' lesions at the baseline not seen there (absent, equivocal, not assessed) are ignored")
    return tuple(flags)


def _new_at_baseline(o: LesionObservation) -> bool:
    """A lesion of kind new seen (present or measured) at a baseline: one of its non-targets (followup.md: "all other
    lesions ... are non-targets"; it is there, so never new for that baseline)."""
    return o.kind is FollowupKind.NEW and o.status in (FollowupStatus.PRESENT, FollowupStatus.MEASURED)


def _as_baseline(tp: Timepoint) -> Timepoint:
    """A baseline's exam with each lesion of kind new seen there read as a non-target (present): the last line's new
    lesions at the next line's baseline exam, left 'new' (the kind carried forward), were ignored, and each later
    sight of them was a new lesion, PD for the whole line (an audit of the clinical case's third line)."""
    return Timepoint(tp.date, tuple(replace(o, kind=FollowupKind.NON_TARGET, status=FollowupStatus.PRESENT,
                                            diameter_mm=None) if _new_at_baseline(o) else o
                                    for o in tp.observations))


# ---------------------------------------------------------------------------- lineage and sums
def _parents(course: PatientCourse) -> dict[str, str]:
    """lesion id -> the parent it names at any timepoint (lineage of split and merged lesions)."""
    parents: dict[str, str] = {}
    for tp in course.timepoints:
        for o in tp.observations:
            if o.parent_lesion_id:
                parents.setdefault(o.lesion_id, o.parent_lesion_id)
    return parents


def _root(lesion_id: str, parents: Mapping[str, str], roots: Iterable[str]) -> str | None:
    """The baseline lesion (one of ``roots``) a lesion descends from, or None."""
    wanted, seen, current = set(roots), set(), lesion_id
    while current not in wanted:
        if current in seen or current not in parents:
            return None
        seen.add(current)
        current = parents[current]
    return current


@dataclass(frozen=True)
class TargetValues:
    """Each baseline target's contribution at a timepoint (None: not assessed) and what to flag."""

    values: Mapping[str, float | None]
    notes: tuple[str, ...]

    @property
    def sum_mm(self) -> float | None:
        vals = list(self.values.values())
        return None if any(v is None for v in vals) else math.fsum(v for v in vals if v is not None)

    @property
    def partial_sum_mm(self) -> float:
        return math.fsum(v for v in self.values.values() if v is not None)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(k for k, v in self.values.items() if v is None)


def target_values(targets: Mapping[str, LesionObservation], tp: Timepoint,
                  parents: Mapping[str, str], *, merged_before: Mapping[str, str] | None = None,
                  fragments_before: Mapping[str, str] | None = None) -> TargetValues:
    """Per baseline target: its diameter (nodes: short axis), 5 mm when too small, 0 when gone,
    None when not assessed; a split target's fragments summed; a target merged into another 0.

    ``merged_before``: target -> the target it merged into at an earlier timepoint of the line (with no row here it
    stays merged: 0); ``fragments_before``: fragment -> the target it split from at an earlier timepoint of the line
    (a fragment with no row here leaves its target not assessed, never silently out of the sum)."""
    rows = {o.lesion_id: o for o in tp.observations}
    values: dict[str, float | None] = {}
    notes: list[str] = []
    fragments: dict[str | None, list[LesionObservation]] = {}
    for lid, o in rows.items():
        if lid not in targets and o.kind is FollowupKind.TARGET:
            fragments.setdefault(_root(lid, parents, targets) if parents else None, []).append(o)
    for tid, base in targets.items():
        parts: list[LesionObservation] = []
        own = rows.get(tid)
        merged_into = own.parent_lesion_id if own is not None and own.parent_lesion_id in targets else ""
        if own is not None and not merged_into:
            parts.append(own)
        parts += fragments.get(tid, [])
        earlier = (merged_before or {}).get(tid, "")
        if merged_into or (own is None and not parts and earlier):
            # the chain of merges from here, through this exam's rows and, where a target has none, the merges of
            # earlier exams: one coming back on itself has no coalesced lesion measured (review38: two targets named
            # merged into each other at one exam, neither recorded at the next, were each 0 from the earlier merge:
            # sum 0, overall CR; the same with the loop closed across two exams)
            loop = _merge_loop(tid, rows, targets, merged_before or {})
            if loop:
                # each naming the other as the lesion it merged into, all counted 0: an audit read 38 + 30 mm as CR
                values[tid] = None
                notes.append(f"targets {' -> '.join(loop)} each merged into the next: not assessed (fix the parents)")
                continue
        if merged_into:
            values[tid] = 0.0
            notes.append(f"{tid} merged into {merged_into} (counted once)")
            continue
        if own is None and not parts and earlier:
            # followup.md: "the other counts 0" -- from the merge on, not only at the exam that saw it (an audit: a
            # merged target not carried to the next exam made every later response NE)
            values[tid] = 0.0
            notes.append(f"{tid} merged into {earlier} at an earlier exam (counted once)")
            continue
        lost = sorted(f for f, t in (fragments_before or {}).items() if t == tid and f not in rows
                      and not any(_root(x, parents, (f,)) == f for x in rows))  # split again: its fragments
        if lost:
            # a fragment seen at an earlier exam with no row here: its target is not assessed (an audit: 40 mm split
            # into 15 + 12, then one fragment alone, 14 mm, read as -65 %: a false PR)
            values[tid] = None
            notes += [f"fragment {f} of target {tid} not recorded" for f in lost]
            continue
        if not parts:
            values[tid] = None
            notes.append(f"target {tid} not recorded")
            continue
        vals: list[float | None] = []
        for p in parts:
            if p.kind is not FollowupKind.TARGET:
                notes.append(f"{p.lesion_id} is a target since the baseline, recorded as {p.kind.value.replace('_', '-')}")
                vals.append(None)
            else:
                vals.append(p.value_mm)
            if base.series_role and p.series_role and p.series_role != base.series_role:
                notes.append(f"{p.lesion_id} assessed on {series_label(p.series_role)}, "
                             f"baseline {series_label(base.series_role)}")
        if any(v is None for v in vals):
            values[tid] = None
            notes.append(f"target {tid} not assessed")
        else:
            values[tid] = math.fsum(v for v in vals if v is not None)
    notes += [f"{o.lesion_id} is not a baseline target: left out of the sum" for o in fragments.get(None, [])]
    return TargetValues(values, tuple(notes))


def _merge_loop(tid: str, rows: Mapping[str, LesionObservation], targets: Mapping[str, LesionObservation],
                merged_before: Mapping[str, str]) -> tuple[str, ...]:
    """The targets from ``tid`` on, each merged into the next (at this exam; a target with no row here: at an earlier
    exam, ``merged_before``), when that chain comes back on itself (no coalesced lesion is measured); empty when it
    ends at a target recorded as itself, or at one not recorded."""
    chain, current = [tid], tid
    while True:
        own = rows.get(current)
        if own is None:
            nxt = merged_before.get(current, "")
        else:
            nxt = own.parent_lesion_id if own.parent_lesion_id in targets else ""
        if not nxt:
            return ()
        if nxt in chain:
            cycle = chain[chain.index(nxt):]
            first = cycle.index(min(cycle))  # one way of saying it, whichever target it is said for
            return (*cycle[first:], *cycle[:first], cycle[first])
        chain.append(nxt)
        current = nxt


def _is_complete_response(targets: Mapping[str, LesionObservation], tv: TargetValues) -> bool:
    """Every non-nodal target gone and every nodal target < 10 mm short axis (the sum may be > 0)."""
    return all(v is not None and (v < NODE_NORMAL_MM - _EPS if targets[t].nodal else v <= _EPS)
               for t, v in tv.values.items())


def _pct(value: float, ref: float) -> float | None:
    return None if ref <= 0 else (value - ref) / ref * 100.0  # -100 exactly when value is 0


def _progressed(total: float, nadir: float) -> bool:
    """>= 20 % above the nadir and >= 5 mm absolute (a nadir of 0: any rise of >= 5 mm)."""
    rise = total - nadir
    return rise >= PD_MIN_INCREASE_MM - _EPS and rise * 100.0 >= PD_MIN_INCREASE_PCT * nadir - _EPS


# ---------------------------------------------------------------------------- responses
def target_response(targets: Mapping[str, LesionObservation], tv: TargetValues, baseline_sum: float | None,
                    nadir: float | None, cr_before: bool, *,
                    seen_unmeasured: Iterable[str] = ()) -> tuple[Response, tuple[str, ...]]:
    """CR / PR / SD / PD / NE of the targets at a follow-up; PD is decided first. ``cr_before``: an
    overall CR earlier, after which a target back (non-nodal > 0, node >= 10 mm) is PD; ``seen_unmeasured``: the
    non-nodal targets seen at this exam without a size (recorded under another kind), back too."""
    notes: list[str] = []
    if cr_before and (any(v is not None and (v >= NODE_NORMAL_MM - _EPS if targets[t].nodal else v > _EPS)
                          for t, v in tv.values.items()) or any(t in targets for t in seen_unmeasured)):
        return Response.PD, ("target reappeared after CR",)
    if baseline_sum is None or nadir is None:
        return Response.NE, ("baseline sum undefined",)
    total = tv.sum_mm
    if total is None:
        if _progressed(tv.partial_sum_mm, nadir):
            return Response.PD, ("PD on the assessed targets alone",)
        return Response.NE, ()
    if _progressed(total, nadir):
        return Response.PD, ()
    if _is_complete_response(targets, tv):
        return Response.CR, ()
    if baseline_sum > 0 and (baseline_sum - total) * 100.0 >= PR_MIN_DECREASE_PCT * baseline_sum - _EPS:
        return Response.PR, tuple(notes)
    return Response.SD, tuple(notes)


def non_target_response(non_targets: Mapping[str, LesionObservation], tp: Timepoint, parents: Mapping[str, str],
                        cr_before: bool) -> tuple[Response | None, tuple[str, ...]]:
    """CR (all gone; nodes normal), non-CR/non-PD (some persist), PD (unequivocal progression, or a
    non-nodal one present again after an overall CR: ``cr_before``), NE (one not assessed); None
    without non-targets at baseline."""
    if not non_targets:
        return None, ()
    statuses: list[FollowupStatus] = []
    notes: list[str] = []
    reappeared = False
    for o in tp.observations:
        if o.kind is not FollowupKind.NON_TARGET:
            continue
        if o.lesion_id not in non_targets and _root(o.lesion_id, parents, non_targets) is None:
            notes.append(f"non-target {o.lesion_id} was not recorded at baseline")
        if (normal := normal_node_mm(o)) is not None:
            # followup.md: non-target CR is every non-target gone *and nodes < 10 mm*: a node seen with its short
            # axis back under 10 mm is normal, not a persisting non-target (drawing its line makes it present)
            notes.append(f"node {o.lesion_id} short axis {_under(normal, NODE_NORMAL_MM)}: normal")
            statuses.append(FollowupStatus.ABSENT)
            continue
        statuses.append(o.status)
        # a node seen again is normal (< 10 mm) unless it progressed unequivocally (RECIST FAQ)
        reappeared |= o.status is FollowupStatus.PRESENT and not o.nodal
    seen = {o.lesion_id for o in tp.observations}
    missing = [n for n in non_targets if n not in seen
               and not any(_root(s, parents, non_targets) == n for s in seen)]
    notes += [f"non-target {n} not recorded" for n in sorted(missing)]
    if FollowupStatus.UNEQUIVOCAL_PROGRESSION in statuses:
        return Response.PD, tuple(notes)
    present = any(s is FollowupStatus.PRESENT for s in statuses)
    if cr_before and reappeared:
        return Response.PD, (*notes, "non-target reappeared after CR")
    if missing or FollowupStatus.NOT_ASSESSED in statuses:
        return Response.NE, tuple(notes)
    return (Response.NON_CR_NON_PD if present else Response.CR), tuple(notes)


def normal_node_mm(o: LesionObservation) -> float | None:
    """The short axis of a node seen with it drawn < 10 mm, else None: a normal node (followup.md: nodes < 10 mm are
    normal), no lesion, so never a new one and no persisting non-target. Seen: present (a non-target's or new
    lesion's ``measured_mm``, its line on its series) or measured (a target's diameter, its short axis). The one
    test of the engine's three places (non-target CR, a line's closing exam, a lesion not at the baseline)."""
    if not o.nodal:
        return None
    size = o.measured_mm if o.status is FollowupStatus.PRESENT else \
        o.diameter_mm if o.status is FollowupStatus.MEASURED else None
    return size if size is not None and size < NODE_NORMAL_MM - _EPS else None


def _normal_node_said(o: LesionObservation, size: float) -> str:
    return (f"{o.lesion_id}, recorded as a {o.kind.value.replace('_', '-')}"
            f", was not at the baseline: node short axis {_under(size, NODE_NORMAL_MM)}, "
            "a normal node, not a new lesion")


def new_lesions(tp: Timepoint, confirmed: Iterable[str] = ()) -> bool:
    """A lesion of kind ``new`` present (or measured) at the timepoint, or equivocal there and one of ``confirmed``
    (unequivocal at a later exam: :func:`confirmed_equivocal`)."""
    sure = set(confirmed)
    return any(o.kind is FollowupKind.NEW and (o.status in (FollowupStatus.PRESENT, FollowupStatus.MEASURED)
                                               or (o.status is FollowupStatus.EQUIVOCAL and o.lesion_id in sure))
               for o in tp.observations)


def confirmed_equivocal(tps: Sequence[Timepoint]) -> dict[_dt.date, tuple[str, ...]]:
    """Date -> the new lesions equivocal there that a later timepoint of ``tps`` shows unequivocally (present or
    measured, same lesion): followup.md, "equivocal new lesions: PD is dated at the first observation once
    confirmed". One equivocal until it is confirmed, or absent again (then never), counts at none."""
    out: dict[_dt.date, list[str]] = {}
    for i, tp in enumerate(tps):
        for o in tp.observations:
            if o.kind is not FollowupKind.NEW or o.status is not FollowupStatus.EQUIVOCAL:
                continue
            for later in tps[i + 1:]:
                seen = next((x for x in later.observations if x.lesion_id == o.lesion_id), None)
                if seen is None or seen.status in (FollowupStatus.EQUIVOCAL, FollowupStatus.NOT_ASSESSED):
                    continue
                if seen.kind is FollowupKind.NEW and seen.status in (FollowupStatus.PRESENT, FollowupStatus.MEASURED):
                    out.setdefault(tp.date, []).append(o.lesion_id)
                break
    return {d: tuple(sorted(ids)) for d, ids in out.items()}


def overall_response(target: Response | None, non_target: Response | None, new: bool) -> Response:
    """RECIST 1.1 table 1 (targets at baseline) or table 2 (non-targets only); PD takes precedence."""
    if new or target is Response.PD or non_target is Response.PD:
        return Response.PD
    if target is None:  # table 2
        return non_target if non_target is not None else Response.NE
    if target is Response.CR:
        return Response.CR if non_target in (Response.CR, None) else Response.PR
    if target in (Response.PR, Response.SD):
        return target
    return Response.NE


def best_overall_response(history: Sequence[tuple[_dt.date, Response]], baseline_date: _dt.date,
                          settings: Settings, *, confirm: bool, has_targets: bool) -> tuple[Response, str]:
    """Best overall response so far (RECIST 1.1 table 3) from the follow-ups' overall responses.

    Stops at the first PD. With ``confirm``, CR needs a later CR and PR a later PR or CR at least
    ``confirmation_min_days`` later, nothing worse in between (NE is skipped); otherwise SD (or
    non-CR/non-PD) counts once measured at least ``sd_min_days`` after the baseline; else PD when
    progression came, else NE.
    """
    seq: list[tuple[_dt.date, Response]] = []
    for d, r in history:
        seq.append((d, r))
        if r is Response.PD:
            break
    progressed = bool(seq) and seq[-1][1] is Response.PD
    pre = [x for x in seq if x[1] is not Response.PD]
    kinds = {r for _, r in pre}
    if confirm:
        if _confirmed(pre, {Response.CR}, settings.confirmation_min_days):
            return Response.CR, ""
        if has_targets and _confirmed(pre, {Response.CR, Response.PR}, settings.confirmation_min_days):
            return Response.PR, ""
    elif Response.CR in kinds:
        return Response.CR, ""
    elif Response.PR in kinds:
        return Response.PR, ""
    steady = {Response.CR, Response.PR, Response.SD, Response.NON_CR_NON_PD}
    if any(r in steady and (d - baseline_date).days >= settings.sd_min_days for d, r in pre):
        return (Response.SD if has_targets else Response.NON_CR_NON_PD), ""
    why = (f"no response held {settings.sd_min_days} days after the baseline"
           if kinds & steady else "")
    return (Response.PD if progressed else Response.NE), why


def _confirmed(pre: Sequence[tuple[_dt.date, Response]], good: set[Response], min_days: int) -> bool:
    for i, (di, ri) in enumerate(pre):
        if ri not in good:
            continue
        for dj, rj in pre[i + 1:]:
            if rj is Response.NE:
                continue
            if rj not in good:
                break
            if (dj - di).days >= min_days:
                return True
    return False


def tgr_pct_per_month(d0_mm: float, dt_mm: float, days: int) -> float | None:
    """Tumour growth rate, % per month: 100 (exp(3 ln(Dt / D0) / Δt) - 1), Δt = days / 30.4375;
    None when a sum is 0 (or the interval is not positive, or the rate overflows a float)."""
    if d0_mm <= 0 or dt_mm <= 0 or days <= 0:
        return None
    exponent = 3.0 * math.log(dt_mm / d0_mm) / (days / DAYS_PER_MONTH)
    return None if exponent > 700.0 else 100.0 * (math.exp(exponent) - 1.0)


# ---------------------------------------------------------------------------- the course
def assess_courses(courses: Iterable[PatientCourse], settings: Settings = Settings()) -> list[TimepointResponse]:
    out: list[TimepointResponse] = []
    for course in courses:
        out += assess_course(course, settings)
    return out


def assess_course(course: PatientCourse, settings: Settings = Settings()) -> tuple[TimepointResponse, ...]:
    """One TimepointResponse per timepoint, in date order (see the module docstring)."""
    parents = _parents(course)
    tps = course.timepoints
    index = {tp.date: i for i, tp in enumerate(tps)}
    starts = [index[d] for d in course.baseline_dates]
    out: list[TimepointResponse] = []
    first = tps[starts[0]]
    first_targets = {o.lesion_id: o for o in first.observations if o.kind is FollowupKind.TARGET}
    for tp in tps[:starts[0]]:
        tv = target_values(first_targets, tp, parents)
        out.append(_row(course, tp, None, tv.sum_mm, notes=("before the baseline",)))
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(tps)
        segment = list(tps[start:end])
        if end < len(tps) and end > start:
            # the next baseline closes this line too: its exam is this line's last assessment (the progression
            # that ended it, the PFS event) and the next line's baseline; two rows, one per baseline (a reader's
            # check chose the offered baseline for a second line and line 1's PD was gone everywhere)
            closing, said = _closing(tps[end], _as_baseline(tps[start]), parents)
            segment.append(closing)
        else:
            said = ()
        out += _assess_segment(course, segment, parents, settings, said)
    return tuple(out)


def _as_target(o: LesionObservation) -> tuple[LesionObservation, str]:
    """A target of a line recorded at the next line's baseline as a non-target or a new lesion, read as that line's
    target: gone (absent) is disappeared, seen is its measurement (``measured_mm``: a line on its series), not
    assessed without one (said: a FOLLOWUP.csv written by hand has no ``measured_mm``)."""
    if o.status is FollowupStatus.ABSENT:
        return replace(o, kind=FollowupKind.TARGET, status=FollowupStatus.DISAPPEARED, diameter_mm=None), ""
    if o.status is FollowupStatus.NOT_ASSESSED:
        return replace(o, kind=FollowupKind.TARGET, diameter_mm=None), ""
    size = o.measured_mm if o.measured_mm is not None and o.measured_mm > 0 else o.diameter_mm
    if size is None:
        return replace(o, kind=FollowupKind.TARGET, status=FollowupStatus.NOT_ASSESSED, diameter_mm=None), (
            f"{o.lesion_id}, a target of this line, is a {o.kind.value.replace('_', '-')} lesion of the next "
            "with no size on its series (measured_mm): not assessed")
    return replace(o, kind=FollowupKind.TARGET, status=FollowupStatus.MEASURED, diameter_mm=size), ""


def _as_non_target(o: LesionObservation) -> tuple[LesionObservation, str]:
    """A non-target of a line recorded at the next line's baseline as a target or a new lesion, read as that line's
    non-target: gone is absent, seen is present. Its own progression cannot be told from that record (one status
    per lesion and exam serves the new baseline): said, so that a line ended by it is not read as lasting (a
    review: a non-target progressing unequivocally, made a target of the next line, turned line 1's PD into PR)."""
    gone = o.status in (FollowupStatus.DISAPPEARED, FollowupStatus.ABSENT)
    status = FollowupStatus.ABSENT if gone else FollowupStatus.NOT_ASSESSED \
        if o.status is FollowupStatus.NOT_ASSESSED else FollowupStatus.PRESENT
    note = "" if status is not FollowupStatus.PRESENT else (
        f"{o.lesion_id}, a non-target of this line, is a {o.kind.value.replace('_', '-')} lesion of the next: read as "
        "present (an unequivocal progression of it is not recorded there)")
    return replace(o, kind=FollowupKind.NON_TARGET, status=status, diameter_mm=None), note


def _closing(tp: Timepoint, base: Timepoint, parents: Mapping[str, str]) -> tuple[Timepoint, tuple[str, ...]]:
    """``tp`` (the next line's baseline) as the last timepoint of the line of ``base``, each lesion of the line
    with the kind the line's baseline gave it (one kind per lesion and exam serves the new baseline: a reader's
    check made the 11 mm node, a target of line 1, a non-target of line 2 as RECIST asks, and line 1's last sum,
    its progression, was gone); a lesion present there that the line's baseline did not have (nor any lesion it
    descends from), recorded as a target or non-target of the new baseline, is a new lesion for this line. With
    the notes of what that reading could not tell."""
    known = {o.lesion_id: o.kind for o in base.observations}
    seen = (FollowupStatus.PRESENT, FollowupStatus.MEASURED, FollowupStatus.TOO_SMALL,
            FollowupStatus.UNEQUIVOCAL_PROGRESSION)
    out, notes = [], []
    for o in tp.observations:
        root = _root(o.lesion_id, parents, known)
        was = known.get(root) if root is not None else None
        note = ""
        if root is None:
            normal = normal_node_mm(o) if o.kind is not FollowupKind.NEW else None
            if normal is not None:  # review38: a normal node chosen at the next baseline closed this line with PD
                note = _normal_node_said(o, normal)
            elif o.kind is not FollowupKind.NEW and o.status in seen:
                o = replace(o, kind=FollowupKind.NEW, status=FollowupStatus.PRESENT, diameter_mm=None) \
                    if o.status is not FollowupStatus.MEASURED else replace(o, kind=FollowupKind.NEW)
        elif was is FollowupKind.TARGET and o.kind is not FollowupKind.TARGET:
            o, note = _as_target(o)
        elif was is FollowupKind.NON_TARGET and o.kind is not FollowupKind.NON_TARGET:
            o, note = _as_non_target(o)
        out.append(o)
        if note:
            notes.append(note)
    return Timepoint(tp.date, tuple(out)), tuple(notes)


def _with_baseline_kinds(tp: Timepoint, base: Timepoint, parents: Mapping[str, str]) \
        -> tuple[Timepoint, tuple[str, ...], frozenset[str]]:
    """``tp`` (a follow-up) with each lesion read by what it is for the baseline ``base``: a baseline lesion with the
    kind the baseline gave it; a fragment recorded as a new lesion (the kind of a lesion started with N on a
    follow-up), or with any other kind than its lesion's, whose parent leads to a baseline lesion is part
    of it, summed into a target (followup.md: "the fragments' diameters are summed"; a reader's check gave the
    fragment its parent but left its kind new: counted as a new lesion, a false PD, and left out of the sum), or
    one more sight of a non-target; a lesion recorded as a target, seen, that the baseline did not have (nor any
    lesion it descends from) is a new lesion. With the notes of what was so read."""
    known = {o.lesion_id: o.kind for o in base.observations if o.kind is not FollowupKind.NEW}
    nodal = {o.lesion_id for o in base.observations if o.nodal}
    out, notes, seen_unmeasured = [], [], set()
    for o in tp.observations:
        root = _root(o.lesion_id, parents, known) if o.lesion_id not in known else None
        was = known.get(o.lesion_id)
        if was is not None and o.kind is not was:
            # a baseline lesion keeps the kind its baseline gave it (RECIST 1.1 4.2: targets and non-targets are chosen
            # at baseline) and is never new (4.3.3): an audit read a baseline non-target recorded as a target as no
            # non-target at all (overall CR with it 20 mm), and a baseline lesion recorded as new as a new lesion (PD)
            kind = o.kind.value.replace("_", "-")
            if was is FollowupKind.TARGET:
                seen = o.status in (FollowupStatus.PRESENT, FollowupStatus.UNEQUIVOCAL_PROGRESSION)  # not equivocal
                claimed = o.status is FollowupStatus.UNEQUIVOCAL_PROGRESSION
                o, said = _as_target(o)  # its size on its series; gone: disappeared; seen without one: NE
                if said and seen and o.lesion_id not in nodal:
                    seen_unmeasured.add(o.lesion_id)
                notes.append(f"{o.lesion_id}, a target since the baseline, recorded as {kind}: read as a target"
                             + (" (no size on its series, measured_mm: not assessed)" if said else "")
                             + (" (recorded unequivocal progression: a target's is decided by the sum)"
                                if claimed else ""))
            else:
                o, _ = _as_non_target(o)
                notes.append(f"{o.lesion_id}, a non-target since the baseline, recorded as {kind}: read as a "
                             f"non-target ({o.status.label})")
            out.append(o)
            continue
        if root is not None and o.kind is not known[root]:
            # a fragment is part of the lesion it split from, whatever kind it was recorded with (an audit: a target's
            # fragment recorded as a non-target was silently out of the sum, a false PR; a non-target's fragment
            # recorded as a target was in no non-target, a false CR)
            kind = o.kind.value.replace("_", "-")
            if known[root] is FollowupKind.TARGET:
                o, said = _as_target(o)
                notes.append(f"{o.lesion_id}, recorded as {kind}, is a fragment of target {root}: summed into it"
                             + (" (no size on its series: not assessed)" if said else ""))
            else:
                o, _ = _as_non_target(o)
                notes.append(f"{o.lesion_id}, recorded as {kind}, is a fragment of non-target {root}: read as it")
        elif o.kind is not FollowupKind.NEW and o.lesion_id not in known and root is None \
                and (normal := normal_node_mm(o)) is not None:
            # followup.md: nodes < 10 mm short axis are normal, no lesion, so no new one (review38: read as a new
            # lesion, overall PD on a normal node)
            notes.append(_normal_node_said(o, normal))
        elif o.kind is FollowupKind.TARGET and o.lesion_id not in known and root is None and o.status in (
                FollowupStatus.MEASURED, FollowupStatus.TOO_SMALL):
            # not at the baseline, no parent there: a new lesion whatever kind the reader gave it (followup.md,
            # table 1), as a line's closing exam already reads one (it was left out of the sum, no PD: a review)
            o = replace(o, kind=FollowupKind.NEW) if o.status is FollowupStatus.MEASURED else \
                replace(o, kind=FollowupKind.NEW, status=FollowupStatus.PRESENT)
            notes.append(f"{o.lesion_id}, recorded as a target, was not at the baseline (no parent there): "
                         "a new lesion")
        elif o.kind is FollowupKind.NON_TARGET and o.lesion_id not in known and root is None and o.status in (
                FollowupStatus.PRESENT, FollowupStatus.UNEQUIVOCAL_PROGRESSION):
            # the same for a non-target (RECIST 1.1 4.3.3: a lesion not at the baseline is new): an audit found one
            # ignored when the baseline had no non-target (overall CR with it present), else only noted
            o = replace(o, kind=FollowupKind.NEW, status=FollowupStatus.PRESENT)
            notes.append(f"{o.lesion_id}, recorded as a non-target, was not at the baseline (no parent there): "
                         "a new lesion (if it was there, record it at the baseline)")
        out.append(o)
    return Timepoint(tp.date, tuple(out)), tuple(notes), frozenset(seen_unmeasured)


def _row(course: PatientCourse, tp: Timepoint, base: Timepoint | None, total: float | None, **kw: object) \
        -> TimepointResponse:
    fields: dict[str, object] = dict(
        patient_id=course.patient_id, timepoint_date=tp.date, baseline_date=base.date if base else None,
        days_from_baseline=(tp.date - base.date).days if base else None, is_baseline=base is tp, sum_mm=total,
        baseline_sum_mm=None, nadir_sum_mm=None, change_from_baseline_pct=None, change_from_nadir_pct=None,
        target_response=None, non_target_response=None, new_lesions=None, overall_response=None,
        best_overall_response=None, best_overall_response_unconfirmed=None, best_overall_response_confirmed=None,
        nen_slow_progression=None, tgr_pct_per_month=None, notes=())
    fields.update(kw)
    return TimepointResponse(**fields)  # type: ignore[arg-type]


def _assess_segment(course: PatientCourse, tps: Sequence[Timepoint], parents: Mapping[str, str],
                    settings: Settings, closing_notes: Sequence[str] = ()) -> list[TimepointResponse]:
    """A baseline and the timepoints up to the next baseline (its exam last, as this line's closing assessment,
    when ``closing_notes`` are given: what reading it with this line's kinds could not tell)."""
    base = _as_baseline(tps[0])
    targets = {o.lesion_id: o for o in base.observations if o.kind is FollowupKind.TARGET}
    non_targets = {o.lesion_id: o for o in base.observations if o.kind is FollowupKind.NON_TARGET}
    base_tv = target_values(targets, base, parents)
    base_sum = base_tv.sum_mm if targets else None
    notes = list(baseline_flags(tps[0]))
    if not targets:
        notes.append("no target lesion: overall response from non-targets (RECIST table 2)")
    elif base_sum is None:
        notes.append("baseline sum undefined: " + ", ".join(base_tv.missing) + " not measured")
    out = [_row(course, base, base, base_sum, baseline_sum_mm=base_sum, notes=tuple(notes))]
    sums: list[tuple[_dt.date, float | None]] = [(base.date, base_sum)]
    history: list[tuple[_dt.date, Response]] = []
    overall_cr = False  # an overall CR earlier: a lesion reappearing is then PD (RECIST FAQ)
    read = [(base, (), frozenset[str]()) if i == 0 else _with_baseline_kinds(tp, base, parents)
            for i, tp in enumerate(tps)]
    confirmed = confirmed_equivocal([tp for tp, _, _ in read[1:]])
    merged_before: dict[str, str] = {}  # target -> the target it merged into, at an earlier exam of the line
    fragments_before: dict[str, str] = {}  # fragment -> the target it split from, seen at an earlier exam
    for i, (tp, said, seen_unmeasured) in enumerate(read[1:], 1):
        notes = list(closing_notes) if closing_notes and i == len(tps) - 1 else []
        notes += said
        tv = target_values(targets, tp, parents, merged_before=merged_before, fragments_before=fragments_before)
        for o in tp.observations:
            if o.lesion_id in targets and o.parent_lesion_id in targets:
                merged_before.setdefault(o.lesion_id, o.parent_lesion_id)
            elif o.lesion_id not in targets and o.kind is FollowupKind.TARGET:
                root = _root(o.lesion_id, parents, targets)
                if root is not None:
                    fragments_before.setdefault(o.lesion_id, root)
        total = tv.sum_mm if targets else None
        known = [s for _, s in sums if s is not None]
        nadir = min(known) if known and base_sum is not None else None
        t_resp: Response | None = None
        if targets:
            notes += tv.notes
            t_resp, why = target_response(targets, tv, base_sum, nadir, overall_cr,
                                          seen_unmeasured=seen_unmeasured)
            notes += why
        nt_resp, why = non_target_response(non_targets, tp, parents, overall_cr)
        notes += why
        sure = confirmed.get(tp.date, ())
        new = new_lesions(tp, sure)
        overall = overall_response(t_resp, nt_resp, new)
        if new:
            notes.append("new lesion(s): " + ", ".join(sorted(
                o.lesion_id for o in tp.observations if o.kind is FollowupKind.NEW
                and (o.status in (FollowupStatus.PRESENT, FollowupStatus.MEASURED) or o.lesion_id in sure))))
        notes += [f"{lid} equivocal here, confirmed new at a later exam: PD dated at this first observation"
                  for lid in sure]
        notes += [f"{o.lesion_id} equivocal new lesion: PD dated here if a later exam confirms it"
                  for o in tp.observations if o.kind is FollowupKind.NEW and o.status is FollowupStatus.EQUIVOCAL
                  and o.lesion_id not in sure]
        overall_cr |= overall is Response.CR
        history.append((tp.date, overall))
        bor_u, why_u = best_overall_response(history, base.date, settings, confirm=False, has_targets=bool(targets))
        bor_c, why_c = best_overall_response(history, base.date, settings, confirm=True, has_targets=bool(targets))
        bor, bor_why = (bor_c, why_c) if settings.confirmation_required else (bor_u, why_u)
        if bor_why:
            notes.append(f"best overall response: {bor_why}")
        ch_base = _pct(total, base_sum) if total is not None and base_sum is not None else None
        ch_nadir = _pct(total, nadir) if total is not None and nadir is not None else None
        if total is None and targets:
            notes.append("sum undefined: " + ", ".join(tv.missing) + " not assessed")
        if total is not None and base_sum == 0:
            notes.append("baseline sum 0: no % change")
        if total is not None and nadir == 0:
            notes.append("nadir sum 0: no % change from the nadir")
        slow = _slow_progression(overall, tp.date, total, sums, settings)
        prev_date, prev_sum = sums[-1]
        tgr = None
        if total is not None and prev_sum is not None:
            tgr = tgr_pct_per_month(prev_sum, total, (tp.date - prev_date).days)
            if tgr is None:
                notes.append("growth rate undefined: a sum is 0" if min(prev_sum, total) <= 0
                             else "growth rate out of range")
        elif targets:
            notes.append("growth rate undefined: a sum is undefined")
        out.append(_row(course, tp, base, total, baseline_sum_mm=base_sum, nadir_sum_mm=nadir,
                        change_from_baseline_pct=ch_base, change_from_nadir_pct=ch_nadir, target_response=t_resp,
                        non_target_response=nt_resp, new_lesions=new, overall_response=overall,
                        best_overall_response=bor, best_overall_response_unconfirmed=bor_u,
                        best_overall_response_confirmed=bor_c, nen_slow_progression=slow, tgr_pct_per_month=tgr,
                        notes=tuple(dict.fromkeys(notes))))
        sums.append((tp.date, total))
    return out


def _slow_progression(overall: Response, date: _dt.date, total: float | None,
                      sums: Sequence[tuple[_dt.date, float | None]], settings: Settings) -> bool:
    """SD, and the sum above the earliest sum within the window (from the baseline on) by > 0 and <= max %."""
    if overall is not Response.SD or total is None:
        return False
    since = date - _dt.timedelta(days=settings.slow_progression_window_days)
    ref = next((s for d, s in sums if d >= since and s is not None), None)
    if ref is None or ref <= 0:
        return False
    rise = 100.0 * (total - ref) / ref
    return rise > _EPS and rise <= settings.slow_progression_max_pct + _EPS
