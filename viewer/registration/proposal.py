"""The records of a registration: its parameters and the alignment it proposes.

The matrix convention is that of :class:`annotation.records.Alignment`, which stores what the
reader confirms: a 3x4 affine [R | t] in row-major order (12 numbers, mm) taking patient LPS mm
of the *moving* exam's frame of reference into the *fixed* one's, ``x_fixed = R x_moving + t``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Sequence

import numpy as np

from viewer.errors import ValidationError

#: A rigid proposal farther than this from where the images' initial overlap put it is absurd.
MAX_DEPARTURE_MM = 100.0
#: A rotation between two exams of a patient lying on a table larger than this is absurd.
MAX_ROTATION_DEG = 20.0


class Focus(str, Enum):
    """Which part of the fixed image the metric looks at."""

    LIVER = "liver"  # the liver, found on the CT: its lesions are aligned
    BODY = "body"  # the whole body: what moves with the table, not with breathing
    REGION = "region"  # the caller's mask (a liver segmentation, a box around a lesion)

    @classmethod
    def parse(cls, value: "str | Focus") -> "Focus":
        try:
            return value if isinstance(value, Focus) else cls(str(value).strip().lower())
        except ValueError:
            raise ValidationError(f"{value!r} is not a focus ({', '.join(f.value for f in cls)})",
                                  where="focus") from None


class Outcome(str, Enum):
    """How far the proposal may be trusted."""

    PROPOSED = "proposed"  # the images agree: open the pair aligned with it
    UNCERTAIN = "uncertain"  # usable as a start, but say why and invite the landmark link
    REFUSED = "refused"  # it clearly failed: do not align with it


def _positive(name: str, value: float) -> float:
    x = float(value)
    if not math.isfinite(x) or x <= 0:
        raise ValidationError(f"{name} must be a positive number, got {value!r}", where=name)
    return x


@dataclass(frozen=True)
class RegistrationParams:
    """Settings of :func:`viewer.registration.propose_alignment` (the defaults are the measured ones)."""

    grid_mm: float = 4.0  # the volumes are block-averaged to about this spacing
    # Multi-resolution levels on that grid (8 mm, 4 mm): the body stage runs on all but the last
    # when a liver stage follows (which runs on the last), on all of them otherwise.
    shrink_factors: tuple[int, ...] = (2, 1)
    smoothing_voxels: tuple[float, ...] = (1.0, 0.0)
    sampling_fractions: tuple[float, ...] = (0.3, 0.1)  # of the region's voxels per level (regular, jittered)
    max_iterations: int = 60  # per level
    liver_rotates: bool = False  # the liver stage moves the liver against the body by translation only
    histogram_bins: int = 32  # Mattes mutual information
    learning_rate_mm: float = 2.0
    min_step_mm: float = 0.05
    search_step_mm: float | None = None  # craniocaudal search step; None: the fixed grid's slice step
    min_overlap: float = 0.8  # of the focus region inside the moving volume, for a search position
    time_limit_s: float = 5.0  # the optimiser is stopped there (the proposal is then uncertain)
    threads: int = 1  # ITK threads: one leaves the other core to decoding and the GUI
    seed: int = 2024

    def __post_init__(self) -> None:
        _positive("grid_mm", self.grid_mm)
        _positive("learning_rate_mm", self.learning_rate_mm)
        _positive("min_step_mm", self.min_step_mm)
        _positive("time_limit_s", self.time_limit_s)
        if self.search_step_mm is not None:
            _positive("search_step_mm", self.search_step_mm)
        if not 0 < self.min_overlap <= 1:
            raise ValidationError("min_overlap is a fraction in (0, 1]", where="min_overlap")
        shrink = tuple(int(s) for s in self.shrink_factors)
        sigmas = tuple(float(s) for s in self.smoothing_voxels)
        fractions = tuple(float(s) for s in self.sampling_fractions)
        if (not shrink or not len(shrink) == len(sigmas) == len(fractions) or min(shrink) < 1 or min(sigmas) < 0
                or not all(0 < f <= 1 for f in fractions)):
            raise ValidationError(f"one shrink factor (>= 1), one smoothing (>= 0) and one sampling fraction (0, 1] "
                                  f"per level, got {shrink}, {sigmas} and {fractions}", where="shrink_factors")
        object.__setattr__(self, "shrink_factors", shrink)
        object.__setattr__(self, "smoothing_voxels", sigmas)
        object.__setattr__(self, "sampling_fractions", fractions)
        for name in ("max_iterations", "histogram_bins", "threads"):
            if int(getattr(self, name)) < 1:
                raise ValidationError(f"{name} must be at least 1", where=name)
        if self.histogram_bins < 4:
            raise ValidationError("histogram_bins must be at least 4", where="histogram_bins")


def rotation_angle_deg(rotation: np.ndarray) -> float:
    """Angle of a 3x3 rotation matrix (axis-angle), degrees."""
    c = (float(np.trace(rotation)) - 1.0) / 2.0
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def _matrix(values: Sequence[float]) -> tuple[float, ...]:
    m = tuple(float(x) for x in values)
    if len(m) != 12 or not all(math.isfinite(x) for x in m):
        raise ValidationError(f"expected 12 finite numbers (3x4 row-major), got {len(m)}", where="matrix")
    rot = np.asarray(m, float).reshape(3, 4)[:, :3]
    if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-4) or np.linalg.det(rot) < 0:
        raise ValidationError("the 3x3 part is not a rotation (rigid transforms only)", where="matrix")
    return m


@dataclass(frozen=True)
class AlignmentProposal:
    """What the images say about the rigid transform from the moving exam to the fixed one.

    ``matrix`` follows :class:`annotation.records.Alignment` (x_fixed = R x_moving + t, row-major
    3x4, mm). The mutual information is measured in nats on the focus region, on one sample of
    points, at the initial overlap and at the result, so the two compare.
    """

    matrix: tuple[float, ...]
    outcome: Outcome
    reason: str  # why uncertain or refused; empty when proposed
    focus: Focus  # the region of the last stage (LIVER falls back to BODY when not found: see reason)
    mutual_information_start_nats: float
    mutual_information_final_nats: float
    chance_nats: float  # mutual information of the same values paired at random (the estimator's bias)
    information_ratio: float  # final mutual information / its median along the search (unrelated: ~1)
    overlap_fraction: float  # of the focus region inside the moving volume at the result
    departure_mm: float  # how far the refinement moved the focus centre from the search's position
    iterations: int
    elapsed_ms: float  # wall clock, preparation included
    warnings: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "matrix", _matrix(self.matrix))
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "focus", Focus.parse(self.focus))
        object.__setattr__(self, "warnings", tuple(str(w) for w in self.warnings))
        if self.outcome is not Outcome.PROPOSED and not self.reason:
            raise ValidationError("an uncertain or refused proposal says why", where="reason")
        if self.iterations < 0 or self.elapsed_ms < 0:
            raise ValidationError("iterations and time cannot be negative", where="iterations")

    @property
    def affine(self) -> np.ndarray:
        """The 4x4 homogeneous matrix (moving mm -> fixed mm)."""
        m = np.eye(4)
        m[:3, :] = np.asarray(self.matrix, float).reshape(3, 4)
        return m

    @property
    def translation_mm(self) -> tuple[float, float, float]:
        return (self.matrix[3], self.matrix[7], self.matrix[11])

    @property
    def rotation_deg(self) -> float:
        return rotation_angle_deg(self.affine[:3, :3])

    @property
    def usable(self) -> bool:
        """True unless refused: the pair may open aligned with it (uncertain ones say so)."""
        return self.outcome is not Outcome.REFUSED

    def apply(self, point_mm: "Sequence[float] | np.ndarray") -> tuple[float, float, float]:
        """A moving-frame point in the fixed frame."""
        p = self.affine @ np.append(np.asarray(point_mm, float), 1.0)
        return (float(p[0]), float(p[1]), float(p[2]))

    def summary(self) -> str:
        """One line for a status bar or an Alignment's note."""
        t = ", ".join(f"{v:.1f}" for v in self.translation_mm)
        text = (f"{self.outcome.value} ({self.focus.value}): t = ({t}) mm, {self.rotation_deg:.1f}°, "
                f"MI {self.mutual_information_start_nats:.2f} -> {self.mutual_information_final_nats:.2f}, "
                f"{self.iterations} it, {self.elapsed_ms:.0f} ms")
        return f"{text}: {self.reason}" if self.reason else text

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["outcome"], d["focus"] = self.outcome.value, self.focus.value
        d["matrix"], d["warnings"] = list(self.matrix), list(self.warnings)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "AlignmentProposal":
        return cls(**{**d, "matrix": tuple(d["matrix"]), "warnings": tuple(d.get("warnings", ()))})
