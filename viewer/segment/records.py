"""What a diameter suggestion returns: the line (or why there is none) and how it was made."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol

import numpy as np

from viewer.geometry import StackGeometry

#: The name recorded in ``method_params`` (and the CLI's ``method``): the method and its version.
METHOD_NAME = "ellipse_consensus_v27"


@dataclass(frozen=True)
class SuggestParams:
    """The method's parameters (recorded with every suggestion, so a figure can be reproduced).

    Lengths in mm; the smoothing and the rings never go below ``min_px`` pixels.
    """

    roi_radius_mm: float = 50.0  # the search window around the click
    smooth_mm: float = 1.2  # Gaussian sigma of the denoising before anything is measured
    min_px: float = 0.5  # floor of the smoothing sigma, in pixels (coarse DWI pixels)
    click_disc_mm: float = 2.0  # radius of the disc whose median is the intensity at the click
    ring_mm: tuple[float, float] = (2.0, 4.0)  # band outside (and inside) a region's edge
    inner_quantile: float = 0.6  # the lesion's level just inside its edge: this quantile (lesion side up)
    edge_iterations: int = 5  # the edge's half-maximum is re-measured until it settles (at most this often)
    min_contrast_sd: float = 2.5  # lesion vs liver, in SDs of the smoothed liver, to suggest at all
    shell_fraction: float = 0.05  # a ring outside the region this far from the liver is more lesion
    # beyond the boundary chosen (median over the rays that stay in the liver), a level still this
    # fraction of the lesion's contrast away from the liver 3-6 mm out, or ``rim_beyond`` of it
    # 1.5-3 mm out (past a half-maximum edge's blur), and ``shell_beyond_sd`` SDs of the smoothed
    # liver: a fainter shell or rim round what was found (a necrotic core, a rim lesion's
    # interior) -- refused
    shell_beyond: float = 0.2
    rim_beyond: float = 0.45
    shell_beyond_sd: float = 1.1
    # the level just outside the edge found beyond the liver mode on the side opposite the lesion's
    # by this many SDs of the smoothed liver: a rim of the other contrast round what was found (an
    # enhancing rim round a necrotic core clicked inside it) -- refused
    opposite_rim_sd: float = 1.5
    # the slice clicked finds no lesion of its own, the neighbour before it starts the lesion and cannot follow it
    # back through the slice clicked: the neighbour after it starts it again (v13; False: refused, as up to v12)
    both_neighbours: bool = True
    beyond_ratio: float = 1.5  # growth stops this many contrasts beyond the edge level (fat, air, veins)
    vessel_ratio: float = 1.0  # a blob beyond the edge level by this many contrasts, at the edge, is cut off
    opening: float = 0.5  # opening disc radius, a fraction of the largest disc inside the region
    n_rays: int = 72
    ellipse_tolerance: float = 0.1  # edge residuals within this fraction of the short semi-axis: the ellipse is the boundary (0: never)
    # the slice measured has no ellipse within that tolerance: refused (its rays' own outline, whose
    # longest chord grows with the edge's noise, measured CT arterial +2.6 mm long on average)
    refuse_irregular: bool = True
    local_edge_mm: float = 1.5  # each ray's edge at the half-maximum of the levels this deep either side (0: off)
    #: where the levels either side of a ray's edge are read from, in pixels off the edge (the lesion's
    #: ``local_edge_mm`` deep from there inwards, the liver's outwards): a pixel keeps the edge's own blur
    #: out of them; T2 FS and b800 read them a quarter of a pixel off (app.suggester: T2 FS read its
    #: lesions 0.23 mm short from a pixel in, most of what the suggestion added to DWI - T2 FS)
    local_edge_gap_px: float = 1.0
    curvature_correction: bool = True  # the ellipse's axes corrected for the inward shift the smoothing gives a curved edge
    consensus_px: float = 1.0  # rays within this many pixels of an ellipse agree with it
    consensus_sd: float = 1.5  # ... or within this many SDs of the scatter the noise gives the edge
    consensus_tries: int = 200  # ellipses tried for the largest consensus
    harmonics: int = 8  # the boundary's radius keeps these Fourier harmonics (noise goes, shape stays)
    leak_window: int = 15  # rays of the circular median a ray's radius is compared with
    leak_ratio: float = 1.2  # a ray longer than this times its neighbours' median (+ 1 px) leaked
    min_compactness: float = 0.5  # area / (pi d^2 / 4): lower is a lesion merged with a vessel
    max_leak_fraction: float = 0.34  # more leaked rays than this: refused
    # on the slice measured, more rays off its ellipse than this: refused (0: off). Set where vessels
    # lie on the other side of the liver from lesions (T2 FS, b800: dark flow voids, bright lesions):
    # what leaves the ellipse there is a lobe or a neighbouring lesion (a bilobed lesion on a T2 FS
    # grid was measured as its 18 mm lobe, 23-29 mm across)
    max_leak_measured: float = 0.0
    # on the slice measured, more rays than this whose edge cuts into its ellipse, off it: refused (0:
    # off). The ellipse then spans two structures joined by a waist, the edge cutting in between them
    # (a 10.6 mm lesion pressed against a vein's section as bright as it, on T1 arterial: one 14.8 mm
    # ellipse over both, 8 of 72 rays cutting in); a lesion with a vessel leaving it has its rays off
    # the ellipse running out beyond it instead (v11)
    max_inward_measured: float = 0.0
    # ... and ``max_leak_measured`` read as this share instead where no ray off the ellipse has its edge inside it (0: off;
    # session 46, T1 arterial): every ray off runs out beyond the ellipse, a vessel leaving the lesion, and the ellipse
    # through the others is the lesion's section (211 LLSYN001 L03, 10.8 mm beside a portal vein: 26 % of the rays off,
    # +0.19 mm; app.suggester.MAX_LEAK_OUTWARD)
    max_leak_outward: float = 0.0
    # ... and neither ``max_leak_measured`` nor ``max_inward_measured`` refuses a section at least this many pixels across
    # whose longer neighbour found is as long within ``leak_large_neighbours`` (from that share of its length to its
    # inverse; 0: off; session 46, T1 arterial): a large lesion's section as long as the next slice's, what leaves its
    # ellipse a vessel or its texture along the edge, not a second structure lengthening it (a vessel's section merged
    # with a 10-17 mm lesion makes that slice far longer than its neighbours: 0.56-0.65 of it; app.suggester.LEAK_LARGE_PX)
    leak_large_px: float = 0.0
    leak_large_neighbours: float = 0.9
    # where the slice measured is the last of the lesion's run that way (the lesion ends beyond it), the slice
    # beyond it, round the points a quarter of the way in from the line's ends (discs an eighth of its length),
    # holding what stands out at the click's levels on a share of one disc larger than the other's by this much or
    # more: something as bright as the lesion goes on past the lesion's end round one end of its line -- a vessel
    # running through the slices, merged with the lesion's section on the slice measured -- refused (0: off; v15,
    # CT arterial, where vessels are as bright as the lesions)
    past_end: float = 0.0
    # the longer of the sections found on the slices next to the slice measured, under this fraction of its length:
    # refused (0: off). A lesion's section changes little from one slice to the next; the section measured twice as
    # long as both its neighbours is a lesion merged there with a vessel (whose own section is what the neighbours
    # hold), or the part of a necrotic lesion's shell the click's levels follow (CT arterial, session 40)
    neighbour_ratio: float = 0.0
    # ... except where the ellipse measured is at least this fraction as wide as long (0: off; session 49, CT arterial,
    # ``neighbour_held`` in the record): a lesion 9-12 mm deep centred on a 5 mm slice leaves its next slices its tips
    # (0.43-0.57 of its section), and a round section is the lesion's own; a vessel's section merged with the lesion
    # makes the ellipse narrower (204 LLSYN001 L03 with a portal vein: 0.673)
    neighbour_round_from: float = 0.0
    # ... for a section found under this length (mm; with ``neighbour_round_from``): a lesion as deep as the phantoms'
    # (0.72 of its length or more) and 18 mm long or more keeps 0.6 of its section 5 mm either side of its middle; a longer
    # section far longer than its neighbours is a part of something (101 LLSYN002 L01 on the old CT noise, a necrotic
    # lesion's shell followed round its largest slice: 40.2 mm at 0.77, its neighbours 0.49 of it, -3.47)
    neighbour_round_below_mm: float = 18.0
    # the ellipsoid d(z)^2 = D^2 (1 - (z - zc)^2 / c^2) through the sections found on the slice measured and the slices
    # either side, its depth 2c under this fraction of its length D: refused (0: off; v18, T1 portal). A lesion is about as
    # deep as it is long (the phantoms': 0.72-1.0); a section 1.5 times both its neighbours is merged there with
    # something (335 LLSYN001 L02 on T1 portal, 16.9 mm, 19.8 mm against 13.1 and 11.3: 0.64)
    min_depth_ratio: float = 0.0
    # ... only where the longer of those neighbours is under this fraction of the section measured (0: always; v20, T1
    # portal): through three sections a few percent apart the ellipsoid is ill-conditioned (346 LLSYN002 L01, 44.0 mm,
    # flat-topped, 42.7, 44.7 and 41.2 mm: 0.65), and a section merged with something is far longer than both
    # neighbours (335 LLSYN001 L02: 0.66 of it)
    depth_neighbours: float = 0.0
    # the ellipse measured, its short axis under this fraction of its long one: refused (0: off; v17, CT arterial). A
    # liver lesion's section is round to oval; one that narrow is a lesion merged with a vessel's section beside it,
    # a vessel crossing the slice, or a lesion run into the liver's texture
    min_axis_ratio: float = 0.0
    # ... not refused where the region traced (the pixels past the threshold: a level set of the image) is at least this
    # round by its second moments (0: off; session 49, CT arterial), its threshold standing ``narrow_region_sd`` SDs of the
    # liver or more from the liver's level and the longer slice followed next to it at most ``narrow_region_share`` times
    # its length: on a 5 mm slab a lesion 6-10 mm deep is a dome, not a plateau, and the edge read at each ray's own
    # half-maximum cuts its short sides deeper than its ends (oval lesions drawn 0.7-0.75 as wide as long read 0.58-0.65),
    # while a level set of the dome keeps its shape; a lesion merged with a vessel is narrow either way
    narrow_region_ratio: float = 0.0
    narrow_region_sd: float = 2.5
    narrow_region_share: float = 1.25
    # ... the same for a line measured on its corrected ellipse (step 10; not one measured as found, ``uncorrected_px``):
    # refused under this fraction (0: off; v18, T1 arterial, where a lesion and a vein beside it as bright as it merge)
    min_axis_ratio_corrected: float = 0.0
    # a line shorter than this many mm whose ellipse's short axis is under ``narrow_short_ratio`` of its long one, found
    # on at most ``narrow_short_slices`` slices (0: any), refused (0: off; session 46, CT portal and T1 portal). A lesion of
    # 5-7 mm is lengthened by the noise round it into a narrow outline 8-12 mm long (CT portal 482 LLSYN003 L06, 6.0 mm:
    # 8.1 mm at 0.47, +5.0; T1 portal 400 LLSYN002 L11, 6.5 mm, on one slice: 12.4 mm at 0.50, +6.2), while a lesion's
    # own section is round to oval
    narrow_short_mm: float = 0.0
    narrow_short_ratio: float = 0.55
    narrow_short_slices: int = 0
    # the ellipse measured, its short axis under ``narrow_neighbour_axis`` of its long one, and the longer of the sections
    # found on the slices next to it under this fraction of its length: refused (0: off; session 48, T1 portal). A lesion
    # whose section merges on one slice with something beside it (a vessel's section, a dark band along a vessel) is
    # measured there narrow and far longer than its neighbours (437 LLSYN002 L08, 10.0 mm: 15.87 mm at 0.568, its
    # neighbour 0.597 of it, +5.93; 440 LLSYN002 L06, 13.7 mm: 18.09 at 0.569, 0.668, +4.40), while a narrow lesion's own
    # section changes little from one slice to the next and a round one's end slice may be far shorter
    narrow_neighbour_ratio: float = 0.0
    narrow_neighbour_axis: float = 0.6
    # the line clicked again at its own middle on the slice measured: a suggestion longer or shorter than it by more
    # than this many mm, refused (0: off; v17, CT arterial)
    recheck_mm: float = 0.0
    # where a suggestion is refused because the lesion may be longest on a slice followed from the one whose levels are
    # read, where its boundary leaks on more rays than ``max_leak_fraction``, it is made again with this limit on the
    # slices followed (0: off; session 44, CT arterial; the slice measured keeps its own limits, ``max_leak_measured``).
    # Only then: with the looser limit from the start, leaking neighbours became the longest section and good lines
    # were refused (52 clicks on 22 realisations)
    neighbour_leak: float = 0.0
    # the slice measured's outline with no ellipse (``refuse_irregular``) measured, not refused, where the longer slice
    # followed next to it is as long within this share (from this share of its length to its inverse; 0: off; session
    # 45, CT arterial): the edge found alike on two slices is the lesion's, not one lost in the noise on one slice
    irregular_beside: float = 0.0
    # where the region grown against the window's main peak runs out of the window and no other peak at least 0.4 of the
    # way from it to the click closes it (:func:`viewer.segment.levels.find_levels`), the other peaks from this share of
    # the way are tried as the liver too, in the same order (0: off; session 46, CT arterial; session 47, T1 arterial):
    # a lesion against the capsule has more fat than liver in its window (CT: the main peak at -105 HU, the liver's own
    # peak, 72 against the click's 105, 0.16 of the way from the click; T1: the dark fat and background beyond the edge)
    near_peak_share: float = 0.0
    # where a click is refused because the lesion may be longest on a slice where its boundary is not found, or because
    # the edge leaves the ellipse measured on more rays than ``max_leak_measured``, it is made again with ``vessel_ratio``
    # at this (0: off; session 46, CT arterial): a portal vein branch against the lesion, 150 HU against its 115-130, is
    # under the lesion's level plus one contrast and stays in the region; at half a contrast it is cut off
    vessel_ratio_again: float = 0.0
    # ... and its line stands only where its ellipse is this round or rounder (short axis over long; 0: any, an outline with
    # no ellipse too): made again so, a lesion and the vein's section merged at 0.67-0.68 (477 LLSYN001 L03, +3.20 mm)
    vessel_again_axis_ratio: float = 0.0
    # ... and a line of the nearer peaks' second try measured as found on two slices is refused when its outline found
    # again at half its peak's contrast is under this share of it (``two_slice_peak_half`` for the second try), and set,
    # one measured beside a longer section given up as "joined" is refused too (0: off, as the series; session 47, T1
    # arterial): the liver's peak read beside the background sets a threshold on the tails of a lesion smaller than the
    # blur (407 LLSYN002 L11, 4.9 mm at the liver's tip, 8.05 mm at 0.856), and a capsule lesion is measured on its tip
    # beside its longer section joined to the capsule (211 LLSYN002 L06, 14.0 mm measured 10.3)
    near_peak_half: float = 0.0
    # on the slice measured, the unsmoothed image 0.5-2.5 mm beyond the boundary (the median over the rays that stay
    # in the liver, at each distance, then its mean there) still this fraction of the lesion's contrast or more: a
    # rim fainter than the interior found, under the half-maximum of the interior's edge (T1 portal's rim lesions:
    # the rim 0.4 of the interior's contrast) -- refused (0: off). ``shell_beyond`` reads the denoised image 1.5-3
    # mm out, where the denoising has spread a homogeneous lesion's edge as far as such a rim (app.suggester.RAW_SHELL)
    raw_shell: float = 0.0
    # on the slice measured, the outline found again from its centre at the click's threshold raised by ``steady_step``
    # of the lesion's contrast: when its diameter falls by more than ``steady_px`` pixels, the boundary at the
    # threshold ran through a neck into something joined to the lesion (a vessel as bright as its shell), not along
    # the lesion's edge, where each ray's own half-maximum keeps the edge whatever the threshold -- refused (0: off)
    steady_step: float = 0.1
    steady_px: float = 0.0
    # ... and at the threshold raised by ``steady_far_step``, by more than ``steady_far_px`` pixels (0: off; v17, T1
    # portal: a lesion against a hepatic vein much brighter than it keeps the vein at a tenth and parts from it at a
    # fifth, 23.85 -> 18.61 mm, where the lesions' own edges move 1.5 pixels at most; app.suggester.STEADY_FAR_PX)
    steady_far_step: float = 0.2
    steady_far_px: float = 0.0
    slices_each_side: int = 2  # neighbouring slices searched for a longer axial diameter
    # ... and further, while the section still grows from slice to slice, up to this many slices each
    # way: a click three slices from a 44 mm lesion's largest section on T1 arterial was measured on
    # the last slice searched, still growing (42.1 mm)
    slices_growing: int = 12
    # the slice measured lies no further from the slice clicked (along the normal, less half a slice's
    # spacing and half its thickness) than this fraction of its length, or refused (0: off): a round
    # lesion clicked anywhere, its tip's slice included, is within half its length of its largest
    # section; one 1.25 times as deep as long clicked 7.5 mm inside its pole at 0.62; one twice as
    # deep, clicked near its tip, is refused (0.71). A click on a kidney's upper pole on T1 arterial
    # was followed 9 slices while it grew, to 54 mm, 45 mm away (0.74)
    max_reach: float = 0.7
    # where the click's levels lose the lesion under the centre followed (a necrotic or rim lesion's
    # core widening there), the slice's own levels from that centre are taken when they find it at
    # least this fraction of the previous slice's length, on the same side (0: off)
    own_core_size: float = 1.0
    restarts: int = 3  # the levels and outline found again from the centre found, until it stays (at most)
    # ... each taken while its outline is 0.9 of the one found from the click or longer (a necrotic core found from the
    # centre is not taken for the lesion), or this share of it where set (0: off; session 49, b800): a lesion whose
    # levels read from the click and from its centre cut its blurred edge a little apart took the click's on some clicks
    # and the centre's on others, the line on either of its two slices (538 LLSYN002 L06, 14.0 mm: 13.97 against 12.57 mm
    # from its centre, 0.8998; its lines 12.88 and 14.66 mm; b800 0.75)
    restart_share: float = 0.0
    max_shift: float = 0.5  # the centre moves less than this times the diameter from slice to slice
    max_growth: float = 2.0  # nor does the diameter grow more than this factor (+ 1 pixel)
    # where the centre moves (``max_shift``) to a region under this fraction of the slice's length
    # that still lies within its outline, the slice measured joins two structures that part there:
    # refused when it is the slice measured (0: off)
    split_size: float = 0.6
    # the slice beyond which the lesion ends, holding only part of it, gives way to a neighbour whose
    # inner half stands out from the liver more than 1 / ratio times as much, by this many SDs of
    # the liver: one at least ``partial_volume_size`` times as long ("fuller"), or a shorter one next
    # to it with a followed slice beyond ("joined": the lesion's end joined to a vessel, the capsule)
    partial_volume_size: float = 0.9
    partial_volume_ratio: float = 0.75
    partial_volume_sd: float = 3.0
    # whether those give-ways on the fullness act at all (False: the longest section holding the click is measured; v20,
    # CT portal, where a faint lesion's inner half on a 5 mm slab stands out by a few HU more on one slice than the next
    # from the noise and texture alone: 102 LLSYN002 L06, 12.9 mm, measured 9.9 on the shorter slice, -3.03 mm)
    fuller_give_way: bool = True
    # ... or, when the lesion ends beyond that shorter neighbour too (a lesion on two slices), the
    # slice that gives way has at least this fraction of its rays off its ellipse: what it joins
    # (1: off). LLSYN001 L03 on CT portal, 9.5 mm, against a portal vein: 15.5 mm on its tip's
    # slice (14 % of the rays off), 8.0 on the fuller slice next to it
    joined_end_leak: float = 0.1
    # ... the shorter section, when that rule acts on its edge alone, at least this fraction of the
    # longer one's length (a much shorter one is the lesion's own tip)
    joined_end_size: float = 0.6
    # ... and not when the longer section's inner half stands out from the liver more than the shorter one's by this many
    # SDs of the liver (0: off; v20, T1 arterial): the longer one holds more of the lesion, so it is the lesion's fuller
    # section, whose edge leaves its ellipse where the lesion meets the capsule or a vessel, and the shorter is its own tip
    # (353 LLSYN002 L07, 11.8 mm against the capsule: 11.87 mm on its largest slice, 11 % of the rays off, 4.8 SDs fuller
    # than the 8.61 mm tip it gave way to, -3.23 mm; app.suggester.JOINED_END_FULLER_SD)
    joined_end_fuller_sd: float = 0.0
    # where that rule gave way from a longer section under this share of whose rays off its ellipse have their edge inside
    # it, the click is made again there, as for ``joined_again`` (0: off; session 48, T1 arterial): its edge leaves the
    # ellipse outward, a vessel running out of the lesion, no waist between two structures; the longer section is the
    # lesion's (539 LLSYN002 L05, 15.9 mm beside a hepatic vein: 14.75 mm, 22 % of the rays off and 3 % inward, gave way
    # to 11.63 mm, -4.27; made again there -0.58; app.suggester.JOINED_OUTWARD_AGAIN)
    joined_outward_again: float = 0.0
    # ... when the section given up is this many times as long as the one measured or more (near-equal sections: the
    # line changes little; 481 LLSYN001 L03, 9.12 against 9.02 mm, -0.94 mm, refused made again from the 9.12)
    joined_outward_size: float = 1.1
    # a line measured on another slice than the one clicked, where the outline on the slice clicked (at the same levels)
    # has the click this many times its own ellipse's radius from its centre or farther (1: on its edge): refused (0:
    # off; v21, T1 arterial). What was followed there is not round the click: something beside the lesion clicked (a
    # vessel the lesion touches), which the levels then followed onto other slices (413 LLSYN002 L08, 10 mm, measured as
    # an oblique vessel three slices away, +9.6 mm; app.suggester.MAX_CLICK_RADIUS)
    max_click_radius: float = 0.0
    # a line measured on another slice than the one clicked, two slices or more from it, where the lesion is followed
    # this many slices or more further beyond the slice measured on the click's side than on the other, where it ends:
    # refused (0: off; session 48, T2 FS). A lesion's sections fall off alike on both sides of its largest; a small
    # lesion stacked on a larger one's pole is followed onto it as its tip (538 LLSYN002 L10, 8.0 mm, 6.4 mm above L04's
    # pole: 4.7, 6.6, 12.6 then 20.7 mm on L04 and 18.5 mm beyond, where it ends: 3 slices against 1, +16.70 mm;
    # app.suggester.TAIL_EXCESS)
    tail_excess: int = 0
    # a lesion found on two slices only, its section under ``even_pair_below_mm`` on the slice measured, where the other
    # slice's section is at least ``even_pair_size`` times as long (the shorter of the two against the longer) and stands
    # out from the liver at least ``even_pair_full`` times as much as the slice measured, and the two slices together stand
    # out from the liver by less than ``even_pair_sum_liver`` times the liver's own level (0: not asked): refused (0: off;
    # session 48, T2 FS; session 49 set it, with ``even_pair_sum_liver``). Its centre lies between the two slices, each slab
    # holding part of it, and the section the protocol measures, on the slice nearest the centre, is far shorter than the
    # line (537 LLSYN002 L10, 8.0 mm, 7.35 and 6.84 mm at 83.4 and 83.7: 8.23 against 2.99, +5.24); a lesion filling
    # its slabs stands out more (a lesion of 10 mm on two slices: 496 LLSYN002 L08, 7.28 mm at 230 and 157 against the
    # liver's 193.5, -0.01; app.suggester.EVEN_PAIR)
    even_pair_below_mm: float = 0.0
    even_pair_size: float = 0.0
    even_pair_full: float = 0.0
    even_pair_sum_liver: float = 0.0
    # the smoothed value at the reader's click (the median of the click's disc on the slice clicked) lies under this
    # fraction of the way from the liver's level to the lesion's level the line was measured at: refused (0: off; session
    # 44, CT portal and T2 FS). The levels were found on something else than what was clicked (460 LLSYN002 L04, a 20.7 mm
    # capsule lesion clicked at 87 HU, measured at a lesion level of -95 HU on the fat beyond the capsule, -14.35 mm;
    # app.suggester.MIN_CLICK_SHARE). The share is in every line's record as ``click_share``
    min_click_share: float = 0.0
    # a slice that gave way as ``joined`` to a neighbour whose inner half stands out from the liver by under this
    # fraction of its own (the neighbour is the lesion's faint tip, not the slice nearer its middle): refused (0: off;
    # v17, T1 portal: levels read on a capsule lesion's faint tip lost it two slices on, and the slice that was nearer
    # its middle gave way to the tip, -9.15 mm; app.suggester.JOINED_FULLNESS)
    joined_fullness: float = 0.0
    # a slice that gave way as ``joined`` to a neighbour this many times as long or more: made again as a click at the
    # centre measured on that neighbour, refused unless it then finds the lesion round the click without giving way so
    # (0: off; v21, b800: a threshold there settled near the liver's level and its outline ran into the liver;
    # app.suggester.JOINED_AGAIN)
    joined_again: float = 0.0
    # on the slice measured, the share of the rays that meet, within ``capsule_mm`` beyond the edge (after step 10's
    # correction), something farther from the liver than twice the lesion's contrast on the lesion's side (fat beyond the
    # capsule round a dark lesion): over this share the lesion is refused (0: off; v20, CT portal). There a lesion lies
    # against the liver's edge, where its own edge and the capsule's run together
    capsule_rays: float = 0.0
    capsule_mm: float = 3.0
    # on the slices next to the slice measured that the lesion was followed onto, :attr:`raw_shell`'s measure of their
    # own outline at the click's levels this fraction or more: refused (0: off; T1 portal, session 44; CT portal, session
    # 47). A rim lesion's interior measured on a slice where partial volume fills the rim in (or, on CT portal, where the
    # rim is lost in the noise) reads no rim beyond it there, while the slice beside it does (415 LLSYN002 L02 on T1 portal,
    # 28.8 mm, rim: 21.97 on its end slice, -6.82; app.suggester.RAW_SHELL_BESIDE)
    raw_shell_beside: float = 0.0
    # the levels set on the lesion's tip (the lesion ends beyond it; under this fraction of the
    # chosen slice's length, its inner half under ``partial_volume_ratio`` of the chosen one's):
    # the suggestion is made again from the chosen slice, as if it had been clicked
    tip_size: float = 0.9
    # a line about to be suggested whose levels came from another slice than the one measured, the slice measured's
    # outline at them differing from its outline at its own levels (found from its centre, as if clicked there) by
    # more than this fraction of the latter: the suggestion is made again from the slice measured, refused where the
    # levels still disagree there, its line leaves the click or the slice measured finds no lesion of its own (0: off;
    # v16, b800: a neighbour holding less of the lesion through the 5 mm slab reads a fainter lesion level, whose
    # threshold grows the fuller slice's outline, +3.6 to +5.5 mm on fresh realisations; app.suggester.OWN_LEVELS_GAP)
    own_levels_gap: float = 0.0
    max_diameter_mm: float = 80.0
    min_diameter_mm: float = 4.0
    # the side of the liver a lesion lies on where the series says it (+1 brighter: T2 FS and b800,
    # the protocol's T2 hyperintensity and restricted diffusion; -1 darker; 0 either): what is
    # found on the other side is refused (a vessel's flow void on T2 FS measured as the lesion)
    lesion_side: int = 0
    # a lesion under this many pixels across, found on fewer than ``small_slices`` slices, is refused
    # (0: off): where the series' blur is wide against its pixels (b800 on the phantoms) the
    # half-maximum of a lesion that small lies outside it, by up to 2.9 pixels (7 mm)
    min_pixels_across: float = 0.0
    small_slices: int = 3
    # ... unless found on two slices or more and, measured on the ellipse as found (the smoothing's shift not
    # given back, step 10), under this many pixels across: measured so (0: off). Step 10 models a sharp section;
    # b800's own blur and 5 mm slabs already widen a section of a few pixels, and given back there the shift made
    # its sections of 3-5 pixels on two slices 0.5-1.1 mm long on average (the outline as found: -0.35 to +0.49), a
    # noise-lengthened one up to +4 mm (app.suggester.UNCORRECTED_PX)
    uncorrected_px: float = 0.0
    uncorrected_from_px: float = 0.0  # ... and at least this many (a section of a few pixels is mostly blur)
    # ... and, still under the size limit, measured when at least this many pixels across (0: off), its ellipse at
    # least ``round_axis_ratio`` as wide as long and standing out by ``round_sd`` SDs of the liver or more (T1 arterial,
    # v18: its lesions of 10 mm or more on one or two slices under 8.5 pixels were refused, within 3 mm on every click
    # but for the size limit; the lines under it more than 3 mm off were narrow, or under 5 pixels:
    # app.suggester.ROUND_FROM_PX)
    round_from_px: float = 0.0
    round_axis_ratio: float = 0.0
    round_sd: float = 0.0
    # ... and not when its edge leaves its ellipse on more than this share of the rays (0: off; session 48, T1 arterial:
    # a lesion of 5-7 mm merged on its slice with a vessel beside it reads a round ellipse over the two, past the size
    # limit's blur, the vessel's side off the ellipse: 485 LLSYN003 L06, 5.7 mm, 12.19 mm at 22 % of the rays, +6.49;
    # app.suggester.ROUND_MAX_LEAK)
    round_max_leak: float = 0.0
    # where the first try is refused as narrow or as cutting into its ellipse, the click is made again with the threshold
    # read at this quantile of the pixels just inside the edge (``inner_quantile`` otherwise; 0: off; session 48, T1
    # arterial): a vessel touching the lesion at about half its contrast (a portal vein branch) holds the inner ring's
    # lower pixels and brings the half-maximum down to its own level, so the region holds both; read at the lesion's
    # brighter pixels the threshold leaves the vessel out. What that gives stands with every rule of the series
    inner_quantile_again: float = 0.0
    # such a lesion found on one slice only, measured on its ellipse as found when that is from this many pixels up to
    # ``min_pixels_across`` (0: off; v18, b800: app.suggester.ONE_SLICE_FROM_PX) ...
    one_slice_from_px: float = 0.0
    # such a one-slice line is refused when the slices on both sides, at their own levels from the line's middle, hold
    # an outline at least this share of its length (0: off; v18, b800 0.9: app.suggester.ONE_SLICE_NEIGHBOURS)
    one_slice_neighbours: float = 0.0
    # ... and, measured so under this many pixels (0: off; v20, b800: app.suggester.ONE_SLICE_FAINT_BELOW_PX), refused
    # when the disc of its diameter stands out from the liver by less than ``one_slice_faint_sd`` SDs, or holds on
    # average less than ``one_slice_plateau`` of the contrast of its peak (the denoised image, against the liver): a
    # lesion of 5-7 mm lengthened by the blur to as many pixels as a 10 mm one read a little short is a peak with tails,
    # the 10 mm one a plateau
    one_slice_faint_below_px: float = 0.0
    one_slice_faint_sd: float = 0.0
    one_slice_plateau: float = 0.0
    # a lesion under the size limit found on two slices, from ``uncorrected_px`` as found up to this many pixels (0: off, and
    # off with ``uncorrected_px``;
    # b800, session 44: app.suggester.TWO_SLICE_UPTO_PX): measured as found when the denoised disc of its diameter holds on
    # average ``two_slice_plateau`` of its peak's contrast or more, refused otherwise (as it was): a lesion of 10-16 mm on
    # two slices is a plateau, one of 7-9 mm lengthened by the blur to as many pixels a peak with tails
    two_slice_upto_px: float = 0.0
    two_slice_plateau: float = 0.0
    # a line found on two slices and measured as found (``uncorrected_px``, ``two_slice_upto_px``; off with
    # ``uncorrected_px`` 0) is refused when the outline found again from its middle at half its peak's contrast (the
    # brightest denoised value within a quarter of the line of its middle, against the liver) is shorter than this share
    # of it (0: off; session 46, b800: app.suggester.TWO_SLICE_PEAK_HALF): the click's threshold lies low on the tails of
    # a peak, a lesion smaller than the blur lengthened by it (fresh 479 LLSYN002 L11, 6.5 mm: 9.69 mm, 6.15 at half its
    # peak, +5.23); a lesion's plateau holds its length there
    two_slice_peak_half: float = 0.0
    # a line on one or two slices under ``uncorrected_from_px`` (two slices) or ``one_slice_from_px`` (one), refused by the
    # size limit until then, measured as found from this many pixels (0: off; session 47, b800: app.suggester.DOWN_TO_PX),
    # when the disc of its diameter stands out from the liver by ``down_to_sd`` SDs or more and the rules that read lines
    # measured as found pass it (one slice: ``one_slice_faint_*``; two: ``two_slice_peak_half``): a lesion of 9-11 mm on
    # one or two slices reads 3.0-3.6 pixels as found (-2.4 .. +0.2 mm), a lesion of 5-7 mm lengthened by the blur reads
    # as many and stands out less
    down_to_px: float = 0.0
    down_to_sd: float = 0.0
    # what is found on fewer than ``small_slices`` slices, whose disc of its diameter (the unsmoothed pixels
    # round the line's midpoint) stands out from the liver by less than this many SDs of the denoised liver
    # on average, is refused (0: off): the noise or the blur lengthened an outline round a faint tip or a
    # lesion smaller than the blur, which holds mostly liver there (b800 on the sample: a 9 mm lesion
    # clicked on its tip's slice, where it is 2.8 mm, measured 14.7 mm at 1.6 SDs; lesions of 10 mm or
    # more measured on one or two slices stand at 5 SDs and more)
    few_slices_sd: float = 0.0
    # ... and what is found on ``small_slices`` slices or more, under this many pixels across (0: off; session 45, b800:
    # app.suggester.FAINT_ANY_SLICES_BELOW_PX): a faint outline the noise lengthened round a lesion smaller than the blur
    # reaches the slices beside it through the slab and is followed onto three (fresh 478 LLSYN003 L06, 6 mm: 12.5 mm at
    # 2.4 SDs, +7.9)
    few_slices_sd_below_px: float = 0.0
    # ... and a line the few-slices rule reads, measured on another slice than the one its levels came from, whose disc
    # stands out from the liver by less than this many SDs is refused (0: off; session 49, b800: app.suggester.MOVED_FAINT).
    # The click's levels followed a small lesion onto the slice beside it, where the slab holds its tip, and the outline
    # there spans the tip and something faint beside it (fresh 563 LLSYN001 L04, 6.65 mm against the capsule, clicked on
    # its middle: 9.1 mm there, 14.26 mm on the next slice, where it is 1.4 mm, at 4.28 SDs: +7.61 on 8 clicks)
    moved_faint_sd: float = 0.0
    # a lesion found on one slice only, round which the image 1.5-3 and 3-6 mm beyond its edge still
    # stands this fraction of its contrast away from the liver: a part of a larger, fainter lesion
    # (its tip through the slab, a brighter part of it) -- refused (0: off). A 20.5 mm lesion on CT
    # portal found as a 4.4 mm part on the slice next to its largest (bench, 18 and 19 %)
    single_slice_beyond: float = 0.15
    # what is found, followed slice by slice under its centre at ``tube_size`` of its length or more,
    # over this many times its length along the stack's normal (between its end slices, less a slice's
    # spacing: an end slice may hold only its edge, as long through partial volume)
    # runs through the slices like a vessel or a bone: refused (0: off). A lesion is about as deep as
    # it is long (a sphere keeps 0.7 of its length over 0.71 of it, one twice as deep as long over
    # 1.43); the aorta clicked on T1 arterial was measured as a 22.5 mm lesion, a vertebral body on
    # CT arterial as a 42.4 mm one (the same over 75 mm)
    tube_extent: float = 1.5
    tube_size: float = 0.7
    # a line whose ellipse does not hold the click (the click at its radius from its centre or farther, on the slice
    # measured) while its sections here and on the slices either side make an ellipsoid this many times as deep as long or
    # more (``depth_ratio``): refused (0: off; session 47, CT arterial). What is measured is a structure running through
    # the slices beside the lesion clicked, a vessel: fresh 500 LLSYN002 L08 (8.74 mm, faint, against an artery's 16-19 mm
    # section on six 5 mm slices, 1.43 radii from the click, 3.68 times as deep as long), +8.29 mm; its span between end
    # slices, less a slice, stays under ``tube_extent`` (app.suggester.BESIDE_CLICK_DEPTH)
    beside_click_depth: float = 0.0
    # a section of ``organ_from_mm`` or more whose sections here and on the slices either side make an ellipsoid this many
    # times as deep as long or more (``depth_ratio``): refused as an organ next to the liver (0: off; session 49, T2 FS and
    # T1 arterial: the right kidney below the liver, 54 mm, 1.67-1.91 times as deep as long, measured as a lesion)
    organ_depth: float = 0.0
    organ_from_mm: float = 30.0
    # a click refused because the lesion may be longest on a neighbouring slice where its boundary is not found from the
    # centre followed there: made again as a click at that centre on that slice (the part of the region holding a click is
    # the lesion's, where a vessel as bright as it touches it), kept when its line lies round the click (False: refused;
    # session 46, T1 arterial; ``lost_clicked_again`` in the record; app.suggester.LOST_AGAIN)
    lost_again: bool = False
    # a one-slice line's neighbour (``one_slice_neighbours``) holding an outline longer than this share of the line at its
    # own levels holds something else there, not the lesion going on (0: off; session 49, b800)
    one_slice_neighbours_upto: float = 0.0

    def __post_init__(self) -> None:
        # every number finite first: the checks below compare (``x < 0``), which a NaN passes, and a NaN
        # min_pixels_across or uncorrected_px turned its rule off without a word (``d < nan`` is false), an infinite
        # one on for any size; the SR's import leaves a non-finite parameter out of method_params (review39b)
        for f in fields(self):
            value = getattr(self, f.name)
            if any(isinstance(v, float) and not math.isfinite(v) for v in (value if isinstance(value, tuple) else (value,))):
                raise ValueError(f"{f.name} must be a finite number, got {value}")
        for name in ("roi_radius_mm", "smooth_mm", "min_px", "click_disc_mm", "min_contrast_sd", "leak_ratio",
                     "max_diameter_mm", "min_diameter_mm"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be > 0, got {value}")
        if not 0 < self.ring_mm[0] < self.ring_mm[1]:
            raise ValueError(f"ring_mm must be (inner, outer) with 0 < inner < outer, got {self.ring_mm}")
        if self.n_rays < 16 or not 1 <= self.harmonics < self.n_rays // 2:
            raise ValueError(f"n_rays >= 16 and 1 <= harmonics < n_rays / 2, got {self.n_rays}, {self.harmonics}")
        if not (0 < self.partial_volume_size <= 1 and 0 < self.partial_volume_ratio <= 1 and self.partial_volume_sd >= 0
                and 0 <= self.tip_size <= 1):
            raise ValueError("partial_volume_size and partial_volume_ratio lie in (0, 1], partial_volume_sd >= 0, "
                             "tip_size in [0, 1] (0: off)")
        if not (0 < self.shell_beyond < 1 and 0 < self.rim_beyond < 1 and self.shell_beyond_sd > 0
                and self.opposite_rim_sd > 0):
            raise ValueError("0 < shell_beyond, rim_beyond < 1, shell_beyond_sd > 0 and opposite_rim_sd > 0")
        if not (0 <= self.max_leak_measured < 1 and 0 <= self.max_leak_fraction < 1 and 0 < self.shell_fraction < 1
                and 0 <= self.opening < 1 and 0 <= self.max_inward_measured < 1):
            raise ValueError("max_leak_fraction, max_leak_measured, max_inward_measured and shell_fraction are fractions")
        if not 0 <= self.vessel_again_axis_ratio < 1:
            raise ValueError(f"vessel_again_axis_ratio lies in [0, 1) (0: any), got {self.vessel_again_axis_ratio}")
        if not self.vessel_ratio_again >= 0:
            raise ValueError(f"vessel_ratio_again >= 0 (0: off), got {self.vessel_ratio_again}")
        if not 0 <= self.near_peak_share < 0.4:
            raise ValueError(f"near_peak_share is 0 (off) or a share under 0.4 (the peaks from 0.4 are tried anyway), got "
                             f"{self.near_peak_share}")
        if not 0 <= self.max_leak_outward < 1:
            raise ValueError(f"max_leak_outward is 0 (off) or a share of the rays, got {self.max_leak_outward}")
        if self.leak_large_px < 0 or not 0 < self.leak_large_neighbours <= 1:
            raise ValueError(f"leak_large_px >= 0 (0: off) and leak_large_neighbours in (0, 1], got {self.leak_large_px}, "
                             f"{self.leak_large_neighbours}")
        if not 0 <= self.near_peak_share < 0.4:
            raise ValueError(f"near_peak_share is 0 (off) or a share under 0.4 (the peaks from 0.4 are tried anyway), got "
                             f"{self.near_peak_share}")
        if not 0 <= self.near_peak_half < 1:
            raise ValueError(f"near_peak_half is 0 (off) or a share under 1, got {self.near_peak_half}")
        if self.one_slice_neighbours_upto and not self.one_slice_neighbours_upto > max(1.0, self.one_slice_neighbours):
            raise ValueError(f"one_slice_neighbours_upto is 0 (off) or a ratio over 1 and one_slice_neighbours, got "
                             f"{self.one_slice_neighbours_upto}")
        if not 0 <= self.restart_share < 1:
            raise ValueError(f"restart_share is 0 (off) or a share under 1, got {self.restart_share}")
        if not 0 <= self.irregular_beside < 1:
            raise ValueError(f"irregular_beside is 0 (off) or a share of the slice measured's length, got "
                             f"{self.irregular_beside}")
        if self.neighbour_leak and not self.max_leak_fraction <= self.neighbour_leak < 1:
            raise ValueError(f"neighbour_leak is 0 (off) or in [max_leak_fraction, 1) ({self.max_leak_fraction:g}), got "
                             f"{self.neighbour_leak}")
        if self.vessel_ratio < 0 or self.edge_iterations < 1 or self.beyond_ratio <= 0 or self.restarts < 0:
            raise ValueError("vessel_ratio >= 0 (0: off), beyond_ratio > 0, edge_iterations >= 1 and restarts >= 0")
        if not 0 <= self.split_size <= 1:
            raise ValueError(f"split_size lies in [0, 1] (0: off), got {self.split_size}")
        if not (0 < self.joined_end_leak <= 1 and 0 <= self.joined_end_size <= 1 and 0 <= self.single_slice_beyond < 1):
            raise ValueError("joined_end_leak lies in (0, 1] (1: off, no outline measured leaves a third of its rays), "
                             "joined_end_size in [0, 1], single_slice_beyond in [0, 1) (0: off)")
        if self.min_pixels_across < 0 or self.small_slices < 1 or self.few_slices_sd < 0 or not self.uncorrected_px >= 0 \
                or not self.uncorrected_from_px >= 0 or not self.one_slice_from_px >= 0 \
                or not self.one_slice_neighbours >= 0 or not self.one_slice_faint_below_px >= 0 \
                or not self.one_slice_faint_sd >= 0 or not 0 <= self.one_slice_plateau < 1:
            raise ValueError("min_pixels_across >= 0 (0: off), small_slices >= 1, few_slices_sd >= 0 (0: off), "
                             "uncorrected_px >= 0 (0: off), uncorrected_from_px >= 0, one_slice_from_px >= 0 (0: off) "
                             "one_slice_neighbours >= 0 (0: off), one_slice_faint_below_px >= 0 (0: off) and "
                             "one_slice_faint_sd >= 0, one_slice_plateau in [0, 1)")
        if (self.one_slice_faint_below_px or self.one_slice_faint_sd or self.one_slice_plateau) and not self.few_slices_sd:
            # the one-slice disc rules run inside the few-slices rule's step: set alone they did nothing, silently (a
            # review, session 43)
            raise ValueError("one_slice_faint_below_px, one_slice_faint_sd and one_slice_plateau act within the few-slices "
                             "rule: they need few_slices_sd > 0")
        if not self.few_slices_sd_below_px >= 0:
            raise ValueError(f"few_slices_sd_below_px >= 0 (0: off), got {self.few_slices_sd_below_px}")
        if self.few_slices_sd_below_px and not self.few_slices_sd:
            raise ValueError("few_slices_sd_below_px acts within the few-slices rule: it needs few_slices_sd > 0")
        if not self.moved_faint_sd >= 0:
            raise ValueError(f"moved_faint_sd >= 0 (0: off), got {self.moved_faint_sd}")
        if self.moved_faint_sd and not self.few_slices_sd:
            raise ValueError("moved_faint_sd acts within the few-slices rule: it needs few_slices_sd > 0")
        if self.two_slice_upto_px < 0 or not 0 <= self.two_slice_plateau < 1:
            raise ValueError("two_slice_upto_px >= 0 (0: off) and two_slice_plateau in [0, 1), got "
                             f"{self.two_slice_upto_px}, {self.two_slice_plateau}")
        if self.two_slice_upto_px and not (self.few_slices_sd and self.two_slice_upto_px > self.uncorrected_px):
            # the band's disc rule runs inside the few-slices rule's step: without it the band would measure lines nothing
            # checks; it starts where two slices' lines measured as found end (uncorrected_px 0, off, turns it off too)
            raise ValueError("two_slice_upto_px acts from uncorrected_px up, within the few-slices rule: it needs "
                             "few_slices_sd > 0 and two_slice_upto_px > uncorrected_px")
        if not 0 <= self.two_slice_peak_half < 1:
            raise ValueError(f"two_slice_peak_half in [0, 1) (0: off), got {self.two_slice_peak_half}")
        if self.two_slice_peak_half and not self.few_slices_sd:
            # it reads the lines measured as found on two slices inside the few-slices rule's step (and none is measured so
            # with ``uncorrected_px`` 0: off with it, as ``two_slice_upto_px``)
            raise ValueError("two_slice_peak_half acts on two slices' lines measured as found, within the few-slices rule: "
                             "it needs few_slices_sd > 0")
        if not self.down_to_px >= 0 or not self.down_to_sd >= 0:
            raise ValueError(f"down_to_px >= 0 (0: off) and down_to_sd >= 0, got {self.down_to_px}, {self.down_to_sd}")
        if self.down_to_px and not self.few_slices_sd:
            # its disc rule runs inside the few-slices rule's step: without it the lines it lets through would be checked by
            # nothing (it acts only where a band of lines measured as found is on, under that band's lower limit)
            raise ValueError("down_to_px acts within the few-slices rule: it needs few_slices_sd > 0")
        if self.round_from_px < 0 or not 0 <= self.round_axis_ratio <= 1 or self.round_sd < 0:
            raise ValueError("round_from_px >= 0 (0: off), round_axis_ratio in [0, 1] and round_sd >= 0, got "
                             f"{self.round_from_px}, {self.round_axis_ratio}, {self.round_sd}")
        if not 0 <= self.inner_quantile_again < 1:
            raise ValueError(f"inner_quantile_again in [0, 1) (0: off), got {self.inner_quantile_again}")
        if not 0 <= self.round_max_leak <= 1:
            raise ValueError(f"round_max_leak in [0, 1] (0: off), got {self.round_max_leak}")
        if self.lesion_side not in (-1, 0, 1):
            raise ValueError(f"lesion_side is -1 (darker), 0 (either) or 1 (brighter), got {self.lesion_side}")
        if self.slices_each_side < 0 or self.slices_growing < self.slices_each_side or self.leak_window < 3:
            raise ValueError("slices_each_side >= 0, slices_growing >= slices_each_side and leak_window >= 3")
        if not self.beside_click_depth >= 0:
            raise ValueError(f"beside_click_depth >= 0 (0: off), got {self.beside_click_depth}")
        if not self.organ_depth >= 0 or not self.organ_from_mm >= 0:
            raise ValueError(f"organ_depth >= 0 (0: off) and organ_from_mm >= 0, got {self.organ_depth}, "
                             f"{self.organ_from_mm}")
        if self.tube_extent < 0 or not 0 < self.tube_size <= 1:
            raise ValueError(f"tube_extent >= 0 (0: off) and 0 < tube_size <= 1, got {self.tube_extent}, {self.tube_size}")
        if self.max_reach < 0:
            raise ValueError(f"max_reach >= 0 (0: off), got {self.max_reach}")
        if not 0 <= self.min_axis_ratio_corrected < 1:
            raise ValueError(f"min_axis_ratio_corrected lies in [0, 1) (0: off), got {self.min_axis_ratio_corrected}")
        if not 0 <= self.min_depth_ratio < 1:
            raise ValueError(f"min_depth_ratio lies in [0, 1) (0: off), got {self.min_depth_ratio}")
        if not 0 <= self.past_end <= 1 or not 0 <= self.neighbour_ratio < 1:
            raise ValueError(f"past_end lies in [0, 1], neighbour_ratio in [0, 1) (0: off), got {self.past_end}, "
                             f"{self.neighbour_ratio}")
        if not 0 <= self.neighbour_round_from < 1 or not self.neighbour_round_below_mm > 0:
            raise ValueError(f"neighbour_round_from lies in [0, 1) (0: off), neighbour_round_below_mm > 0, got "
                             f"{self.neighbour_round_from}, {self.neighbour_round_below_mm}")
        if not 0 <= self.depth_neighbours <= 1:
            raise ValueError(f"depth_neighbours lies in [0, 1] (0: always), got {self.depth_neighbours}")
        if not 0 <= self.min_click_share < 1:
            raise ValueError(f"min_click_share lies in [0, 1) (0: off), got {self.min_click_share}")
        if not (self.even_pair_below_mm >= 0 and 0 <= self.even_pair_size <= 1 and 0 <= self.even_pair_full <= 1
                and self.even_pair_sum_liver >= 0):
            raise ValueError(f"even_pair_below_mm >= 0, even_pair_size and even_pair_full in [0, 1], even_pair_sum_liver "
                             f">= 0 (0: off), got {self.even_pair_below_mm}, {self.even_pair_size}, {self.even_pair_full}, "
                             f"{self.even_pair_sum_liver}")
        if not self.tail_excess >= 0:
            raise ValueError(f"tail_excess >= 0 (0: off), got {self.tail_excess}")
        if not self.max_click_radius >= 0:
            raise ValueError(f"max_click_radius >= 0 (0: off), got {self.max_click_radius}")
        if not self.joined_outward_size >= 1:
            raise ValueError(f"joined_outward_size >= 1, got {self.joined_outward_size}")
        if not 0 <= self.joined_outward_again <= 1:
            raise ValueError(f"joined_outward_again in [0, 1] (0: off), got {self.joined_outward_again}")
        if not self.joined_end_fuller_sd >= 0:
            raise ValueError(f"joined_end_fuller_sd >= 0 (0: off), got {self.joined_end_fuller_sd}")
        if not 0 <= self.joined_fullness <= 1:
            raise ValueError(f"joined_fullness lies in [0, 1] (0: off), got {self.joined_fullness}")
        if not (self.joined_again == 0 or self.joined_again >= 1):
            raise ValueError(f"joined_again is 0 (off) or at least 1 (a length ratio), got {self.joined_again}")
        if not 0 <= self.min_axis_ratio < 1:
            raise ValueError(f"min_axis_ratio lies in [0, 1) (0: off), got {self.min_axis_ratio}")
        if not (0 <= self.narrow_region_ratio <= 1 and self.narrow_region_sd >= 0 and self.narrow_region_share >= 1):
            raise ValueError(f"narrow_region_ratio lies in [0, 1] (0: off; it acts under min_axis_ratio), narrow_region_sd >= 0 "
                             f"and narrow_region_share >= 1, got {self.narrow_region_ratio}, {self.narrow_region_sd}, "
                             f"{self.narrow_region_share}")
        if not (self.narrow_short_mm >= 0 and 0 < self.narrow_short_ratio < 1 and self.narrow_short_slices >= 0):
            raise ValueError(f"narrow_short_mm >= 0 (0: off), 0 < narrow_short_ratio < 1 and narrow_short_slices >= 0 (0: any), "
                             f"got {self.narrow_short_mm}, {self.narrow_short_ratio}, {self.narrow_short_slices}")
        if not (0 <= self.narrow_neighbour_ratio < 1 and 0 < self.narrow_neighbour_axis < 1):
            raise ValueError(f"narrow_neighbour_ratio lies in [0, 1) (0: off) and 0 < narrow_neighbour_axis < 1, got "
                             f"{self.narrow_neighbour_ratio}, {self.narrow_neighbour_axis}")
        if not (0 <= self.capsule_rays < 1 and self.capsule_mm > 0):
            raise ValueError(f"capsule_rays lies in [0, 1) (0: off) and capsule_mm > 0, got {self.capsule_rays}, {self.capsule_mm}")
        if not 0 <= self.raw_shell_beside < 1:
            raise ValueError(f"raw_shell_beside lies in [0, 1) (0: off), got {self.raw_shell_beside}")
        if not 0 <= self.raw_shell < 1:
            raise ValueError(f"raw_shell lies in [0, 1) (0: off), got {self.raw_shell}")
        if not (0 < self.steady_step < 1 and self.steady_px >= 0):
            raise ValueError(f"0 < steady_step < 1 and steady_px >= 0 (0: off), got {self.steady_step}, {self.steady_px}")
        if not (0 < self.steady_far_step < 1 and self.steady_far_px >= 0):
            raise ValueError(f"0 < steady_far_step < 1 and steady_far_px >= 0 (0: off), got {self.steady_far_step}, "
                             f"{self.steady_far_px}")
        if not 0 <= self.own_levels_gap < 1:
            raise ValueError(f"own_levels_gap lies in [0, 1) (0: off), got {self.own_levels_gap}")
        if self.own_core_size < 0:
            raise ValueError(f"own_core_size >= 0 (0: off), got {self.own_core_size}")
        if not (self.consensus_px > 0 and self.consensus_sd >= 0 and self.consensus_tries >= 10 and self.local_edge_mm >= 0
                and self.ellipse_tolerance >= 0 and self.local_edge_gap_px >= 0):
            raise ValueError("consensus_px > 0, consensus_tries >= 10, local_edge_mm >= 0, local_edge_gap_px >= 0 and "
                             "ellipse_tolerance >= 0")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ring_mm"] = list(self.ring_mm)
        return d


@dataclass(frozen=True)
class Suggestion:
    """A suggested longest axial diameter: two points (row, col) on ``slice_index``.

    ``params`` holds the method, its parameters and what it measured (levels, leaked rays,
    the slices tried), JSON-ready; ``confidence`` is 0..1 (contrast against the liver's noise
    and the share of rays that did not leak).
    """

    slice_index: int
    p1: tuple[float, float]
    p2: tuple[float, float]
    diameter_mm: float
    confidence: float
    params: dict[str, Any]

    def __post_init__(self) -> None:
        if self.slice_index < 0:
            raise ValueError(f"slice_index must be >= 0, got {self.slice_index}")
        if not (math.isfinite(self.diameter_mm) and self.diameter_mm > 0):
            raise ValueError(f"diameter_mm must be > 0, got {self.diameter_mm}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must lie in [0, 1], got {self.confidence}")
        for name, p in (("p1", self.p1), ("p2", self.p2)):
            if len(p) != 2 or not all(math.isfinite(v) for v in p):
                raise ValueError(f"{name} must be a finite (row, col), got {p}")

    @property
    def method(self) -> str:
        return str(self.params.get("method", METHOD_NAME))


@dataclass(frozen=True)
class Refusal:
    """No suggestion, and why (the reader draws by hand)."""

    reason: str
    params: dict[str, Any]

    def __post_init__(self) -> None:
        if not self.reason:
            raise ValueError("a refusal says why")


class VolumeLike(Protocol):
    """What a suggestion needs of a loaded stack (:class:`viewer.loader.Volume` is one)."""

    @property
    def array(self) -> np.ndarray: ...

    @property
    def geometry(self) -> StackGeometry: ...

    @property
    def loaded(self) -> np.ndarray: ...
