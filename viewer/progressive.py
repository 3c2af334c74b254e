"""Progressive loading of several stacks at once, in the order the reader needs, Qt-free.

One :class:`DecodeScheduler` serves every stack being loaded: a few worker threads (one per
core) take *slices*, not stacks, from the jobs, in this order:

1. **plans first**: a job's loader is built (geometry, sort, checks, the empty volume) before
   any slice of any job is decoded, so every cell gets its frame at once;
2. **the slice each cell shows first** (its *focus*: the middle slice, or where the reader has
   moved to), one per job in turn, so that every cell has an image after about one slice each;
3. **then outward from the focus**, alternating above and below, the jobs taking turns slice by
   slice (round robin), so every cell fills around what it shows at the same pace;
4. :meth:`DecodeScheduler.refocus` (the reader scrolled to a slice not decoded yet) re-sorts that
   job from the new slice outward and makes its next slice the very next one decoded.

Slices decode in parallel on the threads: JPEG 2000 through :mod:`viewer.dicomio.j2k` (the GIL
released), native frames by ``readinto`` (GIL released), other syntaxes by pydicom in the
decoder processes of :mod:`viewer.dicomio.pixels` (a thread waits for its frame without the
GIL). Each slice lands in the preallocated volume and only then is marked loaded
(``volume.loaded[k]``): a viewer never reads a slice whose flag is False.

A job ends in exactly one of three ways, each signalled once and setting :meth:`Job.wait`:
``on_done()`` (every slice loaded), ``on_error(exc)`` (the first exception of its plan or of any
of its slices: the job's other slices are dropped, the other jobs go on), or cancellation
(:meth:`DecodeScheduler.cancel`, nothing signalled). Workers never die of an exception, so an
error cannot leave a job waiting forever.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence


class SliceSource(Protocol):
    """What the scheduler needs of a loader (:class:`viewer.loader.VolumeLoader`)."""

    volume: Any  # has .loaded (bool per slice) and .geometry.n_slices

    def decode_slice(self, k: int) -> None: ...


def outward(n: int, focus: int) -> list[int]:
    """Slice indices from ``focus`` outward, alternating above and below: 2, 3, 1, 4, 0 for (5, 2)."""
    if n <= 0:
        return []
    f = min(max(int(focus), 0), n - 1)
    out = [f]
    for d in range(1, n):
        for k in (f + d, f - d):
            if 0 <= k < n:
                out.append(k)
    return out


@dataclass(eq=False)
class Job:
    """One stack being loaded. ``done_count`` counts slices loaded by this job."""

    key: str
    plan: Callable[[], SliceSource] | None
    on_ready: Callable[[Any], None] | None = None
    on_slice: Callable[[int, int], None] | None = None  # (k, slices loaded so far)
    on_done: Callable[[], None] | None = None
    on_error: Callable[[BaseException], None] | None = None
    focus: int | None = None
    order: Sequence[int] | None = None  # explicit order (load(order=...)); else outward from focus
    loader: SliceSource | None = None
    pending: list[int] = field(default_factory=list)
    in_flight: int = 0
    done_count: int = 0
    planning: bool = False
    ending: bool = False
    cancelled: bool = False
    error: BaseException | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the job has ended (done, failed or cancelled); True when it has."""
        return self.finished.wait(timeout_s)

    @property
    def ended(self) -> bool:
        return self.finished.is_set()


