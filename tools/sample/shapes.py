"""Ellipsoids with exact diameters, rendered by volume fraction, and a lesion texture.

An ellipsoid has semi-axes (a >= b) in the axial plane, rotated in-plane by ``rotation_deg``
(the a-axis from +x towards +y), and ``c`` along z. Its axial section at height z is an ellipse
with semi-axes ``a s`` and ``b s``, ``s = sqrt(1 - ((z - cz) / c)^2)``: the true longest axial
diameter there is ``2 a s`` and the short axis (perpendicular to it) ``2 b s``.

Partial volume: a sample point stands for a box (the pixel's width and height, the sub-slab's
thickness). The fraction of that box inside the ellipsoid is taken from the signed distance ``d``
of its centre to the surface and the surface normal ``n``: ``clip(1/2 - d / w, 0, 1)`` with
``w = |n_x| s_x + |n_y| s_y + |n_z| s_z``, which is exact for a plane surface crossing a box
along one axis and first-order right elsewhere. The signed distance is the first-order
``(r - 1) / |grad r|`` of the normalised radius ``r``, exact along the axes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Ellipsoid:
    centre_mm: tuple[float, float, float]
    semi_axes_mm: tuple[float, float, float]  # (a, b, c): a >= b in-plane, c along z
    rotation_deg: float

    def __post_init__(self) -> None:
        a, b, c = self.semi_axes_mm
        if not (a >= b > 0 and c > 0):
            raise ValueError(f"semi-axes must satisfy a >= b > 0 and c > 0, got {self.semi_axes_mm}")

    # -- geometry -------------------------------------------------------------------------------

    def scaled(self, k: float) -> Ellipsoid:
        return replace(self, semi_axes_mm=tuple(round(v * k, 4) for v in self.semi_axes_mm))

    def moved(self, shift_mm: tuple[float, float, float]) -> Ellipsoid:
        return replace(self, centre_mm=tuple(float(c + s) for c, s in zip(self.centre_mm, shift_mm)))

    def bbox(self, margin_mm: float) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """A box that holds the ellipsoid grown by ``margin_mm``."""
        a, _, c = self.semi_axes_mm
        cx, cy, cz = self.centre_mm
        r, h = a + margin_mm, c + margin_mm
        return (cx - r, cy - r, cz - h), (cx + r, cy + r, cz + h)

    def _section_scale(self, z: float) -> float:
        dz = (z - self.centre_mm[2]) / self.semi_axes_mm[2]
        return 0.0 if abs(dz) >= 1.0 else math.sqrt(1.0 - dz * dz)

    def axial_diameter_at_mm(self, z: float) -> float:
        """Longest diameter of the section by the axial plane at ``z``."""
        return 2.0 * self.semi_axes_mm[0] * self._section_scale(z)

    def short_axis_at_mm(self, z: float) -> float:
        """Diameter of that section perpendicular to its longest diameter."""
        return 2.0 * self.semi_axes_mm[1] * self._section_scale(z)

    def local(self, x, y, z) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Coordinates along the ellipsoid's own axes (a, b, c), mm from its centre."""
        th = math.radians(self.rotation_deg)
        dx, dy, dz = x - self.centre_mm[0], y - self.centre_mm[1], z - self.centre_mm[2]
        return dx * math.cos(th) + dy * math.sin(th), -dx * math.sin(th) + dy * math.cos(th), dz

    def field(self, x, y, z) -> SurfaceField:
        """Normalised radius, distance scale and normal directions at points (see module doc)."""
        a, b, c = self.semi_axes_mm
        u, v, w = self.local(x, y, z)
        r = np.sqrt((u / a) ** 2 + (v / b) ** 2 + (w / c) ** 2)
        gu, gv, gw = u / (a * a), v / (b * b), w / (c * c)
        g = np.sqrt(gu * gu + gv * gv + gw * gw)
        safe = g > 1e-12
        gs = np.where(safe, g, 1.0)
        th = math.radians(self.rotation_deg)
        return SurfaceField(
            r=r, r_over_grad=np.where(safe, r / gs, min(a, b, c)),
            nx=np.abs(gu * math.cos(th) - gv * math.sin(th)) / gs,
            ny=np.abs(gu * math.sin(th) + gv * math.cos(th)) / gs, nz=np.abs(gw) / gs)

    def surface_points(self, n: int = 64, grow_mm: float = 0.0, *, equator: bool = False) -> np.ndarray:
        """Points on the surface pushed ``grow_mm`` along the normal (negative: inwards), shape
        (n, 3); with ``equator`` only on the axial section through the centre."""
        k = np.arange(n) + 0.5
        phi = np.full(n, math.pi / 2) if equator else np.arccos(1 - 2 * k / n)
        theta = 2 * math.pi * k / n if equator else math.pi * (1 + 5 ** 0.5) * k
        a, b, c = self.semi_axes_mm
        u, v, w = a * np.cos(theta) * np.sin(phi), b * np.sin(theta) * np.sin(phi), c * np.cos(phi)
        nu, nv, nw = u / (a * a), v / (b * b), w / (c * c)
        norm = np.sqrt(nu * nu + nv * nv + nw * nw)
        u, v, w = u + grow_mm * nu / norm, v + grow_mm * nv / norm, w + grow_mm * nw / norm
        th = math.radians(self.rotation_deg)
        pts = np.stack([u * math.cos(th) - v * math.sin(th), u * math.sin(th) + v * math.cos(th), w], 1)
        return pts + np.asarray(self.centre_mm)


@dataclass(frozen=True)
class SurfaceField:
    """An ellipsoid seen from sample points: normalised radius ``r`` (1 on the surface),
    ``r / |grad r|`` and the absolute components of the unit normal."""

    r: np.ndarray
    r_over_grad: np.ndarray
    nx: np.ndarray
    ny: np.ndarray
    nz: np.ndarray

    def distance(self, k: float = 1.0) -> np.ndarray:
        """Signed distance (mm, negative inside) to the surface of the ellipsoid scaled by ``k``."""
        return (self.r - k) * self.r_over_grad

    def fraction(self, d: np.ndarray, sample_mm: tuple[float, float, float]) -> np.ndarray:
        """Fraction of each sample box on the negative side of the level set at distance ``d``."""
        width = np.maximum(self.nx * sample_mm[0] + self.ny * sample_mm[1] + self.nz * sample_mm[2], 1e-3)
        return np.clip(0.5 - d / width, 0.0, 1.0)


@dataclass(frozen=True)
class Texture:
    """A smooth, zero-mean, unit-variance random field: a sum of plane waves (seeded, analytic,
    so every grid of every exam samples the same pattern)."""

    seed: int
    n_waves: int = 12
    wavelength_mm: tuple[float, float] = (4.0, 11.0)

    def __call__(self, dx, dy, dz) -> np.ndarray:
        rng = np.random.default_rng([self.seed, 77])
        out = np.zeros(np.broadcast(dx, dy, dz).shape)
        for _ in range(self.n_waves):
            direction = rng.standard_normal(3)
            direction /= np.linalg.norm(direction)
            k = 2 * math.pi / rng.uniform(*self.wavelength_mm) * direction
            out = out + np.cos(k[0] * dx + k[1] * dy + k[2] * dz + rng.uniform(0, 2 * math.pi))
        return out / math.sqrt(self.n_waves / 2.0)
