"""Export: exact CSV columns, values from the geometry, no formulas, pseudonyms, analysis accepts it."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from annotation.cells import escape_text
from annotation.export import cohort_tables, export_store
from annotation.records import NotMeasurable, NotVisible
from annotation.store import open_reading
from annotation.tables import COUNT_COLUMNS, MEASUREMENT_COLUMNS, PATIENT_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
EVIL = "=HYPERLINK(\"http://x\",\"click\")"


@pytest.fixture
def store_path(tmp_path, geometry):
    path = tmp_path / "study.lesionlab"
    st, r = open_reading(path, "R1")
    r.add_patient(EVIL, "+Doe^Jane")
    r.edit_patient(EVIL, sex="F", age_at_diagnosis_years=61, primary_site="pancreas", ki67_percent=50,
                   grade_entered="G1", treatments={"chemotherapy", "somatostatin_analogues"})
    r.add_patient("P2", "Roe^Richard\x07")  # a control character xlsx cannot hold
    pair = (EVIL, "E1")
    r.add_exam_pair(EVIL, "E1", ct_study_uid="1.2.3", mri_study_uid="1.2.4", ct_date="2024-01-10",
                    mri_date="2024-02-01")
    lid = r.add_lesion(pair, "right", "VII", comment="-looks like a cyst?")
    r.measure(pair, lid, "mr_dwi", geometry, "k", "1.2.9", 4, (10, 10), (20, 30))
    r.set_observation(pair, lid, "ct_portal", NotVisible())
    r.set_observation(pair, lid, "ct_arterial", NotMeasurable("coalescent"))
    for lobe in ("right", "right", "left"):
        r.add_count_mark(pair, "mr_dwi", lobe)
    r.add_count_mark(pair, "ct_portal", "left")
    r.set_uncountable(pair, "mr_t2fs", True, "massive")
    st.close()
    return path


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_csv_columns_values_and_formula_escaping(store_path, tmp_path, geometry):
    out = tmp_path / "export"
    result = export_store(store_path, out)
    for name, cols in (("measurements.csv", MEASUREMENT_COLUMNS), ("counts.csv", COUNT_COLUMNS),
                       ("patients.csv", PATIENT_COLUMNS)):
        with open(out / name, encoding="utf-8") as fh:
            assert next(csv.reader(fh)) == list(cols)
    m = read_csv(out / "measurements.csv")
    assert [(r["series_role"], r["status"]) for r in m] == [
        ("ct_arterial", "not_measurable"), ("ct_portal", "not_visible"), ("mr_dwi", "measured")]
    dwi = m[2]
    assert dwi["patient_id"] == "'" + EVIL
    assert dwi["diameter_mm"] == "26.9258240357"  # 12 significant digits (annotation.cells.csv_cell)
    assert float(dwi["diameter_mm"]) == pytest.approx(geometry.distance_mm((10, 10), (20, 30)), abs=1e-9)
    assert (dwi["slice_index"], dwi["p1_row"], dwi["p2_col"], dwi["segment"]) == ("4", "10.0", "30.0", "VII")
    assert m[0]["diameter_mm"] == "" and m[0]["slice_index"] == ""
    assert (dwi["instance_number"], dwi["sop_instance_uid"], dwi["method"]) == ("", "", "manual")
    assert dwi["tracking_uid"].startswith("2.25.") and dwi["tracking_uid"] == m[0]["tracking_uid"]
    counts = {(r["series_role"], r["lobe"]): (r["count"], r["uncountable"], r["count_status"])
              for r in read_csv(out / "counts.csv")}
    assert len(counts) == 12
    # two right marks clicked + L1 (right) pre-placed by its DWI measurement; a click makes the series counted
    assert counts[("mr_dwi", "right")] == ("3", "false", "counted")
    assert counts[("ct_portal", "left")] == ("1", "false", "counted")
    assert counts[("mr_t2fs", "left")] == ("", "true", "not_countable")
    assert counts[("mr_t1_arterial", "right")] == ("", "false", "not_read")
    patients = {r["patient_id"]: r for r in read_csv(out / "patients.csv")}
    assert patients["'" + EVIL]["grade"] == "G3" and patients["P2"]["grade"] == ""
    assert patients["'" + EVIL]["treat_chemotherapy"] == "true" and patients["P2"]["treat_chemotherapy"] == ""
    assert result.n_patients == 2 and not list(out.rglob("*.tmp"))


def test_xlsx_sheets_and_no_formula(store_path, tmp_path):
    out = tmp_path / "export"
    export_store(store_path, out)
    books = sorted((out / "patients").glob("*.xlsx"))
    assert len(books) == 2
    wb = openpyxl.load_workbook(next(b for b in books if "HYPERLINK" in b.name))
    assert wb.sheetnames == ["Patient", "Exam pairs", "Lesions", "Measurements", "Counts", "Checks"]
    every = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in every if c.data_type == "f"]
    record = dict(wb["Patient"].iter_rows(min_row=2, values_only=True))
    assert record["patient_id"] == "'" + EVIL and record["patient_name"] == "'+Doe^Jane"
    assert record["grade_who2019"] == "G3" and "disagrees" in record["grade_flag"]
    lesions = list(wb["Lesions"].iter_rows(values_only=True))
    assert lesions[1][5] == "'-looks like a cyst?"
    assert lesions[1][6:] == ("not measurable", "not visible", None, pytest.approx(20.0, abs=20), None, None, "liver")
    assert any("no status on" in row[2] for row in wb["Checks"].iter_rows(min_row=2, values_only=True))
    other = openpyxl.load_workbook(out / "patients" / "P2.xlsx")
    assert dict(other["Patient"].iter_rows(min_row=2, values_only=True))["patient_name"] == "Roe^Richard\ufffd"


def test_pseudonymised_export_keeps_identity_out(store_path, tmp_path):
    out = tmp_path / "share"
    result = export_store(store_path, out, pseudonymise=True)
    assert result.key_file == tmp_path / "share-pseudonymisation-key.csv"
    key = read_csv(result.key_file)
    assert [(k["study_code"], k["patient_id"]) for k in key] == [("S001", "'" + EVIL), ("S002", "P2")]
    text = "".join(p.read_text() for p in out.glob("*.csv"))
    assert "Doe" not in text and "HYPERLINK" not in text and "1.2.9" not in text and "S001" in text
    books = sorted(p.name for p in (out / "patients").glob("*.xlsx"))
    assert books == ["S001.xlsx", "S002.xlsx"]
    cells = [str(c) for ws in openpyxl.load_workbook(out / "patients" / "S001.xlsx")
             for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert not [c for c in cells if "Doe" in c or "HYPERLINK" in c or "1.2.3" in c or "2024-" in c]


def test_escape_rule():
    assert [escape_text(v) for v in ("=1", "+1", "-1", "@a", "\tx", "\rx", "a=b", 5, -2.0, None)] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "a=b", 5, -2.0, None]


def test_cohort_tables_feed_the_analysis_validators(store_path, tmp_path):
    from analysis.inputs import load_csv_inputs, load_store

    m, c, p = cohort_tables(store_path)
    assert list(m.columns) == list(MEASUREMENT_COLUMNS) and m["patient_id"].iloc[0] == EVIL  # raw values
    cohort = load_store(store_path)
    assert len(cohort.measurements) == 3 and len(cohort.counts) == 12 and len(cohort.patients) == 2
    out = tmp_path / "export"
    export_store(store_path, out)
    from_files = load_csv_inputs(out / "measurements.csv", out / "counts.csv", out / "patients.csv")
    assert from_files.measurements["diameter_mm"].tolist()[2] == pytest.approx(m["diameter_mm"].iloc[2])


def test_cli_export(store_path, tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "app", "export", str(store_path), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "exported 2 patient(s): 3 measurement rows, 12 count rows" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "app", "export", str(tmp_path / "nope.lesionlab"), "--out",
                          str(out)], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 1 and "no such store" in bad.stderr


def test_export_into_a_file_names_the_file_and_advises(store_path, tmp_path):
    from viewer.errors import LesionlabError

    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")
    with pytest.raises(LesionlabError) as err:
        export_store(store_path, blocker / "out")
    assert str(blocker) in (err.value.where or "") and "--out folder" in err.value.advice
    assert blocker.read_text() == "not a folder"


def test_a_pseudonymised_export_replaces_an_identified_one_whole(store_path, tmp_path):
    """A researcher exported, then exported pseudonymised into the same folder: LLSYN001.xlsx (names,
    UIDs, dates) stayed beside S001.xlsx in the folder meant to be shared whole."""
    out = tmp_path / "share"
    export_store(store_path, out)
    identified = sorted(p.name for p in (out / "patients").iterdir())
    result = export_store(store_path, out, pseudonymise=True)
    now = sorted(p.name for p in (out / "patients").iterdir())
    assert now == sorted(p.name for p in result.files if p.suffix == ".xlsx") and not set(now) & set(identified)
    text = b"".join(p.read_bytes() for p in out.rglob("*.csv"))
    assert b"Doe" not in text and b"Richard" not in text and b"1.2.3" not in text
    assert result.key_file is not None and not result.key_file.is_relative_to(out)


def test_an_export_into_a_folder_of_other_files_is_refused_and_touches_nothing(store_path, tmp_path):
    from viewer.errors import LesionlabError

    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    with pytest.raises(LesionlabError, match="holds other files"):
        export_store(store_path, out, pseudonymise=True)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert not list(tmp_path.glob("mine-pseudonymisation-key.csv"))


@pytest.mark.parametrize("failing", ["workbook", "key"])
def test_a_full_disk_or_an_unwritable_key_leaves_no_export(store_path, tmp_path, monkeypatch, failing):
    """A full disk on the second workbook said "nothing was written" while the CSVs and the first
    workbook stayed in --out, looking complete; a key that could not be written left the
    pseudonymised folder without its key. Now the folder appears whole or not at all, and a previous
    export stays as it was."""
    import errno

    import annotation.workbook as workbook
    from viewer.errors import LesionlabError

    out = tmp_path / "exp"
    export_store(store_path, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real = workbook.write_patient_workbook
    calls = []

    def full(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    key = tmp_path / "locked" / "key.csv"
    if failing == "workbook":
        monkeypatch.setattr(workbook, "write_patient_workbook", full)
    else:
        key.parent.write_text("a file where the key's folder should be")
    with pytest.raises(LesionlabError) as err:
        export_store(store_path, out, pseudonymise=True, key_path=key)
    assert ("disk is full" in str(err.value)) if failing == "workbook" else "key.csv" in str(err.value)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_only_a_folder_holding_exactly_a_previous_export_is_replaced(store_path, tmp_path):
    """A review: names alone let a user's own patients/clinical_data.xlsx and patients.csv pass as a
    previous export, and be deleted; a symlinked --out was replaced by a folder, the identified export
    it pointed to left as it was; .DS_Store made every re-export fail."""
    from viewer.errors import LesionlabError

    mine = tmp_path / "mine"
    (mine / "patients").mkdir(parents=True)
    (mine / "patients" / "clinical_data.xlsx").write_bytes(b"the user's")
    (mine / "patients.csv").write_text("the user's")
    with pytest.raises(LesionlabError, match="holds other files"):
        export_store(store_path, mine)
    assert (mine / "patients" / "clinical_data.xlsx").read_bytes() == b"the user's"

    out = tmp_path / "exp"
    export_store(store_path, out)
    (out / ".DS_Store").write_bytes(b"finder")
    (out / "patients" / "._S001.xlsx").write_bytes(b"appledouble")
    (out / "patients" / "~$S001.xlsx").write_bytes(b"excel lock")
    export_store(store_path, out, pseudonymise=True)  # replaced whole, clutter included
    assert not (out / ".DS_Store").exists()
    (out / "patients" / "notes.docx").write_bytes(b"added by hand")
    with pytest.raises(LesionlabError, match="holds other files"):
        export_store(store_path, out)
    assert (out / "patients" / "notes.docx").exists()

    link = tmp_path / "link"
    link.symlink_to(tmp_path / "exp2")
    export_store(store_path, tmp_path / "exp2")
    with pytest.raises(LesionlabError, match="symbolic link"):
        export_store(store_path, link, pseudonymise=True)
    assert link.is_symlink()


def test_a_failed_swap_leaves_the_previous_key_with_the_previous_export(store_path, tmp_path, monkeypatch):
    """A review: the key was written to its place before the folder swap; a swap that failed kept the
    previous export with a key of the new codes. The key now moves into place only after the swap."""
    import errno
    import os as os_module

    from viewer.errors import LesionlabError

    out, key = tmp_path / "share", tmp_path / "key.csv"
    export_store(store_path, out, pseudonymise=True, key_path=key)
    before_key = key.read_bytes()
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    st, r = open_reading(store_path, "R1")
    r.add_patient("A0", "First^Ann")  # sorts first: every study code shifts in the next export
    st.close()
    real = os_module.replace

    def refuse_the_swap(src, dst):  # type: ignore[no-untyped-def]
        if Path(dst) == out and ".partial-" in Path(src).name:  # the new export into place: refused
            raise OSError(errno.EACCES, "Permission denied")
        return real(src, dst)

    monkeypatch.setattr(os_module, "replace", refuse_the_swap)
    with pytest.raises(LesionlabError):
        export_store(store_path, out, pseudonymise=True, key_path=key)
    monkeypatch.setattr(os_module, "replace", real)
    assert key.read_bytes() == before_key
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("study.")) == ["key.csv", "share"]


def test_a_key_that_cannot_be_put_in_place_leaves_no_stale_key(store_path, tmp_path, monkeypatch):
    """A review: the key's rename after the swap failed (Excel holding it open) and the previous key,
    of other codes, stayed beside the new export; a --key-file that is a folder failed only after the
    export was replaced. Now the stale key goes, and a folder is refused first."""
    import errno
    import os as os_module

    from viewer.errors import LesionlabError

    out, key = tmp_path / "share", tmp_path / "key.csv"
    export_store(store_path, out, pseudonymise=True, key_path=key)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(LesionlabError, match="is a folder"):
        export_store(store_path, out, pseudonymise=True, key_path=tmp_path)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    st, r = open_reading(store_path, "R1")
    r.add_patient("A0", "First^Ann")  # every study code shifts
    st.close()
    real = os_module.replace

    def key_held_open(src, dst):  # type: ignore[no-untyped-def]
        if Path(dst) == key:
            raise OSError(errno.EACCES, "Permission denied")
        return real(src, dst)

    monkeypatch.setattr(os_module, "replace", key_held_open)
    with pytest.raises(LesionlabError, match="no longer matches"):
        export_store(store_path, out, pseudonymise=True, key_path=key)
    assert not key.exists() and (out / "patients.csv").read_bytes() != before[Path("patients.csv")]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".key.csv")]


def test_an_unedited_suggestion_reads_the_same_length_twice_in_the_workbook(geometry):
    """A reader's check: a suggested line kept as is read diameter_mm 14.52 beside suggested_mm 14.53 (the
    suggestion's record keeps 0.001 mm, rounded again); kept as suggested, it is the line's own length."""
    import json
    from dataclasses import replace as _replace

    from annotation.records import Measurement
    from annotation.vocab import MeasurementMethod
    from annotation.workbook import _suggested_mm

    m = Measurement.from_geometry(geometry, "k", "1.2", 3, (10.0, 10.0), (30.72, 10.0), method=MeasurementMethod.SUGGESTED,
                                  method_params=json.dumps({"suggested_diameter_mm": 14.55}))
    # shown to 0.1 mm as the grid shows it (session 39)
    assert _suggested_mm(m) == 14.5  # the line's 14.504 mm, not the record's 14.55 rounded to 14.6
    edited = _replace(m, method=MeasurementMethod.SUGGESTED_EDITED)
    assert _suggested_mm(edited) == 14.6  # edited: what was suggested, beside what the reader made of it


def test_a_key_file_that_is_not_a_key_is_never_replaced(store_path, tmp_path):
    """An audit: --key-file replaced any file, a TOML study definition or, given the store's own path, the store
    itself by the key's CSV (the next export said "not a lesionlab store")."""
    from viewer.errors import StoreError

    toml = tmp_path / "study.toml"
    toml.write_text("study_id = 'x'\n", encoding="utf-8")
    before = Path(store_path).read_bytes()
    for victim in (toml, Path(store_path)):
        kept = victim.read_bytes()
        with pytest.raises(StoreError, match="not a pseudonymisation key of lesionlab"):
            export_store(store_path, tmp_path / "share", pseudonymise=True, key_path=victim)
        assert victim.read_bytes() == kept
    assert Path(store_path).read_bytes() == before and not (tmp_path / "share").exists()


