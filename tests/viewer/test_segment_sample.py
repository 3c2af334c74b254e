"""viewer.segment on the sample phantoms (sample_dicom + ground truth), as bench/bench_suggest.py
measures it: every lesion >= 10 mm visible on a series, clicked within its inner half on a slice
next to its largest, against ``axial_diameter_on_slice_mm``.

The four MRI series meet the issue's mean-error goals (figures in viewer/README.md); the rate (92 %
against 95 %), the limits on T1 arterial and the DWI - T2FS bias do not yet, nor does CT (0.5 mm
goal). The assertions hold what it reaches today, so a regression fails, and check the window's
offer table (figures pooled with held-out realisations by make bench) against the sample's.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from bench import bench_suggest as bs
from viewer.segment import METHOD_NAME

pytestmark = pytest.mark.slow  # about 15 s: three patients' series decoded

MR = ("mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal")


@pytest.fixture(scope="module")
def volumes(sample_dicom: Path) -> Callable[[str, str], Any]:
    """The sample's series, each decoded once for the module."""
    cache: dict[tuple[str, str], Any] = {}

    def load(patient: str, role: str) -> Any:
        if (patient, role) not in cache:
            cache[(patient, role)] = bs.load(patient, role, sample_dicom)
        return cache[(patient, role)]

    return load


@pytest.fixture(scope="module")
def old_noise(tmp_path_factory: pytest.TempPathFactory, volumes: Callable[[str, str], Any]) -> Callable[[str, str], Any]:
    """The sample's series as ``volumes`` gives them, but CT written with the generator's CT noise until session 42
    (tests/viewer/old_ct_noise.py): the CT rules below were set on bad lines drawn on that noise, which the
    ramp-spectrum noise since does not draw at the same clicks (each test says what they give now)."""
    from tests.viewer.old_ct_noise import DEFAULT_SEED, write_old_noise

    out = tmp_path_factory.mktemp("old_ct_noise")
    cache: dict[tuple[str, str], Any] = {}

    def load(patient: str, role: str) -> Any:
        if not role.startswith("ct_"):
            return volumes(patient, role)
        if (patient, role) not in cache:
            cache[(patient, role)] = bs.load(patient, role, write_old_noise(out / f"{patient}_{role}", DEFAULT_SEED,
                                                                            patient, [role]))
        return cache[(patient, role)]

    return load


@pytest.fixture(scope="module")
def outcomes(sample_dicom: Path, volumes: Callable[[str, str], Any]) -> list[bs.Outcome]:
    groups = bs.cases(volumes, np.random.default_rng(bs.SEED), sample=sample_dicom)  # the bench's clicks
    return [bs.suggest(g[0]) for g in groups]


def _rows(outcomes: list[bs.Outcome], roles: tuple[str, ...]) -> dict[str, Any]:
    return bs.summary([o for o in outcomes if o.case.role in roles])


@pytest.mark.parametrize("role", MR)
def test_mri_series_mean_absolute_error_within_the_goal(outcomes: list[bs.Outcome], role: str) -> None:
    row = _rows(outcomes, (role,))
    goal = {"mr_dwi": 1.5}.get(role, 1.0)
    assert row["n"] >= 9 and row["mae_mm"] <= goal, row


def test_mri_suggestion_rate_limits_of_agreement_and_worst_error(outcomes: list[bs.Outcome]) -> None:
    row = _rows(outcomes, MR)
    # goal 0.95 (b800's lesions under 5.5 pixels on < 3 slices refused; since v11 a T1 portal lesion joined to a
    # vessel by a waist too: 0.868 -> 0.849, its suggestions more than 5 mm off on the bench's every click 1 -> 0; T1
    # arterial's lesions under 8.5 pixels on < 3 slices refused, app.suggester.SMALL_LESION_PX: 0.849 -> 0.792, T1 arterial
    # 14 -> 11 of 16)
    assert row["rate"] >= 0.78, row
    assert row["loa_low_mm"] >= -2.5 and row["loa_high_mm"] <= 2.5, row  # goal +-2 mm (-1.9 to +1.9 today)
    assert row["over_5mm"] == 0 and row["over_3mm"] == 0, row  # T1 arterial's +3.7 mm refused since v6 (split_size)


def test_the_window_offers_one_click_only_where_the_sample_meets_the_goals(outcomes: list[bs.Outcome]) -> None:
    """app.suggester's table holds the figures pooled over the sample and three held-out realisations
    (make bench; the worst over every click); a series it offers meets the goals on the sample's
    seeded clicks too, and one that misses them there is not offered."""
    from app.suggester import OFFERED_ROLES, SAMPLE_ERROR_MM

    for role, (mae, goal, worst) in SAMPLE_ERROR_MM.items():
        row = _rows(outcomes, (role.value,))
        meets_here = row["mae_mm"] <= goal and abs(row["worst_mm"]) <= 3.0
        if role in OFFERED_ROLES:
            assert meets_here, (role, row)
        assert mae >= 0.5 * row["mae_mm"] and abs(worst) >= abs(row["worst_mm"]) - 0.2, (role, row)  # pooled covers it


def test_dwi_and_t2fs_bias_small_against_the_study_effect(outcomes: list[bs.Outcome]) -> None:
    """The suggestion must not create a DWI - T2FS difference: the study's effect is +0.8 mm. Today
    it adds +0.40 mm to the truth's +0.24 on the sample's 10 lesions suggested on both (DWI bias
    -0.03 mm, T2FS -0.20; the paired figure's SE on 10 lesions is about 0.3 mm), +0.38 mm pooled with
    the held-out realisations (n = 38, 95 % CI +0.08 .. +0.67, `make bench`; +0.18 before b800's
    lesions under 5 pixels were refused): one-click diameters are off by default for this. The
    bounds catch a regression towards the size of the effect itself."""
    for role in ("mr_dwi", "mr_t2fs"):
        assert abs(_rows(outcomes, (role,))["bias_mm"]) <= 0.4
    paired = bs.paired_difference(outcomes)
    assert paired["n"] >= 8 and abs(paired["suggested_minus_truth_mm"]) <= 0.6, paired


def test_ct_today(outcomes: list[bs.Outcome]) -> None:
    """CT misses the goals (correlated noise at 13-16 HU against 20-60 HU of contrast, vessels as
    bright as the lesions on arterial phase, a rim almost as dense as the liver on portal phase):
    what it reaches now, as a floor. Since v15 (``past_end``) CT arterial refuses LLSYN001 L03, measured with
    the portal vein beside it (+3.4 mm), and LLSYN003 L02, beside a hepatic vein (-1.1 mm): 11 -> 9 of 12 on
    the sample, no line more than 3 mm off. Since v17 CT portal refuses its rim lesion measured on its interior
    (LLSYN002 L02, -6.43 mm, app.suggester.RAW_SHELL), and CT arterial (``recheck_mm``) LLSYN002 L04 and L06 (+0.08 and
    +0.06 mm), refused when clicked again at their line's middle (a core there, and longest on a neighbour): CT
    arterial 9 -> 7 of 12, the two together 10 of 21, MAE 0.32 mm, none over 3 mm. Session 42, the phantom's CT noise
    a ramp spectrum (autocorrelation FWHM 1.7 mm) instead of 2.2 px Gaussian blotches, nothing in the method changed:
    CT arterial 7 -> 8 of 12, MAE 0.525 mm (LLSYN001 L02 +1.99, measured 18.98 on 16.99), CT portal 3 -> 7 of 9, MAE
    0.27; the two together 10 -> 15 of 21, MAE 0.32 -> 0.41, none over 3 mm. v19 (``min_axis_ratio`` 0.65 -> 0.67 on CT
    arterial) refuses LLSYN001 L02's line, its ellipse 0.66 as wide as long (the lesion's 0.75): CT arterial 8 -> 7 of
    12, MAE 0.525 -> 0.32 mm (tests/viewer/test_segment_ct42.py); the two together 15 -> 14 of 21, MAE 0.41 -> 0.29.
    v20 (session 43, CT portal's ``capsule_rays``): LLSYN002 L04, against the capsule (+0.68 mm, 25 % of its rays on the
    fat), refused: CT portal 7 -> 6 of 9, the two together 14 -> 13 of 21 (rate floor 0.65 -> 0.6), MAE 0.29 -> 0.26.
    Session 49's CT arterial ``narrow_region_ratio`` measures LLSYN001 L02 again (+1.99, its region 0.725 as wide as
    long): CT arterial 7 -> 8 of 12, MAE 0.525, over the goal: built and off (tests/viewer/test_segment_ct42.py)."""
    arterial = _rows(outcomes, ("ct_arterial",))
    assert arterial["rate"] >= 0.55 and arterial["mae_mm"] <= 0.55 and arterial["over_3mm"] == 0, arterial
    both = _rows(outcomes, ("ct_arterial", "ct_portal"))
    assert both["n"] >= 20 and both["rate"] >= 0.6 and both["mae_mm"] <= 0.45 and both["over_3mm"] == 0, both


