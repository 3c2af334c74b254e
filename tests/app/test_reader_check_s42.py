"""A radiologist's read of session 42 (LLSYN002 and LLSYN001's follow-up, at 1920 x 1080 and 1366 x 768), each check
driving the real main window with Qt events."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from app.main_window import MainWindow
from tests.app.conftest import READER, press
from viewer.records import READING_ROLES, Role

PAIR = ("LLSYN001", "E1")


def click(qtbot, vp, at) -> None:  # type: ignore[no-untyped-def]
    x, y = vp.transform().image_to_widget(*at)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))


def _marks(w: MainWindow, role: Role) -> int:
    return sum(1 for m in w.session.reading.project.count_marks.values()
               if (m.patient_id, m.exam_pair_id, m.reader, m.role) == (*PAIR, READER, role))


def test_the_click_that_makes_a_cell_active_counts_nothing(window: MainWindow, qtbot, sample_dicom: Path) -> None:  # type: ignore[no-untyped-def]
    """Counting on T1 portal, the reader clicked CT arterial's cell to read it next, the count tool still on: the
    click counted a metastasis there, in the current lobe, where the liver has none (CT arterial 11 -> 12, said only
    as "counted on CT arterial: right 8"). The click that makes a cell active only chooses it, as with one-click
    diameters; the next click in the cell counts."""
    w = window
    truth = json.loads((sample_dicom / "ground_truth" / "LLSYN001.json").read_text())
    liver = next(e for e in truth["exams"] if e["exam_id"] == "mr")["liver_reference_mm"]  # liver, no lesion
    cell = READING_ROLES.index(Role.MR_T2FS)
    model = w.reading.viewports[cell]
    k = model.geometry.nearest_slice(liver)
    model.set_index(k)
    at = model.geometry.pixel_on_slice(liver, k)
    w.reading.activate(READING_ROLES.index(Role.CT_PORTAL))
    press(w, qtbot, "tool_count")
    before = _marks(w, Role.MR_T2FS)
    click(qtbot, w.grid.viewports[cell], at)
    assert w.reading.layout.active == cell
    assert _marks(w, Role.MR_T2FS) == before, w.status.text()
    assert w.status.text() == "not counted: that click made T2 FS the active cell; click the lesion again to count it"
    click(qtbot, w.grid.viewports[cell], at)  # the cell is active: this click counts
    assert _marks(w, Role.MR_T2FS) == before + 1 and w.status.text().startswith("counted on T2 FS"), w.status.text()


def test_shift_e_turns_one_click_diameters_on_and_off(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """One-click diameters took two menu clicks (Read, then the item) each time a reader wanted them on or off, the one
    reading action without a key. Shift+E (the line tool's key, shifted) turns them on and off; the menu's tick
    follows."""
    from app.shortcuts import SHORTCUTS
    from app.suggester import offered_series

    w = window
    sc = next(sc for sc in SHORTCUTS if sc.action == "toggle_one_click")
    # the series are named in the status bar when it is turned on, not in the key table: which series are offered
    # follows the phantoms' figures
    assert w.one_click_action.statusTip() == sc.label and "offered on" in sc.label
    assert not w.view_settings.one_click and w.state.suggest is None
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_E, Qt.KeyboardModifier.ShiftModifier)
    assert w.view_settings.one_click and w.state.suggest is not None and w.one_click_action.isChecked()
    assert w.status.text().startswith(f"one-click diameters on ({offered_series()})"), w.status.text()
    qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_E, Qt.KeyboardModifier.ShiftModifier)
    assert not w.view_settings.one_click and w.state.suggest is None and not w.one_click_action.isChecked()
    assert w.status.text() == "one-click diameters off: drag each diameter", w.status.text()


def test_kinds_chosen_at_the_baseline_after_the_carry_come_with_shift_p_again(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Shift+P on LLSYN001's 2023-10-17 said "no follow-up kind (none at the prior: set target / non-target in
    Follow-up)": the reader set them in Follow-up there, and 2023-10-17 became the baseline (response: none, where
    RECIST gives PR). The message names the prior exam to set them on; once set there, Shift+P again gives the
    carried lesions their kinds (they were to be chosen a second time, by hand)."""
    from annotation.vocab import FollowupKind
    from app.browser import PAYLOAD
    from tests.app.test_followup_in_window import _open_exam
    from tests.app.test_followup_panel_in_window import choose_targets

    w = window
    baseline = w.state.selection.pair
    assert baseline == PAIR
    _open_exam(w, qtbot, "2023-10-17")
    press(w, qtbot, "carry_lesions")
    later = w.state.selection.pair
    assert later is not None and later != baseline
    said = w.status.text()
    assert "no follow-up kind: set target / non-target on the baseline, exam 2023-03-14, then Shift+P again" in said, said
    follow = w.session.reading.project.lesion_followups
    assert not any(k[:2] == later for k in follow)
    # the reader goes back to the baseline and chooses L1 and L2 as targets there
    item = next(i for i in w.browser.pair_items()
                if i.data(0, PAYLOAD).patient_id == "LLSYN001" and not i.data(0, PAYLOAD).is_single)
    w.browser.itemActivated.emit(item, 0)
    qtbot.waitUntil(lambda: w.state.selection.pair == baseline, timeout=60000)
    panel = choose_targets(w, qtbot, 2)
    follow = w.session.reading.project.lesion_followups
    assert follow[(*PAIR, READER, "L1")].kind is FollowupKind.TARGET, panel.messages.text()
    assert follow[(*PAIR, READER, "L2")].kind is FollowupKind.TARGET
    # back on the follow-up exam, Shift+P again: the carried L1 and L2 take those kinds
    _open_exam(w, qtbot, "2023-10-17")
    press(w, qtbot, "carry_lesions")
    follow = w.session.reading.project.lesion_followups
    assert follow[(*later, READER, "L1")].kind is FollowupKind.TARGET, w.status.text()
    assert follow[(*later, READER, "L2")].kind is FollowupKind.TARGET
    assert w.status.text() == "the prior exam's follow-up kind, organ and series carried to L1, L2 (they had none)"
    assert "baseline 2023-03-14" in panel.header.text(), panel.header.text()


def test_at_1366_the_project_s_label_gives_the_message_its_room(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """At 1366 x 768 the reader and project's label took its 460 px and the message beside it lost its advice ("L6 on
    CT arterial: 13.0 mm; …; next: L6 on CT portal (one-click diameters are not off…"). The label gives way to the
    message, down to the reader's name and "…"; beside a short message it takes its 460 px again."""
    from app.store_flow import STORE_LABEL_MAX

    w = window
    w.show()  # polished: its fonts are those a reader sees (not shown, the status bar's font changed after a wait)
    qtbot.waitExposed(w)
    # the pair's alignment is said once it is computed ("CT and MRI aligned from the images: ..."): later, it would be
    # joined to the messages below
    qtbot.waitUntil(lambda: "aligned" in w.status.text(), timeout=10000)
    w.resize(1366, 768)
    qtbot.waitUntil(lambda: w.statusBar().width() <= 1366)
    store = w.store_flow.store_label
    said = ("L6 on CT arterial: 13.0 mm; in the left lobe, no R/L boundary (click it, Shift+R to move); next: L6 on "
            "CT portal (one-click diameters are not offered there)")
    w.state.say(said)
    qtbot.wait(50)  # the status bar lays its widgets out
    # the case met: the message fits beside the reader's name and "…", not beside the whole 460 px label (the font in
    # effect differs from run to run of the suite: the message loses its last words until it fits beside the name)
    bar = w.statusBar().width()
    while w.status.needed_width() > bar - store.prefix_width() - 24:
        said = said.rsplit(" ", 1)[0]
        w.state.say(said)
    said = w.status.text()  # as shown: a message said just after another may be joined to it ("… · CT and MRI …")
    qtbot.wait(50)
    need = w.status.needed_width()
    assert bar - STORE_LABEL_MAX - 24 < need <= bar - store.prefix_width() - 24, (bar, need, store.prefix_width())
    assert w.status.shown_text() == said, (w.status.shown_text(), w.status.width(), store.width())
    assert store.shown_text().startswith("reader: sample"), store.shown_text()
    w.state.say("L6 kept")  # short in any font
    qtbot.waitUntil(lambda: store.width() == STORE_LABEL_MAX, timeout=2000)  # its 460 px again beside a short message
    # the read met: a second reader's label, "reader: Dr Reader (also in the project: sample) · …", 300 px before its path
    who = "reader: Dr Reader (also in the project: sample) · "
    store.keep_prefix = who
    store.setText(who + "/tmp/r42/home1/.local/share/lesionlab/readings/sample_dicom-reading-150d4d.lesionlab")
    w.fit_status_bar()
    w.state.say(said)
    qtbot.wait(50)
    assert w.status.shown_text() == said, (w.status.shown_text(), w.status.width(), store.width())
    assert store.shown_text().startswith(who[:-3]), store.shown_text()
