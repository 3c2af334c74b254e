"""`lesionlab analyze STORE` of a reader study's store (session 39).

It analysed the store's reads as they are: each session read (``R1@MRI``, ``R1@CT``) a reader of its own and the
reads of the project the study was copied from (``sample``) beside them, so the paired tests of an MRI series
against a CT one held only the sample reader's lesions, and it printed a note pointing to `study reads`. It now
analyses the study's readers, one read per reader, each reader's sessions joined as `lesionlab study reads` joins
them: its tables equal those of `study reads` then `analyze` of the joined store, and its paired tests equal R's.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis.study_sample import SimulatedStudy
from annotation.store import ReadingStore
from app.cli import main
from tests.analysis.test_study_sample import sim  # noqa: F401 - the simulated two-reader study of the sample
from tests.conftest import SAMPLE_DICOM


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(out / f"{name}.csv", keep_default_na=False, na_values=[""])
            for name in ("paired_tests", "detection", "sizes")}


def test_analyze_of_a_study_store_is_the_analysis_of_its_reads_joined_per_reader(
        sim: SimulatedStudy, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    with ReadingStore.open(sim.store, read_only=True) as store:  # what the store holds besides the study's reads
        assert {les.reader for les in store.load().lesions.values()} == {"sample", "R1@MRI", "R2@MRI", "R1@CT",
                                                                          "R2@CT"}
    direct = tmp_path / "direct"
    assert main(["analyze", str(sim.store), "--dicom", str(SAMPLE_DICOM), "--out", str(direct)]) == 0
    out = capsys.readouterr().out
    assert "study s" in out and ": one read per study reader (R1, R2), each reader's sessions (MRI, CT) joined as " \
        "`lesionlab study reads` joins them: " in out, out
    assert "left out sample (not a reader of the study)" in out, out
    assert "are a reader study's session reads" not in out, out

    joined = tmp_path / "joined.lesionlab"
    assert main(["study", "reads", str(sim.store), str(joined), "--dicom", str(SAMPLE_DICOM)]) == 0
    paired = int(pd.read_csv(tmp_path / "joined-pairing.csv")["paired"].sum())
    assert paired >= 15
    assert f": {paired} lesion(s) paired across sessions, " in out, out
    via = tmp_path / "via"
    assert main(["analyze", str(joined), "--out", str(via)]) == 0
    got, expected = _tables(direct), _tables(via)
    for name in got:
        pd.testing.assert_frame_equal(got[name], expected[name], check_exact=True, obj=name)

    # the study's readers only, each MRI series against each CT series through the lesions paired across sessions
    methods = (direct / "report.html").read_text(encoding="utf-8")
    assert "by 2 reader(s) (R1, R2)" in methods
    t = got["paired_tests"]
    row = t[(t["analysis"] == "diameters") & (t["level"] == "lesion") & (t["series_a"] == "mr_dwi")
            & (t["series_b"] == "ct_arterial")].iloc[0]
    assert row["n"] >= 10, row
    _equals_r(row, joined)


def _equals_r(row: pd.Series, joined: Path) -> None:
    """The row's t and Wilcoxon p-values are R's wilcox.test / t.test(paired = TRUE) on the joined store's lesions."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript is not installed")
    from analysis.inputs import load_store

    m = load_store(joined).measurements
    m = m[m["status"] == "measured"]
    wide = m.pivot_table(index=["patient_id", "exam_pair_id", "reader", "lesion_id"], columns="series_role",
                         values="diameter_mm", aggfunc="first")[["mr_dwi", "ct_arterial"]].dropna()
    assert len(wide) == row["n"]
    x = ",".join(repr(float(v)) for v in wide["mr_dwi"])
    y = ",".join(repr(float(v)) for v in wide["ct_arterial"])
    code = (f"x <- c({x}); y <- c({y}); w <- suppressWarnings(wilcox.test(x, y, paired = TRUE)); "
            "t <- t.test(x, y, paired = TRUE); cat(sprintf('%.17g %.17g %.17g %.17g', w$statistic, w$p.value, "
            "t$statistic, t$p.value))")
    v, wp, tt, tp = (float(s) for s in subprocess.run([rscript, "-e", code], capture_output=True, text=True,
                                                       check=True, timeout=60).stdout.split())
    assert row["wilcoxon_v"] == pytest.approx(v, abs=0)
    assert row["wilcoxon_p"] == pytest.approx(wp, rel=1e-9)
    assert row["ttest_t"] == pytest.approx(tt, rel=1e-9)
    assert row["ttest_p"] == pytest.approx(tp, rel=1e-9)


def test_analyze_of_a_study_store_without_images_says_no_lesion_is_paired_across_sessions(
        sim: SimulatedStudy, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert main(["analyze", str(sim.store), "--out", str(tmp_path / "an")]) == 0
    out = capsys.readouterr().out
    assert ": 0 lesion(s) paired across sessions, " in out and "without --dicom PATH" in out, out
    t = pd.read_csv(tmp_path / "an" / "paired_tests.csv", keep_default_na=False, na_values=[""])
    lesion = t[(t["analysis"] == "diameters") & (t["level"] == "lesion")].set_index(["series_a", "series_b"])
    assert lesion.loc[("mr_dwi", "ct_arterial"), "n"] == 0  # not the sample reader's 7 lesions
    assert lesion.loc[("mr_t2fs", "mr_dwi"), "n"] > 0  # within a session each reader's lesions pair
    counts = t[(t["analysis"] == "counts") & (t["region"] == "whole")].set_index(["series_a", "series_b"])
    # counts pair per exam pair and reader: 3 cases x 2 readers, across sessions too
    assert counts.loc[("mr_dwi", "ct_arterial"), "n"] == 6


def test_dicom_and_study_go_with_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for option in ("--dicom", "--study"):
        assert main(["analyze", "--measurements", "m.csv", "--counts", "c.csv", option, "X",
                     "--out", str(tmp_path / "o")]) == 1
        assert f"{option} goes with a STORE" in capsys.readouterr().err


def test_analyze_of_a_study_store_names_the_case_reads_not_finished_it_takes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With --include-unfinished (session 40: without it they are left out, test_study_analyze_unfinished_s40)."""
    from annotation.study_store import Study
    from tests.annotation.test_study_store import M, definition, fill, read_case

    path = str(tmp_path / "s.lesionlab")
    fill(path)
    with ReadingStore.open(path) as store:
        study = Study.init(store, definition())
        read_case(study, "R1")
        nxt = study.next_case("R2").case
        assert nxt is not None
        case = study.open_case("R2", nxt.session, nxt.code)  # opened, one line drawn, not finished
        lid = case.reading.add_lesion(case.pair, "left")
        case.reading.set_observation(case.pair, lid, "mr_t2fs", M)
    assert main(["analyze", path, "--include-unfinished", "--out", str(tmp_path / "an")]) == 0
    out = capsys.readouterr().out
    assert f"1 case read(s) not finished are in, as `study reads` takes them (R2@MRI {nxt.code})" in out, out
    methods = (tmp_path / "an" / "report.html").read_text(encoding="utf-8")
    assert "by 2 reader(s) (R1, R2)" in methods
