"""One stack of parallel slices: construction from headers, pixel <-> patient mm, SimpleITK order.

Conventions: see :mod:`viewer.geometry`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Sequence

import numpy as np

from viewer.geometry.directions import (OBLIQUE_NOTE_DEG, Orientation, Point3, Vector, _point3, _unit, classify_orientation,
                                        in_plane_distance_mm, orientation_problem, position_problem,
                                        projections_mm, sort_order)
from viewer.geometry.spacing import (DUPLICATE_TOL_MM, TILT_LIMIT_DEG, SpacingReport, analyse_spacing,
                                     shear_angle_deg)


#: A pixel wider than this is not a pixel spacing (mm): such a value is treated as absent.
MAX_PIXEL_SPACING_MM = 1000.0


class SpacingSource(str, Enum):
    """Where the in-plane pixel spacing came from."""

    PIXEL_SPACING = "PixelSpacing"
    IMAGER_PIXEL_SPACING = "ImagerPixelSpacing"
    NONE = "none"


@dataclass(frozen=True)
class StackGeometry:
    """Geometry of one stack of parallel slices, sorted along the normal.

    Built with :meth:`from_slices`. ``positions_mm`` holds one IPP per slice (sorted), so that a
    sheared stack stays exact. ``row_spacing_mm`` / ``column_spacing_mm`` are ``None`` when no
    spacing attribute exists; then :attr:`measurable` is False and :attr:`not_measurable_reason`
    says why.
    """

    rows: int
    columns: int
    row_direction: tuple[float, float, float]
    column_direction: tuple[float, float, float]
    positions_mm: tuple[tuple[float, float, float], ...]
    row_spacing_mm: float | None
    column_spacing_mm: float | None
    spacing_source: SpacingSource = SpacingSource.PIXEL_SPACING
    slice_thickness_mm: float | None = None
    warnings: tuple[str, ...] = ()
    #: Set when positions/orientation were missing and invented: then nothing is measurable.
    missing_geometry: str | None = None
    _spacing: SpacingReport = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_slices(
        cls,
        rows: int,
        columns: int,
        iop: Vector,
        positions: Sequence[Vector] | np.ndarray,
        pixel_spacing: Vector | None,
        spacing_source: SpacingSource | str = SpacingSource.PIXEL_SPACING,
        slice_thickness_mm: float | None = None,
        gantry_tilt_deg: float | None = None,
        missing_geometry: str | None = None,
    ) -> tuple["StackGeometry", np.ndarray]:
        """Geometry from the slices' IPPs (any order) and the shared IOP and spacing.

        Returns the geometry and the permutation that sorts the given slices along the normal
        (apply it to the pixel frames). Warnings cover duplicates, gaps, irregular spacing,
        tilt, and the spacing fallback.
        """
        if rows <= 0 or columns <= 0:
            raise ValueError(f"image size {rows} x {columns} is empty")
        pos = np.asarray(positions, float).reshape(-1, 3)
        if pos.shape[0] == 0:
            raise ValueError("a stack needs at least one slice position")
        problem = orientation_problem(iop) or next(filter(None, map(position_problem, pos)), None)
        if problem:
            raise ValueError(problem)
        r, c = _unit(iop[:3]), _unit(iop[3:])
        n = _unit(np.cross(r, c))
        order = sort_order(pos, n)
        pos = pos[order]
        report = analyse_spacing(pos @ n)
        warnings = list(report.warnings)
        source = SpacingSource(spacing_source)
        rs = cs = None
        if pixel_spacing is not None and source is not SpacingSource.NONE:
            rs, cs = float(pixel_spacing[0]), float(pixel_spacing[1])
            if not (0 < rs <= MAX_PIXEL_SPACING_MM and 0 < cs <= MAX_PIXEL_SPACING_MM):
                warnings.append(f"pixel spacing {rs} x {cs} is not usable")
                rs = cs = None
                source = SpacingSource.NONE
            elif source is SpacingSource.IMAGER_PIXEL_SPACING:
                warnings.append("no PixelSpacing: using ImagerPixelSpacing (detector plane, not patient);"
                                " millimetres may be off by the magnification")
        else:
            source = SpacingSource.NONE
        shear = shear_angle_deg(pos, n)
        if shear > TILT_LIMIT_DEG:
            tag = f" (GantryDetectorTilt {gantry_tilt_deg:g}°)" if gantry_tilt_deg else ""
            warnings.append(f"gantry tilt: slices are sheared by {shear:.1f}°{tag}; positions are"
                            " taken per slice from ImagePositionPatient")
        elif gantry_tilt_deg and abs(gantry_tilt_deg) > TILT_LIMIT_DEG:
            warnings.append(f"GantryDetectorTilt {gantry_tilt_deg:g}° in the header")
        plane, angle = classify_orientation(n)
        if plane is not Orientation.OBLIQUE and angle > OBLIQUE_NOTE_DEG:
            warnings.append(f"the slices are {angle:.1f}° off the {plane.value} plane (ImageOrientationPatient): lengths"
                            f" drawn on them are not strictly {plane.value}")
        geo = cls(
            rows=int(rows),
            columns=int(columns),
            row_direction=_point3(r),
            column_direction=_point3(c),
            positions_mm=tuple(_point3(p) for p in pos),
            row_spacing_mm=rs,
            column_spacing_mm=cs,
            spacing_source=source,
            slice_thickness_mm=slice_thickness_mm,
            warnings=tuple(warnings),
            missing_geometry=missing_geometry,
            _spacing=report,
        )
        return geo, order

    def __post_init__(self) -> None:
        if self._spacing is None:
            object.__setattr__(self, "_spacing", analyse_spacing(self.slice_projections_mm))

    # ------------------------------------------------------------------ basic facts
    @property
    def n_slices(self) -> int:
        return len(self.positions_mm)

    # The two below are read on every linked slice change (several times per cell): computed once,
    # read-only (the geometry is immutable; cached_property writes the instance dict, not a field).
    @cached_property
    def normal(self) -> np.ndarray:
        """Unit slice normal ``r x c`` (read-only array)."""
        n = _unit(np.cross(np.asarray(self.row_direction), np.asarray(self.column_direction)))
        n.setflags(write=False)
        return n

    @cached_property
    def slice_projections_mm(self) -> np.ndarray:
        """Position of each slice along the normal (ascending; read-only array)."""
        proj = np.array(projections_mm(self.positions_mm, self.normal), float)
        proj.setflags(write=False)
        return proj

    @property
    def slice_spacing_mm(self) -> float | None:
        """Typical distance between slices along the normal (None for one slice)."""
        return self._spacing.spacing_mm

    @property
    def spacing_regular(self) -> bool:
        return self._spacing.regular

    @property
    def spacing_report(self) -> SpacingReport:
        return self._spacing

    @property
    def orientation(self) -> Orientation:
        return classify_orientation(self.normal)[0]

    @property
    def orientation_angle_deg(self) -> float:
        """Angle between the normal and the axis the plane is named after."""
        return classify_orientation(self.normal)[1]

    @property
    def tilt_deg(self) -> float:
        return shear_angle_deg(np.asarray(self.positions_mm), self.normal)

    @property
    def origin_mm(self) -> tuple[float, float, float]:
        """IPP of slice 0 (centre of its top-left pixel)."""
        return self.positions_mm[0]

    @property
    def pixel_spacing_mm(self) -> tuple[float, float] | None:
        """(row spacing, column spacing), or None when not measurable."""
        if self.row_spacing_mm is None or self.column_spacing_mm is None:
            return None
        return (self.row_spacing_mm, self.column_spacing_mm)

    @property
    def measurable(self) -> bool:
        return self.pixel_spacing_mm is not None and self.missing_geometry is None

    @property
    def not_measurable_reason(self) -> str | None:
        if self.measurable:
            return None
        if self.missing_geometry:
            return f"{self.missing_geometry}: distances in mm are unknown"
        if self.spacing_source is SpacingSource.NONE and self.row_spacing_mm is None:
            return "no usable PixelSpacing or ImagerPixelSpacing: distances in mm are unknown"
        return "no PixelSpacing or ImagerPixelSpacing: distances in mm are unknown"

    @property
    def pixel_aspect(self) -> float:
        """Display height/width of one pixel (row spacing / column spacing); 1 when unknown."""
        spacing = self.pixel_spacing_mm
        if spacing is None or not self.measurable:
            return 1.0
        return spacing[0] / spacing[1]

    # ------------------------------------------------------------------ transforms
    def _spacing_or_one(self) -> tuple[float, float]:
        return (self.row_spacing_mm or 1.0, self.column_spacing_mm or 1.0)

    def affine(self, slice_index: int = 0) -> np.ndarray:
        """4x4 matrix mapping (col, row, 0, 1) of one slice to patient mm (x, y, z, 1)."""
        rs, cs = self._spacing_or_one()
        m = np.eye(4)
        m[:3, 0] = np.asarray(self.row_direction) * cs
        m[:3, 1] = np.asarray(self.column_direction) * rs
        m[:3, 2] = self.normal
        m[:3, 3] = self.positions_mm[slice_index]
        return m

    def _slice_step_mm(self) -> float:
        """Step along the normal used beyond the ends of a one-slice stack (thickness, else 1)."""
        return self.slice_spacing_mm or self.slice_thickness_mm or 1.0

    def _slice_origin(self, slice_index: float) -> np.ndarray:
        """IPP of a continuous slice index: linear between neighbouring slices, extrapolated
        from the first (last) two slices before (after) the stack."""
        pos = np.asarray(self.positions_mm, float)
        origin: np.ndarray
        if self.n_slices == 1:
            origin = pos[0] + float(slice_index) * self._slice_step_mm() * self.normal
        else:
            k0 = int(np.clip(math.floor(slice_index), 0, self.n_slices - 2))
            t = float(slice_index) - k0
            origin = pos[k0] * (1 - t) + pos[k0 + 1] * t
        return origin

    def index_to_patient(self, slice_index: float, row: float, col: float) -> np.ndarray:
        """Patient mm of continuous index (slice, row, col); fractional slices interpolate."""
        rs, cs = self._spacing_or_one()
        return (self._slice_origin(slice_index) + col * cs * np.asarray(self.row_direction)
                + row * rs * np.asarray(self.column_direction))

    def patient_points(self, slice_index: Sequence[int] | np.ndarray, row: Sequence[float] | np.ndarray,
                       col: Sequence[float] | np.ndarray) -> np.ndarray:
        """Patient mm (n, 3) of points (row, col) on integer slices, at once (:meth:`index_to_patient` one by one
        rebuilds the slices' positions each time: Checks compares every pair of a stack's count marks)."""
        k = np.asarray(slice_index, int)
        rs, cs = self._spacing_or_one()
        pts: np.ndarray = (np.asarray(self.positions_mm, float)[k]
                           + np.outer(np.asarray(col, float) * cs, np.asarray(self.row_direction, float))
                           + np.outer(np.asarray(row, float) * rs, np.asarray(self.column_direction, float)))
        return pts

    def _continuous_slice(self, d: float) -> float:
        """Continuous slice index of projection ``d`` along the normal (inverse of _slice_origin)."""
        proj = self.slice_projections_mm
        if self.n_slices == 1:
            return (d - float(proj[0])) / self._slice_step_mm()
        if proj[0] <= d <= proj[-1]:
            k = int(np.clip(np.searchsorted(proj, d, side="right") - 1, 0, self.n_slices - 2))
        else:
            k = 0 if d < proj[0] else self.n_slices - 2
        step = float(proj[k + 1] - proj[k])
        if step < DUPLICATE_TOL_MM:  # duplicate positions: the plane is that of slice k
            return float(k)
        return k + (d - float(proj[k])) / step

    def _in_plane(self, delta_mm: np.ndarray) -> tuple[float, float]:
        """(row, col) steps of a patient-space offset within a slice plane."""
        rs, cs = self._spacing_or_one()
        return (float(delta_mm @ np.asarray(self.column_direction)) / rs,
                float(delta_mm @ np.asarray(self.row_direction)) / cs)

    def patient_to_index(self, point_mm: Vector) -> np.ndarray:
        """Continuous (slice, row, col) of a patient point; slice interpolated between positions."""
        p = np.asarray(point_mm, float)
        k = self._continuous_slice(float(p @ self.normal))
        row, col = self._in_plane(p - self._slice_origin(k))
        return np.array([k, row, col])

    def pixel_on_slice(self, point_mm: Vector, slice_index: int) -> tuple[float, float]:
        """Continuous (row, col) of a patient point projected along the normal onto one slice."""
        return self._in_plane(np.asarray(point_mm, float) - np.asarray(self.positions_mm[slice_index], float))

    @property
    def middle_pixel(self) -> tuple[float, float]:
        """Continuous (row, col) of the image's middle: where a view fitted to the image is centred."""
        return (self.rows - 1) / 2.0, (self.columns - 1) / 2.0

    def along_normal_mm(self, vector_mm: Vector) -> float:
        """Length of a patient-space vector along the slice normal (signed, mm)."""
        return float(np.asarray(vector_mm, float) @ self.normal)

    def normal_part_mm(self, vector_mm: Vector) -> np.ndarray:
        """The component of a patient-space vector along the slice normal."""
        n = self.normal
        part: np.ndarray = self.along_normal_mm(vector_mm) * n
        return part

    def is_parallel_to(self, other: "StackGeometry", min_cos: float) -> bool:
        """True when the two slice normals are within ``acos(min_cos)`` of each other (either sense)."""
        return abs(float(self.normal @ other.normal)) >= min_cos

    def nearest_slice(self, point_mm: Vector) -> int:
        """Index of the slice whose plane is nearest a patient point."""
        d = self.along_normal_mm(point_mm)
        return int(np.argmin(np.abs(self.slice_projections_mm - d)))

    def distance_mm(self, p1: Vector, p2: Vector) -> float:
        """In-plane distance between two (row, col) points of one slice, honouring both spacings."""
        if self.row_spacing_mm is None or self.column_spacing_mm is None or not self.measurable:
            raise ValueError(self.not_measurable_reason)
        return in_plane_distance_mm(p1, p2, self.row_spacing_mm, self.column_spacing_mm)

    def slice_frames(self) -> "SliceFrames":
        """:meth:`index_to_patient` at integer slices as plain-float constants."""
        rs, cs = self._spacing_or_one()
        r, c = self.row_direction, self.column_direction
        return SliceFrames(self.positions_mm, (r[0] * cs, r[1] * cs, r[2] * cs), (c[0] * rs, c[1] * rs, c[2] * rs))

    # ------------------------------------------------------------------ SimpleITK order
    def sitk_spacing(self) -> tuple[float, float, float]:
        """(x, y, z) spacing as SimpleITK reports it: (column, row, slice)."""
        rs, cs = self._spacing_or_one()
        return (cs, rs, self.slice_spacing_mm or 1.0)

    def sitk_direction(self) -> tuple[float, ...]:
        """Row-major 3x3 direction with columns (r, c, n), SimpleITK's layout."""
        m = np.column_stack([self.row_direction, self.column_direction, self.normal])
        return tuple(float(x) for x in m.ravel())

    def sitk_size(self) -> tuple[int, int, int]:
        return (self.columns, self.rows, self.n_slices)


