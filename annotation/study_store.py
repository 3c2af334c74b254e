"""A reader study kept in a reading store: set-up, the next case, blinded case reads, washout, progress.

:meth:`Study.init` writes a :class:`~annotation.study.StudyDefinition`, its cases and every
reader's seeded order into the store (tables of the reader-studies migration), so every machine
reads the same lists. A reader then works through :meth:`Study.next_case` and
:meth:`Study.open_case`, which returns a :class:`CaseRead`: a :class:`~annotation.reading.Reading`
on a *blinded* project and a sink that refuses whatever a study read may not write.

Blinding is the store API's, not the screen's: the project a reader's case read holds has the
case's patient under its study code (no name, no clinical record, no exam dates), and only that
reader's read of that case in that session (``READER@SESSION`` rows), never another reader's,
never their own earlier session's. A case loads only its exam pair's rows
(:meth:`~annotation.store.ReadingStore.load_pair`), never the whole project. On PostgreSQL the
database enforces it (:mod:`annotation.store_pg_security`): a reader role cannot SELECT other
readers' rows, the patients' names, clinical data or exam dates, nor its own read of a patient in
an earlier session once it has opened that patient in a later one (here :meth:`Study.open_case`
refuses such a case on either backend). Writes are checked too: only the reader's own read of the
open case, only the series roles the session shows, no patient data.

Washout: a case of session *s* > 1 opens only when the reader has finished every case of the same
patient in session *s* − 1 and ``washout_days`` have passed since the later of their finishing, their
last edit there (the edit log) and the reader's last look at those finished reads (``read_looks``: on
PostgreSQL the server records when a reader role's call read or wrote their lesion, measurement or count
rows; going back to a finished case is such a look). Reading time per case comes from the session record (opened,
finished) and the edit log, idle gaps counted at most :data:`IDLE_CAP_S`.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, TypeVar

from annotation.clinical import ClinicalRecord, name_from_images
from annotation.lost_marks import LostMark, lost_count_marks, measured_unmarked
from annotation.project import Project, diff
from annotation.reading import Reading, old_preplaced_mark_id
from annotation.records import CountMark
from annotation.store import ReadingStore
from annotation.store_backend import first_line
from annotation.store_schema import delete_rows, fetch_record, insert_rows, update_rows
from annotation.study import StoredStudy, StudyCase, StudyDefinition, session_reader, stored_studies
from annotation.study_case import CaseRead, CaseRef, StudySink, blinded_project
from annotation.vocab import Sex
from viewer.errors import LesionlabError, StoreUnreachableError, StudyError
from viewer.records import Role

#: the columns of ``study_reads`` and ``study_pairings``, in order
_STUDY_READS = ("study_id", "reader", "session", "code", "opened_at_utc", "finished_at_utc")
_PAIRINGS = ("study_id", "reader", "paired_reader", "code", "first_lesion", "second_lesion", "at_utc")
#: an idle gap between two edits of one case counts this much reading time at most (seconds)
IDLE_CAP_S = 300.0
Clock = Callable[[], _dt.datetime]
T = TypeVar("T")


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _iso(t: _dt.datetime) -> str:
    return t.astimezone(_dt.timezone.utc).isoformat(timespec="milliseconds")


def _parse(text: object) -> _dt.datetime | None:
    """A stored time, or None when it is not one (a coordinator's hand edit; readers' times are the server's)."""
    try:
        t = _dt.datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None
    return t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)


@dataclass(frozen=True)
class SessionRead:
    """When a reader opened and finished one case in one session."""

    reader: str
    session: str
    code: str
    opened_at_utc: str
    finished_at_utc: str | None

    @property
    def finished(self) -> bool:
        return self.finished_at_utc is not None


@dataclass(frozen=True)
class NextCase:
    """The reader's next case, or None with why (all done, or waiting for a washout until when)."""

    case: CaseRef | None
    message: str


@dataclass(frozen=True)
class Progress:
    """One reader's progress in one session."""

    reader: str
    session: str
    done: int
    opened: int  # opened, not finished
    to_do: int  # neither opened nor finished: done + opened + to_do = the session's cases
    reading_s_median: float | None


@dataclass(frozen=True)
class Confirmation:
    """Pairs of a reader's lesions of a case across the first two sessions, as confirmed: by whom and when."""

    reader: str
    code: str
    pairs: dict[str, str]  # first session's lesion id -> second session's
    by: str
    at_utc: str


@dataclass(frozen=True)
class CaseTime:
    """Reading time of one case in one session, from the session record and the edit log."""

    reader: str
    session: str
    code: str
    seconds: float
    edits: int


