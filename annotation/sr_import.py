"""DICOM SR TID 1500 reports into a reading: lengths become measurements, tracking UIDs lesions.

:func:`import_srs` reads each file (:mod:`viewer.interop.sr_read`), finds the exam pair of the
store whose patient and study the SR names (else the exam of the read studies holding them is added, with its
patient, in the file's own edit and said -- a store made by `store create` starts empty -- and when the images
do not hold them either the file is refused whole), places every length
on the referenced image of the read studies (``dicom``: folder, DICOMDIR or zip), and writes one
edit per file. A lesion is known by its tracking UID: the reader's lesion with that UID, or a new
one with the SR's id (``...:L<n>``, the label OHIF shows) where the read has it free, else one after
the ids the SR names; its lobe from the SR's hemiliver or segment, else from the reader's right/left
boundary. A lesion the SR places outside the liver (a lymph node, bone, lung) gets a placeholder lobe
(:data:`OUTSIDE_LIVER_LOBE`, said in its comment); its long and short axis lines come back.

An import over what the store has changes only what the SR says: a status the store already has
keeps its comment, and the same line again (within the SR's 32-bit precision) is left as it is, its
short axis and how it was made kept when the SR carries neither.

A line's Length NUM (read in mm; cm, m and um converted) must be what its line measures on the image it names,
within 0.1 mm + 1 %, else the line is refused: a wrong image reference or another pixel spacing would put a
measurement where the SR did not measure. A line refused leaves no lesion made for it behind; an observer name
that cannot be a reader's refuses its file only.

SCOORD3D lines (3D Slicer) are projected onto the nearest slice of the stack in their frame of
reference; the diameter is recomputed from the projected endpoints and the change is said; an
endpoint more than half a slice out of that plane refuses the line. Everything that is not
imported is listed, never dropped silently: refused files and lines, among them a lesion's group that
cannot be placed (no line, a line without its image: a failure of the import), and, for information,
other templates' groups and items not understood.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence
from pathlib import Path

import numpy as np

from annotation._validate import identifier
from annotation.clinical import ClinicalRecord, name_from_images
from annotation.lobes import lobe_for_point
from annotation.placement import recorded_uid
from annotation.reading import Reading
from annotation.records import (LESION_ID, ExamPair, Measurement, NotMeasurable, NotVisible, PairKey,
                                lesion_number)
from annotation.store import ReadingStore
from annotation.vocab import CouinaudSegment, Lobe, MeasurementMethod, Sex
from viewer.errors import LesionlabError, SrError, StoreError
from viewer.geometry import StackGeometry
from viewer.interop.model import GroupStatus, ImageRef, LesionSite, ParsedLength, ParsedSr, ParsedStatus, visible
from viewer.interop.vr_fit import fit
from viewer.records import READING_ROLES, ImageHeader, SkippedFile, StackInfo

if TYPE_CHECKING:
    from viewer.studies import ExamPair as ViewerExam, Patient as ViewerPatient

_NUMBER = re.compile(r":L([0-9]+)$")
#: The lobe a lesion outside the liver (an SR's lymph node, bone, lung) is recorded with: Lesion needs one;
#: the same placeholder as the sample's follow-up node (annotation/sample_followup.py NODE_LOBE), said in
#: the lesion's comment.
OUTSIDE_LIVER_LOBE = Lobe.RIGHT


@dataclass
class SrImportResult:
    files: int = 0
    lesions_added: int = 0
    measurements: int = 0
    statuses: int = 0
    notes: list[str] = field(default_factory=list)  # imported, with a change said (projection)
    refused: list[str] = field(default_factory=list)  # files, lines and lesions' groups not imported, and why
    not_understood: list[str] = field(default_factory=list)  # other templates' groups and items: information
    seconds: float = 0.0


@dataclass(frozen=True)
class _Slice:
    stack: StackInfo
    geometry: StackGeometry
    index: int
    image: ImageHeader


class _Images:
    """The read studies' reading stacks: image by SOP Instance UID, stacks by frame of reference."""

    def __init__(self, stacks: list[StackInfo]) -> None:
        from viewer.loader import VolumeLoader

        #: (SOP Instance UID, frame number or None): the frames of an enhanced multi-frame file share the UID
        self.by_uid: dict[tuple[str, int | None], _Slice] = {}
        #: a UID's first 64 characters that two or more images' UIDs share (non-conformant files): how many; an SR
        #: naming that cut UID does not tell which of them it means (a review: the first was taken, a line on the
        #: second recorded a slice away)
        self.shared_cut: dict[str, int] = {}
        self.stacks: list[tuple[StackInfo, StackGeometry, tuple[ImageHeader, ...]]] = []
        self.all_stacks = stacks
        self._patients: "dict[str, ViewerPatient] | None" = None  # grouped at the first SR of an exam the store lacks
        #: the folder's files the index did not read (truncated, unreadable): an image named by an SR may be one
        self.unread: tuple[SkippedFile, ...] = ()
        cuts: dict[str, set[str]] = {}
        for stack in stacks:
            if stack.role not in READING_ROLES:
                continue
            loader = VolumeLoader(stack)
            images = tuple(loader.images)
            geometry = loader.volume.geometry  # geometry only: no pixel is decoded
            self.stacks.append((stack, geometry, images))
            for k, img in enumerate(images):
                frame = img.frame + 1 if img.pixel.number_of_frames > 1 else None
                self.by_uid[(img.sop_instance_uid, frame)] = _Slice(stack, geometry, k, img)
                # a UID longer than DICOM's 64 characters: lesionlab's SR carries its first 64, as the store does
                # (annotation/placement.py); another tool's SR may carry it whole (the key above)
                self.by_uid.setdefault((recorded_uid(img.sop_instance_uid), frame), _Slice(stack, geometry, k, img))
                cuts.setdefault(recorded_uid(img.sop_instance_uid), set()).add(img.sop_instance_uid)
        self.shared_cut = {cut: len(full) for cut, full in cuts.items() if len(full) > 1}

    def exam_of(self, parsed: ParsedSr, reading: Reading) -> "tuple[ViewerExam | None, str]":
        """The exam of the images (a proposed CT + MRI pair, else the study alone, as the browser lists them) holding
        the SR's patient and study, or None and why not."""
        from viewer.studies import exams, group_studies  # noqa: PLC0415

        if self._patients is None:
            self._patients = {p.patient_id: p for p in group_studies(self.all_stacks)}
        patient = self._patients.get(parsed.patient_id)
        if patient is None:
            patient = next((p for p in self._patients.values() if fit("PatientID", p.patient_id) == parsed.patient_id),
                           None)
        if patient is None:
            return None, "nor a patient of the images under --dicom"
        exam = next((e for e in exams(patient) if parsed.study_instance_uid in (e.ct_uid, e.mr_uid)), None)
        if exam is None:
            return None, "nor a study of the images under --dicom"
        stored = {u for rec in reading.project.pairs_of(patient.patient_id)
                  for u in (rec.ct_study_uid, rec.mri_study_uid) if u}
        if {exam.ct_uid[:64], exam.mr_uid[:64]} & stored:
            # the images pair the SR's study with one the store holds in another exam: not guessed
            return None, (f"the images pair it with a study of another exam of patient {patient.patient_id} in the "
                          "store: open the exam in lesionlab to record it")
        return exam, ""

    def find(self, ref: ImageRef | None) -> _Slice | None:
        """The slice an SR image reference names (a multi-frame image needs its frame number; a status
        group's source image of a multi-frame series may name the file only)."""
        if ref is None:
            return None
        found = self.by_uid.get((ref.sop_instance_uid, ref.frame_number))
        if found is None and ref.frame_number is None:
            found = next((sl for (uid, _), sl in self.by_uid.items() if uid == ref.sop_instance_uid), None)
        return found


