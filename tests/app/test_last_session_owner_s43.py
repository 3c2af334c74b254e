"""Session 43 (a review): the position file is one per settings folder, kept by one lesionlab at a time. A second
window on ANOTHER project (the project lock could not tell) wrote its position over the running window's and "clean"
when it quit, so a crash of the first after that went unsaid; and a second window never remembered, even after the
first had quit. Another process holds the owner lock here, as a running lesionlab does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.last_session import LastSession
from tests.app.conftest import make_window, open_pair

HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()
"""


def _other_lesionlab(lock: Path) -> subprocess.Popen[str]:
    """A process holding the owner lock until its stdin closes (or it is killed)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_claim_is_refused_while_another_process_holds_it_and_given_once_it_has_gone(tmp_path: Path) -> None:
    last = LastSession(tmp_path / "last_session.json")
    other = _other_lesionlab(last.owner_path)
    try:
        assert not last.claim()
        assert not last.claim(), "still held"
    finally:
        other.kill()  # a killed process: the kernel drops its lock
        other.wait()
    assert last.claim() and last.claim()
    again = LastSession(tmp_path / "last_session.json")
    assert again.claim(), "one process is one owner (windows of one process, the tests)"
    last.release()


def test_a_second_window_on_another_project_leaves_the_running_ones_position_and_takes_it_over_after(  # type: ignore[no-untyped-def]
        qtbot, env: Path, sample_dicom: Path, sample_index) -> None:
    from app.cmd_view import after_last_session

    last = LastSession(env / "last.json")
    first_store = env / "work" / "first.lesionlab"
    first_store.parent.mkdir(exist_ok=True)
    # the first lesionlab's running session, as it saved it (another process: it holds the owner lock)
    first = make_window(qtbot, env, last=last)
    assert first.store_flow.open_store(first_store)
    open_pair(first, qtbot, sample_dicom, sample_index, "LLSYN002")
    first.state.selection.set_lesion("L2")
    first._save_last()
    if hasattr(first, "_remember_timer"):
        first._remember_timer.stop()
    first.session.store.close()  # its project lock is out of the way: only the owner lock tells it runs
    running = last.load()
    assert running is not None and not running.clean and running.patient_id == "LLSYN002"
    other = _other_lesionlab(last.owner_path)
    try:
        second = make_window(qtbot, env, last=LastSession(env / "last.json"))
        other_store = env / "work" / "other.lesionlab"
        assert second.store_flow.open_store(other_store) and not second.session.read_only
        said = after_last_session(second, running)
        assert said == "" and not second.remembers, said  # not "did not close cleanly": the first still runs
        open_pair(second, qtbot, sample_dicom, sample_index, "LLSYN003")
        second._save_last()
        assert last.load() == running, "the second window wrote over the running one's position"
        second.show()
        second.close()  # Ctrl+Q's close event
        assert last.load() == running, "the second window's quit wrote its position as a clean exit"

        third = make_window(qtbot, env, last=LastSession(env / "last.json"))
        assert third.store_flow.open_store(other_store)
        assert after_last_session(third, running) == "" and not third.remembers
        open_pair(third, qtbot, sample_dicom, sample_index, "LLSYN003")
        third._save_last()
        assert last.load() == running
    finally:
        other.kill()  # the first lesionlab dies without closing cleanly
        other.wait()
    third._save_last()  # its next save: the position is free, this window keeps it from now on
    mine = last.load()
    assert third.remembers and mine is not None and mine.patient_id == "LLSYN003" and not mine.clean
    assert "ended without closing cleanly" in third.status.text() and str(first_store) in third.status.text(), \
        third.status.text()
    third.show()
    third.close()
    closed = last.load()
    assert closed is not None and closed.clean and closed.patient_id == "LLSYN003"
