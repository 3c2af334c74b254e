"""Loading stacks off the UI thread: one Python thread per stack, progress as Qt signals.

:class:`VolumeLoads` keeps one volume per stack key (a stack hung twice, or swapped out and
back, is loaded once). The volume object exists at once (the loader allocates it without pixel
I/O), so the viewport shows its frame and overlays immediately and the middle slice as soon
as it lands (the loader goes middle-out). Signals are emitted from the loading thread and
delivered queued in the UI thread.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from viewer.errors import LesionlabError
from viewer.model.reading import ReadingModel
from viewer.records import StackInfo

#: Shortest interval between two progress signals of one stack (s).
PROGRESS_INTERVAL_S = 0.03


def default_loader(stack: StackInfo) -> Any:
    from viewer.loader import VolumeLoader

    return VolumeLoader(stack)


class VolumeLoads(QObject):
    """Signals: ``ready(key, volume)`` (allocated, empty), ``progress(key, done, total)``,
    ``finished(key)``, ``failed(key, message)``."""

    ready = Signal(str, object)
    progress = Signal(str, int, int)
    finished = Signal(str)
    failed = Signal(str, str)

    def __init__(self, loader_factory: Callable[[StackInfo], Any] = default_loader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader_factory = loader_factory
        self.volumes: dict[str, Any] = {}
        self._threads: dict[str, tuple[threading.Thread, threading.Event]] = {}
        self._lock = threading.Lock()

    def request(self, stack: StackInfo) -> Any | None:
        """The stack's volume if allocated already (loading or done); else start loading it."""
        vol = self.volumes.get(stack.key)
        if vol is not None:
            return vol
        if stack.key in self._threads:
            return None
        cancel = threading.Event()
        t = threading.Thread(target=self._run, args=(stack, cancel), name=f"load {stack.key}", daemon=True)
        self._threads[stack.key] = (t, cancel)
        t.start()
        return None

    def _run(self, stack: StackInfo, cancel: threading.Event) -> None:
        key = stack.key
        try:
            loader = self.loader_factory(stack)
            vol = loader.volume
            with self._lock:
                self.volumes[key] = vol
            self.ready.emit(key, vol)
            total = vol.geometry.n_slices
            state = {"done": 0, "last": 0.0}

            def on_slice(_k: int) -> None:
                state["done"] += 1
                now = time.perf_counter()
                if state["done"] == 1 or now - state["last"] >= PROGRESS_INTERVAL_S:
                    state["last"] = now
                    self.progress.emit(key, state["done"], total)

            loader.load(on_slice=on_slice, cancel=cancel)
            if cancel.is_set():  # not wanted any more (and a partial volume must never be served)
                with self._lock:
                    if self.volumes.get(key) is vol:
                        del self.volumes[key]
                return
            self.progress.emit(key, int(vol.loaded.sum()), total)
            self.finished.emit(key)
        except LesionlabError as exc:
            self.failed.emit(key, str(exc))
        except Exception as exc:  # a broken file must not kill the UI; the cell says why
            self.failed.emit(key, f"{type(exc).__name__}: {exc}")
        finally:
            self._threads.pop(key, None)

    def busy(self) -> bool:
        return bool(self._threads)

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Join the loading threads (tests, screenshots); True when all finished."""
        end = time.perf_counter() + timeout_s
        for t, _ in list(self._threads.values()):
            t.join(max(0.0, end - time.perf_counter()))
        return not self._threads

    def cancel_all(self) -> None:
        self.keep_only(())

    def keep_only(self, keys: object) -> None:
        """Stop loading and forget every stack not in ``keys`` (opening another pair frees memory)."""
        wanted = set(keys)  # type: ignore[call-overload]
        for key, (_, cancel) in list(self._threads.items()):
            if key not in wanted:
                cancel.set()
        with self._lock:
            for key in [k for k in self.volumes if k not in wanted and k not in self._threads]:
                del self.volumes[key]


def connect_loading(reading: ReadingModel, loads: VolumeLoads) -> None:
    """Wire a ReadingModel to the loader: hung stacks load and show, progress reaches the viewports."""

    def wanted(cell: int, stack: StackInfo | None) -> None:
        if stack is None:
            return
        vol = loads.request(stack)
        if vol is not None:
            reading.show_volume(cell, vol)
            done = int(vol.loaded.sum())
            reading.viewports[cell].slices_loaded(done, vol.geometry.n_slices)

    def ready(key: str, vol: Any) -> None:
        for i, cell in enumerate(reading.hanging.cells):
            if cell.stack is not None and cell.stack.key == key:
                reading.show_volume(i, vol)

    def progress(key: str, done: int, total: int) -> None:
        for vp in reading.viewports:
            if vp.key == key:
                vp.slices_loaded(done, total)

    reading.volume_wanted.connect(wanted)
    loads.ready.connect(ready)
    loads.progress.connect(progress)
