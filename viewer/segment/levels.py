"""One slice, steps 1-4: the liver's level and noise round a click, the lesion's side and the
threshold at its edge's half-maximum, and the region it gives (:func:`find_levels`).

The steps run on a :class:`Window` of ``roi_radius_mm`` around the click, denoised by a Gaussian;
steps 5 and 6 (the boundary and its ellipse) are :mod:`viewer.segment.slice2d`'s.

1. The liver's level and noise: the mode of the window's histogram and the half-width of its
   peak (the liver fills most of a 10 cm window around a lesion; vessels, fat and the lesion
   are minorities that do not move a mode). Near the liver's edge on MRI the dark background
   may be the majority: when the region grown against the main peak runs out of the window, the
   other peaks between it and the click's level are tried as the liver.
2. The intensity at the click (median of a small disc). Too close to the liver: refused.
3. Region growing: the pixels beyond half-way from the liver to the click's level, connected to
   the click, holes filled (necrosis, a dark vessel inside). A ring just outside that is still
   far from the liver is more lesion (a necrotic core clicked inside its shell, the interior of
   a rim lesion): the growth restarts half-way to the ring's level, keeping what it had.
4. The half-maximum at the edge: the lesion's level in a band just inside the region's edge,
   the liver's in a band just outside; the threshold half-way between them (the edge of a
   blurred step). What lies just outside that edge still far from the liver (a core's shell)
   is more lesion: the growth restarts from there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from scipy import ndimage as ndi

from viewer.segment.records import SuggestParams


#: Why a slice has no outline when the lesion simply is not there (its end, not a failure).
LESION_ENDS = "the lesion does not reach this point"
#: How the refusals begin when the lesion is too faint on a slice (little of it in the slice).
NO_CONTRAST = "no contrast at the click"
NO_REGION = "no region around the click stands out"  # app.refusal_words words it for the reader
#: A region with no closed boundary (what a click on the air round the body also gives).
REACHES_EDGE, LEAKS_BEYOND = "reaches the image's edge", "leaks beyond"
TOO_FAINT = "the lesion's edge is too faint"


@dataclass(frozen=True)
class Levels:
    """What decides a boundary: the lesion's side (+1 brighter than the liver, -1 darker), the
    threshold, the liver's level and the SD of the denoised liver."""

    sign: int
    threshold: float
    liver: float
    liver_sd: float
    lesion: float  # the level just inside the edge
    mode: float  # the window's liver mode (the liver far from the lesion)
    # which histogram peak ``mode`` is: "main", "other", or "near" (one under 0.4 of the way from the click, tried only with
    # ``near_peak_share``; see :func:`find_levels`)
    liver_peak: str = "main"

    @property
    def contrast_sd(self) -> float:
        return abs(self.lesion - self.liver) / self.liver_sd


def smoothing_px(spacing: tuple[float, float], p: SuggestParams) -> tuple[float, float]:
    """The Gaussian sigma of a window's denoising, per axis (rows, columns), in pixels."""
    return max(p.smooth_mm / spacing[0], p.min_px), max(p.smooth_mm / spacing[1], p.min_px)


class Unsegmentable(Exception):
    """The pixels round the click are no image the method can read (NaN or infinite values, values
    beyond float32's range): :func:`viewer.segment.suggest_diameter` makes it a refusal."""


