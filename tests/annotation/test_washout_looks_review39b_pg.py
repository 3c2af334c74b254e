"""Ways around ``read_looks`` (migration 13) found by review39b, closed: each reads something of a reader's own
finished read, rolls back, and before the fix left no look, so the next session's case of that patient opened at once.

* going back (``study_reads.finished_at_utc`` to NULL, the study lets readers go back), reading the rows, which
  are then an open case's (no look), and ``ROLLBACK``: every row of the finished read;
* a write into the finished read that fails: inserting lesion ``L1`` answered "already exists" (``L2``: the next
  row's NOT NULL refusal), an update moving lesion ``L1`` to another reader "violates row-level security" (none:
  no row): whether a lesion or count mark id is there, so how many the read has, without a look.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from annotation.store_pg_barrier import look_sequence
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_study_blinding_pg import past_washout, study_with_roles
from tests.annotation.test_study_store import Clock
from tests.annotation.test_washout_looks_pg_s39 import (DAY, P2, WASHOUT, _ct_opening_refused, _looks,
                                                         _mri_session_read, _patient_case)


def _lesion(lesion_id: str, comment: str | None = "") -> dict[str, Any]:
    return {"patient_id": "P2", "exam_pair_id": "E1", "reader": "R1@MRI", "lesion_id": lesion_id, "lobe": "right",
            "comment": comment}


def _going_back_then_reading(con: psycopg.Connection[Any], code: str) -> list[Any]:
    con.execute("SELECT * FROM lesionlab_write_study_reads('update', %s, %s)",
                (json.dumps({"finished_at_utc": None}), json.dumps({"study_id": "s1", "code": code}))).fetchall()
    return con.execute(f"SELECT reader, lesion_id FROM lesionlab_rows_lesions('{P2}')").fetchall()


def _inserting(con: psycopg.Connection[Any], rows: list[dict[str, Any]]) -> None:
    con.execute("SELECT * FROM lesionlab_write_lesions('insert', %s)", (json.dumps(rows),)).fetchall()


def _moving_away(con: psycopg.Connection[Any]) -> None:
    con.execute("SELECT * FROM lesionlab_write_lesions('update', %s, %s)",
                (json.dumps({"reader": "R2@MRI"}),
                 json.dumps({"patient_id": "P2", "exam_pair_id": "E1", "lesion_id": "L1"}))).fetchall()


PROBES = {
    "going back, reading, rollback": (lambda con, code: _going_back_then_reading(con, code), None),
    "insert of an existing lesion id": (lambda con, code: _inserting(con, [_lesion("L1")]),
                                        psycopg.errors.UniqueViolation),
    "insert of a new id, then a bad row": (lambda con, code: _inserting(con, [_lesion("L2"), _lesion("L3", None)]),
                                           psycopg.errors.NotNullViolation),
    "update moving a lesion away": (lambda con, code: _moving_away(con), psycopg.errors.InsufficientPrivilege),
}


@pytest.mark.parametrize("probe", list(PROBES))
def test_a_probe_of_a_finished_read_rolled_back_still_restarts_the_washout(pg_cluster, pg_url, probe):
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "rb" + str(list(PROBES).index(probe)), clock=clock)
    _mri_session_read(urls, clock)
    past_washout(pg_url, WASHOUT + DAY)
    c2 = _patient_case(pg_url, "P2")
    run, error = PROBES[probe]
    with psycopg.connect(urls["R1"]) as con:
        if error is None:
            assert run(con, c2) == [("R1@MRI", "L1")]  # the finished read's rows were shown
        else:
            with pytest.raises(error):
                run(con, c2)
        con.rollback()
    assert _looks(pg_url) == []  # rolled back: the look sequence keeps it
    refusal = _ct_opening_refused(urls["R1"], c2)
    assert f"case {c2} of session CT opens on" in refusal, (probe, refusal)


def test_another_reader_cannot_stall_a_readers_looks_nor_forge_or_undo_them(pg_cluster, pg_url):
    """The looks of a reader were serialised by an advisory key any role may take: reader R2 holding R1's stalled R1's
    every read of a finished read (and its next session's openings) for as long as R2 liked. Nor may a reader write
    ``read_looks``, its look sequence or the functions that write them, whatever its session's time zone."""
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "rb9", clock=clock)
    _mri_session_read(urls, clock)
    past_washout(pg_url, WASHOUT + DAY)
    with psycopg.connect(pg_url, autocommit=True) as con:
        schema = con.execute("SELECT current_schema()").fetchone()[0]
    with psycopg.connect(urls["R2"], autocommit=True) as r2:
        r2.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"lesionlab looks {schema} R1",))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor the lock the looks take now
            r2.execute("SELECT 1 FROM store_roles FOR NO KEY UPDATE").fetchall()
        with psycopg.connect(urls["R1"], autocommit=True) as con:
            con.execute("SET statement_timeout = '5s'")
            con.execute("SET TimeZone = 'Pacific/Kiritimati'")  # the session's zone: the server's time all the same
            assert con.execute(f"SELECT reader FROM lesionlab_rows_lesions('{P2}')").fetchall() == [("R1@MRI",)]
    ((reader, patient, _, at),) = _looks(pg_url)
    assert (reader, patient) == ("R1@MRI", "P2") and at.endswith("+00:00")
    with psycopg.connect(pg_url, autocommit=True) as con:
        assert abs(con.execute("SELECT extract(epoch FROM clock_timestamp() - %s::timestamptz)", (at,)).fetchone()[0]) < 60
    with psycopg.connect(pg_url, autocommit=True) as con:
        seq = look_sequence("R1", "P2", con.execute("SELECT key FROM lesionlab_look_key").fetchone()[0])
    with psycopg.connect(urls["R1"], autocommit=True) as con:
        for statement in ("DELETE FROM read_looks", "UPDATE read_looks SET at_utc = '2000-01-01T00:00:00.000+00:00'",
                          f"SELECT * FROM lesionlab_write_read_looks('delete', NULL, '{P2}')",
                          "SELECT * FROM lesionlab_write_read_looks('update', '{\"at_utc\": \"2000\"}', '" + P2 + "')",
                          f"SELECT setval('{seq}', 1)", f"ALTER SEQUENCE {seq} RESTART",
                          "SELECT lesionlab_look('R1', '{}', '{}', '{}')", "SELECT lesionlab_look_time('R1', 'P2')",
                          "SELECT lesionlab_look_lock('R1', false)", "SELECT lesionlab_look_sequence('R1', 'P2')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(statement)
    assert [(r, p) for r, p, _, _ in _looks(pg_url)] == [("R1@MRI", "P2")]
    assert "opens on" in _ct_opening_refused(urls["R1"], _patient_case(pg_url, "P2"))
