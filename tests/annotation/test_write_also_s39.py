"""``ReadingStore.write(also=)`` (`study init --dicom`: the exam pairs and the study in one transaction) whose COMMIT
got no answer (session 39). Before, such an edit was never "in doubt": lost at COMMIT again on its retry, or with the
server not answering, the coordinator was told "not saved" of a study the server had committed, and running
`study init` again said the store held the study and to give "another study_id". Now it is looked for once more
(found: saved), or said to be saved or not, to be found out by running the same command again; it is never taken back
(its study rows are not the edit's records)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from annotation import store_pg_connection
from annotation.store import ReadingStore
from annotation.study import load_definition
from annotation.study_store import Study
from tests.annotation.pg import Cluster, pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_durability_s36 import _end_session
from tests.annotation.test_hang_s37 import ANSWER_S, RECONNECT_S, _commit_meets_a_stopped_server
from tests.annotation.test_study_init_s38 import PAIRS, _definition, _sample, _stored  # noqa: F401
from tests.conftest import SAMPLE_DICOM
from viewer.errors import StoreUnreachableError, StudyError

CASES = ("LLSYN001", "LLSYN002")


@pytest.fixture(autouse=True)
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_pg_connection, "ANSWER_TIMEOUT_S", ANSWER_S)
    monkeypatch.setattr(store_pg_connection, "RECONNECT_TIMEOUT_S", RECONNECT_S)


def _studies(url: str) -> list[str]:
    with ReadingStore.open(url, read_only=True) as st:
        return [r[0] for r in st.backend_db.execute("SELECT study_id FROM studies ORDER BY study_id")]

def _committed_after_all(pg_url: str) -> None:
    """Wait (10 s at most) for the server, going on with the lost COMMIT, to hold study s1."""
    deadline = time.monotonic() + 10
    while _studies(pg_url) != ["s1"]:
        assert time.monotonic() < deadline, "the server never committed the study"
        time.sleep(0.05)


def _settled_once(store: ReadingStore, pg_url: str) -> None:
    """The closed store settled its doubt, and the study's pairs and log entry are in the store once."""
    assert store.unsettled is None
    pairs, log = _stored(pg_url)
    assert pairs == {(p, "E1") for p in CASES} and log == [(PAIRS.format("s1"), "Dr C")]


def _commits(monkeypatch: pytest.MonkeyPatch, cluster: Cluster, store: ReadingStore, *ways: str,
             stack: contextlib.ExitStack | None = None) -> list[str]:
    """The next COMMITs, one per way: "conflict" (a serialization failure: the edit is run again), "before" (the server
    ends the session just before the COMMIT: nothing committed), "answer" (ended just after it committed: its answer
    lost), "stopped" (sent to a server stopped just before: it commits once it goes on). Returns the ways left."""
    db: Any = store.backend_db
    real, left = db.commit, list(ways)

    def commit() -> None:
        way = left.pop(0)
        if not left:
            monkeypatch.setattr(db, "commit", real)
        if way == "conflict":
            raise psycopg.errors.SerializationFailure("could not serialize access due to concurrent update")
        if way == "stopped":
            assert stack is not None, "a stopped server is started again by the caller's exit stack"
            stack.enter_context(cluster.stopped(at_most_s=12))
            real()
            return
        if way == "answer":
            real()
        _end_session(cluster, store)
        db.con.execute("SELECT 1")  # psycopg finds the session gone: OperationalError, connection closed
    monkeypatch.setattr(db, "commit", commit)
    return left


def test_a_study_lost_at_commit_again_on_its_retry_is_looked_for_and_found_set_up(pg_cluster, pg_url,  # type: ignore[no-untyped-def]
                                                                                   tmp_path: Path, monkeypatch) -> None:
    """The first COMMIT is lost before the server has it (run again on a new session), the second one after the server
    committed it. Before: "the edit was not saved: the connection to the database was lost", the study and its pairs
    in the store. Now the second loss is looked for too: found, `study init` has set the study up, logged once."""
    _found_set_up(monkeypatch, pg_cluster, pg_url, tmp_path, "before", "answer")


