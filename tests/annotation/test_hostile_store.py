"""Hostile input at the store boundary (issue 9, "The reading store"): links, failed opens, foreign
and newer files, a full disk, bad rows. Each case failed before the store locked the file's identity,
inspected files read-only before writing, and classified its errors.

The full disk is real: a 2 MiB tmpfs mounted for the test (root with CAP_SYS_ADMIN), filled to the
last byte by a filler file. Where no tmpfs can be mounted those tests skip and say why.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.tmpfs import small_tmpfs

from annotation import store as store_module
from annotation.store import ReadingStore, open_reading
from app.reading_session import ReadingSession
from viewer.errors import StoreError, StoreLockedError
from tests.annotation.conftest import PAIR

ROOT = Path(__file__).resolve().parents[2]

HOLDER = """
import sys
from annotation.store import ReadingStore
store = ReadingStore.open(sys.argv[1])
print("ready", flush=True)
sys.stdin.read()
store.close()
"""


@contextlib.contextmanager
def writer_process(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``path`` open for writing until the block ends."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", proc.stderr.read()
        yield proc
    finally:
        proc.communicate("")


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file of a folder: content hash and modification time (what "untouched" means)."""
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.iterdir())}


def make_store(path: Path) -> None:
    st, r = open_reading(path, "R1")
    r.add_patient("P1")
    r.add_exam_pair("P1", "E1")
    r.add_lesion(PAIR, "right")
    st.close()


# ------------------------------------------------------------------ the lock is the file's, not the name's
@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_link_to_the_store_cannot_give_a_second_writer(tmp_path: Path, link: str) -> None:
    store = tmp_path / "study.lesionlab"
    make_store(store)
    other_dir = tmp_path / "elsewhere"
    other_dir.mkdir()
    alias = other_dir / "alias.lesionlab"
    (alias.symlink_to if link == "symlink" else alias.hardlink_to)(store)
    for first, second in ((store, alias), (alias, store)):
        with writer_process(first) as holder:
            with pytest.raises(StoreLockedError) as refused:
                ReadingStore.open(second)
            assert f"pid {holder.pid}" in refused.value.message
    with ReadingStore.open(alias) as st, pytest.raises(StoreLockedError, match="this process"):
        ReadingStore.open(store)  # within one process too
    with ReadingStore.open(store, read_only=True) as ro:  # the acknowledged lesion is still L1, alone
        assert list(ro.load().lesions) == [("P1", "E1", "R1", "L1")]


# ------------------------------------------------------------------ a failed open leaves nothing locked
def _set_lobe(path: Path, lobe: str) -> None:
    con = sqlite3.connect(path)
    con.execute("UPDATE lesions SET lobe=?", (lobe,))
    con.commit()
    con.close()


def test_a_failed_open_does_not_leave_the_store_locked_by_this_process(tmp_path: Path) -> None:
    path = tmp_path / "r.lesionlab"
    make_store(path)
    _set_lobe(path, "middle")
    with pytest.raises(StoreError, match="is not a Lobe"):
        open_reading(path, "R1")
    session = ReadingSession("R1")
    with pytest.raises(StoreError, match="is not a Lobe"):
        session.open(path)
    _set_lobe(path, "left")
    st, r = open_reading(path, "R1")  # not "open for writing by pid <own>"
    st.close()
    session.open(path)
    assert not session.read_only and session.locked_by is None
    session.close()


# ------------------------------------------------------------------ refused files are not touched
def _foreign(path: Path, wal: bool) -> None:
    con = sqlite3.connect(path)
    if wal:
        con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)")
    con.execute("INSERT INTO accounts VALUES (1, 'someone')")
    con.commit()
    con.close()


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_a_foreign_sqlite_file_is_refused_untouched(tmp_path: Path, wal: bool) -> None:
    path = tmp_path / "other.sqlite"
    _foreign(path, wal)
    before = snapshot(tmp_path)
    for read_only in (False, True):
        with pytest.raises(StoreError, match="not a lesionlab store"):
            ReadingStore.open(path, read_only=read_only)
    assert snapshot(tmp_path) == before  # no WAL switch, no -wal, -shm or .lock beside it


@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "wal"])
def test_a_store_of_a_newer_schema_is_refused_untouched(tmp_path: Path, sealed: bool) -> None:
    path = tmp_path / "future.lesionlab"
    with ReadingStore.open(path) as st:
        st._db.con.execute("INSERT INTO schema_migrations VALUES (?, 'from the future', '2099-01-01')",
                        (store_module.SCHEMA_VERSION + 1,))
        if sealed:
            st.seal()
    before = snapshot(tmp_path)
    for read_only in (False, True):
        with pytest.raises(StoreError, match="newer than this lesionlab"):
            ReadingStore.open(path, read_only=read_only)
    assert snapshot(tmp_path) == before


def test_junk_and_folders_are_refused_with_a_store_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.lesionlab"
    junk.write_bytes(b"\x00not sqlite" * 500)
    before = snapshot(tmp_path)
    with pytest.raises(StoreError, match="not a lesionlab store"):
        ReadingStore.open(junk)
    assert snapshot(tmp_path) == before
    folder = tmp_path / "folder.lesionlab"
    folder.mkdir()
    for read_only in (False, True):
        with pytest.raises(StoreError, match="folder"):
            ReadingStore.open(folder, read_only=read_only)
    with pytest.raises(StoreError, match="no such store"):
        ReadingStore.open(tmp_path / "missing.lesionlab", create=False)
    assert not (tmp_path / "missing.lesionlab").exists()


