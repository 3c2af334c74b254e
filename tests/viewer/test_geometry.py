"""viewer.geometry on its own: conventions, spacing analysis, tilt, round trips, SimpleITK agreement."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.dicomgen import AXIAL_IOP, CORONAL_IOP, SAGITTAL_IOP, axial_positions, tilted_stack, write_series
from viewer.geometry import (
    Orientation,
    SpacingSource,
    StackGeometry,
    analyse_spacing,
    classify_orientation,
    in_plane_distance_mm,
    orientation_problem,
    patient_orientation_labels,
    position_problem,
    same_view_centre,
    slice_normal,
)

# GE ADC map (MANIFEST ge_adc_map): axial, 10 degrees oblique.
GE_ADC_IOP = (0.999981, 0.00479, 0.00388, -0.0054, 0.98476, 0.17386)


def geo(positions, iop=AXIAL_IOP, spacing=(1.0, 1.0), rows=8, cols=10, **kw) -> tuple[StackGeometry, np.ndarray]:
    return StackGeometry.from_slices(rows, cols, iop, positions, spacing, **kw)


class TestNonSquarePixels:
    def setup_method(self) -> None:
        self.g, _ = geo(axial_positions(3, 2.0, origin=(10, 20, 30)), spacing=(0.5, 0.8))

    def test_row_step_moves_along_column_direction_by_row_spacing(self) -> None:
        d = self.g.index_to_patient(0, 1, 0) - self.g.index_to_patient(0, 0, 0)
        np.testing.assert_allclose(d, [0, 0.5, 0])

    def test_column_step_moves_along_row_direction_by_column_spacing(self) -> None:
        d = self.g.index_to_patient(0, 0, 1) - self.g.index_to_patient(0, 0, 0)
        np.testing.assert_allclose(d, [0.8, 0, 0])

    def test_distances_along_rows_and_columns(self) -> None:
        assert self.g.distance_mm((0, 0), (10, 0)) == pytest.approx(5.0)  # 10 rows down
        assert self.g.distance_mm((0, 0), (0, 10)) == pytest.approx(8.0)  # 10 columns across
        assert self.g.distance_mm((0, 0), (3, 4)) == pytest.approx(math.hypot(1.5, 3.2))

    def test_aspect_and_sitk_order(self) -> None:
        assert self.g.pixel_aspect == pytest.approx(0.5 / 0.8)
        assert self.g.sitk_spacing() == pytest.approx((0.8, 0.5, 2.0))
        assert self.g.sitk_size() == (10, 8, 3)

    def test_origin_is_first_ipp(self) -> None:
        np.testing.assert_allclose(self.g.index_to_patient(0, 0, 0), [10, 20, 30])


class TestSliceOrder:
    def test_shuffled_slices_sorted_along_normal(self) -> None:
        pos = axial_positions(9, 1.5)
        perm = np.random.default_rng(3).permutation(9)
        g, order = geo([pos[i] for i in perm])
        np.testing.assert_allclose(g.positions_mm, pos)
        assert [int(perm[i]) for i in order] == list(range(9))

    def test_reversed_slices(self) -> None:
        pos = axial_positions(5, 3.0)
        g, order = geo(pos[::-1])
        assert list(order) == [4, 3, 2, 1, 0]
        assert g.slice_spacing_mm == pytest.approx(3.0) and g.spacing_regular

    def test_coronal_sorts_along_its_own_normal(self) -> None:
        # coronal normal r x c = (1,0,0) x (0,0,-1) = (0,1,0): ascending y (posterior)
        pos = [(0, y, 0) for y in (6.0, -3.0, 0.0, 3.0)]
        g, order = geo(pos, iop=CORONAL_IOP)
        np.testing.assert_allclose(g.normal, [0, 1, 0])
        assert [p[1] for p in g.positions_mm] == [-3.0, 0.0, 3.0, 6.0]
        assert g.orientation is Orientation.CORONAL


class TestSpacing:
    def test_gap_is_reported(self) -> None:
        proj = [0, 2, 4, 6, 12, 14, 16, 18, 20]
        r = analyse_spacing(proj)
        assert r.spacing_mm == pytest.approx(2.0)
        assert r.gaps == (3,) and not r.regular
        assert any("gap" in w and "6.00 mm after slice 4" in w for w in r.warnings)

    def test_duplicate_positions(self) -> None:
        g, _ = geo([(0, 0, z) for z in (0, 1, 1, 2, 3)])
        assert g.spacing_report.duplicates == (1,)
        assert g.slice_spacing_mm == pytest.approx(1.0)
        assert any("duplicate" in w for w in g.warnings)

    def test_two_reconstructions_are_irregular_not_gaps(self) -> None:
        # GE head CT in MANIFEST: 4.002 x 13, 1.081, 6.999 x 13 along the normal
        proj = np.cumsum([0] + [4.002] * 13 + [1.081] + [6.999] * 13)
        r = analyse_spacing(proj)
        assert not r.regular and r.gaps == ()
        assert any("irregular" in w for w in r.warnings)

    def test_regular_stack_has_no_warnings(self) -> None:
        g, _ = geo(axial_positions(20, 0.625))
        assert g.spacing_regular and g.warnings == () and g.slice_spacing_mm == pytest.approx(0.625)

    def test_single_slice(self) -> None:
        g, _ = geo([(1, 2, 3)], slice_thickness_mm=5.0)
        assert g.slice_spacing_mm is None
        np.testing.assert_allclose(g.patient_to_index(g.index_to_patient(2.0, 3, 4)), [2, 3, 4])


class TestTilt:
    def test_ge_style_shear(self) -> None:
        iop, pos = tilted_stack(14, 18.5, 4.002)
        g, _ = geo(pos, iop=iop, gantry_tilt_deg=18.5)
        assert g.tilt_deg == pytest.approx(18.5, abs=1e-6)
        assert g.slice_spacing_mm == pytest.approx(4.002)
        assert g.orientation is Orientation.AXIAL and g.orientation_angle_deg == pytest.approx(18.5)
        assert any("gantry tilt" in w and "18.5" in w for w in g.warnings)
        # every slice keeps its own IPP: voxel (k, 0, 0) is exactly IPP_k, not origin + k * spacing * n
        for k in (0, 7, 13):
            np.testing.assert_allclose(g.index_to_patient(k, 0, 0), pos[k], atol=1e-9)
        naive = np.asarray(pos[0]) + 13 * 4.002 * g.normal
        assert np.linalg.norm(naive - np.asarray(pos[13])) > 15  # what a regular grid would get wrong

    def test_no_tilt_for_straight_stack(self) -> None:
        g, _ = geo(axial_positions(5, 2.0))
        assert g.tilt_deg == pytest.approx(0.0)


class TestOrientation:
    @pytest.mark.parametrize("iop, plane", [(AXIAL_IOP, Orientation.AXIAL), (CORONAL_IOP, Orientation.CORONAL),
                                            (SAGITTAL_IOP, Orientation.SAGITTAL)])
    def test_planes(self, iop, plane) -> None:
        assert classify_orientation(slice_normal(iop)) == (plane, pytest.approx(0.0))

    def test_ten_degree_oblique_axial_is_axial(self) -> None:
        plane, angle = classify_orientation(slice_normal(GE_ADC_IOP))
        assert plane is Orientation.AXIAL and angle == pytest.approx(10.0, abs=0.05)

    @pytest.mark.parametrize(("degrees", "said"), [(0.0, False), (4.0, False), (10.0, True), (25.0, True)])
    def test_a_plane_named_axial_but_tilted_says_by_how_much(self, degrees: float, said: bool) -> None:
        """A stack 10-30 degrees off the axial plane is still called axial (the ADC map of the MANIFEST is
        'axial, oblique by 10.0'), and nothing said so: a 'longest axial diameter' drawn there is in a plane
        tilted that much (up to 1/cos = +10 % at 25 degrees)."""
        a = math.radians(degrees)
        iop = (1, 0, 0, 0, math.cos(a), math.sin(a))
        n = np.cross(iop[:3], iop[3:])
        g, _ = geo([tuple(n * 5 * k) for k in range(3)], iop=iop)
        notes = [w for w in g.warnings if "off the axial plane" in w]
        assert g.orientation is Orientation.AXIAL
        assert notes == ([f"the slices are {degrees:.1f}° off the axial plane (ImageOrientationPatient): lengths"
                          " drawn on them are not strictly axial"] if said else [])

    def test_45_degrees_is_oblique(self) -> None:
        c = math.cos(math.radians(45))
        assert classify_orientation(slice_normal((1, 0, 0, 0, c, -c)))[0] is Orientation.OBLIQUE

    def test_labels(self) -> None:
        assert patient_orientation_labels((1, 0, 0)) == "L"
        assert patient_orientation_labels((0, 0, -1)) == "F"
        assert patient_orientation_labels((0.7, 0.7, 0)) in ("LP", "PL")


class TestSpacingSources:
    def test_imager_spacing_warns(self) -> None:
        g, _ = geo(axial_positions(2), spacing=(0.3, 0.3), spacing_source=SpacingSource.IMAGER_PIXEL_SPACING)
        assert g.measurable and any("ImagerPixelSpacing" in w for w in g.warnings)

    def test_no_spacing_not_measurable(self) -> None:
        g, _ = geo(axial_positions(2), spacing=None)
        assert not g.measurable and "PixelSpacing" in (g.not_measurable_reason or "")
        with pytest.raises(ValueError):
            g.distance_mm((0, 0), (1, 1))


def _rotation(a: float, b: float, c: float) -> np.ndarray:
    ca, sa, cb, sb, cc, sc = math.cos(a), math.sin(a), math.cos(b), math.sin(b), math.cos(c), math.sin(c)
    rx = np.array([[1, 0, 0], [0, ca, -sa], [0, sa, ca]])
    ry = np.array([[cb, 0, sb], [0, 1, 0], [-sb, 0, cb]])
    rz = np.array([[cc, -sc, 0], [sc, cc, 0], [0, 0, 1]])
    return rz @ ry @ rx


angles = st.floats(-math.pi, math.pi, allow_nan=False)
spacings = st.floats(0.2, 5.0)


@settings(max_examples=60, deadline=None)
@given(a=angles, b=angles, c=angles, rs=spacings, cs=spacings,
       steps=st.lists(st.floats(0.5, 8.0), min_size=1, max_size=6),
       shear=st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
       point=st.tuples(st.floats(-3, 9), st.floats(-50, 300), st.floats(-50, 300)))
def test_index_patient_round_trip(a, b, c, rs, cs, steps, shear, point) -> None:
    """Any orientation, non-square pixels, irregular steps, shear: index -> patient -> index."""
    m = _rotation(a, b, c)
    r, col_dir, n = m[:, 0], m[:, 1], m[:, 2]
    pos, z = [], 0.0
    for k, s in enumerate([0.0, *steps]):
        z += s
        pos.append(np.array([5, -7, 11]) + z * n + k * (shear[0] * r + shear[1] * col_dir))
    order = np.random.default_rng(len(steps)).permutation(len(pos))
    g, _ = StackGeometry.from_slices(64, 48, (*r, *col_dir), [pos[i] for i in order], (rs, cs))
    p = g.index_to_patient(*point)
    np.testing.assert_allclose(g.patient_to_index(p), point, atol=1e-6)
    np.testing.assert_allclose(g.index_to_patient(*g.patient_to_index(p)), p, atol=1e-6)


# --------------------------------------------------------------------- SimpleITK agreement
def sitk_read(paths: list[Path]) -> sitk.Image:
    reader = sitk.ImageSeriesReader()
    names = reader.GetGDCMSeriesFileNames(str(paths[0].parent))
    reader.SetFileNames(names)
    return reader.Execute()


def assert_matches_sitk(g: StackGeometry, img: sitk.Image) -> None:
    assert img.GetSize() == g.sitk_size()
    np.testing.assert_allclose(img.GetSpacing(), g.sitk_spacing(), rtol=1e-5)
    np.testing.assert_allclose(img.GetOrigin(), g.origin_mm, atol=1e-3)
    np.testing.assert_allclose(img.GetDirection(), g.sitk_direction(), atol=1e-4)
    # voxel (col, row, slice) in SimpleITK == (slice, row, col) here
    idx = (g.columns - 1, g.rows // 2, g.n_slices - 1)
    np.testing.assert_allclose(img.TransformIndexToPhysicalPoint(idx),
                               g.index_to_patient(idx[2], idx[1], idx[0]), atol=1e-3)


@pytest.mark.parametrize("iop", [AXIAL_IOP, CORONAL_IOP, SAGITTAL_IOP, GE_ADC_IOP])
def test_generated_stack_matches_simpleitk(tmp_path: Path, iop) -> None:
    n_vec = slice_normal(iop)
    pos = [tuple(np.array([-100.0, 50.0, 20.0]) + k * 2.5 * n_vec) for k in range(6)]
    perm = [3, 0, 5, 1, 4, 2]
    paths = write_series(tmp_path, np.zeros((6, 20, 30), np.int16), iop=iop,
                         positions=[pos[i] for i in perm], pixel_spacing=(0.6, 0.9))
    g, _ = StackGeometry.from_slices(20, 30, iop, [pos[i] for i in perm], (0.6, 0.9))
    assert_matches_sitk(g, sitk_read(paths))


class TestSliceFrames:
    """The plain-float pointer readout agrees with index_to_patient on every slice."""

    @pytest.mark.parametrize("spacing", [(0.5, 0.8), None])
    def test_matches_index_to_patient(self, spacing) -> None:
        iop, positions = tilted_stack(4, 12.0, 2.5, origin=(-3, 7, 40))
        g, _ = geo(positions, iop=iop, spacing=spacing)
        frames = g.slice_frames()
        for k in range(g.n_slices):
            for row, col in ((0, 0), (3.5, 7.25), (-1, 12)):
                np.testing.assert_allclose(frames.patient_point(k, row, col), g.index_to_patient(k, row, col))


class TestProjectionHelpers:
    """The helpers the viewer, the linking model and the annotation records share."""

    def setup_method(self) -> None:
        iop, positions = tilted_stack(5, 12.0, 2.5, origin=(-3, 7, 40))
        self.g, _ = geo(positions, iop=iop, spacing=(0.5, 0.8))

    def test_pixel_on_slice_inverts_index_to_patient(self) -> None:
        for k in (0, 2, 4):
            p = self.g.index_to_patient(k, 3.25, -1.5) + 4.0 * self.g.normal  # off the plane
            np.testing.assert_allclose(self.g.pixel_on_slice(p, k), (3.25, -1.5), atol=1e-9)

    def test_normal_parts(self) -> None:
        v = np.array([1.0, -2.0, 3.0])
        along = self.g.along_normal_mm(v)
        assert along == pytest.approx(float(v @ self.g.normal))
        np.testing.assert_allclose(self.g.normal_part_mm(v), along * self.g.normal)
        assert self.g.nearest_slice(self.g.index_to_patient(3, 0, 0) + 0.4 * self.g.normal) == 3

    def test_parallel(self) -> None:
        coronal, _ = geo(axial_positions(2), iop=CORONAL_IOP)
        assert self.g.is_parallel_to(self.g, 0.95) and not self.g.is_parallel_to(coronal, 0.95)

    def test_distance_formula_is_shared_with_measurements(self) -> None:
        from annotation.records import Measurement

        m = Measurement("k", "", 0, (1.0, 2.0), (4.0, 6.0), 0.5, 0.8)
        assert m.diameter_mm == pytest.approx(math.hypot(3 * 0.5, 4 * 0.8))
        assert m.diameter_mm == in_plane_distance_mm((1, 2), (4, 6), 0.5, 0.8) == self.g.distance_mm((1, 2), (4, 6))


class TestUnusableGeometry:
    """The checks the indexer and from_slices share (issue 9): each names what is wrong."""

    @pytest.mark.parametrize(("iop", "words"), [
        ((0, 0, 0, 0, 0, 0), "zero-length row direction"), ((1, 0, 0, 0, 0, 0), "zero-length column direction"),
        ((1, 0, 0, 1, 0, 0), "parallel"), ((1, 0, 0, -1, 0, 0), "parallel"),
        ((math.nan, 0, 0, 0, 1, 0), "not a finite number"), ((1, 0, 0, 0, math.inf, 0), "not a finite number"),
        ((1, 0, 0, 0.2, 1, 0), "not orthogonal"), ((1, 0, 0), "needs 6 values"), (None, "no ImageOrientationPatient"),
    ])
    def test_orientation(self, iop, words: str) -> None:
        assert words in orientation_problem(iop)

    @pytest.mark.parametrize("iop", [AXIAL_IOP, CORONAL_IOP, GE_ADC_IOP, (1.0001, 0, 0, 0, 0.9999, 0.001)])
    def test_real_orientations_pass(self, iop) -> None:
        assert orientation_problem(iop) is None

    @pytest.mark.parametrize(("ipp", "words"), [
        ((0, 0, 1e308), "more than 1e+06 mm"), ((0, 0, math.inf), "not a finite number"),
        ((math.nan, 0, 0), "not a finite number"), ((0, 0), "needs 3 values"),
    ])
    def test_position(self, ipp, words: str) -> None:
        assert words in position_problem(ipp)
        if len(ipp) == 3:  # from_slices refuses it with the same words
            with pytest.raises(ValueError, match=re.escape(words)):
                geo([(0, 0, 0), ipp])

    def test_absurd_pixel_spacing_is_not_measurable(self) -> None:
        g, _ = geo(axial_positions(2), spacing=(1e308, 1.0))
        assert not g.measurable and any("not usable" in w for w in g.warnings)


class TestSameViewCentre:
    """Z's field of view (app.workstation.WorkstationState.copy_field_of_view): the patient point at one view's centre
    is the other's centre."""

    def test_the_patient_point_at_the_centre_is_the_others_centre(self) -> None:
        a, _ = geo(axial_positions(10, 2.5, origin=(-100.0, -80.0, 0.0)), spacing=(0.8, 0.8), rows=64, cols=64)
        # another series of the frame: its own field (origin, pixel spacing) and slices
        b, _ = geo(axial_positions(20, 1.25, origin=(-120.0, -90.0, 1.0)), spacing=(0.6, 0.7), rows=96, cols=80)
        row, col = same_view_centre(a, 4, (20.0, 33.0), b, 8)
        pa, pb = a.index_to_patient(4, 20.0, 33.0), b.index_to_patient(8, row, col)
        assert np.allclose(pa[:2], pb[:2]) and not np.isclose(pa[2], pb[2])  # projected along b's normal
        assert (row, col) != (20.0, 33.0)

    def test_a_fitted_view_is_centred_on_the_images_middle(self) -> None:
        a, _ = geo(axial_positions(10, 2.5, origin=(-100.0, -80.0, 0.0)), spacing=(0.8, 0.8), rows=64, cols=64)
        b, _ = geo(axial_positions(10, 2.5, origin=(-100.0, -80.0, 0.0)), spacing=(0.4, 0.4), rows=128, cols=128)
        assert a.middle_pixel == (31.5, 31.5)
        # a's middle pixel is at 31.5 * 0.8 = 25.2 mm from the origin: 63 of b's 0.4 mm pixels
        assert np.allclose(same_view_centre(a, 3, None, b, 3), (63.0, 63.0))
