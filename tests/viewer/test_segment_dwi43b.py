"""b800's v21 rule (session 43, ``joined_again``), on fresh realisation 406's LLSYN002 as a click on the truth's slice
reaches it.

LLSYN002 L05 (homogeneous, against a hepatic vein, 15.85 mm on slice 20, the truth's; 9.09 on slice 19, 13.38 on 21)
clicked on slice 20 at (62.98, 53.04): the levels read there settled at a threshold of 131 (the liver 121, the lesion
302 at the click), and the outline ran into the liver round the lesion, 29.0 mm. Followed from that outline's centre
the lesion was lost on slice 21 and found on slice 19 (10.5 mm at that slice's own levels); step 9 gave slice 20 way
"joined" to 19, and v20 drew 10.52 mm there (-5.33). v21 makes the suggestion again as a click at the centre
measured on slice 20: 17.73 mm on slice 20 (+1.88, as the lesion's other clicks on slice 20 read).

The test writes that patient's b800 series of seed 406 with the generator, about 10 s."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench import bench_suggest as bs
from tests.viewer.old_ct_noise import write_series
from viewer.segment import METHOD_NAME

pytestmark = pytest.mark.slow

#: The click on the truth's slice of 406's LLSYN002 L05 that v20 drew -5.33 mm off (slice, (row, col)).
L05_CLICK = (20, (62.981813554540544, 53.03587660090925))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_series(tmp_path_factory.mktemp("dwi43b"), 406, "LLSYN002", ["mr_dwi"])


def test_only_b800_makes_a_joined_give_way_again() -> None:
    from app.suggester import params_for
    from viewer.records import Role

    assert params_for(Role.MR_DWI).joined_again == 1.3  # 2.0 until session 45 (test_segment_dwi45.py)
    for role in Role:
        if role not in (Role.MR_DWI, Role.MR_T1_PORTAL):  # T1 portal 1.4 since session 44 (test_segment_t1p_s44.py)
            assert params_for(role).joined_again == 0.0, role


def test_a_section_run_into_the_liver_does_not_give_way_to_the_tip(folder: Path) -> None:
    """v20: -5.33 mm on the tip's slice 19, given way "joined" from 29.0 mm; v21: the truth's slice, within 3 mm."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Suggestion, suggest_diameter

    params = params_for(Role.MR_DWI)
    vol = bs.load("LLSYN002", "mr_dwi", folder)
    lesion = next(les for les in bs.truth("LLSYN002", folder)["lesions"] if les["id"] == "L05")
    truth = float(lesion["series"]["mr_dwi"]["axial_diameter_on_slice_mm"])
    before = suggest_diameter(vol, L05_CLICK[0], L05_CLICK[1], replace(params, joined_again=0.0))
    assert isinstance(before, Suggestion) and before.slice_index == 19 and before.params["gave_way"] == "joined", before
    assert before.diameter_mm - truth < -5.0 and before.params["joined_size_share"] > 2.7
    after = suggest_diameter(vol, L05_CLICK[0], L05_CLICK[1], params)
    assert isinstance(after, Suggestion), after
    assert after.slice_index == 20 and abs(after.diameter_mm - truth) < 3.0, after
    assert after.params["joined_again_from"] == 20 and after.params["method"] == METHOD_NAME
    assert after.params["joined_again"] == 1.3 and after.params["clicked_slice"] == 20


def test_a_line_made_again_names_the_slices_its_levels_came_from(folder: Path) -> None:
    """Session 44 (review43b): the record of a line made again from the section given up names the slice clicked (20),
    the slice the first levels came from, whose line gave way (``levels_joined_from``, 20: not recorded until then), the
    section given up it was clicked again on (``joined_again_from``, 20) and the share given up, and, as every line, the
    slice its own levels came from (``levels_from_slice``): clicked again on slice 20, the run made again finds no lesion of
    its own there from that centre (the levels there run into the liver), starts on slice 19 under the same point, and sets
    its levels again from slice 20 as from a tip's (``levels_from_tip`` 19), where they fall back to slice 19's once more."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Suggestion, suggest_diameter

    after = suggest_diameter(bs.load("LLSYN002", "mr_dwi", folder), L05_CLICK[0], L05_CLICK[1], params_for(Role.MR_DWI))
    assert isinstance(after, Suggestion), after
    keys = ("clicked_slice", "levels_joined_from", "joined_again_from", "levels_from_tip", "levels_from_slice")
    made = {k: after.params.get(k) for k in keys}
    assert made == {"clicked_slice": 20, "levels_joined_from": 20, "joined_again_from": 20, "levels_from_tip": 19,
                    "levels_from_slice": 19}, made
    assert after.params["joined_size_share"] > 2.7 and after.params["gave_way"] != "joined"
