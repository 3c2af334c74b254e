"""The Must-show study: a blinded two-reader study of the sample data set up with the study API,
read by two simulated readers through the blinded case readings (MRI session, washout, CT
session), adjudicated, paired across sessions by registered position, and analysed with
`lesionlab study reads` + `lesionlab agreement` (agreement.csv, the report section, ICC and kappa
equal to R's psych). What the analysis must find follows from what was simulated."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.agreement_store import load_store_reads
from analysis.study_adjudication import DisagreementKind, disagreements
from analysis.study_pairing import PlacedStack, placed_stacks, propose_pairing
from analysis.study_sample import SimulatedStudy, build_sample_study
from annotation.records import Measurement
from annotation.store import ReadingStore
from annotation.study import split_session_reader
from annotation.study_store import Study
from app.cli import main
from tests.analysis.test_agreement_sample import check_icc_and_kappa_equal_r
from tests.conftest import SAMPLE_DICOM
from viewer.records import Role


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> SimulatedStudy:
    if not (SAMPLE_DICOM / "reading.lesionlab").is_file():
        pytest.skip("sample_dicom/reading.lesionlab is missing (make sample)")
    store = tmp_path_factory.mktemp("study") / "study.lesionlab"
    return build_sample_study(SAMPLE_DICOM, SAMPLE_DICOM / "reading.lesionlab", store, seed=5)


@pytest.fixture(scope="module")
def stacks() -> dict[str, PlacedStack]:
    return placed_stacks(SAMPLE_DICOM)


def truth_id(comment: str) -> str:
    found = re.fullmatch(r"read of (L\d+)", comment)
    assert found, comment
    return found.group(1)


def test_readers_followed_their_stored_order_sessions_and_washout(sim: SimulatedStudy) -> None:
    with ReadingStore.open(sim.store, read_only=True) as store:
        study = Study(store)
        for reader in ("R1", "R2"):
            expected = [(s, c) for s in ("MRI", "CT") for c in study.order(reader, s)]
            assert sim.read_order[reader] == expected
            assert study.order(reader, "MRI") == sim.definition.reading_orders()[(reader, "MRI")]
        assert study.order("R1", "MRI") != study.order("R2", "MRI") or study.order("R1", "CT") != study.order("R2", "CT")
        assert sim.washouts_waited >= 1
        project = store.load()
        assert all(p.done == 3 and p.to_do == 0 for p in study.progress())
    by_reader: dict[str, set[Role]] = {}
    for les in project.lesions.values():
        by_reader.setdefault(les.reader, set()).update(role for role, _ in les.observations)
    assert set(by_reader) == {"sample", "R1@MRI", "R2@MRI", "R1@CT", "R2@CT"}
    for name, roles in by_reader.items():
        if name != "sample":  # each session's read holds only that session's series
            assert roles <= set(sim.definition.session(split_session_reader(name)[1]).roles), name


def test_lesions_pair_across_sessions_by_registered_position(sim: SimulatedStudy,
                                                             stacks: dict[str, PlacedStack]) -> None:
    with ReadingStore.open(sim.store, read_only=True) as store:
        project = store.load()
    total = 0
    for case in sim.definition.cases:
        for reader in ("R1", "R2"):
            p = propose_pairing(project, sim.definition, reader, case.code, stacks)
            mri = {les.lesion_id: les for les in project.lesions_of(*case.pair, f"{reader}@MRI")}
            ct = {les.lesion_id: les for les in project.lesions_of(*case.pair, f"{reader}@CT")}
            for pair in p.pairs:  # every pair joins the same lesion, a few mm apart after the alignment
                assert truth_id(mri[pair.first_lesion].comment) == truth_id(ct[pair.second_lesion].comment)
                assert pair.distance_mm is not None and pair.distance_mm < 8.0
            measured_both = {truth_id(les.comment) for les in mri.values() if les.measurements()} & \
                            {truth_id(les.comment) for les in ct.values() if les.measurements()}
            assert {truth_id(mri[x.first_lesion].comment) for x in p.pairs} == measured_both, (reader, case.code)
            assert len(p.first_only) == len(mri) - len(p.pairs) and len(p.second_only) == len(ct) - len(p.pairs)
            total += len(p.pairs)
    assert total >= 15
    no_images = propose_pairing(project, sim.definition, "R1", sim.definition.cases[0].code, None)
    assert not no_images.pairs and "geometry" in no_images.note


def test_adjudication_lists_the_lesions_one_reader_missed(sim: SimulatedStudy, stacks: dict[str, PlacedStack]) -> None:
    geometries = {k: v.geometry for k, v in stacks.items()}
    with ReadingStore.open(sim.store, read_only=True) as store:
        project = store.load()
    found_any = 0
    for case in sim.definition.cases:
        for session in sim.definition.sessions:
            found = disagreements(project, sim.definition, session.name, case.code, geometries)
            for role in session.roles:
                measured = {r: {k[2] for k in sim.measured[r] if k[:2] == case.pair and k[3] == role.value}
                            for r in ("R1", "R2")}
                expected = measured["R1"] ^ measured["R2"]
                unmatched = [d for d in found if d.kind is DisagreementKind.LESION_UNMATCHED and d.series_role is role]
                got = set()
                for d in unmatched:
                    (reader,) = d.readers
                    lid = d.lesions[0].split()[1]
                    got.add(truth_id(project.lesions[(*case.pair, f"{reader}@{session.name}", lid)].comment))
                assert got == expected, (case.code, role)
                found_any += len(unmatched)
            for d in found:
                if d.kind is DisagreementKind.COUNT:
                    assert d.lobe is not None and len(set(d.values)) > 1
    assert found_any >= 2


def test_consensus_and_confirmed_pairs_are_recorded(sim: SimulatedStudy, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`study reads` says that it left the consensus read out, as `agreement` does (session 48: unsaid; checked: fails
    without write_study_reads' left_out)."""
    copy = tmp_path / "adjudicated.lesionlab"
    copy.write_bytes(sim.store.read_bytes())
    code = sim.definition.cases[0].code
    with ReadingStore.open(copy) as store:
        study = Study(store)
        adj = study.open_adjudication("MRI", code)
        shown = {les.reader for les in adj.reading.project.lesions.values()}
        assert shown == {"R1@MRI", "R2@MRI"}  # not the CT session's reads, not the sample's
        source = adj.reading.project.lesions_of(*adj.pair, "R1@MRI")[0]
        lid = adj.reading.add_lesion(adj.pair, source.lobe, source.segment, "consensus")
        role, m = next((r, o) for r, o in source.observations if isinstance(o, Measurement))
        adj.reading.set_observation(adj.pair, lid, role, m)
        study.finish(adj)
        pairs = {les.lesion_id: les.lesion_id for les in store.load().lesions_of(*adj.pair, "R1@MRI")[:1]}
        ct_ids = [les.lesion_id for les in store.load().lesions_of(*adj.pair, "R1@CT")]
        pairs = {next(iter(pairs)): ct_ids[0]}
        study.confirm_pairings("R1", code, pairs)
        assert study.confirmed_pairings() == {("R1", code): pairs}
        assert ("consensus@MRI", adj.pair) in {(les.reader, les.key[:2]) for les in store.load().lesions.values()}
    out = tmp_path / "reads.lesionlab"
    capsys.readouterr()
    assert main(["study", "reads", str(copy), str(out)]) == 0
    said = capsys.readouterr().out
    assert "left out consensus@MRI (the adjudicator's consensus)" in said, said
    table = pd.read_csv(tmp_path / "reads-pairing.csv")
    row = table[(table["reader"] == "R1") & (table["code"] == code)].iloc[0]
    assert row["paired"] == 1 and bool(row["confirmed"])  # confirmed without images
    other = table[(table["reader"] == "R2")]
    assert (other["paired"] == 0).all() and other["note"].str.contains("geometry").all()