class Window:
    """The denoised window of one slice around a point, with its pixel spacing."""

    def __init__(self, image: np.ndarray, at: tuple[float, float], spacing: tuple[float, float],
                 p: SuggestParams) -> None:
        rs, cs = spacing
        self.spacing = spacing
        hr, hc = int(math.ceil(p.roi_radius_mm / rs)), int(math.ceil(p.roi_radius_mm / cs))
        r, c = int(round(at[0])), int(round(at[1]))
        self.r0, self.c0 = max(0, r - hr), max(0, c - hc)
        r1, c1 = min(image.shape[0], r + hr + 1), min(image.shape[1], c + hc + 1)
        #: which of the window's sides (top, bottom, left, right) is the image's own edge, not the
        #: radius's: what touches only those reaches the image's edge, it does not leak past the radius
        self.image_edges = (r - hr <= 0, r + hr + 1 >= image.shape[0], c - hc <= 0, c + hc + 1 >= image.shape[1])
        with np.errstate(over="ignore"):  # beyond float32: infinite, refused below
            self.raw = np.asarray(image[self.r0:r1, self.c0:c1], dtype=np.float32)
        if not np.isfinite(self.raw).all():  # NaN, infinite, or beyond float32 (a float64 of 1e300)
            raise Unsegmentable("the image holds values that are not numbers (NaN or infinite, or beyond float32's "
                                f"range) within {p.roi_radius_mm:.0f} mm of the click")
        big = float(np.abs(self.raw).max()) if self.raw.size else 0.0
        if big > 1e5 and float(np.ptp(self.raw)) < 1e-4 * big:
            # float32 cannot resolve a histogram of values this large against their spread (a float32
            # image offset by -1e7 raised numpy's "too many bins")
            raise Unsegmentable(f"the values round the click ({big:.3g}) are too large against their spread "
                                f"({float(np.ptp(self.raw)):.3g}) to be read in single precision")
        self._sigma = smoothing_px(spacing, p)

    @cached_property
    def sm(self) -> np.ndarray:
        """The window denoised, smoothed once when first read (what reads only :attr:`raw`, the disc
        of :func:`viewer.segment.around.stands_out_sd`, does not pay for it)."""
        smoothed: np.ndarray = ndi.gaussian_filter(self.raw, self._sigma, mode="nearest")
        return smoothed

    def local(self, at: tuple[float, float]) -> tuple[float, float]:
        return at[0] - self.r0, at[1] - self.c0

    def inside(self, at_local: tuple[float, float]) -> bool:
        return bool(0 <= at_local[0] <= self.raw.shape[0] - 1 and 0 <= at_local[1] <= self.raw.shape[1] - 1)

    def disc(self, at_local: tuple[float, float], radius_mm: float) -> np.ndarray:
        rs, cs = self.spacing
        i, j = np.ogrid[:self.raw.shape[0], :self.raw.shape[1]]
        d2 = ((i - at_local[0]) * rs) ** 2 + ((j - at_local[1]) * cs) ** 2
        disc: np.ndarray = d2 <= max(radius_mm, 0.75 * max(rs, cs)) ** 2
        return disc

    def liver(self) -> tuple[float, float]:
        """(level, SD) of the histogram's main peak: the mode, and the half-width at half-maximum
        of its narrower side / 1.1774, on a second histogram fitted to the peak. Pixels at the
        window's minimum (air clipped on CT, the zero outside a masked ADC map) are left out.
        Read once per window (a window a click's looks keep is asked again)."""
        return self._liver

    @cached_property
    def _liver(self) -> tuple[float, float]:
        v = self._values()
        lo, hi = np.percentile(v, [1.0, 99.0])
        if hi <= lo:
            return float(lo), 1e-6
        level, width = _peak(v, lo, hi, 2.0)
        level, width = _peak(v, level - 6 * width, level + 6 * width, 1.0)
        return level, width / 1.1774

    def other_peaks(self, main: float, fraction: float = 0.25) -> list[tuple[float, float]]:
        """(level, SD) of the histogram's other peaks at least ``fraction`` of the main one's height,
        highest first: where the window holds more of something else than of the liver (the dark
        background beside the liver's edge on MRI), one of them is the liver."""
        v = self._values()
        lo, hi = np.percentile(v, [1.0, 99.0])
        if hi <= lo:
            return []
        hist, edges = np.histogram(v, bins=128, range=(lo, hi))
        hist = ndi.gaussian_filter1d(hist.astype(float), 2.0)
        bins = (edges[:-1] + edges[1:]) / 2.0
        width = edges[1] - edges[0]
        found: list[tuple[float, float]] = []
        for k in np.argsort(hist)[::-1]:
            if hist[k] < fraction * hist.max():
                break
            if not (0 < k < len(hist) - 1 and hist[k] >= hist[k - 1] and hist[k] >= hist[k + 1]):
                continue
            w = width * _half_width_bins(hist, int(k))
            level, half_width = _peak(v, bins[k] - 6 * w, bins[k] + 6 * w, 1.0)  # refined as the main peak is
            if abs(level - bins[k]) > 2 * w:  # the main peak within reach took it over: nearer
                level, half_width = _peak(v, bins[k] - 2 * w, bins[k] + 2 * w, 1.0)
            if abs(level - bins[k]) <= 2 * w and abs(level - main) > 4 * w \
                    and all(abs(level - other) > w for other, _ in found):
                found.append((level, half_width / 1.1774))
        return found

    def _values(self) -> np.ndarray:
        """The smoothed values but the pixels at the window's minimum (air clipped on CT, the zero
        outside a masked ADC map)."""
        keep = self.raw > self.raw.min()
        values: np.ndarray = self.sm[keep] if keep.any() else self.sm.ravel()
        return values

    def ring(self, mask: np.ndarray, inner_mm: float, outer_mm: float, outside: bool = True) -> np.ndarray:
        """Pixels between ``inner_mm`` and ``outer_mm`` from the region's edge, outside (or inside) it."""
        rs, cs = self.spacing
        floor = min(rs, cs)
        band: np.ndarray = np.zeros(mask.shape, bool)
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if not rows.size:
            return band
        reach = min(outer_mm, 1e4) if outside else 0.0  # the distance maps need only the region's box
        pr, pc = int(math.ceil(reach / rs)) + 2, int(math.ceil(reach / cs)) + 2
        box = (slice(max(rows[0] - pr, 0), rows[-1] + pr + 1), slice(max(cols[0] - pc, 0), cols[-1] + pc + 1))
        sub = np.pad(mask[box], 1)  # a margin of outside pixels round the box
        dist = ndi.distance_transform_edt(~sub if outside else sub, sampling=(rs, cs))[1:-1, 1:-1]
        band[box] = (dist >= max(inner_mm, floor)) & (dist <= max(outer_mm, 2.5 * floor))
        return band


