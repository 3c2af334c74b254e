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

from .canvas import Canvas, PlaneCanvas, PointCanvas, Window


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


#: Structures painted in the order listed (later ones win): (label, centre, semi-axes),
#: ellipsoids clipped to the abdominal cavity.
_CAVITY_ELLIPSOIDS = (
    (Tissue.LUNG, (-78.0, 22.0, 85.0), (62.0, 78.0, 112.0)),
    (Tissue.LUNG, (78.0, 22.0, 85.0), (62.0, 78.0, 112.0)),
    (Tissue.HEART, (18.0, -28.0, 100.0), (66.0, 55.0, 62.0)),
    (Tissue.BOWEL, (-72.0, -28.0, -140.0), (26.0, 24.0, 22.0)),
    (Tissue.BOWEL, (-20.0, -62.0, -132.0), (40.0, 20.0, 18.0)),
    (Tissue.BOWEL, (40.0, -50.0, -118.0), (34.0, 22.0, 20.0)),
    (Tissue.BOWEL, (70.0, 10.0, -130.0), (22.0, 24.0, 40.0)),
    (Tissue.BOWEL, (10.0, -20.0, -150.0), (30.0, 26.0, 20.0)),
    (Tissue.FLUID, (58.0, -8.0, -30.0), (34.0, 30.0, 42.0)),  # stomach
)
KIDNEYS = (((-68.0, 70.0, -98.0), (27.0, 22.0, 52.0)), ((72.0, 70.0, -86.0), (27.0, 22.0, 52.0)))
SPLEEN = ((92.0, 48.0, -28.0), (30.0, 50.0, 55.0))
GALLBLADDER = ((CANTLIE_X - 16.0, -42.0, -105.0), (13.0, 14.0, 30.0))
#: Portal vein branches inside the liver (p0, p1, radius), then the trunk from the hilum down.
PORTAL_BRANCHES = (
    ((-12.0, 8.0, -72.0), (-66.0, 8.0, -68.0), 5.5),
    ((-45.0, 8.0, -70.0), (-62.0, -38.0, -58.0), 3.5),
    ((-55.0, 8.0, -70.0), (-88.0, 46.0, -78.0), 3.5),
    ((-12.0, 8.0, -72.0), (20.0, -25.0, -55.0), 4.5),
    ((20.0, -25.0, -55.0), (36.0, -56.0, -50.0), 3.5),
    # segmental branches
    ((-58.0, -25.0, -62.0), (-55.0, -30.0, -15.0), 3.0),  # VIII
    ((-80.0, 35.0, -76.0), (-95.0, 40.0, -35.0), 3.0),  # VII
    ((-80.0, 35.0, -76.0), (-100.0, 25.0, -110.0), 2.8),  # VI
    ((-58.0, -25.0, -62.0), (-70.0, -45.0, -100.0), 2.8),  # V
    ((28.0, -42.0, -52.0), (65.0, -30.0, -20.0), 2.6),  # II
    ((32.0, -50.0, -51.0), (70.0, -60.0, -50.0), 2.6),  # III
    ((22.0, -30.0, -54.0), (10.0, -60.0, -30.0), 2.5),  # IV
)
PORTAL_TRUNK = ((5.0, 36.0, -118.0), (-12.0, 8.0, -72.0), 7.0)
HEPATIC_VEINS = (
    ((-25.0, 32.0, 0.0), (-105.0, 10.0, -75.0), 4.5),
    ((-18.0, 28.0, 0.0), (CANTLIE_X, -50.0, -85.0), 4.0),
    ((-12.0, 26.0, 0.0), (60.0, -34.0, -26.0), 3.5),
)
#: Labels the liver never overwrites (organs it abuts).
_LIVER_YIELDS = (Tissue.KIDNEY, Tissue.SPLEEN, Tissue.HEART, Tissue.BONE)
#: The liver compartment: what breathing moves together with the liver.
LIVER_COMPARTMENT = (Tissue.LIVER, Tissue.FISSURE, Tissue.PORTAL, Tissue.HEPVEIN)

_INF = 1e9


def _paint(lab: np.ndarray, w: Window | None, mask, value: int, where: np.ndarray | None = None) -> None:
    """Set ``value`` where ``mask`` (and ``where``, a full-canvas mask) holds within window ``w``."""
    if w is None:
        return
    current = lab[w.sel]
    mask = np.broadcast_to(mask, current.shape)
    if where is not None:
        mask = mask & where[w.sel]
    lab[w.sel] = np.where(mask, np.uint8(value), current)


def _ellipsoid(c: Canvas, centre, semi) -> tuple[Window | None, np.ndarray | None]:
    (cx, cy, cz), (a, b, e) = centre, semi
    w = c.window((cx - a, cy - b, cz - e), (cx + a, cy + b, cz + e))
    if w is None:
        return None, None
    return w, ((w.x - cx) / a) ** 2 + ((w.y - cy) / b) ** 2 + ((w.z - cz) / e) ** 2 <= 1.0


