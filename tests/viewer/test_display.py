"""viewer.display: the VOI linear function (PS3.3 C.11.2.1.2.1), LUTs, presets, automatic window."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.errors import ValidationError
from viewer.display import (PRESET_WINDOWS, LutCache, Preset, WindowLevel, auto_window, build_lut, default_window,
                            preset_window, render, window_bounds, window_values)


class TestWindowValues:
    def test_black_below_white_above_grey_at_center(self) -> None:
        wl = WindowLevel(400, 40)
        lo, hi = window_bounds(wl)
        out = window_values(np.array([lo - 1, lo, 40, hi + 1, 3000]), wl)
        assert out[0] == 0 and out[1] == 0
        assert out[3] == 255 and out[4] == 255
        assert 126 <= out[2] <= 129

    def test_monotonic(self) -> None:
        out = window_values(np.arange(-200, 300), WindowLevel(150, 90))
        assert np.all(np.diff(out.astype(int)) >= 0)

    def test_invert(self) -> None:
        x = np.array([-1000, 40, 1000])
        wl = WindowLevel(400, 40)
        assert np.array_equal(window_values(x, wl, invert=True), 255 - window_values(x, wl))

    def test_width_one_is_a_threshold(self) -> None:
        # C.11.2.1.2.1: x <= c - 0.5 is black, x > c - 0.5 is white
        out = window_values(np.array([9.4, 9.5, 9.6, 10]), WindowLevel(1, 10))
        assert out.tolist() == [0, 0, 255, 255]

    def test_non_finite_window_rejected(self) -> None:
        with pytest.raises(ValidationError):
            WindowLevel(float("nan"), 0)


class TestLut:
    @pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.uint8, np.int8])
    def test_lut_matches_arithmetic(self, dtype: type) -> None:
        info = np.iinfo(dtype)
        img = np.linspace(info.min, info.max, 4096).astype(dtype).reshape(64, 64)
        wl = WindowLevel(350, 50)
        assert np.array_equal(build_lut(wl, dtype).apply(img), window_values(img, wl))

    def test_render_monochrome1_and_invert_cancel(self) -> None:
        img = np.arange(-100, 100, dtype=np.int16).reshape(10, 20)
        wl = WindowLevel(200, 0)
        plain = render(img, wl)
        assert np.array_equal(render(img, wl, monochrome1=True), 255 - plain)
        assert np.array_equal(render(img, wl, monochrome1=True, invert=True), plain)

    def test_float_volumes_use_arithmetic(self) -> None:
        img = np.linspace(-50, 50, 100, dtype=np.float32).reshape(10, 10)
        wl = WindowLevel(100, 0)
        assert np.array_equal(render(img, wl), window_values(img, wl))

    def test_cache_reuses_tables(self) -> None:
        cache = LutCache(size=2)
        wl = WindowLevel(400, 40)
        assert cache.get(wl, np.dtype(np.int16), False) is cache.get(wl, np.dtype(np.int16), False)
        cache.get(WindowLevel(10, 1), np.dtype(np.int16), False)
        cache.get(WindowLevel(11, 1), np.dtype(np.int16), False)
        assert len(cache._tables) == 2

    def test_lut_rejects_wide_ints(self) -> None:
        with pytest.raises(ValidationError):
            build_lut(WindowLevel(1, 1), np.int32)


class TestPresets:
    def test_ct_presets(self) -> None:
        assert PRESET_WINDOWS[Preset.CT_ABDOMEN] == WindowLevel(400, 40)
        assert PRESET_WINDOWS[Preset.CT_LIVER] == WindowLevel(150, 90)
        assert preset_window(Preset.CT_BONE) == WindowLevel(2000, 500)

    def test_ct_default_is_abdomen(self) -> None:
        assert default_window("HU", np.zeros((2, 2, 2), np.int16)) == WindowLevel(400, 40)

    def test_auto_window_ignores_background_and_uses_loaded_slices(self) -> None:
        rng = np.random.default_rng(1)
        vol = np.zeros((3, 64, 64), np.int16)
        vol[1, 16:48, 16:48] = rng.integers(400, 600, size=(32, 32))
        vol[2] = 30000  # not loaded yet: must not count
        wl = auto_window(vol, np.array([False, True, False]))
        lo, hi = wl.center - wl.width / 2, wl.center + wl.width / 2
        assert 395 <= lo <= 420 and 580 <= hi <= 605

    def test_auto_without_pixels_is_an_error(self) -> None:
        with pytest.raises(ValidationError):
            preset_window(Preset.AUTO)


def test_wide_integer_slices_window_through_a_range_table_like_the_arithmetic() -> None:
    """An int32 CT (GE signed 16-bit, intercept -1024) goes through a table over its value range:
    the same grey levels as the float arithmetic, for any window, inverted or not."""
    from viewer.display import (GREY_TO_RGB32, LutCache, WIDE_LUT_MAX_VALUES, apply_range_lut,
                                build_range_lut_rgb32, wide_lut_range, window_values)

    rng = np.random.default_rng(5)
    img = rng.integers(-3024, 3100, size=(64, 80)).astype(np.int32)
    img[0, 0], img[-1, -1] = -33792, 31743  # the whole rescaled range of a signed 16-bit stored value
    first, n = wide_lut_range(img)  # type: ignore[misc]
    assert first <= img.min() and img.max() < first + n <= first + WIDE_LUT_MAX_VALUES
    cache = LutCache()
    for wl, inv in ((WindowLevel(400, 40), False), (WindowLevel(150, 90), True), (WindowLevel(1, -1000), False)):
        want = GREY_TO_RGB32[window_values(img, wl, inv)]
        assert np.array_equal(apply_range_lut(build_range_lut_rgb32(wl, first, n, inv), img, first), want)
        assert np.array_equal(cache.render_rgb32(img, wl, invert=inv), want)
    assert wide_lut_range(img.astype(np.int16)) is None  # 16-bit: the 65536-entry table
    spread = np.array([[0, WIDE_LUT_MAX_VALUES * 4]], np.int32)
    assert wide_lut_range(spread) is None  # too wide: arithmetic
    assert np.array_equal(cache.render_rgb32(spread, WindowLevel(400, 40)),
                          GREY_TO_RGB32[window_values(spread, WindowLevel(400, 40))])


def test_mri_high_contrast_spans_the_body_not_the_background_noise_round_it() -> None:
    """A reader's check: on b800 and T1, with most of the stack background noise, the 5th-95th
    percentile of every value above the minimum put the window's top at the liver's level (W131/L72
    on b800, liver 127): the liver white, the bright metastases in it invisible."""
    rng = np.random.default_rng(3)
    n = 200_000
    noise = np.hypot(8.0 * rng.standard_normal(int(0.7 * n)), 8.0 * rng.standard_normal(int(0.7 * n)))
    tissue = rng.normal(60.0, 10.0, int(0.14 * n))  # muscle, suppressed fat's edge
    liver = rng.normal(127.0, 12.0, int(0.15 * n))
    lesion = rng.normal(280.0, 20.0, n - len(noise) - len(tissue) - len(liver))
    stack = np.concatenate([noise, tissue, liver, lesion]).astype(np.float32).reshape(10, 100, 200)
    old = auto_window(stack, None, (5.0, 95.0))  # what the preset was: the top at the liver's level
    liver_grey, lesion_grey = window_values(np.array([127.0, 280.0]), old)
    assert liver_grey >= 235 and lesion_grey == 255  # liver near white, the lesion no brighter
    wl = preset_window(Preset.MR_CONTRAST, stack)
    liver_grey, lesion_grey, noise_grey = window_values(np.array([127.0, 280.0, 10.0]), wl)
    assert 100 <= liver_grey <= 225 and lesion_grey >= liver_grey + 30 and noise_grey == 0
    # the automatic window is as it was
    assert auto_window(stack) == preset_window(Preset.AUTO, stack)


def test_mri_high_contrast_keeps_the_tissue_of_a_zero_filled_or_background_free_stack() -> None:
    """A review: with a background of exact zeros (a masked ADC map) the minimum's removal left only
    tissue, which Otsu then split (the restricted-diffusion lesion went black); with no background
    at all the dark tissue was dropped the same way."""
    rng = np.random.default_rng(5)
    r, c = np.mgrid[:80, :100]
    body = ((r - 40) / 35.0) ** 2 + ((c - 50) / 45.0) ** 2 <= 1.0
    tissue = np.where(c < 50, 800.0, 1300.0) + rng.normal(0.0, 60.0, (80, 100))  # lesion-like 800, liver 1300
    masked = np.where(body, tissue, 0.0)[None].repeat(4, axis=0).astype(np.float32)
    filled = tissue[None].repeat(4, axis=0).astype(np.float32)
    for stack in (masked, filled):
        wl = preset_window(Preset.MR_CONTRAST, stack)
        dark, bright = window_values(np.array([800.0, 1300.0]), wl)
        assert 0 < dark < bright < 255, (wl, dark, bright)


@pytest.mark.parametrize("role", ["mr_t1_portal", "mr_dwi"])
def test_mri_high_contrast_keeps_the_liver_off_white_where_it_is_among_the_brightest(sample_dicom, role: str) -> None:
    """A reader's check: key 5 on T1 portal put the enhanced liver at grey 236-242, the hyper-enhancing
    lesions 13-19 grey levels above it, at white; on b800 the bright lesions went white with the liver at
    163-176. On the three sample patients the liver now stays under grey 215 and every visible lesion of
    10 mm or more stands as far from it as with the automatic window (within 10 %)."""
    import json

    from bench.bench_suggest import load
    from viewer.records import Role

    for patient in ("LLSYN001", "LLSYN002", "LLSYN003"):
        truth = json.loads((sample_dicom / "ground_truth" / f"{patient}.json").read_text())
        vol = load(patient, role, sample_dicom)
        geo = vol.geometry

        def level(point: list[float], radius_px: float = 3.0, ring: float = 0.0) -> float:
            k = geo.nearest_slice(point)
            r, c = geo.pixel_on_slice(point, k)
            a = np.linspace(0.0, 2 * np.pi, 16, endpoint=False)
            rows, cols = (r + ring * radius_px * np.sin(a)).astype(int), (c + ring * radius_px * np.cos(a)).astype(int)
            if not ring:
                return float(np.median(vol.array[k, int(r) - 3:int(r) + 4, int(c) - 3:int(c) + 4]))
            return float(np.median(vol.array[k, rows, cols]))  # 0.6 of the radius: past a necrotic core

        mr = next(e for e in truth["exams"] if e["exam_id"] == "mr")
        liver = level(mr["liver_reference_mm"])
        lesions = [level(les["centre_mm"]["mr"], les["longest_axial_diameter_mm"] / 2 / geo.row_spacing_mm, 0.6)
                   for les in truth["lesions"] if les["series"].get(role, {}).get("visible")
                   and les["longest_axial_diameter_mm"] >= 10]
        assert lesions
        wl = preset_window(Preset.MR_CONTRAST, vol.array, role=Role(role))
        grey = window_values(np.array([liver, *lesions]), wl).astype(int)
        auto = window_values(np.array([liver, *lesions]), preset_window(Preset.AUTO, vol.array)).astype(int)
        assert grey[0] <= 215, (patient, wl, grey[0])
        assert min(abs(grey[1:] - grey[0])) >= 0.9 * min(abs(auto[1:] - auto[0])), (patient, grey, auto)
