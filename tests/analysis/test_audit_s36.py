"""Audit (session 36) of `lesionlab analyze` and `lesionlab agreement`: numbers equal to R's on the cases a
real study meets, computed by R from the very CSV files lesionlab reads; and researcher-edited inputs read
correctly or refused naming file, line and column, never misread.

The R side is live, as in test_against_rscript.py: the scripts in tests/analysis/r_audit_s36/ read the same
files and follow analysis/README.md's rules with R's own functions (paired_from_csv.R: wilcox.test, t.test,
p.adjust "holm"; tables_from_csv.R: the detection and sizes tables counted by hand; agreement_from_csv.R:
psych::ICC(lmer = FALSE), qt(p, df, ncp) for the exact limits, psych::cohen.kappa, Bland & Altman 2007, and
detection's positive agreement counted by hand; readers_from_csv.R: nlme::lme for paired_tests_readers.csv).
No R value is hard-coded here; the R tests are skipped when Rscript or psych is missing.

Cohorts: the sample reading's export; a one-reader synthetic cohort (uncountable series); two readers with
whole-mm diameters (ties and zero differences everywhere, not_read and not_countable counts); five patients
'000'..'004' with n < 6, constant differences (R's t.test stops), a single pair, one side not visible; three
readers where one misses lesions (missing cells), one equals another exactly and one is another + 2 mm (zero
residual variance), one count value given by one reader only; and a French-Excel copy (cp1252, ';', decimal
commas, 'sep=;', CRLF, VRAI/FAUX, a reader named Hélène) read by lesionlab and by R.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.agreement import agreement_table
from analysis.agreement_data import from_cohort
from analysis.agreement_paired import reader_factor_table
from analysis.inputs import Cohort, load_csv_inputs
from analysis.pairing import DiameterPairs, count_matrices
from analysis.tables import detection_table, paired_tests_table, sizes_table
from analysis.testing import synthetic_cohort
from app.cli import main
from viewer.errors import InputFormatError

RSCRIPT = shutil.which("Rscript")
R_DIR = Path(__file__).parent / "r_audit_s36"
REPO = Path(__file__).resolve().parents[2]
ROLES = ("mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal", "ct_arterial", "ct_portal")
M_COLS = ["patient_id", "exam_pair_id", "reader", "lesion_id", "lobe", "segment", "series_role",
          "series_instance_uid", "slice_index", "diameter_mm", "status", "p1_row", "p1_col", "p2_row", "p2_col"]
C_COLS = ["patient_id", "exam_pair_id", "reader", "series_role", "lobe", "count", "uncountable"]
FRENCH = {"LL_SEP": ";", "LL_DEC": ",", "LL_ENC": "cp1252", "LL_SKIP": "1"}


def _has_psych() -> bool:
    if RSCRIPT is None:
        return False
    return subprocess.run([RSCRIPT, "--vanilla", "-e", "library(psych)"], capture_output=True).returncode == 0


needs_r = pytest.mark.skipif(RSCRIPT is None, reason="Rscript is not installed")
needs_psych = pytest.mark.skipif(not _has_psych(), reason="Rscript or R's psych package is not installed")


# ------------------------------------------------------------------------------------------ cohorts
def _write(folder: Path, m: pd.DataFrame, c: pd.DataFrame) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    m.to_csv(folder / "measurements.csv", index=False, lineterminator="\n")
    c.to_csv(folder / "counts.csv", index=False, lineterminator="\n")
    return folder / "measurements.csv", folder / "counts.csv"


def _whole_mm(values: pd.Series, shift: np.ndarray | None = None) -> pd.Series:
    d = pd.to_numeric(values, errors="coerce")
    if shift is not None:
        d = d + shift
    return d.round().clip(lower=5).map(lambda v: "" if pd.isna(v) else f"{v:g}")


def one_reader(folder: Path) -> tuple[Path, Path]:
    m, c, _ = synthetic_cohort(40, seed=3, uncountable_rate=0.05)
    return _write(folder, m, c)


def two_readers(folder: Path) -> tuple[Path, Path]:
    """Whole-mm diameters (ties, zero differences), a second reader +-1 mm and +-2 lesions, count_status with
    not_countable and not_read rows."""
    rng = np.random.default_rng(1)
    m, c, _ = synthetic_cohort(25, seed=5)
    m2 = m.copy()
    m2["reader"] = "R2"
    m2["diameter_mm"] = _whole_mm(m2["diameter_mm"], rng.integers(-1, 2, len(m2)))
    m["diameter_mm"] = _whole_mm(m["diameter_mm"])
    c["count_status"] = np.where(c["uncountable"] == "true", "not_countable", "counted")
    c2 = c.copy()
    c2["reader"] = "R2"
    n = pd.to_numeric(c2["count"], errors="coerce") + rng.integers(-2, 3, len(c2))
    c2["count"] = n.clip(lower=0).map(lambda v: "" if pd.isna(v) else str(int(v)))
    unread = (rng.random(len(c2)) < 0.05) & (c2["uncountable"] == "false").to_numpy()
    c2.loc[unread, ["count", "count_status"]] = ["", "not_read"]
    return _write(folder, pd.concat([m, m2]), pd.concat([c, c2]))


def small_study(folder: Path) -> tuple[Path, Path]:
    """Five patients '000'..'004' (leading zeros kept): n = 5 < 6 pairs (exact Wilcoxon), T2FS - DWI always
    -1 mm and T1 arterial = T1 portal (R's t.test stops; Wilcoxon V = 0 with p NA), CT portal seen on one
    patient only (a single pair; NaN on one side for the others)."""
    m_rows: list[tuple[object, ...]] = []
    c_rows: list[tuple[object, ...]] = []
    values = [(20, 21, 30, 30, 10, 12), (25, 26, 31, 31, 11, 12.5), (30, 31, 32, 32, 12, 13),
              (35, 36, 33, 33, 13, 13.5), (40, 41, 34, 34, 14, 15)]
    for k, row in enumerate(values):
        pid = f"00{k}"
        for role, v in zip(ROLES, row):
            visible = role != "ct_portal" or k == 0
            m_rows.append((pid, "E1", "R1", "L1", "right", "", role, "", "", v if visible else "",
                           "measured" if visible else "not_visible", "", "", "", ""))
            for lobe, n in (("right", k + 1), ("left", 2)):
                c_rows.append((pid, "E1", "R1", role, lobe, n + (role == "mr_dwi") - (role == "ct_portal" and k > 0),
                               "false"))
    return _write(folder, pd.DataFrame(m_rows, columns=M_COLS), pd.DataFrame(c_rows, columns=C_COLS))


def three_readers(folder: Path) -> tuple[Path, Path]:
    """two_readers + R3: R1 + N(0, 2) mm with 10 % of lesions missed (missing cells), exactly R1 on T1 portal,
    R1 + 2 mm on CT portal; R2 without one lesion at all; R3 alone gives a count of 97."""
    src = folder.parent / (folder.name + "_base")
    mp, cp = two_readers(src)
    m = pd.read_csv(mp, dtype=str, keep_default_na=False)
    c = pd.read_csv(cp, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(7)
    m3 = m[m.reader == "R1"].copy()
    m3["reader"] = "R3"
    d = pd.to_numeric(m3["diameter_mm"], errors="coerce")
    m3["diameter_mm"] = (d + rng.normal(0, 2, len(d))).round(1).map(lambda v: "" if pd.isna(v) else f"{v:g}")
    missed = (rng.random(len(m3)) < 0.1) & (m3["status"] == "measured").to_numpy()
    m3.loc[missed, ["diameter_mm", "status"]] = ["", "not_visible"]
    r1 = m[m.reader == "R1"]
    for role, offset in (("mr_t1_portal", 0.0), ("ct_portal", 2.0)):
        sel = (m3["series_role"] == role).to_numpy()
        src_rows = r1[r1["series_role"] == role]
        m3.loc[sel, "status"] = src_rows["status"].to_numpy()
        m3.loc[sel, "diameter_mm"] = [f"{float(v) + offset:g}" if v else "" for v in src_rows["diameter_mm"]]
    m2 = m[m.reader == "R2"]
    first = m2.iloc[0]
    m2 = m2[~((m2.patient_id == first.patient_id) & (m2.exam_pair_id == first.exam_pair_id)
              & (m2.lesion_id == first.lesion_id))]
    c3 = c[c.reader == "R1"].copy()
    c3["reader"] = "R3"
    n = pd.to_numeric(c3["count"], errors="coerce") + rng.integers(-1, 4, len(c3))
    c3["count"] = n.clip(lower=0).map(lambda v: "" if pd.isna(v) else str(int(v)))
    c3.loc[c3.index[5], "count"] = "97" if c3.loc[c3.index[5], "count"] else ""
    return _write(folder, pd.concat([m[m.reader == "R1"], m2, m3]), pd.concat([c, c3]))


def french_copy(paths: tuple[Path, Path], folder: Path) -> tuple[Path, Path]:
    """The files as a French Excel saves them: 'sep=;' line, ';', decimal commas, cp1252, CRLF, VRAI/FAUX,
    readers renamed Hélène 1, 2, 3."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for path in paths:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in ("diameter_mm", "count"):
            if col in df:
                df[col] = df[col].str.replace(".", ",", regex=False)
        df = df.replace({"true": "VRAI", "false": "FAUX"})
        df["reader"] = df["reader"].str.replace("R", "H\u00e9l\u00e8ne ", regex=False)
        target = folder / path.name
        target.write_bytes(("sep=;\r\n" + df.to_csv(index=False, sep=";", lineterminator="\r\n")).encode("cp1252"))
        out.append(target)
    return out[0], out[1]


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[tuple[Path, Path], dict[str, str]]]:
    """name -> ((measurements.csv, counts.csv), how R reads them)."""
    root = tmp_path_factory.mktemp("audit")
    assert main(["export", str(REPO / "sample_dicom" / "reading.lesionlab"), "--out", str(root / "sample")]) == 0
    two = two_readers(root / "two")
    three = three_readers(root / "three")
    return {
        "sample export": ((root / "sample" / "measurements.csv", root / "sample" / "counts.csv"), {}),
        "one reader": (one_reader(root / "one"), {}),
        "two readers, ties": (two, {}),
        "small study": (small_study(root / "small"), {}),
        "three readers": (three, {}),
        "three readers, French Excel": (french_copy(three, root / "three_fr"), FRENCH),
    }


