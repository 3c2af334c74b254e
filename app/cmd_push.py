"""`lesionlab push --dicomweb URL | --dimse AET@HOST:PORT [--calling-aet AET] FILES...`: send files (SRs)
to a PACS by STOW-RS or C-STORE."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cmd_pull import add_server_arguments, server_of


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser)
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="DICOM files, e.g. the SRs of export --sr")


def run(args: argparse.Namespace) -> int:
    server = server_of(args)
    failed = server.push(args.files)
    print(f"stored {len(args.files) - len(failed)} of {len(args.files)} file(s) on {server.label}")
    for line in failed:
        print(f"not stored: {line}")
    return 1 if failed else 0
