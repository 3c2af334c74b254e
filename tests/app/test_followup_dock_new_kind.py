"""The Follow-up dock's kind 'new' on a lesion with nothing drawn recorded it *present*: the exam read PD with nothing
recorded of the lesion, which the change removed from N (a review of session 32 wrote these)."""
from __future__ import annotations

import shutil
from pathlib import Path

from analysis.response_live import live_course
from analysis.response_records import Response
from annotation.qt.followup_panel import FollowupPanel
from annotation.reading import Reading
from annotation.selection import Selection
from annotation.store import ReadingStore
from annotation.vocab import FollowupKind, FollowupStatus, Lobe


def test_kind_new_in_the_dock_with_nothing_drawn(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dst = tmp_path / "followup.lesionlab"
    shutil.copy(Path(__file__).parents[2] / "sample_dicom" / "followup.lesionlab", dst)
    with ReadingStore.open(dst) as store:
        reading = Reading(store.load(), reader="sample", sink=store)
        pair = ("LLSYN001", "F2")
        lid = reading.add_lesion(pair, Lobe.RIGHT)  # a lesion with no kind yet (as on an exam not followed before)
        panel = FollowupPanel(Selection(reading, pair), live_course)
        qtbot.addWidget(panel)
        panel._set_kind(reading.project.lesions[(*pair, "sample", lid)], FollowupKind.NEW)
        f = reading.project.lesion_followups[(*pair, "sample", lid)]
        row = live_course(reading.project, "sample", "LLSYN001").responses[1]
        assert f.status is FollowupStatus.NOT_ASSESSED and row.overall_response is Response.PR, (f.status,
                                                                                                  row.overall_response)


def test_header_of_a_first_exam_of_an_unknown_patient(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The new 'opened' header on the first exam of a patient the project does not know: it offers 'P shows the
    prior exam, Shift+P carries its lesions' though there is no prior exam."""
    import datetime as dt

    dst = tmp_path / "followup.lesionlab"
    shutil.copy(Path(__file__).parents[2] / "sample_dicom" / "followup.lesionlab", dst)
    with ReadingStore.open(dst) as store:
        reading = Reading(store.load(), reader="sample", sink=store)
        panel = FollowupPanel(Selection(reading, None), live_course)
        qtbot.addWidget(panel)
        panel.opened = lambda: ("NEWPATIENT", "2024-01-01", dt.date(2024, 1, 1))
        panel.refresh()
        assert "prior exam" not in panel.header.text(), panel.header.text()
