"""A reading as DICOM SR: one TID 1500 Measurement Report per reader, image series and timepoint.

Each lesion measured on a series becomes a length group of that series' report; a lesion not
visible or not measurable there becomes a status group of the same report, so every answer of the
reader is in the PACS, not only the lengths (:mod:`viewer.interop.model`, :mod:`viewer.interop.sr_write`).
The report lives in the measured series' study, with its patient and study modules taken from the
store's DICOM context (:mod:`annotation.dicom_context`); ``dicom`` (a folder, DICOMDIR or zip of
the images) fills that context for a store that lacks it, and the image of measurements made
before images were recorded.

Nothing is dropped silently: a lesion that cannot be written (no context, no image reference) is
listed in :attr:`SrExportResult.skipped` with why.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from annotation._validate import new_uid
from annotation.dicom_context import contexts_of, load_contexts, record_stacks
from annotation.files import atomic_write
from annotation.placement import recorded_uid
from annotation.followup import outside_liver
from annotation.project import Project
from annotation.records import ExamPair, Lesion, Measurement, NotVisible
from annotation.store import ReadingStore
from viewer.dicomio.attrs import BufferAttrs
from viewer.dicomio.elements import ScanError, scan_meta
from viewer.dicomio.sopclasses import non_image_kind
from viewer.errors import LesionlabError, StoreError
from viewer.interop.model import (DicomContext, GroupStatus, Hemiliver, ImageRef, LengthGroup, LesionSite, SrReport,
                                  StatusGroup)
from viewer.interop.vr_fit import fit
from viewer.records import ImageHeader, NonImageKind, Role, StackInfo


@dataclass(frozen=True)
class SrExportResult:
    files: tuple[Path, ...]
    n_lengths: int
    n_statuses: int
    skipped: tuple[str, ...]
    seconds: float
    #: SR .dcm files under the output folder this export did not write: an earlier export's SRs of lesions, series or
    #: exams the reading no longer has (deleted since), which a push of the folder would send with the new ones (the
    #: images of a study folder the SRs are written into are not named)
    others: tuple[Path, ...] = ()

    def others_said(self, out_dir: "str | os.PathLike[str]") -> str:
        """The sentence for :attr:`others` ("" when none)."""
        if not self.others:
            return ""
        first = self.others[0].relative_to(out_dir) if self.others[0].is_relative_to(out_dir) else self.others[0]
        return (f"{len(self.others)} other .dcm file(s) in {out_dir} were not written by this export (first: {first}): "
                "an earlier export's SRs of what the reading no longer has? Push only the files this export wrote, "
                "or export into an empty folder")


def _is_sr(path: Path) -> bool:
    """Whether ``path`` is a DICOM Structured Report by its file meta (an earlier export's SR, another tool's). The
    images of a study folder the SRs were written beside are none: all 1022 of sample_dicom were named "an earlier
    export's SRs of what the reading no longer has?", and the export exited 1 (review41)."""
    try:
        with open(path, "rb") as fh:
            buf = fh.read(4096)
        meta, _start, _ts = scan_meta(buf)
    except (OSError, ScanError):
        return False
    uid = BufferAttrs(buf, meta).text(0x00020002) or ""  # MediaStorageSOPClassUID, as the indexer reads it
    return non_image_kind(uid) is NonImageKind.STRUCTURED_REPORT


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: how a folder or file name that carries its original's digest ends (an original ending so gets one too)
_DIGESTED = re.compile(r".*_[0-9a-f]{8}")
#: names Windows refuses for a file or folder, whatever the extension
_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?", re.IGNORECASE)
_MAX_NAME = 48


def _safe(name: str) -> str:
    """``name`` in the letters every file system keeps (not injective: "Dr Müller" and "Dr Möller" are
    both ``Dr_M_ller``); :func:`folder_names` makes the names of one folder distinct."""
    return _UNSAFE.sub("_", name).strip("._") or "_"


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]


def _digested(name: str) -> str:
    base = _safe(name)[:_MAX_NAME]
    return f"{'_' if _RESERVED.fullmatch(base) else ''}{base}_{_digest(name)}"  # "nul.txt_..." is NUL to Windows


