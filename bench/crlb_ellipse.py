"""Cramér-Rao lower bound of a lesion's long axis on one slice: a blurred uniform ellipse in stationary noise.

    .venv/bin/python -m bench.crlb_ellipse [--noise-json OUT_OF_bench.ct_noise] [--free-blur]

The model (the image round a homogeneous lesion, as viewer/README.md's session 35 fit wrote it): the liver's
level plus the lesion's contrast times an ellipse's indicator blurred by a Gaussian of ``blur_mm`` -- the
series' point-spread function combined with the pixel's box (sigma^2 = psf^2 + pixel^2 / 12), the edge
placed by the ellipse's first-order (Sampson) distance. Parameters: centre (x, y), semi-axes a >= b, angle,
contrast, liver level (and the blur with ``--free-blur``). The long axis is 2a.

For Gaussian noise of covariance C the Fisher information is J = G^T C^-1 G, G the model's derivatives at
the pixels (columns: parameters). For stationary noise on a periodic n x n grid C is circulant, its
eigenvalues the noise power spectrum on the grid's frequencies (the DFT of the autocovariance,
``spectrum``), so J = (1/n^2) sum_f conj(G_hat(f)) G_hat(f)^T / S(f): :func:`fisher`. Any unbiased
estimator of the long axis then has an SD of at least 2 sqrt((J^-1)_aa) and, if Gaussian, a mean absolute
error of sqrt(2/pi) times that. An unweighted least-squares fit on the pixels of a band round the edge (the
session 35 fit, noise taken as white) reaches at best the sandwich (A^-1 B A^-1)_aa, A = Gm^T Gm,
B = Gm^T C Gm, Gm the band's rows: :func:`band_ls_cov`.

Noise spectra: white; the phantom's CT portal noise until session 42 (tools/sample/render.add_noise then: white
noise through scipy's sampled Gaussian of ``corr_px`` pixels, scaled to the SD, stored as whole HU, i.e. plus
1/12 HU^2 of white rounding noise); the ramp NPS (``ramp_spectrum``, the phantom's CT noise since session 42,
plus the same rounding floor); a measured radial NPS shape (bench/ct_noise.py) resampled on the grid and scaled to
the SD.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from scipy.optimize import least_squares
from scipy.special import ndtr, ndtri

CT_PIXEL_MM = 0.742  # tools/sample/protocols.CT_GRID
CT_PSF_MM = 0.45
CT_PORTAL_SD = 13.0  # Siemens; GE 15
OLD_PHANTOM_CORR_PX = 2.2  # the generator's CT noise until session 42: a Gaussian of 2.2 px
MAE_PER_SD = math.sqrt(2.0 / math.pi)


@dataclass(frozen=True)
class Ellipse:
    cx: float  # mm from the grid's centre
    cy: float
    a: float  # semi-axes, mm
    b: float
    angle: float  # rad
    contrast: float  # HU, lesion - liver
    level: float  # HU, the liver
    blur_mm: float

    def vector(self) -> np.ndarray:
        return np.array([self.cx, self.cy, self.a, self.b, self.angle, self.contrast, self.level, self.blur_mm])


NAMES = ("cx", "cy", "a", "b", "angle", "contrast", "level", "blur_mm")


def edge_blur_mm(psf_mm: float = CT_PSF_MM, pixel_mm: float = CT_PIXEL_MM) -> float:
    """The generator's edge: a pixel's box (its partial volume) then a Gaussian PSF, as one Gaussian."""
    return math.sqrt(psf_mm ** 2 + pixel_mm ** 2 / 12.0)


def image(p: np.ndarray, n: int, pixel_mm: float) -> np.ndarray:
    """The model on an n x n grid of pixel centres, (0, 0) mm at pixel (n/2, n/2); p as Ellipse.vector()."""
    cx, cy, a, b, ang, contrast, level, blur = p
    x = (np.arange(n) - n // 2) * pixel_mm
    dx, dy = x[None, :] - cx, x[:, None] - cy
    u = math.cos(ang) * dx + math.sin(ang) * dy
    v = -math.sin(ang) * dx + math.cos(ang) * dy
    f = (u / a) ** 2 + (v / b) ** 2
    grad = 2.0 * np.sqrt((u / a ** 2) ** 2 + (v / b ** 2) ** 2)
    d = (f - 1.0) / np.maximum(grad, 1e-9)
    return level + contrast * ndtr(-d / blur)


def derivatives(e: Ellipse, n: int, pixel_mm: float, free: tuple[str, ...],
                model: Callable[[np.ndarray, int, float], np.ndarray] = image) -> np.ndarray:
    """G: (len(free), n, n), central differences of the model in each free parameter."""
    p0 = e.vector()
    out = []
    for name in free:
        k = NAMES.index(name)
        h = 1e-4 * max(1.0, abs(p0[k])) if name != "angle" else 1e-5
        hi, lo = p0.copy(), p0.copy()
        hi[k] += h
        lo[k] -= h
        out.append((model(hi, n, pixel_mm) - model(lo, n, pixel_mm)) / (2 * h))
    return np.array(out)


def fisher(g: np.ndarray, spectrum: np.ndarray) -> np.ndarray:
    """J = G^T C^-1 G for stationary noise on the periodic grid: C's eigenvalues are ``spectrum``
    (HU^2, the DFT of the autocovariance on the grid's frequencies, numpy's FFT order); g (k, n, n)."""
    gh = np.fft.fft2(g).reshape(g.shape[0], -1)
    w = 1.0 / spectrum.ravel()
    return ((np.conj(gh) * w) @ gh.T).real / spectrum.size


def band_ls_cov(g: np.ndarray, spectrum: np.ndarray, band: np.ndarray) -> np.ndarray:
    """Covariance of an unweighted least-squares fit on the pixels of ``band`` (a mask) in noise of that
    spectrum: A^-1 B A^-1, A = Gm^T Gm, B = Gm^T C Gm (C applied through the FFT)."""
    gm = (g * band).reshape(g.shape[0], -1)
    a = gm @ gm.T
    gh = np.fft.fft2(g * band).reshape(g.shape[0], -1)
    b = ((np.conj(gh) * spectrum.ravel()) @ gh.T).real / spectrum.size
    ai = np.linalg.inv(a)
    return ai @ b @ ai


def white_spectrum(n: int, sd: float) -> np.ndarray:
    return np.full((n, n), sd ** 2)


def gaussian_kernel_dft(n: int, corr_px: float, truncate: float = 4.0) -> np.ndarray:
    """DFT on n points of scipy.ndimage.gaussian_filter's sampled, truncated 1-D kernel."""
    r = int(truncate * corr_px + 0.5)
    x = np.arange(-r, r + 1)
    k = np.exp(-0.5 * (x / corr_px) ** 2)
    k /= k.sum()
    full = np.zeros(n)
    full[x % n] = k
    return np.fft.fft(full)