class DecodeScheduler:
    """Worker threads decoding the slices of every submitted job (see module doc)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._cond = threading.Condition()
        self._jobs: list[Job] = []
        self._urgent: deque[Job] = deque()
        self._turn = 0
        self._threads: list[threading.Thread] = []
        self._stopping = False

    # ------------------------------------------------------------------ public
    def submit(self, key: str, source: SliceSource | Callable[[], SliceSource], *, focus: int | None = None,
               order: Sequence[int] | None = None, on_ready: Callable[[Any], None] | None = None,
               on_slice: Callable[[int, int], None] | None = None, on_done: Callable[[], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None) -> Job:
        """Load ``source`` (a loader, or a function building one in a worker). ``order`` fixes the
        slice order; otherwise slices go outward from ``focus`` (default: the middle slice)."""
        if callable(source) and not hasattr(source, "decode_slice"):
            job = Job(key, source, on_ready, on_slice, on_done, on_error, focus, order)
        else:
            job = Job(key, None, on_ready, on_slice, on_done, on_error, focus, order, loader=source)  # type: ignore[arg-type]
            self._set_pending(job)
        with self._cond:
            if self._stopping:
                raise RuntimeError("the decode scheduler has been shut down")
            self._jobs.append(job)
            self._start_threads()
            self._cond.notify_all()
        if job.loader is not None and not job.pending and job.plan is None:
            self._end_if_idle(job)
        return job

    def refocus(self, job: Job, k: int) -> None:
        """The reader shows slice ``k`` of ``job``'s stack: decode it next, then outward from it."""
        with self._cond:
            job.focus = int(k)
            if job.loader is None or not job.pending:
                return
            job.order = None
            wanted = set(job.pending)
            job.pending = [i for i in outward(job.loader.volume.geometry.n_slices, k) if i in wanted]
            if job in self._urgent:
                self._urgent.remove(job)
            self._urgent.appendleft(job)
            self._cond.notify()

    def cancel(self, job: Job) -> None:
        """Drop the job's slices not started; it ends (without a signal) once its slices in flight land."""
        with self._cond:
            job.cancelled = True
            job.pending.clear()
        self._end_if_idle(job)

    def busy(self) -> bool:
        with self._cond:
            return bool(self._jobs)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Cancel everything and stop the threads (tests; the program's end)."""
        with self._cond:
            jobs = list(self._jobs)
            self._stopping = True
            self._cond.notify_all()
        for job in jobs:
            self.cancel(job)
        for t in self._threads:
            t.join(timeout_s)
        self._threads.clear()

    # ------------------------------------------------------------------ internals
    def _set_pending(self, job: Job) -> None:
        loader = job.loader
        assert loader is not None
        n = loader.volume.geometry.n_slices
        seq = list(job.order) if job.order is not None else outward(n, n // 2 if job.focus is None else job.focus)
        loaded = loader.volume.loaded
        job.pending = [k for k in seq if not loaded[k]]

    def _start_threads(self) -> None:
        while len(self._threads) < self.workers:
            t = threading.Thread(target=self._work, name=f"decode {len(self._threads) + 1}", daemon=True)
            self._threads.append(t)
            t.start()

    def _next(self) -> tuple[Job, int | None] | None:
        """Under the lock: (job, None) to plan, (job, k) to decode, or None when idle."""
        for job in self._jobs:
            if job.loader is None and not job.planning and not job.cancelled and job.error is None:
                job.planning = True  # a plan that failed is not run again (its files read twice, its error dropped)
                return job, None
        while self._urgent:
            job = self._urgent.popleft()
            if job.pending and not job.cancelled:
                job.in_flight += 1
                return job, job.pending.pop(0)
        ready = [j for j in self._jobs if j.pending and not j.cancelled]
        if not ready:
            return None
        job = ready[self._turn % len(ready)]
        self._turn += 1
        job.in_flight += 1
        return job, job.pending.pop(0)

    def _work(self) -> None:
        while True:
            with self._cond:
                task = self._next()
                while task is None:
                    if self._stopping:
                        return
                    self._cond.wait()
                    task = self._next()
            job, k = task
            if k is None:
                self._plan(job)
            else:
                self._decode(job, k)

    def _plan(self, job: Job) -> None:
        try:
            assert job.plan is not None
            loader = job.plan()
            with self._cond:
                job.loader = loader
                job.planning = False
                if not job.cancelled:
                    self._set_pending(job)
                    # the other workers, asleep since they found nothing to take while this plan ran: one stack
                    # alone (a series dropped into a cell) was decoded on one thread while the others waited
                    self._cond.notify_all()
            if job.on_ready is not None and not job.cancelled:
                job.on_ready(loader.volume)
        except BaseException as exc:  # noqa: BLE001 - becomes the job's error, never the thread's death
            self._fail(job, exc)
            return
        self._end_if_idle(job)

    def _decode(self, job: Job, k: int) -> None:
        try:
            assert job.loader is not None
            if not job.cancelled and job.error is None:
                job.loader.decode_slice(k)
                with self._cond:
                    job.done_count += 1
                    done = job.done_count
                if job.on_slice is not None and not job.cancelled:
                    job.on_slice(k, done)
        except BaseException as exc:  # noqa: BLE001 - see _plan
            # the slice lands and the job fails in one step: counted out of flight first, the job's other slices
            # landing meanwhile ended it as done (on_done with this slice missing), then on_error came too
            self._fail(job, exc, landed=True)
            return
        with self._cond:
            job.in_flight -= 1
        self._end_if_idle(job)

    def _fail(self, job: Job, exc: BaseException, landed: bool = False) -> None:
        """``job`` failed with ``exc`` (``landed``: in one of its slices in flight, counted out of flight here)."""
        with self._cond:
            if landed:
                job.in_flight -= 1
            first = job.error is None and not job.cancelled
            if first:
                job.error = exc
            job.pending.clear()
            job.planning = False
        if first and job.on_error is not None:
            try:
                job.on_error(exc)
            except Exception:  # noqa: BLE001 - a broken handler must not stop the worker
                pass
        self._end_if_idle(job)

    def _end_if_idle(self, job: Job) -> None:
        """End ``job`` when nothing of it is pending, planning or in flight (once)."""
        with self._cond:
            if job.ending or job.pending or job.in_flight or job.planning \
                    or (job.loader is None and job.error is None and not job.cancelled):
                return
            job.ending = True
            if job in self._jobs:
                self._jobs.remove(job)
            success = job.error is None and not job.cancelled
        try:
            if success and job.on_done is not None:
                job.on_done()
        except Exception:  # noqa: BLE001 - a broken handler must not stop the worker
            pass
        finally:
            job.finished.set()


_SHARED: DecodeScheduler | None = None
_SHARED_LOCK = threading.Lock()


def shared_scheduler() -> DecodeScheduler:
    """The program's scheduler (created at first use, one thread per core)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None or _SHARED._stopping:
            _SHARED = DecodeScheduler()
        return _SHARED