def folder_names(originals: Iterable[str]) -> dict[str, str]:
    """A file name for each of the names of one folder (patient ids, exam pairs, readers), distinct
    whatever the originals: the name itself when it is safe (:func:`_safe` keeps it), short, not a
    device name and not ending like a digest; else its safe form, cut to 48 characters, and ``_`` + the
    first 8 hex digits of the SHA-256 of the original (so "Dr Müller" -> ``Dr_M_ller_<8 hex>``, the same in
    every export). Names equal but for case (one folder on macOS and Windows) both get their digest.

    Before, "Dr Müller" and "Dr Möller" were both ``Dr_M_ller``: one reader's SRs overwrote the other's
    and the export still counted them written (an audit: 30 said, 24 on disk)."""
    names = sorted(set(originals))
    plain = {n for n in names
             if _safe(n) == n and len(n) <= _MAX_NAME and not _DIGESTED.fullmatch(n) and not _RESERVED.fullmatch(n)}
    folded: dict[str, int] = {}
    for n in plain:
        folded[n.casefold()] = folded.get(n.casefold(), 0) + 1
    plain = {n for n in plain if folded[n.casefold()] == 1}
    out = {n: n if n in plain else _digested(n) for n in names}
    if len({v.casefold() for v in out.values()}) != len(out):  # two digests alike: 1 in 4 billion
        raise LesionlabError(f"two of {', '.join(map(repr, names))} would share an SR folder", where="SR export",
                             advice="rename one of them; nothing was written")
    return out


def site_of(lesion: Lesion) -> LesionSite:
    return LesionSite(Hemiliver(lesion.lobe.value), lesion.segment.value if lesion.segment is not None else None)


def _series_of_role(pair: ExamPair, role: Role, lesions: list[Lesion],
                    contexts: dict[str, DicomContext]) -> str | None:
    """The series a role was read on in this pair: where a lesion was measured on it, else the
    pair's series whose stacks have that role."""
    for les in lesions:
        obs = les.observation(role)
        if isinstance(obs, Measurement):
            return obs.series_instance_uid
    studies = {pair.ct_study_uid, pair.mri_study_uid} - {""}
    found = sorted(uid for uid, c in contexts.items()
                   if c.patient_id == pair.patient_id and c.study_instance_uid in studies and role.value in c.roles.split())
    return found[0] if len(found) == 1 else None


