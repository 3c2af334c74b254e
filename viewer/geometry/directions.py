"""Directions and points: normals, plane names, projections, in-plane distances, screen labels.

Conventions: see :mod:`viewer.geometry`.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Sequence, TypeAlias

import numpy as np

#: A point or direction: a sequence of floats or a 1-D numpy array (the two travel together).
Vector: TypeAlias = "Sequence[float] | np.ndarray"
#: A patient point or step in plain floats (LPS mm).
Point3: TypeAlias = "tuple[float, float, float]"

#: Angle between n and the nearest axis under which a plane is called by that axis' name.
OBLIQUE_LIMIT_DEG = 30.0
#: Angle off its named plane beyond which a stack's warnings say so (an ordinary prescription is within it).
OBLIQUE_NOTE_DEG = 5.0
#: Largest |cos| between the row and column directions of an IOP still taken as perpendicular.
ORTHOGONAL_TOL = 1e-2
#: Largest difference between the direction cosines of two IOPs still taken as one plane (~0.06°): the
#: indexer splits a series into stacks with it and the loader refuses a stack beyond it, so that every
#: stack indexed as one loads with the one IOP its geometry holds.
SAME_ORIENTATION_TOL = 1e-3
#: No scanner puts a slice farther than this from the patient origin (mm); beyond it an IPP is
#: garbage (1e308, overflowed values) and would overflow the projections.
MAX_POSITION_MM = 1e6


class Orientation(str, Enum):
    """The anatomical plane of a stack, from the axis nearest its slice normal."""

    AXIAL = "axial"
    CORONAL = "coronal"
    SAGITTAL = "sagittal"
    OBLIQUE = "oblique"


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


def _finite(values: Vector | None, name: str, n: int) -> tuple[np.ndarray | None, str]:
    """(the ``n`` values as floats, how to quote them), or (None, why they are unusable)."""
    if values is None:
        return None, f"no {name}"
    if len(values) != n:
        return None, f"{name} needs {n} values, got {len(values)}"
    a = np.asarray(values, dtype=float)
    quoted = name + " " + "\\".join(f"{v:g}" for v in a)
    if not np.isfinite(a).all():
        return None, f"{quoted} holds a value that is not a finite number"
    return a, quoted


def orientation_problem(iop: Vector | None) -> str | None:
    """Why an ImageOrientationPatient cannot define a slice plane, or None when it can.

    Six finite values, two directions of non-zero length, perpendicular within
    :data:`ORTHOGONAL_TOL` (after normalising: slightly non-unit cosines are accepted).
    """
    a, quoted = _finite(iop, "ImageOrientationPatient", 6)
    if a is None:
        return quoted
    norms = (float(np.linalg.norm(a[:3])), float(np.linalg.norm(a[3:])))
    for name, norm in zip(("row", "column"), norms):
        if not math.isfinite(norm) or norm < 1e-6:
            return f"{quoted} has a zero-length {name} direction"
    cos = abs(float(a[:3] @ a[3:])) / (norms[0] * norms[1])
    if cos > 1 - 1e-6:
        return f"{quoted}: the row and column directions are parallel"
    if cos > ORTHOGONAL_TOL:
        return f"{quoted} is not orthogonal (row . column = {cos:.3f})"
    return None


def position_problem(ipp: Vector | None) -> str | None:
    """Why an ImagePositionPatient is unusable (None when it is 3 finite values within
    :data:`MAX_POSITION_MM` of the origin)."""
    a, quoted = _finite(ipp, "ImagePositionPatient", 3)
    if a is None:
        return quoted
    if float(np.abs(a).max()) > MAX_POSITION_MM:
        return f"{quoted} is more than {MAX_POSITION_MM:g} mm from the origin"
    return None


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


def same_orientation(a: Vector, b: Vector, tol: float = SAME_ORIENTATION_TOL) -> bool:
    """True when two IOPs describe the same plane (direction cosines equal within ``tol``)."""
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=0.0, atol=tol))


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
