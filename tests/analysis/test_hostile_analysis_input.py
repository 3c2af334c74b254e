"""Hostile input at the analysis boundary (issue 9, "Analysis input and numbers"): counts in
foreign digits or out of bounds, ids that differ only in form, control characters, French-Excel
CSVs, a full disk, permissions, and p-values that must stay in [0, 1]."""

from __future__ import annotations

import errno
import os
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import annotation.files
from analysis.csvfile import read_records
from analysis.inputs import check_id_forms, load_csv_inputs, raw_from_frame, read_csv_table, validate_counts
from analysis.paired_tests import holm
from analysis.pipeline import analyse, write_outputs
from analysis.report import fmt_p
from analysis.testing import synthetic_cohort
from app.cli import main
from viewer.errors import InputFormatError

MEAS_HEADER = ("patient_id,exam_pair_id,reader,lesion_id,lobe,segment,series_role,series_instance_uid,"
               "slice_index,diameter_mm,status,p1_row,p1_col,p2_row,p2_col")
COUNT_HEADER = "patient_id,exam_pair_id,reader,series_role,lobe,count,uncountable"


def meas(pid: str = "P1", eid: str = "E1", reader: str = "R1", lid: str = "L1", role: str = "mr_dwi",
         d: str = "12.5") -> str:
    return f"{pid},{eid},{reader},{lid},right,,{role},,,{d},measured,,,,"


def count(pid: str = "P1", eid: str = "E1", reader: str = "R1", role: str = "mr_dwi", lobe: str = "right",
          n: str = "3") -> str:
    return f"{pid},{eid},{reader},{role},{lobe},{n},false"


def write(folder: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def load(tmp_path: Path, m_lines: list[str], c_lines: list[str]):  # type: ignore[no-untyped-def]
    return load_csv_inputs(write(tmp_path, "measurements.csv", [MEAS_HEADER, *m_lines]),
                           write(tmp_path, "counts.csv", [COUNT_HEADER, *c_lines]))


# ------------------------------------------------------------------ counts
@pytest.mark.parametrize("bad", ["３", "٣", "1e23", "10001", "-1", "3.5", "0x3", "١٢", "3\u200b", "+3", "inf", "1_0"])
def test_counts_are_ascii_whole_numbers_within_the_bound(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InputFormatError) as err:
        load(tmp_path, [meas()], [count(n="2"), count(lobe="left", n=bad)])
    assert err.value.where == f"{tmp_path / 'counts.csv'}, line 3, column 'count'"
    assert "0 to 10000" in err.value.message


@pytest.mark.parametrize("good,value", [("0", 0.0), ("10000", 10000.0), (" 7 ", 7.0), ("3.0", 3.0), ("3\u00a0", 3.0)])
def test_counts_in_bounds_are_read(tmp_path: Path, good: str, value: float) -> None:
    cohort = load(tmp_path, [meas()], [count(n=good)])
    assert cohort.counts["count"].tolist() == [value]


@pytest.mark.parametrize("bad", ["１２.５", "١٢", "nan", "inf", "1e400", "12,5,0", "0x10"])
def test_diameters_in_foreign_digits_or_not_finite_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InputFormatError, match="diameter_mm"):
        load(tmp_path, [meas(d=f'"{bad}"')], [count()])


# ------------------------------------------------------------------ ids
NFD_E = unicodedata.normalize("NFD", "\u00e9")
CLASHES = [
    ("lesion case", meas(lid="L1"), meas(lid="l1", role="mr_t2fs"), "lesion_id"),
    ("lesion space", meas(lid="L1"), meas(lid="L1 ", role="mr_t2fs"), "lesion_id"),
    ("patient NFC/NFD", meas(pid="P\u00e9"), meas(pid=f"P{NFD_E}", role="mr_t2fs"), "patient_id"),
    ("patient full-width", meas(pid="P1"), meas(pid="\uff301", role="mr_t2fs"), "patient_id"),
    ("reader case", meas(reader="Anna"), meas(reader="anna", role="mr_t2fs"), "reader"),
    ("exam pair space", meas(eid="E1"), meas(eid=" E1", role="mr_t2fs"), "exam_pair_id"),
]


@pytest.mark.parametrize("name,first,second,column", CLASHES, ids=[c[0] for c in CLASHES])
def test_ids_differing_only_in_form_are_refused_naming_both_lines(tmp_path: Path, name: str, first: str,
                                                                  second: str, column: str) -> None:
    with pytest.raises(InputFormatError) as err:
        load(tmp_path, [first, meas(lid="L2"), second], [count()])
    msg = str(err.value)
    assert f"line 4, column {column!r}" in msg and "line 2)" in msg and "only by case, Unicode form" in msg