def test_the_study_is_analysed_with_lesionlab_agreement(sim: SimulatedStudy, tmp_path: Path) -> None:
    reads = tmp_path / "study_reads.lesionlab"
    assert main(["study", "reads", str(sim.store), str(reads), "--dicom", str(SAMPLE_DICOM)]) == 0
    pairing = pd.read_csv(tmp_path / "study_reads-pairing.csv")
    assert len(pairing) == 6 and pairing["paired"].sum() >= 15
    out = tmp_path / "agreement"
    assert main(["agreement", str(reads), "--dicom", str(SAMPLE_DICOM), "--out", str(out)]) == 0
    table = pd.read_csv(out / "agreement.csv", keep_default_na=False, na_values=[""])
    d = table[(table["analysis"] == "diameters")].set_index("series_role")
    for session in sim.definition.sessions:
        for role in session.roles:
            both = {k[:3] for k in sim.measured["R1"] if k[3] == role.value} & \
                   {k[:3] for k in sim.measured["R2"] if k[3] == role.value}
            assert d.loc[role.value, "n_subjects"] == len(both), role
            assert (d.loc[role.value, "reader_a"], d.loc[role.value, "reader_b"]) == ("R1", "R2")
            assert d.loc[role.value, "icc_a1"] > 0.9 and abs(d.loc[role.value, "bias"]) < 2.5
    counts = table[(table["analysis"] == "counts") & (table["region"] == "whole")]
    assert (counts["n_subjects"] == 3).all() and len(counts) == 6
    html = (out / "agreement_report.html").read_text(encoding="utf-8")
    assert "Inter-reader agreement" in html and "R1" in html and "R2" in html
    with ReadingStore.open(reads, read_only=True) as store:
        merged = store.load()
    assert {les.reader for les in merged.lesions.values()} == {"R1", "R2"}
    # a paired lesion carries both sessions' series: the paired tests MRI vs CT see it as one lesion
    assert any({r.value for r, _ in les.observations} & {"ct_arterial", "ct_portal"}
               and {r.value for r, _ in les.observations} & {"mr_t2fs", "mr_dwi"} for les in merged.lesions.values())
    check_icc_and_kappa_equal_r(load_store_reads(reads, SAMPLE_DICOM), minimum=15)


