"""Session 48, T2 FS only, each on a realisation written again by the generator for the test (the bench's own clicks).

``tail_excess`` 2 (app.suggester.TAIL_EXCESS): a small lesion stacked on a larger one's pole is followed onto the
larger one as its tip.

- 538 LLSYN002 L10 (8.0 mm, 4.22 on slice 11, its centre 6.4 mm above the pole of L04, 21 mm, 3 mm beside it in-plane):
  found 6.6 mm on the slice clicked, followed through 12.6 mm (L04's tip) to L04's 20.7 mm two slices away, and measured
  there: 20.92 mm, +16.70 on all 11 clicks. Beyond L04's largest slice the lesion followed ends one slice on; on the
  click's side it runs three slices: a lesion's sections fall off alike on both sides of its largest.
- Kept: L04 itself (the seeded click one slice from its largest, 20.88 mm against 20.52).

``even_pair_below_mm`` with ``even_pair_size`` and ``even_pair_full`` (app.suggester.EVEN_PAIR; session 48 left it off,
at 10 mm, 0.85 and 0.9 here; session 49 set it on T2 FS with ``even_pair_sum_liver``, test_segment_t2fs_s49): a small
lesion found alike on two slices only, its centre between them, is measured as the lesion but far longer than its
section on the slice nearest its centre (the protocol's).

- 537 LLSYN002 L10 (8.0 mm, 2.99 on slice 10): 7.35 and 6.84 mm, 83.4 and 83.7 from the liver: 8.23, +5.24 (11 clicks).
- 536 LLSYN001 L04 (7.5 mm, 4.07 on slice 13): 7.29 and 6.43 mm, 67.2 and 62.5: 8.17, +4.10 (11 clicks).
- Kept: 213 LLSYN002 L07 (9.2 mm; 9.04 and 8.54 mm, 117.0 and 85.1, 0.727 as bright): 9.69, +0.49.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

import pytest

from tests.viewer.test_segment_t1_s41 import _t1

pytestmark = pytest.mark.slow  # a T2 FS series written and decoded (a few seconds)


@pytest.fixture(scope="module")
def t2fs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int, str], Any]:
    """``(seed, patient) -> that patient's T2 FS volume``, each written once per module."""
    made: dict[tuple[int, str], Any] = {}

    def get(seed: int, patient: str) -> Any:
        if (seed, patient) not in made:
            made[(seed, patient)] = _t1(tmp_path_factory.mktemp(f"t2fs48_{seed}{patient}"), seed, patient, "mr_t2fs")
        return made[(seed, patient)]
    return get


@pytest.fixture(scope="module")
def t2fs_538(t2fs: Callable[[int, str], Any]) -> Any:
    """538 LLSYN002's T2 FS volume."""
    return t2fs(538, "LLSYN002")


def test_the_rule_is_t2fs_only() -> None:
    from app.suggester import EVEN_PAIR, TAIL_EXCESS, params_for
    from viewer.records import Role

    assert params_for(Role.MR_T2FS).tail_excess == TAIL_EXCESS[Role.MR_T2FS] == 2
    assert all(params_for(role).tail_excess == 0 for role in Role if role is not Role.MR_T2FS)
    assert set(EVEN_PAIR) == {Role.MR_T2FS}  # session 49 (test_segment_t2fs_s49)
    assert all(params_for(role).even_pair_below_mm == 0.0 for role in Role if role is not Role.MR_T2FS)


def test_tail_excess_below_zero_is_refused() -> None:
    from viewer.segment.records import SuggestParams

    with pytest.raises(ValueError, match="tail_excess"):
        SuggestParams(tail_excess=-1)
    assert SuggestParams(tail_excess=2).to_dict()["tail_excess"] == 2
    with pytest.raises(ValueError, match="even_pair"):
        SuggestParams(even_pair_below_mm=10.0, even_pair_size=1.2)