def _ellipse(c: Canvas, cx: float, cy: float, a: float, b: float) -> tuple[Window | None, np.ndarray | None]:
    w = c.window((cx - a, cy - b, -_INF), (cx + a, cy + b, _INF))
    if w is None:
        return None, None
    return w, ((w.x - cx) / a) ** 2 + ((w.y - cy) / b) ** 2 <= 1.0


def _tube(c: Canvas, p0, p1, r: float) -> tuple[Window | None, np.ndarray | None]:
    lo = tuple(min(p0[i], p1[i]) - r for i in range(3))
    hi = tuple(max(p0[i], p1[i]) + r for i in range(3))
    w = c.window(lo, hi)
    if w is None:
        return None, None
    p0a, d = np.asarray(p0, float), np.asarray(p1, float) - np.asarray(p0, float)
    t = np.clip(((w.x - p0a[0]) * d[0] + (w.y - p0a[1]) * d[1] + (w.z - p0a[2]) * d[2]) / float(d @ d), 0.0, 1.0)
    dx, dy, dz = w.x - p0a[0] - t * d[0], w.y - p0a[1] - t * d[1], w.z - p0a[2] - t * d[2]
    return w, dx * dx + dy * dy + dz * dz <= r * r


def _full(c: Canvas, w: Window | None, mask) -> np.ndarray:
    """A window's mask as a full-canvas boolean array."""
    out = np.zeros(c.shape, bool)
    if w is not None:
        out[w.sel] = np.broadcast_to(mask, out[w.sel].shape)
    return out


