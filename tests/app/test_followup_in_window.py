"""Issue 10, reading a follow-up in the window: a CT-only timepoint is an exam of its own in the
browser; P shows the active series beside the same series of the prior exam (read-only, its lines
drawn, aligned by registration), Shift+P carries the prior's lesions with their identities, ]
brings both cells to the lesion, L keeps the current <- prior alignment in the store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from annotation.records import Measurement
from annotation.vocab import AlignmentSource
from app.browser import PAYLOAD
from app.workstation import CellKind
from tests.app.conftest import press, shown_whole
from viewer.records import Role


def _open_exam(w, qtbot, date: str):  # type: ignore[no-untyped-def]
    item = next(i for i in w.browser.pair_items()
                if i.data(0, PAYLOAD).patient_id == "LLSYN001" and i.data(0, PAYLOAD).is_single
                and i.data(0, PAYLOAD).study_date.isoformat() == date)
    assert "follow-up" in item.text(1)
    w.browser.itemActivated.emit(item, 0)
    qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack), timeout=60000)


def _said(w) -> list[str]:  # type: ignore[no-untyped-def]
    """Every status message from now on, in order."""
    said: list[str] = []
    w.state.changed.connect(lambda aspect: said.append(w.state.status) if aspect == "status" else None)
    return said


def _carried_and_shown_in_the_prior(w, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Shift+P once the prior has loaded, then ]: the carried lesions are found on the prior's series, and ]
    takes its cell to the lesion's line."""
    prior_vp = w.reading.viewports[1]
    qtbot.waitUntil(lambda: prior_vp.volume is not None and prior_vp.volume.loaded.all(), timeout=60000)
    press(w, qtbot, "carry_lesions")
    w.state.selection.set_lesion(None)
    press(w, qtbot, "next_lesion")
    baseline = w.session.reading.project.lesions[("LLSYN001", "E1", "sample", w.state.selection.lesion_id)]
    want = baseline.observation(Role.CT_PORTAL)
    assert isinstance(want, Measurement) and prior_vp.index == want.slice_index


