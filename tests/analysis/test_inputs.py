"""Malformed inputs fail with the file, the line as in the file (header = 1) and the column."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.inputs import load_csv_inputs, read_csv_table, validate_counts, validate_measurements, validate_patients
from analysis.schema import PATIENT_COLUMNS
from viewer.errors import InputFormatError

MEAS_HEADER = ("patient_id,exam_pair_id,reader,lesion_id,lobe,segment,series_role,series_instance_uid,"
               "slice_index,diameter_mm,status,p1_row,p1_col,p2_row,p2_col")
MEAS_OK = [
    "P1,P1-E1,R1,L1,right,,mr_t2fs,,,27.3,measured,,,,",
    "P1,P1-E1,R1,L1,right,,mr_dwi,,,28.1,measured,,,,",
    "P1,P1-E1,R1,L1,right,,ct_portal,,,,not_visible,,,,",
]
COUNT_HEADER = "patient_id,exam_pair_id,reader,series_role,lobe,count,uncountable"
COUNT_OK = [
    "P1,P1-E1,R1,mr_t2fs,right,4,false",
    "P1,P1-E1,R1,mr_t2fs,left,2,false",
    "P1,P1-E1,R1,mr_dwi,right,,true",
]
PAT_OK = ("P1,F,61,pancreas,4.5,3,G2,primary,NET,synchronous," + ",".join(["false"] * 8))


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _error(func, path: Path) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InputFormatError) as info:
        func(read_csv_table(path))
    return str(info.value)


class TestValidFiles:
    def test_measurements_parse(self, tmp_path: Path) -> None:
        m = validate_measurements(read_csv_table(_write(tmp_path, "m.csv", [MEAS_HEADER, *MEAS_OK])))
        assert list(m["diameter_mm"].iloc[:2]) == [27.3, 28.1]
        assert m["diameter_mm"].isna().iloc[2]
        assert list(m["line"]) == [2, 3, 4]

    def test_counts_parse_and_blank_lines_keep_line_numbers(self, tmp_path: Path) -> None:
        path = _write(tmp_path, "c.csv", [COUNT_HEADER, COUNT_OK[0], "", COUNT_OK[1], COUNT_OK[2]])
        c = validate_counts(read_csv_table(path))
        assert list(c["line"]) == [2, 4, 5]
        assert list(c["uncountable"]) == [False, False, True]

    def test_patients_parse(self, tmp_path: Path) -> None:
        p = validate_patients(read_csv_table(_write(tmp_path, "p.csv", [",".join(PATIENT_COLUMNS), PAT_OK])))
        assert p.loc[0, "grade"] == "G2" and p.loc[0, "treat_chemotherapy"] is False


class TestMeasurementErrors:
    def test_missing_column(self, tmp_path: Path) -> None:
        header = MEAS_HEADER.replace(",status", "")
        msg = _error(validate_measurements, _write(tmp_path, "m.csv", [header, MEAS_OK[0].replace(",measured", "")]))
        assert "m.csv" in msg and "line 1" in msg and "status" in msg

    def test_unknown_role(self, tmp_path: Path) -> None:
        rows = [*MEAS_OK, "P1,P1-E1,R1,L2,left,,mr_flair,,,12.0,measured,,,,"]
        msg = _error(validate_measurements, _write(tmp_path, "m.csv", [MEAS_HEADER, *rows]))
        assert "m.csv, line 5, column 'series_role'" in msg and "mr_flair" in msg

    def test_non_numeric_diameter(self, tmp_path: Path) -> None:
        rows = [MEAS_OK[0], "P1,P1-E1,R1,L1,right,,mr_dwi,,,28,1 mm,measured,,,,".replace("28,1 mm", "28.1mm")]
        msg = _error(validate_measurements, _write(tmp_path, "m.csv", [MEAS_HEADER, *rows]))
        assert "line 3, column 'diameter_mm'" in msg and "28.1mm" in msg

    @pytest.mark.parametrize("bad", ["nan", "inf", "-3", "0"])
    def test_impossible_diameters(self, tmp_path: Path, bad: str) -> None:
        rows = [MEAS_OK[0], f"P1,P1-E1,R1,L1,right,,mr_dwi,,,{bad},measured,,,,"]
        msg = _error(validate_measurements, _write(tmp_path, "m.csv", [MEAS_HEADER, *rows]))
        assert "line 3, column 'diameter_mm'" in msg

    def test_measured_without_diameter(self, tmp_path: Path) -> None:
        rows = [MEAS_OK[0], "P1,P1-E1,R1,L1,right,,mr_dwi,,,,measured,,,,"]
        msg = _error(validate_measurements, _write(tmp_path, "m.csv", [MEAS_HEADER, *rows]))
        assert "line 3, column 'diameter_mm'" in msg and "empty" in msg

    def test_unknown_status(self, tmp_path: Path) -> None:
        rows = [MEAS_OK[0], "P1,P1-E1,R1,L1,right,,mr_dwi,,,12,seen,,,,"]
        msg = _error(validate_measurements, _write(tmp_path, "m.csv", [MEAS_HEADER, *rows]))
        assert "line 3, column 'status'" in msg

    def test_duplicate_row(self, tmp_path: Path) -> None:
        rows = [*MEAS_OK, MEAS_OK[1].replace("28.1", "29.0")]
        msg = _error(validate_measurements, _write(tmp_path, "m.csv", [MEAS_HEADER, *rows]))
        assert "line 5" in msg and "duplicate" in msg and "line 3" in msg and "series_role" in msg

    def test_ragged_row(self, tmp_path: Path) -> None:
        rows = [MEAS_OK[0], MEAS_OK[1] + ",extra"]
        msg = _error(validate_measurements, _write(tmp_path, "m.csv", [MEAS_HEADER, *rows]))
        assert "line 3" in msg and "fields" in msg

    def test_empty_key(self, tmp_path: Path) -> None:
        rows = [MEAS_OK[0], MEAS_OK[1].replace("L1", "")]
        msg = _error(validate_measurements, _write(tmp_path, "m.csv", [MEAS_HEADER, *rows]))
        assert "line 3, column 'lesion_id'" in msg


class TestCountErrors:
    @pytest.mark.parametrize("bad", ["maybe", "", "2"])
    def test_bad_boolean(self, tmp_path: Path, bad: str) -> None:
        rows = [COUNT_OK[0], f"P1,P1-E1,R1,mr_t2fs,left,2,{bad}"]
        msg = _error(validate_counts, _write(tmp_path, "c.csv", [COUNT_HEADER, *rows]))
        assert "c.csv, line 3, column 'uncountable'" in msg

    @pytest.mark.parametrize("bad", ["-1", "2.5", "many"])
    def test_bad_count(self, tmp_path: Path, bad: str) -> None:
        rows = [COUNT_OK[0], f"P1,P1-E1,R1,mr_t2fs,left,{bad},false"]
        msg = _error(validate_counts, _write(tmp_path, "c.csv", [COUNT_HEADER, *rows]))
        assert "line 3, column 'count'" in msg

    def test_empty_count_on_countable_series(self, tmp_path: Path) -> None:
        rows = [COUNT_OK[0], "P1,P1-E1,R1,mr_t2fs,left,,false"]
        msg = _error(validate_counts, _write(tmp_path, "c.csv", [COUNT_HEADER, *rows]))
        assert "line 3, column 'count'" in msg

    def test_unknown_lobe(self, tmp_path: Path) -> None:
        rows = [COUNT_OK[0], "P1,P1-E1,R1,mr_t2fs,middle,1,false"]
        msg = _error(validate_counts, _write(tmp_path, "c.csv", [COUNT_HEADER, *rows]))
        assert "line 3, column 'lobe'" in msg

    def test_duplicate(self, tmp_path: Path) -> None:
        rows = [*COUNT_OK, COUNT_OK[0]]
        msg = _error(validate_counts, _write(tmp_path, "c.csv", [COUNT_HEADER, *rows]))
        assert "line 5" in msg and "first given on line 2" in msg

    def test_missing_column(self, tmp_path: Path) -> None:
        header = COUNT_HEADER.replace(",uncountable", "")
        msg = _error(validate_counts, _write(tmp_path, "c.csv", [header, "P1,P1-E1,R1,mr_t2fs,right,4"]))
        assert "line 1" in msg and "uncountable" in msg


class TestPatientErrors:
    def test_bad_treatment_boolean(self, tmp_path: Path) -> None:
        bad = PAT_OK.rsplit(",", 1)[0] + ",perhaps"
        msg = _error(validate_patients, _write(tmp_path, "p.csv", [",".join(PATIENT_COLUMNS), PAT_OK.replace("P1", "P0"), bad]))
        assert "p.csv, line 3, column 'treat_transplant'" in msg

    def test_bad_grade_and_age(self, tmp_path: Path) -> None:
        msg = _error(validate_patients, _write(tmp_path, "p.csv", [",".join(PATIENT_COLUMNS), PAT_OK.replace("G2", "G4")]))
        assert "line 2, column 'grade'" in msg
        msg = _error(validate_patients, _write(tmp_path, "p.csv", [",".join(PATIENT_COLUMNS), PAT_OK.replace(",61,", ",161,")]))
        assert "line 2, column 'age_at_diagnosis'" in msg

    def test_duplicate_patient(self, tmp_path: Path) -> None:
        msg = _error(validate_patients, _write(tmp_path, "p.csv", [",".join(PATIENT_COLUMNS), PAT_OK, PAT_OK]))
        assert "line 3" in msg and "duplicate patient" in msg


class TestFiles:
    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(InputFormatError, match="not found"):
            read_csv_table(tmp_path / "nope.csv")

    def test_empty_file(self, tmp_path: Path) -> None:
        with pytest.raises(InputFormatError, match="empty"):
            read_csv_table(_write(tmp_path, "e.csv", [""]))

    def test_not_utf8_is_read_as_windows_1252(self, tmp_path: Path) -> None:
        path = tmp_path / "latin.csv"
        path.write_bytes(COUNT_HEADER.encode() + b"\nP\xe9,P1-E1,R1,mr_t2fs,right,4,false\n")
        raw = read_csv_table(path)
        assert raw.frame["patient_id"].tolist() == ["P\u00e9"] and raw.dialect is not None
        assert raw.dialect.encoding == "cp1252"

    def test_neither_utf8_nor_cp1252(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.csv"
        path.write_bytes(COUNT_HEADER.encode() + b"\nP\x81\xff\xfe,P1-E1,R1,mr_t2fs,right,4,false\n")
        with pytest.raises(InputFormatError, match="neither UTF-8 nor Windows-1252"):
            read_csv_table(path)

    def test_error_names_the_file_it_came_from(self, tmp_path: Path) -> None:
        m = _write(tmp_path, "measurements.csv", [MEAS_HEADER, *MEAS_OK])
        c = _write(tmp_path, "counts.csv", [COUNT_HEADER, COUNT_OK[0], "P1,P1-E1,R1,mr_t2fs,left,x,false"])
        with pytest.raises(InputFormatError) as info:
            load_csv_inputs(m, c)
        assert info.value.where == f"{c}, line 3, column 'count'"


def test_a_folder_given_as_csv_is_an_input_error_with_advice(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError) as err:
        read_csv_table(tmp_path)
    assert err.value.where == str(tmp_path) and "CSV file" in err.value.advice


def test_a_store_analysis_leaves_out_lesions_recorded_outside_the_liver(sample_dicom) -> None:
    """A researcher's check: `analyze followup.lesionlab` put the lymph node L5 (26.0, 15.9 and 15.9 mm)
    in the CT portal liver-lesion sizes. Lesions recorded in another organ at follow-up (on any exam of
    the lesion, by its tracking UID) are left out of a store's analysis, and the CLI says so."""
    from analysis.inputs import load_store
    from annotation.export import cohort_tables, outside_liver
    from annotation.store import ReadingStore

    store = sample_dicom / "followup.lesionlab"
    with ReadingStore.open(store, read_only=True) as st:
        project = st.load()
    out = outside_liver(project)
    assert out and set(out.values()) == {"lymph_node"}
    every, _, _ = cohort_tables(store)
    cohort = load_store(store)
    keys = lambda df: set(zip(df["patient_id"], df["exam_pair_id"], df["reader"], df["lesion_id"]))  # noqa: E731
    assert keys(every) & set(out) and not keys(cohort.measurements) & set(out)
    assert len(cohort.measurements) == len(every) - sum(k in out for k in zip(
        every["patient_id"], every["exam_pair_id"], every["reader"], every["lesion_id"]))
    assert len(cohort.input_notes) == 1 and "lymph node" in cohort.input_notes[0]
    # the same lesion on every exam it was followed on, the baseline's included (one tracking UID)
    assert len({k[1] for k in out}) >= 2


