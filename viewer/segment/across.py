"""Across the slices: which slice a lesion is measured on, and what runs through them like a vessel.

The rules :func:`viewer.segment.suggest.suggest_diameter` applies to the outlines it followed from
slice to slice (:mod:`viewer.segment.slice2d`): a slice holding only part of the lesion gives way to
a fuller neighbour (:func:`fuller_neighbour`), levels set on the lesion's tip are set again from the
slice chosen (:func:`from_a_tip`), and a structure followed as long as it is over more than
``tube_extent`` times its length is not a lesion (:func:`through_slices`). With them the small geometric
helpers both use: an outline's length and ends (:func:`measure`), whether a point lies inside or
near it.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from viewer.geometry import farthest_pair_mm
from viewer.segment.levels import LESION_ENDS, NO_CONTRAST, TOO_FAINT
from viewer.segment.records import SuggestParams, VolumeLike
from viewer.segment.slice2d import SliceOutline


def depth_ratio(sizes: dict[int, float], positions: "np.ndarray | list[float]", k: int) -> float | None:
    """How deep against its length the ellipsoid d(z)^2 = D^2 (1 - (z - zc)^2 / c^2) is that passes through the sections
    ``sizes`` found on slice ``k`` and the slices either side (``positions`` along the stack's normal, mm): 2c / D, or
    None where a neighbour is missing or the three do not bulge at ``k`` (d^2 not concave: no ellipsoid)."""
    if k - 1 not in sizes or k + 1 not in sizes:
        return None
    z = [float(positions[j]) - float(positions[k]) for j in (k - 1, k, k + 1)]
    d2 = [sizes[j] ** 2 for j in (k - 1, k, k + 1)]
    # d^2 = A + B z + C z^2 through the three points (Lagrange's divided differences)
    first = [(d2[1] - d2[0]) / (z[1] - z[0]), (d2[2] - d2[1]) / (z[2] - z[1])]
    c2 = (first[1] - first[0]) / (z[2] - z[0])
    if not c2 < 0:
        return None
    b = first[0] - c2 * (z[0] + z[1])
    peak = d2[1] - b * b / (4.0 * c2)  # D^2, at z = -B / 2C (A = d2[1]: z[1] = 0)
    return 2.0 * math.sqrt(peak / -c2) / math.sqrt(peak)


def measure(o: SliceOutline, spacing: tuple[float, float]) -> tuple[float, tuple[float, float], tuple[float, float]]:
    """The outline's longest diameter and its ends (row, col). On an ellipse the farthest pair of
    its points is its major axis (both ends are among the points drawn), taken directly: the ellipse's
    own centre (mm from the outline's centre, the region's deepest pixel) plus and minus its
    semi-major axis."""
    if o.ellipse is not None:
        e = o.ellipse
        ends = [(o.centre[0] + (e.cy + s * e.a * math.sin(e.angle)) / spacing[0],
                 o.centre[1] + (e.cx + s * e.a * math.cos(e.angle)) / spacing[1]) for s in (1.0, -1.0)]
        return 2.0 * e.a, min(ends), max(ends)
    d, i, j = farthest_pair_mm(o.points, *spacing)
    p1 = (float(o.points[i, 0]), float(o.points[i, 1]))
    p2 = (float(o.points[j, 0]), float(o.points[j, 1]))
    return d, min(p1, p2), max(p1, p2)


def lesion_ends(reason: str) -> bool:
    """Whether a slice without an outline is where the lesion ends (absent, or too faint there:
    it fills little of the slice) rather than where it goes on unmeasured."""
    return reason == LESION_ENDS or reason.startswith((NO_CONTRAST, TOO_FAINT))


def moved_mm(a: tuple[float, float], b: tuple[float, float], spacing: tuple[float, float]) -> float:
    return float(np.hypot((a[0] - b[0]) * spacing[0], (a[1] - b[1]) * spacing[1]))


def inside_outline(polygon: np.ndarray, at: tuple[float, float]) -> bool:
    """Even-odd rule: does a ray from ``at`` cross the closed polygon's edges an odd number of times?"""
    r, c = polygon[:, 0], polygon[:, 1]
    r2, c2 = np.roll(r, -1), np.roll(c, -1)
    straddles = (r > at[0]) != (r2 > at[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = c + (at[0] - r) * (c2 - c) / (r2 - r)
    return bool(np.count_nonzero(straddles & (at[1] < cross)) % 2)


def near_outline(o: SliceOutline, at: tuple[float, float], spacing: tuple[float, float], tolerance_mm: float) -> bool:
    """Whether ``at`` lies inside the outline or within ``tolerance_mm`` of it."""
    if inside_outline(o.points, at):
        return True
    d = (o.points - np.asarray(at)) * np.asarray(spacing)
    return bool(np.hypot(d[:, 0], d[:, 1]).min() <= tolerance_mm)


def partial(found: dict[int, SliceOutline], ends: Callable[[int], bool], k: int, other: int, p: SuggestParams) -> bool:
    """Whether slice ``k`` holds only part of the lesion next to slice ``other``: its inner half
    stands out from the liver by less than ``partial_volume_ratio`` of ``other``'s (partial volume
    through the slice; a necrotic or rim lesion's inner half, not on the lesion's side, never
    does) and the lesion ends beyond it (``ends``: the next slice holds no lesion -- not the
    stack's edge, a slice not loaded or a slice whose boundary was not found, beyond which the
    lesion may go on larger)."""
    return 0 < found[k].fullness < p.partial_volume_ratio * found[other].fullness and ends(k)


#: Why the slice chosen gave way to its neighbour (``gave_way`` in the record).
FULLER, JOINED = "fuller", "joined"


def fuller_neighbour(found: dict[int, SliceOutline], ends: Callable[[int], bool], holds: set[int], best: int,
                      sizes: dict[int, float], p: SuggestParams,
                      parted: frozenset[int] = frozenset()) -> tuple[int, str | None]:
    """The slice to measure instead of ``best``, and why (``None``: ``best`` stays), when the lesion
    ends beyond ``best`` and ``best`` holds only part of it (:func:`partial`), next to a
    neighbour ``k`` whose inner half stands out from the liver by ``partial_volume_sd`` SDs of the
    liver more:

    - ``k`` at least ``partial_volume_size`` times as long (``fuller``): the slab of a slice
      through the lesion's tip holds wider planes, so at the click's threshold its faint section
      can come out as long as the full one next to it, and a line there lies on a section a reader
      sees as half the lesion;
    - or ``k`` shorter than that, next to ``best``, with a followed slice beyond it too (``joined``):
      a section at the lesion's end longer than the one nearer its middle is the lesion's tip
      joined to something else there (a vessel, the capsule; LLSYN002 L04 on T1 arterial, 20.5 mm:
      25.7 mm on its tip against 20.3 on the slice next to it, outlines before calibration);
    - or such a ``k`` beyond which the lesion ends too (a lesion on two slices), when ``best``'s edge
      leaves its ellipse on ``joined_end_leak`` of its rays or more (``joined``: what it joins shows
      there; LLSYN001 L03 on CT portal, 9.5 mm, pressed against a portal vein: 15.5 mm on its tip's
      slice, 14 % of its rays off the ellipse, against 8.0 mm on the fuller slice). Without that
      sign the longer slice stays: a lesion on two 7 mm T2 FS slices whose fuller slice is the shorter
      one is measured within 0.1 mm on the longer.

    A lesion on two slices gives way so (``joined``) without the fullness too, when the shorter
    section's edge stays on its ellipse (under half ``joined_end_leak`` of its rays off it) while the
    longer one's leaves it, and the shorter is at least ``joined_end_size`` of its length: a 9.5 mm
    lesion whose tip merges with a vessel's section as dark as it came out 11.6-13.7 mm on the tip's
    slice, whose partial volume is too slight for the fullness (LLSYN001 L03 on T1 portal: 12.5
    against 10.5 mm, +3.8 -> +1.6). A much shorter section is the lesion's own tip, and a lesion
    merely touching a vessel on its full slice stays measured there (a code review built a 12 mm
    lesion measured as its 6.2 mm tip without that bound). Neither two-slice rule acts where
    following stopped beyond ``best`` on a part that separates there (``parted``: the split refusal
    is for it).

    The fullness rules act only with ``fuller_give_way`` (the two-slice rule on the edge alone always). The longest
    such neighbour is measured. Necrotic and rim lesions with an inner half not on the
    lesion's side are left as they are; a lesion whose centre is fainter (a partial scar) is not,
    when the lesion ends beyond its end slice."""
    def joined_end(k: int) -> bool:  # a lesion on two slices, ``best``'s edge off its ellipse on many rays
        return len(found) == 2 and abs(k - best) == 1 and best not in parted and ends(k) and ends(best) \
            and sizes[k] < sizes[best] and found[best].leaked_fraction >= p.joined_end_leak

    def why(k: int) -> str | None:
        if joined_end(k) and found[k].leaked_fraction < 0.5 * p.joined_end_leak \
                and sizes[k] >= p.joined_end_size * sizes[best]:
            return JOINED  # the shorter section's edge stays on its ellipse: the longer one's leaves it for what it joins
        if not p.fuller_give_way or not partial(found, ends, best, k, p) \
                or found[k].fullness - found[best].fullness < p.partial_volume_sd * found[best].levels.liver_sd:
            return None
        if sizes[k] >= p.partial_volume_size * sizes[best]:
            return FULLER
        if abs(k - best) != 1:
            return None
        return JOINED if min(found) < k < max(found) or joined_end(k) else None
    candidates = [k for k in holds if why(k)]
    if not candidates:
        return best, None
    k = max(candidates, key=lambda k: sizes[k])
    return k, why(k)


def from_a_tip(found: dict[int, SliceOutline], ends: Callable[[int], bool], levelled: int, best: int, sizes: dict[int, float],
                p: SuggestParams) -> bool:
    """Whether the slice the levels came from (``levelled``) holds only the lesion's tip, next to
    the slice chosen: the lesion ends beyond it, its section is under ``tip_size`` of the chosen
    one's length and its inner half stands out from the liver by under ``partial_volume_ratio``
    of the chosen one's. Its threshold, half-way to a level that partial volume brought near the
    liver, makes the chosen slice's outline larger than the same slice clicked directly gives (on
    b800, 11.3-11.8 against 8.2 mm for a 9.7 mm lesion)."""
    return levelled != best and sizes[levelled] < p.tip_size * sizes[best] and partial(found, ends, levelled, best, p)


def through_slices(volume: VolumeLike, best: int, found: dict[int, SliceOutline], ends: Callable[[int], bool], size: float,
          look: Callable[[int, tuple[float, float]], SliceOutline | str], spacing: tuple[float, float],
          p: SuggestParams) -> str:
    """Whether what is found on ``best`` (``size`` mm long) runs on through the slices as long as it
    is: followed under its centre (the outlines already found where there are some), at least
    ``tube_size`` of its length and centred within ``max_shift`` of it from slice to slice (a slice
    where it is not outlined, leaking into what lies next to it, passed over once it has gone on half
    its length, never two in a row; where the lesion was found to end, ``ends``, it ends), over
    ``tube_extent`` times its length along the stack's normal between its end slices, less a slice's
    spacing (partial volume at each end).
    ``look(k, centre)``: the outline on slice ``k`` at the click's levels from ``centre`` (or why not).
    The extent and lengths, for the refusal; "" when it ends sooner."""
    if not p.tube_extent:
        return ""
    positions = volume.geometry.slice_projections_mm
    n = len(positions)
    step_mm = volume.geometry.slice_spacing_mm or 0.0
    last: dict[int, int] = {}
    for direction in (-1, 1):
        k, centre = best, found[best].centre
        nxt = k
        while abs(positions[k] - positions[best]) - step_mm < p.tube_extent * size:
            if nxt in found and nxt + direction not in found and ends(nxt):
                break  # the lesion ends beyond the last slice followed: looked at already
            nxt += direction
            if not 0 <= nxt < n or not volume.loaded[nxt]:
                break
            there = found[nxt] if nxt in found else look(nxt, centre)
            if isinstance(there, str):
                if lesion_ends(there) or abs(positions[k] - positions[best]) < 0.5 * size or nxt - k != direction:
                    break
                # not outlined there (it leaks into what lies next to it), past half its length from the
                # slice measured, farther than a lesion keeps that much of its length: that one slice is
                # passed over (never two in a row: what lies beyond a gap may be another structure)
                continue
            if measure(there, spacing)[0] < p.tube_size * size or moved_mm(there.centre, centre, spacing) > p.max_shift * size:
                break
            k, centre = nxt, there.centre
        last[direction] = k
    # each end slice's slab may hold only the structure's edge, seen through partial volume as long as
    # its middle: a slice's spacing off each end (an 11 mm lesion on 7 mm T2 FS slices shows alike on
    # three of them)
    span = abs(positions[last[1]] - positions[last[-1]])
    if span - step_mm < p.tube_extent * size:
        return ""
    return (f"{size:.1f} mm here, {p.tube_size:.0%} of that or more over {span:.0f} mm "
            f"({positions[last[-1]]:.1f} to {positions[last[1]]:.1f} mm)")
