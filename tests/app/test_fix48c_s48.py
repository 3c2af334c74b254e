"""Session 48, a radiologist-engineer's afternoon under Xvfb (fix48c): what the window did on the real MainWindow."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.app.conftest import make_window
from tests.tmpfs import small_tmpfs


def test_a_project_asked_for_that_cannot_be_opened_is_not_replaced_by_the_folders_own(  # type: ignore[no-untyped-def]
        qtbot, env: Path, sample_dicom: Path, sample_index) -> None:
    """`view sample_copy --store /full/full.lesionlab` on a full disk: the dialog said "the disk is full ... nothing was
    changed", then the folder listed opened its own reading.lesionlab read-only in its place (the sample's L1-L5 under
    the window, said only at the status bar's end). No project opens now, and the status says why and what was not
    opened. (Checked: fails without StoreFlow.not_opened: the folder's project is open.)"""
    from app.cmd_view import _open_store

    folder = env / "sample_copy"
    folder.mkdir()
    shutil.copy(sample_dicom / "reading.lesionlab", folder / "reading.lesionlab")
    with small_tmpfs("64k", "full48c-") as mount:
        subprocess.run(["dd", "if=/dev/zero", f"of={mount / 'fill'}", "bs=4k"], capture_output=True, check=False)
        w = make_window(qtbot, env)
        errors: list[str] = []
        w.store_flow.show_error = errors.append  # type: ignore[method-assign]
        wanted = mount / "full.lesionlab"
        _open_store(w, argparse.Namespace(store=str(wanted), path=str(folder), quit_when_listed=False), None)
        assert errors and "disk is full" in errors[0], errors
        w.show_index(str(folder), sample_index)  # the folder listed: what offered its project
        qtbot.wait(50)
        assert w.session.store is None, w.session.location
        said = w.status.text()
        assert "no reading project open" in said and str(wanted) in said and "reading.lesionlab" in said, said
        # the reader's own choice afterwards opens it, and the rule is over
        assert w.store_flow.open_store(folder / "reading.lesionlab")
        assert w.session.store is not None and w.store_flow.not_opened is None
        w.session.close() if hasattr(w.session, "close") else None


def _tilt_ct_open(qtbot, env: Path, realdicom: Path):  # type: ignore[no-untyped-def]
    """The GE gantry-tilt head CT (real scanner files) opened in a window with a new project, its one series still
    "CT other"."""
    from app.browser import PAYLOAD
    from viewer.index import index_path

    folder = realdicom / "ge_ct_gantry_tilt"
    w = make_window(qtbot, env)
    assert w.store_flow.open_store(env / "my.lesionlab")
    w.show_index(str(folder), index_path(folder))
    item = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).is_single)
    w.browser.itemActivated.emit(item, 0)
    qtbot.waitUntil(lambda: w.state.pair is not None and any(c.stack is not None for c in w.reading.hanging.cells),
                    timeout=60000)
    return w, item.data(0, PAYLOAD).stacks[0]


def test_a_tilted_ct_made_a_reading_series_is_said_when_hung_and_drawn_on_and_in_checks(  # type: ignore[no-untyped-def]
        qtbot, env: Path, realdicom: Path) -> None:
    """The tilt CT set to CT portal by the browser's right-click menu, N, a line: 32.6 mm recorded as axial, nothing in
    Checks, while `lesionlab index` warned "not strictly axial" (18.5°); and the one cell said "CT arterial not in this
    exam" until the exam was opened again. (Checked: fails without MainWindow._roles_changed (the cell), without
    _set_role's warning, the gesture's and checks._tilted_lines.)"""
    from PySide6.QtWidgets import QApplication

    from annotation.checks import CheckCode
    from tests.app.conftest import drag, press
    from viewer.model.layout import role_label
    from viewer.records import Role

    w, stack = _tilt_ct_open(qtbot, env, realdicom)
    menu = w._role_menu(stack)  # the browser's right-click menu of the series
    next(a for a in menu.actions() if a.text() == role_label(Role.CT_PORTAL)).trigger()
    QApplication.processEvents()
    said = w.status.text()
    assert "read as CT portal" in said and "18.5° off the axial plane" in said and "not strictly axial" in said, said
    shown = [w.reading.hanging.cells[c] for c, _, _ in w.reading.layout.visible_cells()]
    assert [(c.role, c.stack.key if c.stack else None) for c in shown] == [(Role.CT_PORTAL, stack.key)], shown
    cell = next(c for c, _, _ in w.reading.layout.visible_cells())
    vp = w.reading.viewports[cell]
    qtbot.waitUntil(lambda: vp.volume is not None and vp.volume.loaded.all(), timeout=60000)
    w.reading.activate(cell)
    press(w, qtbot, "new_lesion")
    drag(qtbot, w.grid.active_widget, (200.0, 200.0), (200.0, 260.0))
    said = w.status.text()
    assert " mm" in said and "18.5° off the axial plane (gantry tilt)" in said, said
    les = next(iter(w.session.reading.project.lesions.values()))
    assert les.measurements()
    qtbot.waitUntil(lambda: any(x.code is CheckCode.TILTED_LINE for x in w.docks.checks_panel.warnings), timeout=10000)
    text = next(x.message for x in w.docks.checks_panel.warnings if x.code is CheckCode.TILTED_LINE)
    assert "18.5° off the axial plane" in text and "CT portal" in text, text