def _peak(v: np.ndarray, lo: float, hi: float, smooth_bins: float) -> tuple[float, float]:
    """(mode, half-width at half-maximum of the narrower side) of the values in [lo, hi]."""
    hist, edges = np.histogram(v, bins=128, range=(lo, hi))
    hist = ndi.gaussian_filter1d(hist.astype(float), smooth_bins)
    k = int(np.argmax(hist))
    return float((edges[k] + edges[k + 1]) / 2.0), float((edges[1] - edges[0]) * _half_width_bins(hist, k))


def _half_width_bins(hist: np.ndarray, k: int) -> int:
    """The half-width at half-maximum of the histogram's peak at bin ``k``, on its narrower side (>= 1 bin)."""
    half = hist[k] / 2.0
    left = k - next((i for i in range(k, -1, -1) if hist[i] < half), 0)
    right = next((i for i in range(k, len(hist)) if hist[i] < half), len(hist) - 1) - k
    return max(1, min(left, right))


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """``scipy.ndimage.binary_fill_holes`` (holes: background not connected to the image's border
    through 4-connected background), by one labelling of the background instead of iterated
    erosions: the same mask, 5-10 times faster on a window, and region growing fills it ~20 times
    per suggestion."""
    mask = np.asarray(mask, bool)
    if mask.ndim != 2:
        raise ValueError(f"fill_holes takes a 2-D mask, got {mask.ndim}-D")
    labels, n = ndi.label(~mask)
    if n == 0:
        return mask.copy()
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    outside = np.zeros(n + 1, bool)
    outside[border] = True
    outside[0] = False
    filled: np.ndarray = ~outside[labels]
    return filled


