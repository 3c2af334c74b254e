"""Where the phantom is evaluated: an axial plane grid or a set of scattered points.

The anatomy paints tissue labels primitive by primitive; each primitive only touches the part
of the canvas inside its bounding box (:meth:`Canvas.window`), so a 512 x 512 plane costs what
the structures on it cost, not (number of structures x plane). A canvas can be moved
(:meth:`Canvas.moved`): the liver with its vessels is evaluated in its own coordinates, which
breathing displaces against the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Window:
    """The canvas points inside a bounding box: their coordinates and where they are stored."""

    x: np.ndarray
    y: np.ndarray
    z: Any  # a float on a plane grid, an array for points
    sel: Any  # index into an array of the canvas's shape


class Canvas:
    """Abstract canvas: ``shape`` of the label array and ``window(lo, hi)``."""

    shape: tuple[int, ...]

    def window(self, lo: tuple[float, float, float] | None = None,
               hi: tuple[float, float, float] | None = None) -> Window | None:
        raise NotImplementedError

    def moved(self, shift_mm: tuple[float, float, float], scale: float = 1.0) -> Canvas:
        """The same points in a frame displaced by ``shift_mm`` and shrunk by ``scale``:
        ``(point - shift) / scale``."""
        raise NotImplementedError


class PlaneCanvas(Canvas):
    """Pixel centres of an axial plane: columns at ``xs``, rows at ``ys`` (ascending), at ``z``."""

    def __init__(self, xs: np.ndarray, ys: np.ndarray, z: float) -> None:
        self.xs, self.ys, self.z = np.asarray(xs, float), np.asarray(ys, float), float(z)
        self.shape = (len(self.ys), len(self.xs))

    def window(self, lo=None, hi=None) -> Window | None:
        if lo is None or hi is None:
            return Window(self.xs[None, :], self.ys[:, None], self.z, (slice(None), slice(None)))
        if not lo[2] <= self.z <= hi[2]:
            return None
        j0, j1 = np.searchsorted(self.xs, lo[0], "left"), np.searchsorted(self.xs, hi[0], "right")
        i0, i1 = np.searchsorted(self.ys, lo[1], "left"), np.searchsorted(self.ys, hi[1], "right")
        if j0 >= j1 or i0 >= i1:
            return None
        return Window(self.xs[None, j0:j1], self.ys[i0:i1, None], self.z, (slice(i0, i1), slice(j0, j1)))

    def moved(self, shift_mm, scale: float = 1.0) -> PlaneCanvas:
        return PlaneCanvas((self.xs - shift_mm[0]) / scale, (self.ys - shift_mm[1]) / scale,
                           (self.z - shift_mm[2]) / scale)


class PointCanvas(Canvas):
    """Scattered points (arrays of one shape, flattened)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:
        x, y, z = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float), np.asarray(z, float))
        self.x, self.y, self.z = x.ravel(), y.ravel(), z.ravel()
        self.shape = (self.x.size,)

    def window(self, lo=None, hi=None) -> Window | None:
        if lo is None or hi is None:
            return Window(self.x, self.y, self.z, slice(None))
        inside = ((self.x >= lo[0]) & (self.x <= hi[0]) & (self.y >= lo[1]) & (self.y <= hi[1])
                  & (self.z >= lo[2]) & (self.z <= hi[2]))
        idx = np.flatnonzero(inside)
        if idx.size == 0:
            return None
        return Window(self.x[idx], self.y[idx], self.z[idx], idx)

    def moved(self, shift_mm, scale: float = 1.0) -> PointCanvas:
        return PointCanvas((self.x - shift_mm[0]) / scale, (self.y - shift_mm[1]) / scale,
                           (self.z - shift_mm[2]) / scale)
