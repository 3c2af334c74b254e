"""Across the blinded sessions of a reader study: MRI lesion <-> CT lesion by registered position.

Within a session a reader measures each lesion on every series of that session, as today. The
sessions are separate reads (``R1@MRI``, ``R1@CT``), so a lesion's two sessions must be paired
again before the paired tests: each lesion is placed at the centre of its measurement (the first
measured series of its session, in protocol order) in patient mm through the geometry of the stack
it was drawn on, the second session's positions are brought into the first session's frame of
reference with the exam pair's alignment from the store (``alignments``: registration's proposal or
the reader's correction), and :func:`analysis.matching.match_positions` pairs them one to one
within the size tolerance. The adjudicator confirms or changes the pairs
(:meth:`annotation.study_store.Study.confirm_pairings`, ``lesionlab study confirm-pairings``); confirmed pairs
replace proposed ones, and the pairing table says who confirmed them and when.

A study store holds no alignment unless someone put one there: a blinded case hangs one modality
only, so the workstation never registers the pair, and the study sink refuses alignments. With the
images (``--dicom``), :func:`propose_missing_alignments` registers each case's CT and MRI as the
workstation does (``viewer.registration``) where the store has no alignment of the two exams, and
says so in the pairing's note ("alignment proposed from the images"); the store is not changed.

Lesions without a position (no measurement in their session, or images not given) and cases
without an alignment stay unpaired; :func:`patient_level` reports every case at patient level
(lesions per session, paired, unpaired), so those comparisons are not lost.

:func:`analysis_project` turns the study's reads into one read per study reader (paired lesions
become one lesion with the observations of both sessions, unpaired ones stay apart), which
``lesionlab agreement`` and ``lesionlab analyze`` take as they are.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from analysis.agreement_study import StudyReaders, study_readers
from analysis.matching import MatchRule, match_positions
from analysis.writers import write_csv
from annotation.project import Project
from annotation.lobes import LobeBoundary
from annotation.placement import patient_point, unplaced_reason
from annotation.records import Alignment, CountMark, Lesion, Measurement, SeriesFlag
from annotation.vocab import MeasurementMethod
from annotation.store import SUFFIX, ReadingStore
from annotation.study import StudyCase, StudyDefinition, session_reader
from annotation.study_store import Study
from viewer.errors import LesionlabError
from viewer.geometry import StackGeometry
from viewer.records import READING_ROLES, ImageHeader

Position = tuple[float, float, float]
PATIENT_LEVEL_COLUMNS = ("reader", "code", "patient_id", "exam_pair_id", "first_session", "second_session",
                         "first_lesions", "second_lesions", "paired", "first_only", "second_only", "confirmed",
                         "note", "confirmed_by")


@dataclass(frozen=True)
class PlacedStack:
    """Where a stack lies: its geometry and its frame of reference, and its images in volume order (by which a line
    is placed on its own image, :func:`annotation.placement.patient_point`; () when not known: its stored index)."""

    geometry: StackGeometry
    frame_of_reference_uid: str
    images: tuple[ImageHeader, ...] = ()


@dataclass(frozen=True)
class LesionPair:
    """One lesion of the first session and the same lesion in the second (lesion ids of each read)."""

    first_lesion: str
    second_lesion: str
    distance_mm: float | None
    confirmed: bool = False


@dataclass(frozen=True)
class CasePairing:
    """A reader's two session reads of one case, paired."""

    reader: str
    case: StudyCase
    first_session: str
    second_session: str
    pairs: tuple[LesionPair, ...]
    first_only: tuple[str, ...]
    second_only: tuple[str, ...]
    note: str = ""
    confirmed_by: str = ""  # who confirmed the pairs and when ("consensus at 2026-12-04T09:27:06.672+00:00")


def lesion_position(les: Lesion, stacks: Mapping[str, PlacedStack]) -> tuple[Position, str, float] | None:
    """(centre mm, frame UID, diameter mm) of a lesion's first measurement in protocol order placed, or None. A line
    is placed on its own image, by its SOP Instance UID (:func:`annotation.placement.patient_point`): with a file
    missing from the folder given its stored index names another image; one whose image is missing is not placed."""
    measurements = les.measurements()
    for role in READING_ROLES:
        m = measurements.get(role)
        if m is None or m.stack_key not in stacks:
            continue
        placed = stacks[m.stack_key]
        p = patient_point(m, *m.middle, placed.geometry, placed.images)
        if p is None:
            continue
        return p, placed.frame_of_reference_uid, m.diameter_mm
    return None


