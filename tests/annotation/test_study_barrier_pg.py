"""The session barrier kept by the database (annotation/store_pg_barrier.py, migration 11).

A security review, as reader R1 with psql (MRI read, CT not opened), wrote ``R1@CT`` rows of a patient
beside the still visible ``R1@MRI`` read: no ``study_reads`` row, no washout. It forged times that made
the coordinator's ``study status`` fail with a traceback, redirected the policy functions' types
with a ``pg_temp`` domain, and hung the owner's ``store add-reader`` on an advisory lock. Each test
does what the review did, through the reader role, on the throwaway cluster of tests/annotation/pg.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import psycopg
import pytest

from annotation import store as store_module
from annotation import store_pg
from annotation.store import SCHEMA_VERSION, ReadingStore
from annotation.store_pg_security import add_reader
from annotation.store_schema import migration_session_barrier
from annotation.study_store import Study
from app.cli import main as cli
from viewer.errors import StoreLockedError
from tests.annotation.old_lesionlab import old_lesionlab
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_study_blinding_pg import _privileges, past_washout, rows, study_with_roles
from tests.annotation.test_study_store import Clock, read_case

DAY = dt.timedelta(days=1)
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")


def refused(url: str, statement: str) -> bool:
    """True when the server refuses the statement to this role (privilege, policy or the barrier's trigger)."""
    with psycopg.connect(url, autocommit=True) as con:
        try:
            con.execute(statement)
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.CheckViolation):
            return True
    return False


def lesion(patient: str, reader: str, lesion_id: str = "L9") -> str:
    """A lesion row written as a blinded role can: through the table's access function (no privilege on the table,
    migration 12: annotation/store_pg_access.py)."""
    row = json.dumps([{"patient_id": patient, "exam_pair_id": "E1", "reader": reader, "lesion_id": lesion_id,
                       "lobe": "left", "comment": "copied from MRI: 15.6 mm"}])
    return f"SELECT * FROM lesionlab_write_lesions('insert', '{row}')"


def table_lesion(patient: str, reader: str) -> str:
    """The same row written into the table itself (what a blinded role could before migration 12)."""
    return (f"INSERT INTO lesions (patient_id, exam_pair_id, reader, lesion_id, lobe, comment) "
            f"VALUES ('{patient}', 'E1', '{reader}', 'L9', 'left', 'copied from MRI: 15.6 mm')")


def opening(*values: str | None) -> str:
    """A study_reads row (study, reader, session, code, opened, finished) added through the access function."""
    row = dict(zip(("study_id", "reader", "session", "code", "opened_at_utc", "finished_at_utc"), values))
    return f"SELECT * FROM lesionlab_write_study_reads('insert', '{json.dumps([row])}')"


def finishing(value: str | None, **where: str) -> str:
    """``finished_at_utc`` set to ``value`` in the reader's study_reads rows matching ``where``, through the function."""
    return (f"SELECT * FROM lesionlab_write_study_reads('update', '{json.dumps({'finished_at_utc': value})}', "
            f"'{json.dumps(where)}')")


#: a blinded role reads a reader-keyed table through its access function
LESIONS = "SELECT reader, patient_id FROM lesionlab_rows_lesions()"


def no_going_back(owner_url: str) -> None:
    with psycopg.connect(owner_url, autocommit=True) as con:
        con.execute("UPDATE studies SET definition = jsonb_set(definition::jsonb, '{may_go_back}', 'false')::text")


def mri_read(cluster: Any, url: str, prefix: str) -> tuple[dict[str, str], Clock]:
    """The study with its roles, no going back, R1's MRI session read to the end."""
    clock = Clock()
    urls = study_with_roles(cluster, url, prefix, clock=clock)
    no_going_back(url)
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        for _ in range(3):
            read_case(study, "R1")
    return urls, clock


