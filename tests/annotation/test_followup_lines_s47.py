"""Session 47, Qt-free: treatment lines numbered by start date (each keeping its id in the store), the dates a reader
types (the unambiguous European forms taken, 12/05/2024 refused saying the forms taken), and the series a follow-up
exam is read on as a whole (what the Counts panel counts)."""

from __future__ import annotations

import datetime as dt

import pytest

from annotation import _validate as v
from annotation.followup import FollowupEditor, baseline_timepoints, line_order, lines_of, treatment_line_rows
from annotation.followup_reads import FollowupReads
from annotation.reading import Reading
from viewer.errors import ValidationError
from viewer.records import Role

P = "LLSYN001"


def _course() -> tuple[Reading, FollowupEditor]:
    """Three timepoints (2022-12-01, 2023-06-01, 2024-02-01) and everolimus from 2024-01-01 as line 1, the reader's
    baseline for it 2023-06-01."""
    r = Reading(reader="A")
    ed = FollowupEditor(r)
    r.add_patient(P)
    for i, day in enumerate(("2022-12-01", "2023-06-01", "2024-02-01"), 1):
        r.add_exam_pair(P, f"E{i}", ct_date=day)
        ed.set_timepoint(P, f"T{i}", day, [f"E{i}"])
    ed.add_treatment_line(P, "everolimus", "2024-01-01")
    ed.choose_baseline(P, "T2", 1)
    return r, ed


class TestLinesByStartDate:
    def test_a_line_added_with_an_earlier_start_is_line_1_and_keeps_the_next_id(self) -> None:
        r, ed = _course()
        line = ed.add_treatment_line(P, "octreotide LAR", "2022-12-15")
        assert line.line_number == 2  # its id: the next free one, as before
        assert [t.name for t in lines_of(r.project, P)] == ["octreotide LAR", "everolimus"]
        assert (line_order(r.project, P, 2), line_order(r.project, P, 1), line_order(r.project, P, 0)) == (1, 2, 0)
        # the edit is said with the number the reader sees (it said "treatment line 2")
        assert r.undo_description.startswith(f"treatment line 1 of {P}: octreotide LAR")
        assert [row["name"] for row in treatment_line_rows(r.project)] == ["octreotide LAR", "everolimus"]
        r.undo()
        assert [t.name for t in lines_of(r.project, P)] == ["everolimus"] and line_order(r.project, P, 1) == 1

    def test_the_first_line_by_date_keeps_its_offered_baseline(self) -> None:
        """The baseline chosen for everolimus (id 1) no longer stands for the first line once an earlier line is
        added: the first line by date, with no baseline chosen, keeps its offer (2022-12-01, the exam before its
        start), as line 1 did (before: id 1's choice counted as the first line's, the earlier line's period had no
        baseline and its timepoints no response)."""
        r, ed = _course()
        assert [t.timepoint_id for t in baseline_timepoints(r.project, P, "A")] == ["T2"]
        ed.add_treatment_line(P, "octreotide LAR", "2022-12-15")
        assert [t.timepoint_id for t in baseline_timepoints(r.project, P, "A")] == ["T1", "T2"]
        ed.choose_baseline(P, "T1", 2)
        assert [t.timepoint_id for t in baseline_timepoints(r.project, P, "A")] == ["T1", "T2"]

    def test_a_start_moved_before_another_line_changes_the_numbers_not_the_ids(self) -> None:
        r, ed = _course()
        ed.add_treatment_line(P, "PRRT", "2024-06-01")
        ed.set_treatment_line(P, 2, "PRRT", "2023-01-15")
        assert [(t.line_number, t.name) for t in lines_of(r.project, P)] == [(2, "PRRT"), (1, "everolimus")]
        assert r.project.followup_baselines[(P, "A", 1)].timepoint_id == "T2"  # everolimus's baseline, with it


class TestTypedDate:
    @pytest.mark.parametrize("typed", ["2024-05-12", "20240512", "12.05.2024", "12.5.2024", "12 May 2024",
                                       "12 may 2024", "12 May. 2024", "May 12, 2024", " 12 May 2024 "])
    def test_unambiguous_forms_are_taken(self, typed: str) -> None:
        assert v.date("start_date", typed) == dt.date(2024, 5, 12)

    def test_a_month_name_in_full_or_short(self) -> None:
        assert v.date("d", "5 December 2024") == v.date("d", "5 Dec 2024") == dt.date(2024, 12, 5)
        assert v.date("d", "5 Sept 2024") == v.date("d", "September 5 2024") == dt.date(2024, 9, 5)

    @pytest.mark.parametrize("typed, both", [("12/05/2024", True), ("12-05-2024", True), ("13/05/2024", False),
                                             ("13-05-2024", False)])
    def test_slashed_or_dashed_day_month_is_refused_naming_what_it_could_be(self, typed: str, both: bool) -> None:
        with pytest.raises(ValidationError) as err:
            v.date("start_date", typed)
        said = err.value.message
        assert v.DATE_FORMS in said and err.value.where == "start_date"
        if both:
            assert said == (f"{typed!r} is ambiguous: type 12 May as 2024-05-12 or 12.05.2024, 5 December as "
                            f"2024-12-05 or 05.12.2024; the forms taken: {v.DATE_FORMS}"), said
        else:
            # one reading only: refused all the same, said as such (not "day or month first?": session 47's review)
            how = "slashed" if "/" in typed else "dashed"
            assert said == (f"{typed!r}: {how} dates are refused (12/05/2024 could be 12 May or 5 December): type "
                            f"13.05.2024 or 2024-05-13; the forms taken: {v.DATE_FORMS}"), said

    @pytest.mark.parametrize("typed", ["31.02.2024", "2024-02-30", "31 Feb 2024"])
    def test_a_day_the_calendar_has_not(self, typed: str) -> None:
        with pytest.raises(ValidationError, match="is no day of the calendar"):
            v.date("end_date", typed)

    @pytest.mark.parametrize("typed", ["soon", "12/05/24", "1 Foo 2024", "2024"])
    def test_anything_else_says_the_forms(self, typed: str) -> None:
        with pytest.raises(ValidationError) as err:
            v.date("start_date", typed)
        assert err.value.message == f"{typed!r} is not a date: type it as {v.DATE_FORMS}"

    def test_a_treatment_line_records_it_in_iso(self) -> None:
        r, ed = _course()
        line = ed.set_treatment_line(P, 1, "everolimus", "1 Jan 2024", "31.12.2024")
        assert (line.start_date, line.end_date) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
        assert treatment_line_rows(r.project)[0]["end_date"] == "2024-12-31"


class TestSeriesReadAtAFollowUp:
    def test_the_union_of_the_lesions_series_else_the_exams(self) -> None:
        imaged = {Role.CT_ARTERIAL, Role.CT_PORTAL}
        reads = FollowupReads({"L1": Role.CT_PORTAL, "L2": Role.CT_PORTAL}, frozenset({Role.CT_PORTAL}))
        assert reads.series(["L1", "L2"], imaged) == {Role.CT_PORTAL}
        assert reads.series(["L1", "L9"], imaged) == {Role.CT_PORTAL}  # L9 (no record): the exam's series
        assert reads.series([], imaged) == {Role.CT_PORTAL}
        mri = FollowupReads({"L1": Role.MR_T2FS}, frozenset({Role.MR_T2FS}))
        assert mri.series(["L1"], imaged) == imaged  # its series not imaged here: the reader picks one
        assert FollowupReads({}, frozenset()).series([], imaged) == imaged
