"""Agreement reads from a reading store: readers' own lesions matched by position in patient mm.

In a store every reader numbers their lesions from L1, so ids say nothing across readers. On each
series of each exam pair the readers' findings are placed in patient mm through the geometry of
the stack they were drawn on and matched with :func:`analysis.matching.cluster_findings`:

- diameters: each measured lesion at the midpoint of its diameter on its slice, its size the
  diameter;
- detections: each count mark at its point, its size that of the lesion it stands for (a mark
  placed by a measurement names it), else of the same reader's measured lesion it falls in
  (nearest centre within that lesion's radius), else unknown (the rule's floor).

The store keeps pixel positions, not the images' geometry: geometries come from indexing the
DICOM files (:func:`stack_places`). Without them, series that more than one reader read
cannot be paired and the rows say so; counts need no positions.

A line or a mark is placed on its own image, found by its SOP Instance UID (and frame) among the images as indexed
now (:func:`annotation.placement.slice_of`): its stored index counts the images of the folder as loaded when it was
recorded, and a folder with a file missing, or one added, shifts every index above it (two readers' marks on the same
image then paired at positions a slice apart, or not at all). A record without a UID (an older store) keeps its
index. A finding whose image is not among those given cannot be placed: its series is left out, as one without
images, and the note says so.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis.agreement_data import (
    DETECTION_COLUMNS,
    DIAMETER_COLUMNS,
    ReaderReads,
    counted_counts,
    read_series,
    readers_of,
)
from analysis.agreement_study import StudyReaders, study_readers
from analysis.inputs import raw_from_frame, validate_counts
from analysis.matching import Finding, MatchRule, cluster_findings
from annotation.placement import images_named, patient_point, unplaced_reason
from annotation.project import Project
from annotation.records import CountMark, Measurement
from annotation.store import ReadingStore
from annotation.tables import project_tables
from viewer.errors import LesionlabError, StoreError
from viewer.geometry import StackGeometry
from viewer.records import ImageHeader

NO_IMAGES = ("lesion positions need the images' geometry (lesionlab agreement STORE --dicom PATH); "
             "lesions of different readers were not paired")


class StackPlace(NamedTuple):
    """Where a stack lies (geometry, frame of reference UID) and its images in volume order, by which a record's
    SOP Instance UID names its slice."""

    geometry: StackGeometry
    frame_of_reference_uid: str
    images: tuple[ImageHeader, ...]


def stack_places(dicom: str | os.PathLike[str], *, workers: int | None = None) -> dict[str, StackPlace]:
    """Stack key -> :class:`StackPlace` of every loadable stack under a folder, DICOMDIR or zip (no pixels read)."""
    from viewer.index import index_path  # noqa: PLC0415 - pydicom loads only when images are given
    from viewer.loader import VolumeLoader  # noqa: PLC0415

    out: dict[str, StackPlace] = {}
    for stack in index_path(Path(dicom), workers=workers).stacks:
        try:
            volume = VolumeLoader(stack).volume
        except LesionlabError:
            continue  # a stack that cannot be loaded cannot have been measured either
        out[stack.key] = StackPlace(volume.geometry, stack.frame_of_reference_uid, tuple(volume.images))
    return out


def stack_geometries(dicom: str | os.PathLike[str], *, workers: int | None = None) -> dict[str, StackGeometry]:
    """Stack key -> geometry of every loadable stack under a folder, DICOMDIR or zip (no pixels read)."""
    return {key: place.geometry for key, place in stack_places(dicom, workers=workers).items()}


Record = Measurement | CountMark


_Item = tuple[str, str, Record, float, float, float | None]  # (reader, key, line or mark, row, col, size)


class _Placer:
    """Findings of one exam pair and series, placed in patient mm when the geometry is known."""

    def __init__(self, geometries: Mapping[str, StackGeometry] | None,
                 images: Mapping[str, Sequence[ImageHeader]] | None = None) -> None:
        self.geometries = geometries or {}
        self.images = images or {}
        #: (patient, exam pair, series) left out: a finding's stack has no known geometry, or its image is missing.
        #: A set: the diameters and the detections of one series both ask (a review: one series was said as two)
        self.unplaced: set[tuple[str, str, str]] = set()
        #: of those, left out because a finding's image is not among the stack's images: the first such finding, said
        self.missing: dict[tuple[str, str, str], str] = {}

    def point(self, rec: Record, row: float, col: float) -> tuple[float, float, float] | None:
        """A line's or mark's point in patient mm on its own image (None: no geometry, or its image missing)."""
        geo = self.geometries.get(rec.stack_key)
        return None if geo is None else patient_point(rec, row, col, geo, self.images.get(rec.stack_key, ()))

    def place(self, items: list[_Item], series: tuple[str, str, str]) -> list[Finding] | None:
        """items (of ``series``: patient, exam pair, role) -> findings, None if any cannot be placed."""
        findings = []
        for reader, key, rec, row, col, size in items:
            p = self.point(rec, row, col)
            if p is None:
                self.unplaced.add(series)
                if rec.stack_key in self.geometries:
                    what = f"line of {key}" if isinstance(rec, Measurement) else "count mark"
                    on = rec.sop_instance_uid or f"#{rec.slice_index + 1}"
                    images = self.images.get(rec.stack_key, ())
                    said = f" ({unplaced_reason(rec, images)})" if images_named(rec, images) > 1 else ""
                    self.missing.setdefault(series, f"{' '.join(series)}: {reader}'s {what} on image {on}{said}")
                return None
            findings.append(Finding(reader, key, p, size))
        return findings


def _subjects(items: list[_Item], placer: _Placer, rule: MatchRule,
              series: tuple[str, str, str]) -> list[dict[str, str]] | None:
    """Clusters as {reader: key}; a single reader's findings need no positions."""
    if len({reader for reader, *_ in items}) < 2:
        return [{reader: key} for reader, key, *_ in items]
    findings = placer.place(items, series)
    if findings is None:
        return None
    return [{r: f.key for r, f in cluster.items()} for cluster in cluster_findings(findings, rule)]