def _why_unplaced(les: Lesion, stacks: Mapping[str, PlacedStack]) -> str:
    """Why none of a lesion's lines given a stack was placed (its first such line's reason)."""
    for role in READING_ROLES:
        m = les.measurements().get(role)
        if m is not None and m.stack_key in stacks:
            return unplaced_reason(m, stacks[m.stack_key].images).replace("it was drawn on", "its line was drawn on")
    return "the image its line was drawn on is missing from the folder given"


def _to_frame(project: Project, patient_id: str, point: Position, source: str, target: str) -> Position | None:
    if source == target:
        return point
    forward = project.alignment(patient_id, target, source)  # moving = source, fixed = target
    if forward is not None:
        return forward.apply(point)
    backward = project.alignment(patient_id, source, target)
    return backward.apply_inverse(point) if backward is not None else None


def propose_pairing(project: Project, definition: StudyDefinition, reader: str, code: str,
                    stacks: Mapping[str, PlacedStack] | None, *, first_session: str | None = None,
                    second_session: str | None = None, rule: MatchRule = MatchRule()) -> CasePairing:
    """Pairs of a reader's lesions across two sessions of a case by registered position."""
    case = definition.case(code)
    s1 = first_session or definition.sessions[0].name
    s2 = second_session or definition.sessions[1].name
    first = project.lesions_of(*case.pair, session_reader(reader, s1))
    second = project.lesions_of(*case.pair, session_reader(reader, s2))
    notes = []
    placed: list[list[tuple[int, Position, float]]] = [[], []]
    frame = ""
    for side, lesions in enumerate((first, second)):
        for i, les in enumerate(lesions):
            where = lesion_position(les, stacks or {})
            if where is None:
                if stacks and any(m.stack_key in stacks for m in les.measurements().values()):
                    # its stack is given but not the image its line names (a review: left out unpaired, unsaid,
                    # and counted as seen in one session only)
                    notes.append(f"{les.lesion_id} of session {(s1, s2)[side]}: {_why_unplaced(les, stacks)}: "
                                 "not paired")
                continue
            point, uid, size = where
            if not frame:
                frame = uid
            moved = _to_frame(project, case.patient_id, point, uid, frame)
            if moved is None:
                notes.append(f"no alignment of frame {uid} to {frame}: lesions not paired")
                continue
            placed[side].append((i, moved, size))
    if stacks is None:
        notes.append("lesion positions need the images' geometry (give the images: --dicom PATH): lesions not paired")
    found = match_positions([(p, s) for _, p, s in placed[0]], [(p, s) for _, p, s in placed[1]], rule)
    pairs = []
    for a, b in found:
        (i, pa, _), (j, pb, _) = placed[0][a], placed[1][b]
        dist = sum((x - y) ** 2 for x, y in zip(pa, pb)) ** 0.5
        pairs.append(LesionPair(first[i].lesion_id, second[j].lesion_id, round(dist, 3)))
    paired_1 = {p.first_lesion for p in pairs}
    paired_2 = {p.second_lesion for p in pairs}
    return CasePairing(reader, case, s1, s2, tuple(pairs),
                       tuple(les.lesion_id for les in first if les.lesion_id not in paired_1),
                       tuple(les.lesion_id for les in second if les.lesion_id not in paired_2),
                       "; ".join(dict.fromkeys(notes)))


def with_confirmed(pairing: CasePairing, confirmed: Mapping[str, str], project: Project, by: str = "") -> CasePairing:
    """The pairing with the adjudicator's confirmed pairs (first lesion id -> second) instead of proposed ones;
    ``by``: who confirmed them, when."""
    if not confirmed:
        return pairing
    first = [les.lesion_id for les in project.lesions_of(*pairing.case.pair,
                                                          session_reader(pairing.reader, pairing.first_session))]
    second = [les.lesion_id for les in project.lesions_of(*pairing.case.pair,
                                                           session_reader(pairing.reader, pairing.second_session))]
    proposed = {p.first_lesion: p for p in pairing.pairs}
    pairs = tuple(LesionPair(a, b, proposed[a].distance_mm if a in proposed and proposed[a].second_lesion == b
                             else None, confirmed=True) for a, b in sorted(confirmed.items()))
    return replace(pairing, pairs=pairs, first_only=tuple(x for x in first if x not in confirmed),
                   second_only=tuple(x for x in second if x not in set(confirmed.values())), confirmed_by=by)


