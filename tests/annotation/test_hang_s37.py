"""A database server that hangs without closing the connection (session 37): every server process SIGSTOPped, as a
server frozen by the kernel, a VM paused or a network that drops packets looks to the client. The kernel still
accepts connections and data, nothing answers: psycopg waited in recv for ever, and the window with it. The window's
side is tests/app/test_hang_s37.py."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest

from annotation import store_pg_connection
from annotation.store import ReadingStore, open_reading
from tests.annotation.pg import Cluster, pg_cluster, pg_url  # noqa: F401
from viewer.errors import StoreUnreachableError

P1 = ("P1", "E1")
#: the bounds the tests run with (the shipped ones are 10 s and 3 s; libpq's connect timeout is 2 s at least)
ANSWER_S, RECONNECT_S = 1.0, 2


@pytest.fixture(autouse=True)
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_pg_connection, "ANSWER_TIMEOUT_S", ANSWER_S)
    monkeypatch.setattr(store_pg_connection, "RECONNECT_TIMEOUT_S", RECONNECT_S)


def _setup(url: str) -> None:
    st, r = open_reading(url, "R1")
    with r.batch("setup"):
        r.add_patient("P1", "NAME^P1")
        r.add_exam_pair("P1", "E1")
    st.close()


def _stored(url: str) -> tuple[Any, list[Any]]:
    with ReadingStore.open(url, read_only=True) as st:
        return st.load(), st.edit_log()


def _timed(fn: Any) -> float:
    t0 = time.monotonic()
    with pytest.raises(StoreUnreachableError, match="the database server does not answer"):
        fn()
    return time.monotonic() - t0


def test_edits_on_a_stopped_server_are_refused_within_the_bound_and_saved_once_it_answers(pg_cluster, pg_url) -> None:  # type: ignore[no-untyped-def]
    """The first edit waits the answer bound, then one reconnect; the next ones the reconnect only. Before, the first
    edit waited until the server went on (here the guard's SIGCONT after 12 s), then was saved as if nothing had
    happened: the window frozen all that time."""
    _setup(pg_url)
    st, r = open_reading(pg_url, "R1")
    try:
        r.add_lesion(P1, "right")
        before, n_log = r.project, len(st.edits())
        with pg_cluster.stopped(at_most_s=12):
            first = _timed(lambda: r.add_lesion(P1, "left"))
            second = _timed(lambda: r.add_lesion(P1, "left"))
            assert r.project == before
        assert first < ANSWER_S + RECONNECT_S + 1.5, first
        assert second < RECONNECT_S + 1.0, second
        lid = r.add_lesion(P1, "left")  # the server answers again: saved on a new session, once
        stored, log = _stored(pg_url)
        assert stored == r.project and ("P1", "E1", "R1", lid) in stored.lesions
        assert len(log) == n_log + 1
    finally:
        st.close()


def test_a_load_and_a_claim_on_a_stopped_server_end_within_the_bound(pg_cluster, pg_url) -> None:  # type: ignore[no-untyped-def]
    """Not only edits: every call that waits for the server (a read, a read's claim, closing the store)."""
    _setup(pg_url)
    st = ReadingStore.open(pg_url)
    try:
        with pg_cluster.stopped(at_most_s=12):
            for call in (st.load, lambda: st.claim("R2", *P1)):
                t0 = time.monotonic()
                with pytest.raises(StoreUnreachableError):
                    call()
                assert time.monotonic() - t0 < ANSWER_S + RECONNECT_S + 1.5
        assert st.load().exam_pairs.keys() == {P1}
        st.claim("R2", *P1)
    finally:
        t0 = time.monotonic()
        st.close()
        assert time.monotonic() - t0 < 1.0


def _commit_meets_a_stopped_server(monkeypatch: pytest.MonkeyPatch, cluster: Cluster, store: ReadingStore,
                                   stack: contextlib.ExitStack) -> None:
    """The next COMMIT is sent to a server stopped just before: it waits in the server's socket, unanswered; the
    server commits it once it goes on (SIGCONT), though the client had long given up."""
    db: Any = store.backend_db
    real = db.commit

    def commit() -> None:
        monkeypatch.setattr(db, "commit", real)
        stack.enter_context(cluster.stopped(at_most_s=12))
        real()
    monkeypatch.setattr(db, "commit", commit)


def test_an_edit_whose_commit_met_a_hung_server_is_looked_for_and_taken_back_when_it_answers(pg_cluster, pg_url,  # type: ignore[no-untyped-def]
                                                                                             monkeypatch) -> None:
    """The edit was refused (StoreUnreachableError: the reader told "not saved", the screen without it), but the
    server committed it once it went on. The first edit after that finds it and takes it back in one more edit
    (logged), so the store is the screen again; the reader's next edit is then saved as made. Before, the lesion
    was in the store and not on the screen: the reader drawing it again got "changed by someone else"."""
    _setup(pg_url)
    st, r = open_reading(pg_url, "R1")
    try:
        r.add_lesion(P1, "right")
        before, n_log = r.project, len(st.edits())
        with contextlib.ExitStack() as stack:
            _commit_meets_a_stopped_server(monkeypatch, pg_cluster, st, stack)
            _timed(lambda: r.add_lesion(P1, "left"))
            assert r.project == before
        deadline = time.monotonic() + 10
        while ("P1", "E1", "R1", "L2") not in _stored(pg_url)[0].lesions:  # the server committed it after all
            assert time.monotonic() < deadline
            time.sleep(0.05)
        lid = r.add_lesion(P1, "left")  # the reader draws it again
        stored, log = _stored(pg_url)
        assert stored == r.project, (sorted(stored.lesions), sorted(r.project.lesions))
        assert [(e.description, e.reader) for e in log[n_log:]] == [
            ("add lesion L2", "R1"), ("taken back: add lesion L2 (its commit met a database server that did not "
                                      "answer, and lesionlab had said it was not saved)", "R1"),
            (f"add lesion {lid}", "R1")]
    finally:
        st.close()


def test_a_commit_answered_late_is_found_once_the_lost_session_has_ended(pg_cluster, pg_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The server is alive but the COMMIT's answer is later than the bound (here the session's backend alone is
    stopped): the store gives up on that session, ends it on the server (pg_terminate_backend: its COMMIT is then
    either in or never) and only then looks for the edit, so it is neither doubled nor lost."""
    import os
    import signal
    import threading

    _setup(pg_url)
    st, r = open_reading(pg_url, "R1")
    try:
        r.add_lesion(P1, "right")
        n_log = len(st.edits())
        db: Any = st.backend_db
        real, backend = db.commit, db.con.info.backend_pid

        def commit() -> None:
            monkeypatch.setattr(db, "commit", real)
            os.kill(backend, signal.SIGSTOP)
            guard = threading.Timer(8, os.kill, (backend, signal.SIGCONT))  # waiting for ever fails, not hangs
            guard.start()
            try:
                real()
            finally:
                guard.cancel()
                os.kill(backend, signal.SIGCONT)
        monkeypatch.setattr(db, "commit", commit)
        t0 = time.monotonic()
        lid = r.add_lesion(P1, "left")
        assert time.monotonic() - t0 < ANSWER_S + 1.5  # not until the guard's SIGCONT (8 s)
        stored, log = _stored(pg_url)
        assert stored == r.project and ("P1", "E1", "R1", lid) in stored.lesions
        assert len(log) == n_log + 1
    finally:
        st.close()


def test_the_rows_of_a_client_that_vanished_inside_an_edit_are_freed_by_the_server(pg_cluster, pg_url,  # type: ignore[no-untyped-def]
                                                                                   monkeypatch) -> None:
    """A lesionlab whose machine froze (or whose network went) between its edit's first write and its COMMIT kept the
    patient's row locked until the server's TCP keepalive noticed (2 h by default): another reader's edit of the
    same row waited the answer bound and failed, again and again. The server now ends such a session
    (idle_in_transaction_session_timeout, set by lesionlab on its sessions), and the other edit goes through."""
    monkeypatch.setattr(store_pg_connection, "IDLE_IN_TRANSACTION_S", 0.3)
    _setup(pg_url)
    frozen, other = ReadingStore.open(pg_url), ReadingStore.open(pg_url)
    try:
        db: Any = frozen.backend_db
        db.begin()
        db.execute("UPDATE patients SET patient_name = 'FROZEN' WHERE patient_id = 'P1'")  # then nothing, for ever
        t0 = time.monotonic()
        other.backend_db.execute("UPDATE patients SET patient_name = 'OTHER' WHERE patient_id = 'P1'")
        assert time.monotonic() - t0 < ANSWER_S
        assert other.load().patients["P1"].patient_name == "OTHER"
    finally:
        frozen.close()
        other.close()


def test_a_reader_role_ends_its_own_lost_session_and_the_edit_goes_on(pg_cluster, pg_url) -> None:  # type: ignore[no-untyped-def]
    """The session given up is ended on the server before anything else (pg_terminate_backend), which a reader's
    login role (no superuser) may do to its own sessions only: here its backend alone stops at the edit's BEGIN
    and goes on while the new session waits for it to end; the edit is then saved once on the new session."""
    import os
    import signal
    import threading

    from annotation.store_location import parse_location
    from annotation.store_pg_security import add_reader

    _setup(pg_url)
    with ReadingStore.open(pg_url) as owner:
        add_reader(owner.backend_db, "R1", db_role="hang_r1")
    url = pg_cluster.url(parse_location(pg_url).database_name(), "hang_r1")
    st, r = open_reading(url, "R1")
    try:
        r.add_lesion(P1, "right")
        n_log = len(st.edits())
        backend = st.backend_db.con.info.backend_pid  # type: ignore[attr-defined]
        os.kill(backend, signal.SIGSTOP)
        go_on = threading.Timer(ANSWER_S + 0.5, os.kill, (backend, signal.SIGCONT))
        go_on.start()
        try:
            lid = r.add_lesion(P1, "left")
        finally:
            go_on.cancel()
            with contextlib.suppress(ProcessLookupError):  # ended, as it should be
                os.kill(backend, signal.SIGCONT)
        stored = _stored(pg_url)[0]
        assert stored.lesions == r.project.lesions and ("P1", "E1", "R1", lid) in stored.lesions
        assert len(st.edits()) == n_log + 1  # the role's own log rows
        with pg_cluster.admin() as admin:
            assert admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone()[0] == 0
    finally:
        st.close()
