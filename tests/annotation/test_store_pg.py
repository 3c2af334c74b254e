"""The PostgreSQL store: several writers at once, no lost update, migrations once, blinding by
row-level security through non-owner roles, passwords kept out of saved URLs, copies both ways.

Runs against a throwaway cluster (tests/annotation/pg.py); the suite on both backends is
test_store.py, test_crash.py and test_reading_store_stateful.py.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from annotation.records import Measurement
from annotation.store import SCHEMA_VERSION, ReadingStore, open_reading
from annotation.store_copy import copy_store
from annotation.store_location import parse_location
from annotation.store_pg_security import add_reader
from app.cli import main as cli
from viewer.errors import StoreConflictError, StoreError, StoreLockedError
from tests.annotation.pg import Cluster, pg_cluster, pg_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
P1, P2 = ("P1", "E1"), ("P2", "E1")
READER_TABLES = ("lesions", "observations", "count_marks", "series_flags", "lobe_boundaries", "edits")
M = Measurement("k", "1.2", 3, (10.0, 10.0), (20.0, 30.0), 0.7, 0.7)


def dbname(url: str) -> str:
    return parse_location(url).database_name()


def two_readers(url: str) -> None:
    """Patients P1, P2; readers R1 and R2 have each read P1/E1 (as the owner writes them)."""
    st, r = open_reading(url, "R1")
    with r.batch("setup"):
        for pid in ("P1", "P2"):
            r.add_patient(pid, f"NAME^{pid}")
            r.add_exam_pair(pid, "E1")
        lid = r.add_lesion(P1, "right")
        r.set_observation(P1, lid, "mr_dwi", M)
        r.add_count_mark(P1, "mr_dwi", "left", mark_id="R1-mark")
        r.set_uncountable(P1, "ct_portal", True, "massive")
        r.draw_boundary_line(P1, "1.2.840.1", (0.0, -50.0, 10.0, 50.0, 12.0))
    st.close()
    st, r = open_reading(url, "R2")
    with r.batch("R2 reads"):
        for _ in range(2):
            lid = r.add_lesion(P1, "left")
            r.set_observation(P1, lid, "ct_arterial", M)
        r.add_count_mark(P1, "mr_t2fs", "right", mark_id="R2-mark")
        r.set_uncountable(P1, "mr_dwi", True, "coalescent")
        r.draw_boundary_line(P1, "1.2.840.1", (5.0, -50.0, 15.0, 50.0, 12.0))
    st.close()


def readers_seen(url: str) -> dict[str, set[str]]:
    """Per reader-keyed table, the readers whose rows this connection sees (raw SQL, no lesionlab)."""
    with psycopg.connect(url) as con:
        return {t: {r[0] for r in con.execute(f"SELECT reader FROM {t}")} - {""} for t in READER_TABLES}


# ------------------------------------------------------------------ blinding in the database
def test_a_reader_role_can_read_and_write_only_its_own_rows(pg_cluster, pg_url):
    two_readers(pg_url)
    with ReadingStore.open(pg_url) as owner:
        db = owner.backend_db
        alice = add_reader(db, "R1", db_role="alice")
        add_reader(db, "R2", db_role="bob")
        add_reader(db, "Adjudicator", kind="adjudicator", db_role="adj")
        add_reader(db, "Coordinator", kind="coordinator", db_role="coord")
        everything = owner.load()
    assert alice.created and alice.db_role == "alice"
    name = dbname(pg_url)
    alice_url, bob_url = pg_cluster.url(name, "alice"), pg_cluster.url(name, "bob")

    assert readers_seen(alice_url) == {t: {"R1"} for t in READER_TABLES}
    assert readers_seen(bob_url) == {t: {"R2"} for t in READER_TABLES}
    with ReadingStore.open(alice_url) as st:
        seen = st.load()
        assert st.role_reader == "R1"
        assert {les.reader for les in seen.lesions.values()} == {"R1"} and "R1-mark" in seen.count_marks
        assert {m.reader for m in seen.count_marks.values()} == {"R1"}
        assert set(seen.patients) == {"P1", "P2"} and {f.reader for f in seen.series_flags.values()} == {"R1"}
        assert all(reader == "R1" for reader in (les.reader for les in seen.lesions.values()))
    for who in ("adj", "coord"):
        assert readers_seen(pg_cluster.url(name, who)) == {t: {"R1", "R2"} for t in READER_TABLES}
        with ReadingStore.open(pg_cluster.url(name, who)) as st:
            assert st.load() == everything

    # alice writing as R2 is refused by the database itself, whatever the client does
    st, r = open_reading(alice_url, "R2")
    with pytest.raises(StoreError, match="may not"):
        r.add_lesion(P1, "left")
    st.close()
    with psycopg.connect(alice_url, autocommit=True) as con:
        assert con.execute("UPDATE lesions SET comment = 'x' WHERE reader = 'R2'").rowcount == 0  # not even seen
        r1_marks = sum(m.reader == "R1" for m in everything.count_marks.values())
        assert con.execute("DELETE FROM count_marks").rowcount == r1_marks < len(everything.count_marks)  # hers only
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("INSERT INTO lesions VALUES ('P1', 'E1', 'R2', 'L9', 'left', NULL, '')")
    # her own read goes in, logged under her reader name; she may not delete a patient
    st, r = open_reading(alice_url, "R1")
    r.add_lesion(P2, "left")
    with pytest.raises(StoreError, match="may not"):
        r.delete_patient("P2")
    st.close()
    with ReadingStore.open(pg_url) as owner:
        log = owner.edit_log()
        assert log[-1].reader == "R1" and (log[-1].patient_id, log[-1].exam_pair_id) == P2

    # the adjudicator sees R1's rows but may not change them
    st, r = open_reading(pg_cluster.url(name, "adj"), "R1")
    with pytest.raises(StoreError, match="may not"):
        r.add_lesion(P2, "right")
    st.close()

    # a temporary table cannot stand in for store_roles (the policy functions read it schema-qualified)
    with psycopg.connect(alice_url) as con:
        con.execute("CREATE TEMP TABLE store_roles AS SELECT 'alice'::text AS db_role, 'R2'::text AS reader, "
                    "'coordinator'::text AS kind")
        con.execute("SET search_path = pg_temp, public")
        assert {r[0] for r in con.execute("SELECT reader FROM public.lesions")} == {"R1"}


def test_add_reader_from_the_command_line_with_a_password_kept_out_of_the_url(pg_cluster, pg_url, tmp_path,
                                                                              monkeypatch, capsys):
    two_readers(pg_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret pass\n"))
    assert cli(["store", "add-reader", pg_url, "R1", "--db-role", "carol", "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert "created database role carol for reader 'R1'" in out and "s3cret" not in out
    name = dbname(pg_url)
    with_password = pg_cluster.url(name, "carol", tcp=True, password="s3cret pass".replace(" ", "%20"))
    saved = parse_location(with_password).saved()
    assert "s3cret" not in saved and saved == pg_cluster.url(name, "carol", tcp=True)
    with ReadingStore.open(with_password) as st:  # TCP needs the password (scram)
        assert st.role_reader == "R1"
        assert "s3cret" not in st.where
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "nowhere"))
    with pytest.raises(StoreError) as refused:
        ReadingStore.open(saved)
    assert "s3cret" not in str(refused.value) and "pgpass" in refused.value.advice
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_cluster.port}:{name}:carol:s3cret pass\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    with ReadingStore.open(saved) as st:  # the saved URL works: libpq reads the password file
        assert {les.reader for les in st.load().lesions.values()} == {"R1"}


# ------------------------------------------------------------------ several writers
def test_other_reads_write_at_once_and_the_same_read_has_one_writer(pg_url):
    two_readers(pg_url)
    a, ra = open_reading(pg_url, "R1")
    b, rb = open_reading(pg_url, "R2")
    c, rc = open_reading(pg_url, "R1")
    ra.add_lesion(P1, "left")  # R1 on P1/E1
    rb.add_lesion(P1, "left")  # R2 on the same pair: another read
    rc.add_lesion(P2, "left")  # R1 on another pair
    with pytest.raises(StoreLockedError, match=r"R1's read of P1 / E1 .*lesionlab pid"):
        rc.add_count_mark(P1, "mr_dwi", "left")
    assert ("P1", "E1", "R1", "L3") not in rc.project.lesions  # refused edits leave the reading as it was
    a.close()
    rc.add_count_mark(P1, "mr_dwi", "left")  # the lock went with the first window
    for st in (b, c):
        st.close()


def test_an_edit_based_on_a_stale_record_is_refused_not_lost(pg_url):
    two_readers(pg_url)
    a, ra = open_reading(pg_url, "R1")
    b, rb = open_reading(pg_url, "R2")
    ra.edit_patient("P1", age_at_diagnosis_years=61)
    with pytest.raises(StoreConflictError, match="Patient P1 was changed by someone else"):
        rb.edit_patient("P1", sex="F")  # B still holds the patient without A's age
    assert rb.project.patients["P1"].clinical.sex is None
    b.close()
    b, rb = open_reading(pg_url, "R2")  # reopened: sees A's change, edits on top of it
    rb.edit_patient("P1", sex="F")
    rb.add_patient("P3", "SAME^NAME")
    ra.add_patient("P3", "SAME^NAME")  # the same new record from two readers is not a conflict
    with pytest.raises(StoreConflictError):
        ra.edit_patient("P1", ki67_percent=4.0)  # A's view of P1 is stale now
    a.close()
    b.close()
    with ReadingStore.open(pg_url, read_only=True) as st:
        c = st.load().patients["P1"].clinical
        assert (c.age_at_diagnosis_years, c.sex.value, c.ki67_percent) == (61, "F", None)


def test_a_concurrent_transaction_on_the_same_row_ends_in_a_conflict_not_an_overwrite(pg_url):
    two_readers(pg_url)
    b, rb = open_reading(pg_url, "R2")
    outcome: list[BaseException | None] = []
    with psycopg.connect(pg_url) as other:
        other.execute("UPDATE patients SET patient_name = 'CHANGED^ELSEWHERE' WHERE patient_id = 'P1'")
        worker = threading.Thread(target=lambda: outcome.append(_try(lambda: rb.edit_patient("P1", sex="M"))))
        worker.start()
        time.sleep(0.5)  # B's UPDATE now waits for the other transaction's row lock
        assert worker.is_alive()
        other.commit()
        worker.join(10)
    assert isinstance(outcome[0], StoreConflictError), outcome
    b.close()
    with ReadingStore.open(pg_url, read_only=True) as st:
        p = st.load().patients["P1"]
        assert p.patient_name == "CHANGED^ELSEWHERE" and p.clinical.sex is None


def _try(fn):
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001 - the test inspects it
        return exc
    return None


WRITER = """
import sys
from annotation.records import Measurement
from annotation.store import open_reading
url, reader, pid, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
store, reading = open_reading(url, reader)
seqs = []
reading.subscribe(lambda e: seqs.append(e.edit_seq))
pair = (pid, "E1")
print("ready", flush=True)
sys.stdin.readline()
for i in range(n):
    if i % 3 == 0:
        key = reading.add_count_mark(pair, "mr_dwi", "left", row=i, col=1, mark_id=f"{reader}-{pid}-{i}")
    elif i % 3 == 1:
        with reading.batch("lesion"):
            key = reading.add_lesion(pair, "right")
            reading.set_observation(pair, key, "mr_dwi", Measurement("k", "1", 0, (0, 0), (i, 3), 0.8, 0.8))
    else:
        key = f"{reader}-{pid}-{i - 2}"  # the mark made two edits ago
        reading.move_count_mark(key, i, 2)
    print("ack", seqs[-1], reader, pid, key, i, flush=True)
