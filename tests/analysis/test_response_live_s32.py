"""Session 32's reader check on the shipped follow-up (LLSYN001, sample_dicom/followup.lesionlab), through the
live engine the Follow-up dock shows and the store route of `lesionlab response STORE`: a second line's baseline
whose designations erased the first line's last assessment, and N pressed on a follow-up exam giving PD."""

from __future__ import annotations

import shutil
from pathlib import Path

from analysis.response_live import live_course
from analysis.response_records import Response
from analysis.response_store import project_courses
from analysis.response import assess_course
from annotation.followup import FollowupEditor
from annotation.reading import Reading
from annotation.store import ReadingStore


def _reading(tmp_path: Path, sample_dicom: Path):  # type: ignore[no-untyped-def]
    dst = tmp_path / "followup.lesionlab"
    shutil.copy(sample_dicom / "followup.lesionlab", dst)
    store = ReadingStore.open(dst)
    return store, Reading(store.load(), reader="sample", sink=store)


def _rows(reading: Reading):  # type: ignore[no-untyped-def]
    return [r for r in live_course(reading.project, "sample", "LLSYN001").responses]


def test_the_node_made_a_non_target_at_line_2s_baseline_still_counts_in_line_1s_last_sum(tmp_path: Path,
                                                                                        sample_dicom: Path) -> None:
    """Line 2 (everolimus) takes the 2024-03-12 CT as its baseline; there the hilar node L5 (short axis 11 mm,
    under RECIST's 15 mm) becomes a non-target and the new lesion L6 a non-target, as the dock asks. Line 1's last
    assessment on that exam kept its sum (43.7 mm, PR of the targets, PD by L6) on screen and in the store route;
    it read NE, sum undefined, "L5 ... recorded as non-target"."""
    store, reading = _reading(tmp_path, sample_dicom)
    with store:
        ed = FollowupEditor(reading)
        before = _rows(reading)[2]
        assert before.sum_mm is not None and before.overall_response is Response.PD
        ed.choose_baseline("LLSYN001", "T3", 2)
        f3 = {f.lesion_id: f for f in reading.project.lesion_followups.values() if f.exam_pair_id == "F3"}
        node = next(k for k, v in f3.items() if v.organ == "lymph_node")
        new = next(k for k, v in f3.items() if v.kind.value == "new")
        ed.set_lesion_followup(("LLSYN001", "F3"), node, "non_target", status="present", organ="lymph_node",
                               nodal=True)
        ed.set_lesion_followup(("LLSYN001", "F3"), new, "non_target", status="present")
        rows = _rows(reading)
        closing, base = rows[2], rows[3]
        assert closing.timepoint_date == base.timepoint_date and not closing.is_baseline and base.is_baseline
        assert closing.sum_mm == before.sum_mm and closing.target_response is before.target_response
        assert closing.overall_response is Response.PD and not any("recorded as" in n for n in closing.notes)
        (course,) = project_courses(reading.project, "sample", "store")  # `lesionlab response STORE`
        assert assess_course(course)[2] == closing


