"""`lesionlab agreement`: inter-reader agreement (ICC, Bland–Altman, kappa, detection) per series.

    lesionlab agreement STORE --out DIR [--dicom PATH] [--study ID]
    lesionlab agreement --measurements M --counts C --out DIR
"""

from __future__ import annotations

import argparse
import time

from viewer.errors import InputFormatError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", nargs="?", metavar="STORE", help="a reading store (.lesionlab) with several readers")
    parser.add_argument("--measurements", metavar="CSV", help="measurements.csv of the export (with its reader column)")
    parser.add_argument("--counts", metavar="CSV", help="counts.csv of the export")
    parser.add_argument("--dicom", metavar="PATH",
                        help="with a STORE: the studies' folder, DICOMDIR or zip, to place lesions in patient mm "
                             "and match them across readers")
    parser.add_argument("--study", metavar="ID",
                        help="with a STORE holding several reader studies: which one (of a study's store only the "
                             "study's readers are compared, each series through their finished read of its session)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder (created; replaced only if it holds a previous agreement output)")


def run(args: argparse.Namespace) -> int:
    from analysis.agreement_data import from_cohort  # noqa: PLC0415 - pandas/scipy load here
    from analysis.agreement_report import (  # noqa: PLC0415
        analyse_agreement,
        is_agreement_output,
        write_agreement_outputs,
    )
    from annotation.files import check_out_folder  # noqa: PLC0415
    from analysis.inputs import load_csv_inputs, load_store  # noqa: PLC0415

    t0 = time.perf_counter()
    check_out_folder(args.out, is_agreement_output)  # before minutes of work, not after
    if args.store is not None:
        if args.measurements or args.counts:
            raise InputFormatError("give either a STORE or --measurements/--counts, not both",
                                   where="command line", advice="drop one of them")
        from analysis.agreement_store import load_store_agreement  # noqa: PLC0415
        from app.cli_lost_marks import tell_lost_marks  # noqa: PLC0415

        tell_lost_marks(args.store, "agreement")

        reads, study = load_store_agreement(args.store, args.dicom, study_id=args.study)
        cohort = load_store(args.store)
        if study is not None:  # a reader study's store: its readers only, named as the study names them (an audit:
            # 9 "readers" in a study of 3, the adjudicator's consensus, a copied project's reads and sessions apart)
            cohort = study.cohort(cohort)
            print(f"lesionlab agreement: {reads.readers_note}")
        for note in cohort.input_notes:  # what was left out of a store's reads (a node, bone...)
            print(f"lesionlab agreement: {note}")
    else:
        if not args.measurements or not args.counts:
            raise InputFormatError("--measurements and --counts are required without a STORE",
                                   where="command line",
                                   advice="lesionlab agreement --measurements M --counts C --out DIR")
        if args.study:
            raise InputFormatError("--study goes with a STORE holding reader studies", where="command line",
                                   advice="drop --study")
        if args.dicom:
            raise InputFormatError("--dicom goes with a STORE (CSV lesions match by lesion_id)",
                                   where="command line", advice="drop --dicom")
        cohort = load_csv_inputs(args.measurements, args.counts)
        for note in cohort.input_notes:  # a spreadsheet's CSV: say how it was read
            print(note)
        reads = from_cohort(cohort)
    result = analyse_agreement(reads, cohort)
    write_agreement_outputs(result, args.out)
    print(f"{result.summary} {len(result.figures)} plots written to {args.out} in "
          f"{time.perf_counter() - t0:.1f} s (open {args.out}/agreement_report.html).")
    sessions = sorted(r for r in reads.readers if "@" in r)
    if sessions:
        # a reader study's store compared as it is: each reader's session reads are readers of their own (a
        # researcher's check: 4 "readers", 204 rows mostly n = 0)
        print(f"Note: {', '.join(sessions[:4])}{' …' if len(sessions) > 4 else ''} are a reader study's session reads, "
              "compared here as readers; `lesionlab study reads STORE NEW.lesionlab --dicom PATH` writes one read per "
              "reader (its sessions joined) for this command.")
    return 0
