"""Panels float out of the window (the lesion grid on a second screen) and stay where the reader put them between
sessions (app/window_layout.py): the shortcuts still act from a floating panel, a panel closed yesterday or left
floating where no screen is now comes back, a damaged layout file is no error, and View -> Reset panel layout
puts them back. Session 32's left item: the docks could not float."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDockWidget

from app.main_window import MainWindow
from app.window_layout import WindowLayout
from viewer.model.settings import config_dir

from .conftest import make_window


def _layout_file() -> Path:
    return config_dir() / WindowLayout.FILE


def test_every_panel_floats_and_the_keys_still_act_from_it(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    assert all(d.features() & QDockWidget.DockWidgetFeature.DockWidgetFloatable for d in w.all_docks)
    dock = w.docks.lesions_dock
    dock.setFloating(True)
    dock.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dock, timeout=3000)
    n = len(w.session.reading.project.lesions)
    qtbot.keyClick(w.docks.lesion_panel.table, Qt.Key.Key_N)  # N typed on the floating grid: a new lesion
    assert len(w.session.reading.project.lesions) == n + 1


def test_the_panels_stay_where_the_reader_put_them(qtbot, env: Path) -> None:  # type: ignore[no-untyped-def]
    first = make_window(qtbot, env)
    first.docks.checks_dock.setFloating(True)
    first.docks.checks_dock.setGeometry(QRect(40, 60, 420, 300))
    first.docks.counts_dock.close()  # closed today: back tomorrow (no menu would bring it back)
    first.close()
    assert _layout_file().is_file()
    second = make_window(qtbot, env)
    checks = second.docks.checks_dock
    assert checks.isFloating() and abs(checks.width() - 420) <= 40, checks.geometry()
    assert second.docks.counts_dock.isVisibleTo(second) and not second.docks.lesions_dock.isFloating()
    second.reset_layout()  # View -> Reset panel layout
    assert not checks.isFloating() and not _layout_file().exists()
    assert "Reset panel layout" in [a.text() for a in second.menuBar().actions()[5].menu().actions()]


def test_a_panel_floating_where_no_screen_is_comes_back_on_a_screen(qtbot, env: Path) -> None:  # type: ignore[no-untyped-def]
    w = make_window(qtbot, env)
    dock = w.docks.lesions_dock
    dock.setFloating(True)
    dock.move(50_000, 50_000)  # the second monitor it was on, unplugged
    assert QGuiApplication.screenAt(dock.frameGeometry().center()) is None
    w.restore_layout(bytes(w.saveState(1).data()))
    assert dock.isVisible() and QGuiApplication.screenAt(dock.frameGeometry().center()) is not None


def test_a_damaged_or_older_layout_file_is_the_default_layout(qtbot, env: Path) -> None:  # type: ignore[no-untyped-def]
    path = _layout_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    for text in ("{not json", '{"layout_version": 1, "dock_state": "%%%"}', '{"layout_version": 0, "dock_state": ""}',
                 '["a list"]'):
        path.write_text(text, encoding="utf-8")
        assert WindowLayout(path).load() is None
        w = make_window(qtbot, env)
        assert not any(d.isFloating() for d in w.all_docks) and w.docks.lesions_dock.isVisibleTo(w)
        w.close()
    blocked = env / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")  # (root writes through permissions: a file blocks the path)
    assert WindowLayout(blocked / "sub" / WindowLayout.FILE).save(b"x") is False  # said, never raised
    assert not any(p.name.startswith(f".{WindowLayout.FILE}") for p in env.rglob("*"))  # no temporary left


def test_a_click_in_a_floating_panel_gives_the_reading_keys_back(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A reader's check: after a click in the floating lesion grid, Page Down and the arrows did nothing until an
    image was clicked (they act on the image grid, and the floating panel had become the active window)."""
    w = window
    dock = w.docks.lesions_dock
    dock.setFloating(True)
    dock.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dock, timeout=3000)
    table = w.docks.lesion_panel.table
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.viewport().rect().center())
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=3000)
    vp = w.reading.active
    before = vp.index
    qtbot.keyClick(QApplication.focusWidget() or w.grid.active_widget, Qt.Key.Key_PageDown)
    assert vp.index != before


def test_a_field_of_a_floating_panel_keeps_the_keyboard(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLineEdit

    w = window
    dock = w.docks.clinical_dock
    dock.show()
    dock.setFloating(True)
    fields = [f for f in dock.findChildren(QLineEdit) if f.isVisible() and f.isEnabled()]
    assert fields  # the clinical record's free-text fields (Ki-67, mitoses...)
    dock.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dock, timeout=3000)
    qtbot.mouseClick(fields[0], Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    assert QApplication.activeWindow() is dock and QApplication.focusWidget() is fields[0]


def test_the_window_keeps_its_size_and_a_scripted_run_keeps_nothing(qtbot, env: Path) -> None:  # type: ignore[no-untyped-def]
    """A reader's check: the window came back at 1600 x 1000 under the floating panels placed round it."""
    first = make_window(qtbot, env)
    first.resize(640, 480)  # within the offscreen screen; the window's minimum size may make it larger
    want = (first.width(), first.height())
    assert want != (1500, 1000)
    first.close()
    assert WindowLayout(_layout_file()).load_geometry() is not None
    second = make_window(qtbot, env)  # (the test window is then resized to 1500 x 1000: read what a start restores)
    second.restore_layout()
    assert (second.width(), second.height()) == want
    second.keep_layout = False  # as a scripted run (view --screenshot ...) sets it
    second.resize(900, 600)
    second.close()
    third = make_window(qtbot, env)
    third.restore_layout()
    assert (third.width(), third.height()) == want
