"""README.md stays true: the two commands, and the shortcut tables generated from app/shortcuts.py."""

from __future__ import annotations

import runpy
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


def test_readme_command_table_names_every_option_help_shows() -> None:
    """Every argument `lesionlab COMMAND --help` shows is named in README's command-line table (tools/readme_cli.py)."""
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "readme_cli.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_readme_check_sees_a_missing_option() -> None:
    """The check is not vacuous: README without `--show-lesion` or `--workers` fails, naming them."""
    problems = runpy.run_path(str(ROOT / "tools" / "readme_cli.py"))["problems"]
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert problems(text) == []
    cut = text.replace("[--show-lesion ID]", "").replace("`--show-lesion` then shows", "then shows")
    cut = cut.replace("[--workers N]", "").replace("`--workers` sets", "it sets")
    assert problems(cut) == ["lesionlab index --workers: not in the command-line table",
                             "lesionlab view --show-lesion: not in the command-line table"]


def test_every_argument_has_a_help_text() -> None:
    """`lesionlab study status --help` listed STORE and --study with nothing beside them: no argument of any
    (sub)command may have an empty help text (tools/readme_cli.py says which)."""
    arguments = runpy.run_path(str(ROOT / "tools" / "readme_cli.py"))["arguments"]
    found = arguments()
    assert len(found) > 80 and any(a.command == ("study", "status") and a.name == "--study" for a in found)
    assert [a.label for a in found if not a.help.strip()] == []
