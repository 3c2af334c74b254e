"""The main window with pytest-qt, offscreen: pair -> six cells by role, scrolling, W/L, links.

Most tests hang in-memory phantom stacks (no files: SyntheticLoader) so they run in a second;
``TestSampleDicom`` runs the real indexer and loader on sample_dicom/.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence

from app.main_window import MainWindow
from app.reading_settings import ReaderName
from app.shortcuts import SHORTCUTS
from viewer.display import WindowLevel
from viewer.model.settings import RecentStudies, RoleOverrides
from viewer.testing import SyntheticLoader, make_stack
from viewer.records import READING_ROLES, IndexResult, Role

CT = dict(patient_id="P1", study_uid="st.ct", study_date="20240110", frame_of_reference_uid="for.ct")
MR = dict(patient_id="P1", study_uid="st.mr", study_date="20240201", frame_of_reference_uid="for.mr",
          pixel_spacing_mm=(1.5, 1.5), slice_spacing_mm=5.0)
ORIGINS = {"for.ct": (-150.0, -150.0, -200.0), "for.mr": (-200.0, -200.0, 40.0)}


def stacks() -> list:
    return [
        make_stack("ct_art", Role.CT_ARTERIAL, **CT), make_stack("ct_port", Role.CT_PORTAL, **CT),
        make_stack("t2fs", Role.MR_T2FS, **MR), make_stack("dwi_b0", Role.MR_DWI, b_value=0, **MR),
        make_stack("dwi_b800", Role.MR_DWI, b_value=800, **MR), make_stack("adc", Role.MR_ADC, **MR),
        make_stack("t1_pre", Role.MR_T1_PRE, **MR), make_stack("t1_art", Role.MR_T1_ARTERIAL, **MR),
        make_stack("t1_port", Role.MR_T1_PORTAL, **MR),
    ]


def _named(tmp_path: Path) -> ReaderName:
    """A reader name given (else opening an exam asks it, a modal question no test answers)."""
    name = ReaderName(tmp_path / "reader.json")
    name.set("viewer-test")
    return name


@pytest.fixture
def window(qtbot, tmp_path):  # type: ignore[no-untyped-def]
    w = MainWindow(overrides=RoleOverrides(tmp_path / "roles.json"), recent=RecentStudies(tmp_path / "recent.json"),
                   loader_factory=lambda s: SyntheticLoader(s, origin_mm=ORIGINS[s.frame_of_reference_uid]),
                   reader=_named(tmp_path))
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    w.show_index(str(tmp_path), IndexResult(stacks=tuple(stacks()), skipped=()))
    return w


def open_first_pair(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    [item] = window.browser.pair_items()
    window.browser.itemActivated.emit(item, 0)
    qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all() for vp in window.reading.viewports),
                    timeout=10000)


def key(window: MainWindow, qtbot, action: str) -> None:  # type: ignore[no-untyped-def]
    """Press the first key bound to ``action`` in the shortcut table."""
    seq = QKeySequence(next(s for s in SHORTCUTS if s.action == action).keys[0])
    combo = seq[0]
    qtbot.keyClick(window.grid.active_widget, combo.key(), combo.keyboardModifiers())


def test_pair_fills_six_cells_by_role(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert window.browser.patients[0].patient_id == "P1"
    open_first_pair(window, qtbot)
    keys = [vp.key for vp in window.reading.viewports]
    assert keys == ["ct_art", "ct_port", "t2fs", "dwi_b800", "t1_art", "t1_port"]
    assert [vp.role for vp in window.reading.viewports] == list(READING_ROLES)
    assert "P1" in window.windowTitle() and "22 d" in window.windowTitle()
    assert all(w.isVisible() for w in window.grid.viewports)


def test_every_shortcut_is_bound_and_listed(window: MainWindow) -> None:
    handlers = window.handlers()
    assert {s.action for s in SHORTCUTS} == set(handlers) == set(window.actions_by_id)
    keys = [k for s in SHORTCUTS for k in s.keys]
    assert len(keys) == len(set(keys)), "a key is bound twice"
    for s in SHORTCUTS:
        assert [q.toString() for q in window.actions_by_id[s.action].shortcuts()] == [
            QKeySequence(k).toString() for k in s.keys]


def test_arrows_move_in_the_browser_not_the_slices(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    open_first_pair(window, qtbot)
    start = window.reading.viewports[0].index
    window.browser.setFocus()
    window.browser.setCurrentItem(window.browser.topLevelItem(0))
    qtbot.keyClick(window.browser, Qt.Key.Key_Down)
    assert window.reading.viewports[0].index == start
    assert window.browser.currentItem() is not window.browser.topLevelItem(0)


def test_keys_scroll_window_and_layout(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    open_first_pair(window, qtbot)
    ct = window.reading.viewports[0]
    start = ct.index
    key(window, qtbot, "next_slice")
    assert ct.index == start - 1
    key(window, qtbot, "first_slice")
    assert ct.slice_number == 1
    key(window, qtbot, "preset_ct_liver")
    assert ct.window == WindowLevel(150, 90)
    # one key for every cell of the modality: both CT cells, no MRI cell; remembered for the CT roles
    assert window.reading.viewports[1].window == WindowLevel(150, 90)
    assert window.reading.viewports[2].window != WindowLevel(150, 90)
    assert window.view_settings.presets[Role.CT_PORTAL].value == "ct_liver"
    key(window, qtbot, "maximise")
    assert window.reading.layout.visible_cells() == [(0, 0, 0)]
    assert not window.grid.viewports[1].isVisible()
    key(window, qtbot, "maximise")
    key(window, qtbot, "swap_adc")
    assert window.reading.hanging.cells[3].role is Role.MR_ADC
    qtbot.waitUntil(lambda: window.reading.viewports[3].key == "adc", timeout=5000)


def test_linking_across_frames_with_an_offset_and_crosshair(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    open_first_pair(window, qtbot)
    r = window.reading
    ct, ct_port, t2, dwi = r.viewports[:4]
    ct.set_index(8)  # landmark on the CT (z = -180)
    assert ct_port.index == 8  # same frame: linked from the start
    assert t2.index == 10  # other frame: not linked yet, still in its middle
    r.activate(2)
    t2.set_index(6)  # same landmark on the MRI (z = 70)
    r.activate(0)
    key(window, qtbot, "link_all")
    ct.next_slice(-4)  # 10 mm up
    assert t2.index == 8 and dwi.index == 8 and t2.position_mm() == pytest.approx(80)
    assert window.grid._link_text(t2) == "linked: all"  # the landmark link's -250 mm is the tables' origins: not said
    # per-viewport unlink
    r.activate(3)
    key(window, qtbot, "toggle_link")
    r.activate(0)
    ct.next_slice(-2)
    assert t2.index == 9 and dwi.index == 8
    # reference point clicked on the CT reaches the MRI at the offset position
    key(window, qtbot, "crosshair")
    w0 = window.grid.viewports[0]
    x, y = w0.transform().image_to_widget(30, 20)
    qtbot.mouseClick(w0, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert ct.crosshair_mm is not None and t2.crosshair_mm is not None
    assert t2.crosshair_mm[2] - ct.crosshair_mm[2] == pytest.approx(250)
    assert dwi.crosshair_mm is None  # unlinked
    assert t2.index == t2.geometry.nearest_slice(t2.crosshair_mm)


def test_drop_and_role_correction_rehang(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    open_first_pair(window, qtbot)
    window._stack_dropped(5, "t1_pre")
    qtbot.waitUntil(lambda: window.reading.viewports[5].key == "t1_pre", timeout=5000)
    window.overrides.set("t1_pre", Role.MR_T1_ARTERIAL)  # the reader says it is the arterial phase
    qtbot.waitUntil(lambda: window.reading.viewports[4].key in ("t1_pre", "t1_art"), timeout=5000)
    assert window.reading.hanging.cells[4].stack.key in ("t1_pre", "t1_art")
    assert window.overrides.role_of(window.browser.stack_by_key("t1_pre")) is Role.MR_T1_ARTERIAL
    assert RoleOverrides(window.overrides.path).get("t1_pre") is Role.MR_T1_ARTERIAL


def test_missing_role_cell_stays_empty_and_says_so(window: MainWindow, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    without = tuple(s for s in stacks() if s.key != "t1_port")
    window.show_index(str(tmp_path), IndexResult(stacks=without, skipped=()))
    [item] = window.browser.pair_items()
    window.browser.itemActivated.emit(item, 0)
    qtbot.waitUntil(lambda: window.reading.viewports[0].volume is not None, timeout=5000)
    assert window.reading.viewports[5].volume is None and window.reading.viewports[5].role is Role.MR_T1_PORTAL
    assert "T1 portal" in window.status.text()


class TestSampleDicom:
    def test_open_sample_and_first_pair(self, qtbot, tmp_path, sample_dicom) -> None:  # type: ignore[no-untyped-def]
        if not any(sample_dicom.rglob("*.dcm")) and not any(p.is_file() for p in sample_dicom.rglob("*")):
            pytest.skip("sample_dicom/ is empty (make sample)")
        w = MainWindow(overrides=RoleOverrides(tmp_path / "r.json"), recent=RecentStudies(tmp_path / "rec.json"),
                       reader=_named(tmp_path))
        qtbot.addWidget(w)
        w.show()
        with qtbot.waitSignal(w.listed, timeout=60000):
            w.open_path(sample_dicom)
        pairs = w.browser.pair_items()
        assert len(w.browser.patients) >= 2 and pairs
        w.browser.itemActivated.emit(pairs[0], 0)
        qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                    for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack),
                        timeout=60000)
        hung = [(c.role, c.stack.role if c.stack else None) for c in w.reading.hanging.cells]
        assert all(stack_role is role for role, stack_role in hung if stack_role is not None)
        assert sum(1 for _, s in hung if s is not None) >= 5
        ct = w.reading.viewports[0]
        assert ct.volume.units == "HU" and ct.window == WindowLevel(400, 40)
        hu = ct.volume.array[ct.index]
        assert hu.min() < -500 and np.median(hu) > -1100


def test_shortcuts_dialog_lists_the_table(qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.pair_dialog import ShortcutsDialog
    from app.shortcuts import MOUSE

    d = ShortcutsDialog()
    qtbot.addWidget(d)
    listed = {d.table.item(r, 2).text() for r in range(d.table.rowCount())}
    assert {f"{s.label}  [{s.action}]" for s in SHORTCUTS} | {m[1] for m in MOUSE} == listed


def test_role_correction_from_the_cell_menu(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    open_first_pair(window, qtbot)
    stack = window.reading.hanging.cells[1].stack
    menu = window._role_menu(stack)
    [act] = [a for a in menu.actions() if a.text() == "CT delayed"]
    act.trigger()
    assert window.overrides.get(stack.key) is Role.CT_DELAYED
    # the portal cell has no portal stack left: it names the missing role
    qtbot.waitUntil(lambda: window.reading.viewports[1].volume is None, timeout=5000)
    assert window.reading.hanging.cells[1].missing
    back = [a for a in window._role_menu(stack).actions() if a.text().startswith("Back to the indexer")]
    back[0].trigger()
    qtbot.waitUntil(lambda: window.reading.viewports[1].key == "ct_port", timeout=5000)


def test_landmark_link_by_reference_points_through_the_ui(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    open_first_pair(window, qtbot)
    r = window.reading
    key(window, qtbot, "crosshair")
    ct_w, t2_w = window.grid.viewports[0], window.grid.viewports[2]
    for w, (row, col) in ((ct_w, (30, 20)), (t2_w, (12, 25))):  # the same landmark in both
        x, y = w.transform().image_to_widget(row, col)
        qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    ct, t2 = r.viewports[0], r.viewports[2]
    x_ct, x_mr = ct.crosshair_mm.copy(), t2.crosshair_mm.copy()
    r.activate(0)
    key(window, qtbot, "link_all")
    assert "reference points" in window.status.text()
    assert np.allclose(r.link.map_point(ct, t2, x_ct), x_mr)
