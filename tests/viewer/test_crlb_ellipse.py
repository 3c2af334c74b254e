"""The maths of bench/crlb_ellipse.py: Fisher information through the noise spectrum, against closed forms
(a blurred step edge and a blurred disc in white noise), against G^T C^-1 G with C written out, and the
ramp noise spectrum against the generator's own CT noise."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.crlb_ellipse import (CT_PIXEL_MM, Ellipse, band_ls_cov, bound, derivatives, fisher, phantom_spectrum,
                                ramp_spectrum, white_spectrum)

ROOT = Path(__file__).resolve().parents[2]


def test_step_edge_in_white_noise_has_the_closed_form_bound() -> None:
    """I(x) = level + contrast * Phi((x - x0) / s) on every row of an n x n grid of pixel p, white noise sigma:
    J(x0) = rows * contrast^2 / (2 sqrt(pi) s sigma^2 p), so Var(x0) >= 2 sqrt(pi) s sigma^2 p / (rows contrast^2)."""
    n, p, s, sigma, contrast = 64, 0.742, 0.9, 13.0, -30.0
    x = (np.arange(n) - n // 2) * p
    x0 = 0.2
    gauss = np.exp(-0.5 * ((x - x0) / s) ** 2) / math.sqrt(2 * math.pi)
    g = np.broadcast_to(-contrast * gauss / s, (n, n))[None]  # d I / d x0, the same on every row
    var = 1.0 / fisher(g, white_spectrum(n, sigma))[0, 0]
    closed = 2 * math.sqrt(math.pi) * s * sigma ** 2 * p / (n * contrast ** 2)
    assert var == pytest.approx(closed, rel=1e-6)
    # and least-squares fits of x0 on simulated images scatter by that much (the bound is reached here)
    from scipy.optimize import least_squares
    from scipy.special import ndtr

    rng = np.random.default_rng(3)
    fits = []
    for _ in range(200):
        data = contrast * ndtr((x - x0) / s) + sigma * rng.standard_normal((n, n))
        fit = least_squares(lambda q: (data - contrast * ndtr((x - q[0]) / s)).ravel(), [x0 + 0.3])
        fits.append(float(fit.x[0]))
    assert np.std(fits) == pytest.approx(math.sqrt(closed), rel=0.15)
    assert abs(np.mean(fits) - x0) < 3 * math.sqrt(closed / 200)


def test_a_disc_in_white_noise_gives_the_closed_form_bound_of_its_semi_axis() -> None:
    """A disc of radius R, edge blur s, white noise: moving the x semi-axis a shifts the edge by cos^2 t,
    so J_aa = contrast^2 / (sigma^2 s^2 p^2) * integral phi(d/s)^2 cos^4 t r dr dt = 3 sqrt(pi) R contrast^2 /
    (8 sigma^2 s p^2), to the disc's curvature (s / R small)."""
    n, p, r, s, sigma, contrast = 160, 0.742, 40.0, 0.6, 13.0, -30.0
    e = Ellipse(0.0, 0.0, r, r, 0.0, contrast, 110.0, s)
    g = derivatives(e, n, p, ("a",))
    j = fisher(g, white_spectrum(n, sigma))[0, 0]
    assert j == pytest.approx(3 * math.sqrt(math.pi) * r * contrast ** 2 / (8 * sigma ** 2 * s * p ** 2), rel=0.01)


