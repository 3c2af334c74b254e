"""`lesionlab analyze`: paired statistics, tables, plots and a report from exported reads.

    lesionlab analyze --measurements M --counts C [--patients P] --out DIR [--pair A:B ...]
    lesionlab analyze STORE --out DIR [--dicom PATH] [--study ID] [--include-unfinished] [--pair A:B ...]
"""

from __future__ import annotations

import argparse
import time

from viewer.errors import InputFormatError, LesionlabError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", nargs="?", metavar="STORE",
                        help="a reading store (.lesionlab file or postgresql:// URL); needs the annotation package's exporter")
    parser.add_argument("--measurements", metavar="CSV", help="measurements.csv of the export")
    parser.add_argument("--counts", metavar="CSV", help="counts.csv of the export")
    parser.add_argument("--patients", metavar="CSV", help="patients.csv (optional: population table)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder (created; replaced only if it holds a previous analysis)")
    parser.add_argument("--dicom", metavar="PATH",
                        help="with a STORE: the studies' folder, DICOMDIR or zip: of a reader study's store, to pair "
                             "each reader's lesions across sessions (as `study reads --dicom`); with several readers, "
                             "to match lesions across readers in the agreement section (as `agreement --dicom`)")
    parser.add_argument("--study", metavar="ID",
                        help="with a STORE holding several reader studies: which one (of a study's store the study's "
                             "readers are analysed, one read per reader, each reader's sessions joined)")
    parser.add_argument("--include-unfinished", action="store_true",
                        help="with a reader study's STORE: take in the case reads not finished, as `study reads` "
                             "does (an interim look); without it they are left out, as `agreement` leaves them out, "
                             "and study_reads.csv lists every case read and whether it was analysed")
    parser.add_argument("--pair", action="append", default=[], metavar="A:B",
                        help="extra series pair to plot, e.g. mr_dwi:ct_arterial (repeatable)")


def run(args: argparse.Namespace) -> int:
    # pandas, scipy and matplotlib load here, not when the CLI parses its arguments
    from analysis.inputs import load_analysis_store, load_csv_inputs  # noqa: PLC0415
    from analysis.pipeline import parse_pair, run_analysis  # noqa: PLC0415

    t0 = time.perf_counter()
    pairs = [parse_pair(p) for p in args.pair]
    followup = None
    if args.store is not None:
        if args.measurements or args.counts or args.patients:
            raise InputFormatError("give either a STORE or --measurements/--counts, not both",
                                   where="command line", advice="drop one of them")
        from app.cli_lost_marks import tell_lost_marks  # noqa: PLC0415

        tell_lost_marks(args.store, "analyze")
        cohort = load_analysis_store(args.store, dicom=args.dicom, study_id=args.study,
                                     include_unfinished=args.include_unfinished)
        from analysis.response_output import analyse_response  # noqa: PLC0415
        from analysis.response_store import store_followup  # noqa: PLC0415

        try:
            courses, why = store_followup(args.store)
        except LesionlabError as exc:  # the cohort came through; the follow-up section is left out
            courses, why = None, f"follow-up not read ({exc})"
        if "study" in cohort.sources and why != "no follow-up in the store":
            # a reader study's store: its case reads are one exam each, so any follow-up is another read's (the
            # project the study was set up in), which the study's analysis leaves out; the report gave the response
            # of the reader it said it had left out (review39)
            courses, why = None, ("the store's follow-up is no reader study's read: left out of the study's analysis "
                                  "(lesionlab response STORE --reader NAME analyses it)")
        if courses is not None:
            followup = analyse_response(courses)
        elif why != "no follow-up in the store":
            print(f"lesionlab analyze: {why}")
    else:
        if not args.measurements or not args.counts:
            raise InputFormatError("--measurements and --counts are required without a STORE",
                                   where="command line",
                                   advice="lesionlab analyze --measurements M --counts C --out DIR")
        for given, option in ((args.dicom, "--dicom"), (args.study, "--study"),
                              (args.include_unfinished, "--include-unfinished")):
            if given:
                raise InputFormatError(f"{option} goes with a STORE", where="command line", advice=f"drop {option}")
        cohort = load_csv_inputs(args.measurements, args.counts, args.patients)
        for note in cohort.input_notes:  # a spreadsheet's CSV: say how it was read
            print(note)
    if args.store:
        for note in cohort.input_notes:  # what was left out of a store's reads (a node, bone...)
            print(f"lesionlab analyze: {note}")
    result = run_analysis(cohort, args.out, pairs, followup)
    paired = result.tables["paired_tests"]
    print(f"{result.summary} {len(paired)} paired comparisons, {len(result.plots)} plots "
          f"written to {args.out} in {time.perf_counter() - t0:.1f} s "
          f"(open {args.out}/report.html).")
    readers = {str(r) for df in (cohort.measurements, cohort.counts) if "reader" in df.columns for r in df["reader"].unique()}
    sessions = sorted(r for r in readers if "@" in r)
    if sessions:
        # a reader study's export analysed as it is (a study's store is analysed per study reader): each session's
        # series read under its own reader name, so the paired tests of an MRI series against a CT one pair nothing
        # of the study's (an audit: n = 7, all of the sample reader's read)
        print(f"Note: {', '.join(sessions[:4])}{' …' if len(sessions) > 4 else ''} are a reader study's session reads: "
              "a series of one session and a series of another are never read under the same name, so the paired "
              "tests across sessions hold none of them; `lesionlab analyze STORE --dicom PATH` of the study's store "
              "analyses one read per reader (its sessions joined).")
    return 0
