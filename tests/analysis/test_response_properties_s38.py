"""followup.md's rules as properties over random courses (hypothesis; session 38's audit): each target response,
slow progression and growth rate recomputed here from the lesions, independently of the engine's code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.response import assess_course
from analysis.response_records import FollowupKind, LesionObservation, PatientCourse, Response, Settings, Timepoint
from tests.analysis.test_response_properties import D0, SETTINGS, _without_notes, courses

SLACK = 1e-6  # rows this close to a limit are left to the boundary tests (test_response_rules_s38.py)


def _values(c: PatientCourse) -> list[dict[str, float | None]]:
    """Each timepoint's target values (no lineage in these courses): diameter, 5 mm too small, 0 gone, None."""
    return [{o.lesion_id: o.value_mm for o in tp.observations if o.kind is FollowupKind.TARGET}
            for tp in c.timepoints]


def _nodal(c: PatientCourse) -> dict[str, bool]:
    return {o.lesion_id: o.nodal for o in c.timepoints[0].observations if o.kind is FollowupKind.TARGET}


@settings(max_examples=150, deadline=None)
@given(courses(), st.sampled_from(SETTINGS))
def test_nadir_never_exceeds_the_baseline_sum_nor_an_earlier_sum(c: PatientCourse, s: Settings) -> None:
    """followup.md:20-21: the nadir is the smallest sum among the baseline and the follow-ups before the current one:
    never above the baseline sum, never above an earlier defined sum, and one of them."""
    rows = assess_course(c, s)
    for i, r in enumerate(rows[1:], 1):
        if r.nadir_sum_mm is None:
            continue
        earlier = [x.sum_mm for x in rows[:i] if x.sum_mm is not None]
        assert r.baseline_sum_mm is not None and r.nadir_sum_mm <= r.baseline_sum_mm
        assert r.nadir_sum_mm == min(earlier)


@settings(max_examples=200, deadline=None)
@given(courses(), st.sampled_from(SETTINGS))
def test_target_response_is_the_table_of_followup_md(c: PatientCourse, s: Settings) -> None:
    """followup.md:24-30 and :68-71, recomputed from the lesions: PD iff the sum is >= 20 % above the nadir AND >= 5 mm
    above it (or, a target missing, the assessed ones alone are); else NE with a target not assessed; else CR iff
    every non-nodal target is 0 and every node < 10 mm; else PR iff >= 30 % below the baseline; else SD. (A target
    back after an overall CR is PD whatever its size: followup.md:51, its own test.)"""
    rows = assess_course(c, s)
    values, nodal = _values(c), _nodal(c)
    for r, vals in zip(rows[1:], values[1:]):
        if r.target_response is None or "target reappeared after CR" in r.notes:
            continue
        nadir, base = r.nadir_sum_mm, r.baseline_sum_mm
        assert nadir is not None and base is not None
        assessed = math.fsum(v for v in vals.values() if v is not None)
        rise = assessed - nadir
        if abs(rise - 5.0) < SLACK or abs(rise - 0.2 * nadir) < SLACK:
            continue
        pd = rise >= 5.0 and rise >= 0.2 * nadir
        assert (r.target_response is Response.PD) == pd, (r.target_response, vals, nadir)
        if pd:
            continue
        if any(v is None for v in vals.values()):
            assert r.target_response is Response.NE and r.sum_mm is None
            continue
        assert r.sum_mm == assessed
        cr = all(v < 10.0 if nodal[t] else v == 0.0 for t, v in vals.items() if v is not None)
        if cr:
            assert r.target_response is Response.CR
            continue
        if abs(assessed - 0.7 * base) < SLACK:
            continue
        assert r.target_response is (Response.PR if assessed <= 0.7 * base else Response.SD), (vals, base)


