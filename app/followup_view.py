"""Follow-up reading: the active series beside the same series of the patient's prior exam.

``P`` puts the active reading cell's series (the current exam, writable) beside the same role of
the latest earlier exam that has it (a read-only comparison cell), in a 1x2 layout; ``P`` again
goes back to the exam's cells (LayoutModel.restore). The prior's lines are drawn in its cell (annotation.qt.layers indexes
every exam of the patient by stack), ``]``/``[`` step lesion by lesion and both cells go to the
lesion (the prior by its tracking UID). The two exams are aligned as CT and MRI are: the reader's
confirmed alignment from the store, else a rigid registration proposed in a worker once both
volumes have loaded (applied at once, kept out of the store); ``L`` on a landmark corrects it and
keeps it. ``Shift+P`` carries the prior exam's lesions into the current one (same ids, lobes,
segments and tracking UIDs, and their follow-up kind, organ, nodal, series role and lineage with status
*not assessed*: FollowupEditor.carry_forward) in one undoable edit, so each lesion keeps one identity
over the years.
"""

from __future__ import annotations

from typing import Any, Callable

from annotation.followup import FollowupEditor
from annotation.records import Lesion
from app.alignment_job import AlignmentJob
from app.reading_commands import show_lesion, show_pending_link
from app.workstation import CellKind, WorkstationState
from viewer.errors import LesionlabError
from viewer.model.layout import back_to_exam, role_label
from viewer.model.reading import ReadingModel
from viewer.records import StackInfo
from viewer.studies import ExamPair, Patient, parse_date, prior_stack


