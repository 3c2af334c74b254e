"""The memory budget: how many bytes reading one study may take for pixels and decoding.

Everything that allocates in proportion to what a file *declares* (a volume, a decoded frame, an
inflated dataset, a whole file read for its header) is held against this budget before the
allocation, so a small hostile file cannot make lesionlab take the machine's memory, and the
refusal names the setting. Default: half of the physical RAM. Settings, first found wins:

* the environment variable ``LESIONLAB_MEMORY_BUDGET_MB`` (MiB);
* ``"memory_budget_mb"`` in ``settings.json`` of the configuration folder
  (:func:`viewer.model.settings.config_dir`: ``$LESIONLAB_CONFIG_DIR``, else
  ``~/.config/lesionlab``), e.g. ``{"schema_version": 1, "memory_budget_mb": 8192}``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from viewer.errors import MemoryBudgetError, StoreError
from viewer.model.settings import config_dir

ENV_VAR = "LESIONLAB_MEMORY_BUDGET_MB"
SETTINGS_FILE = "settings.json"
SETTINGS_KEY = "memory_budget_mb"
#: When the RAM cannot be read (no sysconf), the budget is this (bytes).
FALLBACK_BYTES = 4 << 30
#: A budget below this cannot load even one CT slice comfortably (MiB).
MIN_MB = 16
MIB = 1 << 20


def physical_memory_bytes() -> int | None:
    """The machine's RAM in bytes, None when the system does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(n: float) -> str:
    """1.5 GiB, 800 MiB, 12 KiB, 10 bytes."""
    for unit, size in (("GiB", 1 << 30), ("MiB", MIB), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


@dataclass(frozen=True)
class MemoryBudget:
    """A number of bytes and where it came from (said in every refusal)."""

    limit_bytes: int
    source: str

    def __post_init__(self) -> None:
        if self.limit_bytes <= 0:
            raise ValueError(f"a memory budget must be positive, got {self.limit_bytes}")

    @property
    def how_to_change(self) -> str:
        return (f"set {ENV_VAR} (MiB) or \"{SETTINGS_KEY}\" in {config_dir() / SETTINGS_FILE} to change it;"
                " the default is half of the RAM")

    def refusal(self, need_bytes: int, what: str, where: str | None = None) -> MemoryBudgetError:
        """The error for ``what`` needing ``need_bytes``: names the budget and how to change it."""
        return MemoryBudgetError(
            f"{what} needs {format_bytes(need_bytes)}, more than the memory budget of"
            f" {format_bytes(self.limit_bytes)} ({self.source})", where=where, advice=self.how_to_change)

    def check(self, need_bytes: int, what: str, where: str | None = None) -> None:
        """Raise :class:`MemoryBudgetError` when ``need_bytes`` is over the budget."""
        if need_bytes > self.limit_bytes:
            raise self.refusal(need_bytes, what, where)


def _parse_mb(value: object, where: str) -> int:
    try:
        mb = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        mb = float("nan")
    if not MIN_MB <= mb < float("inf"):
        raise StoreError(f"memory budget {value!r} is not a number of MiB (at least {MIN_MB})", where=where,
                         advice="write a number of MiB, e.g. 8192 for 8 GiB")
    return int(mb * MIB)


def _from_settings(path: Path) -> int | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read the settings file: {exc}", where=str(path),
                         advice="fix or delete the file") from exc
    if not isinstance(data, dict) or SETTINGS_KEY not in data:
        return None
    return _parse_mb(data[SETTINGS_KEY], f"{path}: {SETTINGS_KEY}")


def memory_budget() -> MemoryBudget:
    """The budget in force now (environment first, then the settings file, then half the RAM)."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return MemoryBudget(_parse_mb(env, ENV_VAR), f"{ENV_VAR}={env}")
    path = config_dir() / SETTINGS_FILE
    configured = _from_settings(path)
    if configured is not None:
        return MemoryBudget(configured, f"{SETTINGS_KEY} in {path}")
    ram = physical_memory_bytes()
    if ram is None:
        return MemoryBudget(FALLBACK_BYTES, "default: the RAM size is unknown")
    return MemoryBudget(ram // 2, f"default: half of this machine's {format_bytes(ram)} of RAM")
