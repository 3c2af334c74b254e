"""Menus and the reading toolbar, built from the shortcut table (app.shortcuts).

Every keyed action comes from the table, so Help -> Shortcuts and the bindings cannot disagree.
Inputs are narrow (no main window type): the QMainWindow to put menus on, the widget that owns
grid-scoped keys, the handlers by action id, a runner that turns refusals into messages, and the
menu-only items. Keys of scope "window" work wherever the focus is (a focused text field keeps
its own typing keys: Qt offers it the key first); scope "grid" keys need a reading cell focused.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar, QWidget

from app.shortcuts import Shortcut

GROUPS = ("File", "Edit", "Read", "Scroll", "Window", "View", "Layout", "Link", "Analysis", "Study", "Help")
#: Each menu's title with its Alt mnemonic, one letter each: "&Study" and "&Scroll" shared Alt+S (and Layout and
#: Link Alt+L), so a keyboard-only reader's Alt+S, Down, Enter opened Scroll and went a slice up instead of Study ->
#: Open study as reader (a radiologist's check, session 43).
TITLES = {"File": "&File", "Edit": "&Edit", "Read": "&Read", "Scroll": "&Scroll", "Window": "&Window",
          "View": "&View", "Layout": "La&yout", "Link": "&Link", "Analysis": "&Analysis", "Study": "S&tudy",
          "Help": "&Help"}
#: Toolbar buttons (action id -> short text); None is a separator.
TOOLBAR: tuple[tuple[str, str] | None, ...] = (
    ("tool_window", "W/L"), ("tool_line", "Line"), ("tool_short_axis", "Short axis"), ("tool_count", "Count"),
    ("tool_boundary", "R|L boundary"), None,
    ("new_lesion", "New lesion"), ("previous_lesion", "◀ Lesion"), ("next_lesion", "Lesion ▶"), None,
    ("lobe_right", "Right lobe"), ("lobe_left", "Left lobe"), None,
    ("not_visible", "Not visible"), ("not_measurable", "Not measurable"), ("counted", "Counted"),
    ("uncountable", "Not countable"), ("delete_selected", "Delete"), None, ("undo", "Undo"), ("redo", "Redo"),
)
CHECKABLE = (("tool_window", "tool_line", "tool_short_axis", "tool_count", "tool_boundary"), ("lobe_right", "lobe_left"))
#: Menu-only items: (menu group, text, handler, insert before this action id or None to append).
MenuItem = tuple[str, str, Callable[[], object], str | None]


def _bind(run: Callable[[Callable[[], object]], None], open_fn: Callable[[str], object],
          path: str) -> Callable[[], None]:
    return lambda: run(lambda: open_fn(path))


def recent_menu(parent: QWidget, title: str, recent: Any, open_fn: Callable[[str], object],
                run: Callable[[Callable[[], object]], None]) -> QMenu:
    menu = QMenu(title, parent)

    def fill() -> None:
        menu.clear()
        for path in recent.paths:
            menu.addAction(path, _bind(run, open_fn, path))
        menu.setEnabled(bool(recent.paths))

    recent.changed.connect(fill)
    fill()
    return menu


def _quiet(run: Callable[[Callable[[], object], bool], None], fn: Callable[[], object]) -> Callable[[], None]:
    return lambda: run(fn, False)


def build_menus(window: QMainWindow, grid: QWidget, shortcuts: Iterable[Shortcut],
                handlers: dict[str, Callable[[], object]], run: Callable[[Callable[[], object], bool], None],
                extra: Iterable[MenuItem] = (), submenus: Iterable[tuple[str, QMenu, str | None]] = ()
                ) -> dict[str, QAction]:
    """Menus from the shortcut table plus the menu-only items; returns action id -> QAction (the
    key table's actions)."""
    menus = {group: window.menuBar().addMenu(TITLES[group]) for group in GROUPS}
    actions: dict[str, QAction] = {}
    before: dict[str, list[Any]] = {}
    for group, text, fn, anchor in extra:
        before.setdefault(anchor or f"end:{group}", []).append((group, text, fn))
    for group, menu, anchor in submenus:
        before.setdefault(anchor or f"end:{group}", []).append((group, menu, None))

    def place(key: str) -> None:
        for group, what, fn in before.get(key, []):
            if isinstance(what, QMenu):
                menus[group].addMenu(what)
            elif what == "-":
                menus[group].addSeparator()
            else:
                menus[group].addAction(what, _quiet(run, fn))

    for sc in shortcuts:
        act = QAction(sc.menu or sc.label, window)
        act.setStatusTip(sc.label)
        act.setShortcuts([QKeySequence(k) for k in sc.keys])
        act.triggered.connect(lambda _=False, f=handlers[sc.action], q=sc.group == "Read": run(f, q))
        if sc.scope == "grid":  # arrows and Tab still move in the browser, the lesion grid and the forms
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            grid.addAction(act)
        else:
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            window.addAction(act)
        place(sc.action)
        menus[sc.group].addAction(act)
        actions[sc.action] = act
    for group in GROUPS:
        place(f"end:{group}")
    from app.sr_actions import install_sr_actions  # File: DICOM SR export/import, PACS (app/sr_actions.py)

    install_sr_actions(window, menus["File"], actions.get("export"), run)  # menu-only, not in the key table
    return actions


def build_toolbar(window: QMainWindow, actions: dict[str, QAction]) -> QToolBar:
    """The reading toolbar: tools, lesions, lobes, statuses, undo."""
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
        act.setToolTip(f"{act.statusTip() or act.text()} ({' / '.join(k.toString() for k in act.shortcuts())})")
        bar.addAction(act)
    for ids in CHECKABLE:
        group = QActionGroup(bar)
        group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        for action_id in ids:
            actions[action_id].setCheckable(True)
            group.addAction(actions[action_id])
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return bar