class Study:
    """One study of an open store. ``clock`` gives "now" (tests move it past a washout)."""

    def __init__(self, store: ReadingStore, study_id: str | None = None, *, clock: Clock = utc_now) -> None:
        self.store, self.clock = store, clock
        db = store.backend_db
        ids = [r[0] for r in self._rows("SELECT study_id FROM studies ORDER BY study_id")]
        if not ids:
            raise StudyError("the store holds no study", where=store.where,
                             advice="set one up with `lesionlab study init STORE DEFINITION`")
        if study_id is None:
            if len(ids) > 1:
                raise StudyError(f"the store holds several studies ({', '.join(ids)})", where=store.where,
                                 advice="name one with --study")
            study_id = ids[0]
        if study_id not in ids:
            raise StudyError(f"no study {study_id!r} (the store holds {', '.join(ids)})", where=store.where)
        self.definition = _stored(store, study_id)[0].definition
        self._orders: dict[tuple[str, str], tuple[str, ...]] = {}
        source, params = db.source("study_order", {"study_id": study_id})
        for reader, session, _, code in self._rows(
                f"SELECT reader, session, position, code FROM {source} WHERE study_id = ? "
                "ORDER BY reader, session, position", (*params, study_id)):
            self._orders[(reader, session)] = (*self._orders.get((reader, session), ()), code)
        self._db = db
        self._looks = db.has_table("read_looks")  # a store before migration 13 (opened by an older lesionlab's owner)
        #: stored times that are not times, said once each (left out of reading times and washouts)
        self.unreadable_times: list[str] = []
        #: the exam pairs :meth:`init` added from the images, one line each ("case C01: P1 E1 = CT of … + MRI of …")
        self.pairs_added: list[str] = []

    # ------------------------------------------------------------------ set-up
    @classmethod
    def init(cls, store: ReadingStore, definition: StudyDefinition, *, clock: Clock = utc_now,
             dicom: str | os.PathLike[str] | None = None, by: str = "") -> "Study":
        """Write a study into the store: definition, cases, every reader's drawn order (once).

        On PostgreSQL only the store's owner sets a study up: the store then blinds its reader and
        adjudicator roles (:mod:`annotation.store_pg_security`), a change of privileges in the same
        transaction that only the owner may make.

        ``dicom`` (the study's images): the cases' exam pairs the store lacks are added from them
        (:func:`exam_pairs_from_images`) in the study's own transaction, one edit logged under ``by`` (the
        coordinator), so a study refused leaves no pair behind and a study set up has all of its pairs. Before,
        the pairs were one edit before :meth:`init` and stayed when it was refused (another study's session
        names, the owner's grants waiting on a lock), and the log named no one ("" in its reader column).
        :attr:`pairs_added` then says which pairs, one line each."""
        if store.role_reader is not None:
            raise StudyError(f"a study is set up by the store's owner; this database role is "
                             f"{store.backend_db.role_kind} {store.role_reader}'s", where=store.where,
                             advice="run `lesionlab study init` connected as the role that created the store: "
                                    "setting a study up takes the readers' sight of names and clinical data away")
        definition.check_names_apart()
        if store.read_only:
            raise StudyError("the store is open read-only", where=store.where)
        # the refusals that need no images first: indexing a study's images takes minutes (a review)
        sid = definition.study_id
        stored = _stored(store)
        same = [s for s in stored if s.study_id == sid]
        if same and same[0].definition == definition:
            # running `study init` again is how a coordinator told "may have been set up, or not" finds out (its commit
            # got no answer: write(also=)); before, this said to give "another study_id"
            raise StudyError(f"the store already holds study {sid!r} exactly as this definition has it: it is set up, "
                             "with its cases' exam pairs and reading orders; nothing was changed", where=store.where,
                             advice="`lesionlab study status STORE` shows it")
        if same:
            raise StudyError(f"the store already holds study {sid!r}; its orders are never drawn again",
                             where=store.where, advice="give the new study another study_id")
        # a study's reads are stored under READER@SESSION (annotation.study.session_reader): a second study with a
        # reader and a session of an earlier one would open, edit and count that study's reads as its own (a
        # researcher's check: a retake's first case showed the first study's 5 lesions and 20 marks)
        # the adjudicator's consensus is stored the same way (consensus@MRI): two studies with the default
        # adjudicator and a session of the same name shared those reads (a review)
        mine = {session_reader(r, x.name) for r in (*definition.readers, definition.adjudicator)
                for x in definition.sessions}
        for other_id, other in ((s.study_id, s.definition) for s in stored):
            shared = sorted(mine & {session_reader(r, x.name) for r in (*other.readers, other.adjudicator)
                                    for x in other.sessions})
            if shared:
                raise StudyError(f"the store holds study {other_id!r}, whose reads are stored under "
                                 f"{', '.join(shared[:4])}{' …' if len(shared) > 4 else ''}: study {sid!r} would "
                                 "open and edit them as its own", where=store.where,
                                 advice="name its sessions otherwise (e.g. MRI-2, CT-2), or set it up in a store "
                                        "copied before the first study (a copy made now holds its reads too)")

        project = store.load()
        with_pairs, added = (project, []) if dicom is None else exam_pairs_from_images(project, definition, dicom)
        missing = [c.code for c in definition.cases if c.pair not in with_pairs.exam_pairs]
        if missing:
            case = definition.case(missing[0])
            raise StudyError(f"case {case.code}: exam pair {case.exam_pair_id} of patient {case.patient_id} is not "
                             f"in the store ({len(missing)} case(s) missing)", where=store.where,
                             advice="add the exam pairs to the store first: open their images in lesionlab")

        def write(db: Any) -> None:
            db.execute("INSERT INTO studies VALUES (?, ?, ?)", (sid, definition.to_json(), _iso(clock())))
            db.executemany("INSERT INTO study_cases VALUES (?, ?, ?, ?)",
                           [(sid, c.code, c.patient_id, c.exam_pair_id) for c in definition.cases])
            db.executemany("INSERT INTO study_order VALUES (?, ?, ?, ?, ?)",
                           [(sid, reader, session, i, code)
                            for (reader, session), codes in definition.reading_orders().items()
                            for i, code in enumerate(codes, start=1)])
            db.grant_roles()  # a study store now: reader roles lose names, clinical data and exam dates
        if with_pairs is project:
            _transaction(store, write, "cannot set up the study")
        else:
            try:
                store.write(diff(project, with_pairs), f"exam pairs of study {sid} from the images", by=by, also=write)
            except StoreUnreachableError as exc:
                if not store.in_doubt:
                    raise
                raise StoreUnreachableError(
                    f"study {sid} may have been set up, or not: {exc.message}", where=exc.where,
                    advice="once the database server answers, run the same `lesionlab study init` again: it sets the "
                           f"study up, or says that the store holds study {sid} exactly as defined (then it is set "
                           "up, with its exam pairs)") from None
        study = cls(store, sid, clock=clock)
        study.pairs_added = added
        return study

    # ------------------------------------------------------------------ queries
    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        return _select(self.store, sql, params)

    @property
    def study_id(self) -> str:
        return self.definition.study_id

    def order(self, reader: str, session: str) -> tuple[str, ...]:
        """The reader's stored order of a session (a reader role sees only their own)."""
        self.definition.reader_number(reader)
        self.definition.session(session)
        found = self._orders.get((reader, session))
        if found is None:
            raise StudyError(f"no reading order of {reader} in session {session} is visible here",
                             where=self.store.where, advice="connect as that reader or as the coordinator")
        return found

    def session_reads(self) -> dict[tuple[str, str, str], SessionRead]:
        """(reader, session, code) -> when it was opened and finished (what this connection may see)."""
        source, params = self.store.backend_db.source("study_reads", {"study_id": self.study_id})
        return {(r[0], r[1], r[2]): SessionRead(*r) for r in self._rows(
            f"SELECT reader, session, code, opened_at_utc, finished_at_utc FROM {source} WHERE study_id = ?",
            (*params, self.study_id))}

    def _time(self, text: object, what: str) -> _dt.datetime | None:
        """``text`` as a time; else None, and ``what`` it was is noted in :attr:`unreadable_times`."""
        t = _parse(text)
        if t is None:
            note = f"{what}: time {str(text)[:40]!r} is not a time; left out of the reading time and the washout"
            if note not in self.unreadable_times:
                self.unreadable_times.append(note)
        return t

    def _edit_times(self) -> dict[tuple[str, str, str], list[_dt.datetime]]:
        """(reader name, patient, pair) -> times of the edits of that read (unreadable ones left out and noted)."""
        out: dict[tuple[str, str, str], list[_dt.datetime]] = {}
        for seq, at, reader, patient_id, exam_pair_id in self.store.edit_times():  # no descriptions: no look
            if reader:
                t = self._time(at, f"edit {seq} of {reader} ({patient_id} / {exam_pair_id})")
                if t is not None:
                    out.setdefault((reader, patient_id, exam_pair_id), []).append(t)
        return out

    def _washout_times(self) -> dict[tuple[str, str, str], list[_dt.datetime]]:
        """:meth:`_edit_times` with the reader's looks at its finished reads (``read_looks``, the server's times on
        PostgreSQL; a look whose case is unknown, under the plain reader name and patient '', counts for all) and its
        look sequences (the last look at each patient, under (reader, patient, ''): a look rolled back or under way
        in another session, which ``read_looks`` lacks; before, the window saw it only once the next look wrote it
        down, and said "opens now" of a case the server refused): what a washout counts from besides the finishing."""
        out = {key: list(times) for key, times in self._edit_times().items()}
        if not self._looks:
            return out
        source, params = self._db.source("read_looks")
        for reader, patient, pair, at in self._rows(f"SELECT reader, patient_id, exam_pair_id, at_utc FROM {source}",
                                                    params):
            t = self._time(at, f"look of {reader} at {patient or 'a read'} / {pair or '?'}")
            if t is not None:
                out.setdefault((reader, patient, pair), []).append(t)
        for reader, patient, at in _reading(self.store, self._db.look_times):
            t = self._time(at, f"last look of {reader} at patient {patient}")
            if t is not None:
                out.setdefault((reader, patient, ""), []).append(t)
        return out

    def _read_times(self, rec: SessionRead) -> list[_dt.datetime]:
        """The opening and finishing times of a session read that are times (the others noted)."""
        what = f"{rec.reader}'s read of case {rec.code} in session {rec.session}"
        stamps = [self._time(rec.opened_at_utc, f"{what}, opened")]
        if rec.finished_at_utc is not None:
            stamps.append(self._time(rec.finished_at_utc, f"{what}, finished"))
        return [t for t in stamps if t is not None]

    def case_times(self) -> list[CaseTime]:
        """Reading time per reader, session and case (opened cases only)."""
        edits = self._edit_times()
        out = []
        for (reader, session, code), rec in sorted(self.session_reads().items()):
            times = edits.get((session_reader(reader, session), *self.definition.case(code).pair), [])
            stamps = sorted([*self._read_times(rec), *times])
            seconds = sum(min((b - a).total_seconds(), IDLE_CAP_S) for a, b in zip(stamps, stamps[1:]))
            out.append(CaseTime(reader, session, code, seconds, len(times)))
        return out

    def progress(self) -> list[Progress]:
        """Per reader (whose order is visible) and session: done, opened, to do, median reading time."""
        reads = self.session_reads()
        times = {(t.reader, t.session, t.code): t.seconds for t in self.case_times()}
        out = []
        for reader in self.definition.readers:
            for session in self.definition.sessions:
                codes = self._orders.get((reader, session.name))
                if codes is None:
                    continue
                recs = [reads.get((reader, session.name, c)) for c in codes]
                done = [c for c, r in zip(codes, recs) if r is not None and r.finished]
                spent = sorted(times[(reader, session.name, c)] for c in done)
                median = None
                if spent:
                    mid = len(spent) // 2
                    median = spent[mid] if len(spent) % 2 else (spent[mid - 1] + spent[mid]) / 2
                # to do: neither finished nor opened ("done 2, open 1, to do 1" for 3 cases counted the open one twice)
                opened = sum(r is not None and not r.finished for r in recs)
                out.append(Progress(reader, session.name, len(done), opened, len(codes) - len(done) - opened, median))
        return out

    # ------------------------------------------------------------------ washout and order
    def washout_ends(self, reader: str, session: str, code: str, *, _reads: Any = None,
                     _edits: Any = None) -> tuple[_dt.datetime | None, str]:
        """When the case may open to the reader in that session: (time, "") with time None for "at
        any time", or (None, why) while the reader has not finished the patient's session before."""
        number = self.definition.session_number(session)
        if number == 1:
            return None, ""
        before = self.definition.sessions[number - 2]
        patient = self.definition.case(code).patient_id
        reads = self.session_reads() if _reads is None else _reads
        edits = self._washout_times() if _edits is None else _edits
        last: _dt.datetime | None = None
        for c in self.definition.cases:
            if c.patient_id != patient:
                continue
            rec = reads.get((reader, before.name, c.code))
            if rec is None or not rec.finished:
                return None, (f"case {code} of session {session} opens after you finish case {c.code} of session "
                              f"{before.name} (the same patient) and a washout of "
                              f"{self.definition.session(session).washout_days} days")
            finished = self._time(rec.finished_at_utc or rec.opened_at_utc,
                                  f"{reader}'s read of case {c.code} in session {before.name}, finished")
            if finished is None:
                return None, (f"case {code} of session {session}: when you finished case {c.code} of session "
                              f"{before.name} is not readable in the store, so its washout cannot be counted; ask the "
                              "study coordinator to correct it")
            stamps = [finished, *edits.get((session_reader(reader, before.name), *c.pair), []),
                      *edits.get((reader, "", ""), []), *edits.get((reader, patient, ""), [])]
            last = max([*stamps, *([last] if last else [])])
        assert last is not None
        return last + _dt.timedelta(days=self.definition.session(session).washout_days), ""

    def waiting(self, reader: str) -> set[tuple[str, str]]:
        """(session, code) of the reader's cases that wait: for its read of the patient in the session before, or for
        the washout after it. One reading of the store's reads, edit times and looks for them all (the case list
        called :meth:`washout_ends` per case, each call reading them again)."""
        reads, edits, now = self.session_reads(), self._washout_times(), self.clock()
        out = set()
        for session in self.definition.sessions:
            for code in self._orders.get((reader, session.name), ()):
                opens, why = self.washout_ends(reader, session.name, code, _reads=reads, _edits=edits)
                if why or (opens is not None and opens > now):
                    out.add((session.name, code))
        return out

    def _available(self, reader: str, session: str, code: str, reads: Any, edits: Any) -> str:
        """"" when the reader may open the case now (washout), else why not."""
        opens, why = self.washout_ends(reader, session, code, _reads=reads, _edits=edits)
        if why:
            return why
        now = self.clock()
        if opens is not None and now < opens:
            days = self.definition.session(session).washout_days
            wait = opens - now
            return (f"case {code} of session {session} opens on {opens:%Y-%m-%d %H:%M} UTC, {days} days after your "
                    f"read of the same patient in session {self.definition.sessions[self.definition.session_number(session) - 2].name} "
                    f"(washout): {wait.days} days {wait.seconds // 3600} h to go, counted from the later of its "
                    "finishing and your last look at or edit of it")
        return ""

    def next_case(self, reader: str) -> NextCase:
        """The first case of the reader's order not finished and open to them (sessions in order)."""
        reads, edits = self.session_reads(), self._washout_times()
        waits = []
        for session in self.definition.sessions:
            codes = self.order(reader, session.name)
            for i, code in enumerate(codes, start=1):
                rec = reads.get((reader, session.name, code))
                if rec is not None and rec.finished:
                    continue
                why = self._available(reader, session.name, code, reads, edits)
                if not why:
                    return NextCase(CaseRef(reader, session.name, code, i, len(codes)), "")
                waits.append(why)
        if waits:
            return NextCase(None, f"no case opens now; the first waiting: {waits[0]}")
        return NextCase(None, f"{reader} has read every case of study {self.study_id}")

    # ------------------------------------------------------------------ reading a case
    def open_case(self, reader: str, session: str, code: str) -> CaseRead:
        """Open a case for ``reader`` in ``session``: its blinded project and a Reading that autosaves.

        Refused (StudyError) for a case out of the reader's order, a finished case when the study
        does not allow going back, a case waiting for its washout, or a reader role of another reader.
        """
        d = self.definition
        d.reader_number(reader)
        case = d.case(code)
        if self.store.role_reader is not None and self.store.role_reader != reader:
            raise StudyError(f"this connection reads as {self.store.role_reader}, not {reader}", where=self.store.where)
        codes = self.order(reader, session)
        rec = self.session_reads().get((reader, session, code))
        if rec is not None and rec.finished:
            if not d.may_go_back:
                raise StudyError(f"case {code} of session {session} is finished and study {self.study_id} does not "
                                 "let readers go back", where=reader)
        else:
            reads, edits = self.session_reads(), self._washout_times()
            why = self._available(reader, session, code, reads, edits)
            if why:
                raise StudyError(why, where=reader)
            skipped = [c for c in codes[:codes.index(code)]
                       if not ((r := reads.get((reader, session, c))) and r.finished)
                       and not self._available(reader, session, c, reads, edits)]
            if skipped:
                raise StudyError(f"case {code} comes later in your order of session {session}: "
                                 f"case {skipped[0]} is first", where=reader)
        later = self.later_session(reader, session, case.patient_id)
        if later:
            raise StudyError(f"case {code} of session {session} is closed to you: you have begun reading the same "
                             f"patient in session {later}, and your earlier read stays blinded from now on",
                             where=reader, advice="the study coordinator can reopen it if this was a mistake")
        name = session_reader(reader, session)
        return self._open(CaseRef(reader, session, code, codes.index(code) + 1, len(codes)), case, name, {name},
                          rec is None)

    def going_back_costs(self, reader: str, session: str, code: str) -> str:
        """"" or what opening the finished case again costs the reader, said before it opens: its look (a reader role
        on PostgreSQL) or an edit there starts the washout before the patient's case of the next session again.
        A reader who went back by a double-click in the case list put that case off by the whole washout, unsaid."""
        d = self.definition
        number = d.session_number(session)
        rec = self.session_reads().get((reader, session, code))
        if rec is None or not rec.finished or not d.may_go_back or number >= len(d.sessions):
            return ""
        nxt = d.sessions[number]
        if not nxt.washout_days or self.later_session(reader, session, d.case(code).patient_id):
            return ""
        opens, _ = self.washout_ends(reader, nxt.name, code)
        again = self.clock() + _dt.timedelta(days=nxt.washout_days)
        looks = self._looks and self.store.backend_db.role_kind == "reader"
        what = "Opening it again" if looks else "An edit in it"
        # the date the case opens on now, when going back moves it to another day (finished today, it said "on
        # 2026-12-18 at the earliest, not on 2026-12-18": a check under Xvfb)
        was = ("" if opens is None or opens.date() == again.date()
               else f", not on {opens:%Y-%m-%d}" if opens > self.clock() else ", not now")
        return (f"case {code} of session {session} is finished. {what} starts the {nxt.washout_days}-day washout "
                f"before your session {nxt.name} read of the same patient again: that case would open on "
                f"{again:%Y-%m-%d} at the earliest{was}.")

    def later_session(self, reader: str, session: str, patient_id: str) -> str:
        """The first later session in which ``reader`` has opened a case of the patient, or "". Their reads
        of that patient in ``session`` are then closed (on PostgreSQL the database hides them from the
        reader role: ``lesionlab_session_open``)."""
        number = self.definition.session_number(session)
        reads = self.session_reads()
        for later in self.definition.sessions[number:]:
            if any(c.patient_id == patient_id and (reader, later.name, c.code) in reads for c in self.definition.cases):
                return later.name
        return ""

    def open_adjudication(self, session: str, code: str) -> CaseRead:
        """The adjudicator's read of a case: every reader's read of it in that session (not other
        sessions'), and the consensus recorded under ``ADJUDICATOR@SESSION``. Every reader must
        have finished the case there first."""
        d = self.definition
        case = d.case(code)
        reads = self.session_reads()
        unfinished = [r for r in d.readers if not ((rec := reads.get((r, session, code))) and rec.finished)]
        if unfinished:
            raise StudyError(f"case {code} of session {session} is not finished by {', '.join(unfinished)} "
                             "(or their reads are not visible to this connection)", where=d.adjudicator)
        name = session_reader(d.adjudicator, session)
        shown = {session_reader(r, session) for r in d.readers} | {name}
        return self._open(CaseRef(d.adjudicator, session, code, 0, 0), case, name, shown,
                          (d.adjudicator, session, code) not in reads)

    def _open(self, ref: CaseRef, case: StudyCase, name: str, shown: set[str], first: bool) -> CaseRead:
        if self.store.read_only:
            raise StudyError("the store is open read-only", where=self.store.where)
        self.store.claim(name, *case.pair)
        if first:
            _transaction(self.store, lambda db: insert_rows(
                db, "study_reads", _STUDY_READS, [(self.study_id, ref.reader, ref.session, ref.code, _iso(self.clock()),
                                                   None)]), "cannot open the case")
        # the case's pair only, never the whole project: a blinded role may not read names or clinical data
        full = self.store.load_pair(case.pair)
        project = blinded_project(full, case, shown)
        lost = self._lost_marks(full, name, case)
        roles = frozenset(self.definition.session(ref.session).roles)
        holder: list[Reading] = []
        sink = StudySink(self.store, name, case, roles, lambda: holder[0].project)
        reading = Reading(project, reader=name, sink=sink)
        holder.append(reading)
        return CaseRead(ref, name, case.pair, reading, lost)

    def _lost_marks(self, full: Project, name: str, case: StudyCase) -> tuple[LostMark, ...]:
        """The count marks of read ``name`` of the case a lesionlab older than December 2026 lost to another lesion's
        of the same old id (annotation.lost_marks): among the case's pair's reads, and where the connection is no
        blinded role (a file store) the other exams' marks too, looked up by those ids. A blinded role reads no other
        case's rows (a reader role's look at a finished read restarts its washout): a mark taken by another exam's
        lesion is then not found here; `lesionlab export` of the store by its owner names it."""
        own = [les for les in full.lesions.values()
               if les.reader == name and (les.patient_id, les.exam_pair_id) == case.pair]
        marks = dict(full.count_marks)
        if not self.store.blinded and self.store.own_rows_only is None:
            db = self.store.backend_db
            wanted = {old_preplaced_mark_id(les.tracking_uid, role) for les in own
                      for role, _ in measured_unmarked(full, les)} - set(marks)

            def fetch() -> list[CountMark]:
                return [rec for i in sorted(wanted) if (rec := fetch_record(db, "count_marks", i)) is not None]

            marks.update((rec.mark_id, rec) for rec in _reading(self.store, fetch))
        return tuple(lost_count_marks(full, own, marks))

    def finish_case(self, reader: str, session: str, code: str) -> None:
        """Mark the reader's read of a case in a session finished (now)."""
        if (reader, session, code) not in self.session_reads():
            raise StudyError(f"case {code} of session {session} was never opened by {reader}", where=reader)
        _transaction(self.store, lambda db: update_rows(
            db, "study_reads", {"finished_at_utc": _iso(self.clock())},
            dict(zip(_STUDY_READS, (self.study_id, reader, session, code)))), "cannot finish the case")

    def finish(self, read: CaseRead) -> None:
        self.finish_case(read.ref.reader, read.ref.session, read.ref.code)

    # ------------------------------------------------------------------ cross-session pairs
    def confirmer(self) -> str:
        """Who a confirmation of pairs made through this connection is recorded as: the reader name of its
        database role (the adjudicator's, or a coordinator's), else (a file store, the store's owner) the study's
        adjudicator. A reader's role is refused: pairing a reader's own sessions is not the reader's to do."""
        if self.store.role_reader is None:
            return self.definition.adjudicator
        if getattr(self.store.backend_db, "role_kind", None) == "reader":
            raise StudyError(f"this database role is reader {self.store.role_reader}'s: the pairs of a reader's "
                             "lesions across sessions are the adjudicator's to confirm", where=self.store.where,
                             advice="run it connected as the study's adjudicator or coordinator")
        return self.store.role_reader

    def confirm_pairings(self, reader: str, code: str, pairs: Mapping[str, str]) -> Confirmation:
        """Confirm the pairs of ``reader``'s lesions of a case: first session's lesion id -> the second session's
        (the two first sessions), recorded under :meth:`confirmer` with the time; replaces what was confirmed
        before (the latest confirmation of a reader's case is the one used). Both session reads of the case must
        be finished (a read still open may gain lesions)."""
        d = self.definition
        d.reader_number(reader)
        case = d.case(code)
        if len(d.sessions) < 2:
            raise StudyError(f"study {self.study_id} has one session: nothing to pair", where=code)
        by = self.confirmer()
        reads = self.session_reads()
        open_ = [s.name for s in d.sessions[:2] if not ((r := reads.get((reader, s.name, code))) and r.finished)]
        if open_:
            raise StudyError(f"case {code}: {reader}'s read of session {' and '.join(open_)} is not finished: its "
                             "lesions may still change", where=code, advice="confirm the pairs once both are finished")
        project = self.store.load_pair(case.pair)
        s1, s2 = (session_reader(reader, s.name) for s in d.sessions[:2])
        for lid, name in [*((a, s1) for a in pairs), *((b, s2) for b in pairs.values())]:
            if (*case.pair, name, lid) not in project.lesions:
                have = [les.lesion_id for les in project.lesions_of(*case.pair, name)]
                raise StudyError(f"case {code}: {name} has no lesion {lid} (it has {', '.join(have) or 'none'})",
                                 where="pairs")
        if len(set(pairs.values())) != len(pairs):
            raise StudyError(f"case {code}: a lesion of {s2} is paired twice", where="pairs")
        at = _iso(self.clock())

        def write(db: Any) -> None:
            delete_rows(db, "study_pairings", dict(zip(_PAIRINGS, (self.study_id, by, reader, code))))
            insert_rows(db, "study_pairings", _PAIRINGS,
                        [(self.study_id, by, reader, code, a, b, at) for a, b in sorted(pairs.items())])
        _transaction(self.store, write, "cannot record the lesion pairs")
        return Confirmation(reader, code, dict(sorted(pairs.items())), by, at)

    def confirmations(self) -> dict[tuple[str, str], Confirmation]:
        """(reader, code) -> the latest confirmation of that reader's pairs of the case (whoever made it)."""
        rows: dict[tuple[str, str], dict[tuple[str, str], dict[str, str]]] = {}
        source, params = self.store.backend_db.source("study_pairings", {"study_id": self.study_id})
        for by, reader, code, a, b, at in self._rows(
                f"SELECT reader, paired_reader, code, first_lesion, second_lesion, at_utc FROM {source} "
                "WHERE study_id = ?", (*params, self.study_id)):
            rows.setdefault((reader, code), {}).setdefault((str(at), by), {})[a] = b
        out = {}
        for key, made in rows.items():
            (at, by), pairs = max(made.items(), key=lambda x: x[0])
            out[key] = Confirmation(*key, pairs, by, at)
        return out

    def confirmed_pairings(self) -> dict[tuple[str, str], dict[str, str]]:
        """(reader, code) -> {first session lesion id: second session lesion id} last confirmed."""
        return {key: c.pairs for key, c in self.confirmations().items()}


