"""The store on both backends (SQLite file, PostgreSQL database): exact round trips, edits through a
Reading, the second writer, read-only, refusals, migrations. SQLite-only and PostgreSQL-only
behaviour: test_hostile_store.py and test_store_pg.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings

from annotation import store as store_module
from annotation.project import diff
from annotation.store import ReadingStore, open_reading
from viewer.errors import StoreError, StoreLockedError
from tests.annotation.conftest import PAIR
from tests.annotation.pg import backend, location, new_location, pg_cluster, recycled_location  # noqa: F401
from tests.annotation.strategies import projects

ROOT = Path(__file__).resolve().parents[2]


def sql(st: ReadingStore, statement: str) -> None:
    """Run SQL on a store's own connection, outside lesionlab's transactions."""
    st.backend_db.execute(statement)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(first=projects(), second=projects())
def test_round_trip_is_exact_through_updates_and_deletes(recycled_location, backend, first, second):
    if backend == "postgresql":  # PostgreSQL text cannot hold NUL (test_store_pg: refused with a message)
        assume("\\x00" not in repr(first) + repr(second))
    where, empty = recycled_location
    empty()
    with ReadingStore.open(where) as st:
        st.save_project(first)
    with ReadingStore.open(where) as st:
        assert st.load() == first
        st.write(diff(first, second), "replace everything")
    with ReadingStore.open(where, read_only=True) as st:
        assert st.load() == second
        assert st.integrity_check() == "ok"


def test_edits_undo_and_redo_are_saved_as_they_happen(location, geometry):
    st, r = open_reading(location, "R1")
    r.add_patient("P1")
    r.add_exam_pair("P1", "E1")
    lid = r.add_lesion(PAIR, "right", "VIII")
    r.measure(PAIR, lid, "mr_dwi", geometry, "k", "1.2", 4, (10.25, 3.5), (30.75, 40.125))
    r.add_count_mark(PAIR, "mr_dwi", "left", row=1.5, col=2.5)
    r.undo()
    with ReadingStore.open(location, read_only=True) as ro:  # another process could read it meanwhile
        assert ro.load() == r.project
    r.redo()
    expected = r.project
    st.close()
    with ReadingStore.open(location) as st2:
        assert st2.load() == expected
        log = [d for _, _, d in st2.edits()]
        assert log[-2:] == ["undo: count mark on DWI b800 (left)", "redo: count mark on DWI b800 (left)"]
        les = st2.load().lesions[("P1", "E1", "R1", lid)]
        assert les.observation("mr_dwi").diameter_mm == pytest.approx(
            geometry.distance_mm((10.25, 3.5), (30.75, 40.125)), rel=1e-12)


SECOND_WRITER = """
import sys
from annotation.store import ReadingStore, open_reading
try:
    store, reading = open_reading(sys.argv[1], "R1")
    reading.add_lesion(("P1", "E1"), "left")
    print("wrote")
except Exception as e:
    print(type(e).__name__, e)
