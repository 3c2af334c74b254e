"""Reader settings kept between sessions: role corrections and recent studies (JSON files).

Both live in :func:`config_dir`: ``$LESIONLAB_CONFIG_DIR`` when set (tests redirect it there),
else ``$XDG_CONFIG_HOME/lesionlab``, else ``~/.config/lesionlab``. Files carry a schema
version; a missing file is an empty setting, an unreadable one raises :class:`StoreError`
naming the file (the reader can delete it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from viewer.errors import OutputWriteError, StoreError
from viewer.model.events import Signal
from viewer.records import Role, StackInfo

SCHEMA_VERSION = 1
MAX_RECENT = 10


def config_dir() -> Path:
    env = os.environ.get("LESIONLAB_CONFIG_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "lesionlab"


def _read(path: Path, kind: str) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read the {kind} file: {exc}", where=str(path),
                         advice="delete or fix the file; lesionlab recreates it") from exc
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise StoreError(f"the {kind} file has an unknown schema", where=str(path),
                         advice="delete the file; lesionlab recreates it")
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    """A settings file written whole (a temporary beside it, renamed); a failure names ``path``, never the
    temporary (a full disk said "No space left on device: '.../recent_studies.json.tmp'"), and leaves none."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"schema_version": SCHEMA_VERSION, **data}, indent=2, sort_keys=True) + "\n",
                       encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise OutputWriteError.from_os_error(exc, path, advice="check that the settings folder can be written") \
            from None


class RoleOverrides:
    """The reader's role corrections, by stack key, saved at once. ``changed(key, role|None)``."""

    FILE = "role_overrides.json"

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else config_dir() / self.FILE
        raw = _read(self.path, "role corrections").get("roles", {})
        self._roles: dict[str, Role] = {k: Role.parse(v) for k, v in raw.items()}
        self.changed = Signal()

    def role_of(self, stack: StackInfo) -> Role:
        """The role used by the layout: the reader's correction, else the indexer's."""
        return self._roles.get(stack.key, stack.role)

    def get(self, key: str) -> Role | None:
        return self._roles.get(key)

    def set(self, key: str, role: Role | str | None) -> None:
        """Correct a stack's role; ``None`` goes back to the indexer's."""
        if role is None:
            if self._roles.pop(key, None) is None:
                return
        else:
            self._roles[key] = Role.parse(role)
        _write(self.path, {"roles": {k: v.value for k, v in sorted(self._roles.items())}})
        self.changed.emit(key, self._roles.get(key))

    def __len__(self) -> int:
        return len(self._roles)


class RecentStudies:
    """Paths opened lately, most recent first (at most :data:`MAX_RECENT`). ``changed()``."""

    FILE = "recent.json"

    def __init__(self, path: Path | str | None = None, limit: int = MAX_RECENT) -> None:
        self.path = Path(path) if path is not None else config_dir() / self.FILE
        self.limit = limit
        self._paths: list[str] = [str(p) for p in _read(self.path, "recent studies").get("paths", [])]
        self.changed = Signal()

    @property
    def paths(self) -> list[str]:
        return list(self._paths)

    def add(self, path: Path | str) -> None:
        p = str(Path(path).resolve())
        self._paths = [p] + [q for q in self._paths if q != p]
        del self._paths[self.limit:]
        _write(self.path, {"paths": self._paths})
        self.changed.emit()

    def clear(self) -> None:
        self._paths = []
        _write(self.path, {"paths": []})
        self.changed.emit()