def test_fisher_through_the_spectrum_is_g_transpose_c_inverse_g() -> None:
    """On a small periodic grid the circulant covariance written out: the FFT form equals G^T C^-1 G, and the
    band's sandwich equals (Gm^T Gm)^-1 Gm^T C Gm (Gm^T Gm)^-1."""
    n = 20
    spectrum = phantom_spectrum(n, sd=13.0, corr_px=1.3, floor_var=2.0)
    acov = np.fft.ifft2(spectrum).real  # autocovariance at each lag
    idx = np.arange(n)
    dr = (idx[:, None, None, None] - idx[None, None, :, None]) % n
    dc = (idx[None, :, None, None] - idx[None, None, None, :]) % n
    c = acov[dr, dc].reshape(n * n, n * n)
    e = Ellipse(0.3, -0.2, 4.0, 3.0, 0.4, -30.0, 110.0, 0.5)
    g = derivatives(e, n, 0.742, ("cx", "a", "b", "contrast", "level"))
    gm = g.reshape(g.shape[0], -1)
    dense = gm @ np.linalg.solve(c, gm.T)
    np.testing.assert_allclose(fisher(g, spectrum), dense, rtol=1e-8, atol=1e-8 * np.abs(dense).max())
    band = (np.abs(np.arange(n) - n // 2)[:, None] < 7) & (np.abs(np.arange(n) - n // 2)[None, :] < 7)
    bm = (g * band).reshape(g.shape[0], -1)
    a_inv = np.linalg.inv(bm @ bm.T)
    np.testing.assert_allclose(band_ls_cov(g, spectrum, band.astype(float)), a_inv @ bm @ c @ bm.T @ a_inv, rtol=1e-8)


def test_in_white_noise_the_bound_and_the_band_fit_nearly_agree_and_grow_as_contrast_falls() -> None:
    s = white_spectrum(128, 13.0)
    strong, faint = bound(20.0, -45.0, s, "white"), bound(20.0, -30.0, s, "white")
    assert faint.sd_mm == pytest.approx(strong.sd_mm * 45 / 30, rel=1e-6)  # SD proportional to noise / contrast
    assert strong.sd_mm <= strong.band_ls_sd_mm <= 1.1 * strong.sd_mm
    assert strong.mae_mm == pytest.approx(strong.sd_mm * math.sqrt(2 / math.pi))


def test_the_ramp_spectrum_is_the_generators_ct_noise() -> None:
    """tools/sample/render.add_noise (each slice's white noise filtered to the ramp NPS with
    protocols.CT_NOISE_F0_PER_MM, scaled to the SD, stored as whole HU) on CT's 512 x 512 slices: its
    autocorrelation at lags 0-6 along rows and columns is the inverse DFT of ramp_spectrum's (with the rounding's
    1/12 HU^2), and its variance is the nominal one to 3 %."""
    sys.path.insert(0, str(ROOT))
    from tools.sample.protocols import CT_NOISE_F0_PER_MM
    from tools.sample.render import add_noise

    n, sigma = 512, 13.0
    noise = np.rint(add_noise(np.zeros((3, n, n), np.float32), "ct_pv", sigma, 0.0, np.random.default_rng(11),
                              ramp_f0_per_mm=CT_NOISE_F0_PER_MM, pixel_mm=(CT_PIXEL_MM, CT_PIXEL_MM)))
    inner = noise[:, 20:-20, 20:-20].astype(float)
    m = inner.shape[1]
    rows = [float((inner[:, :, : m - k] * inner[:, :, k:]).mean()) for k in range(7)]
    cols = [float((inner[:, : m - k, :] * inner[:, k:, :]).mean()) for k in range(7)]
    expected = np.fft.ifft2(ramp_spectrum(n, CT_PIXEL_MM, sigma, CT_NOISE_F0_PER_MM)).real[0, :7]
    np.testing.assert_allclose(np.array(rows) / rows[0], expected / expected[0], atol=0.02)
    np.testing.assert_allclose(np.array(cols) / cols[0], expected / expected[0], atol=0.02)
    assert rows[0] == pytest.approx(expected[0], rel=0.03)
    # white noise would be uncorrelated from lag 1, the old Gaussian still 0.5 at lag 3: the shape is the test's
    assert expected[1] / expected[0] > 0.2 and expected[3] / expected[0] < -0.02


def test_the_old_phantom_spectrum_is_a_gaussians() -> None:
    """phantom_spectrum (the generator's CT noise until session 42) is the Gaussian's: its lag-3 correlation."""
    s = phantom_spectrum(128, 13.0, 2.2)
    acf = np.fft.ifft2(s).real[0]
    assert acf[3] / acf[0] == pytest.approx(np.exp(-9 / (4 * 2.2 ** 2)), abs=0.02)


def test_the_ramp_spectrum_has_the_real_files_autocorrelation_width_and_a_negative_lobe() -> None:
    n = 128
    acf = np.fft.ifft2(ramp_spectrum(n, CT_PIXEL_MM, 13.0)).real
    assert acf[0, 0] == pytest.approx(13.0 ** 2 + 1 / 12, rel=1e-9)
    prof = acf[0, : n // 2] / acf[0, 0]
    k = int(np.argmax(prof < 0.5))
    fwhm = 2 * CT_PIXEL_MM * (k - 1 + (prof[k - 1] - 0.5) / (prof[k - 1] - prof[k]))
    assert fwhm == pytest.approx(1.7, abs=0.05)
    assert prof.min() < -0.05
