"""Regenerate the synthetic sample study (sample_dicom/): DICOM series and ground truth.

    python tools/make_sample_dicom.py --out sample_dicom [--seed N]

The same seed gives byte-identical files (UIDs from the seed, fixed dates, no clock).
The generator lives in tools/sample/; sample_dicom/README.md describes the output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample.generate import DEFAULT_SEED, generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("sample_dicom"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--patient", action="append", help="only this PatientID (repeatable)")
    parser.add_argument("--role", action="append",
                        help="only the series of this role, without ground truth (repeatable)")
    args = parser.parse_args(argv)
    generate(args.out, args.seed, args.patient, args.role)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
