"""Issue 10, the Follow-up dock in the real main window, driven by key and mouse events: the
reader makes LLSYN001's baseline lesions targets and non-targets (the response table shows the
baseline sum at once), a node leaves the liver counts, Shift+P on the CT of 2023-10-17 carries the
lesions with their follow-up attributes, and the statuses set there change the response."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox

from annotation.records import Measurement
from tests.app.conftest import add_treatment_line, drag, press
from tests.app.test_followup_in_window import _open_exam
from viewer.records import Role

KIND, ORGAN, NODAL, STATUS = 1, 2, 3, 4


def _combo(panel, row: int, column: int) -> QComboBox:  # type: ignore[no-untyped-def]
    box = panel.lesions.cellWidget(row, column)
    assert isinstance(box, QComboBox)
    return box


def _type(qtbot, panel, row: int, column: int, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type the first letters of a choice into a cell's combo box (keyboard search picks it)."""
    box = _combo(panel, row, column)
    box.setFocus()
    qtbot.keyClicks(box, text)
    qtbot.wait(10)  # the edit rebuilds the table (the old combo goes with deleteLater)


def choose_targets(w, qtbot, rows: int):  # type: ignore[no-untyped-def]
    """The Follow-up dock raised and the first ``rows`` lesions of the exam on screen made targets, typed into their
    Kind boxes; returns the panel."""
    w.docks.followup_dock.raise_()
    panel = w.docks.followup_panel
    for row in range(rows):
        _type(qtbot, panel, row, KIND, "t")
    return panel


#: the columns in the order these tests index them (the panel shows Overall and Best after the date)
COLUMNS = ("Date", "Sum mm", "Δ base %", "Δ nadir %", "Target", "Non-target", "New", "Overall", "Best", "Slow PD",
           "TGR %/mo", "Note")


def _responses(panel) -> list[list[str]]:  # type: ignore[no-untyped-def]
    from annotation.qt.followup_responses import RESPONSE_HEADERS

    t = panel.responses
    return [[t.item(r, RESPONSE_HEADERS.index(name)).text() for name in COLUMNS] for r in range(t.rowCount())]


