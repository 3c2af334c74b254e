"""The reader's viewing habits kept between sessions: right-drag behaviour and a window preset per
series role (``view.json`` in the settings folder; Qt-free).

A preset the reader picks for a series role (CT portal in the liver window, say) is applied to that
role's stacks in every exam pair opened later; the fixed CT windows as soon as a stack shows, the
percentile windows once the stack has loaded (they need its pixels).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

from viewer.display import Preset
from viewer.model.reading import ReadingModel
from viewer.model.settings import config_dir
from viewer.records import Role

NEEDS_PIXELS = frozenset({Preset.AUTO, Preset.MR_CONTRAST})


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

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"schema_version": 1, "right_drag": self.right_drag, "one_click": self.own_one_click,
                                       "presets": {r.value: p.value for r, p in self.presets.items()}},
                                      indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only settings folder keeps the habit for this session only

    def set_one_click(self, on: bool, *, own: bool = True) -> None:
        """One-click on or off; ``own``: the reader's setting, saved, else for the time of a reader study."""
        self.one_click = bool(on)
        if own:
            self.own_one_click = self.one_click
            self._save()

    def set_right_drag(self, how: str) -> None:
        self.right_drag = "zoom" if how == "zoom" else "window"
        self._save()

    def remember_preset(self, role: Role, preset: Preset) -> None:
        if self.presets.get(role) is not preset:
            self.presets[role] = preset
            self._save()

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
