"""`lesionlab import-sr STORE --dicom PATH [--reader NAME] FILES...`: DICOM SR TID 1500 into a reading.

Exit status, for scripts: 0 when every lesion's length and status of the SRs came in (other templates'
groups, an area or a volume, are listed "not understood" and do not count); 1 when a file, a line or a
lesion's group was not imported ("refused:" lines: a group of lesionlab's kind that cannot be placed on
an image, such as a line without the image it was drawn on, is one), the rest imported, or when the
import could not run (the message on stderr, nothing imported); 2 for a command line argparse refuses.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", help="the reading store: a .lesionlab file or a postgresql:// URL")
    parser.add_argument("--dicom", type=Path, required=True, metavar="PATH",
                        help="the read studies (folder, DICOMDIR or zip): where the SR's images are; an exam the store "
                             "lacks is added from them, with its patient")
    parser.add_argument("--reader", default=None, metavar="NAME",
                        help="whose reading the SRs become (default: each SR's observer name)")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="SR files (.dcm)")


def run(args: argparse.Namespace) -> int:
    from annotation.sr_import import import_srs
    from viewer.interop.model import visible

    r = import_srs(args.store, args.dicom, list(args.files), reader=args.reader)
    print(f"imported {r.files} of {len(args.files)} SR file(s): {r.lesions_added} new lesion(s), "
          f"{r.measurements} measurement(s), {r.statuses} not visible / not measurable ({r.seconds:.2f} s)")
    # an SR's patient id, a file's name: what another tool or PACS wrote, written out (ESC, U+202E), not acted on
    for said, lines in (("changed", r.notes), ("refused", r.refused), ("not understood", r.not_understood)):
        for line in lines:
            print(f"{said}: {visible(line)}")
    return 1 if r.refused else 0