def test_n_alone_on_a_follow_up_exam_is_no_progression(tmp_path: Path, sample_dicom: Path) -> None:
    """N on the 2023-10-17 CT (overall PR) made a lesion new and present at once: with nothing drawn the exam read
    PD and Checks said nothing. N now makes it new and not assessed (app.reading_commands.new_lesion): no PD,
    Checks names it; its line makes it measured and the exam PD; "not measurable" makes it present."""
    from annotation.checks import check_pair
    from annotation.records import Measurement, NotMeasurable
    from annotation.vocab import FollowupKind, FollowupStatus, Lobe
    from viewer.records import Role

    store, reading = _reading(tmp_path, sample_dicom)
    with store:
        pair = ("LLSYN001", "F2")
        assert _rows(reading)[1].overall_response is Response.PR
        lid = reading.add_lesion(pair, Lobe.RIGHT)
        FollowupEditor(reading).set_lesion_followup(pair, lid, FollowupKind.NEW, status=FollowupStatus.NOT_ASSESSED,
                                                    assessed_role=Role.CT_PORTAL)
        row = _rows(reading)[1]
        assert row.overall_response is Response.PR and not row.new_lesions
        said = [w.message for w in check_pair(reading.project, *pair, "sample") if w.lesion_id == lid]
        assert said and "new lesion not in the response until assessed: draw it on CT portal" in said[0], said
        other = next(les for les in reading.project.lesions_of(*pair, "sample") if les.measurements())
        m = other.measurements()[Role.CT_PORTAL]
        assert isinstance(m, Measurement)
        reading.set_observation(pair, lid, Role.CT_PORTAL, m)  # drawn: measured, a new lesion, PD
        key = (*pair, "sample", lid)
        assert reading.project.lesion_followups[key].status is FollowupStatus.MEASURED
        assert _rows(reading)[1].overall_response is Response.PD
        reading.set_observation(pair, lid, Role.CT_PORTAL, NotMeasurable())  # seen, not measurable: still new
        assert reading.project.lesion_followups[key].status is FollowupStatus.PRESENT
        assert _rows(reading)[1].overall_response is Response.PD
        # started with the pointer on CT portal, first drawn on CT arterial: assessed there, measured
        lid = reading.add_lesion(pair, Lobe.RIGHT)
        FollowupEditor(reading).set_lesion_followup(pair, lid, FollowupKind.NEW, status=FollowupStatus.NOT_ASSESSED,
                                                    assessed_role=Role.CT_PORTAL)
        reading.set_observation(pair, lid, Role.CT_ARTERIAL, m)
        f = reading.project.lesion_followups[(*pair, "sample", lid)]
        assert (f.assessed_role, f.status) == (Role.CT_ARTERIAL, FollowupStatus.MEASURED)


def test_checks_ask_nothing_of_a_node_as_of_a_liver_lesion(tmp_path: Path, sample_dicom: Path) -> None:
    """The hilar node L5 (organ lymph node, measured on CT portal) gave 13 warnings on the baseline exam ("no
    status on CT arterial, T2 FS …", "L2 is measured while the larger L5 is not"), on screen and in the xlsx;
    the reading protocol's checks are about the liver's lesions."""
    import re

    from annotation.checks import check_pair

    store, reading = _reading(tmp_path, sample_dicom)
    with store:
        node = next(f for f in reading.project.lesion_followups.values()
                    if f.exam_pair_id == "F1" and f.organ == "lymph_node")
        said = [w.message for w in check_pair(reading.project, "LLSYN001", "F1", "sample")]
        assert said and not [m for m in said if re.search(rf"\b{node.lesion_id}\b", m)], said


def test_the_waterfall_colours_a_patient_by_the_best_response_of_the_line_of_its_bar(tmp_path: Path,
                                                                                     sample_dicom: Path) -> None:
    """With line 2's baseline chosen, the patient's last row is that baseline (no best response): the waterfall
    coloured LLSYN001 "none" though line 1's best response is PR."""
    from analysis.response_plots import best_changes

    store, reading = _reading(tmp_path, sample_dicom)
    with store:
        FollowupEditor(reading).choose_baseline("LLSYN001", "T3", 2)
        rows = _rows(reading)
        assert rows[-1].is_baseline and rows[-1].best_overall_response is None
        change, colour = best_changes(rows)["LLSYN001"]
        assert colour is Response.PR and change == min(r.change_from_baseline_pct for r in rows
                                                      if r.change_from_baseline_pct is not None)


