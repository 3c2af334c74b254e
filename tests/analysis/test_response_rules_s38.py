"""An adversarial audit of the response engine against ../shared/domain/followup.md (session 38).

Each test cites the followup.md line it checks ("followup.md:N") and computes its expected values by hand; the
rules test_response.py already covers (table 1, table 3, the mistakes of other tools) are not repeated here. The
defects this audit found each have a test below that failed before the fix (named in its docstring).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from analysis.response import assess_course, baseline_flags, best_overall_response, tgr_pct_per_month
from analysis.response_io import FOLLOWUP_COLUMNS
from analysis.response_records import LesionObservation, PatientCourse, Settings, Timepoint
from app.cli import main
from tests.analysis.test_response import D0, R, course, last, new, nt, obs, run

NODE = {"nodal": True, "organ": "lymph_node"}


# ---------------------------------------------------------------------------- baseline (followup.md:8-13)
def test_nodes_count_as_one_organ_for_the_two_per_organ_rule() -> None:
    """followup.md:11 "up to 2 per organ"; the RECIST working group's FAQ ("paired organs"): the lymph nodes are one
    organ whatever their region. Three nodal targets named by region (mediastinum, hilum, retroperitoneum) are three
    targets in one organ. Defect (failed before): each region counted as its own organ, nothing flagged."""
    tp = Timepoint(D0, (obs("N1", d=20, nodal=True, organ="mediastinum"), obs("N2", d=18, nodal=True, organ="hilum"),
                        obs("N3", d=16, nodal=True, organ="retroperitoneum"), obs("L1", d=30)))
    flags = baseline_flags(tp)
    assert "3 targets in lymph nodes (at most 2 per organ, the nodes counting as one organ)" in flags, flags
    two = Timepoint(D0, (obs("N1", d=20, nodal=True, organ="mediastinum"), obs("N2", d=18, nodal=True, organ="hilum"),
                         obs("L1", d=30), obs("L2", d=25)))
    assert baseline_flags(two) == ()


def test_a_normal_node_chosen_as_a_non_target_is_flagged() -> None:
    """followup.md:9-10: nodes 10-15 mm short axis are pathological non-targets; < 10 mm they are normal. A nodal
    non-target whose short axis at baseline is 8.04 mm is flagged (kept, never dropped); 10 mm is not. Defect
    (failed before): no flag."""
    tp = Timepoint(D0, (obs("L1", d=30), nt("N1", measured_mm=8.04, **NODE), nt("N2", measured_mm=10.0, **NODE),
                        nt("N3", **NODE)))
    assert baseline_flags(tp) == ("non-target N1: node short axis 8.0 mm < 10 mm (a normal node, not a lesion)",)


# ---------------------------------------------------------------------------- sums (followup.md:16-19)
def test_a_node_at_cr_keeps_its_short_axis_in_the_sum() -> None:
    """followup.md:17: a node back under 10 mm keeps its short axis, so the sum is > 0 at CR: 20 + 15 -> 0 + 9 mm is
    sum 9, -74.3 %, target CR (not PR)."""
    r = last(course([obs("L1", d=20), obs("N1", d=15, **NODE)], [obs("L1", "disappeared"), obs("N1", d=9, **NODE)]))
    assert r.sum_mm == 9 and r.target_response is R.CR and r.change_from_baseline_pct == pytest.approx(-74.2857142857)


def test_a_merged_target_not_recorded_at_the_next_exam_stays_merged() -> None:
    """followup.md:18-19: merged lesions, "the other counts 0". L2 merged into L1 at exam 2 (38 mm coalesced); at
    exam 3 only L1 is recorded (36 mm): the sum is 36 (L2 0), not undefined. Defect (failed before): "target L2 not
    recorded", NE at every exam after the merge."""
    rows = run(course([obs("L1", d=20), obs("L2", d=15)],
                      [obs("L1", d=38), obs("L2", "disappeared", parent_lesion_id="L1")], [obs("L1", d=36)]))
    assert [r.sum_mm for r in rows] == [35, 38, 36]
    assert rows[2].target_response is R.SD and "L2 merged into L1 at an earlier exam (counted once)" in rows[2].notes


