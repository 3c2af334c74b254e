"""An exam pair with no date has no timepoint: the Follow-up panel says why its follow-up is left out of the
response (its header promised a timepoint "recorded at its first follow-up edit", which never comes without a
date, and the live response dropped its lesions without a word: a RECIST audit), and a new lesion's status
combo offers *equivocal*."""
from __future__ import annotations

from analysis.response_live import live_course
from annotation.followup import FollowupEditor
from annotation.qt.followup_panel import FollowupPanel
from annotation.reading import Reading
from annotation.selection import Selection
from annotation.vocab import FollowupStatus


def test_an_undated_exam_is_said_left_out_and_a_new_lesion_may_be_equivocal(qtbot):
    r = Reading(reader="R")
    r.add_patient("P")
    r.add_exam_pair("P", "E1", ct_date="2024-01-01")
    r.add_exam_pair("P", "E2")
    ed = FollowupEditor(r)
    a = r.add_lesion(("P", "E1"), "right")
    ed.set_lesion_followup(("P", "E1"), a, "target", status="not_assessed")
    z = r.add_lesion(("P", "E2"), "right")
    ed.set_lesion_followup(("P", "E2"), z, "new", status="not_assessed")
    sel = Selection(r, ("P", "E2"))
    sel.set_lesion(z)
    panel = FollowupPanel(sel, live_course)
    qtbot.addWidget(panel)
    header = panel.header.text()
    assert "no date" in header and "first follow-up edit" not in header, header
    assert "exam E2 has no exam date" in panel.messages.text(), panel.messages.text()
    box = panel.lesions.cellWidget(0, 4)
    assert FollowupStatus.EQUIVOCAL in [box.itemData(k) for k in range(box.count())]
