"""The sample generator's CT noise until session 42, for the tests of one-click rules set on it.

Until session 42 tools/sample/render.add_noise correlated CT noise by a Gaussian of 2.2 pixels (an autocorrelation
FWHM of 5.4 mm, no power above 0.3 cycles/mm: blotches 5-7 mm wide); since, its NPS is a filtered back-projection's
ramp (FWHM 1.7 mm, as the real head CT's). The CT rules of v15-v17 (CT arterial's ``past_end``, ``neighbour_ratio``,
``min_axis_ratio``, ``recheck_mm``; CT portal's ``raw_shell``, ``max_leak_measured``) were each set on bad lines the
blotched noise drew; on the new noise those clicks give good lines or other refusals, so the tests of what each rule
refuses write the same series with the old noise: the same random draws through the old filter, byte-identical to
the files the rules were set on (``tests/viewer/test_old_ct_noise.py`` checks it against a file kept from then).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[2]
OLD_CT_NOISE_CORR_PX = 2.2
DEFAULT_SEED = 2024  # the sample's (tools/sample/model.DEFAULT_SEED)


def _generator() -> Any:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import sample.generate as generate
    finally:
        sys.path.remove(str(ROOT / "tools"))
    return generate


def old_ct_add_noise(real: Any) -> Any:
    """``real`` (render.add_noise) with CT keys given the old noise: white noise through a Gaussian of 2.2 pixels,
    scaled to unit SD over the volume, then to ``sigma``; a quarter of it in air."""

    def add(clean: np.ndarray, key: str, sigma: float, corr_px: float, rng: np.random.Generator, *,
            ramp_f0_per_mm: float = 0.0, pixel_mm: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
        if not key.startswith("ct_"):
            return real(clean, key, sigma, corr_px, rng, ramp_f0_per_mm=ramp_f0_per_mm, pixel_mm=pixel_mm)
        n = rng.standard_normal(clean.shape, dtype=np.float32)
        n = ndimage.gaussian_filter(n, (0.0, OLD_CT_NOISE_CORR_PX, OLD_CT_NOISE_CORR_PX), output=np.float32)
        n = n / n.std(dtype=np.float64)
        return clean + sigma * np.where(clean < -950.0, 0.25, 1.0) * n

    return add


def write_old_noise(out: Path, seed: int, patient: str, roles: list[str]) -> Path:
    """``patient``'s series of ``roles`` (CT) and its ground truth, generator seed ``seed``, with the old CT noise."""
    gen = _generator()
    real = gen.add_noise
    gen.add_noise = old_ct_add_noise(real)
    try:
        gen.generate(out, seed, [patient], roles, log=lambda *a: None)
    finally:
        gen.add_noise = real
    return _write_truth(gen, out, seed, patient)


def write_series(out: Path, seed: int, patient: str, roles: list[str]) -> Path:
    """The same with the generator's own noise (the ramp-spectrum CT noise since session 42): the series' files
    ``make_sample_dicom.py --seed SEED`` writes, byte for byte, and the same ground truth."""
    gen = _generator()
    gen.generate(out, seed, [patient], roles, log=lambda *a: None)
    return _write_truth(gen, out, seed, patient)


def _write_truth(gen: Any, out: Path, seed: int, patient: str) -> Path:
    index = [spec.patient_id for spec in gen.PATIENTS].index(patient)
    (out / "ground_truth").mkdir(exist_ok=True)
    truth = gen.ground_truth(gen.build_patient(gen.PATIENTS[index], index, seed), seed)
    (out / "ground_truth" / f"{patient}.json").write_text(json.dumps(truth), encoding="utf-8")
    return out


def written_lesion(out: Path, seed: int, patient: str, lesion: str, role: str = "ct_arterial") -> tuple[Any, float]:
    """``patient``'s series of ``role`` of seed ``seed`` written (:func:`write_series`) and loaded as the bench loads it,
    and ``lesion``'s truth there (the section's longest axial diameter, mm)."""
    from bench import bench_suggest as bs

    folder = write_series(out, seed, patient, [role])
    truth = next(les for les in bs.truth(patient, folder)["lesions"] if les["id"] == lesion)
    return bs.load(patient, role, folder), float(truth["series"][role]["axial_diameter_on_slice_mm"])
