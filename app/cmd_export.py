"""`lesionlab export STORE --out DIR [--pseudonymise]`: per-patient xlsx and cohort CSV tables."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", help="the reading store: a .lesionlab file or a postgresql:// URL")
    parser.add_argument("--out", type=Path, required=True, help="folder for measurements.csv, counts.csv, "
                        "patients.csv and patients/<id>.xlsx (created if needed)")
    parser.add_argument("--pseudonymise", action="store_true",
                        help="replace patient and exam ids by codes, drop names and UIDs, dates become days from the "
                             "patient's first exam, comments are left out; the code key is written beside the "
                             "folder (DIR-pseudonymisation-key.csv)")
    parser.add_argument("--keep-comments", action="store_true",
                        help="with --pseudonymise: keep the readers' free-text comments (left out by default: "
                             "they may hold names or dates)")
    parser.add_argument("--key-file", type=Path, default=None,
                        help="where to write the pseudonymisation key (must be outside --out)")


def run(args: argparse.Namespace) -> int:
    from analysis.response_store import patient_response_rows  # the RECIST sheet of each workbook
    from annotation.export import export_store

    result = export_store(args.store, args.out, pseudonymise=args.pseudonymise, key_path=args.key_file,
                          keep_comments=args.keep_comments, responses=patient_response_rows)
    print(f"exported {result.n_patients} patient(s): {result.n_measurement_rows} measurement rows, "
          f"{result.n_count_rows} count rows, {len(result.files)} files in {args.out} "
          f"({result.seconds:.2f} s)")
    if result.key_file:
        print(f"pseudonymisation key: {result.key_file} (keep it apart from the export)")
    return 0