def phantom_spectrum(n: int, sd: float = CT_PORTAL_SD, corr_px: float = OLD_PHANTOM_CORR_PX,
                     floor_var: float = 1.0 / 12.0) -> np.ndarray:
    """The phantom's CT noise until session 42: white noise through the sampled Gaussian, scaled to ``sd`` (its variance),
    plus ``floor_var`` of white noise (rounding to whole HU: 1/12)."""
    if corr_px <= 0:
        return white_spectrum(n, sd) + floor_var
    k1 = np.abs(gaussian_kernel_dft(n, corr_px)) ** 2
    s = k1[:, None] * k1[None, :]
    return sd ** 2 * s / s.mean() + floor_var


def measured_spectrum(n: int, pixel_mm: float, radial: list[tuple[float, float]], sd: float,
                      floor_var: float = 1.0 / 12.0) -> np.ndarray:
    """A measured radial NPS shape ((cycles/mm, value) pairs) on this grid, scaled to variance sd^2; below
    the first measured frequency above zero (a detrended tile's lowest bins) held at that value."""
    f = np.fft.fftfreq(n, d=pixel_mm)
    fr = np.hypot(f[:, None], f[None, :])
    fx = np.array([p[0] for p in radial if p[1] > 0])
    fy = np.array([p[1] for p in radial if p[1] > 0])
    s = np.interp(fr, fx, fy, left=fy[0], right=fy[-1])
    return sd ** 2 * s / s.mean() + floor_var


