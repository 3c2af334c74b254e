"""Generate the sample study: every patient's exams, series files and ground-truth JSON."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .anatomy import Anatomy, Tissue
from .dicomwrite import add_seconds, base_dataset, folder_name, uid, write_series
from .lesions import KEY_ROLE, ROLES, Lesion, place_lesions
from .protocols import PATIENTS, TISSUE_VALUES, ExamSpec, PatientSpec, SeriesSpec
from .render import Placement, add_noise, place_grid, render_clean, visibility

DEFAULT_SEED = 2024
SCHEMA_VERSION = 1
#: In-plane centre of each exam's field of view, body mm (slightly off the body centre).
FOV_CENTRE = {"ct": (0.0, 4.0), "mr": (-6.0, 2.0)}


@dataclass(frozen=True)
class PatientModel:
    spec: PatientSpec
    index: int
    anatomy: Anatomy
    lesions: list[Lesion]


def build_patient(spec: PatientSpec, index: int, seed: int) -> PatientModel:
    anatomy = Anatomy(scale=spec.scale, fat_mm=spec.fat_mm)
    rng = np.random.default_rng([seed, index, 0])
    return PatientModel(spec, index, anatomy, place_lesions(anatomy, list(spec.lesions), rng))


def _placement(model: PatientModel, exam: ExamSpec, grid_name: str) -> Placement:
    return place_grid(exam.grids[grid_name], model.anatomy, FOV_CENTRE[exam.kind])


def _uids(seed: int, model: PatientModel, exam: ExamSpec) -> tuple[str, str]:
    pid = model.spec.patient_id
    return uid(seed, pid, exam.kind, exam.date, "study"), uid(seed, pid, exam.kind, exam.date, "for")


def series_uid(seed: int, model: PatientModel, exam: ExamSpec, series: SeriesSpec) -> str:
    return uid(seed, model.spec.patient_id, exam.date, series.number, "series")


def series_dir(out: Path, model: PatientModel, exam: ExamSpec, series: SeriesSpec) -> Path:
    exam_dir = f"{exam.date}_{'CT' if exam.kind == 'ct' else 'MR'}"
    return out / model.spec.patient_id / exam_dir / f"{series.number:03d}_{folder_name(series.description)}"


def _injection_offset_s(exam: ExamSpec) -> int:
    post = [s.acq_offset_s for s in exam.series if s.post_contrast]
    return min(post) - (30 if exam.kind == "ct" else 25)


_CLEAN_CACHE: dict[tuple, dict[str, np.ndarray]] = {}


def _clean_volumes(model: PatientModel, exam: ExamSpec, grid_name: str) -> dict[str, np.ndarray]:
    """Noise-free volumes of every key rendered on one grid of an exam (cached: the series
    of a grid share their geometry, only the tissue values differ)."""
    cache_key = (model.spec.patient_id, exam.date, grid_name)
    if cache_key not in _CLEAN_CACHE:
        _CLEAN_CACHE.clear()  # one grid at a time keeps memory flat
        keys = tuple(k for s in exam.series if s.grid == grid_name for k in s.keys)
        _CLEAN_CACHE[cache_key] = render_clean(model.anatomy, model.lesions, exam.grids[grid_name],
                                               _placement(model, exam, grid_name), keys)
    return _CLEAN_CACHE[cache_key]


def _stored(model, exam, series, seed) -> tuple[np.ndarray, list[str]]:
    """Noisy values before storage (images, rows, cols) and the intensity key of each image."""
    clean = _clean_volumes(model, exam, series.grid)
    rng = np.random.default_rng([seed, model.index, 1 + exam.series.index(series), series.number])
    images, keys = [], []
    for key in series.keys:
        noisy = add_noise(clean[key] * series.gain, key, series.noise, series.noise_corr_px, rng)
        if exam.kind == "ct":
            stored = np.round(noisy + 1024.0)
        else:
            stored = np.round(noisy)
        images.append(stored)
        keys.extend([key] * clean[key].shape[0])
    return np.concatenate(images), keys


def _slice_order(exam: ExamSpec, n: int) -> list[int]:
    """Indices of the slices (ascending z) in instance order: CT and GE from the top."""
    down = exam.kind == "ct" or exam.vendor == "GE"
    return list(range(n - 1, -1, -1)) if down else list(range(n))


#: MR display window as a multiple of the liver signal: from 0 to this factor x liver.
MR_WINDOW_TOP = {"t2fs": 3.0, "dwi_b0": 3.0, "dwi_b800": 4.0, "t1_pre": 2.0, "t1_art": 2.4,
                 "t1_pv": 2.0}


def _mr_window(series: SeriesSpec, key: str) -> tuple[float, float]:
    """(centre, width) a reader would start from; ADC maps show 0-2800 x 1e-6 mm2/s."""
    if key == "adc":
        return 1400.0, 2800.0
    top = round(MR_WINDOW_TOP[key] * series.gain * TISSUE_VALUES[key][Tissue.LIVER])
    return top / 2.0, float(top)


def _per_image(exam: ExamSpec, series: SeriesSpec, key: str) -> dict:
    if not series.b_values:
        return {}
    b = 0 if key == "dwi_b0" else 800
    centre, width = _mr_window(series, key)
    window = {"WindowCenter": f"{centre:g}", "WindowWidth": f"{width:g}"}
    if exam.vendor == "SIEMENS":
        return {
            **window,
            "SequenceName": f"*ep_b{b}" + ("t" if b else ""),
            "ImageType": ["ORIGINAL", "PRIMARY", "DIFFUSION", "TRACEW" if b else "NONE", "ND", "NORM"],
            "DiffusionBValue": float(b),
            ((0x0019, 0x0010), "LO"): "SIEMENS MR HEADER",
            ((0x0019, 0x100C), "IS"): str(b),
        }
    return {
        **window,
        ((0x0043, 0x0010), "LO"): "GEMS_PARM_01",
        ((0x0043, 0x1039), "IS"): [str(b), "8", "0", "0"],
    }


def write_series_files(out: Path, model: PatientModel, exam: ExamSpec, series: SeriesSpec,
                       seed: int) -> list[Path]:
    grid = exam.grids[series.grid]
    place = _placement(model, exam, series.grid)
    stored, keys = _stored(model, exam, series, seed)
    n = len(place.z_mm)
    signed = exam.kind == "ct" and exam.vendor == "GE"
    if exam.kind == "ct":
        stored = np.clip(stored, 0, 4095)  # air floors at -1024 HU, as on most scanners
        window = (60.0, 360.0) if series.role == "ct_portal" else (50.0, 400.0)
        rescale, bits = (-1024.0, 1.0), (16 if signed else 12)
    else:
        stored = np.clip(stored, 0, 4095)
        window = _mr_window(series, series.keys[-1])
        rescale, bits = None, 12
    study_uid, for_uid = _uids(seed, model, exam)
    acq_time = add_seconds(exam.time, series.acq_offset_s)
    base = base_dataset(patient=model.spec, exam=exam, series=series, study_uid=study_uid,
                        series_uid=series_uid(seed, model, exam, series), for_uid=for_uid,
                        grid=grid, acq_time=acq_time, window=window, rescale=rescale,
                        signed=signed, bits_stored=bits)
    if series.post_contrast:
        base.ContrastBolusStartTime = add_seconds(exam.time, _injection_offset_s(exam))
    if signed:  # GE CT: the reconstruction circle, padding outside it
        base.PixelPaddingValue = -2000
        rr, cc = np.mgrid[:grid.rows, :grid.columns]
        centre = (grid.rows - 1) / 2.0
        outside = (rr - centre) ** 2 + (cc - centre) ** 2 > (grid.rows / 2.0) ** 2
        stored = np.where(outside[None], -2000, stored)
    off = exam.table_offset_mm
    order = [b * n + k for b in range(len(series.keys)) for k in _slice_order(exam, n)]
    positions = [(place.x0_mm + off[0], place.y0_mm + off[1], place.z_mm[i % n] + off[2])
                 for i in order]
    per_image = [_per_image(exam, series, keys[i]) for i in order]
    return write_series(series_dir(out, model, exam, series), base, stored[order],
                        positions=positions, series_uid_parts=(model.spec.patient_id, exam.date,
                                                               series.number),
                        seed=seed, per_image=per_image)


def _liver_reference(model: PatientModel) -> tuple[float, float, float]:
    """A point of plain liver parenchyma, away from lesions and vessels (body mm)."""
    an = model.anatomy
    offsets = np.array([(dx, dy, dz) for dx in (-8, 0, 8) for dy in (-8, 0, 8) for dz in (-6, 0, 6)])
    for y in range(-40, 50, 6):
        for x in range(-100, -20, 6):
            for z in (-40, -55, -30, -70, -20):
                p = np.array([x, y, z], float) * an.scale
                pts = p + offsets
                if not (an.labels(pts[:, 0], pts[:, 1], pts[:, 2]) == Tissue.LIVER).all():
                    continue
                if all(np.linalg.norm(p - les.centre_mm) > les.semi_axes_mm[0] + 12 for les in model.lesions):
                    return tuple(float(v) for v in p)
    raise RuntimeError("no plain liver reference point found")


def ground_truth(model: PatientModel, seed: int) -> dict:
    """The ground-truth record of one patient (schema in sample_dicom/README.md)."""
    spec = model.spec
    ref = _liver_reference(model)
    exams, role_series = [], {}
    for exam in spec.exams:
        study_uid, for_uid = _uids(seed, model, exam)
        off = np.asarray(exam.table_offset_mm)
        entries = []
        for series in exam.series:
            grid = exam.grids[series.grid]
            place = _placement(model, exam, series.grid)
            n = len(place.z_mm)
            stacks = [{"b_value": (0 if k == "dwi_b0" else 800) if series.b_values else None,
                       "role": series.role, "n_slices": n,
                       "liver_signal": round(series.gain * TISSUE_VALUES[k][Tissue.LIVER], 2)} for k in series.keys]
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
                "slice_z_range_mm": [round(place.z_mm[0] + off[2], 3), round(place.z_mm[-1] + off[2], 3)],
                "acquisition_time": add_seconds(exam.time, series.acq_offset_s),
                "contrast_agent": exam.contrast_agent if series.post_contrast else None,
                "noise_sigma": series.noise,
                "stacks": stacks,
            })
            role_series[series.role] = (exam, series)
        exams.append({
            "kind": exam.kind, "modality": "CT" if exam.kind == "ct" else "MR",
            "study_instance_uid": study_uid, "study_date": exam.date, "study_time": exam.time,
            "study_description": exam.description, "manufacturer": exam.manufacturer,
            "frame_of_reference_uid": for_uid, "patient_position": exam.patient_position,
            "offset_from_body_mm": list(exam.table_offset_mm),
            "liver_reference_mm": [round(float(v), 2) for v in np.add(ref, off)],
            "series": entries,
        })
    lesions = []
    for les in model.lesions:
        per_role = {}
        for role in ROLES:
            exam, series = role_series[role]
            grid = exam.grids[series.grid]
            score, z, diam = visibility(les, grid, _placement(model, exam, series.grid))
            key = [k for k in series.keys if KEY_ROLE[k] == role][-1]
            delta = round(les.delta[key] * series.gain, 2)
            shows = delta != 0.0
            entry = {"visible": bool(shows and score >= 0.5),
                     "contrast": "iso" if not shows else ("hyper" if delta > 0 else "hypo"),
                     "signal_difference": delta,
                     "slice_z_mm": round(z + exam.table_offset_mm[2], 3),
                     "axial_diameter_on_slice_mm": round(diam, 2)}
            if shows and score < 0.5:
                entry["hidden_by"] = "partial_volume"
            per_role[role] = entry
        lesions.append({
            "id": les.lesion_id, "lobe": les.lobe, "segment": les.segment,
            "longest_axial_diameter_mm": round(les.longest_axial_diameter_mm, 2),
            "short_axial_diameter_mm": round(2 * les.semi_axes_mm[1], 2),
            "craniocaudal_extent_mm": round(2 * les.semi_axes_mm[2], 2),
            "axial_rotation_deg": les.rotation_deg,
            "centre_mm": {e.kind: [round(float(v), 2) for v in np.add(les.centre_mm, e.table_offset_mm)]
                          for e in spec.exams},
            "series": per_role,
        })
    counts = {}
    for role in ROLES:
        vis = [les for les in lesions if les["series"][role]["visible"]]
        right = sum(les["lobe"] == "right" for les in vis)
        counts[role] = {"right": right, "left": len(vis) - right, "total": len(vis)}
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": "tools/make_sample_dicom.py", "seed": seed,
        "patient_id": spec.patient_id, "patient_name": spec.name, "sex": spec.sex,
        "birth_date": spec.birth_date, "summary": spec.summary,
        "exams": exams, "lesions": lesions, "counts": counts,
    }


def generate(out: Path, seed: int = DEFAULT_SEED, patient_ids: list[str] | None = None,
             roles: list[str] | None = None, log=print) -> None:
    """Write the sample study below ``out``; with ``roles`` only those series (no JSON)."""
    out = Path(out)
    for index, spec in enumerate(PATIENTS):
        if patient_ids and spec.patient_id not in patient_ids:
            continue
        model = build_patient(spec, index, seed)
        if not roles:
            shutil.rmtree(out / spec.patient_id, ignore_errors=True)
        for exam in spec.exams:
            for series in exam.series:
                if roles and series.role not in roles:
                    continue
                paths = write_series_files(out, model, exam, series, seed)
                log(f"{spec.patient_id} {exam.date} {series.description}: {len(paths)} images")
        if not roles:
            gt_dir = out / "ground_truth"
            gt_dir.mkdir(parents=True, exist_ok=True)
            text = json.dumps(ground_truth(model, seed), indent=1, ensure_ascii=False)
            (gt_dir / f"{spec.patient_id}.json").write_text(text + "\n", encoding="utf-8")
