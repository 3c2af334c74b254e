"""Where the reader put the panels (docked, tabbed, floating on a second screen), kept between sessions.

``window_layout.json`` in the settings folder holds the main window's dock state (``QMainWindow.saveState``,
base64) under :data:`LAYOUT_VERSION`. A damaged file, another version or a file that cannot be written
counts as none: the default layout, never an error (it is a convenience, as ``last_session.json``).
What comes back is the panels' places and sizes; every panel is shown again at the start (one closed
yesterday has no menu to bring it back, and a blinded study case hides the study browser on purpose), and
one left floating where no screen is now (a second monitor unplugged) comes back docked. The images' share of the
window's height is kept with them and at every change of the window's height (:class:`ImagesShare`).
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar, QWidget

from annotation.files import atomic_write
from viewer.errors import LesionlabError

#: The docks' object names and places the saved state refers to: bumped when a dock is added or renamed, so
#: that an older layout is not applied to panels it did not know.
LAYOUT_VERSION = 1


class WindowLayout:
    FILE = "window_layout.json"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def load(self) -> bytes | None:
        """The saved dock state, or None (no file, a damaged one, another layout version)."""
        return self._load("dock_state")

    def load_geometry(self) -> bytes | None:
        """The main window's saved place and size (``QWidget.saveGeometry``), or None: floating panels were placed
        round the window as it was (a reader's check: the window came back at its default size, under them)."""
        return self._load("window_geometry")

    def load_images_share(self) -> float | None:
        """The share of the window's height the images had when the layout was kept, or None (none kept, a layout
        file of an earlier version of lesionlab, a value that is no share)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            share = data.get("images_share") if isinstance(data, dict) and data.get("layout_version") == LAYOUT_VERSION \
                else None
        except (OSError, ValueError):
            return None
        return float(share) if isinstance(share, (int, float)) and 0.0 < share < 1.0 else None

    def _load(self, key: str) -> bytes | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("layout_version") != LAYOUT_VERSION or key not in data:
                return None
            return base64.b64decode(str(data[key]), validate=True)
        except (OSError, ValueError, KeyError, binascii.Error):
            return None

    def save(self, state: bytes, geometry: bytes | None = None, images_share: float | None = None) -> bool:
        """Keep ``state``, the window's ``geometry`` and the images' share of its height (written whole or not at
        all); False when the settings folder cannot be written."""
        data: dict[str, object] = {"layout_version": LAYOUT_VERSION,
                                   "dock_state": base64.b64encode(state).decode("ascii")}
        if geometry is not None:
            data["window_geometry"] = base64.b64encode(geometry).decode("ascii")
        if images_share is not None:
            data["images_share"] = round(images_share, 4)
        text = json.dumps(data)
        try:  # the project's one whole-or-nothing write (a file in the way, no permission, a full disk: said, no temporary)
            atomic_write(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
            return True
        except LesionlabError:
            return False

    def forget(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass


def resize_within_screen(widget: QWidget, width: int, height: int) -> None:
    """``width`` x ``height``, or less where the screen's free area is smaller, its frame's title bar allowed for: a
    dialog of 760-800 pixels ran past a 1366 x 768 laptop's screen, its Close button under the edge (a
    radiologist's check)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        free = screen.availableGeometry()
        width, height = min(width, free.width() - 16), min(height, free.height() - 48)
    widget.resize(width, height)


def tab_bar_height(window: QMainWindow, dock: QDockWidget) -> int:
    """The height of the tab bar under ``dock`` when it is tabbed with others (the window's own tab bar), else 0:
    ``resizeDocks`` sizes the tab group, its tab bar included."""
    if not window.tabifiedDockWidgets(dock):
        return 0
    title = dock.windowTitle()
    bar = next((b for b in window.findChildren(QTabBar) if b.parent() is window and b.isVisible()
                and any(b.tabText(i) == title for i in range(b.count()))), None)
    return bar.height() if bar is not None else 0


class ImagesShare(QObject):
    """The images' share of the main window's height, kept when the window's height changes: Qt gives a window made
    shorter (a layout kept at 1920 x 1080 restored on a 1366 x 768 laptop, a window un-maximised) to the images alone,
    the panels under them keeping their pixels: the six cells were 378 pixels high where the panels' first layout
    leaves them 410 (a follow-up dock grown at 1920 x 1080). The panels docked under the images give back what the
    images lack, down to their least height. The share is the one the reader last left (a panel's edge dragged, a
    dock grown, the layout kept: :meth:`WindowLayout.load_images_share`); images given the window (no panel docked
    under them) change it not."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        #: the images' share to keep (the central widget's height over the window's), None until known
        self.share: float | None = None
        self._height: int | None = None  # the window's height the share was last kept at
        self._pending = False
        self._kept_at: int | None = None  # the window's height the panels were last resized for
        window.installEventFilter(self)
        central = window.centralWidget()
        if central is not None:
            central.installEventFilter(self)

    def now(self) -> float | None:
        """The images' share of the window's height as it is."""
        central = self.window.centralWidget()
        if central is None or self.window.height() <= 0:
            return None
        return central.height() / self.window.height()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize:
            if watched is self.window:
                if self.window.height() != self._height:
                    self._height = self.window.height()
                    if self.share is not None and not self._pending:
                        self._pending = True  # once the window's layout has given the images their new height
                        QTimer.singleShot(0, self, self._keep)
            elif not self._pending and self.window.height() == self._height and self._under_images():
                self.share = self.now()  # a panel's edge dragged, a dock grown or shown: the reader's share
        return False

    def _under_images(self) -> list[QDockWidget]:
        """The panels docked under the images and shown (of a tab group the one in front)."""
        return [d for d in self.window.findChildren(QDockWidget) if d.parent() is self.window and d.isVisible()
                and not d.isFloating()
                and self.window.dockWidgetArea(d) is Qt.DockWidgetArea.BottomDockWidgetArea]

    def _keep(self) -> None:
        central, share = self.window.centralWidget(), self.share
        lacking = round(share * self.window.height()) - central.height() if central is not None and share is not None \
            else 0
        docks = self._under_images()
        if lacking <= 0 or not docks:
            self._pending = False
            return
        self._kept_at = self.window.height()
        self.window.resizeDocks(
            docks, [max(d.minimumSizeHint().height(), d.height() - lacking) + tab_bar_height(self.window, d)
                    for d in docks], Qt.Orientation.Vertical)
        # the images get their height from the layout request resizeDocks posted: what the panels could give (their
        # least height), not a share the reader chose, so the share is left as it is until then (it was taken from
        # it: a window made 700 pixels high kept 0.50 for 0.67, and the layout file too)
        QTimer.singleShot(0, self, self._settled)

    def _settled(self) -> None:
        self._pending = False
        if self.window.height() != self._kept_at and self.share is not None:
            self._pending = True  # the window's height changed again meanwhile (a border dragged): kept at that one
            QTimer.singleShot(0, self, self._keep)
