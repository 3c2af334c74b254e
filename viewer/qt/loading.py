"""Loading stacks off the UI thread, progressively, in the order the reader needs; progress as Qt signals.

:class:`VolumeLoads` hands every stack to the program's :class:`viewer.progressive.DecodeScheduler`:
the volumes of all hung stacks are planned first (each cell shows its frame and overlays at
once), then the slice each cell shows is decoded for every stack in turn, then the rest outward
from it, the stacks taking turns, on one worker thread per core. When the reader moves a cell to
a slice not decoded yet, :meth:`VolumeLoads.refocus` makes that slice the next one decoded.
One volume per stack key (a stack hung twice, or swapped out and back, is loaded once); a
partial volume whose load was cancelled or failed is never served again.

Signals are emitted from the worker threads and delivered queued in the UI thread. Progress is
rate-limited per stack, except for the slice a cell is waiting for (shown at once).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from viewer.errors import LesionlabError
from viewer.model.reading import ReadingModel
from viewer.progressive import DecodeScheduler, Job, shared_scheduler
from viewer.records import StackInfo

#: Shortest interval between two progress signals of one stack (s): each repaints a cell (the slice a
#: cell waits for is signalled at once, whatever the interval).
PROGRESS_INTERVAL_S = 0.1


def default_loader(stack: StackInfo) -> Any:
    from viewer.loader import VolumeLoader

    return VolumeLoader(stack)


def warm_up() -> threading.Thread:
    """Import the loader and its decoders (pydicom's pixel pipeline, imagecodecs: 0.7 s) in the
    background, so that the first pair opened does not wait for them."""
    def work() -> None:
        import viewer.loader  # noqa: F401

    t = threading.Thread(target=work, name="warm up loading", daemon=True)
    t.start()
    return t


class _WholeLoad:
    """A loader with only ``load()`` (test doubles) seen as a slice source: the first slice asked
    loads the whole stack, sequentially in that worker thread."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.volume = loader.volume
        self._lock = threading.Lock()

    def decode_slice(self, k: int) -> None:
        with self._lock:
            if not self.volume.loaded[k]:
                self.loader.load(workers=1)


def error_text(exc: BaseException) -> str:
    """What a cell and the status bar say of a failed load."""
    return str(exc) if isinstance(exc, LesionlabError) else f"{type(exc).__name__}: {exc}"


class VolumeLoads(QObject):
    """Signals: ``ready(key, volume)`` (allocated, empty), ``progress(key, done, total)``,
    ``finished(key)``, ``failed(key, message)``."""

    ready = Signal(str, object)
    progress = Signal(str, int, int)
    finished = Signal(str)
    failed = Signal(str, str)

    def __init__(self, loader_factory: Callable[[StackInfo], Any] = default_loader, parent: QObject | None = None,
                 scheduler: DecodeScheduler | None = None) -> None:
        super().__init__(parent)
        self.loader_factory = loader_factory
        self.scheduler = scheduler
        self.volumes: dict[str, Any] = {}
        self._jobs: dict[str, Job] = {}
        #: keys loading (from the request until done, failed or dropped), each with its request's token: a job
        #: dropped (another pair opened) and its stack asked again runs on beside the new one until its slice in
        #: flight lands, and what it then says (done, ready, progress, failed) is not the new load's
        self._active: dict[str, object] = {}
        self._focus: dict[str, int] = {}
        self._last_emit: dict[str, float] = {}
        self._lock = threading.Lock()
        if loader_factory is default_loader:
            warm_up()

    def _scheduler(self) -> DecodeScheduler:
        return self.scheduler if self.scheduler is not None else shared_scheduler()

    def request(self, stack: StackInfo) -> Any | None:
        """The stack's volume if allocated already (loading or done); else start loading it."""
        key = stack.key
        vol = self.volumes.get(key)
        if vol is not None:
            return vol
        if key in self._active:
            return None
        token = self._active[key] = object()

        def plan() -> Any:
            loader = self.loader_factory(stack)
            return loader if hasattr(loader, "decode_slice") else _WholeLoad(loader)

        job = self._scheduler().submit(
            key, plan, focus=self._focus.get(key),
            on_ready=lambda vol: self._ready(key, vol, token),
            on_slice=lambda k, done: self._slice(key, k, done, token),
            on_done=lambda: self._done(key, token),
            on_error=lambda exc: self._failed(key, exc, token))
        with self._lock:
            if self._active.get(key) is token:  # else it ended already
                self._jobs[key] = job
        return None

    def refocus(self, key: str, k: int) -> None:
        """A cell shows slice ``k`` of ``key``: decode it next (when it is not yet), then around it."""
        self._focus[key] = k
        job = self._jobs.get(key)
        if job is not None:
            self._scheduler().refocus(job, k)

    # ------------------------------------------------------------------ from the worker threads
    def _ready(self, key: str, vol: Any, token: object) -> None:
        with self._lock:
            if self._active.get(key) is not token:  # dropped meanwhile (and maybe asked again)
                return
            self.volumes[key] = vol
        self.ready.emit(key, vol)

    def _slice(self, key: str, k: int, done: int, token: object) -> None:
        if self._active.get(key) is not token:
            return
        vol = self.volumes.get(key)
        total = vol.geometry.n_slices if vol is not None else 0
        now = time.perf_counter()
        if done == 1 or done == total or k == self._focus.get(key) \
                or now - self._last_emit.get(key, 0.0) >= PROGRESS_INTERVAL_S:
            self._last_emit[key] = now
            self.progress.emit(key, done, total)

    def _done(self, key: str, token: object) -> None:
        with self._lock:
            if self._active.get(key) is not token:
                # a job dropped just as it ended: the new load of its stack stays (it took that load's place, so
                # the new volume was never shown and its cells said "loading" for good)
                return
            vol = self.volumes.get(key)
            del self._active[key]
            self._jobs.pop(key, None)
        if vol is not None and not self._last_emit.get(key):  # complete when planned (no slice decoded):
            n = vol.geometry.n_slices                          # the final progress still tells the cells
            self.progress.emit(key, n, n)
        self._last_emit.pop(key, None)
        self.finished.emit(key)

    def _failed(self, key: str, exc: BaseException, token: object) -> None:
        with self._lock:
            if self._active.get(key) is not token:
                return
            del self._active[key]
            self._jobs.pop(key, None)
            self.volumes.pop(key, None)  # partial: a later request loads it again
            self._last_emit.pop(key, None)
        self.failed.emit(key, error_text(exc))

    # ------------------------------------------------------------------ control
    def busy(self) -> bool:
        return bool(self._active)

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Wait for the loads running (tests, screenshots); True when all ended."""
        end = time.perf_counter() + timeout_s
        for job in list(self._jobs.values()):
            job.wait(max(0.0, end - time.perf_counter()))
        while self._active and time.perf_counter() < end:  # a job ends just after its last signal
            time.sleep(0.001)
        return not self._active

    def cancel_all(self) -> None:
        self.keep_only(())

    def keep_only(self, keys: object) -> None:
        """Stop loading and forget every stack not in ``keys`` (opening another pair frees memory)."""
        wanted = set(keys)  # type: ignore[call-overload]
        with self._lock:
            dropped = [(k, j) for k, j in self._jobs.items() if k not in wanted]
            for key in [k for k in self._active if k not in wanted]:
                del self._active[key]
                self._jobs.pop(key, None)
                self.volumes.pop(key, None)  # partial: never served again
                self._last_emit.pop(key, None)
            for key in [k for k in self.volumes if k not in wanted]:
                del self.volumes[key]
        for _, job in dropped:
            self._scheduler().cancel(job)
        for key in [k for k in self._focus if k not in wanted]:
            del self._focus[key]


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

    def shown(vp: Any, k: int) -> None:
        vol = vp.volume
        if vol is not None and not vol.loaded[k]:
            loads.refocus(vp.key, k)

    reading.volume_wanted.connect(wanted)
    loads.ready.connect(ready)
    loads.progress.connect(progress)
    for vp in reading.viewports:
        vp.slice_changed.connect(lambda k, vp=vp: shown(vp, k))
