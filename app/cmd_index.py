"""`lesionlab index PATH [--json]`: list patients, studies, series and stacks with their roles.

Qt-free. ``--json`` prints exactly one JSON object ``{"series": [...], "skipped": [...],
"non_images": [...], "warnings": [...]}`` on stdout; otherwise a table, with a progress bar on
stderr while a long scan runs (when stderr is a terminal, or with ``--progress``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

from viewer.index import index_path
from viewer.records import IndexResult, StackInfo

#: Scans of fewer files show no progress bar.
PROGRESS_MIN_FILES = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `lesionlab index`."""
    parser.add_argument("path", help="a folder (scanned recursively), a DICOMDIR or a .zip")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--workers", type=int, default=None, help="processes reading headers (default: all cores)")
    parser.add_argument("--progress", action="store_true", help="show the progress bar even when stderr is not a terminal")


class ProgressBar:
    """A one-line text progress bar, redrawn at most every 0.1 s."""

    def __init__(self, stream: TextIO, width: int = 30, min_files: int = PROGRESS_MIN_FILES) -> None:
        self.stream, self.width, self.min_files = stream, width, min_files
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        """Report ``done`` of ``total`` files read."""
        if total < self.min_files:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        filled = int(self.width * done / total) if total else self.width
        self.stream.write(f"\rreading headers [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}")
        self._shown = True
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _fmt(v: float | None, digits: int = 2) -> str:
    if v is None:
        return "-"
    text = f"{v:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _row(s: StackInfo) -> list[str]:
    spacing = "-" if s.pixel_spacing_mm is None else "x".join(_fmt(v, 3) for v in s.pixel_spacing_mm)
    series = f"{s.series_number if s.series_number is not None else '-'} {s.series_description}".strip()
    return [s.patient_id[:24], s.study_date or "-", series[:40], s.split_label or "-", s.role.value,
            f"{s.role_confidence:.2f}", _fmt(s.b_value, 0), str(s.n_slices), f"{s.rows}x{s.columns}",
            f"{spacing} / {_fmt(s.slice_spacing_mm, 3)}", s.orientation, str(len(s.warnings))]


_HEADER = ["patient", "study date", "series", "stack", "role", "conf", "b", "slices", "size",
           "pixel / slice mm", "orientation", "warnings"]


def format_table(result: IndexResult) -> str:
    """The human-readable listing: one row per stack, then warnings, non-images and skipped files."""
    rows = [_HEADER] + [_row(s) for s in result.stacks]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for s in result.stacks:
        if s.warnings:
            lines.append(f"! {s.series_number} {s.series_description} {s.split_label}".rstrip() + ":")
            lines.extend(f"    {w}" for w in s.warnings)
    lines.extend(f"! {w}" for w in result.warnings)
    if result.non_images:
        lines.append(f"listed apart ({len(result.non_images)}):")
        lines.extend(f"  {n.kind.value:<18} {n.path}" for n in result.non_images)
    if result.skipped:
        lines.append(f"skipped ({len(result.skipped)}):")
        lines.extend(f"  {s.path}: {s.reason}" for s in result.skipped)
    lines.append(f"{len(result.stacks)} stack(s), {len(result.non_images)} listed apart,"
                 f" {len(result.skipped)} skipped")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Index ``args.path`` and print the result; 0 on success (even with skipped files)."""
    show = args.progress or (not args.json and sys.stderr.isatty())
    progress = ProgressBar(sys.stderr, min_files=0 if args.progress else PROGRESS_MIN_FILES) if show else None
    result = index_path(args.path, workers=args.workers, progress=progress)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(format_table(result))
    return 0