def plan_reports(project: Project, contexts: dict[str, DicomContext],
                 reader: str | None = None) -> tuple[list[tuple[Path, SrReport]], list[str]]:
    """(relative path, report) for every reader, pair and series with something to say; and why
    any observation could not be placed. A one-click suggestion not kept yet is left out (no status)."""
    project = project.without_pending()
    reads: dict[tuple[str, str, str], list[Lesion]] = {}
    for les in project.lesions.values():
        if reader is None or les.reader == reader:
            reads.setdefault((les.patient_id, les.exam_pair_id, les.reader), []).append(les)
    written: list[tuple[tuple[str, str, str, str, str], SrReport]] = []  # (patient, pair, reader, role, series)
    skipped: list[str] = []
    elsewhere = outside_liver(project)  # a node, bone...: its organ as the finding site, not the liver
    for (pid, pair_id, who), lesions in sorted(reads.items()):
        lesions.sort(key=lambda les: les.number)
        pair = project.exam_pairs[(pid, pair_id)]
        by_series: dict[str, list[LengthGroup | StatusGroup]] = {}
        roles_of_series: dict[str, Role] = {}
        for les in lesions:
            organ = elsewhere.get(les.key)
            site = site_of(les) if organ is None else LesionSite(organ=organ)
            for role, obs in les.observations:
                where = f"{pid} {pair_id} {who} {les.lesion_id} {role.value}"
                group: LengthGroup | StatusGroup
                if isinstance(obs, Measurement):
                    if not obs.sop_instance_uid or not obs.sop_class_uid:
                        skipped.append(f"{where}: the measurement does not name its image (give --dicom PATH)")
                        continue
                    series = obs.series_instance_uid
                    group = LengthGroup(les.lesion_id, les.tracking_uid,
                                        ImageRef(obs.sop_class_uid, obs.sop_instance_uid, obs.frame_number),
                                        obs.p1, obs.p2, obs.diameter_mm, site, obs.short_axis_mm,
                                        (obs.p3, obs.p4) if obs.p3 is not None and obs.p4 is not None else None,
                                        obs.method.value, obs.method_params)
                else:
                    found = _series_of_role(pair, role, lesions, contexts)
                    if found is None:
                        skipped.append(f"{where}: {obs.status.value}, but which series was read as "
                                       f"{role.value} is not known (give --dicom PATH)")
                        continue
                    series = found
                    status = GroupStatus.NOT_VISIBLE if isinstance(obs, NotVisible) else GroupStatus.NOT_MEASURABLE
                    ctx = contexts.get(series)
                    ref = (ImageRef(ctx.reference_sop_class_uid, ctx.reference_sop_instance_uid)
                           if ctx is not None and ctx.reference_sop_instance_uid else None)
                    group = StatusGroup(les.lesion_id, les.tracking_uid, status, site, ref)
                by_series.setdefault(series, []).append(group)
                roles_of_series.setdefault(series, role)
        for series, groups in by_series.items():
            ctx = contexts.get(series)
            role = roles_of_series[series]
            if ctx is None:
                skipped.append(f"{pid} {pair_id} {who} {role.value}: no DICOM context for series {series} "
                               f"({len(groups)} lesion(s)); open the study in lesionlab or give --dicom PATH")
                continue
            if ctx.patient_id != pid:
                skipped.append(f"{pid} {pair_id} {who} {role.value}: series {series} belongs to patient "
                               f"{ctx.patient_id}, not {pid}")
                continue
            report = SrReport(ctx, who, new_uid(), new_uid(), tuple(groups), time_point=pair_id,
                              series_description=fit("SeriesDescription", f"lesionlab {role.value} {who}"))
            written.append(((pid, pair_id, who, role.value, series), report))
    return _paths(written), skipped


def _paths(written: list[tuple[tuple[str, str, str, str, str], SrReport]]) -> list[tuple[Path, SrReport]]:
    """``<patient>/<pair>/<reader>/<role>.dcm`` for each report, one file each: the names of each folder
    made distinct by :func:`folder_names`; two series of one role in a reader's pair are
    ``<role>_<digest of the series UID>.dcm``."""
    patients = folder_names(k[0] for k, _ in written)
    pairs = {p: folder_names(k[1] for k, _ in written if k[0] == p) for p in patients}
    readers = {(p, e): folder_names(k[2] for k, _ in written if k[:2] == (p, e)) for (p, e) in {k[:2] for k, _ in written}}
    series_of: dict[tuple[str, str, str, str], set[str]] = {}
    for k, _ in written:
        series_of.setdefault(k[:4], set()).add(k[4])
    plans = []
    for (pid, pair_id, who, role, series), report in written:
        name = role if len(series_of[(pid, pair_id, who, role)]) == 1 else f"{role}_{_digest(series)}"
        plans.append((Path(patients[pid]) / pairs[pid][pair_id] / readers[(pid, pair_id)][who] / f"{name}.dcm", report))
    return plans


def _fill_from_images(project: Project, stacks: list[StackInfo]) -> Project:
    """Measurements without their image get it from the indexed stacks (stack key and slice)."""
    from viewer.loader import VolumeLoader

    by_key = {s.key: s for s in stacks}
    images: dict[str, tuple[ImageHeader, ...]] = {}
    out = project
    for key, les in project.lesions.items():
        changed = les
        for role, obs in les.observations:
            if not isinstance(obs, Measurement) or (obs.sop_instance_uid and obs.sop_class_uid):
                continue
            stack = by_key.get(obs.stack_key)
            if stack is None:
                continue
            if stack.key not in images:
                images[stack.key] = tuple(VolumeLoader(stack).images)
            imgs = images[stack.key]
            # a record without its UID names its image by the index in the stack as then loaded: taken only where
            # the image there has the InstanceNumber the record saw (a folder with a file missing shifts the index)
            if obs.slice_index < len(imgs) and (obs.instance_number is None
                                                or imgs[obs.slice_index].instance_number == obs.instance_number):
                img = imgs[obs.slice_index]
                fixed = replace(obs, sop_instance_uid=recorded_uid(img.sop_instance_uid), sop_class_uid=img.sop_class_uid[:64],
                                frame_number=img.frame + 1 if img.pixel.number_of_frames > 1 else None)
                changed = changed.with_observation(role, fixed)
        if changed is not les:
            out = out.with_record(changed)
    return out