def _found_set_up(monkeypatch: pytest.MonkeyPatch, cluster: Cluster, pg_url: str, tmp_path: Path, *ways: str) -> None:
    """`study init` whose COMMITs go ``ways`` (:func:`_commits`), the last one lost after the server committed it:
    looked for and found, the study set up without a doubt left, its pairs and log entry in the store once."""
    definition = load_definition(_definition(tmp_path, "s1", CASES))
    with ReadingStore.open(pg_url) as store:
        left = _commits(monkeypatch, cluster, store, *ways)
        study = Study.init(store, definition, dicom=SAMPLE_DICOM, by="Dr C")
        assert left == [] and not store.in_doubt
        assert len(study.pairs_added) == 2 and study.order("R1", "MRI")
    assert _studies(pg_url) == ["s1"]
    pairs, log = _stored(pg_url)
    assert pairs == {(p, "E1") for p in CASES} and log == [(PAIRS.format("s1"), "Dr C")]


def test_a_study_lost_at_commit_twice_before_the_server_had_it_is_not_saved_and_said_so(  # type: ignore[no-untyped-def]
        pg_cluster, pg_url, tmp_path: Path, monkeypatch) -> None:
    """Looked for again and not there (the lost session ended on the server first: it never will be): "not saved", and
    the same command then sets the study up."""
    path = _definition(tmp_path, "s1", CASES)
    with ReadingStore.open(pg_url) as store:
        _commits(monkeypatch, pg_cluster, store, "before", "before")
        with pytest.raises(StoreUnreachableError, match="lost at its commit, twice; the server does not hold it"):
            Study.init(store, load_definition(path), dicom=SAMPLE_DICOM, by="Dr C")
        assert not store.in_doubt
    assert _studies(pg_url) == [] and _stored(pg_url) == (set(), [])
    with ReadingStore.open(pg_url) as store:
        Study.init(store, load_definition(path), dicom=SAMPLE_DICOM, by="Dr C")
    assert _studies(pg_url) == ["s1"]


def test_a_study_whose_commit_met_a_hung_server_is_said_maybe_set_up_and_running_again_says_which(  # type: ignore[no-untyped-def]
        pg_cluster, pg_url, tmp_path: Path, monkeypatch) -> None:
    """The COMMIT waits in a stopped server's socket and the server cannot be asked: `study init` says the study may
    have been set up, or not, and to run the same command again once the server answers. The server then commits it;
    closing the store finds it and leaves it whole (nothing "taken back": its study rows cannot be); running again says
    the store holds it exactly as defined. Before: "the edit was not saved", and running again "give the new study
    another study_id"."""
    path = _definition(tmp_path, "s1", CASES)
    store = ReadingStore.open(pg_url)
    try:
        with contextlib.ExitStack() as stack:
            _commit_meets_a_stopped_server(monkeypatch, pg_cluster, store, stack)
            with pytest.raises(StoreUnreachableError) as told:
                Study.init(store, load_definition(path), dicom=SAMPLE_DICOM, by="Dr C")
        said = str(told.value)
        assert "study s1 may have been set up, or not" in said and "not saved" not in said, said
        assert "run the same `lesionlab study init` again" in said, said
        assert store.in_doubt
        _committed_after_all(pg_url)
    finally:
        store.close()
    _settled_once(store, pg_url)
    with ReadingStore.open(pg_url) as again, pytest.raises(StudyError) as rerun:
        Study.init(again, load_definition(path), dicom=SAMPLE_DICOM, by="Dr C")
    assert "already holds study 's1' exactly as this definition has it: it is set up" in str(rerun.value)


def test_a_study_set_up_without_images_whose_commit_was_lost_is_said_perhaps_done(pg_cluster, pg_url,  # type: ignore[no-untyped-def]
                                                                                  monkeypatch) -> None:
    """`study init` with the exam pairs already in the store writes the study in a transaction of its own
    (study_store._transaction): committed, its answer lost, it said "nothing was changed" (a lost connection's advice)
    of a study the store held. Now it says it may be done, and running it again says which."""
    from tests.annotation.test_study_store import definition, fill

    fill(pg_url)
    with ReadingStore.open(pg_url) as store:
        _commits(monkeypatch, pg_cluster, store, "answer")
        with pytest.raises(StoreUnreachableError) as told:
            Study.init(store, definition())
    said = str(told.value)
    assert "perhaps done, perhaps not (set up the study): the connection to the database was lost at its commit" in said
    assert "nothing was changed" not in said, said
    assert _studies(pg_url) == ["s1"]
    with ReadingStore.open(pg_url) as again, pytest.raises(StudyError, match="exactly as this definition has it"):
        Study.init(again, definition())
