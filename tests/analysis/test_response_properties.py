"""Properties of the response engine on random courses (hypothesis)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.response import assess_course
from analysis.response_records import LesionObservation, PatientCourse, Response, Settings, Timepoint

D0 = dt.date(2022, 5, 1)
TARGET_STATUSES = ["measured"] * 6 + ["too_small", "disappeared", "not_assessed"]
NT_STATUSES = ["present"] * 4 + ["absent", "unequivocal_progression", "not_assessed"]


@st.composite
def courses(draw: st.DrawFn) -> PatientCourse:
    n_t = draw(st.integers(0, 5))
    n_nt = draw(st.integers(0 if n_t else 1, 3))
    n_tp = draw(st.integers(2, 6))
    gaps = draw(st.lists(st.integers(1, 200), min_size=n_tp - 1, max_size=n_tp - 1))
    days = [0]
    for g in gaps:
        days.append(days[-1] + g)
    nodal = [draw(st.booleans()) for _ in range(n_t)]
    tps = []
    for i, day in enumerate(days):
        rows = []
        for k in range(n_t):
            status = "measured" if i == 0 else draw(st.sampled_from(TARGET_STATUSES))
            d = draw(st.floats(0.5, 120, allow_nan=False)) if status == "measured" else None
            if i == 0 and d is not None:
                d = max(d, 15.0)
            rows.append(LesionObservation(f"T{k}", "target", f"organ{k % 3}", nodal[k], status, d))
        for k in range(n_nt):
            status = "present" if i == 0 else draw(st.sampled_from(NT_STATUSES))
            rows.append(LesionObservation(f"N{k}", "non_target", "liver", False, status))
        if i > 0 and draw(st.integers(0, 5)) == 0:
            rows.append(LesionObservation(f"X{i}", "new", "liver", False, "present"))
        tps.append(Timepoint(D0 + dt.timedelta(days=day), tuple(rows)))
    return PatientCourse("P", tuple(tps))


def _without_notes(rows: tuple) -> list:  # type: ignore[type-arg]
    return [dataclasses.replace(r, notes=()) for r in rows]


SETTINGS = (Settings(), Settings(confirmation_required=True))


@settings(max_examples=60, deadline=None)
@given(courses(), st.randoms(use_true_random=False), st.sampled_from(SETTINGS))
def test_renaming_lesions_and_shuffling_rows_changes_nothing(c: PatientCourse, rnd: random.Random,
                                                             s: Settings) -> None:
    ids = sorted({o.lesion_id for tp in c.timepoints for o in tp.observations})
    fresh = [f"Z{i}" for i in range(len(ids))]
    rnd.shuffle(fresh)
    rename = dict(zip(ids, fresh))
    tps = []
    for tp in c.timepoints:
        rows = [dataclasses.replace(o, lesion_id=rename[o.lesion_id]) for o in tp.observations]
        rnd.shuffle(rows)
        tps.append(Timepoint(tp.date, tuple(rows)))
    rnd.shuffle(tps)
    assert _without_notes(assess_course(PatientCourse("P", tuple(tps)), s)) == _without_notes(assess_course(c, s))


@settings(max_examples=80, deadline=None)
@given(courses(), st.sampled_from(SETTINGS))
def test_pd_is_never_hidden(c: PatientCourse, s: Settings) -> None:
    for r in assess_course(c, s)[1:]:
        if r.new_lesions or r.target_response is Response.PD or r.non_target_response is Response.PD:
            assert r.overall_response is Response.PD


@settings(max_examples=80, deadline=None)
@given(courses(), st.sampled_from(SETTINGS))
def test_values_in_their_ranges(c: PatientCourse, s: Settings) -> None:
    rows = assess_course(c, s)
    seen_sums = [rows[0].sum_mm]
    for r in rows[1:]:
        known = [x for x in seen_sums if x is not None]
        assert r.nadir_sum_mm == (min(known) if known and rows[0].sum_mm is not None else None)
        if r.change_from_baseline_pct is not None:
            assert r.change_from_baseline_pct >= -100.0
        if r.change_from_nadir_pct is not None:
            assert r.change_from_nadir_pct >= -100.0
        if r.tgr_pct_per_month is not None:
            assert r.tgr_pct_per_month >= -100.0  # exp underflows to 0 over a day
        if r.overall_response is Response.CR:
            assert r.target_response in (Response.CR, None) and not r.new_lesions
        if r.nen_slow_progression:
            assert r.overall_response is Response.SD
        if r.target_response is Response.PR:
            assert r.sum_mm is not None and r.baseline_sum_mm is not None
            assert r.sum_mm <= 0.7 * r.baseline_sum_mm + 1e-6
        assert r.days_from_baseline is not None and r.days_from_baseline > 0
        seen_sums.append(r.sum_mm)


@settings(max_examples=60, deadline=None)
@given(courses())
def test_best_response_never_improves_after_progression(c: PatientCourse) -> None:
    rows = assess_course(c)[1:]
    first_pd = next((i for i, r in enumerate(rows) if r.overall_response is Response.PD), None)
    if first_pd is not None:
        assert {r.best_overall_response for r in rows[first_pd:]} == {rows[first_pd].best_overall_response}