def test_targets_merged_into_each_other_are_not_assessed() -> None:
    """followup.md:18-19: of merged lesions the coalesced one is measured once. L1 (38 mm) names L2 as the lesion it
    merged into and L2 (30 mm) names L1: no lesion is measured as the coalesced one, so the sum is not assessed (NE);
    a chain L3 -> L2 -> L1 ending at L1 measured is fine (50). Defect (failed before): both counted 0: sum 0, CR."""
    r = last(course([obs("L1", d=20), obs("L2", d=15)],
                    [obs("L1", d=38, parent_lesion_id="L2"), obs("L2", d=30, parent_lesion_id="L1")]))
    assert r.sum_mm is None and r.target_response is R.NE and r.overall_response is R.NE
    assert "targets L1 -> L2 -> L1 each merged into the next: not assessed (fix the parents)" in r.notes, r.notes
    r = last(course([obs("L1", d=20), obs("L2", d=15), obs("L3", d=15, organ="lung")],
                    [obs("L1", d=50), obs("L2", "disappeared", parent_lesion_id="L1"),
                     obs("L3", "disappeared", parent_lesion_id="L2")]))
    assert r.sum_mm == 50 and r.target_response is R.SD


def test_targets_merged_into_each_other_stay_not_assessed_at_the_next_exam() -> None:
    """followup.md:18-19 and :70. L1 and L2 named each other as merged at exam 2 (NE, "fix the parents"); exam 3 has no
    row of either (not read yet, or not carried), only L3 gone: L1 and L2 are not assessed, NE. The same when the loop
    closes across exams: L2 merged into L1 at exam 2 (L1 40 mm), then at exam 3 L1 (35 mm) names L2 and L2 has no row.
    Defect (review38, failed before): each counted 0 as "merged at an earlier exam", sum 0, overall CR."""
    rows = run(course([obs("L1", d=20), obs("L2", d=15), obs("L3", d=10, organ="lung")],
                      [obs("L1", d=38, parent_lesion_id="L2"), obs("L2", d=30, parent_lesion_id="L1"),
                       obs("L3", d=10, organ="lung")],
                      [obs("L3", "disappeared", organ="lung")]))
    assert rows[1].target_response is R.NE
    assert rows[2].sum_mm is None and rows[2].target_response is R.NE and rows[2].overall_response is R.NE, \
        (rows[2].sum_mm, rows[2].notes)
    assert "targets L1 -> L2 -> L1 each merged into the next: not assessed (fix the parents)" in rows[2].notes
    rows = run(course([obs("L1", d=20), obs("L2", d=15)],
                      [obs("L1", d=40), obs("L2", "disappeared", parent_lesion_id="L1")],
                      [obs("L1", d=35, parent_lesion_id="L2")]))
    assert rows[1].sum_mm == 40 and rows[1].target_response is R.SD
    assert rows[2].sum_mm is None and rows[2].overall_response is R.NE, (rows[2].sum_mm, rows[2].notes)
    # a merge carried forward, the coalesced lesion measured: still 0 (test above), the chain ends at L1
    rows = run(course([obs("L1", d=20), obs("L2", d=15)],
                      [obs("L1", d=38), obs("L2", "disappeared", parent_lesion_id="L1")], [obs("L1", d=36)]))
    assert rows[2].sum_mm == 36


