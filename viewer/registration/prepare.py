"""Volumes made ready to register: block-averaged to a coarse grid, windowed, with their masks.

The coarse grid's origin, axes and spacing come from :class:`viewer.geometry.StackGeometry`
(``index_to_patient``), so a SimpleITK point is the patient LPS mm of the viewer; an axis step is
taken from the geometry itself, which keeps a sheared (tilted) stack exact. Masks are numpy bool
arrays (slices, rows, cols) of the coarse grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import SimpleITK as sitk
from scipy import ndimage as ndi

from viewer.errors import GeometryError, ValidationError
from viewer.geometry import StackGeometry

#: CT window kept for the metric (HU): fat, soft tissue, enhanced vessels; air and bone saturate.
CT_WINDOW_HU = (-200.0, 300.0)
#: CT above this is inside the body (HU).
CT_BODY_HU = -500.0
#: A liver region outside these volumes is not a liver (mL).
LIVER_ML = (400.0, 4500.0)
#: Soft tissue within this many HU of the liver's mode is liver-like.
LIVER_HALF_WIDTH_HU = 45.0
MIN_COARSE_SLICES = 4


class VolumeLike(Protocol):
    """What a registration needs of :class:`viewer.loader.Volume`."""

    @property
    def array(self) -> np.ndarray: ...  # (slices, rows, cols), CT in HU

    @property
    def geometry(self) -> StackGeometry: ...

    @property
    def units(self) -> str: ...  # "HU" for CT


@dataclass(frozen=True)
class Coarse:
    """One volume on its coarse grid: values (float32, windowed) and the SimpleITK image of them."""

    values: np.ndarray  # (slices, rows, cols) float32
    image: sitk.Image
    is_ct: bool
    body: np.ndarray  # bool mask of the body
    regular: bool  # the stack's slices were evenly spaced (else the grid's step is their mean)

    @property
    def origin(self) -> np.ndarray:
        return np.asarray(self.image.GetOrigin(), float)

    @property
    def index_to_mm(self) -> np.ndarray:
        """3x3 matrix taking a (x, y, z) = (col, row, slice) index step to a patient mm step."""
        d = np.asarray(self.image.GetDirection(), float).reshape(3, 3)
        return np.asarray(d * np.asarray(self.image.GetSpacing(), float)[None, :])

    def points_mm(self, mask: np.ndarray) -> np.ndarray:
        """Patient mm (n, 3) of the voxel centres where ``mask`` is True."""
        kji = np.argwhere(mask)
        return np.asarray(self.origin + kji[:, ::-1].astype(float) @ self.index_to_mm.T)

    def mm_to_index(self) -> np.ndarray:
        """4x4 matrix taking patient mm (x, y, z, 1) to the continuous (col, row, slice, 1) index."""
        a = np.eye(4)
        a[:3, :3] = np.linalg.inv(self.index_to_mm)
        a[:3, 3] = -a[:3, :3] @ self.origin
        return a

    def centre_mm(self, mask: np.ndarray) -> np.ndarray:
        """Centre of a mask in patient mm (from per-axis sums, not voxel lists)."""
        n = float(mask.sum())
        k, j, i = (float((np.arange(mask.shape[ax]) * mask.sum(axis=tuple(a for a in range(3) if a != ax))).sum()) / n
                   for ax in range(3))
        return np.asarray(self.origin + self.index_to_mm @ np.array([i, j, k]))

    def axis_mm(self, axis: int) -> np.ndarray:
        """Patient coordinate ``axis`` (0: x, 1: y, 2: z) of every voxel centre, shaped like the grid."""
        m, shape = self.index_to_mm[axis], self.values.shape
        k, j, i = (np.arange(s, dtype=float).reshape([-1 if a == ax else 1 for a in range(3)]) for ax, s in
                   enumerate(shape))
        return np.asarray(self.origin[axis] + m[0] * i + m[1] * j + m[2] * k)

    def mask_image(self, mask: np.ndarray) -> sitk.Image:
        img = sitk.GetImageFromArray(mask.astype(np.uint8))
        img.CopyInformation(self.image)
        return img

    @property
    def voxel_ml(self) -> float:
        return float(abs(np.linalg.det(self.index_to_mm))) / 1000.0


def block_factors(geometry: StackGeometry, grid_mm: float) -> tuple[int, int, int]:
    """(slice, row, col) block sizes that bring the stack's spacing nearest ``grid_mm``."""
    cs, rs, ss = geometry.sitk_spacing()
    fz, fr, fc = (max(1, int(round(grid_mm / s))) for s in (ss, rs, cs))
    return fz, fr, fc