def test_follow_up_prior_beside_current(window, qtbot, sample_dicom: Path) -> None:  # type: ignore[no-untyped-def]
    w = window
    truth = json.loads((sample_dicom / "ground_truth" / "LLSYN001.json").read_text())
    baseline_key = w.state.selection.pair
    baseline = {les.lesion_id: les for les in w.session.reading.project.lesions_of(*baseline_key, "sample")}
    assert baseline, "the sample reading has LLSYN001's baseline lesions"

    _open_exam(w, qtbot, "2023-10-17")  # CT portal only
    assert w.state.pair is not None and w.state.pair.mr is None
    # the cell it has is the active one (it opened on the empty CT arterial cell, and P then refused)
    assert w.reading.hanging.cells[w.reading.layout.active].role is Role.CT_PORTAL
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    qtbot.mouseClick(w.grid.viewports[portal], Qt.MouseButton.LeftButton)  # the window/level tool: activates only
    assert w.reading.layout.active == portal

    press(w, qtbot, "compare_prior")
    assert w.reading.layout.grid == (1, 2) and w.follow_up.active
    assert not w.docks.followup_dock.visibleRegion().isEmpty()  # the Follow-up dock came to the front
    assert w.state.cell_kind(0) is CellKind.READING and w.state.cell_kind(1) is CellKind.COMPARISON
    prior = w.reading.hanging.cells[1].stack
    assert prior.study_date == "20230314" and w.reading.hanging.role_of(prior) is Role.CT_PORTAL
    # dated as the status bar dates it (the title read "20230314" beside "2023-03-14": a reader's check)
    assert "read-only" in w.state.cell_title(1) and "2023-03-14" in w.state.cell_title(1), w.state.cell_title(1)

    # the prior's lines are drawn in its cell (indexed by stack), none in the new exam yet
    layer_prior, layer_now = w.reading_view.line_layers[1], w.reading_view.line_layers[0]
    ms = [(lid, m) for lid, les in baseline.items() for lid2, m in [(lid, les.observation(Role.CT_PORTAL))]
          if isinstance(m, Measurement)]
    assert ms
    lid, m = ms[0]
    assert (lid, m) in layer_prior._index.get(w.state.selection, "LLSYN001", prior.key, m.slice_index)

    # the proposal aligns the two CTs: every lesion's centre at the follow-up maps onto its baseline centre
    qtbot.waitUntil(lambda: "prior exam aligned" in w.status.text(), timeout=120000)
    now_vp, prior_vp = w.reading.viewports[0], w.reading.viewports[1]
    for les in truth["lesions"]:
        c = les["centre_mm"]
        if "ct_tp2" in c and "ct" in c:
            mapped = w.reading.link.map_point(now_vp, prior_vp, np.asarray(c["ct_tp2"], float))
            assert mapped is not None and np.linalg.norm(mapped - np.asarray(c["ct"], float)) < 5.0, les["id"]

    # ] before Shift+P: no lesion on this exam yet, and says how to carry them (it said "choose an exam pair
    # first", though the exam was open, a reader's check)
    press(w, qtbot, "next_lesion")
    assert "Shift+P carries the prior exam's lesions" in w.status.text(), w.status.text()

    # Shift+P: the prior's lesions, same ids and tracking UIDs, one undoable edit
    press(w, qtbot, "carry_lesions")
    key = w.state.selection.pair
    assert key is not None and key != baseline_key
    carried = {les.lesion_id: les for les in w.session.reading.project.lesions_of(*key, "sample")}
    assert set(carried) == set(baseline)
    assert all(carried[i].tracking_uid == baseline[i].tracking_uid and carried[i].lobe == baseline[i].lobe
               for i in baseline)
    assert all(not les.observations for les in carried.values())  # nothing measured for the reader
    assert "no follow-up kind" in w.status.text() and shown_whole(w)  # the baseline had none: not claimed

    # ] steps to a lesion: the prior cell goes to that lesion's baseline slice
    w.state.selection.set_lesion(None)
    press(w, qtbot, "next_lesion")
    first = w.state.selection.lesion_id
    want = baseline[first].observation(Role.CT_PORTAL)
    assert isinstance(want, Measurement)
    assert prior_vp.index == want.slice_index
    # and the current exam's cell, where the lesion has no line yet, to the level its link puts it (only
    # the prior moved: the two cells out of step, both saying "linked", a reader's check)
    middle = prior_vp.geometry.index_to_patient(want.slice_index, *want.middle)
    mapped = w.reading.link.map_point(prior_vp, now_vp, middle)
    assert mapped is not None and now_vp.index == now_vp.geometry.nearest_slice(mapped)
    assert "more at its linked level" in w.status.text()

    # a line drawn in the comparison cell is refused; nothing recorded on the prior exam
    before = w.session.reading.project
    press(w, qtbot, "tool_line")
    w.reading.activate(1)
    from tests.app.conftest import drag
    drag(qtbot, w.grid.viewports[1], (200, 200), (230, 240))
    assert w.session.reading.project is before and "read-only comparison" in w.status.text()

    # L keeps the current <- prior alignment in the store
    w.reading.activate(0)
    press(w, qtbot, "link_all")
    frames = w.state.compare_frames
    assert frames is not None
    kept = w.session.reading.project.alignment("LLSYN001", *frames)
    assert kept is not None and kept.source is AlignmentSource.CONFIRMED

    # P again: the follow-up exam's own cell (its portal phase alone: LayoutModel.fit)
    press(w, qtbot, "compare_prior")
    assert w.reading.layout.grid == (1, 1) and not w.follow_up.active
    assert [c for c, _, _ in w.reading.layout.visible_cells()] == [portal]
    assert all(c.stack is None or w.state.in_pair(c.stack) for c in w.reading.hanging.cells)

    # undo: first the kept alignment, then the carried lesions in one step
    w.session.reading.undo()
    assert w.session.reading.project.alignment("LLSYN001", *frames) is None
    assert w.session.reading.project.lesions_of(*key, "sample")
    w.session.reading.undo()
    assert not w.session.reading.project.lesions_of(*key, "sample")


