"""`lesionlab export STORE [--out DIR] [--pseudonymise] [--sr DIR [--dicom PATH]]`: per-patient xlsx and
cohort CSV tables, and/or the readings as DICOM SR TID 1500 Measurement Reports."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", help="the reading store: a .lesionlab file or a postgresql:// URL")
    parser.add_argument("--out", type=Path, default=None, help="folder for measurements.csv, counts.csv, "
                        "patients.csv and patients/<id>.xlsx (created if needed)")
    parser.add_argument("--pseudonymise", action="store_true",
                        help="replace patient and exam ids by codes, drop names and UIDs, dates become days from the "
                             "patient's first exam, comments are left out; the code key is written beside the "
                             "folder (DIR-pseudonymisation-key.csv); no SR is written")
    parser.add_argument("--keep-comments", action="store_true",
                        help="with --pseudonymise: keep the readers' free-text comments (left out by default: "
                             "they may hold names or dates); kept, the patient's name, ids, dates and UIDs in "
                             "them are replaced, other names stay as typed")
    parser.add_argument("--key-file", type=Path, default=None,
                        help="where to write the pseudonymisation key (must be outside --out)")
    parser.add_argument("--sr", type=Path, default=None, metavar="DIR",
                        help="also write DICOM SR (TID 1500) Measurement Reports, one per reader, series and "
                             "timepoint: DIR/<patient>/<pair>/<reader>/<role>.dcm")
    parser.add_argument("--dicom", type=Path, default=None, metavar="PATH",
                        help="the read studies (folder, DICOMDIR or zip): fills the DICOM context a store made "
                             "before lesionlab recorded it (kept in the store when it is writable and does not lie "
                             "with DICOM studies: a study folder's project is only read)")


def run(args: argparse.Namespace) -> int:
    if args.out is None and args.sr is None:
        print("lesionlab export: give --out DIR (tables), --sr DIR (DICOM SR) or both")
        return 2
    from app.cli_lost_marks import tell_lost_marks

    tell_lost_marks(args.store, "export")
    if args.out is not None:
        from analysis.response_store import patient_response_rows  # the RECIST sheet of each workbook
        from annotation.export import export_store

        result = export_store(args.store, args.out, pseudonymise=args.pseudonymise, key_path=args.key_file,
                              keep_comments=args.keep_comments, responses=patient_response_rows)
        print(f"exported {result.n_patients} patient(s): {result.n_measurement_rows} measurement rows, "
              f"{result.n_count_rows} count rows, {len(result.files)} files in {args.out} "
              f"({result.seconds:.2f} s)")
        if result.n_not_kept:  # stored "not kept yet" (a window closed before Enter or Esc): left out, said
            print(f"{result.n_not_kept} one-click suggestion(s) not kept yet left out (the reader keeps one with "
                  "Enter in lesionlab)")
        if result.key_file:
            print(f"pseudonymisation key: {result.key_file} (keep it apart from the export)")
    if args.sr is not None:
        if args.pseudonymise:
            print("no DICOM SR written: an SR carries the patient's identity (name, id, birth date, study UIDs), "
                  "which --pseudonymise removes")
            return 0 if args.out is not None else 1
        from annotation.sr_export import export_sr
        from app.reading_session import in_study_folder

        # a project lying with its studies is not written to (its DICOM context is kept in yours only)
        sr = export_sr(args.store, args.sr, dicom=args.dicom, keep_context=not in_study_folder(args.store))
        print(f"wrote {len(sr.files)} DICOM SR file(s) in {args.sr}: {sr.n_lengths} length(s), "
              f"{sr.n_statuses} not visible / not measurable ({sr.seconds:.2f} s)")
        for line in sr.skipped:
            print(f"not written: {line}")
        if sr.others:
            print(f"not from this export: {sr.others_said(args.sr)}")
        if sr.skipped or sr.others:
            return 1
    return 0
