"""annotation.followup_reads: what a follow-up exam is read on, lesion by lesion (the shipped follow-up read of
LLSYN001: F1 2023-03-14 its baseline, F2 and F3 read on CT portal)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation.followup import FollowupEditor
from annotation.followup_reads import followup_reads
from annotation.reading import Reading
from annotation.store import ReadingStore
from viewer.records import Role

STORE = Path(__file__).resolve().parents[2] / "sample_dicom" / "followup.lesionlab"
CT = (Role.CT_ARTERIAL, Role.CT_PORTAL)
pytestmark = pytest.mark.skipif(not STORE.is_file(), reason="no sample follow-up (make sample)")


@pytest.fixture
def reading() -> Reading:
    with ReadingStore.open(STORE, read_only=True) as store:
        return Reading(store.load(), reader="sample")


def test_a_baseline_reads_every_series_a_follow_up_its_lesions_own(reading: Reading) -> None:
    project = reading.project
    assert followup_reads(project, "sample", ("LLSYN001", "F1")) is None  # the baseline: the protocol's every series
    assert followup_reads(project, "sample", None) is None
    assert followup_reads(project, "Dr Other", ("LLSYN001", "F3")) is None  # no follow-up of theirs before it
    reads = followup_reads(project, "sample", ("LLSYN001", "F3"))
    assert reads is not None and reads.exam == {Role.CT_PORTAL}
    assert reads.of("L1", CT) == {Role.CT_PORTAL} and reads.of("L6", CT) == {Role.CT_PORTAL}
    # a lesion of the exam without a record (N started, its kind cleared): the exam's series
    assert reads.of("L9", CT) == {Role.CT_PORTAL}
    # the lesion's series not in the exam (an MRI follow-up of a lesion read on CT portal): every series it holds
    assert reads.of("L1", (Role.MR_T2FS, Role.MR_DWI)) == {Role.MR_T2FS, Role.MR_DWI}


def test_a_lesion_moved_to_another_series_is_read_there_and_an_exam_without_records_reads_the_earlier(
        reading: Reading) -> None:
    editor = FollowupEditor(reading)
    pair = ("LLSYN001", "F3")
    f = reading.project.lesion_followups[(*pair, "sample", "L2")]
    editor.set_lesion_followup(pair, "L2", f.kind, status=f.status, assessed_role=Role.CT_ARTERIAL)
    reads = followup_reads(reading.project, "sample", pair)
    assert reads is not None and reads.of("L2", CT) == {Role.CT_ARTERIAL} and reads.of("L1", CT) == {Role.CT_PORTAL}
    assert reads.exam == {Role.CT_PORTAL, Role.CT_ARTERIAL}
    for les in reading.project.lesions_of(*pair, "sample"):
        editor.clear_lesion_followup(pair, les.lesion_id)
    reads = followup_reads(reading.project, "sample", pair)  # still a follow-up: F2 was read before it
    assert reads is not None and reads.exam == {Role.CT_PORTAL} and reads.of("L1", CT) == {Role.CT_PORTAL}


def test_a_ct_and_mri_pair_after_a_follow_up_reads_every_series(reading: Reading) -> None:
    """review46: a later exam pair holding a CT and an MRI (the protocol's six series, the sizes the study compares)
    of a patient followed before was read on the assessed series only: the grid blanked the other five and Enter
    skipped them."""
    import datetime as dt

    from annotation.records import ExamPair

    project = reading.project.with_record(ExamPair("LLSYN001", "P4", "1.2.3.4", "1.2.3.5", dt.date(2024, 9, 1),
                                                   dt.date(2024, 9, 3)))
    assert followup_reads(project, "sample", ("LLSYN001", "P4")) is None
    # a one-modality exam of the same date stays a follow-up read on its lesions' own series
    project = project.with_record(ExamPair("LLSYN001", "P5", "1.2.3.6", "", dt.date(2024, 10, 1), None))
    reads = followup_reads(project, "sample", ("LLSYN001", "P5"))
    assert reads is not None and reads.of("L1", CT) == {Role.CT_PORTAL}
