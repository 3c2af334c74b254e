"""Progressive, parallel loading (viewer/progressive.py, VolumeLoader.decode_slice, dicomio/j2k.py):
the order the reader needs, bit-identical volumes, errors that end a job instead of hanging it,
and partial volumes that nothing shows or measures as if they were complete."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.dicomgen import JPEG2000Lossless, axial_positions, write_series
from tests.viewer.stackhelp import stack_from_files
from viewer.dicomio import j2k
from viewer.dicomio.pixels import decode_frame
from viewer.errors import DicomReadError
from viewer.loader import VolumeLoader, rescale_into
from viewer.progressive import DecodeScheduler, outward

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_dicom"


class FakeSource:
    """A slice source that records the order its slices were decoded in (shared ``log``)."""

    def __init__(self, key: str, n: int, log: list[tuple[str, int]], fail_at: int | None = None,
                 gate: threading.Event | None = None) -> None:
        self.key, self.log, self.fail_at, self.gate = key, log, fail_at, gate

        class Geo:
            n_slices = n

        class Vol:
            geometry = Geo()
            loaded = np.zeros(n, bool)
            array = np.zeros((n, 2, 2), np.int16)

        self.volume = Vol()

    def decode_slice(self, k: int) -> None:
        if self.gate is not None:
            self.gate.wait(5)
        if k == self.fail_at:
            raise DicomReadError("cannot decode pixel data: broken codestream", where=f"{self.key}/IM{k}.dcm")
        self.volume.array[k] = k
        self.volume.loaded[k] = True
        self.log.append((self.key, k))


@pytest.fixture
def scheduler():
    s = DecodeScheduler(workers=1)
    yield s
    s.shutdown()


def test_outward_order() -> None:
    assert outward(5, 2) == [2, 3, 1, 4, 0]
    assert outward(5, 0) == [0, 1, 2, 3, 4]
    assert outward(4, 3) == [3, 2, 1, 0]
    assert outward(6, 99) == outward(6, 5) and outward(0, 0) == []
    assert sorted(outward(37, 11)) == list(range(37))


def test_plans_first_then_each_cells_slice_then_outward_in_turns(scheduler: DecodeScheduler) -> None:
    log: list[tuple[str, int]] = []
    events: list[str] = []
    hold = threading.Event()

    def plan(key: str, n: int, focus_gate: bool = False):  # type: ignore[no-untyped-def]
        def make() -> FakeSource:
            if focus_gate:
                hold.wait(5)  # every job is submitted before the first plan returns
            events.append(f"plan {key}")
            return FakeSource(key, n, log)
        return make

    jobs = [scheduler.submit("a", plan("a", 5, True), on_ready=lambda v: events.append("ready a")),
            scheduler.submit("b", plan("b", 3), focus=0),
            scheduler.submit("c", plan("c", 4))]
    hold.set()
    assert all(j.wait(5) for j in jobs)
    assert events[:1] == ["plan a"] and {"plan b", "plan c"} <= set(events)
    assert len(log) == 12
    # the slice each cell shows first (a: middle 2, b: its focus 0, c: middle 2), one per stack
    assert log[:3] == [("a", 2), ("b", 0), ("c", 2)]
    # then outward from it, the stacks taking turns
    assert [k for key, k in log if key == "a"] == [2, 3, 1, 4, 0]
    assert [k for key, k in log if key == "b"] == [0, 1, 2]
    assert log[3:6] == [("a", 3), ("b", 1), ("c", 3)]


def test_refocus_decodes_the_slice_the_reader_moved_to_next(scheduler: DecodeScheduler) -> None:
    log: list[tuple[str, int]] = []
    gate = threading.Event()
    src = FakeSource("a", 40, log, gate=gate)
    job = scheduler.submit("a", src)
    scheduler.refocus(job, 5)  # the worker is held on the middle slice meanwhile
    gate.set()
    assert job.wait(5)
    ks = [k for _, k in log]
    assert ks[0] == 20 or ks[0] == 5
    assert ks[ks.index(5):ks.index(5) + 3] == [5, 6, 4]  # then outward from where the reader is
    assert sorted(ks) == list(range(40))


def test_a_failing_slice_reports_its_error_once_and_ends_the_job_not_the_others() -> None:
    scheduler = DecodeScheduler(workers=2)
    try:
        log: list[tuple[str, int]] = []
        errors: list[BaseException] = []
        done: list[str] = []
        bad = scheduler.submit("bad", FakeSource("bad", 30, log, fail_at=14), on_error=errors.append,
                               on_done=lambda: done.append("bad"))
        good = scheduler.submit("good", FakeSource("good", 30, log), on_done=lambda: done.append("good"))
        assert bad.wait(5) and good.wait(5)  # no hang
        assert len(errors) == 1 and "bad/IM14.dcm" in str(errors[0]) and "broken codestream" in str(errors[0])
        assert done == ["good"] and bad.error is errors[0]
        assert not scheduler.busy()
        # a plan that raises is reported the same way, and the workers are still alive afterwards
        def broken() -> FakeSource:
            raise OSError("disk gone")
        failed = scheduler.submit("gone", broken, on_error=errors.append)
        assert failed.wait(5) and isinstance(errors[-1], OSError)
        again = scheduler.submit("again", FakeSource("again", 3, log))
        assert again.wait(5) and again.error is None
    finally:
        scheduler.shutdown()


def test_a_plan_that_failed_is_not_run_again_by_another_worker() -> None:
    """Between a failed plan's error and its job's end, another worker woken by new work took the job, its
    loader still None, and planned it again: the stack's files read twice for nothing."""
    scheduler = DecodeScheduler(workers=2)
    try:
        calls: list[int] = []
        log: list[tuple[str, int]] = []
        later: list[Any] = []

        def broken() -> FakeSource:
            calls.append(1)
            raise OSError("disk gone")

        def on_error(exc: BaseException) -> None:  # new work arrives while the failed job has not ended yet
            later.append(scheduler.submit("other", FakeSource("other", 3, log)))
            time.sleep(0.3)

        failed = scheduler.submit("gone", broken, on_error=on_error)
        assert failed.wait(5) and later and later[0].wait(5)
        assert calls == [1]
    finally:
        scheduler.shutdown()


