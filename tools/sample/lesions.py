"""Metastases and nodes: plans, seeded placement, per-series conspicuity (NEN semiology).

A plan says what to place (size per timepoint, lobe, pattern, site, forced visibility); the
placement finds a spot in the liver that satisfies it in every exam of the patient (the liver
moves with breathing, the kidneys and the spine do not), using a coarse distance map of the
liver to propose candidates and the exact label map of every exam to accept one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .anatomy import CANTLIE_X, FISSURE_HALF_WIDTH, Anatomy, Tissue
from .findings import Finding, Pattern, Site, b800_of
from .shapes import Ellipsoid
from .tissues import LIVER

#: Intensity keys and the role whose visibility governs each (b0, b800 and ADC follow the DWI).
KEY_ROLE = {
    "ct_art": "ct_arterial", "ct_pv": "ct_portal", "t2fs": "mr_t2fs", "dwi_b0": "mr_dwi",
    "dwi_b800": "mr_dwi", "adc": "mr_adc", "t1_pre": "mr_t1_pre", "t1_art": "mr_t1_arterial",
    "t1_pv": "mr_t1_portal",
}
ROLES = ("ct_arterial", "ct_portal", "mr_t2fs", "mr_dwi", "mr_adc", "mr_t1_pre",
         "mr_t1_arterial", "mr_t1_portal")

#: (low, high) lesion-minus-liver difference when the lesion shows: hyper-enhancing on CT and
#: T1 arterial, hypo-intense (washout) on CT portal, bright on T2FS and DWI, restricted ADC,
#: dark on T1 pre; T1 portal hyper or washed out (see ``_deltas``).
DELTA_RANGE = {
    "ct_art": (35.0, 60.0),
    "ct_pv": (-45.0, -22.0),
    "t2fs": (300.0, 650.0),
    "dwi_b0": (300.0, 500.0),
    "adc": (-560.0, -360.0),
    "t1_pre": (-260.0, -170.0),
    "t1_art": (320.0, 620.0),
    "t1_pv": (130.0, 220.0),
}

#: Probability that a lesion is conspicuous on each role (DWI the most sensitive).
SHOW_PROBABILITY = {
    "ct_arterial": 0.8, "ct_portal": 0.55, "mr_t2fs": 0.8, "mr_dwi": 1.0,
    "mr_t1_pre": 0.85, "mr_t1_arterial": 0.85, "mr_t1_portal": 0.7,
}
_LIVERISH = (Tissue.LIVER, Tissue.HEPVEIN, Tissue.PORTAL)
_VESSEL_OF = {Site.PORTAL_VEIN: Tissue.PORTAL, Site.HEPATIC_VEIN: Tissue.HEPVEIN}
_MAP_STEP_MM = 2.0
#: Lesions keep this far (beyond both long semi-axes) from the nodes, so that no reader takes one for the other.
AVOID_CLEARANCE_MM = 15.0


@dataclass(frozen=True)
class LesionPlan:
    """What to place: diameter at its first timepoint, sizes per timepoint, lobe, look, site."""

    diameter_mm: float
    lobe: str  # "right", "left"
    hidden_on: tuple[str, ...] = ()  # roles on which the lesion must not show
    shown_on: tuple[str, ...] = ()  # roles on which it must show
    pattern: Pattern = Pattern.HOMOGENEOUS
    site: Site = Site.PARENCHYMA
    sizes_mm: tuple[float | None, ...] = ()  # per timepoint (None: absent); () = (diameter_mm,)

    def __post_init__(self) -> None:
        if next(s for s in self.sizes if s is not None) != self.diameter_mm:
            raise ValueError("diameter_mm is the size at the lesion's first timepoint")
        if self.pattern is Pattern.NECROTIC and self.hidden_on:
            raise ValueError("a necrotic lesion shows on every series (its core is never iso-intense)")

    @property
    def sizes(self) -> tuple[float | None, ...]:
        return self.sizes_mm or (self.diameter_mm,)

    @property
    def largest_mm(self) -> float:
        return max(s for s in self.sizes if s is not None)


@dataclass(frozen=True)
class NodePlan:
    """A lymph node outside the liver: centre (liver coordinates), axes, short axis per timepoint."""

    finding_id: str
    station: str
    centre_mm: tuple[float, float, float]
    long_axis_mm: float
    short_axis_mm: float
    rotation_deg: float
    sizes_mm: tuple[float | None, ...]  # short axis per timepoint


def _deltas(rng: np.random.Generator, plan: LesionPlan) -> dict[str, float]:
    show = {role: bool(rng.random() < p) for role, p in SHOW_PROBABILITY.items()}
    if plan.pattern is Pattern.NECROTIC:
        show = dict.fromkeys(show, True)
    for role in plan.hidden_on:
        show[role] = False
    for role in plan.shown_on:
        show[role] = True
    show["mr_adc"] = show["mr_dwi"]
    washout_t1 = rng.random() < 0.6
    delta = {}
    for key, (lo, hi) in DELTA_RANGE.items():
        value = float(round(rng.uniform(lo, hi), 1))
        if key == "t1_pv" and washout_t1:
            value = -value
        delta[key] = value if show[KEY_ROLE[key]] else 0.0
    b0, adc = LIVER["dwi_b0"] + delta["dwi_b0"], LIVER["adc"] + delta["adc"]
    delta["dwi_b800"] = round(b800_of(b0, adc) - LIVER["dwi_b800"], 2) if show["mr_dwi"] else 0.0
    return delta


class LiverMap:
    """Coarse maps of the liver at rest: distance to its outside and to its vessels (mm)."""

    def __init__(self, anatomy: Anatomy) -> None:
        lo, hi = anatomy.liver_box_mm()
        self.axes = [np.arange(lo[i], hi[i] + _MAP_STEP_MM, _MAP_STEP_MM) for i in range(3)]
        xs, ys, zs = self.axes
        lab = np.stack([anatomy.labels_plane(xs, ys, z) for z in zs])  # (z, y, x)
        liverish = np.isin(lab, _LIVERISH)
        self.inside = liverish & (lab == Tissue.LIVER)
        self.to_outside = ndimage.distance_transform_edt(liverish) * _MAP_STEP_MM
        self.to_vessel = {site: ndimage.distance_transform_edt(lab != label) * _MAP_STEP_MM
                          for site, label in _VESSEL_OF.items()}

    def candidates(self, low_mm: float, high_mm: float, vessel: Site | None = None) -> np.ndarray:
        dist = self.to_outside if vessel is None else self.to_vessel[vessel]
        ok = self.inside & (dist >= low_mm) & (dist <= high_mm)
        if vessel is not None:
            ok &= self.to_outside > high_mm + 2.0
        k, j, i = np.nonzero(ok)
        return np.stack([self.axes[0][i], self.axes[1][j], self.axes[2][k]], 1)


def _labels(anatomy: Anatomy, pts_liver_mm: np.ndarray, shift) -> np.ndarray:
    """Labels at points given in liver coordinates, in an exam whose liver is shifted by ``shift``."""
    body = pts_liver_mm + np.asarray(shift, float)
    return anatomy.labels(body[:, 0], body[:, 1], body[:, 2], liver_shift_mm=shift)


def _fits_site(anatomy, shape: Ellipsoid, shifts, site: Site) -> bool:
    """Inside the liver in every liver position, and abutting what its site says on the axial
    section through its centre (the capsule, or a vessel of that kind)."""
    surface, grown = shape.surface_points(256), shape.surface_points(256, grow_mm=1.2)
    margin = shape.surface_points(256, grow_mm=2.0)
    ring = shape.surface_points(96, grow_mm=1.2, equator=True)  # contact on the measured section
    for shift in shifts:
        on = _labels(anatomy, surface, shift)
        if not np.isin(on, _LIVERISH).all():
            return False
        near, around = _labels(anatomy, grown, shift), _labels(anatomy, ring, shift)
        out = ~np.isin(near, _LIVERISH + (Tissue.FISSURE,))
        if site is Site.CAPSULE:
            ring_out = ~np.isin(around, _LIVERISH + (Tissue.FISSURE,))
            if out.mean() < 0.04 or ring_out.mean() < 0.06 or (near == Tissue.FISSURE).any():
                return False
        elif out.any():
            return False
        elif site is Site.PARENCHYMA:
            if not np.isin(_labels(anatomy, margin, shift), _LIVERISH).all():
                return False
        elif (around == _VESSEL_OF[site]).sum() < 4:
            return False
    return True


def _fits(anatomy: Anatomy, shape: Ellipsoid, lobe: str, placed: list[Ellipsoid], shifts,
          site: Site, avoid: tuple[Ellipsoid, ...] = ()) -> bool:
    pts = shape.surface_points(128, grow_mm=2.0)
    left = anatomy.is_left(pts[:, 0])
    if left.any() != left.all() or (lobe == "left") != bool(left.all()):
        return False
    if np.min(np.abs(pts[:, 0] / anatomy.scale - CANTLIE_X)) < FISSURE_HALF_WIDTH + 2.0:
        return False
    if any(anatomy.segment(*p) == "I" for p in shape.surface_points(64)):
        return False
    for others, clearance_mm in ((placed, 4.0), (avoid, AVOID_CLEARANCE_MM)):
        for other in others:
            gap = np.linalg.norm(np.subtract(shape.centre_mm, other.centre_mm))
            if gap < shape.semi_axes_mm[0] + other.semi_axes_mm[0] + clearance_mm:
                return False
    return _fits_site(anatomy, shape, shifts, site)


def _lesion_shape(rng, plan: LesionPlan) -> tuple[tuple[float, float, float], float]:
    a = plan.largest_mm / 2.0
    b = a * float(rng.uniform(0.68, 0.95))
    c = float(rng.uniform(b, a))
    return (round(a, 2), round(b, 2), round(c, 2)), float(round(rng.uniform(0.0, 180.0), 1))


def _propose(rng, liver_map: LiverMap, plan: LesionPlan, semi) -> tuple[float, float, float]:
    a, b, _ = semi
    if plan.site is Site.CAPSULE:
        pool = liver_map.candidates(b - 1.0, b + 1.5)
    elif plan.site is Site.PARENCHYMA:
        pool = liver_map.candidates(b + 3.0, 1e9)
    else:
        pool = liver_map.candidates(b, b + 2.0, plan.site)
    if len(pool) == 0:
        raise RuntimeError(f"no room for a {plan.diameter_mm} mm lesion at site {plan.site.value}")
    centre = pool[rng.integers(len(pool))] + rng.uniform(-1.0, 1.0, 3)
    return tuple(float(round(v, 1)) for v in centre)


def place_lesions(anatomy: Anatomy, plans: list[LesionPlan], rng: np.random.Generator,
                  liver_shifts=((0.0, 0.0, 0.0),), avoid: tuple[Ellipsoid, ...] = ()) -> list[Finding]:
    """Place the planned lesions (largest first) at random spots of their lobe and site that
    hold in every liver position of ``liver_shifts``, away from each other and from ``avoid``."""
    liver_map = LiverMap(anatomy)
    order = sorted(range(len(plans)), key=lambda i: -plans[i].largest_mm)
    placed: dict[int, Finding] = {}
    for i in order:
        plan = plans[i]
        semi, rotation = _lesion_shape(rng, plan)
        delta = _deltas(rng, plan)
        look = {"texture_seed": int(rng.integers(1 << 30)),
                "texture_amp": round(float(rng.uniform(0.12, 0.28)) if plan.largest_mm >= 10 else 0.08, 3),
                "rim_mm": round(min(3.5, max(1.8, 0.12 * plan.largest_mm)), 2),
                "core_fraction": round(float(rng.uniform(0.45, 0.6)), 3)}
        for _attempt in range(3000):
            shape = Ellipsoid(_propose(rng, liver_map, plan, semi), semi, rotation)
            if _fits(anatomy, shape, plan.lobe, [f.shape for f in placed.values()], liver_shifts, plan.site, avoid):
                reference = shape.scaled(plan.diameter_mm / plan.largest_mm)
                placed[i] = Finding(
                    f"L{i + 1:02d}", reference, "liver", plan.sizes, lobe=plan.lobe,
                    segment=anatomy.segment(*shape.centre_mm), delta=delta, pattern=plan.pattern,
                    site=plan.site, **look)
                break
        else:
            raise RuntimeError(f"could not place a {plan.diameter_mm} mm lesion ({plan.site.value}) "
                               f"in the {plan.lobe} liver")
    return [placed[i] for i in range(len(plans))]


def place_node(anatomy: Anatomy, plan: NodePlan, liver_shifts=((0.0, 0.0, 0.0),)) -> Finding:
    """A lymph node where the plan says; it must lie in fat (outside the liver and its vessels)."""
    a, b = plan.long_axis_mm / 2.0, plan.short_axis_mm / 2.0
    shape = Ellipsoid(plan.centre_mm, (a, b, round(0.5 * (a + b), 2)), plan.rotation_deg)
    pts = shape.surface_points(256, grow_mm=0.5)
    for shift in liver_shifts:
        lab = _labels(anatomy, pts, shift)
        if not (lab == Tissue.FAT).all():
            raise RuntimeError(f"node {plan.finding_id} at {plan.centre_mm} is not in fat "
                               f"(touches {sorted({Tissue(v).name for v in lab})})")
    reference = plan.sizes_mm[[s is not None for s in plan.sizes_mm].index(True)]
    assert reference is not None
    return Finding(plan.finding_id, shape.scaled(reference / plan.short_axis_mm), "lymph_node",
                   plan.sizes_mm, station=plan.station, texture_seed=int(math.floor(a * 1000)),
                   texture_amp=0.05)
