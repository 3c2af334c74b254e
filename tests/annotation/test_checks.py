"""Protocol checks: each fires on its case and stays silent on a clean read."""

from __future__ import annotations

import pytest

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


def measure_everywhere(reading, geometry, lesion_id, rows, col=0):
    for role in READING_ROLES:
        reading.set_observation(PAIR, lesion_id, role,
                                Measurement.from_geometry(geometry, "s", "1", 0, (0, col), (rows, col)))


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
    # 4.2 mm beside 14 mm on the five other series: the small-diameter check's, not size_apart's too (a review)
    assert [(w.code, w.role) for w in warnings] == [(CheckCode.SMALL_DIAMETER, Role.MR_DWI)]
    assert "4.2 mm" in warnings[0].message


def test_more_than_five_measured(reading, geometry):
    count_all(reading)
    for k in range(6):  # six lesions side by side
        measure_everywhere(reading, geometry, reading.add_lesion(PAIR, "left"), 20, col=20 * k)
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
    assert "DWI b800" in missing[0].message and "CT portal" not in missing[0].message
    larger = [w for w in warnings if w.code is CheckCode.LARGER_UNMEASURED]
    assert {w.role for w in larger} == set(READING_ROLES) - {Role.CT_PORTAL}
    # answering "not visible" is a status: both warnings go for that series
    reading.set_observation(PAIR, big, Role.MR_DWI, NotVisible())
    after = check_pair(reading.project, "P1", "E1", "R1")
    assert Role.MR_DWI not in {w.role for w in after if w.code is CheckCode.LARGER_UNMEASURED}


def line(geometry, slice_index, a, b):
    return Measurement.from_geometry(geometry, "s", "1", slice_index, a, b)


def test_a_lesion_measured_twice_is_flagged(reading, geometry):
    """N pressed, then the lesion already measured clicked again: two lesions, one lesion's lines."""
    count_all(reading)
    first = reading.add_lesion(PAIR, "right")
    measure_everywhere(reading, geometry, first, 20)  # rows 0-20 at column 0: 14 mm
    second = reading.add_lesion(PAIR, "right")
    measure_everywhere(reading, geometry, second, 20, col=40)  # another lesion beside it: silent
    assert codes(reading) == []
    reading.set_observation(PAIR, second, Role.MR_T2FS, line(geometry, 1, (2, 1), (21, 2)))  # on L1, next slice
    warnings = [w for w in check_pair(reading.project, "P1", "E1", "R1")]
    assert [(w.code, w.lesion_id, w.role) for w in warnings] == [(CheckCode.SAME_LESION, second, Role.MR_T2FS)]
    assert warnings[0].message.startswith(f"on T2 FS, {first} (14.0 mm) and {second} (13.4 mm) are measured on "
                                          "neighbouring slices, their middles 2.2 mm apart: the same lesion counted twice?")
    # two lesions touching side by side (middles half their lengths' sum apart) stay silent
    reading.set_observation(PAIR, second, Role.MR_T2FS, line(geometry, 0, (20, 0), (40, 0)))
    assert codes(reading) == []
    # a small lesion against the flank of an elongated one: its middle 12 mm from the long line's
    # (a 30 mm line across, 20 mm along the rows at 0.7 mm, + a 10 mm one beside it) is not the same lesion
    reading.set_observation(PAIR, first, Role.MR_T2FS, line(geometry, 0, (100, 50), (100, 73)))  # 29.9 mm
    reading.set_observation(PAIR, second, Role.MR_T2FS, line(geometry, 0, (107, 62), (121, 62)))  # 9.8 mm
    assert codes(reading) == [CheckCode.SIZE_APART]  # 29.9 mm on T2 FS beside 14 mm on its five other series: asked
    # measured twice on two series: one warning, naming both
    reading.set_observation(PAIR, second, Role.MR_T2FS, line(geometry, 0, (1, 0), (20, 1)))
    reading.set_observation(PAIR, second, Role.MR_DWI, line(geometry, 0, (1, 0), (20, 1)))
    reading.set_observation(PAIR, first, Role.MR_T2FS, line(geometry, 0, (0, 0), (20, 0)))
    twice = check_pair(reading.project, "P1", "E1", "R1")
    assert [(w.code, w.role) for w in twice] == [(CheckCode.SAME_LESION, Role.MR_T2FS)]
    assert twice[0].message.startswith(f"on T2 FS (also on DWI b800), {first} (14.0 mm) and {second}"), twice[0].message
    reading.set_observation(PAIR, second, Role.MR_DWI, line(geometry, 0, (0, 40), (20, 40)))
    # on another stack (another series of the role) the lines are not comparable
    reading.set_observation(PAIR, second, Role.MR_T2FS,
                            Measurement.from_geometry(geometry, "other", "1", 0, (0, 0), (20, 0)))
    assert codes(reading) == []