def test_analyze_and_agreement_from_a_store_say_what_they_left_out(sample_dicom, tmp_path, capsys) -> None:
    """A reader's check: `analyze followup.lesionlab` dropped the node's rows without a word (the note
    was printed for CSV input only); `agreement STORE` built its reads with the node in them."""
    import shutil

    from analysis.agreement_store import load_store_reads
    from annotation.export import outside_liver
    from annotation.store import ReadingStore
    from app.cli import main

    store = tmp_path / "followup.lesionlab"
    shutil.copy(sample_dicom / "followup.lesionlab", store)
    assert main(["analyze", str(store), "--out", str(tmp_path / "an")]) == 0
    out = capsys.readouterr().out
    assert "lesionlab analyze: left out 3 lesion read(s) recorded outside the liver" in out, out
    with ReadingStore.open(store, read_only=True) as st:
        project = st.load()
    nodes = outside_liver(project)
    node_rows = {(k[0], k[1], k[2], m.diameter_mm) for k in nodes
                 for m in project.lesions[k].measurements().values()}
    assert node_rows

    def rows(reads):  # type: ignore[no-untyped-def]
        d = reads.diameters
        return {(p, e, r, x) for p, e, r, x in zip(d["patient_id"], d["exam_pair_id"], d["reader"], d["diameter_mm"])}

    from analysis.agreement_store import reads_from_project
    from analysis.inputs import raw_from_frame, validate_counts
    from annotation.tables import project_tables

    counts = validate_counts(raw_from_frame(project_tables(project)[1], "counts"))
    assert node_rows <= rows(reads_from_project(project, counts, None))  # the node is in a project's reads
    assert not node_rows & rows(load_store_reads(store))  # and out of a store's agreement reads