def patient_level(pairings: list[CasePairing]) -> pd.DataFrame:
    """One row per reader and case: lesions per session, paired, unpaired (the comparisons kept)."""
    rows = []
    for p in pairings:
        rows.append((p.reader, p.case.code, p.case.patient_id, p.case.exam_pair_id, p.first_session, p.second_session,
                     len(p.pairs) + len(p.first_only), len(p.pairs) + len(p.second_only), len(p.pairs),
                     len(p.first_only), len(p.second_only), all(x.confirmed for x in p.pairs) and bool(p.pairs),
                     p.note, p.confirmed_by))
    return pd.DataFrame(rows, columns=list(PATIENT_LEVEL_COLUMNS))


def write_pairing_table(pairings: list[CasePairing], path: Path) -> None:
    """``OUT-pairing.csv``: :func:`patient_level` through the project's one cell rule (:mod:`annotation.cells`), as
    every other table it writes: pandas' own writer let a patient id from the images such as ``=HYPERLINK(...)``
    reach the spreadsheet as a formula."""
    write_csv(patient_level(pairings), path)


def analysis_project(project: Project, definition: StudyDefinition, pairings: list[CasePairing]) -> Project:
    """One read per study reader: each pair of lesions one lesion with both sessions' observations.

    Lesions are numbered again per reader and case (paired ones first, in first-session order, then
    the first session's unpaired ones, then the second's); count marks follow their lesion; series
    flags and lobe boundaries move to the reader's name. Other reads in the store are left out.
    """
    by_read = {(p.reader, p.case.code): p for p in pairings}
    lesions: list[Lesion] = []
    marks: list[CountMark] = []
    flags: list[SeriesFlag] = []
    bounds: list[LobeBoundary] = []
    for case in definition.cases:
        for reader in definition.readers:
            names = {session_reader(reader, s.name): s.name for s in definition.sessions}
            own = {les.key: les for les in project.lesions.values()
                   if les.key[:2] == case.pair and les.reader in names}
            pairing = by_read.get((reader, case.code))
            groups: list[list[Lesion]] = []
            used = set()
            if pairing is not None:
                r1, r2 = session_reader(reader, pairing.first_session), session_reader(reader, pairing.second_session)
                for pr in pairing.pairs:
                    a, b = own[(*case.pair, r1, pr.first_lesion)], own[(*case.pair, r2, pr.second_lesion)]
                    groups.append([a, b])
                    used |= {a.key, b.key}
            for s in definition.sessions:
                name = session_reader(reader, s.name)
                rest = sorted((les for les in own.values() if les.reader == name and les.key not in used),
                              key=lambda les: les.number)
                groups += [[les] for les in rest]
            new_id: dict[tuple[str, ...], str] = {}
            for n, group in enumerate(groups, start=1):
                head = group[0]
                obs = tuple(o for les in group for o in les.observations)
                lesions.append(replace(head, reader=reader, lesion_id=f"L{n}", observations=obs))
                for les in group:
                    new_id[les.key] = f"L{n}"
            for mk in project.count_marks.values():
                if (mk.patient_id, mk.exam_pair_id) == case.pair and mk.reader in names:
                    lid = new_id.get((*case.pair, mk.reader, mk.lesion_id), "") if mk.lesion_id else ""
                    marks.append(replace(mk, reader=reader, lesion_id=lid))
            flags += [replace(f, reader=reader) for f in project.series_flags.values()
                      if f.key[:2] == case.pair and f.reader in names]
            seen_frames = set()
            for bound in sorted(project.lobe_boundaries.values(), key=lambda x: x.key):
                if bound.key[:2] == case.pair and bound.reader in names and bound.key[3] not in seen_frames:
                    seen_frames.add(bound.key[3])
                    bounds.append(replace(bound, reader=reader))
    patients = {c.patient_id for c in definition.cases}
    pairs = {c.pair for c in definition.cases}
    return Project(patients={k: v for k, v in project.patients.items() if k in patients},
                   exam_pairs={k: v for k, v in project.exam_pairs.items() if k in pairs},
                   lesions={r.key: r for r in lesions}, count_marks={r.key: r for r in marks},
                   series_flags={r.key: r for r in flags},
                   alignments={k: v for k, v in project.alignments.items() if v.patient_id in patients},
                   lobe_boundaries={r.key: r for r in bounds})