def test_long_interval(reading):
    count_all(reading)
    assert codes(reading) == []
    reading.edit_exam_pair(PAIR, mri_date="2024-05-01")
    assert codes(reading) == [CheckCode.LONG_INTERVAL]


def test_grade_disagreement(reading):
    assert check_patient(reading.project, "P1") == []
    reading.edit_patient("P1", ki67_percent=50, grade_entered="G1")
    assert [w.code for w in check_patient(reading.project, "P1")] == [CheckCode.GRADE_DISAGREES]


def test_lines_overlap_in_3d_when_the_slices_positions_are_known(geometry):
    """The gesture knows the stack's slice positions: two 6 mm lesions 1.5 mm apart in the plane
    on neighbouring 7 mm slices are two lesions; one 14 mm lesion measured on 1 mm slices three
    apart is one. Without positions (Checks: the store keeps none) the next slice is the limit."""
    from annotation.checks import lines_overlap

    small_a, small_b = line(geometry, 3, (0, 0), (9, 0)), line(geometry, 4, (2, 1), (11, 1))  # 6.3 mm each
    assert lines_overlap(small_a, small_b) is not None
    assert lines_overlap(small_a, small_b, z_apart_mm=7.0) is None
    big_a, big_b = line(geometry, 3, (0, 0), (20, 0)), line(geometry, 6, (1, 0), (21, 0))  # 14 mm, 3 slices apart
    assert lines_overlap(big_a, big_b) is None
    assert lines_overlap(big_a, big_b, z_apart_mm=3.0) == pytest.approx(3.0, abs=0.2)



