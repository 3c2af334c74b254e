"""Initial overlap of two exams and the mutual information used to judge a result, in numpy.

The exams of a pair lie in frames of reference that differ by a table offset of any size (the
sample's CT and MRI are 600 to 1200 mm apart in z), so no optimiser starts from the identity.
The body centres give x and y; z is searched over every position where the fixed focus region
lies mostly inside the moving volume, by mutual information of the focus region's voxels with the
moving values where they fall (trilinear, joint histogram by bincount).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from viewer.registration.prepare import Coarse

#: The x and y search around the body centres' offset (mm).
XY_RANGE_MM, XY_STEP_MM = 8.0, 8.0
#: Every n-th voxel of the focus region is a sample point (about 4 000 points).
SAMPLE_TARGET = 4000


def quantise(values: np.ndarray, bins: int, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """Bin index (0..bins-1) of each value over [lo, hi] (default: the array's own range)."""
    lo = float(values.min()) if lo is None else lo
    hi = float(values.max()) if hi is None else hi
    scale = bins / (hi - lo) if hi > lo else 0.0
    return np.clip(((values - lo) * scale).astype(np.intp), 0, bins - 1)


def mutual_information(a: np.ndarray, b: np.ndarray, bins: int) -> float:
    """Mutual information (nats) of two equally long bin-index arrays."""
    if a.size == 0:
        return 0.0
    joint = np.bincount(a * bins + b, minlength=bins * bins).astype(float).reshape(bins, bins)
    p = joint / a.size
    pa, pb = p.sum(axis=1), p.sum(axis=0)
    nz = p > 0
    return float((p[nz] * np.log(p[nz] / np.outer(pa, pb)[nz])).sum())


@dataclass(frozen=True)
class Budget:
    """When to give up: the caller's cancel event and a deadline (time.perf_counter seconds)."""

    cancel: threading.Event | None
    deadline: float

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    @property
    def expired(self) -> bool:
        return time.perf_counter() > self.deadline


@dataclass(frozen=True)
class Samples:
    """Fixed-image sample points of the focus region, and the moving volume to read at them."""

    points_mm: np.ndarray  # (n, 3) patient mm of the fixed frame
    fixed_bins: np.ndarray  # (n,) bin index of the fixed value there
    moving_values: np.ndarray  # the moving coarse volume (slices, rows, cols), float64
    moving_mm_to_index: np.ndarray  # 4x4
    moving_range: tuple[float, float]
    bins: int

    @classmethod
    def of(cls, fixed: Coarse, focus: np.ndarray, moving: Coarse, bins: int) -> "Samples":
        step = max(1, int(focus.sum()) // SAMPLE_TARGET)
        idx = np.argwhere(focus)[::step]
        mask = np.zeros_like(focus)
        mask[tuple(idx.T)] = True
        v = moving.values.astype(np.float64)  # map_coordinates would convert it at every call
        return cls(fixed.points_mm(mask), quantise(fixed.values, bins)[mask], v, moving.mm_to_index(),
                   (float(v.min()), float(v.max())), bins)

    def _where(self, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        to_index = self.moving_mm_to_index @ affine
        xyz = self.points_mm @ to_index[:3, :3].T + to_index[:3, 3]
        last = np.asarray(self.moving_values.shape[::-1], float) - 1
        inside = np.all((xyz >= -0.5) & (xyz <= last + 0.5), axis=1)
        return xyz, inside, last

    def overlap(self, affine: np.ndarray) -> float:
        """Fraction of the points inside the moving volume when fixed mm map to moving mm by ``affine``."""
        return float(self._where(affine)[1].mean())

    def chance(self, affine: np.ndarray, seed: int) -> float:
        """Mutual information of the same values paired at random: what this estimator gives for
        unrelated images with these histograms (its bias)."""
        xyz, inside, last = self._where(affine)
        if not inside.any():
            return 0.0
        values = ndi.map_coordinates(self.moving_values, np.clip(xyz[inside], 0, last)[:, ::-1].T, order=1)
        moving_bins = np.random.default_rng(seed).permutation(quantise(values, self.bins, *self.moving_range))
        return mutual_information(self.fixed_bins[inside], moving_bins, self.bins)

    def evaluate(self, affine: np.ndarray) -> tuple[float, float]:
        """(mutual information, fraction of points inside the moving volume) when fixed-frame
        points map into the moving frame by ``affine`` (4x4, fixed mm -> moving mm)."""
        xyz, inside, last = self._where(affine)
        if not inside.any():
            return 0.0, 0.0
        # Trilinear, as ITK's metric: nearest-neighbour reads favour grid-aligned positions.
        values = ndi.map_coordinates(self.moving_values, np.clip(xyz[inside], 0, last)[:, ::-1].T, order=1)
        moving_bins = quantise(values, self.bins, *self.moving_range)
        return mutual_information(self.fixed_bins[inside], moving_bins, self.bins), float(inside.mean())


@dataclass(frozen=True)
class SearchResult:
    translation_mm: np.ndarray  # fixed mm -> moving mm
    mutual_information_nats: float
    overlap_fraction: float
    baseline_nats: float  # median mutual information over the z positions searched: chance level
    positions: int  # how many positions were scored


def _shift(t: np.ndarray) -> np.ndarray:
    affine = np.eye(4)
    affine[:3, 3] = t
    return affine


def translation_search(samples: Samples, fixed: Coarse, moving: Coarse, step_mm: float, min_overlap: float,
                       budget: Budget) -> SearchResult | None:
    """Best translation: z over every position where at least ``min_overlap`` of the samples
    fall inside the moving volume (else where most do), then x and y around the body centres'
    offset. None when cancelled; past the deadline, the best position scored so far."""
    xy = moving.centre_mm(moving.body) - fixed.centre_mm(fixed.body)
    z_f, z_m = fixed.axis_mm(2)[fixed.body], moving.axis_mm(2)[moving.body]
    dzs = np.arange(float(z_m.min() - z_f.max()), float(z_m.max() - z_f.min()) + step_mm / 2, step_mm)
    overlaps = np.array([samples.overlap(_shift(np.array([xy[0], xy[1], dz]))) for dz in dzs])
    held = overlaps >= min_overlap
    if not held.any():  # the moving volume never holds that much of the focus: where it holds most
        held = overlaps >= overlaps.max() - 1e-9
    scores = np.full(len(dzs), -np.inf)
    for i in np.flatnonzero(held):
        if budget.cancelled:
            return None
        if budget.expired and np.isfinite(scores).any():
            break
        scores[i] = samples.evaluate(_shift(np.array([xy[0], xy[1], dzs[i]])))[0]
    k = int(np.argmax(scores))
    best, score, inside = np.array([xy[0], xy[1], dzs[k]]), float(scores[k]), float(overlaps[k])
    # The body centres can be 10 mm off when a field of view cuts the body: search x and y too.
    offsets = np.arange(-XY_RANGE_MM, XY_RANGE_MM + 1e-6, XY_STEP_MM)
    for dx in offsets:
        if budget.cancelled:
            return None
        if budget.expired:
            break
        for dy in offsets:
            t = np.array([xy[0] + dx, xy[1] + dy, dzs[k]])
            mi, ov = samples.evaluate(_shift(t))
            if mi > score and ov >= min(min_overlap, inside):
                best, score, inside = t, mi, ov
    scored = np.isfinite(scores)
    return SearchResult(best, score, inside, float(np.median(scores[scored])), int(scored.sum()) + len(offsets) ** 2)