def placed_stacks(dicom: str | os.PathLike[str]) -> dict[str, PlacedStack]:
    """Every loadable stack under a folder, DICOMDIR or zip, placed (geometry and frame)."""
    from analysis.agreement_store import stack_places  # noqa: PLC0415 - indexes the DICOM

    return {key: PlacedStack(*place) for key, place in stack_places(dicom, workers=1).items()}


#: :func:`propose_missing_alignments`' note of a case whose CT or MRI the images given do not hold
IMAGES_MISSING = "the exam pair's CT or MRI is not among the images given: no alignment proposed"


def propose_missing_alignments(project: Project, definition: StudyDefinition, dicom: str | os.PathLike[str]
                               ) -> tuple[Project, dict[tuple[str, str], str]]:
    """The project with a registration's proposal for each study case whose CT and MRI the store holds
    no alignment of (in either direction), from the images under ``dicom``; and per case pair a note
    saying what was done (proposed, refused, images missing). The store is not changed."""
    from viewer.index import index_path  # noqa: PLC0415 - pydicom and SimpleITK load only when images are given
    from viewer.loader import VolumeLoader  # noqa: PLC0415
    from viewer.registration import Outcome, propose_alignment  # noqa: PLC0415
    from viewer.registration.choice import registration_stack  # noqa: PLC0415

    by_study: dict[str, list] = {}  # type: ignore[type-arg]
    for stack in index_path(Path(dicom), workers=1).stacks:
        by_study.setdefault(stack.study_instance_uid, []).append(stack)
    alignments = dict(project.alignments)
    notes: dict[tuple[str, str], str] = {}
    for case in definition.cases:
        pair = project.exam_pairs.get(case.pair)
        if pair is None:
            continue
        ct = registration_stack(by_study.get(pair.ct_study_uid, ()))
        mr = registration_stack(by_study.get(pair.mri_study_uid, ()))
        if ct is None or mr is None:
            notes[case.pair] = IMAGES_MISSING
            continue
        fixed, moving = ct.frame_of_reference_uid, mr.frame_of_reference_uid
        if not fixed or not moving or fixed == moving or (case.patient_id, fixed, moving) in alignments \
                or (case.patient_id, moving, fixed) in alignments:
            continue
        try:
            proposal = propose_alignment(VolumeLoader(ct).load(), VolumeLoader(mr).load())
        except LesionlabError as exc:
            notes[case.pair] = f"no alignment proposed from the images: {exc}"
            continue
        if proposal is None or proposal.outcome is Outcome.REFUSED:
            reason = proposal.reason if proposal is not None else "cancelled"
            notes[case.pair] = f"registration refused the exam pair ({reason}): no alignment"
            continue
        alignments[(case.patient_id, fixed, moving)] = Alignment(case.patient_id, fixed, moving, proposal.matrix,
                                                                 note=proposal.summary())
        notes[case.pair] = (f"alignment proposed from the images ({proposal.outcome.value}, not confirmed: "
                            "a reader's landmark link in the workstation confirms it)")
    return replace(project, alignments=alignments), notes


