"""The reader's viewing habits kept between sessions: right-drag behaviour and a window preset per
series role (``view.json`` in the settings folder; Qt-free).

A preset the reader picks for a series role (CT portal in the liver window, say) is applied to that
role's stacks in every exam pair opened later; the fixed CT windows as soon as a stack shows, the
percentile windows once the stack has loaded (they need its pixels).

The file is one per settings folder, shared by every lesionlab running on it (two windows of one reader, a second
lesionlab opened read-only on the same project). Each change writes only what it changed, per key (right drag,
one-click, each role's preset), over the file as it is then, under a lock: the last change of a key wins, and a
change of another key made by another lesionlab meanwhile is kept. A window keeps the habits it started with (and
those changed in it) for its own session: another window's change shows at the next start, not under the reader's
hand. Before, each save wrote the whole of the window's state, so a second lesionlab started before the first's
change (a preset picked there) wrote its older state over it at its own next change, unsaid.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any, Iterable

from viewer.display import Preset
from viewer.model.reading import ReadingModel
from viewer.model.settings import config_dir
from viewer.records import Role

NEEDS_PIXELS = frozenset({Preset.AUTO, Preset.MR_CONTRAST})


#: how long a change waits for another lesionlab holding view.json's lock before it is written without it (review46:
#: the lock taken with no limit, on the GUI thread, froze the window while a stopped lesionlab held it)
LOCK_WAIT_S = 1.5


def _lock(fd: int, wait_s: float = LOCK_WAIT_S) -> None:
    """Take ``fd``'s exclusive lock, waiting up to ``wait_s``; OSError when it cannot be had (held that long, or
    locks not supported there)."""
    end = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= end:
                raise
            time.sleep(0.02)


class ViewSettings:
    FILE = "view.json"

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else config_dir() / self.FILE
        try:
            data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        except (OSError, ValueError):
            data = {}  # a broken file only means the defaults
        self.right_drag = data.get("right_drag") if data.get("right_drag") in ("window", "zoom") else "window"
        #: one-click diameters in the window (issue 13): off unless the reader turns them on. ``one_click`` is what is in
        #: force, ``own_one_click`` the reader's own setting, the one saved: a reader study whose definition keeps them
        #: off turns them off for its time only (set_one_click(own=False)); its false was saved as the reader's own
        #: before, and one-click stayed off after the study (session 44's leftovers)
        self.one_click = self.own_one_click = data.get("one_click") is True
        self.presets: dict[Role, Preset] = {}
        for role, preset in (data.get("presets") or {}).items():
            try:
                self.presets[Role(role)] = Preset(preset)
            except ValueError:
                continue
        self._watched: set[int] = set()
        self._lock_timed_out = False

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def _save(self, key: str, value: Any) -> None:
        """Write one habit (``key``: "right_drag", "one_click" or "presets/<role>") over the file as it is now, the
        other keys as the file holds them (another lesionlab's changes kept)."""
        lock = None
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                lock = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
                # read, merge and replace as one step among the lesionlabs; once the lock could not be had in time,
                # not waited for again this session (each change froze the window 1.5 s while a stopped lesionlab
                # held it: review46b)
                _lock(lock, 0.0 if self._lock_timed_out else LOCK_WAIT_S)
            except BlockingIOError:
                self._lock_timed_out = True  # held elsewhere that long: merged without it (a change may be lost)
            except OSError:
                pass  # locks not supported there (some network file systems): merged without, as before the lock
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                data = {}
            except ValueError:
                data = {}  # broken (not JSON, not UTF-8): rewritten with this change
            # any other error reading it (EIO, ESTALE on a network folder, EACCES) falls to the OSError below: the file
            # is not written, so the other habits it holds are not lost (review46: they were, written as {} + this key)
            if not isinstance(data, dict):
                data = {}
            if key.startswith("presets/"):
                presets = data.get("presets")
                data["presets"] = {**(presets if isinstance(presets, dict) else {}), key.split("/", 1)[1]: value}
            else:
                data[key] = value
            data["schema_version"] = 1
            # a name of this process's own: two lesionlabs writing one ".tmp" (no lock) could replace the file with
            # the other's half-written text
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            # a read-only settings folder, a full disk: the habit is kept for this session only
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)  # a half-written copy (disk full) is not left beside the file
        finally:
            if lock is not None:
                os.close(lock)  # releases the lock

    def set_one_click(self, on: bool, *, own: bool = True) -> None:
        """One-click on or off; ``own``: the reader's setting, saved, else for the time of a reader study."""
        self.one_click = bool(on)
        if own:
            self.own_one_click = self.one_click
            self._save("one_click", self.own_one_click)

    def set_right_drag(self, how: str) -> None:
        self.right_drag = "zoom" if how == "zoom" else "window"
        self._save("right_drag", self.right_drag)

    def remember_preset(self, role: Role, preset: Preset) -> None:
        """Keep ``preset`` for ``role``: written even when this window had it already, since another lesionlab may
        have kept another since (the reader's last pick wins)."""
        self.presets[role] = preset
        self._save(f"presets/{role.value}", preset.value)

    def apply_to(self, widgets: Iterable[Any]) -> None:
        for w in widgets:
            w.right_drag = self.right_drag

    def apply_presets_when_loaded(self, reading: ReadingModel) -> None:
        """Give each cell its role's remembered preset when its stack shows (or has loaded)."""
        for vp in reading.viewports:
            if id(vp) in self._watched:
                continue
            self._watched.add(id(vp))

            def shown(vp: Any = vp) -> None:
                preset = self.presets.get(vp.role) if vp.volume is not None else None
                if preset is not None and preset not in NEEDS_PIXELS:
                    vp.apply_preset(preset)

            def loaded(done: int, total: int, vp: Any = vp) -> None:
                preset = self.presets.get(vp.role) if vp.volume is not None else None
                if preset in NEEDS_PIXELS and done == total:
                    vp.apply_preset(preset)

            vp.volume_changed.connect(shown)
            vp.loading_changed.connect(loaded)