@settings(max_examples=150, deadline=None)
@given(courses(), st.sampled_from(SETTINGS))
def test_pd_by_the_sum_always_meets_both_limits(c: PatientCourse, s: Settings) -> None:
    """followup.md:28 and :68 ("progression at +20 % without the 5 mm absolute rule"): whenever the targets are PD on a
    defined sum (not a reappearance after CR), the sum is both >= 5 mm and >= 20 % above the nadir."""
    for r in assess_course(c, s)[1:]:
        if r.target_response is Response.PD and r.sum_mm is not None and "target reappeared after CR" not in r.notes:
            assert r.nadir_sum_mm is not None
            rise = r.sum_mm - r.nadir_sum_mm
            assert rise >= 5.0 - SLACK and rise >= 0.2 * r.nadir_sum_mm - SLACK


@settings(max_examples=150, deadline=None)
@given(courses(), st.floats(0.0, 50.0, allow_nan=False), st.integers(30, 500))
def test_slow_progression_is_followup_md_definition(c: PatientCourse, max_pct: float, window: int) -> None:
    """followup.md:56-59: slow progression iff the overall response is SD and the sum is above the sum at the earliest
    timepoint (with a sum) within the preceding window, from the baseline on, by > 0 % and <= the threshold."""
    s = Settings(slow_progression_max_pct=max_pct, slow_progression_window_days=window)
    rows = assess_course(c, s)
    for i, r in enumerate(rows[1:], 1):
        ref = next((x.sum_mm for x in rows[:i] if x.sum_mm is not None
                    and (r.timepoint_date - x.timepoint_date).days <= window), None)
        expected = (r.overall_response is Response.SD and r.sum_mm is not None and ref is not None and ref > 0
                    and 0 < 100 * (r.sum_mm - ref) / ref <= max_pct)
        if ref and r.sum_mm is not None and abs(100 * (r.sum_mm - ref) / ref - max_pct) < SLACK:
            continue
        assert r.nen_slow_progression is expected, (r.overall_response, r.sum_mm, ref)


@settings(max_examples=150, deadline=None)
@given(courses(), st.sampled_from(SETTINGS))
def test_growth_rate_follows_the_sums(c: PatientCourse, s: Settings) -> None:
    """followup.md:60-63: TGR from the previous timepoint; > 0 when the sum grew, < 0 when it shrank, 0 when equal,
    undefined when either sum is 0 or undefined."""
    rows = assess_course(c, s)
    for prev, r in zip(rows, rows[1:]):
        if prev.sum_mm is None or r.sum_mm is None or prev.sum_mm == 0 or r.sum_mm == 0:
            assert r.tgr_pct_per_month is None
            continue
        assert r.tgr_pct_per_month is not None
        if r.sum_mm > prev.sum_mm:
            assert r.tgr_pct_per_month > 0
        elif r.sum_mm < prev.sum_mm:
            assert r.tgr_pct_per_month <= 0  # a fast fall over a day underflows to -100
        else:
            assert r.tgr_pct_per_month == 0


@settings(max_examples=150, deadline=None)
@given(courses())
def test_confirmed_best_response_needs_two_assessments_four_weeks_apart(c: PatientCourse) -> None:
    """followup.md:49-50: with confirmation, a best CR (PR) needs a CR (PR or CR) at two assessments >= 28 days apart
    before the first PD."""
    s = Settings(confirmation_required=True)
    rows = assess_course(c, s)[1:]
    for i, r in enumerate(rows):
        good = {Response.CR} if r.best_overall_response is Response.CR else \
            {Response.CR, Response.PR} if r.best_overall_response is Response.PR else None
        if good is None:
            continue
        upto = rows[:i + 1]
        stop = next((k for k, x in enumerate(upto) if x.overall_response is Response.PD), len(upto))
        dates = [x.timepoint_date for x in upto[:stop] if x.overall_response in good]
        assert dates and (dates[-1] - dates[0]).days >= 28, (r.best_overall_response, dates)


