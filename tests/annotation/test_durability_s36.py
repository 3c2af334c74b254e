"""Durability of the store (session 36): a database session lost under an edit, a process killed in a migration
or a copy. The window's side (the server stopped while the reader draws) is tests/app/test_durability_s36.py."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from annotation.store import ReadingStore, open_reading
from tests.annotation.pg import Cluster, pg_cluster, pg_url  # noqa: F401
from viewer.errors import StoreLockedError

P1 = ("P1", "E1")


def _setup(url: str) -> None:
    st, r = open_reading(url, "R1")
    with r.batch("setup"):
        r.add_patient("P1", "NAME^P1")
        r.add_exam_pair("P1", "E1")
    st.close()


def _end_session(cluster: Cluster, store: ReadingStore) -> None:
    """The administrator ends the store's session (``pg_terminate_backend``); the client finds out at its next use."""
    with cluster.admin() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (store.backend_db.con.info.backend_pid,))  # type: ignore[attr-defined]


def _lost_at_commit(monkeypatch: pytest.MonkeyPatch, cluster: Cluster, store: ReadingStore, *, after: bool) -> None:
    """The next COMMIT meets a lost session: the server ends it just before the COMMIT arrives (nothing committed)
    or just after it was done, its answer lost (committed, the client cannot know)."""
    db: Any = store.backend_db
    real = db.commit

    def commit() -> None:
        monkeypatch.setattr(db, "commit", real)
        if after:
            real()
        _end_session(cluster, store)
        db.con.execute("SELECT 1")  # psycopg finds the session gone: OperationalError, connection closed
    monkeypatch.setattr(db, "commit", commit)


@pytest.mark.parametrize("after", [False, True], ids=["before-commit", "committed-answer-lost"])
def test_a_session_lost_at_commit_gives_the_edit_once(pg_cluster, pg_url, monkeypatch, after) -> None:  # type: ignore[no-untyped-def]
    """Either way the edit is in the store exactly once (its records and one log row) and the write returns its
    number; before, it said "the connection was lost ... reopen the store" and, when the COMMIT had gone through,
    the screen then lacked a lesion the store held."""
    _setup(pg_url)
    st, r = open_reading(pg_url, "R1")
    try:
        r.add_lesion(P1, "right")
        n_log = len(st.edits())
        _lost_at_commit(monkeypatch, pg_cluster, st, after=after)
        lid = r.add_lesion(P1, "left")
        assert ("P1", "E1", "R1", lid) in r.project.lesions
        with ReadingStore.open(pg_url, read_only=True) as again:
            assert again.load() == r.project
            log = again.edit_log()
        assert len(log) == n_log + 1 and (log[-1].reader, log[-1].patient_id) == ("R1", "P1")
        r.add_lesion(P1, "left")  # and the store goes on on its new session
        with ReadingStore.open(pg_url, read_only=True) as again:
            assert again.load() == r.project
    finally:
        st.close()


def test_a_read_taken_by_another_window_while_the_session_was_lost_is_refused_not_shared(pg_cluster, pg_url) -> None:  # type: ignore[no-untyped-def]
    """The server drops the read's lock with the session: a second window that took the read meanwhile keeps it;
    the first one's next edit is refused (StoreLockedError naming the holder), nothing written."""
    _setup(pg_url)
    st, r = open_reading(pg_url, "R1")
    try:
        r.add_lesion(P1, "right")
        _end_session(pg_cluster, st)
        pg_cluster.wait_for_backends(pg_url.split("/")[3].split("?")[0], at_most=0)
        with ReadingStore.open(pg_url) as other:
            other.claim("R1", *P1)
            before = r.project
            with pytest.raises(StoreLockedError, match="open for writing by lesionlab pid"):
                r.add_lesion(P1, "left")
            assert r.project == before
            assert other.load() == before
    finally:
        st.close()
