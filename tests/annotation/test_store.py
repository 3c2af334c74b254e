"""The SQLite store: exact round trips, edits through a Reading, lock, read-only, migrations."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from annotation import store as store_module
from annotation.project import diff
from annotation.store import ReadingStore, open_reading
from viewer.errors import StoreError, StoreLockedError
from tests.annotation.conftest import PAIR
from tests.annotation.strategies import projects

ROOT = Path(__file__).resolve().parents[2]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects(), projects())
def test_round_trip_is_exact_through_updates_and_deletes(first, second):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.lesionlab"
        with ReadingStore.open(path) as st:
            st.save_project(first)
        with ReadingStore.open(path) as st:
            assert st.load() == first
            st.write(diff(first, second), "replace everything")
        with ReadingStore.open(path, read_only=True) as st:
            assert st.load() == second
            assert st.integrity_check() == "ok"


def test_edits_undo_and_redo_are_saved_as_they_happen(tmp_path, geometry):
    path = tmp_path / "r.lesionlab"
    st, r = open_reading(path, "R1")
    r.add_patient("P1")
    r.add_exam_pair("P1", "E1")
    lid = r.add_lesion(PAIR, "right", "VIII")
    r.measure(PAIR, lid, "mr_dwi", geometry, "k", "1.2", 4, (10.25, 3.5), (30.75, 40.125))
    r.add_count_mark(PAIR, "mr_dwi", "left", row=1.5, col=2.5)
    r.undo()
    with ReadingStore.open(path, read_only=True) as ro:  # another process could read it meanwhile
        assert ro.load() == r.project
    r.redo()
    expected = r.project
    st.close()
    with ReadingStore.open(path) as st2:
        assert st2.load() == expected
        log = [d for _, _, d in st2.edits()]
        assert log[-2:] == ["undo: count mark on mr_dwi (left)", "redo: count mark on mr_dwi (left)"]
        les = st2.load().lesions[("P1", "E1", "R1", lid)]
        assert les.observation("mr_dwi").diameter_mm == pytest.approx(
            geometry.distance_mm((10.25, 3.5), (30.75, 40.125)), rel=1e-12)


def test_a_second_writer_is_refused_and_may_read(tmp_path):
    path = tmp_path / "r.lesionlab"
    st, r = open_reading(path, "R1")
    r.add_patient("P1")
    code = ("import sys; from annotation.store import ReadingStore\n"
            "try:\n    ReadingStore.open(sys.argv[1])\n"
            "except Exception as e:\n    print(type(e).__name__, e)\n"
            "print(sorted(ReadingStore.open(sys.argv[1], read_only=True).load().patients))\n")
    out = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("StoreLockedError") and "pid" in out and "['P1']" in out
    with pytest.raises(StoreLockedError):  # also within one process
        ReadingStore.open(path)
    st.close()
    with ReadingStore.open(path) as again:  # the lock went with the first holder
        assert list(again.load().patients) == ["P1"]


def test_read_only_store_refuses_writes(tmp_path):
    path = tmp_path / "r.lesionlab"
    ReadingStore.open(path).close()
    with ReadingStore.open(path, read_only=True) as ro, pytest.raises(StoreError, match="read-only"):
        ro.save_project(ro.load())


def test_not_a_store_is_refused(tmp_path):
    junk = tmp_path / "junk.lesionlab"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a lesionlab store"):
        ReadingStore.open(junk)
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.close()
    with pytest.raises(StoreError, match="not a lesionlab store"):
        ReadingStore.open(other)
    with pytest.raises(StoreError, match="no such store"):
        ReadingStore.open(tmp_path / "missing.lesionlab", read_only=True)


def test_migrations_run_once_in_order_and_newer_stores_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "r.lesionlab"
    with ReadingStore.open(path) as st:
        assert st.schema_version == store_module.SCHEMA_VERSION == 1
    ran = []

    def m2(con):
        ran.append(2)
        con.execute("ALTER TABLE lesions ADD COLUMN follows TEXT")

    monkeypatch.setattr(store_module, "MIGRATIONS",
                        store_module.MIGRATIONS + (store_module.Migration(2, "lesion follow-up link", m2),))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 2)
    for _ in range(2):
        with ReadingStore.open(path) as st:
            assert st.schema_version == 2
    assert ran == [2]
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
    with pytest.raises(StoreError, match="newer"):
        ReadingStore.open(path)
    with pytest.raises(StoreError, match="newer"):
        ReadingStore.open(path, read_only=True)


def test_wal_and_full_sync_are_on(tmp_path):
    with ReadingStore.open(tmp_path / "r.lesionlab") as st:
        assert st._db.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert st._db.con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_store_in_a_missing_folder_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as err:
        open_reading(tmp_path / "no such folder" / "r.lesionlab", "R1")
    assert "no such folder" in (err.value.where or "") and err.value.advice
