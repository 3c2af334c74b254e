"""``ReadingStore.write(also=)`` (`study init --dicom`) lost at COMMIT on its fifth and last attempt, after three
serialization failures (session 40). The edit was kept in doubt (it may be in the store: never taken back, looked for
later) but the coordinator was told "the edit was not saved", and `study init` wrapped that as "study s1 may have been
set up, or not: the edit was not saved: …". Now the last attempt is looked for like a second loss at COMMIT: found, the
study is set up; not found, "not saved" (final: the lost session was ended first); the server cannot be asked, the
message says it may be in the store or not and what lesionlab does about it."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from annotation import store_pg_connection
from annotation.store import ReadingStore
from annotation.study import load_definition
from annotation.study_store import Study
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_hang_s37 import ANSWER_S, RECONNECT_S
from tests.annotation.test_study_init_s38 import _definition, _stored
from tests.annotation.test_write_also_s39 import CASES, _commits, _committed_after_all, _found_set_up, _settled_once, _studies
from tests.conftest import SAMPLE_DICOM
from viewer.errors import StoreUnreachableError


@pytest.fixture(autouse=True)
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_pg_connection, "ANSWER_TIMEOUT_S", ANSWER_S)
    monkeypatch.setattr(store_pg_connection, "RECONNECT_TIMEOUT_S", RECONNECT_S)


def test_a_study_lost_at_its_fifth_commit_after_three_conflicts_is_looked_for_and_found(  # type: ignore[no-untyped-def]
        pg_cluster, pg_url, tmp_path: Path, monkeypatch) -> None:
    """Attempts 1-3 meet serialization failures, the 4th COMMIT is lost before the server has it (run again), the 5th
    after the server committed it. Before: "the edit was not saved: the connection to the database was lost", the
    study in the store. Now it is looked for: found, `study init` has set the study up, logged once."""
    _found_set_up(monkeypatch, pg_cluster, pg_url, tmp_path, "conflict", "conflict", "conflict", "before", "answer")


def test_a_study_lost_at_its_only_commit_after_four_conflicts_and_not_there_is_said_not_saved(  # type: ignore[no-untyped-def]
        pg_cluster, pg_url, tmp_path: Path, monkeypatch) -> None:
    """Four serialization failures, then the last attempt's COMMIT is lost before the server had it: looked for and not
    there (the lost session was ended on the server first): "not saved" is then true, and said once, not "twice"."""
    path = _definition(tmp_path, "s1", CASES)
    with ReadingStore.open(pg_url) as store, contextlib.ExitStack() as stack:
        _commits(monkeypatch, pg_cluster, store, "conflict", "conflict", "conflict", "conflict", "before", stack=stack)
        with pytest.raises(StoreUnreachableError) as told:
            Study.init(store, load_definition(path), dicom=SAMPLE_DICOM, by="Dr C")
        said = str(told.value)
        assert "the edit was not saved: the connection to the database was lost at its commit; the server does not " \
               "hold it" in said, said
        assert not store.in_doubt
    assert _studies(pg_url) == [] and _stored(pg_url) == (set(), [])


def test_a_study_whose_fifth_commit_met_a_stopped_server_is_said_maybe_set_up(  # type: ignore[no-untyped-def]
        pg_cluster, pg_url, tmp_path: Path, monkeypatch) -> None:
    """Three conflicts, a COMMIT lost before the server had it, then the fifth COMMIT waits in a stopped server's socket
    and the server cannot be asked. Before: "study s1 may have been set up, or not: the edit was not saved: …" (both at
    once). Now: it may be in the store with its rows, or neither is, lesionlab looks for it at the next use and at
    closing, and `study init` says to run it again once the server answers. The server then commits it; closing the
    store finds it, whole."""
    path = _definition(tmp_path, "s1", CASES)
    store = ReadingStore.open(pg_url)
    try:
        with contextlib.ExitStack() as stack:
            _commits(monkeypatch, pg_cluster, store, "conflict", "conflict", "conflict", "before", "stopped", stack=stack)
            with pytest.raises(StoreUnreachableError) as told:
                Study.init(store, load_definition(path), dicom=SAMPLE_DICOM, by="Dr C")
        said = str(told.value)
        assert "study s1 may have been set up, or not" in said and "not saved" not in said, said
        assert "may be in the store with them, or neither is" in said, said
        assert "lesionlab looks for it at the next use of this store and when it is closed" in said, said
        assert "run the same `lesionlab study init` again" in said, said
        assert store.in_doubt
        _committed_after_all(pg_url)
    finally:
        store.close()
    _settled_once(store, pg_url)
