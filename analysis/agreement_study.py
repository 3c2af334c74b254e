"""Agreement on a reader study's store: the study's readers only, each series through the session that shows it.

A study store holds more than the study's reads: the reads of a project it was copied from (``sample``), the
adjudicator's consensus (``consensus@MRI``), reads not finished yet, and each reader's reads under one name per
session (``R1@MRI``, ``R1@CT``). Compared as they are, every name was a "reader" (a coordinator's audit: 9 readers
in a study of 3). Here, per series, the readers compared are the study's readers, each through their *finished*
read of the one session that shows that series (a series role belongs to one session), named as the study names
them (``R1``); everything else is left out and :attr:`StudyReaders.note` says what and why.

Lesions are matched across readers within a series, so within one session. Comparing series of different sessions
(MRI against CT) needs each reader's lesions paired across sessions first: ``lesionlab study reads`` does that.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

import pandas as pd

from analysis.inputs import Cohort
from annotation.project import Project
from annotation.store import ReadingStore
from annotation.store_pg_security import is_study_store
from annotation.study import session_reader
from annotation.study_store import Study
from viewer.records import READING_ROLES

ROLE_ORDER = [r.value for r in READING_ROLES]

class _ReadRecord(Protocol):
    @property
    def reader(self) -> str: ...
    @property
    def patient_id(self) -> str: ...
    @property
    def exam_pair_id(self) -> str: ...


K = TypeVar("K", bound=Hashable)
R = TypeVar("R", bound=_ReadRecord)

#: a read left out, and why (the keys of :attr:`StudyReaders.left_out`)
NOT_A_READER = "not a reader of the study"
ADJUDICATOR = "the adjudicator's consensus"
#: a study reader's read of a session the study does not have (a retake's ``R1@MRI2`` in the same store; res49: it
#: was said "not a reader of the study" of the study's own readers)
OTHER_SESSION = "a session this study does not have: another study's read"


@dataclass(frozen=True)
class StudyReaders:
    """Which reads of a study store an agreement analysis compares, and under which name."""

    study_id: str
    #: the study's readers, in the study's order
    readers: tuple[str, ...]
    #: session read name (``R1@MRI``) -> (reader, session, the series role values that session shows)
    sessions: dict[str, tuple[str, str, frozenset[str]]]
    #: (session read name, patient, exam pair) of every finished case read
    finished: frozenset[tuple[str, str, str]]
    #: (session read name, case code) of every case read opened and not finished
    unfinished: tuple[tuple[str, str], ...]
    adjudicator: str

    def keeps(self, name: str, patient_id: str, exam_pair_id: str, role: str | None = None) -> bool:
        """Is this row compared: a study reader's finished case read, on a series its session shows?"""
        found = self.sessions.get(name)
        return (found is not None and (name, patient_id, exam_pair_id) in self.finished
                and (role is None or role in found[2]))

    def project(self, project: Project) -> Project:
        """The project with the study's finished session reads only (matching sees no other reader)."""
        def kept(records: Mapping[K, R]) -> dict[K, R]:
            return {k: r for k, r in records.items() if self.keeps(r.reader, r.patient_id, r.exam_pair_id)}

        return replace(project, lesions=kept(project.lesions), count_marks=kept(project.count_marks),
                       series_flags=kept(project.series_flags), lobe_boundaries=kept(project.lobe_boundaries))

    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """A table with ``reader`` and ``series_role`` columns: the rows compared, each reader named as the study
        names them. A ``lesion_id`` becomes ``L1@MRI``: a reader's lesion ids of two sessions are two lesions."""
        if df.empty:
            return df
        keep = [self.keeps(str(n), str(p), str(e), str(r)) for n, p, e, r in
                zip(df["reader"], df["patient_id"], df["exam_pair_id"], df["series_role"])]
        out = df[keep].copy()
        sessions = out["reader"].map(lambda n: self.sessions[str(n)][1])
        if "lesion_id" in out.columns:
            out["lesion_id"] = out["lesion_id"].astype(str) + "@" + sessions
        out["reader"] = out["reader"].map(lambda n: self.sessions[str(n)][0])
        return out.reset_index(drop=True)

    def cohort(self, cohort: Cohort) -> Cohort:
        """The cohort's measurements and counts as :meth:`frame` gives them (the series comparisons' input)."""
        return replace(cohort, measurements=self.frame(cohort.measurements), counts=self.frame(cohort.counts))

    def left_out(self, names: set[str]) -> dict[str, list[str]]:
        """Why each reader name of ``names`` that is no study reader's session read is left out -> the names."""
        out: dict[str, list[str]] = {}
        for name in sorted(names - set(self.sessions)):
            reader = name.partition("@")[0]
            why = (ADJUDICATOR if reader == self.adjudicator
                   else OTHER_SESSION if "@" in name and reader in self.readers else NOT_A_READER)
            out.setdefault(why, []).append(name)
        return out

    def note(self, names: set[str], compared: tuple[str, ...]) -> str:
        """What was compared and what was left out (``names``: the store's reader names; ``compared``: the study
        readers with a finished read), for the command's output and the report's methods."""
        by_session: dict[str, list[str]] = {}
        for _, session, roles in self.sessions.values():
            by_session.setdefault(session, sorted(roles, key=ROLE_ORDER.index))
        idle = [r for r in self.readers if r not in compared]
        said = [f"study {self.study_id}: readers {', '.join(compared) or 'none'} compared"
                + (f" ({', '.join(idle)}: no finished read yet)" if idle else "")
                + ", each series through the reader's finished read of the session that shows it ("
                + "; ".join(f"{s}: {', '.join(r)}" for s, r in by_session.items()) + ")"]
        for why, who in self.left_out(names).items():
            said.append(f"left out {', '.join(who[:6])}{' …' if len(who) > 6 else ''} ({why})")
        if self.unfinished:
            shown = ", ".join(f"{name} {code}" for name, code in self.unfinished[:6])
            said.append(f"left out {len(self.unfinished)} case read(s) not finished ({shown}"
                        f"{' …' if len(self.unfinished) > 6 else ''})")
        said.append("series of different sessions are compared per lesion after `lesionlab study reads STORE "
                    "NEW.lesionlab --dicom PATH` pairs each reader's lesions across sessions")
        return "; ".join(said)


def study_readers(store: ReadingStore, study_id: str | None = None) -> StudyReaders | None:
    """The reads of the store's study an agreement compares; None when the store holds no study (and no
    ``study_id`` is asked for)."""
    if study_id is None and not is_study_store(store.backend_db):
        return None
    study = Study(store, study_id)
    d = study.definition
    sessions = {session_reader(r, s.name): (r, s.name, frozenset(role.value for role in s.roles))
                for r in d.readers for s in d.sessions}
    reads = study.session_reads()
    finished = frozenset((session_reader(r, s), *d.case(code).pair) for (r, s, code), rec in reads.items()
                         if rec.finished and r in d.readers)
    unfinished = tuple(sorted((session_reader(r, s), code) for (r, s, code), rec in reads.items()
                              if not rec.finished and r in d.readers))
    return StudyReaders(d.study_id, d.readers, sessions, finished, unfinished, d.adjudicator)
