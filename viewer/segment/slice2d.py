"""One slice, steps 5 and 6: the lesion's boundary at half-maximum round the region of steps 1-4
(:mod:`viewer.segment.levels`), and its ellipse.

Steps 1-4 (the liver's level and noise, the intensity at the click, region growing, the
half-maximum at the edge) are :mod:`viewer.segment.levels`'s; the window is the same
(:class:`viewer.segment.levels.Window`).

5. Rays from the region's centre (the point deepest inside): every place a ray leaves the region
   is a candidate edge (the threshold's crossing there, sub-pixel), then moved to the ray's own
   half-maximum (half-way between its levels just inside and just outside: a lesion's texture
   changes its contrast from side to side, one threshold would move the edge with it).
6. The boundary is the ellipse most rays agree with (a seeded consensus, then least squares on
   the rays within 2.5 robust SDs of it): a vessel or the capsule the region ran into lengthens
   a sector of rays, which the consensus leaves out (too many such rays: refused), and the
   longest chord of an ellipse fitted to all the rays does not grow with the edge's noise as the
   longest chord of the rays themselves does (+1 to +1.5 mm on CT). Its axes are corrected for
   the inward shift the smoothing gives a curved edge (sigma^2 x curvature / 2 at each end), so
   the boundary is the unsmoothed image's. A section the ellipse does not fit (residuals beyond
   ``ellipse_tolerance`` of its short semi-axis) keeps the rays' own outline (first harmonics).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage as ndi
from skimage.segmentation import watershed

from viewer.segment.ellipse import Ellipse, fit, robust_fit
from viewer.segment.levels import (LESION_ENDS, Levels, Window, bounding_box, fill_holes, grow, median_or_none,
                                   smoothing_px, touches_window, leak_reason)
from viewer.segment.records import SuggestParams


#: How the refusal begins when the liver round the boundary found is a fainter shell of lesion.
FAINTER_SHELL = "the lesion seems to go on beyond the edge found, fainter"
#: parts of refusals the workstation words for the reader (app.refusal_words)
MERGES_VESSEL = "it merges with a vessel"
OPEN_EDGE = "vessel, capsule or a neighbouring lesion"
#: How the reason begins when an outline leaks on more of its rays than the series allows (``max_leak_fraction``).
LEAKS_ON = "the boundary leaks on"
RUNS_INTO = "a vessel or the liver's edge runs into it"
#: How the refusal begins when a rim of the other contrast surrounds what was found.
OPPOSITE_RIM = "the lesion may be larger than the core found"


@dataclass(frozen=True)
class SliceOutline:
    """The boundary found on one slice: points (row, col) of the whole image, and its quality."""

    points: np.ndarray  # (n_rays, 2)
    levels: Levels
    leaked_fraction: float
    centre: tuple[float, float]
    ellipse: Ellipse | None = None  # the boundary when it is one: mm from ``centre`` (x along columns)
    #: the levels 1.5-3 mm and 3-6 mm beyond the boundary, fractions of the contrast (:func:`viewer.segment.around.with_beyond`)
    beyond: tuple[float, float] = (0.0, 0.0)
    #: how far the section's inner half stands out from the liver mode (lesion side up): how much
    #: of the lesion the slice holds (partial volume through the slice lowers it)
    fullness: float = float("nan")
    #: the share of all the rays that are off the ellipse with their edge inside it (a waist: the ellipse
    #: spans two structures joined, the edge cutting in between them; a vessel leaving the lesion has its
    #: rays off running out beyond it); at most ``leaked_fraction``
    leaked_inward: float = 0.0
    #: the region's own axis ratio: the square root of its second moments' eigenvalues, the smaller over the larger (a
    #: filled ellipse's is its axis ratio); the region is the pixels past one threshold, a level set of the image
    region_ratio: float | None = None

    def fainter_shell(self, p: SuggestParams) -> str:
        """Why the liver beyond the boundary is not liver but a fainter rim or shell of lesion round
        it (a rim lesion's interior, a necrotic core found inside its shell), or ""."""
        to_sd = abs(self.levels.lesion - self.levels.mode) / self.levels.liver_sd
        for (near, far), level, limit in (((1.5, 3.0), self.beyond[0], p.rim_beyond),
                                          ((3.0, 6.0), self.beyond[1], p.shell_beyond)):
            if level >= limit and level * to_sd >= p.shell_beyond_sd:
                return (f"{level:.0%} of the lesion's contrast {near:g}-{far:g} mm beyond the edge found "
                        f"({level * to_sd:.1f} SD of the liver)")
        return ""

    def opposite_rim(self, p: SuggestParams) -> str:
        """Why what lies just outside the edge found is not liver but a rim of the other contrast
        round it (an enhancing rim round a necrotic core: the core was found, the lesion is the
        core and its rim), or "": the level just outside the edge (:attr:`Levels.liver`) lies beyond
        the liver mode, on the side opposite the lesion's, by ``opposite_rim_sd`` SDs or more.
        Just outside a lesion's edge lies liver, or the lesion's own blur on its side of it."""
        lv = self.levels
        beyond = -lv.sign * (lv.liver - lv.mode) / lv.liver_sd
        if beyond < p.opposite_rim_sd:
            return ""
        side = "brighter" if lv.sign < 0 else "darker"
        return (f"what surrounds the edge found is {side} than the liver ({lv.liver:.0f} against {lv.mode:.0f}, "
                f"{beyond:.1f} SD): a rim round a core?")

    @property
    def shape(self) -> str:
        """The boundary's kind: "ellipse" (the robust ellipse) or "outline" (the rays' own, when no ellipse fits)."""
        return "outline" if self.ellipse is None else "ellipse"

    def calibrated(self, spacing: tuple[float, float], p: SuggestParams) -> SliceOutline:
        """The outline with the smoothing's inward shift of its edge given back (see :func:`calibrated`)."""
        if self.ellipse is None or not p.curvature_correction:
            return self
        e = calibrated(self.ellipse, spacing, p)
        return replace(self, points=ellipse_points(e, self.centre, spacing, 2 * p.n_rays), ellipse=e)


def ellipse_points(e: Ellipse, origin: tuple[float, float], spacing: tuple[float, float], n: int) -> np.ndarray:
    """``n`` points (row, col) of the image on ellipse ``e`` (mm from ``origin``, x along columns)."""
    xy = e.points(n)
    return np.stack([origin[0] + xy[:, 1] / spacing[0], origin[1] + xy[:, 0] / spacing[1]], axis=1)


@dataclass(frozen=True)
class Traced:
    """An outline traced with no leak limit (:func:`traced`): the share of its rays that leak, and the outline or why
    there is none once that share is allowed. :func:`limited` gives what :func:`outline` gives under any limit."""

    leaked: float
    found: SliceOutline | str


def limited(t: Traced | str, max_leak_fraction: float) -> SliceOutline | str:
    """What :func:`outline` gives at the leak limit ``max_leak_fraction`` from what :func:`traced` gave (the limit is
    the one parameter read after the rays: a click made again with a looser limit, CT arterial's ``neighbour_leak``,
    reuses the first try's tracing)."""
    if isinstance(t, str):
        return t
    if t.leaked > max_leak_fraction:
        return f"{LEAKS_ON} {t.leaked:.0%} of the rays ({OPEN_EDGE})"
    return t.found


def outline(win: Window, seed: tuple[float, float], levels: Levels, p: SuggestParams,
            region: np.ndarray | None = None, own_part: bool = False) -> SliceOutline | str:
    """Steps 5 and 6: the boundary from rays out of the region's centre (the region grown from the
    seed at the levels' threshold unless given), or why there is none. ``own_part``: the seed is a
    point the reader clicked (or a centre found from it on the same slice), and the centre is the
    deepest point of the part of the region that holds it (:func:`seed_peak`); following a lesion
    onto another slice from the centre before, the region's deepest point (a centre that moves there
    to another structure ends the lesion, :mod:`viewer.segment.across`)."""
    return limited(traced(win, seed, levels, p, region, own_part), p.max_leak_fraction)


def traced(win: Window, seed: tuple[float, float], levels: Levels, p: SuggestParams,
           region: np.ndarray | None = None, own_part: bool = False) -> Traced | str:
    """:func:`outline` up to its leak limit (``p.max_leak_fraction`` is not read): why there is no outline before the
    rays' edges are found, or the share of the rays that leak and what the outline is when that share is allowed."""
    cut = cut_region(win, seed, levels, p, region)
    return cut if isinstance(cut, str) else traced_cut(win, seed, levels, p, cut, own_part)


def cut_region(win: Window, seed: tuple[float, float], levels: Levels, p: SuggestParams,
               region: np.ndarray | None = None) -> np.ndarray | str:
    """The region :func:`traced` draws its rays from: ``region`` (grown from ``seed`` at ``levels`` unless given) with
    the vessels beside it cut off where the series asks it (``vessel_ratio``), or :data:`LESION_ENDS` where there is
    none. What :func:`traced` gives is :func:`traced_cut`'s from this region: a click's looks trace a region cut alike
    at two vessel ratios once (:mod:`viewer.segment.looks`)."""
    if region is None:
        region = grown_at(win, seed, levels, p)
    if not region.any():
        return LESION_ENDS
    if p.vessel_ratio:
        region = _without_brighter_neighbours(win, seed, levels, region, p)
    return region


def grown_at(win: Window, seed: tuple[float, float], levels: Levels, p: SuggestParams) -> np.ndarray:
    """The region grown from ``seed`` at ``levels`` (a lesion's levels followed onto another slice), short of what
    stands ``beyond_ratio`` of its contrast past the lesion's level."""
    return grow(win.sm, seed, levels.sign, levels.threshold,
                ceiling=levels.lesion + p.beyond_ratio * (levels.lesion - levels.liver))


def traced_cut(win: Window, seed: tuple[float, float], levels: Levels, p: SuggestParams, region: np.ndarray,
               own_part: bool = False) -> Traced | str:
    """:func:`traced` from the region :func:`cut_region` gave (neither ``p.vessel_ratio`` nor ``p.max_leak_fraction``
    is read)."""
    rs, cs = win.spacing
    box = bounding_box(region)
    deep = ndi.distance_transform_edt(region[box], sampling=(rs, cs))
    if own_part:
        br, bc = seed_peak(deep, (seed[0] - box[0].start, seed[1] - box[1].start), max(rs, cs))
    else:
        top = np.unravel_index(int(np.argmax(deep)), deep.shape)
        br, bc = int(top[0]), int(top[1])
    opened = np.zeros_like(region)
    opened[box] = _opened(region[box], deep, p.opening * float(deep[br, bc]), (rs, cs), (int(br), int(bc)))
    region, cr, cc = opened, int(br) + box[0].start, int(bc) + box[1].start
    if touches_window(region):
        return leak_reason(win, region, p.roi_radius_mm)
    around = median_or_none(win.sm[win.ring(region, *p.ring_mm)])
    contrast = abs(levels.lesion - levels.mode)
    if around is None or abs(around - levels.mode) > max(p.min_contrast_sd * levels.liver_sd, 0.25 * contrast):
        return f"what surrounds the region is not liver (the lesion may go on, or {MERGES_VESSEL})"
    phi = 2 * math.pi * np.arange(p.n_rays) / p.n_rays
    step = 0.25 * min(rs, cs)
    rr, rc = np.nonzero(region)
    region_ratio = _moments_ratio(rr * rs, rc * cs)
    # past the farthest edge by the outer band the local half-maximum reads there
    reach = float(np.hypot((rr - cr) * rs, (rc - cc) * cs).max()) + p.local_edge_mm + 3.0 * max(rs, cs)
    t = np.arange(0.0, reach, step)
    inside, valid = along_rays(region.astype(np.float32), (float(cr), float(cc)), phi, t, (rs, cs), order=0)
    inside = (inside > 0.5) & valid
    profile = levels.sign * along_rays(win.sm, (float(cr), float(cc)), phi, t, (rs, cs))[0]
    candidates = _exits(inside, profile - levels.sign * levels.threshold, t, step, max(rs, cs))
    if p.local_edge_mm:  # every candidate edge at its ray's own half-maximum
        used = max(1, int(np.isfinite(candidates).any(axis=0).sum()))
        # all of a ray's candidates at once (its profile once per candidate)
        moved = _local_edges(np.tile(profile, (used, 1)), t, candidates[:, :used].T.ravel(), p.local_edge_mm,
                             p.local_edge_gap_px * max(rs, cs), 0.5 * p.min_contrast_sd * levels.liver_sd)
        candidates = moved.reshape(used, -1).T
    # rays agree with an ellipse within a pixel, or within the scatter the noise gives an edge of
    # this contrast (noise SD x blur x sqrt(2 pi) / step: faint edges on CT scatter by a millimetre)
    scatter = levels.liver_sd * p.smooth_mm * math.sqrt(2 * math.pi) / max(abs(levels.lesion - levels.liver), 1e-6)
    band = max(p.consensus_px * max(rs, cs), p.consensus_sd * scatter)
    fitted = robust_fit(candidates, phi, band, tries=p.consensus_tries) if p.ellipse_tolerance else None
    if fitted is not None:
        on_ellipse = fitted.ellipse.radius_along(0.0, 0.0, phi)
        radius, leaked = fitted.radius, 1.0 - float(fitted.inliers.mean())
    else:  # the first exit of each ray, long ones cut to their neighbours' median
        radius, leaked = _without_leaks(np.nan_to_num(candidates[:, 0]), p, max(rs, cs))
    centre = (float(cr + win.r0), float(cc + win.c0))
    ellipse, inward = None, 0.0
    if fitted is not None and fitted.scale_mm <= max(p.ellipse_tolerance * fitted.ellipse.b, 0.5 * max(rs, cs)):
        # an elliptical section: the ellipse is the boundary (its noise averaged, not maximised)
        ellipse = fitted.ellipse
        with np.errstate(invalid="ignore"):  # a ray with no edge near the ellipse (NaN) is off it, not inward
            inward = float(np.mean(~fitted.inliers & (radius < on_ellipse)))
        radius = on_ellipse
        points = ellipse_points(ellipse, centre, (rs, cs), 2 * p.n_rays)
    else:
        if fitted is not None:  # what the ellipse calls a leak takes its radius; the rest keeps its shape
            radius = np.where(fitted.inliers, radius, on_ellipse)
        spectrum = np.fft.rfft(np.nan_to_num(radius))
        spectrum[p.harmonics + 1:] = 0.0
        radius = np.maximum(np.fft.irfft(spectrum, n=p.n_rays), 0.0)
        points = np.stack([cr + win.r0 + radius * np.sin(phi) / rs, cc + win.c0 + radius * np.cos(phi) / cs], axis=1)
    # compactness: the outline's area against the disc of its longest chord (an ellipse of axis
    # ratio q has q; a lesion merged with a vessel running away from it much less)
    area = 0.5 * float(np.sum(radius ** 2)) * (2 * math.pi / p.n_rays)
    chord = float(np.max(radius + np.roll(radius, p.n_rays // 2)))
    compact = area / (math.pi * chord ** 2 / 4.0) if chord > 0 else 0.0
    if compact < p.min_compactness:
        return Traced(leaked, f"the region is elongated (compactness {compact:.2f}): {RUNS_INTO}")
    within = t[None, :] <= 0.5 * radius[:, None]
    fullness = float(np.median(profile[within]) - levels.sign * levels.mode) if within.any() else float("nan")
    return Traced(leaked, SliceOutline(points, levels, leaked, centre, ellipse, fullness=fullness, leaked_inward=inward,
                                       region_ratio=region_ratio))


def _moments_ratio(y: np.ndarray, x: np.ndarray) -> float | None:
    """The axis ratio of the points' second moments (mm): the root of the smaller eigenvalue over the larger (a filled
    ellipse's is its short axis over its long one), or None under six points."""
    if len(x) < 6:
        return None
    dx, dy = x - x.mean(), y - y.mean()
    sxx, syy, sxy = float(np.mean(dx * dx)), float(np.mean(dy * dy)), float(np.mean(dx * dy))
    half, root = 0.5 * (sxx + syy), math.sqrt(0.25 * (sxx - syy) ** 2 + sxy * sxy)
    return math.sqrt(max(half - root, 0.0) / (half + root)) if half + root > 0 else None


def calibrated(e: Ellipse, spacing: tuple[float, float], p: SuggestParams) -> Ellipse:
    """The ellipse corrected for what this method does to a clean one: a sharp ellipse of the
    fitted axes, drawn on the window's pixel grid (partial volume by 4 x 4 sub-pixels) and smoothed
    as the window is, is measured the same way (rays, local half-maxima, the ellipse through them);
    the axes it loses (the smoothing moves a convex edge's half-maximum inwards, most at the ends
    of the long axis) are given back. So the boundary is the unsmoothed image's, whatever the
    lesion's size and elongation (the first-order sigma^2 x curvature / 2 falls short on small
    elongated sections)."""
    rs, cs = spacing
    sigma = smoothing_px(spacing, p)
    margin = 3.0 * max(sigma[0] * rs, sigma[1] * cs) + 2.0 * max(rs, cs)
    half_r, half_c = int(math.ceil((e.a + margin) / rs)), int(math.ceil((e.a + margin) / cs))
    sub = (np.arange(4) + 0.5) / 4 - 0.5
    y = ((np.arange(-half_r, half_r + 1)[:, None] + sub[None, :]).ravel() * rs)[:, None]
    x = ((np.arange(-half_c, half_c + 1)[:, None] + sub[None, :]).ravel() * cs)[None, :]
    c, s_ = math.cos(e.angle), math.sin(e.angle)
    inside = ((x * c + y * s_) / e.a) ** 2 + ((-x * s_ + y * c) / e.b) ** 2 <= 1.0
    image = inside.reshape(2 * half_r + 1, 4, 2 * half_c + 1, 4).mean(axis=(1, 3))
    sm = ndi.gaussian_filter(image, sigma, mode="nearest")
    phi = 2 * math.pi * np.arange(p.n_rays) / p.n_rays
    step = 0.25 * min(rs, cs)
    t = np.arange(0.0, e.a + margin, step)
    profile = along_rays(sm, (float(half_r), float(half_c)), phi, t, (rs, cs))[0]
    below = profile < 0.5
    first = np.where(below.any(axis=1), np.argmax(below, axis=1), len(t) - 1)
    radius = _local_edges(profile, t, t[first] - step / 2, p.local_edge_mm, p.local_edge_gap_px * max(rs, cs), 0.0)
    seen = fit(radius * np.cos(phi), radius * np.sin(phi))
    if seen is None:
        return e
    return replace(e, a=max(e.a + (e.a - seen.a), e.a), b=max(e.b + (e.b - seen.b), e.b))


def along_rays(image: np.ndarray, origin: tuple[float, float], phi: np.ndarray, t: np.ndarray,
                spacing: tuple[float, float], order: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The image sampled along rays from ``origin`` (row, col) in directions ``phi`` (from the
    columns' axis towards the rows') at distances ``t`` mm, the same for every ray (1-D) or each
    ray its own (len(phi), m): (values, whether inside the image), each (len(phi), m); outside,
    the nearest edge pixel's value."""
    ts = t if t.ndim == 2 else t[None, :]
    rows = origin[0] + np.sin(phi)[:, None] * ts / spacing[0]
    cols = origin[1] + np.cos(phi)[:, None] * ts / spacing[1]
    valid = (rows >= 0) & (rows <= image.shape[0] - 1) & (cols >= 0) & (cols <= image.shape[1] - 1)
    coords = np.stack([np.clip(rows, 0, image.shape[0] - 1), np.clip(cols, 0, image.shape[1] - 1)])
    values = ndi.map_coordinates(image, coords.reshape(2, -1), order=order).reshape(rows.shape)
    return values, valid


def _exits(inside: np.ndarray, value: np.ndarray, t: np.ndarray, step: float, pixel_mm: float,
           most: int = 3) -> np.ndarray:
    """(n_rays, most): where each ray leaves the region, nearest first (NaN-padded): the last
    threshold crossing within a pixel before each exit, sub-pixel. A ray that runs into a vessel
    joined to the lesion leaves the region only beyond it; one that crosses a notch leaves and
    comes back: every exit is a candidate edge, the ellipse consensus chooses. (All rays at once:
    a loop over rays cost 2 ms an outline.)"""
    n, m = inside.shape
    out = np.full((n, most), np.nan)
    back_px = int(math.ceil(pixel_mm / step)) + 1
    leaves = np.zeros((n, m), bool)
    leaves[:, 1:] = inside[:, :-1] & ~inside[:, 1:]  # the first sample outside
    rank = np.cumsum(leaves, axis=1) - 1
    ray, e = np.nonzero(leaves & (rank < most))
    slot = rank[ray, e]
    # the last sample on the lesion's side of the threshold within back_px before each exit
    offsets = np.arange(-back_px, 1)
    idx = e[:, None] + offsets[None, :]
    ok = (idx >= 0) & (value[ray[:, None], np.clip(idx, 0, m - 1)] > 0)
    has = ok.any(axis=1)
    j = e - np.argmax(ok[:, ::-1], axis=1)  # the last such sample
    has &= j < m - 1
    jj = np.clip(j, 0, m - 2)
    v0, v1 = value[ray, jj], value[ray, jj + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        # the sub-sample offset in the profile's precision, half a step (equal levels) in float64
        offset = np.where(v0 != v1, (step * (v0 / (v0 - v1))).astype(np.float64), step * 0.5)
    out[ray, slot] = np.where(has, t[jj] + offset, np.maximum(0.0, t[e] - step / 2))
    return out


def _row_medians(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The median of each row's values where ``mask`` (NaN for a row without any)."""
    cols = np.flatnonzero(mask.any(axis=0))
    if not cols.size:
        return np.full(len(values), np.nan)
    part = np.sort(np.where(mask[:, cols[0]:cols[-1] + 1], values[:, cols[0]:cols[-1] + 1], np.inf), axis=1)
    n = mask.sum(axis=1)
    rows = np.arange(len(values))
    lo, hi = np.maximum((n - 1) // 2, 0), np.maximum(n // 2, 0)
    med: np.ndarray = np.where(n > 0, 0.5 * (part[rows, lo] + part[rows, hi]), np.nan)
    return med


def _local_edges(profile: np.ndarray, t: np.ndarray, radius: np.ndarray, band_mm: float, pixel_mm: float,
                 min_step: float) -> np.ndarray:
    """Each ray's edge at its own half-maximum: half-way between the lesion's level just inside the
    edge found (``band_mm`` deep, from ``pixel_mm`` in) and the liver's just outside it, the crossing
    of that level nearest the first edge (within ``band_mm``); twice. A lesion's texture changes
    its contrast from one side to another; one threshold for the whole lesion moves the edge
    where the lesion is fainter (inwards) or brighter (outwards), the local half-maximum does not.
    A ray whose local step is under ``min_step`` (or NaN) keeps its edge."""
    step = t[1] - t[0]
    out = radius.copy()
    # a ray that did not move is settled (its next move is the same computation): only the others
    # are measured again
    active = np.arange(len(radius))
    for _ in range(8):
        r = out[active, None]
        prof = profile[active]
        with np.errstate(invalid="ignore"):
            inner = (t[None, :] >= r - pixel_mm - band_mm) & (t[None, :] <= r - pixel_mm)
            outer = (t[None, :] >= r + pixel_mm) & (t[None, :] <= r + pixel_mm + band_mm)
            near = np.abs(t[None, :] - r) <= band_mm
        ok = (inner.sum(axis=1) >= 2) & (outer.sum(axis=1) >= 2)
        if not ok.any():
            break
        hi, lo = _row_medians(prof, inner), _row_medians(prof, outer)
        ok &= (hi - lo) >= min_step
        level = 0.5 * (hi + lo)
        v = prof - level[:, None]
        cross = (v[:, :-1] > 0) & (v[:, 1:] <= 0) & near[:, :-1] & ok[:, None]
        has = cross.any(axis=1)
        dist = np.where(cross, np.abs(t[None, :-1] - np.nan_to_num(r)), np.inf)
        j = np.argmin(dist, axis=1)
        rows = np.arange(len(active))
        v0, v1 = v[rows, j], v[rows, j + 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(v0 != v1, v0 / (v0 - v1), 0.5)
        moved = np.where(has, t[j] + step * frac, out[active])
        settled = np.allclose(moved, out[active], rtol=0.0, atol=1e-9, equal_nan=True)
        still = ~((moved == out[active]) | (np.isnan(moved) & np.isnan(out[active])))
        out[active] = moved
        if settled:
            break
        active = active[still]
    return out


def _without_brighter_neighbours(win: Window, seed: tuple[float, float], levels: Levels, region: np.ndarray,
                                 p: SuggestParams) -> np.ndarray:
    """A vessel against the lesion, beyond it on the lesion's side (a portal or hepatic vein brighter
    than an enhancing lesion), is cut off along the steepest edge between them: a watershed of the
    gradient from two kinds of markers, the part around the click and each such blob that reaches
    the region's edge (an enclosed one is a core or a rim, part of the lesion)."""
    sign = levels.sign
    # the lesion's level at the edge, from the levels (which may come from a slice where it is
    # fainter: on a fuller slice its core can pass the ceiling and be cut as a vessel; taking the
    # region's own median instead, tried, loses more than it mends: T1 portal 86 -> 79 % suggested)
    ceiling = levels.lesion + p.vessel_ratio * (levels.lesion - levels.liver)
    beyond = region & (sign * (win.sm - ceiling) > 0)
    if not beyond.any():
        return region
    edge = win.ring(region, 0.0, p.ring_mm[0], outside=False) & region
    blobs, n = ndi.label(beyond)
    r, c = int(round(seed[0])), int(round(seed[1]))
    # a blob round the click is the lesion's own brighter shell (necrosis inside), not a vessel
    others = [i for i in range(1, n + 1) if i != blobs[r, c] and (edge & (blobs == i)).any()
              and not fill_holes(blobs == i)[r, c]]
    if not others:
        return region
    rs, cs = win.spacing
    # on the region's box (and a pixel round it, for the gradient): the same watershed, 5-10 times faster
    box = bounding_box(region | win.disc(seed, p.click_disc_mm))
    r, c = r - box[0].start, c - box[1].start
    part, beyond_part = region[box], beyond[box]
    vessels = np.isin(blobs[box], others)
    # the lesion's marker: all of the region but the vessels and a band round them (a marker at
    # the click alone would lose a necrotic lesion's shell to the vessel: the steepest edge there
    # is the core's); the watershed decides only the band
    near = ndi.distance_transform_edt(~vessels, sampling=(rs, cs)) <= p.ring_mm[0]
    markers = np.zeros(part.shape, np.int32)
    markers[part & ~beyond_part & ~near] = 1
    markers[vessels] = 2
    lesion = ndi.label(markers == 1)[0]
    if not lesion[r, c]:
        markers[win.disc(seed, p.click_disc_mm)[box] & part & ~beyond_part] = 1
        lesion = ndi.label(markers == 1)[0]
    at = lesion[r, c]
    if not at:
        return region
    markers[(markers == 1) & (lesion != at)] = 0  # parts cut off by the band: the watershed decides
    sm = win.sm[box]
    gradient = np.hypot(ndi.sobel(sm, 0) / rs, ndi.sobel(sm, 1) / cs)
    basins = watershed(gradient, markers, mask=part)
    kept: np.ndarray = np.zeros_like(region)
    kept[box] = fill_holes(basins == 1)
    return kept


def seed_peak(deep: np.ndarray, seed: tuple[float, float], prominence_mm: float) -> tuple[int, int]:
    """The deepest point of the part of a region that holds ``seed`` (``deep``: the region's distance
    map, mm). Up the distance map from the seed, then on to a deeper point wherever the way there
    does not go down by ``prominence_mm`` or more: when that leads to the region's deepest point
    (the first in raster order), it is the centre, as before; when it stops on a peak of its own,
    the seed lies in a part joined to the rest by a neck narrower than the part by that much (a
    lesion joined by a vessel to another lesion as deep as it, which was measured instead of the
    one clicked, or refused), and that part's peak is the centre. A seed outside the region (a
    click beside it): the deepest point of all."""
    top = np.unravel_index(int(np.argmax(deep)), deep.shape)
    deepest = (int(top[0]), int(top[1]))
    r, c = int(round(seed[0])), int(round(seed[1]))
    if not (0 <= r < deep.shape[0] and 0 <= c < deep.shape[1]) or deep[r, c] <= 0:
        return deepest
    while True:  # steepest ascent, 8-connected
        r0, r1, c0, c1 = max(r - 1, 0), min(r + 2, deep.shape[0]), max(c - 1, 0), min(c + 2, deep.shape[1])
        k = int(np.argmax(deep[r0:r1, c0:c1]))
        nr, nc = r0 + k // (c1 - c0), c0 + k % (c1 - c0)
        if deep[nr, nc] <= deep[r, c]:
            break
        r, c = nr, nc
    while True:  # past saddles shallower than the prominence
        labels, _ = ndi.label(deep > deep[r, c] - prominence_mm, structure=np.ones((3, 3), bool))
        part = labels == labels[r, c]
        if part[deepest]:
            return deepest
        k = int(np.argmax(np.where(part, deep, -1.0)))
        nr, nc = k // deep.shape[1], k % deep.shape[1]
        if deep[nr, nc] <= deep[r, c]:
            return r, c
        r, c = nr, nc


def _opened(region: np.ndarray, deep: np.ndarray, radius_mm: float, spacing: tuple[float, float],
            centre: tuple[int, int]) -> np.ndarray:
    """A morphological opening by a disc of ``radius_mm`` (through distance maps, so in mm whatever
    the pixel shape), the part that holds the centre: cuts vessels and tails narrower than the disc."""
    core = deep > radius_mm
    grown = ndi.distance_transform_edt(~core, sampling=spacing) <= radius_mm
    labels, _ = ndi.label(grown & region)
    opened: np.ndarray = labels == labels[centre]
    return opened


def _without_leaks(radius: np.ndarray, p: SuggestParams, pixel_mm: float) -> tuple[np.ndarray, float]:
    """Radii much longer (or shorter) than their neighbours' circular median take that median."""
    h = p.leak_window // 2
    ring = np.concatenate([radius[-h:], radius, radius[:h]])
    med = np.array([np.median(ring[k:k + 2 * h + 1]) for k in range(len(radius))])
    bad = (radius > p.leak_ratio * med + pixel_mm) | (radius < med / p.leak_ratio - pixel_mm)
    return np.where(bad, med, radius), float(bad.mean())