def test_a_patient_added_keeps_the_codes_of_the_previous_key(store_path, tmp_path):
    """An audit: a patient added, then exported again to the same place: every study code shifted (S001 became
    the new patient) and the only key of the export already shared was replaced. The codes stay; the new patient
    takes the next one."""
    out, key = tmp_path / "share", tmp_path / "key.csv"
    export_store(store_path, out, pseudonymise=True, key_path=key)
    with open(key, encoding="utf-8", newline="") as fh:
        first = {r["patient_id"]: r["study_code"] for r in csv.DictReader(fh)}
    st, r = open_reading(store_path, "R1")
    r.add_patient("A0", "First^Ann")  # sorts first
    st.close()
    export_store(store_path, out, pseudonymise=True, key_path=key)
    with open(key, encoding="utf-8", newline="") as fh:
        second = {r["patient_id"]: r["study_code"] for r in csv.DictReader(fh)}
    assert {pid: second[pid] for pid in first} == first
    assert second["A0"] not in first.values() and len(set(second.values())) == len(second)


def test_an_export_to_a_mount_points_root_is_written_into_it(store_path, tmp_path, monkeypatch):
    """An audit exported to an empty USB stick's root (a mount point): "cannot be written (Device or resource
    busy)", since the folder cannot be renamed. Its contents are replaced instead, and exporting again replaces
    the previous export there; a failure while swapping puts the previous export back."""
    import os as os_module

    stick = tmp_path / "stick"
    stick.mkdir()
    real_ismount = os_module.path.ismount
    monkeypatch.setattr(os_module.path, "ismount", lambda p: Path(p).absolute() == stick or real_ismount(p))
    real_replace = os_module.replace

    def no_rename_of_the_mount(src, dst):  # type: ignore[no-untyped-def]
        if Path(src).absolute() == stick or Path(dst).absolute() == stick:
            raise OSError(16, "Device or resource busy")
        return real_replace(src, dst)

    monkeypatch.setattr(os_module, "replace", no_rename_of_the_mount)
    export_store(store_path, stick)
    first = sorted(p.relative_to(stick).as_posix() for p in stick.rglob("*"))
    assert "measurements.csv" in first and not [p for p in first if p.startswith(".lesionlab.")]
    export_store(store_path, stick)  # again: the previous export there is replaced
    assert sorted(p.relative_to(stick).as_posix() for p in stick.rglob("*")) == first
    # what a failed third export must leave (taken now: an xlsx holds its second's time, the first export's differ)
    before = {p.relative_to(stick): p.read_bytes() for p in stick.rglob("*") if p.is_file()}

    calls = {"n": 0}

    def fail_midway(src, dst):  # type: ignore[no-untyped-def]
        if ".lesionlab.partial-" in str(src):
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError(5, "Input/output error")
        return real_replace(src, dst)

    monkeypatch.setattr(os_module, "replace", fail_midway)
    with pytest.raises(Exception, match="Input/output error"):
        export_store(store_path, stick)
    assert {p.relative_to(stick): p.read_bytes() for p in stick.rglob("*") if p.is_file()} == before


