"""What the sorted slice positions of a stack say: spacing, gaps, duplicates, gantry tilt.

Policy with its tolerances and warning texts, apart from the transforms that use its answer
(:mod:`viewer.geometry.stack`). Conventions: see :mod:`viewer.geometry`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from viewer.geometry.directions import Vector

#: Two slice positions closer than this along the normal are the same position (mm).
DUPLICATE_TOL_MM = 0.01
#: Relative tolerance for "regular" spacing.
REGULAR_REL_TOL = 0.02
#: Absolute tolerance for "regular" spacing (mm), whichever is larger.
REGULAR_ABS_TOL_MM = 0.01
#: Shear angle above which a stack is reported as tilted.
TILT_LIMIT_DEG = 0.5


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