def test_a_pseudonymised_export_names_a_clashing_lesion_without_a_date(tmp_path: Path, sample_dicom: Path) -> None:
    """N on the 2023-10-17 exam makes an L6, as the 2024-03-12 exam's own new lesion is called; followup.csv told
    them apart as "L6@2024-03-12", a calendar date in a pseudonymised export (a review). Now "L6@T3"."""
    import re

    from annotation.export import export_project
    from annotation.vocab import FollowupKind, FollowupStatus, Lobe
    from viewer.records import Role

    store, reading = _reading(tmp_path, sample_dicom)
    with store:
        pair = ("LLSYN001", "F2")
        lid = reading.add_lesion(pair, Lobe.RIGHT)
        FollowupEditor(reading).set_lesion_followup(pair, lid, FollowupKind.NEW, status=FollowupStatus.NOT_ASSESSED,
                                                    assessed_role=Role.CT_PORTAL)
        m = next(les for les in reading.project.lesions_of(*pair, "sample") if les.measurements())
        reading.set_observation(pair, lid, Role.CT_PORTAL, m.measurements()[Role.CT_PORTAL])
        export_project(reading.project, tmp_path / "out", pseudonymise=True, key_path=tmp_path / "key.csv")
    text = (tmp_path / "out" / "followup.csv").read_text(encoding="utf-8")
    assert not re.findall(r"\d{4}-\d{2}-\d{2}", text) and "L6@T3" in text, text


def test_the_screen_the_store_and_both_exports_give_the_same_two_lines(tmp_path: Path, sample_dicom: Path) -> None:
    """With line 2's baseline and the node made a non-target there: the live engine (the Follow-up dock), the
    store route (`lesionlab response STORE`) and `response --followup followup.csv` of a plain and of a
    pseudonymised export give the same rows (the export carries measured_mm; a review checked it by script)."""
    from analysis.response_io import read_followup_csv
    from annotation.export import export_project

    store, reading = _reading(tmp_path, sample_dicom)
    with store:
        ed = FollowupEditor(reading)
        ed.choose_baseline("LLSYN001", "T3", 2)
        f3 = {f.lesion_id: f for f in reading.project.lesion_followups.values() if f.exam_pair_id == "F3"}
        node = next(k for k, v in f3.items() if v.organ == "lymph_node")
        ed.set_lesion_followup(("LLSYN001", "F3"), node, "non_target", status="present", organ="lymph_node",
                               nodal=True)

        def key(r):  # type: ignore[no-untyped-def]
            return (None if r.sum_mm is None else round(r.sum_mm, 3), r.target_response, r.non_target_response,
                    r.new_lesions, r.overall_response, r.best_overall_response, r.is_baseline)

        live = [key(r) for r in _rows(reading)]
        (course,) = project_courses(reading.project, "sample", "store")
        assert [key(r) for r in assess_course(course)] == live
        for pseudo in (False, True):
            out = tmp_path / f"export-{pseudo}"
            export_project(reading.project, out, pseudonymise=pseudo, key_path=tmp_path / f"key-{pseudo}.csv")
            (c,) = read_followup_csv(out / "followup.csv", out / "treatment_lines.csv")
            assert [key(r) for r in assess_course(c)] == live, pseudo
        assert live[2][0] is not None and live[2][4] is Response.PD  # line 1's closing row kept its sum


def test_the_swimmer_shows_line_1s_last_response_inside_line_2s_baseline(tmp_path: Path, sample_dicom: Path) -> None:
    """The 2024-03-12 CT ends line 1 (PD, a new lesion) and is line 2's baseline: its diamond hid line 1's PD (a
    reader's check); now a baseline is an open diamond drawn under the response dots (looked at, and held here)."""
    from analysis.response_plots import swimmer_marks

    store, reading = _reading(tmp_path, sample_dicom)
    with store:
        FollowupEditor(reading).choose_baseline("LLSYN001", "T3", 2)
        marks = swimmer_marks(_rows(reading))
    last = max(m.months for m in marks)
    there = sorted((m for m in marks if m.months == last), key=lambda m: m.zorder)
    assert [m.response for m in there] == [None, Response.PD], there  # the baseline under, line 1's PD over it
    assert marks[0].months == 0.0 and marks[0].response is None  # line 1's baseline starts the lane
