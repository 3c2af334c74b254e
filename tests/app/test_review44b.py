"""review44b: the study's one_click setting refusing Shift+E, seen through the real window's Read menu."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from tests.app.conftest import press


def test_a_refused_one_click_leaves_the_read_menu_unticked(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                          sample_index) -> None:
    """In a study whose definition keeps one-click off, Shift+E is refused, said. Qt ticks a checkable action before
    its handler runs, and the refusal left that tick: the Read menu said "One-click diameters" on while it was off, and
    each Shift+E turned the tick over. The key and the menu item both leave it unticked now."""
    from tests.app.test_study_window import make_study_store, study_window

    store = make_study_store(env, sample_dicom)
    w, shown = study_window(qtbot, env, store, sample_dicom, sample_index)
    w.study_ui.dialog.close()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    for _ in range(2):
        press(w, qtbot, "toggle_one_click")
        assert "one-click diameters are off in study window" in w.status.text(), w.status.text()
        assert not w.one_click_action.isChecked() and not w.view_settings.one_click and w.state.suggest is None
    read = next(a.menu() for a in w.menuBar().actions() if a.text().replace("&", "") == "Read")
    assert isinstance(read, QMenu) and w.one_click_action in read.actions()
    w.state.say("reading")
    read.popup(w.mapToGlobal(w.rect().center()))
    qtbot.waitUntil(read.isVisible)
    read.setActiveAction(w.one_click_action)
    qtbot.keyClick(read, Qt.Key.Key_Return)  # the item chosen in the menu
    qtbot.waitUntil(lambda: not read.isVisible())
    assert "one-click diameters are off in study window" in w.status.text(), (w.status.text(), shown)
    assert not w.one_click_action.isChecked() and not w.view_settings.one_click and w.state.suggest is None