def study_pairings(project: Project, study: Study, stacks: Mapping[str, PlacedStack] | None,
                   alignment_notes: Mapping[tuple[str, str], str] | None = None) -> list[CasePairing]:
    """Every reader's case pairing (first two sessions), the adjudicator's confirmed pairs where given;
    ``alignment_notes`` (of :func:`propose_missing_alignments`) lead each case's note."""
    d = study.definition
    if len(d.sessions) < 2:
        return []
    confirmed = study.confirmations()
    out = []
    for case in d.cases:
        for reader in d.readers:
            proposed = propose_pairing(project, d, reader, case.code, stacks)
            extra = (alignment_notes or {}).get(case.pair, "")
            if extra:
                proposed = replace(proposed, note="; ".join(n for n in (extra, proposed.note) if n))
            made = confirmed.get((reader, case.code))
            if made is not None and not _lesions_present(project, proposed, made.pairs):
                # a confirmation of a read left out of ``project`` (not finished, as analyze leaves it): the
                # confirmed lesions are not there to pair
                made = None
            out.append(with_confirmed(proposed, made.pairs, project, f"{made.by} at {made.at_utc}") if made
                       else proposed)
    return out


def _lesions_present(project: Project, pairing: CasePairing, confirmed: Mapping[str, str]) -> bool:
    """Whether every lesion of a confirmation is in ``project`` (both session reads of the reader's case)."""
    first = (*pairing.case.pair, session_reader(pairing.reader, pairing.first_session))
    second = (*pairing.case.pair, session_reader(pairing.reader, pairing.second_session))
    return all((*first, a) in project.lesions and (*second, b) in project.lesions for a, b in confirmed.items())


#: the statuses of a study reader's case read in :attr:`JoinedReads.reads` (and analyze's ``study_reads.csv``)
READ_FINISHED, READ_NOT_FINISHED, READ_NOT_OPENED = "finished", "not finished", "not opened"