@dataclass(frozen=True)
class SliceFrames:
    """Pixel -> patient mm on integer slices without numpy (the overlay asks on every pointer move).

    The same mapping as :meth:`StackGeometry.index_to_patient`: ``IPP_k + col * column_step_mm +
    row * row_step_mm``.
    """

    origins_mm: tuple[Point3, ...]
    column_step_mm: Point3  # patient mm per column (along the row direction r)
    row_step_mm: Point3  # patient mm per row (along the column direction c)

    def patient_point(self, slice_index: int, row: float, col: float) -> Point3:
        o, cs, rs = self.origins_mm[slice_index], self.column_step_mm, self.row_step_mm
        return (o[0] + col * cs[0] + row * rs[0], o[1] + col * cs[1] + row * rs[1], o[2] + col * cs[2] + row * rs[2])


def same_view_centre(source: StackGeometry, slice_index: int, centre: tuple[float, float] | None,
                     target: StackGeometry, target_slice: int) -> tuple[float, float]:
    """The (row, col) on ``target``'s slice ``target_slice`` that shows the patient point at ``centre`` on ``source``'s
    slice ``slice_index`` (None: the image's middle, where a fitted view is centred), projected along ``target``'s
    normal: the centre that gives a cell the field of view of another, as linked viewers do (Z). Meaningful only
    within one frame of reference: the caller checks the two stacks share it."""
    row, col = centre if centre is not None else source.middle_pixel
    return target.pixel_on_slice(source.index_to_patient(slice_index, row, col), target_slice)
