"""The bounded lock waits of the owner's grants and of migrations: one set-up (store_pg_connection.bound_lock_waits),
and the grants' bound ends with them (session 39). Before, inside an outer transaction (a study's set-up, a migration)
their ``SET LOCAL lock_timeout`` of 5 s, made in a savepoint, stayed on every later statement of that transaction."""

from __future__ import annotations

from typing import Any

from annotation.store import ReadingStore
from annotation.store_pg_security import add_reader, grant_roles
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401


def _lock_timeout(db: Any) -> str:
    return str(db.con.execute("SHOW lock_timeout").fetchone()[0])


def test_the_grants_lock_timeout_ends_with_them_inside_an_outer_transaction(pg_url) -> None:  # type: ignore[no-untyped-def]
    """An edit's transaction asked for no lock_timeout, a migration's for 15 s: after the grants in it, each has what
    it asked for again, and the answer bound with it (before: 5 s for the rest of the transaction)."""
    with ReadingStore.open(pg_url) as store:
        db: Any = store.backend_db
        add_reader(db, "R1", db_role="s39_r1")
        db.begin()
        try:
            assert _lock_timeout(db) == "0"
            grant_roles(db)
            assert _lock_timeout(db) == "0" and db.con.lock_wait_s == 0.0
        finally:
            db.rollback()
        db.begin_migration()
        try:
            assert _lock_timeout(db) == "15s" and db.con.lock_wait_s == 15.0
            grant_roles(db)
            assert _lock_timeout(db) == "15s" and db.con.lock_wait_s == 15.0
        finally:
            db.rollback()
        assert _lock_timeout(db) == "0" and db.con.lock_wait_s == 0.0


def test_a_reads_claim_and_an_advisory_lock_name_their_holder_as_the_grants_do(pg_cluster, pg_url) -> None:  # type: ignore[no-untyped-def]
    """One wording of a lock's holder (store_pg_connection.lock_holders): "pid N (database role R, application 'A',
    <state> since <time>)". Before, a read's claim said "lesionlab pid … (database role R, server pid N)" and the
    advisory locks "pid N, database role R, A", from a query of their own, without the state the grants show."""
    import psycopg
    import pytest

    from annotation.store_pg_connection import application_name
    from viewer.errors import StoreLockedError

    with ReadingStore.open(pg_url) as holder, ReadingStore.open(pg_url) as other:
        holder.claim("R1", "P1", "E1")
        pid = holder.backend_db.con.info.backend_pid  # type: ignore[attr-defined]
        with pytest.raises(StoreLockedError) as told:
            other.claim("R1", "P1", "E1")
        assert (f"reader R1's read of P1 / E1 is open for writing by pid {pid} (database role postgres, application "
                f"{application_name()!r}, idle") in str(told.value), str(told.value)
    with psycopg.connect(pg_url, application_name="psql of R2") as held, ReadingStore.open(pg_url) as owner:
        held.execute("SELECT pg_advisory_xact_lock(hashtext('lesionlab grants public'))")
        db: Any = owner.backend_db
        db.begin()
        try:
            key = int(db.execute("SELECT hashtext('lesionlab grants public')::bigint").fetchone()[0])
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr("annotation.store_pg.LOCK_WAIT_S", 0.2)
                with pytest.raises(StoreLockedError) as told:
                    db.wait_for_lock(key, "grants")
        finally:
            db.rollback()
        assert (f"another session holds lesionlab's grants lock: pid {held.info.backend_pid} (database role postgres, "
                "application 'psql of R2', idle in transaction since ") in str(told.value), str(told.value)
