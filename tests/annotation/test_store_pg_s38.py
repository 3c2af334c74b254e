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
