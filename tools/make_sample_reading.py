"""Build the sample reading (sample_dicom/reading.lesionlab) and the sample follow-up read
(sample_dicom/followup.lesionlab) from the sample study's ground truth.

    python tools/make_sample_reading.py [--sample sample_dicom] [--out sample_dicom/reading.lesionlab]

Run it after tools/make_sample_dicom.py. What they contain: annotation/sample_reading.py,
annotation/sample_followup.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from annotation.sample_followup import build_sample_followup  # noqa: E402
from annotation.sample_reading import build_sample_reading  # noqa: E402
from sample.patients import PATIENTS  # noqa: E402


def lesion_lobes() -> dict[str, str]:
    """Every planned liver lesion's lobe by its ground-truth id (L01, ...: plan order), for lesions the
    truth lists only at follow-up (LLSYN001's L05). Ids are per patient; only follow-up patients need them."""
    return {f"L{i + 1:02d}": plan.lobe for spec in PATIENTS if spec.followup for i, plan in enumerate(spec.lesions)}


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
    fu_out = out.with_name("followup.lesionlab")
    n = build_sample_followup(args.sample, fu_out, lesion_lobes())
    print(f"{fu_out}: {n} follow-up lesion records, {fu_out.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
