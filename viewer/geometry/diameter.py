"""The longest axial diameter of a region on one slice: lesionlab's one convention.

A region is given as a 2D map on the slice's pixel grid: a binary mask (True / 1 inside) or a
membership map in [0, 1] (the fraction of each pixel that belongs to the region). Its
**boundary** is the map's iso-contour at ``level`` (0.5) with the outside taken as 0 (the map is
zero-padded), found as marching squares finds it: on every edge between 4-adjacent pixels
whose values straddle the level, the point where the straight line between the two pixel
centres crosses it. For a binary mask that point is the midpoint of the two pixel centres, i.e.
the middle of the pixel edge between an inside and an outside pixel. The **diameter** is the
longest distance between two boundary points, in mm through the row and column spacing (pixels
need not be square), found on the convex hull of the points (the longest chord of a polygon
joins two hull vertices).

Pixel coordinates follow :mod:`viewer.geometry`: continuous (row, col), (0, 0) the centre of
the top-left pixel. The manual tool's line length is :meth:`StackGeometry.distance_mm` of its
two endpoints, which is the same distance; a suggested line is drawn between the two boundary
points returned here, so a suggestion and a hand-drawn line are measured the same way.

Why it matters: libraries disagree by up to 1.5 pixels on the "diameter" of a disc (pixel
centres, pixel corners, Feret of the pixel squares, moments), which on a 2.5 mm DWI pixel is
more than the study's DWI - T2FS effect. ``tests/viewer/test_diameter.py`` pins the convention
down on discs, ellipses and rectangles with exact expected values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError

#: Above this many boundary points the farthest pair is searched on the convex hull only.
_BRUTE_FORCE_POINTS = 64


@dataclass(frozen=True)
class RegionDiameter:
    """The longest distance between two boundary points of a region, and those points (row, col)."""

    diameter_mm: float
    p1: tuple[float, float]
    p2: tuple[float, float]

    def __post_init__(self) -> None:
        if not (math.isfinite(self.diameter_mm) and self.diameter_mm >= 0.0):
            raise ValueError(f"diameter_mm must be a finite length >= 0, got {self.diameter_mm}")
        for name, p in (("p1", self.p1), ("p2", self.p2)):
            if len(p) != 2 or not all(math.isfinite(v) for v in p):
                raise ValueError(f"{name} must be a finite (row, col), got {p}")


def boundary_points(region: np.ndarray, level: float = 0.5) -> np.ndarray:
    """The boundary points (n, 2) as (row, col): the ``level`` crossings on the edges between
    4-adjacent pixel centres of the zero-padded map (see the module's convention)."""
    a = np.asarray(region, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"a region is a 2D map, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("a region map must be finite")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    p = np.pad(a, 1)  # padded index (i, j) is pixel (i - 1, j - 1)
    parts = []
    for axis in (0, 1):
        lo = p[:-1, :] if axis == 0 else p[:, :-1]
        hi = p[1:, :] if axis == 0 else p[:, 1:]
        cross = (lo >= level) != (hi >= level)
        i, j = np.nonzero(cross)
        v0, v1 = lo[i, j], hi[i, j]
        t = (level - v0) / (v1 - v0)  # v0 != v1 where they straddle the level
        rows = i - 1.0 + (t if axis == 0 else 0.0)
        cols = j - 1.0 + (t if axis == 1 else 0.0)
        parts.append(np.stack([rows, cols], axis=1))
    return np.concatenate(parts)


def farthest_pair_mm(points_rc: np.ndarray, row_spacing_mm: float,
                     column_spacing_mm: float) -> tuple[float, int, int]:
    """(distance in mm, index, index) of the two points (row, col) farthest apart in mm."""
    if not (row_spacing_mm > 0 and column_spacing_mm > 0):
        raise ValueError(f"spacings must be > 0, got {row_spacing_mm}, {column_spacing_mm}")
    pts = np.asarray(points_rc, dtype=np.float64).reshape(-1, 2)
    if len(pts) == 0:
        raise ValueError("no points")
    mm = pts * np.array([row_spacing_mm, column_spacing_mm])
    candidates = np.arange(len(mm))
    if len(mm) > _BRUTE_FORCE_POINTS:
        try:
            candidates = ConvexHull(mm).vertices
        except QhullError:  # all points on one line: every point is a candidate
            pass
    c = mm[candidates]
    d2 = ((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
    a, b = np.unravel_index(int(np.argmax(d2)), d2.shape)
    return math.sqrt(float(d2[a, b])), int(candidates[a]), int(candidates[b])


def region_diameter(region: np.ndarray, row_spacing_mm: float, column_spacing_mm: float,
                    level: float = 0.5) -> RegionDiameter | None:
    """The region's longest diameter under the convention above, or None for an empty region."""
    pts = boundary_points(region, level)
    if len(pts) == 0:
        return None
    d, i, j = farthest_pair_mm(pts, row_spacing_mm, column_spacing_mm)
    p1, p2 = (float(pts[i, 0]), float(pts[i, 1])), (float(pts[j, 0]), float(pts[j, 1]))
    if p2 < p1:  # a stable order: the upper (then left) end first
        p1, p2 = p2, p1
    return RegionDiameter(d, p1, p2)