def _name(cluster: Mapping[str, str]) -> str:
    return " = ".join(f"{reader} {key}" for reader, key in sorted(cluster.items()))


def _diameters(project: Project, placer: _Placer, rule: MatchRule) -> pd.DataFrame:
    groups: dict[tuple[str, str, str], list[_Item]] = defaultdict(list)
    sizes: dict[tuple[str, str, str, str, str], float] = {}
    for les in project.lesions.values():
        for role, m in les.measurements().items():
            groups[(les.patient_id, les.exam_pair_id, role.value)].append(
                (les.reader, les.lesion_id, m, *m.middle, m.diameter_mm))
            sizes[(les.patient_id, les.exam_pair_id, role.value, les.reader, les.lesion_id)] = m.diameter_mm
    rows = []
    for (pid, eid, role_value), items in sorted(groups.items()):
        clusters = _subjects(items, placer, rule, (pid, eid, role_value))
        for cluster in clusters or []:
            for reader, key in cluster.items():
                rows.append((pid, eid, role_value, _name(cluster), reader,
                             sizes[(pid, eid, role_value, reader, key)]))
    return pd.DataFrame(rows, columns=list(DIAMETER_COLUMNS))


def _measured_centres(project: Project, placer: _Placer
                      ) -> dict[tuple[str, str, str, str], list[tuple[np.ndarray, float]]]:
    """(patient, pair, role, reader) -> [(centre mm, diameter mm)] of the measured lesions placed."""
    out: dict[tuple[str, str, str, str], list[tuple[np.ndarray, float]]] = defaultdict(list)
    for les in project.lesions.values():
        for role, m in les.measurements().items():
            centre = placer.point(m, *m.middle)
            if centre is not None:
                out[(les.patient_id, les.exam_pair_id, role.value, les.reader)].append(
                    (np.asarray(centre), m.diameter_mm))
    return out


def _mark_size(mark_mm: np.ndarray, lesions: list[tuple[np.ndarray, float]]) -> float | None:
    """Diameter of the measured lesion the mark falls in (the nearest centre within its radius)."""
    inside = [(float(np.linalg.norm(c - mark_mm)), d) for c, d in lesions]
    inside = [(dist, d) for dist, d in inside if dist <= d / 2]
    return min(inside)[1] if inside else None


def _detections(project: Project, counts: pd.DataFrame, placer: _Placer, rule: MatchRule) -> pd.DataFrame:
    read = read_series(counts)
    readers_by_series = read.groupby(["patient_id", "exam_pair_id", "series_role"])["reader"].apply(sorted)
    marks: dict[tuple[str, str, str], list[_Item]] = defaultdict(list)
    for mk in project.count_marks.values():
        own = project.lesions.get((mk.patient_id, mk.exam_pair_id, mk.reader, mk.lesion_id)) if mk.lesion_id else None
        m = own.measurements().get(mk.role) if own is not None else None
        marks[(mk.patient_id, mk.exam_pair_id, mk.role.value)].append(
            (mk.reader, mk.mark_id, mk, mk.row, mk.col, m.diameter_mm if m else None))
    centres = _measured_centres(project, placer)
    rows = []
    for (pid, eid, role), readers in readers_by_series.items():
        items = [it for it in marks.get((pid, eid, role), []) if it[0] in readers]
        sized = []
        for reader, key, rec, row, col, size in items:
            at = placer.point(rec, row, col) if size is None else None
            if at is not None:
                size = _mark_size(np.asarray(at), centres.get((pid, eid, role, reader), []))
            sized.append((reader, key, rec, row, col, size))
        clusters = (_subjects(sized, placer, rule, (pid, eid, role)) if len(readers) > 1
                    else [{r: k} for r, k, *_ in sized])
        for cluster in clusters or []:
            for reader in readers:
                rows.append((pid, eid, role, _name(cluster), reader, reader in cluster))
    out = pd.DataFrame(rows, columns=list(DETECTION_COLUMNS))
    out["seen"] = out["seen"].astype(object)
    return out


