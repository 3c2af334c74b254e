"""The sample generator's CT noise spectrum (tools/sample/render.add_noise): a filtered back-projection's
ramp-shaped noise, as the only real CT in shared/realdicom has (autocorrelation FWHM 1.69 mm with a negative
lobe, bench/ct_noise.py), not the Gaussian-blotched noise of 5.4 mm FWHM the generator had until session 42."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.sample.protocols import CT_GRID, CT_NOISE_F0_PER_MM  # noqa: E402
from tools.sample.render import add_noise  # noqa: E402

SIGMA = 13.0  # Siemens portal


def acf_profile(noise: np.ndarray) -> np.ndarray:
    """The slices' mean periodic autocorrelation along rows and columns (lag 0 .. n/2), normalised to 1 at 0."""
    f = np.fft.fft2(noise - noise.mean(axis=(1, 2), keepdims=True))
    acf = np.fft.ifft2(np.abs(f) ** 2).real.mean(axis=0)
    n = min(acf.shape)
    prof = 0.5 * (acf[0, : n // 2] + acf[: n // 2, 0])
    return prof / prof[0]


def fwhm_mm(prof: np.ndarray, pixel_mm: float) -> float:
    """Full width at half maximum of a profile starting at its peak, linearly interpolated."""
    k = int(np.argmax(prof < 0.5))
    return 2 * pixel_mm * (k - 1 + (prof[k - 1] - 0.5) / (prof[k - 1] - prof[k]))


def test_ct_noise_has_a_ramp_spectrums_width_negative_lobe_and_the_series_sd() -> None:
    pixel = CT_GRID.pixel_spacing_mm
    clean = np.zeros((3, CT_GRID.rows, CT_GRID.columns), np.float32)
    noise = np.rint(add_noise(clean, "ct_pv", SIGMA, 0.0, np.random.default_rng(5), ramp_f0_per_mm=CT_NOISE_F0_PER_MM,
                              pixel_mm=pixel))  # stored as whole HU
    prof = acf_profile(noise)
    assert fwhm_mm(prof, pixel[0]) == pytest.approx(1.7, abs=0.2)
    assert prof.min() < -0.05  # the ramp's negative lobe
    assert noise.std() == pytest.approx(SIGMA, rel=0.03)
    # the same measure on the generator's noise until session 42 (a Gaussian of 2.2 px) is far outside
    old = ndimage.gaussian_filter(np.random.default_rng(5).standard_normal(clean.shape), (0, 2.2, 2.2))
    assert fwhm_mm(acf_profile(old), pixel[0]) > 1.7 + 2.0


def test_ct_noise_follows_the_pixel_size_in_mm_and_keeps_the_quarter_noise_in_air() -> None:
    """f0 is in cycles/mm: on 0.5 mm pixels the FWHM in mm stays; air (< -950 HU) gets a quarter of the SD."""
    clean = np.zeros((2, 256, 256), np.float32)
    clean[:, :, :128] = -1000.0
    noise = add_noise(clean, "ct_art", SIGMA, 0.0, np.random.default_rng(3), ramp_f0_per_mm=CT_NOISE_F0_PER_MM,
                      pixel_mm=(0.5, 0.5)) - clean
    body = noise[:, :, 136:248]
    assert fwhm_mm(acf_profile(body), 0.5) == pytest.approx(1.7, abs=0.2)
    assert noise[:, :, 8:120].std() / body.std() == pytest.approx(0.25, rel=0.05)


def test_ct_noise_without_its_spectrum_is_refused_and_mr_noise_is_unchanged() -> None:
    with pytest.raises(ValueError, match="ct_pv"):
        add_noise(np.zeros((1, 8, 8), np.float32), "ct_pv", SIGMA, 2.2, np.random.default_rng(0))
    clean = np.full((2, 64, 64), 100.0, np.float32)
    got = add_noise(clean, "t1_pv", 8.0, 0.9, np.random.default_rng(9))
    rng = np.random.default_rng(9)

    def field() -> np.ndarray:
        n = ndimage.gaussian_filter(rng.standard_normal(clean.shape, dtype=np.float32), (0.0, 0.9, 0.9),
                                    output=np.float32)
        return n / n.std(dtype=np.float64)

    np.testing.assert_array_equal(got, np.hypot(clean + 8.0 * field(), 8.0 * field()))
