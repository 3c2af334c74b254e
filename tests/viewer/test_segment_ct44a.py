"""CT arterial's ``neighbour_leak`` (session 44): a click refused because the lesion may be longest on a slice followed,
whose outline leaks on more than the method's 34 % of the rays, is made again with 55 % on the slices followed.

On CT arterial vessels are as bright as the lesions, and a neighbour's edge leaves its ellipse on 35-54 % of the rays
where one runs past: such clicks were refused ("where its boundary is not found: the boundary leaks on ..."), 153 of
them on lesions of 10 mm or more over the bench's four, the six validation and 23 held-out realisations. Made again,
the slice measured keeps its own limit (``max_leak_measured`` 0.25), so a leaking neighbour that is then the longest
section is refused as leaving its ellipse. The looser limit from the start (not only as a second try) refused 52 good
lines where a leaking neighbour became the longest section. The line clicked again at its own middle (``recheck_mm``)
is a suggestion too, and is made again the same way. Each test writes one patient's CT arterial series of a held-out
seed (about 5 s of CPU) and clicks at the bench's own points."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench import bench_suggest as bs
from tests.viewer.old_ct_noise import write_series

pytestmark = pytest.mark.slow  # about 10 s a test: one series generated, then decoded

#: The bench's seeded click on validation realisation 211's LLSYN001 L02 (16.35 mm on the truth's slice), slice 19.
LEAKING_NEIGHBOUR_CLICK = (19, (166.7639469158947, 299.9110713508909))
#: The bench's seeded click on realisation 101's LLSYN002 L01 (necrotic, 43.68 mm), slice 23.
NECROTIC_CLICK = (23, (215.31954319645672, 121.91525510492494))
#: One of the bench's ten clicks on realisation 103's LLSYN002 L04 (20.92 mm), slice 17.
LEAKING_LESION_CLICK = (17, (317.1110376619537, 143.5409135694769))


def _truth(folder: Path, patient: str, lesion_id: str) -> float:
    lesion = next(les for les in bs.truth(patient, folder)["lesions"] if les["id"] == lesion_id)
    return float(lesion["series"]["ct_arterial"]["axial_diameter_on_slice_mm"])


def _clicked(tmp_path: Path, seed: int, patient: str, lesion_id: str,
             click: tuple[int, tuple[float, float]]) -> tuple[Any, Any, float]:
    """The click on ``seed``'s ``patient`` with CT arterial's parameters and with v21's (``neighbour_leak`` 0), and the
    lesion's truth."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import suggest_diameter

    params = params_for(Role.CT_ARTERIAL)
    folder = write_series(tmp_path, seed, patient, ["ct_arterial"])
    vol = bs.load(patient, "ct_arterial", folder)
    k, at = click
    return (suggest_diameter(vol, k, at, params), suggest_diameter(vol, k, at, replace(params, neighbour_leak=0.0)),
            _truth(folder, patient, lesion_id))


def test_a_lesion_lost_on_a_leaking_neighbour_is_measured_on_ct_arterial(tmp_path: Path) -> None:
    """211 LLSYN001 L02: the click's levels lose the lesion on the slice after the one clicked, whose outline leaks on 47 %
    of the rays, and v21 refused ("the lesion may be longest on the neighbouring slice"); made again with 55 % there it is
    measured on the slice clicked, 17.67 mm for 16.35 (+1.32)."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion
    from viewer.segment.slice2d import LEAKS_ON

    params = params_for(Role.CT_ARTERIAL)
    assert params.neighbour_leak == 0.55
    assert all(params_for(role).neighbour_leak == 0.0 for role in Role if role is not Role.CT_ARTERIAL)
    got, v21, truth_mm = _clicked(tmp_path, 211, "LLSYN001", "L02", LEAKING_NEIGHBOUR_CLICK)
    assert isinstance(got, Suggestion) and abs(got.diameter_mm - truth_mm) <= 2.0, got
    assert got.params["neighbours_leaking"] == 0.55 and got.params["leaked_rays"] <= params.max_leak_measured
    assert isinstance(v21, Refusal), v21
    assert v21.reason.startswith("the lesion may be longest on the neighbouring slice") and LEAKS_ON in v21.reason, v21


def test_the_click_at_the_lines_middle_is_made_again_too(tmp_path: Path) -> None:
    """101 LLSYN002 L01 (necrotic, 43.68 mm): the line, 43.77 mm, was refused in v21 because the click at its own middle
    lost the lesion on a neighbour leaking on 35 % of the rays; that click made again finds 43.77 mm too, and the line
    stands (+0.09)."""
    from viewer.segment import Refusal, Suggestion
    from viewer.segment.slice2d import LEAKS_ON
    from viewer.segment.suggest import NOT_AGAIN

    got, v21, truth_mm = _clicked(tmp_path, 101, "LLSYN002", "L01", NECROTIC_CLICK)
    assert isinstance(got, Suggestion) and abs(got.diameter_mm - truth_mm) <= 0.5, got
    assert abs(got.params["recheck_mm"] - got.diameter_mm) <= 0.5, got.params
    assert isinstance(v21, Refusal) and v21.reason.startswith(NOT_AGAIN) and LEAKS_ON in v21.reason, v21


def test_a_leaking_neighbour_measured_is_refused_by_the_slice_measureds_own_limit(tmp_path: Path) -> None:
    """103 LLSYN002 L04 (20.92 mm): one of its clicks was drawn 25.9 mm (+4.98) when the click at the line's middle, lost
    on a leaking neighbour, was let pass (a trial of this session); made again, that middle measures the neighbour,
    which leaves its ellipse on 39 % of the rays (over ``max_leak_measured``'s 25 %), and the line stays refused."""
    from viewer.segment import Refusal
    from viewer.segment.suggest import BEYOND_ELLIPSE, NOT_AGAIN

    got, v21, _ = _clicked(tmp_path, 103, "LLSYN002", "L04", LEAKING_LESION_CLICK)
    assert isinstance(got, Refusal) and got.reason.startswith(NOT_AGAIN) and BEYOND_ELLIPSE in got.reason, got
    assert isinstance(v21, Refusal) and v21.reason.startswith(NOT_AGAIN), v21


def test_the_neighbours_leak_limit_is_no_stricter_than_the_methods() -> None:
    from viewer.segment import SuggestParams

    assert SuggestParams(neighbour_leak=0.55).neighbour_leak == 0.55
    for bad in (0.2, 1.0):
        with pytest.raises(ValueError, match="neighbour_leak"):
            SuggestParams(neighbour_leak=bad)
