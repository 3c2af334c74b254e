"""A case as a study reader meets it: the blinded project, and the sink that checks what a study read writes.

Blinding is the store API's, not the screen's: :func:`blinded_project` keeps the case's patient
under its study code (no name, no clinical record, no exam dates) and only the named reads of that
case (a reader's own ``READER@SESSION`` read; the adjudicator's view adds the session's other
readers). :class:`StudySink` passes a case read's edits to the store only when they stay in that
read, on the series its session shows, and touch no patient, exam pair or alignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from annotation.clinical import Patient
from annotation.lost_marks import LostMark
from annotation.project import Diff, Project
from annotation.reading import Reading
from annotation.records import ExamPair
from annotation.store import ReadingStore
from annotation.study import StudyCase
from viewer.errors import StudyError


@dataclass(frozen=True)
class CaseRef:
    """A case as a reader meets it: the study code, the session, its place in their order."""

    reader: str
    session: str
    code: str
    position: int  # 1-based in the reader's order of that session
    of: int


class StudySink:
    """Passes a case read's edits to the store after checking that a study read may write them."""

    def __init__(self, store: ReadingStore, reader_name: str, case: StudyCase, roles: frozenset[Any],
                 project: Callable[[], Project]) -> None:
        self.store, self.reader_name, self.case, self.roles, self.project = store, reader_name, case, roles, project

    def _refuse(self, what: str) -> StudyError:
        return StudyError(f"a study read of case {self.case.code} may not {what}; the edit was not saved",
                          where=self.reader_name)

    def _own(self, reader: str, patient_id: str, exam_pair_id: str) -> None:
        if (reader, patient_id, exam_pair_id) != (self.reader_name, *self.case.pair):
            raise self._refuse("change another read")

    def _role(self, role: Any) -> None:
        if role not in self.roles:
            raise self._refuse(f"record on {role.value}, which this session does not show")

    def write(self, change: Diff, description: str) -> int:
        for table in ("patients", "exam_pairs", "alignments"):
            if change.upserts.get(table) or change.deletes.get(table):
                raise self._refuse(f"change {table.replace('_', ' ')}")
        seen = self.project()
        for les in change.upserts.get("lesions", ()):
            self._own(les.reader, les.patient_id, les.exam_pair_id)
            for role, _ in les.observations:
                self._role(role)
        for rec in (*change.upserts.get("count_marks", ()), *change.upserts.get("series_flags", ())):
            self._own(rec.reader, rec.patient_id, rec.exam_pair_id)
            self._role(rec.role)
        for b in change.upserts.get("lobe_boundaries", ()):
            self._own(b.reader, b.patient_id, b.exam_pair_id)
        for table in ("lesions", "series_flags", "lobe_boundaries"):
            for key in change.deletes.get(table, ()):
                self._own(key[2], key[0], key[1])
        for mark_id in change.deletes.get("count_marks", ()):
            mark = seen.count_marks.get(mark_id)
            if mark is None:
                raise self._refuse("delete a mark it never saw")
            self._own(mark.reader, mark.patient_id, mark.exam_pair_id)
        return self.store.write(change, description)


@dataclass
class CaseRead:
    """An open case: the reading (edits autosave through the study's checks) and what it is."""

    ref: CaseRef
    reader_name: str  # the rows' reader: READER@SESSION
    pair: tuple[str, str]
    reading: Reading
    #: count marks of this read a lesionlab older than December 2026 lost (annotation.lost_marks), found as the case
    #: opened: its blinded project holds no other read's marks to find them by
    lost_marks: tuple[LostMark, ...] = ()


def blinded_project(full: Project, case: StudyCase, reader_names: Iterable[str]) -> Project:
    """What a study read shows: the case's pair under its code, only the named readers' reads of it."""
    names = set(reader_names)
    pid, eid = case.pair
    pair = full.exam_pairs.get(case.pair)
    if pair is None:
        raise StudyError(f"case {case.code}: its exam pair is not in the store (or not visible to this role)")

    def shown(rec: Any) -> bool:
        return (rec.patient_id, rec.exam_pair_id) == case.pair and rec.reader in names

    return Project(
        patients={pid: Patient(pid, case.code)},
        exam_pairs={case.pair: ExamPair(pid, eid, pair.ct_study_uid, pair.mri_study_uid, series_roles=pair.series_roles)},
        lesions={k: r for k, r in full.lesions.items() if shown(r)},
        count_marks={k: r for k, r in full.count_marks.items() if shown(r)},
        series_flags={k: r for k, r in full.series_flags.items() if shown(r)},
        alignments={k: r for k, r in full.alignments.items() if r.patient_id == pid},
        lobe_boundaries={k: r for k, r in full.lobe_boundaries.items() if shown(r)},
    )
