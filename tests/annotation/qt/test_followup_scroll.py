"""The follow-up table brings the lesion read into view when it changes, not at every edit: a review edited
L20's status far down and the table jumped back to L1's row."""
from __future__ import annotations

from analysis.response_live import live_course
from annotation.followup import FollowupEditor
from annotation.qt.followup_panel import FollowupPanel
from annotation.reading import Reading
from annotation.selection import Selection
from annotation.vocab import FollowupStatus


def test_choosing_a_status_far_down_does_not_scroll_the_table_back(qtbot):
    r = Reading(reader="R")
    r.add_patient("P")
    r.add_exam_pair("P", "E1", ct_date="2024-01-01")
    sel = Selection(r, ("P", "E1"))
    ed = FollowupEditor(r)
    ids = [r.add_lesion(("P", "E1"), "right") for _ in range(20)]
    for lid in ids:
        ed.set_lesion_followup(("P", "E1"), lid, "non_target", status="present")
    sel.set_lesion(ids[0])
    panel = FollowupPanel(sel, live_course)
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    qtbot.waitExposed(panel)
    t = panel.lesions
    t.scrollToBottom()
    qtbot.wait(50)
    top_before = t.rowAt(0)
    box = t.cellWidget(19, 4)  # L20's status
    i = next(k for k in range(box.count()) if box.itemData(k) != box.itemData(box.currentIndex()))
    box.setCurrentIndex(i)  # the reader's choice
    qtbot.wait(50)
    assert r.project.lesion_followups[("P", "E1", "R", ids[19])].status is not FollowupStatus.PRESENT
    assert t.rowAt(0) == top_before, "the table jumped back to the current lesion's row"
