"""Review of migration 12's SECURITY DEFINER access functions (session 36), as a reader role with psql would attack
a study store: what the review found open, closed here.

* the edit log's identity sequence: every blinded role held USAGE on it, so ``nextval`` told a reader, at any
  moment and with no case open, how many edits all readers had made (another reader's pace, case by case);
* the server's cumulative statistics (``pg_stat_user_tables`` and the ``pg_stat_get_*`` functions behind it):
  any role reads every table's inserted and live row counts, so a reader counted the lesions another reader
  added, and, with the reading order every reader can derive from the stored seed (or the advisory lock key of
  the read another reader has open, in ``pg_locks``), of which case.
"""

from __future__ import annotations

import datetime as dt
import time

import psycopg
import psycopg.errors
import pytest

from annotation.store import ReadingStore
from annotation.study_store import Study
from annotation.store_location import parse_location
from tests.annotation.old_lesionlab import old_lesionlab
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_study_blinding_pg import study_with_roles
from tests.annotation.test_study_store import Clock, read_case

#: what a reader role could read of the server's statistics, each a count of rows of ``lesions``
STATISTICS = ("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'lesions'",
              "SELECT n_live_tup FROM pg_stat_all_tables WHERE relname = 'lesions'",
              "SELECT heap_blks_hit FROM pg_statio_user_tables WHERE relname = 'lesions'",
              "SELECT idx_tup_fetch FROM pg_stat_user_indexes WHERE relname = 'lesions' LIMIT 1",
              "SELECT tup_inserted FROM pg_stat_database WHERE datname = current_database()",
              "SELECT pg_stat_get_tuples_inserted('lesions'::regclass)",
              "SELECT pg_stat_get_live_tuples('lesions'::regclass)",
              "SELECT pg_stat_get_db_tuples_inserted((SELECT oid FROM pg_database WHERE datname = current_database()))")


def _r2_adds_lesions(url: str, clock: Clock, n: int) -> tuple[str, str, str]:
    """R2 opens its next case and adds ``n`` lesions, keeping the case open; (session, code, patient)."""
    with ReadingStore.open(url) as store:
        study = Study(store, clock=clock)
        nxt = study.next_case("R2").case
        assert nxt is not None
        case = study.open_case("R2", nxt.session, nxt.code)
        for _ in range(n):
            case.reading.add_lesion(case.pair, "right")
        store.backend_db.execute("SELECT pg_stat_force_next_flush()")  # what the server shows within a second anyway
        return nxt.session, nxt.code, case.pair[0]


def _answer(con: psycopg.Connection, sql: str) -> object:
    try:
        row = con.execute(sql).fetchone()
        return None if row is None else row[0]
    except psycopg.errors.InsufficientPrivilege:
        return "refused"


def test_a_reader_cannot_count_every_readers_edits_with_the_edit_log_sequence(pg_cluster, pg_url):
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "dr1", clock=clock)
    _r2_adds_lesions(urls["R2"], clock, 3)
    with psycopg.connect(urls["R1"], autocommit=True) as con:
        seq = con.execute("SELECT pg_get_serial_sequence('edits', 'edit_seq')").fetchone()[0]
        for probe in (f"SELECT nextval('{seq}')", f"SELECT last_value FROM {seq}",
                      f"SELECT setval('{seq}', 1)"):
            assert _answer(con, probe) == "refused", probe
    # R1 still writes its log (through lesionlab_write_edits, which inserts as the function's owner)
    with ReadingStore.open(urls["R1"]) as store:
        assert store.blinded
        read_case(Study(store, clock=clock), "R1")
        assert store.backend_db.execute("SELECT count(*) FROM lesionlab_rows_edits()").fetchone()[0] > 0
    # the coordinator keeps its sequence (it writes the tables itself)
    with psycopg.connect(urls["Coord"], autocommit=True) as con:
        assert _answer(con, f"SELECT nextval('{seq}')") != "refused"


