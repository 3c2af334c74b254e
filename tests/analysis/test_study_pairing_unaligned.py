"""A study store as a coordinator sets it up through the documented commands holds no CT <-> MRI alignment:
the blinded cases hang one modality only, so the workstation never registers the pair, and the study sink
refuses alignments. `lesionlab study reads --dicom PATH` then paired no lesion across the sessions (a
coordinator's audit: 0 paired, 78 unpaired, every MRI-vs-CT diameter test "no pairs"). With the images
given it proposes the missing alignments itself, from the images, as the workstation would."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from analysis.study_pairing import write_study_reads
from analysis.study_sample import build_sample_study
from tests.conftest import SAMPLE_DICOM


@pytest.fixture(scope="module")
def unaligned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (SAMPLE_DICOM / "reading.lesionlab").is_file():
        pytest.skip("sample_dicom/reading.lesionlab is missing (make sample)")
    store = tmp_path_factory.mktemp("study") / "study.lesionlab"
    build_sample_study(SAMPLE_DICOM, SAMPLE_DICOM / "reading.lesionlab", store, seed=5)
    with sqlite3.connect(store) as con:  # what the documented set-up gives: no alignment in the store
        con.execute("DELETE FROM alignments")
    return store


def test_study_reads_with_the_images_pairs_sessions_of_a_store_without_alignments(unaligned: Path,
                                                                                   tmp_path: Path) -> None:
    out = tmp_path / "reads.lesionlab"
    _, table_path, pairings = write_study_reads(unaligned, out, dicom=SAMPLE_DICOM)
    table = pd.read_csv(table_path)
    # every case of both readers: the sample's lesions are 5-45 mm apart, the readers' noise 1-2 mm
    assert (table["paired"] > 0).all(), table[["reader", "code", "paired", "note"]].to_string()
    assert table["paired"].sum() >= 0.8 * table[["first_lesions", "second_lesions"]].min(axis=1).sum()
    assert table["note"].str.contains("alignment proposed from the images").all()


def test_without_the_images_the_note_says_what_to_do(unaligned: Path, tmp_path: Path) -> None:
    _, table_path, _ = write_study_reads(unaligned, tmp_path / "reads.lesionlab")
    table = pd.read_csv(table_path)
    assert (table["paired"] == 0).all() and table["note"].str.contains("--dicom").all()
