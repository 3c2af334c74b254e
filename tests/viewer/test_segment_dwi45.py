"""b800's ``joined_again`` 2.0 -> 1.3 (session 45), on realisation 425's LLSYN002 L06 as the bench clicks it.

LLSYN002 L06 (homogeneous, in the parenchyma; 14.0 mm on slice 17, the truth's; 9.13 on 16, 9.6 on 18) clicked on
slice 18, the bench's slice next to the largest: at the levels read there slice 17 reads 15.53 mm, its edge off its
ellipse, and step 9 gave it way "joined" to slice 18's 10.93 mm (``joined_size_share`` 1.421, under b800's 2.0 until
then): -3.07 mm on all 11 clicks. The section given up is as full as the one measured (``joined_fullness_share`` 0.999):
it is the lesion's largest, not its end merged with a vessel. Made again from slice 17 at its own levels it reads 13.66
mm (-0.34), the line every click on slice 17 gets.

The test writes that patient's b800 series of seed 425 with the generator, about 10 s."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench import bench_suggest as bs
from tests.viewer.old_ct_noise import write_series
from viewer.segment import METHOD_NAME

pytestmark = pytest.mark.slow

#: Two of the bench's eleven clicks on slice 18 (the seeded one and one of the ten), (row, col).
CLICKS_18 = ((43.91207213238563, 82.03713259017488), (45.07908346865871, 82.06024898579196))
#: One of the bench's five clicks on the truth's slice 17.
CLICK_17 = (44.21498791515371, 82.05777989120476)
TRUTH_MM = 14.0


@pytest.fixture(scope="module")
def volume(tmp_path_factory: pytest.TempPathFactory) -> object:
    folder = write_series(tmp_path_factory.mktemp("dwi45"), 425, "LLSYN002", ["mr_dwi"])
    lesion = next(les for les in bs.truth("LLSYN002", folder)["lesions"] if les["id"] == "L06")
    assert lesion["series"]["mr_dwi"]["axial_diameter_on_slice_mm"] == TRUTH_MM
    return bs.load("LLSYN002", "mr_dwi", folder)


def test_b800_makes_again_a_give_way_from_1_3_times() -> None:
    from app.suggester import JOINED_AGAIN, params_for
    from viewer.records import Role

    assert params_for(Role.MR_DWI).joined_again == JOINED_AGAIN[Role.MR_DWI] == 1.3
    assert params_for(Role.MR_T1_PORTAL).joined_again == 1.3  # session 44's 1.4, b800's since session 46 (test_segment_portal46.py)
    assert all(params_for(role).joined_again == 0.0 for role in Role if role not in (Role.MR_DWI, Role.MR_T1_PORTAL))


def test_a_largest_section_given_up_at_1_42_times_is_measured(volume: object) -> None:
    """v22 (2.0): 10.93 mm on slice 18, given way "joined" from 15.53 mm on 17, -3.07; since session 45 (1.3) made again
    from slice 17: 13.66 mm there (-0.34), as a click on slice 17 reads."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Suggestion, suggest_diameter

    p = params_for(Role.MR_DWI)
    on_17 = suggest_diameter(volume, 17, CLICK_17, p)
    assert isinstance(on_17, Suggestion) and on_17.slice_index == 17 and abs(on_17.diameter_mm - TRUTH_MM) < 1.0, on_17
    for at in CLICKS_18:
        before = suggest_diameter(volume, 18, at, replace(p, joined_again=2.0))
        assert isinstance(before, Suggestion) and before.slice_index == 18, before
        assert before.params["gave_way"] == "joined" and 1.4 < before.params["joined_size_share"] < 1.45, before.params
        assert before.diameter_mm - TRUTH_MM < -3.0, before
        after = suggest_diameter(volume, 18, at, p)
        assert isinstance(after, Suggestion), after
        assert after.slice_index == 17 and after.diameter_mm == pytest.approx(on_17.diameter_mm, abs=0.01), after
        assert abs(after.diameter_mm - TRUTH_MM) < 3.0 and after.params["method"] == METHOD_NAME
        made = {k: after.params.get(k) for k in ("clicked_slice", "joined_again_from", "levels_joined_from", "joined_again")}
        assert made == {"clicked_slice": 18, "joined_again_from": 17, "levels_joined_from": 18, "joined_again": 1.3}, made