def test_a_normal_node_recorded_as_a_non_target_after_the_baseline_is_no_new_lesion() -> None:
    """followup.md:10 (nodes < 10 mm short axis are normal: no lesion). L1 30 -> 28 mm (SD); a node not at the baseline
    recorded as a non-target with its short axis 8 mm is a normal node, not a new lesion: overall SD, said in the
    notes. 12 mm (pathological) or no short axis drawn: a new lesion, PD. Defect (review38, failed before): 8 mm gave
    "a new lesion", overall PD."""
    rows = run(course([obs("L1", d=30)], [obs("L1", d=28), nt("N9", measured_mm=8.0, **NODE)]))
    assert rows[1].overall_response is R.SD, (rows[1].overall_response, rows[1].notes)
    assert ("N9, recorded as a non-target, was not at the baseline: node short axis 8.0 mm < 10 mm, a normal node, "
            "not a new lesion") in rows[1].notes, rows[1].notes
    for mm in (12.0, None):
        r = last(course([obs("L1", d=30)], [obs("L1", d=28), nt("N9", measured_mm=mm, **NODE)]))
        assert r.overall_response is R.PD and "new lesion(s): N9" in r.notes, (mm, r.notes)
    # recorded as a target, measured 8 mm short axis: the same (10 mm: a new lesion)
    r = last(course([obs("L1", d=30)], [obs("L1", d=28), obs("N9", d=8.0, **NODE)]))
    assert r.overall_response is R.SD, r.notes
    assert ("N9, recorded as a target, was not at the baseline: node short axis 8.0 mm < 10 mm, a normal node, not a "
            "new lesion") in r.notes, r.notes
    assert last(course([obs("L1", d=30)], [obs("L1", d=28), obs("N9", d=10.0, **NODE)])).overall_response is R.PD
    # chosen (and flagged) as a non-target of the next line's baseline: line 1's closing exam has no new lesion
    # (failed before: line 1 closed with PD, its PFS event, on the normal node)
    rows = run(course([obs("L1", d=30)], [obs("L1", d=28)], [obs("L1", d=27), nt("N9", measured_mm=8.0, **NODE)],
                      baselines=(0, 2)))
    closing = [r for r in rows if r.timepoint_date == rows[-1].timepoint_date and r.baseline_date == rows[0].timepoint_date]
    assert len(closing) == 1 and closing[0].overall_response is R.SD, [(r.overall_response, r.notes) for r in closing]


def test_a_split_fragment_not_recorded_leaves_its_target_not_assessed() -> None:
    """followup.md:18 (fragments summed) and :70 (a missing target never silently left out of the sum). 40 mm splits
    into L1a 15 + L1b 12 (27, -32.5 %: PR); at exam 3 only L1a (14 mm) is recorded: L1 is not assessed, NE. Defect
    (failed before): sum 14, -65 %, PR."""
    rows = run(course([obs("L1", d=40)], [obs("L1a", d=15, parent_lesion_id="L1"), obs("L1b", d=12, parent_lesion_id="L1")],
                      [obs("L1a", d=14, parent_lesion_id="L1")]))
    assert rows[1].sum_mm == 27 and rows[1].target_response is R.PR
    assert rows[2].sum_mm is None and rows[2].target_response is R.NE and rows[2].overall_response is R.NE
    assert "fragment L1b of target L1 not recorded" in rows[2].notes
    # recorded gone (disappeared) it counts 0: 14 + 0
    rows = run(course([obs("L1", d=40)], [obs("L1a", d=15, parent_lesion_id="L1"), obs("L1b", d=12, parent_lesion_id="L1")],
                      [obs("L1a", d=14, parent_lesion_id="L1"), obs("L1b", "disappeared", parent_lesion_id="L1")]))
    assert rows[2].sum_mm == 14 and rows[2].target_response is R.PR


def test_a_target_fragment_recorded_as_a_non_target_is_summed() -> None:
    """followup.md:18 (the fragments' diameters are summed) and :70. L1 40 mm splits into L1a (target, 15 mm) and L1b
    recorded as a non-target with its line (measured_mm 12): 27 mm, -32.5 %, PR; one fragment only plus the parent:
    30 + 12 = 42. Defect (failed before): L1b silently out of the sum (15, -62.5 %; 30: SD on a sum 12 mm short)."""
    r = last(course([obs("L1", d=40)], [obs("L1a", d=15, parent_lesion_id="L1"),
                                        nt("L1b", parent_lesion_id="L1", measured_mm=12.0)]))
    assert r.sum_mm == 27 and r.target_response is R.PR
    assert "L1b, recorded as non-target, is a fragment of target L1: summed into it" in r.notes
    r = last(course([obs("L1", d=40)], [obs("L1", d=30), nt("L1b", parent_lesion_id="L1", measured_mm=12.0)]))
    assert r.sum_mm == 42 and r.target_response is R.SD
    r = last(course([obs("L1", d=40)], [obs("L1", d=30), nt("L1b", parent_lesion_id="L1")]))  # no size: NE
    assert r.sum_mm is None and r.target_response is R.NE


