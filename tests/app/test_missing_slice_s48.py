"""A radiologist-engineer's check (session 48): a line shown and edited on the wrong image when a slice of its stack
is missing. L1 measured on LLSYN002's DWI b800 (#49); a copy of the folder with a file below it truncated (the
index skips it) has one image fewer under #49, and the stored slice index 21 named #48 there: the grid click showed
#48 ("Im 13/34 (#49)" said the status), 5 mm away, and a drag recorded the reader's edit of #48 against #49.
``import-sr`` of the same SR against that folder rewrote the unchanged line's slice index from 21 to 20.

A line is on its own image, found by its SOP Instance UID in the stack as loaded (annotation.placement); a line
whose image is missing from the folder is on none: said, not drawn, not editable. Each test runs the real window
(QTest events) or the real import on a copy of the sample study with one file truncated."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from annotation.placement import slice_of
from annotation.records import Measurement
from annotation.qt.panels import FIXED
from app.main_window import MainWindow
from app.last_session import LastSession
from app.reading_settings import ReaderName, recent_stores
from tests.app.conftest import READER, drag, grid_texts, open_pair, press
from viewer.index import index_path
from viewer.model.settings import RecentStudies, RoleOverrides
from viewer.records import READING_ROLES, Role
from tests.app.conftest import exported_sample_srs

PATIENT = "LLSYN002"
KEY = (PATIENT, "E1", READER, "L1")


@pytest.fixture(scope="module")
def complete(sample_dicom: Path):  # type: ignore[no-untyped-def]
    if not (sample_dicom / "reading.lesionlab").is_file():
        pytest.skip("sample_dicom/ has no sample reading (make sample)")
    return index_path(sample_dicom / PATIENT)


def _stored(sample_dicom: Path, role: Role) -> Measurement:
    from annotation.store import ReadingStore

    with ReadingStore.open(sample_dicom / "reading.lesionlab", read_only=True) as st:
        m = st.load().lesions[KEY].observation(role)
    assert isinstance(m, Measurement)
    return m


def _copy_without(tmp: Path, sample_dicom: Path, complete, role: Role, below: int) -> tuple[Path, Measurement, str]:  # type: ignore[no-untyped-def]
    """LLSYN002 copied to ``tmp``, the file of the image ``below`` slices under L1's line on ``role`` truncated (0:
    L1's own image): (the copy, L1's stored line, the truncated image's SOP Instance UID)."""
    m = _stored(sample_dicom, role)
    stack = next(s for s in complete.stacks if s.key == m.stack_key)
    k = slice_of(m, stack.images)
    assert k == m.slice_index and stack.images[k].instance_number == m.instance_number  # the folder it was drawn on
    gone = stack.images[k - below]
    dst = tmp / "dicom" / PATIENT
    shutil.copytree(sample_dicom / PATIENT, dst)
    path = dst / Path(gone.file.path).relative_to(sample_dicom / PATIENT)
    path.write_bytes(path.read_bytes()[:300])  # truncated: the index skips it
    return dst.parent, m, gone.sop_instance_uid


