"""viewer.registration on the sample study: the CT portal and MRI T1 portal of LLSYN003, where
the liver moves 15 mm against the body between the two exams (breathing), loaded as the
workstation loads them. Every lesion's ground-truth centre on the MRI, mapped by the proposal,
must land within 5 mm (3D) of the same lesion's centre on the CT. The other pairs are measured by
``make bench`` (bench/bench_register.py), to keep the suite fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from viewer.index import index_path
from viewer.loader import Volume, load_stack
from viewer.registration import AlignmentProposal, Focus, Outcome, propose_alignment

PATIENT = "LLSYN003"
GOAL_MM = 5.0


def _truth(sample: Path) -> dict[str, Any]:
    return json.loads((sample / "ground_truth" / f"{PATIENT}.json").read_text())


def _load(sample: Path, exam_id: str, role: str) -> Volume:
    exam = next(e for e in _truth(sample)["exams"] if e["exam_id"] == exam_id)
    folder = next(s["folder"] for s in exam["series"] if s["role"] == role)
    (stack,) = index_path(sample / folder, workers=1).stacks
    return load_stack(stack)


@pytest.fixture(scope="module")
def pair(sample_dicom: Path) -> tuple[Volume, Volume, dict[str, Any]]:
    return _load(sample_dicom, "ct", "ct_portal"), _load(sample_dicom, "mr", "mr_t1_portal"), _truth(sample_dicom)


@pytest.fixture(scope="module")
def proposal(pair: tuple[Volume, Volume, dict[str, Any]]) -> AlignmentProposal:
    prop = propose_alignment(pair[0], pair[1])
    assert prop is not None
    return prop


def _distances(truth: dict[str, Any], apply: Any) -> np.ndarray:
    return np.array([np.linalg.norm(np.asarray(apply(les["centre_mm"]["mr"])) - np.asarray(les["centre_mm"]["ct"]))
                     for les in truth["lesions"]])


def test_the_sample_moves_the_liver_against_the_body(pair: tuple[Volume, Volume, dict[str, Any]]) -> None:
    """The case is the hard one: aligning the frames' table offsets leaves the lesions 15 mm apart."""
    _, _, truth = pair
    exams = {e["exam_id"]: e for e in truth["exams"]}
    table = np.asarray(exams["ct"]["offset_from_body_mm"]) - np.asarray(exams["mr"]["offset_from_body_mm"])
    assert _distances(truth, lambda p: np.asarray(p) + table).min() > 10.0


def test_liver_focus_brings_every_lesion_within_5_mm(pair: tuple[Volume, Volume, dict[str, Any]],
                                                     proposal: AlignmentProposal) -> None:
    truth, prop = pair[2], proposal
    assert prop.outcome is Outcome.PROPOSED and prop.focus is Focus.LIVER, prop.summary()
    d = _distances(truth, prop.apply)
    assert len(d) == len(truth["lesions"]) >= 5
    assert d.max() < GOAL_MM, (d.round(2), prop.summary())


def test_a_whole_body_alignment_leaves_the_breathing_shift(pair: tuple[Volume, Volume, dict[str, Any]],
                                                          proposal: AlignmentProposal) -> None:
    """Why the liver is the focus: the body registers the table, not the liver that slid under the ribs."""
    ct, mr, truth = pair
    body = propose_alignment(ct, mr, focus=Focus.BODY)
    assert body is not None
    d_body, d_liver = _distances(truth, body.apply), _distances(truth, proposal.apply)
    assert d_body.mean() > d_liver.mean() + 2.0, (d_body.round(2), d_liver.round(2))


def test_fixed_and_moving_swapped_give_the_inverse(pair: tuple[Volume, Volume, dict[str, Any]],
                                                   proposal: AlignmentProposal) -> None:
    """The lead may register MRI <- CT as well: the CT keeps the focus and the matrices agree."""
    ct, mr, truth = pair
    forward, backward = proposal, propose_alignment(mr, ct)
    assert backward is not None
    assert np.allclose(forward.affine @ backward.affine, np.eye(4), atol=1e-6)
    back = np.array([np.linalg.norm(np.asarray(backward.apply(les["centre_mm"]["ct"])) - les["centre_mm"]["mr"])
                     for les in truth["lesions"]])
    assert back.max() < GOAL_MM
