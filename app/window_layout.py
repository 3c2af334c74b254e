"""Where the reader put the panels (docked, tabbed, floating on a second screen), kept between sessions.

``window_layout.json`` in the settings folder holds the main window's dock state (``QMainWindow.saveState``,
base64) under :data:`LAYOUT_VERSION`. A damaged file, another version or a file that cannot be written
counts as none: the default layout, never an error (it is a convenience, as ``last_session.json``).
What comes back is the panels' places and sizes; every panel is shown again at the start (one closed
yesterday has no menu to bring it back, and a blinded study case hides the study browser on purpose), and
one left floating where no screen is now (a second monitor unplugged) comes back docked.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

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

    def _load(self, key: str) -> bytes | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("layout_version") != LAYOUT_VERSION or key not in data:
                return None
            return base64.b64decode(str(data[key]), validate=True)
        except (OSError, ValueError, KeyError, binascii.Error):
            return None

    def save(self, state: bytes, geometry: bytes | None = None) -> bool:
        """Keep ``state`` and the window's ``geometry`` (written whole or not at all); False when the settings
        folder cannot be written."""
        data = {"layout_version": LAYOUT_VERSION, "dock_state": base64.b64encode(state).decode("ascii")}
        if geometry is not None:
            data["window_geometry"] = base64.b64encode(geometry).decode("ascii")
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
