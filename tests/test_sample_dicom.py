"""The committed synthetic study (sample_dicom/) against its generator and its ground truth."""

from __future__ import annotations

import json
import sys
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import JPEG2000Lossless

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_dicom"
sys.path.insert(0, str(ROOT / "tools"))

from sample.anatomy import Anatomy, Tissue  # noqa: E402
from sample.generate import (DEFAULT_SEED, build_patient, ground_truth,  # noqa: E402
                             write_series_files)
from sample.protocols import PATIENTS  # noqa: E402

MAX_BYTES = 30 * 1024 * 1024
ROLES = {"ct_arterial", "ct_portal", "mr_t2fs", "mr_dwi", "mr_adc", "mr_t1_pre",
         "mr_t1_arterial", "mr_t1_portal"}
RIGHT_SEGMENTS, LEFT_SEGMENTS = {"V", "VI", "VII", "VIII"}, {"II", "III", "IV"}
PATIENT_IDS = [p.patient_id for p in PATIENTS]

pytestmark = pytest.mark.skipif(not (SAMPLE / "ground_truth").is_dir(),
                                reason="sample_dicom/ has not been generated")


@lru_cache(maxsize=None)
def truth(patient_id: str) -> dict:
    return json.loads((SAMPLE / "ground_truth" / f"{patient_id}.json").read_text("utf-8"))


def series_of(gt: dict, role: str) -> tuple[dict, dict]:
    for exam in gt["exams"]:
        for series in exam["series"]:
            if series["role"] == role:
                return exam, series
    raise KeyError(role)


@lru_cache(maxsize=None)
def headers(folder: str) -> list[tuple[str, float, int, pydicom.Dataset]]:
    out = []
    for path in sorted((SAMPLE / folder).glob("*.dcm")):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        b = ds.get("DiffusionBValue")
        if b is None and (0x0043, 0x1039) in ds:
            b = int(str(ds[0x0043, 0x1039].value[0]))
        out.append((str(path), float(ds.ImagePositionPatient[2]), int(b or 0), ds))
    return out


@lru_cache(maxsize=None)
def pixels(path: str) -> np.ndarray:
    ds = pydicom.dcmread(path)
    slope, intercept = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
    return ds.pixel_array.astype(np.float64) * slope + intercept


def disc_mean(series: dict, z_mm: float, b_value: int, centre_mm, radius_mm: float) -> float:
    """Mean of the pixels within ``radius_mm`` of a point, on the image nearest ``z_mm``."""
    candidates = [h for h in headers(series["folder"]) if h[2] == b_value]
    path, _, _, ds = min(candidates, key=lambda h: abs(h[1] - z_mm))
    img = pixels(path)
    ipp = [float(v) for v in ds.ImagePositionPatient]
    rs, cs = (float(v) for v in ds.PixelSpacing)
    rows, cols = np.mgrid[:img.shape[0], :img.shape[1]]
    x, y = ipp[0] + cols * cs, ipp[1] + rows * rs  # IOP is (1,0,0, 0,1,0) throughout
    inside = (x - centre_mm[0]) ** 2 + (y - centre_mm[1]) ** 2 <= radius_mm ** 2
    assert inside.any(), "the disc holds no pixel centre"
    return float(img[inside].mean())


class TestSizeBudget:
    def test_whole_sample_under_30_mb(self):
        total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
        assert total < MAX_BYTES, f"sample_dicom/ is {total / 2**20:.1f} MB"


