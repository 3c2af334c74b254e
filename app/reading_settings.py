"""Reader settings of the reading workstation: the reader's name and recent reading projects.

Beside the viewer's settings (:mod:`viewer.model.settings`, same folder, same JSON format):
``reader.json`` holds the name the reader gave once (asked at the first edit, shown in the
status bar, changed from File -> Reader name); ``recent_stores.json`` the reading projects
opened lately, the first of which is reopened at start-up when the study folder brings none.
"""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

from viewer.model.settings import RecentStudies, config_dir


class ReaderName:
    """The reader's name; ``asked`` is False until the reader has confirmed one."""

    FILE = "reader.json"

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else config_dir() / self.FILE
        try:
            data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        except (OSError, ValueError):
            data = {}  # a broken file only means the name is asked again
        self.name: str = str(data.get("name") or "").strip()

    @property
    def asked(self) -> bool:
        return bool(self.name)

    @staticmethod
    def guess() -> str:
        """The login name, as a default the reader confirms or corrects."""
        try:
            return getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            return "reader"

    def set(self, name: str) -> None:
        self.name = name.strip()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"schema_version": 1, "name": self.name}) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


def recent_stores(path: Path | str | None = None) -> RecentStudies:
    """Recent reading projects (``.lesionlab`` files), most recent first."""
    return RecentStudies(path if path is not None else config_dir() / "recent_stores.json")
