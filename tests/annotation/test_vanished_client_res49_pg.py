"""A reader's lesionlab that vanished without closing its connection (a site's laptop switched off or cut from the
network while idle between two edits; res49, a multi-site reader study on PostgreSQL).

Its session stayed on the server holding the read's claim (`pg_try_advisory_lock`, session-level): the server keeps
an idle session whose client sent no FIN until its TCP keepalive gives up, 2 h 11 min with the server's defaults
(`tcp_keepalives_idle` 0: the system's 7200 s). The reader restarting lesionlab, or moving to another workstation,
was refused their own read for those two hours: "… is open for writing by pid N (…, idle since …) (close the other
lesionlab window editing this read, or read another pair)", with no window to close.

Now lesionlab's sessions ask the server to probe their client after 60 s of silence (`tcp_keepalives_idle` 60,
`tcp_keepalives_interval` 10, `tcp_keepalives_count` 6: a vanished client is let go within about 2 minutes; a
frozen machine whose kernel still answers the probes is not, nor a unix socket, which has none), and the refusal
says how to end a holder that is gone: `pg_terminate_backend(PID)`, which the reader's own database role may run on
its own other session.
"""

from __future__ import annotations

import psycopg
import pytest

from annotation.store import ReadingStore
from annotation.store_location import parse_location
from annotation.store_pg_security import add_reader
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from viewer.errors import StoreLockedError


def _server_keepalives(con: psycopg.Connection) -> tuple[str, str, str]:  # type: ignore[type-arg]
    row = con.execute("SELECT current_setting('tcp_keepalives_idle'), current_setting('tcp_keepalives_interval'), "
                      "current_setting('tcp_keepalives_count')").fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def test_a_store_session_over_tcp_asks_the_server_to_probe_its_client_after_a_minute(pg_cluster, pg_url) -> None:  # type: ignore[no-untyped-def]
    db = parse_location(pg_url).database_name()
    with ReadingStore.open(pg_cluster.url(db, tcp=True)) as store:
        con = store.backend_db.con  # type: ignore[attr-defined]
        assert _server_keepalives(con) == ("60", "10", "6"), _server_keepalives(con)
        store.backend_db.reconnect()  # type: ignore[attr-defined]  # a new session after a lost one: the same
        assert _server_keepalives(store.backend_db.con) == ("60", "10", "6")  # type: ignore[attr-defined]
    with psycopg.connect(pg_cluster.url(db, tcp=True)) as plain:  # the server's own default, for comparison
        assert _server_keepalives(plain) != ("60", "10", "6")


def test_a_claim_held_by_a_session_that_is_gone_says_how_to_end_it_and_the_reader_may(pg_cluster, pg_url) -> None:  # type: ignore[no-untyped-def]
    with ReadingStore.open(pg_url) as owner:
        add_reader(owner.backend_db, "R1", db_role="res49_r1")
    db = parse_location(pg_url).database_name()
    r1 = pg_cluster.url(db, "res49_r1")
    with ReadingStore.open(r1) as gone, ReadingStore.open(r1) as again:
        gone.claim("R1", "P1", "E1")
        pid = gone.backend_db.con.info.backend_pid  # type: ignore[attr-defined]
        with pytest.raises(StoreLockedError) as told:
            again.claim("R1", "P1", "E1")
        said = str(told.value)
        assert f"open for writing by pid {pid} " in said, said
        assert f"SELECT pg_terminate_backend({pid})" in said and "your own database role may" in said, said
        # what the advice says works as the reader's own role: the claim is then the new window's
        with psycopg.connect(r1, autocommit=True) as psql:
            assert psql.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone() == (True,)
        again.claim("R1", "P1", "E1")
