"""Generate the sample study: every patient's exams, series files and ground truth."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np

from .followup import followup_csv_rows, treatment_line_csv_rows
from .dicomwrite import add_seconds, base_dataset, write_series
from .model import (DEFAULT_SEED, PatientModel, build_patient, exam_uids, findings_in, placement,
                    series_dir, series_uid, slice_order)
from .patients import PATIENTS
from .protocols import ExamSpec, SeriesSpec
from .render import adc_map, add_noise, render_clean
from .tissues import LIVER
from .truth import ground_truth

__all__ = ["DEFAULT_SEED", "build_patient", "generate", "ground_truth", "write_series_files"]


def _injection_offset_s(exam: ExamSpec) -> int:
    post = [s.acq_offset_s for s in exam.series if s.post_contrast]
    return min(post) - (30 if exam.kind == "ct" else 25)


_CLEAN_CACHE: dict[tuple, dict[str, np.ndarray]] = {}


def _clean_volumes(model: PatientModel, exam: ExamSpec, grid_name: str, seed: int) -> dict[str, np.ndarray]:
    """Noise-free volumes of every key rendered on one grid of an exam (cached: the series
    of a grid share their geometry, only the tissue values differ). The seed is in the key: a
    process generating one patient of two seeds in turn (a test writing realisation 102's LLSYN002,
    then 101's) got the first seed's anatomy for the second (session 43)."""
    cache_key = (seed, model.spec.patient_id, exam.date, grid_name)
    if cache_key not in _CLEAN_CACHE:
        _CLEAN_CACHE.clear()  # one grid at a time keeps memory flat
        keys = tuple(k for s in exam.series if s.grid == grid_name and not s.derived_from for k in s.keys)
        _CLEAN_CACHE[cache_key] = render_clean(model.anatomy, findings_in(model, exam), exam.grids[grid_name],
                                               placement(model, exam, grid_name), keys, exam.liver_shift_mm)
    return _CLEAN_CACHE[cache_key]


def _stored(model, exam, series, seed) -> tuple[np.ndarray, list[str]]:
    """Stored values (images, rows, cols), clipped to the stored range, and each image's key."""
    if series.derived_from:  # ADC: from the DWI series' own b0 and b800 images
        dwi = next(s for s in exam.series if s.role == series.derived_from)
        images, _ = _stored(model, exam, dwi, seed)
        n = len(images) // 2
        adc = np.round(adc_map(images[:n], images[n:], dwi.noise))
        return adc, [series.keys[0]] * n
    clean = _clean_volumes(model, exam, series.grid, seed)
    rng = np.random.default_rng([seed, model.index, exam.timepoint, 1 + exam.series.index(series), series.number])
    images, keys = [], []
    for key in series.keys:
        noisy = add_noise(clean[key] * series.gain, key, series.noise, series.noise_corr_px, rng,
                          ramp_f0_per_mm=series.noise_f0_per_mm, pixel_mm=exam.grids[series.grid].pixel_spacing_mm)
        stored = np.round(noisy + 1024.0) if exam.kind == "ct" else np.round(noisy)
        images.append(np.clip(stored, 0, 4095))  # CT air floors at -1024 HU, as on most scanners
        keys.extend([key] * clean[key].shape[0])
    return np.concatenate(images), keys


#: MR display window as a multiple of the liver signal: from 0 to this factor x liver.
MR_WINDOW_TOP = {"t2fs": 3.0, "dwi_b0": 3.0, "dwi_b800": 4.0, "t1_pre": 2.0, "t1_art": 2.4,
                 "t1_pv": 2.0}


def _mr_window(series: SeriesSpec, key: str) -> tuple[float, float]:
    """(centre, width) a reader would start from; ADC maps show 0-2800 x 1e-6 mm2/s."""
    if key == "adc":
        return 1400.0, 2800.0
    top = round(MR_WINDOW_TOP[key] * series.gain * LIVER[key])
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
    place = placement(model, exam, series.grid)
    stored, keys = _stored(model, exam, series, seed)
    n = len(place.z_mm)
    signed = exam.kind == "ct" and exam.vendor == "GE"
    if exam.kind == "ct":
        window = (60.0, 360.0) if series.role == "ct_portal" else (50.0, 400.0)
        rescale, bits = (-1024.0, 1.0), (16 if signed else 12)
    else:
        window = _mr_window(series, series.keys[-1])
        rescale, bits = None, 12
    study_uid, for_uid = exam_uids(seed, model, exam)
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
    order = [b * n + k for b in range(len(series.keys)) for k in slice_order(exam, n)]
    positions = [(place.x0_mm + off[0], place.y0_mm + off[1], place.z_mm[i % n] + off[2])
                 for i in order]
    per_image = [_per_image(exam, series, keys[i]) for i in order]
    return write_series(series_dir(out, model, exam, series), base, stored[order],
                        positions=positions, series_uid_parts=(model.spec.patient_id, exam.date,
                                                               series.number),
                        seed=seed, per_image=per_image)


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
            truth = ground_truth(model, seed)
            text = json.dumps(truth, indent=1, ensure_ascii=False)
            (gt_dir / f"{spec.patient_id}.json").write_text(text + "\n", encoding="utf-8")
            for suffix, rows in (("followup", followup_csv_rows(truth)),
                                 ("treatment_lines", treatment_line_csv_rows(truth))):
                if rows:
                    with open(gt_dir / f"{spec.patient_id}_{suffix}.csv", "w", newline="", encoding="utf-8") as fh:
                        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
                        writer.writeheader()
                        writer.writerows(rows)
