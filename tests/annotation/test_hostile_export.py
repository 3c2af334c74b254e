"""Hostile input at the export boundary (issue 9, "Exports"): formula starts and their look-alikes,
CR/LF inside cells, control characters in identifiers, pseudonymisation of ids that look like
study codes, dates and comments, a gate rule for every field and column, a full disk, permissions."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import errno
import os
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import annotation.files
from annotation import clinical, lobes, records
from annotation.cells import csv_cell, csv_text, escape_text, xlsx_value
from annotation.export import export_store, write_csv
from annotation.project import RECORD_TYPES
from annotation.pseudonymise import RULES, Gate, PseudonymisationError, Rule
from annotation.records import ExamPair, Lesion, NotMeasurable
from annotation.store import open_reading
from annotation.tables import COUNT_COLUMNS, MEASUREMENT_COLUMNS, PATIENT_COLUMNS
from app.cli import main
from viewer.errors import LesionlabError, ValidationError

DDE = "=cmd|' /C calc'!A0"
#: Starts a spreadsheet (or a normalisation on the way to one) reads as a formula, or that hide one.
ESCAPED = [
    "=1+1", "+1", "-1", "@SUM(A1)", DDE,
    "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20SUM(A1)",  # full-width = + - @
    "\u22121", "\ufe661", "\ufe621", "\ufe631", "\ufe6bx",  # minus sign, small forms
    "\u00a0=1", "\u200b=1", "\ufeff=1", "\x0b=1", "\x00=1", "\t=1", "\r=1", "\n=1", " =1", "  \u3000+1",
    "\u200bplain", "\ufeffplain", "\x0bplain", "\tplain", "\rplain", "\u00a0plain", "\u202eplain",
]
UNTOUCHED = ["P1", "a=b", "1.5", "L1", "Doe^Jane", " plain", "x-1", "", "'=already"]


@pytest.mark.parametrize("text", ESCAPED)
def test_formula_starts_and_look_alikes_are_escaped_in_xlsx_and_csv_alike(text: str) -> None:
    assert escape_text(text) == "'" + text
    cell = xlsx_value(text)
    assert cell.startswith("'") and csv_cell(text) == cell  # one rule for both formats
    assert "\x00" not in cell and "\x0b" not in cell  # what no file can hold is replaced


@pytest.mark.parametrize("text", UNTOUCHED)
def test_plain_text_is_untouched(text: str) -> None:
    assert escape_text(text) == text and csv_cell(text) == text


def test_numbers_are_never_escaped() -> None:
    assert [csv_cell(v) for v in (-0.5, -3, True, None, float("nan"), pd.NA)] == ["-0.5", "-3", "true", "", "", ""]
    assert xlsx_value(-0.5) == -0.5


def test_cr_inside_a_cell_never_splits_a_row_pandas_and_csv_agree(tmp_path: Path) -> None:
    """The issue's case: 336 rows read back as 372 when CRs were written unquoted."""
    n = 336
    texts = ["ok", f"line\r{DDE}", "a\nb", "a\r\nb", 'say "hi", twice', "\r", "trailing\r"]
    df = pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)],
                       "note": [texts[i % len(texts)] for i in range(n)], "x": [i / 7 for i in range(n)]})
    path = tmp_path / "t.csv"
    write_csv(df, path)
    raw = path.read_bytes()
    assert b'P1,"line\r=cmd' in raw  # quoted: the text after the CR stays inside its cell
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(back) == n and back["patient_id"].tolist() == df["patient_id"].tolist()
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == n + 1
    assert rows[2][1] == f"line\r{DDE}"  # a CR inside is kept, inside its quotes
    assert not [r for r in rows[1:] if r[1].startswith(("=", "+", "-", "@"))]
    assert [r[0] for r in rows[1:]] == [f"P{i}" for i in range(n)]  # no row starts inside a cell


def test_csv_text_quotes_per_rfc_4180() -> None:
    assert csv_text(["a", "b"], [["x,y", 'q"q'], ["\r", "plain"]]) == 'a,b\n"x,y","q""q"\n"\'\r",plain\n'


# ------------------------------------------------------------------ identifiers refused at input
BAD_IDS = ["P\x001", "P1\r", "P\n1", "P\t1", "P\x0b1", "\u200bP1", "\ufeffP1", "P1\u202e", "P\x1b1", "P\u20281"]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("field", ["patient_id", "exam_pair_id", "reader"])
def test_control_characters_in_identifiers_are_refused_naming_the_field(bad: str, field: str) -> None:
    values = {"patient_id": "P1", "exam_pair_id": "E1", "reader": "R1", "lesion_id": "L1", "lobe": "right"}
    values[field] = bad
    with pytest.raises(ValidationError) as err:
        Lesion(**values)  # type: ignore[arg-type]
    assert err.value.where == field and "invisible or control character" in err.value.message