def export_sr(store: "str | os.PathLike[str]", out_dir: "str | os.PathLike[str]", *,
              dicom: "str | os.PathLike[str] | None" = None, reader: str | None = None,
              keep_context: bool = True) -> SrExportResult:
    """Write the SRs of a store's readings under ``out_dir/<patient>/<pair>/<reader>/<role>.dcm`` (names
    made safe and distinct: :func:`folder_names`).

    ``keep_context``: the DICOM context found under ``dicom`` is recorded in the store, so the next
    export works from the store alone; off for a project that came with its study folder (the export
    upgraded it and wrote the patients' names into it: a reader's check)."""
    t0 = time.perf_counter()
    stacks: list[StackInfo] = []
    if dicom is not None:
        from viewer.index import index_path

        stacks = list(index_path(Path(dicom)).stacks)
        if not stacks:
            raise LesionlabError("no image stacks found", where=str(dicom), advice="give the folder of the read studies")
    with ReadingStore.open(store, read_only=True) as st:
        project, contexts = st.load(), load_contexts(st)
    if stacks:
        contexts = {**contexts, **contexts_of(stacks)}
        project = _fill_from_images(project, stacks)
    if stacks and keep_context:
        try:
            with ReadingStore.open(store) as st:
                record_stacks(st, stacks)  # the next export works from the store alone
        except StoreError:
            pass  # a read-only or locked store: this export used the images directly
    return export_project_sr(project, contexts, out_dir, reader=reader, t0=t0)


def export_project_sr(project: Project, contexts: dict[str, DicomContext], out_dir: "str | os.PathLike[str]", *,
                      reader: str | None = None, t0: float | None = None) -> SrExportResult:
    """Write the SRs of ``project`` (the workstation passes its open reading and store's context)."""
    from viewer.interop.sr_write import write_sr  # highdicom loads only when SRs are written

    t0 = time.perf_counter() if t0 is None else t0
    plans, skipped = plan_reports(project, contexts, reader)
    out = Path(out_dir)
    files: list[Path] = []
    taken: set[str] = set()
    for rel, report in plans:
        if str(rel).casefold() in taken:  # never over a file of this export (the names are distinct: a guard)
            raise LesionlabError(f"two SRs of this export would be {rel}", where=str(out),
                                 advice=f"report this; the {len(files)} SR(s) written before it are complete")
        taken.add(str(rel).casefold())
        # each SR whole or absent (a full disk left an 8 KB ct_arterial.dcm dciodvfy rejects, a file
        # that could be pushed to PACS); an OSError said in words, not a traceback
        try:
            atomic_write(out / rel, lambda tmp: write_sr(report, tmp))  # called at once
        except LesionlabError as exc:
            done = (f"; the {len(files)} SR(s) written before it are complete" if files else "; no SR was written")
            raise LesionlabError(exc.message + done, where=exc.where,
                                 advice=exc.advice.replace("; nothing was written", "")) from exc
        files.append(out / rel)
    n_len = sum(isinstance(g, LengthGroup) for _, r in plans for g in r.groups)
    n_stat = sum(isinstance(g, StatusGroup) for _, r in plans for g in r.groups)
    written = set(files)
    others = sorted(p for p in out.rglob("*.dcm")
                    if p not in written and not p.name.startswith(".") and p.is_file() and _is_sr(p))
    return SrExportResult(tuple(files), n_len, n_stat, tuple(skipped), time.perf_counter() - t0, tuple(others))