class TestCountedTwice:
    """Two count marks on one lesion (clicked again while scrolling through it): said when the stack's geometry is
    known (the workstation's), in millimetres: rows 0.7 mm apart, columns 1.3, slices 5 mm."""

    def warnings(self, reading, geometry):
        return [w for w in check_pair(reading.project, "P1", "E1", "R1", geometry_of=lambda key: geometry)
                if w.code is CheckCode.COUNTED_TWICE]

    def mark(self, reading, k, row, col, role=Role.CT_ARTERIAL, stack="s"):
        return reading.add_count_mark(PAIR, role, "right", stack_key=stack, slice_index=k, row=row, col=col)

    def test_neighbouring_slices_a_few_mm_apart(self, reading, geometry):
        lower = self.mark(reading, 4, 100, 100)
        self.mark(reading, 5, 104, 101)  # 2.8 mm by rows, 1.3 by columns: 3.1 mm; 5 mm through
        found = self.warnings(reading, geometry)
        assert len(found) == 1
        w = found[0]
        assert w.role is Role.CT_ARTERIAL and w.mark_id == lower and w.lesion_id is None
        assert "3.1 mm apart in the slice's plane and 5 mm through the slices (Im 5 and 6)" in w.message
        assert "click here to see the one on Im 6; Del deletes it" in w.message
        assert "one lesion counted twice?" in w.message

    def test_in_millimetres_not_pixels(self, reading, geometry):
        """4 columns apart is 5.2 mm here (over the 5 mm), 7 rows 4.9 mm (under)."""
        self.mark(reading, 4, 100, 100)
        self.mark(reading, 5, 100, 104)
        assert self.warnings(reading, geometry) == []
        self.mark(reading, 3, 107, 100)
        assert [w.mark_id for w in self.warnings(reading, geometry)] != []

    def test_far_through_the_slices_or_apart_is_two_lesions(self, reading, geometry):
        self.mark(reading, 2, 100, 100)
        self.mark(reading, 5, 100, 100)  # 15 mm through the slices
        self.mark(reading, 5, 100, 110)  # 13 mm in the plane
        assert self.warnings(reading, geometry) == []

    def test_other_series_and_stacks_are_not_compared(self, reading, geometry):
        self.mark(reading, 4, 100, 100)
        self.mark(reading, 5, 100, 100, role=Role.CT_PORTAL, stack="t")
        self.mark(reading, 5, 100, 100, stack="other stack")
        assert self.warnings(reading, geometry) == []

    def test_without_the_geometry_nothing_is_said(self, reading, geometry):
        """The store keeps no slice positions or spacing for a mark (an export's Checks sheet)."""
        self.mark(reading, 4, 100, 100)
        self.mark(reading, 5, 100, 100)
        assert CheckCode.COUNTED_TWICE not in [w.code for w in check_pair(reading.project, "P1", "E1", "R1")]
        assert len(self.warnings(reading, geometry)) == 1  # the cache does not answer for the other question

    def test_a_measured_lesions_mark_and_a_click_beside_it(self, reading, geometry):
        """The lesion's own mark (placed by its line) and a count click 1 slice off: named; two measured lesions'
        marks are the lines' check (same_lesion), not this one."""
        count_all(reading)
        lid = reading.add_lesion(PAIR, "right")
        reading.set_observation(PAIR, lid, Role.CT_ARTERIAL,
                                Measurement.from_geometry(geometry, "s", "1", 4, (90, 100), (110, 100)))
        click = self.mark(reading, 5, 101, 100)
        found = self.warnings(reading, geometry)
        assert len(found) == 1 and f"two count marks, one of them {lid}'s, " in found[0].message and found[0].mark_id == click
        assert "click here to see the count click" in found[0].message
        other = reading.add_lesion(PAIR, "right")
        reading.set_observation(PAIR, other, Role.CT_ARTERIAL,
                                Measurement.from_geometry(geometry, "s", "1", 5, (92, 100), (108, 100)))
        codes_now = [w.code for w in check_pair(reading.project, "P1", "E1", "R1", geometry_of=lambda key: geometry)]
        assert CheckCode.SAME_LESION in codes_now


