"""The reading session: every edit of a project goes through one :class:`Reading`.

Each command builds a new immutable :class:`~annotation.project.Project`, hands the difference to
the sink (the store, which commits it in one transaction) and only then makes it current, keeps
the records it changed, as they were and became, for undo and redo (:meth:`Project.patched`), and tells
the observers. An edit the sink refuses leaves everything
as it was. Observers are plain callables (Qt panels wrap them in slots); they receive a
:class:`ReadingEvent` and read the new state from :attr:`Reading.project`.
"""

from __future__ import annotations

import contextlib
import math
import logging
import uuid
from dataclasses import dataclass, fields, replace
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol, Sequence

from annotation.clinical import ClinicalRecord, Patient
from annotation.lobes import SAME_SLICE_MM, BoundaryLine, LobeBoundary
from annotation.placement import same_image, slice_of
from annotation.project import FOLLOWUP_TABLES, Diff, Patch, Project, diff, without_pair_in_timepoints
from annotation.records import (TAKEOVER_SLICES, Alignment, CountMark, ExamPair, Lesion, Measurement, NotMeasurable,
                                NotVisible, Observation, PairKey, SeriesFlag, reading_role)
from annotation.vocab import AlignmentSource, CountStatus, CouinaudSegment, FollowupKind, FollowupStatus, Lobe
from viewer.errors import ValidationError
from viewer.model.layout import role_label
from viewer.records import READING_ROLES, ImageHeader, Role

if TYPE_CHECKING:
    from viewer.geometry import StackGeometry

log = logging.getLogger(__name__)


class Sink(Protocol):
    """Where edits are persisted; ``write`` commits a diff atomically and returns its edit number."""

    def write(self, change: Diff, description: str) -> int: ...


class EditKind(str, Enum):
    EDIT = "edit"
    UNDO = "undo"
    REDO = "redo"


#: clinical fields as an undo message names them
_FIELD_NAMES = {"ki67_percent": "Ki-67", "mitoses_per_10hpf": "mitoses", "grade_entered": "grade",
                "age_at_diagnosis_years": "age at diagnosis", "liver_metastases": "liver metastases timing",
                "treatments_no": "treatments", "treatments_unconfirmed": "treatments' no confirmed"}


def old_preplaced_mark_id(tracking_uid: str, role: Role) -> str:
    """The id a measured lesion's count mark had before session 44 (tracking UID and series alone): stores written
    then hold it, and marks of two lesions of one tracking UID took one id there (annotation.lost_marks)."""
    return uuid.uuid5(uuid.NAMESPACE_OID, f"{tracking_uid}/{role.value}").hex


@dataclass(frozen=True)
class ReadingEvent:
    """What observers receive after a change is committed."""

    kind: EditKind
    description: str
    tables: frozenset[str]  # entity tables that changed ("lesions", "count_marks", ...)
    edit_seq: int | None  # the store's edit number, None without a store


@dataclass(frozen=True)
class _Step:
    """One undo step: the records its edit changed, as they were (``before``) and became (``after``), not the two
    whole Projects (each held its own copy of every table the edit touched: 52 KiB a step on a sample patient,
    growing with the project, for hours of edits)."""

    before: Patch
    after: Patch
    description: str
    pairs: frozenset[tuple[str, str]] = frozenset()  # the exam pairs it changed (_pairs_changed)

    @classmethod
    def of(cls, old: Project, change: Diff, description: str) -> "_Step":
        """The step of an edit that made ``change`` to ``old``."""
        before: dict[str, dict[Any, Any]] = {}
        after: dict[str, dict[Any, Any]] = {}
        for table in change.tables:
            was, back, forth = getattr(old, table), before.setdefault(table, {}), after.setdefault(table, {})
            for record in change.upserts.get(table, ()):
                back[record.key], forth[record.key] = was.get(record.key), record
            for key in change.deletes.get(table, ()):
                back[key], forth[key] = was[key], None
        return cls(before, after, description, _pairs_changed(old, change))


Observer = Callable[[ReadingEvent], None]


#: The tables whose records belong to one patient, not one exam pair (the clinical record, the follow-up course).
PATIENT_TABLES = ("patients", "timepoints", "treatment_lines", "followup_baselines")
#: The tables whose records belong to one exam pair (``patient_id``, ``exam_pair_id``).
PAIR_TABLES = ("exam_pairs", "lesions", "count_marks", "series_flags", "lobe_boundaries", "lesion_followups")


def _pairs_changed(before: Project, change: Diff) -> frozenset[tuple[str, str]]:
    """The (patient, exam pair) of the exam pairs, lesions, count marks, series statuses and
    right/left boundaries one edit (``change``, from ``before``) writes or deletes."""
    out: set[tuple[str, str]] = set()
    for table in (*PAIR_TABLES, *PATIENT_TABLES):
        gone = getattr(before, table)
        for record in (*change.upserts.get(table, ()), *(gone[k] for k in change.deletes.get(table, ()))):
            # a patient's own records: (patient, "") -- any exam pair of theirs
            out.add((record.patient_id, record.exam_pair_id if table in PAIR_TABLES else ""))
    return frozenset(out)


