"""The ground truth of one patient (schema in sample_dicom/README.md, schema_version 2).

Every number comes from the phantom's geometry, never from the images: diameters are those of
the ellipsoids' exact axial sections, positions are the ellipsoids' centres moved by each
exam's liver shift and table offset, and image identities (slice index, InstanceNumber,
SOPInstanceUID) are the ones the writer gives.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .anatomy import Tissue
from .dicomwrite import add_seconds
from .findings import Finding
from .followup import followup_truth
from .lesions import KEY_ROLE, ROLES
from .model import (PatientModel, exam_uids, findings_in, instance_index, placement, series_dir,
                    series_uid, sop_uid)
from .protocols import ExamSpec, SeriesSpec
from .render import slice_overlap, visibility
from .shapes import Ellipsoid
from .tissues import LIVER

SCHEMA_VERSION = 2


def _r(v: float, nd: int = 2) -> float:
    return round(float(v), nd)


def _liver_reference(model: PatientModel) -> tuple[float, float, float]:
    """A point of plain liver parenchyma away from every finding and vessel (liver coordinates)."""
    an = model.anatomy
    offsets = np.array([(dx, dy, dz) for dx in (-8, 0, 8) for dy in (-8, 0, 8) for dz in (-6, 0, 6)])
    for y in range(-40, 50, 6):
        for x in range(-100, -20, 6):
            for z in (-40, -55, -30, -70, -20):
                p = np.array([x, y, z], float) * an.scale
                pts = p + offsets
                if not (an.labels(pts[:, 0], pts[:, 1], pts[:, 2]) == Tissue.LIVER).all():
                    continue
                if all(np.linalg.norm(p - f.shape.centre_mm) > max(f.shape.semi_axes_mm) * 1.6 + 12
                       for f in model.findings):
                    return tuple(float(v) for v in p)
    raise RuntimeError("no plain liver reference point found")


def reading_key(series: SeriesSpec, role: str) -> str:
    """The intensity key a reader reads on a series (DWI: b800)."""
    return [k for k in series.keys if KEY_ROLE[k] == role][-1]


def exam_frame(point_mm, exam: ExamSpec) -> list[float]:
    """A point of the exam's body (body mm) in the exam's patient coordinates."""
    return [_r(v) for v in np.add(point_mm, exam.table_offset_mm)]


def series_entry(model: PatientModel, seed: int, exam: ExamSpec, series: SeriesSpec, role: str,
                 finding: Finding, shape: Ellipsoid) -> dict:
    """What one series shows of one finding: visibility, contrast, the slice nearest its centre
    (index from the bottom, InstanceNumber, SOPInstanceUID) and the true diameters there and on
    every slice crossing it."""
    grid = exam.grids[series.grid]
    place = placement(model, exam, series.grid)
    score, k = visibility(shape, grid, place)
    key = reading_key(series, role)
    n = len(place.z_mm)
    index = instance_index(exam, series, key, k, n)
    gain = 1.0 if key == "adc" else series.gain
    off_z = exam.table_offset_mm[2]
    around = [[j, _r(z + off_z, 3), _r(shape.axial_diameter_at_mm(z))]
              + ([_r(shape.short_axis_at_mm(z))] if finding.is_node else [])
              for j, z in enumerate(place.z_mm) if slice_overlap(shape, z, grid.slice_thickness_mm) > 0]
    z = place.z_mm[k]
    if finding.is_node:
        shows, entry = True, {"signal": _r(finding.part_value(key, "solid", LIVER) * gain)}
    else:
        diffs = {part: _r((finding.part_value(key, part, LIVER) - LIVER[key]) * gain)
                 for part in finding.parts()}
        shows = finding.delta.get(key, 0.0) != 0.0
        delta = diffs["solid"] if shows else 0.0
        entry = {"contrast": "iso" if not shows else ("hyper" if delta > 0 else "hypo"),
                 "signal_difference": delta}
        if shows and "rim" in diffs:
            entry["rim_signal_difference"] = diffs["rim"]
        if "core" in diffs:
            entry["core_signal_difference"] = diffs["core"]
    entry = {"visible": bool(shows and score >= 0.5), **entry,
             "slice_index": k, "instance_number": index + 1,
             "sop_instance_uid": sop_uid(seed, model, exam, series, index),
             "slice_z_mm": _r(z + off_z, 3),
             "axial_diameter_on_slice_mm": _r(shape.axial_diameter_at_mm(z))}
    if finding.is_node:
        entry["short_axis_on_slice_mm"] = _r(shape.short_axis_at_mm(z))
    entry["diameters_by_slice"] = around
    if shows and score < 0.5:
        entry["hidden_by"] = "partial_volume"
    return entry


def _noise_sigma(exam: ExamSpec, series: SeriesSpec) -> float:
    if not series.derived_from:
        return series.noise
    dwi = next(s for s in exam.series if s.role == series.derived_from)
    b0, b800 = (dwi.gain * LIVER[k] for k in ("dwi_b0", "dwi_b800"))
    return _r(1e6 / 800.0 * dwi.noise * math.hypot(1.0 / b0, 1.0 / b800), 1)


def _exam_record(model: PatientModel, seed: int, exam: ExamSpec, ref) -> dict:
    study_uid, for_uid = exam_uids(seed, model, exam)
    entries = []
    for series in exam.series:
        grid = exam.grids[series.grid]
        place = placement(model, exam, series.grid)
        n = len(place.z_mm)
        entries.append({
            "series_instance_uid": series_uid(seed, model, exam, series),
            "series_number": series.number,
            "series_description": series.description,
            "role": series.role,
            "b_values": list(series.b_values) or None,
            "reading_b_value": 800 if series.b_values else None,
            "folder": str(series_dir(Path(""), model, exam, series)),
            "n_images": n * len(series.keys),
            "rows": grid.rows, "columns": grid.columns,
            "pixel_spacing_mm": list(grid.pixel_spacing_mm),
            "slice_thickness_mm": grid.slice_thickness_mm,
            "slice_spacing_mm": grid.slice_spacing_mm,
            "slice_z_range_mm": [_r(place.z_mm[0] + exam.table_offset_mm[2], 3),
                                 _r(place.z_mm[-1] + exam.table_offset_mm[2], 3)],
            "acquisition_time": add_seconds(exam.time, series.acq_offset_s),
            "contrast_agent": exam.contrast_agent if series.post_contrast else None,
            "noise_sigma": _noise_sigma(exam, series),
            "stacks": [{"b_value": (0 if k == "dwi_b0" else 800) if series.b_values else None,
                        "role": series.role, "n_slices": n,
                        "liver_signal": _r(series.gain * LIVER[k]) if k != "adc" else _r(LIVER[k])}
                       for k in series.keys],
        })
    return {
        "exam_id": exam.exam_id, "timepoint": exam.timepoint,
        "kind": exam.kind, "modality": "CT" if exam.kind == "ct" else "MR",
        "study_instance_uid": study_uid, "study_date": exam.date, "study_time": exam.time,
        "study_description": exam.description, "manufacturer": exam.manufacturer,
        "frame_of_reference_uid": for_uid, "patient_position": exam.patient_position,
        "offset_from_body_mm": list(exam.table_offset_mm),
        "liver_shift_mm": list(exam.liver_shift_mm),
        "liver_reference_mm": exam_frame(np.add(ref, exam.liver_shift_mm), exam),
        "series": entries,
    }


def finding_series(model: PatientModel, seed: int, exams, finding: Finding) -> dict:
    """``series.<role>`` entries of a finding over the given exams (one exam per role)."""
    out = {}
    for exam in exams:
        shape = dict((f.finding_id, s) for f, s in findings_in(model, exam)).get(finding.finding_id)
        if shape is None:
            continue
        for series in exam.series:
            out[series.role] = series_entry(model, seed, exam, series, series.role, finding, shape)
    return out


def centres(model: PatientModel, finding: Finding) -> dict[str, list[float]]:
    """The finding's centre in every exam where it is present (exam patient coordinates)."""
    out = {}
    for exam in model.spec.exams:
        shape = finding.shape_at(exam.timepoint, exam.liver_shift_mm)
        if shape is not None:
            out[exam.exam_id] = exam_frame(shape.centre_mm, exam)
    return out