def _number(identifier: str) -> int:
    m = _NUMBER.search(identifier)
    return int(m.group(1)) if m else 10**9


def _sr_lesion_id(identifier: str) -> str | None:
    """The lesion id an SR's tracking identifier ends with (``...:L3`` -> ``L3``, as OHIF shows it), or None."""
    m = _NUMBER.search(identifier)
    return f"L{m.group(1)}" if m and LESION_ID.match(f"L{m.group(1)}") else None


def _pair_of(parsed: ParsedSr, pairs: list[ExamPair]) -> ExamPair | None:
    """The pair of the SR's patient and study; a patient id longer than the SR's Patient ID may be (LO: 64 bytes) is
    matched by its cut (:func:`~viewer.interop.vr_fit.fit`, as the export wrote it) when one pair of that study
    alone has it."""
    in_study = [p for p in pairs if parsed.study_instance_uid in (p.ct_study_uid, p.mri_study_uid)]
    exact = [p for p in in_study if p.patient_id == parsed.patient_id]
    if exact:
        return exact[0]
    cut = [p for p in in_study if p.patient_id != parsed.patient_id and fit("PatientID", p.patient_id) == parsed.patient_id]
    return cut[0] if len(cut) == 1 else None


def _lobe(site: LesionSite) -> Lobe | None:
    if site.hemiliver is not None:
        return Lobe(site.hemiliver.value)
    if site.segment is not None:
        return CouinaudSegment.parse(site.segment).lobe
    return None


