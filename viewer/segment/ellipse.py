"""A robust ellipse through a lesion's edge points (pure numpy, in mm).

Why an ellipse: the longest chord of a measured outline is the maximum over its points, so every
bump that noise or texture puts on the edge lengthens it (on CT, +1 to +1.5 mm on lesions of
15-20 mm). A conic fitted to all the edge points averages that noise away instead, and its
major axis is exact for the elliptical sections liver metastases mostly have. Edge points the
ellipse does not explain (a vessel or the capsule the boundary ran into, a vessel cutting in)
are outliers: the fit is repeated on the points within a robust band of it.

The fit is the direct least-squares ellipse of Fitzgibbon, Pilu & Fisher (1999) in the
numerically stable form of Halíř & Flusser (1998); it always returns an ellipse (never a
hyperbola) when one exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ellipse:
    """Centre (x, y), semi-axes a >= b and the angle of the a-axis from +x (radians), in mm."""

    cx: float
    cy: float
    a: float
    b: float
    angle: float

    def own_axes(self, x: float, y: float) -> tuple[float, float]:
        """The point (x, y) in the ellipse's own axes: along a from its centre, then along b."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        return (x - self.cx) * c + (y - self.cy) * s, -(x - self.cx) * s + (y - self.cy) * c

    def normalised_radius(self, x: float, y: float) -> float:
        """How far (x, y) lies from the centre in units of the ellipse's radius that way (1 on its edge)."""
        u, v = self.own_axes(x, y)
        return float(math.hypot(u / self.a, v / self.b))

    def radius_along(self, ox: float, oy: float, phi: np.ndarray) -> np.ndarray:
        """Distance from (ox, oy), inside the ellipse, to its edge along directions ``phi``."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        ux, uy = np.cos(phi), np.sin(phi)
        # the ray o + t u in the ellipse's own axes: p = p0 + t d
        p0 = self.own_axes(ox, oy)
        dx, dy = ux * c + uy * s, -ux * s + uy * c
        qa = (dx / self.a) ** 2 + (dy / self.b) ** 2
        qb = 2 * (p0[0] * dx / self.a ** 2 + p0[1] * dy / self.b ** 2)
        qc = (p0[0] / self.a) ** 2 + (p0[1] / self.b) ** 2 - 1.0
        disc = np.maximum(qb * qb - 4 * qa * qc, 0.0)
        t: np.ndarray = (-qb + np.sqrt(disc)) / (2 * qa)
        return t

    def points(self, n: int = 360) -> np.ndarray:
        """``n`` points (x, y) on the ellipse."""
        t = 2 * math.pi * np.arange(n) / n
        c, s = math.cos(self.angle), math.sin(self.angle)
        x, y = self.a * np.cos(t), self.b * np.sin(t)
        return np.stack([self.cx + x * c - y * s, self.cy + x * s + y * c], axis=1)


def fit(x: np.ndarray, y: np.ndarray) -> Ellipse | None:
    """The direct least-squares ellipse through points, or None when they hold none."""
    if len(x) < 6:
        return None
    mx, my = float(np.mean(x)), float(np.mean(y))
    scale = float(np.sqrt(np.mean((x - mx) ** 2 + (y - my) ** 2))) or 1.0  # conditioning
    conics, good = _conics(((x - mx) / scale)[None, :], ((y - my) / scale)[None, :])
    if not good[0]:
        return None
    A, B, C, D, E, F = (float(v) for v in conics[0])
    return _geometric(A, B, C, D, E, F, mx, my, scale)


def _geometric(A: float, B: float, C: float, D: float, E: float, F: float, mx: float, my: float,
               scale: float) -> Ellipse | None:
    """Centre, semi-axes and angle of the conic A x² + B xy + C y² + D x + E y + F = 0 (in the
    conditioned frame), back in the points' frame."""
    den = B * B - 4 * A * C
    if den >= 0:
        return None
    x0 = (2 * C * D - B * E) / den
    y0 = (2 * A * E - B * D) / den
    # the value of the conic at the centre, and the quadratic form's eigenvalues
    f0 = A * x0 * x0 + B * x0 * y0 + C * y0 * y0 + D * x0 + E * y0 + F
    q = np.array([[A, B / 2.0], [B / 2.0, C]])
    lam, vec = np.linalg.eigh(q)
    if f0 == 0 or not np.all(lam * -f0 > 0):
        return None
    axes = np.sqrt(-f0 / lam)  # semi-axis along each eigenvector
    i = int(np.argmax(axes))
    a, b = float(axes[i]) * scale, float(axes[1 - i]) * scale
    angle = math.atan2(float(vec[1, i]), float(vec[0, i]))
    if not all(math.isfinite(v) for v in (a, b, angle)):
        return None
    return Ellipse(mx + x0 * scale, my + y0 * scale, a, b, angle)


@dataclass(frozen=True)
class RobustFit:
    ellipse: Ellipse
    inliers: np.ndarray  # bool per ray
    scale_mm: float  # robust SD of the inliers' residuals
    radius: np.ndarray  # each ray's edge the fit used (NaN: none near it)


