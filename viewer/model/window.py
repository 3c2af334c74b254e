"""WindowStore: the window/level of each stack, remembered by stack key for the session.

One source of truth: a stack shown in two cells (or hung again after a layout change) keeps the
window the reader gave it. Entries remember where they came from, so that an automatic window
computed from the first slices can be refined when the stack has loaded, but never overrides
a window the reader chose.
"""

from __future__ import annotations

from enum import Enum

from viewer.display import WindowLevel
from viewer.model.events import Signal


class WindowSource(str, Enum):
    AUTO = "auto"  # computed by the application (CT default preset, MRI percentiles)
    READER = "reader"  # dragged or picked by the reader


class WindowStore:
    """stack key -> (WindowLevel, WindowSource); ``changed(key, wl)`` on every change."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[WindowLevel, WindowSource]] = {}
        self.changed = Signal()

    def get(self, key: str) -> WindowLevel | None:
        entry = self._entries.get(key)
        return entry[0] if entry else None

    def source(self, key: str) -> WindowSource | None:
        entry = self._entries.get(key)
        return entry[1] if entry else None

    def set(self, key: str, wl: WindowLevel, source: WindowSource | str = WindowSource.READER) -> None:
        src = WindowSource(source)
        if self._entries.get(key) == (wl, src):
            return
        self._entries[key] = (wl, src)
        self.changed.emit(key, wl)

    def set_auto(self, key: str, wl: WindowLevel) -> bool:
        """Store an automatic window unless the reader has chosen one; True when stored."""
        if self.source(key) is WindowSource.READER:
            return False
        self.set(key, wl, WindowSource.AUTO)
        return True

    def forget(self, key: str) -> None:
        """Back to the automatic window on the next load (the reset key)."""
        if self._entries.pop(key, None) is not None:
            self.changed.emit(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._entries