def test_a_failing_slice_ends_its_job_failed_even_when_the_others_land_first() -> None:
    """A worker fails on one slice while the other decodes the job's last ones: the job ended "done" (its slice
    missing) in between the failed slice leaving the flight and its error being kept, then said the error too."""
    scheduler = DecodeScheduler(workers=2)
    others = threading.Event()
    original = scheduler._fail

    def failing_late(job, exc, *args, **kwargs):  # type: ignore[no-untyped-def]
        others.wait(5)  # the other worker has decoded every other slice of the job
        original(job, exc, *args, **kwargs)

    scheduler._fail = failing_late  # type: ignore[method-assign]
    try:
        log: list[tuple[str, int]] = []
        errors: list[BaseException] = []
        done: list[str] = []
        # slices 1 (the middle: fails), 2, 0
        job = scheduler.submit("bad", FakeSource("bad", 3, log, fail_at=1), on_error=errors.append,
                               on_done=lambda: done.append("bad"),
                               on_slice=lambda k, n: others.set() if n == 2 else None)
        assert job.wait(5)
        assert done == [] and len(errors) == 1 and job.error is errors[0], (done, errors)
    finally:
        scheduler.shutdown()


def test_every_worker_decodes_a_stack_planned_alone() -> None:
    """One stack loading (a series dropped into a cell): the second worker, asleep while the first planned it, was
    never woken for its slices."""
    scheduler = DecodeScheduler(workers=2)
    threads: set[str] = set()

    class Slow(FakeSource):
        def decode_slice(self, k: int) -> None:
            threads.add(threading.current_thread().name)
            threading.Event().wait(0.02)
            super().decode_slice(k)

    try:
        def plan() -> Slow:
            threading.Event().wait(0.2)  # the other worker has looked for work meanwhile, found none, and sleeps
            return Slow("one", 12, [])

        job = scheduler.submit("one", plan)
        assert job.wait(5) and job.error is None
        assert len(threads) == 2, threads
    finally:
        scheduler.shutdown()