@dataclass(frozen=True)
class JoinedReads:
    """A reader study's reads as one read per study reader (:func:`analysis_project`), and what was joined."""

    study_id: str
    project: Project
    pairings: tuple[CasePairing, ...]
    #: which of the store's reads the join left out, and which case reads it holds unfinished
    readers: StudyReaders
    #: the store's reader names (of lesions, marks and series flags)
    names: frozenset[str]
    dicom_given: bool
    #: whether the case reads not finished are in (as `study reads` takes them), else left out (as `agreement`)
    unfinished_in: bool = True
    #: (reader, session, case code, status) of every study reader's case read of the study, in the study's order
    reads: tuple[tuple[str, str, str, str], ...] = ()
    #: the study's case codes, and those whose CT or MRI the images given do not hold (:data:`IMAGES_MISSING`)
    cases: tuple[str, ...] = ()
    cases_without_images: tuple[str, ...] = ()
    #: the study definition's one_click: whether its readers were offered one-click diameters
    one_click: bool = False

    def note(self) -> str:
        """What ``lesionlab analyze`` of the study's store analysed, for its output and the report's notes."""
        paired = sum(len(p.pairs) for p in self.pairings)
        confirmed = sum(len(p.pairs) for p in self.pairings if p.confirmed_by)
        unpaired = sum(len(p.first_only) + len(p.second_only) for p in self.pairings)
        sessions = dict.fromkeys(s for _, s, _ in self.readers.sessions.values())
        said = [f"study {self.study_id}: one read per study reader ({', '.join(self.readers.readers)}), each "
                f"reader's sessions ({', '.join(sessions)}) joined as `lesionlab study reads` joins "
                f"them: {paired} lesion(s) paired across sessions"
                + (f" ({confirmed} confirmed by the adjudicator)" if confirmed else "")
                + f", {unpaired} unpaired"]
        if not self.dicom_given and unpaired and not paired:
            said.append("without --dicom PATH (the study's images) no lesion is paired across sessions: the "
                        "diameters of a series of one session against a series of another pair none (the counts "
                        "pair by exam pair)")
        for why, who in self.readers.left_out(set(self.names)).items():
            said.append(f"left out {', '.join(who[:6])}{' …' if len(who) > 6 else ''} ({why})")
        if self.readers.unfinished:
            shown = ", ".join(f"{name} {code}" for name, code in self.readers.unfinished[:6])
            shown += " …" if len(self.readers.unfinished) > 6 else ""
            if self.unfinished_in:
                said.append(f"{len(self.readers.unfinished)} case read(s) not finished are in, as `study reads` "
                            f"takes them ({shown})")
            else:
                said.append(f"left out {len(self.readers.unfinished)} case read(s) not finished ({shown}), as "
                            "`agreement` leaves them out (--include-unfinished takes them in)")
        return "; ".join(said)

    def images_said(self, dicom: str | os.PathLike[str] | None) -> str:
        """Which images paired the lesions across sessions, for the report's methods and the summary: a folder
        that holds none of the study's cases (another study's, a researcher's wrong choice in the window) paired
        none, and was said to have paired them."""
        if dicom is None:
            return ("No image folder was given: no lesion of one session was paired with one of another (the counts "
                    "pair by exam pair).")
        missing = self.cases_without_images
        if missing and len(missing) == len(self.cases):
            return (f"The images in {dicom} hold the CT and MRI of none of the study's {len(self.cases)} case(s): no "
                    "lesion of one session was paired with one of another (the counts pair by exam pair).")
        said = f"Lesions were paired across sessions by position from the images in {dicom}"
        if missing:
            shown = ", ".join(missing[:6]) + (" …" if len(missing) > 6 else "")
            said += (f", which lack the CT or MRI of {len(missing)} of the study's {len(self.cases)} case(s) "
                     f"({shown}): a lesion measured on images not there was not paired")
        return said + "."

    def reads_table(self) -> pd.DataFrame:
        """One row per study reader's case read: ``reader, session, case, status, analysed`` (``status``
        finished, not finished or not opened; ``analysed`` yes or no), for analyze's ``study_reads.csv``."""
        rows = [(reader, session, code, status,
                 "yes" if status == READ_FINISHED or (status == READ_NOT_FINISHED and self.unfinished_in) else "no")
                for reader, session, code, status in self.reads]
        return pd.DataFrame(rows, columns=["reader", "session", "case", "status", "analysed"])

    def reads_said(self) -> str:
        """How many case reads were analysed and how many were not finished, for the report and the summary."""
        n = len(self.reads)
        done = sum(status == READ_FINISHED for *_, status in self.reads)
        open_ = sum(status == READ_NOT_FINISHED for *_, status in self.reads)
        text = f"Reader study {self.study_id}: {done} of {n} case read(s) finished"
        if open_:
            text += (f"; {open_} not finished, " + ("analysed with them (--include-unfinished)" if self.unfinished_in
                                                     else "left out of the analysis"))
        unopened = n - done - open_
        text += (f"; {unopened} not opened" if unopened else "") + "."
        lines = [o for les in self.project.lesions.values() for _, o in les.observations if isinstance(o, Measurement)]
        suggested = sum(o.method is not MeasurementMethod.MANUAL for o in lines)
        if self.one_click or not suggested:
            return text + (f" One-click diameters were {'offered to' if self.one_click else 'off for'} the readers "
                           f"(the study's one_click); {suggested} of the {len(lines)} lines analysed were suggested "
                           "(method in measurements.csv).")
        # a study read before session 44 kept one-click on where the reader had it on (the study's one_click, false
        # by default, was not there to keep it off): "were off for the readers; 5 of 40 lines were suggested" said a
        # condition of the study its own lines deny (review44b)
        return text + (f" One-click diameters are off for the readers by the study's one_click, yet {suggested} of the "
                       f"{len(lines)} lines analysed were suggested (method in measurements.csv): read with one-click "
                       "on before lesionlab kept it off in a study (December 2026).")


def joined_reads(store: ReadingStore, *, dicom: str | os.PathLike[str] | None = None,
                 stacks: Mapping[str, PlacedStack] | None = None, study_id: str | None = None,
                 unfinished: bool = True) -> JoinedReads:
    """The store's study reads as one read per study reader, in memory: what ``lesionlab study reads`` writes and
    ``lesionlab analyze`` of a study's store analyses (``dicom``: the images, to propose the cases' missing
    alignments; ``stacks``: :func:`placed_stacks` of them, indexed before the store is opened, to pair lesions
    across sessions; ``unfinished``: whether the case reads not finished are in, as `study reads` takes them, or
    left out, as `agreement` leaves them out)."""
    study = Study(store, study_id)
    readers = study_readers(store, study.study_id)
    assert readers is not None  # a study id is given
    project = store.load().without_pending()  # a suggestion not kept yet: no reader's line (review49c)
    names = frozenset(project.readers() | {r.reader for r in project.series_flags.values()})
    if not unfinished:
        project = readers.project(project)  # the study readers' finished case reads only
    opened = study.session_reads()
    d = study.definition
    reads = tuple((reader, s.name, case.code,
                   READ_NOT_OPENED if (rec := opened.get((reader, s.name, case.code))) is None
                   else READ_FINISHED if rec.finished else READ_NOT_FINISHED)
                  for reader in d.readers for s in d.sessions for case in d.cases)
    notes: dict[tuple[str, str], str] = {}
    if dicom is not None:  # a study store has no alignment unless one was put there (module docstring)
        project, notes = propose_missing_alignments(project, study.definition, dicom)
    pairings = study_pairings(project, study, stacks, notes)
    return JoinedReads(study.study_id, analysis_project(project, study.definition, pairings), tuple(pairings),
                       readers, names, dicom is not None, unfinished, reads, tuple(case.code for case in d.cases),
                       tuple(case.code for case in d.cases if notes.get(case.pair) == IMAGES_MISSING), d.one_click)


