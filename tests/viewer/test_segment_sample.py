"""viewer.segment on the sample phantoms (sample_dicom + ground truth), as bench/bench_suggest.py
measures it: every lesion >= 10 mm visible on a series, clicked within its inner half on a slice
next to its largest, against ``axial_diameter_on_slice_mm``.

The MRI series meet the issue's goals with margins for the machine-independent seeded clicks
(figures in viewer/README.md). CT does not: the assertions below hold what it reaches today (the
goals are 0.5 mm MAE, +-2 mm limits, 95 % suggested; see the README), so a regression fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench import bench_suggest as bs

pytestmark = pytest.mark.slow  # about 15 s: three patients' series decoded

MR = ("mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal")


@pytest.fixture(scope="module")
def outcomes(sample_dicom: Path) -> list[bs.Outcome]:
    cache: dict[tuple[str, str], Any] = {}

    def volumes(patient: str, role: str) -> Any:
        if (patient, role) not in cache:
            cache[(patient, role)] = bs.load(patient, role, sample_dicom)
        return cache[(patient, role)]

    groups = bs.cases(volumes, np.random.default_rng(bs.SEED), sample=sample_dicom)  # the bench's clicks
    return [bs.suggest(g[0]) for g in groups]


def _rows(outcomes: list[bs.Outcome], roles: tuple[str, ...]) -> dict[str, Any]:
    return bs.summary([o for o in outcomes if o.case.role in roles])


@pytest.mark.parametrize("role", MR)
def test_mri_series_mean_absolute_error_within_the_goal(outcomes: list[bs.Outcome], role: str) -> None:
    row = _rows(outcomes, (role,))
    goal = {"mr_dwi": 1.5}.get(role, 1.0)
    margin = {"mr_t1_arterial": 0.5, "mr_t1_portal": 1.0}.get(role, 0.0)  # goal not met there: figure in README
    assert row["n"] >= 9 and row["mae_mm"] <= goal + margin, row


def test_mri_suggestion_rate_and_limits_of_agreement(outcomes: list[bs.Outcome]) -> None:
    row = _rows(outcomes, MR)
    assert row["rate"] >= 0.9, row  # goal 0.95 (0.94 today)
    assert row["loa_low_mm"] >= -5.0 and row["loa_high_mm"] <= 5.0, row  # goal +-2 mm
    assert row["over_5mm"] <= 2, row


def test_dwi_and_t2fs_bias_small_against_the_study_effect(outcomes: list[bs.Outcome]) -> None:
    """The suggestion must not create a DWI - T2FS difference: the study's effect is +0.8 mm."""
    for role in ("mr_dwi", "mr_t2fs"):
        assert abs(_rows(outcomes, (role,))["bias_mm"]) <= 0.5
    paired = bs.paired_difference(outcomes)
    assert paired["n"] >= 5 and abs(paired["suggested_minus_truth_mm"]) <= 0.8, paired


def test_ct_today(outcomes: list[bs.Outcome]) -> None:
    """CT misses the goals (correlated noise at 14-16 HU against 22-60 HU of contrast, vessels as
    bright as the lesions on arterial phase): what it reaches now, as a floor."""
    row = _rows(outcomes, ("ct_arterial", "ct_portal"))
    assert row["n"] >= 20 and row["rate"] >= 0.8 and row["mae_mm"] <= 4.0, row
