"""T1 portal's one-click lines more than 3 mm off on the realisations of sessions 40-41, and T1 arterial's share of
rays off the ellipse loosened (v17), each on a realisation written again by the generator for the test (the bench's
own clicks)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import pytest

import bench.bench_suggest as bs


def _t1(out: Path, seed: int, patient: str, role: str = "mr_t1_portal") -> Any:
    """One T1 series (``role``) of one patient of generator seed ``seed``, written into ``out`` without ground truth."""
    import subprocess
    import sys

    from viewer.index import index_path
    from viewer.loader import load_stack

    subprocess.run([sys.executable, str(bs.ROOT / "tools" / "make_sample_dicom.py"), "--out", str(out), "--seed",
                    str(seed), "--patient", patient, "--role", role],
                   check=True, cwd=bs.ROOT, stdout=subprocess.DEVNULL)
    (folder,) = [p for p in (out / patient).glob("*_MR/*") if p.is_dir()]
    return load_stack(index_path(folder, workers=1).stacks[0], workers=1)


@pytest.fixture(scope="module")
def t1_portal(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int, str], Any]:
    """``(seed, patient) -> volume``, each written once per module (a few seconds of CPU each)."""
    made: dict[tuple[int, str], Any] = {}

    def get(seed: int, patient: str) -> Any:
        if (seed, patient) not in made:
            made[(seed, patient)] = _t1(tmp_path_factory.mktemp(f"t1p{seed}{patient}"), seed, patient)
        return made[(seed, patient)]
    return get


def test_capsule_lesion_measured_on_its_faint_tip_is_refused(t1_portal: Callable[[int, str], Any]) -> None:
    """297 LLSYN002 L04 (20.9 mm on the truth's slice 19, against the capsule), clicked on slice 20 by the capsule: the
    slice clicked starts nothing of its own, slice 21 (the lesion's tip) sets the levels, at which the lesion is
    followed onto slice 20 (16.9 mm) and lost on 19. Slice 20 then gave way as "joined" to the tip (11.25 mm), 2.2
    times fainter against the liver: -9.15 mm on three of its ten clicks, T1 portal's worst line on 296-299 (session
    40). Since v17 (``joined_fullness``, app.suggester.JOINED_FULLNESS) a give-way onto a section standing out under
    half as much as the one given up is refused; the clicks the tip does not set stay measured within 2 mm."""
    from app.suggester import JOINED_FULLNESS, params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter

    vol = t1_portal(297, "LLSYN002")
    p = params_for(Role.MR_T1_PORTAL)
    assert p.joined_fullness == JOINED_FULLNESS[Role.MR_T1_PORTAL] > 0
    truth = 20.93
    for at in ((64.99594943955182, 67.60244757779184), (64.55712082596854, 68.0822044537351),
               (65.57615024705359, 68.84872861639083)):
        # since session 44 T1 portal's ``joined_again`` (1.4; the tip's 11.25 mm given way from 16.9) refuses it too, and
        # since session 48 its ``joined_end_fuller_sd`` (1.0) keeps the longer section
        before = suggest_diameter(vol, 20, at, replace(p, joined_fullness=0.0, joined_again=0.0, joined_end_fuller_sd=0.0))
        assert isinstance(before, Suggestion) and before.diameter_mm - truth < -9.0, before
        assert before.params["gave_way"] == "joined" and before.params["joined_fullness_share"] < 0.5, before.params
        s = suggest_diameter(vol, 20, at, p)
        assert isinstance(s, Refusal), s
        assert isinstance(suggest_diameter(vol, 20, at, replace(p, joined_fullness=0.0)), Refusal)
    good = suggest_diameter(vol, 20, (68.785750865283, 68.95017178317289), p)
    assert isinstance(good, Suggestion) and abs(good.diameter_mm - truth) < 2.0, good


def test_lesion_against_a_brighter_vein_kept_at_a_tenth_is_refused_at_a_fifth(
        t1_portal: Callable[[int, str], Any]) -> None:
    """205 LLSYN003 L02 (18.6 mm against a hepatic vein much brighter than it) clicked on its largest slice (23): one
    click's levels let the outline take part of the vein, 24.1 mm (+5.52), and found again at the threshold raised by
    a tenth of the contrast it keeps it (23.85 -> 23.71 mm: the session-40 steady rule let it through; T1 portal's
    worst line on the validation realisations). Raised by a fifth it parts from the vein, 18.61 mm (3.35 pixels; the
    lesions' own edges 1.5 pixels at most): refused since v17 (``steady_far_px``, app.suggester.STEADY_FAR_PX)."""
    from app.suggester import STEADY_FAR_PX, params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import SPLITS

    vol = t1_portal(205, "LLSYN003")
    p = params_for(Role.MR_T1_PORTAL)
    assert p.steady_far_px == STEADY_FAR_PX[Role.MR_T1_PORTAL] > 0
    at = (84.1395272873995, 169.8111101769429)
    # v18's depth rule (min_depth_ratio) refuses it too, as a section far longer than both neighbours: off here
    before = suggest_diameter(vol, 23, at, replace(p, steady_far_px=0.0, min_depth_ratio=0.0))
    assert isinstance(before, Suggestion) and before.diameter_mm - 18.59 > 5.0, before
    near, raised = before.params["steady_mm"]
    assert near - raised < p.steady_px * vol.geometry.row_spacing_mm, before.params  # the tenth's rule misses it
    s = suggest_diameter(vol, 23, at, replace(p, min_depth_ratio=0.0))
    assert isinstance(s, Refusal) and s.reason.startswith(f"{SPLITS}: its outline shrinks"), s
    full, far = s.params["steady_far_mm"]
    assert full - far > 3.0 * vol.geometry.row_spacing_mm, s.params


@pytest.mark.parametrize(("seed", "patient", "k", "at", "truth_mm"), [
    (205, "LLSYN002", 20, (103.41278357524689, 106.60841943160922), 3.19),
    (298, "LLSYN003", 12, (72.3513183108665, 94.88508429825242), 5.08)])
def test_small_lesion_found_on_two_slices_under_six_and_a_half_pixels_is_refused(
        t1_portal: Callable[[int, str], Any], seed: int, patient: str, k: int, at: tuple[float, float],
        truth_mm: float) -> None:
    """Lesions of 5-10 mm on T1 portal (1.5625 mm pixels, 5 mm slices): 205's LLSYN002 L12 (5.5 mm, 3.2 on the truth's
    slice) measured 9.7 mm (+6.54) and 298's LLSYN003 L06 (6.0 mm, 5.1 there) 9.85 (+4.77), each found on two slices
    at 6.2 and 6.3 pixels. Since v17 T1 portal refuses what is found on fewer than three slices under 6.5 pixels
    (app.suggester.SMALL_LESION_PX; T1 arterial's 8.5 would refuse 101 more good clicks of the bench's four)."""
    from app.suggester import SMALL_LESION_PX, params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import SMALL

    vol = t1_portal(seed, patient)
    p = params_for(Role.MR_T1_PORTAL)
    assert p.min_pixels_across == SMALL_LESION_PX[Role.MR_T1_PORTAL] == 6.5
    before = suggest_diameter(vol, k, at, replace(p, min_pixels_across=0.0, past_end=0.0))
    assert isinstance(before, Suggestion) and before.diameter_mm - truth_mm > 4.5, before
    assert len(before.params["diameters_by_slice_mm"]) == 2 and before.diameter_mm < 6.5 * 1.5625, before.params
    s = suggest_diameter(vol, k, at, p)
    assert isinstance(s, Refusal) and SMALL in s.reason, s


def test_small_lesion_merged_with_a_vessel_running_on_past_it_is_refused(t1_portal: Callable[[int, str], Any]) -> None:
    """296 LLSYN003 L06 (6.0 mm, 5.5 on the truth's slice 23) beside a vessel that runs obliquely through slices 22-24:
    found on slice 23 alone, 10.67 mm with the vessel's section, 6.8 pixels (+5.17, five clicks). On the slices either
    side the vessel lies round one end of the line only (``past_end`` share 1.0; every T1 portal suggestion of the
    fourteen realisations measured 0.50 at most): refused since v17 (app.suggester.PAST_END, 0.75 on T1 portal)."""
    from app.suggester import PAST_END, params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import SPLITS

    vol = t1_portal(296, "LLSYN003")
    p = params_for(Role.MR_T1_PORTAL)
    assert p.past_end == PAST_END[Role.MR_T1_PORTAL] == 0.75
    for at in ((97.90508681265914, 119.19669517800276), (97.48291286536403, 119.8157433424601)):
        before = suggest_diameter(vol, 23, at, replace(p, past_end=0.0))
        assert isinstance(before, Suggestion) and before.diameter_mm - 5.5 > 5.0, before
        assert len(before.params["diameters_by_slice_mm"]) == 1 and before.diameter_mm > 6.5 * 1.5625, before.params
        s = suggest_diameter(vol, 23, at, p)
        assert isinstance(s, Refusal) and s.reason.startswith(f"{SPLITS}: past the lesion's end"), s
        assert s.params["past_end_share"] >= 0.99, s.params


def test_t1_arterial_lets_nine_rays_of_72_leave_the_ellipse(tmp_path: Path) -> None:
    """T1 arterial refused an ellipse whose edge leaves it on more than 12 % of its 72 rays: 9 rays (12.5 %) were
    refused. On fourteen realisations (the bench's four, 204-206, 211-213, 296-299) the lines refused at 12.5 % were
    299 LLSYN003 L03 (15.0 mm, -0.20 mm, 11 clicks, one seeded) and 298 LLSYN002 L09 (7.5 mm, +5.41, 2 clicks), whose
    edge also cuts into its ellipse on 12.5 % (the 5 % inward rule refuses it, before the 8.5-pixel size limit). Since
    v17 the limit is 13 % (app.suggester.MEASURED_LEAK): the first is suggested, the second refused as two structures."""
    from app.suggester import MEASURED_LEAK, params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import BEYOND_ELLIPSE, SPLITS

    p = params_for(Role.MR_T1_ARTERIAL)
    assert p.max_leak_measured == MEASURED_LEAK[Role.MR_T1_ARTERIAL] == 0.13
    vol = _t1(tmp_path / "299", 299, "LLSYN003", "mr_t1_arterial")
    at = (117.41386636404606, 89.971080170657)  # the bench's seeded click, slice 12
    # v24's outward-only limit (max_leak_outward, session 46) would measure it at 12 % too: off for v17's before
    before = suggest_diameter(vol, 12, at, replace(p, max_leak_measured=0.12, max_leak_outward=0.0))
    assert isinstance(before, Refusal) and before.reason.startswith(BEYOND_ELLIPSE), before
    assert isinstance(suggest_diameter(vol, 12, at, replace(p, max_leak_measured=0.12)), Suggestion)
    s = suggest_diameter(vol, 12, at, p)
    assert isinstance(s, Suggestion) and abs(s.diameter_mm - 14.97) < 0.5 and s.params["leaked_rays"] == 0.125, s
    vol = _t1(tmp_path / "298", 298, "LLSYN002", "mr_t1_arterial")
    for at in ((73.88129751782262, 92.77104013713866), (74.01919994014769, 93.23112949852508)):
        s = suggest_diameter(vol, 26, at, replace(p, inner_quantile_again=0.0))
        assert isinstance(s, Refusal) and s.reason.startswith(f"{SPLITS}: its edge cuts into the ellipse"), s
        # session 48 (``inner_quantile_again``): made again with the threshold at the lesion's brighter pixels, its own
        # section, 7.08 mm (-0.42), not the +5.41 line without the limits below
        again = suggest_diameter(vol, 26, at, p)
        assert isinstance(again, Suggestion) and again.params["inner_again"] is True, again
        assert abs(again.diameter_mm - 7.08) < 0.05, again
        # v18's narrow rule (min_axis_ratio_corrected, 0.56 here) refuses it too: off here
        loose = suggest_diameter(vol, 26, at, replace(p, max_inward_measured=0.0, min_pixels_across=0.0,
                                                      min_axis_ratio_corrected=0.0))
        assert isinstance(loose, Suggestion) and loose.diameter_mm - 7.51 > 5.0, loose
