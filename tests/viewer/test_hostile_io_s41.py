"""Session 41's adversarial pass on DICOM input, on the real scanner files of ../shared/realdicom.

A file whose Pixel Data contradicts its transfer syntax (a compressed syntax declared over plain pixel bytes, as a
tool that rewrote the file meta without re-encoding leaves it; or RLE fragments under Explicit VR Little Endian) was
indexed into its stack: the whole stack then failed at load, naming that file ("the loader would fail the stack"), so
one bad file of a series of 35 cost the reader the series. It is skipped at indexing with the reason now, as a
truncated file is, and the rest of its stack loads.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pydicom
import pytest
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import JPEG2000Lossless, ExplicitVRLittleEndian, RLELossless, UID

from viewer.index import index_path
from viewer.loader import LoadStatus, check_load


def _with_transfer_syntax(path: Path, declared: UID, *, rle: bool = False) -> None:
    """Rewrite ``path`` with its body as it is (or RLE-compressed) and ``declared`` in its file meta."""
    ds = pydicom.dcmread(path)
    if rle:
        ds.compress(RLELossless)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    data = out.getvalue()
    group_length = struct.unpack("<I", data[140:144])[0]
    body = data[144 + group_length:]
    ds.file_meta.TransferSyntaxUID = declared
    head = io.BytesIO()
    head.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(head, ds.file_meta, enforce_standard=True)
    path.write_bytes(head.getvalue() + body)


@pytest.mark.parametrize("declared, rle, said", [
    (JPEG2000Lossless, False, "transfer syntax 1.2.840.10008.1.2.4.90 needs encapsulated pixel data, the file holds "
                              "it unencapsulated"),
    (ExplicitVRLittleEndian, True, "pixel data encapsulated (compressed) under the native transfer syntax "
                                   "1.2.840.10008.1.2.1"),
])
def test_a_file_contradicting_its_transfer_syntax_is_skipped_and_the_rest_of_its_stack_loads(
        realdicom: Path, tmp_path: Path, declared: UID, rle: bool, said: str) -> None:
    files = sorted((realdicom / "ge_ct_gantry_tilt").glob("*.dcm"))[:6]
    for f in files:
        (tmp_path / f.name).write_bytes(f.read_bytes())
    bad = tmp_path / files[2].name
    _with_transfer_syntax(bad, declared, rle=rle)
    result = index_path(tmp_path, workers=1)
    assert [(Path(s.path), s.reason) for s in result.skipped] == [(bad, f"{said}: the file contradicts its transfer "
                                                                        "syntax")]
    assert [s.n_slices for s in result.stacks] == [5]
    check = check_load(result.stacks[0], workers=1)
    assert check.status is LoadStatus.OK, check.reason
