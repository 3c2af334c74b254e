"""Decode the stored pixel values of DICOM frames (PS3.5 section 8), Qt-free.

Two paths, chosen per frame from its :class:`~viewer.records.PixelFormat`:

* **native little-endian** with a known ``pixel_data_offset``: the frame's bytes are read with
  ``readinto`` straight into the caller's buffer (a slice of the preallocated volume); no pydicom
  parse at load time. Zip members are read the same way through :mod:`zipfile`.
* **everything else** (JPEG baseline/extended/lossless, JPEG-LS, JPEG 2000, RLE, big endian,
  deflated, unknown offset): pydicom's own decoders (pylibjpeg, pyjpegls, openjpeg) with
  ``raw=True``, i.e. stored values, no colour or rescale processing. The JPEG-LS and JPEG 2000
  decoders hold the GIL (measured: two threads are no faster than one), so
  :func:`decode_frames` spreads frames over *processes*.

Either way, values come back as pydicom gives them: when BitsStored < BitsAllocated the unused
high bits are cleared (unsigned) or the sign bit extended (signed), PS3.5 8.1.1. Rescale and
MONOCHROME1 inversion are not applied here (the loader rescales; display inverts).
"""

from __future__ import annotations

import atexit
import io
import multiprocessing
import zipfile
import zlib
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Generator, Iterable, Sequence

import numpy as np
import pydicom
from pydicom.pixels import pixel_array

from viewer.budget import MemoryBudget, format_bytes
from viewer.dicomio.codestream import J2K_SYNTAXES, check_frames, frames_by_file
from viewer.dicomio.elements import scan_meta
from viewer.dicomio.sizes import DEFLATED_LE, frame_values, pixel_format_problem
from viewer.dicomio.sources import BOMB_RATIO, bomb_limit, inflated_size, open_source, size_of
from viewer.errors import DicomReadError
from viewer.records import FileRef, PixelFormat

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
#: Transfer syntaxes whose frames are plain little-endian bytes at ``pixel_data_offset``.
NATIVE_LE_SYNTAXES = frozenset({EXPLICIT_LE, IMPLICIT_LE})

FrameTask = tuple[FileRef, int, PixelFormat]


def stored_dtype(fmt: PixelFormat) -> np.dtype:
    """Numpy dtype (native byte order) holding one stored sample of ``fmt``."""
    problem = pixel_format_problem(fmt)
    if problem:
        raise DicomReadError(problem)
    if fmt.bits_allocated not in (8, 16, 32):
        raise DicomReadError(f"BitsAllocated {fmt.bits_allocated} is not supported",
                             advice="only 8, 16 and 32-bit grey images can be loaded")
    kind = "i" if fmt.pixel_representation == 1 else "u"
    return np.dtype(f"{kind}{fmt.bits_allocated // 8}")