store.close()
"""


def test_several_writer_processes_lose_nothing(pg_url):
    """Five processes write at once (four readers, one of them on two pairs); every acknowledged
    edit is in the store with its value, and the edit log has exactly the acknowledged edits."""
    two_readers(pg_url)
    with ReadingStore.open(pg_url) as st:
        before = len(st.edits())
    jobs = [("R1", "P1"), ("R1", "P2"), ("R2", "P1"), ("R3", "P1"), ("R4", "P2")]
    n = 24
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, pg_url, reader, pid, str(n)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for reader, pid in jobs]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    for p in procs:  # all at once
        p.stdin.write("go\n")
        p.stdin.flush()
    acks = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        acks += [line.split() for line in out.splitlines() if line.startswith("ack")]
    assert len(acks) == n * len(jobs)
    with ReadingStore.open(pg_url, read_only=True) as st:
        project, log = st.load(), st.edit_log()
    assert len(log) == before + len(acks) and {int(a[1]) for a in acks} == {e.edit_seq for e in log[before:]}
    for _, seq, reader, pid, key, i in acks:
        entry = next(e for e in log if e.edit_seq == int(seq))
        assert (entry.reader, entry.patient_id) == (reader, pid)
        if key.startswith("L"):
            obs = project.lesions[(pid, "E1", reader, key)].observation("mr_dwi")
            assert obs.p2 == (int(i), 3)
    for reader, pid in jobs:
        marks = [m for m in project.count_marks.values() if m.mark_id.startswith(f"{reader}-{pid}-")]
        assert len(marks) == n // 3 and all(m.row == int(m.mark_id.rsplit("-", 1)[1]) + 2 for m in marks)


MIGRATE = """
import sys
from annotation.store import ReadingStore
sys.stdin.readline()
with ReadingStore.open(sys.argv[1]) as st:
    print(st.schema_version)
