"""A radiologist's check under Xvfb (session 35), reproduced through the real main window with real Qt events:
with L1 current, a click inside another lesion on another series was recorded as L1's line there, 100 mm from
L1's lines on the other series, and nothing said it, neither then nor in Checks."""

from __future__ import annotations

from annotation.checks import CheckCode
from annotation.records import Measurement
from app.main_window import MainWindow
from tests.app.conftest import READER, drag, press
from viewer.records import READING_ROLES, Role


def test_a_lesion_drawn_far_from_its_lines_on_another_series_is_said_and_listed(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    # the sample's read, its MRI lines brought into the CT's frame by the pair's alignment: nothing far apart
    qtbot.waitUntil(lambda: w.state.alignment is not None, timeout=120000)
    w.docks.checks_panel.refresh()
    measured = [les for les in w.session.reading.project.lesions_of("LLSYN001", "E1", READER) if les.measurements()]
    assert len(measured) >= 3
    place = {(les.lesion_id, r): w.state.place_of(m) for les in measured for r, m in les.measurements().items()}
    assert all(p is not None for p in place.values()) and len({p[0] for p in place.values() if p}) == 1  # one frame
    assert not [x for x in w.docks.checks_panel.warnings if x.code in (CheckCode.LINES_APART, CheckCode.SIZE_APART)]
    art, portal = READING_ROLES.index(Role.CT_ARTERIAL), READING_ROLES.index(Role.CT_PORTAL)
    w.reading.activate(art)
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    drag(qtbot, w.grid.viewports[art], (200.0, 150.0), (200.0, 190.0))  # ~30 mm on CT arterial
    key = ("LLSYN001", "E1", READER, lid)
    assert isinstance(w.session.reading.project.lesions[key].observation(Role.CT_ARTERIAL), Measurement), w.status.text()
    # the same frame of reference: a line on CT portal near it is the lesion's, said as before
    w.reading.activate(portal)
    vp = w.grid.viewports[portal]
    drag(qtbot, vp, (202.0, 152.0), (202.0, 190.0))
    assert "another lesion?" not in w.status.text(), w.status.text()
    assert not [x for x in w.docks.checks_panel.warnings if x.code is CheckCode.LINES_APART]
    # redrawn 150 mm away (another lesion clicked with L1 current): recorded, said at once, and listed in Checks
    w.reading.activate(portal)
    drag(qtbot, vp, (200.0, 350.0), (200.0, 390.0))
    line = w.session.reading.project.lesions[key].observation(Role.CT_PORTAL)
    assert isinstance(line, Measurement) and line.p1[1] > 300, w.status.text()
    assert f"mm from its line on CT arterial: another lesion? (Ctrl+Z undoes; N for a new lesion)" in w.status.text(), \
        w.status.text()
    assert w.reading.layout.active == portal  # the line stays in view, to be undone or kept
    found = [x for x in w.docks.checks_panel.warnings if x.code is CheckCode.LINES_APART]
    assert len(found) == 1 and found[0].lesion_id == lid, [str(x) for x in w.docks.checks_panel.warnings]
    assert f"{lid}'s lines on CT arterial and CT portal lie" in found[0].message, found[0].message
    press(w, qtbot, "undo")
    assert not [x for x in w.docks.checks_panel.warnings if x.code is CheckCode.LINES_APART]


def test_another_exam_starts_in_the_right_lobe(window: MainWindow, qtbot, sample_dicom, sample_index) -> None:  # type: ignore[no-untyped-def]
    """The lobe chosen last on one exam recorded the next exam's first lesions in the left lobe, and at a follow-up
    months later; each exam now starts in the right lobe (the toolbar says it), the same exam opened again keeps it."""
    from annotation.vocab import Lobe
    from tests.app.conftest import open_pair

    w = window
    press(w, qtbot, "lobe_left")
    assert w.state.selection.lobe is Lobe.LEFT and w.actions_by_id["lobe_left"].isChecked()
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN002")
    assert w.state.selection.lobe is Lobe.RIGHT and w.actions_by_id["lobe_right"].isChecked()
    press(w, qtbot, "lobe_left")
    w.state.open_pair(w.state.pair)  # the same exam again (a restart, a re-hang): the reader's lobe stays
    assert w.state.selection.lobe is Lobe.LEFT
    w.reading.activate(READING_ROLES.index(Role.CT_ARTERIAL))
    press(w, qtbot, "new_lesion")
    assert "(left lobe)" in w.status.text(), w.status.text()
