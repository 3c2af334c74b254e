"""Session 31's reader check (a radiologist reading LLSYN003 on a fresh store under Xvfb), its defects through the
real main window with QTest events: a lesion counted on one slice and measured on another was counted twice."""

from __future__ import annotations

import json
import math
from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from annotation.vocab import Lobe
from app.main_window import MainWindow
from tests.app.conftest import drag, make_window, open_pair, press
from viewer.records import READING_ROLES, Role

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom"


def _l07() -> dict:  # type: ignore[type-arg]
    """LLSYN003 L07: 38 mm, right lobe, seen on every series."""
    truth = json.loads((SAMPLE / "ground_truth" / "LLSYN003.json").read_text())
    return next(les for les in truth["lesions"] if les["id"] == "L07")


def _window(qtbot, env: Path, sample_index) -> MainWindow:  # type: ignore[no-untyped-def]
    w = make_window(qtbot, env, reader="s31")
    store = env / "work" / "fresh.lesionlab"
    store.parent.mkdir(exist_ok=True)
    assert w.store_flow.open_store(store) and not w.session.read_only
    open_pair(w, qtbot, SAMPLE, sample_index, "LLSYN003")
    return w


def _activate(w: MainWindow, qtbot, role: Role):  # type: ignore[no-untyped-def]
    """A click on the cell's air (as a reader makes a cell active)."""
    vp = w.grid.viewports[READING_ROLES.index(role)]
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(8, vp.height() // 2))
    assert w.reading.layout.active == READING_ROLES.index(role)
    return vp


def _to_slice(w: MainWindow, qtbot, target: int) -> None:  # type: ignore[no-untyped-def]
    """The arrow keys in the active cell until it shows slice ``target``."""
    model = w.reading.active
    down_increases = model.geometry.positions_mm[-1][2] < model.geometry.positions_mm[0][2]
    for _ in range(80):
        if model.index == target:
            break
        up = (model.index < target) != down_increases
        qtbot.keyClick(w.grid.active_widget, Qt.Key.Key_Up if up else Qt.Key.Key_Down)
    assert model.index == target


def _click(qtbot, vp, at: tuple[float, float]) -> None:  # type: ignore[no-untyped-def]
    x, y = vp.transform().image_to_widget(*at)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))


def _centre(w: MainWindow, role: Role, les: dict) -> tuple[float, float]:  # type: ignore[type-arg]
    model = w.reading.viewports[READING_ROLES.index(role)]
    return model.geometry.pixel_on_slice(les["centre_mm"]["ct" if role.value.startswith("ct") else "mr"], model.index)


def _count_at_centre(w: MainWindow, qtbot, les: dict, k: int):  # type: ignore[no-untyped-def,type-arg]
    """The count tool, CT arterial made active, slice ``k``, a click at the lesion's centre: the viewport."""
    press(w, qtbot, "tool_count")
    vp = _activate(w, qtbot, Role.CT_ARTERIAL)
    _to_slice(w, qtbot, k)
    _click(qtbot, vp, _centre(w, Role.CT_ARTERIAL, les))
    return vp


def _truth_line(w: MainWindow, role: Role, les: dict, k: int):  # type: ignore[no-untyped-def,type-arg]
    geo = w.reading.viewports[READING_ROLES.index(role)].geometry
    c, entry = les["centre_mm"]["ct"], les["series"][role.value]
    half = dict((int(i), d) for i, _, d in entry["diameters_by_slice"])[k] / 2
    th = math.radians(les["axial_rotation_deg"])
    ends = [(c[0] + s * half * math.cos(th), c[1] + s * half * math.sin(th), c[2]) for s in (-1, 1)]
    return geo.pixel_on_slice(ends[0], k), geo.pixel_on_slice(ends[1], k)


def _right(w: MainWindow, role: Role) -> int:
    pair = w.state.selection.pair
    assert pair is not None
    return w.session.reading.project.counts(pair[0], pair[1], w.session.reading.reader)[(role, Lobe.RIGHT)]


def test_a_lesion_counted_two_slices_from_where_it_is_then_measured_counts_once(qtbot, env: Path,  # type: ignore[no-untyped-def]
                                                                             sample_index) -> None:
    """L07 counted on CT arterial slice 13 (28 mm across there), its diameter then drawn on slice 15: the count
    click, inside the sphere of the line round its middle, became its mark (CT arterial right was 2)."""
    w = _window(qtbot, env, sample_index)
    les = _l07()
    vp = _count_at_centre(w, qtbot, les, 13)
    assert _right(w, Role.CT_ARTERIAL) == 1
    press(w, qtbot, "new_lesion")  # N also takes the line tool
    _to_slice(w, qtbot, 15)
    drag(qtbot, vp, *_truth_line(w, Role.CT_ARTERIAL, les, 15))
    assert _right(w, Role.CT_ARTERIAL) == 1, w.status.text()
    assert "the count click 2 slices away is its mark" in w.status.text()  # said: or the reader counts it again
    lid = w.state.selection.lesion_id
    marks = [m for m in w.session.reading.project.count_marks.values() if m.role is Role.CT_ARTERIAL]
    assert [(m.lesion_id, m.slice_index) for m in marks] == [(lid, 13)]


