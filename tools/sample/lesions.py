"""Metastases: seeded placement inside the liver, sizes, and per-series conspicuity.

A lesion is an ellipsoid with semi-axes (a >= b) in the axial plane, rotated in-plane by
``rotation_deg``, and ``c`` along z. Its true longest axial diameter is the major axis of the
axial cross-section through its centre: ``2 a``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .anatomy import CANTLIE_X, FISSURE_HALF_WIDTH, Anatomy, Tissue

#: The lesion keys of an intensity table (see protocols.TISSUE_VALUES) and their role.
CONTRAST_KEYS = ("ct_art", "ct_pv", "t2fs", "dwi_b0", "dwi_b800", "adc",
                 "t1_pre", "t1_art", "t1_pv")

#: (low, high) lesion-minus-liver difference when the lesion shows, per key; the sign is the
#: NEN semiology (CT portal and T1 portal may also wash out: see ``Lesion.delta``).
DELTA_RANGE = {
    "ct_art": (35.0, 60.0),
    "ct_pv": (18.0, 30.0),
    "t2fs": (520.0, 1000.0),
    "dwi_b0": (300.0, 500.0),
    "dwi_b800": (260.0, 450.0),
    "adc": (-560.0, -360.0),
    "t1_pre": (-260.0, -170.0),
    "t1_art": (320.0, 620.0),
    "t1_pv": (130.0, 220.0),
}

#: Which visibility flag governs each key (b0 and ADC follow the b800 images).
KEY_ROLE = {
    "ct_art": "ct_arterial", "ct_pv": "ct_portal", "t2fs": "mr_t2fs", "dwi_b0": "mr_dwi",
    "dwi_b800": "mr_dwi", "adc": "mr_adc", "t1_pre": "mr_t1_pre", "t1_art": "mr_t1_arterial",
    "t1_pv": "mr_t1_portal",
}
ROLES = ("ct_arterial", "ct_portal", "mr_t2fs", "mr_dwi", "mr_adc", "mr_t1_pre",
         "mr_t1_arterial", "mr_t1_portal")

#: Probability that a lesion is conspicuous on each role (DWI the most sensitive).
SHOW_PROBABILITY = {
    "ct_arterial": 0.8, "ct_portal": 0.55, "mr_t2fs": 0.8, "mr_dwi": 1.0,
    "mr_t1_pre": 0.85, "mr_t1_arterial": 0.85, "mr_t1_portal": 0.7,
}


@dataclass(frozen=True)
class Lesion:
    """One metastasis in body mm, with its intrinsic contrast per intensity key."""

    lesion_id: str
    centre_mm: tuple[float, float, float]
    semi_axes_mm: tuple[float, float, float]  # (a, b, c): a >= b in-plane, c along z
    rotation_deg: float  # of the a-axis from +x towards +y
    lobe: str
    segment: str
    delta: dict[str, float] = field(default_factory=dict)  # 0.0 where it does not show

    @property
    def longest_axial_diameter_mm(self) -> float:
        return 2.0 * self.semi_axes_mm[0]

    def fraction(self, x: np.ndarray, y: np.ndarray, z: np.ndarray,
                 edge_mm: float) -> np.ndarray:
        """Soft inside-fraction (0..1) with a ramp ``edge_mm`` wide across the boundary."""
        a, b, c = self.semi_axes_mm
        th = math.radians(self.rotation_deg)
        dx, dy, dz = x - self.centre_mm[0], y - self.centre_mm[1], z - self.centre_mm[2]
        u = dx * math.cos(th) + dy * math.sin(th)
        v = -dx * math.sin(th) + dy * math.cos(th)
        r = np.sqrt((u / a) ** 2 + (v / b) ** 2 + (dz / c) ** 2)
        return np.clip(0.5 - (r - 1.0) * b / edge_mm, 0.0, 1.0)

    def axial_diameter_at_mm(self, z: float) -> float:
        """Longest diameter of the lesion's section by the axial plane at body ``z``."""
        dz = (z - self.centre_mm[2]) / self.semi_axes_mm[2]
        return 0.0 if abs(dz) >= 1.0 else 2.0 * self.semi_axes_mm[0] * math.sqrt(1 - dz * dz)

    def surface_points(self, n: int = 64) -> np.ndarray:
        """Points on the surface (and the centre), body mm, shape (n + 1, 3)."""
        k = np.arange(n) + 0.5
        phi = np.arccos(1 - 2 * k / n)
        theta = math.pi * (1 + 5 ** 0.5) * k
        a, b, c = self.semi_axes_mm
        u, v, w = a * np.cos(theta) * np.sin(phi), b * np.sin(theta) * np.sin(phi), c * np.cos(phi)
        th = math.radians(self.rotation_deg)
        pts = np.stack([u * math.cos(th) - v * math.sin(th), u * math.sin(th) + v * math.cos(th), w], 1)
        return np.vstack([pts + self.centre_mm, np.asarray(self.centre_mm)[None]])