def grow(sm: np.ndarray, seed: tuple[float, float], sign: int, threshold: float,
         keep: np.ndarray | None = None, ceiling: float | None = None, near: np.ndarray | None = None) -> np.ndarray:
    """The region beyond ``threshold`` on the lesion's side (with ``keep``) and short of
    ``ceiling`` (fat or air beyond the capsule, a vein brighter than the lesion), holes filled,
    that holds the seed (directly or in a filled hole) — or, when the seed is in none, the one
    that most of the pixels ``near`` it belong to (the ring round a click on a necrotic core).
    Empty when there is none."""
    above = sign * (sm - threshold) > 0
    if ceiling is not None:
        above &= sign * (sm - ceiling) < 0
    if keep is not None:
        above |= keep
    filled = fill_holes(above)
    labels, _ = ndi.label(filled)
    lab = labels[int(round(seed[0])), int(round(seed[1]))]
    if lab == 0 and near is not None and (labels[near] > 0).any():
        lab = int(np.bincount(labels[near][labels[near] > 0]).argmax())
    if lab == 0:
        return np.zeros_like(above)
    region: np.ndarray = labels == lab
    return region


def _stands_out(values: np.ndarray, liver: float) -> float | None:
    """Of a ring's lower and upper fifths (20th and 80th percentiles), the one farther from the
    liver: a ring across a necrotic core and its shell has both, their median neither."""
    if not values.size:
        return None
    lo, hi = np.percentile(values, [20.0, 80.0])
    return float(lo if abs(lo - liver) > abs(hi - liver) else hi)


def median_or_none(values: np.ndarray) -> float | None:
    return float(np.median(values)) if values.size else None


def find_levels(win: Window, seed: tuple[float, float], p: SuggestParams) -> tuple[Levels, np.ndarray] | str:
    """Steps 1-4 on the window: the lesion's side, its half-maximum threshold and its region, or why not.

    The liver is the histogram's main peak; when the region found from it runs out of the window,
    the window held more of something else (beside the liver's edge on MRI, the dark background):
    the other peaks lying between that one and the click's level (nearer that one than the click)
    are tried as the liver, the first whose region closes is kept; then, where the series asks it
    (``near_peak_share``), the nearer ones (:func:`nearer_levels`)."""
    return nearer_levels(win, seed, p, farther_levels(win, seed, p))


def farther_levels(win: Window, seed: tuple[float, float], p: SuggestParams) -> tuple[Levels, np.ndarray] | str:
    """:func:`find_levels` without ``near_peak_share`` (the peaks 0.4 of the way from the click or more)."""
    mode, sd = win.liver()
    found = _levels_against(win, seed, p, mode, sd)
    if isinstance(found, str) or not touches_window(found[1]):
        return found
    at = float(np.median(win.sm[win.disc(seed, p.click_disc_mm)]))
    peaks = win.other_peaks(mode)
    return _first_closing(win, seed, p, mode, at, [(level, width) for level, width in peaks
                                                   if abs(at - level) >= 0.4 * abs(at - mode)], found)


def nearer_levels(win: Window, seed: tuple[float, float], p: SuggestParams,
                  farther: tuple[Levels, np.ndarray] | str) -> tuple[Levels, np.ndarray] | str:
    """:func:`find_levels` from :func:`farther_levels`' ``farther``: where its region still runs out of the window and
    the series asks it (``near_peak_share``, CT and T1 arterial), the peaks nearer the click down to that share of the way
    from it are tried as the liver too (the liver's own peak beside a capsule lesion whose window holds more fat than
    liver). A click's looks find ``farther`` once for a click made again with the nearer peaks
    (:mod:`viewer.segment.looks`)."""
    if not p.near_peak_share or isinstance(farther, str) or not touches_window(farther[1]):
        return farther
    mode, _ = win.liver()
    at = float(np.median(win.sm[win.disc(seed, p.click_disc_mm)]))
    return _first_closing(win, seed, p, mode, at, [(level, width) for level, width in win.other_peaks(mode)
                                                   if p.near_peak_share * abs(at - mode) <= abs(at - level)
                                                   < 0.4 * abs(at - mode)], farther)