def test_counted_twice_at_once_equals_pair_by_pair_through_index_to_patient() -> None:
    """The marks' points at once (StackGeometry.patient_points) give the pairs and distances index_to_patient gives one
    by one, on an oblique stack with anisotropic pixels (Checks compares every pair after every edit: one by one it
    took 0.8 s for 100 marks on a 300-slice stack, a review)."""
    import math
    import random

    import numpy as np

    from annotation.checks import TWICE_ALONG_MM, TWICE_IN_PLANE_MM, TWICE_SAME_SLICE_MM, marks_counted_twice
    from annotation.records import CountMark
    from viewer.geometry import StackGeometry

    c, s = math.cos(0.3), math.sin(0.3)
    iop = (1.0, 0.0, 0.0, 0.0, c, s)
    normal = np.cross(iop[:3], iop[3:])
    geo, _ = StackGeometry.from_slices(64, 64, iop, [tuple(3.0 * k * normal) for k in range(12)], (0.8, 1.1))
    rnd = random.Random(7)
    marks = [CountMark(f"m{i}", "P1", "E1", "R1", Role.CT_PORTAL, "right", "s", rnd.randrange(12), rnd.uniform(20, 30),
                       rnd.uniform(20, 30), "L1" if i % 7 == 0 else "") for i in range(60)]
    found = {(a.mark_id, b.mark_id): (p, q) for a, b, p, q in marks_counted_twice(marks, geo)}
    want = {}
    for i, a in enumerate(marks):
        for b in marks[i + 1:]:
            d = geo.index_to_patient(b.slice_index, b.row, b.col) - geo.index_to_patient(a.slice_index, a.row, a.col)
            along = abs(geo.along_normal_mm(d))
            in_plane = math.sqrt(max(float(d @ d) - along ** 2, 0.0))
            close = (in_plane <= TWICE_IN_PLANE_MM and along <= TWICE_ALONG_MM) or (
                a.slice_index == b.slice_index and in_plane <= TWICE_SAME_SLICE_MM)
            if close and not (a.lesion_id and b.lesion_id):
                want[(a.mark_id, b.mark_id)] = (in_plane, along)
    assert want and found.keys() == want.keys()
    assert all(abs(found[k][0] - want[k][0]) < 1e-9 and abs(found[k][1] - want[k][1]) < 1e-9 for k in want)


