"""A finished read of the synthetic sample study, built from its ground truth.

For each patient of ``sample_dicom/ground_truth/*.json`` (schema in sample_dicom/README.md):
exam pairs (the CT and MRI of each timepoint that has both; follow-up CTs are not read here), a count mark on every lesion visible on each of
the six series (at the lesion centre, on the slice the ground truth names, in that lobe), and
measurements of up to five lesions of at least 5 mm, largest first, on every series where they
are visible (not visible elsewhere). Endpoints lie along the true longest axial diameter through
the lesion centre, converted to pixel positions of each stack through its real geometry
(indexer + loader), so the diameters exercise the same path as a reader's line.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from annotation.checks import MAX_MEASURED_LESIONS, MIN_DIAMETER_MM
from annotation.placement import frame_number
from annotation.reading import Reading
from annotation.records import NotVisible
from annotation.store import ReadingStore
from annotation.vocab import CountStatus
from viewer.errors import LesionlabError
from viewer.geometry import StackGeometry
from viewer.loader import VolumeLoader
from viewer.records import READING_ROLES, StackInfo

SAMPLE_READER = "sample"
#: when the shipped sample stores say their edits and migrations were made (ReadingStore.seal(stamped=...)),
#: so ``make sample`` gives the same bytes every time
SAMPLE_STAMP = "2026-01-05T08:00:00.000+00:00"


@dataclass(frozen=True)
class SampleSummary:
    patients: int
    exam_pairs: int
    lesions_measured: int
    measurements: int
    count_marks: int


def _stack_for(stacks: list[StackInfo], entry: dict[str, Any]) -> StackInfo:
    """The reading stack of a ground-truth series entry (for DWI the b-value read, b800)."""
    uid = entry["series_instance_uid"]
    found = [s for s in stacks if s.series_instance_uid == uid]
    if entry.get("reading_b_value") is not None:
        found = [s for s in found if s.b_value is not None and abs(s.b_value - entry["reading_b_value"]) < 1]
    if len(found) != 1:
        raise LesionlabError(f"{len(found)} stacks match series {uid} ({entry.get('series_description')})",
                             where=entry.get("folder"), advice="regenerate the sample study (make sample)")
    return found[0]


def _geometry(stack: StackInfo) -> StackGeometry:
    return VolumeLoader(stack).volume.geometry  # geometry only: no pixel is read


def _tracking_uid(patient_id: str, lesion: str) -> str:
    """A stable UID per ground-truth lesion, so that a rebuild gives the same store."""
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_OID, f'lesionlab-sample/{patient_id}/{lesion}').int}"


def _pairs(truth: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(CT, MRI) exam records of each timepoint that has both (follow-up CTs alone are no pair)."""
    by_tp: dict[int, dict[str, dict[str, Any]]] = {}
    for e in truth["exams"]:
        by_tp.setdefault(int(e.get("timepoint", 1)), {})[e["kind"]] = e
    return [(kinds["ct"], kinds["mr"]) for _, kinds in sorted(by_tp.items()) if {"ct", "mr"} <= set(kinds)]