def test_same_lesion_id_in_another_exam_pair_is_not_a_clash(tmp_path: Path) -> None:
    cohort = load(tmp_path, [meas(lid="L1"), meas(eid="E2", lid="l1")], [count()])
    assert sorted(cohort.measurements["lesion_id"]) == ["L1", "l1"]


def test_a_clash_across_files_names_both_files(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError) as err:
        load(tmp_path, [meas(pid="P1")], [count(pid="p1")])
    assert "counts.csv, line 2, column 'patient_id'" in str(err.value)
    assert "measurements.csv, line 2)" in str(err.value)


def test_ids_are_never_stripped_or_merged(tmp_path: Path) -> None:
    cohort = load(tmp_path, [meas(pid=" P7 ")], [count(pid=" P7 ")])
    assert cohort.measurements["patient_id"].tolist() == [" P7 "]


@pytest.mark.parametrize("bad", ["P\x001", "P\x0b1", "\u200bP1", "\ufeffP1", "P1\u202e", '"P\r1"', "P\x1b1", '"P\t1"'])
def test_control_and_invisible_characters_in_ids_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InputFormatError) as err:
        load(tmp_path, [meas(pid=bad)], [count()])
    assert "line 2, column 'patient_id'" in str(err.value) and "invisible or control character" in str(err.value)


def test_a_store_table_is_checked_the_same_way_rows_named() -> None:
    df = pd.DataFrame({"patient_id": ["P1", "P1 "], "exam_pair_id": ["E1", "E1"], "reader": ["R1", "R1"],
                       "series_role": ["mr_dwi", "mr_dwi"], "lobe": ["right", "right"], "count": [1, 2],
                       "uncountable": [False, False]})
    raw = raw_from_frame(df, "s.lesionlab (counts)")
    validate_counts(raw)  # each row valid on its own, and the id kept exactly
    assert raw.frame["patient_id"].tolist() == ["P1", "P1 "]
    with pytest.raises(InputFormatError, match=r"s.lesionlab \(counts\), row 2, column 'patient_id'.*row 1\)"):
        check_id_forms([raw])
    with pytest.raises(InputFormatError, match="row 1, column 'reader'"):
        validate_counts(raw_from_frame(df.assign(reader=["R\x001", "R1"]), "s.lesionlab (counts)"))


def test_a_store_with_near_duplicate_patients_is_refused(tmp_path: Path) -> None:
    from analysis.inputs import load_store
    from annotation.store import open_reading

    path = tmp_path / "s.lesionlab"
    st, r = open_reading(path, "R1")
    for pid in ("P1", "p1"):
        r.add_patient(pid, "")
        r.add_exam_pair(pid, "E1")
        r.add_count_mark((pid, "E1"), "mr_dwi", "right")
    st.close()
    with pytest.raises(InputFormatError, match="'p1' differs from 'P1'"):
        load_store(path)


