"""Two lesionlab processes on one settings folder keep each other's viewing habits (``view.json``, session 45's
report: the second writer's save replaced the first's).

Real processes, driven line by line over their stdin so that the order of their steps is the test's: each loads the
file as a window does at its start, then changes what the test tells it to.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.view_settings import ViewSettings
from viewer.display import Preset
from viewer.records import Role

ROOT = Path(__file__).resolve().parents[2]

#: one lesionlab's view settings: "preset ROLE PRESET", "right_drag HOW", "one_click on|off", "burst N" (N changes of
#: its own presets in a row, as fast as it can), answered "ok" when written
WORKER = r"""
import sys
from app.view_settings import ViewSettings
from viewer.display import Preset
from viewer.records import Role

BURST = (Preset.CT_ABDOMEN, Preset.CT_LIVER)
settings = ViewSettings(sys.argv[1])
print("ok", flush=True)
for line in sys.stdin:
    what, *args = line.split()
    if what == "preset":
        settings.remember_preset(Role(args[0]), Preset(args[1]))
    elif what == "right_drag":
        settings.set_right_drag(args[0])
    elif what == "one_click":
        settings.set_one_click(args[0] == "on")
    elif what == "burst":
        roles = [Role(r) for r in args[1:]]
        for i in range(int(args[0])):
            settings.remember_preset(roles[i % len(roles)], BURST[(i // len(roles)) % 2])
    elif what == "quit":
        break
    print("ok", flush=True)
"""


class Lesionlab:
    """One process holding a ViewSettings of ``path``, loaded when it starts."""

    def __init__(self, path: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER, str(path)], cwd=ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.wait()

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait(self) -> None:
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ok"

    def do(self, line: str) -> None:
        self.send(line)
        self.wait()

    def quit(self) -> None:
        self.send("quit")
        assert self.proc.wait(timeout=60) == 0


@pytest.fixture
def view_json(tmp_path: Path) -> Path:
    return tmp_path / "config" / "view.json"


def test_each_process_keeps_the_other_ones_change(view_json: Path) -> None:
    """Both started before either changes a habit: the first's preset survives the second's right-drag change, and
    the second's survives the first's next change (each wrote its whole state over the other's: one was lost)."""
    first, second = Lesionlab(view_json), Lesionlab(view_json)
    first.do("preset ct_portal ct_liver")
    second.do("right_drag zoom")
    first.do("one_click on")
    second.do("preset mr_t2fs mr_contrast")
    first.quit()
    second.quit()
    data = json.loads(view_json.read_text(encoding="utf-8"))
    assert data["presets"] == {"ct_portal": "ct_liver", "mr_t2fs": "mr_contrast"}
    assert data["right_drag"] == "zoom" and data["one_click"] is True
    # the next start reads every one of them
    again = ViewSettings(view_json)
    assert again.presets == {Role.CT_PORTAL: Preset.CT_LIVER, Role.MR_T2FS: Preset.MR_CONTRAST}
    assert again.right_drag == "zoom" and again.one_click


def test_the_last_change_of_a_key_wins(view_json: Path) -> None:
    """One key changed in both: the later change stays, and a later save of another key by the first process does
    not put its older value back; a pick of the preset the first already had wins again (the reader's last pick)."""
    first, second = Lesionlab(view_json), Lesionlab(view_json)
    first.do("preset ct_portal ct_liver")
    second.do("preset ct_portal ct_abdomen")
    first.do("right_drag zoom")
    assert json.loads(view_json.read_text(encoding="utf-8"))["presets"] == {"ct_portal": "ct_abdomen"}
    first.do("preset ct_portal ct_liver")  # the same preset picked again in the first window
    assert json.loads(view_json.read_text(encoding="utf-8"))["presets"] == {"ct_portal": "ct_liver"}
    first.quit()
    second.quit()


def test_changes_at_the_same_time_lose_nothing(view_json: Path) -> None:
    """Two processes writing their own keys at once, 100 changes each, each key's value alternating: every key holds
    its process's last value (one process's read, merge and replace is not interleaved with the other's, which put
    the value before back)."""
    a, b = Lesionlab(view_json), Lesionlab(view_json)
    a.send("burst 100 ct_portal ct_arterial ct_unenhanced")
    b.send("burst 101 mr_t2fs mr_dwi")
    a.wait()
    b.wait()
    a.quit()
    b.quit()

    def last(n: int, roles: list[str]) -> dict[str, str]:  # the worker's burst: change i sets roles[i % len(roles)]
        return {roles[i % len(roles)]: ("ct_abdomen", "ct_liver")[(i // len(roles)) % 2] for i in range(n)}

    expected = {**last(100, ["ct_portal", "ct_arterial", "ct_unenhanced"]), **last(101, ["mr_t2fs", "mr_dwi"])}
    assert json.loads(view_json.read_text(encoding="utf-8"))["presets"] == expected


def test_a_broken_or_foreign_file_is_replaced_by_the_change(view_json: Path) -> None:
    view_json.parent.mkdir(parents=True)
    view_json.write_text("[1, 2", encoding="utf-8")
    s = ViewSettings(view_json)
    s.set_right_drag("zoom")
    assert json.loads(view_json.read_text(encoding="utf-8")) == {"right_drag": "zoom", "schema_version": 1}
    view_json.write_text('["a list"]', encoding="utf-8")
    s.remember_preset(Role.CT_PORTAL, Preset.CT_LIVER)
    assert json.loads(view_json.read_text(encoding="utf-8")) == {"presets": {"ct_portal": "ct_liver"},
                                                                  "schema_version": 1}
    assert not list(view_json.parent.glob("*.tmp"))


def test_a_read_error_keeps_the_other_habits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """review46: a failed read of view.json (EIO, ESTALE on a network folder, EACCES) was taken for a broken file and
    the file rewritten with the one habit changed: the reader's presets and one-click setting were lost. Only a
    missing file is empty and only unreadable text broken; another error leaves the file as it is."""
    import errno

    path = tmp_path / "view.json"
    first = ViewSettings(path)
    first.remember_preset(Role.CT_PORTAL, Preset.CT_LIVER)
    first.set_one_click(True)
    before = path.read_text(encoding="utf-8")
    real = Path.read_text

    def stale(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self == path:
            raise OSError(errno.ESTALE, "Stale file handle", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", stale)
    ViewSettings(path).set_right_drag("zoom")  # kept for its session only
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == before
    assert not list(tmp_path.glob(".view.json.*.tmp"))
    path.write_text("{not json", encoding="utf-8")  # broken: rewritten with the change
    ViewSettings(path).set_right_drag("zoom")
    assert json.loads(path.read_text(encoding="utf-8"))["right_drag"] == "zoom"


def test_a_lock_held_elsewhere_does_not_freeze_the_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """review46: the lock was waited for with no limit on the GUI thread: a lesionlab stopped while holding it (Ctrl+Z
    in its terminal) froze every other window at its next change. The change waits a moment, then is written
    without it, and the next change does not wait again (each change froze the window 1.5 s). (A lock call hung in
    the kernel on a network file system is not helped by this.)"""
    import fcntl
    import os
    import time

    import app.view_settings as vs

    monkeypatch.setattr(vs, "LOCK_WAIT_S", 0.3)
    path = tmp_path / "view.json"
    settings = ViewSettings(path)
    held = os.open(settings.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)  # another open file: as another process's, it holds the lock against ours
        t0 = time.monotonic()
        settings.set_right_drag("zoom")
        waited = time.monotonic() - t0
    finally:
        os.close(held)
    assert 0.25 <= waited < 5.0, waited
    assert json.loads(path.read_text(encoding="utf-8"))["right_drag"] == "zoom"
    held = os.open(settings.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        t0 = time.monotonic()
        settings.set_right_drag("window")  # not waited for again
        again = time.monotonic() - t0
    finally:
        os.close(held)
    assert again < 0.2, again
    assert json.loads(path.read_text(encoding="utf-8"))["right_drag"] == "window"


def test_a_failed_write_leaves_no_temporary_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """review46: a write that failed half-way (a full disk) left ``.view.json.<pid>.tmp`` beside the file for good."""
    import errno
    import os

    path = tmp_path / "view.json"

    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    ViewSettings(path).set_right_drag("zoom")
    monkeypatch.undo()
    assert not path.exists()
    assert not list(tmp_path.glob(".view.json.*.tmp"))