@dataclass(frozen=True)
class Anatomy:
    """One patient's body: a global scale (body size) and the subcutaneous fat thickness."""

    scale: float = 1.0
    fat_mm: float = 18.0
    body_half_width_mm: float = 160.0
    body_half_depth_mm: float = 115.0

    def _body_axes(self, z):
        grow = np.where(z > -60.0, 1.0 + 0.0004 * (z + 60.0), 1.0 - 0.0003 * (z + 60.0))
        return self.body_half_width_mm * grow, self.body_half_depth_mm * grow

    def _liver_mask(self, c: Canvas) -> np.ndarray:
        """Liver envelope (before carving out neighbours) on an unscaled canvas."""
        lobes = np.zeros(c.shape, bool)
        for centre, semi in (RIGHT_LOBE, LEFT_LOBE):
            w, m = _ellipsoid(c, centre, semi)
            if w is not None:
                lobes[w.sel] |= np.broadcast_to(m, lobes[w.sel].shape)
        w = c.window()
        a, b = self._body_axes(w.z)
        cavity = ((w.x / (a - self.fat_mm / self.scale - 14.0)) ** 2
                  + ((w.y + 2.0) / (b - self.fat_mm / self.scale - 12.0)) ** 2 <= 1.0)
        return lobes & np.broadcast_to(cavity, c.shape)

    # -- the label map ----------------------------------------------------------------------

    def labels(self, x, y, z, liver_shift_mm=(0.0, 0.0, 0.0)) -> np.ndarray:
        """Tissue label of every point (arrays of body mm of one shape)."""
        shape = np.broadcast(np.asarray(x), np.asarray(y), np.asarray(z)).shape
        return self.paint(PointCanvas(x, y, z), liver_shift_mm).reshape(shape)

    def labels_plane(self, xs, ys, z: float, liver_shift_mm=(0.0, 0.0, 0.0)) -> np.ndarray:
        """Labels (rows, cols) of the axial plane at ``z`` with pixel centres at ``xs`` x ``ys``."""
        return self.paint(PlaneCanvas(xs, ys, z), liver_shift_mm)

    def paint(self, canvas: Canvas, liver_shift_mm=(0.0, 0.0, 0.0)) -> np.ndarray:
        """The label map on a canvas in body mm; the liver compartment is displaced by
        ``liver_shift_mm`` against the body (breathing)."""
        T, s = Tissue, self.scale
        c = canvas.moved((0.0, 0.0, 0.0), s)
        lab = np.zeros(c.shape, np.uint8)
        w = c.window()
        a, b = self._body_axes(w.z)
        fat = self.fat_mm / s
        x, y = w.x, w.y
        body = np.broadcast_to((x / a) ** 2 + (y / b) ** 2 <= 1.0, c.shape)
        _paint(lab, w, body, T.FAT)
        _paint(lab, w, (x / (a - fat)) ** 2 + ((y + 1.0) / (b - fat)) ** 2 <= 1.0, T.MUSCLE)
        cavity = np.broadcast_to((x / (a - fat - 12.0)) ** 2 + ((y + 2.0) / (b - fat - 10.0)) ** 2 <= 1.0, c.shape)
        _paint(lab, w, cavity, T.FAT)
        self._ribs(c, lab, cavity, a, b, fat)
        for label, centre, semi in _CAVITY_ELLIPSOIDS:
            _paint(lab, *_ellipsoid(c, centre, semi), label, where=cavity)
        for centre, semi in KIDNEYS:
            _paint(lab, *_ellipsoid(c, centre, semi), T.KIDNEY)
        _paint(lab, *_ellipsoid(c, *SPLEEN), T.SPLEEN, where=cavity)
        self._liver(canvas.moved(liver_shift_mm, s), lab)
        # Great vessels and spine.
        ivc_w, ivc = _ellipse(c, -22.0, 32.0, 12.0, 11.0)
        if ivc_w is not None and np.any(ivc_w.z < 30.0):
            _paint(lab, ivc_w, ivc & (ivc_w.z < 30.0), T.IVC)
        _paint(lab, *_ellipse(c, 16.0, 40.0, 11.0, 11.0), T.AORTA)
        _paint(lab, *_ellipse(c, 0.0, 72.0, 21.0, 19.0), T.BONE)
        _paint(lab, *_ellipse(c, 0.0, 72.0, 18.5, 16.5), T.MARROW)
        for cx in (-38.0, 38.0):
            _paint(lab, *_ellipse(c, cx, 102.0, 24.0, 18.0), T.MUSCLE, where=body)
        _paint(lab, *_ellipse(c, 0.0, 106.0, 11.0, 15.0), T.BONE)
        _paint(lab, *_ellipse(c, 0.0, 98.0, 7.0, 6.5), T.FLUID)  # spinal canal
        return lab

    @staticmethod
    def _ribs(c: Canvas, lab: np.ndarray, cavity: np.ndarray, a, b, fat: float) -> None:
        """Small bone sections around the cavity, shifting with z (oblique ribs)."""
        w = c.window()
        x, y, z = (np.broadcast_to(v, c.shape) for v in (w.x, w.y, w.z))
        a, b = np.broadcast_to(a, c.shape), np.broadcast_to(b, c.shape)
        rim = ((x / (a - fat - 2.0)) ** 2 + ((y + 2.0) / (b - fat - 2.0)) ** 2 <= 1.0) & ~cavity & (z > -120.0)
        if not rim.any():
            return
        ang = np.arctan2(y[rim] / (b[rim] - fat - 6.0), x[rim] / (a[rim] - fat - 6.0))
        ribs = (np.sin(z[rim] / 9.0 + 3.0 * ang) > 0.55) & (np.cos(7.0 * ang) > 0.3)
        idx = np.flatnonzero(rim.ravel())[ribs]
        lab.reshape(-1)[idx] = Tissue.BONE

    def _liver(self, c: Canvas, lab: np.ndarray) -> None:
        """Liver with its fissure, gallbladder and vessels, painted in liver coordinates."""
        T = Tissue
        keep = ~np.isin(lab, _LIVER_YIELDS)
        liver = self._liver_mask(c) & keep
        w = c.window()
        _paint(lab, w, True, T.LIVER, where=liver)
        fw = c.window((CANTLIE_X - FISSURE_HALF_WIDTH, -_INF, -_INF), (CANTLIE_X + FISSURE_HALF_WIDTH, FISSURE_MAX_Y, _INF))
        if fw is not None:
            _paint(lab, fw, (np.abs(fw.x - CANTLIE_X) <= FISSURE_HALF_WIDTH) & (fw.y < FISSURE_MAX_Y), T.FISSURE,
                   where=liver)
        _paint(lab, *_ellipsoid(c, *GALLBLADDER), T.FLUID, where=liver)
        for p0, p1, r in PORTAL_BRANCHES:
            _paint(lab, *_tube(c, p0, p1, r), T.PORTAL, where=liver)
        _paint(lab, *_tube(c, *PORTAL_TRUNK), T.PORTAL)
        for p0, p1, r in HEPATIC_VEINS:
            _paint(lab, *_tube(c, p0, p1, r), T.HEPVEIN, where=liver)

    # -- liver anatomy ----------------------------------------------------------------------

    def is_left(self, x: np.ndarray) -> np.ndarray:
        """True on the left liver side of Cantlie's plane (body mm)."""
        return np.asarray(x) / self.scale > CANTLIE_X

    def segment(self, x: float, y: float, z: float) -> str:
        """Couinaud segment (roman numeral) of a point of the liver, from its position."""
        ux, uy, uz = x / self.scale, y / self.scale, z / self.scale
        (cx, cy, cz), (a, b, c) = CAUDATE
        if ((ux - cx) / a) ** 2 + ((uy - cy) / b) ** 2 + ((uz - cz) / c) ** 2 <= 1.0:
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