# ------------------------------------------------------------------ French Excel
def _frames(n: int = 15) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A synthetic cohort with numbers typed (so decimal marks apply) and a reader named H\u00e9l\u00e8ne."""
    m, c, p = synthetic_cohort(n, seed=3)
    m["diameter_mm"] = pd.to_numeric(m["diameter_mm"].replace("", None)).astype(float)
    m["reader"] = c["reader"] = "H\u00e9l\u00e8ne"
    return m, c, p


def _excel(df: pd.DataFrame, path: Path, *, sep: str, decimal: str, encoding: str, sep_line: bool,
           vrai: bool) -> Path:
    df = df.copy()
    if vrai:
        df = df.replace({"true": "VRAI", "false": "FAUX"})
    text = df.to_csv(index=False, sep=sep, decimal=decimal, lineterminator="\r\n")
    if sep_line:
        text = f"sep={sep}\r\n" + text
    path.write_bytes(text.encode(encoding))
    return path


VARIANTS = {
    "semicolon cp1252": dict(sep=";", decimal=",", encoding="cp1252", sep_line=False, vrai=False),
    "semicolon utf-8 BOM": dict(sep=";", decimal=",", encoding="utf-8-sig", sep_line=False, vrai=False),
    "sep= line cp1252": dict(sep=";", decimal=",", encoding="cp1252", sep_line=True, vrai=True),
    "sep= line BOM VRAI/FAUX": dict(sep=";", decimal=",", encoding="utf-8-sig", sep_line=True, vrai=True),
    "semicolon decimal point": dict(sep=";", decimal=".", encoding="utf-8", sep_line=False, vrai=True),
    "tab UTF-16 (Unicode text)": dict(sep="\t", decimal=",", encoding="utf-16", sep_line=False, vrai=False),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_french_excel_csvs_are_read_as_the_plain_ones(tmp_path: Path, variant: str) -> None:
    m, c, p = _frames()
    plain = load_csv_inputs(*(_excel(df, tmp_path / f"plain_{n}.csv", sep=",", decimal=".", encoding="utf-8",
                                     sep_line=False, vrai=False) for n, df in zip("mcp", (m, c, p))))
    assert plain.input_notes == ()
    opts = VARIANTS[variant]
    cohort = load_csv_inputs(*(_excel(df, tmp_path / f"{n}.csv", **opts)  # type: ignore[arg-type]
                               for n, df in zip("mcp", (m, c, p))))
    for name in ("measurements", "counts", "patients"):
        ours, ref = getattr(cohort, name).drop(columns="line"), getattr(plain, name).drop(columns="line")
        pd.testing.assert_frame_equal(ours, ref, check_dtype=False)
    assert len(cohort.input_notes) == 3
    note = cohort.input_notes[0]
    assert ("semicolon-separated" if opts["sep"] == ";" else "tab-separated") in note
    assert ("decimal comma" if opts["decimal"] == "," else "decimal point") in note
    assert {"cp1252": "Windows-1252", "utf-8-sig": "UTF-8 with BOM", "utf-8": "UTF-8",
            "utf-16": "UTF-16"}[str(opts["encoding"])] in note
    assert ("'sep=;' first line" in note) == opts["sep_line"]


def test_sep_line_keeps_line_numbers_as_an_editor_shows_them(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", ["sep=;", COUNT_HEADER.replace(",", ";"), "P1;E1;R1;mr_dwi;right;x;FAUX"])
    with pytest.raises(InputFormatError) as err:
        validate_counts(read_csv_table(path))
    assert err.value.where == f"{path}, line 3, column 'count'"


def test_mixed_decimal_marks_are_named(tmp_path: Path) -> None:
    lines = [MEAS_HEADER.replace(",", ";"), meas(d="12,5").replace(",", ";").replace("12;5", "12,5"),
             meas(lid="L2", d="13.5").replace(",", ";")]
    with pytest.raises(InputFormatError) as err:
        read_csv_table(write(tmp_path, "m.csv", lines))
    assert "mixes decimal marks: '12,5' (line 2, column 'diameter_mm') and '13.5' (line 3" in err.value.message


def test_a_field_count_problem_names_the_delimiter_read(tmp_path: Path) -> None:
    lines = ["sep=;", COUNT_HEADER.replace(",", ";"), "P1;E1;R1;mr_dwi;right;3;FAUX", "P1;E1;R1;mr_dwi;left;3,FAUX"]
    with pytest.raises(InputFormatError) as err:
        read_records(write(tmp_path, "c.csv", lines))
    assert err.value.where.endswith("line 4") and "semicolon-separated" in err.value.message


def test_an_unknown_sep_line_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="'sep=#'"):
        read_records(write(tmp_path, "c.csv", ["sep=#", COUNT_HEADER]))


# ------------------------------------------------------------------ outputs: full disk, permissions
def _enospc(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture(scope="module")
def french(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A French-Excel cohort on disk and its analysis (computed once: plots take seconds)."""
    folder = tmp_path_factory.mktemp("french")
    paths = [_excel(df, folder / f"{n}.csv", **VARIANTS["sep= line cp1252"])  # type: ignore[arg-type]
             for n, df in zip(("m", "c", "p"), _frames(8))]
    return paths, analyse(load_csv_inputs(*paths))


