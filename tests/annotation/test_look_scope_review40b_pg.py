"""A reader role learns nothing of its own finished read without a look (review40b, PostgreSQL, migration 14).

Found here: a look was recorded only when a call *returned or wrote rows* of a finished read. Whether the read held
any rows in a table is itself part of what it holds ("my MRI read of P2 found no lesion"), and a reader role learned
it with no look, three ways:

* an empty answer: ``lesionlab_rows_lobe_boundaries('{"patient_id": "P2"}')`` answered ``[]`` and recorded nothing;
* a read-only transaction: the call was refused ("… a read-only transaction cannot record") when the read held rows
  of the table, and answered ``[]`` when it held none: the refusal itself said which, and no look could be recorded;
* a wait for the reader's look lock (held by another session of the same reader): a call waited only when the read
  held rows; under ``lock_timeout`` it failed after the bound instead of answering at once, and recorded nothing.

A write by key told the same: deleting lesion ``L9`` of the finished read (none) recorded no look, ``L1`` did.

Now a reader role's call looks at every finished read of its own that its pick names and it may see (the pick's
patient, exam pair, study and read; not the table's rows): the answer, the refusal and the wait no longer depend on
what the read holds, and an empty answer restarts the washout like any other.
"""

from __future__ import annotations

import json
import time

import psycopg
import pytest

from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_washout_looks_pg_s39 import _ct_opening_refused, _looks, _patient_case
from tests.annotation.test_washout_looks_pg_s40 import _study_past_mri

P2 = json.dumps({"patient_id": "P2"})


def _refusal(con: psycopg.Connection, sql: str) -> str:  # type: ignore[type-arg]
    """What the server answers: the rows as text, or the error's class and message (the transaction rolled back)."""
    try:
        return repr(con.execute(sql).fetchall())
    except psycopg.Error as exc:
        con.rollback()
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def test_an_empty_answer_about_a_finished_read_is_a_look(pg_cluster, pg_url):  # type: ignore[no-untyped-def]
    """The MRI read of P2 holds a lesion and no lobe boundary. Before: asking for its lobe boundaries answered [] and the
    CT case of P2 opened; now it is a look like asking for its lesions."""
    urls, _ = _study_past_mri(pg_cluster, pg_url, "rv40b1")
    c2 = _patient_case(pg_url, "P2")
    with psycopg.connect(urls["R1"], autocommit=True) as con:
        assert con.execute(f"SELECT * FROM lesionlab_rows_lobe_boundaries('{P2}')").fetchall() == []
    assert [(r, p, e) for r, p, e, _ in _looks(pg_url)] == [("R1@MRI", "P2", "E1")]
    assert f"case {c2} of session CT opens on" in _ct_opening_refused(urls["R1"], c2)


def test_a_read_only_transaction_is_refused_alike_whatever_the_read_holds(pg_cluster, pg_url):  # type: ignore[no-untyped-def]
    """Before: lesions (one) refused, lobe boundaries and series flags (none) answered []: the refusal said the MRI read of P2 held a
    lesion, and nothing could be recorded. Now both are refused in the same words."""
    urls, _ = _study_past_mri(pg_cluster, pg_url, "rv40b2")
    with psycopg.connect(urls["R1"]) as con:
        con.read_only = True
        said = {table: _refusal(con, f"SELECT count(*) FROM lesionlab_rows_{table}('{P2}')")
                for table in ("lesions", "lobe_boundaries", "series_flags")}
    assert set(said.values()) == {
        "ReadOnlySqlTransaction: looking at your finished read of P2 / E1 restarts the washout of its patient, which "
        "a read-only transaction cannot record"}, said
    assert _looks(pg_url) == []
    c2 = _patient_case(pg_url, "P2")
    assert _ct_opening_refused(urls["R1"], c2) == ""  # nothing looked at, nothing recorded: P2's CT case opens