def add_patient_read(reading: Reading, truth: dict[str, Any], stacks: list[StackInfo]) -> tuple[int, int, int]:
    """Add one ground-truth patient to the reading; returns (lesions measured, measurements, marks)."""
    pid = truth["patient_id"]
    sex = truth.get("sex") if truth.get("sex") in ("M", "F", "O") else None
    reading.add_patient(pid, truth.get("patient_name", ""))
    if sex:
        reading.edit_patient(pid, sex=sex)
    chosen = sorted((les for les in truth["lesions"] if les["longest_axial_diameter_mm"] >= MIN_DIAMETER_MM),
                    key=lambda les: -les["longest_axial_diameter_mm"])[:MAX_MEASURED_LESIONS]
    n_meas = n_marks = 0
    for number, (ct, mr) in enumerate(_pairs(truth), start=1):
        pair = (pid, f"E{number}")
        reading.add_exam_pair(pid, pair[1], ct_study_uid=ct["study_instance_uid"],
                              mri_study_uid=mr["study_instance_uid"], ct_date=ct["study_date"],
                              mri_date=mr["study_date"],
                              series_roles=[r for r in READING_ROLES if any(s["role"] == r.value
                                                                           for exam in (ct, mr) for s in exam["series"])])
        series = {e["role"]: (exam, e) for exam in (ct, mr) for e in exam["series"]}
        ids = {les["id"]: reading.add_lesion(pair, les["lobe"], les.get("segment"), f"ground truth {les['id']}",
                                             tracking_uid=_tracking_uid(pid, les["id"]))
               for les in chosen}
        for role in READING_ROLES:
            exam, entry = series[role.value]
            stack = _stack_for(stacks, entry)
            geo = _geometry(stack)
            images = VolumeLoader(stack).images  # volume order: slice k is images[k]
            for les in truth["lesions"]:
                gt = les["series"][role.value]
                centre = np.asarray(les["centre_mm"][exam["exam_id"]], float)
                on_slice = np.array([centre[0], centre[1], gt["slice_z_mm"]])
                k = geo.nearest_slice(on_slice)
                if k != gt["slice_index"] or images[k].sop_instance_uid != gt["sop_instance_uid"]:
                    raise LesionlabError(f"slice {k} of {role.value} ({images[k].sop_instance_uid}) lies at the "
                                         f"lesion's slice_z_mm but the ground truth names slice {gt['slice_index']} "
                                         f"({gt['sop_instance_uid']})", where=entry["folder"],
                                         advice="regenerate the sample study (make sample)")
                if gt["visible"]:
                    row, col = geo.pixel_on_slice(on_slice, k)
                    reading.add_count_mark(pair, role, les["lobe"], stack_key=stack.key, slice_index=k,
                                           row=row, col=col, mark_id=f"{pid}-{pair[1]}-{role.value}-{les['id']}",
                                           sop_instance_uid=images[k].sop_instance_uid,
                                           frame_number=frame_number(images[k]))
                    n_marks += 1
                if les["id"] not in ids:
                    continue
                if not gt["visible"]:
                    reading.set_observation(pair, ids[les["id"]], role, NotVisible("not seen (ground truth)"))
                    continue
                half = gt["axial_diameter_on_slice_mm"] / 2
                th = math.radians(les["axial_rotation_deg"])
                axis = np.array([math.cos(th), math.sin(th), 0.0])
                p1, p2 = geo.pixel_on_slice(on_slice - half * axis, k), geo.pixel_on_slice(on_slice + half * axis, k)
                img = images[k]
                reading.measure(pair, ids[les["id"]], role, geo, stack.key, stack.series_instance_uid, k, p1, p2,
                                sop_instance_uid=img.sop_instance_uid, sop_class_uid=img.sop_class_uid,
                                instance_number=img.instance_number,
                                frame_number=img.frame + 1 if img.pixel.number_of_frames > 1 else None)
                n_meas += 1
            reading.set_count_status(pair, role, CountStatus.COUNTED)  # every series counted, 0 included
    return len(chosen), n_meas, n_marks


def build_sample_reading(sample_dir: str | Path, store_path: str | Path, *, reader: str = SAMPLE_READER,
                         workers: int | None = None) -> SampleSummary:
    """Index ``sample_dir`` and write a fresh store holding the ground-truth read of every patient."""
    from viewer.index import index_path

    sample = Path(sample_dir)
    truths = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((sample / "ground_truth").glob("*.json"))]
    if not truths:
        raise LesionlabError("no ground truth found", where=str(sample / "ground_truth"),
                             advice="generate the sample study first (make sample)")
    stacks = list(index_path(sample, workers=workers).stacks)
    store_path = Path(store_path)
    tmp = store_path.with_name(store_path.name + ".building")
    leftovers = (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}.lock"))
    for p in leftovers:
        p.unlink(missing_ok=True)
    totals = [0, 0, 0]
    try:
        with ReadingStore.open(tmp) as store:
            reading = Reading(store.load(), reader=reader, sink=store)
            with reading.batch("sample reading from the ground truth"):
                for truth in truths:
                    for i, n in enumerate(add_patient_read(reading, truth, stacks)):
                        totals[i] += n
            store.seal(stamped=SAMPLE_STAMP)
        tmp.replace(store_path)
    finally:
        for p in leftovers:
            p.unlink(missing_ok=True)
    project = reading.project
    return SampleSummary(len(project.patients), len(project.exam_pairs), totals[0], totals[1], totals[2])
