"""`lesionlab` command line: one subcommand per module, each with add_arguments(p) and run(args).

The subcommand modules are imported lazily so that `lesionlab index` never loads Qt and
`lesionlab view` never pays for pandas before it needs it.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from viewer.errors import LesionlabError
from viewer.interop.model import visible

#: subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "index": ("app.cmd_index", "scan a folder, DICOMDIR or zip and list patients, studies and stacks"),
    "view": ("app.cmd_view", "open the reading workstation (optionally on a folder, DICOMDIR or zip)"),
    "export": ("app.cmd_export", "export a reading store to per-patient xlsx and cohort CSV tables"),
    "analyze": ("app.cmd_analyze", "paired statistics, tables, plots and a report from exported reads"),
    "agreement": ("app.cmd_agreement", "inter-reader agreement (ICC, Bland-Altman, kappa, detection) per series"),
    "response": ("app.cmd_response", "RECIST 1.1 and NEN response per timepoint from a follow-up reading"),
    "import-sr": ("app.cmd_import_sr", "read DICOM SR TID 1500 measurement reports (lesionlab, OHIF, 3D Slicer) "
                                       "into a reading"),
    "pull": ("app.cmd_pull", "retrieve a patient's studies from a PACS (DIMSE C-GET/C-MOVE or DICOMweb WADO-RS)"),
    "push": ("app.cmd_push", "send DICOM files (SRs) to a PACS (DIMSE C-STORE or DICOMweb STOW-RS)"),
    "store": ("app.cmd_store", "create an empty reading store; copy a project between a .lesionlab file and "
                               "PostgreSQL; add reader roles"),
    "study": ("app.cmd_study", "a blinded, randomised reader study: set-up, progress, next case, the adjudicator's "
                               "disagreements and lesion pairs, the reads for the agreement"),
    "suggest": ("app.cmd_suggest", "the suggested longest axial diameter of the lesion at a point (one-click measurement)"),
}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lesionlab", description=(
        "Read liver CT and MRI from DICOM: count and measure metastases, follow them up (RECIST 1.1, NEN), "
        "run reader studies, export spreadsheets and DICOM SR, and analyse them. `lesionlab view` opens the "
        "workstation; the other commands work on stores, exports and PACS (README: Command line)."))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = None
    if argv:
        wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if wanted is None or wanted == name:
            try:
                importlib.import_module(module).add_arguments(p)
            except ModuleNotFoundError as exc:  # a command whose module is not there yet
                if exc.name != module:
                    raise
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.run(args) or 0)
    except LesionlabError as exc:
        # a path or a value quoted from the input may hold ESC, BEL or U+202E: written out, not acted on by the terminal
        said = "\n".join(map(visible, str(exc).split("\n")))
        print(f"lesionlab {args.command}: {said}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
