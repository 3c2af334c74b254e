"""The series a follow-up exam is read on, lesion by lesion, Qt-free.

At a baseline (and in the study's exam pairs) every series is read: the reading protocol measures each lesion on
all six, the sizes the study compares. At a follow-up RECIST reads each lesion on one series, the one it is assessed
on (fixed at its baseline, annotation.followup.baseline_role): what is still "to read" on a follow-up follows that
series, not the baseline's protocol (a reader's check, session 45: the lesion grid showed CT arterial as still to
read beside every lesion of a two-phase follow-up CT read on CT portal, and Enter after a line went on to it). A line
or status on another series stays welcome (Checks still lists the per-series gaps, saying the response's series is
done); it is just not asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from annotation.followup import followed_before
from annotation.project import Project
from annotation.records import PairKey
from viewer.records import Role


@dataclass(frozen=True)
class FollowupReads:
    """What a follow-up exam's lesions are to be read on: each lesion with a follow-up record on its assessed
    series (``by_lesion``); one without (its kind cleared, or carried from a baseline that had none) on the series
    the exam's other lesions are read on, else those the patient's earlier follow-up was read on (``exam``)."""

    by_lesion: Mapping[str, Role]
    exam: frozenset[Role]

    def of(self, lesion_id: str, imaged: Iterable[Role]) -> frozenset[Role]:
        """The series of ``imaged`` (those the exam holds) the lesion is to be read on: every one of them when its
        own series is not among them (a CT-assessed lesion at an MRI follow-up: the reader picks one, the Follow-up
        panel flags the change)."""
        shown = frozenset(imaged)
        own = self.by_lesion.get(lesion_id)
        wanted = shown & (frozenset({own}) if own is not None else self.exam)
        return wanted or shown


def followup_reads(project: Project, reader: str, pair: PairKey | None) -> FollowupReads | None:
    """What ``pair`` is read on as a follow-up of ``reader``'s (see :class:`FollowupReads`), or None where every
    series is read: a baseline, an exam of a patient with no follow-up recorded before it, an exam pair holding a
    CT and an MRI (the protocol's six series), no exam."""
    if pair is None or not followed_before(project, reader, pair):
        return None
    exam_pair = project.exam_pairs.get(pair)
    if exam_pair is not None and exam_pair.ct_study_uid and exam_pair.mri_study_uid:
        # a CT and an MRI: the protocol's exam pair, every series read (review46: a later CT+MRI pair of a patient
        # followed before was read on the assessed series only, the other five blanked in the grid and skipped by
        # Enter while Checks listed them: the six-series sizes the study compares would go unmeasured)
        return None
    mine = [f for f in project.lesion_followups.values() if f.patient_id == pair[0] and f.reader == reader]
    here = {f.lesion_id: f.assessed_role for f in mine if f.exam_pair_id == pair[1]}
    exam = frozenset(here.values())
    if not exam:
        when = {k[1]: (p.ct_date or p.mri_date) for k, p in project.exam_pairs.items() if k[0] == pair[0]}
        now = when.get(pair[1])
        exam = frozenset(f.assessed_role for f in mine
                         if now is not None and (d := when.get(f.exam_pair_id)) is not None and d < now)
    return FollowupReads(here, exam)
