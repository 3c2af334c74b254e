"""Analytic abdomen phantom: tissue labels, liver lobes and Couinaud segments.

Coordinates are *body* millimetres in the DICOM LPS convention (x to the patient's left,
y posterior, z superior) with the origin near the liver hilum. Each exam places the body in
its own frame of reference by a pure translation (``exam frame = body + table offset``), so
shapes and diameters are identical in every exam.

The right/left liver boundary is a sagittal plane (Cantlie's line, ``x = CANTLIE_X``): the
middle hepatic vein runs in it and a fat-filled fissure marks it anteriorly, so the lobes can
be told apart on every series. Right liver = segments V-VIII, left liver = II-IV; segment I
(caudate) is a small region by the IVC where no lesion is placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class Tissue(IntEnum):
    AIR = 0
    FAT = 1
    MUSCLE = 2
    BONE = 3
    MARROW = 4
    AORTA = 5
    IVC = 6
    PORTAL = 7
    HEPVEIN = 8
    LIVER = 9
    FISSURE = 10
    KIDNEY = 11
    SPLEEN = 12
    FLUID = 13
    LUNG = 14
    BOWEL = 15
    HEART = 16


N_TISSUES = len(Tissue)

#: Right/left liver boundary (Cantlie plane) and the umbilical fissure (IV | II-III), body mm.
CANTLIE_X = -8.0
UMBILICAL_X = 28.0
#: Portal plane separating superior (VII, VIII) from inferior (V, VI) right segments.
PORTAL_PLANE_Z = -70.0
#: Plane separating segment II (superior) from III (inferior).
LEFT_LATERAL_Z = -32.0
#: Right hepatic vein line in the axial plane (posterior sector on its posterolateral side).
RHV_P0 = (-25.0, 32.0)
RHV_DIR = (-80.0, -22.0)
#: Caudate lobe (segment I) ellipsoid: centre, semi-axes.
CAUDATE = ((-6.0, 24.0, -45.0), (16.0, 13.0, 28.0))
#: Fissure half-width (mm) and its posterior limit (y below this is fissure).
FISSURE_HALF_WIDTH = 1.6
FISSURE_MAX_Y = -2.0

# Liver: union of two ellipsoids (right and left lobe), clipped by the abdominal cavity.
RIGHT_LOBE = ((-58.0, 2.0, -55.0), (80.0, 82.0, 80.0))
LEFT_LOBE = ((26.0, -38.0, -24.0), (72.0, 38.0, 42.0))


@dataclass(frozen=True)
class Anatomy:
    """One patient's body: a global scale (body size) and the subcutaneous fat thickness."""

    scale: float = 1.0
    fat_mm: float = 18.0
    body_half_width_mm: float = 160.0
    body_half_depth_mm: float = 115.0

    # -- primitives (all arguments are body mm arrays of one shape) -------------------------

    def _u(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
        s = self.scale
        return x / s, y / s, z / s

    @staticmethod
    def _ellipsoid(x, y, z, centre, semi) -> np.ndarray:
        (cx, cy, cz), (a, b, c) = centre, semi
        if z.size > 64 and (z.min() > cz + c or z.max() < cz - c):
            return np.zeros(x.shape, bool)
        return ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 + ((z - cz) / c) ** 2 <= 1.0

    @staticmethod
    def _ellipse(x, y, cx, cy, a, b) -> np.ndarray:
        return ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1.0

    @staticmethod
    def _tube(x, y, z, p0, p1, r) -> np.ndarray:
        if z.size > 64 and (z.min() > max(p0[2], p1[2]) + r or z.max() < min(p0[2], p1[2]) - r):
            return np.zeros(x.shape, bool)
        p0a, d = np.asarray(p0, float), np.asarray(p1, float) - np.asarray(p0, float)
        t = ((x - p0a[0]) * d[0] + (y - p0a[1]) * d[1] + (z - p0a[2]) * d[2]) / float(d @ d)
        t = np.clip(t, 0.0, 1.0)
        dx, dy, dz = x - p0a[0] - t * d[0], y - p0a[1] - t * d[1], z - p0a[2] - t * d[2]
        return dx * dx + dy * dy + dz * dz <= r * r

    def _body_axes(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grow = np.where(z > -60.0, 1.0 + 0.0004 * (z + 60.0), 1.0 - 0.0003 * (z + 60.0))
        return self.body_half_width_mm * grow, self.body_half_depth_mm * grow

    def _liver_shape(self, x, y, z) -> np.ndarray:
        """Liver envelope (before carving out neighbours), in unscaled body mm."""
        a, b = self._body_axes(z)
        cavity = self._ellipse(x, y, 0.0, -2.0, a - self.fat_mm / self.scale - 14.0,
                               b - self.fat_mm / self.scale - 12.0)
        lobes = self._ellipsoid(x, y, z, *RIGHT_LOBE) | self._ellipsoid(x, y, z, *LEFT_LOBE)
        return lobes & cavity

    # -- the label map ----------------------------------------------------------------------

    def labels(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Tissue label of every point (arrays of body mm of one shape)."""
        x, y, z = self._u(x, y, z)
        T = Tissue
        lab = np.zeros(x.shape, np.uint8)
        a, b = self._body_axes(z)
        fat = self.fat_mm / self.scale
        body = self._ellipse(x, y, 0.0, 0.0, a, b)
        lab[body] = T.FAT
        lab[self._ellipse(x, y, 0.0, -1.0, a - fat, b - fat)] = T.MUSCLE
        cavity = self._ellipse(x, y, 0.0, -2.0, a - fat - 12.0, b - fat - 10.0)
        lab[cavity] = T.FAT
        # Ribs: small bone sections around the cavity, shifting with z (oblique ribs).
        ang = np.arctan2(y / (b - fat - 6.0), x / (a - fat - 6.0))
        rib_phase = np.sin(z / 9.0 + 3.0 * ang)
        rim = self._ellipse(x, y, 0.0, -2.0, a - fat - 2.0, b - fat - 2.0) & ~cavity
        ribs = rim & (rib_phase > 0.55) & (z > -120.0) & (np.cos(7.0 * ang) > 0.3)
        lab[ribs] = T.BONE
        # Thorax above the liver, bowel and stomach below/beside it.
        for cx in (-78.0, 78.0):
            lab[cavity & self._ellipsoid(x, y, z, (cx, 22.0, 85.0), (62.0, 78.0, 112.0))] = T.LUNG
        lab[cavity & self._ellipsoid(x, y, z, (18.0, -28.0, 100.0), (66.0, 55.0, 62.0))] = T.HEART
        for centre, semi in (
            ((-72.0, -28.0, -140.0), (26.0, 24.0, 22.0)),
            ((-20.0, -62.0, -132.0), (40.0, 20.0, 18.0)),
            ((40.0, -50.0, -118.0), (34.0, 22.0, 20.0)),
            ((70.0, 10.0, -130.0), (22.0, 24.0, 40.0)),
            ((10.0, -20.0, -150.0), (30.0, 26.0, 20.0)),
        ):
            lab[cavity & self._ellipsoid(x, y, z, centre, semi)] = T.BOWEL
        lab[cavity & self._ellipsoid(x, y, z, (58.0, -8.0, -30.0), (34.0, 30.0, 42.0))] = T.FLUID
        # Retroperitoneum and spleen.
        for cx, cz in ((-68.0, -98.0), (72.0, -86.0)):
            lab[self._ellipsoid(x, y, z, (cx, 70.0, cz), (27.0, 22.0, 52.0))] = T.KIDNEY
        lab[cavity & self._ellipsoid(x, y, z, (92.0, 48.0, -28.0), (30.0, 50.0, 55.0))] = T.SPLEEN
        # Liver with its fissure, gallbladder and vessels.
        keep = (lab != T.KIDNEY) & (lab != T.SPLEEN) & (lab != T.HEART) & (lab != T.BONE)
        liver = self._liver_shape(x, y, z) & keep
        lab[liver] = T.LIVER
        fissure = liver & (np.abs(x - CANTLIE_X) <= FISSURE_HALF_WIDTH) & (y < FISSURE_MAX_Y)
        lab[fissure] = T.FISSURE
        lab[liver & self._ellipsoid(x, y, z, (CANTLIE_X - 16.0, -42.0, -105.0),
                                    (13.0, 14.0, 30.0))] = T.FLUID  # gallbladder
        inliver = liver
        for p0, p1, r in (
            ((-12.0, 8.0, -72.0), (-66.0, 8.0, -68.0), 5.5),
            ((-45.0, 8.0, -70.0), (-62.0, -38.0, -58.0), 3.5),
            ((-55.0, 8.0, -70.0), (-88.0, 46.0, -78.0), 3.5),
            ((-12.0, 8.0, -72.0), (20.0, -25.0, -55.0), 4.5),
            ((20.0, -25.0, -55.0), (36.0, -56.0, -50.0), 3.5),
        ):
            lab[inliver & self._tube(x, y, z, p0, p1, r)] = T.PORTAL
        lab[self._tube(x, y, z, (5.0, 36.0, -118.0), (-12.0, 8.0, -72.0), 7.0)] = T.PORTAL
        for p0, p1, r in (
            ((-25.0, 32.0, 0.0), (-105.0, 10.0, -75.0), 4.5),
            ((-18.0, 28.0, 0.0), (CANTLIE_X, -50.0, -85.0), 4.0),
            ((-12.0, 26.0, 0.0), (60.0, -34.0, -26.0), 3.5),
        ):
            lab[inliver & self._tube(x, y, z, p0, p1, r)] = T.HEPVEIN
        # Great vessels and spine.
        lab[self._ellipse(x, y, -22.0, 32.0, 12.0, 11.0) & (z < 30.0)] = T.IVC
        lab[self._ellipse(x, y, 16.0, 40.0, 11.0, 11.0)] = T.AORTA
        lab[self._ellipse(x, y, 0.0, 72.0, 21.0, 19.0)] = T.BONE
        lab[self._ellipse(x, y, 0.0, 72.0, 18.5, 16.5)] = T.MARROW
        for cx in (-38.0, 38.0):
            lab[self._ellipse(x, y, cx, 102.0, 24.0, 18.0) & body] = T.MUSCLE
        lab[self._ellipse(x, y, 0.0, 106.0, 11.0, 15.0)] = T.BONE
        lab[self._ellipse(x, y, 0.0, 98.0, 7.0, 6.5)] = T.FLUID  # spinal canal
        return lab

    # -- liver anatomy ----------------------------------------------------------------------

    def is_left(self, x: np.ndarray) -> np.ndarray:
        """True on the left liver side of Cantlie's plane (body mm)."""
        return np.asarray(x) / self.scale > CANTLIE_X

    def segment(self, x: float, y: float, z: float) -> str:
        """Couinaud segment (roman numeral) of a point of the liver, from its position."""
        ux, uy, uz = x / self.scale, y / self.scale, z / self.scale
        if self._ellipsoid(np.array(ux), np.array(uy), np.array(uz), *CAUDATE):
            return "I"
        if ux > CANTLIE_X:
            if ux <= UMBILICAL_X:
                return "IV"
            return "II" if uz > LEFT_LATERAL_Z else "III"
        cross = RHV_DIR[0] * (uy - RHV_P0[1]) - RHV_DIR[1] * (ux - RHV_P0[0])
        posterior = cross < 0.0
        superior = uz > PORTAL_PLANE_Z
        if posterior:
            return "VII" if superior else "VI"
        return "VIII" if superior else "V"

    def liver_z_range_mm(self) -> tuple[float, float]:
        """Lowest and highest z of the liver (body mm)."""
        lo = RIGHT_LOBE[0][2] - RIGHT_LOBE[1][2]
        hi = max(RIGHT_LOBE[0][2] + RIGHT_LOBE[1][2], LEFT_LOBE[0][2] + LEFT_LOBE[1][2])
        return lo * self.scale, hi * self.scale

    def liver_box_mm(self) -> tuple[np.ndarray, np.ndarray]:
        lo = np.minimum(np.array(RIGHT_LOBE[0]) - RIGHT_LOBE[1],
                        np.array(LEFT_LOBE[0]) - LEFT_LOBE[1])
        hi = np.maximum(np.array(RIGHT_LOBE[0]) + RIGHT_LOBE[1],
                        np.array(LEFT_LOBE[0]) + LEFT_LOBE[1])
        return lo * self.scale, hi * self.scale