def test_the_line_lies_where_the_lesion_is_full_not_on_its_tip(outcomes: list[bs.Outcome]) -> None:
    """LLSYN002 L05 on DWI b800 (15.6 mm): the slice through its tip (8 mm across at its centre,
    its inner half 110 above the liver against 225 on the next) came out 5 % longer at the click's
    threshold, and the line was drawn there, over the lesion's edge as the reader sees it; the
    fuller neighbour is measured (a reader's check under Xvfb found it). LLSYN001 L03 (10.6 mm on
    b800, 4 pixels, on two slices) was too; it was refused as too small for b800's blur from v7, and is
    measured on its ellipse as found since session 39 (``uncorrected_px``), on its full slice."""
    o = next(o for o in outcomes if (o.case.patient, o.case.lesion, o.case.role) == ("LLSYN002", "L05", "mr_dwi"))
    assert o.diameter_mm is not None and o.slice_index == o.case.truth_slice, o.slice_index
    assert abs(o.error_mm or 0.0) <= 1.0
    o = next(o for o in outcomes if (o.case.patient, o.case.lesion, o.case.role) == ("LLSYN001", "L03", "mr_dwi"))
    assert o.diameter_mm is not None and o.slice_index == o.case.truth_slice, (o.note, o.slice_index)
    assert abs(o.error_mm or 0.0) <= 0.5, o.error_mm


def test_an_end_slice_joined_to_a_vessel_is_not_measured(sample_dicom: Path, volumes: Callable[[str, str], Any]) -> None:
    """LLSYN002 L04 on T1 arterial (20.5 mm), the bench's ten clicks: on one, the slice beyond
    which the lesion ends held its tip joined to a vessel, 25.7 mm against 20.3 on the fuller
    slice next to it, and the longer was measured (+5.5 mm, over the 3 mm rule). The fuller
    neighbour is ("joined"); the other nine are within 3 mm as before."""
    from viewer.segment import Suggestion, suggest_diameter

    groups = bs.cases(volumes, np.random.default_rng(bs.SEED + 1), n_clicks=bs.REPEAT_CLICKS, sample=sample_dicom)
    group = next(g for g in groups if (g[0].patient, g[0].lesion, g[0].role) == ("LLSYN002", "L04", "mr_t1_arterial"))
    got = [suggest_diameter(c.volume, c.click_slice, c.click) for c in group]
    assert all(isinstance(s, Suggestion) for s in got), got
    errors = [s.diameter_mm - group[0].truth_mm for s in got if isinstance(s, Suggestion)]
    assert max(map(abs, errors)) <= 3.0, errors
    gave_way = [s.params["gave_way"] for s in got if isinstance(s, Suggestion)]
    assert gave_way.count("joined") == 1, gave_way


def test_every_click_on_t2fs_and_dwi_within_3_mm_and_repeatable(sample_dicom: Path,
                                                                volumes: Callable[[str, str], Any]) -> None:
    """The offered series, ten seeded clicks per lesion (inner half, a slice next to the largest):
    every suggestion within 3 mm of the truth (the issue's rule is about every click), and the ten
    within 1 mm of each other on every lesion. LLSYN002 L08 on b800 (9.7 mm: 4 pixels) gave 8.2 mm
    from clicks on its full slice and 11.3-11.8 from clicks on its faint tip, until a slice chosen
    from levels set on a tip was measured at its own (``tip_size``); LLSYN003 L03 on b800 was 14.6
    on one click and 15.7 on nine before the restart from the centre found went on until the centre
    stayed (``restarts``). As the window asks them now, lesions under 5.5 pixels on fewer than three
    slices are refused on b800 (L08 among them): those may be all refused, on DWI only."""
    groups = bs.repeated(bs.cases(volumes, np.random.default_rng(bs.SEED + 1), n_clicks=bs.REPEAT_CLICKS,
                                  roles=("mr_t2fs", "mr_dwi"), sample=sample_dicom))
    assert len(groups) >= 25
    spread, small = {}, []
    for group in groups:
        case = group[0].case
        errors = [o.error_mm for o in group if o.error_mm is not None]
        if not errors and all("too small on this series" in o.note for o in group):
            small.append((case.patient, case.lesion, case.role))  # b800's lesions under 5.5 pixels: refused
            continue
        assert len(errors) >= 8 and max(map(abs, errors)) <= 3.0, (case.patient, case.lesion, case.role, errors)
        spread[(case.patient, case.lesion, case.role)] = max(errors) - min(errors)
    assert max(spread.values()) <= 1.0, spread
    assert len(spread) >= 20 and all(role == "mr_dwi" for _, _, role in small), small


def test_a_click_on_the_lesions_tip_ends_as_a_click_on_its_full_slice(sample_dicom: Path) -> None:
    """LLSYN002 L05 on b800 (15.6 mm on slice 15; 8 mm across on slice 14, its tip): clicked at its
    centre on 14, the suggestion was 17.8 mm on slice 16 (the tip's threshold is near the liver),
    on 15 and 16 15.0 mm on slice 15 (a reader's check under Xvfb found it). Now every one of the
    three ends the same, the tip's levels named in the record."""
    import json

    truth = json.loads((sample_dicom / "ground_truth" / "LLSYN002.json").read_text())
    lesion = next(les for les in truth["lesions"] if les["id"] == "L05")
    volume = bs.load("LLSYN002", "mr_dwi", sample_dicom)
    from viewer.segment import Suggestion, suggest_diameter

    got = {}
    for k in (14, 15, 16):
        s = suggest_diameter(volume, k, volume.geometry.pixel_on_slice(tuple(lesion["centre_mm"]["mr"]), k))
        assert isinstance(s, Suggestion), (k, s)
        got[k] = (round(s.diameter_mm, 2), s.slice_index)
        assert (s.params["levels_from_tip"] == 14) == (k == 14), (k, s.params["levels_from_tip"])
    assert len(set(got.values())) == 1 and got[14][1] == lesion["series"]["mr_dwi"]["slice_index"], got
    assert abs(got[14][0] - lesion["series"]["mr_dwi"]["axial_diameter_on_slice_mm"]) <= 1.0, got


def test_a_click_two_slices_from_the_largest_whose_own_slice_is_lost_starts_on_the_fuller_neighbour(
        sample_dicom: Path) -> None:
    """LLSYN003 L07 on b800 (37.9 mm on slice 15; 28 mm on slice 13, 11 mm on 12): clicked at its centre on 13,
    where its own start fails (what surrounds the region is not liver), v12 started on the first neighbour that
    found it, its tip on 12, could not follow it up (13 more than twice its size) and refused (a radiologist's
    check: "may be longest on the slice clicked"). v13 starts it again from the neighbour after the slice clicked,
    14, and follows it from there (the record says `started_after`)."""
    import json

    from viewer.segment import Refusal, Suggestion, suggest_diameter

    truth = json.loads((sample_dicom / "ground_truth" / "LLSYN003.json").read_text())
    lesion = next(les for les in truth["lesions"] if les["id"] == "L07")
    volume = bs.load("LLSYN003", "mr_dwi", sample_dicom)
    at = volume.geometry.pixel_on_slice(tuple(lesion["centre_mm"]["mr"]), 13)
    from app.suggester import params_for
    from viewer.records import Role

    p = params_for(Role.MR_DWI)
    s = suggest_diameter(volume, 13, at, p)
    assert isinstance(s, Suggestion) and s.slice_index == 15 and s.params["started_after"] is True, s
    assert abs(s.diameter_mm - lesion["series"]["mr_dwi"]["axial_diameter_on_slice_mm"]) <= 1.5, s.diameter_mm
    before = suggest_diameter(volume, 13, at, replace(p, both_neighbours=False))
    assert isinstance(before, Refusal) and "may be longest on the slice clicked" in before.reason


def test_a_lesion_joined_to_a_vessel_that_parts_on_the_next_slice_is_refused(
        sample_dicom: Path, volumes: Callable[[str, str], Any]) -> None:
    """LLSYN001 L03 on T1 arterial (10.6 mm, pressed against a portal vein as bright as it): on the
    slice clicked, the lesion's tip, lesion and vein merge into one 13.6 mm outline, measured 14.3 mm
    (+3.7) on all of the bench's clicks; on the next slice, under that outline's centre, a 6.1 mm
    part 7.0 mm off it. Refused now ("joins two structures"); the other T1 arterial lesions of the
    sample stay within 3 mm."""
    from viewer.segment import Refusal, suggest_diameter
    from viewer.segment.suggest import SPLITS

    from app.suggester import params_for
    from viewer.records import Role

    groups = bs.cases(volumes, np.random.default_rng(bs.SEED + 1), n_clicks=bs.REPEAT_CLICKS, roles=("mr_t1_arterial",),
                      sample=sample_dicom)
    l03 = next(g for g in groups if (g[0].patient, g[0].lesion) == ("LLSYN001", "L03"))
    for c in l03:
        s = suggest_diameter(c.volume, c.click_slice, c.click, params_for(Role.MR_T1_ARTERIAL))
        assert isinstance(s, Refusal) and s.reason.startswith(SPLITS), s
        assert "a 6.1 mm part 7.0 mm off it, against 13.6 mm here" in s.reason, s.reason
    others = [c for g in groups if g is not l03 for c in g[:3]]
    for c in others:
        s = suggest_diameter(c.volume, c.click_slice, c.click, params_for(Role.MR_T1_ARTERIAL))
        assert isinstance(s, Refusal) or abs(s.diameter_mm - c.truth_mm) <= 3.0, (c.patient, c.lesion, s.diameter_mm)


