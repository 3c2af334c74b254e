"""A digest of a file's pixel data: tells a true copy of an image from another image given its UID.

Two files with one SOP Instance UID are the same image only when what they show is the same; the
headers say where an image lies and whose it is, this says what it shows. Only the pixel data
element's value is hashed (from its first byte to the end of the value, or of the file for
encapsulated data), so a copy re-written by another tool with another file meta group or added
private tags still matches. Read in 1 MiB blocks: the memory used does not grow with the image.
Asked only for the files whose UID is found twice, so its cost does not burden an index.
Copies in different transfer syntaxes (one compressed by a PACS) are compared by their decoded
frames instead (:func:`decoded_digest`): a lossless re-encoding is still the same image.
"""

from __future__ import annotations

import hashlib
import io

from pydicom import dcmread

from viewer.budget import memory_budget
from viewer.dicomio.elements import ScanError, Truncated, has_preamble, scan
from viewer.dicomio.pixels import decode_frame
from viewer.dicomio.sources import MAX_HEADER_BYTES, open_source, read_prefix, size_of
from viewer.records import FileRef, PixelFormat

_FIRST_READ = 32 * 1024
_BLOCK = 1 << 20
_PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)


def pixel_digest(ref: FileRef) -> str | None:
    """``"<n> bytes <blake2b hex>"`` of the file's pixel data value; None when it cannot be read."""
    try:
        return _digest(ref)
    except Exception:  # an unreadable file is compared by the headers alone
        return None


def _digest(ref: FileRef) -> str | None:
    size = size_of(ref)
    n = _FIRST_READ
    while True:
        buf = read_prefix(ref, n)
        if not has_preamble(buf):
            return _digest_with_pydicom(ref, size)
        try:
            scanned = scan(buf)
        except Truncated:
            scanned = None
        except ScanError:
            return _digest_with_pydicom(ref, size)
        if scanned is not None and scanned.pixel_value_offset is not None:
            break
        if len(buf) >= size or n >= MAX_HEADER_BYTES:
            return None
        n = min(n * 8, MAX_HEADER_BYTES)
    start = scanned.pixel_value_offset
    end = size if scanned.pixel_value_length is None else min(size, start + scanned.pixel_value_length)
    h = hashlib.blake2b(digest_size=16)
    with open_source(ref) as fh:
        fh.seek(start)
        left = end - start
        while left > 0:
            block = fh.read(min(_BLOCK, left))
            if not block:
                break
            h.update(block)
            left -= len(block)
    return f"{end - start} bytes {h.hexdigest()}"


def _digest_with_pydicom(ref: FileRef, size: int) -> str | None:
    """Big-endian, deflated or preamble-less files: pydicom reads the value (within the memory budget)."""
    if size > memory_budget().limit_bytes:
        return None
    with open_source(ref) as fh:
        ds = dcmread(io.BytesIO(fh.read()), force=True)
    for tag in _PIXEL_TAGS:
        if tag in ds:
            value = ds[tag].value
            if isinstance(value, bytes):
                return f"{len(value)} bytes {hashlib.blake2b(value, digest_size=16).hexdigest()}"
    return None


def decoded_digest(ref: FileRef, frame: int, fmt: PixelFormat) -> str | None:
    """``"<rows>x<cols> <dtype> <blake2b hex>"`` of one decoded frame's stored values; None when it
    cannot be decoded."""
    try:
        arr = decode_frame(ref, frame, fmt)
    except Exception:  # an undecodable frame is compared by the headers alone
        return None
    digest = hashlib.blake2b(arr.tobytes(), digest_size=16).hexdigest()
    return f"{arr.shape[0]}x{arr.shape[1]} {arr.dtype} {digest}"
