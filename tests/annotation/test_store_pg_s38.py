"""The owner's grants waiting for a lock another session holds, and the oldest server a store runs on (session 38)."""

from __future__ import annotations

import re
import time

import psycopg
import pytest

from annotation import store_pg
from annotation.store import ReadingStore, open_reading
from annotation.store_location import parse_location
from annotation.store_pg_security import add_reader
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from viewer.errors import StoreError


def test_a_server_older_than_14_is_refused_at_opening_naming_its_version(pg_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL 13 has neither the SQL-standard function bodies of the store's security functions nor
    ``pg_terminate_backend(pid, timeout)``: a new store failed in its migrations ("syntax error at or near "ATOMIC""),
    a reconnect on "function pg_terminate_backend(integer, integer) does not exist". Refused at opening, in words."""
    monkeypatch.setattr(psycopg.ConnectionInfo, "server_version", property(lambda info: 130011))  # as libpq says
    with pytest.raises(StoreError, match=r"the database server is PostgreSQL 13\.11; lesionlab's stores need "
                                         r"PostgreSQL 14 or later"):
        ReadingStore.open(pg_url)
    with psycopg.connect(pg_url) as con:  # nothing was written
        assert con.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0


def _reader_store(cluster, url: str) -> str:  # type: ignore[no-untyped-def]
    """A store with patient P1 and reader R1's role ``s38_r1`` (password "first"); R1's URL."""
    st, r = open_reading(url, "R1")
    with r.batch("setup"):
        r.add_patient("P1", "NAME^P1")
        r.add_exam_pair("P1", "E1")
    add_reader(st.backend_db, "R1", db_role="s38_r1", password="first")
    st.close()
    return cluster.url(parse_location(url).database_name(), "s38_r1")


def test_adding_a_reader_whose_role_another_session_is_changing_waits_5_s_and_names_that_session(  # type: ignore[no-untyped-def]
        pg_cluster, pg_url) -> None:
    """R1 changes their own password in psql and leaves the transaction open (or their machine hangs there): the
    coordinator's `store add-reader` resetting it waited on the role's catalogue row until the answer bound closed
    the connection (10 s) and ended in a traceback, "the database server sent nothing for 10 s". Now the wait is
    bounded (GRANT_LOCK_WAIT_S, 5 s) and the refusal names the session holding the row, nothing changed."""
    r1 = _reader_store(pg_cluster, pg_url)
    with psycopg.connect(r1, application_name="psql of R1") as held:
        held.execute("ALTER ROLE s38_r1 PASSWORD 'second'")  # inside a transaction left open
        pid = held.info.backend_pid
        with ReadingStore.open(pg_url) as owner:
            t0 = time.monotonic()
            with pytest.raises(StoreError, match=re.escape(
                    f"cannot add reader 'R1': waited 5 s for a lock on pg_authid, held by pid {pid} (database role "
                    f"s38_r1, application 'psql of R1', idle in transaction since ")) as told:
                add_reader(owner.backend_db, "R1", db_role="s38_r1", password="third")
            waited = time.monotonic() - t0
        held.rollback()
    assert 5.0 <= waited < 6.5, waited
    assert "COMMIT or ROLLBACK" in str(told.value) and "pg_terminate_backend" in str(told.value)
    with ReadingStore.open(pg_url) as owner:  # let go: it goes through
        assert not add_reader(owner.backend_db, "R1", db_role="s38_r1", password="third").created


def test_the_owners_grants_blocked_by_an_open_grant_name_the_session_and_the_open_goes_on_after(  # type: ignore[no-untyped-def]
        pg_cluster, pg_url, monkeypatch) -> None:
    """A database administrator's psql granted on a store table and left the transaction open: the owner's open
    (which grants the readers' rights again) waited on the table's catalogue row until the answer bound; now the
    bound wait and the session named."""
    from annotation import store_pg_security

    monkeypatch.setattr(store_pg_security, "GRANT_LOCK_WAIT_S", 1.0, raising=False)
    _reader_store(pg_cluster, pg_url)
    with psycopg.connect(pg_url, application_name="dba psql") as held:
        held.execute("GRANT SELECT ON lesions TO s38_r1")
        pid = held.info.backend_pid
        t0 = time.monotonic()
        with pytest.raises(StoreError, match=re.escape(
                "cannot grant the readers' roles their rights: waited 1 s for a lock on pg_class, held by pid "
                f"{pid} (database role postgres, application 'dba psql'")):
            ReadingStore.open(pg_url)
        waited = time.monotonic() - t0
        held.rollback()
    assert waited < 1.0 + 1.5, waited
    with ReadingStore.open(pg_url) as owner:
        assert owner.load().patients.keys() == {"P1"}
