"""Every real scanner folder in ../shared/realdicom loads with the facts its MANIFEST.md lists.

Pixels are compared with pydicom's own decoding; geometry with SimpleITK where SimpleITK is right
and with the headers where the MANIFEST says it is wrong (the GE gantry-tilted CT).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.pixels import apply_rescale

from tests.viewer.stackhelp import stack_from_files
from viewer.geometry import Orientation, slice_normal
from viewer.loader import Volume, load_stack
from viewer.records import StackInfo


def stacks_by(stack: StackInfo, key) -> list[StackInfo]:
    """Split a stack's images by ``key(header)``, the way MANIFEST describes the stacks."""
    groups: dict = {}
    for h in stack.images:
        groups.setdefault(key(h), []).append(h)
    return [dataclasses.replace(stack, images=tuple(v), n_slices=len(v)) for _, v in sorted(groups.items())]


def sorted_paths(stack: StackInfo) -> list[str]:
    """File paths sorted along the slice normal straight from the headers (reference order)."""
    n = slice_normal(stack.images[0].orientation)
    return [h.file.path for h in sorted(stack.images, key=lambda h: float(np.dot(h.position_mm, n)))]


def pydicom_volume(paths: list[str]) -> np.ndarray:
    dss = [pydicom.dcmread(p) for p in paths]
    return np.stack([apply_rescale(ds.pixel_array, ds) for ds in dss])


def sitk_image(paths: list[str]) -> sitk.Image:
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(paths)
    return reader.Execute()


def check_common(vol: Volume, n: int, rows: int, cols: int, spacing: float, slice_mm: float,
                 plane: Orientation, angle_deg: float) -> None:
    g = vol.geometry
    assert vol.array.shape == (n, rows, cols) and vol.complete
    assert g.pixel_spacing_mm == pytest.approx((spacing, spacing), abs=1e-7)
    assert g.slice_spacing_mm == pytest.approx(slice_mm, abs=2e-3)
    assert g.orientation is plane and g.orientation_angle_deg == pytest.approx(angle_deg, abs=0.02)


