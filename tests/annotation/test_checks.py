"""Protocol checks: each fires on its case and stays silent on a clean read."""

from __future__ import annotations

from annotation.checks import CheckCode, check_pair, check_patient
from annotation.records import Measurement, NotVisible
from tests.annotation.conftest import PAIR
from viewer.records import READING_ROLES, Role


def codes(reading):
    return [w.code for w in check_pair(reading.project, "P1", "E1", "R1")]


def count_all(reading):
    """Every series counted, so that only the check under test speaks."""
    for role in READING_ROLES:
        reading.set_count_status(PAIR, role, "counted")


def measure_everywhere(reading, geometry, lesion_id, rows):
    for role in READING_ROLES:
        reading.set_observation(PAIR, lesion_id, role,
                                Measurement.from_geometry(geometry, "s", "1", 0, (0, 0), (rows, 0)))


def test_clean_read_has_no_warning(reading, geometry):
    count_all(reading)
    lid = reading.add_lesion(PAIR, "right")
    measure_everywhere(reading, geometry, lid, 20)  # 14 mm
    assert codes(reading) == []


def test_small_diameter(reading, geometry):
    count_all(reading)
    lid = reading.add_lesion(PAIR, "right")
    measure_everywhere(reading, geometry, lid, 20)
    reading.set_observation(PAIR, lid, Role.MR_DWI, Measurement.from_geometry(geometry, "s", "1", 0, (0, 0), (6, 0)))
    warnings = check_pair(reading.project, "P1", "E1", "R1")
    assert [(w.code, w.role) for w in warnings] == [(CheckCode.SMALL_DIAMETER, Role.MR_DWI)]
    assert "4.2 mm" in warnings[0].message


def test_more_than_five_measured(reading, geometry):
    count_all(reading)
    for _ in range(6):
        measure_everywhere(reading, geometry, reading.add_lesion(PAIR, "left"), 20)
    assert codes(reading) == [CheckCode.TOO_MANY_MEASURED]
    reading.undo()  # the sixth lesion's last measurement: still measured somewhere
    assert CheckCode.TOO_MANY_MEASURED in codes(reading)


def test_missing_status_and_larger_unmeasured(reading, geometry):
    big = reading.add_lesion(PAIR, "right")
    small = reading.add_lesion(PAIR, "right")
    measure_everywhere(reading, geometry, small, 15)
    reading.set_observation(PAIR, big, Role.CT_PORTAL,
                            Measurement.from_geometry(geometry, "s", "1", 0, (0, 0), (40, 0)))
    warnings = check_pair(reading.project, "P1", "E1", "R1")
    missing = [w for w in warnings if w.code is CheckCode.MISSING_STATUS]
    assert [w.lesion_id for w in missing] == [big]
    assert "mr_dwi" in missing[0].message and "ct_portal" not in missing[0].message
    larger = [w for w in warnings if w.code is CheckCode.LARGER_UNMEASURED]
    assert {w.role for w in larger} == set(READING_ROLES) - {Role.CT_PORTAL}
    # answering "not visible" is a status: both warnings go for that series
    reading.set_observation(PAIR, big, Role.MR_DWI, NotVisible())
    after = check_pair(reading.project, "P1", "E1", "R1")
    assert Role.MR_DWI not in {w.role for w in after if w.code is CheckCode.LARGER_UNMEASURED}


def test_long_interval(reading):
    count_all(reading)
    assert codes(reading) == []
    reading.edit_exam_pair(PAIR, mri_date="2024-05-01")
    assert codes(reading) == [CheckCode.LONG_INTERVAL]


def test_grade_disagreement(reading):
    assert check_patient(reading.project, "P1") == []
    reading.edit_patient("P1", ki67_percent=50, grade_entered="G1")
    assert [w.code for w in check_patient(reading.project, "P1")] == [CheckCode.GRADE_DISAGREES]