@pytest.mark.parametrize("patient_id", PATIENT_IDS)
class TestGroundTruth:
    def test_roles_exams_and_dates(self, patient_id):
        gt = truth(patient_id)
        roles = [s["role"] for e in gt["exams"] for s in e["series"]]
        assert sorted(roles) == sorted(ROLES)
        ct, mr = (next(e for e in gt["exams"] if e["kind"] == k) for k in ("ct", "mr"))
        days = (date.fromisoformat(_iso(mr["study_date"])) - date.fromisoformat(_iso(ct["study_date"]))).days
        assert 14 <= days <= 56
        assert ct["frame_of_reference_uid"] != mr["frame_of_reference_uid"]
        assert ct["offset_from_body_mm"] != mr["offset_from_body_mm"]
        uids = [s["series_instance_uid"] for e in gt["exams"] for s in e["series"]]
        assert len(set(uids)) == len(uids)
        _, dwi = series_of(gt, "mr_dwi")
        assert dwi["b_values"] == [0, 800] and [s["b_value"] for s in dwi["stacks"]] == [0, 800]

    def test_lesions(self, patient_id):
        gt = truth(patient_id)
        lesions = gt["lesions"]
        assert 3 <= len(lesions) <= 15
        assert {les["lobe"] for les in lesions} == {"right", "left"}
        for les in lesions:
            assert 4.0 <= les["longest_axial_diameter_mm"] <= 45.0
            assert les["short_axial_diameter_mm"] <= les["longest_axial_diameter_mm"]
            segments = RIGHT_SEGMENTS if les["lobe"] == "right" else LEFT_SEGMENTS
            assert les["segment"] in segments
            assert set(les["series"]) == ROLES

    def test_centres_inside_the_liver_in_both_frames(self, patient_id):
        gt = truth(patient_id)
        spec = next(p for p in PATIENTS if p.patient_id == patient_id)
        anatomy = Anatomy(scale=spec.scale, fat_mm=spec.fat_mm)
        offsets = {e["kind"]: np.asarray(e["offset_from_body_mm"]) for e in gt["exams"]}
        for les in gt["lesions"]:
            body = {k: np.asarray(les["centre_mm"][k]) - offsets[k] for k in ("ct", "mr")}
            np.testing.assert_allclose(body["ct"], body["mr"], atol=0.02)
            x, y, z = (np.array([v]) for v in body["ct"])
            label = Tissue(int(anatomy.labels(x, y, z)[0]))
            assert label in (Tissue.LIVER, Tissue.HEPVEIN, Tissue.PORTAL), (les["id"], label)
            assert bool(anatomy.is_left(x)[0]) == (les["lobe"] == "left")

    def test_counts_match_visibility(self, patient_id):
        gt = truth(patient_id)
        for role in ROLES:
            seen = [les for les in gt["lesions"] if les["series"][role]["visible"]]
            right = sum(les["lobe"] == "right" for les in seen)
            assert gt["counts"][role] == {"right": right, "left": len(seen) - right,
                                          "total": len(seen)}
        for les in gt["lesions"]:
            for entry in les["series"].values():
                assert entry["visible"] <= (entry["contrast"] != "iso")
        assert any(not les["series"][r]["visible"] for les in gt["lesions"] for r in ROLES)

    def test_headers_match(self, patient_id):
        gt = truth(patient_id)
        for exam in gt["exams"]:
            for series in exam["series"]:
                hs = headers(series["folder"])
                assert len(hs) == series["n_images"]
                ds = hs[0][3]
                assert ds.file_meta.TransferSyntaxUID == JPEG2000Lossless
                assert ds.SeriesInstanceUID == series["series_instance_uid"]
                assert ds.StudyInstanceUID == exam["study_instance_uid"]
                assert ds.FrameOfReferenceUID == exam["frame_of_reference_uid"]
                assert [float(v) for v in ds.PixelSpacing] == series["pixel_spacing_mm"]
                assert ds.PatientID == patient_id
                assert sorted({h[2] for h in hs}) == (series["b_values"] or [0])


@pytest.mark.parametrize("patient_id", PATIENT_IDS)
def test_lesion_contrast_on_the_pixels(patient_id):
    """At a lesion's centre the signal departs from plain liver with the recorded sign,
    and a lesion recorded iso-intense does not stand out."""
    gt = truth(patient_id)
    checked = 0
    for role in sorted(ROLES):
        exam, series = series_of(gt, role)
        b = series["reading_b_value"] or 0
        ref_mm = exam["liver_reference_mm"]
        deltas = [abs(les["series"][role]["signal_difference"]) for les in gt["lesions"]
                  if les["series"][role]["visible"]]
        for les in gt["lesions"]:
            entry = les["series"][role]
            if entry["axial_diameter_on_slice_mm"] < 9.0:
                continue
            radius = min(3.0, 0.2 * entry["axial_diameter_on_slice_mm"])
            centre = les["centre_mm"][exam["kind"]]
            diff = (disc_mean(series, entry["slice_z_mm"], b, centre, radius)
                    - disc_mean(series, ref_mm[2], b, ref_mm, 4.0))
            if entry["visible"]:
                sign = 1.0 if entry["contrast"] == "hyper" else -1.0
                assert sign * diff > 0.4 * abs(entry["signal_difference"]), (les["id"], role, diff)
                checked += 1
            elif entry["contrast"] == "iso" and deltas:
                assert abs(diff) < 0.5 * min(deltas), (les["id"], role, diff)
    assert checked >= 5


def _iso(d: str) -> str:
    return f"{d[:4]}-{d[4:6]}-{d[6:]}"


class TestDeterminism:
    def test_ground_truth_regenerates_identically(self):
        spec = PATIENTS[0]
        model = build_patient(spec, 0, truth(spec.patient_id)["seed"])
        fresh = json.loads(json.dumps(ground_truth(model, truth(spec.patient_id)["seed"])))
        assert fresh == truth(spec.patient_id)

    def test_one_series_regenerates_byte_identical(self, tmp_path):
        spec = PATIENTS[0]
        seed = truth(spec.patient_id)["seed"]
        assert seed == DEFAULT_SEED
        model = build_patient(spec, 0, seed)
        exam = next(e for e in spec.exams if e.kind == "mr")
        series = next(s for s in exam.series if s.role == "mr_adc")
        written = write_series_files(tmp_path, model, exam, series, seed)
        _, committed = series_of(truth(spec.patient_id), "mr_adc")
        assert len(written) == committed["n_images"]
        for path in written:
            assert path.read_bytes() == (SAMPLE / committed["folder"] / path.name).read_bytes()
