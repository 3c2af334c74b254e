"""STYLE.md point 10: mypy passes on every package (the Qt layers app/ and */qt/ included), with the
settings of pyproject.toml [tool.mypy].

The files checked, the strictness and the per-library exceptions all come from pyproject.toml, so
that `mypy` at the command line and this test agree. The cache goes to a temporary folder: the
check starts cold (about 6 s on 2 cores) and never reads a stale cache or writes into the tree.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.typecheck


def _mypy_api() -> ModuleType:
    """mypy is in the `test` extra; in CI its absence is a broken install, not a reason to skip."""
    if os.environ.get("CI"):
        import mypy.api

        return mypy.api
    return pytest.importorskip("mypy.api")


def test_core_passes_mypy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api = _mypy_api()
    monkeypatch.chdir(ROOT)  # [tool.mypy] files are relative to the project root
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                      "--cache-dir", str(tmp_path / "mypy_cache"), "--no-error-summary"])
    assert status == 0, f"mypy found problems:\n{stdout}{stderr}"
    assert not stdout.strip() and not stderr.strip(), stdout + stderr


def test_config_checks_the_whole_core() -> None:
    """Every package is listed, the Qt layers included, and nothing is excluded."""
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert set(cfg["files"]) == {"viewer", "annotation", "analysis", "app"}
    assert "exclude" not in cfg
    for flag in ("disallow_untyped_defs", "warn_unused_ignores", "no_implicit_optional"):
        assert cfg[flag] is True, flag
