"""Follow-up in the store: records, the editor's commands (undo, autosave, cascades), the migration,
and the engine's input built from a store (`lesionlab response STORE`)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from analysis.response_store import load_store_courses
from annotation import store as store_module
from annotation.followup import FollowupEditor, baseline_role, followup_rows
from annotation.followup_records import LesionFollowup, Timepoint, TreatmentLine
from annotation.reading import Reading
from annotation.store import ReadingStore, open_reading
from app.cli import main
from tests.annotation.conftest import make_geometry
from tests.annotation.pg import backend, location, new_location, pg_cluster, pg_url  # noqa: F401
from viewer.errors import InputFormatError, ValidationError
from viewer.records import Role

GEO = make_geometry(pixel_spacing=(1.0, 1.0), rows=256, columns=256)
DATES = ("2023-03-14", "2023-10-17", "2024-03-12")
#: LLSYN001's course (sample_dicom/README.md): lesion -> (kind, nodal, diameters or short axes per timepoint)
COURSE = {"L1": ("target", False, (34, 20, 19)), "L2": ("target", False, (17, 10, 14)),
          "L3": ("target", True, (18, 11, 11)), "L4": ("non_target", False, (11, 9, 9)),
          "L5": ("new", False, (None, None, 12))}


def _measure(r: Reading, pair: tuple[str, str], lid: str, d: float, nodal: bool) -> None:
    if nodal:  # a node: long axis 26 mm, short axis d (what RECIST sums)
        r.measure(pair, lid, "ct_portal", GEO, "k", "1.2", 3, (100.0, 100.0), (100.0, 126.0),
                  p3=(100.0, 113.0), p4=(100.0 + d, 113.0))
    else:
        r.measure(pair, lid, "ct_portal", GEO, "k", "1.2", 3, (100.0, 100.0), (100.0, 100.0 + d))


def build_course(r: Reading) -> FollowupEditor:
    """Three CT-only exam pairs, one lesion identity (tracking UID) per COURSE entry."""
    ed = FollowupEditor(r)
    r.add_patient("LLSYN001")
    uids: dict[str, str] = {}
    for i, day in enumerate(DATES):
        pair = ("LLSYN001", f"E{i + 1}")
        r.add_exam_pair(*pair, ct_date=day)
        ed.set_timepoint("LLSYN001", f"T{i + 1}", day, [pair[1]])
        for name, (kind, nodal, sizes) in COURSE.items():
            if sizes[i] is None:
                continue
            lid = r.add_lesion(pair, "right")
            if name in uids:
                ed.link_lesion(pair, lid, uids[name])
            uids[name] = r.project.lesions[("LLSYN001", pair[1], r.reader, lid)].tracking_uid
            if kind == "target":
                _measure(r, pair, lid, float(sizes[i]), nodal)
                ed.set_lesion_followup(pair, lid, kind, organ="lymph_node" if nodal else "liver", nodal=nodal)
            else:
                ed.set_lesion_followup(pair, lid, kind, status="present")
    ed.set_treatment_line("LLSYN001", 1, "177Lu-DOTATATE (PRRT), 4 cycles", "2023-04-25", "2023-09-26")
    ed.set_treatment_line("LLSYN001", 2, "everolimus 10 mg/d", "2024-03-28")
    ed.choose_baseline("LLSYN001", "T1", 1)
    return ed


def test_records_validate() -> None:
    with pytest.raises(ValidationError, match="exam_pair_ids"):
        Timepoint("P", "T1", "2024-01-01", ())
    with pytest.raises(ValidationError, match="end_date"):
        TreatmentLine("P", 1, "x", "2024-01-02", "2024-01-01")
    with pytest.raises(ValidationError, match="not a status of a target"):
        LesionFollowup("P", "E1", "R", "L1", "target", status="present")
    with pytest.raises(ValidationError, match="assessed_role"):
        LesionFollowup("P", "E1", "R", "L1", "target", assessed_role="ct_delayed")


def test_migration_is_registered_once() -> None:
    described = [m for m in store_module.MIGRATIONS if m.description.startswith("follow-up")]
    assert len(described) == 1 and store_module.SCHEMA_VERSION == len(store_module.MIGRATIONS)


def test_course_round_trips_and_gives_the_sample_responses(location: str, tmp_path: Path) -> None:
    st, r = open_reading(location, "sample")
    build_course(r)
    st.close()
    with ReadingStore.open(location, read_only=True) as ro:
        project = ro.load()
    assert project == r.project and len(project.lesion_followups) == 13 and len(project.timepoints) == 3
    courses = load_store_courses(location)
    assert [str(d) for d in courses[0].baseline_dates] == ["2023-03-14"]
    assert [line.name for line in courses[0].treatment_lines][1] == "everolimus 10 mg/d"
    out = tmp_path / "out"
    assert main(["response", location, "--out", str(out)]) == 0
    with open(out / "response.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [x["sum_mm"] for x in rows] == ["69", "41", "44"]
    assert [x["overall_response"] for x in rows] == ["", "PR", "PD"]
    assert rows[2]["target_response"] == "PR" and rows[2]["new_lesions"] == "true"


def test_assessed_role_is_fixed_at_baseline_and_changes_flagged() -> None:
    r = Reading(reader="R")
    ed = FollowupEditor(r)
    r.add_patient("P")
    r.add_exam_pair("P", "E1", ct_date="2024-01-01")
    r.add_exam_pair("P", "E2", ct_date="2024-04-01")
    ed.set_timepoint("P", "T1", "2024-01-01", ["E1"])
    ed.set_timepoint("P", "T2", "2024-04-01", ["E2"])
    a = r.add_lesion(("P", "E1"), "left")
    r.measure(("P", "E1"), a, "mr_t1_portal", GEO, "k", "1.2", 3, (10.0, 10.0), (10.0, 40.0))
    ed.set_lesion_followup(("P", "E1"), a, "target", assessed_role="mr_t1_portal")
    b = ed.carry_forward(("P", "E1"), a, ("P", "E2"))
    assert r.project.lesion_followups[("P", "E2", "R", b)].status.value == "not_assessed"
    assert baseline_role(r.project, r.project.lesions[("P", "E2", "R", b)]) is Role.MR_T1_PORTAL
    r.measure(("P", "E2"), b, "ct_portal", GEO, "k", "1.2", 3, (10.0, 10.0), (10.0, 30.0))
    rec = ed.set_lesion_followup(("P", "E2"), b, "target", assessed_role="ct_portal")
    assert rec.assessed_role is Role.CT_PORTAL
    rows = followup_rows(r.project, "R")
    assert [x["series_role"] for x in rows] == ["mr_t1_portal", "ct_portal"]


def test_measured_without_a_measurement_is_an_error_naming_the_lesion() -> None:
    r = Reading(reader="R")
    ed = FollowupEditor(r)
    r.add_patient("P")
    r.add_exam_pair("P", "E1")
    ed.set_timepoint("P", "T1", "2024-01-01", ["E1"])
    lid = r.add_lesion(("P", "E1"), "left")
    ed.set_lesion_followup(("P", "E1"), lid, "target")
    with pytest.raises(InputFormatError, match="lesion L1 of P E1.*no measurement on ct_portal"):
        followup_rows(r.project, "R")
    r.add_exam_pair("P", "E2")
    lid = r.add_lesion(("P", "E2"), "left")
    ed.set_lesion_followup(("P", "E2"), lid, "non_target", status="present")
    with pytest.raises(InputFormatError, match="E2 is in no timepoint"):
        followup_rows(r.project, "R")


def test_deletes_cascade_and_undo_restores() -> None:
    r = Reading(reader="sample")
    ed = build_course(r)
    before = r.project
    r.delete_lesion(("LLSYN001", "E3"), "L5")
    assert ("LLSYN001", "E3", "sample", "L5") not in r.project.lesion_followups
    r.delete_exam_pair(("LLSYN001", "E1"))
    assert ("LLSYN001", "T1") not in r.project.timepoints and not r.project.followup_baselines
    r.undo()
    r.undo()
    assert r.project == before
    r.delete_patient("LLSYN001")
    assert not any(getattr(r.project, t) for t in ("timepoints", "treatment_lines", "lesion_followups"))
    with pytest.raises(ValidationError, match="no timepoint"):
        ed.choose_baseline("LLSYN001", "T1")


def test_timepoints_refuse_clashes() -> None:
    r = Reading(reader="sample")
    ed = build_course(r)
    with pytest.raises(ValidationError, match="already on"):
        ed.set_timepoint("LLSYN001", "T9", DATES[0], ["E1"])
    with pytest.raises(ValidationError, match="already belongs"):
        ed.set_timepoint("LLSYN001", "T9", "2025-01-01", ["E1"])
    with pytest.raises(ValidationError, match="no exam pair"):
        ed.set_timepoint("LLSYN001", "T9", "2025-01-01", ["E9"])


def test_several_readers_need_reader(tmp_path: Path) -> None:
    path = tmp_path / "two.lesionlab"
    for reader in ("ann", "bob"):
        st, r = open_reading(str(path), reader)
        if reader == "ann":
            build_course(r)
        else:
            ed = FollowupEditor(r)
            lid = r.add_lesion(("LLSYN001", "E1"), "left")
            _measure(r, ("LLSYN001", "E1"), lid, 30.0, False)
            ed.set_lesion_followup(("LLSYN001", "E1"), lid, "target")
        st.close()
    with pytest.raises(InputFormatError, match="several readers.*ann, bob"):
        load_store_courses(path)
    assert len(load_store_courses(path, "bob")[0].timepoints) == 1
    with pytest.raises(InputFormatError, match="no follow-up by reader 'eve'"):
        load_store_courses(path, "eve")


def test_export_carries_the_follow_up_and_the_short_axis(tmp_path: Path) -> None:
    from analysis.response_store import patient_response_rows
    from annotation.export import export_project
    from annotation.tables import MEASUREMENT_COLUMNS

    r = Reading(reader="sample")
    build_course(r)
    out = tmp_path / "plain"
    export_project(r.project, out, responses=patient_response_rows)
    cols = list(MEASUREMENT_COLUMNS)
    assert cols[cols.index("method_params") + 1:] == ["short_axis_mm", "p3_row", "p3_col", "p4_row", "p4_col", "organ"]
    with open(out / "measurements.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    node = [m for m in rows if m["exam_pair_id"] == "E1" and m["lesion_id"] == "L3"][0]
    # the organ recorded at follow-up, on every exam of the lesion; liver for the others (a researcher reading the
    # file alone took the node's diameters for a liver lesion's)
    assert {m["organ"] for m in rows if m["lesion_id"] == "L3"} == {"lymph_node"}
    assert {m["organ"] for m in rows if m["lesion_id"] != "L3"} == {"liver"}
    from analysis.inputs import load_csv_inputs

    cohort = load_csv_inputs(out / "measurements.csv", out / "counts.csv")
    assert "L3" not in set(cohort.measurements["lesion_id"]) and len(cohort.measurements) == \
        sum(m["lesion_id"] != "L3" for m in rows)
    assert any("left out 3 lesion read(s) recorded outside the liver" in n and "lymph node" in n
               for n in cohort.input_notes), cohort.input_notes
    assert float(node["short_axis_mm"]) == pytest.approx(18) and float(node["diameter_mm"]) == pytest.approx(26)
    assert (node["p3_row"], node["p3_col"], node["p4_row"], node["p4_col"]) == ("100.0", "113.0", "118.0", "113.0")
    with open(out / "followup.csv", encoding="utf-8", newline="") as fh:
        fu = list(csv.DictReader(fh))
    assert len(fu) == 13 and fu[0]["timepoint_date"] == "2023-03-14" and fu[0]["reader"] == "sample"
    import openpyxl

    book = openpyxl.load_workbook(out / "patients" / "LLSYN001.xlsx")
    recist = list(book["RECIST"].iter_rows(values_only=True))
    assert recist[0][:3] == ("reader", "patient_id", "timepoint_date")
    assert [row[recist[0].index("overall_response")] for row in recist[1:]] == [None, "PR", "PD"]
    # dates as dates and the reader's lines rounded as on the Lesions sheet; the engine's figures whole, shown to
    # 2-4 decimals (a radiologist's check: 33.54183832888057 and text dates beside the other sheets' 33.54 and dates)
    import datetime as _dt

    fu_sheet = list(book["Follow-up"].iter_rows(values_only=True))
    assert all(isinstance(row[1], _dt.datetime) for row in fu_sheet[1:]), fu_sheet[1]
    sizes = [row[fu_sheet[0].index("diameter_mm")] for row in fu_sheet[1:]]
    assert any(isinstance(x, (int, float)) for x in sizes) and all(x is None or round(x, 2) == x for x in sizes), sizes
    assert all(isinstance(row[2], _dt.datetime) for row in recist[1:])
    floats = [c for row in book["RECIST"].iter_rows(min_row=2) for c in row if isinstance(c.value, float)]
    assert floats and all(c.number_format == "0.00##" for c in floats)


def test_pseudonymised_export_has_no_dates(tmp_path: Path) -> None:
    import openpyxl

    from analysis.response_store import patient_response_rows
    from annotation.export import export_project

    r = Reading(reader="sample")
    build_course(r)
    out = tmp_path / "share"
    export_project(r.project, out, pseudonymise=True, responses=patient_response_rows)
    with open(out / "followup.csv", encoding="utf-8", newline="") as fh:
        fu = list(csv.DictReader(fh))
    assert sorted({x["timepoint_day"] for x in fu}, key=int) == ["0", "217", "364"]
    with open(out / "treatment_lines.csv", encoding="utf-8", newline="") as fh:
        lines = list(csv.DictReader(fh))
    assert [(x["start_day"], x["end_day"]) for x in lines] == [("42", "196"), ("380", "")]
    text = "".join(p.read_text() for p in out.glob("*.csv"))
    cells = [str(c) for ws in openpyxl.load_workbook(out / "patients" / "S001.xlsx")
             for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    for found in (text, *cells):
        assert "LLSYN001" not in found
        assert not re.search(r"20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]", found), found
    recist = list(openpyxl.load_workbook(out / "patients" / "S001.xlsx")["RECIST"].iter_rows(values_only=True))
    assert "timepoint_day" in recist[0] and "baseline_day" in recist[0]


def test_pseudonymised_recist_sheet_keeps_the_engines_notes_with_dates_as_days(tmp_path: Path) -> None:
    """The RECIST sheet's notes were left out of a pseudonymised export (they may hold dates), and kept raw, dates
    and all, with --keep-comments. Now they are kept, a date becoming "day N" by the rule of the date columns (days
    since the patient's first exam, 2023-03-14 here), and the patient's name, ids and UIDs never leave."""
    import openpyxl

    from analysis.response_store import patient_response_rows
    from annotation.export import export_project

    r = Reading(reader="sample")
    build_course(r)
    r.edit_patient("LLSYN001", patient_name="Synthetic^Alpha")

    def responses(project, patient_id):  # type: ignore[no-untyped-def]
        rows = patient_response_rows(project, patient_id)
        rows[1]["note"] = ("L2 on 2023-10-17 left out: SYNTHETIC^ALPHA's row (LLSYN001, E2, 20231017) quotes "
                           "Alpha Synthetic and 1.2.826.0.1.3680043.8.498.77; confirmed on 12/03/2024")
        return rows

    def notes(out: Path, name: str) -> list[str]:
        sheet = list(openpyxl.load_workbook(out / "patients" / name)["RECIST"].iter_rows(values_only=True))
        return [row[sheet[0].index("note")] for row in sheet[1:]]

    for keep in (False, True):
        out = tmp_path / f"share{keep}"
        export_project(r.project, out, pseudonymise=True, keep_comments=keep, responses=responses)
        said = notes(out, "S001.xlsx")
        assert said[1] == ("L2 on day 217 left out: [name]'s row (S001, E2, day 217) quotes [name] and [uid]; "
                           "confirmed on [date]")
        assert said[2] == "new lesion(s): L5"  # the engine's own note, kept
        for text in said:
            assert not re.search(r"20[0-9]{2}|LLSYN|synthetic|alpha|1\.2\.826", str(text), re.IGNORECASE), text
    plain = tmp_path / "plain"
    export_project(r.project, plain, responses=responses)
    assert notes(plain, "LLSYN001.xlsx")[1].startswith("L2 on 2023-10-17 left out: SYNTHETIC^ALPHA's row")


def test_worklist_puts_the_prior_beside_the_current() -> None:
    from annotation.followup import prior_timepoint, worklist

    r = Reading(reader="sample")
    ed = build_course(r)
    assert prior_timepoint(r.project, "LLSYN001", "T1") is None and worklist(r.project, "sample", "LLSYN001", "T1") == []
    items = worklist(r.project, "sample", "LLSYN001", "T3")
    assert [i.kind.value for i in items] == ["target", "target", "target", "non_target"]
    assert [round(i.prior_diameter_mm or 0) for i in items] == [20, 10, 11, 0]  # the node by its short axis
    assert all(i.current is not None and i.current[1] == "E3" for i in items)
    r.add_exam_pair("LLSYN001", "E4", ct_date="2024-09-01")
    ed.set_timepoint("LLSYN001", "T4", "2024-09-01", ["E4"])
    todo = worklist(r.project, "sample", "LLSYN001", "T4")
    assert [i.current for i in todo] == [None] * 5 and todo[-1].kind.value == "new"
    lid = ed.carry_forward(todo[0].prior[:2], todo[0].prior[3], ("LLSYN001", "E4"))
    assert worklist(r.project, "sample", "LLSYN001", "T4")[0].current == ("LLSYN001", "E4", "sample", lid)


def test_follow_up_rows_are_the_readers_own_in_the_database(pg_cluster, pg_url) -> None:  # noqa: F811
    """Row-level security on lesion_followups and followup_baselines: a reader role sees its own."""
    import psycopg

    from annotation.store_location import parse_location
    from annotation.store_pg_security import add_reader

    st, r = open_reading(pg_url, "R1")
    build_course(r)
    st.close()
    st, r = open_reading(pg_url, "R2")
    ed = FollowupEditor(r)
    lid = r.add_lesion(("LLSYN001", "E1"), "left")
    _measure(r, ("LLSYN001", "E1"), lid, 25.0, False)
    ed.set_lesion_followup(("LLSYN001", "E1"), lid, "target")
    ed.choose_baseline("LLSYN001", "T1")
    st.close()
    with ReadingStore.open(pg_url) as owner:
        add_reader(owner.backend_db, "R1", db_role="fu_alice")
    alice = pg_cluster.url(parse_location(pg_url).database_name(), "fu_alice")
    with psycopg.connect(alice) as con:
        for table in ("lesion_followups", "followup_baselines"):
            assert {row[0] for row in con.execute(f"SELECT reader FROM {table}")} == {"R1"}
        assert con.execute("SELECT count(*) FROM timepoints").fetchone()[0] == 3  # shared
    with psycopg.connect(pg_url) as con:
        assert {row[0] for row in con.execute("SELECT reader FROM lesion_followups")} == {"R1", "R2"}
    (course,) = load_store_courses(alice)  # one reader visible: no --reader needed
    assert len(course.timepoints) == 3


def test_exported_followup_feeds_lesionlab_response(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An export's followup.csv (a reader column; pseudonymised: days) is FOLLOWUP.csv for the CLI."""
    from annotation.export import export_project

    r = Reading(reader="ann")
    build_course(r)
    r2 = Reading(r.project, reader="bob")
    lid = r2.add_lesion(("LLSYN001", "E1"), "left")
    _measure(r2, ("LLSYN001", "E1"), lid, 30.0, False)
    FollowupEditor(r2).set_lesion_followup(("LLSYN001", "E1"), lid, "target")
    for pseudo in (False, True):
        out = tmp_path / f"export{int(pseudo)}"
        export_project(r2.project, out, pseudonymise=pseudo, key_path=tmp_path / f"key{int(pseudo)}.csv")
        argv = ["response", "--followup", str(out / "followup.csv"), "--treatment-lines",
                str(out / "treatment_lines.csv"), "--out", str(tmp_path / f"resp{int(pseudo)}")]
        assert main(argv) == 1 and "several readers (ann, bob)" in capsys.readouterr().err
        assert main([*argv, "--reader", "ann"]) == 0
        with open(tmp_path / f"resp{int(pseudo)}" / "response.csv", encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert [x["overall_response"] for x in rows] == ["", "PR", "PD"]
        when = "timepoint_day" if pseudo else "timepoint_date"
        assert [x[when] for x in rows] == (["0", "217", "364"] if pseudo else list(DATES))
        assert ("baseline_day" in rows[0]) is pseudo and ("timepoint_date" in rows[0]) is not pseudo


def test_an_equivocal_new_lesion_round_trips_on_both_backends(location: str) -> None:
    """The status *equivocal* (RECIST 1.1: an equivocal new lesion, PD dated back to it once confirmed) is the
    reader's choice for a new lesion; the stores keep follow-up statuses as text with no CHECK, so no migration:
    it is written and read back on SQLite and PostgreSQL, and older stores' statuses read as before."""
    from annotation.vocab import FOLLOWUP_STATUSES, FollowupKind, FollowupStatus

    assert FollowupStatus.EQUIVOCAL in FOLLOWUP_STATUSES[FollowupKind.NEW]
    assert FollowupStatus.EQUIVOCAL not in FOLLOWUP_STATUSES[FollowupKind.TARGET]
    st, r = open_reading(location, "R")
    r.add_patient("P")
    r.add_exam_pair("P", "E1", ct_date="2024-01-01")
    lid = r.add_lesion(("P", "E1"), "right")
    FollowupEditor(r).set_lesion_followup(("P", "E1"), lid, "new", status="equivocal")
    st.close()
    with ReadingStore.open(location, read_only=True) as ro:
        got = ro.load().lesion_followups[("P", "E1", "R", lid)]
    assert got.status is FollowupStatus.EQUIVOCAL


def test_the_follow_up_sheet_gives_the_readers_line_as_the_lesions_sheet_does(tmp_path: Path) -> None:
    """A radiologist's check: the Follow-up sheet held 33.54183832888057 where the Lesions sheet says 33.54."""
    import openpyxl

    from annotation.export import export_project

    r = Reading(reader="sample")
    build_course(r)
    lid = r.project.lesions_of("LLSYN001", "E3", "sample")[0].lesion_id
    r.measure(("LLSYN001", "E3"), lid, "ct_portal", GEO, "k", "1.2", 3, (100.0, 100.0), (123.0, 117.0))  # 28.6006...
    export_project(r.project, tmp_path / "out")
    book = openpyxl.load_workbook(tmp_path / "out" / "patients" / "LLSYN001.xlsx")
    fu = list(book["Follow-up"].iter_rows(values_only=True))
    les = list(book["Lesions"].iter_rows(values_only=True))
    size = [row[fu[0].index("diameter_mm")] for row in fu[1:] if row[fu[0].index("lesion_id")] == lid
            and row[1].date().isoformat() == DATES[2]]
    assert size == [28.6]
    assert any(28.6 in row for row in les[1:]), les