def test_the_xlsx_checks_sheet_says_where_to_click_in_the_workstation(tmp_path, geometry):
    """A coordinator's audit (session 37): the Checks sheet said "(click here to see it)", which means nothing in a
    spreadsheet. It now says where that click is made: the warning in lesionlab's Checks panel."""
    path = tmp_path / "apart.lesionlab"
    st, r = open_reading(path, "R1")
    r.add_patient("P1", "Doe^Jane")
    r.add_exam_pair("P1", "E1", ct_study_uid="1.2.3", mri_study_uid="1.2.4")
    lid = r.add_lesion(("P1", "E1"), "right", "VII")
    for role, end in (("mr_t2fs", (30, 10)), ("mr_dwi", (30, 10)), ("ct_portal", (60, 10))):  # 14 mm, 14 mm, 35 mm
        r.measure(("P1", "E1"), lid, role, geometry, "k", "1.2.9", 4, (10, 10), end)
    st.close()
    out = tmp_path / "export"
    export_store(path, out)
    rows = list(openpyxl.load_workbook(out / "patients" / "P1.xlsx")["Checks"].iter_rows(min_row=2, values_only=True))
    apart = [w for _, reader, w in rows if reader == "R1" and "on another lesion?" in w]
    assert apart == [apart[0]] and "click here" not in apart[0], rows
    assert apart[0].endswith("(in lesionlab: open this exam pair as this row's reader and click this warning in the "
                             "Checks panel to see it)"), apart[0]
    assert not [w for _, _, w in rows if "click here" in str(w)], rows


def test_a_length_computed_from_its_ends_is_written_without_float_noise() -> None:
    """A reader's check (session 39): followup.csv said 9.990000000000029 and measurements.csv 33.85000000000001,
    the full repr of a length computed from its line's ends; 12 significant digits keep every figure that means
    something (a p-value of 1e-12 stays 1e-12) and drop the noise."""
    from annotation.cells import csv_cell

    assert csv_cell(9.990000000000029) == "9.99"
    assert csv_cell(33.85000000000001) == "33.85"
    assert csv_cell(0.1 + 0.2) == "0.3"
    assert csv_cell(30.0) == "30.0"
    assert csv_cell(1e-12) == "1e-12"
    assert csv_cell(-2.5e-7) == "-2.5e-07"
    assert float(csv_cell(26.92582403567252)) == pytest.approx(26.92582403567252, abs=1e-9)