def test_a_patient_id_with_a_nul_is_refused_a_name_with_one_is_kept_and_replaced_in_files() -> None:
    with pytest.raises(ValidationError, match="U\\+0000 NUL") as err:
        clinical.Patient("P\x001")
    assert err.value.where == "patient_id"
    assert clinical.Patient("P1", "Roe^Richard\x07").patient_name.endswith("\x07")  # as DICOM gave it
    with pytest.raises(ValidationError):
        ExamPair("P1", "E\r1")


# ------------------------------------------------------------------ pseudonymisation
#: Patients whose ids look exactly like the study codes, with names, UIDs, dates and comments.
REAL = {"S001": "Doe^Jane", "S002": "Roe^Richard", "S003": "Poe^Edgar", "P9": "Smith^Anna"}
DATES = {"S001": ("2023-05-04", "2023-05-20"), "S002": ("2024-01-10", "2024-02-01"),
         "S003": ("2022-11-30", "2022-12-02"), "P9": ("2021-07-07", "2021-07-08")}


@pytest.fixture
def colliding_store(tmp_path: Path, geometry) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "collide.lesionlab"
    st, r = open_reading(path, "R1")
    for i, (pid, name) in enumerate(REAL.items()):
        r.add_patient(pid, name)
        ct, mri = DATES[pid]
        r.add_exam_pair(pid, f"ACC{i}77", ct_study_uid=f"1.2.840.99.{i}.1", mri_study_uid=f"1.2.840.99.{i}.2",
                        ct_date=ct, mri_date=mri)
        later = dt.date.fromisoformat(ct) + dt.timedelta(days=200)
        r.add_exam_pair(pid, f"ACC{i}78", ct_study_uid=f"1.2.840.99.{i}.3", mri_study_uid=f"1.2.840.99.{i}.4",
                        ct_date=later.isoformat(), mri_date=(later + dt.timedelta(days=3)).isoformat())
        pair = (pid, f"ACC{i}77")
        lid = r.add_lesion(pair, "right", comment=f"seen by Dr Who on {ct}, patient {name}")
        r.measure(pair, lid, "mr_dwi", geometry, f"/data/{name}/dwi", f"1.2.840.99.{i}.9", 4, (10, 10), (20, 30),
                  sop_instance_uid=f"1.2.840.99.{i}.10")
        r.set_observation(pair, lid, "ct_portal", NotMeasurable(f"artefact; {name}"))
        r.set_uncountable(pair, "mr_t2fs", True, f"motion, call {name}")
    st.close()
    return path


