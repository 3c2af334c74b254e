"""Session 49, b800 only, on held-out realisations as the bench clicks them: the restart from the centre found taken down
to 0.75 of the outline found from the click (``restart_share``: :data:`app.suggester.RESTART_SHARE`), and a one-slice
line's neighbour more than twice as long not taken for the lesion going on (``one_slice_neighbours_upto``:
:data:`app.suggester.ONE_SLICE_NEIGHBOURS_UPTO`).

538 LLSYN002 L06 (14.0 mm, homogeneous, its centre between slices 28 and 29: 13.1 and 12.93 mm there) is clicked on slice
29. From the click's levels most clicks find 13.97 mm there; found again from its centre, at the centre's own levels, 12.57
mm: 0.8998 of it, under the 0.9 a restart asked for. Those clicks kept the click's levels and measured slice 29 (14.66 mm,
+1.56), the others took the centre's and measured slice 28 (12.88 mm, -0.22): the lesion's ten clicks spanned 1.78 mm.
With the restart taken from 0.75 every click ends on the centre's levels.

506 LLSYN002 L08 (9.9 mm, homogeneous) is found on slice 30 only at the click's levels, 8.67 mm; at their own levels the
slices beside it hold 0.92 and 6.80 of that: the second is the liver round the lesion (a 59 mm outline), not its next
section. v26 refused it as deeper than found on all 16 clicks; it is measured now, -1.28 mm.

The tests write LLSYN002's b800 series of seeds 538 and 506 with the generator, about 10 s each."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bench import bench_suggest as bs
from tests.viewer.old_ct_noise import write_series

#: Two of the bench's repeatability clicks on 538 LLSYN002 L06 (slice, (row, col)): the first took the centre's levels
#: before the rule, the second kept the click's.
CENTRE_CLICK = (29, (40.63585205643786, 81.65264148268956))
CLICK_LEVELS = (29, (40.39706128869583, 82.65423557143347))
TRUTH_MM = 13.1
#: The bench's seeded click on 506 LLSYN002 L08 and the truth on its slice.
L08_506 = (30, (41.28819915108427, 87.92504126279667), 9.95)


def test_only_b800_has_the_rule() -> None:
    from app.suggester import params_for
    from viewer.records import Role

    assert (params_for(Role.MR_DWI).restart_share, params_for(Role.MR_DWI).one_slice_neighbours_upto) == (0.75, 2.0)
    for role in Role:
        if role is not Role.MR_DWI:
            assert (params_for(role).restart_share, params_for(role).one_slice_neighbours_upto) == (0.0, 0.0), role


def test_the_share_is_a_share() -> None:
    from viewer.segment import SuggestParams

    with pytest.raises(ValueError, match="restart_share"):
        SuggestParams(restart_share=1.0)
    assert SuggestParams(restart_share=0.75).to_dict()["restart_share"] == 0.75
    with pytest.raises(ValueError, match="one_slice_neighbours_upto"):
        SuggestParams(one_slice_neighbours=0.9, one_slice_neighbours_upto=0.95)
    assert SuggestParams(one_slice_neighbours=0.9, one_slice_neighbours_upto=2.0).one_slice_neighbours_upto == 2.0


@pytest.fixture(scope="module")
def l06(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return bs.load("LLSYN002", "mr_dwi", write_series(tmp_path_factory.mktemp("dwi49_538"), 538, "LLSYN002", ["mr_dwi"]))


@pytest.mark.slow
def test_clicks_in_one_lesion_end_on_the_same_slice(l06: Any) -> None:
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Suggestion, suggest_diameter

    params = params_for(Role.MR_DWI)
    before = replace(params, restart_share=0.0)
    lines = {name: [suggest_diameter(l06, k, at, p) for k, at in (CENTRE_CLICK, CLICK_LEVELS)]
             for name, p in (("after", params), ("before", before))}
    assert all(isinstance(s, Suggestion) for got in lines.values() for s in got), lines
    (a1, a2), (b1, b2) = lines["after"], lines["before"]
    # v26: the two clicks measure two slices, 1.78 mm apart
    assert (b1.slice_index, b2.slice_index) == (28, 29) and b2.diameter_mm - b1.diameter_mm > 1.5
    # the rule: both on slice 28, the same line as the first click's before
    assert a1.slice_index == a2.slice_index == 28
    assert abs(a1.diameter_mm - a2.diameter_mm) < 0.01 and abs(a1.diameter_mm - b1.diameter_mm) < 0.01
    assert abs(a2.diameter_mm - TRUTH_MM) < 0.5


@pytest.mark.slow
def test_a_neighbour_twice_as_long_is_not_the_lesion_going_on(tmp_path_factory: pytest.TempPathFactory) -> None:
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import DEEPER

    vol = bs.load("LLSYN002", "mr_dwi", write_series(tmp_path_factory.mktemp("dwi49_506"), 506, "LLSYN002", ["mr_dwi"]))
    k, at, truth = L08_506
    params = params_for(Role.MR_DWI)
    after = suggest_diameter(vol, k, at, params)
    before = suggest_diameter(vol, k, at, replace(params, one_slice_neighbours_upto=0.0))
    assert isinstance(before, Refusal) and before.reason.startswith(DEEPER), before
    assert isinstance(after, Suggestion), after
    shares = after.params["one_slice_neighbour_shares"]
    assert min(shares) >= params.one_slice_neighbours and max(shares) > params.one_slice_neighbours_upto
    assert after.slice_index == 30 and abs(after.diameter_mm - truth) < 1.5