def test_a_count_click_on_another_slice_of_a_measured_lesion_says_so(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """Measured first on slice 15, L07 clicked with the count tool on slice 17 (33 mm across there): counted (the
    reader may mean another lesion) and said at once, with Ctrl+Z to take it back (it was counted unsaid)."""
    w = _window(qtbot, env, sample_index)
    les = _l07()
    vp = _activate(w, qtbot, Role.CT_ARTERIAL)
    press(w, qtbot, "new_lesion")
    _to_slice(w, qtbot, 15)
    drag(qtbot, vp, *_truth_line(w, Role.CT_ARTERIAL, les, 15))
    lid = w.state.selection.lesion_id
    _activate(w, qtbot, Role.CT_ARTERIAL)
    press(w, qtbot, "tool_count")
    _to_slice(w, qtbot, 17)
    _click(qtbot, vp, _centre(w, Role.CT_ARTERIAL, les))
    assert _right(w, Role.CT_ARTERIAL) == 2
    assert f"{lid}'s line 2 slices away spans here: the same lesion counted twice? (Ctrl+Z undoes)" in w.status.text()
    press(w, qtbot, "undo")
    assert _right(w, Role.CT_ARTERIAL) == 1


def test_a_carried_lesions_first_line_at_follow_up_says_no_lobe_reminder(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """LLSYN001: a lesion measured at baseline, carried to the follow-up CT of 2023-10-17 (Shift+P, which names
    the current lesion); its line there said "in the left lobe, no R/L boundary (click it, Shift+R to move)",
    though its lobe came with it, on every carried lesion."""
    from app.browser import PAYLOAD

    w = make_window(qtbot, env, reader="s31")
    store = env / "work" / "fresh.lesionlab"
    store.parent.mkdir(exist_ok=True)
    assert w.store_flow.open_store(store)
    open_pair(w, qtbot, SAMPLE, sample_index, "LLSYN001")
    vp = _activate(w, qtbot, Role.CT_ARTERIAL)
    press(w, qtbot, "new_lesion")
    drag(qtbot, vp, (200.0, 150.0), (200.0, 190.0))
    assert "no R/L boundary" in w.status.text()  # the baseline's first line: the lobe it was started in, said
    item = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == "LLSYN001"
                and i.data(0, PAYLOAD).is_single and i.data(0, PAYLOAD).study_date.isoformat() == "2023-10-17")
    w.browser.itemActivated.emit(item, 0)
    qtbot.waitUntil(lambda: any(v.volume is not None and v.volume.loaded.all() for v in w.reading.viewports),
                    timeout=60000)
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    w.reading.activate(portal)
    press(w, qtbot, "compare_prior")
    qtbot.waitUntil(lambda: all(v.volume is None or v.volume.loaded.all() for v in w.reading.viewports), timeout=60000)
    press(w, qtbot, "carry_lesions")
    assert "measure from L1 (current), ] next" in w.status.text(), w.status.text()
    here = w.reading.layout.active  # the follow-up's CT portal, the prior's beside it
    press(w, qtbot, "tool_line")
    drag(qtbot, w.grid.viewports[here], (200.0, 150.0), (200.0, 180.0))
    assert "L1 on CT portal" in w.status.text() and "no R/L boundary" not in w.status.text(), w.status.text()


def test_back_on_a_patient_mid_lesion_the_reader_finds_its_place(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """L07 drawn on CT arterial and portal, the workstation waiting on T2 FS; a look at LLSYN001 and back: no
    current lesion, CT arterial active, every cell at mid-stack. Now the lesion, the active cell and the slices."""
    from app.browser import PAYLOAD

    w = _window(qtbot, env, sample_index)
    les = _l07()
    _activate(w, qtbot, Role.CT_ARTERIAL)
    press(w, qtbot, "new_lesion")
    for role in (Role.CT_ARTERIAL, Role.CT_PORTAL):
        k = les["series"][role.value]["slice_index"]
        _to_slice(w, qtbot, k)
        drag(qtbot, w.grid.viewports[READING_ROLES.index(role)], *_truth_line(w, role, les, k))
    before = (w.state.selection.lesion_id, w.reading.layout.active, [vp.index for vp in w.reading.viewports])
    assert before[1] == READING_ROLES.index(Role.MR_T2FS)
    for patient in ("LLSYN001", "LLSYN003"):
        item = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == patient)
        w.browser.itemActivated.emit(item, 0)
        qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                    for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack),
                        timeout=60000)
    qtbot.waitUntil(lambda: [vp.index for vp in w.reading.viewports] == before[2], timeout=5000)
    assert (w.state.selection.lesion_id, w.reading.layout.active) == before[:2]
