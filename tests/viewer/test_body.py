"""Where the body is on a slice (viewer.body): background noise or air against the body's signal."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.body import CT_AIR_HU, body_mask, log_otsu, outside_body


def _mr_slice(rng: np.random.Generator) -> np.ndarray:
    """A 200 x 240 magnitude slice: Rician background (sigma 8), an elliptic body (tissue 60-200)
    with a ring of suppressed fat under a bright skin, a liver at 200 holding a dark lesion (40)."""
    r, c = np.mgrid[:200, :240]
    body = ((r - 100) / 80.0) ** 2 + ((c - 120) / 105.0) ** 2 <= 1.0
    inner = ((r - 100) / 72.0) ** 2 + ((c - 120) / 97.0) ** 2 <= 1.0
    clean = np.where(body, 90.0, 0.0)
    clean[body & ~inner] = 70.0  # skin and the muscle under it
    fat = (((r - 100) / 74.0) ** 2 + ((c - 120) / 99.0) ** 2 <= 1.0) & ~inner
    clean[fat] = 5.0  # fat-suppressed: as dark as the background
    liver = ((r - 90) / 40.0) ** 2 + ((c - 90) / 50.0) ** 2 <= 1.0
    clean[liver] = 200.0
    clean[(r - 90) ** 2 + (c - 80) ** 2 <= 36] = 40.0  # a hypo-intense lesion
    sigma = 8.0
    return np.hypot(clean + sigma * rng.standard_normal(clean.shape), sigma * rng.standard_normal(clean.shape))


def test_log_otsu_splits_two_populations_of_log_intensity() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(10.0, 3.0, 60_000).clip(0.5), rng.normal(200.0, 30.0, 40_000)])
    t = log_otsu(values)
    assert 20.0 < t < 120.0  # between the background's noise and the tissue
    assert log_otsu(np.full(10, 7.0)) == pytest.approx(7.0)
    assert log_otsu(np.array([])) == 0.0


def test_body_mask_holds_the_dark_inside_the_skin_and_nothing_of_the_background() -> None:
    img = _mr_slice(np.random.default_rng(1))
    mask = body_mask(img, "")
    assert mask[90, 80]  # the dark lesion in the liver is body
    assert mask[100, 120 + 98]  # so is the suppressed fat under the skin
    assert not mask[:8].any() and not mask[:, :10].any()  # the background is not
    assert outside_body(img, (3.0, 3.0), "") and outside_body(img, (197.0, 120.0), "")
    assert not outside_body(img, (90.0, 80.0), "") and not outside_body(img, (100.0, 120.0), "")
    assert not outside_body(img, (500.0, 3.0), "")  # outside the image: the caller's to say


def test_ct_air_is_outside_and_lung_inside_the_body() -> None:
    r, c = np.mgrid[:128, :128]
    img = np.full((128, 128), -1000.0)
    img[((r - 64) / 50.0) ** 2 + ((c - 64) / 60.0) ** 2 <= 1.0] = 40.0
    img[((r - 60) / 20.0) ** 2 + ((c - 50) / 15.0) ** 2 <= 1.0] = -850.0  # a lung inside the body
    assert CT_AIR_HU == -500.0
    assert outside_body(img, (2.0, 2.0), "HU") and outside_body(img, (125.0, 64.0), "HU")
    assert not outside_body(img, (60.0, 50.0), "HU") and not outside_body(img, (64.0, 100.0), "HU")


def test_a_slice_without_background_is_body_everywhere() -> None:
    """A review: a field filled by the body (a liver at 80 reaching the image's edge beside tissue at
    250, a hypo-intense lesion at 40 in it) was split by Otsu, liver and lesion "outside"; a constant
    slice was outside everywhere; one infinite pixel made the whole slice outside."""
    r, c = np.mgrid[:200, :200]
    img = np.full((200, 200), 250.0)
    img[:, :90] = 80.0
    img[(r - 100) ** 2 + (c - 40) ** 2 <= 100] = 40.0
    assert not outside_body(img, (100.0, 10.0), "") and not outside_body(img, (100.0, 40.0), "")
    assert not outside_body(np.full((50, 50), 100.0), (25.0, 25.0), "")
    slice_ = _mr_slice(np.random.default_rng(4))
    slice_[50, 60] = np.inf
    assert not outside_body(slice_, (90.0, 80.0), "") and outside_body(slice_, (3.0, 3.0), "")
