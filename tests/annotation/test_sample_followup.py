"""sample_dicom/followup.lesionlab: LLSYN001's follow-up read from the ground truth (annotation/sample_followup.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from analysis.response import assess_course
from analysis.response_store import load_store_courses
from annotation.sample_followup import build_sample_followup
from annotation.store import ReadingStore
from tests.annotation.shipped import assert_same_store_file

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_dicom"
STORE = SAMPLE / "followup.lesionlab"
sys.path.insert(0, str(ROOT / "tools"))
from sample.patients import PATIENTS  # noqa: E402

pytestmark = pytest.mark.skipif(not STORE.is_file(), reason="no sample follow-up (make sample)")
TRUTH = json.loads((SAMPLE / "ground_truth" / "LLSYN001.json").read_text("utf-8"))


def _lobes() -> dict[str, str]:
    return {f"L{i + 1:02d}": p.lobe for s in PATIENTS if s.followup for i, p in enumerate(s.lesions)}


def test_the_shipped_store_is_a_fresh_build(tmp_path: Path) -> None:
    fresh = tmp_path / "followup.lesionlab"
    assert build_sample_followup(SAMPLE, fresh, _lobes()) == 16
    with ReadingStore.open(STORE, read_only=True) as a, ReadingStore.open(fresh, read_only=True) as b:
        assert a.load() == b.load()
    assert_same_store_file(STORE, fresh)


def test_the_engine_gives_the_truth_from_the_store() -> None:
    (course,) = load_store_courses(STORE)
    rows = assess_course(course)
    for got, want in zip(rows, TRUTH["followup"]["timepoints"]):
        assert got.sum_mm == pytest.approx(want["sum_on_slice_mm"], abs=0.01)
        for field in ("target_response", "non_target_response", "new_lesions", "overall_response",
                      "best_overall_response", "nen_slow_progression"):
            value = getattr(got, field)
            assert (value.value if hasattr(value, "value") else value) == want.get(field), (want["timepoint"], field)


def test_same_lesions_as_the_sample_reading() -> None:
    """The follow-up's baseline lesions are the exam pair's lesions (one tracking UID each)."""
    with ReadingStore.open(SAMPLE / "reading.lesionlab", read_only=True) as st:
        pair = {les.comment: les.tracking_uid for les in st.load().lesions.values() if les.patient_id == "LLSYN001"}
    with ReadingStore.open(STORE, read_only=True) as st:
        project = st.load()
    baseline = {les.comment: les.tracking_uid for les in project.lesions.values() if les.exam_pair_id == "F1"}
    shared = set(pair) & set(baseline)
    assert {"ground truth L01", "ground truth L02"} <= shared
    assert all(pair[c] == baseline[c] for c in shared)
    node = [f for f in project.lesion_followups.values() if f.nodal and f.exam_pair_id == "F1"][0]
    m = project.lesions[node.key].observation("ct_portal")
    assert m is not None and m.short_axis_mm == pytest.approx(18.0, abs=0.01)  # type: ignore[union-attr]