def test_a_non_target_fragment_recorded_as_a_target_keeps_the_non_target_present() -> None:
    """followup.md:33 (non-target CR: all gone). Non-target A splits; its fragment A1 (parent A) is recorded as a
    target, 12 mm: A is present (non-CR/non-PD), so L1 gone is overall PR, not CR. Defect (failed before): A1 in no
    non-target and out of the sum: non-target CR, overall CR."""
    r = last(course([obs("L1", d=40), nt("A")], [obs("L1", "disappeared"), nt("A", "absent"),
                                                obs("A1", d=12, parent_lesion_id="A")]))
    assert r.non_target_response is R.NON_CR_NON_PD and r.overall_response is R.PR, (r.overall_response, r.notes)
    r = last(course([obs("L1", d=40), nt("A")], [obs("L1", "disappeared"), obs("A1", d=12, parent_lesion_id="A")]))
    assert r.non_target_response is R.NON_CR_NON_PD and r.overall_response is R.PR


# ---------------------------------------------------------------------------- kinds fixed at baseline
def test_a_baseline_non_target_recorded_as_a_target_is_still_a_non_target() -> None:
    """followup.md:11-12 (non-targets chosen at baseline, followed qualitatively) and :33 (non-target CR: all gone).
    Baseline L1 30 mm (target), L3 non-target; exam 2: L1 gone, L3 recorded as a target measured 20 mm: L3 is a
    present non-target, non-CR/non-PD, overall PR (table 1: CR + non-CR/non-PD). Defect (failed before): L3 left out
    of both the sum and the non-targets: non-target CR, overall CR with a 20 mm lesion on the image."""
    r = last(course([obs("L1", d=30), nt("L3")], [obs("L1", "disappeared"), obs("L3", d=20)]))
    assert r.target_response is R.CR and r.non_target_response is R.NON_CR_NON_PD and r.overall_response is R.PR
    r = last(course([obs("L1", d=30), nt("L3")], [obs("L1", "disappeared"), obs("L3", "disappeared")]))
    assert r.non_target_response is R.CR and r.overall_response is R.CR  # gone under any kind: absent


def test_a_baseline_lesion_recorded_as_new_is_no_new_lesion() -> None:
    """followup.md:47 (a new lesion is PD) reads with RECIST 1.1 4.3.3: new means not at the baseline. A baseline
    non-target recorded with kind new and present is a present non-target (PR, not PD); a baseline target recorded
    new with its size (measured_mm) is that target (30 + 20 -> 12 + 8: -60 %, PR), without a size it is not assessed
    (NE), never a new lesion. Defect (failed before): new lesion, overall PD, each time."""
    r = last(course([obs("L1", d=30), nt("A")], [obs("L1", d=20), new("A")]))
    assert not r.new_lesions and r.non_target_response is R.NON_CR_NON_PD and r.overall_response is R.PR
    r = last(course([obs("L1", d=30), obs("L2", d=20)],
                    [obs("L1", d=12), obs("L2", "present", kind="new", measured_mm=8.0)]))
    assert not r.new_lesions and r.sum_mm == 20 and r.target_response is R.PR and r.overall_response is R.PR
    r = last(course([obs("L1", d=30), obs("L2", d=20)], [obs("L1", d=12), obs("L2", "present", kind="new")]))
    assert not r.new_lesions and r.target_response is R.NE and r.overall_response is R.NE
    assert any("L2, a target since the baseline, recorded as new" in n for n in r.notes), r.notes


