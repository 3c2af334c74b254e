"""JPEG 2000 frames decoded in the calling thread, with the GIL released (imagecodecs' OpenJPEG).

pylibjpeg-openjpeg, pydicom's JPEG 2000 plugin, holds the GIL for the whole decode (measured on
the sample: two threads no faster than one, and the UI thread stalled 16 ms per 512 x 512
frame), which is why :mod:`viewer.dicomio.pixels` decodes in processes. imagecodecs wraps the
same OpenJPEG library and releases the GIL, so frames decode on threads of the viewer's own
process: no worker processes to start (each imports pydicom and numpy: seconds on a loaded
machine), no pickling of decoded frames, and the UI thread keeps running meanwhile.

The values are the codestream's samples, which are the stored values whenever the codestream's
precision and signedness are BitsStored and PixelRepresentation (what every conformant encoder
writes). When they differ pydicom applies corrections of its own, so :func:`decode_j2k_frame`
returns None and the caller takes pydicom's path: the result is then the same either way
(tests/viewer/test_progressive.py compares both on every sample series).
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from viewer.dicomio.codestream import j2k_siz, read_frame
from viewer.errors import DicomReadError
from viewer.records import FileRef, PixelFormat

#: JPEG 2000 Image Compression (Lossless Only) and JPEG 2000 Image Compression (PS3.5 A.4.4).
THREAD_J2K_SYNTAXES = frozenset({"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"})


def _imagecodecs() -> ModuleType | None:
    try:
        import imagecodecs
    except ImportError:  # optional: without it, JPEG 2000 decodes in processes through pydicom
        return None
    return imagecodecs if getattr(imagecodecs, "JPEG2K", None) and imagecodecs.JPEG2K.available else None


_CODECS = _imagecodecs()


def decodes_in_thread(fmt: PixelFormat) -> bool:
    """True when frames of ``fmt`` can be decoded by :func:`decode_j2k_frame` (GIL released)."""
    return _CODECS is not None and fmt.transfer_syntax_uid in THREAD_J2K_SYNTAXES and fmt.samples_per_pixel == 1


def decode_j2k_frame(ref: FileRef, frame: int, fmt: PixelFormat, dtype: np.dtype) -> np.ndarray | None:
    """Stored values of one JPEG 2000 frame as ``dtype`` (rows, columns), or None when the codestream's
    precision or signedness differs from the header's (pydicom's corrections then apply)."""
    if _CODECS is None:
        raise DicomReadError("imagecodecs is not installed", where=str(ref))
    data = read_frame(ref, fmt, frame)
    try:
        siz = j2k_siz(data[:4096])
    except ValueError as exc:
        raise DicomReadError(f"not a JPEG 2000 codestream: {exc}", where=str(ref)) from exc
    if siz.precision_bits != fmt.bits_stored or siz.signed != (fmt.pixel_representation == 1):
        return None
    try:
        arr: np.ndarray = np.asarray(_CODECS.jpeg2k_decode(data, numthreads=1))
    except Exception as exc:  # imagecodecs raises its own Jpeg2kError and ValueError
        raise DicomReadError(f"cannot decode pixel data (JPEG 2000): {type(exc).__name__}: {exc}",
                             where=str(ref)) from exc
    if arr.shape != (fmt.rows, fmt.columns):
        raise DicomReadError(f"decoded frame is {arr.shape}, header says {fmt.rows} x {fmt.columns}", where=str(ref))
    return arr if arr.dtype == dtype else arr.astype(dtype)
