"""SuggestParams refuses a non-finite number in any field (review39b of dwi39's ``uncorrected_px``).

The record's checks compare (``x < 0``, ``not x >= 0``): dwi39's new fields refused NaN, but ``min_pixels_across``
(the size limit ``uncorrected_px`` works under) and ``few_slices_sd`` took NaN, which turned their rule off without a
word (``d < nan`` is false: b800's lesions on two slices under 5.5 pixels, refused as too small for its blur, were
measured), and every field took infinity (``uncorrected_px`` inf: any such lesion measured as found; an SR's import
then leaves the parameter out of method_params, so the record no longer says how the line was made)."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from app.suggester import params_for
from viewer.records import Role
from viewer.segment import SuggestParams


def test_every_number_of_the_record_is_finite() -> None:
    base = params_for(Role.MR_DWI)
    numbers = [f.name for f in fields(SuggestParams) if isinstance(getattr(base, f.name), float)]
    assert {"min_pixels_across", "few_slices_sd", "uncorrected_px", "uncorrected_from_px"} <= set(numbers)
    for name in numbers:
        for bad in (float("nan"), float("inf"), float("-inf")):
            with pytest.raises(ValueError, match=f"{name} must be"):
                replace(base, **{name: bad})
    with pytest.raises(ValueError, match="ring_mm must be a finite number"):
        replace(base, ring_mm=(1.0, float("inf")))
    for role in (None, *Role):  # what the window and `lesionlab suggest` use: all finite
        params_for(role)
    assert replace(base, uncorrected_px=0.0, uncorrected_from_px=0.0).uncorrected_px == 0.0  # 0: off, as documented
