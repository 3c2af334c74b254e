"""Session 49 (safe49), issue 13's safety rule: two lines over 5 mm on fresh realisations, each now refused, on a series of
its own (each case on a realisation written again by the generator for the test, the bench's own click).

- b800, fresh 563 LLSYN001 L04 (6.65 mm against the capsule, clicked on its middle slice, 9.1 mm there): the click's
  levels followed it onto the next slice, where the slab holds its 1.4 mm tip, and measured 14.26 mm there over the tip and
  something faint beside it, at 4.28 SDs (+7.61 on 8 clicks). Refused by ``moved_faint_sd`` (app.suggester.MOVED_FAINT):
  a line the few-slices rule reads, measured off the slice of its levels, standing out little.
- T2 FS, fresh 565 LLSYN001 L04 (7.5 mm, 5.5 mm deep, its centre 2.5 mm from the slice's plane, 3.01 mm there): the 6 mm
  slab holds about half its depth and shows its widest part, 8.64 mm, at 4.78 SDs of the liver over the line's disc
  (+5.63 on all 11 clicks). Refused by the faint-as-a-whole rule, now on T2 FS (app.suggester.FEW_SLICES_SD); 470 LLSYN003
  L06 (6 mm, 4.4 on its slice), the faintest good line on one or two slices of the seen sets, is kept.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

import pytest

from tests.viewer.old_ct_noise import write_series
from tests.viewer.test_segment_t2fs_s48 import t2fs  # noqa: F401 (the module's fixture: a T2 FS volume per patient)

#: The bench's click on 563 LLSYN001 L04's b800 (slice, (row, col), truth on the truth's slice).
L04_563 = (22, (53.650316042305576, 107.30009478672635), 6.65)
#: The bench's click on 565 LLSYN001 L04's T2 FS, and on 470 LLSYN003 L06's (kept).
L04_565 = (18, (73.23751267160812, 194.64383502415194), 3.01)
L06_470 = (17, (131.90760743492754, 146.88614791338077), 4.4)


def test_the_rules_are_set_on_their_series_only() -> None:
    from app.suggester import FEW_SLICES_SD, MOVED_FAINT, params_for
    from viewer.records import Role

    p = params_for(Role.MR_DWI)
    assert set(MOVED_FAINT) == {Role.MR_DWI} and p.moved_faint_sd == MOVED_FAINT[Role.MR_DWI] > p.few_slices_sd
    assert all(params_for(role).moved_faint_sd == 0.0 for role in Role if role is not Role.MR_DWI)
    assert params_for(Role.MR_T2FS).few_slices_sd == FEW_SLICES_SD[Role.MR_T2FS] > 0
    assert params_for(Role.MR_T2FS).few_slices_sd_below_px == 0.0  # one or two slices only
    assert params_for(Role.CT_PORTAL).few_slices_sd == params_for(Role.CT_ARTERIAL).few_slices_sd == 0.0


def test_moved_faint_needs_the_few_slices_rule() -> None:
    from viewer.segment import SuggestParams

    with pytest.raises(ValueError, match="moved_faint_sd acts within the few-slices rule"):
        SuggestParams(moved_faint_sd=5.0)
    with pytest.raises(ValueError, match="moved_faint_sd >= 0"):
        SuggestParams(few_slices_sd=4.0, moved_faint_sd=-1.0)
    assert SuggestParams(few_slices_sd=4.0, moved_faint_sd=5.0).to_dict()["moved_faint_sd"] == 5.0


@pytest.mark.slow
def test_b800_a_faint_line_off_the_slice_of_its_levels_is_refused(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    from app.suggester import params_for
    from bench import bench_suggest as bs
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import FAINT_TIP

    vol = bs.load("LLSYN001", "mr_dwi", write_series(tmp_path_factory.mktemp("safe49_563"), 563, "LLSYN001", ["mr_dwi"]))
    params = params_for(Role.MR_DWI)
    k, at, truth = L04_563
    now = suggest_diameter(vol, k, at, params)
    assert isinstance(now, Refusal) and now.reason.startswith(FAINT_TIP) and now.params["moved_faint"], now
    assert "beside the one its levels came from" in now.reason
    before = suggest_diameter(vol, k, at, replace(params, moved_faint_sd=0.0))
    assert isinstance(before, Suggestion) and before.diameter_mm - truth > 5.0, before
    assert before.slice_index == k + 1 and before.params["levels_from_slice"] == k
    assert params.few_slices_sd <= before.params["stands_out_sd"] < params.moved_faint_sd


@pytest.mark.parametrize(("seed", "patient", "click", "refused"), [
    (565, "LLSYN001", L04_565, True),    # L04, 8.64 mm at 4.78 SDs, +5.63
    (470, "LLSYN003", L06_470, False),   # L06, 6.51 mm at 6.54 SDs, +2.11 (kept)
])
@pytest.mark.slow
def test_t2fs_a_line_on_one_slice_standing_out_little_is_refused(
        t2fs: Callable[[int, str], Any], seed: int, patient: str,  # noqa: F811
        click: tuple[int, tuple[float, float], float], refused: bool) -> None:
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import FAINT_WHOLE

    vol = t2fs(seed, patient)
    params = params_for(Role.MR_T2FS)
    k, at, truth = click
    now = suggest_diameter(vol, k, at, params)
    before = suggest_diameter(vol, k, at, replace(params, few_slices_sd=0.0))
    assert isinstance(before, Suggestion), before
    assert len(before.params["diameters_by_slice_mm"]) == 1
    if refused:
        assert before.diameter_mm - truth > 5.0
        assert isinstance(now, Refusal) and now.reason.startswith(FAINT_WHOLE), now
        assert now.params["stands_out_sd"] < params.few_slices_sd
    else:
        assert isinstance(now, Suggestion) and abs(now.diameter_mm - truth) < 3.0, now
        assert now.params["stands_out_sd"] >= params.few_slices_sd