def test_a_target_seen_again_after_cr_under_another_kind_is_still_pd() -> None:
    """followup.md:51 "a lesion reappearing after CR is PD": L1 (30 mm) disappears (overall CR), then is recorded as
    a new lesion, present without a size: it is L1 back, PD (not NE). A node so recorded is not: a node is back only
    at >= 10 mm (RECIST FAQ), unknown without its short axis: NE."""
    r = last(course([obs("L1", d=30)], [obs("L1", "disappeared")], [obs("L1", "present", kind="new")]))
    assert r.target_response is R.PD and r.overall_response is R.PD and "target reappeared after CR" in r.notes
    # equivocal is not seen yet (followup.md:52): not assessed until a later exam tells
    r = last(course([obs("L1", d=30)], [obs("L1", "disappeared")], [obs("L1", "equivocal", kind="new")]))
    assert r.target_response is R.NE and r.overall_response is R.NE
    r = last(course([obs("N1", d=20, **NODE)], [obs("N1", d=6, **NODE)],
                    [obs("N1", "present", kind="new", **NODE)]))
    assert r.target_response is R.NE and r.overall_response is R.NE


def test_a_non_target_not_at_the_baseline_is_a_new_lesion() -> None:
    """followup.md:47 (a new lesion: PD) with RECIST 1.1 4.3.3; as a lesion recorded as a target that the baseline
    did not have (test_recist_audit). Defect (failed before): with no non-target at the baseline it was ignored
    (overall CR with it present); with some, non-CR/non-PD (overall PR) and a note only."""
    r = last(course([obs("L1", d=30)], [obs("L1", "disappeared"), nt("X")]))
    assert r.new_lesions and r.overall_response is R.PD, (r.overall_response, r.notes)
    r = last(course([obs("L1", d=30), nt("A")], [obs("L1", "disappeared"), nt("A", "absent"), nt("X")]))
    assert r.new_lesions and r.non_target_response is R.CR and r.overall_response is R.PD
    # absent, or a fragment of a baseline non-target (its parent): not new
    r = last(course([obs("L1", d=30), nt("A")], [obs("L1", d=30), nt("A"), nt("X", "absent")]))
    assert not r.new_lesions and r.overall_response is R.SD
    r = last(course([obs("L1", d=30), nt("A")], [obs("L1", d=30), nt("A"), nt("A2", parent_lesion_id="A")]))
    assert not r.new_lesions and r.overall_response is R.SD


# ---------------------------------------------------------------------------- target response (followup.md:26-30)
@pytest.mark.parametrize(("nadir", "now", "expected"), [
    (25.0, 30.0, R.PD),   # +5 mm, +20 %: both on the limit
    (25.0, 29.9, R.SD),   # +4.9 mm (+19.6 %)
    (30.0, 35.9, R.SD),   # +5.9 mm but +19.67 %
    (30.0, 36.0, R.PD),   # +6 mm, +20 %
    (20.0, 24.5, R.SD),   # +22.5 % but +4.5 mm
])
def test_pd_needs_both_limits_against_the_nadir(nadir: float, now: float, expected: R) -> None:
    """followup.md:28 and :68: PD is >= 20 % above the nadir and >= 5 mm absolute; the nadir here is the baseline."""
    assert last(course([obs("L1", d=nadir)], [obs("L1", d=now)])).target_response is expected


def test_a_target_back_without_an_overall_cr_is_added_to_the_sum() -> None:
    """followup.md:51 restricts "reappearing" to after a CR (RECIST FAQ: otherwise the lesion is added back into the
    sum). 30 + 30 -> 0 + 20 (PR, non-CR: L2 stays) -> 4 + 20 = 24: +4 mm over the nadir 20, not PD; -60 % from the
    baseline 60: PR."""
    rows = run(course([obs("L1", d=30), obs("L2", d=30)], [obs("L1", "disappeared"), obs("L2", d=20)],
                      [obs("L1", d=4), obs("L2", d=20)]))
    assert rows[1].overall_response is R.PR and rows[2].target_response is R.PR and rows[2].sum_mm == 24


