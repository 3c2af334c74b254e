"""Durability of the store (session 36): a database session lost under an edit, a process killed in a migration
or a copy. The window's side (the server stopped while the reader draws) is tests/app/test_durability_s36.py."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from annotation.store import ReadingStore, open_reading
from tests.annotation.pg import Cluster, backend, location, new_location, pg_cluster, pg_url  # noqa: F401
from viewer.errors import StoreLockedError

P1 = ("P1", "E1")


def _setup(url: str) -> None:
    st, r = open_reading(url, "R1")
    with r.batch("setup"):
        r.add_patient("P1", "NAME^P1")
        r.add_exam_pair("P1", "E1")
    st.close()


def _end_session(cluster: Cluster, store: ReadingStore) -> None:
    """The administrator ends the store's session (``pg_terminate_backend``); the client finds out at its next use."""
    with cluster.admin() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (store.backend_db.con.info.backend_pid,))  # type: ignore[attr-defined]


def _lost_at_commit(monkeypatch: pytest.MonkeyPatch, cluster: Cluster, store: ReadingStore, *, after: bool) -> None:
    """The next COMMIT meets a lost session: the server ends it just before the COMMIT arrives (nothing committed)
    or just after it was done, its answer lost (committed, the client cannot know)."""
    db: Any = store.backend_db
    real = db.commit

    def commit() -> None:
        monkeypatch.setattr(db, "commit", real)
        if after:
            real()
        _end_session(cluster, store)
        db.con.execute("SELECT 1")  # psycopg finds the session gone: OperationalError, connection closed
    monkeypatch.setattr(db, "commit", commit)


@pytest.mark.parametrize("after", [False, True], ids=["before-commit", "committed-answer-lost"])
def test_a_session_lost_at_commit_gives_the_edit_once(pg_cluster, pg_url, monkeypatch, after) -> None:  # type: ignore[no-untyped-def]
    """Either way the edit is in the store exactly once (its records and one log row) and the write returns its
    number; before, it said "the connection was lost ... reopen the store" and, when the COMMIT had gone through,
    the screen then lacked a lesion the store held."""
    _setup(pg_url)
    st, r = open_reading(pg_url, "R1")
    try:
        r.add_lesion(P1, "right")
        n_log = len(st.edits())
        _lost_at_commit(monkeypatch, pg_cluster, st, after=after)
        lid = r.add_lesion(P1, "left")
        assert ("P1", "E1", "R1", lid) in r.project.lesions
        with ReadingStore.open(pg_url, read_only=True) as again:
            assert again.load() == r.project
            log = again.edit_log()
        assert len(log) == n_log + 1 and (log[-1].reader, log[-1].patient_id) == ("R1", "P1")
        r.add_lesion(P1, "left")  # and the store goes on on its new session
        with ReadingStore.open(pg_url, read_only=True) as again:
            assert again.load() == r.project
    finally:
        st.close()


def test_a_read_taken_by_another_window_while_the_session_was_lost_is_refused_not_shared(pg_cluster, pg_url) -> None:  # type: ignore[no-untyped-def]
    """The server drops the read's lock with the session: a second window that took the read meanwhile keeps it;
    the first one's next edit is refused (StoreLockedError naming the holder), nothing written."""
    _setup(pg_url)
    st, r = open_reading(pg_url, "R1")
    try:
        r.add_lesion(P1, "right")
        _end_session(pg_cluster, st)
        pg_cluster.wait_for_backends(pg_url.split("/")[3].split("?")[0], at_most=0)
        with ReadingStore.open(pg_url) as other:
            other.claim("R1", *P1)
            before = r.project
            with pytest.raises(StoreLockedError, match=r"open for writing by pid \d+ \(database role \w+, application "
                                                       "'lesionlab pid"):
                r.add_lesion(P1, "left")
            assert r.project == before
            assert other.load() == before
    finally:
        st.close()


# ------------------------------------------------------------------ kill -9 in a migration or a copy
ROOT = Path(__file__).resolve().parents[2]
OLD_ROWS = ("INSERT INTO patients VALUES ('P1', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '')",
            "INSERT INTO exam_pairs VALUES ('P1', 'E1', '1.2.3', '1.2.4', NULL, NULL)",
            "INSERT INTO lesions VALUES ('P1', 'E1', 'R1', 'L1', 'right', NULL, '')",
            "INSERT INTO observations VALUES ('P1','E1','R1','L1','ct_portal','measured','', 'k', '1.2.9', 3,"
            " 10, 10, 30, 10, 0.7, 0.7, 14.0)",
            "INSERT INTO count_marks VALUES ('m1','P1','E1','R1','ct_portal','right','k',3,20,10)")
#: a child that runs ``code`` with its step ``slow`` stopping (after its work) until it is killed
CHILD = """
import sys, time
from pathlib import Path
flag = Path(sys.argv[1])
def stop_here():
    flag.write_text("in")
    time.sleep(120)
{code}
"""


def _kill_in(code: str, tmp_path: Path, *args: str) -> None:
    flag = tmp_path / "flag"
    flag.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", CHILD.format(code=code), str(flag), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL


def _schema_1(location: str) -> None:
    from annotation import store as store_module

    with pytest.MonkeyPatch.context() as mp:  # a store made by a lesionlab that knew migration 1 only
        mp.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
        mp.setattr(store_module, "SCHEMA_VERSION", 1)
        ReadingStore.open(location).close()
    if location.startswith("postgresql"):
        with psycopg.connect(location, autocommit=True) as con:
            for sql in OLD_ROWS:
                con.execute(sql)
    else:
        con = sqlite3.connect(location, isolation_level=None)
        for sql in OLD_ROWS:
            con.execute(sql)
        con.close()