def check_against_references(vol: Volume) -> None:
    """Pixels identical to pydicom; size/spacing/origin/direction/voxel positions as SimpleITK."""
    paths = sorted_paths(vol.stack)
    np.testing.assert_array_equal(vol.array, pydicom_volume(paths))
    img = sitk_image(paths)
    g = vol.geometry
    assert img.GetSize() == g.sitk_size()
    np.testing.assert_allclose(img.GetSpacing(), g.sitk_spacing(), rtol=1e-4)
    np.testing.assert_allclose(img.GetOrigin(), g.origin_mm, atol=1e-3)
    np.testing.assert_allclose(img.GetDirection(), g.sitk_direction(), atol=1e-4)
    for idx in [(0, 0, 0), (g.columns - 1, g.rows - 1, g.n_slices - 1), (5, 9, g.n_slices // 2)]:
        np.testing.assert_allclose(img.TransformIndexToPhysicalPoint(idx),
                                   g.index_to_patient(idx[2], idx[1], idx[0]), atol=2e-3)
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(img), vol.array)


@pytest.fixture(scope="module")
def dwi(realdicom: Path) -> list[Volume]:
    stack = stack_from_files(sorted((realdicom / "siemens_dwi_b50_400_800").glob("*.IMA")))
    return [load_stack(s) for s in stacks_by(stack, lambda h: (h.instance_number - 1) // 30)]


def test_siemens_dwi_three_coronal_stacks(dwi: list[Volume]) -> None:
    assert len(dwi) == 3
    for vol in dwi:
        check_common(vol, 30, 384, 312, 0.98958331346512, 6.0, Orientation.CORONAL, 0.12)
        assert vol.array.dtype == np.uint16 and 0 <= vol.array.min() and vol.array.max() <= 4095
        assert vol.geometry.spacing_regular and vol.warnings == () and vol.units == ""
        span = vol.geometry.slice_projections_mm[-1] - vol.geometry.slice_projections_mm[0]
        assert span == pytest.approx(174.0, abs=0.01)
    np.testing.assert_allclose(dwi[0].geometry.positions_mm, dwi[2].geometry.positions_mm)  # same 30 positions
    check_against_references(dwi[2])


def test_siemens_t1_dynamic_three_time_points(realdicom: Path) -> None:
    stack = stack_from_files(sorted((realdicom / "siemens_t1_dynamic").iterdir()))
    vols = [load_stack(s) for s in stacks_by(stack, lambda h: (h.instance_number - 1) // 3)]
    assert len(vols) == 3
    for vol in vols:
        check_common(vol, 3, 192, 152, 2.0833332538605, 3.0, Orientation.CORONAL, 0.12)
        assert vol.array.dtype == np.uint16 and vol.array.max() <= 1136
        check_against_references(vol)


def test_ge_adc_oblique_axial_feet_first(realdicom: Path) -> None:
    paths = sorted((realdicom / "ge_adc_map" / "pm-example-dcm" / "701-ADCb500").glob("*.dcm"))
    vol = load_stack(stack_from_files(paths))
    check_common(vol, 20, 256, 256, 0.7031, 3.0, Orientation.AXIAL, 10.0)
    assert vol.array.dtype == np.int16 and vol.array.min() >= 0 and vol.array.max() <= 4095
    assert vol.geometry.spacing_regular
    assert vol.warnings == ("the slices are 10.0° off the axial plane (ImageOrientationPatient): lengths drawn on"
                            " them are not strictly axial",)
    check_against_references(vol)


@pytest.fixture(scope="module")
def ge_ct(realdicom: Path) -> Volume:
    return load_stack(stack_from_files(sorted((realdicom / "ge_ct_gantry_tilt").glob("*.dcm"))))


def test_ge_ct_tilt_and_irregular_spacing_from_headers(ge_ct: Volume) -> None:
    g = ge_ct.geometry
    assert ge_ct.array.shape == (28, 512, 512) and ge_ct.array.dtype == np.int16 and ge_ct.units == "HU"
    assert g.pixel_spacing_mm == pytest.approx((0.4882812, 0.4882812))
    assert g.tilt_deg == pytest.approx(18.5, abs=0.05)
    assert g.orientation is Orientation.AXIAL and g.orientation_angle_deg == pytest.approx(18.5, abs=0.05)
    steps = np.diff(g.slice_projections_mm)
    np.testing.assert_allclose(steps[:13], 4.002, atol=2e-3)
    assert steps[13] == pytest.approx(1.081, abs=2e-3)
    np.testing.assert_allclose(steps[14:], 6.999, atol=2e-3)
    table = np.linalg.norm(np.diff(np.asarray(g.positions_mm), axis=0), axis=1)
    np.testing.assert_allclose(table[:13], 4.22, atol=0.01)
    shear = np.asarray(g.positions_mm[-1]) - np.asarray(g.positions_mm[0])
    in_plane = shear - (shear @ g.normal) * g.normal
    assert np.linalg.norm(in_plane) == pytest.approx(48.2, abs=0.1)
    assert not g.spacing_regular
    text = " | ".join(ge_ct.warnings)
    assert "gantry tilt" in text and "18.5" in text and "irregular" in text
    assert ge_ct.array.min() == -1500 and ge_ct.array.max() == 2121
    # slices 1-14 are the 4 mm reconstruction, 15-28 the 7 mm one: sorted along the normal
    assert [h.instance_number for h in ge_ct.stack.images] and sorted(
        h.instance_number for h in ge_ct.stack.images) == list(range(1, 29))


def test_ge_ct_simpleitk_is_wrong_here_positions_come_from_headers(ge_ct: Volume) -> None:
    paths = sorted_paths(ge_ct.stack)
    np.testing.assert_array_equal(ge_ct.array, pydicom_volume(paths))
    img = sitk_image(paths)
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(img), ge_ct.array)  # same pixels
    assert img.GetSpacing()[2] == pytest.approx(5.6274, abs=1e-3)  # one mean table step
    g = ge_ct.geometry
    for k, path in enumerate(paths):
        ipp = np.asarray(pydicom.dcmread(path, stop_before_pixels=True).ImagePositionPatient, float)
        np.testing.assert_allclose(g.index_to_patient(k, 0, 0), ipp, atol=1e-4)  # ours: the header
    top = np.asarray(img.TransformIndexToPhysicalPoint((0, 0, 27)))
    assert np.linalg.norm(top - g.index_to_patient(27, 0, 0)) > 40  # SimpleITK misplaces the top slice
