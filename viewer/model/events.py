"""The observer primitive of the models: a list of callbacks, called synchronously in order.

Models own one :class:`Signal` per kind of change (``slice_changed``, ``window_changed``...);
widgets ``connect`` to them and change state only through the models' methods (napari's
``Dims``/``QtDims`` split). No Qt: in the Qt layer the callbacks simply call ``update()``.
"""

from __future__ import annotations

from typing import Any, Callable


class Signal:
    """Callbacks called with the emitted arguments; a callback may disconnect itself."""

    __slots__ = ("_slots",)

    def __init__(self) -> None:
        self._slots: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Register ``callback`` (once); returns it so this can be used as a decorator."""
        if callback not in self._slots:
            self._slots.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        if callback in self._slots:
            self._slots.remove(callback)

    def emit(self, *args: Any) -> None:
        for callback in list(self._slots):
            callback(*args)

    def __len__(self) -> int:
        return len(self._slots)