def test_a_part_standing_out_on_one_slice_inside_a_fainter_lesion_is_refused(
        sample_dicom: Path, old_noise: Callable[[str, str], Any]) -> None:
    """LLSYN002 L04 on CT portal (20.5 mm on the slice next to the one clicked): one of the bench's
    ten clicks found a 4.4 mm part on the slice clicked only, with 18-19 % of its contrast still
    1.5-6 mm beyond its edge, and measured it (-15.8 mm). A lesion found on one slice only with its
    contrast still round it is refused now; the other clicks are within 3 mm or refused as before.
    On the old CT noise (``old_noise``): on today's, no click finds such a part (session 42)."""
    volumes = old_noise
    from viewer.segment import Refusal, SuggestParams, Suggestion, suggest_diameter
    from viewer.segment.suggest import ONE_SLICE_PART

    groups = bs.cases(volumes, np.random.default_rng(bs.SEED + 1), n_clicks=bs.REPEAT_CLICKS, sample=sample_dicom)
    group = next(g for g in groups if (g[0].patient, g[0].lesion, g[0].role) == ("LLSYN002", "L04", "ct_portal"))
    got = [suggest_diameter(c.volume, c.click_slice, c.click) for c in group]
    parts = [s for s in got if isinstance(s, Refusal) and s.reason.startswith(ONE_SLICE_PART)]
    assert len(parts) == 1 and "beyond its edge the image still holds 19% and 18% of its contrast" in parts[0].reason, got
    assert all(isinstance(s, Refusal) or abs(s.diameter_mm - group[0].truth_mm) <= 3.0 for s in got), got
    c = group[got.index(parts[0])]
    before = suggest_diameter(c.volume, c.click_slice, c.click, SuggestParams(single_slice_beyond=0.0))
    assert isinstance(before, Suggestion) and before.diameter_mm < 6.0, before  # the part, measured with the rule off


def test_a_small_lesions_tip_clicked_on_b800_is_refused_as_faint_as_a_whole(sample_dicom: Path,
                                                                         volumes: Callable[[str, str], Any]) -> None:
    """LLSYN002 L09 on b800 (8.8 mm on its slice) clicked on the next slice, where its section is 2.8 mm:
    a 14.7 mm line over liver and noise, past the 13.75 mm size limit (a reader's check under Xvfb,
    nine clicks within 1.5 mm alike). Found on that slice only, it stands out by 1.6 SDs over the disc
    of its diameter: refused (``few_slices_sd``, 4.0 on b800); with the rule off it is the 14.7 mm line.
    Since b800 reads the edge's levels a quarter of a pixel off it (v12), that line is 12.2 mm, refused
    first as too small for the series' blur until v17; since v18 (``one_slice_from_px`` 4.1: on one slice it is measured
    as found, 11.3 mm at 4.5 pixels) it is refused as faint as a whole at 3.0 SDs, by this rule again (session 42, from
    session 41's experiment); with v11's pixel too."""
    from dataclasses import replace

    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import FAINT_WHOLE

    vol = volumes("LLSYN002", "mr_dwi")
    k = 14
    r, c = vol.geometry.pixel_on_slice((-61.8, -2.6, -91.5), k)
    for dr, dc in ((0.0, 0.0), (0.4, -0.4), (-0.5, 0.3)):
        at = (float(r) + dr, float(c) + dc)
        s = suggest_diameter(vol, k, at, params_for(Role.MR_DWI))
        assert isinstance(s, Refusal) and s.reason.startswith(FAINT_WHOLE) and s.params["uncorrected"] is True, s
        assert s.params["stands_out_sd"] < 3.5 and 4.1 * 2.5 <= s.params["suggested_diameter_mm"] < 5.5 * 2.5, s.params
        v17 = suggest_diameter(vol, k, at, replace(params_for(Role.MR_DWI), one_slice_from_px=0.0))
        assert isinstance(v17, Refusal) and "too small on this series for its edge" in v17.reason, v17
    p = replace(params_for(Role.MR_DWI), local_edge_gap_px=1.0)
    for dr, dc in ((0.0, 0.0), (0.4, -0.4), (-0.5, 0.3)):
        at = (float(r) + dr, float(c) + dc)
        s = suggest_diameter(vol, k, at, p)
        assert isinstance(s, Refusal) and s.reason.startswith(FAINT_WHOLE) and s.params["stands_out_sd"] < 2.5, s
    before = suggest_diameter(vol, k, (float(r), float(c)), replace(p, few_slices_sd=0.0, few_slices_sd_below_px=0.0,
                                                                   moved_faint_sd=0.0, one_slice_faint_below_px=0.0,
                                                                   one_slice_faint_sd=0.0, one_slice_plateau=0.0,
                                                                   two_slice_upto_px=0.0, two_slice_plateau=0.0,
                                                                   two_slice_peak_half=0.0, down_to_px=0.0))
    assert isinstance(before, Suggestion) and before.diameter_mm > 8.8 + 5.0, before


def test_b800_lesions_on_two_slices_under_the_size_limit_are_measured_as_found(outcomes: list[bs.Outcome]) -> None:
    """LLSYN002 L07 (11.8 mm) and LLSYN003 L04 (11.0 mm) on b800 lie on two 5 mm slices at 4.5-4.6 pixels: refused as
    too small for the series' blur until session 39. Measured on the ellipse as found (``uncorrected_px``, 4.9 on
    b800), the bench's clicks are within 0.5 mm; with the smoothing's shift given back (step 10), which models a sharp
    section, they were +1.6 and +2.3 mm."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Suggestion, suggest_diameter

    got = {o.case.lesion: o for o in outcomes if o.case.role == "mr_dwi"
           and (o.case.patient, o.case.lesion) in {("LLSYN002", "L07"), ("LLSYN003", "L04")}}
    assert sorted(got) == ["L04", "L07"], sorted(got)
    params = params_for(Role.MR_DWI)
    assert (params.min_pixels_across, params.uncorrected_px) == (5.5, 4.9)
    for o in got.values():
        assert o.error_mm is not None and abs(o.error_mm) <= 0.5, (o.case.lesion, o.note, o.error_mm)
        s = suggest_diameter(o.case.volume, o.case.click_slice, o.case.click, params)
        assert isinstance(s, Suggestion) and s.params["uncorrected"] is True, s
        assert len(s.params["diameters_by_slice_mm"]) == 2 and s.diameter_mm < 4.9 * 2.5, s.params
        corrected = suggest_diameter(o.case.volume, o.case.click_slice, o.case.click, replace(params, min_pixels_across=0.0))
        assert isinstance(corrected, Suggestion) and corrected.diameter_mm - o.case.truth_mm > 1.5, corrected


def test_t1_arterial_lesions_on_two_slices_under_the_size_limit_are_measured_as_found(outcomes: list[bs.Outcome]) -> None:
    """LLSYN002 L08 (9.7 mm) and LLSYN003 L04 (11.0 mm) on T1 arterial lie on two 5 mm slices at 6.3-6.5 pixels, under
    its 8.5-pixel limit: refused as too small until session 39, measured on the ellipse as found since (from 4.0 to 7.5
    pixels there, app.suggester.UNCORRECTED_FROM_PX and UNCORRECTED_PX): the bench's clicks within 1 mm."""
    from app.suggester import params_for
    from viewer.records import Role

    got = {o.case.lesion: o for o in outcomes if o.case.role == "mr_t1_arterial"
           and (o.case.patient, o.case.lesion) in {("LLSYN002", "L08"), ("LLSYN003", "L04")}}
    assert sorted(got) == ["L04", "L08"], sorted(got)
    params = params_for(Role.MR_T1_ARTERIAL)
    assert (params.min_pixels_across, params.uncorrected_from_px, params.uncorrected_px) == (8.5, 4.0, 7.5)
    for o in got.values():
        assert o.error_mm is not None and abs(o.error_mm) <= 1.0, (o.case.lesion, o.note, o.error_mm)
        assert 4.0 * 1.5625 <= o.diameter_mm < 7.5 * 1.5625, o.diameter_mm


