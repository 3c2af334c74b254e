"""Check README.md's command-line table against the argparse parsers of app/cli.py.

    python tools/readme_cli.py --check  # exit 1, listing what is missing, if README.md is out of date

Every option and positional argument that a subcommand's ``--help`` shows (``-h`` aside) must be
named in a row of the "Command line" table whose command cell starts with that subcommand
(``lesionlab study status``: a row naming ``study`` and ``status``), and every argument must have
a help text. tests/test_readme.py runs the check, so the README and ``--help`` cannot drift apart.
The table is prose written by hand (what each command does), so this only checks, it never writes.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.cli import build_parser  # noqa: E402

SECTION = "## Command line"


@dataclass(frozen=True)
class Argument:
    """One argument of one (sub)command as ``--help`` shows it."""

    command: tuple[str, ...]  # ("study", "status")
    name: str  # "--cases", or the metavar of a positional ("STORE")
    positional: bool
    help: str

    @property
    def label(self) -> str:
        return f"lesionlab {' '.join(self.command)} {self.name}"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # noqa: SLF001 - argparse's own listing of its arguments
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return dict(action.choices)
    return {}


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    subs = _subparsers(parser)
    if not subs:
        return [(path, parser)]
    out = []
    for name, sub in subs.items():
        out += _leaves(sub, (*path, name))
    return out


def arguments() -> list[Argument]:
    """Every argument of every leaf (sub)command, in parser order (``-h`` and the subcommand choice left out)."""
    out: list[Argument] = []
    for path, parser in _leaves(build_parser()):
        for action in parser._actions:  # noqa: SLF001
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):  # noqa: SLF001
                continue
            if action.option_strings:
                name = max(action.option_strings, key=len)
            else:
                meta = action.metavar if isinstance(action.metavar, str) else None
                name = meta or action.dest.upper()
            out.append(Argument(path, name, not action.option_strings, action.help or ""))
    return out


def command_rows(readme: str) -> list[tuple[str, str]]:
    """The (command, what it does) cells of the README's command-line table, backticks kept."""
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `lesionlab "):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        rows.append((cells[0], " | ".join(cells[1:])))
    return rows


def _rows_of(command: tuple[str, ...], rows: list[tuple[str, str]]) -> list[str]:
    """The rows about ``command``: the command cell starts ``lesionlab NAME`` and names the action."""
    head, *rest = command
    found = []
    for cmd, what in rows:
        if not re.match(rf"`lesionlab {re.escape(head)}(?=[\s`])", cmd):
            continue
        if rest and not all(re.search(rf"(?<![\w-]){re.escape(r)}(?![\w-])", cmd) for r in rest):
            continue
        found.append(f"{cmd} {what}")
    return found


def _named(arg: Argument, text: str) -> bool:
    if arg.positional:  # FILE in "FILES…", STORE in "STORE": the metavar as a word's start
        return re.search(rf"(?<![\w-]){re.escape(arg.name)}", text) is not None
    return re.search(rf"(?<![\w-]){re.escape(arg.name)}(?![\w-])", text) is not None


def problems(readme: str) -> list[str]:
    """What README.md's command-line table lacks, and arguments without a help text."""
    rows = command_rows(readme)
    out: list[str] = []
    for arg in arguments():
        found = _rows_of(arg.command, rows)
        if not found:
            out.append(f"no row of the command-line table for lesionlab {' '.join(arg.command)}")
        elif not any(_named(arg, row) for row in found):
            out.append(f"{arg.label}: not in the command-line table")
        if not arg.help.strip():
            out.append(f"{arg.label}: no help text in argparse")
    return list(dict.fromkeys(out))


def main(argv: list[str]) -> int:
    found = problems((ROOT / "README.md").read_text(encoding="utf-8"))
    for line in found:
        print(line)
    if found:
        print("README.md's command-line table or the argparse help is out of date: fix the lines above")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