@pytest.mark.parametrize("at", [(78.20148328980281, 114.93980161976326), (77.8906268356137, 114.24988114418939)])
def test_a_small_lesion_on_a_larger_ones_pole_is_refused(t2fs_538: Any, at: tuple[float, float]) -> None:
    """538 LLSYN002 L10 (the bench's first two clicks on it, slice 11): 20.92 mm on L04 two slices away without the
    rule (+16.70 against its 4.22 mm section), refused with it."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import STACKED

    p = params_for(Role.MR_T2FS)
    before = suggest_diameter(t2fs_538, 11, at, replace(p, tail_excess=0))
    assert isinstance(before, Suggestion) and before.slice_index == 9 and before.diameter_mm - 4.22 > 15.0, before
    assert before.params["tail_slices"] == 2, before.params
    s = suggest_diameter(t2fs_538, 11, at, p)
    assert isinstance(s, Refusal) and s.reason.startswith(STACKED), s
    assert s.params["tail_slices"] == 2


def test_the_larger_lesion_itself_stays(t2fs_538: Any) -> None:
    """L04 (20.52 mm on slice 9), the bench's seeded click on slice 8: one slice from its largest, the rule not asked."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Suggestion, suggest_diameter

    s = suggest_diameter(t2fs_538, 8, (75.07811010843808, 118.47735816297599), params_for(Role.MR_T2FS))
    assert isinstance(s, Suggestion) and s.slice_index == 9 and abs(s.diameter_mm - 20.52) < 1.0, s
    assert "tail_slices" not in s.params


@pytest.mark.parametrize(("seed", "patient", "slice_clicked", "at", "truth", "over"), [
    (537, "LLSYN002", 10, (101.85491129951205, 73.9331712737699), 2.99, 5.0),   # L10, +5.24
    (536, "LLSYN001", 13, (142.24132436395072, 178.49764602267345), 4.07, 4.0),  # L04, +4.10
])
def test_a_small_lesion_between_two_slices_is_refused(t2fs: Callable[[int, str], Any], seed: int, patient: str,
                                                      slice_clicked: int, at: tuple[float, float], truth: float,
                                                      over: float) -> None:
    """The bench's first click on each: more than 3 mm over the section on the slice nearest the centre with the rule
    off, refused with session 48's setting."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Refusal, Suggestion, suggest_diameter
    from viewer.segment.suggest import BETWEEN_SLICES

    vol = t2fs(seed, patient)
    p = params_for(Role.MR_T2FS)
    before = suggest_diameter(vol, slice_clicked, at, replace(p, even_pair_below_mm=0.0))
    assert isinstance(before, Suggestion) and before.diameter_mm - truth > over, before
    size, full, _ = before.params["even_pair"]
    assert size >= 0.85 and full >= 0.9, before.params
    s = suggest_diameter(vol, slice_clicked, at, replace(p, even_pair_below_mm=10.0, even_pair_size=0.85,
                                                         even_pair_full=0.9, even_pair_sum_liver=0.0))
    assert isinstance(s, Refusal) and s.reason.startswith(BETWEEN_SLICES), s


def test_a_lesion_on_two_slices_unlike_in_contrast_stays(t2fs: Callable[[int, str], Any]) -> None:
    """213 LLSYN002 L07 (9.2 mm on slice 18), the bench's seeded click: 9.04 and 8.54 mm, but the slice measured stands
    out more (0.727): its centre on that slice, 9.69 mm, +0.49."""
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import Suggestion, suggest_diameter

    p = replace(params_for(Role.MR_T2FS), even_pair_below_mm=10.0, even_pair_size=0.85, even_pair_full=0.9,
                even_pair_sum_liver=0.0)
    s = suggest_diameter(t2fs(213, "LLSYN002"), 18, (180.54678371835948, 131.59969131541285), p)
    assert isinstance(s, Suggestion) and s.slice_index == 18 and abs(s.diameter_mm - 9.2) < 1.0, s
    size, full, _ = s.params["even_pair"]
    assert size >= 0.85 and full < 0.9, s.params
