"""A reader's way through a reader study in the workstation (Qt-free; the dialog is app/study_dialog.py).

:class:`StudyFlow` opens a study store as one reader, lists the reader's cases in their stored
order with what is done, and opens a case: the blinded case reading
(:meth:`annotation.study_store.Study.open_case`) becomes the reading of the window's
:class:`~app.reading_session.ReadingSession`, and ``show_case`` hangs that session's series of
the case's exam pair (the window's job: it knows the images). ``next`` finishes the open case and
opens the next one, the one key a reader needs.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from typing import Callable

from annotation.store import ReadingStore
from annotation.study_store import CaseRead, Study
from app.reading_session import ReadingSession
from viewer.errors import StudyError


@dataclass(frozen=True)
class CaseRow:
    """One line of the reader's case list."""

    session: str
    position: int
    code: str
    status: str  # done, open, next, waiting, to do
    minutes: float | None


class StudyFlow:
    """The study open in the window, for one reader; ``show_case(read)`` puts a case on screen."""

    def __init__(self, session: ReadingSession, show_case: Callable[[CaseRead, Study], None],
                 clock: Callable[[], _dt.datetime] | None = None) -> None:
        self.session = session
        self.show_case = show_case
        self.clock = clock
        self.study: Study | None = None
        self.reader = ""
        self.current: CaseRead | None = None
        #: the store the session held when the study opened (its project, not the study's: see status_parts)
        self._held: object = None

    # ------------------------------------------------------------------ opening
    def open(self, location: str, reader: str | None = None) -> Study:
        """Open a study store (path or URL) for writing as ``reader``; one study per store, else the first.
        Without ``reader``, the reader the database role is bound to (a blinded reader role's way in).

        The store this window already holds for writing at ``location`` (the study open, or its case on screen) is
        taken as it is: a second reader on the same workstation opened the study as the first finished (R1's case on
        screen, Ctrl+Shift+T as R2) and was refused with "the store is open for writing by this process (pid N) (close
        the other lesionlab window...)", N this very window (a radiologist-engineer's read, session 48). The first
        reader's case stays open and saved (every edit is) for that reader's next Ctrl+N. Another window or process
        on the store is still refused (the store's lock)."""
        held = self._holding(location)
        store = held if held is not None else ReadingStore.open(location)
        try:
            if reader is None:
                if store.role_reader is None:
                    raise StudyError("whose study read is it? this store names no reader for the connection",
                                     where=store.where, advice="Study -> Open study as reader, with your reader name")
                reader = store.role_reader
            study = Study(store, clock=self.clock) if self.clock else Study(store)
            if reader == study.definition.adjudicator:
                raise StudyError(
                    f"{reader} is the adjudicator of study {study.study_id}: the window opens a reader's cases only",
                    where=store.where,
                    advice="list a case's disagreements with `lesionlab study disagreements STORE --session S --case "
                           "CODE --dicom PATH`, confirm a reader's lesion pairs across sessions with `lesionlab study "
                           "confirm-pairings`; the consensus is recorded through the Python API "
                           "(annotation.study_store.Study.open_adjudication, annotation/README.md: Reader studies)")
            study.definition.reader_number(reader)
            if store.role_reader is not None and store.role_reader != reader:
                raise StudyError(f"this connection reads as {store.role_reader}, not {reader}", where=store.where)
        except BaseException:
            if held is None:
                store.close()
            raise
        self.close(keep=store)
        self.study, self.reader, self.current = study, reader, None
        self._held = self.session.store
        return study

    def _holding(self, location: str) -> ReadingStore | None:
        """The store this window holds for writing at ``location`` (the study's, or the session's), else None."""
        for store in (self.study.store if self.study is not None else None, self.session.store):
            if store is None or store.read_only:
                continue
            if store.path is None:
                if store.where == location:
                    return store
                continue
            try:
                if os.path.samefile(store.path, os.path.expanduser(location)):
                    return store
            except OSError:  # no such file, or a URL
                continue
        return None

    def status_parts(self) -> tuple[str, str] | None:
        """The status bar's (reader, store) while the study is open and none of its cases is on screen: the reader
        it is open as, not the reading project the session still holds (the sample reader's, named until the first
        case opened: a reader's check), else None (the session's own: its case read, once a case is open, or a
        reading project opened since, where the edits go: it was named the study's)."""
        study = self.study
        if study is None or self.session.store is not self._held or (self.current is not None
                                                                      and self.session.store is study.store):
            return None
        return f"reader: {self.reader}", f" · study {study.study_id}: no case open (Ctrl+N opens your next case) · " \
            f"{study.store.where}"

    def close(self, keep: ReadingStore | None = None) -> None:
        """The study closed; its store too unless the session took it over, or it is ``keep`` (opened again)."""
        if self.study is not None and self.session.store is not self.study.store and self.study.store is not keep:
            self.study.store.close()  # the session never took it over
        self.study, self.current = None, None

    def in_force(self) -> bool:
        """Whether a study is open and its store not replaced since a case of it was on screen (another reading
        project opened: :meth:`open_study` then says the study's store was closed). Changes nothing. The session holds
        the study's store (a case of it opened) or, before any case, the project it held when the study opened: another
        project opened before the first case ended the study's hold too (review45a: one-click stayed off there, the
        reader on their own project)."""
        store = self.session.store
        return self.study is not None and (store is self.study.store or store is self._held)

    def open_study(self) -> Study:
        """The study open, or StudyError saying why none is (none opened, or its store closed since)."""
        return self._study()

    def _study(self) -> Study:
        if self.study is None:
            raise StudyError("no study is open", advice="Study -> Open study as reader")
        # the study's store closed with the session's project: a case of it was open, or the study opened on the store
        # the window held (R2 over R1's case: _holding); Ctrl+N then said "cannot read the study (Cannot operate on a
        # closed database.) ... close other lesionlab windows" (review48)
        if self.session.store is not self.study.store and (self.current is not None or self._held is self.study.store):
            self.study = None
            raise StudyError("the study's store was closed (another reading project was opened)",
                             advice="Study -> Open study as reader")
        return self.study

    # ------------------------------------------------------------------ the case list
    def rows(self) -> list[CaseRow]:
        """The reader's cases, session by session in their order."""
        study = self._study()
        reads = study.session_reads()
        times = {(t.session, t.code): t.seconds for t in study.case_times() if t.reader == self.reader}
        nxt = study.next_case(self.reader).case
        waiting = study.waiting(self.reader)
        out = []
        for s in study.definition.sessions:
            for i, code in enumerate(study.order(self.reader, s.name), start=1):
                rec = reads.get((self.reader, s.name, code))
                if rec is not None and rec.finished:
                    status = "done"
                elif nxt is not None and (nxt.session, nxt.code) == (s.name, code):
                    status = "next" if rec is None else "open"
                elif rec is not None:
                    status = "open"
                elif (s.name, code) in waiting:
                    status = "waiting"
                else:
                    status = "to do"
                seconds = times.get((s.name, code))
                out.append(CaseRow(s.name, i, code, status, None if seconds is None else seconds / 60))
        return out

    def progress_text(self) -> str:
        study = self._study()
        parts = [f"{p.session}: {p.done} of {p.done + p.opened + p.to_do} done" for p in study.progress() if p.reader == self.reader]
        return f"study {study.study_id}, reader {self.reader} · " + " · ".join(parts)

    # ------------------------------------------------------------------ reading
    def going_back_costs(self, session: str, code: str) -> str:
        """"" or what opening that finished case again costs (:meth:`Study.going_back_costs`)."""
        return self._study().going_back_costs(self.reader, session, code)

    def open_case(self, session: str, code: str) -> CaseRead:
        study = self._study()
        read = study.open_case(self.reader, session, code)
        self.current = read
        self.session.use(study.store, read.reading)
        self.show_case(read, study)
        return read

    def finish(self) -> None:
        """Finish the open case (nothing open: nothing to do)."""
        study = self._study()
        if self.current is not None:
            ref = self.current.ref
            rec = study.session_reads().get((ref.reader, ref.session, ref.code))
            if rec is None or not rec.finished:
                study.finish(self.current)

    def next(self) -> CaseRead:
        """Finish the open case and open the reader's next one (StudyError says why none opens)."""
        study = self._study()
        self.finish()
        nxt = study.next_case(self.reader)
        if nxt.case is None:
            self.current = None
            raise StudyError(nxt.message)
        return self.open_case(nxt.case.session, nxt.case.code)