def test_nadir_skips_an_undefined_sum_and_ne_is_not_the_nadir() -> None:
    """followup.md:20-21: the nadir is the smallest sum among the baseline and the earlier follow-ups; a follow-up
    with a target not assessed has no sum and cannot be it. 50 -> NE -> 40 -> 47: nadir 40, +7 mm, +17.5 %: SD."""
    rows = run(course([obs("L1", d=30), obs("L2", d=20)], [obs("L1", d=10), obs("L2", "not_assessed")],
                      [obs("L1", d=25), obs("L2", d=15)], [obs("L1", d=30), obs("L2", d=17)]))
    assert [r.nadir_sum_mm for r in rows[1:]] == [50, 50, 40]
    assert rows[3].target_response is R.SD and rows[3].change_from_nadir_pct == pytest.approx(17.5)


# ---------------------------------------------------------------------------- non-targets (followup.md:33-34)
def test_non_target_node_short_axis_10mm_is_not_normal() -> None:
    """followup.md:33 and :10: nodes < 10 mm are normal (non-target CR); a node at 10.0 mm short axis persists."""
    at_9 = last(course([obs("L1", d=30), nt("N", **NODE)], [obs("L1", "disappeared"), nt("N", measured_mm=9.9, **NODE)]))
    at_10 = last(course([obs("L1", d=30), nt("N", **NODE)], [obs("L1", "disappeared"), nt("N", measured_mm=10.0, **NODE)]))
    assert at_9.non_target_response is R.CR and at_9.overall_response is R.CR
    assert at_10.non_target_response is R.NON_CR_NON_PD and at_10.overall_response is R.PR


# ---------------------------------------------------------------------------- best response (followup.md:48-52)
def _bor(pairs: list[tuple[int, R]], **kw: object) -> R:
    s = Settings(**kw)  # type: ignore[arg-type]
    hist = [(D0 + dt.timedelta(days=d), r) for d, r in pairs]
    return best_overall_response(hist, D0, s, confirm=s.confirmation_required, has_targets=True)[0]


def test_confirmation_four_weeks_on_the_day() -> None:
    """followup.md:49-50: PR/CR confirmed by a later assessment >= 4 weeks apart: 28 days confirms, 27 does not (SD
    then, held >= 42 days)."""
    assert _bor([(60, R.PR), (88, R.PR)], confirmation_required=True) is R.PR
    assert _bor([(60, R.PR), (87, R.PR)], confirmation_required=True) is R.SD
    assert _bor([(60, R.CR), (88, R.CR)], confirmation_required=True) is R.CR
    assert _bor([(60, R.PR), (75, R.NE), (88, R.PR)], confirmation_required=True) is R.PR  # NE between: skipped
    # worse between: not confirmed (analysis/README.md, "where followup.md is silent")
    assert _bor([(60, R.PR), (90, R.SD), (120, R.PR)], confirmation_required=True) is R.SD


def test_sd_minimum_duration_on_the_day() -> None:
    """followup.md:50-51: SD must have lasted a minimum time (42 days here): SD at day 42 counts, at day 41 it does
    not (best response NE; PD when progression follows)."""
    assert _bor([(42, R.SD)]) is R.SD
    assert _bor([(41, R.SD)]) is R.NE
    assert _bor([(41, R.SD), (90, R.PD)]) is R.PD


def test_equivocal_new_lesion_never_confirmed_is_not_pd() -> None:
    """followup.md:52: an equivocal new lesion is PD (dated back) only once confirmed; gone at the next exam, never."""
    rows = run(course([obs("L1", d=30)], [obs("L1", d=30), new("X", "equivocal")], [obs("L1", d=30), new("X", "absent")]))
    assert [r.overall_response for r in rows[1:]] == [R.SD, R.SD]