def test_a_reader_cannot_count_another_readers_lesions_in_the_servers_statistics(pg_cluster, pg_url):
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "dr2", clock=clock)
    _r2_adds_lesions(urls["R2"], clock, 3)
    with psycopg.connect(urls["R1"], autocommit=True) as con:  # not how many lesions R2 counted (before: 3)
        answers = {sql: _answer(con, sql) for sql in STATISTICS}
        assert all(a == "refused" for a in answers.values()), answers
    # the owner and a monitoring role (pg_read_all_stats) still read them
    time.sleep(0.1)
    with psycopg.connect(pg_url, autocommit=True) as con:
        assert con.execute(STATISTICS[0]).fetchone()[0] >= 3
        con.execute("CREATE ROLE dr2_monitor LOGIN IN ROLE pg_read_all_stats")
    with psycopg.connect(pg_cluster.url(parse_location(pg_url).database_name(), "dr2_monitor"), autocommit=True) as con:
        assert all(_answer(con, sql) not in ("refused", None) for sql in STATISTICS)


def test_a_reader_connected_while_the_owner_upgrades_a_version_11_store(pg_cluster, pg_url, monkeypatch):
    """Upgrading in place with a reader's session open: a reader holding a lock on a table the migration alters
    makes it fail within the owner's bounded wait, whole (the store stays at 11 with 11's grants, nothing half
    done); once the reader lets go the owner's next open upgrades it, and the reader's open session, which still
    reads the tables it had, is refused them at once (in words), not shown more."""
    from annotation import store as store_module
    from annotation import store_pg
    from viewer.errors import BlindedRoleError, StoreError

    clock = Clock()
    with old_lesionlab(11):
        urls = study_with_roles(pg_cluster, pg_url, "dr3", clock=clock)
        _r2_adds_lesions(urls["R2"], clock, 2)
        r1 = ReadingStore.open(urls["R1"])  # R1's lesionlab, open across the upgrade
        assert r1.blinded and not r1.backend_db.through_functions("lesions")
    monkeypatch.setattr(store_pg, "LOCK_WAIT_S", 1.0)
    try:
        with psycopg.connect(urls["R1"]) as held:  # R1 (psql) in a transaction that read count_marks
            held.execute("SELECT count(*) FROM count_marks").fetchone()
            with pytest.raises(StoreError):
                ReadingStore.open(pg_url)
            held.rollback()
        with psycopg.connect(pg_url, autocommit=True) as con:
            assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == 11
            assert not con.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'lesionlab\\_rows\\_%'").fetchone()[0]
        with ReadingStore.open(pg_url) as owner:
            assert owner.schema_version == store_module.SCHEMA_VERSION
        with pytest.raises(BlindedRoleError):  # R1's session from before: the tables are gone from it, in words
            r1.load_pair(("P1", "E1"))
    finally:
        r1.close()
    with psycopg.connect(urls["R1"], autocommit=True) as con:  # and R1's next session reads through the functions
        assert _answer(con, "SELECT count(*) FROM lesions") == "refused"
        assert con.execute("SELECT count(*) FROM lesionlab_rows_lesions()").fetchone()[0] == 0


def test_a_reader_cannot_look_at_its_first_session_read_just_before_the_second(pg_cluster, pg_url):
    from tests.annotation.test_study_blinding_pg import past_washout

    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "dr4", clock=clock)
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        for _ in range(3):
            read_case(study, "R1")  # the MRI session, every case finished
    past_washout(pg_url, dt.timedelta(days=29))
    with psycopg.connect(urls["R1"], autocommit=True) as con:  # R1 with psql, the day the CT session opens
        looked = {tuple(r) for r in con.execute("SELECT reader, patient_id FROM lesionlab_rows_lesions()")}
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        nxt = study.next_case("R1").case
        opened = nxt is not None and nxt.session == "CT"
        patient = study.definition.case(nxt.code).patient_id if nxt is not None else None
    # the MRI read of the patient R1 is about to read on CT was shown to it, and the CT case opens all the same
    assert not (("R1@MRI", patient) in looked and opened), (looked, nxt)