class FollowUpCompare:
    """The prior-beside-current layout and its alignment. ``patients()`` gives the indexed patients;
    ``volume_of(key)`` a stack's loaded volume or None; ``ensure_pair()`` the project's key of the
    open exam (made at the first edit)."""

    def __init__(self, state: WorkstationState, viewer: ReadingModel, patients: Callable[[], list[Patient]],
                 volume_of: Callable[[str], Any], job: AlignmentJob) -> None:
        self.state, self.viewer, self.patients, self.volume_of = state, viewer, patients, volume_of
        self.job = job
        self.job.done.connect(self._aligned)
        self.job.failed.connect(self._failed)
        self.prior: tuple[ExamPair, StackInfo] | None = None
        self._wanted: tuple[str, str] | None = None  # (current, prior) stack keys to register once loaded
        state.changed.connect(self._state_changed)

    @property
    def active(self) -> bool:
        return self.prior is not None

    def _state_changed(self, aspect: str) -> None:
        if aspect == "pair" and self.prior is not None:  # another exam opened: the comparison ends
            self.prior = None
            self._wanted = None
            self.job.cancel()

    # ------------------------------------------------------------------ the layout
    def toggle(self) -> None:
        if self.prior is not None:
            self.back()
            return
        s, r = self.state, self.viewer
        pair = s.pair
        if pair is None:
            raise LesionlabError("open an exam first: P shows its prior exam beside it")
        cell = r.layout.active
        current = r.hanging.cells[cell].stack
        if current is None or s.cell_kind(cell) is not CellKind.READING:
            raise LesionlabError("make a reading cell of the open exam active first (its series is compared)")
        role = r.hanging.role_of(current)
        patient = next((p for p in self.patients() if p.patient_id == pair.patient_id), None)
        # the exam Shift+P carries the lesions from (:func:`_lesions_on`), not a later one without them (a
        # reader's check: P hung an unread exam with no lines while Shift+P carried the baseline's lesions,
        # and ] found them on no series; a second check: the same with an exam in between only counted)
        found = prior_stack(patient, pair, role, r.hanging.role_of,
                            prefer=lambda exam: bool(_lesions_on(s, exam))) if patient is not None else None
        if found is None:
            raise LesionlabError(f"no earlier exam of {pair.patient_id} has a {role_label(role)} series to compare")
        prior_pair, prior = found
        latest = prior_stack(patient, pair, role, r.hanging.role_of) if patient is not None else None
        skipped = (f"; {_date(*latest)} has none of your lesions"
                   if latest is not None and latest[0].label != prior_pair.label else "")
        self.prior = found
        r.hanging.assign(0, current)
        r.hanging.assign(1, prior)
        r.layout.set_grid(1, 2)
        r.activate(0)
        self._align(current, prior)
        # what to do next, short enough for the status bar at 1,500 px (a reader's check: the advice was cut)
        key = s.selection.pair
        mine = key is not None and bool(s.reading.project.lesions_of(key[0], key[1], s.reader))
        todo = "] / [ lesion by lesion" if mine or not _lesions_on(s, prior_pair) else "Shift+P carries its lesions"
        s.say(f"{role_label(role)}: {_date(pair, current)} beside the prior {_date(prior_pair, prior)}, "
              f"read-only{skipped}; {todo}, L aligns on a landmark, P back")

    def back(self) -> None:
        s, r = self.state, self.viewer
        self.prior = None
        self._wanted = None
        self.job.cancel()
        s.compare_frames = None
        if s.pair is not None:
            r.hanging.hang(s.pair.stacks)  # the pair's own stacks again (the prior's is no longer a candidate)
        r.layout.restore()
        s.say(back_to_exam(r.layout))

    # ------------------------------------------------------------------ alignment current <- prior
    def _align(self, current: StackInfo, prior: StackInfo) -> None:
        s = self.state
        fixed, moving = current.frame_of_reference_uid, prior.frame_of_reference_uid
        s.compare_frames = (fixed, moving) if fixed and moving and fixed != moving else None
        if s.compare_frames is None or s.pair is None:
            return  # one frame of reference (or unknown): linked as it is, nothing to register
        known = s.reading.project.alignment(s.pair.patient_id, fixed, moving)
        if known is not None:
            self.viewer.link.align_frames(fixed, moving, known.matrix)
            s.say("prior exam aligned as confirmed earlier")
            return
        self._wanted = (current.key, prior.key)
        self.loaded(current.key)

    def loaded(self, key: str, *_: object) -> None:
        """A stack finished loading (VolumeLoads.progress): register once both are in."""
        wanted = self._wanted
        if wanted is None or key not in wanted:
            return
        fixed, moving = self.volume_of(wanted[0]), self.volume_of(wanted[1])
        if fixed is None or moving is None or not fixed.loaded.all() or not moving.loaded.all():
            return
        self._wanted = None
        self.job.start(self.prior, fixed, moving)

    def _aligned(self, token: object, proposal: Any) -> None:
        from viewer.registration import Outcome

        s = self.state
        if token is not self.prior or s.compare_frames is None or s.pair is None:
            return
        if proposal.outcome is Outcome.REFUSED:
            s.tell(f"prior exam not aligned automatically ({proposal.reason}): align a landmark and press L")
            return
        self.viewer.link.align_frames(*s.compare_frames, proposal.matrix)
        show_pending_link(s)  # ] pressed before the alignment: the current exam's cell to the lesion too
        t = ", ".join(f"{v:+.1f}" for v in proposal.translation_mm)
        caution = " (uncertain: check a landmark)" if proposal.outcome is Outcome.UNCERTAIN else ""
        s.tell(f"prior exam aligned from the images{caution}: shift ({t}) mm, {proposal.rotation_deg:.1f}°; "
              "L on a landmark corrects and keeps it")

    def _failed(self, token: object, msg: str) -> None:
        if token is self.prior:
            self.state.tell(f"⚠ prior exam not aligned: {msg}")

    # ------------------------------------------------------------------ lesion identity over time
    def none_yet(self) -> str:
        """What ] / [ advise on an exam with no lesion of this reader: Shift+P where a prior exam holds some."""
        s = self.state
        pair = s.pair
        patient = None if pair is None else next((p for p in self.patients() if p.patient_id == pair.patient_id), None)
        if pair is not None and _earlier_lesions(s, patient, pair):
            return "Shift+P carries the prior exam's lesions, N starts a new one"
        return "N starts one"

    def carry_lesions(self) -> int:
        """The prior exam's lesions (this reader's) into the open exam with their ids, lobes, segments,
        tracking UIDs and follow-up attributes, as one undoable edit; lesions already there (same
        tracking UID) are kept."""
        s = self.state
        pair = s.pair
        if pair is None:
            raise LesionlabError("open an exam first")
        patient = next((p for p in self.patients() if p.patient_id == pair.patient_id), None)
        earlier = _earlier_lesions(s, patient, pair)
        if not earlier:
            others = sorted({r for r in _earlier_readers(s, patient, pair) if r != s.reader})
            if others:  # a second radiologist reading the follow-up: say how to go on with that read
                raise LesionlabError(
                    f"the prior exams of this patient hold the lesions of {', '.join(others)}, none of {s.reader}'s: a "
                    f"follow-up goes on in the read that holds its baseline (File -> Reader name '{others[0]}' shows it;"
                    " its first edit asks whether you correct their read, logged with your name)")
            raise LesionlabError("the prior exams of this patient have no lesion of yours to carry")
        # recording the exam, opening it, the carry and its first lesion made current: the panels redraw once (each
        # redrew four times: a radiologist's read saw the lesion grid rebuilt twice on Shift+P)
        with s.selection.held():
            reason = s.prepare()
            if reason:
                raise LesionlabError(reason)
            key = s.selection.pair
            assert key is not None
            proj = s.reading.project
            here = {les.tracking_uid: les for les in proj.lesions_of(key[0], key[1], s.reader)}
            todo = [les for les in earlier if les.tracking_uid not in here]
            editor = FollowupEditor(s.reading)
            # carried before the prior had its kinds (chosen there since, as the carry's message advised): theirs now
            kinds = [(les, here[les.tracking_uid]) for les in earlier if les.tracking_uid in here
                     and les.key in proj.lesion_followups and here[les.tracking_uid].key not in proj.lesion_followups]
            # only onto a carry made before the prior had kinds, none of whose lesions has one here: a kind the reader
            # cleared here while others have theirs came back at the next Shift+P (pressed to carry a lesion added
            # to the prior since), undoing the reader's choice in another step (a radiologist's read, session 44)
            cleared = [mine_here.lesion_id for _, mine_here in kinds]
            if any(here[les.tracking_uid].key in proj.lesion_followups for les in earlier if les.tracking_uid in here):
                kinds = []
            cleared = cleared if not kinds else []
            if kinds:
                with s.reading.batch(f"carry the follow-up of {_lesions(len(kinds))} from the prior exam"):
                    for prior, mine_here in kinds:
                        editor.carry_followup(prior.key[:2], prior.lesion_id, key, mine_here.lesion_id)
            filled = ", ".join(lesion.lesion_id for _, lesion in kinds)
            left = (f"; {', '.join(cleared)} left without a follow-up kind here (the prior's has one: choose it in "
                    "Follow-up)" if cleared else "")
            if not todo:
                s.say(f"the prior exam's follow-up kind, organ and series carried to {filled} (they had none)" if kinds
                      else "every lesion of the prior exam is already in this one" + left)
                return 0
            kept = {les.lesion_id for les in todo}
            mine = s.reading.project.lesions_of(key[0], key[1], s.reader)
            clash = [les for les in mine if les.lesion_id in kept]  # started here with N before the carry
            used = kept | {les.lesion_id for les in mine}
            moved: list[tuple[str, str]] = []
            # the carried keep their ids (the notes name lesions by them); a lesion started here before moves on, in
            # an edit of its own (in the carry's one edit the store's rows would swap a tracking UID mid-transaction)
            for les in clash:
                n = 1 + max(int(i[1:]) for i in used)
                editor.renumber(key, les.lesion_id, f"L{n}")
                used.add(f"L{n}")
                moved.append((les.lesion_id, f"L{n}"))
            with s.reading.batch(f"carry {_lesions(len(todo))} from the prior exam"):
                ids = [editor.carry_forward(les.key[:2], les.lesion_id, key, keep_id=True) for les in todo]
            s.selection.set_lesion(ids[0])
        show_lesion(s, ids[0])  # the prior cell goes to it
        kinds_came = sum((*key, s.reader, i) in s.reading.project.lesion_followups for i in ids)
        # what came with them, as it is (the status said "with their follow-up kind" of lesions that had none)
        # set here, this exam became the baseline (a radiologist's check: response NE, then none, instead of PR)
        prior_date = _record_date(s, earlier[0].key[:2])
        came = ("with their follow-up kind, organ and series" if kinds_came == len(ids) else
                f"no follow-up kind: set target / non-target on the baseline, {prior_date}, then Shift+P again"
                if kinds_came == 0 else f"{kinds_came} with their follow-up kind, organ and series")
        # short enough for the status bar at 1,500 px (a reader's check: the advice was cut)
        named = ", ".join(ids) if len(ids) <= 6 else f"{ids[0]} … {ids[-1]}"
        renamed = "; " + ", ".join(f"{a} (new here) is now {b}" for a, b in moved) if moved else ""
        renamed += f"; the follow-up of {filled} carried too" if kinds else ""
        renamed += left
        # the current lesion named (a reader's check: "] for the next" read as if none were current, and the
        # first ] skipped L1)
        s.say(f"{_lesions(len(todo))} carried from the prior exam ({named}), {came}; measure from {ids[0]} (current), "
              "] next" + renamed)
        return len(todo)