def test_full_disk_during_analyze_says_so_without_a_traceback_after_saying_how_it_read(
        tmp_path: Path, french, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(annotation.files.os, "replace", _enospc)
    paths, _ = french
    out = tmp_path / "out"
    assert main(["analyze", "--measurements", str(paths[0]), "--counts", str(paths[1]), "--patients",
                 str(paths[2]), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "m.csv: read as semicolon-separated, decimal comma, Windows-1252 (cp1252), 'sep=;' first line" \
        in captured.out
    assert "the disk is full" in captured.err and "Traceback" not in captured.err
    assert list(tmp_path.iterdir()) == []  # no partial folder, no hidden temporary


def test_full_disk_while_writing_a_table(tmp_path: Path, french, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from viewer.errors import LesionlabError

    monkeypatch.setattr("analysis.pipeline.write_xlsx", _enospc)
    with pytest.raises(LesionlabError, match="the disk is full"):
        write_outputs(french[1], tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_analysis_outputs_get_normal_permissions(tmp_path: Path, french) -> None:  # type: ignore[no-untyped-def]
    umask = 0o002
    old = os.umask(umask)
    try:
        out = write_outputs(french[1], tmp_path / "out")
    finally:
        os.umask(old)
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~umask)
    assert {oct(f.stat().st_mode & 0o777) for f in out.iterdir()} == {oct(0o666 & ~umask)}


# ------------------------------------------------------------------ p-values in [0, 1]
def test_p_outside_0_1_is_never_printed_nor_adjusted() -> None:
    for bad in (2.6, -1e-3, 3.4e45):
        with pytest.raises(ValueError):
            fmt_p(bad)
        with pytest.raises(ValueError):
            holm([0.01, bad])
    assert fmt_p(0.0) == "&lt;0.001" and fmt_p(1.0) == "1.000"


def test_a_cohort_with_strong_differences_gives_p_in_0_1_in_every_table(tmp_path: Path) -> None:
    """The issue's case: ~2,060 lesion pairs with a strong difference (t about -45 to -60)."""
    rng = np.random.default_rng(7)
    n = 2060
    d = np.round(rng.uniform(10, 60, n), 1)
    rows = []
    for i in range(n):
        pid, eid = f"P{i // 3:04d}", "E1"
        rows.append(meas(pid=pid, eid=eid, lid=f"L{i % 3 + 1}", role="mr_t2fs", d=f"{d[i]:.1f}"))
        rows.append(meas(pid=pid, eid=eid, lid=f"L{i % 3 + 1}", role="mr_dwi",
                         d=f"{d[i] + 3 + rng.normal(0, 3):.1f}"))
    cohort = load(tmp_path, rows, [count()])
    result = analyse(cohort)
    table = result.tables["paired_tests"]
    ps = table[["wilcoxon_p", "ttest_p", "p_holm_wilcoxon", "p_holm_ttest"]].to_numpy(dtype=float)
    ps = ps[~np.isnan(ps)]
    assert ps.size and (ps >= 0).all() and (ps <= 1).all()
    row = table[(table["level"] == "lesion") & (table["series_a"] == "mr_t2fs") & (table["series_b"] == "mr_dwi")]
    assert float(row["ttest_t"].iloc[0]) < -30 and float(row["ttest_p"].iloc[0]) < 1e-200
    out = write_outputs(result, tmp_path / "out")
    assert "e+" not in (out / "report.html").read_text(encoding="utf-8").split("<h2>Paired comparisons")[1][:20000]


# ------------------------------------------------------------------ what the report says
def test_methods_state_the_exact_wilcoxon_rule_the_marks_and_the_units(french) -> None:  # type: ignore[no-untyped-def]
    text = french[1].methods_html
    assert "fewer than 50 pairs, no tied absolute differences and no zero difference" in text
    assert "only the Holm-adjusted p-values are marked" in text and "Units:" in text
    assert "nan" not in text.lower()


def test_exact_wilcoxon_only_without_ties_and_zeros() -> None:
    from analysis.paired_tests import wilcoxon_signed_rank

    x = np.arange(1.0, 11.0)
    assert wilcoxon_signed_rank(x, x - np.linspace(0.1, 1.0, 10)).method == "exact"
    assert wilcoxon_signed_rank(x, x - np.r_[0.0, np.linspace(0.2, 1.0, 9)]).method == "normal"  # a zero
    assert wilcoxon_signed_rank(x, x - np.r_[0.5, 0.5, np.linspace(0.2, 0.9, 8)]).method == "normal"  # a tie


def test_one_patient_gives_no_sd_nan_anywhere(tmp_path: Path) -> None:
    from analysis.report import render_report

    m, c, p = _frames(1)
    paths = [_excel(df, tmp_path / f"{n}.csv", sep=",", decimal=".", encoding="utf-8", sep_line=False, vrai=False)
             for n, df in zip("mcp", (m, c, p))]
    result = analyse(load_csv_inputs(*paths))
    html = render_report(tables=result.tables, plots={}, methods=result.methods_html, summary=result.summary)
    assert "SD nan" not in html and "no SD: one value" in html and "nan" not in html.lower()


def test_a_cell_longer_than_csvs_own_limit_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """One cell over 131,072 characters (csv's default limit), in a column nothing reads, refused the whole file
    with "fix the named cell" and no line named (a researcher's check): the file is read."""
    path = tmp_path / "m.csv"
    path.write_text("a,method_params\n1," + "x" * 200_000 + "\n2,{}\n", encoding="utf-8")
    records = read_records(path)
    assert [r[0] for r in records.rows] == ["1", "2"] and len(records.rows[0][1]) == 200_000