# ---------------------------------------------------------------------------- NEN (followup.md:55-63)
def test_slow_progression_on_the_20pct_limit() -> None:
    """followup.md:56-59: SD with the sum above the window's earliest sum by > 0 % and <= 20 %. 20 -> 24 mm is +20 %
    but +4 mm (SD): slow progression; 20 -> 24.1 (+20.5 %, +4.1 mm, SD): not; 20 -> 20: not (> 0 %)."""
    assert last(course([obs("L1", d=20)], [obs("L1", d=24)], days=[0, 180])).nen_slow_progression is True
    r = last(course([obs("L1", d=20)], [obs("L1", d=24.1)], days=[0, 180]))
    assert r.overall_response is R.SD and r.nen_slow_progression is False
    assert last(course([obs("L1", d=20)], [obs("L1", d=20)], days=[0, 180])).nen_slow_progression is False


def test_slow_progression_window_includes_its_first_day() -> None:
    """followup.md:58-59: the earliest timepoint within the preceding window (365 days): a baseline exactly 365 days
    earlier is in it (50 -> 55, +10 %: slow); 366 days earlier it is not, the reference is then 56 (day 200): 55 is
    below it, not slow."""
    assert last(course([obs("L1", d=50)], [obs("L1", d=56)], [obs("L1", d=55)], days=[0, 200, 365])).nen_slow_progression
    assert not last(course([obs("L1", d=50)], [obs("L1", d=56)], [obs("L1", d=55)],
                           days=[0, 200, 366])).nen_slow_progression


def test_tgr_hand_computed() -> None:
    """followup.md:60-63: TGR = 100 (exp(3 ln(Dt/D0)/dt) - 1) %/month, dt = days / 30.4375. 50 -> 60 mm over 487
    days (16 months exactly): 100 (1.2^(3/16) - 1) = 3.4776 %/month (over GREPONET's 0.8 cut-off)."""
    assert tgr_pct_per_month(50, 60, 487) == pytest.approx(3.4776324635775735, rel=1e-12)
    assert last(course([obs("L1", d=50)], [obs("L1", d=60)], days=[0, 487])).tgr_pct_per_month == pytest.approx(
        3.4776324635775735, rel=1e-12)
    assert tgr_pct_per_month(60, 50, 487) == pytest.approx(100 * ((5 / 6) ** (3 / 16) - 1), rel=1e-12)  # shrinking < 0


def test_growth_rate_is_from_the_previous_timepoint_of_the_line() -> None:
    """followup.md:60 (between two timepoints) and :64-65 (a new line, a new baseline): the rate at line 2's first
    follow-up is from line 2's baseline, not from line 1's last exam."""
    rows = run(course([obs("L1", d=40)], [obs("L1", d=50)], [obs("L1", d=50), obs("L2", d=10)],
                      [obs("L1", d=60), obs("L2", d=12)], days=[0, 100, 200, 300], baselines=(0, 2)))
    assert rows[-1].baseline_sum_mm == 60
    assert rows[-1].tgr_pct_per_month == pytest.approx(100 * ((72 / 60) ** (3 / (100 / 30.4375)) - 1), rel=1e-12)