"""


def test_migrations_run_once_when_several_processes_open_a_new_store(pg_url):
    procs = [subprocess.Popen([sys.executable, "-c", MIGRATE, pg_url], cwd=ROOT, text=True, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    time.sleep(1.0)  # all four up (imports done) before they race
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and out.strip() == str(SCHEMA_VERSION), err
    with psycopg.connect(pg_url) as con:
        versions = [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))


# ------------------------------------------------------------------ refusals and copies
def test_a_foreign_database_is_refused_untouched(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("CREATE TABLE accounts (id int PRIMARY KEY, owner text)")
    for read_only in (False, True):
        with pytest.raises(StoreError, match="not a lesionlab store"):
            ReadingStore.open(pg_url, read_only=read_only)
    with psycopg.connect(pg_url) as con:
        assert [r[0] for r in con.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")] == ["accounts"]


def test_a_nul_in_a_text_is_refused_with_a_message(pg_url):
    st, r = open_reading(pg_url, "R1")
    with pytest.raises(StoreError, match="NUL character"):
        r.add_patient("P1", "Doe\x00Jane")
    assert not r.project.patients
    st.close()


def test_copy_both_ways_keeps_records_and_edit_log(pg_cluster, pg_url, tmp_path, capsys):
    first = tmp_path / "first.lesionlab"
    two_readers(str(first))
    st, r = open_reading(first, "R1")
    r.undo()
    r.add_lesion(P2, "left")
    st.close()
    assert cli(["store", "copy", str(first), pg_url]) == 0
    assert "edits in the log" in capsys.readouterr().out
    back = tmp_path / "back.lesionlab"
    result = copy_store(pg_url, back)
    with ReadingStore.open(first, read_only=True) as a, ReadingStore.open(back, read_only=True) as b, \
            ReadingStore.open(pg_url, read_only=True) as c:
        assert a.load() == b.load() == c.load() and a.load().lesions
        assert a.edit_log() == b.edit_log() == c.edit_log() and result.n_edits == len(a.edits())
    st, r = open_reading(pg_url, "R1")  # the database's edit numbers go on after the copied ones
    r.add_lesion(P2, "right")
    assert st.edits()[-1][0] == result.n_edits + 1
    st.close()
    with pytest.raises(StoreError, match="already holds data"):
        copy_store(first, pg_url)


def test_an_older_database_store_migrates_with_its_data(pg_url):
    """Migration 2 (three-state counts, tracking UIDs) on PostgreSQL, with rows to carry over."""
    from annotation import store as store_module
    from annotation.vocab import CountStatus
    from viewer.records import Role

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
        mp.setattr(store_module, "SCHEMA_VERSION", 1)
        ReadingStore.open(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("INSERT INTO patients VALUES ('P1', '', NULL, NULL, NULL, 12.5, NULL, NULL, NULL, NULL, NULL, '')")
        con.execute("INSERT INTO exam_pairs VALUES ('P1', 'E1', '1.2.3', '1.2.4', '2024-01-02', NULL)")
        con.execute("INSERT INTO lesions VALUES ('P1', 'E1', 'R1', 'L1', 'right', NULL, '')")
        con.execute("INSERT INTO observations VALUES ('P1','E1','R1','L1','ct_portal','measured','', 'k', '1.2.9', 3,"
                    " 10, 10, 30, 10.25, 0.7, 0.7, 14.0)")
        con.execute("INSERT INTO count_marks VALUES ('m1','P1','E1','R1','ct_portal','right','k',3,20,10)")
        con.execute("INSERT INTO series_flags VALUES ('P1','E1','R1','mr_dwi',1,'massive')")
    with ReadingStore.open(pg_url) as st:
        assert st.schema_version == SCHEMA_VERSION
        p = st.load()
    les = p.lesions[("P1", "E1", "R1", "L1")]
    assert les.tracking_uid.startswith("2.25.") and les.observation("ct_portal").p2 == (30.0, 10.25)
    assert p.count_status("P1", "E1", "R1", Role.CT_PORTAL) is CountStatus.COUNTED
    assert p.count_status("P1", "E1", "R1", Role.MR_DWI) is CountStatus.NOT_COUNTABLE
    assert p.patients["P1"].clinical.ki67_percent == 12.5