def test_a_ct_only_exam_asks_only_for_its_series(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The lesion grid of a follow-up CT with the portal phase only: the other five series are "—"
    (no images), not gaps to fill; Checks and counts.csv ask only for the series it has."""
    from annotation.checks import check_pair
    from annotation.tables import count_rows
    from annotation.qt.panels import FIXED
    from viewer.records import READING_ROLES

    w = window
    _open_exam(w, qtbot, "2023-10-17")
    cells = list(w.reading.hanging.cells)
    press(w, qtbot, "swap_adc")  # no MRI: D says so and leaves the cells (it claimed the ADC map shown)
    assert w.status.text() == "this exam has no ADC map to swap to" and list(w.reading.hanging.cells) == cells
    w.state.prepare()
    key = w.state.selection.pair
    w.session.reading.add_lesion(key, "right")
    t = w.docks.lesion_panel.table
    texts = {role: t.item(0, FIXED + j).text() for j, role in enumerate(READING_ROLES)}
    assert texts[Role.CT_PORTAL] == "" and all(texts[r] == "—" for r in READING_ROLES if r is not Role.CT_PORTAL)
    project = w.session.reading.project
    roles = {r["series_role"] for r in count_rows(project) if (r["patient_id"], r["exam_pair_id"]) == key}
    assert roles == {"ct_portal"}  # the series the exam's study holds (session 33; the modality's two before)
    unread = [c.message for c in check_pair(project, *key, "sample") if "not counted" in c.message]
    assert unread and "T2" not in unread[0] and "DWI" not in unread[0] and "arterial" not in unread[0]


def test_a_second_reader_is_told_whose_read_holds_the_baseline(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check as Dr B: Shift+P on a follow-up exam said "no lesion of yours to carry", with
    the sample reader's baseline lesions in the prior cell's project: it now names that reader and how
    to go on with their read."""
    w = window
    w.session.set_reader("Dr B")
    _open_exam(w, qtbot, "2023-10-17")
    portal = next(i for i in range(len(w.reading.hanging.cells))
                  if w.state.reading_role(i) is Role.CT_PORTAL and w.state.cell_kind(i) is CellKind.READING)
    qtbot.mouseClick(w.grid.viewports[portal], Qt.MouseButton.LeftButton)
    edits = len(w.session.store.edits())
    press(w, qtbot, "carry_lesions")
    assert "hold the lesions of sample, none of Dr B's" in w.status.text(), w.status.text()
    assert len(w.session.store.edits()) == edits


def test_p_compares_with_the_last_exam_read_not_an_unread_one_after_it(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check opened the third exam (2024-03-12) before reading the second (2023-10-17): P
    hung the unread 2023-10-17 with no lines, Shift+P carried the baseline's lesions, and ] found them
    on no series. P compares with the last exam read (the baseline), and says the later one is unread."""
    w = window
    _open_exam(w, qtbot, "2024-03-12")
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    qtbot.mouseClick(w.grid.viewports[portal], Qt.MouseButton.LeftButton)
    said = _said(w)
    press(w, qtbot, "compare_prior")
    prior = w.reading.hanging.cells[1].stack
    assert prior.study_date == "20230314", prior.study_date
    # what P said (the alignment's news may follow or, under load, replace it in the bar)
    said = next(m for m in said if "beside the prior" in m)
    assert "2023-10-17 has none of your lesions" in said, said
    # its advice is seen whole at 1,500 px (it was cut), and points to Shift+P (no lesion here yet)
    assert "Shift+P carries its lesions" in said and shown_whole(w, said), said
    _carried_and_shown_in_the_prior(w, qtbot)


def test_p_compares_with_the_exam_shift_p_carries_from_when_the_one_between_is_only_counted(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A second reader's check: with 2023-10-17 only counted, P hung it (no lines) while Shift+P carried
    the baseline's lesions, and ] found them on no series. P and Shift+P now take the same exam."""
    from PySide6.QtCore import QPoint

    w = window
    _open_exam(w, qtbot, "2023-10-17")
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    vp = w.grid.viewports[portal]
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton)
    press(w, qtbot, "tool_count")
    geo = vp.model.geometry
    x, y = vp.transform().image_to_widget(geo.rows / 2, geo.columns / 2)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert "counted on CT portal" in w.status.text()
    _open_exam(w, qtbot, "2024-03-12")
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    press(w, qtbot, "tool_window")
    w.reading.activate(portal)
    w.grid.active_widget.setFocus()
    said = _said(w)
    press(w, qtbot, "compare_prior")
    assert w.reading.hanging.cells[1].stack.study_date == "20230314"
    assert any("2023-10-17 has none of your lesions" in m for m in said), said
    _carried_and_shown_in_the_prior(w, qtbot)


def test_a_lesion_asked_for_while_the_prior_loads_is_shown_once_it_has(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check pressed P, ], Shift+P, ] within a second: "L2 on 0 series", the prior's cell left at
    slice 0 and never brought to the lesion once it had loaded. It is now."""
    w = window
    _open_exam(w, qtbot, "2024-03-12")
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    qtbot.mouseClick(w.grid.viewports[portal], Qt.MouseButton.LeftButton)
    press(w, qtbot, "compare_prior")
    prior_vp = w.reading.viewports[1]
    press(w, qtbot, "carry_lesions")
    w.state.selection.set_lesion(None)
    loading = prior_vp.volume is None
    press(w, qtbot, "next_lesion")
    lesion = w.state.selection.lesion_id
    if loading:  # said, not "on 0 series" alone
        assert "still loading: shown there once loaded" in w.status.text(), w.status.text()
    qtbot.waitUntil(lambda: prior_vp.volume is not None and prior_vp.volume.loaded.all(), timeout=60000)
    baseline = w.session.reading.project.lesions[("LLSYN001", "E1", "sample", lesion)]
    want = baseline.observation(Role.CT_PORTAL)
    assert isinstance(want, Measurement)
    qtbot.waitUntil(lambda: prior_vp.index == want.slice_index, timeout=10000)
    assert w.state.pending_show is None


def test_p_names_the_compared_series_date_not_the_exams() -> None:
    """A review: an exam's date is the earlier of its CT and MRI (LLSYN001's baseline: CT 2023-03-14, MRI
    2023-04-11), so P on an MRI series named a date weeks before the series shown."""
    import datetime as dt
    from dataclasses import replace as _replace

    from app.followup_view import _date
    from viewer.testing import make_stack

    mri = _replace(make_stack("t2", Role.MR_T2FS), study_date="20230411")
    exam = type("Exam", (), {"study_date": dt.date(2023, 3, 14), "label": "CT 2023-03-14 + MR 2023-04-11"})()
    assert _date(exam, mri) == "2023-04-11" and _date(exam) == "2023-03-14"
    assert _date(exam, _replace(mri, study_date="")) == "2023-03-14"


def test_tab_skips_the_cells_an_exam_of_one_modality_leaves_empty(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A radiologist's check on a CT-only follow-up: Tab and Shift+Tab walked the four empty MRI cells, and V was then
    sent to an empty cell. They step over cells with nothing hung."""
    w = window
    _open_exam(w, qtbot, "2024-03-12")
    hung = [i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None]
    assert 1 <= len(hung) < 6
    # the empty cells say why: the exam is of one modality (they said "not in this pair: drop a stack here")
    empty = [w.grid.viewports[i] for i in range(6) if i not in hung and w.reading.hanging.cells[i].role.value.startswith("mr_")]
    assert empty and all(vp.missing_note == "not in this exam (CT only)" for vp in empty)
    w.reading.activate(hung[0])
    seen = []
    for _ in range(len(hung)):
        press(w, qtbot, "next_cell")
        seen.append(w.reading.layout.active)
    assert sorted(seen) == hung and seen[-1] == hung[0]
    press(w, qtbot, "previous_cell")
    assert w.reading.layout.active == hung[-1]
