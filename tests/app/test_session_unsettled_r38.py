"""Closing the reading project with an edit in doubt it cannot settle (its COMMIT met a database server that did not
answer, the reader told "not saved"; the server still down at closing): the session says so through ``unreachable``,
which the window shows (app/main_window.py). The store's side: tests/annotation/test_doubt_s38.py."""

from __future__ import annotations

import contextlib

import pytest

from annotation import store_pg_connection
from annotation.store import open_reading
from app.reading_session import ReadingSession
from tests.annotation.pg import Cluster, pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_hang_s37 import ANSWER_S, RECONNECT_S, _commit_meets_a_stopped_server
from viewer.errors import StoreUnreachableError


@pytest.fixture(autouse=True)
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_pg_connection, "ANSWER_TIMEOUT_S", ANSWER_S)
    monkeypatch.setattr(store_pg_connection, "RECONNECT_TIMEOUT_S", RECONNECT_S)


def test_closing_the_project_says_an_edit_that_may_be_in_the_store(pg_cluster: Cluster, pg_url: str,  # noqa: F811
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect (review38, failed before): ReadingStore.close set ``unsettled`` and logged it; the session dropped the
    store and the window said nothing, the reader still believing the edit was not saved."""
    st, r = open_reading(pg_url, "R1")
    with r.batch("setup"):
        r.add_patient("P1", "NAME^P1")
        r.add_exam_pair("P1", "E1")
    st.close()
    session = ReadingSession("R1")
    told: list[str] = []
    session.unreachable.connect(told.append)
    session.open(pg_url)
    assert session.store is not None
    with contextlib.ExitStack() as stack:
        _commit_meets_a_stopped_server(monkeypatch, pg_cluster, session.store, stack)
        with pytest.raises(StoreUnreachableError):
            session.reading.add_lesion(("P1", "E1"), "left")
        assert len(told) == 1  # the outage, said once
        session.close()  # another project opened, or the window closed, with the server still down
    assert len(told) == 2, told
    assert ('the edit "add lesion L1", which lesionlab said was not saved (its commit met a database server that did '
            "not answer), may be in the store after all") in told[1], told[1]
