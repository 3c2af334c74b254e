"""README.md stays true: the two commands, and the shortcut tables generated from app/shortcuts.py."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_readme_gives_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
    assert (ROOT / "docs" / "screenshot.png").is_file()


def test_readme_shortcuts_match_the_bound_table() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "readme_shortcuts.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
