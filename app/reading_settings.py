"""Reader settings of the reading workstation: the reader's name and recent reading projects.

Beside the viewer's settings (:mod:`viewer.model.settings`, same folder, same JSON format):
``reader.json`` holds the name the reader gave once (asked at the first edit, shown in the
status bar, changed from File -> Reader name); ``recent_stores.json`` the reading projects
opened lately, the first of which is reopened at start-up when the study folder brings none.

A reading project is a ``.lesionlab`` file (kept as its absolute path) or a ``postgresql://``
URL, kept **without its password** (:meth:`StoreLocation.saved`): libpq finds the password in
~/.pgpass or a service file when the project is reopened. A password found in an older file is
dropped when it is read.
"""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

from annotation.store_location import is_url, parse_location
from viewer.errors import OutputWriteError
from viewer.model.settings import RecentStudies, _write, config_dir


def login_name(fallback: str) -> str:
    """The user's login name, else ``fallback`` (some containers have none)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return fallback


def reader_name_problem(name: str) -> str:
    """Why ``name`` cannot be a reader's name, or "": one with fewer than two letters is refused (initials have
    two); every edit is recorded under it, and a single letter is most often a reading key (N) typed into the
    question by accident."""
    name = name.strip()
    if sum(ch.isalpha() for ch in name) >= 2:
        return ""
    shown = f"“{name}”" if name else "an empty name"
    return (f"{shown} is not taken as a reader's name: a name or initials have two letters or more (a key "
            f"meant for the images goes into this question while it is open)")


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
        return login_name("reader")

    def set(self, name: str) -> None:
        self.name = name.strip()
        tmp = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"schema_version": 1, "name": self.name}) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:  # said naming reader.json, not the temporary beside it
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
            raise OutputWriteError.from_os_error(exc, self.path,
                                                 advice="check that the settings folder can be written") from None


def saved_location(location: Path | str) -> str:
    """How a store location is written to settings: an absolute path, or a URL without password."""
    if isinstance(location, str) and is_url(location):
        return parse_location(location).saved()
    return str(Path(location).resolve())


class RecentStores(RecentStudies):
    """Recent reading projects, files or database URLs, most recent first; never a password."""

    def __init__(self, path: Path | str | None = None) -> None:
        super().__init__(path if path is not None else config_dir() / "recent_stores.json")
        clean = [saved_location(p) if is_url(p) else p for p in self._paths]
        if clean != self._paths:  # an older file held a password: rewrite it without
            self._paths = list(dict.fromkeys(clean))
            _write(self.path, {"paths": self._paths})

    def add(self, path: Path | str) -> None:
        p = saved_location(path)
        self._paths = [p] + [q for q in self._paths if q != p]
        del self._paths[self.limit:]
        _write(self.path, {"paths": self._paths})
        self.changed.emit()


def recent_stores(path: Path | str | None = None) -> RecentStores:
    """Recent reading projects (``.lesionlab`` files and ``postgresql://`` URLs), most recent first."""
    return RecentStores(path)
