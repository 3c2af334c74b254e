"""A coordinator's audit (session 37): `lesionlab agreement` on a reader study's store compared every reader name the
store holds as a reader (9 "readers" in a study of 3: the copied project's reader, the adjudicator's consensus, and
each reader once per session). It now compares the study's readers only, each series through their finished read of
the session that shows it, and says which; its figures equal R's psych::ICC and cohen.kappa on the same subjects."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from analysis.agreement import count_wide
from analysis.agreement_store import load_store_reads
from analysis.schema import Region
from analysis.study_sample import SimulatedStudy
from annotation.records import Measurement
from annotation.store import ReadingStore
from annotation.study_store import Study
from app.cli import main
from tests.analysis.test_study_sample import sim  # noqa: F401 - the simulated study, one per module
from tests.conftest import SAMPLE_DICOM


@pytest.fixture(scope="module")
def audited(sim: SimulatedStudy, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The study store with what a real one holds besides the readers' finished reads: the copied project's reads
    (reader ``sample``), the adjudicator's consensus of a case, and a case read not finished (R2's CT read of a
    case). Returns the store and that case's code."""
    copy = tmp_path_factory.mktemp("audited") / "study.lesionlab"
    copy.write_bytes(sim.store.read_bytes())
    code = sim.definition.cases[0].code
    with ReadingStore.open(copy) as store:
        study = Study(store)
        adj = study.open_adjudication("MRI", code)
        source = adj.reading.project.lesions_of(*adj.pair, "R1@MRI")[0]
        lid = adj.reading.add_lesion(adj.pair, source.lobe, source.segment, "consensus")
        role, m = next((r, o) for r, o in source.observations if isinstance(o, Measurement))
        adj.reading.set_observation(adj.pair, lid, role, m)
        study.finish(adj)
    with sqlite3.connect(copy) as con:  # as a reader leaves a case open
        con.execute("UPDATE study_reads SET finished_at_utc = NULL WHERE reader = 'R2' AND session = 'CT' AND code = ?",
                    (code,))
    return copy, code


def test_agreement_on_a_study_store_compares_the_study_readers_only(sim: SimulatedStudy, audited: tuple[Path, str],
                                                                    tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    store, open_code = audited
    out = tmp_path / "agreement"
    assert main(["agreement", str(store), "--dicom", str(SAMPLE_DICOM), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "study sample-mri-then-ct: readers R1, R2 compared" in said, said
    assert "left out sample (not a reader of the study)" in said, said
    assert "left out consensus@MRI (the adjudicator's consensus)" in said, said
    assert f"left out 1 case read(s) not finished (R2@CT {open_code})" in said, said
    assert "2 reader(s) (R1, R2)" in said, said
    table = pd.read_csv(out / "agreement.csv", keep_default_na=False, na_values=[""])
    assert set(table["reader_a"].dropna()) | set(table["reader_b"].dropna()) == {"R1", "R2"}
    assert (table["n_readers"] == 2).all()
    open_pair = sim.definition.case(open_code).pair
    d = table[table["analysis"] == "diameters"].set_index("series_role")
    for session in sim.definition.sessions:
        for role in session.roles:
            mine = {r: {k[:3] for k in sim.measured[r] if k[3] == role.value
                        and not (r == "R2" and session.name == "CT" and k[:2] == open_pair)} for r in ("R1", "R2")}
            assert d.loc[role.value, "n_subjects"] == len(mine["R1"] & mine["R2"]), role
    counts = table[(table["analysis"] == "counts") & (table["region"] == "whole")].set_index("series_role")
    assert [counts.loc[r.value, "n_subjects"] for s in sim.definition.sessions for r in s.roles] == [3, 3, 3, 3, 2, 2]
    html = (out / "agreement_report.html").read_text(encoding="utf-8")
    assert "between 2 reader(s) (R1, R2) (study sample-mri-then-ct: readers R1, R2 compared" in html

    # the figures equal R's psych on the very subjects compared
    from tests.analysis.test_agreement_rscript import RSession, _r_has_psych, same

    if not _r_has_psych():
        pytest.skip("Rscript with psych is not installed")
    reads = load_store_reads(store, SAMPLE_DICOM)
    assert reads.readers == ("R1", "R2")
    r_session = RSession()
    try:
        checked = kappas = 0
        for role in [r.value for s in sim.definition.sessions for r in s.roles]:
            dd = reads.diameters[reads.diameters["series_role"] == role]
            wide = dd.pivot(index=["patient_id", "exam_pair_id", "subject"], columns="reader",
                            values="diameter_mm").dropna()
            row = d.loc[role]
            assert len(wide) == row["n_subjects"], role
            r = r_session.icc(wide.to_numpy())
            for col, theirs in zip(("icc_a1", "icc_a1_ci_low", "icc_a1_ci_high", "icc_ak", "icc_ak_ci_low",
                                    "icc_ak_ci_high"), r):
                same(float(row[col]), theirs, f"{col} {role}")
            checked += 1
            c = count_wide(reads, role, Region.WHOLE).dropna().to_numpy()
            crow = counts.loc[role]
            assert len(c) == crow["n_subjects"], role
            if len(c) < 3:  # left empty below 3 subjects (as agreement_from_csv.R: NA), whatever R's formula gives
                assert pd.isna(crow["kappa_quadratic"]) and pd.isna(crow["icc_a1"]), role
                continue
            rk = r_session.kappa(c[:, 0], c[:, 1])
            for col, theirs in zip(("kappa_quadratic", "kappa_ci_low", "kappa_ci_high"), rk):
                same(None if pd.isna(crow[col]) else float(crow[col]), theirs, f"{col} {role}")
            kappas += 1
        assert checked == 6 and kappas == 4
    finally:
        r_session.close()


def test_a_store_of_several_studies_asks_which(audited: tuple[Path, str], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    store, _ = audited
    assert main(["agreement", str(store), "--study", "no-such-study", "--out", str(tmp_path / "a")]) != 0
    assert "no study 'no-such-study' (the store holds sample-mri-then-ct)" in capsys.readouterr().err
    assert main(["agreement", "--measurements", "m.csv", "--counts", "c.csv", "--study", "x",
                 "--out", str(tmp_path / "b")]) != 0
    assert "--study goes with a STORE" in capsys.readouterr().err
