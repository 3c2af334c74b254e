"""CT arterial's ``irregular_beside`` (session 45): the slice measured's outline with no ellipse ("the lesion's edge is
irregular") is measured where a slice followed next to it holds 90 % of its length or more.

v22 refused every such outline on CT arterial (``refuse_irregular``, v6: where the edge was lost on one slice, lines
+2.6 mm long on average). 101 LLSYN002 L07 (11.06 mm) is outlined alike on two slices (11.03 and 11.00 mm) and measured
-0.03; clicked on its largest slice, it is found on that slice alone, 7.0 mm (-4.02), and stays refused (as 374
LLSYN002 L08 does beside a longer neighbour, 6.1 mm against 7.2: -3.60). The test writes one patient's CT arterial
series of a held-out seed and clicks at the bench's own points."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.viewer.old_ct_noise import written_lesion

#: The bench's seeded click on realisation 101's LLSYN002 L07 (11.06 mm), slice 14.
STEADY_CLICK = (14, (343.9893382949268, 204.93836266383792))
#: One of the five clicks on its largest slice (13), found there alone.
ONE_SLICE_CLICK = (13, (348.5427712057025, 205.31695463555178))


def test_the_irregular_beside_is_ct_arterials_alone() -> None:
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import SuggestParams

    assert params_for(Role.CT_ARTERIAL).irregular_beside == 0.9
    assert all(params_for(role).irregular_beside == 0.0 for role in Role if role is not Role.CT_ARTERIAL)
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="irregular_beside"):
            SuggestParams(irregular_beside=bad)


@pytest.mark.slow  # about 10 s: one series generated, then decoded
def test_an_irregular_outline_held_by_its_neighbour_is_measured(tmp_path: Path) -> None:
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import IRREGULAR

    vol, truth_mm = written_lesion(tmp_path, 101, "LLSYN002", "L07")
    params = params_for(Role.CT_ARTERIAL)
    k, at = STEADY_CLICK
    got = suggest_diameter(vol, k, at, params)
    assert isinstance(got, Suggestion) and abs(got.diameter_mm - truth_mm) <= 0.5, got
    assert got.params["boundary"] == "outline" and got.params["irregular_beside"] is True, got.params
    v22 = suggest_diameter(vol, k, at, replace(params, irregular_beside=0.0))
    assert isinstance(v22, Refusal) and v22.reason.startswith(IRREGULAR), v22
    k, at = ONE_SLICE_CLICK
    alone = suggest_diameter(vol, k, at, params)
    assert isinstance(alone, Refusal) and alone.reason.startswith(IRREGULAR), alone