# ---------------------------------------------------------------------------- SQL helpers
def session_roles(store: ReadingStore) -> dict[str, tuple[Role, ...]]:
    """Every reader study's session reader names (``R1@MRI``, ``consensus@MRI``) -> the series roles that session
    shows (its read covers those only: Checks and counts ask it nothing of the others); {} without a study."""
    out: dict[str, tuple[Role, ...]] = {}
    for definition in (s.definition for s in _stored(store)):
        for session in definition.sessions:
            for reader in (*definition.readers, definition.adjudicator):
                name = session_reader(reader, session.name)
                if name in out and out[name] != session.roles:  # two studies' reads under one name (set up before
                    # `study init` refused it): whose series they cover cannot be told; asked of every series
                    out[name] = ()
                elif name not in out:
                    out[name] = session.roles
    return {name: roles for name, roles in out.items() if roles}


def _select(store: ReadingStore, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    return _reading(store, lambda: list(store.backend_db.execute(sql, params).fetchall()))


def _stored(store: ReadingStore, study_id: str | None = None) -> list[StoredStudy]:
    """The store's studies, parsed and checked (annotation.study.stored_studies)."""
    return _reading(store, lambda: stored_studies(store.backend_db, study_id))


def _reading(store: ReadingStore, read: Callable[[], T]) -> T:
    """``read()`` of the store, its driver's errors said as the store's ("cannot read the study")."""
    db = store.backend_db
    try:
        return read()
    except LesionlabError:
        raise
    except Exception as exc:
        err = db.error(exc, "cannot read the study")
        if err is not None:
            raise err from None
        raise


def _transaction(store: ReadingStore, work: Callable[[Any], Any], doing: str) -> None:
    if store.read_only:
        raise StudyError("the store is open read-only", where=store.where)
    # an edit the reader was told was not saved may be in the store (its COMMIT met a server that did not answer):
    # settled first, while the case is open; finished first, the case's take-back was refused and every next case's
    # opening failed on it
    store.settle()
    db = store.backend_db
    committing = False
    try:
        db.begin()
        work(db)
        committing = True
        db.commit()
    except BaseException as exc:
        try:
            db.rollback()
        except Exception:  # noqa: BLE001 - the original failure is what the user must see
            pass
        if isinstance(exc, LesionlabError):
            raise
        if committing and db.lost(exc):
            # the COMMIT went out, no answer came back: the server may have done it (before: "nothing was changed",
            # the default advice of a lost connection, of a study the server had set up)
            raise StoreUnreachableError(
                f"perhaps done, perhaps not ({doing.removeprefix('cannot ')}): the connection to the database was lost "
                f"at its commit ({first_line(exc)})", where=store.where,
                advice="once the server answers, look (`lesionlab study status STORE`; `study init` again says "
                       "whether the store holds the study) before doing it again") from None
        err = db.error(exc, doing)
        if err is not None:
            raise err from None
        raise


def exam_pairs_from_images(project: Project, definition: StudyDefinition, dicom: str | os.PathLike[str]
                           ) -> tuple[Project, list[str]]:
    """``project`` with the study's exam pairs it lacks added from the images under ``dicom`` (a folder, DICOMDIR or
    zip) as the workstation adds them (patient with its name and sex from the headers, the pair's studies, dates and
    series roles), and one line per pair added; nothing is written (:meth:`Study.init` writes them with the study). A
    case's ``exam_pair_id`` ``E<n>`` is the patient's n-th exam pair the browser proposes (a CT and a liver MRI less
    than 90 days apart, by date); a case whose patient or n-th pair the images do not hold is refused, naming it.
    (Before, a coordinator with only the images had no documented way to put the pairs in a new store: ``study init``
    said "open their images in lesionlab", and the workstation adds a pair only at a reader's first edit on it.)"""
    from viewer.index import index_path  # noqa: PLC0415 - pydicom loads only when images are given
    from viewer.records import READING_ROLES  # noqa: PLC0415
    from viewer.studies import group_studies, propose_pairs  # noqa: PLC0415

    missing = [c for c in definition.cases if c.pair not in project.exam_pairs]
    if not missing:
        return project, []
    patients = {p.patient_id: p for p in group_studies(index_path(Path(dicom), workers=1).stacks)}
    chosen = []
    for case in missing:
        patient = patients.get(case.patient_id)
        if patient is None:
            raise StudyError(f"case {case.code}: patient {case.patient_id} is not among the images", where=str(dicom),
                             advice="give the folder holding the study's images, or the case's patient id as the "
                                    "images have it")
        n = int(case.exam_pair_id[1:]) if re.fullmatch(r"E[1-9][0-9]*", case.exam_pair_id) else 0
        proposed = propose_pairs(patient)
        if not 1 <= n <= len(proposed):
            raise StudyError(f"case {case.code}: exam pair {case.exam_pair_id} of patient {case.patient_id} is not "
                             f"among the images ({len(proposed)} exam pair(s) proposed: E1 … E{len(proposed)}, by date)",
                             where=str(dicom), advice="name the case's exam pair E1, E2 … as `lesionlab view` lists "
                                                      "the patient's pairs, by date")
        chosen.append((case, patient, proposed[n - 1]))
    reading = Reading(project, reader="coordinator")  # no sink: the changes only, written by Study.init
    lines = []
    with reading.batch(f"exam pairs of study {definition.study_id} from the images"):
        for case, patient, pair in chosen:
            if case.patient_id not in reading.project.patients:
                sex = pair.patient_sex
                reading.add_patient(case.patient_id, name_from_images(pair.studies[0].patient_name),
                                    ClinicalRecord(sex=Sex.parse(sex)) if sex else None)
            held = {s.role for s in pair.stacks}
            reading.add_exam_pair(case.patient_id, case.exam_pair_id,
                                  series_roles=tuple(r for r in READING_ROLES if r in held),
                                  ct_study_uid=pair.ct_uid[:64], mri_study_uid=pair.mr_uid[:64],
                                  ct_date=pair.ct.study_date if pair.ct else None,
                                  mri_date=pair.mr.study_date if pair.mr else None)
            lines.append(f"case {case.code}: {case.patient_id} {case.exam_pair_id} = CT of {pair.ct.date_label if pair.ct else '-'}"
                         f" + MRI of {pair.mr.date_label if pair.mr else '-'}")
    return reading.project, lines