# ------------------------------------------------------------------------------------------ comparing
def _r(script: str, args: list[Path], env: dict[str, str]) -> None:
    subprocess.run([str(RSCRIPT), "--vanilla", str(R_DIR / script), *map(str, args)], check=True,
                   capture_output=True, timeout=300, env={**os.environ, **env})


def _r_table(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return df.apply(lambda s: s.str.strip())


def _compare(ours: pd.DataFrame, r: pd.DataFrame, key: list[str]) -> tuple[int, float, list[str]]:
    """Every number R gives against ours: NA where R's is NA, else equal to 1e-6 relative (1e-12 absolute).
    Returns (numbers compared, worst relative error, mismatches)."""
    ours = ours.copy()
    for k in key:
        ours[k] = ours[k].fillna("").astype(str)
    o = ours.set_index(key)
    rr = r.set_index(key)
    assert set(rr.index) <= set(o.index), set(rr.index) - set(o.index)
    compared, worst, bad = 0, 0.0, []
    for idx in rr.index:
        for col in rr.columns:
            text = rr.at[idx, col]
            rv = None if text in ("NA", "NaN", "") else float(text)
            ov = o.at[idx, col]
            ov = None if pd.isna(ov) else float(ov)
            if rv is None and ov is None:
                continue
            compared += 1
            if (rv is None) != (ov is None):
                bad.append(f"{idx} {col}: R {rv}, lesionlab {ov}")
                continue
            assert rv is not None and ov is not None
            if abs(ov - rv) > 1e-12 and abs(ov - rv) > 1e-6 * abs(rv):
                bad.append(f"{idx} {col}: R {rv!r}, lesionlab {ov!r}")
            elif rv != 0:
                worst = max(worst, abs(ov - rv) / abs(rv))
    return compared, worst, bad


def _cohort(paths: tuple[Path, Path]) -> Cohort:
    return load_csv_inputs(*paths)


CASES = ["sample export", "one reader", "two readers, ties", "small study", "three readers",
         "three readers, French Excel"]


@needs_r
@pytest.mark.parametrize("case", CASES)
def test_paired_tests_equal_r_from_the_same_files(  # type: ignore[no-untyped-def]
        cohorts, case: str, tmp_path: Path) -> None:
    paths, env = cohorts[case]
    cohort = _cohort(paths)
    ours = paired_tests_table(DiameterPairs.from_measurements(cohort.measurements), count_matrices(cohort.counts))
    _r("paired_from_csv.R", [*paths, tmp_path / "r.csv"], env)
    key = ["analysis", "level", "region", "series_a", "series_b"]
    n, worst, bad = _compare(ours, _r_table(tmp_path / "r.csv"), key)
    print(f"{case}: paired_tests {n} numbers, worst relative error {worst:.1e}")
    assert not bad, "\n".join(bad[:20])
    assert n > 300


@needs_r
@pytest.mark.parametrize("case", CASES)
def test_detection_and_sizes_equal_a_hand_count_in_r(  # type: ignore[no-untyped-def]
        cohorts, case: str, tmp_path: Path) -> None:
    paths, env = cohorts[case]
    cohort = _cohort(paths)
    counts = count_matrices(cohort.counts)
    diameters = DiameterPairs.from_measurements(cohort.measurements)
    _r("tables_from_csv.R", [*paths, tmp_path / "det.csv", tmp_path / "siz.csv"], env)
    n1, w1, bad1 = _compare(detection_table(counts), _r_table(tmp_path / "det.csv"), ["series_role", "region"])
    n2, w2, bad2 = _compare(sizes_table(diameters), _r_table(tmp_path / "siz.csv"), ["series_role", "level"])
    print(f"{case}: detection {n1} numbers, sizes {n2}, worst relative error {max(w1, w2):.1e}")
    assert not bad1 + bad2, "\n".join((bad1 + bad2)[:20])


@needs_psych
@pytest.mark.parametrize("case", ["two readers, ties", "three readers", "three readers, French Excel"])
def test_agreement_equals_psych_from_the_same_files(  # type: ignore[no-untyped-def]
        cohorts, case: str, tmp_path: Path) -> None:
    paths, env = cohorts[case]
    ours = agreement_table(from_cohort(_cohort(paths)))
    _r("agreement_from_csv.R", [*paths, tmp_path / "r.csv"], env)
    r = _r_table(tmp_path / "r.csv")
    n, worst, bad = _compare(ours, r, ["analysis", "series_role", "region", "reader_a", "reader_b"])
    print(f"{case}: agreement {n} numbers, worst relative error {worst:.1e}")
    assert not bad, "\n".join(bad[:20])
    assert n > 400



@needs_r
@pytest.mark.parametrize("case", ["two readers, ties", "three readers, French Excel"])
def test_reader_factor_comparisons_equal_nlme_from_the_same_files(  # type: ignore[no-untyped-def]
        cohorts, case: str, tmp_path: Path) -> None:
    """paired_tests_readers.csv against nlme::lme (REML, contr.sum) fitted by R on the same files. nlme stops at its
    own convergence tolerance (1e-3 relative on p here with its defaults, 1e-4 with msTol = tolerance = 1e-15: it
    moves towards lesionlab's profiled optimum) and cannot reach a patient variance of 0, which lesionlab gives at
    the boundary: so 1e-3 relative, and sd_patient within 1e-2 of the residual SD."""
    paths, env = cohorts[case]
    cohort = _cohort(paths)
    ours = reader_factor_table(DiameterPairs.from_measurements(cohort.measurements), count_matrices(cohort.counts))
    _r("readers_from_csv.R", [*paths, tmp_path / "r.csv"], env)
    r = _r_table(tmp_path / "r.csv").set_index(["analysis", "level", "region", "series_a", "series_b"])
    o = ours.set_index(["analysis", "level", "region", "series_a", "series_b"])
    compared, bad = 0, []
    for idx in r.index:
        for col in r.columns:
            rv = None if r.at[idx, col] in ("NA", "") else float(r.at[idx, col])
            ov = None if pd.isna(o.at[idx, col]) else float(o.at[idx, col])
            if rv is None and ov is None:
                continue
            compared += 1
            if rv is None or ov is None:
                bad.append(f"{idx} {col}: R {rv}, lesionlab {ov} ({o.at[idx, 'note']})")
            elif col == "sd_patient":
                if abs(ov - rv) > 1e-2 * float(o.at[idx, "sd_residual"]):
                    bad.append(f"{idx} {col}: R {rv}, lesionlab {ov}")
            elif abs(ov - rv) > 1e-3 * abs(rv) and abs(ov - rv) > 1e-9:
                bad.append(f"{idx} {col}: R {rv}, lesionlab {ov}")
    print(f"{case}: paired_tests_readers {compared} numbers")
    assert not bad, "\n".join(bad[:20])
    assert compared > 500


# ------------------------------------------------------------------------------------------ inputs
HEADER_C = "patient_id,exam_pair_id,reader,series_role,lobe,count,uncountable"
HEADER_M = ",".join(M_COLS)


def _m_line(pid: str = "P1", d: str = "12.5", role: str = "mr_dwi", lid: str = "L1") -> str:
    return f"{pid},E1,R1,{lid},right,,{role},,,{d},measured,,,,"


def _files(tmp_path: Path, m_lines: list[str], c_lines: list[str], *, sep: str = ",",
           trailer: str = "") -> tuple[Path, Path]:
    mp, cp = tmp_path / "m.csv", tmp_path / "c.csv"
    for path, lines in ((mp, m_lines), (cp, c_lines)):
        path.write_text("".join(line + trailer + "\r\n" for line in lines), encoding="utf-8")
    return mp, cp


@pytest.mark.parametrize("cell", ['"1,000"', '"2,500"', '"1,000,000"'])
def test_a_thousands_separator_is_never_read_as_a_decimal_comma(tmp_path: Path, cell: str) -> None:
    """A count or diameter written with an English thousands separator ("1,000", quoted in a comma-separated
    file) was read as a decimal comma: 1,000 metastases became 1. Where nothing else in the file shows a
    decimal comma, the cell is refused naming file, line and column."""
    mp, cp = _files(tmp_path, [HEADER_M, _m_line()],
                    [HEADER_C, "P1,E1,R1,mr_dwi,right,3,false", f"P1,E1,R1,mr_dwi,left,{cell},false"])
    with pytest.raises(InputFormatError) as err:
        load_csv_inputs(mp, cp)
    assert err.value.where == f"{cp}, line 3, column 'count'"
    assert cell.strip('"') in err.value.message and "thousands" in err.value.message
    mp, cp = _files(tmp_path, [HEADER_M, _m_line(d="13.5"), _m_line(lid="L2", d=cell)],
                    [HEADER_C, "P1,E1,R1,mr_dwi,right,3,false"])
    with pytest.raises(InputFormatError) as err:
        load_csv_inputs(mp, cp)
    assert err.value.where == f"{mp}, line 3, column 'diameter_mm'"


def test_decimal_commas_shown_elsewhere_in_the_file_decide_such_a_cell(tmp_path: Path) -> None:
    """A French file (decimal commas proven by '12,5') reads '2,500' as 2.5, as it did; a ';' file too."""
    mp, cp = _files(tmp_path, [HEADER_M, _m_line(d='"12,5"'), _m_line(lid="L2", d='"2,500"')],
                    [HEADER_C, "P1,E1,R1,mr_dwi,right,3,false"])
    assert sorted(load_csv_inputs(mp, cp).measurements["diameter_mm"]) == [2.5, 12.5]
    french_line = _m_line(d="2,500").replace(",", ";").replace("2;500", "2,500")
    mp, cp = _files(tmp_path, [HEADER_M.replace(",", ";"), french_line],
                    [HEADER_C.replace(",", ";"), "P1;E1;R1;mr_dwi;right;3;FAUX"])
    assert list(load_csv_inputs(mp, cp).measurements["diameter_mm"]) == [2.5]


def test_excels_trailing_empty_columns_are_read(tmp_path: Path) -> None:
    """Excel saves every line with the separators of its used range: after a column was typed in and
    cleared, each line (header included) ends with ';;'. The two empty header names were refused as
    'column(s) [''] appear more than once'; they name nothing and are read as the plain file."""
    m = [HEADER_M, _m_line(), _m_line(role="mr_t2fs", d="11.5")]
    c = [HEADER_C, "P1,E1,R1,mr_dwi,right,3,false", "P1,E1,R1,mr_dwi,left,1,false"]
    (tmp_path / "plain").mkdir()
    (tmp_path / "excel").mkdir()
    plain = load_csv_inputs(*_files(tmp_path / "plain", m, c))
    excel = load_csv_inputs(*_files(tmp_path / "excel", [x.replace(",", ";") for x in m],
                                    [x.replace(",", ";") for x in c], trailer=";;"))
    for name in ("measurements", "counts"):
        pd.testing.assert_frame_equal(getattr(excel, name), getattr(plain, name), check_dtype=False)


def test_a_named_column_appearing_twice_is_still_refused(tmp_path: Path) -> None:
    mp, cp = _files(tmp_path, [HEADER_M + ",lobe", _m_line() + ",left"], [HEADER_C, "P1,E1,R1,mr_dwi,right,3,false"])
    with pytest.raises(InputFormatError, match="'lobe'"):
        load_csv_inputs(mp, cp)


def test_patient_ids_keep_their_leading_zeros(tmp_path: Path) -> None:
    mp, cp = _files(tmp_path, [HEADER_M, _m_line(pid="007")], [HEADER_C, "007,E1,R1,mr_dwi,right,3,false"])
    cohort = load_csv_inputs(mp, cp)
    assert list(cohort.measurements["patient_id"]) == ["007"] and set(cohort.counts["patient_id"]) == {"007"}


def test_ids_differing_only_by_leading_zeros_are_refused_naming_both_lines(tmp_path: Path) -> None:
    """A spreadsheet opening a CSV drops the leading zeros of an all-digit id: the patient '007' of counts.csv
    became '7' in the measurements.csv the researcher edited, and the two were analysed as two patients (their
    readers' lesions unpaired in the agreement) without a word. Refused like ids differing only by case."""
    mp, cp = _files(tmp_path, [HEADER_M, _m_line(pid="7")], [HEADER_C, "007,E1,R1,mr_dwi,right,3,false"])
    with pytest.raises(InputFormatError) as err:
        load_csv_inputs(mp, cp)
    text = f"{err.value.where}: {err.value.message}"
    assert "'007'" in text and "'7'" in text and "leading zero" in text
    assert f"{mp}, line 2" in text and f"{cp}, line 2" in text


def test_an_empty_file_and_a_header_only_pair_are_refused_naming_the_file(tmp_path: Path) -> None:
    mp, cp = _files(tmp_path, [], [HEADER_C, "P1,E1,R1,mr_dwi,right,3,false"])
    with pytest.raises(InputFormatError) as err:
        load_csv_inputs(mp, cp)
    assert err.value.where == str(mp) and "empty" in err.value.message
    mp, cp = _files(tmp_path, [HEADER_M], [HEADER_C])
    with pytest.raises(InputFormatError, match="nothing to analyse"):
        load_csv_inputs(mp, cp)


def test_french_excel_reads_equal_the_plain_files(cohorts) -> None:  # type: ignore[no-untyped-def]
    plain = _cohort(cohorts["three readers"][0])
    french = _cohort(cohorts["three readers, French Excel"][0])
    assert french.input_notes and "decimal comma, Windows-1252 (cp1252), 'sep=;' first line" in french.input_notes[0]
    for name in ("measurements", "counts"):
        a = getattr(plain, name).drop(columns="line")
        b = getattr(french, name).drop(columns="line")
        b["reader"] = b["reader"].str.replace("H\u00e9l\u00e8ne ", "R", regex=False)
        pd.testing.assert_frame_equal(a, b, check_dtype=False)



def test_a_file_mixing_utf8_and_windows_1252_is_refused_naming_a_line_of_each(tmp_path: Path) -> None:
    """lesionlab's UTF-8 export with a row appended by an editor saving Windows-1252 was read whole as
    Windows-1252: the reader 'Hélène' of 84 rows became 'HÃ©lÃ¨ne', another reader than counts.csv's 'Hélène'
    (an agreement of three readers from two). Refused, naming a UTF-8 line and the first other one."""
    m = [HEADER_M, *(_m_line(role=role).replace(",R1,", ",H\u00e9l\u00e8ne,") for role in ("mr_dwi", "mr_t2fs"))]
    c = [HEADER_C, "P1,E1,H\u00e9l\u00e8ne,mr_dwi,right,3,false"]
    mp, cp = _files(tmp_path, m[:2], c)
    with mp.open("ab") as f:
        f.write((m[2] + "\r\n").encode("cp1252"))
    with pytest.raises(InputFormatError) as err:
        load_csv_inputs(mp, cp)
    assert err.value.where == str(mp)
    assert "mixes two encodings: line 2 holds UTF-8 text" in err.value.message
    assert "line 3 does not" in err.value.message
    mp.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(m[:2]) + "\r\n").encode("utf-8") + (m[2] + "\r\n").encode("cp1252"))
    with pytest.raises(InputFormatError, match="mixes two encodings: line 2 holds UTF-8 text .* line 3 does not"):
        load_csv_inputs(mp, cp)
    # one encoding throughout, either one, is read as before
    for enc in ("utf-8", "cp1252", "utf-8-sig"):
        mp.write_bytes(("\r\n".join(m) + "\r\n").encode(enc))
        cp.write_bytes(("\r\n".join(c) + "\r\n").encode(enc))
        cohort = load_csv_inputs(mp, cp)
        assert set(cohort.measurements["reader"]) == set(cohort.counts["reader"]) == {"H\u00e9l\u00e8ne"}