# ---------------------------------------------------------------------------- the clinical case (clinical-case.md)
def test_the_clinical_case_course_over_three_lines() -> None:
    """../shared/domain/clinical-case.md, its timeline as a reader records it (liver targets <= 2; sizes made up):
    06/2011 baseline L1 40 + L2 25 = 65 mm, coeliac node N1 (14 mm short axis: a non-target, followup.md:9-10), bone
    B1 (non-target). 01/2012: liver stable (67, +3.1 %) but bone lesions more numerous (unequivocal progression): PD;
    that exam is line 2's baseline (sunitinib 02/2012; followup.md:64-65). 2012-2014 stable: 68 (+1.5 %) then 72
    (SD; slow progression, followup.md:56-59: +7.5 % over 67 at 2012-08-01, then 72 over 68, the earliest within
    12 months, +5.9 %). 08/2014: new liver lesion L3 and L1/L2 larger, 81 (+14 mm, +20.9 % over the nadir 67): PD,
    and line 3's baseline (everolimus), where L3 is left kind 'new' as carried forward: a non-target of line 3
    (followup.md:11-12: every other lesion is a non-target), flagged. 01/2016 stable, L3 still carried 'new': SD,
    not a new lesion. Defect (failed before): L3 ignored at line 3's baseline and a new lesion at 01/2016: PD."""
    def tp(day: str, *o: LesionObservation) -> Timepoint:
        return Timepoint(dt.date.fromisoformat(day), o)

    def liver(i: str, d: float) -> LesionObservation:
        return obs(i, d=d)

    n1, b1 = nt("N1", measured_mm=14.0, **NODE), nt("B1", organ="bone")
    tps = (tp("2011-06-15", liver("L1", 40), liver("L2", 25), n1, b1),
           tp("2012-01-10", liver("L1", 41), liver("L2", 26), n1, nt("B1", "unequivocal_progression", organ="bone")),
           tp("2012-08-01", liver("L1", 42), liver("L2", 26), n1, b1),
           tp("2013-06-01", liver("L1", 44), liver("L2", 28), n1, b1),
           tp("2014-08-01", liver("L1", 50), liver("L2", 31), n1, b1, new("L3")),
           tp("2016-01-10", liver("L1", 50), liver("L2", 31), n1, b1, new("L3")))
    c = PatientCourse("NEN1", tps, tuple(dt.date.fromisoformat(d) for d in ("2011-06-15", "2012-01-10", "2014-08-01")))
    rows = assess_course(c)
    got = [(str(r.timepoint_date), str(r.baseline_date), r.sum_mm, r.overall_response, r.best_overall_response,
            r.nen_slow_progression) for r in rows]
    assert got == [
        ("2011-06-15", "2011-06-15", 65, None, None, None),
        ("2012-01-10", "2011-06-15", 67, R.PD, R.PD, False),     # bone: unequivocal progression (line 1's PFS event)
        ("2012-01-10", "2012-01-10", 67, None, None, None),      # line 2's baseline
        ("2012-08-01", "2012-01-10", 68, R.SD, R.SD, True),
        ("2013-06-01", "2012-01-10", 72, R.SD, R.SD, True),
        ("2014-08-01", "2012-01-10", 81, R.PD, R.SD, False),     # target PD and a new lesion; best stays SD
        ("2014-08-01", "2014-08-01", 81, None, None, None),      # line 3's baseline
        ("2016-01-10", "2014-08-01", 81, R.SD, R.SD, False)], got
    assert rows[5].target_response is R.PD and rows[5].new_lesions and rows[5].nadir_sum_mm == 67
    assert any("'new' lesions at the baseline read as non-targets: L3" in n for n in rows[6].notes), rows[6].notes
    assert not rows[7].new_lesions and rows[7].non_target_response is R.NON_CR_NON_PD
    assert rows[1].tgr_pct_per_month == pytest.approx(100 * ((67 / 65) ** (3 / (209 / 30.4375)) - 1), rel=1e-12)


def test_cli_reads_a_baseline_non_target_recorded_as_a_target_as_the_non_target(tmp_path: Path) -> None:
    """`lesionlab response --followup` end to end (FOLLOWUP.csv -> response.csv) on the first defect of this audit:
    L3, a baseline non-target, recorded as a target measured 20 mm at the follow-up while L1 is gone: PR (table 1:
    target CR, non-target non-CR/non-PD), not CR, and the note says how L3 was read."""
    lines = ["P1,2024-01-10,L1,target,liver,false,measured,30", "P1,2024-01-10,L3,non_target,liver,false,present,",
             "P1,2024-04-10,L1,target,liver,false,disappeared,", "P1,2024-04-10,L3,target,liver,false,measured,20"]
    src = tmp_path / "followup.csv"
    src.write_text("\n".join([",".join(FOLLOWUP_COLUMNS), *lines]) + "\n", encoding="utf-8")
    assert main(["response", "--followup", str(src), "--out", str(tmp_path / "out")]) == 0
    with open(tmp_path / "out" / "response.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    follow = rows[1]
    assert (follow["target_response"], follow["non_target_response"], follow["overall_response"]) == (
        "CR", "non_cr_non_pd", "PR"), follow
    assert "L3, a non-target since the baseline, recorded as target: read as a non-target (present)" in follow["note"]
