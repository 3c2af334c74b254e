"""RECIST 1.1 / NEN audit (branch recist): each test is a mismatch between lesionlab's response and
../shared/domain/followup.md, built through the reader's path (Reading + FollowupEditor, then the
live engine of the Follow-up panel or `lesionlab response STORE`). The expected values are computed
by hand from followup.md in the comments; every test here fails on the audited code (2ea5701).
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
from pathlib import Path
from typing import Any

import pytest

from analysis.response_live import live_course
from analysis.response_records import Response
from annotation.followup import FollowupEditor, timepoint_of_pair
from annotation.reading import Reading
from annotation.store import open_reading
from app.cli import main
from tests.annotation.conftest import make_geometry

GEO = make_geometry(pixel_spacing=(1.0, 1.0), rows=256, columns=256)
P = "P"


def _measure(r: Reading, pair: tuple[str, str], lid: str, d: float, *, nodal: bool = False,
             role: str = "ct_portal") -> None:
    """A line of ``d`` mm (1 mm pixels); a node: a 40 mm long axis and a short axis of ``d`` mm."""
    if nodal:
        r.measure(pair, lid, role, GEO, "k", "1.2", 3, (100.0, 100.0), (100.0, 140.0),
                  p3=(100.0, 113.0), p4=(100.0 + d, 113.0))
    else:
        r.measure(pair, lid, role, GEO, "k", "1.2", 3, (100.0, 100.0), (100.0, 100.0 + d))


def _build(r: Reading, timepoints: list[tuple[str | None, dict[str, dict[str, Any]]]]) -> dict[str, str]:
    """One CT-only exam pair E1, E2... per (date, lesions); lesions keep one identity (tracking UID) by name.
    A lesion spec: kind (default target), status (default measured / present), d (mm), nodal, parent (name)."""
    ed = FollowupEditor(r)
    r.add_patient(P)
    uids: dict[str, str] = {}
    for i, (date, lesions) in enumerate(timepoints):
        pair = (P, f"E{i + 1}")
        r.add_exam_pair(*pair, **({"ct_date": date} if date else {}))
        for name, spec in lesions.items():
            kind = spec.get("kind", "target")
            nodal = spec.get("nodal", False)
            lid = r.add_lesion(pair, "right")
            if name in uids:
                ed.link_lesion(pair, lid, uids[name])
            else:
                uids[name] = r.project.lesions[(P, pair[1], r.reader, lid)].tracking_uid
            if spec.get("d") is not None:
                _measure(r, pair, lid, float(spec["d"]), nodal=nodal)
            default = "present" if kind == "non_target" else "measured"
            ed.set_lesion_followup(pair, lid, kind, status=spec.get("status", default), nodal=nodal,
                                   organ="lymph_node" if nodal else "liver",
                                   parent_tracking_uid=uids[spec["parent"]] if spec.get("parent") else "")
    return uids


def _rows(r: Reading) -> list[Any]:
    return list(live_course(r.project, r.reader, P).responses)


def _at(rows: list[Any], day: str, baseline: str | None = None) -> Any:
    found = [x for x in rows if x.timepoint_date == _dt.date.fromisoformat(day)
             and (baseline is None or x.baseline_date == _dt.date.fromisoformat(baseline))]
    assert len(found) == 1, [(x.timepoint_date, x.baseline_date) for x in rows]
    return found[0]


# ------------------------------------------------------------------------------------------------ high
def test_nodal_non_target_back_below_10_mm_is_non_target_cr() -> None:
    """followup.md, non-target response: "CR: all non-targets gone and nodes < 10 mm"; overall table 1:
    target CR + non-target CR + no new -> CR. (Also "What other tools get wrong": CR never assigned
    because nodes keep a short axis.)

    Baseline: liver target A 30 mm; nodal non-target M, short axis 12 mm (pathological, 10-15 mm).
    Follow-up: A disappeared (0); M drawn again, short axis 8 mm (< 10 mm: normal). Drawing its line makes
    it *present* (Reading._with_followup_assessed, the reader's path); its short axis is in the engine's
    input (measured_mm = 8).
    By hand: target sum 0 -> target CR; non-targets: the only one is a node < 10 mm -> non-target CR;
    no new lesion -> overall CR. lesionlab: non-target non-CR/non-PD, overall PR.
    """
    r = Reading(reader="R")
    ed = FollowupEditor(r)
    r.add_patient(P)
    r.add_exam_pair(P, "E1", ct_date="2024-01-01")
    r.add_exam_pair(P, "E2", ct_date="2024-03-01")
    a = r.add_lesion((P, "E1"), "right")
    _measure(r, (P, "E1"), a, 30)
    ed.set_lesion_followup((P, "E1"), a, "target")
    m = r.add_lesion((P, "E1"), "right")
    _measure(r, (P, "E1"), m, 12, nodal=True)
    ed.set_lesion_followup((P, "E1"), m, "non_target", status="present", organ="lymph_node", nodal=True)
    a2 = ed.carry_forward((P, "E1"), a, (P, "E2"))
    m2 = ed.carry_forward((P, "E1"), m, (P, "E2"))
    ed.set_lesion_followup((P, "E2"), a2, "target", status="disappeared")
    _measure(r, (P, "E2"), m2, 8, nodal=True)  # the normal node's short axis, drawn: status becomes present
    fu = _at(_rows(r), "2024-03-01")
    assert fu.target_response is Response.CR
    assert fu.non_target_response is Response.CR, fu.note
    assert fu.overall_response is Response.CR


def test_choosing_only_line_2_baseline_keeps_line_1_assessed_from_the_first_timepoint(tmp_path: Path) -> None:
    """followup.md: treatment lines change the reference, response per line; annotation/README.md: the
    baseline is the reader's choice, "default the first timepoint" (and line 1's offer, suggested_baseline,
    is T1 too: the latest timepoint on or before its start 2024-01-05).

    Line 1 (SSA from 2024-01-05), no baseline chosen for it; line 2 (everolimus from 2024-07-05), the reader
    chooses T3 as its baseline. Sums: T1 50, T2 30, T3 45, T4 46.
    By hand, line 1 (baseline T1 = 50): T2 30 = -40 % -> PR; T3 (line 1's last assessment) 45 vs nadir 30 =
    +50 % and +15 mm -> PD (line 1's progression, the PFS event). Line 2 (baseline T3 = 45): T4 46 -> SD.
    lesionlab: T1 and T2 "before the baseline" with no response; line 1's PR and PD are gone.
    """
    loc = str(tmp_path / "s.lesionlab")
    st, r = open_reading(loc, "R")
    _build(r, [("2024-01-01", {"A": {"d": 50}}), ("2024-04-01", {"A": {"d": 30}}),
               ("2024-07-01", {"A": {"d": 45}}), ("2024-10-01", {"A": {"d": 46}})])
    ed = FollowupEditor(r)
    ed.set_treatment_line(P, 1, "SSA", "2024-01-05")
    ed.set_treatment_line(P, 2, "everolimus", "2024-07-05")
    ed.choose_baseline(P, timepoint_of_pair(r.project, P, "E3").timepoint_id, 2)
    st.close()
    rows = _rows(r)
    assert _at(rows, "2024-04-01").overall_response is Response.PR
    assert _at(rows, "2024-07-01", baseline="2024-01-01").overall_response is Response.PD
    assert _at(rows, "2024-10-01", baseline="2024-07-01").overall_response is Response.SD
    out = tmp_path / "out"
    assert main(["response", loc, "--out", str(out)]) == 0
    with open(out / "response.csv", encoding="utf-8", newline="") as fh:
        csv_rows = list(csv.DictReader(fh))
    assert [x["overall_response"] for x in csv_rows if x["timepoint_date"] == "2024-04-01"] == ["PR"]


# ---------------------------------------------------------------------------------------------- medium
def test_split_fragment_with_a_parent_is_summed_not_a_new_lesion() -> None:
    """followup.md: "Split lesions: the fragments' diameters are summed" (analysis/README.md: rows whose
    parent_lesion_id leads to a baseline target are its fragments, summed into it).

    A lesion started with N on a follow-up exam is recorded as kind *new* (app/reading_commands.py); the
    reader then gives the fragment its parent in the panel. Baseline: A 40 + B 20 = 60. Follow-up: A split
    into A (15 mm, same identity) and a fragment F (15 mm, parent A, kind left as new); B 20.
    By hand: sum = 15 + 15 + 20 = 50 (-16.7 %) -> target SD; a fragment of a known lesion is no new lesion ->
    overall SD. lesionlab: F counted as a new lesion -> overall PD, and left out of the sum (35, -41.7 %).
    """
    r = Reading(reader="R")
    _build(r, [("2024-01-01", {"A": {"d": 40}, "B": {"d": 20}}),
               ("2024-03-01", {"A": {"d": 15}, "F": {"kind": "new", "d": 15, "parent": "A"}, "B": {"d": 20}})])
    fu = _at(_rows(r), "2024-03-01")
    assert fu.sum_mm == pytest.approx(50.0)
    assert fu.new_lesions is False
    assert fu.overall_response is Response.SD


def test_equivocal_new_lesion_confirmed_later_dates_pd_at_its_first_observation() -> None:
    """followup.md, overall response: "Equivocal new lesions: PD is dated at the first observation once
    confirmed."

    Baseline A 50. T2 (2024-03-01): A 30 (-40 %); an equivocal new lesion Z is seen: the reader could only
    record it *not assessed* (there was no equivocal status; the fix adds *equivocal*, recorded here). T3
    (2024-05-01): A 30, Z unequivocal (present,
    same identity). By hand: Z confirmed at T3 -> PD, dated at T2, its first observation: T2's overall
    response PD (so the best overall response is PD, not PR). lesionlab: T2 PR, PD only at T3.
    """
    r = Reading(reader="R")
    _build(r, [("2024-01-01", {"A": {"d": 50}}),
               ("2024-03-01", {"A": {"d": 30}, "Z": {"kind": "new", "status": "equivocal"}}),
               ("2024-05-01", {"A": {"d": 30}, "Z": {"kind": "new", "status": "present"}})])
    rows = _rows(r)
    assert _at(rows, "2024-05-01").overall_response is Response.PD
    assert _at(rows, "2024-03-01").overall_response is Response.PD


def test_intervals_use_the_date_of_the_series_the_targets_are_assessed_on() -> None:
    """followup.md: TGR with Δt = days / 30.4375 between the two sums; SD as best response must have lasted
    the minimum time (default 42 days after the baseline, Settings.sd_min_days).

    Baseline pair E1: CT 2024-01-01 and MRI 2024-03-25 (one pair, < 3 months apart: reading-protocol.md);
    the target A is assessed on MR T1 portal: 40 mm, measured on 2024-03-25. Follow-up pair E2, MRI only,
    2024-04-20: A 41 mm on MR T1 portal. Both sums come from MRI scans 26 days apart.
    By hand: days from baseline = 26; TGR = 100 (exp(3 ln(41/40) / (26 / 30.4375)) - 1) = 9.06 %/month;
    overall SD (+2.5 %), but held 26 < 42 days -> best overall response NE.
    lesionlab dates the baseline by the pair's CT (2024-01-01, the CT is not used): 110 days, TGR 2.07 %/month,
    best overall response SD.
    """
    r = Reading(reader="R")
    ed = FollowupEditor(r)
    r.add_patient(P)
    r.add_exam_pair(P, "E1", ct_date="2024-01-01", mri_date="2024-03-25")
    r.add_exam_pair(P, "E2", mri_date="2024-04-20")
    a = r.add_lesion((P, "E1"), "right")
    _measure(r, (P, "E1"), a, 40, role="mr_t1_portal")
    ed.set_lesion_followup((P, "E1"), a, "target", assessed_role="mr_t1_portal")
    a2 = ed.carry_forward((P, "E1"), a, (P, "E2"))
    _measure(r, (P, "E2"), a2, 41, role="mr_t1_portal")
    fu = [x for x in _rows(r) if not x.is_baseline][0]
    assert fu.overall_response is Response.SD
    assert fu.days_from_baseline == 26
    expected_tgr = 100.0 * (math.exp(3.0 * math.log(41 / 40) / (26 / 30.4375)) - 1.0)
    assert fu.tgr_pct_per_month == pytest.approx(expected_tgr, rel=1e-6)
    assert fu.best_overall_response is Response.NE


# ------------------------------------------------------------------------------------------------- low
def test_lesion_not_at_baseline_recorded_as_target_is_a_new_lesion() -> None:
    """followup.md, overall table 1: a new lesion -> PD. A lesion present at a follow-up that the baseline did
    not have (no lineage to a baseline lesion) is new, whatever kind the reader gave it; lesionlab reads it so
    itself at a line's closing assessment (analysis/README.md "Two lines, one exam": "a lesion it did not
    have, present there, is new for it"), but not at an ordinary follow-up.

    Baseline A 40. Follow-up: A 30, C 25 mm (not at baseline, no parent) recorded as *target*.
    By hand: C is new -> overall PD. lesionlab: "L2 is not a baseline target: left out of the sum", overall SD.
    """
    r = Reading(reader="R")
    _build(r, [("2024-01-01", {"A": {"d": 40}}), ("2024-03-01", {"A": {"d": 30}, "C": {"d": 25}})])
    fu = _at(_rows(r), "2024-03-01")
    assert fu.overall_response is Response.PD, fu.note


def test_follow_up_exam_without_a_date_is_named_in_the_live_notes() -> None:
    """A follow-up with a missing date: the exam pair E2 has no CT/MRI date, so it gets no timepoint
    (set_lesion_followup leaves it for set_timepoint). `lesionlab response STORE` refuses it with a clear
    message ("exam pair E2 is in no timepoint"); the Follow-up panel's live course (whose notes are "what was
    left out ... and why", analysis/response_live.py) drops its measured target (70 mm vs a 40 mm baseline:
    +75 %, a PD) without a word: no row, no note.
    By hand: the live course should say that E2's follow-up is left out because it has no date.
    """
    r = Reading(reader="R")
    _build(r, [("2024-01-01", {"A": {"d": 40}}), (None, {"A": {"d": 70}})])
    lc = live_course(r.project, r.reader, P)
    assert len(lc.responses) == 1
    assert any("E2" in n for n in lc.notes), lc.notes


def test_zero_length_line_is_refused_naming_the_lesion_and_exam(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Wrong input: a measured target whose line has length 0 (both ends on one point) at follow-up.
    `lesionlab response STORE` refuses it (right), but the message names "follow-up, row 2, column
    'diameter_mm'": an internal row number of a table the reader never sees, not the lesion (L1) nor the
    exam (E2), unlike the message for a measured lesion without a line ("lesion L1 of P E2 (R): ...").
    """
    loc = str(tmp_path / "s.lesionlab")
    st, r = open_reading(loc, "R")
    _build(r, [("2024-01-01", {"A": {"d": 40}}), ("2024-03-01", {"A": {"d": 0}})])
    st.close()
    assert main(["response", loc, "--out", str(tmp_path / "out")]) != 0
    said = capsys.readouterr()
    text = said.out + said.err
    assert "diameter" in text
    assert "L1" in text and "E2" in text, text


def test_shown_change_does_not_contradict_the_category() -> None:
    """followup.md: PR is a sum >= 30 % below the baseline; PD >= 20 % above the nadir and >= 5 mm.
    The Follow-up panel shows the changes to a tenth of a percent (followup_panel._fmt). The project's own
    convention for a size under a limit (analysis.response._below: "14.96", not "15.0 < 15") is to show a
    hundredth more where a tenth would round it onto the limit.

    Baseline 100 (A 60 + B 40); follow-up A 40.04 + B 30 = 70.04: -29.96 % -> SD (not PR): the panel shows
    "-30.0" beside SD. Nadir 50 (A 50); follow-up 59.98: +19.96 %, +9.98 mm -> SD (not PD): "+20.0" beside SD.
    """
    pytest.importorskip("PySide6")
    from annotation.qt.followup_responses import _fmt

    r = Reading(reader="R")
    _build(r, [("2024-01-01", {"A": {"d": 60}, "B": {"d": 40}}), ("2024-03-01", {"A": {"d": 40.04}, "B": {"d": 30}})])
    fu = _at(_rows(r), "2024-03-01")
    assert fu.overall_response is Response.SD
    assert _fmt(fu.change_from_baseline_pct, True) != "-30.0"

    r2 = Reading(reader="R")
    _build(r2, [("2024-01-01", {"A": {"d": 50}}), ("2024-03-01", {"A": {"d": 59.98}})])
    fu2 = _at(_rows(r2), "2024-03-01")
    assert fu2.overall_response is Response.SD
    assert _fmt(fu2.change_from_nadir_pct, True) != "+20.0"