class Reading:
    """One reader's editing session on a project, with undo/redo and observers."""

    def __init__(self, project: Project | None = None, *, reader: str, sink: Sink | None = None,
                 max_undo: int = 10_000) -> None:
        if not isinstance(reader, str) or not reader.strip():
            raise ValidationError("a reading needs a reader name", where="reader")
        self.reader = reader
        self._project = project or Project()
        self._sink = sink
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []
        self._max_undo = max_undo
        self._observers: list[Observer] = []
        self._batch_depth = 0
        self._batch_start: Project | None = None
        self._batch_description = ""
        #: the lesions (keys) with a one-click suggestion not kept yet (:attr:`Measurement.pending`): the next edit
        #: keeps it, in its own write (a project reopened after a kill: its suggestions shown "not kept yet" again)
        self._pending: set[Any] = {les.key for les in self._project.lesions.values()
                                   if les.reader == reader and les.pending_roles}
        #: the suggestions the edit being built puts (lesion key, series -> its line): pending after it
        self._fresh: dict[tuple[Any, Role], Measurement] = {}

    # ------------------------------------------------------------------ state and observers
    @property
    def project(self) -> Project:
        return self._project

    @property
    def sink(self) -> Sink | None:
        """Where each edit is committed before it becomes current (None: a reading in memory only)."""
        return self._sink

    @sink.setter
    def sink(self, sink: Sink | None) -> None:
        """Another sink, e.g. one that passes every edit to the old one and watches its refusals (the window's
        session over a study case's sink: an outage said there as for its own store)."""
        self._sink = sink

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(event)`` after every committed change; returns the unsubscribe function."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def _notify(self, event: ReadingEvent) -> None:
        for observer in list(self._observers):
            try:
                observer(event)
            except Exception:  # an observer must not undo a committed edit
                log.exception("reading observer %r failed on %s", observer, event.description)

    # ------------------------------------------------------------------ commit, undo, redo
    def _write(self, before: Project, after: Project, description: str) -> tuple[Diff, int | None]:
        change = diff(before, after)
        seq = self._sink.write(change, description) if (self._sink is not None and change) else None
        return change, seq

    def _commit(self, description: str, new: Project) -> None:
        if self._batch_depth:
            self._project = new
            return
        old, fresh, self._fresh = self._project, self._fresh, {}
        # a suggestion not kept yet is kept by the next edit, in its write: its undo steps as if kept at once (Ctrl+Z
        # after it brings back a line kept, never a suggestion the window does not show as one)
        kept_old, new = self._kept(old, self._pending), self._kept(new, self._pending, fresh)
        change, seq = self._write(old, new, description)
        if not change:
            return
        self._amend(self._pending)
        self._pending = {key for key, _ in fresh if (les := new.lesions.get(key)) is not None and les.pending_roles}
        self._project = new
        step = diff(kept_old, new)
        if step:
            self._undo.append(_Step.of(kept_old, step, description))
            del self._undo[:-self._max_undo]
            self._redo.clear()
        self._notify(ReadingEvent(EditKind.EDIT, description, change.tables, seq))

    @staticmethod
    def _kept(project: Project, keys: "set[Any] | Sequence[Any]",
              fresh: "dict[tuple[Any, Role], Measurement] | None" = None) -> Project:
        """``project`` with the suggestions not kept yet of the lesions ``keys`` kept, but those ``fresh`` (the
        edit's own)."""
        for key in keys:
            les = project.lesions.get(key)
            if les is None or not les.pending_roles:
                continue
            obs = tuple((r, o.kept() if isinstance(o, Measurement) and o.pending and (fresh or {}).get((key, r)) != o
                         else o) for r, o in les.observations)
            if obs != les.observations:
                project = project.with_record(replace(les, observations=obs))
        return project

    def _amend(self, keys: "set[Any] | Sequence[Any]") -> None:
        """The undo and redo steps' records of the lesions ``keys`` with their suggestions kept: the window said them
        kept (dashed no more), and an undo or redo must not bring back one "not kept yet" it does not show as such."""
        if not keys:
            return
        for step in (*self._undo, *self._redo):
            for patch in (step.before, step.after):
                lesions = patch.get("lesions")
                for key in keys if lesions else ():
                    rec = lesions.get(key)  # type: ignore[union-attr]
                    if rec is not None and rec.pending_roles:
                        lesions[key] = rec.kept()  # type: ignore[index]

    @property
    def pending(self) -> list[tuple[Lesion, Role]]:
        """This reader's one-click suggestions not kept yet (:attr:`Measurement.pending`), with their series."""
        return [(les, role) for key in sorted(self._pending) if (les := self._project.lesions.get(key)) is not None
                for role in les.pending_roles]

    def keep_suggestion(self, pair: PairKey, lesion_id: str, role: Role | str, description: str) -> bool:
        """The reader kept a one-click suggestion (Enter, or went on with it shown): written (``description`` in the
        edit log), no undo step of its own (Ctrl+Z takes the suggestion back, as before). False when that line is not
        a suggestion not kept yet (nothing written)."""
        if self._batch_depth:
            return False
        role = reading_role(role)
        key = (pair[0], pair[1], self.reader, lesion_id)
        les = self._project.lesions.get(key)
        m = les.observation(role) if les is not None else None
        if not isinstance(m, Measurement) or not m.pending:
            return False
        new = self._project.with_record(les.with_observation(role, m.kept()))  # type: ignore[union-attr]
        change, seq = self._write(self._project, new, description)
        self._project = new
        self._amend([key])
        if not new.lesions[key].pending_roles:
            self._pending.discard(key)
        self._notify(ReadingEvent(EditKind.EDIT, description, change.tables, seq))
        return True

    def apply(self, description: str, new: Project) -> None:
        """Commit a new project state built by a command module beside this class
        (:mod:`annotation.followup`): one edit, one undo step, written to the store first."""
        self._commit(description, new)

    @contextlib.contextmanager
    def batch(self, description: str, *, bulk: bool = False) -> Iterator["Reading"]:
        """Group several commands into one edit: one transaction, one undo step, one event.

        ``bulk``: the commands change a draft of the project in place (:meth:`Project.draft`) instead of copying
        each table they change (an SR import of N lesions copied the lesions table about 2N times); the edit
        written and the undo step are the same. A command whose failure is caught inside the batch goes in
        :meth:`savepoint`, which takes back what it wrote before failing."""
        if self._batch_depth == 0:
            self._batch_start, self._batch_description = self._project, description
            if bulk:
                self._project = self._project.draft()
        self._batch_depth += 1
        try:
            yield self
        except BaseException:
            self._batch_depth -= 1
            if self._batch_depth == 0:
                assert self._batch_start is not None
                self._project = self._batch_start
                self._fresh = {}
            raise
        self._batch_depth -= 1
        if self._batch_depth == 0:
            start, end = self._batch_start, self._project
            assert start is not None
            if end.is_draft:
                end = end.frozen()
            self._project = start
            try:
                self._commit(self._batch_description, end)
            finally:
                self._batch_start = None

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """Commands of a batch whose failure the caller catches: on an exception the batch's project goes back to
        where it was at the savepoint (a bulk batch's draft takes back what they wrote, a command failing half
        way included), and the exception goes on. Only inside a batch: outside, each command is written as it
        is made."""
        if not self._batch_depth:
            raise ValidationError("a savepoint is taken inside a batch", where="savepoint")
        saved = self._project
        mark = saved.journal_mark() if saved.is_draft else None
        try:
            yield
        except BaseException:
            if mark is not None:
                saved.rollback(mark)  # the draft's writes since the savepoint
            self._project = saved
            raise

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_description(self) -> str | None:
        return self._undo[-1].description if self._undo else None

    @property
    def redo_description(self) -> str | None:
        return self._redo[-1].description if self._redo else None

    @property
    def undo_pairs(self) -> frozenset[tuple[str, str]]:
        """The (patient, exam pair) whose reads the next undo changes (the steps are shared by every
        pair of the project: the window says when it is not the pair on screen)."""
        return self._undo[-1].pairs if self._undo else frozenset()

    @property
    def redo_pairs(self) -> frozenset[tuple[str, str]]:
        return self._redo[-1].pairs if self._redo else frozenset()

    def undo(self) -> bool:
        """Revert the last edit (persisted like any edit); False when there is nothing to undo."""
        return self._replay(self._undo, self._redo, EditKind.UNDO)

    def redo(self) -> bool:
        """Apply the last undone edit again; False when there is nothing to redo."""
        return self._replay(self._redo, self._undo, EditKind.REDO)

    def withdraw(self, description: str) -> bool:
        """Take back the last edit when it is ``description`` (a suggestion one click put, Esc), as undo does, and
        forget it: no redo brings it back, the edits before it keep their undo steps. False when the last edit is
        another (nothing done)."""
        if self._batch_depth or not self._undo or self._undo[-1].description != description:
            return False
        self._replay(self._undo, self._redo, EditKind.UNDO)
        self._redo.pop()
        return True

    def _replay(self, source: list[_Step], target: list[_Step], kind: EditKind) -> bool:
        if self._batch_depth:
            raise ValidationError(f"cannot {kind.value} inside a batch", where=kind.value)
        if not source:
            return False
        step = source[-1]
        patch = step.before if kind is EditKind.UNDO else step.after
        # a suggestion an undo or redo brings back comes back kept (the window does not show it as a suggestion)
        touched = [key for key, rec in patch.get("lesions", {}).items() if rec is not None and rec.pending_roles]
        state = self._kept(self._project.patched(patch), touched)
        change, seq = self._write(self._project, state, f"{kind.value}: {step.description}")
        self._amend(touched)
        self._pending -= set(touched)
        source.pop()
        self._project = state
        target.append(step)
        self._notify(ReadingEvent(kind, step.description, change.tables, seq))
        return True

    # ------------------------------------------------------------------ lookups that name what is missing
    def _patient(self, patient_id: str) -> Patient:
        try:
            return self._project.patients[patient_id]
        except KeyError:
            raise ValidationError(f"no patient {patient_id!r} in the project", where="patient_id") from None

    def _pair(self, pair: PairKey) -> ExamPair:
        try:
            return self._project.exam_pairs[tuple(pair)]  # type: ignore[index]
        except KeyError:
            raise ValidationError(f"no exam pair {tuple(pair)!r} in the project", where="pair") from None

    def _lesion(self, pair: PairKey, lesion_id: str) -> Lesion:
        key = (pair[0], pair[1], self.reader, lesion_id)
        try:
            return self._project.lesions[key]
        except KeyError:
            raise ValidationError(f"no lesion {lesion_id} of reader {self.reader} in {pair[1]}",
                                  where="lesion_id") from None

    def _mark(self, mark_id: str) -> CountMark:
        """This reader's count mark ``mark_id``: another reader's is never moved, relabelled or deleted
        from this read (as a lesion is looked up under this reader)."""
        m = self._project.count_marks.get(mark_id)
        if m is None or m.reader != self.reader:
            raise ValidationError(f"no count mark {mark_id!r} of reader {self.reader!r}", where="mark_id")
        return m

    # ------------------------------------------------------------------ patients and exam pairs
    def add_patient(self, patient_id: str, patient_name: str = "", clinical: ClinicalRecord | None = None) -> None:
        if patient_id in self._project.patients:
            raise ValidationError(f"patient {patient_id!r} already exists", where="patient_id")
        patient = Patient(patient_id, patient_name, clinical or ClinicalRecord())
        self._commit(f"add patient {patient_id}", self._project.with_record(patient))

    def edit_patient(self, patient_id: str, *, patient_name: str | None = None,
                     clinical: ClinicalRecord | None = None, **clinical_changes: Any) -> None:
        """Rename a patient, replace its clinical record, or change some of its fields."""
        p = self._patient(patient_id)
        record = clinical or p.clinical
        if clinical_changes:
            record = record.with_changes(**clinical_changes)
        new = Patient(p.patient_id, p.patient_name if patient_name is None else patient_name, record)
        # which fields, so that undo says what it takes back (a radiologist's check: "undone: edit patient LLSYN001"
        # after a Ki-67 typed)
        changed = list(dict.fromkeys((["name"] if new.patient_name != p.patient_name else []) + [
            _FIELD_NAMES.get(f.name, f.name.replace("_", " ")) for f in fields(ClinicalRecord)
            if getattr(new.clinical, f.name) != getattr(p.clinical, f.name)]))
        self._commit(f"edit patient {patient_id}" + (f": {', '.join(changed)}" if changed else ""),
                     self._project.with_record(new))

    def delete_patient(self, patient_id: str) -> None:
        self._patient(patient_id)
        proj = self._project
        removals: dict[str, list[Any]] = {
            "patients": [patient_id],
            "exam_pairs": [k for k in proj.exam_pairs if k[0] == patient_id],
            "lesions": [k for k in proj.lesions if k[0] == patient_id],
            "count_marks": [k for k, m in proj.count_marks.items() if m.patient_id == patient_id],
            "series_flags": [k for k in proj.series_flags if k[0] == patient_id],
            "alignments": [k for k in proj.alignments if k[0] == patient_id],
            "lobe_boundaries": [k for k in proj.lobe_boundaries if k[0] == patient_id],
            **{t: [k for k in getattr(proj, t) if k[0] == patient_id] for t in FOLLOWUP_TABLES},
        }
        self._commit(f"delete patient {patient_id}", proj.without_many(removals))

    def add_exam_pair(self, patient_id: str, exam_pair_id: str, **fields: Any) -> None:
        self._patient(patient_id)
        if (patient_id, exam_pair_id) in self._project.exam_pairs:
            raise ValidationError(f"exam pair {exam_pair_id!r} already exists for {patient_id}",
                                  where="exam_pair_id")
        pair = ExamPair(patient_id, exam_pair_id, **fields)
        self._commit(f"add exam pair {exam_pair_id}", self._project.with_record(pair))

    def edit_exam_pair(self, pair: PairKey, **changes: Any) -> None:
        """Change study UIDs or dates of a pair (its key stays)."""
        old = self._pair(pair)
        if {"patient_id", "exam_pair_id"} & changes.keys():
            raise ValidationError("an exam pair keeps its patient and id", where="changes")
        new = ExamPair(**{**old.__dict__, **changes})
        self._commit(f"edit exam pair {pair[1]}", self._project.with_record(new))

    def delete_exam_pair(self, pair: PairKey) -> None:
        self._pair(pair)
        key = tuple(pair)
        proj = self._project
        removals: dict[str, list[Any]] = {
            "exam_pairs": [key],
            "lesions": [k for k in proj.lesions if k[:2] == key],
            "count_marks": [k for k, m in proj.count_marks.items() if (m.patient_id, m.exam_pair_id) == key],
            "series_flags": [k for k in proj.series_flags if k[:2] == key],
            "lobe_boundaries": [k for k in proj.lobe_boundaries if k[:2] == key],
            "lesion_followups": [k for k in proj.lesion_followups if k[:2] == key],
        }
        self._commit(f"delete exam pair {pair[1]}", without_pair_in_timepoints(proj.without_many(removals), (pair[0], pair[1])))

    # ------------------------------------------------------------------ lesions and observations
    @staticmethod
    def _lobe_for(lobe: Lobe | str | None, segment: CouinaudSegment | str | None, lesion_id: str) -> Lobe:
        """The lobe a lesion gets: the segment implies it (vocab.CouinaudSegment); a contradiction is refused."""
        seg = CouinaudSegment.parse(segment, "segment") if segment is not None else None
        if lobe is None:
            if seg is None:
                raise ValidationError("a lesion needs a lobe or a segment", where="lobe")
            return seg.lobe
        parsed = Lobe.parse(lobe, "lobe")
        if seg is not None and seg.lobe is not parsed:
            raise ValidationError(f"segment {seg.value} lies in the {seg.lobe.value} liver, not the {parsed.value}"
                                  f" (for {lesion_id or 'the new lesion'})", where="segment",
                                  advice="change the segment or the lobe so that they agree, or clear the segment")
        return parsed

    def add_lesion(self, pair: PairKey, lobe: Lobe | str | None, segment: CouinaudSegment | str | None = None,
                   comment: str = "", tracking_uid: str = "", lesion_id: str | None = None) -> str:
        """A new lesion with the next free id (L1, L2, ...) of this reader in the pair; returns the id.

        With a segment, the lobe may be None (the segment implies it); a contradicting lobe is refused.
        ``tracking_uid``: the lesion's identity when it is already known (the same lesion at another
        timepoint, an imported SR); a new one is made otherwise. ``lesion_id``: the id to keep (the
        same lesion's id at the prior exam) when it is free in this read, else the next free one.
        """
        self._pair(pair)
        if lesion_id is None or (pair[0], pair[1], self.reader, lesion_id) in self._project.lesions:
            lesion_id = self._project.next_lesion_id(pair[0], pair[1], self.reader)
        lobe = self._lobe_for(lobe, segment, lesion_id)
        lesion = Lesion(pair[0], pair[1], self.reader, lesion_id, lobe, segment, comment,  # type: ignore[arg-type]
                        tracking_uid=tracking_uid)
        if self._project.lesion_tracked(pair[0], pair[1], self.reader, lesion.tracking_uid) is not None:
            raise ValidationError(f"tracking UID {lesion.tracking_uid} is already a lesion of this read",
                                  where="tracking_uid")
        self._commit(f"add lesion {lesion_id}", self._project.with_record(lesion))
        return lesion_id

    def edit_lesion(self, pair: PairKey, lesion_id: str, **changes: Any) -> None:
        """Change lobe, segment or comment. A new segment brings its lobe; a lobe against the segment is refused."""
        if not changes.keys() <= {"lobe", "segment", "comment"}:
            raise ValidationError(f"only lobe, segment and comment can change, not {sorted(changes)}",
                                  where="changes")
        old = self._lesion(pair, lesion_id)
        if "lobe" in changes or "segment" in changes:
            segment = changes.get("segment", old.segment)
            lobe = changes.get("lobe", None if "segment" in changes and segment is not None else old.lobe)
            changes["lobe"] = self._lobe_for(lobe, segment, lesion_id)
        new = old.with_changes(**changes)
        proj = self._project.with_record(new)
        if new.lobe is not old.lobe:  # marks pre-placed from the lesion follow its lobe
            for mark in self._project.count_marks.values():
                if self._owns(mark, new):
                    proj = proj.with_record(replace(mark, lobe=new.lobe))
        what = [f"lobe {new.lobe.value}"] if new.lobe is not old.lobe else []
        if new.segment != old.segment:
            what.append(f"segment {new.segment.value}" if new.segment is not None else "no segment")
        if new.comment != old.comment:  # its words: two comments typed read "(2×) recorded: edit lesion L1: comment"
            short = new.comment if len(new.comment) <= 40 else new.comment[:39] + "…"
            what.append(f"comment '{short}'" if new.comment else "no comment")
        self._commit(f"edit lesion {lesion_id}" + (f": {', '.join(what)}" if what else ""), proj)

    @staticmethod
    def _owns(mark: CountMark, lesion: Lesion) -> bool:
        return (mark.lesion_id == lesion.lesion_id
                and (mark.patient_id, mark.exam_pair_id, mark.reader) == lesion.key[:3])

    def delete_lesion(self, pair: PairKey, lesion_id: str) -> None:
        """Delete a lesion with its observations and the count marks pre-placed from it (marks the reader
        clicked stay, unlinked)."""
        lesion = self._lesion(pair, lesion_id)
        marks = [m for m in self._project.count_marks.values() if self._owns(m, lesion)]
        proj = self._release(self._project.without("lesions", lesion.key), lesion, marks)
        proj = proj.without_many({"lesion_followups": [lesion.key]})
        self._commit(f"delete lesion {lesion_id}", proj)

    @staticmethod
    def preplaced_mark_id(lesion: Lesion, role: Role) -> str:
        """The id of the count mark a measurement of ``lesion`` on ``role`` places (stable per lesion/series in its
        read). The patient, exam and reader are in it: made of the tracking UID and series alone, a lesion carried to
        a follow-up exam (the same tracking UID) and measured there on the same series gave its mark the baseline's id,
        which moved the baseline's mark to the follow-up: the baseline's count fell by one, unsaid (a radiologist's
        read, session 44)."""
        return uuid.uuid5(uuid.NAMESPACE_OID, f"{lesion.patient_id}/{lesion.exam_pair_id}/{lesion.reader}/"
                                              f"{lesion.tracking_uid}/{role.value}").hex

    @classmethod
    def _placed_ids(cls, lesion: Lesion, role: Role) -> frozenset[str]:
        """The ids a mark placed by ``lesion``'s measurement on ``role`` has: :meth:`preplaced_mark_id`, or the one a
        store written before it holds (tracking UID and series), so that those marks still go with their line."""
        return frozenset((cls.preplaced_mark_id(lesion, role), old_preplaced_mark_id(lesion.tracking_uid, role)))

    def _with_preplaced_mark(self, proj: Project, lesion: Lesion, role: Role, obs: Observation | None,
                             positions: Sequence[float] | None = None,
                             images: Sequence[ImageHeader] = ()) -> Project:
        """A measured lesion is counted on that series too (a mark at the line's middle, its lobe); the
        mark goes when the measurement does, unless the lesion is then said not measurable there (seen: it
        stays counted). The series' count status is left to the reader. A lesion
        whose follow-up organ is not the liver (a node, a bone lesion) places no mark; the marks the
        reader clicked and it took over stay tied to it, out of the liver counts (Project.counts)."""
        owned = [m for m in proj.marks_of_lesion(*lesion.key) if m.role is role]
        followup = proj.lesion_followups.get(lesion.key)
        if followup is not None and not followup.in_liver:
            placed_ids = self._placed_ids(lesion, role)
            return proj.without_many({"count_marks": [m.mark_id for m in owned if m.mark_id in placed_ids]})
        if isinstance(obs, NotMeasurable):
            # seen, not measurable (ill-defined): still counted where its line was (a researcher's check: Shift+V
            # on a measured lesion took its mark, the series' count fell by one and detection agreement called it
            # missed)
            return proj
        if not isinstance(obs, Measurement):
            return self._release(proj, lesion, owned)
        row, col = obs.middle
        placed_ids = self._placed_ids(lesion, role)
        if any(m.stack_key == obs.stack_key and (same_image(m, obs) or m.mark_id not in placed_ids)
               for m in owned):
            # already counted: on that slice (the reader may have moved the mark), or by the reader's own click on
            # another slice of the stack, taken over (a review: an end moved after the takeover released that click
            # and placed a mark on the line's slice, the lesion counted twice)
            return proj
        proj = self._release(proj, lesion, owned)
        clicked = self.clicked_mark_on(proj, lesion, role, obs, positions, images)
        if clicked is not None:  # the reader counted it before measuring: that mark is this lesion
            return proj.with_record(replace(clicked, lesion_id=lesion.lesion_id))
        return proj.with_record(CountMark(self.preplaced_mark_id(lesion, role), lesion.patient_id, lesion.exam_pair_id,
                                          lesion.reader, role, lesion.lobe, obs.stack_key, obs.slice_index, row, col,
                                          lesion.lesion_id, obs.sop_instance_uid, obs.frame_number))

    def with_marks_of(self, proj: Project, lesion: Lesion) -> Project:
        """``proj`` with the marks ``lesion``'s measurements place, on every series (after its organ changed)."""
        for role in READING_ROLES:
            proj = self._with_preplaced_mark(proj, lesion, role, lesion.observation(role))
        return proj

    def _release(self, proj: Project, lesion: Lesion, marks: list[CountMark]) -> Project:
        """Marks a lesion no longer stands for: the ones it placed go, the ones the reader clicked stay."""
        for m in marks:
            if m.mark_id in self._placed_ids(lesion, m.role):
                proj = proj.without("count_marks", m.mark_id)
            else:
                proj = proj.with_record(replace(m, lesion_id=""))
        return proj

    @staticmethod
    def clicked_mark_on(proj: Project, lesion: Lesion, role: Role, m: Measurement,
                        positions: Sequence[float] | None = None,
                        images: Sequence[ImageHeader] = ()) -> CountMark | None:
        """A counted click (no lesion yet) of this reader inside the lesion measured: on the measured slice,
        inside the circle whose diameter is the measured line; with the stack's slice positions (``positions``,
        mm along its normal), within :data:`TAKEOVER_SLICES` of it, inside the sphere of that diameter round the
        line's middle (a
        radiologist's check counted a lesion while scrolling, a slice above its largest section, then measured it
        there by one click: counted twice). The nearest to the line's middle. ``images``: the stack as
        loaded, whose positions those are: a mark and the line are on the images of their SOP Instance UIDs in it
        (:func:`annotation.placement.slice_of`; their stored indices count the images of the loads they were placed
        on), and a mark whose image is missing from it is taken over by no line there."""
        radius = m.diameter_mm / 2
        line_k = slice_of(m, images) if images else m.slice_index
        here = positions[line_k] if positions is not None and line_k is not None and 0 <= line_k < len(positions) \
            else None

        def dist(c: CountMark) -> float:
            k = slice_of(c, images) if images else c.slice_index
            if k is None or line_k is None:
                return math.inf
            if (k == line_k) if images else same_image(c, m):
                return m.from_middle_mm((c.row, c.col))
            if here is None or positions is None or not 0 <= k < len(positions) or abs(k - line_k) > TAKEOVER_SLICES:
                return math.inf
            return m.from_middle_mm((c.row, c.col), float(positions[k]) - float(here))

        near = [c for c in proj.marks_of_lesion(lesion.patient_id, lesion.exam_pair_id, lesion.reader, "")
                if c.role is role and c.stack_key == m.stack_key and dist(c) <= radius]
        return min(near, key=dist, default=None)

    def set_observation(self, pair: PairKey, lesion_id: str, role: Role | str, observation: Observation | None,
                        what: str | None = None, positions: Sequence[float] | None = None,
                        images: Sequence[ImageHeader] = ()) -> None:
        """Measured / not visible / not measurable on one series, or None for "not read yet"; ``what`` names
        the edit for Undo / Redo when the status's label does not (an end moved); ``positions``: the stack's
        slice positions (mm along its normal), by which a count click on another slice of the lesion measured
        becomes its mark."""
        role = reading_role(role)
        old = self._lesion(pair, lesion_id)
        new = old.with_observation(role, observation)
        before = old.observation(role)
        # what the edit did, as Undo / Redo name it ("28.4 mm line deleted", as Del said it)
        what = what or (observation.status.label if observation is not None else
                        f"{before.diameter_mm:.1f} mm line deleted" if isinstance(before, Measurement) else "status cleared")
        if observation is not None and not isinstance(observation, Measurement) and isinstance(before, Measurement):
            what += f" (replaces its {before.diameter_mm:.1f} mm line)"  # a reader's check: V took a line unsaid
        proj = self._with_preplaced_mark(self._project.with_record(new), new, role, observation, positions, images)
        proj, assessed = self._with_followup_assessed(proj, new, role, observation, before)
        self._commit(f"{lesion_id} on {role_label(role)}: {what}{assessed}", proj)

    @staticmethod
    def _with_followup_assessed(proj: Project, lesion: Lesion, role: Role, obs: Observation | None,
                                before: Observation | None = None) -> tuple[Project, str]:
        """A carried lesion *not assessed* whose line is drawn on the series it is assessed on is assessed by
        that line, in the same edit: *measured* (a target, a new lesion) or *present* (a non-target; a new lesion
        said not measurable); one said not visible there (V) is *disappeared* (a target, not a node: RECIST
        records a node's short axis) or *absent* (a non-target, a new lesion), also over the line that had
        assessed it; a line drawn on one said disappeared or
        absent is measured or present; a *measured* one whose line there is deleted is *not assessed* again (a V
        cleared leaves the status, which the reader may have set in the dock: Ctrl+Z takes a V back whole).
        Before, the follow-up dock's "Lines drawn -> measured" did it for all at once, and until then every
        response read NE (a reader's check); V on a target that had gone left it NE with a note. Returns the
        project and what the undo step adds to its name."""
        f = proj.lesion_followups.get(lesion.key)
        if f is not None and role is not f.assessed_role and f.kind is FollowupKind.NEW \
                and f.status is FollowupStatus.NOT_ASSESSED and isinstance(obs, (Measurement, NotMeasurable)) \
                and lesion.observation(f.assessed_role) is None:
            # a new lesion started (N) with the pointer on one series and first read on another: assessed there
            f = replace(f, assessed_role=role)
            proj = proj.with_record(f)
        if f is None or role is not f.assessed_role:
            return proj, ""
        gone = {FollowupStatus.DISAPPEARED, FollowupStatus.ABSENT}
        if obs is None and f.status is FollowupStatus.MEASURED:
            # its line deleted: not assessed again (a reader's check: the dock kept "measured" beside an NE row)
            now = FollowupStatus.NOT_ASSESSED
        elif isinstance(obs, Measurement) and (f.status is FollowupStatus.NOT_ASSESSED or f.status in gone) \
                and (not f.nodal or f.kind is not FollowupKind.TARGET or obs.short_axis_mm is not None):
            # a nodal target is measured by its short axis, which RECIST sums (its long axis alone said
            # "measured" beside a row that counted it not assessed: a reader's check); a new node by its line
            # (RECIST needs no size of a new lesion: a review left a new node out of the response)
            now = FollowupStatus.PRESENT if f.kind is FollowupKind.NON_TARGET else FollowupStatus.MEASURED
        elif isinstance(obs, NotVisible) and (f.status is FollowupStatus.NOT_ASSESSED or (
                isinstance(before, Measurement) and f.status in (FollowupStatus.MEASURED, FollowupStatus.PRESENT))) \
                and (f.kind is not FollowupKind.TARGET or not f.nodal):
            # V, also over the line that assessed it (a review: "measured" stayed beside an NE row); a new lesion
            # said not visible is absent (it stayed not assessed, a review)
            now = FollowupStatus.DISAPPEARED if f.kind is FollowupKind.TARGET else FollowupStatus.ABSENT
        elif isinstance(obs, NotMeasurable) and isinstance(before, Measurement) and f.status is FollowupStatus.MEASURED:
            now = FollowupStatus.NOT_ASSESSED if f.kind is not FollowupKind.NEW else FollowupStatus.PRESENT
            # its line replaced by "not measurable": no measure of it here (a new lesion is still seen: present)
        elif isinstance(obs, NotMeasurable) and f.kind is FollowupKind.NEW and f.status is FollowupStatus.NOT_ASSESSED:
            now = FollowupStatus.PRESENT  # a new lesion seen, not measurable: present (RECIST needs no size of it)
        else:
            return proj, ""
        return proj.with_record(replace(f, status=now)), f" (follow-up: {now.label})"

    def measure(self, pair: PairKey, lesion_id: str, role: Role | str, geometry: "StackGeometry", stack_key: str,
                series_instance_uid: str, slice_index: int, p1: tuple[float, float], p2: tuple[float, float],
                **provenance: Any) -> float:
        """Draw (or redraw) a lesion's diameter on a stack; returns the diameter in mm.

        ``provenance``: Measurement's optional fields (sop_instance_uid, instance_number, frame_number,
        sop_class_uid, method, method_params, p3, p4), and ``images``: the stack as loaded (volume order), on which
        a count click near the line is found (:meth:`clicked_mark_on`).
        """
        images: Sequence[ImageHeader] = provenance.pop("images", ())
        m = Measurement.from_geometry(geometry, stack_key, series_instance_uid, slice_index, p1, p2, **provenance)
        if m.pending:  # a suggestion: not kept yet after the edit that puts it
            self._fresh[((pair[0], pair[1], self.reader, lesion_id), reading_role(role))] = m
        along = getattr(geometry, "slice_projections_mm", None)
        self.set_observation(pair, lesion_id, role, m, positions=None if along is None else [float(z) for z in along],
                             images=images)
        return m.diameter_mm

    def set_short_axis(self, pair: PairKey, lesion_id: str, role: Role | str, p3: tuple[float, float],
                       p4: tuple[float, float], slice_index: int | None = None) -> float:
        """The perpendicular short axis p3-p4 of a lesion's measurement on one series (a lymph node's,
        which RECIST sums); returns it in mm. The long axis must be drawn first. ``slice_index``: the index of the
        line's image in the stack as loaded where it was edited (the record keeps its image's UID)."""
        role = reading_role(role)
        m = self._lesion(pair, lesion_id).observation(role)
        if not isinstance(m, Measurement):
            raise ValidationError(f"{lesion_id} has no longest diameter on {role_label(role)}: draw it first",
                                  where="role")
        new = replace(m, p3=p3, p4=p4, slice_index=m.slice_index if slice_index is None else slice_index)
        self.set_observation(pair, lesion_id, role, new)
        return new.short_axis_mm  # type: ignore[return-value]

    def move_endpoint(self, pair: PairKey, lesion_id: str, role: Role | str, which: int,
                      point: tuple[float, float], slice_index: int | None = None) -> float:
        """Move endpoint 1 or 2 of a measurement; returns the new diameter in mm. ``slice_index``: the index of the
        line's image in the stack as loaded where the end was moved (the record keeps its image's UID; the stored
        index counts the images of the load it was last recorded on, and a folder with a file missing shifts it)."""
        role = reading_role(role)
        m = self._lesion(pair, lesion_id).observation(role)
        if not isinstance(m, Measurement):
            raise ValidationError(f"{lesion_id} has no measurement on {role_label(role)}", where="role")
        moved = m.with_endpoint(which, point)
        if slice_index is not None:
            moved = replace(moved, slice_index=slice_index)
        # "undone: L1 on DWI b800: measured" named a drawn line, not the end moved (a reader's check)
        self.set_observation(pair, lesion_id, role, moved,
                             what=f"end moved, {m.diameter_mm:.1f} -> {moved.diameter_mm:.1f} mm")
        return moved.diameter_mm

    # ------------------------------------------------------------------ counts
    def add_count_mark(self, pair: PairKey, role: Role | str, lobe: Lobe | str, *, stack_key: str = "",
                       slice_index: int = 0, row: float = 0.0, col: float = 0.0, mark_id: str | None = None,
                       sop_instance_uid: str = "", frame_number: int | None = None) -> str:
        """Count a lesion on a series (the reader's click); returns the mark's id. ``sop_instance_uid`` (and
        ``frame_number``, 1-based, in an enhanced multi-frame file): the image clicked (image ``slice_index`` of the
        stack as loaded), by which the mark is placed on later loads.

        A series not read yet becomes "counted" in the same edit: the reader is counting it.
        """
        self._pair(pair)
        mark = CountMark(mark_id or uuid.uuid4().hex, pair[0], pair[1], self.reader, role, lobe,  # type: ignore[arg-type]
                         stack_key, slice_index, row, col, sop_instance_uid=sop_instance_uid,
                         frame_number=frame_number)
        if mark.mark_id in self._project.count_marks:
            raise ValidationError(f"count mark {mark.mark_id!r} already exists", where="mark_id")
        proj = self._project.with_record(mark)
        if proj.count_status(pair[0], pair[1], self.reader, mark.role) is CountStatus.NOT_READ:
            proj = proj.with_record(SeriesFlag(pair[0], pair[1], self.reader, mark.role, CountStatus.COUNTED))
        self._commit(f"count mark on {role_label(mark.role)} ({mark.lobe.value})", proj)
        return mark.mark_id

    def move_count_mark(self, mark_id: str, row: float, col: float, slice_index: int | None = None,
                        sop_instance_uid: str | None = None, frame_number: int | None = None) -> None:
        """Move a mark to (row, col), on image ``slice_index`` of the stack as loaded whose UID is ``sop_instance_uid``
        and frame ``frame_number`` (UID None: the image it is on, its frame kept)."""
        m = self._mark(mark_id)
        # the lesion a mark was placed from stays its lesion when moved (a review: it was untied, so the count
        # tool no longer knew the lesion it counts)
        new = replace(m, slice_index=m.slice_index if slice_index is None else slice_index, row=row, col=col,
                      sop_instance_uid=m.sop_instance_uid if sop_instance_uid is None else sop_instance_uid,
                      frame_number=m.frame_number if sop_instance_uid is None else frame_number)
        self._commit(f"move count mark on {role_label(m.role)}", self._project.with_record(new))

    def set_mark_lobe(self, mark_id: str, lobe: Lobe | str) -> None:
        """Move a counted mark to a lobe. A mark placed from a measured lesion takes its lesion's lobe
        (:meth:`edit_lesion` moves both): moved alone, counts.csv and measurements.csv disagreed (a
        reader's check: a lobe key meant for the next clicks moved it); back to its lesion's lobe it may go (a
        store written before held marks that disagree)."""
        m = self._mark(mark_id)
        owner = self._project.lesions.get((m.patient_id, m.exam_pair_id, m.reader, m.lesion_id)) if m.lesion_id else None
        if owner is not None and Lobe.parse(lobe, "lobe") is not owner.lobe:  # back to its lesion's lobe: allowed
            raise ValidationError(f"this count mark stands for {owner.lesion_id}, measured in the {owner.lobe.value} lobe: "
                                  f"it takes {owner.lesion_id}'s lobe (change the lesion's lobe to move both)",
                                  where="lobe")
        new = replace(m, lobe=Lobe.parse(lobe, "lobe"))  # validated (CountMark.__post_init__), its lesion kept
        self._commit(f"count mark on {role_label(m.role)} now {new.lobe.value}", self._project.with_record(new))

    def delete_count_mark(self, mark_id: str) -> None:
        m = self._mark(mark_id)
        self._commit(f"delete count mark on {role_label(m.role)}", self._project.without("count_marks", mark_id))

    def set_count_status(self, pair: PairKey, role: Role | str, status: CountStatus | str, reason: str = "") -> None:
        """Say where a series' count stands: counted (with whatever marks it has, 0 included), not
        countable (massive involvement, coalescent lesions), or back to not read yet."""
        self._pair(pair)
        role = reading_role(role)
        status = CountStatus.parse(status, "status")
        key = (pair[0], pair[1], self.reader, role)
        if status is CountStatus.NOT_READ:
            if key not in self._project.series_flags:
                return
            new = self._project.without("series_flags", key)
        else:
            new = self._project.with_record(SeriesFlag(pair[0], pair[1], self.reader, role, status, reason))
        n = sum(1 for m in self._project.marks_of(pair[0], pair[1], self.reader) if m.role is role)
        what = {CountStatus.COUNTED: f"counted ({n} lesion{'s' if n != 1 else ''})",
                CountStatus.NOT_COUNTABLE: "not countable", CountStatus.NOT_READ: "not read yet"}[status]
        self._commit(f"{role_label(role)} {what}", new)

    def set_uncountable(self, pair: PairKey, role: Role | str, uncountable: bool, reason: str = "") -> None:
        """Flag a series as not countable, or clear the flag (counted if it has marks, else not read yet)."""
        role = reading_role(role)
        if uncountable:
            self.set_count_status(pair, role, CountStatus.NOT_COUNTABLE, reason)
            return
        has_marks = any(m.role is role for m in self._project.marks_of(pair[0], pair[1], self.reader))
        self.set_count_status(pair, role, CountStatus.COUNTED if has_marks else CountStatus.NOT_READ)

    # ------------------------------------------------------------------ the right/left liver boundary
    def draw_boundary_line(self, pair: PairKey, frame_of_reference_uid: str, line: BoundaryLine) -> None:
        """Add (or replace, on the same slice) a line of this reader's right/left liver boundary."""
        self._pair(pair)
        key = (pair[0], pair[1], self.reader, frame_of_reference_uid)
        old = self._project.lobe_boundaries.get(key) or LobeBoundary(*key)
        self._commit(f"right/left boundary at z {line[4]:.1f} mm", self._project.with_record(old.with_line(line)))

    def erase_boundary_line(self, pair: PairKey, frame_of_reference_uid: str, z: float) -> None:
        key = (pair[0], pair[1], self.reader, frame_of_reference_uid)
        old = self._project.lobe_boundaries.get(key)
        if old is None or old.line_at(z) is None or all(abs(ln[4] - z) >= SAME_SLICE_MM for ln in old.lines):
            raise ValidationError(f"no boundary line drawn at z {z:.1f} mm", where="z")
        new = old.without_line_at(z)
        proj = self._project.with_record(new) if new.lines else self._project.without("lobe_boundaries", key)
        self._commit(f"right/left boundary at z {z:.1f} mm erased", proj)

    # ------------------------------------------------------------------ alignments
    def set_alignment(self, alignment: Alignment) -> None:
        """Keep a proposed or confirmed alignment between two frames of reference of a patient."""
        self._patient(alignment.patient_id)
        what = "confirmed" if alignment.source is AlignmentSource.CONFIRMED else "proposed"
        self._commit(f"alignment {what}", self._project.with_record(alignment))