def stored_range(fmt: PixelFormat) -> tuple[int, int]:
    """Smallest and largest stored value BitsStored and PixelRepresentation allow."""
    bits = fmt.bits_stored
    if fmt.pixel_representation == 1:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def frame_nbytes(fmt: PixelFormat) -> int:
    """Bytes of one native frame."""
    return fmt.rows * fmt.columns * fmt.samples_per_pixel * (fmt.bits_allocated // 8)


def reads_natively(fmt: PixelFormat) -> bool:
    """True when frames of ``fmt`` are read by offset, without pydicom."""
    return fmt.pixel_data_offset is not None and fmt.transfer_syntax_uid in NATIVE_LE_SYNTAXES


def correct_unused_bits(arr: np.ndarray, fmt: PixelFormat) -> None:
    """Clear (unsigned) or sign-extend (signed) bits above BitsStored, in place, as pydicom does."""
    shift = arr.dtype.itemsize * 8 - fmt.bits_stored
    if shift <= 0:
        return
    if arr.dtype.kind == "u":  # one pass instead of pydicom's two shifts, same result
        np.bitwise_and(arr, np.asarray((1 << fmt.bits_stored) - 1, arr.dtype), out=arr)
    else:
        np.left_shift(arr, shift, out=arr)
        np.right_shift(arr, shift, out=arr)


class NativeReader:
    """Reads native frames by offset; keeps the zip archives it opened until :meth:`close`."""

    def __init__(self) -> None:
        self._zips: dict[str, zipfile.ZipFile] = {}

    def _open(self, ref: FileRef) -> io.BufferedIOBase:
        if ref.member is None:
            return open(ref.path, "rb", buffering=0)  # type: ignore[return-value]
        zf = self._zips.get(ref.path)
        if zf is None:
            zf = self._zips[ref.path] = zipfile.ZipFile(ref.path)
        return zf.open(ref.member)  # type: ignore[return-value]

    def read_into(self, ref: FileRef, frame: int, fmt: PixelFormat, out: np.ndarray) -> None:
        """Read frame ``frame`` into ``out`` (C-contiguous, ``stored_dtype(fmt)`` itemsize, one frame)."""
        nbytes = frame_nbytes(fmt)
        view = out.data.cast("B")
        if view.nbytes != nbytes:
            raise ValueError(f"destination holds {view.nbytes} bytes, the frame {nbytes}")
        assert fmt.pixel_data_offset is not None
        try:
            with self._open(ref) as fh:
                fh.seek(fmt.pixel_data_offset + frame * nbytes)
                got = 0
                while got < nbytes:
                    n = fh.readinto(view[got:])
                    if not n:
                        break
                    got += n
        except (OSError, KeyError, zipfile.BadZipFile) as exc:
            raise DicomReadError(f"cannot read pixel data: {exc}", where=str(ref)) from exc
        if got != nbytes:
            raise DicomReadError(f"pixel data truncated: {got} of {nbytes} bytes for frame {frame + 1}",
                                 where=str(ref))
        if out.dtype.byteorder == ">":  # pragma: no cover - big-endian hosts
            out.byteswap(inplace=True)

    def close(self) -> None:
        for zf in self._zips.values():
            zf.close()
        self._zips.clear()

    def __enter__(self) -> "NativeReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def decode_frame(ref: FileRef, frame: int, fmt: PixelFormat) -> np.ndarray:
    """Stored values of one frame decoded by pydicom: (rows, cols), ``stored_dtype(fmt)``."""
    try:
        if ref.member is None:
            src: str | io.BytesIO = ref.path
        else:
            with zipfile.ZipFile(ref.path) as zf:
                src = io.BytesIO(zf.read(ref.member))
        index = frame if fmt.number_of_frames > 1 else None
        if fmt.transfer_syntax_uid == DEFLATED_LE:  # pixel_array(path) cannot inflate the dataset
            arr = pixel_array(pydicom.dcmread(src), index=index, raw=True)
        else:  # reads the file only as far as the frame needs, no full Dataset
            arr = pixel_array(src, index=index, raw=True)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # pydicom and the plugins raise many types; pylibjpeg-rle's Rust
        # decoder panics on some corrupt segments with a pyo3 PanicException, a BaseException
        raise DicomReadError(f"cannot decode pixel data ({fmt.transfer_syntax_uid}): {type(exc).__name__}: {exc}",
                             where=str(ref),
                             advice="install pylibjpeg with its openjpeg, libjpeg and rle plugins,"
                                    " or re-export the series uncompressed") from exc
    arr = np.asarray(arr)
    if arr.ndim == 3 and fmt.samples_per_pixel == 1:
        arr = arr[0]
    want = stored_dtype(fmt)
    if arr.dtype != want:
        arr = arr.astype(want)
    if arr.shape != (fmt.rows, fmt.columns):
        raise DicomReadError(f"decoded frame is {arr.shape}, header says {fmt.rows} x {fmt.columns}",
                             where=str(ref))
    return arr


#: Bytes the JPEG 2000 decoder holds per decoded sample beyond its output (openjpeg works in int32).
J2K_WORK_BYTES_PER_SAMPLE = 4


def decode_nbytes(fmt: PixelFormat) -> int:
    """Memory one frame's decoding may take: the decoder's output and our copy, plus openjpeg's
    int32 work buffers for JPEG 2000."""
    per_sample = 2 * ((fmt.bits_allocated + 7) // 8)
    if fmt.transfer_syntax_uid in J2K_SYNTAXES:
        per_sample += J2K_WORK_BYTES_PER_SAMPLE
    return frame_values(fmt) * per_sample


def check_before_decoding(tasks: Sequence[FrameTask], budget: MemoryBudget) -> None:
    """Refuse, before anything is decoded or allocated, frames whose bytes cannot be what their
    header declares: encapsulated frames by their codestream headers
    (:func:`viewer.dicomio.codestream.check_frames`), deflated datasets by the size they inflate
    to (measured in bounded memory, held against the bomb ratio and ``budget``)."""
    for ref, fmt, frames in frames_by_file(tasks):
        if fmt.transfer_syntax_uid == DEFLATED_LE:
            _check_deflated(ref, budget)
        else:
            check_frames(ref, fmt, frames)


def _check_deflated(ref: FileRef, budget: MemoryBudget) -> None:
    try:
        size = size_of(ref)
        with open_source(ref) as fh:
            head = fh.read(64 * 1024)
            _meta, start, _ts = scan_meta(head)
            limit = min(bomb_limit(size - start), budget.limit_bytes)
            inflated = inflated_size(fh, start, limit)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, zlib.error) as exc:
        raise DicomReadError(f"cannot read the deflated dataset ({type(exc).__name__}: {exc})", where=str(ref)) from exc
    if inflated is None:
        raise budget.refusal(limit + 1, f"inflating a deflated dataset of {format_bytes(size - start)}"
                                        f" (more than {BOMB_RATIO} times its size is refused as a bomb)", str(ref))


def _decode_task(task: FrameTask) -> np.ndarray:
    return decode_frame(*task)


_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0


def _pool(workers: int) -> ProcessPoolExecutor:
    """A process pool kept for the life of the program (spawned once, reused by every load)."""
    global _POOL, _POOL_SIZE
    if _POOL is None or _POOL_SIZE != workers:
        if _POOL is not None:
            _POOL.shutdown(cancel_futures=True)
        # spawn, not fork: the GUI process has threads (Qt, loaders) that fork would copy broken
        _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        _POOL_SIZE = workers
    return _POOL


@atexit.register
def shutdown_pool() -> None:
    """Stop the decoding processes (also called at exit)."""
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(cancel_futures=True)
        _POOL = None


def decode_frames(tasks: Sequence[FrameTask], workers: int = 1,
                  window: int | None = None) -> Generator[tuple[int, np.ndarray], None, None]:
    """Yield ``(i, stored values of tasks[i])`` in roughly the order given.

    ``workers`` > 1 decodes in that many processes (the decoders hold the GIL); at most
    ``window`` frames are in flight, which bounds memory. Closing the generator early cancels
    the frames not started.
    """
    if workers <= 1 or len(tasks) < 2:
        for i, task in enumerate(tasks):
            yield i, _decode_task(task)
        return
    pool = _pool(workers)
    window = window or 4 * workers
    pending: list[tuple[int, Future[np.ndarray]]] = []
    it: Iterable[int] = iter(range(len(tasks)))
    try:
        for i in it:
            pending.append((i, pool.submit(_decode_task, tasks[i])))
            if len(pending) >= window:
                j, fut = pending.pop(0)
                yield j, fut.result()
        while pending:
            j, fut = pending.pop(0)
            yield j, fut.result()
    finally:
        for _, fut in pending:
            fut.cancel()

