"""One-click refusals in the reader's words (app.refusal_words): each reason the method gives on the sample (found by
clicking a grid of points on LLSYN002's T2 FS, b800 and T1 arterial) is said without the method's terms."""

from __future__ import annotations

import pytest

from app.refusal_words import plain_refusal
from tests.app.test_laptop_suggest_s38 import JARGON

#: the method's reasons as it gives them (figures from the sample), and the start of what the reader reads
REASONS = (
    ("what is found runs through the slices like a vessel (a vessel, a bone?): 24.3 mm here, 70% of that or more over "
     "60 mm (-136.5 to -76.5 mm); a lesion is about as deep as it is long", "this looks like a vessel"),
    ("what was found is darker than the liver (103 against 193); a lesion on this series is brighter (a vessel?)",
     "what is under the click is darker than the liver, and a lesion on this series is brighter: a vessel?"),
    ("what is found here joins two structures: its edge cuts into the ellipse found on 8% of the rays, a waist between "
     "them (a lesion and a vessel beside it, or a lobulated lesion?; over 6% on this series)",
     "the lesion seems joined to a vessel"),
    ("the region leaks beyond 50 mm of the click (no closed boundary against the liver)", "no closed edge found"),
    ("the lesion clicked may lie on a larger one's pole: followed from the slice clicked (6.6 mm) to a section of 20.7 "
     "mm 14 mm away, beyond which it ends 2 slices sooner than on the click's side: another lesion under the one "
     "clicked? draw it", "the lesion clicked may lie against a larger one"),
    ("the lesion's centre lies between two slices: found alike on two slices only (7.4 mm and 93% of it, 100% as "
     "bright), its centre between them: its section on either slice may be far shorter; draw it",
     "the lesion lies between two slices"),
    ("the region reaches the image's edge (no closed boundary against the liver)", "no closed edge found"),
    ("what surrounds the region is not liver (the lesion may go on, or it merges with a vessel)",
     "what surrounds it is not liver"),
    ("no contrast at the click (49 against the liver's 55 ± 7; the 73 near it is not round it)", "nothing under the click"),
    ("no contrast at the click (38 against the liver's 55 ± 7); click inside the lesion", "nothing under the click"),
    ("no region around the click stands out from the liver", "nothing under the click"),
    ("the lesion's edge is too faint against the liver (+14, liver noise 7)", "the lesion's edge is too faint"),
    ("the lesion may be longest on the neighbouring slice (Pos -122.0 mm), where its boundary is not found: what is "
     "found there is much larger (the lesion, or a vessel joining it)",
     "the lesion may be longest on the neighbouring slice (Pos -122.0 mm), where its edge is not clear"),
    ("the lesion may be longest on the slice clicked (Pos -108.0 mm), where its boundary is not found: no contrast at "
     "the click (207 against the liver's 192 ± 7); click inside the lesion",
     "the lesion may be longest on the slice clicked, where its edge is not clear"),
    ("the lesion may go on beyond the ellipse found: its edge leaves the ellipse on 11% of the rays (a lobe, a lesion "
     "next to it or a vessel; over 8% on this series)", "its edge is not clear all round"),
    ("what is found grows on far from the slice clicked: its longest section (48.3 mm, at -150.0 mm) lies 42 mm from "
     "the slice clicked, more than a lesion's half-length from it (an organ next to the liver? click nearer the "
     "lesion's largest section)", "what was found grows on far from this slice"),
    ("the boundary leaks on 56% of the rays (vessel, capsule or a neighbouring lesion)", "its edge is open to a vessel"),
    ("the region is elongated (compactness 0.24): a vessel or the liver's edge runs into it", "it is elongated"),
    ("the outline found does not hold the click (the lesion merges with a neighbour)", "the lesion merges with"),
    ("the lesion's edge is irregular: no ellipse fits the edge found within 10% of its short axis (a vessel, the "
     "capsule or the liver's texture shapes it, or the edge is lost in the noise)", "its edge is irregular"),
    ("what is found stands out on this slice only: 1.5-3 and 3-6 mm beyond its edge the image still holds 19% and 18% "
     "of its contrast (a part of a larger, fainter lesion? it may be longest on a neighbouring slice)",
     "this may be part of a larger, fainter lesion"),
    ("what is found is faint as a whole: an outline 14.9 mm across on 2 slices, standing out by 1.5 SDs of the liver "
     "over the disc of that diameter (a lesion's faint tip, or one smaller than the blur, lengthened by the noise round "
     "it?)", "what was found barely stands out from the liver"),
    ("too small on this series for its edge (4.9 pixels across with the blur, on 2 slices; the blur adds up to 3 pixels "
     "to a lesion this small): draw it", "the lesion is too small on this series"),
    ("what is found is only 2.1 mm across: too small to suggest", "what was found is too small"),
    ("the lesion's edge differs with the slice its levels are read on: on the slice measured (Pos -121.5 mm) its outline "
     "is 15.2 mm at the levels of the slice they came from (Pos -116.5 mm) and 12.9 mm at its own, more than 8% apart "
     "(the slab holds different parts of the lesion on the two slices): draw it",
     "the lesion's edge reads differently on this slice and the next"),
    ("the lesion seems to go on beyond the edge found, fainter: 60% of its contrast 1.5-3 mm out; a necrotic core or a "
     "rim lesion's interior?", "this may be the centre of a larger lesion"),
    ("the region is 81 mm across, beyond 60 mm: it leaked", "no closed edge round the click"),
    ("that point is outside the body: click inside the lesion", "that point is outside the body"),
    # v17, CT arterial (session 41): the narrow ellipse, and the line not found again from its own middle -- said as
    # such even where it quotes the middle's own refusal (here the neighbouring slice's, which says "Pos" first)
    ("what is found is narrower than a lesion's section: its short axis is 59% of its long one (10.0 against 17.1 mm; "
     "under 65% on this series): a lesion merged with a vessel beside it, a vessel crossing the slice, or a lesion run "
     "into the liver round it?", "what was found is narrower than a lesion"),
    # v21, T1 arterial (session 43): the outline on the slice clicked beside the click, followed onto other slices
    ("what is found lies beside the click: on the slice clicked what is found (16.9 mm) has the click 1.85 times its "
     "radius from its centre (from 1 on this series), and its longest section lies 15 mm away (something beside the "
     "lesion clicked, a vessel?): draw it", "what was found lies beside the click"),
    # v21, b800 (session 43, ``joined_again``): the section given up, clicked again, refused or giving way again -- said
    # as such, not as the refusal it quotes (review43b: said as the method's words, or as the quoted refusal's)
    ("the lesion's largest section is not found apart from what it merges with: 29.0 mm against 10.5 mm measured, and "
     "clicked again from the section given up (29.0 mm at Pos 12.5 mm) it is not found round the click on its own",
     "the lesion's largest section runs into something next to it"),
    ("the lesion's largest section is not found apart from what it merges with: 29.0 mm against 10.5 mm measured; "
     "clicked again from the section given up (29.0 mm at Pos 12.5 mm) it is refused (the region leaks beyond 50 mm of "
     "the click (no closed boundary against the liver))", "the lesion's largest section runs into something next to it"),
    # v20, b800 (session 43, ``one_slice_plateau``): standing out well, but a peak with tails -- not said as faint
    ("what is found is faint as a whole: found on this slice only, 6.9 mm (4.0 pixels with the blur), standing out by "
     "7.4 SDs of the liver and holding 48% of its peak's contrast over the disc of that diameter (from 5 SDs and 52% on "
     "this series under 4.1 pixels): a lesion smaller than the blur, lengthened by it? draw it",
     "what was found is too small or too faint on this series to be measured"),
    # session 44, b800 (``two_slice_plateau``): a lesion on two slices in the band, a peak with tails -- said the same way
    ("what is found is faint as a whole: found on two slices, 12.4 mm (4.9 pixels with the blur), holding 49% of its "
     "peak's contrast over the disc of that diameter (from 50% on this series from 4.9 to 5.5 pixels): a lesion smaller "
     "than the blur, lengthened by it? draw it", "what was found is too small or too faint on this series to be measured"),
    # session 46, b800 (``two_slice_peak_half``): a line on two slices as found, short at half its peak -- said the same way
    ("what is found is faint as a whole: found on two slices, 9.7 mm (3.9 pixels with the blur) at the click's threshold, "
     "6.2 mm at half its peak's contrast (64% of it, under 70% on this series): a peak with tails, a lesion smaller than "
     "the blur, lengthened by it? draw it", "what was found is too small or too faint on this series to be measured"),
    # v20, CT portal (session 43, ``capsule_rays``)
    ("the lesion lies against the liver's edge: 22% of its rays meet fat within 3 mm of the edge found (over 15% on "
     "this series), where its edge and the liver's run together: draw it", "the lesion lies against the liver's edge"),
    # session 44, CT portal (``min_click_share``): 460 LLSYN002 L04 measured on the fat beyond the capsule
    ("the lesion measured is not what the click reads: the pixels at the click read 87, the lesion was measured at -95 "
     "against the liver's 111 (12% of the way, under 20% on this series): something beside the lesion was found",
     "what was found is not what is under the click but something beside it"),
    ("the line is not found again from its own middle: clicked again at its own middle (on the slice measured, Pos "
     "-477.5 mm) it is 34.2 mm (on Pos -472.5 mm), not 25.3: more than 3 mm apart",
     "the edge found depends on where the lesion is clicked"),
    ("the line is not found again from its own middle: clicked again at its own middle (on the slice measured, Pos "
     "-12.5 mm) it is refused (the lesion may be longest on the neighbouring slice (Pos -17.5 mm), where its boundary "
     "is not found: what is found there is much larger (the lesion, or a vessel joining it))",
     "the edge found depends on where the lesion is clicked"),
)


@pytest.mark.parametrize(("reason", "start"), REASONS)
def test_each_refusal_is_said_plainly(reason: str, start: str) -> None:
    said = plain_refusal(reason)
    assert said.startswith(start), said
    assert not any(word in said for word in JARGON), said


def test_a_reason_not_known_is_said_as_it_is() -> None:
    assert plain_refusal("slice 4 is not loaded") == "slice 4 is not loaded"