def _all_text(folder: Path) -> str:
    parts = [p.name for p in folder.rglob("*")]
    parts += [p.read_text(encoding="utf-8") for p in folder.rglob("*.csv")]
    for book in folder.rglob("*.xlsx"):
        for ws in openpyxl.load_workbook(book):
            parts += [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    return "\n".join(parts)


def _secrets(store: Path) -> list[str]:
    from annotation.store import ReadingStore

    with ReadingStore.open(store, read_only=True) as st:
        project = st.load()
    out = [*REAL, *(n.split("^")[0] for n in REAL.values()), "Dr Who", "ACC"]
    for ct, mri in DATES.values():
        out += [ct, mri, ct.replace("-", ""), ct[:7]]
    for pair in project.exam_pairs.values():
        out += [pair.exam_pair_id, pair.ct_study_uid, pair.mri_study_uid, str(pair.ct_date), str(pair.mri_date)]
    for les in project.lesions.values():
        out.append(les.tracking_uid)
    out += [f"1.2.840.99.{i}.9" for i in range(len(REAL))] + ["/data/"]
    return out


def test_ids_that_look_like_codes_leak_nothing(colliding_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "share"
    result = export_store(colliding_store, out, pseudonymise=True)
    text = _all_text(out)
    leaks = [s for s in _secrets(colliding_store) if re.search(rf"(?<![\w.]){re.escape(s)}(?![\w.])", text)]
    assert leaks == []
    key = {k["patient_id"]: k["study_code"] for k in csv.DictReader(open(result.key_file, encoding="utf-8"))}
    assert set(key) == set(REAL) and not set(key.values()) & set(REAL)  # a code never equals a real id
    books = sorted(p.stem for p in (out / "patients").glob("*.xlsx"))
    assert books == sorted(key.values())


def test_dates_become_days_from_the_patients_first_exam(colliding_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "share"
    result = export_store(colliding_store, out, pseudonymise=True)
    key = {k["patient_id"]: k["study_code"] for k in csv.DictReader(open(result.key_file, encoding="utf-8"))}
    wb = openpyxl.load_workbook(out / "patients" / f"{key['S001']}.xlsx")
    rows = list(wb["Exam pairs"].iter_rows(min_row=2, values_only=True))
    # exam_pair_id, ct_study_uid, ct_date, mri_study_uid, mri_date, interval_days, readers
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("E1", None, 0, None, 16, 16), ("E2", None, 200, None, 203, 3)]
    lesions = list(wb["Lesions"].iter_rows(min_row=2, values_only=True))
    assert lesions[0][5] is None  # the comment is left out


def test_keep_comments_keeps_them_and_nothing_else(colliding_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "share"
    assert main(["export", str(colliding_store), "--out", str(out), "--pseudonymise", "--keep-comments"]) == 0
    text = _all_text(out)
    assert "seen by Dr Who" in text and "1.2.840.99.0.1" not in text and "2023-05-04" not in text.split("seen")[0]


def test_not_pseudonymised_export_is_unchanged(colliding_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "plain"
    export_store(colliding_store, out)
    wb = openpyxl.load_workbook(out / "patients" / "S001.xlsx")
    rows = list(wb["Exam pairs"].iter_rows(min_row=2, values_only=True))
    assert rows[0][:3] == ("ACC077", "1.2.840.99.0.1", dt.datetime(2023, 5, 4))


def _record_types() -> set[type]:
    found = set(RECORD_TYPES.values())
    for module in (records, clinical, lobes):
        found |= {c for c in vars(module).values() if dataclasses.is_dataclass(c) and isinstance(c, type)
                  and c.__module__ == module.__name__}
    return found


def test_every_record_field_has_a_rule() -> None:
    """Fails when a record (a future follow-up or study table included) gains a field without a rule."""
    missing = sorted(f"{t.__name__}.{f.name}" for t in _record_types() for f in dataclasses.fields(t)
                     if f.name not in RULES)
    assert missing == []
    assert RULES["ct_date"] is Rule.DAYS and RULES["patient_name"] is Rule.DROP


def test_every_exported_column_has_a_rule() -> None:
    cols = [*MEASUREMENT_COLUMNS, *COUNT_COLUMNS, *PATIENT_COLUMNS]
    assert [c for c in cols if c not in RULES] == []


def test_a_column_without_a_rule_stops_the_export(colliding_store: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import annotation.tables as tables

    real = tables.project_tables

    def with_new_column(project, reader_roles=None):  # type: ignore[no-untyped-def]
        m, c, p = real(project, reader_roles)
        return m, c, p.assign(follow_up_date="2024-01-01")

    monkeypatch.setattr("annotation.export.project_tables", with_new_column)
    for pseudo in (True, False):
        with pytest.raises(PseudonymisationError, match="follow_up_date"):
            export_store(colliding_store, tmp_path / f"x{pseudo}", pseudonymise=pseudo)


def test_gate_is_identity_when_inactive() -> None:
    rows = [["P1", "E1", "2024-01-01"]]
    assert Gate().table(["patient_id", "exam_pair_id", "ct_date"], rows) == rows


# ------------------------------------------------------------------ full disk, permissions
def _enospc(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_during_export_says_so_and_leaves_no_partial_file(colliding_store: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "export"
    export_store(colliding_store, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(annotation.files.os, "replace", _enospc)
    assert main(["export", str(colliding_store), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "the disk is full" in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # old files intact, no temps


def test_full_disk_while_writing_the_temporary(tmp_path: Path) -> None:
    def fill(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        _enospc()

    with pytest.raises(LesionlabError, match="the disk is full") as err:
        annotation.files.atomic_write(tmp_path / "a.csv", fill)
    assert err.value.where == str(tmp_path / "a.csv") and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_exported_files_get_the_users_normal_permissions(colliding_store: Path, tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        export_store(colliding_store, tmp_path / "e")
    finally:
        os.umask(old)
    modes = {oct(p.stat().st_mode & 0o777) for p in (tmp_path / "e").rglob("*") if p.is_file()}
    assert modes == {oct(0o666 & ~umask)}