class _Importer:
    """``reading_for(reader)`` gives the Reading that records one reader's edits (a store's, or the
    workstation's own)."""

    def __init__(self, reading_for: Callable[[str], Reading], images: _Images, result: SrImportResult, *,
                 add_exams: bool = True, no_exam_advice: str = "") -> None:
        self.reading_for = reading_for
        #: an SR of an exam the store lacks: its exam added from the images (the command line), or the file refused
        #: with ``no_exam_advice`` (the workstation, where an exam is added by opening it)
        self.add_exams, self.no_exam_advice = add_exams, no_exam_advice
        self.images = images
        self.result = result
        self.readings: dict[str, Reading] = {}
        self.wanted: set[str] = set()  # the lesion ids the SR being imported names
        self.last: dict[tuple[str, PairKey], int] = {}  # see _last_number (per SR file: its wanted ids)

    def reading(self, reader: str) -> Reading:
        if reader not in self.readings:
            self.readings[reader] = self.reading_for(reader)
        return self.readings[reader]

    def _in_pair(self, sl: _Slice, pair: ExamPair) -> bool:
        return sl.stack.patient_id == pair.patient_id and sl.stack.study_instance_uid in (
            pair.ct_study_uid, pair.mri_study_uid)

    def place(self, length: ParsedLength, parsed: ParsedSr, pair: ExamPair,
              where: str) -> tuple[_Slice, tuple[float, float], tuple[float, float], str] | None:
        """The slice and (row, col) endpoints of a length, or None (refused, said)."""
        if length.image is not None and length.points_rc is not None:
            shared = self.images.shared_cut.get(length.image.sop_instance_uid)
            if shared:
                self.result.refused.append(
                    f"{where}: image {length.image.sop_instance_uid} names {shared} images of the folder (their SOP "
                    "Instance UIDs, longer than DICOM's 64 characters, agree on their first 64): which of them the line "
                    "is on is not known; nothing recorded from this line (measure it in lesionlab)")
                return None
            sl = self.images.find(length.image)
            if sl is not None and sl.image.pixel.number_of_frames > 1 and length.image.frame_number is None:
                self.result.refused.append(f"{where}: the line names a multi-frame image without its frame")
                return None
            if sl is None:
                # a folder with a file missing (a radiologist's check truncated one): said, with the file
                # (only for an SR of a study of the folder: another study's image is simply not there)
                ours = any(s.study_instance_uid == parsed.study_instance_uid
                           or s.series_instance_uid in parsed.evidence_series for s, _g, _i in self.images.stacks)
                unread = self.images.unread if ours else ()
                missing = (f" (the folder has {len(unread)} file(s) not read, {Path(unread[0].path).name}: "
                           f"{unread[0].reason}; nothing recorded from this line)" if unread else "")
                self.result.refused.append(f"{where}: image {length.image.sop_instance_uid} is not in the read "
                                           f"studies{missing}")
                return None
            if not self._in_pair(sl, pair):
                self.result.refused.append(f"{where}: the image belongs to another exam than the pair's")
                return None
            return sl, length.points_rc[0], length.points_rc[1], ""
        assert length.points_mm is not None
        candidates = [(s, g, imgs) for s, g, imgs in self.images.stacks
                      if s.frame_of_reference_uid == length.frame_of_reference_uid
                      and s.patient_id == pair.patient_id and s.study_instance_uid in (pair.ct_study_uid, pair.mri_study_uid)]
        if parsed.evidence_series:
            candidates = [c for c in candidates if c[0].series_instance_uid in parsed.evidence_series]
        if len(candidates) != 1:
            self.result.refused.append(f"{where}: SCOORD3D in frame of reference {length.frame_of_reference_uid}: "
                                       f"{len(candidates)} reading stacks of the pair match, so the series is not known")
            return None
        stack, geo, imgs = candidates[0]
        a, b = (np.asarray(p, float) for p in length.points_mm)
        k = geo.nearest_slice((a + b) / 2)
        plane = float(geo.slice_projections_mm[k])
        half = (geo.slice_spacing_mm or stack.slice_thickness_mm or 0.0) / 2
        off = [abs(geo.along_normal_mm(p) - plane) for p in (a, b)]
        if max(off) > half:
            self.result.refused.append(f"{where}: the line lies {max(off):.2f} mm out of the plane of slice {k} "
                                       f"(more than half a slice, {half:.2f} mm)")
            return None
        p1, p2 = geo.pixel_on_slice(a, k), geo.pixel_on_slice(b, k)
        sl = _Slice(stack, geo, k, imgs[k])
        d3 = float(np.linalg.norm(b - a))
        d2 = geo.distance_mm(p1, p2)
        note = (f"{where}: 3D line projected onto slice {k} of {stack.role.value}: {d3:.2f} mm -> {d2:.2f} mm "
                f"(change {d2 - d3:+.2f} mm)")
        return sl, p1, p2, note

    def lesion_id(self, reading: Reading, pair: PairKey, uid: str, identifier: str, site: LesionSite,
                  sl: _Slice | None, point_mm: tuple[float, float, float] | None, where: str) -> str | None:
        """The reader's lesion of this tracking UID, else a new one: the SR's lesion id when it is free in
        the read (OHIF shows the SR's L3 as L3: a refused L1 renumbered L2..L4 as L1..L3), else the next."""
        known = reading.project.lesion_tracked(pair[0], pair[1], reading.reader, uid)
        if known is not None:
            return known.lesion_id
        comment = f"from DICOM SR ({identifier})"
        if site.organ != "liver":
            lobe: Lobe | None = OUTSIDE_LIVER_LOBE
            comment = f"from DICOM SR ({identifier}; {site.organ}; placeholder lobe)"
            self._say_organ(reading, pair, uid, site.organ, where)
        else:
            lobe = _lobe(site)
        if lobe is None and sl is not None and point_mm is not None:
            lobe, _ = lobe_for_point(reading.project, pair, reading.reader, sl.stack.frame_of_reference_uid, point_mm)
        if lobe is None:
            self.result.refused.append(f"{where}: no hemiliver or segment in the SR and no right/left boundary "
                                       "drawn: the lesion's lobe is not known")
            return None
        want = _sr_lesion_id(identifier)
        if want is None or (*pair, reading.reader, want) in reading.project.lesions:
            n = self._last_number(reading, pair) + 1  # after the ids this SR's other lesions may want
            want = f"L{n}" if LESION_ID.match(f"L{n}") else None
        lesion_id = reading.add_lesion(pair, lobe, site.segment, comment=comment[:200], tracking_uid=uid,
                                       lesion_id=want)
        last = self.last.get((reading.reader, pair))
        if last is not None:
            self.last[(reading.reader, pair)] = max(last, lesion_number(lesion_id))
        self.result.lesions_added += 1
        return lesion_id

    def _last_number(self, reading: Reading, pair: PairKey) -> int:
        """The highest lesion number of the read and of the ids the SR names, kept as lesions are added (it was
        found again from every lesion of the read at each lesion added: quadratic in an SR's lesions)."""
        if (reading.reader, pair) not in self.last:
            taken = {les.lesion_id for les in reading.project.lesions_of(pair[0], pair[1], reading.reader)}
            self.last[(reading.reader, pair)] = max((lesion_number(i) for i in taken | self.wanted), default=0)
        return self.last[(reading.reader, pair)]

    def _say_organ(self, reading: Reading, pair: PairKey, uid: str, organ: str, where: str) -> None:
        """A lesion outside the liver comes in with a placeholder lobe (the record needs one, as the sample's
        follow-up gives its node). Its organ is a follow-up attribute beside a RECIST kind the SR does not
        carry: known when the reader followed the same lesion (tracking UID) at another exam, else said."""
        followed = any(f.organ == organ and f.patient_id == pair[0] and f.reader == reading.reader
                       and (les := reading.project.lesions.get(f.key)) is not None and les.tracking_uid == uid
                       for f in reading.project.lesion_followups.values())
        if not followed:
            self.result.notes.append(f"{where}: a {organ.replace('_', ' ')} lesion in the SR: imported with a "
                                     f"placeholder lobe ({OUTSIDE_LIVER_LOBE.value}); record its organ and RECIST "
                                     "kind in the follow-up panel")

    def import_file(self, parsed: ParsedSr, reader: str | None) -> None:
        name = Path(parsed.path).name
        who = reader or parsed.observer
        if not who:
            self.result.refused.append(f"{name}: the SR names no observer; give --reader NAME")
            return
        try:
            identifier("reader", who)  # checked when its first edit is written: too late to name the file
            reading = self.reading(who)
        except LesionlabError as exc:  # one file's name is refused, not the run (it ended it, naming no file)
            self.result.refused.append(f"{name}: the SR's observer '{visible(who)}' cannot be a reader's name "
                                       f"({visible(exc.message)}); the file was not imported: give --reader NAME")
            return
        pair = _pair_of(parsed, list(reading.project.exam_pairs.values()))
        exam = None
        if pair is None:
            exam, why = self.images.exam_of(parsed, reading) if self.add_exams else (None, self.no_exam_advice)
            if exam is None:
                self.result.refused.append(f"{name}: patient {parsed.patient_id}, study {parsed.study_instance_uid} "
                                           f"is not the CT or MRI of an exam pair of this store ({why}); the file was "
                                           "not imported")
                return
        self.result.not_understood += [f"{name}: {line}" for line in parsed.not_understood]
        self.result.refused += [f"{name}: {line}" for line in parsed.unplaced]  # a lesion's group: not informational
        groups: list[ParsedLength | ParsedStatus] = [*parsed.lengths, *parsed.statuses]
        groups.sort(key=lambda g: _number(g.tracking_identifier))
        self.wanted = {i for g in groups if (i := _sr_lesion_id(g.tracking_identifier)) is not None}
        self.last = {}
        self.seen: dict[tuple[str, str], str] = {}  # (lesion's tracking UID or identifier, series) -> its group
        with reading.batch(f"import DICOM SR {name}", bulk=True):  # one draft changed in place: linear in groups
            if exam is not None:  # in the file's own edit: a file refused by the store leaves no exam behind
                pair = self._add_exam(reading, exam, name)
            assert pair is not None
            for g in groups:
                where = f"{name} {g.tracking_identifier or g.tracking_uid}"
                if isinstance(g, ParsedLength):
                    self._length(reading, pair, parsed, g, where)
                else:
                    self._status(reading, pair, g, where)
        if exam is not None:
            # the patient and exam are every reader's: another reader's Reading, loaded before, would not hold them and
            # would add them again as its "next free" E<n> -- over this one (a review: R2's new exam E1 of P2 rewritten
            # as R1's follow-up study of P2, R2's lesions then under it). They are loaded again at their next file.
            self.readings = {who: r for who, r in self.readings.items() if r is reading}
        self.result.files += 1

    def _add_exam(self, reading: Reading, exam: "ViewerExam", name: str) -> ExamPair:
        """The exam of the images the SR measures, added to the store with its patient as the workstation adds one at a
        reader's first edit (the patient's next free E<n>; name and sex from the headers; the roles its stacks
        hold), said. Before, a store made by `store create` for import-sr refused every SR ("not the CT or MRI of an
        exam pair of this store") though --dicom named the images: a radiologist's documented round trip stopped."""
        pid = exam.patient_id
        used = {rec.exam_pair_id for rec in reading.project.pairs_of(pid)}
        n = 1
        while f"E{n}" in used:
            n += 1
        new_patient = pid not in reading.project.patients
        if new_patient:
            sex = exam.patient_sex
            reading.add_patient(pid, name_from_images(exam.studies[0].patient_name),
                                ClinicalRecord(sex=Sex.parse(sex)) if sex else None)
        held = {s.role for s in exam.stacks}
        reading.add_exam_pair(pid, f"E{n}", series_roles=tuple(r for r in READING_ROLES if r in held),
                              ct_study_uid=exam.ct_uid[:64], mri_study_uid=exam.mr_uid[:64],
                              ct_date=exam.ct.study_date if exam.ct else None,
                              mri_date=exam.mr.study_date if exam.mr else None)
        self.result.notes.append(f"{name}: {'patient ' + pid + ' and its' if new_patient else 'patient ' + pid + ':'} "
                                 f"exam E{n} ({exam.label.replace('  ', ' ')}) added to the store from the images under "
                                 "--dicom: the store had no exam with the SR's study")
        return reading.project.exam_pairs[(pid, f"E{n}")]

    def _length(self, reading: Reading, pair: ExamPair, parsed: ParsedSr, g: ParsedLength, where: str) -> None:
        placed = self.place(g, parsed, pair, where)
        if placed is None:
            return
        sl, p1, p2, note = placed
        if self._again(g, sl.stack.role.value, where):
            return
        drawn = sl.geometry.distance_mm(p1, p2)
        if not note and g.length_mm is not None and math.isfinite(drawn) and abs(drawn - g.length_mm) > 0.1 + 0.01 * g.length_mm:
            # the SR's own number was never looked at: a line 'of 99 mm' measuring 33 mm came in as 33 mm
            self.result.refused.append(f"{where}: the SR's Length is {g.length_mm:.2f} mm but its line measures "
                                       f"{drawn:.2f} mm on image {sl.image.sop_instance_uid} ({sl.stack.role.value}): "
                                       "the line is not on the image it was measured on, or in another pixel spacing")
            return
        added = self.result.lesions_added
        mid = sl.geometry.index_to_patient(sl.index, (p1[0] + p2[0]) / 2, (p1[1] + p2[1]) / 2)
        lid = self.lesion_id(reading, pair.key, g.tracking_uid, g.tracking_identifier, g.site, sl,
                             (float(mid[0]), float(mid[1]), float(mid[2])), where)
        if lid is None:
            return
        extra = self._short_axis(g, where)
        method, params = MeasurementMethod(g.method), g.method_params
        before = reading.project.lesions[(*pair.key, reading.reader, lid)].observation(sl.stack.role)
        frame = sl.image.frame + 1 if sl.image.pixel.number_of_frames > 1 else None
        # the same image is the same UID (and frame): the stored index counts the images of the folder as loaded
        # when the line was drawn, and this folder may lack one (a radiologist's check: an unchanged line was
        # rewritten from slice 21 to 20 against a folder with IM0052 truncated)
        same_image = (before.sop_instance_uid == recorded_uid(sl.image.sop_instance_uid) and before.frame_number == frame
                      if isinstance(before, Measurement) and before.sop_instance_uid
                      else isinstance(before, Measurement) and before.slice_index == sl.index)
        if isinstance(before, Measurement) and same_image and _close((*before.p1, *before.p2), (*p1, *p2)):
            # the same line again (an SR keeps points as 32-bit floats): what the SR does not carry stays
            # (a short axis another tool's SR lacks, how a line its SR calls drawn was made); the same
            # line with the same short axis and method is left as it is
            if not extra and g.short_axis_mm is None and before.p3 is not None and before.p4 is not None:
                extra = {"p3": before.p3, "p4": before.p4}
            if method is MeasurementMethod.MANUAL and not params:
                method, params = before.method, before.method_params
            same_axis = (before.p3 is None and not extra) or (
                before.p3 is not None and before.p4 is not None and bool(extra)
                and _close((*before.p3, *before.p4), (*extra["p3"], *extra["p4"])))
            if same_axis and method is before.method and _same_params(params, before.method_params):
                self.result.measurements += 1
                return
        try:
            with reading.savepoint():  # refused half way: nothing of it stays in the batch's draft
                reading.measure(pair.key, lid, sl.stack.role, sl.geometry, sl.stack.key, sl.stack.series_instance_uid,
                                sl.index, p1, p2, sop_instance_uid=recorded_uid(sl.image.sop_instance_uid),
                                sop_class_uid=sl.image.sop_class_uid[:64], instance_number=sl.image.instance_number,
                                frame_number=sl.image.frame + 1 if sl.image.pixel.number_of_frames > 1 else None,
                                method=method, method_params=params, **extra)
        except LesionlabError as exc:
            self.result.refused.append(f"{where}: {exc.message}")
            if self.result.lesions_added > added and not reading.project.lesions[(*pair.key, reading.reader, lid)].observations:
                reading.delete_lesion(pair.key, lid)  # made for this line only: not left behind empty
                self.last.pop((reading.reader, pair.key), None)  # its number is free again
                self.result.lesions_added -= 1
            return
        self.result.measurements += 1
        if note:
            self.result.notes.append(note)

    def _again(self, g: ParsedLength | ParsedStatus, role: str, where: str) -> bool:
        """A second group of one SR for the same lesion on the same series: refused, the first kept (the last one won,
        unsaid: an interop audit)."""
        key = (g.tracking_uid or g.tracking_identifier, role)
        first = self.seen.get(key)
        if first is None:
            self.seen[key] = where
            return False
        self.result.refused.append(f"{where}: a second measurement of the same lesion on {role} in this SR (the "
                                   f"first, {first}, is kept)")
        return True

    def _short_axis(self, g: ParsedLength, where: str) -> dict[str, tuple[float, float]]:
        """p3, p4 of the SR's short axis when it is drawn on the long axis's image; a value alone is said."""
        if g.short_axis_rc is not None and g.image is not None and g.short_axis_image == g.image:
            return {"p3": g.short_axis_rc[0], "p4": g.short_axis_rc[1]}
        if g.short_axis_mm is not None:
            self.result.notes.append(f"{where}: a short axis of {g.short_axis_mm:.2f} mm without its line on the "
                                     "long axis's image: the line came in without it")
        return {}

    def _status(self, reading: Reading, pair: ExamPair, g: ParsedStatus, where: str) -> None:
        sl = self.images.find(g.image)
        if sl is None or not self._in_pair(sl, pair):
            self.result.refused.append(f"{where}: {g.status.value} without an image of the pair's series "
                                       "(which series it is about is not known)")
            return
        if self._again(g, sl.stack.role.value, where):
            return
        lid = self.lesion_id(reading, pair.key, g.tracking_uid, g.tracking_identifier, g.site, None, None, where)
        if lid is None:
            return
        obs = NotVisible() if g.status is GroupStatus.NOT_VISIBLE else NotMeasurable()
        before = reading.project.lesions[(*pair.key, reading.reader, lid)].observation(sl.stack.role)
        if type(before) is not type(obs):  # the same status stays as it is, with its comment (an SR carries none)
            reading.set_observation(pair.key, lid, sl.stack.role, obs)
        self.result.statuses += 1