def test_t1_arterial_round_lesions_under_the_size_limit_are_measured(outcomes: list[bs.Outcome],
                                                                     volumes: Callable[[str, str], Any]) -> None:
    """LLSYN002 L07 (11.8 mm) on T1 arterial is found at 8.1 pixels on fewer than three slices, under its 8.5-pixel
    limit and not measured as found (over 7.5 pixels as found): refused as too small until v18 (session 42), measured
    since, its ellipse 0.76 as wide as long and its disc 14 SDs of the liver over it (app.suggester.ROUND_FROM_PX,
    ROUND_AXIS_RATIO, ROUND_SD): within 1 mm. Narrower or fainter than those, or under 5 pixels (the sample's
    LLSYN002 L11, 4.1 mm on the truth's slice, 6.4 mm found at 4.1 pixels), still refused as too small."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import SMALL

    o = next(o for o in outcomes if (o.case.patient, o.case.lesion, o.case.role) == ("LLSYN002", "L07", "mr_t1_arterial"))
    assert o.error_mm is not None and abs(o.error_mm) <= 1.0, (o.note, o.error_mm)
    params = params_for(Role.MR_T1_ARTERIAL)
    assert (params.round_from_px, params.round_axis_ratio, params.round_sd) == (5.0, 0.65, 7.2)
    assert params_for(Role.MR_T1_PORTAL).round_from_px == params_for(Role.MR_DWI).round_from_px == 0.0
    s = suggest_diameter(o.case.volume, o.case.click_slice, o.case.click, params)
    assert isinstance(s, Suggestion) and s.params["round_under_limit"] is True, s
    assert 5.0 * 1.5625 <= s.diameter_mm < 8.5 * 1.5625 and len(s.params["diameters_by_slice_mm"]) < 3, s.params
    assert s.params["axis_ratio"] >= 0.65 and "uncorrected" not in s.params, s.params
    for off in (replace(params, round_from_px=0.0), replace(params, round_axis_ratio=s.params["axis_ratio"] + 0.01),
                replace(params, round_sd=30.0)):
        r = suggest_diameter(o.case.volume, o.case.click_slice, o.case.click, off)
        assert isinstance(r, Refusal) and SMALL in r.reason, (off, r)
    tiny = suggest_diameter(volumes("LLSYN002", "mr_t1_arterial"), 24, (65.57, 136.39), params)  # the bench's click
    assert isinstance(tiny, Refusal) and SMALL in tiny.reason and "4.1 pixels" in tiny.reason, tiny


def test_t1_arterial_refuses_a_narrow_corrected_ellipse(outcomes: list[bs.Outcome]) -> None:
    """T1 arterial refuses a line measured on its corrected ellipse narrower than 0.6 (v18, session 42,
    app.suggester.MIN_AXIS_RATIO_CORRECTED): fresh 335 LLSYN001 L03 (10.7 mm against a portal vein) at 0.55, +3.50 mm. A line
    measured as found (LLSYN002 L08 and LLSYN003 L04 of the sample, app.suggester.UNCORRECTED_PX) is not refused by it: good
    ones reach 0.53 there. The sample's LLSYN002 L07 (0.76) is refused once the limit is set above it."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import NARROW

    params = params_for(Role.MR_T1_ARTERIAL)
    assert params.min_axis_ratio_corrected == 0.6 and params_for(Role.MR_T1_PORTAL).min_axis_ratio_corrected == 0.0
    t1 = {(o.case.patient, o.case.lesion): o for o in outcomes if o.case.role == "mr_t1_arterial"}
    o = t1[("LLSYN002", "L07")]
    s = suggest_diameter(o.case.volume, o.case.click_slice, o.case.click, params)
    assert isinstance(s, Suggestion) and 0.6 <= s.params["axis_ratio"] < 0.8, s
    r = suggest_diameter(o.case.volume, o.case.click_slice, o.case.click, replace(params, min_axis_ratio_corrected=0.8))
    assert isinstance(r, Refusal) and r.reason.startswith(NARROW), r
    for key in (("LLSYN002", "L08"), ("LLSYN003", "L04")):
        o = t1[key]
        kept = suggest_diameter(o.case.volume, o.case.click_slice, o.case.click, replace(params, min_axis_ratio_corrected=0.99))
        assert isinstance(kept, Suggestion) and kept.params["uncorrected"] is True, (key, kept)


