"""All geometry of lesionlab: pixel <-> patient millimetres, spacing, slice order, orientation.

Conventions (every other module relies on these; the tests in tests/viewer/test_geometry.py
pin them down):

* Patient coordinates are DICOM LPS millimetres (x to the patient's Left, y Posterior,
  z Superior), as in ImagePositionPatient (IPP).
* ImageOrientationPatient (IOP) = (row direction r, column direction c). ``r`` is the
  direction in which the column index grows along a row; ``c`` the direction in which the row
  index grows down a column. The slice normal is ``n = r x c``.
* PixelSpacing (0028,0030) is (row spacing, column spacing): first the distance between
  adjacent rows (along ``c``), then between adjacent columns (along ``r``). They differ for
  non-square pixels and must never be swapped.
* Pixel indices are continuous: (row, col) = (0, 0) is the *centre* of the top-left pixel
  (highdicom's convention); IPP is the centre of that pixel.
* Arrays are numpy (slice, row, col). SimpleITK uses (x, y, z) = (col, row, slice);
  :meth:`StackGeometry.sitk_spacing` and friends convert.
* Slices are sorted by position along the normal, ascending (``IPP . n``), never by
  InstanceNumber, file name or SliceLocation. Slice index 0 is the lowest projection.
* A sheared stack (CT gantry tilt) keeps one origin per slice: the position of voxel
  (k, row, col) is ``IPP_k + col * cs * r + row * rs * c``, which stays exact when the table
  moved along z while the slices are tilted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Sequence, TypeAlias

import numpy as np

#: A point or direction: a sequence of floats or a 1-D numpy array (the two travel together).
Vector: TypeAlias = "Sequence[float] | np.ndarray"
#: A patient point or step in plain floats (LPS mm).
Point3: TypeAlias = "tuple[float, float, float]"

#: Two slice positions closer than this along the normal are the same position (mm).
DUPLICATE_TOL_MM = 0.01
#: Relative tolerance for "regular" spacing.
REGULAR_REL_TOL = 0.02
#: Absolute tolerance for "regular" spacing (mm), whichever is larger.
REGULAR_ABS_TOL_MM = 0.01
#: Angle between n and the nearest axis under which a plane is called by that axis' name.
OBLIQUE_LIMIT_DEG = 30.0
#: Shear angle above which a stack is reported as tilted.
TILT_LIMIT_DEG = 0.5


class Orientation(str, Enum):
    """The anatomical plane of a stack, from the axis nearest its slice normal."""

    AXIAL = "axial"
    CORONAL = "coronal"
    SAGITTAL = "sagittal"
    OBLIQUE = "oblique"


class SpacingSource(str, Enum):
    """Where the in-plane pixel spacing came from."""

    PIXEL_SPACING = "PixelSpacing"
    IMAGER_PIXEL_SPACING = "ImagerPixelSpacing"
    NONE = "none"


def _unit(v: Vector) -> np.ndarray:
    a = np.asarray(v, dtype=float)
    norm = float(np.linalg.norm(a))
    if not math.isfinite(norm) or norm < 1e-6:
        raise ValueError(f"direction {tuple(v)} has no length")
    return a / norm


def _point3(v: Vector) -> Point3:
    return (float(v[0]), float(v[1]), float(v[2]))


def slice_normal(iop: Vector) -> np.ndarray:
    """Unit normal ``r x c`` of an ImageOrientationPatient (6 values)."""
    if len(iop) != 6:
        raise ValueError(f"ImageOrientationPatient needs 6 values, got {len(iop)}")
    r, c = _unit(iop[:3]), _unit(iop[3:])
    return _unit(np.cross(r, c))


def classify_orientation(normal: Vector) -> tuple[Orientation, float]:
    """Plane named after the axis nearest the normal, and the angle to it in degrees.

    Past :data:`OBLIQUE_LIMIT_DEG` from every axis the plane is ``oblique``.
    """
    n = _unit(normal)
    axis = int(np.argmax(np.abs(n)))
    angle = math.degrees(math.acos(min(1.0, abs(float(n[axis])))))
    if angle > OBLIQUE_LIMIT_DEG:
        return Orientation.OBLIQUE, angle
    return (Orientation.SAGITTAL, Orientation.CORONAL, Orientation.AXIAL)[axis], angle


def same_orientation(a: Vector, b: Vector, tol: float = 1e-3) -> bool:
    """True when two IOPs describe the same plane (direction cosines equal within ``tol``)."""
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), atol=tol))


def projections_mm(positions: Sequence[Vector] | np.ndarray, normal: Vector) -> np.ndarray:
    """Position of each point (n, 3) along a unit normal, in mm (``IPP . n``)."""
    proj: np.ndarray = np.asarray(positions, float).reshape(-1, 3) @ np.asarray(normal, float)
    return proj


def sort_order(positions: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Indices that sort IPPs (n, 3) ascending along the normal (stable for ties)."""
    return np.argsort(projections_mm(positions, normal), kind="stable")


def in_plane_distance_mm(p1: Vector, p2: Vector, row_spacing_mm: float, column_spacing_mm: float) -> float:
    """Distance between two continuous (row, col) points of one slice, honouring both spacings.

    The one formula for every in-plane length: :meth:`StackGeometry.distance_mm` and a stored
    measurement's diameter (annotation/records.py), which keeps the spacings it was drawn with.
    """
    return math.hypot((float(p2[0]) - float(p1[0])) * row_spacing_mm,
                      (float(p2[1]) - float(p1[1])) * column_spacing_mm)