def test_the_lesion_grid_and_checks_share_the_protocols_checks(reading, geometry, monkeypatch) -> None:
    """The lesion grid asks without the images' geometry, Checks with it, after every edit: a one-entry cache thrashed
    between them and the protocol's checks ran four times a click (a review)."""
    import annotation.checks as C

    for k in range(20):
        reading.add_count_mark(PAIR, Role.CT_PORTAL, "right", stack_key="s", slice_index=k % 10, row=10.0 * k, col=5.0)
    calls = []
    real = C._check_pair
    monkeypatch.setattr(C, "_check_pair", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        C.check_pair(reading.project, "P1", "E1", "R1")
        C.check_pair(reading.project, "P1", "E1", "R1", geometry_of=lambda key: geometry)
    assert len(calls) == 1


class TestCountedTwiceGroups:
    """A radiologist's check: a second click 5.5 mm from a mark on the same image went unsaid; three clicks on one lesion
    made three entries."""

    def warnings(self, reading, geometry):
        return [w for w in check_pair(reading.project, "P1", "E1", "R1", geometry_of=lambda key: geometry)
                if w.code is CheckCode.COUNTED_TWICE]

    def test_on_one_slice_up_to_8_mm(self, reading, geometry):
        reading.add_count_mark(PAIR, Role.CT_PORTAL, "right", stack_key="s", slice_index=4, row=100, col=100)
        reading.add_count_mark(PAIR, Role.CT_PORTAL, "right", stack_key="s", slice_index=4, row=100, col=105)  # 6.5 mm
        (w,) = self.warnings(reading, geometry)
        assert "two count marks 6.5 mm apart in the slice's plane on one slice (Im 6)" in w.message, w.message
        reading.add_count_mark(PAIR, Role.CT_PORTAL, "right", stack_key="s", slice_index=4, row=100, col=120)  # 19.5 mm
        assert len(self.warnings(reading, geometry)) == 1

    def test_three_clicks_on_one_lesion_are_one_warning(self, reading, geometry):
        ids = [reading.add_count_mark(PAIR, Role.CT_PORTAL, "right", stack_key="s", slice_index=k, row=100, col=100)
               for k in (3, 4, 5)]
        (w,) = self.warnings(reading, geometry)
        assert "3 count marks within 0.0 mm in the slice's plane and 10 mm through the slices (Im 5, 6 and 7)" in w.message
        assert "one lesion counted 3 times?" in w.message and w.mark_id == ids[0], w.message  # the lowest slice's


def test_a_line_far_from_the_lesions_other_lines_in_size_or_place(reading, geometry):
    """A radiologist's check (session 35): a drag across the wrong cell recorded L1 at 28.3 mm beside 43.5-44.6 mm
    on its other series, and a click inside another lesion recorded L1's line 100 mm from its others; unsaid."""
    from annotation.checks import lines_far_from

    count_all(reading)
    lid = reading.add_lesion(PAIR, "right")
    for role in READING_ROLES:  # 44.1 mm at 0.7 mm a pixel
        reading.set_observation(PAIR, lid, role, line(geometry, 0, (0, 0), (63, 0)))
    assert codes(reading) == []
    reading.set_observation(PAIR, lid, Role.MR_T1_PORTAL, line(geometry, 0, (0, 0), (44, 0)))  # 30.8 mm: 13.3 mm short
    found = check_pair(reading.project, "P1", "E1", "R1")
    assert [(w.code, w.role) for w in found] == [(CheckCode.SIZE_APART, Role.MR_T1_PORTAL)]
    reading.set_observation(PAIR, lid, Role.MR_T1_PORTAL, line(geometry, 0, (0, 0), (52, 0)))  # 36.4 mm: 7.7 short
    assert codes(reading) == []  # within 30 % and 8 mm of the median
    # one spread (20, 30, 40 mm on three series) is one warning, on the line furthest from its others' median
    spread = reading.add_lesion(PAIR, "left")
    for role, rows in ((Role.CT_ARTERIAL, 29), (Role.CT_PORTAL, 43), (Role.MR_T2FS, 57)):
        reading.set_observation(PAIR, spread, role, line(geometry, 0, (0, 120), (rows, 120)))
    found = [w for w in check_pair(reading.project, "P1", "E1", "R1") if w.lesion_id == spread
             and w.code is not CheckCode.MISSING_STATUS]
    assert [w.code for w in found] == [CheckCode.SIZE_APART], [str(w) for w in found]
    reading.delete_lesion(PAIR, spread)
    # where the lines lie: the app's place_of (frame, patient mm of the middle); here every line in one frame
    def place_of(m):
        return "F", (float(m.middle[0]) * 0.7, float(m.middle[1]) * 0.7, 0.0)

    les = reading.project.lesions[(*PAIR, "R1", lid)]
    assert all(lines_far_from(les, r, place_of) == [] for r in READING_ROLES)
    assert [w.code for w in check_pair(reading.project, "P1", "E1", "R1", place_of=place_of)] == []
    # T2 FS drawn 100 mm along the rows: far from its five other lines (one warning, on T2 FS)
    reading.set_observation(PAIR, lid, Role.MR_T2FS, line(geometry, 0, (143, 0), (206, 0)))
    les = reading.project.lesions[(*PAIR, "R1", lid)]
    assert {r for r, _ in lines_far_from(les, Role.MR_T2FS, place_of)} == set(READING_ROLES) - {Role.MR_T2FS}
    assert lines_far_from(les, Role.CT_PORTAL, place_of) == []  # near its four others: that one is the lesion's
    found = [w for w in check_pair(reading.project, "P1", "E1", "R1", place_of=place_of)
             if w.code is CheckCode.LINES_APART]
    assert [(w.lesion_id, w.role) for w in found] == [(lid, Role.MR_T2FS)]
    assert found[0].message.startswith(f"{lid} on T2 FS lies 100 mm from its line on ")
    # not comparable (other frames, no alignment): silent
    assert not [w for w in check_pair(reading.project, "P1", "E1", "R1", place_of=lambda m: None)
                if w.code is CheckCode.LINES_APART]
    # two lines only, far apart: one warning naming both
    other = reading.add_lesion(PAIR, "left")
    reading.set_observation(PAIR, other, Role.CT_ARTERIAL, line(geometry, 0, (100, 150), (120, 150)))
    reading.set_observation(PAIR, other, Role.CT_PORTAL, line(geometry, 0, (200, 150), (220, 150)))
    found = [w for w in check_pair(reading.project, "P1", "E1", "R1", place_of=place_of)
             if w.code is CheckCode.LINES_APART and w.lesion_id == other]
    assert [w.message.split(":")[0] for w in found] == [f"{other}'s lines on CT arterial and CT portal lie 70 mm apart"]
    assert found[0].role is None  # which of the two is the lesion's is not known: no one series singled out


def test_missing_status_of_a_follow_up_lesion_says_its_response_series_is_read(reading, geometry):
    """A radiologist's check: at a follow-up CT of two phases every carried lesion measured on CT portal was listed
    "no status on CT arterial", read as a gap in the response. The warning stays (the per-series comparison asks for
    it) and says the response's series is done; it says nothing of the kind while that series is missing."""
    from annotation.followup import FollowupEditor

    def missing(exam: str) -> list:
        return [w for w in check_pair(reading.project, "P1", exam, "R1") if w.code is CheckCode.MISSING_STATUS]

    def portal_line(pair) -> str:
        lid = reading.add_lesion(pair, "right")
        reading.set_observation(pair, lid, Role.CT_PORTAL, Measurement.from_geometry(geometry, "s", "1", 0, (0, 0), (20, 0)))
        return lid

    lid = portal_line(PAIR)
    plain = missing("E1")
    assert len(plain) == 1 and "response" not in plain[0].message
    FollowupEditor(reading).set_lesion_followup(PAIR, lid, "target", assessed_role=Role.CT_PORTAL)
    # at the baseline every series is read (a review: "done" there told the reader to skip the other five)
    assert len(missing("E1")) == 1 and "response" not in missing("E1")[0].message, missing("E1")[0].message
    reading.add_exam_pair("P1", "E2", ct_date="2024-06-10", mri_date="2024-06-12")
    later = ("P1", "E2")
    carried = portal_line(later)
    FollowupEditor(reading).set_lesion_followup(later, carried, "target", assessed_role=Role.CT_PORTAL)
    found = missing("E2")
    assert len(found) == 1 and "CT arterial" in found[0].message
    assert "its response reads CT portal only, done" in found[0].message, found[0].message
    FollowupEditor(reading).set_lesion_followup(later, carried, "target", assessed_role=Role.CT_ARTERIAL)
    found = missing("E2")
    assert "response" not in found[0].message, found[0].message


def test_a_size_apart_says_across_part_of_it_or_another_lesion_as_the_lines_lie(reading, geometry):
    """Session 47's reader: Checks asked "drawn across part of it, or on another lesion?" of lines 48 mm apart, which
    cannot be across part of it. With the lines' places: "on another lesion?" where the line lies apart from the
    lesion's others, "drawn across part of it?" where it overlaps them; both without."""
    count_all(reading)
    lid = reading.add_lesion(PAIR, "right")
    for role in READING_ROLES:  # 44.1 mm at 0.7 mm a pixel
        reading.set_observation(PAIR, lid, role, line(geometry, 0, (0, 0), (63, 0)))

    def place_of(m):
        return "F", (float(m.middle[0]) * 0.7, float(m.middle[1]) * 0.7, 0.0)

    def size_said(**kw):
        found = [w for w in check_pair(reading.project, "P1", "E1", "R1", **kw) if w.code is CheckCode.SIZE_APART]
        assert len(found) == 1, [str(w) for w in found]
        return found[0].message

    reading.set_observation(PAIR, lid, Role.MR_T1_PORTAL, line(geometry, 0, (0, 0), (44, 0)))  # 30.8 mm, on it
    assert "drawn across part of it, or on another lesion?" in size_said()
    assert "drawn across part of it?" in size_said(place_of=place_of)
    reading.set_observation(PAIR, lid, Role.MR_T1_PORTAL, line(geometry, 0, (143, 0), (187, 0)))  # 93 mm away
    said = size_said(place_of=place_of)
    assert "on another lesion?" in said and "across part of it" not in said, said