@settings(max_examples=150, deadline=None)
@given(courses(), st.data())
def test_splitting_a_target_into_fragments_of_the_same_total_changes_nothing(c: PatientCourse,
                                                                            data: st.DataObject) -> None:
    """followup.md:18: a split lesion's fragments are summed. From a random follow-up on, a target is recorded as two
    fragments (parent: the target) whose diameters add up to its own (too small: one too small, one gone, 5 mm; gone:
    both gone; not assessed: both not assessed): every response, sum and rate is unchanged."""
    targets = sorted(o.lesion_id for o in c.timepoints[0].observations if o.kind is FollowupKind.TARGET)
    if not targets:
        return
    tid = data.draw(st.sampled_from(targets))
    start = data.draw(st.integers(1, len(c.timepoints) - 1))
    share = data.draw(st.floats(0.1, 0.9))
    tps = list(c.timepoints[:start])
    for tp in c.timepoints[start:]:
        rows = []
        for o in tp.observations:
            if o.lesion_id != tid:
                rows.append(o)
                continue
            a = dataclasses.replace(o, lesion_id=f"{tid}a", parent_lesion_id=tid)
            b = dataclasses.replace(o, lesion_id=f"{tid}b", parent_lesion_id=tid)
            if o.status.value == "measured":
                assert o.diameter_mm is not None
                a = dataclasses.replace(a, diameter_mm=o.diameter_mm * share)
                b = dataclasses.replace(b, diameter_mm=o.diameter_mm - o.diameter_mm * share)
            elif o.status.value == "too_small":
                b = dataclasses.replace(b, status="disappeared")
            rows += [a, b]
        tps.append(Timepoint(tp.date, tuple(rows)))
    split = PatientCourse(c.patient_id, tuple(tps))
    before, after = assess_course(c), assess_course(split)
    assert len(before) == len(after)
    for x, y in zip(before, after):
        assert (x.target_response, x.non_target_response, x.new_lesions, x.overall_response,
                x.best_overall_response, x.nen_slow_progression) == \
               (y.target_response, y.non_target_response, y.new_lesions, y.overall_response,
                y.best_overall_response, y.nen_slow_progression)
        for f in ("sum_mm", "nadir_sum_mm", "change_from_baseline_pct", "tgr_pct_per_month"):
            u, v = getattr(x, f), getattr(y, f)
            assert (u is None) == (v is None) and (u is None or math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-9)), f


@settings(max_examples=150, deadline=None)
@given(courses(), st.sampled_from(SETTINGS), st.sampled_from(["new", "target"]), st.randoms(use_true_random=False))
def test_a_non_target_recorded_under_another_kind_changes_nothing(c: PatientCourse, s: Settings, kind: str,
                                                                 rnd: random.Random) -> None:
    """followup.md:11-12 (non-targets chosen at baseline) and :47 (a new lesion is one not at the baseline): a baseline
    non-target recorded at follow-ups as a new lesion (present, absent, not assessed) or as a target (measured 12 mm,
    disappeared, not assessed) is still that non-target: the responses are those of the course recorded right."""
    status_as = {"new": {"present": ("present", None), "absent": ("absent", None), "not_assessed": ("not_assessed", None)},
                 "target": {"present": ("measured", 12.0), "absent": ("disappeared", None),
                            "not_assessed": ("not_assessed", None)}}[kind]
    tps = [c.timepoints[0]]
    for tp in c.timepoints[1:]:
        rows = []
        for o in tp.observations:
            if o.kind is FollowupKind.NON_TARGET and o.status.value in status_as and rnd.random() < 0.5:
                status, d = status_as[o.status.value]
                o = dataclasses.replace(o, kind=kind, status=status, diameter_mm=d)
            rows.append(o)
        tps.append(Timepoint(tp.date, tuple(rows)))
    assert _without_notes(assess_course(PatientCourse(c.patient_id, tuple(tps)), s)) == _without_notes(assess_course(c, s))


STATUSES = {"target": ["measured", "too_small", "disappeared", "not_assessed"],
            "non_target": ["present", "absent", "unequivocal_progression", "not_assessed"],
            "new": ["present", "measured", "absent", "equivocal", "not_assessed"]}


