"""What the phantom shows besides anatomy: liver metastases and lymph nodes, and how they look.

A finding is an ellipsoid (shapes.Ellipsoid) in *liver coordinates* (body mm with the liver
compartment at rest; breathing moves it with the liver) at its reference size, with a size per
timepoint (``None``: absent then). Its appearance per intensity key (protocols.TISSUE_VALUES):

* liver metastasis: the liver's value plus ``delta[key]`` (0.0: exactly iso-intense on that
  series), modulated by a smooth texture (heterogeneity, ``texture_amp`` of the difference);
  pattern ``rim``: a rim ``rim_mm`` thick and the interior get their own share of the difference
  (:data:`RIM_GAINS`: arterial rim enhancement, a brighter rim on b800 (target sign), a more
  hypo-intense interior on portal phases); pattern ``necrotic``: a central core (``core_fraction``
  of the semi-axes) of fluid-like necrosis, :data:`NECROSIS` (no enhancement, bright on T2 and
  b0, high ADC), inside an enhancing solid shell;
* lymph node: absolute values :data:`NODE` (soft tissue, restricted diffusion).

DWI: ``dwi_b800 = dwi_b0 * exp(-800 ADC)`` everywhere, so the ADC map computed from the two
images (render.adc_map) is the tissue's ADC; ``delta["adc"]`` holds the lesion's ADC minus
the liver's and ``delta["dwi_b800"]`` follows from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from .shapes import Ellipsoid, SurfaceField, Texture

B_READ = 800.0  # s/mm2; ADC in 1e-6 mm2/s


class Pattern(str, Enum):
    HOMOGENEOUS = "homogeneous"
    RIM = "rim"
    NECROTIC = "necrotic"


class Site(str, Enum):
    """Where a lesion was placed: free in the parenchyma, abutting a portal or hepatic vein on
    its axial section through the centre, or against the capsule there."""

    PARENCHYMA = "parenchyma"
    PORTAL_VEIN = "portal_vein"
    HEPATIC_VEIN = "hepatic_vein"
    CAPSULE = "capsule"


#: (interior, rim) share of the lesion-minus-liver difference, pattern ``rim``.
RIM_GAINS = {
    "ct_art": (0.45, 1.7), "ct_pv": (1.25, 0.4), "t2fs": (1.15, 0.75), "dwi_b0": (1.05, 0.95),
    "dwi_b800": (0.8, 1.3), "t1_pre": (1.0, 1.0), "t1_art": (0.5, 1.6), "t1_pv": (1.2, 0.5),
}
#: Necrotic core (fluid-like, not enhancing); dwi_b800 from b0 and an ADC of 2900.
NECROSIS = {"ct_art": 18.0, "ct_pv": 22.0, "t2fs": 1700.0, "dwi_b0": 1100.0, "adc": 2900.0,
            "t1_pre": 230.0, "t1_art": 240.0, "t1_pv": 250.0}
#: Lymph node (absolute values, before the series gain).
NODE = {"ct_art": 62.0, "ct_pv": 88.0, "t2fs": 640.0, "dwi_b0": 880.0, "adc": 980.0,
        "t1_pre": 400.0, "t1_art": 560.0, "t1_pv": 760.0}
for _table in (NECROSIS, NODE):
    _table["dwi_b800"] = round(_table["dwi_b0"] * math.exp(-B_READ * 1e-6 * _table["adc"]), 2)


def b800_of(b0: float, adc: float) -> float:
    return b0 * math.exp(-B_READ * 1e-6 * adc)


def adc_of(b0, b800):
    """ADC (1e-6 mm2/s) from the b0 and b800 signals (arrays or floats)."""
    return 1e6 * np.log(np.asarray(b0, float) / np.asarray(b800, float)) / B_READ


@dataclass(frozen=True)
class Finding:
    """A liver metastasis (organ ``liver``) or a lymph node (organ ``lymph_node``)."""

    finding_id: str
    shape: Ellipsoid  # liver coordinates, reference size (``sizes_mm[reference]``)
    organ: str
    sizes_mm: tuple[float | None, ...]  # longest diameter (node: short axis) per timepoint
    lobe: str = ""
    segment: str = ""
    station: str = ""  # nodes: where (e.g. "hepatic hilum (portocaval)")
    delta: dict[str, float] = field(default_factory=dict)  # liver lesions, see module doc
    pattern: Pattern = Pattern.HOMOGENEOUS
    site: Site = Site.PARENCHYMA
    texture_seed: int = 0
    texture_amp: float = 0.0
    rim_mm: float = 0.0
    core_fraction: float = 0.0

    @property
    def is_node(self) -> bool:
        return self.organ == "lymph_node"

    @property
    def reference_size_mm(self) -> float:
        return 2.0 * (self.shape.semi_axes_mm[1] if self.is_node else self.shape.semi_axes_mm[0])

    def present_at(self, timepoint: int) -> bool:
        return timepoint <= len(self.sizes_mm) and self.sizes_mm[timepoint - 1] is not None

    def shape_at(self, timepoint: int, liver_shift_mm=(0.0, 0.0, 0.0)) -> Ellipsoid | None:
        """The ellipsoid at a timepoint (sized) in body mm for an exam's liver shift; None if absent."""
        if not self.present_at(timepoint):
            return None
        size = self.sizes_mm[timepoint - 1]
        assert size is not None
        return self.shape.scaled(size / self.reference_size_mm).moved(liver_shift_mm)

    def parts(self) -> tuple[str, ...]:
        """The tissue parts of this finding: "solid" (the interior of a rim lesion), "rim", "core"."""
        return ("solid",) + {Pattern.RIM: ("rim",), Pattern.NECROTIC: ("core",)}.get(self.pattern, ())

    def part_value(self, key: str, part: str, liver: dict[str, float]) -> float:
        """Noise-free, texture-free value of a part on a key (any key, ``adc`` included)."""
        if key == "adc":
            return float(adc_of(self.part_value("dwi_b0", part, liver), self.part_value("dwi_b800", part, liver)))
        if self.is_node:
            return NODE[key]
        if part == "core":
            return NECROSIS[key]
        gain = RIM_GAINS[key][0 if part == "solid" else 1] if self.pattern is Pattern.RIM else 1.0
        return liver[key] + self.delta.get(key, 0.0) * gain

    def values(self, key: str, liver: float, f: SurfaceField, shape: Ellipsoid,
               sample_mm: tuple[float, float, float], wx, wy, wz) -> np.ndarray:
        """Noise-free value of the finding's tissue at the sample points (where it is inside)."""
        tex = Texture(self.texture_seed)(*(np.asarray(p) - c for p, c in zip((wx, wy, wz), shape.centre_mm)))
        if self.is_node:
            return NODE[key] * (1.0 + self.texture_amp * tex)
        delta = self.delta.get(key, 0.0)
        if self.pattern is Pattern.RIM:
            interior, rim = RIM_GAINS[key]
            in_rim = f.fraction(-(f.distance() + self.rim_mm * self._scale(shape)), sample_mm)
            gain = interior + (rim - interior) * in_rim
        else:
            gain = 1.0
        value = liver + delta * gain * (1.0 + self.texture_amp * tex)
        if self.pattern is Pattern.NECROTIC:
            core = f.fraction(f.distance(self.core_fraction), sample_mm)
            value = value + core * (NECROSIS[key] - value)
        return value

    def _scale(self, shape: Ellipsoid) -> float:
        return shape.semi_axes_mm[0] / self.shape.semi_axes_mm[0]