def _version_on_disk(location: str) -> int:
    if location.startswith("postgresql"):
        with psycopg.connect(location) as con:
            return int(con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0])  # type: ignore[index]
    con = sqlite3.connect(f"file:{location}?mode=ro", uri=True)
    try:
        return int(con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0])
    finally:
        con.close()


def test_a_process_killed_inside_a_migration_leaves_the_last_whole_version(location, backend, request, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SIGKILL after migration 6's DDL ran, before its COMMIT: the store holds migrations 1-5 whole (none of 6),
    opens again and finishes migrating, the old rows all there; on PostgreSQL the killed session's migration lock
    goes with it."""
    _schema_1(location)
    code = """
import annotation.store as sm
from annotation.store import Migration, ReadingStore
def slow(db, real=sm.MIGRATIONS[5].apply):
    real(db)
    stop_here()
sm.MIGRATIONS = (*sm.MIGRATIONS[:5], Migration(6, sm.MIGRATIONS[5].description, slow), *sm.MIGRATIONS[6:])
ReadingStore.open(sys.argv[2])
"""
    _kill_in(code, tmp_path, location)
    if backend == "postgresql":
        request.getfixturevalue("pg_cluster").wait_for_backends(location.split("/")[3].split("?")[0], at_most=0)
    assert _version_on_disk(location) == 5
    with ReadingStore.open(location) as st:
        from annotation.store import SCHEMA_VERSION

        assert st.schema_version == SCHEMA_VERSION and st.integrity_check() == "ok"
        p = st.load()
    assert list(p.lesions) == [("P1", "E1", "R1", "L1")] and list(p.count_marks) == ["m1"]


def test_a_store_copy_killed_midway_leaves_an_empty_destination_that_a_new_copy_fills(pg_cluster, pg_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``lesionlab store copy`` SIGKILLed after its first table's rows went in, both ways (file -> database,
    database -> file): the destination holds none of them (one transaction), opens as an empty store, and the
    same command run again copies the whole project."""
    from annotation.store_copy import copy_store

    src = tmp_path / "src.lesionlab"
    st, r = open_reading(src, "R1")
    with r.batch("setup"):
        r.add_patient("P1", "NAME^P1")
        r.add_exam_pair("P1", "E1")
        for _ in range(3):
            r.add_lesion(P1, "right")
    st.close()
    code = """
from annotation.store_copy import copy_store
from annotation.store_pg import PgDb
from annotation.store_sqlite import SqliteDb
for cls in (PgDb, SqliteDb):
    def executemany(self, sql, rows, real=cls.executemany):
        real(self, sql, rows)
        stop_here()
    cls.executemany = executemany
copy_store(sys.argv[2], sys.argv[3])
"""
    back = tmp_path / "back.lesionlab"
    for source, destination in ((str(src), pg_url), (pg_url, str(back))):  # the database filled by the first
        _kill_in(code, tmp_path, source, destination)
        pg_cluster.wait_for_backends(pg_url.split("/")[3].split("?")[0], at_most=0)
        with ReadingStore.open(destination, read_only=True) as dst:
            assert dst.load().lesions == {} and dst.edits() == [] and dst.integrity_check() == "ok"
        if destination == pg_url:
            copy_store(source, destination)
            with ReadingStore.open(source, read_only=True) as a, ReadingStore.open(destination, read_only=True) as b:
                assert a.load() == b.load() and a.edits() == b.edits()
    copy_store(pg_url, back)
    with ReadingStore.open(src, read_only=True) as a, ReadingStore.open(back, read_only=True) as b:
        assert a.load() == b.load() and a.edits() == b.edits()


def test_reading_a_store_whose_session_was_lost_meanwhile_takes_a_new_one(pg_cluster, pg_url) -> None:  # type: ignore[no-untyped-def]
    """A store kept open while the reader looks (a read-only open, a study's case list): after the session was
    ended, a read failed ("the connection to the database was lost") however often it was asked; a read outside a
    transaction now runs again on a new session."""
    _setup(pg_url)
    with ReadingStore.open(pg_url, read_only=True) as st:
        before = st.load()
        _end_session(pg_cluster, st)
        assert st.load() == before and len(st.edit_log()) == 1
        assert st.read_only
        with pytest.raises(Exception, match="read-only"):
            st.backend_db.execute("INSERT INTO patients (patient_id) VALUES ('X')")


def test_a_copy_into_a_new_file_on_a_full_disk_leaves_no_empty_store(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """``lesionlab store copy`` onto a disk with room for the schema, not the rows: "the copy was not written: the
    disk is full (... nothing was changed)", yet the new file stayed, an empty store with its -wal and -shm. The
    file this copy created goes again; with room, the same command copies."""
    import contextlib

    from app.cli import main
    from tests.conftest import SAMPLE_DICOM
    from tests.tmpfs import small_tmpfs

    with small_tmpfs("2m", "lesionlab-copy-") as disk:
        filler = disk / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        for chunk in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"x" * chunk)
        os.close(fd)
        os.truncate(filler, filler.stat().st_size - 460_000)  # the schema (14 migrations) fits, the rows do not
        dst = disk / "copy.lesionlab"
        assert main(["store", "copy", str(SAMPLE_DICOM / "reading.lesionlab"), str(dst)]) == 1
        assert f"{dst}: the copy was not written: the disk is full" in capsys.readouterr().err
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]
        filler.unlink()
        assert main(["store", "copy", str(SAMPLE_DICOM / "reading.lesionlab"), str(dst)]) == 0
        with ReadingStore.open(SAMPLE_DICOM / "reading.lesionlab", read_only=True) as a, \
                ReadingStore.open(dst, read_only=True) as b:
            assert a.load() == b.load()
