"""Round a boundary found on a slice: what lies just beyond its edge, and how the disc of its diameter
stands out from the liver.

:func:`with_beyond` gives a :class:`viewer.segment.slice2d.SliceOutline` its ``beyond`` levels (1.5-3
and 3-6 mm out, as fractions of the lesion's contrast), which the shell, rim and one-slice-part
refusals read; :func:`stands_out_sd` is the disc's mean contrast in SDs of the denoised liver, which
the faint-as-a-whole refusal reads (``few_slices_sd``).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from viewer.segment.levels import Levels, Window
from viewer.segment.records import SuggestParams
from viewer.segment.slice2d import SliceOutline, along_rays


def _rays(o: SliceOutline, spacing: tuple[float, float], p: SuggestParams) -> tuple[np.ndarray, np.ndarray]:
    """The rays' directions and the boundary's radius along each (mm from its centre): on the ellipse when it is one,
    else the rays' own outline (one point per ray, in order)."""
    phi = 2 * math.pi * np.arange(p.n_rays) / p.n_rays
    if o.ellipse is not None:
        return phi, o.ellipse.radius_along(0.0, 0.0, phi)
    d = (o.points[:p.n_rays] - np.asarray(o.centre)) * np.asarray(spacing)
    return phi, np.hypot(d[:, 0], d[:, 1])


def _outward(o: SliceOutline, image: np.ndarray, spacing: tuple[float, float],
             p: SuggestParams) -> tuple[Window, np.ndarray, np.ndarray, float] | None:
    """The window round a boundary, its rays (:func:`_rays`) and the lesion's contrast against the liver mode (lesion side
    up), or None when that contrast is not on the lesion's side: what :func:`raw_shell` and :func:`against_fat` read."""
    contrast = o.levels.sign * (o.levels.lesion - o.levels.mode)
    if contrast <= 0:
        return None
    phi, radius = _rays(o, spacing, p)
    return Window(image, o.centre, spacing, p), phi, radius, contrast


def with_beyond(o: SliceOutline, image: np.ndarray, spacing: tuple[float, float], p: SuggestParams) -> SliceOutline:
    """The outline with :attr:`SliceOutline.beyond` measured on ``image`` (its slice) from its
    boundary as it stands (after :meth:`SliceOutline.calibrated`: the unsmoothed image's edge, so
    that the bands beyond it start past the edge's blur)."""
    win = Window(image, o.centre, spacing, p)
    phi, radius = _rays(o, spacing, p)
    return replace(o, beyond=_beyond(win.sm, win.local(o.centre), phi, radius, o.levels, spacing))



def raw_shell(o: SliceOutline, image: np.ndarray, spacing: tuple[float, float], p: SuggestParams,
              band_mm: tuple[float, float] = (0.5, 2.5), out_mm: float = 10.0) -> float:
    """How far the unsmoothed image just beyond a boundary (``band_mm`` out from it, after
    :meth:`SliceOutline.calibrated`) stands from the liver mode, as a fraction of the lesion's contrast
    (lesion side up): at each distance the median over the rays that stay in the liver (as
    :func:`_beyond` keeps them, on the denoised image over ``out_mm``), then the mean over the band; 0
    when fewer than half the rays stay in the liver. Read on the unsmoothed image, a homogeneous
    lesion's edge is as sharp as the series' own blur (T1: 0.7 mm), so little of it reaches 0.5-2.5 mm
    out, while a rim fainter than the interior found (under the half-maximum of the interior's edge)
    fills that band (``SuggestParams.raw_shell``)."""
    lv = o.levels
    rays = _outward(o, image, spacing, p)
    if rays is None:
        return 0.0
    win, phi, radius, contrast = rays
    s = np.arange(0.0, out_mm + 1e-9, 0.25)
    t = np.nan_to_num(radius)[:, None] + s[None, :]
    origin = win.local(o.centre)
    smooth, inside = along_rays(win.sm, origin, phi, t, spacing)
    u_sm = lv.sign * (smooth - lv.mode) / contrast
    liver = np.isfinite(radius) & inside.all(axis=1) & ((u_sm < 2.0) & (u_sm > -1.0)).all(axis=1)
    if liver.mean() < 0.5:
        return 0.0
    band = (s >= band_mm[0]) & (s <= band_mm[1])
    raw = along_rays(win.raw, origin, phi[liver], t[liver][:, band], spacing)[0]
    return float(np.mean(np.median(lv.sign * (raw - lv.mode) / contrast, axis=0)))


