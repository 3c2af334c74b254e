"""Write the shortcut tables of README.md from app/shortcuts.py (the table the app binds from).

    python tools/readme_shortcuts.py          # rewrite the block between the markers
    python tools/readme_shortcuts.py --check  # exit 1 if README.md is out of date

tests/test_readme.py runs the check, so README cannot drift from the keys the app binds.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.shortcuts import MOUSE, SHORTCUTS  # noqa: E402

START, END = "<!-- shortcuts:start -->", "<!-- shortcuts:end -->"


def markdown() -> str:
    lines = ["| group | keys | action |", "| --- | --- | --- |"]
    for sc in SHORTCUTS:
        keys = " / ".join(f"`{k}`" for k in sc.keys)
        lines.append(f"| {sc.group} | {keys} | {sc.label} |")
    lines += ["", "| mouse | action |", "| --- | --- |"]
    lines += [f"| {what} | {action} |" for what, action in MOUSE]
    return "\n".join(lines)


def render(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{markdown()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in argv:
        if new != text:
            print("README.md shortcut tables are out of date: run python tools/readme_shortcuts.py")
            return 1
        return 0
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
