"""The sample reading built from sample_dicom's ground truth: diameters within one pixel, counts exact.

Runs on the generated sample study (``make sample``); ``LESIONLAB_SAMPLE_DICOM`` points it at
another copy. Skipped while the sample study has not been generated.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from annotation.export import cohort_tables, export_project
from annotation.sample_reading import SAMPLE_READER, build_sample_reading
from annotation.store import ReadingStore
from tests.annotation.shipped import assert_same_store_file
from tests.conftest import SAMPLE_DICOM
from viewer.records import READING_ROLES

SAMPLE = Path(os.environ.get("LESIONLAB_SAMPLE_DICOM", SAMPLE_DICOM))
TRUTH = sorted((SAMPLE / "ground_truth").glob("*.json"))
pytestmark = pytest.mark.skipif(not TRUTH, reason=f"no sample study in {SAMPLE} (run make sample)")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "reading.lesionlab"
    summary = build_sample_reading(SAMPLE, path, workers=1)
    return path, summary


def truths():
    return {t["patient_id"]: t for t in (json.loads(p.read_text(encoding="utf-8")) for p in TRUTH)}


def test_measured_diameters_match_ground_truth_within_one_pixel(built):
    path, summary = built
    gt = truths()
    measurements, _, _ = cohort_tables(path)
    with ReadingStore.open(path, read_only=True) as st:
        project = st.load()
    measured = measurements[measurements["status"] == "measured"]
    assert len(measured) == summary.measurements > 0
    for row in measured.itertuples():
        les = project.lesions[(row.patient_id, row.exam_pair_id, row.reader, row.lesion_id)]
        truth = next(t for t in gt[row.patient_id]["lesions"] if t["id"] == les.comment.split()[-1])
        m = les.observation(row.series_role)
        pixel = max(m.row_spacing_mm, m.column_spacing_mm)
        expected = truth["series"][row.series_role]["axial_diameter_on_slice_mm"]
        assert abs(row.diameter_mm - expected) <= pixel, (row.patient_id, row.lesion_id, row.series_role)


def test_measurements_name_the_image_of_the_ground_truth_and_every_series_is_counted(built):
    """Store schema 2: each line records its image (InstanceNumber, SOPInstanceUID) and the
    lesion's tracking UID; those images are the ground truth's (slice nearest the centre); every
    series the sample read counted has status counted, zero counts included."""
    path, _ = built
    gt = truths()
    measurements, counts, _ = cohort_tables(path)
    with ReadingStore.open(path, read_only=True) as st:
        project = st.load()
    measured = measurements[measurements["status"] == "measured"]
    assert len(measured) > 0
    for row in measured.itertuples():
        les = project.lesions[(row.patient_id, row.exam_pair_id, row.reader, row.lesion_id)]
        truth = next(t for t in gt[row.patient_id]["lesions"] if t["id"] == les.comment.split()[-1])
        entry = truth["series"][row.series_role]
        assert (row.sop_instance_uid, row.instance_number, row.slice_index) == (
            entry["sop_instance_uid"], entry["instance_number"], entry["slice_index"])
        assert row.tracking_uid.startswith("2.25.") and row.method == "manual"
    assert measured.groupby(["patient_id", "lesion_id"])["tracking_uid"].nunique().max() == 1
    assert len(counts) == 12 * len(gt) and set(counts["count_status"]) == {"counted"}


def test_protocol_selection_and_counts(built):
    path, _ = built
    gt = truths()
    measurements, counts, _ = cohort_tables(path)
    for pid, truth in gt.items():
        big = sorted((t for t in truth["lesions"] if t["longest_axial_diameter_mm"] >= 5),
                     key=lambda t: -t["longest_axial_diameter_mm"])[:5]
        mine = measurements[measurements["patient_id"] == pid]
        assert sorted(set(mine["lesion_id"]), key=lambda s: int(s[1:])) == [f"L{i}" for i in range(1, len(big) + 1)]
        for i, t in enumerate(big, start=1):
            rows = mine[mine["lesion_id"] == f"L{i}"].set_index("series_role")["status"].to_dict()
            assert len(rows) == 6  # every series has a status
            for role, status in rows.items():
                assert status == ("measured" if t["series"][role]["visible"] else "not_visible")
        got = counts[counts["patient_id"] == pid].set_index(["series_role", "lobe"])["count"]
        assert len(got) == 12
        for role in READING_ROLES:
            per_lobe = truth["counts"][role.value]
            assert (got[(role.value, "right")], got[(role.value, "left")]) == (per_lobe["right"], per_lobe["left"])


def test_endpoints_lie_on_the_lesion_in_the_pixels(built):
    """Independent of the ground-truth numbers: the line's middle is lesion, its outside is not."""
    from viewer.index import index_path
    from viewer.loader import load_stack

    path, _ = built
    with ReadingStore.open(path, read_only=True) as st:
        project = st.load()
    stacks = {s.key: s for s in index_path(SAMPLE, workers=1).stacks}
    les = max(project.lesions.values(), key=lambda les: les.largest_diameter_mm or 0)
    truth = next(t for t in truths()[les.patient_id]["lesions"] if t["id"] == les.comment.split()[-1])
    checked = 0
    for role, m in les.measurements().items():
        if role.value not in ("ct_arterial", "mr_dwi"):
            continue
        image = load_stack(stacks[m.stack_key], workers=1).array[m.slice_index].astype(float)
        p1, p2 = np.asarray(m.p1), np.asarray(m.p2)

        def sample(ts):
            pts = [np.clip(np.round(p1 + t * (p2 - p1)).astype(int), 0, np.array(image.shape) - 1) for t in ts]
            return float(np.mean([image[tuple(p)] for p in pts]))

        # a necrotic lesion's core differs from its solid shell: sample the shell then
        solid = [0.08, 0.12, 0.16, 0.84, 0.88, 0.92] if truth["pattern"] == "necrotic" else np.linspace(0.3, 0.7, 9)
        inside, outside = sample(solid), sample([-0.5, -0.4, 1.4, 1.5])
        contrast = truth["series"][role.value]["contrast"]
        assert (inside > outside) if contrast == "hyper" else (inside < outside), (role, contrast, inside, outside)
        checked += 1
    assert checked == 2


def test_shipped_sample_reading_is_current(built):
    """sample_dicom/reading.lesionlab, when present, equals a fresh build (make it again if not)."""
    shipped = SAMPLE / "reading.lesionlab"
    if not shipped.exists():
        pytest.skip("no shipped sample reading yet (python tools/make_sample_reading.py)")
    path, _ = built
    with ReadingStore.open(shipped, read_only=True) as a, ReadingStore.open(path, read_only=True) as b:
        assert a.load() == b.load()
        assert a.integrity_check() == "ok"
    assert_same_store_file(shipped, path)



def test_sample_reading_exports(built, tmp_path):
    path, summary = built
    with ReadingStore.open(path, read_only=True) as st:
        result = export_project(st.load(), tmp_path / "out")
    assert result.n_patients == summary.patients and len(list((tmp_path / "out" / "patients").glob("*.xlsx"))) == 3
    assert SAMPLE_READER in (tmp_path / "out" / "counts.csv").read_text()