# ------------------------------------------------------------------ a full disk
@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 2 MiB tmpfs: a real file system that runs out of space."""
    with small_tmpfs("2m", "lesionlab-full-") as mount:
        yield mount


def fill(folder: Path) -> Path:
    """Use up every byte left on the file system of ``folder``; returns the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for chunk in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"x" * chunk)
    finally:
        os.close(fd)
    return filler


def test_creating_a_store_on_a_full_disk_says_so_and_leaves_no_file(small_disk: Path) -> None:
    fill(small_disk)
    path = small_disk / "new.lesionlab"
    with pytest.raises(StoreError) as err:
        ReadingStore.open(path)
    assert "the disk is full" in err.value.message and "not a lesionlab store" not in str(err.value)
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]  # no 0-byte store, no lock file


def test_opening_a_valid_store_on_a_full_disk_says_so_and_works_once_there_is_room(small_disk: Path) -> None:
    path = small_disk / "r.lesionlab"
    make_store(path)
    filler = fill(small_disk)
    with pytest.raises(StoreError) as err:
        ReadingStore.open(path)
    assert "the disk is full" in err.value.message, err.value
    with ReadingStore.open(path, read_only=True) as ro:  # read from the main file (store_readonly: "A full disk")
        assert list(ro.load().lesions) == [("P1", "E1", "R1", "L1")]
    filler.unlink()
    with ReadingStore.open(path) as st:  # not locked by this process after the failures
        assert list(st.load().lesions) == [("P1", "E1", "R1", "L1")]


def test_an_edit_on_a_full_disk_says_so_and_changes_nothing(small_disk: Path) -> None:
    path = small_disk / "r.lesionlab"
    make_store(path)
    st, r = open_reading(path, "R1")
    filler = fill(small_disk)
    with pytest.raises(StoreError) as err:
        with r.batch("many lesions"):  # several pages: more than the few bytes left
            for _ in range(200):
                r.add_lesion(PAIR, "left", comment="x" * 200)
    assert "the disk is full" in err.value.message
    assert len(r.project.lesions) == 1
    filler.unlink()
    r.add_lesion(PAIR, "left")
    st.close()
    with ReadingStore.open(path, read_only=True) as ro:
        assert ro.load() == r.project and ro.integrity_check() == "ok"


def test_an_export_onto_a_nearly_full_disk_says_so_and_leaves_nothing(small_disk: Path, tmp_path: Path) -> None:
    """A researcher's check on a 64 KB tmpfs: "the disk is full (... nothing was written)" while the
    CSVs and two workbooks stayed in --out, looking like a complete export."""
    from annotation.export import export_store
    from viewer.errors import LesionlabError

    store = tmp_path / "r.lesionlab"
    st, r = open_reading(store, "R1")
    for i in range(6):
        r.add_patient(f"P{i}", f"Name^{i}")
        r.add_exam_pair(f"P{i}", "E1")
        r.add_lesion((f"P{i}", "E1"), "right", comment="x" * 500)
    st.close()
    filler = fill(small_disk)
    os.truncate(filler, filler.stat().st_size - 16384)  # room for the CSVs and a workbook or two
    with pytest.raises(LesionlabError) as err:
        export_store(store, small_disk / "out")
    assert "the disk is full" in str(err.value)
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]  # no folder, no temporary


def test_an_empty_file_is_not_read_as_an_empty_project(tmp_path: Path) -> None:
    """A 0-byte .lesionlab was exported and analysed as a project of 0 patients (exit 0)."""
    empty = tmp_path / "cut.lesionlab"
    empty.write_bytes(b"")
    with pytest.raises(StoreError, match="empty"):
        ReadingStore.open(empty, read_only=True)
    assert empty.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["cut.lesionlab"]


# ------------------------------------------------------------------ a bad row names the store, table and row
BAD_ROWS = [
    ("lesions", "UPDATE lesions SET lobe='middle'", "table lesions, row (P1, E1, R1, L1): lobe: 'middle' is not a Lobe"),
    ("observations", "UPDATE observations SET status='weird'",
     "table observations, row (P1, E1, R1, L1, mr_dwi): status: 'weird' is not a ObservationStatus"),
    ("observations", "UPDATE observations SET slice_index='ten'",
     "table observations, row (P1, E1, R1, L1, mr_dwi): slice_index: expected a number"),
    ("count_marks", "UPDATE count_marks SET series_role='ct_native' WHERE mark_id='M1'", "table count_marks, row (M1): "),
    ("patients", "UPDATE patients SET sex='X'", "table patients, row (P1): sex: 'X'"),
    ("exam_pairs", "UPDATE exam_pairs SET ct_date='yesterday'", "table exam_pairs, row (P1, E1): ct_date: 'yesterday'"),
]


@pytest.mark.parametrize("table,sql,expected", BAD_ROWS, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD_ROWS)])
def test_a_bad_row_is_named_by_store_table_and_key(tmp_path: Path, geometry, table: str, sql: str,
                                                    expected: str) -> None:
    path = tmp_path / "r.lesionlab"
    st, r = open_reading(path, "R1")
    r.add_patient("P1")
    r.add_exam_pair("P1", "E1", ct_date="2024-01-02")
    lid = r.add_lesion(PAIR, "right")
    r.measure(PAIR, lid, "mr_dwi", geometry, "k", "1.2", 4, (10.0, 3.0), (30.0, 40.0))
    r.add_count_mark(PAIR, "mr_dwi", "left", mark_id="M1")
    st.close()
    con = sqlite3.connect(path)
    con.execute(sql)
    con.commit()
    con.close()
    for read_only in (False, True):
        with ReadingStore.open(path, read_only=read_only) as st, pytest.raises(StoreError) as err:
            st.load()
        assert str(err.value).startswith(f"{path}, {expected}"), str(err.value)
