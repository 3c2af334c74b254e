"""A reader's look at (or edit of) its own finished read restarts the patient's washout (migration 13, PostgreSQL).

The review of session 36 found that a reader role read its own finished MRI read of a patient with psql
(``lesionlab_rows_lesions()``) the day the washout ended, and the CT case of that patient opened all the same.
The study's design keeps going back to a finished case (grand-challenge readers ask for it) but counts the washout
from the later of the finishing and the reader's last look at or write of that read's lesion, measurement or
count rows or its edit log (whose descriptions say what the read holds), on the server's clock (``read_looks``,
written by the access functions only, annotation/store_pg_barrier.py). The application's own routine reads (open
study, progress, next case, open and finish the current case) are no look; the owner's, the coordinator's and the
adjudicator's reads are none.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import psycopg
import pytest

from annotation.store import ReadingStore
from annotation.study_store import Study
from viewer.errors import StudyError
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401
from tests.annotation.test_study_barrier_pg import opening
from tests.annotation.test_study_blinding_pg import past_washout, study_with_roles
from tests.annotation.test_study_store import Clock, read_case

DAY = dt.timedelta(days=1)
P2 = json.dumps({"patient_id": "P2"})
WASHOUT = 28 * DAY


def _mri_session_read(urls: dict[str, str], clock: Clock, reader: str = "R1") -> list[str]:
    """The reader reads and finishes every MRI case in the application (open, measure, finish, next, progress)."""
    with ReadingStore.open(urls[reader]) as store:
        study = Study(store, clock=clock)
        codes = []
        for _ in range(3):
            codes.append(read_case(study, reader))
            study.progress()
        return codes


def _looks(owner_url: str) -> list[tuple[str, str, str, str]]:
    with psycopg.connect(owner_url, autocommit=True) as con:
        return [tuple(r) for r in con.execute("SELECT reader, patient_id, exam_pair_id, at_utc FROM read_looks "
                                              "ORDER BY 1, 2, 3").fetchall()]


def _server_now(owner_url: str) -> dt.datetime:
    with psycopg.connect(owner_url, autocommit=True) as con:
        return con.execute("SELECT clock_timestamp()").fetchone()[0]


def _next(url: str, clock: Clock, reader: str = "R1") -> tuple[str | None, str]:
    """(session of the reader's next case or None, the message) as the application says it."""
    with ReadingStore.open(url) as store:
        nxt = Study(store, clock=clock).next_case(reader)
        return (None if nxt.case is None else nxt.case.session), nxt.message


def _opens_on(message: str) -> dt.datetime:
    found = re.search(r"opens on (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", message)
    assert found, message
    return dt.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=dt.timezone.utc)


def _ct_opening_refused(url: str, code: str) -> str:
    """The server's answer when the reader role opens CT case ``code`` with psql ("" when it opens)."""
    with psycopg.connect(url, autocommit=True) as con:
        try:
            con.execute(opening("s1", "R1", "CT", code, "2000-01-01T00:00:00.000+00:00", None)).fetchall()
        except psycopg.errors.CheckViolation as exc:
            return str(exc)
    return ""


def _patient_case(owner_url: str, patient: str) -> str:
    with psycopg.connect(owner_url, autocommit=True) as con:
        return con.execute("SELECT code FROM study_cases WHERE patient_id = %s", (patient,)).fetchone()[0]


def test_a_look_with_psql_restarts_the_washout_in_the_application_and_on_the_server(pg_cluster, pg_url):
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "lk1", clock=clock)
    _mri_session_read(urls, clock)
    past_washout(pg_url, WASHOUT + DAY)  # the washout has passed: the CT session would open now
    clock.now = _server_now(pg_url)
    with psycopg.connect(urls["R1"], autocommit=True) as con:  # R1 looks at its MRI read of P2 with psql
        shown = con.execute(f"SELECT reader, patient_id FROM lesionlab_rows_lesions('{P2}')").fetchall()
    assert shown == [("R1@MRI", "P2")]
    looked = _server_now(pg_url)
    assert [(r, p, e) for r, p, e, _ in _looks(pg_url)] == [("R1@MRI", "P2", "E1")]
    # the application: P2's CT case waits until 28 days after the look; the other patients' open
    c2 = _patient_case(pg_url, "P2")
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        opens, why = study.washout_ends("R1", "CT", c2)
        assert not why and opens is not None and abs(opens - (looked + WASHOUT)) < dt.timedelta(seconds=5)
        with pytest.raises(StudyError, match=rf"case {c2} of session CT opens on .* \(washout\): "
                                             r"(28 days 0|27 days 23) h to go"):
            study.open_case("R1", "CT", c2)
        for _ in range(2):  # P1 and P3 open as before
            code = read_case(study, "R1")
            assert study.definition.case(code).patient_id != "P2"
        session, message = _next(urls["R1"], clock)
        assert session is None and abs(_opens_on(message) - (looked + WASHOUT)) < dt.timedelta(minutes=1), message
    # the server refuses the opening with psql too, naming the date
    refusal = _ct_opening_refused(urls["R1"], c2)
    assert f"case {c2} of session CT opens on" in refusal and "last look at or edit of it" in refusal, refusal
    assert abs(dt.datetime.strptime(re.search(r"opens on (\S+ \S+) UTC", refusal).group(1), "%Y-%m-%d %H:%M")
               .replace(tzinfo=dt.timezone.utc) - (looked + WASHOUT)) < dt.timedelta(minutes=1)
    # once that washout has passed too, the case opens, and the MRI read is hidden from R1 from then on
    past_washout(pg_url, WASHOUT + DAY)
    clock.now = _server_now(pg_url)
    assert _next(urls["R1"], clock)[0] == "CT"
    assert _ct_opening_refused(urls["R1"], c2) == ""
    with psycopg.connect(urls["R1"], autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM lesionlab_rows_lesions('{\"patient_id\": \"P2\"}') "
                           "WHERE reader = 'R1@MRI'").fetchone()[0] == 0