@pytest.mark.parametrize("shortened", ["1,23457E+11", "1.23457E+11", "9,87654E+15"])
def test_an_id_a_spreadsheet_shortened_to_scientific_notation_is_refused(tmp_path: Path, shortened: str) -> None:
    """Excel shows a number of 12 digits or more (a hospital patient number) as 1,23457E+11 and saves it so: the
    patients 123456789012 and 123456789099 became one patient '1,23457E+11' holding both exam pairs, without a word.
    Refused naming file, line and column; other ids, and this form inside a longer id, are read."""
    mp, cp = _files(tmp_path, [HEADER_M, f"{shortened},E1,R1,L1,right,,mr_dwi,,,12.5,measured,,,,",
                               f"{shortened},E2,R1,L1,right,,mr_dwi,,,14.5,measured,,,,"],
                    [HEADER_C, f"{shortened},E1,R1,mr_dwi,right,3,false"])
    if "," in shortened:
        for path in (mp, cp):
            path.write_text(path.read_text(encoding="utf-8").replace(shortened, f'"{shortened}"'), encoding="utf-8")
    with pytest.raises(InputFormatError) as err:
        load_csv_inputs(mp, cp)
    assert err.value.where == f"{mp}, line 2, column 'patient_id'"
    assert shortened in err.value.message and "scientific" in err.value.message
    mp, cp = _files(tmp_path, [HEADER_M, _m_line(pid="123456789012"), _m_line(pid="P-1.5E+10x")],
                    [HEADER_C, "123456789012,E1,R1,mr_dwi,right,3,false"])
    assert set(load_csv_inputs(mp, cp).measurements["patient_id"]) == {"123456789012", "P-1.5E+10x"}