def _conics(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Direct least-squares ellipses through many point sets at once: x, y (T, m) -> the conics'
    coefficients (T, 6) = A, B, C, D, E, F, and whether each is an ellipse (T,)."""
    d1 = np.stack([x * x, x * y, y * y], axis=2)
    d2 = np.stack([x, y, np.ones_like(x)], axis=2)
    s1, s2, s3 = d1.transpose(0, 2, 1) @ d1, d1.transpose(0, 2, 1) @ d2, d2.transpose(0, 2, 1) @ d2
    good = np.abs(np.linalg.det(s3)) > 1e-12
    s3 = np.where(good[:, None, None], s3, np.eye(3))
    t = -np.linalg.solve(s3, s2.transpose(0, 2, 1))
    m = s1 + s2 @ t
    m = np.stack([m[:, 2] / 2.0, -m[:, 1], m[:, 0] / 2.0], axis=1)
    _, v = np.linalg.eig(m)
    v = np.real(v)
    cond = 4 * v[:, 0, :] * v[:, 2, :] - v[:, 1, :] ** 2  # (T, 3): one per eigenvector
    k = np.argmax(cond > 0, axis=1)
    good &= (cond > 0).any(axis=1)
    a1 = v[np.arange(len(k)), :, k]  # (T, 3)
    rest = np.einsum("tij,tj->ti", t, a1)
    return np.concatenate([a1, rest], axis=1), good


def _radii(conics: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """(T, n): the distance from the origin to each conic along ``phi`` (NaN when it has none)."""
    A, B, C, D, E, F = (conics[:, i:i + 1] for i in range(6))
    ux, uy = np.cos(phi)[None, :], np.sin(phi)[None, :]
    qa = A * ux * ux + B * ux * uy + C * uy * uy
    qb = D * ux + E * uy
    disc = qb * qb - 4 * qa * F
    with np.errstate(invalid="ignore", divide="ignore"):
        r1 = (-qb + np.sqrt(disc)) / (2 * qa)
        r2 = (-qb - np.sqrt(disc)) / (2 * qa)
    out: np.ndarray = np.fmax(r1, r2)
    return out


def _consensus(candidates: np.ndarray, phi: np.ndarray, band_mm: float,
               tries: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The rays of the largest consensus (RANSAC, seeded so the same image gives the same answer):
    ellipses through six rays spread round the circle (one candidate edge of each), the one that
    most rays have a candidate within ``band_mm`` of; returns each ray's candidate nearest it
    (NaN: it has none) and whether it is within the band. A vessel or the capsule the boundary ran into lengthens a
    sector of rays; least squares would bend towards it, a consensus does not."""
    n, m = candidates.shape
    have = np.isfinite(candidates) & (candidates > 0)
    rays = np.flatnonzero(have.any(axis=1))
    if rays.size < 6:
        return None
    rng = np.random.default_rng(0)
    # six rays with an edge, at random (a vessel takes a whole sector: one ray from each sixth of
    # the circle would nearly always hold one of its rays)
    pick = rays[np.argsort(rng.random((tries, rays.size)), axis=1)[:, :6]]
    # one of each picked ray's candidates, at random among those it has
    count = have.sum(axis=1)
    which = (rng.random(pick.shape) * count[pick]).astype(int)
    r_pick = candidates[pick, which]
    scale = float(np.nanmax(candidates))
    x, y = r_pick * np.cos(phi[pick]) / scale, r_pick * np.sin(phi[pick]) / scale
    conics, good = _conics(x, y)
    r = _radii(conics, phi) * scale  # (T, n)
    res = np.abs(candidates[None, :, :] - r[:, :, None])  # (T, n, m)
    res = np.where(np.isfinite(res), res, np.inf).min(axis=2)
    agree = (res <= band_mm) & good[:, None]
    best = int(np.argmax(agree.sum(axis=1)))
    if agree[best].sum() < 6:
        return None
    idx = np.argmin(np.where(have, np.abs(candidates - r[best][:, None]), np.inf), axis=1)
    chosen: np.ndarray = np.where(have.any(axis=1), candidates[np.arange(n), idx], np.nan)
    return chosen, agree[best]


def _irls(radius: np.ndarray, phi: np.ndarray, use: np.ndarray, floor_mm: float, k: float,
          rounds: int) -> RobustFit | None:
    x, y = radius * np.cos(phi), radius * np.sin(phi)
    use = use & np.isfinite(radius)
    e: Ellipse | None = None
    for _ in range(rounds):
        e = fit(x[use], y[use])
        if e is None:
            return None
        res = radius - e.radius_along(0.0, 0.0, phi)
        s = 1.4826 * float(np.median(np.abs(res[use] - np.median(res[use]))))
        new = np.isfinite(res) & (np.abs(res) <= max(k * s, floor_mm))
        if new.sum() < 6 or np.array_equal(new, use):
            break
        use = new
    else:  # the last round changed the rays: the ellipse through them
        e = fit(x[use], y[use]) or e
    if e is None:
        return None
    res = radius - e.radius_along(0.0, 0.0, phi)
    s = 1.4826 * float(np.median(np.abs(res[use] - np.median(res[use]))))
    return RobustFit(e, use, s, radius)


def robust_fit(candidates: np.ndarray, phi: np.ndarray, floor_mm: float, k: float = 2.5,
               rounds: int = 6, tries: int = 200) -> RobustFit | None:
    """The ellipse through the rays' candidate edges ``candidates`` (n_rays, m; mm from the
    origin along ``phi``, NaN-padded): the largest consensus within ``floor_mm``, then refitted
    on the rays within ``k`` robust SDs (never less than ``floor_mm``) of the previous fit."""
    found = _consensus(candidates[:, None] if candidates.ndim == 1 else candidates, phi, floor_mm, tries)
    if found is None:
        return None
    return _irls(found[0], phi, found[1], floor_mm, k, rounds)

