"""Fixtures for the annotation model tests: stack geometries and a small reading."""

from __future__ import annotations

import pytest

from annotation.reading import Reading
from viewer.geometry import StackGeometry

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)
PAIR = ("P1", "E1")


def make_geometry(pixel_spacing=(0.7, 1.3), iop=AXIAL, rows=256, columns=200, n=10):
    positions = [(0.0, 0.0, 5.0 * k) if iop == AXIAL else (0.0, 5.0 * k, 0.0) for k in range(n)]
    geo, _ = StackGeometry.from_slices(rows, columns, iop, positions, pixel_spacing)
    return geo


@pytest.fixture
def geometry() -> StackGeometry:
    """Axial, non-square pixels: rows 0.7 mm apart, columns 1.3 mm apart."""
    return make_geometry()


@pytest.fixture
def reading() -> Reading:
    r = Reading(reader="R1")
    r.add_patient("P1", "Doe^Jane")
    r.add_exam_pair("P1", "E1", ct_study_uid="1.2.3", mri_study_uid="1.2.4", ct_date="2024-01-10",
                    mri_date="2024-02-01")
    return r
