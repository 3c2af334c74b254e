"""Count marks a store written before session 44 lost, found so that the reader is told (Qt-free).

Until session 44 a measured lesion's count mark had an id made of its tracking UID and series alone
(:func:`annotation.reading.old_preplaced_mark_id`). A lesion carried to a later exam keeps its tracking UID, so
measuring it there on the same series wrote its mark over the earlier exam's: the store kept one mark, the last
exam's, and the other exam's count on that series fell by one, unsaid (the shipped ``followup.lesionlab`` had lost 4
of its 6 CT portal marks). Lesions of two patients or readers sharing a tracking UID (a read copied, an SR imported
twice) would have met alike. The lost mark's record was replaced in the store: where the reader had put it is not
kept anywhere, so nothing is put back here; the reader is told which exams and series count one lesion less, and
counts them again.

A loss shows as: a lesion measured on a series, in the liver counts, owning no count mark there (nor a count click
inside its line: counted again since), while the mark with its old id belongs to another lesion of that tracking UID
(its measurement took the id). A mark the reader deleted by
hand leaves no such trace, unless another exam's lesion holds the old id too: then it is listed, worded as a likely
loss. A loss whose other mark has gone since (that line cleared) leaves no trace either: it cannot be told from a
deleted mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from annotation.project import Project
from annotation.reading import Reading, old_preplaced_mark_id
from annotation.records import CountMark, Lesion, Measurement
from viewer.model.layout import role_label
from viewer.records import Role


@dataclass(frozen=True)
class LostMark:
    """A lesion's count mark on a series an older store lost to another lesion's (``taken_by``: its patient, exam,
    reader and lesion id)."""

    patient_id: str
    exam_pair_id: str
    reader: str
    lesion_id: str
    role: Role
    taken_by: tuple[str, str, str, str]


def lost_count_marks(project: Project, lesions: Iterable[Lesion] | None = None,
                     marks: Mapping[str, CountMark] | None = None) -> list[LostMark]:
    """The count marks the project lost to another lesion's mark of the same old id, by patient, exam, reader, lesion
    and series (of ``lesions`` only, when given: one exam's, for Checks). ``marks``: where the old ids are looked up,
    when the project holds only part of the store (a reader study's case: its exam pair, and the marks of other exams
    the store gave by id), else the project's own."""
    marks = project.count_marks if marks is None else marks
    lost = []
    for lesion in project.lesions.values() if lesions is None else lesions:
        key = lesion.key
        for role, obs in measured_unmarked(project, lesion):
            other = marks.get(old_preplaced_mark_id(lesion.tracking_uid, role))
            if other is None or (other.patient_id, other.exam_pair_id, other.reader, other.lesion_id) == key:
                continue
            lost.append(LostMark(*key, role, (other.patient_id, other.exam_pair_id, other.reader, other.lesion_id)))
    return sorted(lost, key=lambda x: (x.patient_id, x.exam_pair_id, x.reader, x.role.value, x.lesion_id))


def measured_unmarked(project: Project, lesion: Lesion) -> list[tuple[Role, Measurement]]:
    """The series ``lesion`` is measured on and not counted on: no count mark of its own there, nor a count click on
    its line (C, since it was told). A lesion out of the liver places no mark (a node, a bone lesion)."""
    followup = project.lesion_followups.get(lesion.key)
    if followup is not None and not followup.in_liver:
        return []
    return [(role, obs) for role, obs in lesion.observations if isinstance(obs, Measurement)
            and not any(m.role is role for m in project.marks_of_lesion(*lesion.key))
            and Reading.clicked_mark_on(project, lesion, role, obs) is None]


def still_lost(project: Project, lost: Iterable[LostMark]) -> list[LostMark]:
    """Of marks found lost earlier (a study case's, when it opened), those the reader has not counted again since in
    ``project`` (the lesion still measured there, still with no mark of its own nor a count click on its line)."""
    out = []
    for x in lost:
        lesion = project.lesions.get((x.patient_id, x.exam_pair_id, x.reader, x.lesion_id))
        if lesion is not None and any(role is x.role for role, _ in measured_unmarked(project, lesion)):
            out.append(x)
    return out


def exam_label(project: Project | None, patient: str, exam: str) -> str:
    """An exam as the browser dates it: "F1 (2023-03-14)" (its id alone when the project has no date for it)."""
    rec = project.exam_pairs.get((patient, exam)) if project is not None else None
    when = (rec.ct_date or rec.mri_date) if rec is not None else None
    return f"{exam} ({when.isoformat()})" if when else exam


def lost_marks_text(lost: list[LostMark], project: Project | None = None) -> str:
    """What the reader is told: each exam (dated from ``project``) and series that counts fewer lesions than were
    measured there, with the lesions and the exam whose mark took theirs (each reader named when several are)."""
    lines = []
    readers = len({x.reader for x in lost})
    groups: dict[tuple[str, str, str, Role], list[LostMark]] = {}
    for x in lost:
        groups.setdefault((x.patient_id, x.exam_pair_id, x.reader, x.role), []).append(x)
    for (patient, exam, reader, role), xs in groups.items():
        whose = f" ({reader}'s read)" if readers > 1 else ""
        took = sorted({f"{t[0]} {exam_label(project, t[0], t[1])}" if t[0] != patient else exam_label(project, t[0], t[1])
                       for x in xs for t in [x.taken_by]})
        names = ", ".join(x.lesion_id for x in xs)
        lines.append(f"• {patient} {exam_label(project, patient, exam)}{whose}, {role_label(role)}: {names} — "
                     f"{'their marks' if len(xs) > 1 else 'its mark'} went to {', '.join(took)}")
    n = len(lost)
    return (f"This reading project was written by a lesionlab older than December 2026 and has lost {n} count mark{'s' if n > 1 else ''} of "
            "measured lesions: a lesion measured on two exams (carried to a follow-up) gave both its marks one id, "
            "and the later measurement's mark replaced the earlier one. These series count one lesion less per lesion "
            "named:\n\n" + "\n".join(lines) + "\n\nWhere each lost mark was is not kept, so none is put back: to "
            "count such a lesion again, open that exam, press C and click the lesion on that series. The lines, and "
            "the other exams' marks, are as they were. A mark you had deleted yourself there (the lesion counted by a "
            "click of yours elsewhere) is listed too: leave that one as it is.")


def lost_marks_short(lost: list[LostMark], project: Project | None = None) -> str:
    """The status bar's line: how many, on which exams (dated from ``project``) and series."""
    where = sorted({f"{x.patient_id} {exam_label(project, x.patient_id, x.exam_pair_id)} {role_label(x.role)}" for x in lost})
    n = len(lost)
    return f"{n} count mark{'s' if n > 1 else ''} lost in an older lesionlab ({'; '.join(where)}): count them again (C)"


def _series(lost: list[LostMark]) -> str:
    groups: dict[Role, list[str]] = {}
    for x in lost:
        groups.setdefault(x.role, []).append(x.lesion_id)
    return "; ".join(f"{role_label(role)}: {', '.join(ids)}" for role, ids in groups.items())


def case_lost_marks_text(lost: list[LostMark], code: str) -> str:
    """What a reader study's reader is told of their case read's lost marks (:func:`lost_marks_text` for a blinded
    read): its series and lesions only, never the exam, patient or read whose mark took theirs (another time point's
    date, another reader's read: what the study hides from them)."""
    n = len(lost)
    return (f"Your read of case {code} was written by a lesionlab older than December 2026 and has lost {n} count "
            f"mark{'s' if n > 1 else ''} of measured lesions: another lesion of the same identity took "
            f"{'their ids' if n > 1 else 'its id'}. These series count one lesion less per lesion named:\n\n"
            f"{_series(lost)}\n\nWhere each lost mark was is not kept, so none is put back: to count such a lesion "
            "again, press C and click the lesion on that series. A mark you had deleted yourself there (the lesion "
            "counted by a click of yours elsewhere) is listed too: leave that one as it is.")


def case_lost_marks_short(lost: list[LostMark]) -> str:
    """The status bar's line for a study case (:func:`lost_marks_short`, blinded): how many, on which series."""
    n = len(lost)
    return f"{n} count mark{'s' if n > 1 else ''} lost in an older lesionlab ({_series(lost)}): count them again (C)"
