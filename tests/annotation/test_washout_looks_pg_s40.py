"""A reader's look at its own finished read, with two connections of the same reader at once or rolled back (session
40, PostgreSQL; migration 14).

Session 39 counted a look from ``read_looks`` and, for a look that table lacked, from one look sequence per reader
(``setval`` is never rolled back), a time it could not tie to a patient. Found here:

* **two connections, REPEATABLE READ** (the application's edit transactions): connection B's snapshot is taken, A
  looks at its finished read of P2 and commits, then B looks at P1. B saw the sequence's time (A's) but not A's row
  (its snapshot predates it), took it for a look rolled back and wrote it down as a look of unknown case: every one
  of the reader's patients' washouts restarted (P3's CT case, never looked at, put off by 28 days).
* **two connections, a look under way** (psql: ``BEGIN``, look at the MRI read of P2): the CT case of P2 opened in
  the other connection the moment the look committed. The guard's statement began before the look committed (the
  row not in its snapshot); it then waited for the look's lock, and by then the sequence held nothing ``read_looks``
  lacked: the look counted nowhere (a blinding hole).
* **a look waiting while the next session's case opens**: B opens the CT case of P2 (its transaction open), A asks
  for its lesions of P2 and waits for the look lock B holds; A had listed the reads it may see before it waited, and
  returned the MRI read of P2 once B committed, beside the open CT case.
* **a look rolled back** was seen by the application (``Study.next_case``, ``washout_ends``: "opens on" in the
  window) only once the next look wrote it down; until then it said the case opens now and the server refused it.

Now each reader has a look sequence per patient of the study (the last look at that patient, committed or not): the
server's guard takes the reader's look lock first and counts that patient's sequence, ``lesionlab_look`` no longer
writes a look of unknown case, a look that waited for the lock lists the reads it may see again (or, its snapshot older,
is refused as a serialization failure), and ``lesionlab_look_times()`` gives the application the same times.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

import psycopg
import pytest

from annotation.store import SCHEMA_VERSION, ReadingStore
from annotation.study_store import Study
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_study_blinding_pg import past_washout, study_with_roles
from tests.annotation.test_study_store import Clock
from tests.annotation.test_washout_looks_pg_s39 import (DAY, WASHOUT, _ct_opening_refused, _looks, _mri_session_read,
                                                         _opens_on, _patient_case, _server_now)
from viewer.errors import StudyError


def _pick(patient: str) -> str:
    return json.dumps({"patient_id": patient})


def _look(con: psycopg.Connection, patient: str) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    """The reader role reads its lesions of ``patient`` (a look when that read is finished)."""
    return [tuple(r) for r in con.execute(  # type: ignore[misc]
        f"SELECT reader, patient_id FROM lesionlab_rows_lesions('{_pick(patient)}')").fetchall()]


def _study_past_mri(pg_cluster, pg_url, prefix: str) -> tuple[dict[str, str], Clock]:  # type: ignore[no-untyped-def]
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, prefix, clock=clock)
    _mri_session_read(urls, clock)
    past_washout(pg_url, WASHOUT + DAY)  # the washout has passed: every CT case would open now
    clock.now = _server_now(pg_url)
    return urls, clock


def test_a_look_committed_by_the_same_reader_in_another_connection_counts_for_its_patient_only(pg_cluster, pg_url):  # type: ignore[no-untyped-def]
    """B (REPEATABLE READ, as the application's edits) takes its snapshot; A looks at P2 and commits; B looks at P1.
    Before: B wrote A's look down as one of unknown case (R1, patient ''), and P3's CT case, never looked at, waited
    28 days. Now: the two looks, each of its patient; P3's case opens, in the application and on the server."""
    urls, clock = _study_past_mri(pg_cluster, pg_url, "c40a")
    with psycopg.connect(urls["R1"]) as b:
        b.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        assert len(b.execute("SELECT * FROM lesionlab_rows_study_reads()").fetchall()) == 3  # B's snapshot
        with psycopg.connect(urls["R1"], autocommit=True) as a:
            assert _look(a, "P2") == [("R1@MRI", "P2")]
        assert _look(b, "P1") == [("R1@MRI", "P1")]
        b.commit()
    assert [(r, p) for r, p, _, _ in _looks(pg_url)] == [("R1@MRI", "P1"), ("R1@MRI", "P2")]
    clock.now = _server_now(pg_url)
    c3 = _patient_case(pg_url, "P3")
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        for patient in ("P1", "P2"):
            opens, why = study.washout_ends("R1", "CT", _patient_case(pg_url, patient))
            assert not why and opens is not None and abs(opens - (clock.now + WASHOUT)) < dt.timedelta(minutes=1)
        assert study.washout_ends("R1", "CT", c3)[0] < clock.now  # type: ignore[operator]
        nxt = study.next_case("R1")
        assert nxt.case is not None and nxt.case.code == c3, nxt.message
    assert _ct_opening_refused(urls["R1"], c3) == ""


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_case_opened_while_the_same_reader_looks_in_another_connection_waits_for_the_look(  # type: ignore[no-untyped-def]
        pg_cluster, pg_url, end: str) -> None:
    """A (psql, a transaction left open) has looked at its finished MRI read of P2; B opens the CT case of P2 meanwhile.
    Before: B waited for A's look lock and, A committing, the case opened (the look in neither B's snapshot nor, by
    then, pending in the sequence). Now B is refused with the date whether A commits or rolls back."""
    urls, clock = _study_past_mri(pg_cluster, pg_url, f"c40b{end[0]}")
    c2 = _patient_case(pg_url, "P2")
    said: dict[str, str] = {}
    with psycopg.connect(urls["R1"]) as a:
        assert _look(a, "P2") == [("R1@MRI", "P2")]
        looked = _server_now(pg_url)
        opener = threading.Thread(target=lambda: said.update(refusal=_ct_opening_refused(urls["R1"], c2)))
        opener.start()
        time.sleep(1.0)  # B's opening waits for A's look to end
        assert opener.is_alive()
        getattr(a, end)()
        opener.join(timeout=30)
    refusal = said["refusal"]
    assert f"case {c2} of session CT opens on" in refusal, refusal
    assert abs(_opens_on(refusal) - (looked + WASHOUT)) < dt.timedelta(minutes=1), refusal
    assert [(r, p) for r, p, _, _ in _looks(pg_url)] == ([("R1@MRI", "P2")] if end == "commit" else [])


def test_the_application_shows_a_rolled_back_look_at_once(pg_cluster, pg_url):  # type: ignore[no-untyped-def]
    """psql: BEGIN, a look at the MRI read of P2, ROLLBACK. Before, the application said P2's CT case opens now (and
    opened nothing: the server refused it) until the reader's next look wrote the rolled-back one down. Now the
    reader's window, `study next` as the coordinator and the owner all say the date the server says."""
    urls, clock = _study_past_mri(pg_cluster, pg_url, "c40c")
    c2 = _patient_case(pg_url, "P2")
    with psycopg.connect(urls["R1"]) as con:
        assert _look(con, "P2") == [("R1@MRI", "P2")]
        looked = _server_now(pg_url)
        con.rollback()
    assert _looks(pg_url) == []
    clock.now = _server_now(pg_url)
    for url in (urls["R1"], urls["Coord"], pg_url):
        with ReadingStore.open(url) as store:
            study = Study(store, clock=clock)
            opens, why = study.washout_ends("R1", "CT", c2)
            assert not why and opens is not None and abs(opens - (looked + WASHOUT)) < dt.timedelta(seconds=5), url
            waiting = study.waiting("R1")
            assert ("CT", c2) in waiting and len(waiting) == 1, (url, waiting)
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        with pytest.raises(StudyError) as told:
            study.open_case("R1", "CT", c2)
        said = str(told.value)
    assert f"case {c2} of session CT opens on" in said and "last look at or edit of it" in said, said
    refusal = _ct_opening_refused(urls["R1"], c2)
    assert _opens_on(said) == _opens_on(refusal), (said, refusal)
    with psycopg.connect(urls["consensus"], autocommit=True) as con, pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute("SELECT count(*) FROM lesionlab_look_times()")  # the adjudicator is told nothing of it
    with psycopg.connect(urls["R2"], autocommit=True) as con:  # nor another reader
        assert con.execute("SELECT count(*) FROM lesionlab_look_times()").fetchone()[0] == 0


def test_a_look_of_unknown_case_kept_by_a_store_of_schema_13_still_counts_for_every_patient(pg_cluster, pg_url):  # type: ignore[no-untyped-def]
    """Migration 14 on a store whose per-reader look sequence (migration 13) holds a look ``read_looks`` lacks (rolled
    back): it cannot say which patient's, so it is written down as a look of unknown case, as the next look would have,
    and every patient of the reader waits; the old sequence goes."""
    urls, clock = _study_past_mri(pg_cluster, pg_url, "c40d")
    import hashlib

    old = "lesionlab_looks_" + hashlib.md5(b"R1").hexdigest()[:16]
    with psycopg.connect(pg_url, autocommit=True) as con:  # the store as migration 13 left it, a look rolled back
        con.execute(f"CREATE SEQUENCE {old} MINVALUE 0 START 0")
        con.execute(f"SELECT setval('{old}', (extract(epoch FROM clock_timestamp()) * 1000)::int8)")
        con.execute("DELETE FROM schema_migrations WHERE version >= 14")  # and what migrations 15-17 added
        con.execute("ALTER TABLE patients DROP COLUMN treatments_no, DROP COLUMN treatments_unconfirmed")
        con.execute("ALTER TABLE count_marks DROP COLUMN sop_instance_uid, DROP COLUMN frame_number")
    looked = _server_now(pg_url)
    with ReadingStore.open(pg_url) as owner:
        assert owner.schema_version == SCHEMA_VERSION == 17
    ((reader, patient, pair, at),) = _looks(pg_url)
    assert (reader, patient, pair) == ("R1", "", "")
    with psycopg.connect(pg_url, autocommit=True) as con:
        assert con.execute("SELECT to_regclass(%s)", (old,)).fetchone()[0] is None
    clock.now = _server_now(pg_url)
    with ReadingStore.open(urls["R1"]) as store:
        assert Study(store, clock=clock).next_case("R1").case is None
    for patient in ("P1", "P2", "P3"):
        refusal = _ct_opening_refused(urls["R1"], _patient_case(pg_url, patient))
        assert abs(_opens_on(refusal) - (looked + WASHOUT)) < dt.timedelta(minutes=1), refusal


@pytest.mark.parametrize("isolation", ["read committed", "repeatable read"])
def test_a_look_waiting_while_the_next_sessions_case_opens_shows_nothing_of_the_earlier_read(  # type: ignore[no-untyped-def]
        pg_cluster, pg_url, isolation: str) -> None:
    """B (psql) opens the CT case of P2, the washout passed, and keeps its transaction open; A, the same reader, asks
    for its lesions of P2 meanwhile: A's call waits for the reader's look lock, which B's opening holds. Before, A's
    call had listed the reads it may see before it waited and, once B committed, returned the MRI read of P2 beside an
    open CT case of P2. Now a call that waited lists them again (READ COMMITTED: the MRI read is hidden, nothing is
    returned) or, its snapshot older than B's commit (REPEATABLE READ), is refused as a serialization failure, to be run
    again."""
    from tests.annotation.test_study_barrier_pg import opening

    urls, clock = _study_past_mri(pg_cluster, pg_url, "c40e" + isolation[0])
    c2 = _patient_case(pg_url, "P2")
    got: dict[str, Any] = {}
    with psycopg.connect(urls["R1"]) as a, psycopg.connect(urls["R1"]) as b:
        a.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation.upper()}")
        assert len(a.execute("SELECT * FROM lesionlab_rows_study_reads()").fetchall()) == 3  # A's transaction begun
        b.execute(opening("s1", "R1", "CT", c2, "2000-01-01T00:00:00.000+00:00", None)).fetchall()

        def look() -> None:
            try:
                got["rows"] = _look(a, "P2")
            except psycopg.Error as exc:
                got["error"] = exc
        looker = threading.Thread(target=look)
        looker.start()
        time.sleep(1.0)
        assert looker.is_alive()  # waits for B's opening to end
        b.commit()
        looker.join(timeout=30)
        a.rollback()
    if isolation == "read committed":
        assert got == {"rows": []}, got
    else:
        assert isinstance(got.get("error"), psycopg.errors.SerializationFailure), got
        assert "run it again" in str(got["error"]), got
    with psycopg.connect(urls["R1"], autocommit=True) as a:  # and from now on, as before
        assert _look(a, "P2") == []
