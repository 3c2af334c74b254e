"""A finished follow-up read of the sample's LLSYN001 course, built from its ground truth.

One CT-only exam pair per timepoint of ``followup`` in ``ground_truth/LLSYN001.json`` (F1 = the
CT of the exam pair, F2, F3 the follow-up CTs), a timepoint each, the two treatment lines, the
baseline chosen for line 1; every lesion of each timepoint with its follow-up attributes and one
identity across timepoints (the tracking UID of annotation.sample_reading, so the pair's lesions
and these are the same lesions); targets measured on ``ct_portal`` along their true major axis
through the centre, on the slice the truth names, ``axial_diameter_on_slice_mm`` long, the node
with its perpendicular short axis (``short_axis_on_slice_mm``), through the stacks' real geometry.

Model limits it shows: ``Lesion.lobe`` is required, so the hilar node carries a placeholder lobe
(said in its comment); a lesion's lobe not in the truth (L05, new) comes from ``extra_lobes``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from annotation.followup import FollowupEditor
from annotation.reading import Reading
from annotation.sample_reading import SAMPLE_READER, SAMPLE_STAMP, _geometry, _stack_for, _tracking_uid
from annotation.store import ReadingStore
from viewer.errors import LesionlabError
from viewer.loader import VolumeLoader
from viewer.records import READING_ROLES, StackInfo

ROLE = "ct_portal"
NODE_LOBE = "right"  # placeholder: the model requires a lobe; the node lies outside the liver


def _measure(reading: Reading, pair: tuple[str, str], lid: str, les: dict[str, Any], rotation_deg: float,
             exam: dict[str, Any], stacks: list[StackInfo]) -> None:
    entry = next(s for s in exam["series"] if s["role"] == ROLE)
    stack = _stack_for(stacks, entry)
    geo = _geometry(stack)
    gt = les["series"][ROLE]
    centre = np.asarray(les["centre_mm"], float)
    on_slice = np.array([centre[0], centre[1], gt["slice_z_mm"]])
    k = geo.nearest_slice(on_slice)
    img = VolumeLoader(stack).images[k]
    if k != gt["slice_index"] or img.sop_instance_uid != gt["sop_instance_uid"]:
        raise LesionlabError(f"slice {k} of {ROLE} is not the truth's slice {gt['slice_index']}",
                             where=entry["folder"], advice="regenerate the sample study (make sample)")
    th = math.radians(rotation_deg)
    axis, perp = np.array([math.cos(th), math.sin(th), 0.0]), np.array([-math.sin(th), math.cos(th), 0.0])
    half = gt["axial_diameter_on_slice_mm"] / 2
    extra: dict[str, Any] = {}
    if les["nodal"]:
        short = gt["short_axis_on_slice_mm"] / 2
        extra = {"p3": geo.pixel_on_slice(on_slice - short * perp, k), "p4": geo.pixel_on_slice(on_slice + short * perp, k)}
    reading.measure(pair, lid, ROLE, geo, stack.key, stack.series_instance_uid, k,
                    geo.pixel_on_slice(on_slice - half * axis, k), geo.pixel_on_slice(on_slice + half * axis, k),
                    sop_instance_uid=img.sop_instance_uid, sop_class_uid=img.sop_class_uid,
                    instance_number=img.instance_number, **extra)


def add_followup_read(reading: Reading, truth: dict[str, Any], stacks: list[StackInfo],
                      extra_lobes: dict[str, str]) -> int:
    """Add the patient's follow-up course to the reading; returns the number of lesion records."""
    pid, fu = truth["patient_id"], truth["followup"]
    ed = FollowupEditor(reading)
    exams = {e["exam_id"]: e for e in truth["exams"]}
    known = {les["id"]: les for les in truth["lesions"]}
    rotation = {les["id"]: les["axial_rotation_deg"] for les in (*truth["lesions"], *truth.get("nodes", []))}
    reading.add_patient(pid, truth.get("patient_name", ""))
    for line in fu["treatment_lines"]:
        ed.set_treatment_line(pid, line["line"], line["name"], line["start_date"], line["end_date"])
    n = 0
    order: list[str] = []  # lesions keep their place (and so their lesion id) from one timepoint to the next
    for tp in fu["timepoints"]:
        order += sorted(les["id"] for les in tp["lesions"] if les["id"] not in order)
        exam = exams[tp["exam_id"]]
        pair = (pid, f"F{tp['timepoint']}")
        reading.add_exam_pair(*pair, ct_study_uid=exam["study_instance_uid"], ct_date=exam["study_date"],
                              series_roles=[r for r in READING_ROLES if r.value in {s["role"] for s in exam["series"]}])
        ed.set_timepoint(pid, f"T{tp['timepoint']}", tp["timepoint_date"], [pair[1]])
        for les in sorted(tp["lesions"], key=lambda les: order.index(les["id"])):
            gt_id = les["id"]
            if gt_id in known:
                lobe, segment, comment = known[gt_id]["lobe"], known[gt_id].get("segment"), f"ground truth {gt_id}"
            elif les["organ"] == "liver":
                lobe, segment, comment = extra_lobes[gt_id], None, f"ground truth {gt_id}"
            else:
                lobe, segment, comment = NODE_LOBE, None, f"ground truth {gt_id} ({les['organ']}; placeholder lobe)"
            lid = reading.add_lesion(pair, lobe, segment, comment, tracking_uid=_tracking_uid(pid, gt_id))
            ed.set_lesion_followup(pair, lid, les["kind"], status=les["status"], organ=les["organ"],
                                   nodal=les["nodal"], assessed_role=fu["recist_role"])
            if les["kind"] == "target" and les["status"] == "measured":
                _measure(reading, pair, lid, les, rotation[gt_id], exam, stacks)
            n += 1
    ed.choose_baseline(pid, f"T{fu['baseline_timepoint']}", 1)
    return n


def build_sample_followup(sample_dir: str | Path, store_path: str | Path, extra_lobes: dict[str, str], *,
                          reader: str = SAMPLE_READER, workers: int | None = None) -> int:
    """Index the patients that have a follow-up and write a fresh store of their follow-up read."""
    from viewer.index import index_path

    sample = Path(sample_dir)
    truths = [t for t in (json.loads(p.read_text(encoding="utf-8"))
                          for p in sorted((sample / "ground_truth").glob("*.json"))) if t.get("followup")]
    if not truths:
        raise LesionlabError("no follow-up in the ground truth", where=str(sample / "ground_truth"),
                             advice="generate the sample study first (make sample)")
    store_path = Path(store_path)
    store_path.unlink(missing_ok=True)
    n = 0
    with ReadingStore.open(store_path) as store:
        reading = Reading(store.load(), reader=reader, sink=store)
        with reading.batch("sample follow-up from the ground truth"):
            for truth in truths:
                stacks = list(index_path(sample / truth["patient_id"], workers=workers).stacks)
                n += add_followup_read(reading, truth, stacks, extra_lobes)
        store.seal(stamped=SAMPLE_STAMP)
    return n