def against_fat(o: SliceOutline, image: np.ndarray, spacing: tuple[float, float], p: SuggestParams) -> float:
    """The share of the rays that meet, within ``capsule_mm`` beyond a boundary (after
    :meth:`SliceOutline.calibrated`), something farther from the liver mode than twice the lesion's contrast on the
    lesion's side, on the denoised image (fat beyond the capsule round a hypo-intense lesion; what :func:`_beyond`
    leaves out as "not liver" on that side). A ray without an edge counts as not meeting it. 0 when the lesion's
    contrast is not on its side (``SuggestParams.capsule_rays``)."""
    lv = o.levels
    rays = _outward(o, image, spacing, p)
    if rays is None:
        return 0.0
    win, phi, radius, contrast = rays
    s = np.arange(0.0, p.capsule_mm + 1e-9, 0.25)
    values = along_rays(win.sm, win.local(o.centre), phi, np.nan_to_num(radius)[:, None] + s[None, :], spacing)[0]
    meets = np.isfinite(radius) & (lv.sign * (values - lv.mode) / contrast >= 2.0).any(axis=1)
    return float(meets.mean())


def stands_out_sd(image: np.ndarray, centre: tuple[float, float], radius_mm: float, levels: Levels,
                  spacing: tuple[float, float], p: SuggestParams) -> float:
    """How far the unsmoothed image in the disc of ``radius_mm`` round ``centre`` (row, col) stands out
    from the liver level on average, lesion side up, in SDs of the denoised liver (:attr:`Levels.liver_sd`,
    0.6-0.8 of the raw noise's SD). On the disc of a diameter measured, a round lesion that long holds
    its contrast over most of it; an outline the noise lengthened round a faint tip or a lesion smaller
    than the series' blur holds mostly liver there. The mean grows with the lesion's contrast: a bright
    lesion smaller than the blur stands out over a disc of mostly liver too, so this refuses, it never
    tells a small lesion's size (v9 measured; see viewer/README.md, step 12)."""
    win = Window(image, centre, spacing, p)
    values = win.raw[win.disc(win.local(centre), radius_mm)]
    return float(levels.sign * (values.mean() - levels.liver) / levels.liver_sd)



def _beyond(sm: np.ndarray, origin: tuple[float, float], phi: np.ndarray, radius: np.ndarray, levels: Levels,
            spacing: tuple[float, float], out_mm: float = 10.0) -> tuple[float, float]:
    """What lies just beyond a boundary, as fractions of the lesion's contrast against the liver
    mode (0: liver; towards 1: the lesion's level), 1.5-3 mm and 3-6 mm out (past a half-maximum
    edge's blur): the median over rays of each ray's mean level there. Rays that meet, within
    ``out_mm``, something beyond twice the lesion's contrast or beyond the liver on its other
    side by the contrast (fat beyond the capsule, a vessel brighter than a hypo-intense lesion),
    or that leave the window, are not liver there and left out; fewer than half left: (0, 0)
    (nothing to say)."""
    contrast = levels.sign * (levels.lesion - levels.mode)
    if contrast <= 0:
        return 0.0, 0.0
    d = np.arange(0.0, out_mm + 1e-9, 0.5)
    # a ray without an edge (NaN) is sampled from the centre and left out below
    values, inside = along_rays(sm, origin, phi, np.nan_to_num(radius)[:, None] + d[None, :], spacing)
    u = levels.sign * (values - levels.mode) / contrast
    liver = (np.isfinite(radius) & inside.all(axis=1) & ((u < 2.0) & (u > -1.0)).all(axis=1))
    if liver.mean() < 0.5:
        return 0.0, 0.0
    near, far = ((d >= lo) & (d <= hi) for lo, hi in ((1.5, 3.0), (3.0, 6.0)))
    return float(np.median(u[liver][:, near].mean(axis=1))), float(np.median(u[liver][:, far].mean(axis=1)))
