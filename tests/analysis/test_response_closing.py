"""analysis.response._closing at an exam that ends line 1 and starts line 2: each lesion read with the kind line 1's
baseline gave it (a review of session 32 wrote these; each asserts what RECIST 1.1 asks)."""
from __future__ import annotations

from tests.analysis.test_response import R, course, new, nt, obs, run


def _closing(c):  # the line-1 row at the shared exam
    rows = run(c)
    return next(r for r in rows if r.timepoint_date == c.baseline_dates[1] and not r.is_baseline)


def test_line1_target_recorded_new_at_line2_baseline_is_no_new_lesion_for_line1() -> None:
    """L2, a target of line 1, given kind 'new' at line 2's baseline (the baseline flags it as ignored): for line 1
    it is its own target, not a new lesion; RECIST: PD only from a lesion not seen at line 1's baseline."""
    c = course([obs("L1", d=20), obs("L2", d=20)], [obs("L1", d=10), obs("L2", d=10)],
               [obs("L1", d=10), obs("L2", "present", kind="new", measured_mm=10.0)], baselines=(0, 2))
    r = _closing(c)
    assert not r.new_lesions and r.overall_response is not R.PD, (r.overall_response, r.notes)


def test_line1_non_target_recorded_new_at_line2_baseline_is_no_new_lesion_for_line1() -> None:
    c = course([obs("L1", d=20), nt("L3")], [obs("L1", d=10), nt("L3")],
               [obs("L1", d=10), new("L3")], baselines=(0, 2))
    r = _closing(c)
    assert not r.new_lesions and r.overall_response is R.PR, (r.overall_response, r.notes)


def test_line1_non_target_progressing_then_chosen_as_line2_target_keeps_line1_pd() -> None:
    """The common NEN course: a non-target grows unequivocally, line 2 starts, and that lesion (now measurable)
    becomes one of line 2's targets. One status per lesion and exam: line 1 reads 'present' and the PD that ended
    it (its PFS event) is gone with no note saying it cannot be told."""
    c = course([obs("L1", d=20), nt("L3")], [obs("L1", d=18), nt("L3")],
               [obs("L1", d=18), obs("L3", d=35)], baselines=(0, 2))
    r = _closing(c)
    assert r.overall_response is R.PD or any("L3" in n and "progression" in n for n in r.notes), (r.overall_response,
                                                                                                r.notes)


def test_a_lesion_new_in_line1_too_small_as_line2_target_is_still_new_for_line1() -> None:
    """A lesion line 1 did not have, present at the shared exam: new for line 1 whatever line 2 records (here a
    target 'too small', flagged at line 2's baseline)."""
    c = course([obs("L1", d=20)], [obs("L1", d=20)],
               [obs("L1", d=20), obs("L9", "too_small")], baselines=(0, 2))
    r = _closing(c)
    assert r.new_lesions and r.overall_response is R.PD, (r.overall_response, r.notes)


def test_split_target_fragments_one_target_one_non_target_are_summed() -> None:
    """Checked right: T1 (line-1 target) splits at the shared exam into T1a (line-2 target, 12 mm) and T1b (line-2
    non-target, measured 9 mm, parent T1): line 1 sums 21 mm for T1."""
    c = course([obs("T1", d=30)], [obs("T1", d=20)],
               [obs("T1a", d=12, parent_lesion_id="T1"), nt("T1b", parent_lesion_id="T1", measured_mm=9.0)],
               baselines=(0, 2))
    r = _closing(c)
    assert r.sum_mm == 21.0 and r.target_response is R.PR  # -30 % of 30, (r.sum_mm, r.notes)


def test_merged_target_recorded_non_target_counts_zero() -> None:
    """Checked right: T2 merged into T1 (parent T1), recorded as a line-2 non-target: 0, T1 measured once."""
    c = course([obs("T1", d=20), obs("T2", d=20)], [obs("T1", d=20), obs("T2", d=20)],
               [obs("T1", d=50), nt("T2", "absent", parent_lesion_id="T1")], baselines=(0, 2))
    r = _closing(c)
    assert r.sum_mm == 50.0 and r.target_response is R.PD  # +10 mm, +25 % over 40, (r.sum_mm, r.notes)


def test_hand_written_followup_without_measured_mm_says_why_line1_is_ne() -> None:
    """A FOLLOWUP.csv written by hand (no measured_mm column): the line-1 target made a line-2 non-target reads NE;
    before the change the note said 'is a target since the baseline, recorded as non-target', now only 'target L2
    not assessed' — the user is not told the new column is what is missing."""
    c = course([obs("L1", d=20), obs("L2", d=20)], [obs("L1", d=15), obs("L2", d=15)],
               [obs("L1", d=15), nt("L2")], baselines=(0, 2))
    r = _closing(c)
    assert r.target_response is R.NE
    assert any("measured_mm" in n or "non-target" in n for n in r.notes), r.notes


def test_a_zero_length_line_gives_no_size() -> None:
    """measured_mm 0 (a line whose ends meet) is no size: line 1's target made a non-target is then not assessed,
    and the record is not refused."""
    c = course([obs("L1", d=20), obs("L2", d=20)], [obs("L1", d=15), obs("L2", d=15)],
               [obs("L1", d=15), nt("L2", measured_mm=0.0)], baselines=(0, 2))
    assert _closing(c).target_response is R.NE