print(sorted(ReadingStore.open(sys.argv[1], read_only=True).load().patients))
"""


def test_a_second_writer_of_the_same_read_is_refused_and_may_read(location):
    st, r = open_reading(location, "R1")
    r.add_patient("P1")
    r.add_exam_pair("P1", "E1")
    r.add_lesion(PAIR, "right")  # this window now writes R1's read of P1/E1
    out = subprocess.run([sys.executable, "-c", SECOND_WRITER, location], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("StoreLockedError") and "pid" in out and "['P1']" in out, out
    with pytest.raises(StoreLockedError):  # also within one process
        st2, r2 = open_reading(location, "R1")
        try:
            r2.add_lesion(PAIR, "left")
        finally:
            st2.close()
    st.close()
    st3, r3 = open_reading(location, "R1")  # the lock went with the first holder
    r3.add_lesion(PAIR, "left")
    assert sorted(r3.project.lesions) == [("P1", "E1", "R1", "L1"), ("P1", "E1", "R1", "L2")]
    st3.close()


def test_read_only_store_refuses_writes(location):
    ReadingStore.open(location).close()
    with ReadingStore.open(location, read_only=True) as ro, pytest.raises(StoreError, match="read-only"):
        ro.save_project(ro.load())


def test_a_foreign_store_is_refused(location, backend, tmp_path):
    if backend == "sqlite":
        import sqlite3

        con = sqlite3.connect(location)
        con.execute("CREATE TABLE t (x)")
        con.close()
    else:
        import psycopg

        with psycopg.connect(location, autocommit=True) as con:
            con.execute("CREATE TABLE schema_migrations (version TEXT)")  # a Rails app's, say
    for read_only in (False, True):
        with pytest.raises(StoreError, match="not a lesionlab store"):
            ReadingStore.open(location, read_only=read_only)


def test_no_such_store(backend, tmp_path, pg_url_if_postgresql):
    missing = str(tmp_path / "missing.lesionlab") if backend == "sqlite" else pg_url_if_postgresql
    with pytest.raises(StoreError, match="no such store|no lesionlab store"):
        ReadingStore.open(missing, read_only=True)


@pytest.fixture
def pg_url_if_postgresql(backend, request):
    return request.getfixturevalue("pg_cluster").create_database() if backend == "postgresql" else None


def test_migrations_run_once_in_order_and_newer_stores_are_refused(location, monkeypatch):
    with ReadingStore.open(location) as st:
        assert st.schema_version == store_module.SCHEMA_VERSION == len(store_module.MIGRATIONS)
    ran = []
    current = store_module.SCHEMA_VERSION

    def follows(db):
        ran.append(current + 1)
        db.script("ALTER TABLE lesions ADD COLUMN follows TEXT")

    monkeypatch.setattr(store_module, "MIGRATIONS",
                        store_module.MIGRATIONS + (store_module.Migration(current + 1, "lesion follow-up link", follows),))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", current + 1)
    for _ in range(2):
        with ReadingStore.open(location) as st:
            assert st.schema_version == current + 1
    assert ran == [current + 1]
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:-1])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", current)
    with pytest.raises(StoreError, match="newer"):
        ReadingStore.open(location)
    with pytest.raises(StoreError, match="newer"):
        ReadingStore.open(location, read_only=True)


def test_a_failing_migration_leaves_the_store_at_the_previous_version(location, monkeypatch):
    with ReadingStore.open(location) as st:
        st.save_project(st.load())
    current = store_module.SCHEMA_VERSION

    def half_done(db):
        db.script("CREATE TABLE follow_ups (x TEXT)")
        raise RuntimeError("the migration broke half way")

    monkeypatch.setattr(store_module, "MIGRATIONS",
                        store_module.MIGRATIONS + (store_module.Migration(current + 1, "broken", half_done),))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", current + 1)
    with pytest.raises(RuntimeError, match="half way"):
        ReadingStore.open(location)
    monkeypatch.undo()
    with ReadingStore.open(location) as st:  # the whole migration rolled back, DDL included
        assert st.schema_version == current and not st.backend_db.has_table("follow_ups")


def test_wal_and_full_sync_are_on(tmp_path):
    with ReadingStore.open(tmp_path / "r.lesionlab") as st:
        assert st.backend_db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert st.backend_db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_store_in_a_missing_folder_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as err:
        open_reading(tmp_path / "no such folder" / "r.lesionlab", "R1")
    assert "no such folder" in (err.value.where or "") and err.value.advice


def test_an_older_file_opens_read_only_without_being_touched(tmp_path, monkeypatch):
    """A read-only open of a store of an older schema migrates a private copy; the file stays as it was."""
    path = tmp_path / "old.lesionlab"
    st, r = open_reading(path, "R1")
    r.add_patient("P1")
    st.seal()
    st.close()
    before = path.read_bytes()
    current = store_module.SCHEMA_VERSION
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS + (store_module.Migration(
        current + 1, "new column", lambda db: db.script("ALTER TABLE patients ADD COLUMN x TEXT")),))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", current + 1)
    with ReadingStore.open(path, read_only=True) as ro:
        assert list(ro.load().patients) == ["P1"] and ro.schema_version == current + 1 and ro.read_only
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["old.lesionlab"]


def test_two_lesions_trading_their_tracking_uids_in_one_edit(location, geometry):
    """The tracking UID is unique per read (``lesions_by_tracking_uid``); an edit that trades two lesions' UIDs
    (L1 takes L2's and L2 L1's: an SR re-imported over a read, a hand-made renumbering) wrote the first upsert
    while the second row still held its UID, and the whole edit failed on the index. Saved in one transaction."""
    from dataclasses import replace

    st, r = open_reading(location, "R1")
    r.add_patient("P1")
    r.add_exam_pair("P1", "E1")
    first, second = r.add_lesion(PAIR, "right", "VIII"), r.add_lesion(PAIR, "left", "III")
    one, two = (r.project.lesions[(*PAIR, "R1", lid)] for lid in (first, second))
    traded = r.project.with_record(replace(one, tracking_uid=two.tracking_uid)) \
        .with_record(replace(two, tracking_uid=one.tracking_uid))
    r.apply("traded", traded)
    st.close()
    with ReadingStore.open(location, read_only=True) as ro:
        back = ro.load()
        assert back == traded
        assert back.lesions[(*PAIR, "R1", first)].tracking_uid == two.tracking_uid
