"""Records: diameters from the stack geometry, observation statuses, validation naming the argument."""

from __future__ import annotations

import math

import pytest

from annotation.records import CountMark, ExamPair, Lesion, Measurement, NotMeasurable, NotVisible
from annotation.vocab import CouinaudSegment, Lobe, ObservationStatus
from viewer.errors import NotMeasurableError, ValidationError
from tests.annotation.conftest import CORONAL, make_geometry
from viewer.records import Role


class TestMeasurementFromGeometry:
    def test_diameter_honours_row_and_column_spacing(self, geometry):
        m = Measurement.from_geometry(geometry, "stack", "1.2", 3, (10, 20), (14, 23))
        expected = math.hypot(4 * 0.7, 3 * 1.3)
        assert m.diameter_mm == pytest.approx(expected, rel=1e-12)
        assert m.diameter_mm == pytest.approx(geometry.distance_mm((10, 20), (14, 23)), rel=1e-12)
        assert (m.row_spacing_mm, m.column_spacing_mm) == (0.7, 1.3)

    def test_spacings_are_not_swapped(self, geometry):
        along_rows = Measurement.from_geometry(geometry, "s", "1", 0, (0, 0), (10, 0))
        along_cols = Measurement.from_geometry(geometry, "s", "1", 0, (0, 0), (0, 10))
        assert along_rows.diameter_mm == pytest.approx(7.0)
        assert along_cols.diameter_mm == pytest.approx(13.0)

    def test_moving_an_endpoint_recomputes_the_diameter(self, geometry):
        m = Measurement.from_geometry(geometry, "s", "1", 0, (0, 0), (10, 0))
        assert m.with_endpoint(2, (0, 10)).diameter_mm == pytest.approx(13.0)
        assert m.with_endpoint(1, (10, 10)).diameter_mm == pytest.approx(13.0)
        with pytest.raises(ValidationError) as err:
            m.with_endpoint(3, (0, 0))
        assert err.value.where == "which"

    def test_refused_on_non_axial_stack(self):
        with pytest.raises(NotMeasurableError, match="coronal"):
            Measurement.from_geometry(make_geometry(iop=CORONAL), "s", "1", 0, (0, 0), (1, 1))

    def test_refused_without_spacing(self):
        with pytest.raises(NotMeasurableError):
            Measurement.from_geometry(make_geometry(pixel_spacing=None), "s", "1", 0, (0, 0), (1, 1))

    @pytest.mark.parametrize("kwargs, where", [
        (dict(slice_index=10), "slice_index"),
        (dict(p1=(256.0, 0.0)), "p1"),
        (dict(p2=(0.0, -3.0)), "p2.col"),
        (dict(p2=(float("nan"), 0.0)), "p2.row"),
    ])
    def test_bad_arguments_are_named(self, geometry, kwargs, where):
        args = dict(slice_index=0, p1=(1.0, 1.0), p2=(2.0, 2.0)) | kwargs
        with pytest.raises(ValidationError) as err:
            Measurement.from_geometry(geometry, "s", "1", **args)
        assert err.value.where == where

    def test_diameter_cannot_be_passed_in(self):
        with pytest.raises(TypeError):
            Measurement("s", "1", 0, (0, 0), (1, 1), 1.0, 1.0, diameter_mm=99.0)  # type: ignore[call-arg]


class TestLesion:
    def test_statuses_and_not_yet_read(self, geometry):
        m = Measurement.from_geometry(geometry, "s", "1", 0, (0, 0), (10, 0))
        les = Lesion("P1", "E1", "R1", "L1", "right", "VII",
                     observations={"mr_dwi": m, Role.CT_PORTAL: NotVisible(), "mr_t2fs": NotMeasurable("coalescent")})
        assert les.lobe is Lobe.RIGHT and les.segment is CouinaudSegment.VII
        assert les.observation("mr_dwi").status is ObservationStatus.MEASURED
        assert les.observation("ct_portal").status is ObservationStatus.NOT_VISIBLE
        assert les.observation("mr_t2fs").status is ObservationStatus.NOT_MEASURABLE
        assert les.observation("ct_arterial") is None
        # kept in hanging order whatever the input order
        assert [r for r, _ in les.observations] == [Role.CT_PORTAL, Role.MR_T2FS, Role.MR_DWI]
        assert les.with_observation("mr_dwi", None).observation("mr_dwi") is None

    @pytest.mark.parametrize("field, value", [
        ("lesion_id", "X1"), ("lesion_id", "L0"), ("lobe", "middle"), ("segment", "IX"), ("reader", " "),
        ("observations", {"ct_unenhanced": NotVisible()}), ("observations", {"mr_dwi": 12.0}),
    ])
    def test_bad_values_name_the_argument(self, field, value):
        args = dict(patient_id="P1", exam_pair_id="E1", reader="R1", lesion_id="L1", lobe="left") | {field: value}
        with pytest.raises(ValidationError) as err:
            Lesion(**args)
        assert err.value.where.startswith(field)


class TestOthers:
    def test_exam_pair_interval_from_dicom_and_iso_dates(self):
        pair = ExamPair("P1", "E1", ct_date="20240110", mri_date="2024-05-01")
        assert pair.interval_days == 112
        assert ExamPair("P1", "E1").interval_days is None
        with pytest.raises(ValidationError) as err:
            ExamPair("P1", "E1", ct_date="10/01/2024")
        assert err.value.where == "ct_date"

    def test_count_mark_only_on_reading_roles(self):
        with pytest.raises(ValidationError) as err:
            CountMark("m", "P1", "E1", "R1", "mr_adc", "left")
        assert err.value.where == "role"
        assert CountMark("m", "P1", "E1", "R1", "MR_DWI", "Left").lobe is Lobe.LEFT