def _lesions(n: int) -> str:
    """ "1 lesion", "4 lesions" (a reader's read: "1 lesions carried from the prior exam")."""
    return f"{n} lesion{'' if n == 1 else 's'}"


def _record_date(s: WorkstationState, key: tuple[str, str]) -> str:
    """The exam ``key`` of the project as the status bar names it: its date (the CT's, else the MRI's), else its id."""
    rec = s.reading.project.exam_pairs.get(key)
    day = (rec.ct_date or rec.mri_date) if rec is not None else None
    return f"exam {day.isoformat()}" if day is not None else f"exam {key[1]}"


def _date(exam: ExamPair, stack: StackInfo | None = None) -> str:
    """An exam as the status bar names it: the date of ``stack``, the series compared (a review: an exam's
    date is its CT's, weeks before its MRI), else the exam's (its label, which names each modality's date
    and the days between them, when it has none)."""
    day = parse_date(stack.study_date) if stack is not None else None
    day = day if day is not None else exam.study_date
    return day.isoformat() if day is not None else exam.label


def _earlier_readers(s: WorkstationState, patient: Patient | None, pair: ExamPair) -> set[str]:
    """Every reader with a lesion on an earlier exam of the patient."""
    from viewer.studies import exams

    if patient is None or pair.study_date is None:
        return set()
    keys = {k for e in exams(patient) if e.study_date is not None and e.study_date < pair.study_date
            for k in _exam_keys(s, e)}
    return {les.reader for les in s.reading.project.lesions.values() if les.key[:2] in keys}


