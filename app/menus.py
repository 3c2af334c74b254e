"""Menus and the reading toolbar of the main window, built from the shortcut table (app.shortcuts).

Every keyed action comes from SHORTCUTS, so Help -> Shortcuts and the bindings cannot disagree;
menu-only items (reading projects, reader name, recent lists) are added here around them.
Window-wide groups work wherever the focus is; the others need the focus in the reading grid,
so that arrows and letters still work in the browser, the lesion grid and the clinical form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from app.shortcuts import SHORTCUTS

if TYPE_CHECKING:
    from app.main_window import MainWindow

GROUPS = ("File", "Edit", "Read", "Scroll", "Window", "View", "Layout", "Link", "Analysis", "Help")
#: Shortcut groups that work wherever the focus is; the others need the focus in the reading grid.
WINDOW_GROUPS = frozenset({"File", "Edit", "Analysis", "Help"})
#: Toolbar buttons (action id -> short text); None is a separator.
TOOLBAR: tuple[tuple[str, str] | None, ...] = (
    ("tool_window", "W/L"), ("tool_line", "Line"), ("tool_count", "Count"), None,
    ("new_lesion", "New lesion"), ("previous_lesion", "◀ Lesion"), ("next_lesion", "Lesion ▶"), None,
    ("lobe_right", "Right lobe"), ("lobe_left", "Left lobe"), None,
    ("not_visible", "Not visible"), ("not_measurable", "Not measurable"), ("uncountable", "Not countable"),
    ("delete_selected", "Delete"), None, ("undo", "Undo"), ("redo", "Redo"),
)
CHECKABLE = (("tool_window", "tool_line", "tool_count"), ("lobe_right", "lobe_left"))


def _recent_menu(window: "MainWindow", title: str, recent, open_fn: Callable[[str], object]) -> QMenu:  # type: ignore[no-untyped-def]
    menu = QMenu(title, window)

    def fill() -> None:
        menu.clear()
        for path in recent.paths:
            menu.addAction(path, lambda p=path: window.run(lambda: open_fn(p)))
        menu.setEnabled(bool(recent.paths))

    recent.changed.connect(fill)
    fill()
    return menu


def build_menus(window: "MainWindow", handlers: dict[str, Callable[[], object]]) -> dict[str, QAction]:
    """Menus from SHORTCUTS plus the menu-only items; returns action id -> QAction."""
    menus = {group: window.menuBar().addMenu(f"&{group}") for group in GROUPS}
    actions: dict[str, QAction] = {}
    ctl = window.controller
    for sc in SHORTCUTS:
        act = QAction(sc.label, window)
        act.setShortcuts([QKeySequence(k) for k in sc.keys])
        act.triggered.connect(lambda _=False, f=handlers[sc.action], q=sc.group == "Read": window.run(f, quiet=q))
        if sc.group in WINDOW_GROUPS:
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            window.addAction(act)
        else:  # reading keys act when a cell has the focus, so arrows still move in the browser
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            window.grid.addAction(act)
        if sc.action == "export":  # the reading project items sit before Export
            file_menu = menus["File"]
            file_menu.addSeparator()
            file_menu.addAction("New reading project…", lambda: window.run(ctl.ask_new_store))
            file_menu.addAction("Open reading project…", lambda: window.run(ctl.ask_open_store))
            file_menu.addAction("Open database reading project…", lambda: window.run(ctl.ask_open_database))
            file_menu.addMenu(_recent_menu(window, "Recent reading projects", ctl.recent, ctl.open_store))
            file_menu.addAction("Reader name…", lambda: window.run(ctl.ask_reader))
            file_menu.addSeparator()
        menus[sc.group].addAction(act)
        actions[sc.action] = act
        if sc.action == "open_file":
            menus["File"].addMenu(_recent_menu(window, "Recent studies", window.recent, window.open_path))
    return actions


def build_toolbar(window: "MainWindow", actions: dict[str, QAction]) -> QToolBar:
    """The reading toolbar: tools, lesions, lobes, statuses, undo; tool and lobe buttons show the state."""
    bar = QToolBar("Reading", window)
    bar.setObjectName("reading_toolbar")
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for entry in TOOLBAR:
        if entry is None:
            bar.addSeparator()
            continue
        action_id, text = entry
        act = actions[action_id]
        act.setIconText(text)
        act.setToolTip(f"{act.text()} ({' / '.join(k.toString() for k in act.shortcuts())})")
        bar.addAction(act)
    for ids in CHECKABLE:
        group = QActionGroup(bar)
        group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        for action_id in ids:
            actions[action_id].setCheckable(True)
            group.addAction(actions[action_id])
    ctl = window.controller
    tools = {"window_level": "tool_window", "line": "tool_line", "count": "tool_count"}

    def show_tool(name: str) -> None:
        for tool, action_id in tools.items():
            actions[action_id].setChecked(tool == name)

    def show_lobe() -> None:
        lobe = ctl.selection.lobe.value
        actions["lobe_right"].setChecked(lobe == "right")
        actions["lobe_left"].setChecked(lobe == "left")

    ctl.tool_changed.connect(show_tool)
    ctl.lobe_shown = show_lobe
    show_tool(ctl.tool_name)
    show_lobe()
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return bar