def ramp_spectrum(n: int, pixel_mm: float, sd: float, f0_per_mm: float = 0.25, floor_var: float = 1.0 / 12.0) -> np.ndarray:
    """A filtered back-projection's noise shape, radial f exp(-(f / f0)^2) (zero at DC, peak f0 / sqrt 2), scaled
    to variance sd^2 (the phantom's CT noise since session 42: tools/sample/render.ramp_amplitude squared, with
    tools/sample/protocols.CT_NOISE_F0_PER_MM): f0 0.25 cycles/mm gives an autocorrelation FWHM of 1.7 mm on CT's 0.742 mm pixels, the real
    head CT's (bench/ct_noise.py) without its brain's low frequencies."""
    f = np.fft.fftfreq(n, d=pixel_mm)
    fr = np.hypot(f[:, None], f[None, :])
    s = fr * np.exp(-(fr / f0_per_mm) ** 2)
    return sd ** 2 * s / s.mean() + floor_var


@dataclass(frozen=True)
class Bound:
    long_mm: float
    short_mm: float
    contrast: float
    noise: str
    sd_mm: float  # CRLB of the long axis's length (2a)
    mae_mm: float  # sqrt(2/pi) x sd
    band_ls_sd_mm: float  # unweighted least squares on the 3 mm band, noise taken as white (at best)


def bound(long_mm: float, contrast: float, spectrum: np.ndarray, noise: str, pixel_mm: float = CT_PIXEL_MM,
          ratio: float = 0.8, blur_mm: float | None = None, free_blur: bool = False, band_mm: float = 3.0,
          angle: float = 0.3) -> Bound:
    n = spectrum.shape[0]
    e = Ellipse(0.11, -0.07, long_mm / 2, ratio * long_mm / 2, angle, contrast, 110.0,
                edge_blur_mm() if blur_mm is None else blur_mm)
    free = NAMES if free_blur else NAMES[:-1]
    g = derivatives(e, n, pixel_mm, free)
    j = fisher(g, spectrum)
    var_a = float(np.linalg.inv(j)[2, 2])
    clean = image(e.vector(), n, pixel_mm)
    inside = (clean - e.level) / e.contrast
    # the band: within band_mm of the edge, by the model's own distance (its blurred indicator's level)
    d_mm = -e.blur_mm * ndtri(np.clip(inside, 1e-12, 1 - 1e-12))
    band = (np.abs(d_mm) <= band_mm).astype(float)
    var_ls = float(band_ls_cov(g, spectrum, band)[2, 2])
    return Bound(long_mm, ratio * long_mm, contrast, noise, 2 * math.sqrt(var_a), 2 * math.sqrt(var_a) * MAE_PER_SD,
                 2 * math.sqrt(var_ls))


def slab_image(e: Ellipse, depth_mm: float, z0_mm: float, n: int, pixel_mm: float, thickness_mm: float = 5.0,
               planes: int = 10) -> np.ndarray:
    """An ellipsoid (semi-axes a, b, depth_mm / 2) through a slab ``thickness_mm`` thick whose centre lies z0_mm
    from the ellipsoid's: the mean of its sections over ``planes`` sub-planes (the generator's partial volume
    through the slice), each blurred as ``image``."""
    c = depth_mm / 2
    out = np.zeros((n, n))
    for z in z0_mm + ((np.arange(planes) + 0.5) / planes - 0.5) * thickness_mm:
        k = math.sqrt(max(1e-9, 1 - (z / c) ** 2))
        p = e.vector()
        p[2], p[3] = e.a * k, e.b * k
        if abs(z) >= c:
            p[5] = 0.0
        out += image(p, n, pixel_mm)
    return out / planes


def simulate(clean: np.ndarray, e: Ellipse, spectrum: np.ndarray, draws: int, seed: int = 5,
             start_sd_mm: float = 0.3) -> np.ndarray:
    """Long axes (2 max(a, b)) fitted to ``clean`` plus periodic noise of that spectrum by the prewhitened
    maximum-likelihood fit (residuals divided by sqrt(S) in the Fourier domain, every parameter but the blur
    free), started from e with its centre and semi-axes moved by N(0, start_sd_mm)."""
    n = spectrum.shape[0]
    pixel = CT_PIXEL_MM
    rng = np.random.default_rng(seed)
    iw = 1.0 / np.sqrt(spectrum)
    out = []
    for _ in range(draws):
        data = clean + np.fft.ifft2(np.sqrt(spectrum) * np.fft.fft2(rng.standard_normal((n, n)))).real
        start = e.vector()[:7]
        start[:4] += rng.normal(0.0, start_sd_mm, 4)

        def residual(q: np.ndarray) -> np.ndarray:
            r = data - image(np.append(q, e.blur_mm), n, pixel)
            return np.fft.ifft2(np.fft.fft2(r) * iw).real.ravel()

        fit = least_squares(residual, start, x_scale=[1, 1, 1, 1, 0.1, 10, 10])
        out.append(2 * max(fit.x[2], fit.x[3]))
    return np.array(out)