def test_the_applications_routine_use_and_other_roles_reads_do_not_restart_it(pg_cluster, pg_url):
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "lk2", clock=clock)
    for reader in ("R1", "R2"):
        _mri_session_read(urls, clock, reader)
    with ReadingStore.open(urls["R1"]) as store:  # the study window's routine: status, progress, next case
        study = Study(store, clock=clock)
        study.progress()
        study.case_times()
        assert study.next_case("R1").case is None
    assert _looks(pg_url) == []  # opening, measuring, finishing, progress and next case looked at nothing
    # the owner, the coordinator and the adjudicator read every read: no look of R1's
    with ReadingStore.open(pg_url) as owner:
        assert {les.reader for les in owner.load().lesions.values()} == {"R1@MRI", "R2@MRI"}
    with ReadingStore.open(urls["Coord"], read_only=True) as coord:
        assert len(coord.load().lesions) == 6
    with psycopg.connect(urls["consensus"], autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM lesionlab_rows_lesions()").fetchone()[0] == 6
        assert con.execute("SELECT count(*) FROM lesionlab_rows_count_marks()").fetchone()[0] > 0
    with psycopg.connect(urls["R1"], autocommit=True) as con:  # R1's edit times and study record: no look
        assert con.execute("SELECT count(*) FROM lesionlab_rows_edit_times()").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM lesionlab_rows_study_reads()").fetchone()[0] == 3
    with ReadingStore.open(urls["R1"]) as store:  # nor the application's edit log (times, no descriptions)
        assert store.edits() and all(description == "" for _, _, description in store.edits())
        assert len(store.edit_times()) == len(store.edits())
    assert _looks(pg_url) == []
    past_washout(pg_url, WASHOUT + DAY)
    clock.now = _server_now(pg_url)
    for _ in range(3):  # the CT session opens case after case, reading each in the application
        with ReadingStore.open(urls["R1"]) as store:
            study = Study(store, clock=clock)
            assert study.next_case("R1").case is not None
            read_case(study, "R1")
    assert _looks(pg_url) == []


def test_an_edit_after_finishing_restarts_it_and_going_back_in_the_application_too(pg_cluster, pg_url):
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "lk3", clock=clock)
    _mri_session_read(urls, clock)
    past_washout(pg_url, WASHOUT + DAY)
    clock.now = _server_now(pg_url)
    c1, c3 = _patient_case(pg_url, "P1"), _patient_case(pg_url, "P3")
    # an edit with psql (no edit log): R1 rewrites a comment of its finished MRI read of P1 (the study lets
    # readers go back), without reading anything first
    with psycopg.connect(urls["R1"], autocommit=True) as con:
        written = con.execute("SELECT * FROM lesionlab_write_lesions('update', %s, %s)",
                              (json.dumps({"comment": "rewritten"}),
                               json.dumps({"patient_id": "P1", "exam_pair_id": "E1"}))).fetchall()
    assert len(written) == 1
    assert [(r, p) for r, p, _, _ in _looks(pg_url)] == [("R1@MRI", "P1")]
    assert f"case {c1} of session CT opens on" in _ct_opening_refused(urls["R1"], c1)
    # going back to P3's finished case in the application is a look too
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        back = study.open_case("R1", "MRI", c3)
        assert len(back.reading.project.lesions) == 1
        assert study.washout_ends("R1", "CT", c3)[0] > clock.now + 27 * DAY  # type: ignore[operator]
    assert [(r, p) for r, p, _, _ in _looks(pg_url)] == [("R1@MRI", "P1"), ("R1@MRI", "P3")]
    assert f"case {c3} of session CT opens on" in _ct_opening_refused(urls["R1"], c3)
    session, message = _next(urls["R1"], clock)  # P2 was neither looked at nor edited: its CT case opens
    assert session == "CT"