def _earlier_lesions(s: WorkstationState, patient: Patient | None, pair: ExamPair) -> list[Lesion]:
    """This reader's lesions of the latest earlier exam of the patient that has any, in id order."""
    from viewer.studies import exams

    if patient is None or pair.study_date is None:
        return []
    for exam in reversed([e for e in exams(patient) if e.study_date is not None and e.study_date < pair.study_date]):
        found = _lesions_on(s, exam)
        if found:
            return sorted(found, key=lambda les: int(les.lesion_id[1:]) if les.lesion_id[1:].isdigit() else 0)
    return []


def _exam_keys(s: WorkstationState, exam: ExamPair) -> list[tuple[str, str]]:
    """The project's exams read on ``exam``'s studies: the exam itself first, then one of its studies read alone
    (Ctrl+P: the baseline CT of a CT + MRI pair read as an exam of its own). The browser lists the pair, so a
    radiologist's check read the baseline on its CT alone, and Shift+P on each follow-up said "no lesion of yours
    to carry": the response then took every lesion of the last exam for a new one, PD."""
    exact = s.session.find_pair(exam)
    studies = {uid[:64] for uid in (exam.ct_uid, exam.mr_uid) if uid}
    alone = [key for key, rec in s.reading.project.exam_pairs.items()
             if key != exact and rec.patient_id == exam.patient_id
             and (own := {uid for uid in (rec.ct_study_uid, rec.mri_study_uid) if uid}) and own < studies]
    return ([exact] if exact is not None else []) + sorted(alone)


def _lesions_on(s: WorkstationState, exam: ExamPair) -> list[Lesion]:
    """This reader's lesions on ``exam`` (none when it is not in the reading): the exam's own, else those of the
    first of its studies read alone that has any (:func:`_exam_keys`)."""
    for key in _exam_keys(s, exam):
        found: list[Lesion] = s.reading.project.lesions_of(key[0], key[1], s.reader)
        if found:
            return found
    return []