# ------------------------------------------------------------------ a researcher's audit (session 33)
def test_a_killed_study_reads_leaves_nothing_under_out(sim: SimulatedStudy, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """Killed half way, `study reads` left an empty valid store under OUT: a rerun said "exists already" and
    `agreement` read it as "0 reader(s)", exit 0. Now both files appear whole or not at all, and what a killed
    run left (its hidden partial files) goes at the next run."""
    import analysis.study_pairing as pairing_module

    reads = tmp_path / "k.lesionlab"

    def killed(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # as a kill between the store and the pairing table

    with monkeypatch.context() as mp:
        mp.setattr(pairing_module, "patient_level", killed)
        with pytest.raises(KeyboardInterrupt):
            pairing_module.write_study_reads(sim.store, reads)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    stale = tmp_path / ".k.lesionlab.partial-0123456789ab.lesionlab"  # as `kill -9` leaves it
    stale.write_bytes(b"half a store")
    assert main(["study", "reads", str(sim.store), str(reads), "--dicom", str(SAMPLE_DICOM)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k-pairing.csv", "k.lesionlab"]
    empty = tmp_path / "empty.lesionlab"
    ReadingStore.open(empty).close()
    capsys.readouterr()
    assert main(["agreement", str(empty), "--out", str(tmp_path / "agreement")]) != 0
    assert "holds no reads" in capsys.readouterr().err


def test_disagreements_of_a_session_or_case_the_study_does_not_have(sim: SimulatedStudy, capsys) -> None:  # type: ignore[no-untyped-def]
    """It said "0 of 3 readers finished it: nothing to compare yet" (exit 0) for --session CT2 or a wrong case."""
    first = sim.definition.cases[0].code
    for session, case, said in (("CT2", first, "no session 'CT2'"), ("mri", first, "no session 'mri'"),
                                ("MRI", "S99", "no case 'S99'")):
        assert main(["study", "disagreements", str(sim.store), "--session", session, "--case", case]) != 0
        err = capsys.readouterr().err
        assert said in err, err
    assert first in err  # the refusal lists the cases it has


def test_an_export_of_the_study_asks_each_session_read_of_its_own_series_only(sim: SimulatedStudy,
                                                                               tmp_path: Path) -> None:
    """Each R#@SESSION read was flagged for the other session's series in the xlsx Checks ("not counted yet on CT
    arterial, CT portal" for an MRI read: 36 false warnings a patient) and counted as not read there in
    counts.csv (an audit)."""
    import openpyxl

    from viewer.model.layout import role_label

    out = tmp_path / "export"
    assert main(["export", str(sim.store), "--out", str(out)]) == 0
    sessions = {s.name: s.roles for s in sim.definition.sessions}
    counts = pd.read_csv(out / "counts.csv")
    study_rows = counts[counts["reader"].str.contains("@")]
    assert len(study_rows) > 0
    for (reader, role), _ in study_rows.groupby(["reader", "series_role"]):
        assert Role(role) in sessions[split_session_reader(reader)[1]], (reader, role)
    for book in (out / "patients").glob("*.xlsx"):
        for _pair, reader, warning in openpyxl.load_workbook(book)["Checks"].iter_rows(min_row=2, values_only=True):
            if not reader or "@" not in str(reader):
                continue
            others = [r for name, roles in sessions.items() if name != split_session_reader(reader)[1] for r in roles]
            assert not any(role_label(r) in str(warning) for r in others), (reader, warning)
        counts_sheet = list(openpyxl.load_workbook(book)["Counts"].iter_rows(min_row=2, values_only=True))
        assert all(Role(role) in sessions[split_session_reader(reader)[1]]
                   for _pair, reader, role, *_ in counts_sheet if "@" in str(reader))
