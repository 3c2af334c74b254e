"""Render series volumes from the phantom: partial volume, blur, noise (all seeded).

Voxel (k, i, j) of a grid lies at body ``(x0 + j * col_spacing, y0 + i * row_spacing, z_k)``.
A slice averages ``n_sub`` planes across its thickness (one per <= 1.25 mm) and, on coarse
grids, ``supersample**2`` points per pixel. Anatomy is a label map per plane; lesions and nodes
enter by the fraction of each sample box they fill (shapes.py), so their edges carry partial
volume in-plane and through the slice. An in-plane Gaussian blur then stands for the
point-spread function. Noise is added per series from its own random stream (Rician on MR
magnitudes), so any series can be regenerated alone and come out identical; the ADC map is
computed from the noisy b0 and b800 images as a scanner does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .anatomy import Anatomy
from .findings import Finding, adc_of
from .protocols import Grid
from .shapes import Ellipsoid
from .tissues import LIVER, TISSUE_VALUES

#: Keys whose values are MR magnitudes (Rician noise); CT keys get Gaussian noise.
RICIAN_KEYS = ("t2fs", "dwi_b0", "dwi_b800", "t1_pre", "t1_art", "t1_pv")
SUB_PLANE_MM = 1.25


@dataclass(frozen=True)
class Placement:
    """Where a grid sits in body mm: pixel (0, 0) centre and the slice centres along z."""

    x0_mm: float
    y0_mm: float
    z_mm: tuple[float, ...]

    def nearest_slice(self, z: float) -> int:
        """Index (ascending z) of the slice whose centre is nearest ``z`` (the lower on a tie)."""
        return int(np.argmin([abs(zk - z) + 1e-9 * k for k, zk in enumerate(self.z_mm)]))


def place_grid(grid: Grid, anatomy: Anatomy, centre_xy_mm: tuple[float, float],
               liver_shift_z_mm: float = 0.0, margin_mm: float = 5.0) -> Placement:
    """Centre the field of view on ``centre_xy_mm``; cover the liver (where breathing put it)
    plus a margin along z."""
    rs, cs = grid.pixel_spacing_mm
    x0 = centre_xy_mm[0] - (grid.columns - 1) / 2.0 * cs
    y0 = centre_xy_mm[1] - (grid.rows - 1) / 2.0 * rs
    lo, hi = anatomy.liver_z_range_mm()
    n = int(math.ceil((hi - lo + 2 * margin_mm) / grid.slice_spacing_mm)) + 1
    start = 0.5 * (lo + hi) + liver_shift_z_mm - (n - 1) / 2.0 * grid.slice_spacing_mm
    z = tuple(round(start + k * grid.slice_spacing_mm, 3) for k in range(n))
    return Placement(round(x0, 4), round(y0, 4), z)


def render_clean(anatomy: Anatomy, findings: list[tuple[Finding, Ellipsoid]], grid: Grid,
                 place: Placement, keys: tuple[str, ...],
                 liver_shift_mm=(0.0, 0.0, 0.0)) -> dict[str, np.ndarray]:
    """Noise-free float32 volumes (slices, rows, cols), one per intensity key.

    ``findings`` pairs each finding with its ellipsoid in this exam (sized, in body mm)."""
    rs, cs = grid.pixel_spacing_mm
    ss = grid.supersample
    sub = (np.arange(ss) + 0.5) / ss - 0.5
    xs = (place.x0_mm + (np.arange(grid.columns)[:, None] + sub[None, :]) * cs).ravel()
    ys = (place.y0_mm + (np.arange(grid.rows)[:, None] + sub[None, :]) * rs).ravel()
    n_sub = max(2, int(math.ceil(grid.slice_thickness_mm / SUB_PLANE_MM)))
    step = grid.slice_thickness_mm / n_sub
    offsets = ((np.arange(n_sub) + 0.5) / n_sub - 0.5) * grid.slice_thickness_mm
    sample_mm = (cs / ss, rs / ss, step)
    tables = {k: np.asarray(TISSUE_VALUES[k], np.float32) for k in keys}
    out = {k: np.empty((len(place.z_mm), grid.rows, grid.columns), np.float32) for k in keys}
    sig = (grid.psf_mm / rs, grid.psf_mm / cs)
    for k_slice, zc in enumerate(place.z_mm):
        acc = {k: np.zeros((len(ys), len(xs)), np.float64) for k in keys}
        for dz in offsets:
            z = zc + dz
            lab = anatomy.labels_plane(xs, ys, z, liver_shift_mm)
            planes = {k: tables[k][lab].astype(np.float64) for k in keys}
            for finding, shape in findings:
                _draw(finding, shape, xs, ys, z, planes, sample_mm)
            for k in keys:
                acc[k] += planes[k]
        for k in keys:
            img = acc[k] / n_sub
            if ss > 1:
                img = img.reshape(grid.rows, ss, grid.columns, ss).mean(axis=(1, 3))
            out[k][k_slice] = ndimage.gaussian_filter(img, sig, mode="nearest")
    return out


def _draw(finding: Finding, shape: Ellipsoid, xs, ys, z: float, planes: dict[str, np.ndarray],
          sample_mm) -> None:
    """Blend one finding into the planes of one sub-plane, inside its bounding box only."""
    lo, hi = shape.bbox(2.0 * max(sample_mm))
    if not lo[2] <= z <= hi[2]:
        return
    j0, j1 = np.searchsorted(xs, lo[0]), np.searchsorted(xs, hi[0], "right")
    i0, i1 = np.searchsorted(ys, lo[1]), np.searchsorted(ys, hi[1], "right")
    if j0 >= j1 or i0 >= i1:
        return
    wx, wy = xs[None, j0:j1], ys[i0:i1, None]
    f = shape.field(wx, wy, z)
    inside = f.fraction(f.distance(), sample_mm)
    if not inside.any():
        return
    for key, plane in planes.items():
        view = plane[i0:i1, j0:j1]
        value = finding.values(key, LIVER[key], f, shape, sample_mm, wx, wy, z)
        view += inside * (value - view)


def ramp_amplitude(shape: tuple[int, int], pixel_mm: tuple[float, float], f0_per_mm: float) -> np.ndarray:
    """The square root of a filtered back-projection's noise power spectrum on ``numpy.fft.rfft2``'s grid of a
    (rows, columns) slice: radial f exp(-(f / f0)^2), f in cycles/mm through the (row, column) spacing, so the
    same ``f0_per_mm`` gives the same noise in mm on any pixel size. Zero at DC, its peak at f0 / sqrt 2: the
    ramp filter's rise, rolled off by the kernel's apodisation."""
    fy = np.fft.fftfreq(shape[0], d=pixel_mm[0])
    fx = np.fft.rfftfreq(shape[1], d=pixel_mm[1])
    fr = np.hypot(fy[:, None], fx[None, :])
    return np.sqrt(fr * np.exp(-((fr / f0_per_mm) ** 2)))


def add_noise(clean: np.ndarray, key: str, sigma: float, corr_px: float, rng: np.random.Generator, *,
              ramp_f0_per_mm: float = 0.0, pixel_mm: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """Correlated noise (as reconstructed images have) of SD ``sigma``: Rician for MR magnitudes.

    CT (``ramp_f0_per_mm`` > 0, required for CT keys): each slice's white noise filtered in the Fourier
    domain by :func:`ramp_amplitude` (a filtered back-projection's ramp-shaped noise power spectrum: an
    autocorrelation with a negative lobe; f0 0.25 cycles/mm gives a FWHM of 1.7 mm), on the grid's
    ``pixel_mm`` (row, column spacing). MR: ``corr_px`` is the Gaussian sigma (pixels) that correlates the
    noise. The field is scaled to unit SD over the volume, then to ``sigma``; CT air outside the body gets a
    quarter of the noise (it is clipped at the bottom of the range anyway).
    """
    is_ct = key.startswith("ct_")
    if is_ct and ramp_f0_per_mm <= 0:
        raise ValueError(f"CT noise for {key!r} needs the ramp spectrum's f0 (ramp_f0_per_mm > 0)")

    def field() -> np.ndarray:
        n = rng.standard_normal(clean.shape, dtype=np.float32)
        if ramp_f0_per_mm > 0:
            amp = ramp_amplitude(clean.shape[1:], pixel_mm, ramp_f0_per_mm)
            n = np.stack([np.fft.irfft2(np.fft.rfft2(s) * amp, s=s.shape) for s in n]).astype(np.float32)
        else:
            n = ndimage.gaussian_filter(n, (0.0, corr_px, corr_px), output=np.float32)
        return n / n.std(dtype=np.float64)

    if key in RICIAN_KEYS:
        return np.hypot(clean + sigma * field(), sigma * field())
    scale = np.where(clean < -950.0, 0.25, 1.0) if is_ct else 1.0
    return clean + sigma * scale * field()


def adc_map(b0: np.ndarray, b800: np.ndarray, sigma: float) -> np.ndarray:
    """ADC (1e-6 mm2/s) from the stored b0 and b800 images; 0 where b0 is at noise level
    (the scanner's background mask: smoothed b0 below 3 sigma)."""
    mask = ndimage.gaussian_filter(b0.astype(np.float64), (0.0, 1.0, 1.0)) > 3.0 * sigma
    adc = adc_of(np.maximum(b0, 1.0), np.maximum(b800, 1.0))
    return np.where(mask, np.clip(adc, 0.0, 4095.0), 0.0)


def slice_overlap(shape: Ellipsoid, z: float, thickness_mm: float) -> float:
    """Fraction of a slice's thickness centred at ``z`` that crosses the ellipsoid's centre line."""
    cz, c = shape.centre_mm[2], shape.semi_axes_mm[2]
    return max(0.0, min(z + thickness_mm / 2, cz + c) - max(z - thickness_mm / 2, cz - c)) / thickness_mm


def visibility(shape: Ellipsoid, grid: Grid, place: Placement) -> tuple[float, int]:
    """(score 0..1, index of the slice nearest the centre). The score is the fraction of the
    slice thickness the lesion fills at its centre, times how much of the in-plane resolution
    its section spans; >= 0.5 counts as visible. The nearest slice is always a best one (both
    factors fall with the distance from the centre)."""
    res = math.hypot(max(grid.pixel_spacing_mm), 2.355 * grid.psf_mm)
    k = place.nearest_slice(shape.centre_mm[2])
    z = place.z_mm[k]
    score = slice_overlap(shape, z, grid.slice_thickness_mm) * min(1.0, shape.axial_diameter_at_mm(z) / res)
    return score, k
