"""Render series volumes from the phantom: partial volume, blur, noise (all seeded).

Voxel (k, i, j) of a grid lies at body ``(x0 + j * col_spacing, y0 + i * row_spacing, z_k)``.
A slice averages ``n_sub`` planes across its thickness (partial volume along z) and, on coarse
grids, ``supersample**2`` points per pixel; then an in-plane Gaussian blur stands for the
point-spread function. Noise is added per series from its own random stream, so any series
can be regenerated alone and come out identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .anatomy import Anatomy
from .lesions import Lesion
from .protocols import TISSUE_VALUES, Grid

#: Keys whose values are MR magnitudes (Rician noise); CT keys get Gaussian noise; ADC too.
RICIAN_KEYS = ("t2fs", "dwi_b0", "dwi_b800", "t1_pre", "t1_art", "t1_pv")


@dataclass(frozen=True)
class Placement:
    """Where a grid sits in body mm: pixel (0, 0) centre and the slice centres along z."""

    x0_mm: float
    y0_mm: float
    z_mm: tuple[float, ...]


def place_grid(grid: Grid, anatomy: Anatomy, centre_xy_mm: tuple[float, float],
               margin_mm: float = 5.0) -> Placement:
    """Centre the field of view on ``centre_xy_mm``; cover the liver plus a margin along z."""
    rs, cs = grid.pixel_spacing_mm
    x0 = centre_xy_mm[0] - (grid.columns - 1) / 2.0 * cs
    y0 = centre_xy_mm[1] - (grid.rows - 1) / 2.0 * rs
    lo, hi = anatomy.liver_z_range_mm()
    n = int(math.ceil((hi - lo + 2 * margin_mm) / grid.slice_spacing_mm)) + 1
    start = 0.5 * (lo + hi) - (n - 1) / 2.0 * grid.slice_spacing_mm
    z = tuple(round(start + k * grid.slice_spacing_mm, 3) for k in range(n))
    return Placement(round(x0, 4), round(y0, 4), z)


def render_clean(anatomy: Anatomy, lesions: list[Lesion], grid: Grid, place: Placement,
                 keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Noise-free float32 volumes (slices, rows, cols), one per intensity key."""
    rs, cs = grid.pixel_spacing_mm
    ss = grid.supersample
    sub = (np.arange(ss) + 0.5) / ss - 0.5
    xs = (place.x0_mm + (np.arange(grid.columns)[:, None] + sub[None, :]) * cs).ravel()
    ys = (place.y0_mm + (np.arange(grid.rows)[:, None] + sub[None, :]) * rs).ravel()
    X, Y = np.meshgrid(xs, ys)
    n_sub = max(2, int(round(grid.slice_thickness_mm / 1.5)))
    offsets = ((np.arange(n_sub) + 0.5) / n_sub - 0.5) * grid.slice_thickness_mm
    edge = max(0.6, 0.8 * min(rs, cs) / ss)
    tables = {k: np.asarray(TISSUE_VALUES[k], np.float32) for k in keys}
    liver = {k: float(TISSUE_VALUES[k][9]) for k in keys}
    out = {k: np.empty((len(place.z_mm), grid.rows, grid.columns), np.float32) for k in keys}
    sig = (grid.psf_mm / rs, grid.psf_mm / cs)
    for k_slice, zc in enumerate(place.z_mm):
        acc = {k: np.zeros(X.shape, np.float64) for k in keys}
        for dz in offsets:
            z = zc + dz
            Z = np.full(X.shape, z)
            lab = anatomy.labels(X, Y, Z)
            planes = {k: tables[k][lab].astype(np.float64) for k in keys}
            for les in lesions:
                if abs(z - les.centre_mm[2]) >= les.semi_axes_mm[2] + edge:
                    continue
                f = les.fraction(X, Y, Z, edge)
                if not f.any():
                    continue
                for k in keys:
                    value = liver[k] + les.delta.get(k, 0.0)
                    planes[k] += (value - planes[k]) * f
            for k in keys:
                acc[k] += planes[k]
        for k in keys:
            img = acc[k] / n_sub
            if ss > 1:
                img = img.reshape(grid.rows, ss, grid.columns, ss).mean(axis=(1, 3))
            out[k][k_slice] = ndimage.gaussian_filter(img, sig, mode="nearest")
    return out


def add_noise(clean: np.ndarray, key: str, sigma: float, corr_px: float,
              rng: np.random.Generator) -> np.ndarray:
    """Correlated noise (as reconstructed images have): Rician for MR magnitudes.

    ``corr_px`` is the Gaussian sigma (pixels) that correlates the noise; CT air outside the
    body gets a quarter of the noise (it is clipped at the bottom of the range anyway).
    """

    def field() -> np.ndarray:
        n = rng.standard_normal(clean.shape)
        n = ndimage.gaussian_filter(n, (0.0, corr_px, corr_px))
        return n / n.std()

    if key in RICIAN_KEYS:
        return np.hypot(clean + sigma * field(), sigma * field())
    scale = np.where(clean < -950.0, 0.25, 1.0) if key.startswith("ct_") else 1.0
    noisy = clean + sigma * scale * field()
    if key == "adc":  # the scanner masks the background of ADC maps
        noisy = np.where(clean > 0.0, np.maximum(noisy, 0.0), 0.0)
    return noisy


def visibility(lesion: Lesion, grid: Grid, place: Placement) -> tuple[float, float, float]:
    """Best slice of a lesion: (score 0..1, slice z in body mm, axial diameter there in mm).

    The score is the fraction of the slice thickness the lesion fills at its centre, times
    how much of the in-plane resolution its section spans; >= 0.5 counts as visible.
    """
    res = math.hypot(max(grid.pixel_spacing_mm), 2.355 * grid.psf_mm)
    cz, c = lesion.centre_mm[2], lesion.semi_axes_mm[2]
    t = grid.slice_thickness_mm
    best = (0.0, place.z_mm[0], 0.0)
    for z in place.z_mm:
        overlap = max(0.0, min(z + t / 2, cz + c) - max(z - t / 2, cz - c)) / t
        diameter = lesion.axial_diameter_at_mm(z)
        score = overlap * min(1.0, diameter / res)
        if score > best[0] or (score == best[0] and diameter > best[2]):
            best = (score, z, diameter)
    return best
