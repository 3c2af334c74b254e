"""CT arterial's narrow refusals of oval lesions (session 49, ``narrow_region_ratio``).

The largest class of CT arterial's seeded refusals (41 of 136 over 62 realisations) was ``min_axis_ratio`` (0.67): homogeneous
lesions of 10-16 mm drawn 0.68-0.78 as wide as long, whose ellipse reads 0.58-0.67. Why: such a lesion is 6-10 mm deep, so on
a 5 mm slab its section is a dome (the share of the slab it fills falls from its middle outwards), and the edge read at each
ray's own half-maximum (levels just inside and just outside it, a fixed band in mm) lies higher up the dome across its short
axis, where the dome is steeper, than along its long axis: the ellipse comes out narrower than the lesion. A level set of
the dome keeps the lesion's shape: the region traced (the pixels past the click's threshold), by its second moments, reads
205 LLSYN002 L08 (drawn 0.73 as wide as long) 0.82 where its ellipse reads 0.58. A line under ``min_axis_ratio`` is measured
when that region is 0.7 as wide as long or more, its threshold stands 2.5 SDs of the liver or more from the liver's level
(under that the region is the noise's shape: 408 LLSYN002 L12, 5.5 mm, drawn 10.07 mm at 2.1 SDs, its region 0.74) and
the longer slice next to it is at most 1.25 times its length (406 LLSYN001 L03 measured on a tip 1.5 times shorter than
its neighbour, -3.40 mm). A lesion merged with something beside it stays narrow by its region too: 479 LLSYN002 L07
(+4.68 mm, region 0.64), 485 LLSYN002 L11 (a 3.9 mm section drawn 11.22 mm along the capsule, +7.32, region 0.52).

The tests write one patient's CT arterial series of the seed and click at the bench's points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.viewer.test_segment_ct49 import _suggested as suggested_ct

#: The bench's seeded click on realisation 205's LLSYN002 L08 (9.73 mm, drawn 0.73 as wide as long), slice 28.
OVAL_CLICK = (28, (192.3528109919548, 334.6128807683331))
#: The bench's seeded click on realisation 479's LLSYN002 L07 (10.77 mm at the capsule), slice 23.
MERGED_CLICK = (23, (157.54314202402776, 198.40857369128437))
#: The bench's first click on realisation 485's LLSYN002 L11 (3.9 mm on its slice, a lesion of 5-10 mm), slice 27.
SMALL_DRAWN_LONG_CLICK = (27, (170.94423007207226, 332.82241429013953))
#: A click of the bench's ten on 406's LLSYN001 L03 (10.9 mm on its slice, against a portal vein), slice 23.
SHORT_TIP_CLICK = (23, (205.0348159658258, 190.66998487659174))
#: The bench's fourth click on 408's LLSYN002 L12 (5.5 mm, faint), slice 21.
FAINT_SMALL_CLICK = (21, (230.45574111803455, 95.25162943843306))


def test_the_rule_is_gated_per_series() -> None:
    from app.suggester import params_for
    from viewer.records import Role
    from viewer.segment import SuggestParams

    from app.suggester import BUILT_NARROW_REGION

    p = params_for(Role.CT_ARTERIAL)
    # built and off since the lead's check of session 49 (the sample's CT arterial MAE 0.525 with it: app.suggester)
    assert (p.narrow_region_ratio, p.narrow_region_sd, p.narrow_region_share) == (0.0, 2.5, 1.25)
    assert BUILT_NARROW_REGION == {Role.CT_ARTERIAL: 0.7}
    assert all(params_for(role).narrow_region_ratio == 0.0 for role in Role)
    with pytest.raises(ValueError, match="narrow_region_ratio"):
        SuggestParams(narrow_region_ratio=1.5)
    with pytest.raises(ValueError, match="narrow_region_share"):
        SuggestParams(narrow_region_ratio=0.7, narrow_region_share=0.9)


def _suggested(tmp_path: Path, seed: int, patient: str, lesion: str, click: tuple[int, tuple[float, float]],
               **changes: float) -> tuple[Any, Any, float]:
    """The click with ``changes`` to CT arterial's parameters with the rule set (off in params_for), and with the rule
    set; the truth."""
    return suggested_ct(tmp_path, seed, patient, lesion, click, built={"narrow_region_ratio": 0.7}, **changes)


@pytest.mark.slow  # about 10 s: one series generated, then decoded
def test_an_oval_lesion_read_narrow_is_measured_by_its_region(tmp_path: Path) -> None:
    from viewer.segment import Refusal, Suggestion

    before, got, truth_mm = _suggested(tmp_path, 205, "LLSYN002", "L08", OVAL_CLICK, narrow_region_ratio=0.0)
    assert truth_mm == pytest.approx(9.73, abs=0.01)
    # the rule off: refused as narrow (0.58 against 0.67)
    assert isinstance(before, Refusal) and "narrower than a lesion's section" in before.reason, before
    assert before.params["axis_ratio"] == pytest.approx(0.582, abs=0.005), before.params
    assert isinstance(got, Suggestion) and abs(got.diameter_mm - truth_mm) < 0.5, got
    assert got.params["narrow_region_held"] is True and got.params["axis_ratio"] < 0.67, got.params
    assert got.params["region_ratio"] >= 0.8 and got.params["threshold_sd"] >= 2.5, got.params


@pytest.mark.slow  # about 10 s: one series generated, then decoded
def test_a_lesion_merged_with_what_lies_beside_it_stays_refused(tmp_path: Path) -> None:
    from viewer.segment import Refusal, Suggestion

    without, got, truth_mm = _suggested(tmp_path, 479, "LLSYN002", "L07", MERGED_CLICK, min_axis_ratio=0.0)
    assert truth_mm == pytest.approx(10.77, abs=0.01)
    # no narrow limit at all: +4.68 mm; its region is narrow too (0.64)
    assert isinstance(without, Suggestion) and without.diameter_mm - truth_mm > 4.0, without
    assert isinstance(got, Refusal) and "narrower than a lesion's section" in got.reason, got
    assert got.params["region_ratio"] < 0.7, got.params


@pytest.mark.slow  # about 10 s: one series generated, then decoded
def test_a_small_lesion_drawn_along_the_capsule_stays_refused(tmp_path: Path) -> None:
    from viewer.segment import Refusal, Suggestion

    without, got, truth_mm = _suggested(tmp_path, 485, "LLSYN002", "L11", SMALL_DRAWN_LONG_CLICK, min_axis_ratio=0.0)
    assert truth_mm == pytest.approx(3.9, abs=0.05)
    assert isinstance(without, Suggestion) and without.diameter_mm - truth_mm > 7.0, without
    assert isinstance(got, Refusal) and "narrower than a lesion's section" in got.reason, got
    assert got.params["region_ratio"] < 0.6 and got.params["threshold_sd"] < 1.0, got.params


@pytest.mark.slow  # about 10 s: one series generated, then decoded
def test_a_faint_small_lesion_s_region_is_the_noise_s_shape(tmp_path: Path) -> None:
    from viewer.segment import Refusal, Suggestion

    held, got, truth_mm = _suggested(tmp_path, 408, "LLSYN002", "L12", FAINT_SMALL_CLICK, narrow_region_sd=0.0)
    assert truth_mm == pytest.approx(5.34, abs=0.05)
    # without the threshold's limit: held by a round region 2.1 SDs from the liver, +4.73 mm
    assert isinstance(held, Suggestion) and held.params["narrow_region_held"] is True, held
    assert held.diameter_mm - truth_mm > 4.0 and held.params["threshold_sd"] < 2.5, held
    assert isinstance(got, Refusal) and "narrower than a lesion's section" in got.reason, got


@pytest.mark.slow  # about 10 s: one series generated, then decoded
def test_a_section_far_shorter_than_its_neighbour_stays_refused(tmp_path: Path) -> None:
    from viewer.segment import Refusal, Suggestion

    held, got, truth_mm = _suggested(tmp_path, 406, "LLSYN001", "L03", SHORT_TIP_CLICK, narrow_region_share=100.0)
    # without the neighbour's limit: a tip 1.5 times shorter than the slice next to it, -3.40 mm
    assert isinstance(held, Suggestion) and held.params["narrow_region_held"] is True, held
    assert held.diameter_mm - truth_mm < -3.0 and held.params["neighbour_share"] > 1.25, held
    assert isinstance(got, Refusal) and "narrower than a lesion's section" in got.reason, got