def test_a_wait_for_the_look_lock_does_not_depend_on_what_the_read_holds(pg_cluster, pg_url):  # type: ignore[no-untyped-def]
    """Another session of R1 holds the look lock (a look at P1, its transaction open). Before: asking for the lobe
    boundaries of P2 answered [] at once, for its lesions waited (lock_timeout 0.3 s: failed): the wait said the MRI read
    of P2 held a lesion, and no look at P2 was recorded. Now both wait."""
    urls, _ = _study_past_mri(pg_cluster, pg_url, "rv40b3")
    with psycopg.connect(urls["R1"]) as holder:
        holder.execute("SELECT * FROM lesionlab_rows_lesions('{\"patient_id\": \"P1\"}')").fetchall()
        said, took = {}, {}
        with psycopg.connect(urls["R1"], autocommit=True) as asker:  # lock_timeout kept after an error
            asker.execute("SET lock_timeout = '300ms'")
            for table in ("lesions", "lobe_boundaries"):
                start = time.monotonic()
                said[table] = _refusal(asker, f"SELECT count(*) FROM lesionlab_rows_{table}('{P2}')")
                took[table] = time.monotonic() - start
        holder.rollback()
    assert all(s.startswith("LockNotAvailable") for s in said.values()), said
    assert min(took.values()) >= 0.25, took


@pytest.mark.parametrize("lesion", ["L1", "L9"])
def test_a_write_by_key_to_a_finished_read_is_a_look_whether_the_row_is_there_or_not(  # type: ignore[no-untyped-def]
        pg_cluster, pg_url, lesion: str) -> None:
    """Deleting lesion L1 of the finished MRI read of P2 (there: deleted, the study lets readers go back) and L9 (not
    there: nothing deleted): both a look (before: L9 recorded none, so the absence of a lesion L9 was learned for
    nothing)."""
    urls, _ = _study_past_mri(pg_cluster, pg_url, f"rv40b4{lesion.lower()}")
    with psycopg.connect(pg_url, autocommit=True) as owner:
        assert owner.execute("SELECT lesion_id FROM lesions WHERE reader = 'R1@MRI' AND patient_id = 'P2'"
                             ).fetchall() == [("L1",)]
    pick = json.dumps({"patient_id": "P2", "exam_pair_id": "E1", "reader": "R1@MRI", "lesion_id": lesion})
    with psycopg.connect(urls["R1"], autocommit=True) as con:
        deleted = con.execute(f"SELECT * FROM lesionlab_write_lesions('delete', NULL, '{pick}')").fetchall()
    assert len(deleted) == (lesion == "L1")
    assert [(r, p, e) for r, p, e, _ in _looks(pg_url)] == [("R1@MRI", "P2", "E1")]


def test_another_reader_cannot_tell_whose_look_at_which_patient_is_under_way(pg_cluster, pg_url):  # type: ignore[no-untyped-def]
    """R1 looks at its finished MRI read of P2 in a transaction left open (psql). R2 sees the look's locks in
    ``pg_locks`` (any role may), among them one on R1's look sequence of P2. Before: that sequence was named from R1
    and P2 alone (md5 of "2:R1P2"), both readable to R2 (``store_roles``, ``study_cases``): R2 read off that R1 was
    looking at P2, and when. Now the names hold the store's secret, which R2 may not read."""
    import hashlib

    urls, _ = _study_past_mri(pg_cluster, pg_url, "rv40b5")
    with psycopg.connect(urls["R1"]) as r1:
        r1.execute(f"SELECT * FROM lesionlab_rows_lesions('{P2}')").fetchall()
        with psycopg.connect(urls["R2"], autocommit=True) as r2:
            locked = {str(n) for (n,) in r2.execute(
                "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relkind = 'S' AND c.relname LIKE 'lesionlab\\_looks\\_%'").fetchall()}
            patients = [str(p) for (p,) in r2.execute("SELECT DISTINCT patient_id FROM study_cases").fetchall()]
            key = r2.execute("SELECT to_regclass('lesionlab_look_key')").fetchone()[0]
            if key is not None:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    r2.execute("SELECT * FROM lesionlab_look_key")
        r1.rollback()
    assert len(locked) == 1, locked  # the look is seen under way: which reader and patient it is of is not
    guesses = {"lesionlab_looks_p_" + hashlib.md5(f"{len(r)}:{r}{p}".encode()).hexdigest()[:16]: (r, p)
               for r in ("R1", "R2") for p in patients}  # the study's readers' names: a guess, at worst
    assert "P2" in patients and not locked & set(guesses), [guesses.get(n) for n in locked]
    assert key is not None