def test_the_overlay_gives_the_shown_slices_own_thickness(qtbot, env: Path, realdicom: Path) -> None:  # type: ignore[no-untyped-def]
    """The tilt CT's slices #15-#28 are 7 mm, #1-#14 4 mm: the overlay said "thk 4 mm" (the first image's) on every one.
    (Checked: fails without overlay.slice_lines' own thickness: "thk 4 mm" on #20.)"""
    from viewer.qt.overlay import slice_lines

    w, _ = _tilt_ct_open(qtbot, env, realdicom)
    cell = next(c for c, _, _ in w.reading.layout.visible_cells())
    vp = w.reading.viewports[cell]
    qtbot.waitUntil(lambda: vp.volume is not None and vp.volume.loaded.all(), timeout=60000)
    seen = {}
    for k, img in enumerate(vp.volume.images):
        vp.set_index(k)
        seen[img.instance_number] = (img.slice_thickness_mm, slice_lines(vp)[1])
    thin = [line for thk, line in seen.values() if thk == 4.0]
    thick = [line for thk, line in seen.values() if thk == 7.0]
    assert thin and thick, seen
    assert all(line.endswith("thk 4 mm") for line in thin) and all(line.endswith("thk 7 mm") for line in thick), seen


def test_linked_cells_are_in_step_after_their_slices_are_placed(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """After a restart CT arterial showed -1270 and CT portal -1265, both "linked: CT", until one scroll: each cell was
    placed at its own saved slice. The cells linked with the active one follow it once placed. (Checked: fails without
    place_slices' LinkModel.follow: the portal stays at its own saved slice.)"""
    from viewer.records import Role

    w = window
    cells = {c.role: i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None}
    art, por = w.reading.viewports[cells[Role.CT_ARTERIAL]], w.reading.viewports[cells[Role.CT_PORTAL]]
    assert w.reading.link.are_linked(art, por)
    w.reading.activate(cells[Role.CT_ARTERIAL])
    n = art.volume.array.shape[0]
    saved = {art.key: n // 2, por.key: max(0, n // 2 - 6)}  # out of step, as a restart's saved slices were
    w.place_slices(saved)
    qtbot.waitUntil(lambda: art.index == n // 2, timeout=10000)
    qtbot.wait(100)
    spacing = abs(por.position_mm(1) - por.position_mm(0))
    assert abs(por.position_mm() - art.position_mm()) <= spacing / 2 + 1e-6, (art.position_mm(), por.position_mm())


def test_esc_while_an_end_is_moved_says_the_line_is_kept(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Esc while dragging an end of a recorded line said "line dropped (Esc)", though the line is kept as it was.
    (Checked: fails without ReadingView.cancel_gesture's grab: "line dropped (Esc)".)"""
    from PySide6.QtCore import QPoint, Qt

    from tests.app.conftest import drag, press

    w = window
    vp = w.grid.active_widget
    press(w, qtbot, "new_lesion")
    lid = w.state.selection.lesion_id
    drag(qtbot, vp, (200, 150), (200, 190))
    before = w.session.reading.project
    t = vp.transform()
    end = QPoint(*[round(v) for v in t.image_to_widget(200, 190)])
    away = QPoint(*[round(v) for v in t.image_to_widget(200, 230)])
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=end)
    qtbot.mouseMove(vp, away)
    qtbot.keyClick(vp, Qt.Key.Key_Escape)
    assert w.status.text() == f"{lid}'s line left as it was (Esc)", w.status.text()
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=away)
    assert w.session.reading.project == before


def test_the_listing_counts_exam_pairs_and_single_exams_apart(qtbot, env: Path, sample_index, realdicom: Path) -> None:  # type: ignore[no-untyped-def]
    """"lists 3 patient(s), 3 exam pair(s)" for three single exams (no pair); "5 exam pairs" for 3 pairs and 2 follow-up
    CTs. (Checked: fails without show_index's count apart.)"""
    from app.browser import PAYLOAD
    from viewer.index import index_path

    w = make_window(qtbot, env)
    w.show_index(str(realdicom / "ge_ct_gantry_tilt"), index_path(realdicom / "ge_ct_gantry_tilt"))
    assert w.state.status.endswith("the browser lists 1 patient(s), 1 single-modality exam(s)"), w.state.status
    w2 = make_window(qtbot, env)
    w2.show_index("sample", sample_index)
    exams = [i.data(0, PAYLOAD) for i in w2.browser.pair_items()]
    singles = sum(1 for e in exams if e.is_single)
    assert singles and len(exams) > singles
    assert w2.state.status.endswith(f"{len(exams) - singles} exam pair(s), {singles} single-modality exam(s)"), \
        w2.state.status


def test_the_last_sessions_folders_are_listed_again_with_its_project_only(tmp_path: Path) -> None:
    """The browser's folders carried over between projects: the real-DICOM folder, read with another project, was
    listed again at a start on my.lesionlab. The last session's folders belong to its project, as its position does:
    listed again with it, not with another (said, with where they are). (Checked: fails without
    cmd_view.another_project in position_in_this_project: the folder stays in the list.)"""
    from app.cmd_view import folders_left_out, folders_to_list, position_in_this_project
    from app.last_session import Where

    real = tmp_path / "realdicom"
    real.mkdir()
    last = Where(store=str(tmp_path / "other.lesionlab"), paths=(str(real),), clean=True,
                 saved_at_utc="2026-12-05T14:00:00")
    mine = tmp_path / "my.lesionlab"
    said = folders_left_out(last, mine, None)
    assert "1 folder(s) (realdicom) were read with other.lesionlab" in said and "Recent studies" in said, said
    assert folders_to_list(position_in_this_project(last, mine).paths, None)[0] == []
    # the same project: listed again, nothing said
    assert folders_to_list(position_in_this_project(last, tmp_path / "other.lesionlab").paths, None)[0] == [str(real)]
    assert folders_left_out(last, tmp_path / "other.lesionlab", None) == ""
    # no project opened now (one that could not be opened): the folders are listed, as before
    assert folders_to_list(position_in_this_project(last, None).paths, None)[0] == [str(real)]