def _lesion_record(model: PatientModel, seed: int, pair, les: Finding) -> dict:
    shape = les.shape_at(1)
    assert shape is not None
    a, b, c = shape.semi_axes_mm
    rec = {
        "id": les.finding_id, "organ": "liver", "lobe": les.lobe, "segment": les.segment,
        "pattern": les.pattern.value, "site": les.site.value,
        "longest_axial_diameter_mm": _r(2 * a), "short_axial_diameter_mm": _r(2 * b),
        "craniocaudal_extent_mm": _r(2 * c), "axial_rotation_deg": shape.rotation_deg,
        "texture_amplitude": les.texture_amp,
    }
    if les.pattern.value == "rim":
        rec["rim_thickness_mm"] = les.rim_mm
    if les.pattern.value == "necrotic":
        rec["necrotic_core_diameter_mm"] = _r(2 * a * les.core_fraction)
    rec["centre_mm"] = centres(model, les)
    rec["series"] = finding_series(model, seed, pair, les)
    return rec


def _node_record(model: PatientModel, seed: int, pair, node: Finding) -> dict:
    shape = node.shape_at(1)
    assert shape is not None
    a, b, c = shape.semi_axes_mm
    return {"id": node.finding_id, "organ": "lymph_node", "station": node.station,
            "long_axis_mm": _r(2 * a), "short_axis_mm": _r(2 * b), "craniocaudal_extent_mm": _r(2 * c),
            "axial_rotation_deg": shape.rotation_deg, "centre_mm": centres(model, node),
            "series": finding_series(model, seed, pair, node)}


def ground_truth(model: PatientModel, seed: int) -> dict:
    """The ground-truth record of one patient (schema in sample_dicom/README.md)."""
    spec = model.spec
    ref = _liver_reference(model)
    pair = [e for e in spec.exams if e.timepoint == 1]
    lesions = [_lesion_record(model, seed, pair, les) for les in model.lesions if les.present_at(1)]
    counts = {}
    for role in ROLES:
        vis = [les for les in lesions if les["series"][role]["visible"]]
        right = sum(les["lobe"] == "right" for les in vis)
        counts[role] = {"right": right, "left": len(vis) - right, "total": len(vis)}
    truth = {
        "schema_version": SCHEMA_VERSION,
        "generator": "tools/make_sample_dicom.py", "seed": seed,
        "patient_id": spec.patient_id, "patient_name": spec.name, "sex": spec.sex,
        "birth_date": spec.birth_date, "summary": spec.summary,
        "exams": [_exam_record(model, seed, exam, ref) for exam in spec.exams],
        "lesions": lesions,
        "nodes": [_node_record(model, seed, pair, node) for node in model.nodes if node.present_at(1)],
        "counts": counts,
    }
    if spec.followup is not None:
        truth["followup"] = followup_truth(model, seed)
    return truth