def _first_closing(win: Window, seed: tuple[float, float], p: SuggestParams, mode: float, at: float,
                   tries: list[tuple[float, float]], found: tuple[Levels, np.ndarray]) -> tuple[Levels, np.ndarray]:
    """The levels against the first of the peaks ``tries`` whose region closes, else ``found``."""
    for level, width in tries:
        # on the mode's side of the click, not the lesion's own peak (a large lesion, or a vessel
        # as bright as it, is a peak near the click's level)
        if not min(mode, at) < level < max(mode, at):
            continue
        # a minority's peak is narrower on a histogram than its noise: the robust SD of the values
        # near it (a quarter of the way to the click) as well
        values = win.sm[np.abs(win.sm - level) < 0.25 * abs(at - level)]
        if values.size:
            width = max(width, 1.4826 * float(np.median(np.abs(values - level))))
        if abs(at - level) >= p.min_contrast_sd * width:
            again = _levels_against(win, seed, p, level, width)
            if not isinstance(again, str) and not touches_window(again[1]):
                near = abs(at - level) < 0.4 * abs(at - mode)
                return replace(again[0], liver_peak="near" if near else "other"), again[1]
    return found


def touches_window(region: np.ndarray) -> bool:
    return any(touched_sides(region))


def touched_sides(region: np.ndarray) -> tuple[bool, bool, bool, bool]:
    """Whether ``region`` reaches the window's top, bottom, left and right side."""
    return bool(region[0, :].any()), bool(region[-1, :].any()), bool(region[:, 0].any()), bool(region[:, -1].any())


def leak_reason(win: Window, region: np.ndarray, radius_mm: float) -> str:
    """Why a region that reaches the window's side has no closed boundary: past the radius round the
    click, or to the image's own edge (a helper's 0.3 mm wide image read "leaks beyond 50 mm")."""
    sides = [side for side, touched in zip(win.image_edges, touched_sides(region)) if touched]
    if sides and all(sides):
        return f"the region {REACHES_EDGE} (no closed boundary against the liver)"
    return f"the region {LEAKS_BEYOND} {radius_mm:.0f} mm of the click (no closed boundary against the liver)"