def test_t1_portal_refuses_a_section_far_longer_than_both_neighbours(volumes: Callable[[str, str], Any]) -> None:
    """T1 portal refuses a line whose section and the sections either side make an ellipsoid under 0.68 times as deep as
    long (v18, session 42, app.suggester.MIN_DEPTH_RATIO): fresh 335 LLSYN001 L02 was 19.8 mm against 13.1 and 11.3, +3.16
    mm, at 0.64. The sample's LLSYN002 L01 (44.0 mm, flat-topped over three slices, 41.6, 43.7, 41.3 mm) is the lowest
    good line of 21 realisations, 0.72: suggested, and refused where the limit is set above it."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import SPLITS

    params = params_for(Role.MR_T1_PORTAL)
    assert params.min_depth_ratio == 0.68 and params_for(Role.MR_T1_ARTERIAL).min_depth_ratio == 0.0
    vol = volumes("LLSYN002", "mr_t1_portal")
    at = (112.77, 79.01)  # the bench's seeded click, on slice 20
    s = suggest_diameter(vol, 20, at, params)
    assert isinstance(s, Suggestion) and abs(s.diameter_mm - 43.99) <= 1.0, s
    assert 0.68 <= s.params["depth_ratio"] <= 0.75, s.params
    higher = replace(params, min_depth_ratio=s.params["depth_ratio"] + 0.01)
    # v20 (session 43): the rule acts only where the longer neighbour is under 0.8 of the section (depth_neighbours);
    # this flat-topped lesion's stands at 0.95, so the higher limit refuses it only with that gate off
    assert s.params["neighbour_share"] >= params.depth_neighbours == 0.8, s.params
    assert isinstance(suggest_diameter(vol, 20, at, higher), Suggestion)
    r = suggest_diameter(vol, 20, at, replace(higher, depth_neighbours=0.0))
    assert isinstance(r, Refusal) and r.reason.startswith(SPLITS) and "times as deep as long" in r.reason, r


def test_small_lesions_on_t2fs_and_dwi_within_3_mm_or_refused(sample_dicom: Path,
                                                               volumes: Callable[[str, str], Any]) -> None:
    """The protocol measures lesions from 5 mm; the goals start at 10. On the sample's lesions of
    5-10 mm, every click (1 + 10 per lesion-series) on the offered series as the window asks it
    (app.suggester.params_for): within 3 mm of the truth or refused. A reader's check found +3.9 mm
    on an 8 mm lesion on b800 (2.5 mm pixels, a wide blur), before lesions under 5 pixels on fewer
    than three slices were refused there (5.5 since three fresh realisations showed a 6.9 mm lesion
    at 12.6 mm); T2 FS keeps them (within 0.1 pixel)."""
    outcomes = [o for o in bs.small_lesions(volumes, sample_dicom) if o.case.role in ("mr_t2fs", "mr_dwi")]
    by_role = {role: [o for o in outcomes if o.case.role == role] for role in ("mr_t2fs", "mr_dwi")}
    assert all(len(v) >= 20 for v in by_role.values()), {r: len(v) for r, v in by_role.items()}
    bad = [(o.case.patient, o.case.lesion, o.case.role, round(o.error_mm, 1)) for o in outcomes
           if o.error_mm is not None and abs(o.error_mm) > 3.0]
    assert not bad, bad
    suggested = [o for o in by_role["mr_t2fs"] if o.diameter_mm is not None]
    assert len(suggested) >= 0.8 * len(by_role["mr_t2fs"])  # T2 FS still suggests them


def _centre_click(sample_dicom: Path, volumes: Callable[[str, str], Any], patient: str, lesion: str, role: str,
                  slices_from_largest: int) -> tuple[Any, int, tuple[float, float], dict[str, Any]]:
    """The volume, slice, point (the lesion's centre projected on that slice) and truth entry of a
    click ``slices_from_largest`` slices from the lesion's largest section."""
    t = bs.truth(patient, sample_dicom)
    exam = {s["role"]: e["exam_id"] for e in t["exams"] if e["timepoint"] == 1 for s in e["series"]}[role]
    les = next(x for x in t["lesions"] if x["id"] == lesion)
    entry = les["series"][role]
    vol = volumes(patient, role)
    k = entry["slice_index"] + slices_from_largest
    r, c = vol.geometry.pixel_on_slice(les["centre_mm"][exam], k)
    return vol, k, (float(r), float(c)), entry


@pytest.mark.parametrize(("lesion", "role", "away"), [("L01", "mr_t1_arterial", -3), ("L01", "mr_t1_arterial", 3),
                                                      ("L03", "ct_arterial", -2)])
def test_a_click_slices_from_the_largest_section_ends_on_it(sample_dicom: Path, volumes: Callable[[str, str], Any],
                                                            lesion: str, role: str, away: int) -> None:
    """LLSYN002 L01 (44 mm) on T1 arterial clicked three slices from its largest: a reader's check
    under Xvfb got 42.1 mm on the last of the two slices searched each way, still growing; the
    search goes on while the section grows. L03 (24 mm, a rim lesion) on CT arterial clicked two
    slices below its largest: on the next slice its core widens under the centre followed and the
    click's levels lost it there (17.1 mm on the slice clicked, -6.8); that slice's own levels,
    on the lesion's side of the click's liver level, follow it now."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Suggestion, suggest_diameter

    vol, k, at, entry = _centre_click(sample_dicom, volumes, "LLSYN002", lesion, role, away)
    s = suggest_diameter(vol, k, at, params_for(Role(role)))
    assert isinstance(s, Suggestion), s
    assert s.slice_index == entry["slice_index"] and abs(s.diameter_mm - entry["axial_diameter_on_slice_mm"]) <= 1.0, s


def test_the_aorta_and_the_vena_cava_are_refused(volumes: Callable[[str, str], Any]) -> None:
    """No liver mask: a reader's check clicked the aorta on T1 arterial (far brighter than the liver)
    and got a 22.5 mm lesion. What runs on through the slices as long as it is, over 1.5 times its
    length, is refused; on LLSYN002 the aorta (22 mm) and the IVC (24 mm) run through the stack."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, suggest_diameter
    from viewer.segment.suggest import TUBE

    vol = volumes("LLSYN002", "mr_t1_arterial")
    geo = vol.geometry
    for x, y, what, brighter in ((16.0, 40.0, "aorta", 2.0), (-22.0, 32.0, "IVC", 0.6)):
        for k in (6, 9, 18):
            r, c = geo.pixel_on_slice((x, y, geo.slice_projections_mm[k]), k)
            assert vol.array[k, round(r), round(c)] > brighter * np.median(vol.array[k]), (what, k)  # on it
            s = suggest_diameter(vol, k, (r, c), params_for(Role.MR_T1_ARTERIAL))
            assert isinstance(s, Refusal) and s.reason.startswith(TUBE), (what, k, s)


def test_a_structure_followed_far_from_the_click_while_it_grows_is_refused(volumes: Callable[[str, str], Any]) -> None:
    """A reader's check under Xvfb clicked the right kidney's upper pole, just under the liver, on T1
    arterial (LLSYN002, at -71.5 mm): followed while it grew, it was measured 54.1 mm nine slices (45
    mm) away. The section measured must lie within 0.6 of its length of the slice clicked (less one
    slice's spacing): a lesion clicked anywhere lies within half its length of its largest section."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import FAR_AWAY, ORGAN

    vol = volumes("LLSYN002", "mr_t1_arterial")
    geo = vol.geometry
    k = int(np.argmin(np.abs(np.asarray(geo.slice_projections_mm) + 71.5)))
    at = geo.pixel_on_slice((-70.9, 75.8, geo.slice_projections_mm[k]), k)
    s = suggest_diameter(vol, k, at, params_for(Role.MR_T1_ARTERIAL))
    assert isinstance(s, Refusal) and s.reason.startswith(FAR_AWAY), s
    assert "(54.1 mm, at -116.5 mm) lies 45 mm from the slice clicked" in s.reason, s.reason
    # the rule off: the kidney's largest section, 1.6 times as deep as long, refused as an organ (session 49)
    organ = suggest_diameter(vol, k, at, replace(params_for(Role.MR_T1_ARTERIAL), max_reach=0.0))
    assert isinstance(organ, Refusal) and organ.reason.startswith(ORGAN), organ
    off = suggest_diameter(vol, k, at, replace(params_for(Role.MR_T1_ARTERIAL), max_reach=0.0, organ_depth=0.0))
    assert isinstance(off, Suggestion) and off.slice_index == k - 9, off  # both rules off: nine slices away


def test_a_lost_slice_that_is_the_one_clicked_is_named_as_such(outcomes: list[bs.Outcome]) -> None:
    """A refusal for a slice where the lesion may be longest but its boundary is not found named the
    slice clicked "the neighbouring slice at -21.4 mm" (a reader's check read the position of the slice
    on the screen): it says "the slice clicked" there, and the reason without "on the slice clicked"
    twice."""
    lost = [o for o in outcomes if o.note.startswith("the lesion may be longest on ")]
    clicked = [o for o in lost if o.note.startswith("the lesion may be longest on the slice clicked (Pos ")]
    assert clicked, [o.note for o in lost]
    for o in clicked:
        assert "on the slice clicked, " not in o.note, o.note
    o = next(o for o in clicked if (o.case.patient, o.case.lesion, o.case.role) == ("LLSYN003", "L04", "ct_portal"))
    position = o.case.volume.geometry.slice_projections_mm[o.case.click_slice]
    # the slice's own reason was "no contrast at the click" on the CT noise until session 42; on the ramp-spectrum
    # noise since, "what is found on the slice clicked is not round the click"
    assert o.note.startswith(f"the lesion may be longest on the slice clicked (Pos {position:.1f} mm), where its boundary "
                             "is not found: what is found on the slice clicked is not round the click"), o.note


def test_the_lesion_against_a_vein_clicked_on_its_largest_slice_is_refused_as_two_structures_joined(
        volumes: Callable[[str, str], Any], sample_dicom: Path) -> None:
    """A helper clicked LLSYN001 L03 (10.6 mm, pressed against a small portal vein branch that runs
    obliquely through the slices) at its centre on T1 arterial's largest slice: the outline held the
    vein's section too, 14.8 mm on an ellipse with 11 % of its rays off (under the 12 % limit; a good
    measurement of the same lesion in a validation realisation leaves 11 % too), +4.6 mm, and T1 arterial
    was no longer offered. Those 11 % all cut into the ellipse, at the waist between lesion and vein (the
    good one's run out beyond it, along the vein): refused since v11. T1 arterial stayed off for a small
    lesion of a validation realisation (app.suggester.SMALL_LESIONS_OFF) until its small-lesion rules (8.5 pixels
    on fewer than three slices, 6 SDs: app.suggester.SMALL_LESION_PX, FEW_SLICES_SD); offered since."""
    from app.suggester import OFFERED_ROLES, SMALL_LESIONS_OFF, params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import SPLITS
    from dataclasses import replace

    truth = bs.truth("LLSYN001", sample_dicom)
    lesion = next(les for les in truth["lesions"] if les["id"] == "L03")
    entry = lesion["series"]["mr_t1_arterial"]
    vol = volumes("LLSYN001", "mr_t1_arterial")
    k = entry["slice_index"]
    at = vol.geometry.pixel_on_slice(lesion["centre_mm"]["mr"], k)
    params: SuggestParams = params_for(Role.MR_T1_ARTERIAL)
    before = suggest_diameter(vol, k, at, replace(params, max_inward_measured=0.0))
    assert isinstance(before, Suggestion) and before.diameter_mm - entry["axial_diameter_on_slice_mm"] > 3.0, before
    assert before.params["leaked_inward"] == before.params["leaked_rays"] > params.max_inward_measured, before.params
    s = suggest_diameter(vol, k, at, params)
    assert isinstance(s, Refusal) and s.reason.startswith(f"{SPLITS}: its edge cuts into the ellipse"), s
    assert "cuts into the ellipse found on 11% of the rays" in s.reason, s.reason
    assert Role.MR_T1_ARTERIAL in OFFERED_ROLES and Role.MR_T1_ARTERIAL not in SMALL_LESIONS_OFF
    assert (params.min_pixels_across, params.small_slices, params.few_slices_sd) == (8.5, 3, 6.0)


@pytest.mark.parametrize("role", ["mr_dwi", "mr_t2fs", "ct_arterial"])
def test_a_click_on_the_air_round_the_body_says_so(volumes: Callable[[str, str], Any], role: str) -> None:
    """A reader's check on b800: a click on the air beside the body was refused as "no contrast at the click
    (... against the liver's ...)". The segmentation says the point is outside the body, so `lesionlab suggest`
    and the bench say it too."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, suggest_diameter
    from viewer.segment.suggest import OUTSIDE_BODY

    vol = volumes("LLSYN002", role)
    k = vol.array.shape[0] // 2
    for at in ((3.0, 3.0), (3.0, vol.array.shape[2] - 4.0)):
        s = suggest_diameter(vol, k, at, params_for(Role(role)))
        assert isinstance(s, Refusal) and s.reason == OUTSIDE_BODY, (at, s)


def test_a_lesion_merged_with_a_vein_that_goes_on_past_its_end_is_refused_on_ct_arterial(
        old_noise: Callable[[str, str], Any], sample_dicom: Path) -> None:
    """LLSYN001 L03 on CT arterial (10.6 mm, pressed against a portal vein branch as bright as it, running
    through the slices): every click of the bench measured it with the vein's section, 14.1 mm on its largest
    slice (+3.4 mm, the seeded click the worst of CT arterial's pooled table), its edge off the ellipse on 8-21 %
    of the rays, where good lines reach 24 %. The slice measured is the lesion's last one way; on the slice
    beyond, round one end of the line, the vein goes on at the lesion's level and round the other end lies
    liver: refused since v15 (``past_end``, CT arterial only). LLSYN002 L05, beside a hepatic vein, has its
    vessel near one end of the line past the lesion's end too (half the disc): still measured. On the old CT noise
    (``old_noise``): on today's, L03's first click is refused with the rule off (its edge irregular: no ellipse fits
    within 10 % of its short axis; session 42). Off on CT arterial since v20 (session 43: on the new noise it refused
    good lines only, tests/viewer/test_segment_ct43a.py): set here at v19's 0.55, the rule as it stands in the method."""
    from dataclasses import replace

    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import SPLITS

    assert params_for(Role.CT_ARTERIAL).past_end == 0.0 and params_for(Role.MR_T1_ARTERIAL).past_end == 0.0
    params = replace(params_for(Role.CT_ARTERIAL), past_end=0.55)
    got = {}
    for patient, lesion_id in (("LLSYN001", "L03"), ("LLSYN002", "L05")):
        truth = bs.truth(patient, sample_dicom)
        lesion = next(les for les in truth["lesions"] if les["id"] == lesion_id)
        entry = lesion["series"]["ct_arterial"]
        vol = old_noise(patient, "ct_arterial")
        k = entry["slice_index"]
        clicks = bs.click_points(lesion, entry, next(e["exam_id"] for e in truth["exams"] if e["timepoint"] == 1),
                                 vol, k, np.random.default_rng(bs.SEED), 4)
        got[lesion_id] = [(suggest_diameter(vol, k, at, replace(params, past_end=0.0)), suggest_diameter(vol, k, at, params),
                           entry["axial_diameter_on_slice_mm"]) for at in clicks]
    for before, after, truth_mm in got["L03"]:
        assert isinstance(before, Suggestion) and before.diameter_mm - truth_mm > 3.0, before
        assert isinstance(after, Refusal) and after.reason.startswith(f"{SPLITS}: past the lesion's end"), after
    for before, after, truth_mm in got["L05"]:
        assert isinstance(after, Suggestion) and abs(after.diameter_mm - truth_mm) <= 1.0, after
        assert after.params["past_end_share"] < 0.55 and after.diameter_mm == before.diameter_mm, after.params


def test_one_series_clicks_are_the_benchs_own(sample_dicom: Path, volumes: Callable[[str, str], Any]) -> None:
    """`python -m bench.bench_suggest --series ROLE` measures one series on the bench's own click points (the
    other series' clicks drawn, not decoded): the same cases, in order, as the whole bench's seeded, ten and
    on-slice sets and :func:`bench.bench_suggest.validate`'s lesions of 5-10 mm, for that series."""
    role = "ct_arterial"
    reading = tuple(r for r in bs.ROLES if r != "mr_adc")
    small = (bs.SMALL_MIN_MM, bs.MIN_DIAMETER_MM)
    whole = [("seeded", c) for g in bs.cases(volumes, np.random.default_rng(bs.SEED), sample=sample_dicom) for c in g] \
        + [("ten", c) for g in bs.cases(volumes, np.random.default_rng(bs.SEED + 1), n_clicks=bs.REPEAT_CLICKS,
                                        sample=sample_dicom) for c in g] \
        + [("on_slice", c) for g in bs.cases(volumes, np.random.default_rng(bs.SEED + 2), n_clicks=bs.ON_SLICE_CLICKS,
                                             roles=reading, sample=sample_dicom, slice_of=bs.truth_slice) for c in g] \
        + [("small", c) for seed, n in ((bs.SEED, 1), (bs.SEED + 1, bs.REPEAT_CLICKS))
           for g in bs.cases(volumes, np.random.default_rng(seed), n_clicks=n, roles=reading, sample=sample_dicom,
                             sizes_mm=small) for c in g]
    expected = [(kind, c.patient, c.lesion, c.click_slice, c.click) for kind, c in whole if c.role == role]
    got = [(kind, c.patient, c.lesion, c.click_slice, c.click) for kind, c in bs.series_clicks(sample_dicom, role)]
    assert got == expected and len(got) > 200
    assert {kind for kind, *_ in got} == {"seeded", "ten", "on_slice", "small"}


def _fresh_b800(tmp_path_factory: pytest.TempPathFactory, seed: int, patient: str) -> Any:
    """The b800 stack of one patient of a fresh realisation of the generator (seed ``seed``; about 2 s of CPU)."""
    import subprocess
    import sys

    from viewer.index import index_path
    from viewer.loader import load_stack

    out = tmp_path_factory.mktemp(f"fresh{seed}")
    subprocess.run([sys.executable, str(bs.ROOT / "tools" / "make_sample_dicom.py"), "--out", str(out),
                    "--seed", str(seed), "--patient", patient, "--role", "mr_dwi"],
                   check=True, cwd=bs.ROOT, stdout=subprocess.DEVNULL)
    stack = next(s for s in index_path(next((out / patient).iterdir()), workers=1).stacks if s.b_value == 800)
    return load_stack(stack, workers=1)


def test_b800_lesion_on_one_slice_under_the_size_limit_is_measured_as_found(sample_dicom: Path,
                                                                             volumes: Callable[[str, str], Any]) -> None:
    """LLSYN001 L03 on b800 (10.6 mm on the truth's slice) clicked on its largest slice, the bench's five clicks there:
    found on that slice alone at 4.25 pixels, refused as too small for the series' blur until v17 (a lesion under 5.5
    pixels on one slice was refused whatever it measured). Measured on its ellipse as found since v18
    (``one_slice_from_px`` 4.1 on b800, v18, session 42; session 41's experiment): within 0.1 mm; the corrected line (step 10) was +1.5 mm."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import SMALL

    p = params_for(Role.MR_DWI)
    assert (p.min_pixels_across, p.one_slice_from_px) == (5.5, 3.6)
    vol, k, _, entry = _centre_click(sample_dicom, volumes, "LLSYN001", "L03", "mr_dwi", 0)
    clicks = [case.click for group in bs.cases(volumes, np.random.default_rng(bs.SEED + 2), n_clicks=bs.ON_SLICE_CLICKS,
                                               roles=("mr_dwi",), sample=sample_dicom, slice_of=bs.truth_slice)
              for case in group if case.lesion == "L03" and case.patient == "LLSYN001"]
    assert len(clicks) == 5
    for at in clicks:
        s = suggest_diameter(vol, k, at, p)
        assert isinstance(s, Suggestion) and abs(s.diameter_mm - entry["axial_diameter_on_slice_mm"]) <= 0.1, s
        assert s.params["uncorrected"] is True and list(s.params["diameters_by_slice_mm"]) == [str(k)], s.params
        assert 4.1 * 2.5 <= s.diameter_mm < 5.5 * 2.5
        before = suggest_diameter(vol, k, at, replace(p, one_slice_from_px=0.0))  # v17
        assert isinstance(before, Refusal) and SMALL in before.reason and "on 1 slice" in before.reason, before
        corrected = suggest_diameter(vol, k, at, replace(p, min_pixels_across=0.0))
        assert isinstance(corrected, Suggestion) and corrected.diameter_mm - entry["axial_diameter_on_slice_mm"] > 1.4

@pytest.mark.parametrize(("seed", "patient", "k", "clicks", "truth_mm", "low_mm"), [
    (266, "LLSYN001", 19, ((59.96, 83.94), (59.89, 84.91)), 6.88, 3.01),
    (266, "LLSYN002", 13, ((49.18, 80.29), (49.63, 80.23)), 5.8, 3.55)])
def test_b800_small_lesion_on_one_slice_lengthened_by_the_blur_is_refused(
        tmp_path_factory: pytest.TempPathFactory, seed: int, patient: str, k: int, clicks: tuple[tuple[float, float], ...],
        truth_mm: float, low_mm: float) -> None:
    """Fresh realisation 266, the bench's clicks on lesions of 5-10 mm: LLSYN001 L04 (6.9 mm, against the capsule) and
    LLSYN002 L11 (5.8 mm), each found on one slice at 3.96 and 3.74 pixels as found, +3.01 and +3.55 mm measured so. They
    set ``one_slice_from_px`` at 4.1 in v18. Since v20 (3.6 pixels, b800) a one-slice line under 4.1 pixels is measured
    only where its disc stands out by 5 SDs of the liver or more and holds 52 % of its peak's contrast or more
    (``one_slice_faint_sd``, ``one_slice_plateau``): L04 holds 48 % (a peak with tails: a lesion smaller than the blur),
    L11 stands out by 4.2-4.5 SDs. Without those two rules, each is a line more than 3 mm off."""
    from app.refusal_words import plain_refusal
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import FAINT_WHOLE

    volume = _fresh_b800(tmp_path_factory, seed, patient)
    p = params_for(Role.MR_DWI)
    assert (p.one_slice_from_px, p.one_slice_faint_below_px, p.one_slice_faint_sd, p.one_slice_plateau) == (3.6, 4.1, 5.0, 0.52)
    for at in clicks:
        s = suggest_diameter(volume, k, at, p)
        assert isinstance(s, Refusal) and s.reason.startswith(FAINT_WHOLE) and "peak" in s.reason, s
        assert s.params["stands_out_sd"] < 5.0 or s.params["plateau_share"] < 0.52, s.params
        # the reader is not told that L04, 7.4 SDs out, "barely stands out" (review43b)
        assert plain_refusal(s.reason).startswith("what was found is too small or too faint on this series"), s.reason
        without = suggest_diameter(volume, k, at, replace(p, one_slice_faint_below_px=0.0))
        assert isinstance(without, Suggestion) and without.params["uncorrected"] is True, without
        assert 3.6 * 2.5 <= without.diameter_mm < 4.1 * 2.5 and round(without.diameter_mm - truth_mm, 2) >= low_mm, without


def test_b800_ten_mm_lesion_on_one_slice_under_4_1_pixels_is_measured_as_found(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Held-out realisation 101 LLSYN002 L08 (10.0 mm on the truth's slice 23), the bench's seeded click and two more:
    found on slice 23 alone, 9.06 mm as found (3.62 pixels), refused by v18-v19 as too small for b800's blur (one-slice
    lines from 4.1 pixels only). Since v20 (``one_slice_from_px`` 3.6 with the plateau and SD rules under 4.1) measured
    as found, -0.94 mm: its disc stands out by 10.4 SDs and holds 77 % of its peak's contrast (a plateau)."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import SMALL

    volume = _fresh_b800(tmp_path_factory, 101, "LLSYN002")
    p = params_for(Role.MR_DWI)
    for at in ((47.31, 105.21), (47.79, 106.05), (48.22, 105.08)):
        s = suggest_diameter(volume, 23, at, p)
        assert isinstance(s, Suggestion) and s.slice_index == 23 and abs(s.diameter_mm - 10.0) < 1.0, s
        assert s.params["uncorrected"] is True and s.params["plateau_share"] >= 0.52 and s.params["stands_out_sd"] >= 5.0
        v19 = suggest_diameter(volume, 23, at, replace(p, one_slice_from_px=4.1, down_to_px=0.0))
        assert isinstance(v19, Refusal) and SMALL in v19.reason and "on 1 slice" in v19.reason, v19


def test_b800_one_slice_line_whose_neighbours_hold_the_lesion_as_long_is_refused(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Realisation 325 LLSYN003 L03 (15.0 x 10.5 mm, 14.9 on the truth's slice 12), the bench's clicks on slice 13 (the
    seeded one, levels from that tip, made again from slice 12) and on slice 12: at the click's levels it is found on
    slice 12 alone, 11.8 mm at 4.72 pixels, which ``one_slice_from_px`` (4.1) alone measures as found, -3.12 mm on all
    16 clicks (session 41's experiment, on realisations made after it). At their own levels, clicked at the line's
    middle, slices 11 and 13 hold outlines of 12.2 and 11.4 mm, 1.03 and 0.96 of the line: the lesion runs through three
    slices, not one. Refused since v18 (``one_slice_neighbours`` 0.9 on b800): the one-slice lines within 3 mm of the
    67 realisations it was set on reach 0.83 on both sides (324 LLSYN003 L04, -1.01 mm)."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import DEEPER

    volume = _fresh_b800(tmp_path_factory, 325, "LLSYN003")
    p = params_for(Role.MR_DWI)
    assert (p.one_slice_from_px, p.one_slice_neighbours) == (3.6, 0.9)
    for k, at in ((13, (52.32, 50.99)), (13, (52.77, 50.4)), (12, (53.33, 50.28)), (12, (52.42, 51.56))):
        s = suggest_diameter(volume, k, at, p)
        assert isinstance(s, Refusal) and s.reason.startswith(DEEPER), s
        assert min(s.params["one_slice_neighbour_shares"]) >= 0.9 and s.params["uncorrected"] is True, s.params
        before = suggest_diameter(volume, k, at, replace(p, one_slice_neighbours=0.0))
        assert isinstance(before, Suggestion) and before.slice_index == 12 and before.diameter_mm - 14.93 < -3.0, before
        assert list(before.params["diameters_by_slice_mm"]) == ["12"], before.params


@pytest.mark.parametrize(("seed", "patient", "lesion", "k", "clicks", "truth_mm", "before_mm", "expect"), [
    (228, "LLSYN002", "L07", 9, ((67.72, 31.69), (67.19, 32.27)), 11.79, 4.17, "band"),
    (232, "LLSYN002", "L07", 21, ((85.57, 57.74), (86.33, 58.46)), 11.71, 3.62, "line"),
    (247, "LLSYN002", "L09", 14, ((58.07, 65.21), (58.7, 64.11)), 7.73, 5.52, "as found"),
    (230, "LLSYN003", "L06", 24, ((64.7, 56.7), (64.5, 56.62)), 4.15, 7.65, "none of its own")])
def test_b800_measures_the_slice_chosen_at_its_own_levels_where_they_disagree(
        tmp_path_factory: pytest.TempPathFactory, seed: int, patient: str, lesion: str, k: int,
        clicks: tuple[tuple[float, float], ...], truth_mm: float, before_mm: float, expect: str) -> None:
    """Fresh realisations (sessions 39-40; the bench's own clicks): LLSYN002 L07 (12 mm, against the capsule) and L09
    (9 mm) clicked on the slice next to their largest, whose section holds less of the lesion through the 5 mm slab.
    The levels set there put the threshold below the fuller slice's own half-maximum, and the outline measured there
    was 1.18, 1.22 and 1.11 times its outline at its own levels: +4.17, +3.62 and +5.52 mm. Since v16 (b800's
    ``own_levels_gap``, 0.08) the suggestion is made again from the slice measured: 232 within 1 mm, 228 and 247
    refused as too small for b800's blur, as a click on their largest slice is (228, on two slices at 5.0 pixels as
    found, is measured since session 44, ``two_slice_upto_px``: 13.10 mm, +1.31, its disc holding 0.53 of its peak's
    contrast); since v18 (``one_slice_from_px`` 4.1)
    247, found on that one slice at 4.18 pixels, is measured there as found, +2.72 mm (the worst line of a lesion of
    5-10 mm measured so over 67 realisations: within 3 mm, not 5.52 off). 230's LLSYN003 L06 (6 mm, 4.15 mm on
    the truth's slice) was followed onto the two slices after it and measured 11.8 mm on one where it is not (+7.65):
    that slice, at its own levels, finds no lesion (no contrast at its centre): refused."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import FAINT_WHOLE, LEVELS_DISAGREE, SMALL

    volume = _fresh_b800(tmp_path_factory, seed, patient)
    p = params_for(Role.MR_DWI)
    assert p.own_levels_gap == 0.08
    # v22 and the versions before: without v23's faint check on lines on three slices or more under 8 pixels too
    # (few_slices_sd_below_px). v23 refuses 247's and 230's clicks before their own levels are read: what the click's
    # levels find, 13.3 and 11.8 mm on three slices, stands out by 1.9 and 1.6 SDs of the liver (247's +2.72 line as
    # found is lost; 230 was refused already); 228 and 232 are measured as in v22
    p0 = replace(p, few_slices_sd_below_px=0.0)
    for at in clicks:
        v23 = suggest_diameter(volume, k, at, p)
        s = suggest_diameter(volume, k, at, p0)
        if expect in ("as found", "none of its own"):
            assert isinstance(v23, Refusal) and v23.reason.startswith(FAINT_WHOLE) and v23.params["stands_out_sd"] < 2.0, v23
        else:
            assert isinstance(v23, Suggestion) and isinstance(s, Suggestion) and v23.diameter_mm == s.diameter_mm, v23
        if expect == "line":
            assert isinstance(s, Suggestion) and abs(s.diameter_mm - truth_mm) <= 1.0, s
            assert s.params["levels_own_from"] == k and s.params["own_levels_ratio"] > 1.08, s.params
        elif expect == "band":
            assert isinstance(s, Suggestion) and s.params["two_slice_band"] is True and abs(s.diameter_mm - truth_mm) < 1.5, s
            assert s.params["levels_own_from"] == k and s.params["own_levels_ratio"] > 1.08, s.params
            v21 = suggest_diameter(volume, k, at, replace(p0, two_slice_upto_px=0.0, two_slice_plateau=0.0))
            assert isinstance(v21, Refusal) and SMALL in v21.reason and v21.params["own_levels_ratio"] > 1.08, v21
        elif expect == "as found":
            assert isinstance(s, Suggestion) and s.params["uncorrected"] is True and s.params["levels_own_from"] == k, s
            assert len(s.params["diameters_by_slice_mm"]) == 1 and 2.5 < s.diameter_mm - truth_mm <= 3.0, s
            v17 = suggest_diameter(volume, k, at, replace(p0, one_slice_from_px=0.0))
            assert isinstance(v17, Refusal) and SMALL in v17.reason and v17.params["own_levels_ratio"] > 1.08, v17
        else:
            assert isinstance(s, Refusal) and s.reason.startswith(LEVELS_DISAGREE) and "none is found" in s.reason, s
        before = suggest_diameter(volume, k, at, replace(p0, own_levels_gap=0.0, moved_faint_sd=0.0))  # v15
        assert isinstance(before, Suggestion) and round(before.diameter_mm - truth_mm, 2) == before_mm, before


def test_b800_two_slice_lesion_of_two_pixels_is_not_measured_as_found(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fresh realisation 265 (session 39): LLSYN001 L04, 5.2 mm on the truth's slice (about 2 pixels), found on two
    slices at 3.50 pixels and measured as found, +3.54 mm (b800 measured lesions on two slices as found from any size).
    From 3.6 pixels only since session 40 (``uncorrected_from_px``, as T1 arterial's 4.0): refused as too small. Since
    session 47 lines of 3.0-3.6 pixels are measured as found when their disc stands out by 6 SDs (``down_to_px``,
    ``down_to_sd``): it stands out by 5.16, refused as faint as a whole."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import FAINT_WHOLE, SMALL

    volume = _fresh_b800(tmp_path_factory, 265, "LLSYN001")
    p = params_for(Role.MR_DWI)
    assert p.uncorrected_from_px == 3.6
    for at in ((57.12, 95.62), (56.95, 95.58)):
        s = suggest_diameter(volume, 24, at, p)
        assert isinstance(s, Refusal) and s.reason.startswith(FAINT_WHOLE) and s.params["down_to_band"], s
        assert s.params["stands_out_sd"] < p.down_to_sd, s.params
        v24 = suggest_diameter(volume, 24, at, replace(p, down_to_px=0.0))
        assert isinstance(v24, Refusal) and SMALL in v24.reason, v24
        before = suggest_diameter(volume, 24, at, replace(p, uncorrected_from_px=0.0, down_to_px=0.0))
        assert isinstance(before, Suggestion) and before.params["uncorrected"] is True, before
        assert before.diameter_mm < 3.6 * 2.5 and before.diameter_mm - 5.21 > 3.0, before


@pytest.fixture(scope="module")
def t1_portal_101(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Any]:
    """T1 portal of held-out realisation 101 (generator seed 101, bench/bench_suggest.HELD_OUT_SEEDS) for LLSYN001
    and LLSYN003 alone, written without ground truth (about 5 s of CPU): where the bench met its T1 portal lines
    more than 3 mm off."""
    import subprocess
    import sys

    from viewer.index import index_path
    from viewer.loader import load_stack

    out = tmp_path_factory.mktemp("heldout101")
    subprocess.run([sys.executable, str(bs.ROOT / "tools" / "make_sample_dicom.py"), "--out", str(out), "--seed", "101",
                    "--patient", "LLSYN001", "--patient", "LLSYN003", "--role", "mr_t1_portal"],
                   check=True, cwd=bs.ROOT, stdout=subprocess.DEVNULL)

    def load(patient: str) -> Any:
        (folder,) = [p for p in (out / patient).glob("*_MR/*") if p.is_dir()]
        return load_stack(index_path(folder, workers=1).stacks[0], workers=1)

    return load


def test_t1_portals_rim_lesion_measured_on_its_interior_is_refused(t1_portal_101: Callable[[str], Any]) -> None:
    """101 LLSYN003 L01 (rim, 26.0 mm on the truth's slice) on T1 portal: its rim stands 0.4 as far from the liver
    as its interior, under the interior edge's half-maximum, and the interior was measured, 22.1 mm on every one of
    its 16 bench clicks (-3.90 mm): T1 portal's worst line. The unsmoothed image 0.5-2.5 mm beyond the edge found
    still holds 0.40 of the lesion's contrast (the bench's other suggestions 0.24 at most): refused since session 40
    (app.suggester.RAW_SHELL)."""
    from app.suggester import RAW_SHELL, params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.slice2d import FAINTER_SHELL

    vol = t1_portal_101("LLSYN003")
    params = params_for(Role.MR_T1_PORTAL)
    at = (81.19532283367995, 103.27027487026312)  # the bench's seeded click, on slice 26 (the truth's is 27)
    before = suggest_diameter(vol, 26, at, replace(params, raw_shell=0.0))
    assert isinstance(before, Suggestion) and before.diameter_mm - 25.97 < -3.0, before
    s = suggest_diameter(vol, 26, at, params)
    assert isinstance(s, Refusal) and s.reason.startswith(f"{FAINTER_SHELL}: the unsmoothed image"), s
    assert s.params["raw_shell_share"] >= RAW_SHELL[Role.MR_T1_PORTAL] + 0.1, s.params


def test_t1_portals_necrotic_lesion_measured_with_a_vessel_is_refused(t1_portal_101: Callable[[str], Any]) -> None:
    """101 LLSYN001 L01 (necrotic, 34.0 mm) clicked on its largest slice (16) by its core: the levels set there let
    the outline run into a vessel as bright as its shell, 37.1 mm (+3.14, six of its bench clicks; clicked on slice
    15, 34.4). Found again at the threshold raised by a tenth of the contrast, the outline is 2.5 mm shorter (1.6
    pixels; the bench's other suggestions 0.8 at most): refused since session 40 (app.suggester.STEADY_PX)."""
    from app.suggester import STEADY_PX, params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import SPLITS

    vol = t1_portal_101("LLSYN001")
    params = params_for(Role.MR_T1_PORTAL)
    at = (99.45508177053526, 78.44094407551573)  # one of the bench's five clicks on the truth's slice
    before = suggest_diameter(vol, 16, at, replace(params, steady_px=0.0))
    assert isinstance(before, Suggestion) and before.diameter_mm - 33.99 > 3.0, before
    s = suggest_diameter(vol, 16, at, params)
    assert isinstance(s, Refusal) and s.reason.startswith(f"{SPLITS}: its outline shrinks"), s
    full, raised = s.params["steady_mm"]
    assert full - raised > (STEADY_PX[Role.MR_T1_PORTAL] + 0.3) * vol.geometry.row_spacing_mm, s.params
    good = suggest_diameter(vol, 15, (97.0, 80.0), params)  # a click on the neighbour slice: measured right
    assert isinstance(good, Suggestion) and abs(good.diameter_mm - 33.99) < 1.0, good


def test_ct_portals_rim_lesion_measured_on_its_interior_is_refused(volumes: Callable[[str, str], Any]) -> None:
    """The sample's LLSYN002 L02 (rim, 28.9 mm on the truth's slice) on CT portal: its rim holds 0.4 of the lesion's
    difference from the liver, its interior 1.25 (the generator's RIM_GAINS), so the interior's edge is the one found
    and the interior was measured, 22.5 mm on all of its 11 bench clicks (-6.43 mm). The unsmoothed image 0.5-2.5 mm
    beyond the edge found holds 0.228 of the lesion's contrast: refused since v17 (app.suggester.RAW_SHELL, 0.18 on CT
    portal, where homogeneous lesions' suggestions of the bench's four realisations reach 0.215: a few good lines go
    with it)."""
    from app.suggester import RAW_SHELL, params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.slice2d import FAINTER_SHELL

    vol = volumes("LLSYN002", "ct_portal")
    params = params_for(Role.CT_PORTAL)
    assert params.raw_shell == RAW_SHELL[Role.CT_PORTAL] == 0.10
    at = (185.89725553955162, 215.0937920730348)  # the bench's seeded click, on slice 17 (the truth's is 18)
    # (CT portal's raw_shell_beside, session 47, refuses it too: off for the counterfactual)
    before = suggest_diameter(vol, 17, at, replace(params, raw_shell=0.0, raw_shell_beside=0.0))
    assert isinstance(before, Suggestion) and before.diameter_mm - 28.91 < -5.0, before
    s = suggest_diameter(vol, 17, at, params)
    assert isinstance(s, Refusal) and s.reason.startswith(f"{FAINTER_SHELL}: the unsmoothed image"), s
    assert s.params["raw_shell_share"] >= 0.22 and s.params["method"] == METHOD_NAME, s.params


def test_ct_portals_necrotic_lesion_measured_from_its_core_is_refused(old_noise: Callable[[str, str], Any]) -> None:
    """The sample's LLSYN002 L01 (necrotic, 44.0 mm) clicked on its largest slice (21) near its core: the levels set
    there (lesion 70 HU, the shell's 84) outlined the core and part of the shell, measured 39.1 mm on slice 22
    (-4.87). Its shell stands 0.263 of that contrast beyond the edge found: refused since v17; a click on the slice
    next to it (the bench's seeded one) sets the shell's levels and is measured within 0.2 mm, as before. On the old
    CT noise (``old_noise``): on today's the same click measures 43.90 mm on slice 21 with the rules off (session 42)."""
    volumes = old_noise
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter

    vol = volumes("LLSYN002", "ct_portal")
    params = params_for(Role.CT_PORTAL)
    at = (271.16360392711664, 148.22292621612647)  # one of the bench's five clicks on the truth's slice
    before = suggest_diameter(vol, 21, at, replace(params, raw_shell=0.0, max_leak_measured=0.0, own_levels_gap=0.0,
                                                   raw_shell_beside=0.0))  # v16's (raw_shell_beside: session 47)
    assert isinstance(before, Suggestion) and before.diameter_mm - 43.99 < -4.0, before
    s = suggest_diameter(vol, 21, at, params)
    assert isinstance(s, Refusal) and s.params["raw_shell_share"] >= 0.25, s  # its edge leaves the ellipse on 31 % too
    # the bench's seeded click, measured (the rim rule lets it through); on this old noise CT portal's own-levels rule
    # (session 44) refuses it: its outline at the levels of the slice clicked is 0.91 of its own (on today's noise measured)
    good = suggest_diameter(vol, 20, (275.78469410160216, 162.5610041425103), replace(params, own_levels_gap=0.0))
    assert isinstance(good, Suggestion) and abs(good.diameter_mm - 43.99) < 0.2, good
    assert good.params["raw_shell_share"] < params.raw_shell, good.params


@pytest.fixture(scope="module")
def ct_portal_206(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """CT portal of validation realisation 206 (generator seed 206, bench/bench_suggest.VALIDATION_SEEDS) for LLSYN001
    alone, its first exam (the bench's), written without the other series (about 10 s of CPU), with the CT noise
    until session 42 (tests/viewer/old_ct_noise.py): on today's noise the click below measures 33.35 mm on slice 11
    (-0.65) with the rule off."""
    from tests.viewer.old_ct_noise import write_old_noise
    from viewer.index import index_path
    from viewer.loader import load_stack

    out = write_old_noise(tmp_path_factory.mktemp("heldout206"), 206, "LLSYN001", ["ct_portal"])
    (folder,) = sorted(p for p in (out / "LLSYN001").glob("*_CT/*") if p.is_dir())[:1]
    return load_stack(index_path(folder, workers=1).stacks[0], workers=1)


def test_ct_portals_necrotic_lesion_followed_into_the_mottled_liver_is_refused(ct_portal_206: Any) -> None:
    """206 LLSYN001 L01 (necrotic, 34.0 mm on slice 11) clicked on slice 10 at its core's edge: the core's levels
    followed the lesion onto slice 9, where its tip runs into the mottled liver (CT portal's noise, 13-15 HU
    correlated over 1.6 mm), and an ellipse 47.0 mm long was measured there (+12.98 mm, five of its bench clicks), its
    edge off it on 29 % of the rays. CT portal's suggestions of the bench's four realisations within 3 mm leave it on
    at most 19 %; off on more than 20 % they are refused since v17 (app.suggester.MEASURED_LEAK)."""
    from app.suggester import MEASURED_LEAK, params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import BEYOND_ELLIPSE

    params = params_for(Role.CT_PORTAL)
    assert params.max_leak_measured == MEASURED_LEAK[Role.CT_PORTAL] == 0.2
    at = (288.80877301297306, 133.4322243565833)  # one of the bench's ten clicks
    before = suggest_diameter(ct_portal_206, 10, at, replace(params, max_leak_measured=0.0))
    assert isinstance(before, Suggestion) and before.slice_index == 9 and before.diameter_mm - 34.0 > 10.0, before
    s = suggest_diameter(ct_portal_206, 10, at, params)
    assert isinstance(s, Refusal) and s.reason.startswith(f"{BEYOND_ELLIPSE}: its edge leaves the ellipse on 29%"), s
