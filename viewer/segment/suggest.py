"""A click inside a lesion -> its longest axial diameter, on the slice where it is largest.

The click's slice sets the lesion's side and threshold (:func:`viewer.segment.levels.find_levels`),
found again from the centre of what it found (so that any click inside the lesion ends the same
way; a necrotic core found from its centre never replaces the lesion round it); the same
threshold follows the lesion onto the neighbouring slices (each seeded at the previous slice's
centre) while it lasts (up to ``slices_each_side`` each way, further while it grows; the rules
across slices are :mod:`viewer.segment.across`'s), so every slice is cut at the same
level and the slice the lesion fills most has the longest diameter. On each slice the boundary
is the robust ellipse through the rays' edges at their own half-maximum
(:func:`viewer.segment.slice2d.outline`). The diameter is :func:`viewer.geometry.farthest_pair_mm`
of the boundary points: the convention of :mod:`viewer.geometry.diameter`, the manual tool's
distance (on an ellipse, its major axis, drawn through the ellipse's own centre).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Callable

import numpy as np

from viewer.body import outside_body, sample_values
from viewer.segment.across import (JOINED, depth_ratio, from_a_tip, fuller_neighbour, inside_outline, joined_fuller_sd,
                                   lesion_ends, measure, moved_mm, near_outline, through_slices)
from viewer.segment.around import against_fat, raw_shell, stands_out_sd, with_beyond
from viewer.segment.levels import (LEAKS_BEYOND, LESION_ENDS, NO_CONTRAST, REACHES_EDGE, Levels, Unsegmentable, Window,
                                   find_levels)
from viewer.segment.looks import Looks
from viewer.segment.records import METHOD_NAME, Refusal, Suggestion, SuggestParams, VolumeLike
from viewer.segment.slice2d import FAINTER_SHELL, LEAKS_ON, OPPOSITE_RIM, SliceOutline, outline


#: The search window's half-width at most (pixels): 50 mm at 0.025 mm pixels. Finer pixels are no CT
#: or MR image's, and the window's cost grows as its square.
MAX_WINDOW_PX = 2000
#: Why a slice next to the lesion tells nothing yet, or nothing at all (the refusal's reason).
SLICE_LOADING = "that slice is still loading"
GAP = "a gap in the stack"
#: Why a lesion under ``min_pixels_across`` is refused (the message's core).
SMALL = "too small on this series"
#: How the refusal begins when what is found on few slices holds mostly liver over the disc of its diameter.
FAINT_WHOLE = "what is found is faint as a whole"
#: How the refusal begins when the outline measured parts into a small piece on the next slice.
SPLITS = "what is found here joins two structures"
#: How the refusal begins when the lesion goes on, unmeasured, through the slice clicked.
LOST_ON_CLICKED = "the lesion may be longest on the slice clicked"
#: How the refusals begin when the lesion goes on, unmeasured, through the slice clicked or one followed.
LOST_ON_NEIGHBOUR = "the lesion may be longest on"
#: How the refusal begins when the slice measured has no elliptical edge.
IRREGULAR = "the lesion's edge is irregular"
#: How the refusal begins when the edge leaves the ellipse measured on more rays than the series allows.
BEYOND_ELLIPSE = "the lesion may go on beyond the ellipse found"
TOO_SMALL = "too small to suggest"
#: How the refusal begins when the slice measured lies further from the click than the lesion's half-length.
FAR_AWAY = "what is found grows on far from the slice clicked"
#: How the refusal begins when a large section found runs on through the slices far deeper than a lesion (a kidney below
#: the liver, ``organ_depth``, session 49).
ORGAN = "what is found is far deeper than it is long"
#: How the refusal begins when what is found runs on through the slices as long as it is (a vessel along the stack).
TUBE = "what is found runs through the slices like a vessel"
#: parts of refusals the workstation words for the reader (app.refusal_words)
MERGES_NEIGHBOUR = "the lesion merges with a neighbour"
LEAKED = ": it leaked"
#: How the refusal begins when what is found stands out on the slice clicked only, inside a fainter whole.
ONE_SLICE_PART = "what is found stands out on this slice only"
#: How the refusal begins when the slice measured would be a faint tip that a fuller, longer section gave way to.
FAINT_TIP = "the lesion's faint tip would be measured"
#: How the refusal begins when the slice measured's outline at the levels of another slice and at its own disagree.
LEVELS_DISAGREE = "the lesion's edge differs with the slice its levels are read on"
#: How the refusal begins when a lesion found on one slice only is held nearly as long by both neighbours at their own
#: levels (``one_slice_neighbours``, v18, b800).
DEEPER = "the lesion may be deeper than what is found"
#: How the refusal begins when the ellipse measured is narrower than a lesion's section (``min_axis_ratio``).
NARROW = "what is found is narrower than a lesion's section"
CUTS_IN = "its edge cuts into the ellipse found"
#: How the refusal begins when the lesion lies against the liver's edge (``capsule_rays``, v20, CT portal).
AGAINST_CAPSULE = "the lesion lies against the liver's edge"
#: How the refusal begins when a section far longer than the one measured gave way as "joined" to it and the lesion is
#: not found again from the slice given up (``joined_again``, v21, b800).
JOINED_LOST = "the lesion's largest section is not found apart from what it merges with"
#: How the refusal begins when what is found on the slice clicked lies beside the click (``max_click_radius``, v21).
BESIDE_CLICK = "what is found lies beside the click"
#: How the refusal begins when the pixels at the click read nearer the liver than the lesion level measured at
#: (``min_click_share``, session 44, CT portal and T2 FS): the levels were found on something else (the fat beyond the
#: capsule).
NOT_CLICKED_LEVEL = "the lesion measured is not what the click reads"
#: How a one-slice line measured as found under ``one_slice_faint_below_px`` and faint or a peak with tails is explained
#: (v20, b800): the reader's words say it (app.refusal_words), not "faint" alone, which one at 7 SDs is not.
SMALLER_THAN_BLUR = "a lesion smaller than the blur, lengthened by it?"
#: How the refusal begins when the line clicked again at its own middle is not found again (``recheck_mm``).
NOT_AGAIN = "the line is not found again from its own middle"
#: How the refusal begins when the section on the slice clicked lies beside the one measured (``tail_excess``).
STACKED = "the lesion clicked may lie on a larger one's pole"
#: How the refusal begins when a small lesion is found alike on two slices only (``even_pair_below_mm``).
BETWEEN_SLICES = "the lesion's centre lies between two slices"


def _refuse(reason: str, p: SuggestParams, **extra: object) -> Refusal:
    return Refusal(reason, {"method": METHOD_NAME, **p.to_dict(), **extra})


def _on_slice(volume: VolumeLike, k: int, at: tuple[float, float], spacing: tuple[float, float],
              p: SuggestParams, levels: Levels) -> SliceOutline | str:
    """The outline on slice ``k`` at ``levels`` from ``at`` (the click's levels followed), or why not."""
    win = Window(volume.array[k], at, spacing, p)
    seed = win.local(at)
    if not win.inside(seed):
        return "the lesion leaves the image"
    return outline(win, seed, levels, p)


def _middle(p1: Sequence[float], p2: Sequence[float]) -> tuple[float, float]:
    """The middle of a line from ``p1`` to ``p2`` (row, column, as :func:`measure` gives its ends)."""
    return (p1[0] + p2[0]) / 2.0, (p1[1] + p2[1]) / 2.0


def _neighbour_shares(volume: VolumeLike, best: int, middle: tuple[float, float], d: float,
                      spacing: tuple[float, float], p: SuggestParams) -> tuple[float, float]:
    """The outlines found on the slices before and after ``best`` at their own levels, from the line's ``middle`` (as a
    click there), as shares of the line's length ``d`` (0 where none is found, the slice is not loaded or beyond the
    stack): a lesion found on one slice only (b800, ``one_slice_neighbours``) whose neighbours both hold it nearly as
    long is deeper than a slice's spacing each way, and the click's levels lost it there."""
    shares = []
    for k in (best - 1, best + 1):
        own = _start(volume, k, middle, spacing, p) if 0 <= k < volume.array.shape[0] and volume.loaded[k] else "none"
        shares.append(0.0 if isinstance(own, str) else measure(own[1], spacing)[0] / d)
    return shares[0], shares[1]


def _plateau_share(image: np.ndarray, middle: tuple[float, float], d: float, levels: Levels,
                   spacing: tuple[float, float], p: SuggestParams) -> float:
    """How much of its peak's contrast the disc of a line's diameter ``d`` round its ``middle`` holds on average, on the
    denoised image, against the liver's level: the peak is the brightest (lesion side) value within a quarter of ``d``
    of the middle. A section as large as its line is a plateau (0.55-0.8 on b800's lines of 10 mm lesions on one slice);
    a lesion smaller than the blur, lengthened by it, a peak with tails (under 0.5)."""
    win = Window(image, middle, spacing, p)
    q = win.local(middle)
    inner, whole = win.disc(q, 0.25 * d), win.disc(q, 0.5 * d)
    if not inner.any() or not whole.any():
        return 0.0
    sm = levels.sign * (win.sm - levels.liver)
    peak = float(sm[inner].max())
    return float(sm[whole].mean()) / peak if peak > 0 else 0.0


def _peak_half_share(volume: VolumeLike, k: int, middle: tuple[float, float], d: float, levels: Levels,
                     spacing: tuple[float, float], p: SuggestParams) -> float | None:
    """The outline on slice ``k`` found from a line's ``middle`` at half its peak's contrast, as a share of the line's
    length ``d``; the peak is :func:`_plateau_share`'s (the brightest denoised value, on the lesion's side, within a
    quarter of ``d`` of the middle), the threshold half-way from the liver's level to it. None where there is no peak or
    no outline there (no verdict). A lesion's plateau holds its length at half its peak (0.754 and more on b800's lines
    of lesions of 10 mm or more on two slices measured as found, 43 realisations); a lesion smaller than the blur, a
    peak with tails whose threshold lay low on them, is shorter there (fresh 479 LLSYN002 L11, 6.5 mm: 9.69 mm at the
    click's threshold, a quarter of its peak's contrast, 6.15 at half: 0.63)."""
    win = Window(volume.array[k], middle, spacing, p)
    inner = win.disc(win.local(middle), 0.25 * d)
    if not inner.any():
        return None
    peak = float((levels.sign * (win.sm - levels.liver))[inner].max())
    if peak <= 0:
        return None
    top = levels.liver + levels.sign * peak
    half = replace(levels, threshold=levels.liver + 0.5 * (top - levels.liver), lesion=top)
    at_half = _on_slice(volume, k, middle, spacing, p, half)
    return None if isinstance(at_half, str) else measure(at_half, spacing)[0] / d


def _tail_excess(found: dict[int, SliceOutline], best: int, clicked: int, ends: Callable[[int], bool]) -> int | None:
    """How many slices further the lesion is followed beyond ``best`` on the side of ``clicked`` than on the other side,
    where it ends (``ends``); None when ``clicked`` is under two slices from ``best`` or the other side does not end."""
    if abs(clicked - best) < 2:
        return None
    direction = 1 if clicked > best else -1
    last = best
    while last - direction in found:
        last -= direction
    if not ends(last):
        return None
    far = best
    while far + direction in found:
        far += direction
    return abs(far - best) - abs(best - last)


def _even_pair(found: dict[int, SliceOutline], sizes: dict[int, float], best: int) -> tuple[float, float, float] | None:
    """For a lesion found on two slices only: the shorter section's length as a share of the longer's, how far the other
    slice stands out from the liver (``fullness``) as a share of how far the slice measured does, and how far the two
    stand out together as a share of the liver's level (the window's liver mode on the slice measured; 0 where that
    level is not above 0); None otherwise."""
    if len(found) != 2:
        return None
    (other,) = set(found) - {best}
    a, b = found[best].fullness, found[other].fullness
    if not (a > 0 and b > 0) or sizes[best] <= 0 or sizes[other] <= 0:
        return None
    liver = found[best].levels.mode
    together = (a + b) / liver if liver > 0 else 0.0
    return min(sizes[other], sizes[best]) / max(sizes[other], sizes[best]), b / a, together


def _click_radius(o: SliceOutline, at: tuple[float, float], spacing: tuple[float, float]) -> float:
    """How far the click ``at`` lies from the centre of outline ``o``'s ellipse, in units of the ellipse's radius that
    way (under 1 inside it, 1 on its edge); without an ellipse, 0 inside the outline and 1 outside it."""
    e = o.ellipse
    if e is None or e.a <= 0 or e.b <= 0:
        return 0.0 if inside_outline(o.points, at) else 1.0
    return e.normalised_radius((at[1] - o.centre[1]) * spacing[1], (at[0] - o.centre[0]) * spacing[0])


def click_share(volume: VolumeLike, k: int, at: tuple[float, float], spacing: tuple[float, float],
                p: SuggestParams, levels: Levels) -> tuple[float, float]:
    """The smoothed value at ``at`` on slice ``k`` (the median of the click's disc, as :func:`find_levels` reads it)
    and where it lies from the liver's level (0) to the lesion's (1) of ``levels``: about 1 or over at a click inside
    the lesion measured, near 0 or under where the levels were read on something else than what was clicked."""
    win = Window(volume.array[k], at, spacing, p)
    value = float(np.median(win.sm[win.disc(win.local(at), p.click_disc_mm)]))
    contrast = abs(levels.lesion - levels.liver)
    return value, (levels.sign * (value - levels.liver) / contrast if contrast > 0 else 0.0)


def _start(volume: VolumeLike, k: int, at: tuple[float, float], spacing: tuple[float, float],
           p: SuggestParams, clicked: bool = True) -> tuple[Levels, SliceOutline] | str:
    """The lesion's levels and outline on slice ``k`` from a click at ``at``, or why not (``clicked``:
    ``at`` is the reader's point or a centre found from it on that slice, whose part of the region is
    the lesion; False: the centre followed from another slice)."""
    win = Window(volume.array[k], at, spacing, p)
    found = find_levels(win, win.local(at), p)
    if isinstance(found, str):
        return found
    o = outline(win, win.local(at), found[0], p, found[1], own_part=clicked)
    return o if isinstance(o, str) else (found[0], o)


#: A click on the background round the body, and what the method says of it before it is asked where the
#: click is (a refusal about the input -- values, slices, geometry -- keeps its own reason).
OUTSIDE_BODY = "that point is outside the body: click inside the lesion"
AIR_REASONS = (NO_CONTRAST, LEAKS_BEYOND, REACHES_EDGE)


def suggest_diameter(volume: VolumeLike, slice_index: int, at: tuple[float, float],
                     params: SuggestParams | None = None) -> Suggestion | Refusal:
    """The longest axial diameter of the lesion under ``at`` = (row, col) on ``slice_index``."""
    p = params or SuggestParams()
    if isinstance(slice_index, bool) or not isinstance(slice_index, (int, np.integer)):
        return _refuse(f"a slice index is a whole number, got {slice_index!r}", p)
    if not all(math.isfinite(float(v)) for v in at):
        return _refuse(f"the click is not a point of the image ({at!r})", p)
    geo = volume.geometry
    # one click's looks for all its runs, the second tries' too (:mod:`viewer.segment.looks`)
    looks = Looks(volume, (geo.row_spacing_mm, geo.column_spacing_mm), p) \
        if geo.row_spacing_mm is not None and geo.column_spacing_mm is not None else None
    off_body: list[bool] = []  # whether the click is off the body, once asked

    def off_the_body() -> bool:
        if not off_body:
            off_body.append(_off_the_body(volume, int(slice_index), at))
        return off_body[0]

    try:
        # the liver's peak nearer the click and the lower vessel ratio are tried only in second tries (``near_peak_share``,
        # ``vessel_ratio_again``): the first as without them
        result = _first_and_after(volume, int(slice_index), at, replace(p, near_peak_share=0.0, vessel_ratio_again=0.0),
                                  looks)
        if p.near_peak_share or p.vessel_ratio_again:
            result = _with_params(result, near_peak_share=p.near_peak_share, vessel_ratio_again=p.vessel_ratio_again)
        first_reason = result.reason if isinstance(result, Refusal) else ""
        if isinstance(result, Refusal) and p.near_peak_share and LEAKS_BEYOND in result.reason \
                and not off_the_body():
            # CT arterial (session 46): the region grown from the click ran out of the window, every peak of the window's
            # histogram tried as the liver but the nearer ones: a lesion against the capsule, whose window holds more
            # fat beyond it than liver (the main peak at -105 HU, the liver's own 0.16 of the way from the click's
            # level), grows through the whole liver. Made again with the nearer peaks tried too; what that gives
            # stands, with every rule of the series (it makes a line only where the first try leaked)
            # T1 arterial (session 47): the dark fat and background beyond the liver's edge, alike, with two more guards
            near = _near_peak_again(volume, int(slice_index), at, p, looks)
            if near is not None:
                result = _with_params(near, near_peak_again=True, vessel_ratio_again=p.vessel_ratio_again)
        if isinstance(result, Refusal) and p.vessel_ratio_again \
                and first_reason.startswith((LOST_ON_NEIGHBOUR, BEYOND_ELLIPSE)):
            # CT arterial (session 46): lost on a slice where the boundary leaks or leaves the ellipse, a portal vein
            # branch against the lesion (150 HU against its 115-130) under the lesion's level plus a contrast, kept in the
            # region as the lesion's: made again cutting off what stands beyond half a contrast (``vessel_ratio``); what
            # that gives stands, with every rule of the series
            again = _first_and_after(volume, int(slice_index), at,
                                     replace(p, near_peak_share=0.0, vessel_ratio=p.vessel_ratio_again), looks)
            round_enough = isinstance(again, Suggestion) and (
                not p.vessel_again_axis_ratio or again.params.get("axis_ratio", 0.0) >= p.vessel_again_axis_ratio)
            if isinstance(again, Suggestion) and round_enough:
                result = _with_params(again, vessel_again=True, vessel_ratio=p.vessel_ratio,
                                      near_peak_share=p.near_peak_share)
        if isinstance(result, Refusal) and p.inner_quantile_again \
                and (first_reason.startswith(NARROW) or first_reason.startswith(f"{SPLITS}: {CUTS_IN}")):
            # T1 arterial (session 48): a lesion and a vessel touching it at about half its contrast (a portal vein branch)
            # found as one region, too narrow for a lesion or with a waist between them: made again with the threshold
            # read at the lesion's brighter pixels just inside the edge; what that gives stands, with every rule of the
            # series (its own looks: the levels differ from the first step on)
            again = _first_and_after(volume, int(slice_index), at,
                                     replace(p, near_peak_share=0.0, vessel_ratio_again=0.0,
                                             inner_quantile=p.inner_quantile_again), None)
            if isinstance(again, Suggestion):
                result = _with_params(again, inner_again=True, first_reason=first_reason)
    except Unsegmentable as exc:
        result = _refuse(str(exc), p)
    if isinstance(result, Refusal) and any(w in result.reason for w in AIR_REASONS) and off_the_body():
        # said as such, not as "no contrast against the liver" (a reader's check on b800's air); judged only
        # once refused, so a suggestion's time is unchanged
        return Refusal(OUTSIDE_BODY, result.params)
    if isinstance(result, Refusal) and p.lesion_side and looks is not None and not result.reason.startswith(WRONG_SIDE):
        # what the click itself found is of the other contrast than this series' lesions (a flow void on T2 FS: the
        # dark IVC inside the liver): said so, whatever later step refused it (a reader's check, session 49: "the
        # lesion may be longest on the neighbouring slice", of a vessel). Judged only once refused: no line changes
        start = _click_start(volume, int(slice_index), at, p, looks)
        if start is not None and start[0].sign != p.lesion_side:
            return Refusal(_side_reason(start[0], p), {**result.params, "first_reason": result.reason})
    return result


def _click_start(volume: VolumeLike, k: int, at: tuple[float, float], p: SuggestParams,
                 looks: Looks) -> tuple[Levels, SliceOutline] | None:
    """The levels and outline found from the click on its own slice (as the click's first run found them), None where
    none is (a slice not loaded, a point off the image, nothing standing out)."""
    geo = volume.geometry
    if not (0 <= k < volume.array.shape[0] and volume.loaded[k] and geo.orientation.value == "axial"
            and 0 <= at[0] <= geo.rows - 1 and 0 <= at[1] <= geo.columns - 1):
        return None
    try:
        start = looks.start(k, at, replace(p, near_peak_share=0.0, vessel_ratio_again=0.0))
    except Unsegmentable:
        return None
    return None if isinstance(start, str) else start


#: how a refusal of a click of the other contrast than the series' lesions begins (:func:`_side_reason`)
WRONG_SIDE = "what was found is "


def _side_reason(levels: Levels, p: SuggestParams) -> str:
    """A region darker than the liver where the series' lesions are brighter (T2 FS, b800: a vessel's flow void), or
    the reverse: no lesion of this series."""
    found_side, lesion_side = ("darker", "brighter") if p.lesion_side > 0 else ("brighter", "darker")
    return (f"what was found is {found_side} than the liver ({levels.lesion:.0f} against {levels.mode:.0f}); a lesion "
            f"on this series is {lesion_side} (a vessel?)")


def _first_and_after(volume: VolumeLike, slice_index: int, at: tuple[float, float],
                     p: SuggestParams, looks: Looks | None) -> Suggestion | Refusal:
    """The click suggested, and where the lesion may be longest on the slice clicked, started from the neighbour after
    it too (both runs with the click's ``looks``)."""
    result = _suggest(volume, slice_index, at, p, from_a_tip_again=True, lost_again=True, looks=looks)
    if isinstance(result, Refusal) and result.reason.startswith(LOST_ON_CLICKED) and p.both_neighbours:
        # the slice clicked found nothing of its own, the neighbour before it did and could not follow the lesion
        # back through it (from its tip, the slice clicked more than twice as large): from the neighbour after
        # it (v13; a reader's check clicked a 38 mm lesion at its centre two slices from its largest on b800)
        again = _suggest(volume, slice_index, at, p, from_a_tip_again=True, step_first=1, looks=looks)
        if isinstance(again, Suggestion):
            result = replace(again, params={**again.params, "started_after": True})
    return result


def _with_params(result: Suggestion | Refusal, **extra: object) -> Suggestion | Refusal:
    """``result`` with ``extra`` in its record."""
    return replace(result, params={**result.params, **extra})


def _near_peak_again(volume: VolumeLike, slice_index: int, at: tuple[float, float],
                     p: SuggestParams, looks: Looks | None) -> Suggestion | None:
    """CT arterial (session 46) and T1 arterial (session 47): a click whose region leaked beyond the window (50 mm),
    made again with the window's histogram peaks from ``near_peak_share`` of the way from the click's level tried as
    the liver too. A lesion against the liver's edge has more fat (and on T1 dark background) than liver in its window,
    the liver's own peak nearer the click than 0.4 of the way: grown against it, the region is the whole liver. The line
    made so stands with every rule of the series; where ``near_peak_half`` is set (T1 arterial), only where it is
    measured on the longest section followed -- one measured beside a longer section given up as the lesion's end
    "joined" to something is its tip (211 LLSYN002 L06, 14.0 mm beside the capsule, measured 10.3 mm on its tip's
    slice, -3.65) and stays refused -- and a line measured as found on two slices only where its outline found again at
    half its peak's contrast holds ``near_peak_half`` of it (the threshold against that peak on the tails of a lesion
    smaller than the blur: 407 LLSYN002 L11, 4.9 mm at the liver's tip, 8.05 mm at 0.856; the lines it makes so stand at
    0.96 or more). None where the second try gives no line."""
    p = replace(p, vessel_ratio_again=0.0)
    if p.near_peak_half:  # T1 arterial's guards (CT arterial's second try keeps every line its rules pass)
        p = replace(p, two_slice_peak_half=max(p.two_slice_peak_half, p.near_peak_half))
    again = _first_and_after(volume, slice_index, at, p, looks)
    if isinstance(again, Refusal) or (p.near_peak_half and again.params.get("gave_way") == JOINED):
        return None
    return again


def _past_end(volume: VolumeLike, best: int, found: dict[int, SliceOutline], ends_toward: Callable[[int, int], bool],
              levels: Levels, spacing: tuple[float, float], p: SuggestParams,
              gap: Callable[[int, int], bool]) -> tuple[float, int] | None:
    """Where the slice measured (``best``) is the last of the lesion's run one way and the lesion ends beyond it
    (``ends_toward(best, direction)``): on the slice beyond, the share of a disc an eighth of the line long, round
    the point a quarter of the way in from one end of the line, that stands out at the click's levels, less the
    same share at the other end (the larger of the two ways), and that slice; None when ``best`` is no such slice.
    A lesion ends there: beyond its end slice its own tip, if any, lies round its middle, alike for both ends of
    its line (a necrotic or rim lesion's shell, round a core its centre does not find, at both). Something as
    bright as the lesion round one end only goes on past it -- a vessel running through the slices whose section
    merges with the lesion's on the slice measured (LLSYN001 L03 on CT arterial, 10.6 mm, against a portal vein
    branch: 14.1 mm on its largest slice, the vein's section at one end of the line and on the slice beyond)."""
    n = volume.array.shape[0]
    d, p1, p2 = measure(found[best], spacing)
    middle = _middle(p1, p2)
    out: tuple[float, int] | None = None
    for direction in (-1, 1):
        k = best + direction
        if k in found or not 0 <= k < n or not volume.loaded[k] or gap(best, k) or not ends_toward(best, direction):
            continue
        win = Window(volume.array[k], middle, spacing, p)
        bright = levels.sign * (win.sm - levels.threshold) > 0
        shares = []
        for end in (p1, p2):
            q = win.local((end[0] + 0.25 * (middle[0] - end[0]), end[1] + 0.25 * (middle[1] - end[1])))
            disc = win.disc(q, d / 8.0)
            shares.append(float(bright[disc].mean()) if disc.any() else 0.0)
        one_end = max(shares) - min(shares)
        if out is None or one_end > out[0]:
            out = (one_end, k)
    return out


def _unsteady(volume: VolumeLike, k: int, centre: tuple[float, float], spacing: tuple[float, float],
              p: SuggestParams, levels: Levels, step: float) -> tuple[float, float] | None:
    """The diameter of the outline on slice ``k`` from ``centre`` at ``levels``, and at the threshold raised by
    ``step`` of the lesion's contrast (towards the lesion), or None when either finds no outline (no verdict: a
    necrotic shell may part at the raised threshold)."""
    raised = replace(levels, threshold=levels.threshold + step * (levels.lesion - levels.liver))
    at, above = (_on_slice(volume, k, centre, spacing, p, lv) for lv in (levels, raised))
    if isinstance(at, str) or isinstance(above, str):
        return None
    return measure(at, spacing)[0], measure(above, spacing)[0]


def _off_the_body(volume: VolumeLike, k: int, at: tuple[float, float]) -> bool:
    """Whether the click lies on the background round the body (:func:`viewer.body.outside_body`)."""
    if not (0 <= k < volume.array.shape[0]) or not volume.loaded[k]:
        return False
    return outside_body(volume.array[k], at, getattr(volume, "units", ""), sample_values(volume.array))


def _suggest(volume: VolumeLike, slice_index: int, at: tuple[float, float], p: SuggestParams,
             from_a_tip_again: bool, step_first: int = -1, recheck: bool = True,
             joined_again: bool = True, loose_neighbours: bool = False, looks: Looks | None = None,
             lost_again: bool = False) -> Suggestion | Refusal:
    geo = volume.geometry
    if not geo.measurable or geo.row_spacing_mm is None or geo.column_spacing_mm is None:
        return _refuse(f"cannot measure: {geo.not_measurable_reason}", p)
    if geo.orientation.value != "axial":
        return _refuse(f"cannot suggest on a {geo.orientation.value} stack: the protocol measures axially", p)
    n = volume.array.shape[0]
    if not 0 <= slice_index < n or not volume.loaded[slice_index]:
        return _refuse(f"slice {slice_index} is not loaded", p)
    if not (0 <= at[0] <= geo.rows - 1 and 0 <= at[1] <= geo.columns - 1):
        return _refuse("the click is outside the image", p)
    spacing = (geo.row_spacing_mm, geo.column_spacing_mm)
    if p.roi_radius_mm / min(spacing) > MAX_WINDOW_PX:
        # a helper's copy with 1e-5 mm pixels took 12 minutes (1e-9: 71 GiB asked): no image the method knows
        return _refuse(f"pixels of {min(spacing):.3g} mm: the method's {2 * p.roi_radius_mm:.0f} mm window would be "
                       f"{2 * p.roi_radius_mm / min(spacing):.3g} pixels across (over {2 * MAX_WINDOW_PX})", p)
    # what this click's runs have looked at: a run made again (from a tip, clicked again, with a looser leak limit)
    # reuses every slice it looks at as another run did (:mod:`viewer.segment.looks`)
    if looks is None:
        looks = Looks(volume, spacing, p)
    clicked = slice_index
    positions = geo.slice_projections_mm
    gaps = frozenset(geo.spacing_report.gaps)

    def gap(a: int, b: int) -> bool:
        """Neighbouring slices ``a`` and ``b`` lie across a gap of the stack (a step the spacing analysis
        calls one: slices missing there, a file not read; a stack mixing two spacings has none). A lesion
        is not followed across it (a helper's point in a 77 mm gap was measured on a slice 31.5 mm away)."""
        return min(a, b) in gaps

    start = looks.start(slice_index, at, p)
    start_failure = start if isinstance(start, str) else ""
    if isinstance(start, str):
        # the clicked slice may hold only the lesion's tip (partial volume): the lesion's fuller
        # slices are next to it, under the same point (the one before it first, unless ``step_first`` says)
        for k in (slice_index + step_first, slice_index - step_first):
            if 0 <= k < n and volume.loaded[k] and not gap(slice_index, k):
                other = looks.start(k, at, p)
                if not isinstance(other, str) and near_outline(other[1], at, spacing, max(spacing)):  # under the click
                    start, slice_index = other, k
                    break
    if isinstance(start, str):
        return _refuse(start, p)
    levels, first = start
    # started again from the centre found, so that any click inside the lesion ends the same way
    # (a necrotic core found from its centre is inside the lesion found first: the outer one stays),
    # until the centre found is the one started from: clicks whose first centres differ by a pixel
    # then meet at the same centre (LLSYN003 L03 on b800: two of ten clicks ended 1.1 mm from the other eight)
    tried: set[tuple[float, float]] = set()
    clicked_size = measure(first, spacing)[0]  # each restart against the lesion found from the click
    restart_share = p.restart_share or 0.9
    for _ in range(p.restarts):
        if first.centre in tried:
            break
        tried.add(first.centre)
        again_start = looks.start(slice_index, first.centre, p)
        if not isinstance(again_start, str) and near_outline(again_start[1], at, spacing, max(spacing)) \
                and measure(again_start[1], spacing)[0] >= restart_share * clicked_size:
            levels, first = again_start
        else:
            break
    found = {slice_index: first}
    # each outline's length, kept beside it; one threshold on every slice: the slice the lesion fills
    # most (partial volume through the slice) has the longest diameter at it
    sizes = {slice_index: measure(first, spacing)[0]}

    # the slices followed from the one the levels are read on, with the series' looser leak limit when made again so
    pn = replace(p, max_leak_fraction=p.neighbour_leak) if loose_neighbours and p.neighbour_leak else p

    def look(k: int, centre: tuple[float, float]) -> SliceOutline | str:
        """Slice ``k`` at the click's levels from ``centre`` (each looked at once in the click)."""
        return looks.on_slice(k, centre, pn, levels)


    lost: dict[int, tuple[int, str]] = {}  # direction -> the slice where the lesion went on unmeasured, why
    ended: dict[int, int] = {}  # direction -> the last slice followed, when the lesion ends beyond it
    searched: dict[int, tuple[int, tuple[float, float]]] = {}  # direction -> the last slice searched, its centre
    split: dict[int, tuple[int, float, float]] = {}  # slice -> the next slice, the part found there, its shift
    for direction in (-1, 1):  # follow the lesion at the click's threshold while it lasts
        centre = first.centre
        step = 0
        while True:
            step += 1
            k = slice_index + direction * step
            if step > p.slices_each_side:
                last, before_last = k - direction, k - 2 * direction
                # past the slices searched only while the section still grows: its longest lies further on
                # (a narrowing between two structures ends the lesion, below)
                if step > p.slices_growing or before_last not in found or sizes[last] <= sizes[before_last]:
                    searched[direction] = (last, centre)  # whether it ends beyond them is looked at when asked
                    break
            if not 0 <= k < n:
                break  # the stack's edge: the largest section there is
            if not volume.loaded[k] or gap(k - direction, k):
                # the lesion may go on, larger, where nothing can be seen: a slice still loading, or a gap
                # (a review removed a lesion's largest slices and got its lines 2-9 mm short beside the gap)
                lost[direction] = (k, f"{GAP}: slices missing between {positions[k - direction]:.1f} and "
                                      f"{positions[k]:.1f} mm" if gap(k - direction, k) else SLICE_LOADING)
                break
            followed = look(k, centre)
            before = sizes[k - direction]
            if followed == LESION_ENDS and p.own_core_size \
                    and not (k - 2 * direction in found and before < sizes[k - 2 * direction]):
                # under the centre followed the click's levels find nothing, the section not shrinking
                # towards here (where it shrinks, that is the lesion's end): a necrotic or rim lesion's
                # core widening here (LLSYN003 L07, 38 mm, necrotic, on CT arterial: a click two slices
                # from its largest section measured 29.5 mm on the slice clicked), or the lesion's end.
                # The slice's own levels from that centre are taken when they cut on the lesion's side of
                # the click's liver level (not a brighter part of the liver round a dark lesion: LLSYN001
                # L01 on CT portal, 26.4 mm there, came out 37.8 mm with it), stand out from the liver by
                # half the click's contrast or more (not the lesion's faint tip through the slab: LLSYN002
                # L05 on b800, 15.8 mm at a fifth of it beyond its 15.6 mm section), with an elliptical
                # edge, at least as long as the slice before
                own = looks.start(k, centre, pn, clicked=False)
                if not isinstance(own, str) and own[0].sign == levels.sign and own[1].ellipse is not None \
                        and levels.sign * (own[0].threshold - levels.liver) > 0 \
                        and abs(own[0].lesion - own[0].liver) >= 0.5 * abs(levels.lesion - levels.liver) \
                        and measure(own[1], spacing)[0] >= p.own_core_size * before:
                    followed = own[1]
            if isinstance(followed, str) and not lesion_ends(followed):
                # the click's levels do not hold there (a fainter or brighter section): its own
                own = looks.start(k, centre, pn, clicked=False)
                if isinstance(own, str) and moved_mm(at, centre, spacing) > max(spacing):
                    own = looks.start(k, at, pn, clicked=False)  # from the click, inside the lesion there too
                if isinstance(own, str):
                    lost[direction] = (k, followed)
                else:
                    followed = own[1]
            if isinstance(followed, str):
                if direction not in lost:
                    ended[direction] = k - direction
                break  # the lesion ends (or goes on unmeasured: ``lost``)
            moved, size_there = moved_mm(followed.centre, centre, spacing), measure(followed, spacing)[0]
            if moved > p.max_shift * before:
                ended[direction] = k - direction
                if size_there < p.split_size * before and moved < 0.5 * (before + size_there):
                    # a small part of it, off its centre but within it: the slice before joins what separates here
                    split[k - direction] = (k, size_there, moved)
                break  # what goes on there is another structure (a vessel, an organ): not the lesion
            if size_there > p.max_growth * before + max(spacing):
                lost[direction] = (k, "what is found there is much larger (the lesion, or a vessel joining it)")
                break
            two_back = k - 2 * direction
            if step >= 2 and before < 0.9 * min(sizes[two_back], size_there):
                # narrower by a tenth than the slices on both sides of it: two structures meet at the slice
                # before (a 12 mm lesion on a 24 mm one's pole, 11.1, 9.8 then 20.0 mm): the lesion ends there
                del found[k - direction], sizes[k - direction]
                ended[direction] = two_back
                break
            found[k], sizes[k], centre = followed, size_there, followed.centre
    if clicked not in found:  # the reader clicked inside the lesion there (a faint look there may be a core)
        lost[1 if clicked > slice_index else -1] = (clicked, f"on the slice clicked, {start_failure}")
    # the followed slices beyond which the lesion ends (absent or too faint there, or something else
    # under its centre): not the stack's edge, a slice not loaded or one where it went on unmeasured;
    # beyond the last slice searched, looked at when asked
    ending = {k for direction, k in ended.items() if direction not in lost}
    beyond: dict[int, bool] = {}

    def ends(k: int) -> bool:
        if k in ending:
            return True
        for direction, (last, centre) in searched.items():
            if last == k and direction not in lost:
                if k not in beyond:
                    nxt = k + direction
                    there = look(nxt, centre) \
                        if 0 <= nxt < n and volume.loaded[nxt] and not gap(k, nxt) else None
                    beyond[k] = isinstance(there, str) and lesion_ends(there)
                return beyond[k]
        return False
    # a point inside a lesion on one slice is inside it on the slices it fills more: an outline
    # elsewhere that misses the click is something else (a vessel next to the lesion's tip)
    holds = {k for k, o in found.items() if near_outline(o, at, spacing, 0.15 * sizes[k] + max(spacing))}
    if not holds:
        return _refuse(f"the outline found does not hold the click ({MERGES_NEIGHBOUR})", p)
    longest = max(holds, key=lambda k: (sizes[k], -abs(k - slice_index)))
    best, gave_way = fuller_neighbour(found, ends, holds, longest, sizes, p, frozenset(split))
    # a slab whose edge just touches the lesion's pole lies its half-thickness beyond it, and the slice
    # nearest the middle up to half a step from it: a click on the tip's slice of a round lesion is
    # then half its length from the slice measured
    step_mm = geo.slice_spacing_mm or 0.0
    reach = abs(positions[best] - positions[clicked]) - 0.5 * (step_mm + (geo.slice_thickness_mm or step_mm))
    if p.max_reach and reach > p.max_reach * sizes[best]:
        # followed while it grew, far from the click: a larger structure than the one clicked (a
        # kidney's upper pole clicked on T1 arterial, measured 54 mm nine slices away)
        return _refuse(f"{FAR_AWAY}: its longest section ({sizes[best]:.1f} mm, at {positions[best]:.1f} mm) lies "
                       f"{abs(positions[best] - positions[clicked]):.0f} mm from the slice clicked, more than a lesion's "
                       f"half-length from it: an organ next to the liver (a kidney?), not a lesion; a lesion's own largest section "
                       "is within its half-length of any slice it is seen on", p)
    click_radius = _click_radius(found[clicked], at, spacing) \
        if p.max_click_radius and clicked in found and clicked != best else None
    if click_radius is not None and click_radius >= p.max_click_radius:
        # v21, T1 arterial: what the levels found on the slice clicked lies beside the click, not round it, and was
        # followed from there onto the slice measured: something the lesion touches (413 LLSYN002 L08, a 10 mm lesion
        # on one slice against an oblique vessel, measured as the vessel three slices away, +9.6 mm)
        return _refuse(f"{BESIDE_CLICK}: on the slice clicked what is found ({sizes[clicked]:.1f} mm) has the click "
                       f"{click_radius:.2f} times its radius from its centre (from {p.max_click_radius:g} on this "
                       f"series), and its longest section lies {abs(positions[best] - positions[clicked]):.0f} mm away "
                       "(something beside the lesion clicked, a vessel?): draw it", p, click_radius=round(click_radius, 3))
    tail = _tail_excess(found, best, clicked, ends)
    if p.tail_excess and tail is not None and tail >= p.tail_excess:
        # session 48, T2 FS: followed from the slice clicked onto a larger section two slices or more away, and beyond it
        # the lesion ends sooner than on the click's side: a small lesion stacked on a larger one's pole, taken for its
        # tip (538 LLSYN002 L10, 8.0 mm, 6.4 mm above L04: 4.7, 6.6 clicked, 12.6, then 20.7 mm on L04 and 18.5 mm beyond,
        # where it ends: 3 slices against 1, +16.70 mm)
        return _refuse(f"{STACKED}: followed from the slice clicked ({sizes[clicked]:.1f} mm) to a section of "
                       f"{sizes[best]:.1f} mm {abs(positions[best] - positions[clicked]):.0f} mm away, beyond which it "
                       f"ends {tail} slices sooner than on the click's side: another lesion under the one clicked? draw "
                       "it", p, tail_slices=tail)
    pair = _even_pair(found, sizes, best) if not lost else None
    if p.even_pair_below_mm and pair is not None and sizes[best] < p.even_pair_below_mm \
            and pair[0] >= p.even_pair_size and pair[1] >= p.even_pair_full \
            and (not p.even_pair_sum_liver or 0 < pair[2] < p.even_pair_sum_liver):
        # session 48-49, T2 FS: a small lesion found on two slices alike in length, the other slice standing out half as
        # much as the slice measured or more, both faint together: its centre lies between the slices, each slab holding
        # part of its depth, and the section on the slice nearest its centre, which the protocol measures, is far shorter
        # than the line (537 LLSYN002 L10, 8.0 mm: 7.35 and 6.84 mm, 83.4 and 83.7 from the liver's 193.5, 8.23 against
        # 2.99, +5.24; 496 LLSYN002 L10: 7.19 and 4.95 mm at 114 and 68, +5.77); a lesion of 10 mm on two slices fills
        # them more (496 LLSYN002 L08, 7.28 mm at 230 and 157: 2.0 times the liver's level, -0.01)
        return _refuse(f"{BETWEEN_SLICES}: found on two slices only ({sizes[best]:.1f} mm and {pair[0]:.0%} of it, "
                       f"{pair[1]:.0%} as bright, both together {pair[2]:.0%} of the liver's level), its centre between "
                       "them: its section on either slice may be far shorter; draw it", p,
                       even_pair=[round(v, 3) for v in pair])
    if clicked in found and clicked != best and not inside_outline(found[clicked].points, at):
        # what was found on the slice clicked is not round the click: the lesion there was missed
        why_not = "what is found on the slice clicked is not round the click"
        if gave_way == JOINED and clicked == longest:
            why_not = (f"the section on the slice clicked ({sizes[clicked]:.1f} mm) is longer than the one next to it, "
                       f"nearer the lesion's middle ({sizes[best]:.1f} mm): the lesion's end joined to something else")
        lost.setdefault(1 if clicked > best else -1, (clicked, why_not))
    for direction, (k, why) in lost.items():
        # still growing towards a slice where the lesion goes on but its boundary was not found:
        # its longest section may be there, and a shorter one is not to be suggested (nor one
        # further from it than the longest found)
        if any(b + direction == k and sizes.get(b - direction, 0.0) <= sizes[b] for b in {best, longest}):
            # the slice named by its position along the normal, as the viewport's "Pos" shows it
            # (a viewer numbers its slices its own way)
            # (the slice clicked named as such: a reader's check read "the neighbouring slice at -21.4 mm"
            # for the slice clicked, its position on the screen)
            if why.startswith(GAP):  # still growing towards slices that are not there
                return _refuse(f"the lesion may be longest in {why} (it grows towards them): draw it", p,
                               lost_slice_index=k)
            if p.neighbour_leak and not loose_neighbours and LEAKS_ON in why:
                # lost on a slice followed where the outline leaks (CT arterial: a vessel as bright as the lesion): made
                # again with the series' looser limit on the slices followed; what that gives stands
                again = _suggest(volume, clicked, at, p, from_a_tip_again, step_first=step_first, recheck=recheck,
                                 joined_again=joined_again, loose_neighbours=True, looks=looks)
                return replace(again, params={**again.params, "neighbours_leaking": round(p.neighbour_leak, 3)})
            if p.lost_again and lost_again and k != clicked and k - direction in found:
                # T1 arterial (session 46): the neighbouring slice where the lesion still grows holds no boundary of its
                # own from the centre followed (a vessel as bright as the lesion touches it there: "what surrounds the
                # region is not liver"); clicked there, at the centre followed, the part of the region holding the click
                # is the lesion's (205 LLSYN001 L03, 10.8 mm beside a portal vein: every click on that slice within
                # 0.2 mm). Kept when that line lies round the click
                again = _suggest(volume, k, found[k - direction].centre, p, from_a_tip_again=from_a_tip_again,
                                 recheck=recheck, joined_again=joined_again, looks=looks)
                if isinstance(again, Suggestion) \
                        and moved_mm(_middle(again.p1, again.p2), at, spacing) <= 0.5 * again.diameter_mm:
                    return replace(again, params={**again.params, "clicked_slice": clicked, "lost_clicked_again": k})
            where = "the slice clicked" if k == clicked else "the neighbouring slice"
            why = why.removeprefix("on the slice clicked, ") if k == clicked else why
            # "at Pos 13.6 mm", as the overlay says it (a reader's check read "at 13.6 mm" as a size)
            return _refuse(f"the lesion may be longest on {where} (Pos {geo.slice_projections_mm[k]:.1f} mm), "
                           f"where its boundary is not found: {why}", p, lost_slice_index=k)
    if best in split:
        k, part, moved = split[best]
        # the outline measured holds two structures that part on the next slice: the lesion and a
        # vessel beside it (LLSYN001 L03 on T1 arterial, 10.6 mm, pressed against a portal vein: 14.3 mm
        # on its tip's slice, where the two merge; on the next slice a 6.1 mm part, 7.0 mm off)
        return _refuse(f"{SPLITS}: on the neighbouring slice (Pos {geo.slice_projections_mm[k]:.1f} mm) what lies under its "
                       f"centre is a {part:.1f} mm part {moved:.1f} mm off it, against {sizes[best]:.1f} mm here "
                       f"(the lesion and a vessel beside it?)", p)

    # the slice given up as the lesion's end "joined" to something (step 9) against the slice measured: how much its
    # inner half stands out from the liver beside the measured one's (under 1: the slice measured is the fainter)
    joined_share = found[best].fullness / found[longest].fullness \
        if gave_way == JOINED and found[longest].fullness > 0 else None
    # ... and how much more the slice given up stands out, in SDs of the liver (``joined_end_fuller_sd``, v20)
    joined_sd = joined_fuller_sd(found, longest, best) if gave_way == JOINED else None
    if p.joined_fullness and joined_share is not None and joined_share < p.joined_fullness:
        return _refuse(f"{FAINT_TIP}: the section it would be measured on ({sizes[best]:.1f} mm at Pos "
                       f"{positions[best]:.1f} mm) stands out from the liver {joined_share:.0%} as much as the longer "
                       f"one next to it ({sizes[longest]:.1f} mm at Pos {positions[longest]:.1f} mm), which was taken "
                       f"for the lesion's end joined to something (under {p.joined_fullness:.0%} on this series): its "
                       f"largest section was not found", p, joined_fullness_share=round(joined_share, 3))

    def ends_toward(k: int, direction: int) -> bool:
        """Whether the lesion ends beyond slice ``k`` going ``direction`` (absent or too faint there)."""
        if direction in lost:
            return False
        if ended.get(direction) == k:
            return True
        return searched.get(direction, (None, None))[0] == k and ends(k)

    past = _past_end(volume, best, found, ends_toward, levels, spacing, p, gap) if p.past_end else None
    if past is not None and past[0] >= p.past_end:
        share, k = past
        return _refuse(f"{SPLITS}: past the lesion's end (Pos {geo.slice_projections_mm[k]:.1f} mm) something as bright "
                       f"goes on round one end of its line ({share:.0%} more of a disc there than at the other end; a vessel "
                       f"running through the "
                       f"slices, merged with the lesion here?)", p, past_end_share=round(share, 3))
    # the sections found next to the slice measured: the longer of them against it (a lesion's section changes little
    # from one slice to the next; twice as long as both neighbours, it is merged with something there)
    beside = [sizes[k] for k in (best - 1, best + 1) if k in found]
    neighbours = max(beside) / sizes[best] if beside and sizes[best] > 0 else None
    neighbour_held = bool(p.neighbour_ratio) and neighbours is not None and neighbours < p.neighbour_ratio
    neighbour_why = f"{SPLITS}: its section here ({sizes[best]:.1f} mm) is {1 / max(neighbours, 1e-6):.1f} times the " \
        f"longest found on the slices next to it ({max(beside):.1f} mm; a lesion merged here with a vessel, or part of " \
        "a necrotic lesion's shell?)" if neighbour_held and neighbours is not None else ""
    # session 49 (CT arterial): judged on the ellipse measured (below) where ``neighbour_round_from`` is set
    if neighbour_held and not (p.neighbour_round_from and sizes[best] < p.neighbour_round_below_mm):
        return _refuse(neighbour_why, p, neighbour_share=round(neighbours or 0.0, 3))
    if from_a_tip_again and from_a_tip(found, ends, slice_index, best, sizes, p):
        # the levels came from the lesion's tip, where partial volume brings it near the liver: the
        # suggestion made again as if the slice chosen had been clicked at the centre found there
        # (clicks on the tip and on the full slices then end the same way), kept when its line
        # lies round the click
        again = _suggest(volume, best, found[best].centre, p, from_a_tip_again=False, recheck=recheck,
                         joined_again=joined_again, looks=looks)
        if isinstance(again, Suggestion):
            middle = ((again.p1[0] + again.p2[0]) / 2, (again.p1[1] + again.p2[1]) / 2)
            if moved_mm(middle, at, spacing) <= 0.5 * again.diameter_mm:
                return replace(again, params={**again.params, "clicked_slice": clicked, "levels_from_tip": slice_index})
        elif again.reason.startswith((IRREGULAR, BEYOND_ELLIPSE, SPLITS, TUBE, ONE_SLICE_PART, FAINT_WHOLE, NARROW,
                                       NOT_AGAIN, DEEPER, AGAINST_CAPSULE)) \
                or SMALL in again.reason or TOO_SMALL in again.reason:
            # measured from its full slice, the lesion is too small for the series, or its edge there is
            # no ellipse, or what is found there is two structures joined or a vessel: the tip's levels,
            # which lengthen it, are not to make it pass (b800, an 8.4 mm lesion: 13.3 mm; a review's
            # lesion against a vein on T1 arterial, refused on its full slice, +4.6 mm from its tip's; a
            # second check's, refused there as joining two structures, +6.0 mm without the limits)
            return Refusal(again.reason, {**again.params, "clicked_slice": clicked, "levels_from_tip": slice_index})
    # the ellipsoid through the sections here and either side (a lesion is about as deep as long; far shallower, the
    # section measured is merged with something the neighbours do not hold)
    depth = depth_ratio(sizes, positions, best)
    if p.min_depth_ratio and depth is not None and depth < p.min_depth_ratio \
            and not (p.depth_neighbours and neighbours is not None and neighbours >= p.depth_neighbours):
        return _refuse(f"{SPLITS}: its section here ({sizes[best]:.1f} mm) against {sizes[best - 1]:.1f} and "
                       f"{sizes[best + 1]:.1f} mm on the slices either side makes an ellipsoid {depth:.2f} times as deep "
                       f"as long (under {p.min_depth_ratio:.2f} on this series; a lesion is about as deep as long): merged "
                       f"here with something?", p, depth_ratio=round(depth, 3))
    if p.organ_depth and depth is not None and depth >= p.organ_depth and sizes[best] >= p.organ_from_mm:
        # session 49, T2 FS and T1 arterial: the right kidney clicked below the liver (LLSYN001, LLSYN002) was measured as
        # a 54 mm lesion "in the right lobe": its sections make an ellipsoid 1.67-1.91 times as deep as long, where a
        # lesion is about as deep as it is long (the good lines of 30 mm or more on 470-474: up to 1.0)
        return _refuse(f"{ORGAN}: its section here ({sizes[best]:.1f} mm) against {sizes[best - 1]:.1f} and "
                       f"{sizes[best + 1]:.1f} mm on the slices either side makes an ellipsoid {depth:.2f} times as deep "
                       f"as long (from {p.organ_depth:g} for a section of {p.organ_from_mm:g} mm or more on this series; a "
                       f"lesion is about as deep as long): an organ next to the liver (a kidney?)", p,
                       depth_ratio=round(depth, 3))
    final = with_beyond(found[best].calibrated(spacing, p), volume.array[best], spacing, p)
    shell = final.fainter_shell(p)
    if shell:  # what was found is the inside of the lesion (a necrotic core, a rim lesion's interior)
        return _refuse(f"{FAINTER_SHELL}: {shell}; a necrotic core or a rim lesion's interior?", p)
    rim_left = raw_shell(final, volume.array[best], spacing, p) if p.raw_shell else None
    if rim_left is not None and rim_left >= p.raw_shell:
        # a rim fainter than the interior found, under its edge's half-maximum: the lesion is the rim's outside
        return _refuse(f"{FAINTER_SHELL}: the unsmoothed image 0.5-2.5 mm beyond the edge found still holds "
                       f"{rim_left:.0%} of the lesion's contrast (over {p.raw_shell:.0%} on this series); a rim lesion's "
                       f"interior inside a fainter rim?", p, raw_shell_share=round(rim_left, 3))
    beside_shell: float | None = None
    if p.raw_shell_beside:
        # the rim may be filled in by partial volume on the slice measured (its end): the slices followed beside it
        shells = [raw_shell(with_beyond(found[k].calibrated(spacing, p), volume.array[k], spacing, p), volume.array[k],
                            spacing, p) for k in (best - 1, best + 1) if k in found]
        beside_shell = max(shells, default=None)
    if beside_shell is not None and beside_shell >= p.raw_shell_beside:
        return _refuse(f"{FAINTER_SHELL}: on a slice next to the one measured the unsmoothed image 0.5-2.5 mm beyond the "
                       f"edge found still holds {beside_shell:.0%} of the lesion's contrast (from {p.raw_shell_beside:.0%} "
                       f"on this series); a rim lesion's interior inside a fainter rim?", p,
                       raw_shell_beside_share=round(beside_shell, 3))
    fat = against_fat(final, volume.array[best], spacing, p) if p.capsule_rays else None
    if fat is not None and fat > p.capsule_rays:
        # a lesion against the liver's edge (CT portal, v20): its edge and the capsule's run together, the fat beyond
        # darker than it; measured 1.0-2.2 mm short on the bench (the ellipse through the rays on the liver's side)
        return _refuse(f"{AGAINST_CAPSULE}: {fat:.0%} of its rays meet fat within {p.capsule_mm:g} mm of the edge found "
                       f"(over {p.capsule_rays:.0%} on this series), where its edge and the liver's run together: draw it",
                       p, capsule_share=round(fat, 3))
    rim = final.opposite_rim(p)
    if rim:  # what was found is a core inside a rim of the other contrast: the lesion is larger
        return _refuse(f"{OPPOSITE_RIM}: {rim}", p)
    if p.lesion_side and final.levels.sign != p.lesion_side:  # not this series' lesion (a flow void on T2 FS)
        return _refuse(_side_reason(final.levels, p), p)
    irregular_held = bool(p.irregular_beside) and neighbours is not None \
        and p.irregular_beside <= neighbours <= 1.0 / p.irregular_beside
    if p.refuse_irregular and p.ellipse_tolerance and final.ellipse is None and not irregular_held:
        # CT arterial (``irregular_beside``, session 45): measured where the longer slice followed next to it is as long
        # within the share, the edge found alike on two slices (101 and 404 LLSYN002 L07, 11 mm, 11.03 and 11.00 mm on
        # two slices: within 1.4 mm); an outline on its slice alone is the edge lost (101 LLSYN002 L07 clicked on its
        # largest slice: 7.0 mm, -4.02), one beside a longer neighbour a part of it (374 LLSYN002 L08, 6.1 mm against
        # 7.2: -3.60)
        return _refuse(f"{IRREGULAR}: no ellipse fits the edge found within {p.ellipse_tolerance:.0%} of its short axis "
                       f"(a vessel, the capsule or the liver's texture shapes it, or the edge is lost in the noise)", p)
    axes = sorted((final.ellipse.a, final.ellipse.b)) if final.ellipse is not None else None
    axis_ratio = axes[0] / axes[1] if axes is not None and axes[1] > 0 else None
    # CT arterial (session 49): the region's own shape, a level set of the image, where it stands clear of the liver's noise
    threshold_sd = abs(final.levels.threshold - final.levels.mode) / final.levels.liver_sd \
        if final.levels.liver_sd > 0 else math.inf
    region_held = bool(p.narrow_region_ratio) and final.region_ratio is not None \
        and final.region_ratio >= p.narrow_region_ratio and threshold_sd >= p.narrow_region_sd \
        and (neighbours is None or neighbours <= p.narrow_region_share)
    if p.min_axis_ratio and axes is not None and axis_ratio is not None and axis_ratio < p.min_axis_ratio \
            and not region_held:
        # a lesion's section is round to oval: an ellipse this narrow spans a lesion and a vessel's section beside it,
        # or is a vessel crossing the slice, or a lesion run into the liver's texture (CT arterial, v17)
        return _refuse(f"{NARROW}: its short axis is {axis_ratio:.0%} of its long one ({2 * axes[0]:.1f} against "
                       f"{2 * axes[1]:.1f} mm; under {p.min_axis_ratio:.0%} on this series): a lesion merged with a "
                       f"vessel beside it, a vessel crossing the slice, or a lesion run into the liver round it?", p,
                       axis_ratio=round(axis_ratio, 3),
                       region_ratio=None if final.region_ratio is None else round(final.region_ratio, 3),
                       threshold_sd=round(threshold_sd, 2),
                       neighbour_share=None if neighbours is None else round(neighbours, 3))
    if neighbour_held and (axis_ratio is None or axis_ratio < p.neighbour_round_from):
        # session 49 (CT arterial): the section measured far longer than its neighbours and not round: a vessel's section
        # merged with the lesion on this slice (204 LLSYN001 L03 with a portal vein, 15.47 mm at 0.673, its neighbour
        # 0.41 of it: +4.47); a round one is a shallow lesion's own, its neighbours its tips (470 LLSYN002 L06, 14.0 mm:
        # 14.87 at 0.692 between 7.96 and 8.11)
        shape = "no ellipse fits its edge" if axis_ratio is None else \
            f"its short axis is {axis_ratio:.0%} of its long one (under {p.neighbour_round_from:.0%} on this series)"
        return _refuse(f"{neighbour_why}; {shape}", p, neighbour_share=round(neighbours or 0.0, 3),
                       **({} if axis_ratio is None else {"axis_ratio": round(axis_ratio, 3)}))
    if p.narrow_neighbour_ratio and axis_ratio is not None and neighbours is not None \
            and axis_ratio < p.narrow_neighbour_axis and neighbours < p.narrow_neighbour_ratio:
        # session 48, T1 portal: the lesion's section merged on this slice with something beside it, narrow and far
        # longer than the sections next to it (437 LLSYN002 L08, 10.0 mm against a vessel: 15.87 mm at 0.568, its
        # neighbour 0.597 of it, +5.93; 440 LLSYN002 L06: 18.09 mm at 0.569 and 0.668, +4.40)
        return _refuse(f"{SPLITS}: its section here ({sizes[best]:.1f} mm) is narrow (its short axis {axis_ratio:.0%} of its "
                       f"long one) and {1 / max(neighbours, 1e-6):.1f} times the longest found on the slices next to it "
                       f"(under {p.narrow_neighbour_axis:.0%} and {p.narrow_neighbour_ratio:.0%} on this series): the lesion "
                       f"merged here with something beside it (a vessel?)", p, axis_ratio=round(axis_ratio, 3),
                       neighbour_share=round(neighbours, 3))
    outward_only = bool(p.max_leak_outward) and final.leaked_inward == 0.0 and final.leaked_fraction <= p.max_leak_outward
    # T1 arterial (session 46): a large section as long as the longer slice next to it within ``leak_large_neighbours``
    large_held = bool(p.leak_large_px) and sizes[best] >= p.leak_large_px * max(spacing) and neighbours is not None \
        and p.leak_large_neighbours <= neighbours <= 1.0 / p.leak_large_neighbours
    if p.max_leak_measured and final.leaked_fraction > p.max_leak_measured and not (outward_only or large_held):
        return _refuse(f"{BEYOND_ELLIPSE}: its edge leaves the ellipse on {final.leaked_fraction:.0%} of the rays "
                       f"(a lobe, a lesion next to it or a vessel; over {p.max_leak_measured:.0%} on this series)", p)
    if p.max_inward_measured and final.leaked_inward > p.max_inward_measured and not large_held:
        return _refuse(f"{SPLITS}: {CUTS_IN} on {final.leaked_inward:.0%} of the rays, "
                       f"a waist between them (a lesion and a vessel beside it, or a lobulated lesion?; over {p.max_inward_measured:.0%} "
                       f"on this series)", p)
    if p.single_slice_beyond and len(found) == 1 and min(final.beyond) >= p.single_slice_beyond:
        # on one slice only, with the lesion's contrast still round it: the part of a larger, fainter
        # lesion that stands out on this slice (a 20.5 mm lesion on CT portal found as a 4.4 mm part on
        # the slice next to its largest)
        near, far = final.beyond
        return _refuse(f"{ONE_SLICE_PART}: 1.5-3 and 3-6 mm beyond its edge the image still holds {near:.0%} and "
                       f"{far:.0%} of its contrast (a part of a larger, fainter lesion? it may be longest on a "
                       f"neighbouring slice)", p)
    steady: dict[str, tuple[float, float]] = {}
    steadiness: tuple[tuple[str, float, float], ...] = (("steady_mm", p.steady_step, p.steady_px),
                                                          ("steady_far_mm", p.steady_far_step, p.steady_far_px))
    for key, raise_by, limit in steadiness:
        unsteady = _unsteady(volume, best, found[best].centre, spacing, p, levels, raise_by) if limit else None
        if unsteady is None:
            continue
        steady[key] = unsteady
        if unsteady[0] - unsteady[1] > limit * max(spacing):
            return _refuse(f"{SPLITS}: its outline shrinks from {unsteady[0]:.1f} to {unsteady[1]:.1f} mm when the threshold "
                           f"is raised by {raise_by:.0%} of the lesion's contrast (over {limit:g} pixels on this series): "
                           f"its boundary runs through a neck into something joined to it (a vessel?)", p,
                           **{key: [round(v, 2) for v in unsteady]})
    tube = through_slices(volume, best, found, ends, sizes[best], look, spacing, p)
    if tube:
        return _refuse(f"{TUBE} (a vessel, a bone?): {tube}; a lesion is about as deep as it is long", p)
    off_click = _click_radius(final, at, spacing) if p.beside_click_depth and depth is not None else None
    if off_click is not None and depth is not None and off_click >= 1.0 and depth >= p.beside_click_depth:
        # session 47, CT arterial: the ellipse measured lies beside the click and runs on through the slices (500 LLSYN002
        # L08, a faint 8.74 mm lesion clicked against an artery's 16.7 mm section: 1.43 radii, 3.68 times as deep, +8.29)
        return _refuse(f"{TUBE} beside the click (a vessel?): its ellipse ({sizes[best]:.1f} mm) has the click "
                       f"{off_click:.2f} times its radius from its centre, and its sections here and either side make an "
                       f"ellipsoid {depth:.2f} times as deep as long (from {p.beside_click_depth:g} on this series); a lesion "
                       f"holds the click and is about as deep as it is long", p, click_radius=round(off_click, 3),
                       depth_ratio=round(depth, 3))
    lv = final.levels
    click_value, share = click_share(volume, clicked, at, spacing, p, lv)
    if p.min_click_share and share < p.min_click_share:
        # the levels measured at were read on something beside what was clicked: 460 LLSYN002 L04 (CT portal, a 20.7 mm
        # capsule lesion clicked at 85 HU) measured at a lesion level of -95 HU, the fat beyond the capsule, -14.35 mm
        return _refuse(f"{NOT_CLICKED_LEVEL}: the pixels at the click read {click_value:.0f}, the lesion was measured at "
                       f"{lv.lesion:.0f} against the liver's {lv.liver:.0f} ({share:.0%} of the way, under "
                       f"{p.min_click_share:.0%} on this series): something beside the lesion was found", p,
                       click_value=round(click_value, 2), click_share=round(share, 3), lesion_level=round(lv.lesion, 2),
                       liver_level=round(lv.liver, 2))
    d, p1, p2 = measure(final, spacing)
    record = {"method": METHOD_NAME, **p.to_dict(), "threshold": round(lv.threshold, 2),
              "liver_level": round(lv.liver, 2), "lesion_level": round(lv.lesion, 2),
              "liver_mode": round(lv.mode, 2), "liver_peak": lv.liver_peak,
              "liver_sd": round(lv.liver_sd, 2), "side": "brighter" if lv.sign > 0 else "darker",
              "boundary": final.shape, "leaked_rays": round(final.leaked_fraction, 3),
              "leaked_inward": round(final.leaked_inward, 3),
              "beyond_edge": [round(v, 3) for v in final.beyond], "clicked_slice": clicked,
              "levels_from_slice": slice_index, "levels_from_tip": None, "gave_way": gave_way,
              "diameters_by_slice_mm": {str(k): round(v, 2) for k, v in sorted(sizes.items())}}
    record.update(click_value=round(click_value, 2), click_share=round(share, 3))
    if click_radius is not None:
        record["click_radius"] = round(click_radius, 3)
    if tail is not None:
        record["tail_slices"] = tail
    if pair is not None:
        record["even_pair"] = [round(v, 3) for v in pair]
    if past is not None:
        record["past_end_share"] = round(past[0], 3)
    if neighbours is not None:
        record["neighbour_share"] = round(neighbours, 3)
    if neighbour_held:
        record["neighbour_held"] = True  # under ``neighbour_ratio``, measured for its round ellipse (``neighbour_round_from``)
    if depth is not None:
        record["depth_ratio"] = round(depth, 3)
    if rim_left is not None:
        record["raw_shell_share"] = round(rim_left, 3)
    if fat is not None:
        record["capsule_share"] = round(fat, 3)
    if beside_shell is not None:
        record["raw_shell_beside_share"] = round(beside_shell, 3)

    if joined_share is not None:
        record["joined_fullness_share"] = round(joined_share, 3)
    if joined_sd is not None and math.isfinite(joined_sd):
        record["joined_fuller_sd"] = round(joined_sd, 2)
    for key, unsteady in steady.items():
        record[key] = [round(v, 2) for v in unsteady]
    if axis_ratio is not None:
        record["axis_ratio"] = round(axis_ratio, 3)
    if p.narrow_region_ratio:
        record.update(region_ratio=None if final.region_ratio is None else round(final.region_ratio, 3),
                      threshold_sd=round(threshold_sd, 2))
        if region_held and axis_ratio is not None and axis_ratio < p.min_axis_ratio:
            record["narrow_region_held"] = True  # under ``min_axis_ratio``, measured for its region's shape
    if large_held and (final.leaked_fraction > p.max_leak_measured or final.leaked_inward > p.max_inward_measured):
        record["leak_large_held"] = True  # measured past the off-ellipse limits: a large section held by its neighbour
    if outward_only and final.leaked_fraction > p.max_leak_measured:
        record["leak_outward_only"] = True  # measured past ``max_leak_measured``, every ray off running out (``max_leak_outward``)
    if irregular_held and final.ellipse is None:
        record["irregular_beside"] = True  # an outline with no ellipse, measured for its neighbour (``irregular_beside``)
    # the line as suggested, kept in the record when the reader edits it (``suggested_edited``): how much
    # readers edit a suggestion can then be measured (a reader's check found it lost after an edit)
    record.update(suggested_diameter_mm=round(d, 3), suggested_p1=[round(float(v), 3) for v in p1],
                  suggested_p2=[round(float(v), 3) for v in p2])
    if p.narrow_short_mm and d < p.narrow_short_mm and axis_ratio is not None and axis_ratio < p.narrow_short_ratio \
            and (not p.narrow_short_slices or len(found) <= p.narrow_short_slices):
        # session 46 (CT portal, T1 portal): a lesion of 5-7 mm lengthened by the noise round it into a narrow outline
        # (482 LLSYN003 L06 on CT portal, 6.0 mm: 8.1 mm at 0.47, +5.0; 400 LLSYN002 L11 on T1 portal, 6.5 mm, one slice:
        # 12.4 mm at 0.50, +6.2); a lesion's own section is round to oval
        return Refusal(f"{NARROW}: {d:.1f} mm, its short axis {axis_ratio:.0%} of its long one (under "
                       f"{p.narrow_short_ratio:.0%} for a line under {p.narrow_short_mm:g} mm on this series): a small "
                       f"lesion lengthened by the noise round it?", record)
    if d > p.max_diameter_mm:
        return Refusal(f"the region is {d:.0f} mm across, beyond {p.max_diameter_mm:.0f} mm{LEAKED}", record)
    if d < p.min_diameter_mm:
        return Refusal(f"what is found is only {d:.1f} mm across: {TOO_SMALL}", record)
    pixel = max(spacing)
    small = bool(p.min_pixels_across) and d < p.min_pixels_across * pixel and len(found) < p.small_slices
    one_slice = small and bool(p.one_slice_from_px) and len(found) == 1
    if small and (p.uncorrected_px and len(found) >= 2 or one_slice):
        # found on two slices, under the size limit: the ellipse as found, the smoothing's shift not given back
        # (step 10 models a sharp section; b800's own blur and 5 mm slab already widen a section of a few pixels,
        # and there the correction added 0.5-1.1 mm on average, up to +4 mm on a noise-lengthened outline); on one
        # slice (v18, b800) from ``one_slice_from_px`` up to the size limit itself
        plain, q1, q2 = measure(found[best], spacing)
        low, high = (p.one_slice_from_px, p.min_pixels_across) if one_slice \
            else (p.uncorrected_from_px, max(p.uncorrected_px, p.two_slice_upto_px))
        # session 47 (b800): down to ``down_to_px``, where the disc rule below reads it (``down_to_sd``)
        down = bool(p.down_to_px) and p.down_to_px * pixel <= plain < low * pixel
        if low * pixel <= plain < high * pixel or down:
            d, p1, p2, small = plain, q1, q2, False
            record.update(uncorrected=True, suggested_diameter_mm=round(d, 3),
                          suggested_p1=[round(float(v), 3) for v in p1], suggested_p2=[round(float(v), 3) for v in p2])
            if down:
                record["down_to_band"] = True
            if not one_slice and plain >= p.uncorrected_px * pixel:
                record["two_slice_band"] = True  # from uncorrected_px to two_slice_upto_px: the disc rules below
            if one_slice and p.one_slice_neighbours:
                shares = _neighbour_shares(volume, best, _middle(p1, p2), d, spacing, p)
                record["one_slice_neighbour_shares"] = [round(v, 3) for v in shares]
                if min(shares) >= p.one_slice_neighbours \
                        and not (p.one_slice_neighbours_upto and max(shares) > p.one_slice_neighbours_upto):
                    return Refusal(f"{DEEPER}: found on this slice only at the click's levels ({d:.1f} mm), but at their "
                                   f"own levels the slices on both sides hold {shares[0]:.0%} and {shares[1]:.0%} of that "
                                   f"length (from {p.one_slice_neighbours:.0%} on this series): the lesion runs through "
                                   "three slices or more and its section here may be measured short: draw it", record)
    solid: float | None = None  # how the disc of the line's diameter stands out, read once
    if small and p.round_from_px and d >= p.round_from_px * pixel and axis_ratio is not None \
            and axis_ratio >= p.round_axis_ratio:
        # under the size limit on one or two slices, but round, not too few pixels across and standing out well (T1
        # arterial, v18): the lines under the limit more than 3 mm off were narrow (a lesion of 5-10 mm and something
        # beside it, 0.52-0.59) or under 5 pixels (a lesion of 5 mm or less lengthened by the blur), or faint (a 10 mm
        # lesion at 6.94 SDs, +2.96 mm)
        if p.round_max_leak and final.leaked_fraction > p.round_max_leak:
            # session 48 (T1 arterial): its edge runs off the ellipse on one side, the ellipse spanning a small lesion and
            # a vessel beside it as bright (485 LLSYN003 L06, 5.7 mm on one slice, a vessel through three slices touching
            # it: 12.19 mm, 22 % of the rays off, +6.49); the round lines of lesions measured right leave it on 12.5 % or
            # fewer, and what leaves its ellipse more is refused over the size limit too (``max_leak_measured``)
            return Refusal(f"{SMALL} for its edge ({d / pixel:.1f} pixels across with the blur, on {len(found)} "
                           f"slice{'s' if len(found) > 1 else ''}) and its edge leaves the ellipse on "
                           f"{final.leaked_fraction:.0%} of the rays (over {p.round_max_leak:.0%} for a line under the size "
                           f"limit on this series): a small lesion and something beside it (a vessel?): draw it",
                           {**record, "round_leaked": True})
        solid = stands_out_sd(volume.array[best], _middle(p1, p2), d / 2.0, lv, spacing, p)
        if solid >= p.round_sd:
            small = False
            record["round_under_limit"] = True
    if small:
        # in pixels, blur included, not in mm (a reader's check read "8.1 mm across" for a 4.1 mm section as a
        # measurement, and a second "11.0 mm across ... too small" for a 7 mm lesion as a contradiction)
        return Refusal(f"{SMALL} for its edge ({d / pixel:.1f} pixels across with the blur, on {len(found)} "
                       f"slice{'s' if len(found) > 1 else ''}; the blur adds up to 3 pixels to a lesion this small): "
                       "draw it", record)
    if p.few_slices_sd and (len(found) < p.small_slices or d < p.few_slices_sd_below_px * pixel):
        if solid is None:  # the round rule above read the same disc of the same line (T1 arterial)
            solid = stands_out_sd(volume.array[best], _middle(p1, p2), d / 2.0, lv, spacing, p)
        record["stands_out_sd"] = round(solid, 2)
        if p.one_slice_faint_below_px and record.get("uncorrected") and len(found) == 1 \
                and d < p.one_slice_faint_below_px * pixel:
            # found on one slice only and measured as found from ``one_slice_from_px`` up to this (b800, v20): lesions of
            # 10 mm read there a little short, lesions of 5-7 mm lengthened by the blur to as many pixels, a peak with
            # tails, or faint (fresh 266 LLSYN001 L04, 6.9 mm, +3.01 at 3.96 pixels, 0.48 of its peak; 266 LLSYN002
            # L11, 5.8 mm, +3.55 at 3.74, 4.2-4.5 SDs)
            plateau = _plateau_share(volume.array[best], _middle(p1, p2), d, lv, spacing, p)
            record["plateau_share"] = round(plateau, 3)
            if solid < p.one_slice_faint_sd or plateau < p.one_slice_plateau:
                return Refusal(f"{FAINT_WHOLE}: found on this slice only, {d:.1f} mm ({d / pixel:.1f} pixels with the "
                               f"blur), standing out by {solid:.1f} SDs of the liver and holding {plateau:.0%} of its "
                               f"peak's contrast over the disc of that diameter (from {p.one_slice_faint_sd:g} SDs and "
                               f"{p.one_slice_plateau:.0%} on this series under {p.one_slice_faint_below_px:g} pixels): "
                               f"{SMALLER_THAN_BLUR} draw it", record)
        if record.get("two_slice_band"):
            # found on two slices and measured as found from ``uncorrected_px`` up to ``two_slice_upto_px`` (b800, session
            # 44): lesions of 10-16 mm read there -2.7 .. +2.6 mm, while lesions of 7-9 mm lengthened by the blur to as many
            # pixels read 3-5 mm long (232 LLSYN002 L08, 266 LLSYN002 L09): a plateau against a peak with tails
            plateau = _plateau_share(volume.array[best], _middle(p1, p2), d, lv, spacing, p)
            record["plateau_share"] = round(plateau, 3)
            if plateau < p.two_slice_plateau:
                return Refusal(f"{FAINT_WHOLE}: found on two slices, {d:.1f} mm ({d / pixel:.1f} pixels with the blur), "
                               f"holding {plateau:.0%} of its peak's contrast over the disc of that diameter (from "
                               f"{p.two_slice_plateau:.0%} on this series from {p.uncorrected_px:g} to "
                               f"{p.two_slice_upto_px:g} pixels): {SMALLER_THAN_BLUR} draw it", record)
        if record.get("down_to_band") and solid < p.down_to_sd:
            # under the lines measured as found until then (b800, session 47): a lesion of 9-11 mm on one or two slices
            # reads 3.0-3.6 pixels as found, and so does a lesion of 5 mm lengthened by the blur (371 LLSYN002 L11, 4.8 mm
            # on the truth's slice: +3.02 at 3.13 pixels, 5.43 SDs), or an 11.6 mm lesion's section the slab cuts short
            # (212 LLSYN002 L07, -3.01 at 3.42, 5.58 SDs): the lesion's own disc stands out well
            return Refusal(f"{FAINT_WHOLE}: found on {len(found)} slice{'s' if len(found) > 1 else ''}, {d:.1f} mm "
                           f"({d / pixel:.1f} pixels with the blur), standing out by {solid:.1f} SDs of the liver over the "
                           f"disc of that diameter (from {p.down_to_sd:g} SDs on this series under "
                           f"{p.one_slice_from_px if len(found) == 1 else p.uncorrected_from_px:g} pixels): "
                           f"{SMALLER_THAN_BLUR} draw it",
                           record)
        # found on two slices and measured as found (b800, session 46): at the click's threshold a lesion smaller than the
        # blur is its peak's tails, lengthened to a 10 mm lesion's pixels (fresh 479 LLSYN002 L11, 6.5 mm, 9.69 mm at 3.9
        # pixels, +5.23 on 11 clicks, against something darker below it); a lesion's plateau holds its length at half its
        # peak's contrast (None: no verdict)
        at_half = _peak_half_share(volume, best, _middle(p1, p2), d, lv, spacing, p) \
            if p.two_slice_peak_half and record.get("uncorrected") and len(found) == 2 else None
        if at_half is not None:
            record["peak_half_share"] = round(at_half, 3)
        if at_half is not None and at_half < p.two_slice_peak_half:
            return Refusal(f"{FAINT_WHOLE}: found on two slices, {d:.1f} mm ({d / pixel:.1f} pixels with the blur) at the "
                           f"click's threshold, {at_half * d:.1f} mm at half its peak's contrast ({at_half:.0%} of it, under "
                           f"{p.two_slice_peak_half:.0%} on this series): a peak with tails, {SMALLER_THAN_BLUR} draw it",
                           record)
        if solid < p.few_slices_sd:
            return Refusal(f"{FAINT_WHOLE}: an outline {d:.1f} mm across on {len(found)} "
                           f"slice{'s' if len(found) > 1 else ''}, "
                           f"standing out by {solid:.1f} SDs of the liver over the disc of that diameter (a lesion's "
                           f"faint tip, or one smaller than the blur, lengthened by the noise round it?)", record)
    if p.min_axis_ratio_corrected and axis_ratio is not None and axis_ratio < p.min_axis_ratio_corrected \
            and not record.get("uncorrected"):
        # T1 arterial (v18): a corrected ellipse this narrow spans a lesion and a vein beside it as bright as it (335
        # LLSYN001 L03, 10.7 mm against a portal vein, 13.3 mm at 0.55, +3.50), or a small lesion and something beside it
        return Refusal(f"{NARROW}: its short axis is {axis_ratio:.0%} of its long one (under {p.min_axis_ratio_corrected:.0%} "
                       f"on this series): a lesion merged with a vessel beside it, or a vessel crossing the slice?", record)
    # the section given up as the lesion's end "joined" (step 9) over the one measured: in the record of every line that
    # gave way so, and of a line made again from one that did (own levels, ``joined_again``), refused or not
    given_up = sizes[longest] / sizes[best] if gave_way == JOINED and sizes[best] > 0 else None
    if given_up is not None:
        record["joined_size_share"] = round(given_up, 3)
    if p.own_levels_gap and slice_index != best:
        # a line about to be suggested whose levels came from another slice than the one measured (b800): the slice
        # measured at its own levels, from its centre, as if clicked there. Checked last, on a line every rule above
        # lets through, so that it can only redraw or refuse a line, never make one where the rules refuse (a fresh
        # realisation's 5 mm lesion, refused as faint as a whole at its neighbour's levels, was +4.3 mm made again)
        own = looks.start(best, found[best].centre, p)
        if isinstance(own, str) and lesion_ends(own):
            # the slice measured finds no lesion of its own from its centre (none there, or too faint): its outline is
            # only the other slice's levels' (fresh b800 realisation 230 LLSYN003 L06, 6 mm, followed onto two slices
            # without it, +7.65 mm). Other reasons (a leak, a rim round its centre) say nothing of its levels: kept
            # (a rim lesion's centre finds "what surrounds the region is not liver"; so did 270 LLSYN002 L08, +4.68 mm)
            return Refusal(f"{LEVELS_DISAGREE}: on the slice measured (Pos {positions[best]:.1f} mm) its outline, "
                           f"{sizes[best]:.1f} mm, is at the levels of the slice they came from (Pos "
                           f"{positions[slice_index]:.1f} mm); at its own none is found ({own}): draw it",
                           {**record, "own_levels": own})
        if not isinstance(own, str):
            own_size = measure(own[1], spacing)[0]
            record.update(own_levels_mm=round(own_size, 3), own_threshold=round(own[0].threshold, 2),
                          own_levels_ratio=round(sizes[best] / own_size, 4))
            if abs(sizes[best] / own_size - 1.0) > p.own_levels_gap:
                # a neighbour holding less of the lesion through the slab reads a fainter lesion level, and its
                # threshold, below the slice measured's own half-maximum, grows the outline there (fresh b800
                # realisations: 228 LLSYN002 L07, 12 mm, 15.15 mm at its neighbour's threshold against 12.87 at its
                # own, +4.17 mm): made again from the slice measured; refused where its levels still disagree there
                disagree = Refusal(f"{LEVELS_DISAGREE}: on the slice measured (Pos {positions[best]:.1f} mm) its outline is "
                                   f"{sizes[best]:.1f} mm at the levels of the slice they came from (Pos "
                                   f"{positions[slice_index]:.1f} mm) and {own_size:.1f} mm at its own, more than "
                                   f"{p.own_levels_gap:.0%} apart (the slab holds different parts of the lesion on the two "
                                   "slices): draw it", record)
                if not from_a_tip_again:
                    return disagree
                again = _suggest(volume, best, found[best].centre, p, from_a_tip_again=False, recheck=recheck,
                                 joined_again=joined_again, looks=looks)
                # the record made again names the slice clicked, the slice the first levels came from, and the first
                # run's "joined" give-way where the run made again has none of its own (its ``gave_way`` is its own)
                made = {"clicked_slice": clicked, "levels_own_from": slice_index, "own_levels_ratio": record["own_levels_ratio"]}
                first_gave_way: dict[str, object] = {} if given_up is None \
                    else {"joined_size_share": record["joined_size_share"]}
                if isinstance(again, Refusal):
                    return Refusal(again.reason, {**first_gave_way, **again.params, **made})
                middle = ((again.p1[0] + again.p2[0]) / 2, (again.p1[1] + again.p2[1]) / 2)
                if moved_mm(middle, at, spacing) > 0.5 * again.diameter_mm:
                    return disagree
                return replace(again, params={**first_gave_way, **again.params, **made})
    # a lesion on two slices that gave way on the edge alone (step 9) from a longer section whose rays off its ellipse
    # mostly run out of it, few cutting in (``joined_outward_again``, session 48, T1 arterial): no waist between two
    # structures, a vessel leaving the lesion; the longer is the lesion's middle (539 LLSYN002 L05, 15.9 mm beside a
    # hepatic vein: 14.75 mm there, 22 % of the rays off, 3 % inward, gave way to 11.63 mm, -4.27), made again as below
    # where it is ``joined_outward_size`` times as long or more (481 LLSYN001 L03, 9.12 against 9.02 mm, -0.94: kept)
    outward = given_up is not None and bool(p.joined_outward_again) and len(found) == 2 and given_up >= p.joined_outward_size \
        and found[longest].leaked_fraction >= p.joined_end_leak \
        and found[longest].leaked_inward < p.joined_outward_again * found[longest].leaked_fraction
    if joined_again and given_up is not None and ((p.joined_again and given_up >= p.joined_again) or outward):
        # the section given up as the lesion's end "joined" to something is far longer than the one measured: the
        # threshold there ran into the liver round the lesion (fresh b800 406 LLSYN002 L05, 15.85 mm: clicked on its
        # largest slice, levels read there settled at 131 against the liver's 121 and the lesion's 302, a 29.0 mm outline
        # leaking into the liver; the lesion then lost on the slice beyond under that outline's centre and measured on its
        # 10.5 mm tip, -5.33 mm). Made again as a click at the centre measured, on the slice given up, at its own levels;
        # refused unless that finds the lesion round the click without giving way so again
        where = f"from the section given up ({sizes[longest]:.1f} mm at Pos {positions[longest]:.1f} mm)"
        again = _suggest(volume, longest, found[best].centre, p, from_a_tip_again=from_a_tip_again, recheck=recheck,
                         joined_again=False, looks=looks)
        # ``levels_from_slice`` is the run made again's (the slice its levels came from, as for a tip's or the own levels'
        # run made again); the slice the first levels came from, whose line gave way, is ``levels_joined_from``
        made = {"clicked_slice": clicked, "joined_size_share": record["joined_size_share"], "joined_again_from": longest,
                "levels_joined_from": slice_index}
        if isinstance(again, Refusal):
            return Refusal(f"{JOINED_LOST}: {sizes[longest]:.1f} mm against {sizes[best]:.1f} mm measured; clicked again "
                           f"{where} it is refused ({again.reason})", {**again.params, **made})
        middle = _middle(again.p1, again.p2)
        if again.params.get("gave_way") == JOINED or moved_mm(middle, at, spacing) > 0.5 * again.diameter_mm:
            return Refusal(f"{JOINED_LOST}: {sizes[longest]:.1f} mm against {sizes[best]:.1f} mm measured, and clicked "
                           f"again {where} it is not found round the click on its own", {**again.params, **made})
        return replace(again, params={**again.params, **made})
    moved_sd = record.get("stands_out_sd")
    if p.moved_faint_sd and from_a_tip_again and slice_index != best and isinstance(moved_sd, float) \
            and moved_sd < p.moved_faint_sd:
        # a line the few-slices rule read, about to be suggested as it is on another slice than the one its levels came
        # from (its own levels there agree, no give-way made again; b800, session 49): the click's levels followed a small
        # lesion onto the slab holding its tip, and the outline there spans the tip and something faint beside it (fresh
        # 563 LLSYN001 L04, 6.65 mm at the capsule: 9.1 mm on the slice clicked, 14.26 on the next at 4.28 SDs, +7.61);
        # lesions of 10 mm or more measured so stand out more (app.suggester.MOVED_FAINT). A line made again from the
        # slice measured is its own levels' and is not read so (228 LLSYN002 L07, 11.79 mm: 15.96 at 4.3 SDs at the other
        # slice's levels, made again at its own within 1.5 mm). Worded as FAINT_TIP, which a run made again from a tip's
        # levels does not pass on (step 10): that run falling through, the first one's line is read as before. Not read in
        # a run made again from the slice measured (``from_a_tip_again`` off: a tip's or its own levels'), whose line
        # the run that made it keeps or refuses by its own rules (228's)
        return Refusal(f"{FAINT_TIP}: measured on the slice beside the one its levels came from (Pos "
                       f"{positions[best]:.1f} mm against Pos {positions[slice_index]:.1f} mm), {d:.1f} mm there against "
                       f"{sizes.get(slice_index, 0.0):.1f} mm, standing out by {moved_sd:.1f} SDs of the liver over the disc "
                       f"of that diameter (under {p.moved_faint_sd:g} SDs on this series for a line measured off the slice "
                       "of its levels): the tip of a small lesion and something faint beside it? draw it",
                       {**record, "moved_faint": True})
    if p.recheck_mm and recheck:
        # the line clicked again at its own middle, on the slice measured, as a reader's click there: a lesion found from
        # any point inside it ends the same way, so a line the click at its own middle does not give again (another
        # length, or a refusal) is what one click's levels made of a part of the lesion, or of the lesion and something
        # next to it; which of the two is right is not known (CT arterial, v17)
        middle = _middle(p1, p2)
        again = _suggest(volume, best, middle, p, from_a_tip_again=True, recheck=False, looks=looks)
        where = f"clicked again at its own middle (on the slice measured, Pos {positions[best]:.1f} mm)"
        if isinstance(again, Refusal):
            return Refusal(f"{NOT_AGAIN}: {where} it is refused ({again.reason})", {**record, "recheck_mm": None})
        record.update(recheck_mm=round(again.diameter_mm, 3))
        if again.params.get("neighbour_held"):
            record["recheck_neighbour_held"] = True  # the click at its middle measured for its round ellipse (session 49)
        if again.params.get("narrow_region_held"):
            record["recheck_narrow_region_held"] = True  # found again only as a narrow line held by its region's shape
        if abs(again.diameter_mm - d) > p.recheck_mm:
            return Refusal(f"{NOT_AGAIN}: {where} it is {again.diameter_mm:.1f} mm (on Pos "
                           f"{positions[again.slice_index]:.1f} mm), not {d:.1f}: more than {p.recheck_mm:g} mm apart",
                           record)
    confidence = float(np.clip((lv.contrast_sd - p.min_contrast_sd) / 7.0, 0.0, 1.0) * (1.0 - final.leaked_fraction))
    return Suggestion(best, p1, p2, d, round(confidence, 3), record)