def test_a_binary_file_given_for_a_csv_is_named_as_not_text(tmp_path: Path) -> None:
    """The xlsx of a previous analysis, the store or an image given for --measurements: a file with NUL bytes is no
    text, whatever UTF-8-looking bytes it holds (never 'mixes two encodings')."""
    _, cp = _files(tmp_path, [HEADER_M], [HEADER_C, "P1,E1,R1,mr_dwi,right,3,false"])
    for name, data in (("analysis.xlsx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb1\xca\xa1\xc3\xa9"),
                       ("reading.lesionlab", b"SQLite format 3\x00\x10\x00\x01\x01\x00@  \xf6\xce\xbb")):
        path = tmp_path / name
        path.write_bytes(data * 50)
        with pytest.raises(InputFormatError) as err:
            load_csv_inputs(path, cp)
        assert err.value.where == str(path)
        assert "not a text file" in err.value.message and "encodings" not in err.value.message


@pytest.mark.parametrize(("cell", "column"), [("3,5", "count"), ("0,0", "diameter_mm"), ("1200,5", "diameter_mm")])
def test_a_refused_number_of_a_decimal_comma_file_is_quoted_as_written(tmp_path: Path, cell: str, column: str) -> None:
    """In a French file the refusal quoted the number with a point ('3.5' is not a whole number), a value the
    researcher's file does not hold: it is quoted as written."""
    d = cell if column == "diameter_mm" else "12,5"
    n = cell if column == "count" else "3"
    mp, cp = _files(tmp_path, [HEADER_M.replace(",", ";"), f"P1;E1;R1;L1;right;;mr_dwi;;;{d};measured;;;;",
                               "P1;E1;R1;L2;right;;mr_dwi;;;13,5;measured;;;;"],
                    [HEADER_C.replace(",", ";"), f"P1;E1;R1;mr_dwi;right;{n};FAUX", "P1;E1;R1;mr_dwi;left;2,0;FAUX"])
    with pytest.raises(InputFormatError) as err:
        load_csv_inputs(mp, cp)
    assert err.value.where.endswith(f"line 2, column '{column}'")
    assert cell in err.value.message and cell.replace(",", ".") not in err.value.message
