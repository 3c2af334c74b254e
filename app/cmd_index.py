"""`lesionlab index PATH [--load] [--json]`: list patients, studies, series and stacks with their roles.

Qt-free. ``--json`` prints exactly one JSON object ``{"series": [...], "skipped": [...],
"non_images": [...], "warnings": [...]}`` on stdout, strict JSON (an unknown number is
``null``, never ``NaN``); otherwise a table, with a progress bar on stderr while a long scan
runs (when stderr is a terminal, or with ``--progress``). ``--load`` also decodes every stack,
one at a time, and reports per stack ``load`` (``ok``/``failed``) and ``load_reason`` (both
``null`` without ``--load``): what a reader runs on a disc before a session.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import TYPE_CHECKING, Any, Mapping, TextIO

from viewer.index import index_path
from viewer.interop.model import visible
from viewer.records import IndexResult, StackInfo

if TYPE_CHECKING:  # the loader (numpy, the decoders) is imported only when --load asks for it
    from viewer.loader import LoadCheck

#: Scans of fewer files show no progress bar.
PROGRESS_MIN_FILES = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `lesionlab index`."""
    parser.add_argument("path", help="a folder (scanned recursively), a DICOMDIR or a .zip")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--workers", type=int, default=None, metavar="N", help="processes reading headers (default: all cores)")
    parser.add_argument("--progress", action="store_true", help="show the progress bar even when stderr is not a terminal")
    parser.add_argument("--load", action="store_true",
                        help="also decode every stack and report whether it loads, or why not")


class ProgressBar:
    """A one-line text progress bar, redrawn at most every 0.1 s."""

    def __init__(self, stream: TextIO, width: int = 30, min_files: int = PROGRESS_MIN_FILES,
                 label: str = "reading headers") -> None:
        self.stream, self.width, self.min_files, self.label = stream, width, min_files, label
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
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}")
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
    # control characters of a header (ESC sequences, BEL, a right-to-left override) written out, not sent to the
    # terminal: a SeriesDescription "\x1b]0;...\x07" retitled it, one with a newline split the table's row
    series = visible(series)
    return [visible(s.patient_id)[:24], visible(s.study_date) or "-", series[:40], visible(s.split_label) or "-",
            s.role.value,
            f"{s.role_confidence:.2f}", _fmt(s.b_value, 0), str(s.n_slices), f"{s.rows}x{s.columns}",
            f"{spacing} / {_fmt(s.slice_spacing_mm, 3)}", s.orientation, str(len(s.warnings))]


_HEADER = ["patient", "study date", "series", "stack", "role", "conf", "b", "slices", "size",
           "pixel / slice mm", "orientation", "warnings"]


def format_table(result: IndexResult, loads: Mapping[str, LoadCheck] | None = None) -> str:
    """The human-readable listing: one row per stack (with ``load`` when checked), then warnings,
    load failures, non-images and skipped files."""
    header = _HEADER + (["load"] if loads is not None else [])
    rows = [header] + [_row(s) + ([loads[s.key].status.value] if loads is not None else []) for s in result.stacks]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for s in result.stacks:
        failed = loads[s.key].reason if loads is not None else ""
        if s.warnings or failed:
            lines.append(f"! {s.series_number} {s.series_description} {s.split_label}".rstrip() + ":")
            lines.extend(f"    {w}" for w in s.warnings)
            if failed:
                lines.append(f"    load failed: {failed}")
    lines.extend(f"! {w}" for w in result.warnings)
    if result.non_images:
        lines.append(f"listed apart ({len(result.non_images)}):")
        lines.extend(f"  {n.kind.value:<18} {n.path}" for n in result.non_images)
    if result.skipped:
        lines.append(f"skipped ({len(result.skipped)}):")
        lines.extend(f"  {s.path}: {s.reason}" for s in result.skipped)
    summary = f"{len(result.stacks)} stack(s), {len(result.non_images)} listed apart, {len(result.skipped)} skipped"
    if loads is not None:
        n_failed = sum(1 for c in loads.values() if c.reason)
        summary += f"; {len(loads) - n_failed} loaded, {n_failed} failed to load"
    lines.append(summary)
    return "\n".join(map(visible, lines))  # warnings, reasons and paths (a file name may hold ESC or a newline too)


def strict_json(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (JSON has no NaN or Infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def to_json(result: IndexResult, loads: Mapping[str, LoadCheck] | None = None) -> dict[str, Any]:
    """The `--json` object: the index, each series entry with ``load`` and ``load_reason``."""
    out = result.to_json()
    for entry, stack in zip(out["series"], result.stacks):
        check = loads.get(stack.key) if loads is not None else None
        entry["load"] = check.status.value if check is not None else None
        entry["load_reason"] = check.reason if check is not None else None
    return strict_json(out)  # type: ignore[no-any-return]


def check_loads(result: IndexResult, workers: int | None, progress: ProgressBar | None) -> dict[str, LoadCheck]:
    """Decode every stack in turn (one volume in memory at a time)."""
    from viewer.loader import check_load

    loads: dict[str, LoadCheck] = {}
    for i, stack in enumerate(result.stacks):
        if progress:
            progress(i, len(result.stacks))
        loads[stack.key] = check_load(stack, workers=workers)
    if progress:
        progress(len(result.stacks), len(result.stacks))
    return loads


def run(args: argparse.Namespace) -> int:
    """Index ``args.path`` and print the result; 0 on success (even with skipped files)."""
    show = args.progress or (not args.json and sys.stderr.isatty())
    progress = ProgressBar(sys.stderr, min_files=0 if args.progress else PROGRESS_MIN_FILES) if show else None
    result = index_path(args.path, workers=args.workers, progress=progress)
    loads = None
    if args.load:
        bar = ProgressBar(sys.stderr, min_files=0 if args.progress else 2, label="loading stacks") if show else None
        loads = check_loads(result, args.workers, bar)
    if args.json:
        doc = to_json(result, loads)
        text = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False)
        if not _encodes(text, sys.stdout):
            text = json.dumps(doc, indent=1, ensure_ascii=True, allow_nan=False)
        sys.stdout.write(text + "\n")
    else:
        text = format_table(result, loads)
        if not _encodes(text, sys.stdout):
            encoding = sys.stdout.encoding or "utf-8"
            text = text.encode(encoding, "backslashreplace").decode(encoding)
        print(text)
    return 0


def _encodes(text: str, stream: TextIO) -> bool:
    """True when ``text`` is valid in the stream's encoding, strictly. A file name that is not UTF-8 comes from
    the file system as lone surrogates: a UTF-8 stream refuses them (a traceback), a surrogateescape one
    writes the raw bytes (JSON that is not UTF-8). Such text is escaped instead (JSON's \\udcXX, which
    os.fsencode turns back into the name's bytes)."""
    try:
        text.encode(stream.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
