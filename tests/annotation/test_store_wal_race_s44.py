"""Review of session 44's removal of an unused ``-wal`` / ``-shm`` (``store_sqlite._remove_unused_wal``).

The removal checked that no connection maps the ``-shm`` (SQLite's DMS byte) and then unlinked both files. A
connection opening in another process meanwhile (a read-only store open, an export) takes its SHARED lock on the
store file, opens the ``-wal`` and only then the ``-shm``: it kept a descriptor on the unlinked ``-wal`` and went on
with a new ``-shm``, so a writer opening after it wrote a new ``-wal`` the reader could not read ("disk I/O error").
SQLite itself removes the two files only while it holds the store file's EXCLUSIVE lock, which no connection opening
or open can share; the removal now does the same.

Also: the read-only copy's wait for the file's last change to be a tick old refused a file written again and again
(a copy still being made) as "dated -0.0 s ahead of this computer's clock"; it now says the store kept changing.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import annotation.store_sqlite as store_sqlite
from annotation.store import ReadingStore, open_reading
from tests.annotation.test_store_readonly import make_store
from viewer.errors import StoreError

_READER = """
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, isolation_level=None, timeout=20.0)
print(con.execute("SELECT count(*) FROM patients").fetchone()[0], flush=True)
sys.stdin.readline()
try:
    print(con.execute("SELECT count(*) FROM patients").fetchone()[0], flush=True)
except sqlite3.Error as exc:
    print(f"error: {exc}", flush=True)
"""


def _fd_paths(pid: int) -> list[str]:
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return out


def test_a_reader_opening_while_the_unused_wal_is_removed_keeps_a_readable_wal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the reader held the unlinked -wal ('r.lesionlab-wal (deleted)') and, after a writer's commit,
    failed with 'disk I/O error'."""
    store = tmp_path / "r.lesionlab"
    make_store(store, ("P1", "P2"))
    wal = f"{store}-wal"
    # a reader that opened and exited leaves an empty -wal and a -shm nobody maps (SQLite's read-only close keeps them)
    subprocess.run([sys.executable, "-c", _READER, str(store)], input="\n", text=True, check=True, capture_output=True)
    assert Path(wal).stat().st_size == 0 and Path(f"{store}-shm").is_file()

    readers: list[subprocess.Popen[str]] = []
    real_lockf = store_sqlite.fcntl.lockf

    def lockf_then_reader_opens(fd: int, cmd: int, *args: int) -> object:
        result = real_lockf(fd, cmd, *args)
        if cmd & store_sqlite.fcntl.LOCK_EX and os.readlink(f"/proc/self/fd/{fd}").endswith("-shm") and not readers:
            reader = subprocess.Popen([sys.executable, "-c", _READER, str(store)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
            readers.append(reader)
            deadline = time.monotonic() + 2.0  # until it holds the -wal open, or (blocked on the lock) 2 s
            while time.monotonic() < deadline and not any(p.startswith(wal) for p in _fd_paths(reader.pid)):
                time.sleep(0.005)
        return result

    def refused(*_args: object) -> int:
        raise StoreError("refused for the test", where=str(store))

    monkeypatch.setattr(store_sqlite.fcntl, "lockf", lockf_then_reader_opens)
    monkeypatch.setattr(store_sqlite.SqliteDb, "_inspect", staticmethod(refused))
    with pytest.raises(StoreError, match="refused for the test"):
        ReadingStore.open(store)  # the failed write-open removes the unused files
    monkeypatch.undo()
    assert readers, "the removal took no lock on the -shm"
    reader = readers[0]
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "2"
        unlinked = [p for p in _fd_paths(reader.pid) if p.startswith(str(store)) and p.endswith("(deleted)")]
        st, r = open_reading(store, "R2")  # a writer after it commits
        r.add_patient("P3", "NAME^P3")
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert (reader.stdout.readline().strip(), unlinked) == ("3", [])
        st.close()
    finally:
        reader.kill()
        reader.wait()
    with ReadingStore.open(store, read_only=True) as ro:
        assert sorted(ro.load().patients) == ["P1", "P2", "P3"]
        assert ro.backend_db.integrity_check() == "ok"


# ------------------------------------------------------------------ the read-only copy of a file written again and again
def test_a_store_written_again_and_again_is_refused_as_changing_not_as_a_wrong_clock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: "the store's last change is dated -0.0 s ahead of this computer's clock" and the advice to set the
    clock, for a file written again and again (a copy still being made: here changed right before each look) while
    the read-only copy waited for its last change to be a tick old."""
    store = tmp_path / "r.lesionlab"
    make_store(store)
    monkeypatch.setattr(store_sqlite, "_SETTLE_LIMIT_S", 0.3)
    real_stat = os.stat

    def changed_before_each_look(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if str(path) == str(store):
            os.utime(store)
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(store_sqlite.os, "stat", changed_before_each_look)
        with pytest.raises(StoreError) as refused:
            store_sqlite._settled_stat(store)
    assert "kept changing" in str(refused.value) and "clock" not in str(refused.value)
    assert store_sqlite._settled_stat(store).st_size == store.stat().st_size  # once quiet, it is read