def block_mean(array: np.ndarray, factors: tuple[int, int, int]) -> np.ndarray:
    """Mean over (fz, fr, fc) blocks (float32); trailing partial blocks are dropped.

    Integer volumes (CT in HU, MRI) go through ITK's BinShrink, four times faster than numpy here,
    which rounds each mean to an integer (half a HU at most); float volumes through numpy.
    """
    fz, fr, fc = factors
    n, r, c = (s // f for s, f in zip(array.shape, factors))
    if array.dtype.kind in "iu" and array.dtype.itemsize <= 4 and min(n, r, c) > 0:
        shrink = sitk.BinShrinkImageFilter()
        shrink.SetShrinkFactors([fc, fr, fz])
        shrink.SetNumberOfThreads(1)
        return sitk.GetArrayFromImage(shrink.Execute(sitk.GetImageFromArray(array))).astype(np.float32)
    x = array[:n * fz, :r * fr, :c * fc]
    out = x.reshape(n * fz, r * fr, c, fc).sum(axis=3, dtype=np.float32)
    out = out.reshape(n * fz, r, fr, c).sum(axis=2)
    out = out.reshape(n, fz, r, c).sum(axis=1)
    out /= float(fz * fr * fc)
    return np.asarray(out, np.float32)


def coarse_image(values: np.ndarray, geometry: StackGeometry, factors: tuple[int, int, int]) -> sitk.Image:
    """A SimpleITK image of block means, placed by the geometry: voxel (k, i, j) is the centre of
    block (k, i, j) of the stack."""
    fz, fr, fc = factors
    geo = geometry
    n = geo.n_slices
    o = geo.index_to_patient(0, 0, 0)
    col_step = geo.index_to_patient(0, 0, fc) - o
    row_step = geo.index_to_patient(0, fr, 0) - o
    slice_step = (geo.index_to_patient(n - 1, 0, 0) - o) / (n - 1) * fz
    axes = np.column_stack([col_step, row_step, slice_step])
    spacing = np.linalg.norm(axes, axis=0)
    centre = (np.asarray(factors[::-1], float) - 1) / 2  # (x, y, z) of the first block's centre
    origin = o + (axes / np.asarray(factors[::-1], float)) @ centre
    img = sitk.GetImageFromArray(values)
    img.SetSpacing(tuple(float(s) for s in spacing))
    img.SetDirection(tuple(float(v) for v in (axes / spacing).ravel()))
    img.SetOrigin(tuple(float(v) for v in origin))
    return img


def prepare(volume: VolumeLike, grid_mm: float, name: str) -> Coarse:
    """Block-average ``volume`` to about ``grid_mm`` and window it for the metric."""
    geo = volume.geometry
    array = np.asarray(volume.array)
    if array.ndim != 3 or array.shape != (geo.n_slices, geo.rows, geo.columns):
        raise ValidationError(f"the {name} array {array.shape} does not match its geometry "
                              f"({geo.n_slices}, {geo.rows}, {geo.columns})", where=name)
    loaded = getattr(volume, "loaded", None)
    if loaded is not None and not bool(np.all(loaded)):
        raise ValidationError(f"the {name} volume is not fully loaded", where=name,
                              advice="register once every slice is in (the loader's on-done callback)")
    if not geo.measurable:
        raise GeometryError(f"the {name} stack has no geometry in mm: {geo.not_measurable_reason}", where=name,
                            advice="align this pair by hand with the landmark link")
    factors = block_factors(geo, grid_mm)
    if geo.n_slices // factors[0] < MIN_COARSE_SLICES:
        raise GeometryError(f"the {name} stack covers too few slices ({geo.n_slices}) to register", where=name,
                            advice="align this pair by hand with the landmark link")
    values = block_mean(array, factors)
    is_ct = volume.units.upper() == "HU"
    if is_ct:
        body = _largest(_filled(values > CT_BODY_HU))
        np.clip(values, *CT_WINDOW_HU, out=values)
    else:
        body = _mr_body(values)
        hi = float(np.percentile(values[body], 99.5)) if body.any() else float(values.max())
        np.clip(values, 0.0, max(hi, 1e-6), out=values)
    return Coarse(values=values, image=coarse_image(values, geo, factors), is_ct=is_ct, body=body,
                  regular=geo.spacing_regular)


def _mr_body(values: np.ndarray) -> np.ndarray:
    """Signal above the Otsu threshold of log intensities (background noise against tissue,
    suppressed fat included once the skin's ring is filled), the largest filled component."""
    f = sitk.OtsuThresholdImageFilter()
    f.SetInsideValue(0)
    f.SetOutsideValue(1)
    f.Execute(sitk.GetImageFromArray(np.log1p(np.maximum(values, 0)).astype(np.float32)))
    return _largest(_filled(values > math.expm1(f.GetThreshold())))


#: Fills holes within each slice only (in-plane connectivity).
_IN_PLANE = np.array([np.zeros((3, 3)), [[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.zeros((3, 3))], bool)


def _filled(mask: np.ndarray) -> np.ndarray:
    """Holes closed slice by slice: lungs in a CT, suppressed fat inside an MRI's skin."""
    return np.asarray(ndi.binary_fill_holes(mask, structure=_IN_PLANE))


def _largest(mask: np.ndarray) -> np.ndarray:
    labels, n = ndi.label(mask)
    if n <= 1:
        return mask
    sizes = np.bincount(labels.ravel())[1:]
    return np.asarray(labels == int(np.argmax(sizes)) + 1)


def resample_mask(mask: np.ndarray, geometry: StackGeometry, grid_mm: float, name: str) -> np.ndarray:
    """A caller's full-resolution mask on the coarse grid (a block is in when half of it is)."""
    m = np.asarray(mask)
    if m.shape != (geometry.n_slices, geometry.rows, geometry.columns):
        raise ValidationError(f"{name} has shape {m.shape}, not that of its volume "
                              f"({geometry.n_slices}, {geometry.rows}, {geometry.columns})", where=name)
    return np.asarray(block_mean(m.astype(np.uint8), block_factors(geometry, grid_mm)) >= 0.5)


def liver_region(ct: Coarse) -> tuple[np.ndarray | None, str]:
    """A liver region on a CT's coarse grid, or None and why not.

    The liver is the largest solid organ of the right upper abdomen: voxels within
    LIVER_HALF_WIDTH_HU of the soft-tissue mode on the patient's right half of the body, eroded
    to cut thin bridges (vessels, abdominal wall), the largest component lying on the right,
    grown back inside the liver-like voxels. A region outside LIVER_ML is refused.
    """
    v, body = ct.values, ct.body
    if not body.any():
        return None, "no body on the CT"
    x = ct.axis_mm(0)  # LPS: x grows to the patient's left
    right = body & (x < float(np.median(x[body])))
    soft = right & (v > 20) & (v < 250)
    if soft.sum() < 50:
        return None, "no soft tissue on the right of the body"
    hist, edges = np.histogram(v[soft], bins=46, range=(20, 250))
    mode = float(edges[int(np.argmax(hist))] + 2.5)
    like = body & (np.abs(v - mode) <= LIVER_HALF_WIDTH_HU)
    core = ndi.binary_erosion(like, iterations=2)
    labels, n = ndi.label(core)
    if n == 0:
        return None, "no liver-like region survives erosion"
    sizes = np.bincount(labels.ravel())[1:].astype(float)
    on_right = np.bincount(labels[right], minlength=n + 1)[1:]
    sizes[on_right < 0.5 * sizes] = 0  # a component mostly on the left is the spleen, not the liver
    if sizes.max() <= 0:
        return None, "no liver-like region on the right"
    region = ndi.binary_dilation(labels == int(np.argmax(sizes)) + 1, iterations=2) & like
    ml = float(region.sum()) * ct.voxel_ml
    if not LIVER_ML[0] <= ml <= LIVER_ML[1]:
        return None, f"the liver-like region holds {ml:.0f} mL, not a liver"
    return np.asarray(region), ""
