"""`lesionlab pull --dicomweb URL | --dimse AET@HOST:PORT [--calling-aet AET] [--via get|move] --patient ID --out DIR`:
every study of one patient (an exact id: wildcards are refused) from a PACS into a folder, then indexed
and listed as `lesionlab index` lists it; exit 1 when a sub-operation failed or nothing pulled makes a stack."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from viewer.interop.dimse import DEFAULT_AET
from viewer.interop.pacs import DEFAULT_MOVE_PORT, PacsServer, Protocol, Via


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--dicomweb", metavar="URL", help="the DICOMweb root, e.g. http://host:8042/dicom-web")
    where.add_argument("--dimse", metavar="AET@HOST:PORT", help="a DICOM peer (C-FIND, C-GET/C-MOVE, C-STORE)")
    parser.add_argument("--calling-aet", default=DEFAULT_AET, metavar="AET",
                        help=f"lesionlab's AE title (default {DEFAULT_AET}); the PACS must know it")
    parser.add_argument("--credentials", type=Path, default=None, metavar="FILE",
                        help='DICOMweb: JSON file {"username": ..., "password": ...} or {"token": ...} '
                             "(never on the command line)")


def server_of(args: argparse.Namespace) -> PacsServer:
    if args.credentials is not None:
        from viewer.interop.dicomweb import WebCredentials

        warning = WebCredentials.from_file(args.credentials).warning
        if warning:
            print(f"warning: {warning}")
    protocol = Protocol.DICOMWEB if args.dicomweb else Protocol.DIMSE
    return PacsServer(protocol, args.dicomweb or args.dimse, args.calling_aet,
                      str(args.credentials) if args.credentials else "", Via(getattr(args, "via", "get")),
                      getattr(args, "move_port", DEFAULT_MOVE_PORT))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser)
    parser.add_argument("--via", choices=("get", "move"), default="get",
                        help="DIMSE retrieve: C-GET (default) or C-MOVE to lesionlab's storage SCP")
    parser.add_argument("--move-port", type=int, default=DEFAULT_MOVE_PORT, metavar="PORT",
                        help=f"port of lesionlab's storage SCP for --via move (default {DEFAULT_MOVE_PORT})")
    parser.add_argument("--patient", required=True, metavar="ID",
                        help="the exact Patient ID to pull (wildcards * ? and \\ are refused)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="folder for the instances (<study>/<series>/<sop>.dcm), then indexed")


def run(args: argparse.Namespace) -> int:
    from app.cmd_index import format_table
    from viewer.index import index_path

    server = server_of(args)
    result, n_studies = server.pull_patient(args.patient, args.out)
    rate = len(result.files) / result.seconds if result.seconds > 0 else float("nan")
    print(f"pulled {len(result.files)} instance(s) of {n_studies} stud(y/ies) of patient {args.patient} from "
          f"{server.label} into {args.out} ({result.seconds:.1f} s, {rate:.0f} instances/s)")
    for line in result.notes:
        print(f"note: {line}")
    for line in result.warnings:
        print(f"warning: {line}")
    index = index_path(args.out)
    print(format_table(index))  # what `lesionlab index` shows: stacks, warnings, files set apart and why
    print(f"indexed: {len(index.stacks)} stack(s), {len(index.non_images)} other object(s), "
          f"{len(index.skipped)} file(s) skipped")
    if not index.stacks:
        why = (f"none of the {len(result.files)} instance(s) pulled makes a stack to read"
               f" ({len(index.skipped)} skipped, {len(index.non_images)} listed apart: see above)"
               if result.files else "no instance was pulled")
        print(f"lesionlab pull: {why}", file=sys.stderr)
        return 1
    return 1 if result.failed else 0