def spectra(n: int, noise_json: Path | None) -> dict[str, np.ndarray]:
    out = {
        "white 13 HU": white_spectrum(n, CT_PORTAL_SD),
        "phantom until session 42, 13 HU, corr 2.2 px, whole HU": phantom_spectrum(n),
        "phantom until session 42, + 1 HU white": phantom_spectrum(n, floor_var=1.0 / 12.0 + 1.0),
        "phantom until session 42, corr 0.8 px": phantom_spectrum(n, corr_px=0.8),
        "ramp NPS, ACF FWHM 1.7 mm, 13 HU (the phantom since session 42)": ramp_spectrum(n, CT_PIXEL_MM, CT_PORTAL_SD),
    }
    if noise_json is not None and noise_json.exists():
        for row in json.loads(noise_json.read_text()):
            if row["source"].startswith("real"):
                out["real NPS shape (head CT STD+) at 13 HU"] = measured_spectrum(n, CT_PIXEL_MM, row["nps_radial"], CT_PORTAL_SD)
                out[f"real NPS shape at its own {row['sd_hu']:g} HU"] = measured_spectrum(n, CT_PIXEL_MM, row["nps_radial"],
                                                                                        row["sd_hu"])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--noise-json", type=Path, help="bench.ct_noise --json output: adds the real NPS shape")
    ap.add_argument("--free-blur", action="store_true", help="the blur a free parameter too")
    ap.add_argument("--n", type=int, default=128, help="grid size in pixels (periodic)")
    ap.add_argument("--sizes", default="10,14,20,30,40")
    ap.add_argument("--contrasts", default="-20,-30,-45")
    ap.add_argument("--simulate", type=int, default=0, metavar="DRAWS",
                    help="also fit a 14 x 12 mm lesion at -30 HU by the prewhitened ML fit, DRAWS draws per noise")
    args = ap.parse_args(argv)
    if args.simulate:
        return _simulate(args)
    print(f"blurred uniform ellipse, b = 0.8 a, pixel {CT_PIXEL_MM} mm, edge blur {edge_blur_mm():.3f} mm"
          f"{' (free)' if args.free_blur else ''}, grid {args.n} px; SD and MAE bound of the long axis, mm;"
          " last column: unweighted LS on the 3 mm band (SD)")
    print("| noise | long mm | contrast HU | CRLB SD | MAE bound | band LS SD |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, s in spectra(args.n, args.noise_json).items():
        for size in (float(v) for v in args.sizes.split(",")):
            for c in (float(v) for v in args.contrasts.split(",")):
                b = bound(size, c, s, name, free_blur=args.free_blur)
                print(f"| {name} | {size:g} | {c:g} | {b.sd_mm:.3f} | {b.mae_mm:.3f} | {b.band_ls_sd_mm:.3f} |")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    n = 96
    e = Ellipse(0.11, -0.07, 7.0, 6.0, 0.3, -30.0, 110.0, edge_blur_mm())
    z0, depth = 0.7, 12.0
    truth_slab = 2 * e.a * math.sqrt(1 - (2 * z0 / depth) ** 2)
    cases = {"the model's own image": (image(e.vector(), n, CT_PIXEL_MM), 2 * e.a),
             f"ellipsoid 14 x 12 x {depth:g} mm through the 5 mm slab, {z0:g} mm off": (
                 slab_image(e, depth, z0, n, CT_PIXEL_MM), truth_slab)}
    print("prewhitened ML fit, long axis minus the truth's (mm): median, |error| p50 / p75 / p90, share within 0.5 mm")
    print("| noise | image | CRLB SD | median | p50 | p75 | p90 | within 0.5 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, s in spectra(n, args.noise_json).items():
        if "own" in name or "+ 1 HU" in name or "ramp" in name:
            continue
        crlb = bound(14.0, -30.0, s, name, ratio=6 / 7).sd_mm
        for label, (clean, truth) in cases.items():
            err = simulate(clean, e, s, args.simulate) - truth
            q = np.percentile(np.abs(err), [50, 75, 90])
            print(f"| {name} | {label} | {crlb:.3f} | {np.median(err):+.3f} | {q[0]:.3f} | {q[1]:.3f} | {q[2]:.3f} |"
                  f" {np.mean(np.abs(err) <= 0.5):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
