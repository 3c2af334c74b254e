"""Propose the rigid alignment of two exams of a patient from their images.

Steps, each on block-averaged volumes of about 4 mm (:mod:`~viewer.registration.prepare`):
1. the focus region on the reference image: the liver found on the CT (or the caller's mask),
   else the body; the reference is the fixed volume unless only the moving one is a CT;
2. the initial overlap: body centres in x and y, a craniocaudal search of the focus region by
   mutual information, then x and y around it (:mod:`~viewer.registration.search`);
3. a rigid registration of the body (outside the liver region when the liver is the focus: the
   table's position, not the sliding liver's), multi-resolution (:mod:`~viewer.registration.rigid`):
   the rotation is measured with the body's long lever arm;
4. with a liver focus, the liver's own position from there at the finest level, by translation
   (breathing slides the liver against the body; a liver-only rotation is poorly conditioned:
   on the synthetic phantom it left 0.6-0.9° where the body stage leaves 0.1°);
5. the verdict: refused when the result is absurd (more than MAX_DEPARTURE_MM from the search's
   position or MAX_ROTATION_DEG of rotation), when the images share no more information than
   chance (noise, unrelated series), when the refinement lost mutual information or when the
   region mostly falls outside the other volume; uncertain when the liver was not found (the
   body alone was aligned), the time ran out or the search's best position hardly stood out.

Cost: 340-420 ms of CPU (shared machine) for a sample pair (512 x 512 x 35 CT, 256 x 192 x 35
MRI), of which block-averaging is linear in the voxels (about 1.5 ms per million); the search and
the optimiser stop at ``time_limit_s``.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from scipy import ndimage as ndi

from viewer.registration.prepare import Coarse, VolumeLike, liver_region, prepare, resample_mask
from viewer.registration.proposal import (MAX_DEPARTURE_MM, MAX_ROTATION_DEG, AlignmentProposal, Focus, Outcome,
                                          RegistrationParams, rotation_angle_deg)
from viewer.registration.rigid import Stage, Stop, refine
from viewer.registration.search import Budget, Samples, translation_search

#: Mutual information at the result above what the same histograms paired at random give (nats):
#: below this the images share nothing (noise, an empty series): refused.
MIN_SHARED_NATS = 0.1
#: Mutual information at the result over its median along the craniocaudal search: below this
#: the position hardly stands out (uncertain). Liver-focused sample pairs: 3.5 to 4; not used for
#: the body, whose silhouette shares information at every z (1.2 to 2.8 on the same pairs).
SURE_RATIO = 1.5
#: A refinement that ends this much below the start's mutual information (nats) went astray.
MI_LOSS_NATS = 0.02
#: Less than this of the focus region inside the moving volume at the result: refused.
MIN_FINAL_OVERLAP = 0.5


def propose_alignment(fixed: VolumeLike, moving: VolumeLike, *, focus: Focus | str = Focus.LIVER,
                      fixed_mask: np.ndarray | None = None, moving_mask: np.ndarray | None = None,
                      params: RegistrationParams | None = None,
                      cancel: threading.Event | None = None) -> AlignmentProposal | None:
    """The rigid transform taking ``moving`` patient mm into ``fixed`` patient mm, or None when
    ``cancel`` was set. Masks are bool arrays shaped like their volume's array (a liver or a
    region of interest); without one, ``focus`` LIVER looks for the liver on the CT of the pair.

    Runs in the calling thread (meant for a worker); bounded by ``params.time_limit_s``.
    Raises :class:`~viewer.errors.GeometryError` or :class:`~viewer.errors.ValidationError` for
    volumes that cannot be registered (no geometry in mm, not loaded, too few slices).
    """
    t0 = time.perf_counter()
    p = params or RegistrationParams()
    focus = Focus.parse(focus)
    budget = Budget(cancel, t0 + p.time_limit_s)
    if budget.cancelled:
        return None
    a, b = prepare(fixed, p.grid_mm, "fixed"), prepare(moving, p.grid_mm, "moving")
    swap = b.is_ct and not a.is_ct  # the CT holds the focus: it is the reference
    ref, other = (b, a) if swap else (a, b)
    ref_vol, other_vol = (moving, fixed) if swap else (fixed, moving)
    ref_mask, other_mask = (moving_mask, fixed_mask) if swap else (fixed_mask, moving_mask)
    if budget.cancelled:
        return None

    names = ("moving_mask", "fixed_mask") if swap else ("fixed_mask", "moving_mask")
    region, used, reasons = _focus_region(ref, ref_vol, ref_mask, names[0], focus, p)
    other_region = None if other_mask is None else resample_mask(other_mask, other_vol.geometry, p.grid_mm,
                                                                names[1])
    samples = Samples.of(ref, region, other, p.histogram_bins)
    step = p.search_step_mm or float(ref.image.GetSpacing()[2])
    found = translation_search(samples, ref, other, step, p.min_overlap, budget)
    if found is None:
        return None
    start = np.eye(4)
    start[:3, 3] = found.translation_mm
    stages = _stages(ref.body, region, used, p)
    result, iterations, stop = start, 0, Stop.CONVERGED
    for i, stage in enumerate(stages):
        refined = refine(ref, other, stage, result, p, budget, other_region if i == 1 else None)
        result, iterations, stop = refined.fixed_to_moving, iterations + refined.iterations, refined.stop
        if stop is not Stop.CONVERGED:
            break
    if stop is Stop.CANCELLED or budget.cancelled:
        return None
    centre = ref.centre_mm(region)
    mi_final, overlap = samples.evaluate(result)
    chance = samples.chance(result, p.seed)
    departure = float(np.linalg.norm(_apply(result, centre) - _apply(start, centre)))
    rotation = rotation_angle_deg(result[:3, :3])
    warnings = [] if ref.regular and other.regular else ["uneven slice spacing: the grid uses the mean step"]

    refusals = []
    if departure > MAX_DEPARTURE_MM or rotation > MAX_ROTATION_DEG:
        refusals.append(f"absurd transform ({departure:.0f} mm from the search's position, {rotation:.1f}°)")
    ratio = mi_final / max(found.baseline_nats, 1e-6)
    if mi_final - chance < MIN_SHARED_NATS:
        refusals.append(f"the images share no information ({mi_final:.3f} nats, {chance:.3f} by chance)")
    if mi_final < found.mutual_information_nats - MI_LOSS_NATS:
        refusals.append(f"the refinement lost mutual information ({found.mutual_information_nats:.3f} -> "
                        f"{mi_final:.3f} nats)")
    if overlap < MIN_FINAL_OVERLAP:
        refusals.append(f"only {overlap:.0%} of the {used.value} region falls inside the other volume")
    if stop is Stop.TIME_LIMIT or budget.expired:
        reasons.append(f"stopped at the time limit ({p.time_limit_s:g} s) after {iterations} iterations")
    if ratio < SURE_RATIO and used is not Focus.BODY:  # a body's silhouette scores at every z
        reasons.append(f"the search's best position hardly stands out (mutual information {ratio:.1f} x its median)")
    if MIN_FINAL_OVERLAP <= overlap < p.min_overlap:
        reasons.append(f"only {overlap:.0%} of the {used.value} region falls inside the other volume")
    outcome = Outcome.REFUSED if refusals else Outcome.UNCERTAIN if reasons else Outcome.PROPOSED

    # ITK's result maps reference points into the other volume. Unswapped that is fixed -> moving
    # (invert it); swapped it is moving -> fixed already.
    moving_to_fixed = _rigid(result) if swap else _rigid_inverse(result)
    return AlignmentProposal(
        matrix=tuple(float(v) for v in moving_to_fixed[:3, :].ravel()), outcome=outcome,
        reason="; ".join(refusals + reasons), focus=used,
        mutual_information_start_nats=round(found.mutual_information_nats, 4),
        mutual_information_final_nats=round(mi_final, 4), information_ratio=round(ratio, 2),
        chance_nats=round(chance, 4),
        overlap_fraction=round(overlap, 3), departure_mm=round(departure, 2), iterations=iterations,
        elapsed_ms=round((time.perf_counter() - t0) * 1000, 1),
        warnings=tuple(warnings))


def _stages(body: np.ndarray, region: np.ndarray, used: Focus, p: RegistrationParams) -> list[Stage]:
    """The body on every level (on all but the last when a focus stage follows), then the focus
    region on the last level."""
    shrink, sigmas, fractions = p.shrink_factors, p.smoothing_voxels, p.sampling_fractions
    if used is not Focus.BODY:  # the table's position from what moves with it, not the sliding liver
        body = body & ~ndi.binary_dilation(region, iterations=2)
    if used is Focus.BODY or len(shrink) == 1:
        return [Stage(body, True, shrink, sigmas, fractions)] + (
            [] if used is Focus.BODY else [Stage(region, p.liver_rotates, shrink, sigmas, fractions)])
    return [Stage(body, True, shrink[:-1], sigmas[:-1], fractions[:-1]),
            Stage(region, p.liver_rotates, shrink[-1:], sigmas[-1:], fractions[-1:])]


def _focus_region(ref: Coarse, ref_vol: VolumeLike, ref_mask: np.ndarray | None, name: str, focus: Focus,
                  p: RegistrationParams) -> tuple[np.ndarray, Focus, list[str]]:
    """The reference's focus mask, the focus actually used, and why it differs from the request."""
    if ref_mask is not None:
        region = resample_mask(ref_mask, ref_vol.geometry, p.grid_mm, name)
        if region.sum() >= 8:
            return region, Focus.REGION, []
        return ref.body, Focus.BODY, ["the mask covers too little of the volume: the whole body was used"]
    if focus is Focus.BODY:
        return ref.body, Focus.BODY, []
    if not ref.is_ct:
        return ref.body, Focus.BODY, ["no CT in the pair to find the liver on: the whole body was used"]
    liver, why = liver_region(ref)
    if liver is None:
        return ref.body, Focus.BODY, [f"liver not found ({why}): the whole body was used"]
    # One voxel more: the liver's edge against fat and wall carries much of the information.
    return np.asarray(ndi.binary_dilation(liver) & ref.body), Focus.LIVER, []


def _apply(affine: np.ndarray, point: np.ndarray) -> np.ndarray:
    return np.asarray(affine[:3, :3] @ point + affine[:3, 3])


def _rigid(affine: np.ndarray) -> np.ndarray:
    """The same 4x4 with its rotation re-orthonormalised (the record checks it to 1e-4)."""
    u, _, vt = np.linalg.svd(affine[:3, :3])
    out = affine.copy()
    out[:3, :3] = u @ vt
    return out


def _rigid_inverse(affine: np.ndarray) -> np.ndarray:
    rigid = _rigid(affine)
    inv = np.eye(4)
    inv[:3, :3] = rigid[:3, :3].T
    inv[:3, 3] = -rigid[:3, :3].T @ rigid[:3, 3]
    return inv
