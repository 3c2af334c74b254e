"""Session 44: two store defects left since session 42.

* A write-open that failed on a nearly full disk left an empty ``-wal`` and a ``-shm`` of what was free beside the
  store (SQLite never removes them: its connection never mapped the ``-shm``); they stayed until the store was
  opened for writing with space free. Now the failed open removes them when the ``-wal`` is empty and no connection
  maps the ``-shm`` (the DMS byte every mapping connection holds a shared lock on); a reader's stay.
* The read-only copy (SNAPSHOT: a folder this user may not write, or that full disk) trusted a copy when the file's
  size and times were the same after it; a writer that wrote the file within the time stamp's tick of the last
  change before the copy left them the same, and the copy could hold pages of two states. Now the copy starts only
  once the file's last change is more than a tick old (a write after that start then changes its time).
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import annotation.store_sqlite as store_sqlite
from annotation.store import ReadingStore, open_reading
from annotation.store_sqlite import _snapshot
from tests.annotation.test_store_readonly import _fill, make_store
from viewer.errors import StoreError


# ------------------------------------------------------------------ -wal / -shm after a failed write-open
@pytest.mark.parametrize("free_kib", [8, 24])
def test_a_failed_write_open_on_a_full_disk_leaves_no_wal_or_shm(free_kib: int) -> None:
    """Before: after the refusal the folder held ``r.lesionlab-wal`` (0 bytes) and ``r.lesionlab-shm`` (8-24 KiB)."""
    from tests.tmpfs import small_tmpfs

    with small_tmpfs("2m", "lesionlab-leftovers-") as mount:
        store = mount / "r.lesionlab"
        make_store(store, ("P1", "P2"))
        before = store.read_bytes()
        _fill(mount, free_kib * 1024)
        with pytest.raises(StoreError, match="the disk is full"):
            ReadingStore.open(store)
        assert sorted(p.name for p in mount.iterdir()) == ["filler", "r.lesionlab"]
        assert store.read_bytes() == before
        with ReadingStore.open(store, read_only=True) as ro:  # still read on the full disk
            assert sorted(ro.load().patients) == ["P1", "P2"]
        (mount / "filler").unlink()
        st, r = open_reading(store, "R1")  # and written once space is free, nothing lost
        r.add_patient("P3", "NAME^P3")
        st.close()
        with ReadingStore.open(store, read_only=True) as ro:
            assert sorted(ro.load().patients) == ["P1", "P2", "P3"]
            assert ro.backend_db.integrity_check() == "ok"


_READER = """
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, isolation_level=None)
con.execute("BEGIN")
print(con.execute("SELECT count(*) FROM patients").fetchone()[0], flush=True)
sys.stdin.readline()
print(con.execute("SELECT count(*) FROM patients").fetchone()[0], flush=True)
"""


def test_a_readers_wal_and_shm_stay_when_a_write_open_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader in another process maps the -shm (its shared lock on the DMS byte): a failed write-open leaves its
    files, and the reader reads on; so does a read-only store open in this process."""
    store = tmp_path / "r.lesionlab"
    make_store(store, ("P1", "P2"))
    reader = subprocess.Popen([sys.executable, "-c", _READER, str(store)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "2"
        assert Path(f"{store}-shm").is_file() and Path(f"{store}-wal").is_file()

        def refused(*_args: object) -> int:
            raise StoreError("refused for the test", where=str(store))

        monkeypatch.setattr(store_sqlite.SqliteDb, "_inspect", staticmethod(refused))
        with pytest.raises(StoreError, match="refused for the test"):
            ReadingStore.open(store)
        assert Path(f"{store}-shm").is_file() and Path(f"{store}-wal").is_file()
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "2"
    finally:
        reader.kill()
        reader.wait()
    monkeypatch.undo()
    with ReadingStore.open(store, read_only=True) as ro:  # a reader of this process: its -shm is not touched
        monkeypatch.setattr(store_sqlite.SqliteDb, "_inspect", staticmethod(refused))
        with pytest.raises(StoreError, match="refused for the test"):
            ReadingStore.open(store)
        monkeypatch.undo()
        assert Path(f"{store}-shm").is_file()
        assert sorted(ro.load().patients) == ["P1", "P2"]


# ------------------------------------------------------------------ the read-only copy within one tick
class _CoarseClockFile:
    """The store's times as a file system of one-second time stamps gives them (FAT's are 2 s, ext3's and many NFS
    servers' 1 s; ext4's follow a clock of 4 ms ticks): ``os.stat`` in the backend with its times cut to the second."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_stat = os.stat

        def coarse(path: object, *args: object, **kwargs: object) -> os.stat_result:
            st = real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
            fields = list(st)
            values = {name: getattr(st, name) for name in ("st_atime_ns", "st_mtime_ns", "st_ctime_ns")}
            cut = {name: v - v % 1_000_000_000 for name, v in values.items()}
            result = os.stat_result(fields[:7] + [cut["st_atime_ns"] // 10**9, cut["st_mtime_ns"] // 10**9,
                                                  cut["st_ctime_ns"] // 10**9],
                                    {"st_atime_ns": cut["st_atime_ns"], "st_mtime_ns": cut["st_mtime_ns"],
                                     "st_ctime_ns": cut["st_ctime_ns"], "st_atime": float(cut["st_atime_ns"] // 10**9),
                                     "st_mtime": float(cut["st_mtime_ns"] // 10**9),
                                     "st_ctime": float(cut["st_ctime_ns"] // 10**9)})
            return result

        monkeypatch.setattr(store_sqlite.os, "stat", coarse)


class _ChecksOnce:
    """An immutable connection whose copy is made while a writer rewrites a page of the file in place (a checkpoint:
    same size), within the same second as the file's last change."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.con = sqlite3.connect(f"{store.as_uri()}?mode=ro&immutable=1", uri=True)

    def backup(self, target: sqlite3.Connection) -> None:
        self.con.backup(target)
        with open(self.store, "r+b") as f:  # a page rewritten: the size stays
            f.seek(100)
            page = f.read(16)
            f.seek(100)
            f.write(page)
            f.flush()
            os.fsync(f.fileno())

    def close(self) -> None:
        self.con.close()


def test_a_write_within_the_tick_of_the_last_change_is_not_trusted(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the copy was kept (its size and times the same after the write, at a one-second time stamp)."""
    store = tmp_path / "r.lesionlab"
    make_store(store)
    while time.time() % 1 > 0.05:  # just after a second begins: the copy and its write end well within it
        time.sleep(0.01)
    os.utime(store)  # changed now: a write during the copy falls in the same second
    _CoarseClockFile(monkeypatch)
    t0 = time.monotonic()
    assert _snapshot(_ChecksOnce(store), store) is None
    assert time.monotonic() - t0 < 5


def test_a_quiet_file_on_a_coarse_clock_is_copied_once_its_last_change_is_a_tick_old(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "r.lesionlab"
    make_store(store)
    _CoarseClockFile(monkeypatch)
    copy = _snapshot(sqlite3.connect(f"{store.as_uri()}?mode=ro&immutable=1", uri=True), store)
    assert copy is not None and copy.execute("SELECT patient_id FROM patients").fetchall() == [("P1",)]
    copy.close()
