"""A reader study in the store: set-up once, the next case in the reader's stored order, blinded
case reads (through the API on SQLite; through a reader role's own connection on PostgreSQL),
writes limited to the reader's read and the session's series, washout, progress and reading time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import psycopg
import pytest

from annotation.clinical import ClinicalRecord
from annotation.records import Measurement
from annotation.store import ReadingStore, open_reading
from annotation.store_location import parse_location
from annotation.store_pg_security import add_reader
from annotation.study import StudyCase, StudyDefinition, StudySession
from annotation.study_store import Study
from annotation.vocab import Sex
from viewer.errors import BlindedRoleError, StudyError
from tests.annotation.pg import pg_cluster, pg_url  # noqa: F401

M = Measurement("k", "1.2", 3, (10.0, 10.0), (20.0, 30.0), 0.7, 0.7)
DAY = dt.timedelta(days=1)


def definition(may_go_back: bool = True) -> StudyDefinition:
    return StudyDefinition(
        "s1", 4242, ("R1", "R2"),
        (StudySession("MRI", ("mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal")),
         StudySession("CT", ("ct_arterial", "ct_portal"), washout_days=28)),
        tuple(StudyCase(f"C{i}", f"P{i}", "E1") for i in (1, 2, 3)), may_go_back)


def fill(location: str) -> None:
    """Three patients with names, clinical data and dates (what readers must not see)."""
    st, r = open_reading(location, "setup")
    with r.batch("patients"):
        for i in (1, 2, 3):
            r.add_patient(f"P{i}", f"SECRET^NAME{i}", ClinicalRecord(sex=Sex.FEMALE, ki67_percent=12.0))
            r.add_exam_pair(f"P{i}", "E1", ct_date=dt.date(2024, 1, i), mri_date=dt.date(2024, 1, i + 3))
    st.close()


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now


def read_case(study: Study, reader: str, lobe: str = "right", role: str | None = None) -> str:
    """Open the reader's next case, measure one lesion on the session's first series, finish it."""
    nxt = study.next_case(reader)
    assert nxt.case is not None, nxt.message
    case = study.open_case(reader, nxt.case.session, nxt.case.code)
    r = case.reading
    lid = r.add_lesion(case.pair, lobe)
    r.set_observation(case.pair, lid, role or study.definition.session(nxt.case.session).roles[0].value, M)
    study.finish(case)
    return nxt.case.code


@pytest.fixture
def sqlite_study(tmp_path: Path) -> tuple[Study, Clock]:
    path = str(tmp_path / "study.lesionlab")
    fill(path)
    clock = Clock()
    return Study.init(ReadingStore.open(path), definition(may_go_back=False), clock=clock), clock


def test_init_stores_the_orders_once_and_every_opening_reads_them(tmp_path: Path) -> None:
    path = str(tmp_path / "s.lesionlab")
    fill(path)
    d = definition()
    with ReadingStore.open(path) as store:
        study = Study.init(store, d)
        with pytest.raises(StudyError, match="already holds study 's1'"):
            Study.init(store, d)
    with ReadingStore.open(path, read_only=True) as store:
        again = Study(store)
        assert again.definition == d
        for (reader, session), order in d.reading_orders().items():
            assert again.order(reader, session) == order == study.order(reader, session)
    bad = StudyDefinition("s2", 1, ("R1",), d.sessions, (StudyCase("Z", "P9", "E1"),))
    other = str(tmp_path / "other.lesionlab")  # a store with no study: s2's reads would share s1's names here
    fill(other)
    with ReadingStore.open(other) as store, pytest.raises(StudyError, match="case Z: exam pair E1 of patient P9"):
        Study.init(store, bad)


def test_a_second_study_sharing_a_reader_and_a_session_is_refused(tmp_path: Path) -> None:
    """A study's reads are stored under READER@SESSION: a second study (a retake) with R1 and MRI again opened the
    first study's R1@MRI read as its own, with its lesions and marks (a researcher's check). Refused, saying how to
    set it up; with sessions of other names it is set up, its reads its own."""
    path = str(tmp_path / "s.lesionlab")
    fill(path)
    first = definition()
    with ReadingStore.open(path) as store:
        study = Study.init(store, first)
        read_case(study, "R1")
        retake = dataclasses.replace(first, study_id="s1-retake")
        with pytest.raises(StudyError, match=r"study 's1', whose reads are stored under R1@CT, R1@MRI, R2@CT, R2@MRI …: study 's1-retake' would open"):
            Study.init(store, retake)
        # a review: other readers, but the default adjudicator and the same session names shared consensus@MRI;
        # and an adjudicator named as the first study's reader shared R1@MRI
        for other in (dataclasses.replace(first, study_id="s2", readers=("R7", "R8")),
                      dataclasses.replace(first, study_id="s3", readers=("R7", "R8"), adjudicator="R1")):
            with pytest.raises(StudyError, match="would open and edit them as its own"):
                Study.init(store, other)
        renamed = dataclasses.replace(retake, sessions=tuple(dataclasses.replace(x, name=f"{x.name}-2")
                                                             for x in first.sessions))
        second = Study.init(store, renamed, clock=Clock())
        nxt = second.next_case("R1")
        assert nxt.case is not None
        assert not second.open_case("R1", nxt.case.session, nxt.case.code).reading.project.lesions


def test_a_case_read_is_blinded_and_writes_only_its_own_read(sqlite_study: tuple[Study, Clock]) -> None:
    study, clock = sqlite_study
    first = read_case(study, "R2")  # R2's MRI read of one case
    nxt = study.next_case("R1")
    assert nxt.case is not None and nxt.case.session == "MRI" and nxt.case.position == 1
    assert nxt.case.code == study.order("R1", "MRI")[0]
    case = study.open_case("R1", "MRI", nxt.case.code)
    p = case.reading.project
    patient = p.patients[case.pair[0]]
    assert patient.patient_name == nxt.case.code and patient.clinical == ClinicalRecord()  # code, no clinical data
    assert list(p.exam_pairs) == [case.pair] and p.exam_pairs[case.pair].ct_date is None
    assert not p.lesions  # R2's read of the same case is not there
    lid = case.reading.add_lesion(case.pair, "left")
    case.reading.set_observation(case.pair, lid, "mr_dwi", M)
    assert case.reader_name == "R1@MRI"
    with pytest.raises(StudyError, match="ct_portal, which this session does not show"):
        case.reading.set_observation(case.pair, lid, "ct_portal", M)
    with pytest.raises(StudyError, match="may not change patients"):
        case.reading.edit_patient(case.pair[0], patient_name="x")
    assert [les.reader for les in case.reading.project.lesions.values()] == ["R1@MRI"]
    study.finish(case)
    # the store holds both readers' reads, under session reader names
    full = study.store.load()
    assert {les.reader for les in full.lesions.values()} == {"R1@MRI", "R2@MRI"}
    assert first in study.order("R2", "MRI")


def test_the_order_is_kept_and_going_back_only_when_allowed(sqlite_study: tuple[Study, Clock]) -> None:
    study, _ = sqlite_study
    order = study.order("R1", "MRI")
    with pytest.raises(StudyError, match=f"case {order[1]} comes later.*case {order[0]} is first"):
        study.open_case("R1", "MRI", order[1])
    read_case(study, "R1")
    with pytest.raises(StudyError, match="does not let readers go back"):
        study.open_case("R1", "MRI", order[0])
    with pytest.raises(StudyError, match="not a reader"):
        study.open_case("R3", "MRI", order[0])


def test_washout_keeps_the_second_session_closed_then_opens_it_without_the_first_read(
        sqlite_study: tuple[Study, Clock]) -> None:
    study, clock = sqlite_study
    done = [read_case(study, "R1") for _ in range(3)]
    assert sorted(done) == ["C1", "C2", "C3"]
    nxt = study.next_case("R1")
    assert nxt.case is None and "washout" in nxt.message and "28 days" in nxt.message
    ct_first = study.order("R1", "CT")[0]
    with pytest.raises(StudyError, match=rf"case {ct_first} of session CT opens on .* \(washout\): 28 days 0 h to go"):
        study.open_case("R1", "CT", ct_first)
    clock.now += 27 * DAY
    assert study.next_case("R1").case is None
    clock.now += 1 * DAY + dt.timedelta(minutes=5)
    nxt = study.next_case("R1")
    assert nxt.case is not None and (nxt.case.session, nxt.case.code) == ("CT", ct_first)
    case = study.open_case("R1", "CT", ct_first)
    assert not case.reading.project.lesions  # the MRI read of the same patient is not shown
    assert case.reader_name == "R1@CT"
    # R2 never read the MRI session: the CT session stays closed to R2 whatever the date
    with pytest.raises(StudyError, match="opens after you finish case"):
        study.open_case("R2", "CT", study.order("R2", "CT")[0])


def test_progress_and_reading_time_come_from_session_records_and_the_edit_log(
        sqlite_study: tuple[Study, Clock]) -> None:
    study, clock = sqlite_study
    read_case(study, "R1")
    nxt = study.next_case("R1")
    assert nxt.case is not None
    study.open_case("R1", nxt.case.session, nxt.case.code)
    progress = {(p.reader, p.session): p for p in study.progress()}
    # to do: the cases neither finished nor opened (the open one was counted twice: "done 1, open 1, to do 2" of 3)
    assert (progress[("R1", "MRI")].done, progress[("R1", "MRI")].opened, progress[("R1", "MRI")].to_do) == (1, 1, 1)
    assert (progress[("R2", "CT")].done, progress[("R2", "CT")].to_do) == (0, 3)
    times = study.case_times()
    assert [(t.reader, t.edits) for t in times if t.code == study.order("R1", "MRI")[0]] == [("R1", 2)]
    assert all(0 <= t.seconds < 60 for t in times)
    assert progress[("R1", "MRI")].reading_s_median is not None


def test_adjudication_sees_the_session_reads_and_records_its_own(sqlite_study: tuple[Study, Clock]) -> None:
    study, clock = sqlite_study
    code = study.order("R1", "MRI")[0]
    read_case(study, "R1")
    with pytest.raises(StudyError, match="not finished by R2"):
        study.open_adjudication("MRI", code)
    while True:
        nxt = study.next_case("R2")
        assert nxt.case is not None
        read_case(study, "R2", lobe="left")
        if nxt.case.code == code:
            break
    adj = study.open_adjudication("MRI", code)
    assert {les.reader for les in adj.reading.project.lesions.values()} == {"R1@MRI", "R2@MRI"}
    lid = adj.reading.add_lesion(adj.pair, "right")
    adj.reading.set_observation(adj.pair, lid, "mr_t2fs", M)
    assert adj.reader_name == "consensus@MRI"
    assert {les.reader for les in study.store.load().lesions.values()} == {"R1@MRI", "R2@MRI", "consensus@MRI"}


# ------------------------------------------------------------------ PostgreSQL: blinding by the database
def test_on_postgresql_a_reader_role_reads_only_its_own_study_rows(pg_cluster, pg_url) -> None:  # noqa: F811
    fill(pg_url)
    clock = Clock()
    with ReadingStore.open(pg_url) as owner:
        Study.init(owner, definition(), clock=clock)
        for name, role, kind in (("R1", "r1", "reader"), ("R2", "r2", "reader"), ("consensus", "adj", "adjudicator")):
            add_reader(owner.backend_db, name, kind=kind, db_role=role)
    db = parse_location(pg_url).database_name()
    urls = {who: pg_cluster.url(db, who) for who in ("r1", "r2", "adj")}
    for reader, role in (("R1", "r1"), ("R2", "r2")):
        with ReadingStore.open(urls[role]) as store:
            study = Study(store, clock=clock)
            assert study.store.role_reader == reader
            read_case(study, reader)
            nxt = study.next_case(reader)
            assert nxt.case is not None
            # another reader's order is not visible, and reading as another reader is refused
            other = "R2" if reader == "R1" else "R1"
            with pytest.raises(StudyError, match="connect as that reader"):
                study.order(other, "MRI")
            with pytest.raises(StudyError, match=f"reads as {reader}"):
                study.open_case(other, "MRI", "C1")
    # raw SQL through R1's connection: none of R2's rows, in the reading tables and the study tables (read through
    # their access functions: a blinded role has no privilege on the tables themselves)
    with psycopg.connect(urls["r1"]) as con:
        for table in ("lesions", "observations", "edits", "study_order", "study_reads"):
            readers = {r[0] for r in con.execute(f"SELECT reader FROM lesionlab_rows_{table}()")}
            assert readers and all(r == "R1" or r.startswith("R1@") for r in readers), table
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(f"SELECT reader FROM {table}")
            con.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("INSERT INTO lesions (patient_id, exam_pair_id, reader, lesion_id, lobe, comment) "
                        "VALUES ('P1', 'E1', 'R2@MRI', 'L9', 'left', '')")
    with ReadingStore.open(urls["r1"]) as store:
        assert store.blinded
        with pytest.raises(BlindedRoleError, match="this database role is a blinded reader"):
            store.load()  # the whole project: names and clinical data
        seen = set()
        for case in definition().cases:
            seen |= {les.reader for les in store.load_pair(case.pair).lesions.values()}
        assert seen == {"R1@MRI"}
        log = store.edit_log()
        assert log and {e.reader for e in log} == {"R1@MRI"}  # the edit log names the session read
    # the adjudicator's role sees both readers' rows
    with ReadingStore.open(urls["adj"]) as store:
        assert store.blinded  # the adjudicator, too, reads no names
        assert {les.reader for c in definition().cases
                for les in store.load_pair(c.pair).lesions.values()} == {"R1@MRI", "R2@MRI"}
        assert {p.reader for p in Study(store).progress()} == {"R1", "R2"}
    # a store opened through a reader role cannot set up a study of its own
    with ReadingStore.open(urls["r1"]) as store, pytest.raises(StudyError, match="set up by the store's owner"):
        other = tuple(dataclasses.replace(x, name=f"{x.name}-2") for x in definition().sessions)  # its own reads
        Study.init(store, StudyDefinition("s2", 1, ("R1",), other, definition().cases))


def test_the_command_line_sets_up_and_follows_a_study(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    path = tmp_path / "s.lesionlab"
    fill(str(path))
    definition_file = tmp_path / "study.toml"
    definition_file.write_text("""