@dataclass(frozen=True)
class SpacingReport:
    """What the sorted slice positions say about spacing."""

    spacing_mm: float | None
    regular: bool
    gaps: tuple[int, ...]  # index k where the step k -> k+1 is larger than expected
    duplicates: tuple[int, ...]  # index k where slices k and k+1 share a position
    steps_mm: tuple[float, ...]
    warnings: tuple[str, ...]


def analyse_spacing(projections: Vector) -> SpacingReport:
    """Spacing from positions along the normal (already sorted ascending).

    The spacing is the most common step (the median of the non-duplicate steps). A step over
    1.5x that is a gap (missing slices) when such steps are a minority (at most a quarter of
    the steps); otherwise the stack mixes spacings and is only irregular (e.g. two
    reconstructions of 4 and 7 mm in one series). Any deviation beyond tolerance makes the stack
    irregular.
    """
    p = np.asarray(projections, float)
    if p.size < 2:
        return SpacingReport(None, True, (), (), (), ())
    steps = np.diff(p)
    dup = tuple(int(i) for i in np.flatnonzero(steps < DUPLICATE_TOL_MM))
    real = steps[steps >= DUPLICATE_TOL_MM]
    warnings: list[str] = []
    if dup:
        listed = ", ".join(str(i + 1) for i in dup[:5]) + (", ..." if len(dup) > 5 else "")
        warnings.append(f"{len(dup)} duplicate slice position(s): slice(s) {listed} share a position"
                        " with the next slice")
    if real.size == 0:
        return SpacingReport(None, False, (), dup, tuple(float(s) for s in steps), tuple(warnings))
    spacing = float(np.median(real))
    tol = max(REGULAR_ABS_TOL_MM, REGULAR_REL_TOL * spacing)
    big = np.flatnonzero(steps > 1.5 * spacing + tol)
    gaps = tuple(int(i) for i in big) if len(big) <= max(1, len(real) // 4) else ()
    off = np.abs(steps - spacing) > tol
    off[list(dup)] = False
    off[list(gaps)] = False
    regular = not dup and not gaps and not bool(off.any())
    if gaps:
        warnings.append(
            f"{len(gaps)} gap(s) in slice positions: "
            + ", ".join(f"{steps[i]:.2f} mm after slice {i + 1}" for i in gaps[:5])
            + f" (expected {spacing:.2f} mm)")
    if off.any():
        warnings.append(f"irregular slice spacing: steps from {real.min():.3f} to {real.max():.3f} mm"
                        f" (typical {spacing:.3f} mm)")
    return SpacingReport(spacing, regular, gaps, dup, tuple(float(s) for s in steps), tuple(warnings))


def shear_angle_deg(positions: np.ndarray, normal: np.ndarray) -> float:
    """Angle between the table motion (first -> last IPP) and the slice normal, in degrees.

    Zero for an ordinary stack; the gantry tilt for a CT acquired with a tilted gantry, whose
    table moves along z while the slices are tilted.
    """
    pos = np.asarray(positions, float)
    if len(pos) < 2:
        return 0.0
    motion = pos[-1] - pos[0]
    length = float(np.linalg.norm(motion))
    if length < DUPLICATE_TOL_MM:
        return 0.0
    cos = abs(float(motion @ normal)) / length
    return math.degrees(math.acos(min(1.0, cos)))


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
        r, c = _unit(iop[:3]), _unit(iop[3:])
        if abs(float(r @ c)) > 1e-2:
            raise ValueError(f"ImageOrientationPatient {tuple(iop)} is not orthogonal")
        n = _unit(np.cross(r, c))
        order = sort_order(pos, n)
        pos = pos[order]
        report = analyse_spacing(pos @ n)
        warnings = list(report.warnings)
        source = SpacingSource(spacing_source)
        rs = cs = None
        if pixel_spacing is not None and source is not SpacingSource.NONE:
            rs, cs = float(pixel_spacing[0]), float(pixel_spacing[1])
            if not (rs > 0 and cs > 0 and math.isfinite(rs) and math.isfinite(cs)):
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

    @property
    def normal(self) -> np.ndarray:
        """Unit slice normal ``r x c``."""
        return _unit(np.cross(np.asarray(self.row_direction), np.asarray(self.column_direction)))

    @property
    def slice_projections_mm(self) -> np.ndarray:
        """Position of each slice along the normal (ascending)."""
        return projections_mm(self.positions_mm, self.normal)

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
        if not self.measurable:
            return 1.0
        return float(self.row_spacing_mm / self.column_spacing_mm)  # type: ignore[operator]

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


def patient_orientation_labels(direction: Vector) -> str:
    """Letters (R/L, A/P, H/F) a screen direction points to, strongest first (e.g. 'L' or 'LP').

    Used for the orientation labels at the viewport edges; components under 0.25 are ignored.
    """
    d = np.asarray(direction, float)
    letters = (("R", "L"), ("A", "P"), ("F", "H"))
    out = []
    for axis in np.argsort(-np.abs(d)):
        if abs(d[axis]) < 0.25:
            break
        out.append(letters[axis][1] if d[axis] > 0 else letters[axis][0])
    return "".join(out)
