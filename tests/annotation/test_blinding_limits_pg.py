"""The three limits of the database's blinding that annotation/README.md listed as known, as a reader
role with psql would use them, closed by migration 12 (annotation/store_pg_access.py):

* EXPLAIN side channel: R1 bisects R2's hidden diameter from what EXPLAIN (ANALYZE, BUFFERS) shows of
  the row-level security filter (the planner ran R1's leakproof ``diameter_mm < t`` before the policy);
* LOCK TABLE: R1 locks ``lesions`` in ACCESS EXCLUSIVE mode and R2's edit waits;
* count_marks.mark_id probing: inserting a mark with a guessed id fails with a unique violation when
  another reader's mark (hidden) has that id.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Callable

import psycopg
import psycopg.errors
import pytest
from psycopg.types.json import Jsonb

from annotation.records import Measurement
from annotation.store import SCHEMA_VERSION, ReadingStore, open_reading
from annotation.store_location import parse_location
from annotation.store_pg_security import add_reader
from annotation.store_schema import migration_access_functions
from annotation.study_store import Study
from viewer.errors import StoreError
from tests.annotation.old_lesionlab import old_lesionlab
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_study_blinding_pg import migrate_again, study_with_roles
from tests.annotation.test_study_store import Clock, fill, read_case

#: R2's hidden measurement of its first MRI case: 23.7 mm
DIAMETER = 23.7
HIDDEN = Measurement("k", "1.2", 3, (10.0, 10.0), (10.0, 10.0 + DIAMETER / 0.5), 0.5, 0.5)


def _r2_reads_a_case(url: str, clock: Clock) -> tuple[str, str, str]:
    """R2 measures one lesion and places a count mark in its first case; (patient, exam pair, mark id)."""
    with ReadingStore.open(url) as store:
        study = Study(store, clock=clock)
        nxt = study.next_case("R2").case
        assert nxt is not None
        case = study.open_case("R2", nxt.session, nxt.code)
        lid = case.reading.add_lesion(case.pair, "right")
        case.reading.set_observation(case.pair, lid, "mr_t2fs", HIDDEN)
        mark = case.reading.add_count_mark(case.pair, "mr_dwi", "right")
        study.finish(case)
        return case.pair[0], case.pair[1], mark


def _buffers(con: Any, sql: str) -> int:
    """Shared buffers an EXPLAIN (ANALYZE, BUFFERS) of ``sql`` reports for its top node (0: refused); the least of
    three runs (a run may also count catalogue pages a new plan or a cache miss reads: noise, not the rows)."""
    counts = []
    for _ in range(3):
        try:
            plan = "\n".join(r[0] for r in con.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) " + sql))
        except psycopg.errors.InsufficientPrivilege:
            return 0
        found = re.search(r"Buffers: shared hit=(\d+)", plan)
        counts.append(int(found.group(1)) if found else 0)
    return min(counts)


def bisect_hidden_diameter(con: Any, query: Callable[[float], str]) -> float | None:
    """What psql gives a reader: the value ``query(t)``'s plan says a hidden diameter is below, by bisection
    between 0 and 200 mm to 0.05 mm; None when the plans do not tell thresholds apart."""
    def below(t: float) -> bool:  # more buffers: the row passed R1's condition and the policy was evaluated on it
        return _buffers(con, query(t)) > _buffers(con, query(-1.0))
    if below(0.0) == below(200.0):
        return None
    lo, hi = 0.0, 200.0
    while hi - lo > 0.05:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if below(mid) else (mid, hi)
    return round((lo + hi) / 2, 1)


def test_a_reader_cannot_bisect_another_readers_hidden_diameter_with_explain(pg_cluster, pg_url):
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "lim1", clock=clock)
    patient, _, _ = _r2_reads_a_case(urls["R2"], clock)
    with psycopg.connect(urls["R1"], autocommit=True) as con:
        # the table (refused now), and what R1 reads instead
        for source in ("observations", "lesionlab_rows_observations()",
                       f"lesionlab_rows_observations('{{\"patient_id\": \"{patient}\"}}')"):
            found = bisect_hidden_diameter(
                con, lambda t: f"SELECT 1 FROM {source} WHERE patient_id = '{patient}' AND diameter_mm < {t}")
            assert found is None, f"R1 bisected R2's hidden diameter through {source}: {found} mm"
        assert not list(con.execute("SELECT * FROM lesionlab_rows_observations()"))  # and sees none of R2's rows
        with pytest.raises(psycopg.errors.InvalidParameterValue):  # rows are picked by case and id, not by a value
            con.execute("SELECT * FROM lesionlab_rows_observations('{\"diameter_mm\": 23.7}')")
    with psycopg.connect(urls["consensus"], autocommit=True) as con:  # the adjudicator sees them (and reads them)
        assert [float(r[0]) for r in con.execute("SELECT round(diameter_mm::numeric, 1) FROM lesionlab_rows_observations()")
                ] == [round(DIAMETER, 1)]


def test_a_reader_cannot_lock_a_reader_keyed_table_and_stall_the_others(pg_cluster, pg_url):
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "lim2", clock=clock)
    _r2_reads_a_case(urls["R2"], clock)
    held: list[str] = []
    with psycopg.connect(urls["R1"]) as con:  # one transaction holding every lock R1 may take
        con.execute("SET lock_timeout = '2s'")
        for table in ("lesions", "observations", "count_marks", "series_flags", "lobe_boundaries", "edits",
                      "study_reads", "study_order", "study_pairings", "exam_pairs", "studies", "study_cases",
                      "alignments", "store_roles", "project_meta", "schema_migrations"):
            for mode in ("ACCESS EXCLUSIVE", "EXCLUSIVE", "SHARE ROW EXCLUSIVE", "SHARE", "SHARE UPDATE EXCLUSIVE",
                         "ROW EXCLUSIVE", "ROW SHARE", "ACCESS SHARE"):
                try:
                    con.execute("SAVEPOINT s")
                    con.execute(f"LOCK TABLE {table} IN {mode} MODE")
                    con.execute("RELEASE SAVEPOINT s")
                    held.append(f"{table}: {mode}")
                    break
                except psycopg.errors.InsufficientPrivilege:
                    con.execute("ROLLBACK TO SAVEPOINT s")
        # a blinded role may take ACCESS SHARE on what it reads (it blocks only the owner's DDL), nothing stronger,
        # and nothing at all on the reader-keyed tables
        assert all(h.endswith("ACCESS SHARE") for h in held), held
        assert not [h for h in held if h.split(":")[0] in ("lesions", "observations", "count_marks", "edits")], held
        # R2 edits meanwhile, at once (a stall would take the 3 s lock_timeout of R2's connection and fail)
        done: list[float] = []
        errors: list[BaseException] = []

        def edit() -> None:
            try:
                start = time.monotonic()
                with ReadingStore.open(urls["R2"] + "&options=-clock_timeout%3D3000") as store:
                    study = Study(store, clock=clock)
                    nxt = study.next_case("R2").case
                    assert nxt is not None
                    case = study.open_case("R2", nxt.session, nxt.code)
                    case.reading.add_lesion(case.pair, "left")
                    study.finish(case)
                done.append(time.monotonic() - start)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
        worker = threading.Thread(target=edit)
        worker.start()
        worker.join(30)
        con.rollback()
    assert not errors and done and done[0] < 3.0, (errors, done)


def test_a_reader_cannot_probe_for_another_readers_count_mark_id(pg_cluster, pg_url):
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "lim3", clock=clock)
    _, _, theirs = _r2_reads_a_case(urls["R2"], clock)
    with ReadingStore.open(urls["R1"]) as store:  # R1 opens its first case (its writes are allowed there)
        study = Study(store, clock=clock)
        nxt = study.next_case("R1").case
        assert nxt is not None
        case = study.open_case("R1", nxt.session, nxt.code)
        mine = case.reading.add_count_mark(case.pair, "mr_dwi", "right")
        mark = case.reading.project.count_marks[mine]
    answers = {}
    for guess in (theirs, "00000000-0000-4000-8000-000000000000"):
        row = {"mark_id": guess, "patient_id": mark.patient_id, "exam_pair_id": mark.exam_pair_id,
               "reader": mark.reader, "series_role": "mr_dwi", "lobe": "right", "stack_key": "k", "slice_index": 1,
               "row": 1.0, "col": 1.0, "lesion_id": ""}
        with psycopg.connect(urls["R1"], autocommit=True) as con:
            outcome = []
            for statement, params in (
                    ("INSERT INTO count_marks (mark_id, patient_id, exam_pair_id, reader, series_role, lobe, stack_key, "
                     "slice_index, row, col) VALUES (%(mark_id)s, %(patient_id)s, %(exam_pair_id)s, %(reader)s, "
                     "%(series_role)s, %(lobe)s, %(stack_key)s, %(slice_index)s, %(row)s, %(col)s)", row),
                    ("SELECT * FROM lesionlab_write_count_marks('upsert', %s)", (Jsonb([row]),))):
                try:
                    con.execute(statement, params)
                    outcome.append("ok")
                except psycopg.Error as exc:
                    outcome.append(type(exc).__name__)
            answers[guess] = outcome
    # the same answers whether a hidden mark has the id or not: no unique violation tells it
    assert answers[theirs] == answers["00000000-0000-4000-8000-000000000000"], answers
    # nor does reading or deleting by an id or a value: rows are picked by case (a reader's own reads only)
    with psycopg.connect(urls["R1"], autocommit=True) as con:
        for probe in ("SELECT * FROM lesionlab_rows_lesions('{\"lesion_id\": \"L1\"}')",
                      "SELECT * FROM lesionlab_write_observations('delete', NULL, '{\"diameter_mm\": 23.7}')",
                      "SELECT * FROM lesionlab_write_count_marks('delete', NULL, '{\"row\": 1}')"):
            with pytest.raises(psycopg.errors.InvalidParameterValue):
                con.execute(probe)
        probes = {p: _buffers(con, f"SELECT * FROM lesionlab_rows_lesions('{{\"patient_id\": \"{p}\"}}')")
                  for p in ("P1", "P2", "P3") if p != mark.patient_id}
        assert len(set(probes.values())) == 1, probes  # R2 read one of them
    with psycopg.connect(pg_url, autocommit=True) as con:
        assert con.execute("SELECT reader FROM lesions WHERE lesion_id = 'L1'").fetchall() == [("R2@MRI",)]
    # an id the caller can see in another read (the adjudicator sees every read) is refused: no forged twin
    with psycopg.connect(urls["consensus"], autocommit=True) as con, pytest.raises(psycopg.errors.UniqueViolation):
        twin = {**row, "mark_id": theirs, "reader": "consensus@MRI"}
        con.execute("SELECT * FROM lesionlab_write_count_marks('upsert', %s)", (Jsonb([twin]),))
    # R2's mark is untouched and still R2's
    with psycopg.connect(pg_url, autocommit=True) as con:
        assert con.execute("SELECT reader FROM count_marks WHERE mark_id = %s ORDER BY reader",
                           (theirs,)).fetchall()[-1] == ("R2@MRI",)


def _access(url: str, role: str) -> tuple[set[Any], set[Any], set[Any]]:
    """(table privileges, function privileges, primary key of count_marks) of ``role`` in the store."""
    with psycopg.connect(url, autocommit=True) as con:
        tables = {tuple(r) for r in con.execute(
            "SELECT table_name, privilege_type FROM information_schema.table_privileges WHERE grantee = %s", (role,))}
        functions = {r[0] for r in con.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
            "AND has_function_privilege(%s, p.oid, 'EXECUTE') AND p.prosecdef", (role,))}
        key = {tuple(r) for r in con.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'count_marks'::regclass "
            "AND contype = 'p'")}
    return tables, functions, key


def test_a_study_store_at_migration_11_is_upgraded_in_place_when_the_owner_opens_it(pg_cluster, pg_url):
    clock = Clock()
    with old_lesionlab(11):  # the store, its study, roles and reads as lesionlab made them before
        urls = study_with_roles(pg_cluster, pg_url, "lim4", clock=clock)
        _, _, mark = _r2_reads_a_case(urls["R2"], clock)
        with ReadingStore.open(urls["R1"]) as store:
            read_case(Study(store, clock=clock), "R1")
    tables, functions, key = _access(pg_url, "lim4_r1")
    assert ("lesions", "UPDATE") in tables and not functions and key == {("PRIMARY KEY (mark_id)",)}
    with pytest.raises(StoreError, match=f"store schema 11 needs migrating to {SCHEMA_VERSION}, which only the store.s owner can do"):
        ReadingStore.open(urls["R1"])
    with ReadingStore.open(pg_url) as owner:  # the owner's next open upgrades it
        assert owner.schema_version == SCHEMA_VERSION
    tables, functions, key = _access(pg_url, "lim4_r1")
    assert not {t for t, _ in tables} & {"lesions", "observations", "count_marks", "series_flags", "lobe_boundaries",
                                         "edits", "study_reads", "study_order", "study_pairings"}, tables
    assert {"lesionlab_rows_lesions", "lesionlab_write_lesions", "lesionlab_rows_study_reads"} <= functions
    assert key == {("PRIMARY KEY (patient_id, exam_pair_id, reader, mark_id)",)}
    # the coordinator keeps the tables; the reads made before are all there and the readers carry on
    assert {"lesionlab_rows_lesions"} & _access(pg_url, "lim4_coord")[1] == set()
    with ReadingStore.open(urls["Coord"], read_only=True) as store:
        project = store.load()
        assert mark in project.count_marks and {les.reader for les in project.lesions.values()} == {"R1@MRI", "R2@MRI"}
    for reader in ("R1", "R2"):
        with ReadingStore.open(urls[reader]) as store:
            study = Study(store, clock=clock)
            code = read_case(study, reader)
            case = study.open_case(reader, "MRI", code)  # going back (may_go_back): the read made before is shown
            assert case.reading.project.lesions and store.blinded
            case.reading.add_count_mark(case.pair, "mr_dwi", "left")
            study.finish(case)
    # idempotent: the migration and the grants again change nothing
    before = _access(pg_url, "lim4_r1")
    migrate_again(pg_url, migration_access_functions)
    assert _access(pg_url, "lim4_r1") == before


def test_outside_a_study_reader_roles_keep_their_tables(pg_cluster, pg_url):
    """No study, no blinding: a multi-site reading project's reader roles still read and write the tables under
    row-level security (the access functions are for a study store's blinded roles)."""
    fill(pg_url)
    with ReadingStore.open(pg_url) as owner:
        add_reader(owner.backend_db, "R1", db_role="lim5_r1")
    url = pg_cluster.url(parse_location(pg_url).database_name(), "lim5_r1")
    tables, functions, _ = _access(pg_url, "lim5_r1")
    assert ("lesions", "UPDATE") in tables and not functions
    st, reading = open_reading(url, "R1")
    with st:
        reading.add_count_mark(("P1", "E1"), "mr_dwi", "left")
        lid = reading.add_lesion(("P1", "E1"), "right")
        reading.set_observation(("P1", "E1"), lid, "mr_t2fs", HIDDEN)
        assert not st.blinded
    with ReadingStore.open(url) as store:
        project = store.load()
        assert len(project.count_marks) == 2 and len(project.lesions) == 1  # the lesion's pre-placed mark too
