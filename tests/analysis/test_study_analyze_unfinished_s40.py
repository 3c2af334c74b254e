"""`lesionlab analyze STORE` of a reader study's store and the case reads not finished (session 40).

It took them in, as `study reads` does, while `agreement` (and the agreement section of the same report) left them
out, and only its stdout said so: a researcher's report.html and CSVs did not say how many reads were unfinished.
A study's results are its readers' finished reads (a read still open may lack lesions and counts), so analyze now
leaves them out by default, `--include-unfinished` takes them in (an interim look, as `study reads`), and
study_reads.csv, the report's methods and the summary say how many case reads were finished, not finished and
not opened, and which were analysed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from annotation.store import ReadingStore
from annotation.study_store import Study
from app.cli import main
from tests.annotation.test_study_store import M, definition, fill, read_case


@pytest.fixture
def half_read(tmp_path: Path) -> tuple[str, str, str]:
    """A study store: R1 finished one MRI case (one lesion), R2 opened one and drew a lesion, not finished."""
    path = str(tmp_path / "s.lesionlab")
    fill(path)
    with ReadingStore.open(path) as store:
        study = Study.init(store, definition())
        done = read_case(study, "R1")
        nxt = study.next_case("R2").case
        assert nxt is not None
        case = study.open_case("R2", nxt.session, nxt.code)
        lid = case.reading.add_lesion(case.pair, "left")
        case.reading.set_observation(case.pair, lid, "mr_t2fs", M)
    return path, done, nxt.code


def _reads(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "study_reads.csv", keep_default_na=False)


def test_unfinished_case_reads_are_left_out_by_default_and_counted_in_the_report(
        half_read: tuple[str, str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, done, open_code = half_read
    out = tmp_path / "an"
    assert main(["analyze", path, "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"left out 1 case read(s) not finished (R2@MRI {open_code}), as `agreement` leaves them out " \
        "(--include-unfinished takes them in)" in said, said
    assert "Reader study s1: 1 of 12 case read(s) finished; 1 not finished, left out of the analysis; 10 not " \
        "opened." in said, said
    # the study's one-click setting is said (session 44: one-click stayed on in blinded studies, unsaid)
    assert "One-click diameters were off for the readers (the study's one_click); 0 of " in said, said
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Reader study s1: 1 of 12 case read(s) finished; 1 not finished, left out of the analysis" in report
    assert "by 1 reader(s) (R1)" in report  # R2's only read is not finished
    assert "1 lesions measured on at least one series" in said, said
    reads = _reads(out)
    assert list(reads.columns) == ["reader", "session", "case", "status", "analysed"]
    assert len(reads) == 12  # 2 readers x 2 sessions x 3 cases
    shown = {(r.reader, r.session, r.case): (r.status, r.analysed) for r in reads.itertuples()}
    assert shown[("R1", "MRI", done)] == ("finished", "yes")
    assert shown[("R2", "MRI", open_code)] == ("not finished", "no")
    assert sum(v == ("not opened", "no") for v in shown.values()) == 10


def test_include_unfinished_takes_them_in_as_study_reads_does(
        half_read: tuple[str, str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _, open_code = half_read
    out = tmp_path / "an"
    assert main(["analyze", path, "--include-unfinished", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "2 lesions measured on at least one series" in said, said
    assert "1 not finished, analysed with them (--include-unfinished)" in said, said
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "by 2 reader(s) (R1, R2)" in report
    reads = _reads(out)
    assert reads[(reads["reader"] == "R2") & (reads["case"] == open_code)
                 & (reads["session"] == "MRI")][["status", "analysed"]].values.tolist() == [["not finished", "yes"]]
    # the same tables as `study reads` then `analyze` of the joined store, which takes every read
    joined = tmp_path / "joined.lesionlab"
    assert main(["study", "reads", path, str(joined)]) == 0
    assert main(["analyze", str(joined), "--out", str(tmp_path / "via")]) == 0
    for name in ("paired_tests", "detection", "sizes"):
        pd.testing.assert_frame_equal(pd.read_csv(out / f"{name}.csv"), pd.read_csv(tmp_path / "via" / f"{name}.csv"),
                                      check_exact=True, obj=name)


def test_include_unfinished_goes_with_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--measurements", "m.csv", "--counts", "c.csv", "--include-unfinished",
                 "--out", str(tmp_path / "o")]) == 1
    assert "--include-unfinished goes with a STORE" in capsys.readouterr().err


def test_include_unfinished_on_a_store_with_no_study_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A store that holds no reader study: the option changes nothing, and analyze says so instead of taking it
    silently (a researcher reading the output would think unfinished reads had been taken in)."""
    import shutil

    path = str(tmp_path / "plain.lesionlab")
    shutil.copyfile(Path(__file__).resolve().parents[2] / "sample_dicom" / "reading.lesionlab", path)  # a read, no study
    assert main(["analyze", path, "--include-unfinished", "--out", str(tmp_path / "o")]) == 0
    said = capsys.readouterr().out
    assert "--include-unfinished: the store holds no reader study" in said, said
    assert main(["analyze", path, "--out", str(tmp_path / "p")]) == 0
    assert "--include-unfinished" not in capsys.readouterr().out


def test_a_study_read_with_one_click_before_it_was_kept_off_is_not_said_to_have_had_it_off(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A study's store from before session 44 (no one_click: off) whose reader had one-click on: the app did not keep
    it off in a study then, and a line is the method's. analyze said "One-click diameters were off for the readers",
    which the lines deny (review44b); it says both now."""
    from dataclasses import replace

    from annotation.vocab import MeasurementMethod

    path = str(tmp_path / "s.lesionlab")
    fill(path)
    with ReadingStore.open(path) as store:
        study = Study.init(store, definition())
        assert not study.definition.one_click
        nxt = study.next_case("R1")
        assert nxt.case is not None
        case = study.open_case("R1", nxt.case.session, nxt.case.code)
        lid = case.reading.add_lesion(case.pair, "left")
        case.reading.set_observation(case.pair, lid, study.definition.session(nxt.case.session).roles[0].value,
                                     replace(M, method=MeasurementMethod.SUGGESTED))
        study.finish(case)
    assert main(["analyze", path, "--out", str(tmp_path / "an")]) == 0
    said = capsys.readouterr().out
    assert "One-click diameters were off for the readers" not in said, said
    assert "One-click diameters are off for the readers by the study's one_click, yet 1 of the 1 lines analysed " \
        "were suggested" in said, said
