"""Blinding by the database in a PostgreSQL reader study (annotation/store_pg_security.py).

The audit: a reader's role could SELECT (and change) the patients' names, ids, clinical data and
exam dates with psql, and saw its own reads of the other session; only the application hid them.
Now a study store's reader and adjudicator roles are refused those columns and tables by the
server, a reader's earlier session read of a patient closes once they open that patient in a later
session, the case path loads only the case's pair, and the coordinator still sees everything.
Each test runs on the throwaway cluster of tests/annotation/pg.py with role names of its own
(roles are cluster-wide).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any, Callable

import openpyxl
import psycopg
import pytest

from annotation.store import SCHEMA_VERSION, ReadingStore
from annotation.store_location import parse_location
from annotation.store_pg_security import add_reader, grant_roles
from annotation.store_schema import migration_blinded_readers
from annotation.study_store import Study
from app.cli import main as cli
from viewer.errors import BlindedRoleError, StoreError, StudyError
from tests.annotation.old_lesionlab import old_lesionlab
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_study_store import M, Clock, definition, fill, read_case

DAY = dt.timedelta(days=1)
KINDS = {"R1": "reader", "R2": "reader", "consensus": "adjudicator", "Coord": "coordinator"}

#: what identifies a patient or tells their clinical story: every one refused to a blinded role
IDENTIFYING_SELECTS = (
    "SELECT patient_name FROM patients",
    "SELECT patient_id FROM patients",
    "SELECT sex, age_at_diagnosis_years, ki67_percent, primary_site, treatments FROM patients",
    "SELECT ct_date FROM exam_pairs",
    "SELECT mri_date FROM exam_pairs",
    "SELECT * FROM exam_pairs",
    "SELECT patient_name, patient_birth_date, accession_number, referring_physician_name FROM dicom_context",
    "SELECT name, start_date FROM treatment_lines",
    "SELECT exam_date FROM timepoints",
)
#: changes a blinded role may not make (patients, dates, the study's design, the record the session policy reads)
REFUSED_WRITES = (
    "UPDATE patients SET patient_name = 'X'",
    "UPDATE patients SET ki67_percent = 1",
    "INSERT INTO patients (patient_id, patient_name, treatments) VALUES ('PX', 'X^Y', '')",
    "UPDATE exam_pairs SET ct_date = '2020-01-01'",
    "INSERT INTO exam_pairs (patient_id, exam_pair_id, ct_study_uid, mri_study_uid) VALUES ('P1', 'E9', '1', '2')",
    "UPDATE study_cases SET patient_id = 'P2'",
    "INSERT INTO studies VALUES ('s9', '{}', '2026-01-01')",
    "DELETE FROM study_reads",
    "UPDATE study_reads SET session = 'MRI'",
    "UPDATE edits SET description = 'x'",
    "DELETE FROM edits",
    # the access functions of reader-keyed tables (migration 12) allow no more than the grants did before
    "SELECT * FROM lesionlab_write_study_reads('delete', NULL, '{}')",
    "SELECT * FROM lesionlab_write_study_reads('update', '{\"session\": \"MRI\"}', '{}')",
    "SELECT * FROM lesionlab_write_study_reads('upsert', '[]')",
    "SELECT * FROM lesionlab_write_edits('update', '{\"description\": \"x\"}', '{}')",
    "SELECT * FROM lesionlab_write_edits('delete', NULL, '{}')",
    "SELECT * FROM lesionlab_write_study_order('delete', NULL, '{}')",
    "SELECT * FROM lesionlab_write_study_order('insert', '[]')",
)


def study_with_roles(cluster: Any, url: str, prefix: str, *, roles_first: bool = False,
                     clock: Clock | None = None) -> dict[str, str]:
    """Three patients with names and clinical data, study s1, the four kinds of role; their URLs by reader.
    ``roles_first``: the roles exist before the study is set up (setting it up must blind them)."""
    fill(url)
    roles = {name: f"{prefix}_{name.lower()}" for name in KINDS}
    with ReadingStore.open(url) as owner:
        if not roles_first:
            Study.init(owner, definition(), clock=clock or Clock())
        for name, role in roles.items():
            add_reader(owner.backend_db, name, kind=KINDS[name], db_role=role)
        if roles_first:
            Study.init(owner, definition(), clock=clock or Clock())
    db = parse_location(url).database_name()
    return {name: cluster.url(db, role) for name, role in roles.items()}


def past_washout(owner_url: str, by: dt.timedelta) -> None:
    """Move every time of the study's record, edit log and readers' looks (``read_looks`` and the look sequences,
    migration 13) back by ``by``, as the owner: the server's clock decides a reader's washout now, and a test cannot
    wait 28 days."""
    with psycopg.connect(owner_url, autocommit=True) as con:
        shift = "to_char((%s::timestamptz - %s) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"+00:00\"')"
        con.execute(f"UPDATE study_reads SET opened_at_utc = {shift % ('opened_at_utc', '%(by)s')}, "
                    f"finished_at_utc = {shift % ('finished_at_utc', '%(by)s')}", {"by": by})
        con.execute(f"UPDATE edits SET at_utc = {shift % ('at_utc', '%(by)s')}", {"by": by})
        if con.execute("SELECT to_regclass('read_looks')").fetchone()[0] is not None:
            con.execute(f"UPDATE read_looks SET at_utc = {shift % ('at_utc', '%(by)s')}", {"by": by})
            for (seq,) in con.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() "
                                      "AND sequencename LIKE 'lesionlab\\_looks\\_%' AND last_value > 0").fetchall():
                con.execute(f"SELECT setval('{seq}', last_value - %s) FROM {seq}", (int(by.total_seconds() * 1000),))


def refused(url: str, statement: str) -> bool:
    """True when the server refuses the statement to this role for want of privilege (raw psycopg)."""
    with psycopg.connect(url, autocommit=True) as con:
        try:
            con.execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            return True
    return False


def migrate_again(owner_url: str, migration: Callable[[Any], None]) -> None:
    """Run ``migration`` and the grants once more as the owner (an idempotent one changes nothing)."""
    with ReadingStore.open(owner_url) as owner:
        db = owner.backend_db
        db.begin_migration()
        migration(db)
        db.commit()
        grant_roles(db)


def rows(url: str, sql: str) -> set[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as con:
        return {tuple(r) for r in con.execute(sql)}


# ------------------------------------------------------------------ what each kind may read and write
def test_reader_and_adjudicator_roles_may_not_read_or_change_names_ids_or_clinical_data(pg_cluster, pg_url):
    urls = study_with_roles(pg_cluster, pg_url, "bl1", roles_first=True)  # setting the study up blinds them
    for who in ("R1", "consensus"):
        assert [s for s in IDENTIFYING_SELECTS if not refused(urls[who], s)] == [], who
        assert [s for s in REFUSED_WRITES if not refused(urls[who], s)] == [], who
        # what a case needs stays readable: the pair's ids and study UIDs, the study's codes
        assert len(rows(urls[who], "SELECT patient_id, exam_pair_id, ct_study_uid, mri_study_uid FROM exam_pairs")) == 3
        assert rows(urls[who], "SELECT code FROM study_cases") == {("C1",), ("C2",), ("C3",)}
        # finishing a case (through the access function: no privilege on the table itself)
        assert refused(urls[who], "UPDATE study_reads SET finished_at_utc = finished_at_utc")
        assert not refused(urls[who], "SELECT * FROM lesionlab_write_study_reads('update', "
                                      "'{\"finished_at_utc\": \"x\"}', '{\"code\": \"C1\"}')")
    # the coordinator sees and may change everything, names included
    assert rows(urls["Coord"], "SELECT patient_name FROM patients") == {(f"SECRET^NAME{i}",) for i in (1, 2, 3)}
    assert not refused(urls["Coord"], "UPDATE patients SET ki67_percent = 13 WHERE patient_id = 'P1'")
    assert not refused(urls["Coord"], "SELECT ct_date, mri_date FROM exam_pairs")
    # lesionlab says so in words, not with a psycopg traceback
    with ReadingStore.open(urls["R1"]) as store:
        assert store.blinded and store.role_reader == "R1"
        with pytest.raises(BlindedRoleError, match=r"this database role is a blinded reader \(R1"):
            store.load()
    with ReadingStore.open(urls["consensus"]) as store, \
            pytest.raises(BlindedRoleError, match="this database role is a blinded adjudicator"):
        store.load()
    with ReadingStore.open(urls["Coord"]) as store:
        assert not store.blinded and store.load().patients["P1"].patient_name == "SECRET^NAME1"


def test_a_plain_database_store_keeps_its_readers_seeing_patients(pg_cluster, pg_url):
    """No study, no blinding: readers of a multi-site reading project enter patients and clinical data."""
    fill(pg_url)
    with ReadingStore.open(pg_url) as owner:
        add_reader(owner.backend_db, "R1", db_role="bl2_r1")
    url = pg_cluster.url(parse_location(pg_url).database_name(), "bl2_r1")
    assert not refused(url, "SELECT patient_name, ki67_percent FROM patients")
    with ReadingStore.open(url) as store:
        assert not store.blinded and len(store.load().patients) == 3


def test_only_the_owner_sets_a_study_up(pg_cluster, pg_url):
    fill(pg_url)
    with ReadingStore.open(pg_url) as owner:
        add_reader(owner.backend_db, "Coord", kind="coordinator", db_role="bl3_coord")
    url = pg_cluster.url(parse_location(pg_url).database_name(), "bl3_coord")
    with ReadingStore.open(url) as store, pytest.raises(StudyError, match="set up by the store's owner"):
        Study.init(store, definition())
    assert refused(url, "INSERT INTO studies VALUES ('s9', '{}', '2026-01-01')")


# ------------------------------------------------------------------ one session at a time
def test_a_reader_loses_sight_of_their_earlier_session_read_of_a_patient_once_they_read_it_again(
        pg_cluster, pg_url):
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "bl4", clock=clock)
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        for _ in range(3):
            read_case(study, "R1")
    mri = {(r[0], r[1]) for r in rows(urls["R1"], "SELECT reader, patient_id FROM lesionlab_rows_lesions()")}
    assert mri == {("R1@MRI", f"P{i}") for i in (1, 2, 3)}

    past_washout(pg_url, 29 * DAY)
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        nxt = study.next_case("R1").case
        assert nxt is not None and nxt.session == "CT"
        patient = study.definition.case(nxt.code).patient_id
        case = study.open_case("R1", "CT", nxt.code)
        assert not case.reading.project.lesions  # the case shows nothing of the MRI read
        lid = case.reading.add_lesion(case.pair, "left")
        case.reading.set_observation(case.pair, lid, "ct_portal", M)
        # the earlier session's case of that patient is closed to the reader now, on either backend
        with pytest.raises(StudyError, match="closed to you: you have begun reading the same patient in session CT"):
            study.open_case("R1", "MRI", nxt.code)
        others = {f"P{i}" for i in (1, 2, 3)} - {patient}

    # the database hides the MRI read of that patient from the reader role: lesions, observations, the log
    for table in ("lesions", "observations", "edits"):
        seen = rows(urls["R1"], f"SELECT reader, patient_id FROM lesionlab_rows_{table}() WHERE reader <> ''")
        assert ("R1@MRI", patient) not in seen and ("R1@CT", patient) in seen, table
        assert {("R1@MRI", p) for p in others} <= seen, table  # other patients' MRI reads stay theirs
    # ... and nothing the reader can do brings it back: not rewriting or deleting the session record,
    # not writing a row into that read, not moving a CT row into it
    for statement in ("DELETE FROM study_reads WHERE session = 'CT'",
                      "UPDATE study_reads SET session = 'MRI' WHERE session = 'CT'",
                      "UPDATE study_reads SET code = 'C9' WHERE session = 'CT'",
                      f"INSERT INTO lesions (patient_id, exam_pair_id, reader, lesion_id, lobe, comment) "
                      f"VALUES ('{patient}', 'E1', 'R1@MRI', 'L9', 'left', '')",
                      f"UPDATE lesions SET reader = 'R1@MRI' WHERE patient_id = '{patient}'",
                      # and through the access functions (migration 12), which apply the same policy
                      "SELECT * FROM lesionlab_write_study_reads('delete', NULL, '{\"session\": \"CT\"}')",
                      "SELECT * FROM lesionlab_write_study_reads('update', '{\"session\": \"MRI\"}', '{}')",
                      "SELECT * FROM lesionlab_write_study_reads('update', '{\"code\": \"C9\"}', '{}')",
                      "SELECT * FROM lesionlab_write_lesions('insert', '[{\"patient_id\": \"" + patient + "\", "
                      "\"exam_pair_id\": \"E1\", \"reader\": \"R1@MRI\", \"lesion_id\": \"L9\", "
                      "\"lobe\": \"left\", \"comment\": \"\"}]')",
                      "SELECT * FROM lesionlab_write_lesions('update', '{\"reader\": \"R1@MRI\"}', "
                      "'{\"patient_id\": \"" + patient + "\"}')"):
        assert refused(urls["R1"], statement), statement
    assert ("R1@MRI", patient) not in rows(urls["R1"], "SELECT reader, patient_id FROM lesionlab_rows_lesions()")
    with psycopg.connect(urls["R1"], autocommit=True) as con:  # a session variable is no key either
        con.execute("SET lesionlab.session = 'MRI'")
        assert ("R1@MRI", patient) not in {tuple(r) for r in con.execute(
            "SELECT reader, patient_id FROM lesionlab_rows_lesions()")}
    # the coordinator and the adjudicator (who pairs the sessions) still see both reads
    assert {("R1@MRI", patient), ("R1@CT", patient)} <= rows(urls["Coord"], "SELECT reader, patient_id FROM lesions")
    assert {("R1@MRI", patient), ("R1@CT", patient)} <= rows(urls["consensus"],
                                                             "SELECT reader, patient_id FROM lesionlab_rows_lesions()")


# ------------------------------------------------------------------ the whole flow through the roles
def test_the_study_runs_to_the_end_through_blinded_roles_and_the_coordinator_exports_everything(
        pg_cluster, pg_url, tmp_path: Path, capsys):
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "bl5", clock=clock)
    for reader in ("R1", "R2"):
        with ReadingStore.open(urls[reader]) as store:
            study = Study(store, clock=clock)
            for _ in range(3):  # open case, record lesions, finish, next case
                code = read_case(study, reader)
                case = study.definition.case(code)
                read = study.open_case(reader, "MRI", code)  # going back within the session (may_go_back)
                read.reading.add_count_mark(read.pair, "mr_dwi", "left")
                read.reading.set_uncountable(read.pair, "mr_t2fs", True, "coalescent")
                assert {les.patient_id for les in read.reading.project.lesions.values()} == {case.patient_id}
                assert read.reading.project.patients[case.patient_id].patient_name == code
    past_washout(pg_url, 29 * DAY)
    for reader in ("R1", "R2"):
        with ReadingStore.open(urls[reader]) as store:
            study = Study(store, clock=clock)
            for _ in range(3):
                assert study.next_case(reader).case.session == "CT"  # type: ignore[union-attr]
                read_case(study, reader, role="ct_portal")
            assert "has read every case" in study.next_case(reader).message
            assert {(p.session, p.done) for p in study.progress()} == {("MRI", 3), ("CT", 3)}
    # the adjudicator's role: a case of a session with both readers' reads, a consensus, pairs, disagreements
    with ReadingStore.open(urls["consensus"]) as store:
        study = Study(store, clock=clock)
        adj = study.open_adjudication("MRI", "C1")
        assert {les.reader for les in adj.reading.project.lesions.values()} == {"R1@MRI", "R2@MRI"}
        adj.reading.add_lesion(adj.pair, "right")
        study.finish(adj)
        project = store.load_pair(("P1", "E1"))
        first = next(k[3] for k in project.lesions if k[2] == "R1@MRI")
        second = next(k[3] for k in project.lesions if k[2] == "R1@CT")
        study.confirm_pairings("R1", "C1", {first: second})
        assert study.confirmed_pairings() == {("R1", "C1"): {first: second}}
    # who confirmed is recorded (s38): a reader's role may not pair its own sessions; a coordinator's later
    # confirmation is the one used, under the coordinator's name; the adjudicator's role lists it
    with ReadingStore.open(urls["R1"]) as store:
        with pytest.raises(StudyError, match="the adjudicator's to confirm"):
            Study(store, clock=clock).confirm_pairings("R1", "C1", {first: second})
    clock.now += dt.timedelta(minutes=1)
    with ReadingStore.open(urls["Coord"]) as store:
        assert Study(store, clock=clock).confirm_pairings("R1", "C1", {first: second}).by == "Coord"
    assert cli(["study", "confirm-pairings", urls["consensus"], "--reader", "R1", "--case", "C1"]) == 0
    listed = capsys.readouterr().out
    assert "last confirmed by Coord at " in listed and f"  MRI {first} = CT {second}" in listed, listed
    assert cli(["study", "disagreements", urls["consensus"], "--session", "MRI", "--case", "C2"]) == 0
    assert "cannot be matched without the images' geometry" in capsys.readouterr().out  # (no --dicom here)

    # what needs the identities is refused to the blinded roles in words, no traceback
    for who, argv in (("R1", ["export", urls["R1"], "--out", str(tmp_path / "r1")]),
                      ("R1", ["response", urls["R1"], "--out", str(tmp_path / "resp")]),
                      ("consensus", ["study", "reads", urls["consensus"], str(tmp_path / "reads.lesionlab")])):
        assert cli(argv) == 1, argv
        err = capsys.readouterr().err
        assert "this database role is a blinded" in err and "Traceback" not in err and "psycopg" not in err, err
        assert not (tmp_path / "r1").exists()
    # the coordinator exports everything: names, both readers, both sessions
    assert cli(["export", urls["Coord"], "--out", str(tmp_path / "all")]) == 0
    capsys.readouterr()
    with open(tmp_path / "all" / "patients.csv", encoding="utf-8") as f:
        clinical = {(row["patient_id"], row["ki67_percent"]) for row in csv.DictReader(f)}
    assert {pid for pid, _ in clinical} == {"P1", "P2", "P3"} and all(float(k) == 12.0 for _, k in clinical)
    sheet = openpyxl.load_workbook(tmp_path / "all" / "patients" / "P1.xlsx", read_only=True)["Patient"]
    assert "SECRET^NAME1" in {v for row in sheet.iter_rows(values_only=True) for v in row}
    with open(tmp_path / "all" / "measurements.csv", encoding="utf-8") as f:
        readers = {row["reader"] for row in csv.DictReader(f)}
    assert {"R1@MRI", "R1@CT", "R2@MRI", "R2@CT"} <= readers
    with ReadingStore.open(urls["Coord"], read_only=True) as store:  # the consensus lesion (not measured) too
        assert "consensus@MRI" in {les.reader for les in store.load().lesions.values()}


# ------------------------------------------------------------------ a store from before
def _privileges(url: str, role: str) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The role's table and column privileges and the store's policies, as the catalogue says."""
    with psycopg.connect(url, autocommit=True) as con:
        tables = {tuple(r) for r in con.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants WHERE grantee = %s", (role,))}
        columns = {tuple(r) for r in con.execute(
            "SELECT table_name, column_name, privilege_type FROM information_schema.column_privileges "
            "WHERE grantee = %s", (role,))}
        policies = {tuple(r) for r in con.execute("SELECT tablename, policyname, qual, with_check FROM pg_policies")}
    return tables, columns, policies


def test_a_study_store_made_before_the_migration_blinds_its_readers_when_the_owner_opens_it(pg_cluster, pg_url):
    clock = Clock()
    with old_lesionlab(9):  # the store, its study and its reader roles as lesionlab made them before
        # migrations 1-9: the one before the blinding (10); the code's loader reads migration 9's column
        fill(pg_url)
        with ReadingStore.open(pg_url) as owner:
            Study.init(owner, definition(), clock=clock)
            add_reader(owner.backend_db, "R1", db_role="bl6_r1")
    with psycopg.connect(pg_url, autocommit=True) as con:  # and the privileges the old code granted
        con.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM bl6_r1")
        con.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO bl6_r1")
        con.execute("GRANT INSERT, UPDATE ON patients, exam_pairs TO bl6_r1")
        con.execute("GRANT INSERT, UPDATE, DELETE ON lesions, observations, edits, study_reads TO bl6_r1")
    url = pg_cluster.url(parse_location(pg_url).database_name(), "bl6_r1")
    assert not refused(url, "SELECT patient_name FROM patients")  # the audit's finding

    with pytest.raises(StoreError):  # a reader role cannot migrate it (nor take the blinding off)
        ReadingStore.open(url)
    with ReadingStore.open(pg_url) as owner:  # the owner's next open upgrades it
        assert owner.schema_version == SCHEMA_VERSION
    assert refused(url, "SELECT patient_name FROM patients") and refused(url, "DELETE FROM study_reads")
    with ReadingStore.open(url) as store:
        study = Study(store, clock=clock)
        read_case(study, "R1")  # the case path still works
        assert store.blinded

    # idempotent: the migration and the grants again change no privilege and no policy
    before = _privileges(pg_url, "bl6_r1")
    migrate_again(pg_url, migration_blinded_readers)
    assert _privileges(pg_url, "bl6_r1") == before