def _unplaced_note(placer: _Placer) -> str:
    """Why series read by several readers were left out, each counted once, naming the first finding whose image is
    missing (the file to look for in the folder given)."""
    n, missing = len(placer.unplaced), len(placer.missing)
    reasons = []
    if n > missing:
        reasons.append("their images were not found" + (f" ({n - missing})" if missing else ""))
    if missing:
        example = next(iter(placer.missing.values()))
        what = ("the image a line or count mark was drawn on is not told apart in the folder given" if
                "which of them it is on is not known" in example else
                "the image a line or count mark was drawn on is missing from the folder given")
        reasons.append(what + (f" ({missing})" if n > missing else "") + f", e.g. {example}")
    return f"{n} series read by several readers left out: " + "; ".join(reasons)


def reads_from_project(project: Project, counts: pd.DataFrame,
                       geometries: Mapping[str, StackGeometry] | None, rule: MatchRule = MatchRule(),
                       images: Mapping[str, Sequence[ImageHeader]] | None = None) -> ReaderReads:
    """The agreement reads of a project; ``counts``: its validated counts table; ``images``: each stack's images in
    volume order, by which a line or mark is placed on its own image (:func:`annotation.placement.patient_point`).
    A one-click suggestion not kept yet is left out, as the exports leave it (review49c: its diameter was compared
    between readers while the counts, through the tables, left it out)."""
    project = project.without_pending()
    placer = _Placer(geometries, images)
    diameters = _diameters(project, placer, rule)
    detections = _detections(project, counts, placer, rule)
    note = ""
    if placer.unplaced:
        note = NO_IMAGES if geometries is None else _unplaced_note(placer)
    measurements, _, _ = project_tables(project)
    return ReaderReads(diameters, detections, counted_counts(counts), readers_of(measurements, counts),
                       f"position in patient mm (tolerance max({rule.min_tolerance_mm:g} mm, "
                       f"{rule.size_fraction:g} × the larger diameter), optimal one-to-one)", note)


def load_store_reads(store: str | os.PathLike[str], dicom: str | os.PathLike[str] | None = None,
                     rule: MatchRule = MatchRule(), *, study_id: str | None = None) -> ReaderReads:
    """Open a store read-only and build its agreement reads (images from ``dicom`` when given); of a reader
    study's store, the study's readers only (:func:`load_store_agreement`)."""
    return load_store_agreement(store, dicom, rule, study_id=study_id)[0]


def load_store_agreement(store: str | os.PathLike[str], dicom: str | os.PathLike[str] | None = None,
                         rule: MatchRule = MatchRule(), *, study_id: str | None = None
                         ) -> tuple[ReaderReads, StudyReaders | None]:
    """The store's agreement reads and, for a reader study's store, which of its reads they compare: the study's
    readers, each series through their finished read of its session (analysis/agreement_study.py; a store
    holding several studies needs ``study_id``)."""
    from annotation.followup import outside_liver  # noqa: PLC0415

    with ReadingStore.open(store, read_only=True) as opened:
        if (reader := opened.own_rows_only) is not None:
            # row-level security shows a reader's role that reader's reads only: agreement through it compared the
            # reader with nobody ("1 reader(s)") or said the others had "no finished read yet", their reads hidden
            raise StoreError(f"this database role is reader {reader}'s: it sees {reader}'s reads only, the other "
                             "readers' reads are not visible to it (hidden, not absent), so no agreement between "
                             "readers can be computed through it", where=opened.where,
                             advice="run it connected as the store's owner or a coordinator's role (outside a "
                                    "reader study, an adjudicator's role too)")
        project = opened.load()
        study = study_readers(opened, study_id)
    names = project.readers() | {r.reader for r in project.series_flags.values()}
    if study is not None:  # matched among the study's reads only: no other reader's lesion joins a cluster
        project = study.project(project)
    for key in outside_liver(project):  # a node, bone...: not a liver lesion, as in analyze STORE
        project = project.without("lesions", key)
    _, counts_df, _ = project_tables(project)
    counts = validate_counts(raw_from_frame(counts_df, f"{Path(store).name} (counts)"))
    places = stack_places(dicom) if dicom is not None else None
    geometries = {k: p.geometry for k, p in places.items()} if places is not None else None
    reads = reads_from_project(project, counts, geometries, rule,
                               {k: p.images for k, p in places.items()} if places is not None else None)
    if study is None:
        return reads, None
    diameters, detections, counted = (study.frame(t) for t in (reads.diameters, reads.detections, reads.counts))
    present = set(diameters["reader"]) | set(detections["reader"]) | set(counted["reader"])
    compared = tuple(sorted(r for r in study.readers if r in present))
    return replace(reads, diameters=diameters, detections=detections, counts=counted, readers=compared,
                   readers_note=study.note(names, compared)), study