@dataclass(frozen=True)
class LesionPlan:
    """What to place: diameter, lobe wanted and forced visibility overrides."""

    diameter_mm: float
    lobe: str  # "right", "left"
    hidden_on: tuple[str, ...] = ()  # roles on which the lesion must not show
    shown_on: tuple[str, ...] = ()  # roles on which it must show


_LIVER_OK = (Tissue.LIVER, Tissue.HEPVEIN, Tissue.PORTAL)


def _fits(anatomy: Anatomy, cand: Lesion, placed: list[Lesion], margin_mm: float) -> bool:
    pts = cand.surface_points()
    grown = pts + (pts - np.asarray(cand.centre_mm)) * (margin_mm / cand.semi_axes_mm[1])
    lab = anatomy.labels(grown[:, 0], grown[:, 1], grown[:, 2])
    if not np.isin(lab, _LIVER_OK).all():
        return False
    left = anatomy.is_left(grown[:, 0])
    if left.any() != left.all() or np.min(np.abs(grown[:, 0] / anatomy.scale - CANTLIE_X)) < (
            FISSURE_HALF_WIDTH + 2.0):
        return False
    if (cand.lobe == "left") != bool(left.all()):
        return False
    if any(anatomy.segment(*p) == "I" for p in pts):
        return False
    for other in placed:
        gap = np.linalg.norm(np.subtract(cand.centre_mm, other.centre_mm))
        if gap < cand.semi_axes_mm[0] + other.semi_axes_mm[0] + 4.0:
            return False
    return True


def _deltas(rng: np.random.Generator, plan: LesionPlan) -> dict[str, float]:
    show = {role: bool(rng.random() < p) for role, p in SHOW_PROBABILITY.items()}
    for role in plan.hidden_on:
        show[role] = False
    for role in plan.shown_on:
        show[role] = True
    show["mr_adc"] = show["mr_dwi"]
    washout_ct, washout_t1 = rng.random() < 0.5, rng.random() < 0.6
    delta = {}
    for key in CONTRAST_KEYS:
        lo, hi = DELTA_RANGE[key]
        value = float(round(rng.uniform(lo, hi), 1))
        if key == "ct_pv" and washout_ct:
            value = -value - 4.0
        if key == "t1_pv" and washout_t1:
            value = -value
        delta[key] = value if show[KEY_ROLE[key]] else 0.0
    return delta


def place_lesions(anatomy: Anatomy, plans: list[LesionPlan],
                  rng: np.random.Generator) -> list[Lesion]:
    """Place the planned lesions (largest first) at random free spots of their lobe."""
    lo, hi = anatomy.liver_box_mm()
    order = sorted(range(len(plans)), key=lambda i: -plans[i].diameter_mm)
    placed: dict[int, Lesion] = {}
    for i in order:
        plan = plans[i]
        a = plan.diameter_mm / 2.0
        b = a * float(rng.uniform(0.68, 0.95))
        c = float(rng.uniform(b, a))
        rotation = float(round(rng.uniform(0.0, 180.0), 1))
        delta = _deltas(rng, plan)
        for _attempt in range(4000):
            centre = tuple(float(round(v, 1)) for v in rng.uniform(lo, hi))
            cand = Lesion(f"L{i + 1:02d}", centre, (round(a, 2), round(b, 2), round(c, 2)),
                          rotation, plan.lobe, anatomy.segment(*centre), delta)
            if _fits(anatomy, cand, list(placed.values()), margin_mm=2.0):
                placed[i] = cand
                break
        else:
            raise RuntimeError(f"could not place a {plan.diameter_mm} mm lesion in the {plan.lobe} liver")
    return [placed[i] for i in range(len(plans))]