study_id = "cli"
seed = 11
readers = ["R1", "R2"]
[[sessions]]
name = "MRI"
roles = ["mr_t2fs", "mr_dwi"]
[[sessions]]
name = "CT"
roles = ["ct_portal"]
washout_days = 30
[[cases]]
patient_id = "P1"
exam_pair_id = "E1"
[[cases]]
patient_id = "P2"
exam_pair_id = "E1"
""", encoding="utf-8")
    assert main(["study", "init", str(path), str(definition_file)]) == 0
    assert "orders drawn from seed 11" in capsys.readouterr().out
    assert main(["study", "next", str(path), "--reader", "R2"]) == 0
    with ReadingStore.open(path, read_only=True) as store:
        first = Study(store).order("R2", "MRI")[0]
    assert capsys.readouterr().out.strip() == f"{first} (session MRI, case 1 of 2)"
    with ReadingStore.open(path) as store:
        study = Study(store)
        read_case(study, "R2")
        read_case(study, "R2")
    assert main(["study", "next", str(path), "--reader", "R2"]) == 0
    assert "washout" in capsys.readouterr().out
    assert main(["study", "status", str(path), "--cases"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"R2\s+MRI\s+2\s+0\s+0", out) and re.search(r"R1\s+CT\s+0\s+0\s+2", out)
    assert f"R2 MRI {first}:" in out
    # one reader has read the case: nothing to compare, not "the readers agree" (an audit asked before any read)
    assert main(["study", "disagreements", str(path), "--session", "MRI", "--case", first]) == 0
    assert "1 of 2 readers finished it: nothing to compare yet" in capsys.readouterr().out
    # the store's agreement: the study's readers with a finished read, said, with the command that joins sessions
    assert main(["agreement", str(path), "--out", str(tmp_path / "agreement")]) == 0
    out = capsys.readouterr().out
    assert "study cli: readers R2 compared (R1: no finished read yet)" in out and "lesionlab study reads" in out, out
    bad = tmp_path / "bad.toml"
    bad.write_text(definition_file.read_text().replace('"ct_portal"', '"ct_late"'), encoding="utf-8")
    assert main(["study", "init", str(path), str(bad)]) == 1
    assert "sessions[2].roles[1]: 'ct_late' is not one of the six reading roles" in capsys.readouterr().err


def test_a_study_moves_with_store_copy_to_postgresql(tmp_path: Path, pg_url) -> None:  # noqa: F811
    from annotation.store_copy import copy_store

    path = str(tmp_path / "s.lesionlab")
    fill(path)
    with ReadingStore.open(path) as store:
        study = Study.init(store, definition())
        read_case(study, "R1")
        before = (study.definition, study.session_reads(), {k: study.order(*k) for k in study.definition.reading_orders()})
        next_before = study.next_case("R1").case
    copy_store(path, pg_url)
    with ReadingStore.open(pg_url) as store:
        again = Study(store)
        assert (again.definition, again.session_reads(),
                {k: again.order(*k) for k in again.definition.reading_orders()}) == before
        assert again.next_case("R1").case == next_before


def test_a_hand_edited_time_is_left_out_and_said_not_a_crash(sqlite_study) -> None:
    """A time that is not one (a coordinator's hand edit; on PostgreSQL readers' times are the server's) is
    left out of the reading time and named, never a ValueError out of ``study status`` (a security review)."""
    study, clock = sqlite_study
    code = read_case(study, "R1")
    db = study.store.backend_db
    db.execute("UPDATE edits SET at_utc = '2020' WHERE reader = 'R1@MRI'")
    db.execute("UPDATE study_reads SET finished_at_utc = 'y'")
    times = study.case_times()
    assert len(times) == 1 and times[0].seconds >= 0
    assert [p.done for p in study.progress() if p.reader == "R1" and p.session == "MRI"] == [1]
    notes = "\n".join(study.unreadable_times)
    assert "of R1@MRI" in notes and "time '2020' is not a time" in notes
    assert "R1's read of case" in notes and "time 'y' is not a time" in notes
    clock.now += 60 * dt.timedelta(days=1)
    opens, why = study.washout_ends("R1", "CT", code)  # not counted from 'y': the CT case waits, saying why
    assert opens is None and "is not readable in the store" in why