def test_cancel_ends_without_signal(scheduler: DecodeScheduler) -> None:
    log: list[tuple[str, int]] = []
    gate = threading.Event()
    done: list[str] = []
    job = scheduler.submit("a", FakeSource("a", 50, log, gate=gate), on_done=lambda: done.append("a"))
    scheduler.cancel(job)
    gate.set()
    assert job.wait(5) and done == [] and len(log) <= 1


# ---------------------------------------------------------------------------- real files
def _reference(stack: Any) -> np.ndarray:
    """The sequential load through pydicom alone: every frame decoded by pydicom, in file order."""
    loader = VolumeLoader(stack)
    out = np.zeros_like(loader.volume.array)
    for k, h in enumerate(loader.images):
        rescale_into(decode_frame(h.file, h.frame, h.pixel), h, out[k])
    return out


@pytest.mark.parametrize("signed", [False, True])
def test_parallel_progressive_load_is_bit_identical_to_the_sequential_one(tmp_path: Path, signed: bool) -> None:
    rng = np.random.default_rng(3)
    if signed:  # GE CT: signed 16-bit with padding, intercept -1024 (an int32 volume)
        px = rng.integers(-2000, 3000, size=(9, 40, 48)).astype(np.int16)
        paths = write_series(tmp_path, px, positions=axial_positions(9, 2.0), intercept=-1024, slope=1,
                             transfer_syntax=JPEG2000Lossless)
    else:  # Siemens CT: unsigned 12-bit
        px = rng.integers(0, 4096, size=(9, 40, 48)).astype(np.uint16)
        paths = write_series(tmp_path, px, positions=axial_positions(9, 2.0)[::-1], intercept=-1024, slope=1,
                             bits_stored=12, transfer_syntax=JPEG2000Lossless)
    stack = stack_from_files(paths)
    ref = _reference(stack)
    scheduler = DecodeScheduler(workers=2)
    try:
        loader = VolumeLoader(stack)
        job = scheduler.submit(stack.key, loader, focus=6)
        assert job.wait(10) and job.error is None
    finally:
        scheduler.shutdown()
    vol = loader.volume
    assert vol.loaded.all() and vol.array.dtype == ref.dtype and np.array_equal(vol.array, ref)
    seq = VolumeLoader(stack).load(order="ascending", workers=1)
    assert np.array_equal(seq.array, ref)


