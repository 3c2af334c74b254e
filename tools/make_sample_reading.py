"""Build the sample reading (sample_dicom/reading.lesionlab) from the sample study's ground truth.

    python tools/make_sample_reading.py [--sample sample_dicom] [--out sample_dicom/reading.lesionlab]

Run it after tools/make_sample_dicom.py. What it contains: annotation/sample_reading.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotation.sample_reading import build_sample_reading  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=ROOT / "sample_dicom")
    parser.add_argument("--out", type=Path, default=None, help="default: SAMPLE/reading.lesionlab")
    args = parser.parse_args(argv)
    out = args.out or args.sample / "reading.lesionlab"
    t0 = time.perf_counter()
    s = build_sample_reading(args.sample, out)
    print(f"{out}: {s.patients} patients, {s.exam_pairs} exam pairs, {s.lesions_measured} lesions measured "
          f"({s.measurements} measurements), {s.count_marks} count marks, {out.stat().st_size / 1024:.0f} KiB "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
