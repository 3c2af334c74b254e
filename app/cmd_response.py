"""`lesionlab response`: RECIST 1.1 and NEN response per timepoint from a follow-up reading.

    lesionlab response --followup FOLLOWUP.csv [--treatment-lines LINES.csv] [--reader NAME] --out DIR
    lesionlab response STORE --out DIR [--reader NAME]
"""

from __future__ import annotations

import argparse
import time

from viewer.errors import InputFormatError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", nargs="?", metavar="STORE",
                        help="a reading store (.lesionlab file or postgresql:// URL) holding a follow-up")
    parser.add_argument("--followup", metavar="CSV", help="FOLLOWUP.csv: one row per lesion per timepoint")
    parser.add_argument("--treatment-lines", metavar="CSV",
                        help="optional with --followup: patient_id, name, start_date, end_date (swimmer plot)")
    parser.add_argument("--reader", metavar="NAME",
                        help="whose reading, when the STORE (or an exported followup.csv) holds several readers")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder (created; replaced only if it holds a previous response output)")
    parser.add_argument("--confirm", action="store_true",
                        help="best overall response needs CR/PR confirmed by a later assessment")
    parser.add_argument("--confirmation-days", type=int, default=28, metavar="N",
                        help="least interval of a confirmation (default 28 days)")
    parser.add_argument("--sd-min-days", type=int, default=42, metavar="N",
                        help="least time from baseline for SD as best response (default 42 days)")
    parser.add_argument("--slow-window-days", type=int, default=365, metavar="N",
                        help="NEN slow progression window (default 365 days)")
    parser.add_argument("--slow-max-pct", type=float, default=20.0, metavar="PCT",
                        help="NEN slow progression: largest rise of the sum over the window (default 20 %%)")


def run(args: argparse.Namespace) -> int:
    from analysis.response_io import followup_csv_uses_days, read_followup_csv  # noqa: PLC0415 (pandas here)
    from analysis.response_output import analyse_response, write_response_outputs  # noqa: PLC0415
    from analysis.response_records import Settings  # noqa: PLC0415
    from viewer.errors import ValidationError  # noqa: PLC0415

    t0 = time.perf_counter()
    try:
        settings = Settings(args.confirm, args.confirmation_days, args.sd_min_days, args.slow_window_days,
                            args.slow_max_pct)
    except ValidationError as exc:
        raise InputFormatError(exc.message, where=f"command line, {exc.where}",
                               advice="give the option a valid value; nothing was written") from None
    days = False
    if args.store is not None:
        if args.followup or args.treatment_lines:
            raise InputFormatError("give either a STORE or --followup, not both", where="command line",
                                   advice="drop one of them")
        from analysis.response_store import load_store_courses  # noqa: PLC0415

        courses = load_store_courses(args.store, args.reader)
    else:
        if not args.followup:
            raise InputFormatError("--followup is required without a STORE", where="command line",
                                   advice="lesionlab response --followup FOLLOWUP.csv --out DIR")
        courses = read_followup_csv(args.followup, args.treatment_lines, args.reader)
        days = followup_csv_uses_days(args.followup)
    result = analyse_response(courses, settings, day_numbers=days)
    write_response_outputs(result, args.out)
    print(f"{result.summary} Written to {args.out} in {time.perf_counter() - t0:.1f} s "
          f"(open {args.out}/report.html).")
    return 0