def test_follow_up_panel_kinds_live_response_and_carry(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    reading = w.session.reading
    w.docks.followup_dock.raise_()
    panel = w.docks.followup_panel
    key = w.state.selection.pair
    assert panel.lesions.rowCount() == 4 and panel.responses.rowCount() == 0
    base = {les.lesion_id: les for les in reading.project.lesions_of(*key, "sample")}
    size = {lid: les.observation(Role.CT_PORTAL).diameter_mm for lid, les in base.items()
            if isinstance(les.observation(Role.CT_PORTAL), Measurement)}
    assert {"L1", "L2"} <= set(size)

    qtbot.waitUntil(lambda: "aligned" in w.status.text(), timeout=120000)  # its message said, not over the edit's
    _type(qtbot, panel, 0, KIND, "t")  # L1 target: a timepoint on the CT's date, the baseline sum at once
    assert w.status.text().startswith("recorded: follow-up of L1: target"), w.status.text()  # said, not only shown
    f = reading.project.lesion_followups[(*key, "sample", "L1")]
    assert f.kind.value == "target" and f.status.value == "measured" and f.assessed_role is Role.CT_PORTAL
    assert [t.exam_date.isoformat() for t in reading.project.timepoints.values()] == ["2023-03-14"]
    rows = _responses(panel)
    assert len(rows) == 1 and rows[0][0] == "2023-03-14" and rows[0][7] == "baseline" and float(rows[0][1]) == round(size["L1"], 1)
    _type(qtbot, panel, 1, KIND, "t")
    assert float(_responses(panel)[0][1]) == round(size["L1"] + size["L2"], 1)
    assert panel.lesions.item(1, 8).text() in ("eligible",) or "mm <" in panel.lesions.item(1, 8).text()
    _type(qtbot, panel, 2, KIND, "n")  # L3 non-target
    assert reading.project.lesion_followups[(*key, "sample", "L3")].status.value == "present"

    # L4: a non-target node (organ "node" ticks nodal): its count marks leave the liver counts
    _type(qtbot, panel, 3, KIND, "n")
    before = sum(reading.project.counts(*key, "sample").values())
    owned = [m for m in reading.project.marks_of(*key, "sample") if m.lesion_id == "L4"]
    _type(qtbot, panel, 3, ORGAN, "n")
    f4 = reading.project.lesion_followups[(*key, "sample", "L4")]
    assert f4.organ == "lymph_node" and f4.nodal
    # the status says where its marks went (a radiologist's check: a change of organ was not named)
    assert "organ lymph node (its marks leave the liver's counts), nodal" in w.status.text(), w.status.text()
    assert owned and sum(reading.project.counts(*key, "sample").values()) == before - len(owned)  # tied, not counted
    assert "not in the liver counts" in panel.lesions.item(3, 8).text()
    # in a narrow dock its row grows to hold the wrapped words (it was cut to "not in the liver …")
    t = panel.lesions
    assert t.rowHeight(3) >= 24 and t.rowHeight(0) >= 24  # a combo's height at least
    t.horizontalHeader().setStretchLastSection(False)
    t.setColumnWidth(8, 70)
    qtbot.waitUntil(lambda: t.rowHeight(3) >= 2 * t.fontMetrics().lineSpacing())
    assert t.rowHeight(0) == max(24, t.sizeHintForRow(0))
    t.horizontalHeader().setStretchLastSection(True)
    assert not panel.lesions.selectedItems()  # a clicked cell is not painted as selected
    treated = panel.lesions.cellWidget(3, 5).findChild(QCheckBox)
    assert treated.isVisible()
    qtbot.mouseClick(treated, Qt.MouseButton.LeftButton, pos=QPoint(7, treated.height() // 2))  # on the box
    assert reading.project.lesion_followups[(*key, "sample", "L4")].treated, panel.status.text()

    # a treatment line from the button, its start typed; its baseline offered from the timepoints
    _, line = add_treatment_line(w, qtbot, "2023-04-25")
    assert list(reading.project.treatment_lines.values()) == [line]
    assert line.line_number == 1 and line.start_date.isoformat() == "2023-04-25"
    assert "offer: 2023-03-14" in panel.lines.cellWidget(1, 4).currentText()

    # the follow-up CT: P, then Shift+P carries the lesions with their follow-up attributes
    _open_exam(w, qtbot, "2023-10-17")
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    qtbot.mouseClick(w.grid.viewports[portal], Qt.MouseButton.LeftButton)
    press(w, qtbot, "compare_prior")
    qtbot.waitUntil(lambda: "aligned" in w.status.text(), timeout=120000)  # the registration worker is done
    press(w, qtbot, "carry_lesions")
    assert "with their follow-up kind, organ and series" in w.status.text()
    now = w.state.selection.pair
    assert now is not None and now != key
    carried = {f.lesion_id: f for f in reading.project.lesion_followups.values() if f.exam_pair_id == now[1]}
    assert {lid: (f.kind.value, f.organ, f.nodal, f.treated, f.status.value) for lid, f in carried.items()} == {
        "L1": ("target", "liver", False, False, "not_assessed"), "L2": ("target", "liver", False, False, "not_assessed"),
        "L3": ("non_target", "liver", False, False, "not_assessed"),
        "L4": ("non_target", "lymph_node", True, True, "not_assessed")}
    # a carried lesion made a target again, no line drawn here: not assessed (it was recorded "measured")
    kind = _combo(panel, 0, KIND)
    kind.setCurrentIndex(kind.findData(None))
    qtbot.wait(10)
    assert (*now, "sample", "L1") not in reading.project.lesion_followups
    _type(qtbot, panel, 0, KIND, "t")
    assert reading.project.lesion_followups[(*now, "sample", "L1")].status.value == "not_assessed"
    rows = _responses(panel)
    assert [r[0] for r in rows] == ["2023-03-14", "2023-10-17"] and rows[1][4] == "NE"
    assert [r[7] for r in rows] == ["baseline", "NE"]
    assert f"2023-10-17: {panel.responses.item(1, 11).text()}" in panel.messages.text()  # the note in full
    assert panel.responses.item(1, 0).background().color() != panel.responses.item(0, 0).background().color()

    # both targets gone: target CR (the non-targets not assessed make the overall PR); undo goes back
    _type(qtbot, panel, 0, STATUS, "d")
    _type(qtbot, panel, 1, STATUS, "d")
    rows = _responses(panel)
    assert rows[1][1] == "0.0" and rows[1][4] == "CR" and rows[1][7] == "PR"
    press(w, qtbot, "undo")
    assert _responses(panel)[1][4] == "NE"

    # N on the follow-up exam: a new lesion at this timepoint (it had kind "—" and the response
    # missed the progression until the reader set it); one undo takes the lesion and its kind
    from app.workstation import CellKind

    here = next(i for i in range(len(w.reading.hanging.cells))
                if w.state.reading_role(i) is Role.CT_PORTAL and w.state.cell_kind(i) is CellKind.READING)
    qtbot.mouseClick(w.grid.viewports[here], Qt.MouseButton.LeftButton)
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    f = reading.project.lesion_followups[(*now, "sample", lid)]
    # not assessed until drawn: N alone made the exam PD with nothing recorded of the lesion (a reader's check)
    assert (f.kind.value, f.status.value, f.assessed_role) == ("new", "not_assessed", Role.CT_PORTAL)
    assert "a new lesion at this follow-up once drawn" in w.status.text()
    rows = _responses(panel)
    assert rows[1][6] == "no" and rows[1][7] != "PD", rows[1]
    drag(qtbot, w.grid.viewports[here], (100.0, 100.0), (100.0, 130.0))  # its line: measured, a new lesion
    assert reading.project.lesion_followups[(*now, "sample", lid)].status.value == "measured"
    rows = _responses(panel)
    assert rows[1][6] == "yes" and rows[1][7] == "PD"
    press(w, qtbot, "undo")
    press(w, qtbot, "undo")
    assert (*now, "sample", lid) not in reading.project.lesions and (*now, "sample", lid) not in reading.project.lesion_followups
    # on the baseline exam (no follow-up before it) a lesion has no kind until the reader gives one
    from annotation.followup import followed_before

    assert followed_before(reading.project, "sample", now) and not followed_before(reading.project, "sample", key)
    assert not followed_before(reading.project, "another reader", now)
    # the follow-up exam chosen as a treatment line's baseline: its lesions are the baseline's, not new
    from annotation.followup import FollowupEditor, timepoint_of_pair

    tp = timepoint_of_pair(reading.project, *now)
    FollowupEditor(reading).choose_baseline(now[0], tp.timepoint_id, 1)
    assert not followed_before(reading.project, "sample", now)


def test_short_axis_tool_on_a_node_feeds_the_response(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A (short-axis tool): drag across L1 on its longest-diameter slice; the short axis is drawn
    perpendicular, and once L1 is a nodal target the baseline sum is that short axis."""

    w = window
    reading = w.session.reading
    key = w.state.selection.pair
    w.docks.followup_dock.raise_()
    panel = w.docks.followup_panel
    _type(qtbot, panel, 0, KIND, "t")
    _type(qtbot, panel, 0, ORGAN, "n")  # a node (one key: under load, "no" split past the combo's 400 ms search became "o", other)
    assert "L1 on 2023-03-14: measured but no short axis on CT portal yet" in panel.messages.text()
    w.state.selection.set_lesion(None)
    press(w, qtbot, "next_lesion")  # L1: the cells go to its slice
    assert w.state.selection.lesion_id == "L1"
    cell = next(i for i, c in enumerate(w.reading.hanging.cells) if c.role is Role.CT_PORTAL)
    w.reading.activate(cell)
    m = reading.project.lesions[(*key, "sample", "L1")].observation(Role.CT_PORTAL)
    assert isinstance(m, Measurement) and w.reading.viewports[cell].index == m.slice_index
    press(w, qtbot, "tool_short_axis")
    mid = ((m.p1[0] + m.p2[0]) / 2, (m.p1[1] + m.p2[1]) / 2)
    dr, dc = m.p2[0] - m.p1[0], m.p2[1] - m.p1[1]
    n = (dr * dr + dc * dc) ** 0.5
    a = (mid[0] - 3 * dc / n, mid[1] + 3 * dr / n)  # 3 px one side of the long axis, 4 px the other
    b = (mid[0] + 4 * dc / n, mid[1] - 4 * dr / n)
    drag(qtbot, w.grid.viewports[cell], a, b)
    m2 = reading.project.lesions[(*key, "sample", "L1")].observation(Role.CT_PORTAL)
    assert isinstance(m2, Measurement) and m2.short_axis_mm is not None and m2.short_axis_mm > 1, w.status.text()
    assert m2.diameter_mm == m.diameter_mm and "short axis" in w.status.text()
    u = ((m2.p2[0] - m2.p1[0]) * m2.row_spacing_mm, (m2.p2[1] - m2.p1[1]) * m2.column_spacing_mm)
    v = ((m2.p4[0] - m2.p3[0]) * m2.row_spacing_mm, (m2.p4[1] - m2.p3[1]) * m2.column_spacing_mm)
    assert abs(u[0] * v[0] + u[1] * v[1]) < 1e-6 * (1 + abs(u[0]) + abs(u[1])) * (1 + abs(v[0]) + abs(v[1]))
    drawn = w.reading_view.line_layers[cell]._index.drawn(w.state.selection, "LLSYN001", m2.stack_key, m2.slice_index)
    assert any(lid == "L1" and text == "" for lid, *_, text in drawn)  # the short axis is drawn, unlabelled
    assert any(text.startswith("L1 ") and "×" in text for lid, *_, text in drawn)
    assert float(_responses(panel)[0][1]) == round(m2.short_axis_mm, 1)  # RECIST sums a node's short axis
    # the lesion grid shows both axes, not the long one alone (a reader added up the grid: a wrong sum)
    from annotation.qt.panels import FIXED
    from viewer.records import READING_ROLES

    grid = w.docks.lesion_panel.table
    text = grid.item(0, FIXED + READING_ROLES.index(Role.CT_PORTAL)).text()
    assert text == f"{m2.diameter_mm:.1f} × {m2.short_axis_mm:.1f}", text


def test_a_follow_up_exam_just_opened_shows_its_patient_and_course(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check opened LLSYN001's CT of 2023-10-17 before any edit on it: the Follow-up dock said "No exam
    of this reading yet: open one", its course and lines were blank, and the Clinical record lost the patient's id.
    The exam is on screen: the dock names it, shows the patient's course, and the clinical record stays."""
    w = window
    reading = w.session.reading
    key = w.state.selection.pair
    panel = w.docks.followup_panel
    w.docks.followup_dock.raise_()
    _type(qtbot, panel, 0, KIND, "t")  # a baseline: the patient has a course
    assert _responses(panel)
    _open_exam(w, qtbot, "2023-10-17")
    assert w.state.selection.pair is None  # not recorded until its first edit
    header = panel.header.text()
    assert "LLSYN001" in header and "2023-10-17" in header and "nothing recorded on it yet" in header, header
    assert _responses(panel) and _responses(panel)[0][:8:7] == ["2023-03-14", "baseline"]
    assert "LLSYN001" in w.docks.clinical_dock.windowTitle()


def test_the_baselines_flags_are_said_once(qtbot, tmp_path, sample_dicom) -> None:  # type: ignore[no-untyped-def]
    """At line 2's baseline (2024-03-12) the messages said each flag twice, once as the baseline's flag and once in
    the open exam's note, and the response rows had the space of one (a reader's check at 1920 x 1080)."""
    import shutil

    from analysis.response_live import live_course
    from annotation.followup import FollowupEditor
    from annotation.qt.followup_panel import FollowupPanel
    from annotation.reading import Reading
    from annotation.selection import Selection
    from annotation.store import ReadingStore

    shutil.copy(sample_dicom / "followup.lesionlab", tmp_path / "f.lesionlab")
    with ReadingStore.open(tmp_path / "f.lesionlab") as store:
        reading = Reading(store.load(), reader="sample", sink=store)
        FollowupEditor(reading).choose_baseline("LLSYN001", "T3", 2)
        panel = FollowupPanel(Selection(reading, ("LLSYN001", "F3")), live_course)
        qtbot.addWidget(panel)
        panel.refresh()
        text = panel.messages.text()
        assert text.count("node short axis 11.0 mm < 15 mm") == 1, text
        assert text.count("'new' lesions at the baseline read as non-targets") == 1, text
