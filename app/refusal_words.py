"""A one-click refusal as the reader reads it: why there is no suggested line, in a radiologist's words.

:func:`viewer.segment.suggest_diameter` says why it refuses in the method's terms (rays, ellipses, SDs of the
liver, compactness), which ``lesionlab suggest`` and the bench keep. The status bar said them as they were
("what is found runs through the slices like a vessel (a vessel, a bone?): ...; a lesion is about as deep as
it is long"): a radiologist's read found them hard to act on. Here each reason becomes what was seen and,
where it helps, where to click; the gesture puts "draw it by hand" first. A reason not
known here is said as it is.
"""

from __future__ import annotations

import re

from viewer.segment.levels import LEAKS_BEYOND, NO_CONTRAST, NO_REGION, REACHES_EDGE, TOO_FAINT
from viewer.segment.slice2d import FAINTER_SHELL, MERGES_VESSEL, OPEN_EDGE, OPPOSITE_RIM, RUNS_INTO
from viewer.segment.suggest import (AGAINST_CAPSULE, BESIDE_CLICK, BETWEEN_SLICES, BEYOND_ELLIPSE, FAINT_TIP, FAINT_WHOLE,
                                    FAR_AWAY, GAP, IRREGULAR, JOINED_LOST, LEAKED, LEVELS_DISAGREE, LOST_ON_CLICKED,
                                    MERGES_NEIGHBOUR, NARROW, NOT_AGAIN, NOT_CLICKED_LEVEL, ONE_SLICE_PART, ORGAN, OUTSIDE_BODY,
                                    SLICE_LOADING, SMALL, SMALLER_THAN_BLUR, SPLITS, STACKED, TOO_SMALL, TUBE)

#: (what the method's reason holds, what the reader is told), first match wins: the vessel-like ones first
PLAIN: tuple[tuple[str, str], ...] = (
    (TUBE, "this looks like a vessel, not a lesion: it runs on through the slices"),
    (BESIDE_CLICK, "what was found lies beside the click, not round it, and runs onto other slices: something the "
                   "lesion touches (a vessel?)"),
    (NOT_CLICKED_LEVEL, "what was found is not what is under the click but something beside it (the fat beyond the "
                        "liver's edge?)"),
    (SPLITS, "the lesion seems joined to a vessel or to another lesion next to it"),
    (MERGES_VESSEL, "what surrounds it is not liver: a vessel next to it, or the lesion goes on"),
    (MERGES_NEIGHBOUR, "the lesion merges with something next to it"),
    (STACKED, "the lesion clicked may lie against a larger one above or below it, which was found instead: draw it by "
              "hand"),
    (BETWEEN_SLICES, "the lesion lies between two slices, each showing half of it: its length on either slice is not "
                     "clear; draw it by hand"),
    (NARROW, "what was found is narrower than a lesion: a lesion joined to a vessel beside it, or a vessel?"),
    (RUNS_INTO, "it is elongated: a vessel or the liver's edge runs into it"),
    (OPEN_EDGE, "its edge is open to a vessel, the capsule or a lesion next to it"),
    (BEYOND_ELLIPSE, "its edge is not clear all round: a lobe, a vessel or another lesion next to it"),
    (IRREGULAR, "its edge is irregular or not clear (a vessel, the capsule or noise)"),
    (AGAINST_CAPSULE, "the lesion lies against the liver's edge, where its own edge is not clear on this series"),
    (FAINTER_SHELL, "this may be the centre of a larger lesion (a necrotic core, or inside a rim)"),
    (OPPOSITE_RIM, "the lesion may be larger than the part found (a rim round it)"),
    (ONE_SLICE_PART, "this may be part of a larger, fainter lesion, perhaps longest on a neighbouring slice"),
    # (session 49: "click nearer the lesion's largest section" invited the click on the kidney's largest section, which
    # T2 FS and T1 arterial then measured as a 54 mm lesion)
    (FAR_AWAY, "what was found grows on far from this slice, larger than a lesion seen here could be: an organ next "
               "to the liver (a kidney?), not a liver lesion"),
    (ORGAN, "what was found runs on through the slices far deeper than it is long: an organ next to the liver (a "
            "kidney?), not a liver lesion"),
    (FAINT_TIP, "the lesion's largest section was not found, only its faint end: click on its largest section"),
    # before FAINT_WHOLE, whose reason it ends: b800's one-slice line refused standing out well (7.4 SDs) as a peak too
    # small for its length, which "barely stands out" misdescribed (review43b)
    (SMALLER_THAN_BLUR, "what was found is too small or too faint on this series to be measured (a small lesion the "
                        "image makes look longer than it is?)"),
    (FAINT_WHOLE, "what was found barely stands out from the liver (a lesion's faint tip, or one very small?)"),
    (LEVELS_DISAGREE, "the lesion's edge reads differently on this slice and the next (the slices hold unequal parts "
                      "of it)"),
    (SMALL, "the lesion is too small on this series for a line to be suggested"),
    (TOO_SMALL, "what was found is too small for a line to be suggested"),
    (SLICE_LOADING, "a neighbouring slice is still loading: click again in a moment"),
    (GAP, "the lesion may be longest where the stack has missing slices"),
    (TOO_FAINT, "the lesion's edge is too faint against the liver"),
    (NO_CONTRAST, "nothing under the click stands out from the liver"),
    (NO_REGION, "nothing under the click stands out from the liver"),
    (REACHES_EDGE, "no closed edge found round the click (a vessel, the capsule or the liver's edge?)"),
    (LEAKS_BEYOND, "no closed edge found round the click (a vessel, the capsule or the liver's edge?)"),
    (LEAKED, "no closed edge round the click: what was found is larger than a lesion"),
)
_SIDE = re.compile(r"what was found is (darker|brighter) than the liver .*a lesion on this series is (brighter|darker)")
_LONGEST = re.compile(r"the lesion may be longest on (the slice clicked|the neighbouring slice) \(Pos (-?[\d.]+) mm\)")


def plain_refusal(reason: str) -> str:
    """What the reader is told of a one-click refusal (``reason``: the method's, or the app's own)."""
    if reason.startswith(NOT_AGAIN):  # before the rest: it quotes the refusal of the click again at the line's middle
        return "the edge found depends on where the lesion is clicked (a part of it, or it and something next to it)"
    if reason.startswith(JOINED_LOST):  # likewise: it quotes the refusal of the click again on the section given up
        return "the lesion's largest section runs into something next to it (a vessel, or the liver round it), and " \
               "measured on another slice it would come out short"
    side = _SIDE.search(reason)
    if side:  # a flow void on T2 FS, a bright vessel on b800
        return f"what is under the click is {side.group(1)} than the liver, and a lesion on this series is " \
               f"{side.group(2)}: a vessel?"
    if reason.startswith(OUTSIDE_BODY):
        return reason
    longest = _LONGEST.search(reason)
    if longest:
        where = "on the slice clicked" if longest.group(1) == "the slice clicked" else \
            f"on the neighbouring slice (Pos {longest.group(2)} mm)"
        return f"the lesion may be longest {where}, where its edge is not clear"
    if reason.startswith(LOST_ON_CLICKED):
        return "the lesion may be longest on the slice clicked, where its edge is not clear"
    for key, words in PLAIN:
        if key in reason:
            return words
    return reason.removesuffix(": draw it")
