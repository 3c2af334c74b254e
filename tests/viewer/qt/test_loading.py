"""Threaded loading: the volume appears at once, the middle slice first, progress reaches the model."""

from __future__ import annotations

from viewer.model.reading import ReadingModel
from viewer.testing import SyntheticLoader, make_stack
from viewer.qt.loading import VolumeLoads, connect_loading
from viewer.records import Role


def test_middle_slice_first_and_progress(qtbot) -> None:  # type: ignore[no-untyped-def]
    reading = ReadingModel()
    loads = VolumeLoads(lambda s: SyntheticLoader(s, delay_s=0.01))
    connect_loading(reading, loads)
    progress: list[tuple[int, int]] = []
    reading.viewports[0].loading_changed.connect(lambda d, t: progress.append((d, t)))
    reading.open_stacks([make_stack("ct", Role.CT_ARTERIAL, n_slices=40)])
    vp = reading.viewports[0]
    qtbot.waitUntil(lambda: vp.volume is not None and vp.is_loaded(), timeout=5000)
    assert vp.index == 20 and not vp.volume.loaded.all()  # the middle slice shows while the rest loads
    assert vp.window is not None  # the window is there from the first slice
    qtbot.waitUntil(lambda: bool(progress) and progress[-1] == (40, 40), timeout=10000)
    assert loads.wait(5) and vp.volume.loaded.all()
    assert progress[0][0] < 40  # progress came in steps
    # the same stack again: no second load
    assert loads.request(vp.volume.stack) is vp.volume


def test_failure_is_reported(qtbot) -> None:  # type: ignore[no-untyped-def]
    def broken(stack):  # type: ignore[no-untyped-def]
        raise OSError("disk gone")

    loads = VolumeLoads(broken)
    with qtbot.waitSignal(loads.failed, timeout=5000) as sig:
        loads.request(make_stack("x"))
    assert sig.args[0] == "x" and "disk gone" in sig.args[1]


def test_cancelled_partial_volume_is_not_served_again(qtbot) -> None:  # type: ignore[no-untyped-def]
    loads = VolumeLoads(lambda s: SyntheticLoader(s, delay_s=0.02))
    stack = make_stack("slow", n_slices=60)
    with qtbot.waitSignal(loads.ready, timeout=5000):
        loads.request(stack)
    loads.keep_only(())
    assert loads.wait(10)
    assert "slow" not in loads.volumes  # partial: dropped
    assert loads.request(stack) is None  # so it loads again from the start
    qtbot.waitUntil(lambda: "slow" in loads.volumes and loads.volumes["slow"].loaded.all(), timeout=10000)
    assert loads.wait(10)
    loads.keep_only(())
    assert "slow" not in loads.volumes  # memory released when another pair opens


def test_a_volume_complete_when_planned_still_reports_its_progress(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A loader with only load() (a cache of volumes) whose volume is complete: the cells and the
    registration, which wait for progress(total, total), still hear of it."""
    full = SyntheticLoader(make_stack("done", n_slices=7))
    full.load()

    class Cached:
        def __init__(self, stack) -> None:  # type: ignore[no-untyped-def]
            self.volume = full.volume

        def load(self, **kwargs):  # type: ignore[no-untyped-def]
            return self.volume

    loads = VolumeLoads(Cached)
    progress: list[tuple[str, int, int]] = []
    loads.progress.connect(lambda k, d, t: progress.append((k, d, t)))
    with qtbot.waitSignal(loads.finished, timeout=5000):
        loads.request(make_stack("done", n_slices=7))
    qtbot.waitUntil(lambda: ("done", 7, 7) in progress, timeout=2000)
    assert loads.wait(2) and loads.request(make_stack("done", n_slices=7)) is full.volume


def _swapped_back_while_busy(qtbot, hold: str):  # type: ignore[no-untyped-def]
    """A stack loading, its pair left and opened again (keep_only, then request) while a worker is inside the old
    job's ``hold`` callback (``_done``: its last slice landed; ``_ready``: its plan returned): the old job goes on
    after the new one has started. Returns (loads, the cell's viewport, the stack)."""
    import threading

    from viewer.progressive import DecodeScheduler

    inside, go_on, old_out = threading.Event(), threading.Event(), threading.Event()
    plans: list[object] = []

    def factory(stack):  # type: ignore[no-untyped-def]
        plans.append(stack)
        if len(plans) == 2 and hold == "_done":
            old_out.wait(5)  # the new load is planned once the old job's callback has run
        return SyntheticLoader(stack, delay_s=0.05)  # the old one cancelled half-way

    scheduler = DecodeScheduler(workers=2)
    loads = VolumeLoads(factory, scheduler=scheduler)
    original = getattr(loads, hold)

    def held(*args):  # type: ignore[no-untyped-def]
        if not inside.is_set():
            inside.set()
            go_on.wait(5)
            original(*args)
            old_out.set()
            return
        original(*args)

    setattr(loads, hold, held)
    reading = ReadingModel()
    connect_loading(reading, loads)
    stack = make_stack("ct", Role.CT_ARTERIAL, n_slices=6)
    reading.open_stacks([stack])
    assert inside.wait(5)
    loads.keep_only(())  # another pair opened ...
    reading.open_stacks([])
    reading.open_stacks([stack])  # ... and this one again
    if hold == "_ready":  # the new load planned and decoding
        qtbot.waitUntil(lambda: stack.key in loads.volumes, timeout=5000)
    go_on.set()
    assert old_out.wait(5)
    return loads, reading.viewports[0], stack, scheduler


def test_a_load_dropped_as_it_ended_does_not_end_the_new_load_of_its_stack(qtbot) -> None:  # type: ignore[no-untyped-def]
    loads, vp, stack, scheduler = _swapped_back_while_busy(qtbot, "_done")
    try:
        # the old job's end took the new load's place: its volume was never shown, the cell said "loading" for good
        qtbot.waitUntil(lambda: stack.key in loads.volumes and loads.volumes[stack.key].loaded.all()
                        and vp.volume is loads.volumes[stack.key], timeout=5000)
        assert loads.wait(5) and not loads.busy()
    finally:
        scheduler.shutdown()


def test_a_load_dropped_as_it_was_planned_does_not_show_its_empty_volume(qtbot) -> None:  # type: ignore[no-untyped-def]
    loads, vp, stack, scheduler = _swapped_back_while_busy(qtbot, "_ready")
    try:
        assert loads.wait(5)
        qtbot.wait(50)  # the queued signals delivered
        # the old job's volume (cancelled: never filled) replaced the new one, in the store of volumes and the cell
        assert loads.volumes[stack.key].loaded.all() and vp.volume is loads.volumes[stack.key]
    finally:
        scheduler.shutdown()