def bounding_box(mask: np.ndarray, pad: int = 1) -> tuple[slice, slice]:
    """The box of ``mask``'s pixels with ``pad`` pixels round it (within the array): distance maps,
    labels and the watershed of a region need only that (the same values there as on the whole
    window, in a tenth of the time on a small lesion)."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return slice(0, 0), slice(0, 0)
    return (slice(max(int(rows[0]) - pad, 0), int(rows[-1]) + pad + 1),
            slice(max(int(cols[0]) - pad, 0), int(cols[-1]) + pad + 1))


def _levels_against(win: Window, seed: tuple[float, float], p: SuggestParams, liver: float,
                    sd: float) -> tuple[Levels, np.ndarray] | str:
    """:func:`find_levels` with the liver at ``liver`` +- ``sd``."""
    mode, sd = liver, max(sd, 1e-6)
    gate = p.min_contrast_sd * sd
    at = float(np.median(win.sm[win.disc(seed, p.click_disc_mm)]))
    ring_at: np.ndarray | None = None  # where the lesion was found round the click, when not at it
    at_click = at
    if abs(at - liver) < gate:
        # iso at the click (a necrotic core averaged with its shell through the slice): the
        # nearest ring around the click that stands out from the liver is the lesion
        step = max(p.click_disc_mm, max(win.spacing))
        rings = (win.disc(seed, r + step) & ~win.disc(seed, r) for r in np.arange(p.click_disc_mm, 25.0, step))
        found, ring_at = None, None
        for ring in rings:
            m = _stands_out(win.sm[ring], liver)
            if m is not None and abs(m - liver) >= gate:
                found, ring_at = m, ring & (np.sign(m - liver) * (win.sm - liver) > 0.5 * abs(m - liver))
                break
        if found is None:
            return (f"{NO_CONTRAST} ({at:.0f} against the liver's {liver:.0f} ± {sd:.0f}); "
                    "click inside the lesion")
        at_click, at = at, found
    sign = 1 if at > liver else -1
    threshold = liver + (at - liver) / 2.0
    region = grow(win.sm, seed, sign, threshold, near=ring_at)
    if not region.any():
        return f"{NO_REGION} from the liver"
    if ring_at is not None and not region[int(round(seed[0])), int(round(seed[1]))]:
        # found near the click but not round it (a vessel passing by, not a shell round a core); the click's
        # own level said, not the ring's (a check read "no contrast at the click (129 against the liver's 73)")
        return (f"{NO_CONTRAST} ({at_click:.0f} against the liver's {liver:.0f} ± {sd:.0f}; the {at:.0f} near it "
                "is not round it)")
    for _ in range(3):  # a ring still far from the liver: more lesion (necrosis, rim lesions)
        ring = median_or_none(win.sm[win.ring(region, *p.ring_mm)])
        if ring is None or abs(ring - liver) < max(gate, p.shell_fraction * abs(at - liver)):
            break
        sign = 1 if ring > liver else -1
        threshold = liver + (ring - liver) / 2.0
        region = grow(win.sm, seed, sign, threshold, keep=region)
    edged = at_edge(win, seed, Levels(sign, threshold, liver, sd, at, mode), region, p)
    for _ in range(2):  # what lies just outside the edge found is still far from the liver: more lesion
        if isinstance(edged, str) or abs(edged[0].liver - mode) < max(gate, p.shell_fraction * abs(at - mode)):
            break
        outer = edged[0].liver
        sign = 1 if outer > mode else -1
        threshold = mode + (outer - mode) / 2.0
        grown = grow(win.sm, seed, sign, threshold, keep=edged[1])
        if not grown.any() or grown.sum() <= edged[1].sum():
            break
        edged = at_edge(win, seed, Levels(sign, threshold, mode, sd, outer, mode), grown, p)
    return edged


def at_edge(win: Window, seed: tuple[float, float], levels: Levels, region: np.ndarray,
            p: SuggestParams) -> tuple[Levels, np.ndarray] | str:
    """Step 4 from a region found at ``levels``: the threshold half-way between the lesion's level
    just inside the region's edge and the liver's just outside it, and the region it gives."""
    sign, sd, gate = levels.sign, levels.liver_sd, p.min_contrast_sd * levels.liver_sd
    for _ in range(p.edge_iterations):
        inside = win.sm[win.ring(region, 0.5 * p.ring_mm[0], p.ring_mm[1], outside=False)]
        inner = float(np.quantile(inside, 0.5 + sign * (p.inner_quantile - 0.5))) if inside.size else None
        outer = median_or_none(win.sm[win.ring(region, *p.ring_mm)])
        if inner is None or outer is None or sign * (inner - outer) <= 0:
            break
        if abs(inner - outer) / 2.0 < 0.5 * gate:
            return f"{TOO_FAINT} against the liver ({inner - outer:+.0f}, liver noise {sd:.0f})"
        grown = grow(win.sm, seed, sign, (inner + outer) / 2.0,
                     keep=win.ring(region, 1.5 * p.ring_mm[1], 1e9, outside=False),
                     ceiling=inner + p.beyond_ratio * (inner - outer))
        if not grown.any():
            break
        region, before = grown, levels.threshold
        levels = Levels(sign, (inner + outer) / 2.0, outer, sd, inner, levels.mode)
        if abs(levels.threshold - before) < 0.05 * abs(inner - outer):
            break
    return levels, region