def test_the_thread_decoder_equals_pydicom_on_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sample series kind (CT 512 signed and unsigned, T2, DWI, ADC, T1): a few frames each."""
    from viewer.index import index_path

    seen = 0
    for patient in ("LLSYN001/20230411_MR", "LLSYN002"):  # Siemens MRI; GE CT (signed) and MRI
        for stack in index_path(SAMPLE / patient, workers=1).stacks:
            for h in (stack.images[0], stack.images[len(stack.images) // 2]):
                assert j2k.decodes_in_thread(h.pixel)  # imagecodecs is a dependency (pyproject)
                fast = j2k.decode_j2k_frame(h.file, h.frame, h.pixel, decode_frame(h.file, h.frame, h.pixel).dtype)
                assert fast is not None and np.array_equal(fast, decode_frame(h.file, h.frame, h.pixel)), h.file
                seen += 1
    assert seen >= 30


def test_codestream_other_than_the_header_goes_to_pydicom(tmp_path: Path) -> None:
    px = np.arange(9 * 40 * 48, dtype=np.uint16).reshape(9, 40, 48) % 4096
    paths = write_series(tmp_path, px, positions=axial_positions(9, 2.0), bits_stored=12,
                         transfer_syntax=JPEG2000Lossless)
    stack = stack_from_files(paths)
    h = stack.images[0]
    assert j2k.decodes_in_thread(h.pixel)
    from dataclasses import replace

    liar = replace(h.pixel, bits_stored=10)  # the codestream says 12 bits: not the fast path's to correct
    assert j2k.decode_j2k_frame(h.file, h.frame, liar, np.dtype(np.uint16)) is None


def test_a_corrupt_frame_fails_the_stack_with_its_file_named(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    px = rng.integers(0, 4096, size=(7, 40, 48)).astype(np.uint16)
    paths = write_series(tmp_path, px, positions=axial_positions(7, 2.0), bits_stored=12,
                         transfer_syntax=JPEG2000Lossless)
    stack = stack_from_files(paths)
    loader = VolumeLoader(stack)  # the frames' headers are checked here, before any decoding
    victim = loader.images[2].file.path
    data = bytearray(Path(victim).read_bytes())
    cod = data.find(b"\xff\x52")  # COD: Lcod(2) Scod SGcod(4) then the number of decomposition levels
    data[cod + 9] = 0x30  # 48 levels: more than ISO/IEC 15444-1 allows (32); the decoder refuses the frame
    Path(victim).write_bytes(bytes(data))
    errors: list[BaseException] = []
    scheduler = DecodeScheduler(workers=2)
    try:
        job = scheduler.submit(stack.key, loader, on_error=errors.append)
        assert job.wait(20)  # ends: no hang
    finally:
        scheduler.shutdown()
    assert len(errors) == 1 and Path(victim).name in str(errors[0])
    assert not loader.volume.loaded[2]


# ---------------------------------------------------------------------------- partial volumes
def test_a_partial_volume_is_neither_shown_nor_measured_as_if_complete() -> None:
    from annotation.gestures import LineGesture, ReadingContext
    from annotation.reading import Reading
    from annotation.selection import Selection
    from viewer.model.pointer import Button, PointerEvent, PointerKind, View
    from viewer.model.view import ViewTransform
    from viewer.model.viewport import ViewportModel
    from viewer.records import Role
    from viewer.testing import SyntheticLoader, make_stack

    stack = make_stack("ct", Role.CT_PORTAL, n_slices=9, rows=64, columns=80, pixel_spacing_mm=(0.8, 0.8))
    loader = SyntheticLoader(stack)
    loader.decode_slice(4)  # only the middle slice so far
    model = ViewportModel(role=Role.CT_PORTAL)
    model.set_volume(loader.volume, Role.CT_PORTAL)
    assert model.index == 4 and model.is_loaded() and model.window is not None
    assert model.value_at(10, 10) is not None
    model.set_index(2)
    assert not model.is_loaded() and model.value_at(10, 10) is None  # no value read off zeros
    reading = Reading(reader="R1")
    reading.add_patient("P1")
    reading.add_exam_pair("P1", "E1")
    messages: list[str] = []
    ctx = ReadingContext(Selection(reading, ("P1", "E1")), say=messages.append)
    ctx.selection.new_lesion()
    view = View(model, ViewTransform(640, 512, 64, 80, 0.8, 0.8))
    line = LineGesture(ctx)
    line.press(PointerEvent.at(view, PointerKind.PRESS, 10, 10, Button.LEFT))
    line.release(PointerEvent.at(view, PointerKind.RELEASE, 10, 40, Button.LEFT, frozenset()))
    assert "still loading" in messages[-1]
    assert not any(les.observation(Role.CT_PORTAL) for les in reading.project.lesions.values())
    loader.decode_slice(2)  # once decoded, the same drag measures
    line.press(PointerEvent.at(view, PointerKind.PRESS, 10, 10, Button.LEFT))
    line.move(PointerEvent.at(view, PointerKind.MOVE, 10, 40, Button.NONE, frozenset({Button.LEFT})))
    line.release(PointerEvent.at(view, PointerKind.RELEASE, 10, 40, Button.LEFT, frozenset()))
    assert any(les.observation(Role.CT_PORTAL) for les in reading.project.lesions.values())
