"""Rigid refinement with SimpleITK: Euler3D, Mattes mutual information, multi-resolution.

ITK's registration maps *fixed* physical points into the *moving* image (x_moving = T x_fixed);
:func:`refine` returns that 4x4 matrix and the caller inverts it when it needs moving -> fixed.
A command observer checks a cancel event and a deadline at every iteration and stops the
optimiser there (``StopRegistration``), so a worker thread can be told to give up at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
import SimpleITK as sitk

from viewer.registration.prepare import Coarse
from viewer.registration.proposal import RegistrationParams
from viewer.registration.search import Budget


class Stop(str, Enum):
    CONVERGED = "converged"  # the optimiser's own criteria (step or iteration count)
    CANCELLED = "cancelled"
    TIME_LIMIT = "time limit"


@dataclass(frozen=True)
class Refined:
    fixed_to_moving: np.ndarray  # 4x4, mm
    iterations: int
    stop: Stop


def to_affine(transform: sitk.Transform) -> np.ndarray:
    """The 4x4 matrix of a linear SimpleITK transform, read off the images of the origin and axes."""
    origin = np.asarray(transform.TransformPoint((0.0, 0.0, 0.0)), float)
    a = np.eye(4)
    for j in range(3):
        a[:3, j] = np.asarray(transform.TransformPoint(tuple(float(v) for v in np.eye(3)[j])), float) - origin
    a[:3, 3] = origin
    return a


def _rigid_start(fixed_to_moving: np.ndarray, centre_mm: np.ndarray) -> sitk.Euler3DTransform:
    t = sitk.Euler3DTransform()
    t.SetCenter(tuple(float(v) for v in centre_mm))
    t.SetMatrix(tuple(float(v) for v in fixed_to_moving[:3, :3].ravel()))
    offset = fixed_to_moving[:3, 3] + fixed_to_moving[:3, :3] @ centre_mm - centre_mm
    t.SetTranslation(tuple(float(v) for v in offset))
    return t


def _radius_mm(fixed: Coarse, focus: np.ndarray, centre_mm: np.ndarray) -> float:
    """Root-mean-square distance of the focus region from the rotation centre."""
    pts = fixed.points_mm(focus)
    return float(np.sqrt(((pts - centre_mm) ** 2).sum(axis=1).mean()))


@dataclass(frozen=True)
class Stage:
    """One optimisation: the fixed region it looks at, whether it may rotate, its levels."""

    focus: np.ndarray  # bool mask on the fixed coarse grid
    rotate: bool  # False: translation only, the rotation stays that of the start
    shrink_factors: tuple[int, ...]
    smoothing_voxels: tuple[float, ...]
    sampling_fractions: tuple[float, ...]


def refine(fixed: Coarse, moving: Coarse, stage: Stage, start: np.ndarray, params: RegistrationParams,
           budget: Budget, moving_focus: np.ndarray | None = None) -> Refined:
    """Rigid registration from ``start`` (4x4, fixed -> moving) over the stage's fixed focus mask
    (and the moving one, when given), rotating about the focus region's centre."""
    centre_mm = fixed.centre_mm(stage.focus)
    reg = sitk.ImageRegistrationMethod()
    reg.SetNumberOfThreads(params.threads)
    reg.SetMetricAsMattesMutualInformation(params.histogram_bins)
    reg.SetMetricSamplingStrategy(reg.REGULAR)  # a smooth metric: the same points every iteration
    reg.SetMetricSamplingPercentagePerLevel(list(stage.sampling_fractions), params.seed)
    reg.SetMetricFixedMask(fixed.mask_image(stage.focus))
    if moving_focus is not None:
        reg.SetMetricMovingMask(moving.mask_image(moving_focus))
    # The gradient at the sample points only: an image-wide gradient filter costs more than the
    # iterations on grids this small.
    reg.SetMetricUseFixedImageGradientFilter(False)
    reg.SetMetricUseMovingImageGradientFilter(False)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsRegularStepGradientDescent(
        learningRate=params.learning_rate_mm, minStep=params.min_step_mm,
        numberOfIterations=params.max_iterations, relaxationFactor=0.6, gradientMagnitudeTolerance=1e-8)
    # One unit of each parameter moves the focus region by about one mm: a radian turns it by its
    # radius. ITK's physical-shift estimate takes the radius of the whole image, which leaves a
    # liver-sized region's rotation steps ten times too small (the rotation is then left half done).
    radius = _radius_mm(fixed, stage.focus, centre_mm)
    reg.SetOptimizerScales([radius ** 2] * 3 + [1.0] * 3)
    if not stage.rotate:
        reg.SetOptimizerWeights([0.0] * 3 + [1.0] * 3)
    reg.SetShrinkFactorsPerLevel(list(stage.shrink_factors))
    reg.SetSmoothingSigmasPerLevel(list(stage.smoothing_voxels))
    reg.SmoothingSigmasAreSpecifiedInPhysicalUnitsOff()
    reg.SetInitialTransform(_rigid_start(start, centre_mm), inPlace=False)

    progress = _Progress()

    def observe() -> None:
        progress.iterations += 1
        if budget.cancelled:
            progress.stop = Stop.CANCELLED
        elif budget.expired:
            progress.stop = Stop.TIME_LIMIT
        if progress.stop is not Stop.CONVERGED:
            reg.StopRegistration()

    reg.AddCommand(sitk.sitkIterationEvent, observe)  # once stopped, a later level stops at its first step
    result = reg.Execute(fixed.image, moving.image)
    return Refined(to_affine(result), progress.iterations, progress.stop)


@dataclass
class _Progress:
    """What the iteration observer has seen (mutable: the observer writes it)."""

    iterations: int = 0
    stop: Stop = Stop.CONVERGED
