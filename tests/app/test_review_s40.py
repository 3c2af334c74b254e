"""Session 40's review of the merged work, in the real main window with Qt events."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from app.window_layout import WindowLayout
from viewer.model.settings import config_dir

from .conftest import grow_followup
from .test_radread_s39 import _followup_compared


def test_a_window_made_shorter_than_the_panels_can_give_keeps_the_readers_share(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    """The Follow-up dock grown at 1920 x 1080 (images 67 % of the height), the window made 700 pixels high: the
    panels under the images are at their least height and give 5 pixels. The share kept was then taken from the
    images' height the layout gave afterwards (0.50), as if the reader had chosen it, and written to
    window_layout.json at close: the next start on a laptop left the images a half. It stays the reader's; a
    separator the reader drags still changes it."""
    w = _followup_compared(qtbot, env, sample_index, (1920, 1080))
    dock = w.docks.followup_dock
    grow_followup(w, qtbot)
    qtbot.wait(100)
    share = w.images_share.share
    assert share is not None and abs(share - w.centralWidget().height() / w.height()) < 0.01 and share > 0.6
    w.resize(1920, 700)
    qtbot.waitUntil(lambda: dock.height() == dock.minimumSizeHint().height(), timeout=3000)
    qtbot.wait(100)
    assert w.centralWidget().height() / w.height() < share - 0.1  # the panels could not give what the images lack
    assert w.images_share.share == share
    w.resize(1920, 1080)
    qtbot.wait(100)
    assert w.images_share.share == share
    # the reader drags the edge between the images and the panels up by 120 pixels: that is a share chosen
    w.resize(1920, 700)
    qtbot.wait(100)
    c, d = w.centralWidget().geometry(), dock.geometry()
    x, y = c.center().x(), (c.bottom() + d.top()) // 2 + 1
    qtbot.mousePress(w, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    for dy in range(-10, -130, -10):
        qtbot.mouseMove(w, QPoint(x, y + dy))
        qtbot.wait(10)
    qtbot.mouseRelease(w, Qt.MouseButton.LeftButton, pos=QPoint(x, y - 120))
    qtbot.waitUntil(lambda: w.images_share.share is not None and w.images_share.share < share - 0.1, timeout=3000)
    dragged = w.images_share.share
    assert dragged is not None and abs(dragged - w.centralWidget().height() / w.height()) < 0.01
    w.close()
    kept = WindowLayout(config_dir() / WindowLayout.FILE).load_images_share()
    assert kept is not None and abs(kept - dragged) < 0.001


def test_a_project_opened_after_the_study_is_named_not_the_study(qtbot, env, sample_dicom, sample_index) -> None:  # type: ignore[no-untyped-def]
    """Study -> Open study as reader R1 names R1 and the study while no case is open (session 40). Another reading
    project opened then (File -> Open reading project) takes the edits, yet the status bar went on naming R1's study
    and its store, "no case open": the edits' project and its readers unsaid. It names that project now."""
    import shutil

    from tests.app.test_study_window import make_study_store, study_window

    store = make_study_store(env, sample_dicom)
    w, shown = study_window(qtbot, env, store, sample_dicom, sample_index, reader="R1")
    label = w.store_flow.store_label
    assert label.text().startswith("reader: R1 · study window: no case open"), label.text()
    other = env / "other.lesionlab"
    shutil.copy(sample_dicom / "reading.lesionlab", other)
    assert w.store_flow.open_store(other)
    qtbot.waitUntil(lambda: "study window" not in label.text(), timeout=3000)
    assert str(other) in label.text() and "no case open" not in label.text(), label.text()
    assert w.session.store.where == str(other) and not shown, shown


def _drag_edge(w, qtbot, dy: int) -> None:  # type: ignore[no-untyped-def]
    """The reader drags the edge between the images and the panels under them by ``dy`` pixels."""
    c, d = w.centralWidget().geometry(), w.docks.followup_dock.geometry()
    x, y = c.center().x(), (c.bottom() + d.top()) // 2 + 1
    qtbot.mousePress(w, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    step = -10 if dy < 0 else 10
    for moved in range(step, dy + step, step):
        qtbot.mouseMove(w, QPoint(x, y + moved))
        qtbot.wait(10)
    qtbot.mouseRelease(w, Qt.MouseButton.LeftButton, pos=QPoint(x, y + dy))


def test_a_height_change_while_the_panels_give_back_is_kept_too(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    """A window border dragged sends one height after another: one coming while the panels were being resized for
    the one before (their layout not yet done) must be kept as well, not given to the images alone."""
    w = _followup_compared(qtbot, env, sample_index, (1920, 1080))
    dock = w.docks.followup_dock
    grow_followup(w, qtbot)
    _drag_edge(w, qtbot, -300)  # panels tall enough to give back
    qtbot.waitUntil(lambda: w.images_share.share is not None and w.images_share.share < 0.5, timeout=3000)
    share = w.images_share.share
    keep, heights = w.images_share._keep, [700, 600]

    def keep_then_shorter() -> None:
        keep()
        if heights:
            w.resize(1920, heights.pop(0))  # the next height, before the panels' layout of this one is done
    w.images_share._keep = keep_then_shorter  # type: ignore[method-assign]
    w.resize(1920, 800)
    qtbot.waitUntil(lambda: not w.images_share._pending, timeout=3000)
    qtbot.wait(200)
    assert not heights and w.height() == 600  # each height kept in turn
    assert abs(w.centralWidget().height() - share * 600) <= 3, (w.centralWidget().height(), share * 600)
    assert dock.height() > dock.minimumSizeHint().height()  # the panels could give it