def _close(a: Sequence[float], b: Sequence[float], tol: float = 1e-3) -> bool:
    """The same points, in pixels, but for the 32-bit floats of an SR's coordinates."""
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def _same_params(a: str, b: str) -> bool:
    try:
        return a == b or (bool(a) and bool(b) and json.loads(a) == json.loads(b))
    except ValueError:
        return False


def import_srs(store: "str | os.PathLike[str]", dicom: "str | os.PathLike[str]",
               files: Sequence["str | os.PathLike[str]"], *, reader: str | None = None) -> SrImportResult:
    """Import SR files into the store's readings (one edit per file); see the module docstring."""
    with ReadingStore.open(store, create=False) as st:  # a typo made an empty store (an audit)
        # a blinded role of a study store loads no project: refused at once, not file by file as "the SR's observer
        # cannot be a reader's name … give --reader NAME" once the whole --dicom folder was indexed (res49)
        st.refuse_blinded("SRs are imported into a study store by its coordinator or owner")
        return import_into(lambda who: Reading(st.load(), reader=who, sink=st), dicom, files, reader=reader)


def import_into(reading_for: Callable[[str], Reading], dicom: "str | os.PathLike[str]",
                files: Sequence["str | os.PathLike[str]"], *, reader: str | None = None,
                add_exams: bool = True, no_exam_advice: str = "") -> SrImportResult:
    """The import through ``reading_for(reader)`` (the workstation passes its own Reading). ``add_exams``: an SR of
    an exam the store lacks adds it from the images (said in ``notes``); else its file is refused with
    ``no_exam_advice``."""
    from viewer.index import index_path
    from viewer.interop.sr_read import read_sr  # pydicom loads only for an import

    t0 = time.perf_counter()
    result = SrImportResult()
    index = index_path(Path(dicom))
    stacks = list(index.stacks)
    if not stacks:
        raise LesionlabError("no image stacks found", where=str(dicom), advice="give the folder of the read studies")
    images = _Images(stacks)
    images.unread = tuple(index.skipped)
    parsed: list[ParsedSr] = []
    for f in files:
        try:
            parsed.append(read_sr(Path(f)))
        except SrError as exc:
            result.refused.append(f"{Path(f).name}: {exc.message}")
    importer = _Importer(reading_for, images, result, add_exams=add_exams, no_exam_advice=no_exam_advice)
    imported: list[str] = []
    for i, p in enumerate(parsed):
        before = result.files
        try:
            importer.import_file(p, reader)
        except StoreError as exc:
            _stopped_at(exc, imported, [Path(q.path).name for q in parsed[i:]])
            raise
        if result.files > before:
            imported.append(Path(p.path).name)
    result.seconds = time.perf_counter() - t0
    return result


def _stopped_at(exc: StoreError, imported: list[str], left: list[str]) -> None:
    """``exc`` (one file's edit not saved: a full disk, a lost server) said with what the import had done by then.
    Each file is an edit of its own: the files imported before it stay in the store, while the store's message
    alone said "nothing was changed" and no summary was printed (a full disk mid-import, an audit). Said in
    place, so the error keeps its class."""
    kept = (f"the {len(imported)} SR file(s) imported before it are kept ({', '.join(imported)})" if imported
            else "no SR file was imported before it")
    after = f" and the {len(left) - 1} after it" if len(left) > 1 else ""
    exc.message = f"{exc.message}, importing {left[0]}: {kept}; {left[0]}{after} not imported"
    advice = exc.advice.removesuffix("; nothing was changed") if exc.advice else "retry"
    exc.advice = (f"{advice}: the same import again adds what is missing, and nothing twice (a lesion is known "
                  "by its tracking UID)")
    exc.args = (str(exc),)