def test_a_reader_writes_a_later_session_read_only_of_a_case_it_has_opened_after_the_washout(pg_cluster, pg_url):
    urls, clock = mri_read(pg_cluster, pg_url, "br1")
    r1 = urls["R1"]
    # the review's attack: a CT read written beside the visible MRI read, with no study_reads row (the table itself
    # is no blinded role's to write since migration 12; its access function applies the same policy)
    assert refused(r1, table_lesion("P1", "R1@CT"))
    assert refused(r1, lesion("P1", "R1@CT"))
    assert refused(r1, lesion("P1", "R1"))  # the plain name would carry a read across sessions
    assert refused(r1, lesion("P1", "R1@MRI"))  # a finished case, and the study does not let readers go back
    assert refused(r1, finishing(None))  # nor reopening it by hand
    # opening the CT case by hand: refused before the washout (the server's clock), in an unknown session,
    # out of the reader's order
    assert refused(r1, opening("s1", "R1", "CT", "C1", "2000-01-01T00:00:00.000+00:00", None))
    assert refused(r1, opening("s1", "R1", "CT2", "C1", "2000-01-01", None))
    assert refused(r1, opening("s1", "R1", "MRI", "C9", "2000-01-01", None))
    assert refused(r1, opening("s9", "R1", "MRI", "C1", "2000-01-01", None))
    assert refused(r1, opening("s1", "R2", "CT", "C1", "2000-01-01", None))  # another reader's record
    assert ("R1@CT", "P1") not in rows(pg_url, "SELECT reader, patient_id FROM lesions")
    assert ("R1@MRI", "P1") in rows(r1, LESIONS)  # the MRI read is untouched
    finished = rows(pg_url, "SELECT code, finished_at_utc FROM study_reads WHERE session = 'MRI'")
    assert not refused(r1, finishing("2020-01-01T00:00:00.000+00:00"))
    assert rows(pg_url, "SELECT code, finished_at_utc FROM study_reads WHERE session = 'MRI'") == finished

    past_washout(pg_url, 29 * DAY)
    # now the case opens (a forged opening time is replaced by the server's) and its read is writable there only
    assert not refused(r1, opening("s1", "R1", "CT", "C1", "1999", "1999"))
    ((opened, closed),) = rows(pg_url, "SELECT opened_at_utc, finished_at_utc FROM study_reads WHERE session = 'CT'")
    assert ISO.fullmatch(opened) and closed is None
    assert abs(dt.datetime.fromisoformat(opened) - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)
    assert not refused(r1, lesion("P1", "R1@CT"))
    assert refused(r1, lesion("P2", "R1@CT"))  # a case not opened in CT
    assert ("R1@MRI", "P1") not in rows(r1, LESIONS)  # the barrier closed
    assert not refused(r1, finishing("y", session="CT"))
    ((closed,),) = rows(pg_url, "SELECT finished_at_utc FROM study_reads WHERE session = 'CT'")
    assert ISO.fullmatch(closed)  # finishing takes the server's time, never the reader's text
    assert refused(r1, lesion("P1", "R1@CT", "L10"))  # finished: closed for writing too


def test_the_application_still_reads_a_whole_study_through_the_barrier(pg_cluster, pg_url):
    urls, clock = mri_read(pg_cluster, pg_url, "br2")
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        assert study.next_case("R1").case is None  # the washout (the application's clock)
    past_washout(pg_url, 29 * DAY)
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        for _ in range(3):
            read_case(study, "R1", role="ct_portal")
        assert "has read every case" in study.next_case("R1").message
        assert {(p.session, p.done) for p in study.progress()} == {("MRI", 3), ("CT", 3)}
    assert {("R1@CT", f"P{i}") for i in (1, 2, 3)} <= rows(pg_url, "SELECT reader, patient_id FROM lesions")