@st.composite
def muddled_courses(draw: st.DrawFn) -> PatientCourse:
    """Courses as readers muddle them: any lesion recorded at a follow-up under any kind, fragments (a parent) of any
    kind, lesions the baseline did not have, nodes around 10 mm, sizes on the series (measured_mm) or not."""
    n_t, n_nt = draw(st.integers(1, 4)), draw(st.integers(0, 3))
    base = [(f"T{k}", "target", draw(st.booleans())) for k in range(n_t)] + \
        [(f"N{k}", "non_target", draw(st.booleans())) for k in range(n_nt)]
    size = st.floats(0.5, 40, allow_nan=False)

    def row(lid: str, kind: str, nodal: bool, status: str, parent: str = "") -> LesionObservation:
        d = draw(size) if status == "measured" else None
        mm = d if d is not None else draw(st.one_of(st.none(), size))  # the line on its series is the diameter
        return LesionObservation(lid, kind, "liver", nodal, status, d, parent_lesion_id=parent, measured_mm=mm)

    tps = [Timepoint(D0, tuple(row(lid, kind, nodal, "measured" if kind == "target" else "present")
                               for lid, kind, nodal in base))]
    for i in range(1, draw(st.integers(2, 5))):
        rows = []
        for lid, _, nodal in base:
            if draw(st.integers(0, 9)) == 0:
                continue  # no row
            kind = draw(st.sampled_from(["target", "non_target", "new"]))
            rows.append(row(lid, kind, nodal, draw(st.sampled_from(STATUSES[kind]))))
        for k in range(draw(st.integers(0, 2))):
            kind = draw(st.sampled_from(["target", "non_target", "new"]))
            parent = draw(st.sampled_from(["", *[lid for lid, _, _ in base]]))
            rows.append(row(f"X{i}_{k}", kind, draw(st.booleans()), draw(st.sampled_from(STATUSES[kind])), parent))
        tps.append(Timepoint(D0 + dt.timedelta(days=60 * i), tuple(rows)))
    return PatientCourse("P", tuple(tps))


def _visible(o: LesionObservation, baseline_targets: set[str], nodes: set[str]) -> bool:
    """A lesion the reader says is there (not equivocal), beyond a normal node (a fragment of a baseline node is a
    node): no CR can be read with it."""
    if o.lesion_id in baseline_targets and o.parent_lesion_id in baseline_targets:
        return False  # merged into another target: the coalesced lesion is the one measured
    status = o.status.value
    if status in ("absent", "disappeared", "not_assessed", "equivocal"):
        return False
    if not (o.nodal or o.lesion_id in nodes or o.parent_lesion_id in nodes):
        return True
    if status == "too_small":
        return False  # a node too small to measure: 5 mm, normal
    size = o.diameter_mm if status == "measured" else o.measured_mm
    if o.lesion_id in baseline_targets or o.parent_lesion_id in baseline_targets:
        return size is None or size >= 10.0  # a target node (or its fragment): the short axis decides (followup.md:26)
    return size is None or size >= 10.0 or status == "unequivocal_progression"


@settings(max_examples=300, deadline=None)
@given(muddled_courses(), st.sampled_from(SETTINGS))
def test_no_cr_while_a_lesion_is_seen(c: PatientCourse, s: Settings) -> None:
    """followup.md:26 and :33 (CR: every lesion gone, nodes < 10 mm) and :39 (overall CR: targets and non-targets CR,
    no new lesion), whatever kinds the reader recorded: an overall CR never has a lesion seen at its exam. (Before
    this audit: a non-target recorded as a target, or a lesion the baseline did not have recorded as a non-target,
    or two targets merged into each other, gave CR with the lesion on the image.)"""
    baseline_targets = {o.lesion_id for o in c.timepoints[0].observations if o.kind is FollowupKind.TARGET}
    nodes = {o.lesion_id for o in c.timepoints[0].observations if o.nodal}
    by_date = {tp.date: tp for tp in c.timepoints}
    for r in assess_course(c, s)[1:]:
        if r.overall_response is Response.CR:
            seen = [o.lesion_id for o in by_date[r.timepoint_date].observations
                    if _visible(o, baseline_targets, nodes)]
            assert not seen, (seen, r.notes)