def study_image_uids(location: str | os.PathLike[str]) -> frozenset[str] | None:
    """The study instance UIDs of the CT and MRI of every case of the store's reader study (what its images must
    hold to pair lesions across sessions); None when the store holds no study, or several (the analysis asks
    which one)."""
    from annotation.store_pg_security import is_study_store  # noqa: PLC0415

    with ReadingStore.open(location, read_only=True) as store:
        if not is_study_store(store.backend_db):
            return None
        try:
            study = Study(store, None)
        except LesionlabError:
            return None
        pairs = store.load().exam_pairs
    uids = set()
    for case in study.definition.cases:
        pair = pairs.get(case.pair)
        if pair is not None:
            uids |= {pair.ct_study_uid, pair.mri_study_uid}
    return frozenset(uids)


def write_study_reads(location: str | os.PathLike[str], out_store: str | os.PathLike[str], *,
                      dicom: str | os.PathLike[str] | None = None, study_id: str | None = None,
                      left_out: list[str] | None = None) -> tuple[Path, Path, list[CasePairing]]:
    """The study's reads as one read per reader in a new ``.lesionlab`` (for ``lesionlab agreement``
    and ``analyze``), and the patient-level pairing table beside it (``<out>-pairing.csv``). ``left_out`` gets one line
    per kind of the store's reads not written (the adjudicator's consensus, reads of no study reader), as `agreement`
    says them: `study reads` left the consensus out unsaid (a radiologist-engineer's check, session 48)."""
    out = Path(out_store)
    if out.exists():
        raise LesionlabError("exists already", where=str(out), advice="choose a new file for the study's reads")
    stacks = placed_stacks(dicom) if dicom is not None else None  # minutes on a real study: the store not open yet
    with ReadingStore.open(location, read_only=True) as store:
        joined = joined_reads(store, dicom=dicom, stacks=stacks, study_id=study_id)
    study_id, merged, pairings = joined.study_id, joined.project, list(joined.pairings)
    if left_out is not None:
        for why, who in joined.readers.left_out(set(joined.names)).items():
            left_out.append(f"left out {', '.join(who[:6])}{' …' if len(who) > 6 else ''} ({why})")
    table = out.with_name(out.stem + "-pairing.csv")
    # all or nothing: both files are written under hidden names beside their places and put there only once
    # whole, the store last (killed half way, an empty store was left under OUT: a rerun said "exists already"
    # and `agreement` read it as "0 reader(s)", an audit); what a killed run left is removed first
    for stale in out.parent.glob(f".{out.name}.partial-*"):
        stale.unlink(missing_ok=True)
    token = secrets.token_hex(6)
    partial = out.with_name(f".{out.name}.partial-{token}{SUFFIX}")
    partial_table = out.with_name(f".{out.name}.partial-{token}-pairing.csv")
    try:
        with ReadingStore.open(partial) as target:
            target.save_project(merged, f"reads of study {study_id}, one per reader")
            target.seal()
        write_pairing_table(pairings, partial_table)
        if out.exists():  # made meanwhile by someone else: theirs is kept
            raise LesionlabError("exists already", where=str(out), advice="choose a new file for the study's reads")
        os.replace(partial_table, table)
        os.replace(partial, out)
    finally:
        for leftover in (partial, partial_table, *(partial.with_name(partial.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    return out, table, pairings
