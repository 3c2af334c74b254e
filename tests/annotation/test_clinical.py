"""WHO 2019 grade from Ki-67 and mitoses, and the flag when an entered grade disagrees."""

from __future__ import annotations

import pytest

from annotation.clinical import ClinicalRecord, Patient, derive_grade
from annotation.vocab import Differentiation, Grade, Treatment
from viewer.errors import ValidationError


@pytest.mark.parametrize("ki67, mitoses, expected", [
    (2.9, None, Grade.G1), (3.0, None, Grade.G2), (20.0, None, Grade.G2), (20.1, None, Grade.G3),
    (None, 1.9, Grade.G1), (None, 2, Grade.G2), (None, 20, Grade.G2), (None, 21, Grade.G3),
    (1, 1, Grade.G1), (1, 5, Grade.G2), (25, 1, Grade.G3), (10, 30, Grade.G3), (None, None, None),
])
def test_less_favourable_criterion_decides(ki67, mitoses, expected):
    assert derive_grade(ki67, mitoses) is expected


def test_nec_is_always_g3():
    assert derive_grade(1, 0, Differentiation.NEC) is Grade.G3
    assert derive_grade(None, None, Differentiation.NEC) is Grade.G3


def test_case_report_grade_is_flagged():
    """Ki-67 50 % reported G1 (clinical-case.md): WHO 2019 says G3."""
    rec = ClinicalRecord(ki67_percent=50, grade_entered="G1", differentiation="NET")
    assert rec.grade_derived is Grade.G3
    assert rec.grade is Grade.G3
    assert "G1" in rec.grade_disagreement and "G3" in rec.grade_disagreement


def test_no_flag_when_consistent_or_unknown():
    assert ClinicalRecord(ki67_percent=10, grade_entered="G2").grade_disagreement is None
    assert ClinicalRecord(grade_entered="G2").grade_disagreement is None
    assert ClinicalRecord(grade_entered="G2").grade is Grade.G2


@pytest.mark.parametrize("field, value", [
    ("ki67_percent", 120), ("ki67_percent", "high"), ("age_at_diagnosis_years", 33.5), ("sex", "X"),
    ("primary_site", "liver"), ("treatments", "chemotherapy"), ("treatments", {"surgery"}),
])
def test_bad_values_name_the_field(field, value):
    with pytest.raises(ValidationError) as err:
        ClinicalRecord(**{field: value})
    assert err.value.where == field


def test_vocabularies_convert_at_the_boundary():
    rec = ClinicalRecord(sex="f", primary_site="Pancreas", treatments=["chemotherapy", Treatment.TRANSPLANT])
    assert rec.treatments == {Treatment.CHEMOTHERAPY, Treatment.TRANSPLANT}
    with pytest.raises(ValidationError) as err:
        Patient("", "x")
    assert err.value.where == "patient_id"