def test_forged_times_neither_reach_the_store_nor_crash_the_coordinators_status(pg_cluster, pg_url, capsys):
    urls, _ = mri_read(pg_cluster, pg_url, "br3")
    edit = ("INSERT INTO edits (at_utc, description, pid, host, reader, patient_id, exam_pair_id) "
            "VALUES ('2020', 'x', 1, 'h', 'R1@MRI', 'P1', 'E1')")
    row = {"at_utc": "2020", "description": "x", "pid": 1, "host": "h", "reader": "R1@MRI", "patient_id": "P1",
           "exam_pair_id": "E1"}
    assert refused(urls["R1"], edit)  # no privilege on the table (migration 12)
    # finished: refused, or stamped by the server; never '2020'
    refused(urls["R1"], f"SELECT * FROM lesionlab_write_edits('insert', '{json.dumps([row])}')")
    assert all(ISO.fullmatch(t) for (t,) in rows(pg_url, "SELECT at_utc FROM edits WHERE reader LIKE 'R1@%'"))
    # a coordinator may still write anything (they correct records): the status says so and carries on
    assert not refused(urls["Coord"], edit)
    assert not refused(urls["Coord"], "UPDATE study_reads SET finished_at_utc = 'y' WHERE code = 'C2'")
    assert cli(["study", "status", urls["Coord"], "--cases"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "R1" in out
    assert "edit" in err and "of R1@MRI (P1 / E1): time '2020' is not a time" in err
    assert "R1's read of case C2 in session MRI, finished: time 'y' is not a time" in err


def test_a_pg_temp_type_does_not_redirect_the_policy_functions(pg_cluster, pg_url):
    urls, _ = mri_read(pg_cluster, pg_url, "br4")
    with psycopg.connect(urls["R1"], autocommit=True) as con:
        for ty in ("jsonb", "text", "bool", "int8"):
            con.execute(f"CREATE DOMAIN pg_temp.{ty} AS integer")
        assert {r[0] for r in con.execute("SELECT reader FROM lesionlab_rows_lesions()")} == {"R1@MRI"}
        con.execute("CREATE TEMP TABLE store_roles (db_role text, reader text, kind text)")
        assert {r[0] for r in con.execute("SELECT reader FROM lesionlab_rows_lesions()")} == {"R1@MRI"}


def test_a_reader_holding_the_grants_lock_does_not_hang_the_owner(pg_cluster, pg_url, monkeypatch, capsys):
    urls, _ = mri_read(pg_cluster, pg_url, "br5")  # a coordinator added: a study store takes no reader R3 (s38)
    monkeypatch.setattr(store_pg, "LOCK_WAIT_S", 0.5)
    held = rf"another session holds lesionlab's grants lock: pid \d+ \(database role br5_r1, application "
    with ReadingStore.open(pg_url) as owner, psycopg.connect(urls["R1"], autocommit=True) as con:
        con.execute("SELECT pg_advisory_lock(hashtext('lesionlab grants public'))")
        with pytest.raises(StoreLockedError, match=held):
            add_reader(owner.backend_db, "Monitor", kind="coordinator", db_role="br5_r3")
        with pytest.raises(StoreLockedError, match=held):  # the owner's next open (it grants again) says so too
            ReadingStore.open(pg_url)
        assert cli(["store", "add-reader", pg_url, "Monitor", "--kind", "coordinator", "--db-role", "br5_r3"]) == 1
    err = capsys.readouterr().err
    assert re.search(held, err) and "Traceback" not in err, err
    with ReadingStore.open(pg_url) as owner:  # released: it works again, and nothing was left half done
        assert add_reader(owner.backend_db, "Monitor", kind="coordinator", db_role="br5_r3").created


def test_a_study_store_at_migration_10_gets_the_barrier_when_the_owner_opens_it(pg_cluster, pg_url):
    clock = Clock()
    with old_lesionlab(10):  # its patients' rows too (migration 15 added columns)
        urls = study_with_roles(pg_cluster, pg_url, "br6", clock=clock)
        with ReadingStore.open(urls["R1"]) as store:
            read_case(Study(store, clock=clock), "R1")
        assert not refused(urls["R1"], table_lesion("P2", "R1@CT"))  # the review's finding, at 10
        with psycopg.connect(pg_url, autocommit=True) as con:
            con.execute("DELETE FROM lesions WHERE reader = 'R1@CT'")
    with ReadingStore.open(pg_url) as owner:
        assert owner.schema_version == SCHEMA_VERSION
    assert refused(urls["R1"], lesion("P2", "R1@CT")) and refused(urls["R1"], table_lesion("P2", "R1@CT"))
    with ReadingStore.open(urls["R1"]) as store:
        read_case(Study(store, clock=clock), "R1")  # the case path still works
    before = _privileges(pg_url, "br6_r1")
    with ReadingStore.open(pg_url) as owner:  # idempotent
        db = owner.backend_db
        db.begin_migration()
        migration_session_barrier(db)
        db.commit()
    assert _privileges(pg_url, "br6_r1") == before