def test_a_look_rolled_back_or_read_only_is_no_way_around_it(pg_cluster, pg_url):
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "lk4", clock=clock)
    _mri_session_read(urls, clock)
    past_washout(pg_url, WASHOUT + DAY)
    c2 = _patient_case(pg_url, "P2")
    with psycopg.connect(urls["R1"]) as con:  # psql: BEGIN; look; ROLLBACK
        shown = con.execute(f"SELECT reader, patient_id FROM lesionlab_rows_lesions('{P2}')").fetchall()
        con.rollback()
    assert shown == [("R1@MRI", "P2")] and _looks(pg_url) == []
    # the look sequence of R1's looks at P2 kept it: the server counts it for P2 (session 40: one sequence per reader
    # and patient; before, for every patient of R1, its case not known)
    assert "opens on" in _ct_opening_refused(urls["R1"], c2)
    # the next look records its own read only; the application shows both waits, and P3's case opens
    with psycopg.connect(urls["R1"], autocommit=True) as con:
        con.execute("SELECT count(*) FROM lesionlab_rows_observations('{\"patient_id\": \"P1\"}')").fetchone()
    assert [(r, p) for r, p, _, _ in _looks(pg_url)] == [("R1@MRI", "P1")]
    clock.now = _server_now(pg_url)
    with ReadingStore.open(urls["R1"]) as store:
        study = Study(store, clock=clock)
        for patient in ("P1", "P2"):
            opens, _ = study.washout_ends("R1", "CT", _patient_case(pg_url, patient))
            assert opens is not None and opens > clock.now + 27 * DAY, (patient, opens)
        nxt = study.next_case("R1").case
        assert nxt is not None and study.definition.case(nxt.code).patient_id == "P3"
    # a read-only transaction cannot record a look: the rows are refused, not shown
    with psycopg.connect(urls["R1"]) as con:
        con.execute("SET TRANSACTION READ ONLY")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction, match="restarts the washout"):
            con.execute("SELECT * FROM lesionlab_rows_count_marks('{\"patient_id\": \"P2\"}')").fetchall()
        con.rollback()
    assert "opens on" in _ct_opening_refused(urls["R1"], c2)


def test_reading_the_edit_logs_descriptions_of_a_finished_read_is_a_look(pg_cluster, pg_url):
    """The log says what the read holds ("L1 on T2 FS: measured", "28.4 mm line deleted", "counted (5 lesions)")."""
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "lk5", clock=clock)
    _mri_session_read(urls, clock)
    past_washout(pg_url, WASHOUT + DAY)
    with psycopg.connect(urls["R1"], autocommit=True) as con:
        said = con.execute(f"SELECT description FROM lesionlab_rows_edits('{P2}')").fetchall()
        times = con.execute(f"SELECT * FROM lesionlab_rows_edit_times('{P2}')").fetchall()
    assert said and len(times) == len(said) and all(len(t) == 5 for t in times)
    assert [(r, p) for r, p, _, _ in _looks(pg_url)] == [("R1@MRI", "P2")]
    assert "opens on" in _ct_opening_refused(urls["R1"], _patient_case(pg_url, "P2"))
    assert _ct_opening_refused(urls["R1"], _patient_case(pg_url, "P1")) == ""


def test_the_question_before_going_back_says_a_look_restarts_the_washout(pg_cluster, pg_url):  # noqa: F811
    """Session 39: the window asks before it opens a finished case (app/study_dialog.py); through a reader role the
    look itself restarts the washout, and the question says so, with the date; the owner's connection records no
    look, so there only an edit would."""
    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "dr9", clock=clock)
    codes = _mri_session_read(urls, clock)
    finished = _server_now(pg_url)
    clock.now += 3 * DAY  # three days into the washout: going back moves the CT case's day by three days
    with ReadingStore.open(urls["R1"]) as store:
        said = Study(store, clock=clock).going_back_costs("R1", "MRI", codes[0])
    assert said.startswith(f"case {codes[0]} of session MRI is finished. Opening it again starts the 28-day washout")
    late, early = f"{clock.now + WASHOUT:%Y-%m-%d}", f"{finished + WASHOUT:%Y-%m-%d}"
    assert late != early and f"would open on {late} at the earliest, not on {early}." in said, said
    with ReadingStore.open(pg_url) as store:
        said = Study(store, clock=clock).going_back_costs("R1", "MRI", codes[0])
    assert "An edit in it starts the 28-day washout" in said, said
    assert _looks(pg_url) == []  # asking is no look


def test_a_reader_role_before_the_owner_migrated_is_told_to_ask_the_owner(pg_cluster, pg_url):  # noqa: F811
    """review39b: a reader role opening a store the owner had not yet migrated was refused "cannot prepare the
    store" in a blinded role's words; it now says the schema needs migrating, which only the owner can do, and the
    store is left as it was."""
    from viewer.errors import StoreError

    clock = Clock()
    urls = study_with_roles(pg_cluster, pg_url, "dr10", clock=clock)
    with psycopg.connect(pg_url, autocommit=True) as con:  # the store as a lesionlab one schema older left it
        con.execute("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
        before = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    with pytest.raises(StoreError) as refused:
        ReadingStore.open(urls["R1"])
    said = str(refused.value)
    assert f"store schema {before} needs migrating to {before + 1}, which only the store's owner can do" in said, said
    assert "reader R1's" in said and "ask the store's owner" in said, said
    with psycopg.connect(pg_url, autocommit=True) as con:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == before