def _window(qtbot, env: Path, store: Path, folder: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    """The real window on ``store`` and ``folder`` with the real loader (the suite's cached loader keeps a stack's
    volume by its key, which the copy shares with the complete folder)."""
    name = ReaderName(env / "reader.json")
    name.set(READER)
    w = MainWindow(overrides=RoleOverrides(env / "roles.json"), recent=RecentStudies(env / "recent.json"),
                   reader=name, stores=recent_stores(env / "stores.json"), last=LastSession(env / "last.json"))
    qtbot.addWidget(w)
    w.store_flow.ask = lambda title, text, choices: "keep"  # type: ignore[method-assign]
    w.resize(1500, 1000)
    w.show()
    qtbot.waitExposed(w)
    assert w.store_flow.open_store(store) and not w.session.read_only
    open_pair(w, qtbot, folder, index_path(folder), patient=PATIENT)
    return w


def _drawn_on(w: MainWindow, cell: int) -> list[int]:
    """The slices of the cell's stack on which its line layer draws L1's line (and the gestures find it)."""
    vp, widget = w.reading.viewports[cell], w.grid.viewports[cell]
    layer, ctx, role = w.reading_view.line_layers[cell], w.state.context, READING_ROLES[cell]
    here, on = vp.index, []
    for k in range(vp.n_slices):
        vp.set_index(k)
        view = widget.view_context()
        drawn = any(lid == "L1" for lid, _ in layer.on_slice(view))
        found = any(lid == "L1" for lid, _ in ctx.content.measurements(role, vp.key, k, vp.volume.images))
        assert drawn == found, k
        if drawn:
            on.append(k)
    vp.set_index(here)
    return on


def _grid_click(w: MainWindow, role: Role) -> None:
    w.docks.lesion_panel.table.cellClicked.emit(list(grid_texts(w)).index("L1"), FIXED + READING_ROLES.index(role))


@pytest.mark.parametrize("role", [Role.MR_DWI, Role.CT_ARTERIAL])
def test_a_grid_click_shows_the_line_on_its_own_image_and_a_drag_records_that_image(  # type: ignore[no-untyped-def]
        qtbot, env: Path, store_copy: Path, sample_dicom: Path, complete, role: Role) -> None:
    folder, m, _gone = _copy_without(env, sample_dicom, complete, role, below=3)
    w = _window(qtbot, env, store_copy, folder)
    cell = READING_ROLES.index(role)
    vp, widget = w.reading.viewports[cell], w.grid.viewports[cell]
    assert vp.key == m.stack_key and vp.n_slices == len(next(s for s in complete.stacks if s.key == m.stack_key).images) - 1
    vp.set_index(0)
    _grid_click(w, role)
    qtbot.waitUntil(lambda: vp.index != 0, timeout=10000)
    shown = vp.volume.images[vp.index]
    # the cell shows the line's own image (before: #48, one image off, while the status said #49)
    assert (shown.sop_instance_uid, shown.instance_number, vp.index) == (m.sop_instance_uid, m.instance_number,
                                                                         m.slice_index - 1), w.status.text()
    assert w.status.text() == (f"shown: the {m.diameter_mm:.1f} mm line on {'DWI b800' if role is Role.MR_DWI else 'CT arterial'}, "
                               f"Im {vp.slice_number}/{vp.n_slices} (#{m.instance_number})"), w.status.text()
    # drawn there, and there only
    assert _drawn_on(w, cell) == [vp.index]
    # the reader picks L1's line and drags an end: the record names the image shown, by UID and by its index here
    w.reading.activate(cell)
    press(w, qtbot, "tool_line")
    from tests.app.test_reader_check_s30 import click

    click(qtbot, widget, m.middle)
    assert w.state.selection.lesion_id == "L1", w.status.text()
    drag(qtbot, widget, m.p1, (m.p1[0] + 4.0, m.p1[1] - 3.0))
    after = w.session.reading.project.lesions[KEY].observation(role)
    assert isinstance(after, Measurement) and after.p1 != m.p1, w.status.text()
    assert (after.sop_instance_uid, after.instance_number, after.slice_index) == (
        m.sop_instance_uid, m.instance_number, vp.index), after


def test_a_line_whose_image_is_missing_is_said_and_not_drawn_on_another(  # type: ignore[no-untyped-def]
        qtbot, env: Path, store_copy: Path, sample_dicom: Path, complete) -> None:
    folder, m, gone = _copy_without(env, sample_dicom, complete, Role.MR_DWI, below=0)
    assert gone == m.sop_instance_uid
    w = _window(qtbot, env, store_copy, folder)
    cell = READING_ROLES.index(Role.MR_DWI)
    vp, widget = w.reading.viewports[cell], w.grid.viewports[cell]
    vp.set_index(0)
    _grid_click(w, Role.MR_DWI)
    assert w.status.text().startswith(f"L1's DWI b800 line is on image #{m.instance_number}, missing from this "
                                      "folder"), w.status.text()
    assert vp.index == 0  # not moved to another image
    assert _drawn_on(w, cell) == []
    # on the slice its stored index names now (another image), a drag from its old end draws nothing of L1's
    w.reading.activate(cell)
    press(w, qtbot, "tool_line")
    vp.set_index(m.slice_index)
    drag(qtbot, widget, m.p1, (m.p1[0] + 4.0, m.p1[1] - 3.0))
    assert w.session.reading.project.lesions[KEY].observation(Role.MR_DWI) == m, w.status.text()
    assert w.status.text().startswith("L1's DWI b800 line is on image #"), w.status.text()
    # nor V (not visible) nor Del replaces it: read-only until its image is back
    errors: list[str] = []
    w.show_error = errors.append  # type: ignore[method-assign]
    w.state.selection.set_lesion("L1")
    press(w, qtbot, "not_visible")
    assert w.session.reading.project.lesions[KEY].observation(Role.MR_DWI) == m, (errors, w.status.text())
    assert any("missing from this folder" in e for e in errors) or "missing from this folder" in w.status.text(), errors


def test_import_sr_against_a_folder_with_a_file_missing_keeps_the_stored_lines(  # type: ignore[no-untyped-def]
        tmp_path: Path, sample_dicom: Path, complete) -> None:
    from annotation.sr_import import import_srs
    from annotation.store import ReadingStore
    store, files = exported_sample_srs(tmp_path, sample_dicom)
    folder, m, _gone = _copy_without(tmp_path, sample_dicom, complete, Role.MR_DWI, below=3)
    with ReadingStore.open(store, read_only=True) as st:
        before = st.load()
    import_srs(store, folder / PATIENT, files, reader=READER)
    with ReadingStore.open(store, read_only=True) as st:
        after = st.load()
    line = after.lesions[KEY].observation(Role.MR_DWI)
    assert line == m, line  # kept as stored (before: its slice index rewritten from 21 to 20)
    assert {k: v for k, v in after.lesions.items() if k[0] == PATIENT} == \
        {k: v for k, v in before.lesions.items() if k[0] == PATIENT}


def test_import_sr_of_a_line_whose_image_is_missing_says_which_file_and_keeps_the_line(  # type: ignore[no-untyped-def]
        tmp_path: Path, sample_dicom: Path, complete) -> None:
    from annotation.sr_import import import_srs
    from annotation.store import ReadingStore
    store, files = exported_sample_srs(tmp_path, sample_dicom)
    folder, m, gone = _copy_without(tmp_path, sample_dicom, complete, Role.MR_DWI, below=0)
    result = import_srs(store, folder / PATIENT, files, reader=READER)
    said = [r for r in result.refused if gone in r]
    assert len(said) == 1 and "the folder has 1 file(s) not read" in said[0] and "truncated" in said[0], result.refused
    # another patient's SR, whose images this folder never held, is not told of the folder's unread file
    assert not [r for r in result.refused if "not read" in r and gone not in r], result.refused
    with ReadingStore.open(store, read_only=True) as st:
        assert st.load().lesions[KEY].observation(Role.MR_DWI) == m


# ---------------------------------------------------------------------------- count marks (store schema 16)
def _marks_on(w: MainWindow, cell: int, mark_id: str) -> list[int]:
    """The slices of the cell's stack on which its count layer draws the mark (and the gestures find it)."""
    vp, widget = w.reading.viewports[cell], w.grid.viewports[cell]
    layer, ctx, role = w.reading_view.count_layers[cell], w.state.context, READING_ROLES[cell]
    here, on = vp.index, []
    for k in range(vp.n_slices):
        vp.set_index(k)
        drawn = any(m.mark_id == mark_id for m in layer.on_slice(widget.view_context()))
        found = any(m.mark_id == mark_id for m in ctx.content.marks(role, vp.key, k, vp.volume.images))
        assert drawn == found, k
        if drawn:
            on.append(k)
    vp.set_index(here)
    return on


def _store_mark(store: Path, m: Measurement, at: tuple[float, float]) -> str:
    """A count click of the reader's on L1's DWI image (as recorded on the complete folder: its index and UID)."""
    from annotation.store import open_reading

    st, r = open_reading(store, READER)
    try:
        return r.add_count_mark((PATIENT, "E1"), Role.MR_DWI, "right", stack_key=m.stack_key, slice_index=m.slice_index,
                                row=at[0], col=at[1], sop_instance_uid=m.sop_instance_uid)
    finally:
        st.close()


def test_a_count_mark_is_shown_on_its_own_image_and_a_count_click_records_the_image(  # type: ignore[no-untyped-def]
        qtbot, env: Path, store_copy: Path, sample_dicom: Path, complete) -> None:
    folder, m, _gone = _copy_without(env, sample_dicom, complete, Role.MR_DWI, below=3)
    at = (m.middle[0] + 20.0, m.middle[1])
    mark_id = _store_mark(store_copy, m, at)
    w = _window(qtbot, env, store_copy, folder)
    cell = READING_ROLES.index(Role.MR_DWI)
    vp, widget = w.reading.viewports[cell], w.grid.viewports[cell]
    # drawn on its own image, one index lower in this folder (before: at its stored index, the image above)
    assert vp.volume.images[m.slice_index - 1].sop_instance_uid == m.sop_instance_uid
    assert _marks_on(w, cell, mark_id) == [m.slice_index - 1]
    # a count click on another image records that image's UID with its index here
    w.reading.activate(cell)
    press(w, qtbot, "tool_count")
    vp.set_index(m.slice_index - 4)
    from tests.app.test_reader_check_s30 import click

    before = set(w.session.reading.project.count_marks)
    click(qtbot, widget, at)
    (new,) = [w.session.reading.project.count_marks[k] for k in set(w.session.reading.project.count_marks) - before]
    shown = vp.volume.images[vp.index]
    assert (new.slice_index, new.sop_instance_uid) == (vp.index, shown.sop_instance_uid), w.status.text()
    assert _marks_on(w, cell, new.mark_id) == [vp.index]


def test_a_count_mark_whose_image_is_missing_is_shown_nowhere_and_still_counts(  # type: ignore[no-untyped-def]
        qtbot, env: Path, store_copy: Path, sample_dicom: Path, complete) -> None:
    folder, m, gone = _copy_without(env, sample_dicom, complete, Role.MR_DWI, below=0)
    mark_id = _store_mark(store_copy, m, (m.middle[0] + 20.0, m.middle[1]))
    w = _window(qtbot, env, store_copy, folder)
    cell = READING_ROLES.index(Role.MR_DWI)
    assert _marks_on(w, cell, mark_id) == []  # before: on the image its stored index names here
    reading = w.session.reading
    mark = reading.project.count_marks[mark_id]
    assert mark.sop_instance_uid == gone
    counts = reading.project.counts(PATIENT, "E1", reading.reader)
    assert counts[(Role.MR_DWI, mark.lobe)] >= 1
    # shown from Checks (a count mark's go-to): said, not moved to another image
    vp = w.reading.viewports[cell]
    vp.set_index(0)
    w.jump(Role.MR_DWI, mark)
    assert vp.index == 0, w.status.text()
    assert w.status.text().startswith("the count mark on DWI b800 is on image ") and "missing from this folder" in \
        w.status.text() and "still counts" in w.status.text(), w.status.text()
