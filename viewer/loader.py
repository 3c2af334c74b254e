"""Load one stack's pixels into a volume sorted along the slice normal, Qt-free.

:class:`VolumeLoader` computes the geometry, the slice order and the output dtype and allocates
the volume at once (no pixel I/O), so a viewer can show the empty frame immediately;
:meth:`VolumeLoader.load` then fills it slice by slice, middle slice first by default, calling
``on_slice(k)`` from the loading thread as each slice lands; :meth:`VolumeLoader.decode_slice`
loads one slice, from any thread (how :mod:`viewer.progressive` fills several volumes at once).

Values are the Modality LUT output (PS3.3 C.11.1: ``stored * RescaleSlope + RescaleIntercept``;
CT in HU) in the most compact dtype that holds every value exactly: the stored dtype when there is
no rescale, the smallest integer type holding the rescaled range of BitsStored when slope and
intercept are integers, float32 otherwise. Never float64. MONOCHROME1 is flagged for display to
invert, not inverted here. Slices are ordered by ImagePositionPatient along the normal
(:mod:`viewer.geometry`), never by InstanceNumber or file name.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Sequence

import numpy as np

from viewer.budget import memory_budget
from viewer.errors import DicomReadError, GeometryError, LesionlabError
from viewer.dicomio.j2k import decode_j2k_frame, decodes_in_thread
from viewer.dicomio.pixels import (
    NativeReader,
    check_before_decoding,
    correct_unused_bits,
    decode_frame,
    decode_in_process,
    decode_nbytes,
    reads_natively,
    stored_dtype,
    stored_range,
)
from viewer.dicomio.sizes import pixel_format_problem
from viewer.geometry import StackGeometry, SpacingSource, same_orientation
from viewer.progressive import outward, shared_scheduler
from viewer.records import ImageHeader, StackInfo

#: Integer dtypes tried, smallest first, for a rescaled volume.
_INT_CANDIDATES = tuple(np.dtype(t) for t in ("u1", "i1", "u2", "i2", "i4"))
SliceCallback = Callable[[int], None]


@dataclass
class Volume:
    """One stack's pixels and geometry; ``array`` fills in as ``loaded`` turns True."""

    stack: StackInfo
    geometry: StackGeometry  # every millimetre comes from here
    array: np.ndarray  # (slices, rows, cols), sorted along the normal, rescaled (CT in HU)
    loaded: np.ndarray  # bool per slice, True once that slice's pixels are in `array`
    units: str  # "HU" for CT, "" otherwise
    monochrome1: bool  # display must invert (PS3.3 C.7.6.3.1.2)
    warnings: tuple[str, ...]
    #: The image of each slice, in volume order (slice k is images[k]): its SOP Instance UID and
    #: InstanceNumber name what the reader saw (overlay, measurement provenance).
    images: tuple[ImageHeader, ...] = ()

    @property
    def complete(self) -> bool:
        return bool(self.loaded.all())


def _is_int(x: float) -> bool:
    return float(x).is_integer()


def output_dtype(images: Sequence[ImageHeader]) -> np.dtype:
    """Most compact dtype holding ``stored * slope + intercept`` exactly for every image."""
    if all(h.rescale_slope == 1 and h.rescale_intercept == 0 for h in images):
        dtypes = {stored_dtype(h.pixel) for h in images}
        if len(dtypes) == 1:
            return dtypes.pop()
    if not all(_is_int(h.rescale_slope) and _is_int(h.rescale_intercept) for h in images):
        return np.dtype(np.float32)
    lo: float = 0
    hi: float = 0
    for h in images:
        s_lo, s_hi = stored_range(h.pixel)
        ends = (s_lo, s_hi, s_lo * h.rescale_slope + h.rescale_intercept, s_hi * h.rescale_slope + h.rescale_intercept)
        lo, hi = min(lo, *ends), max(hi, *ends)
    for dt in _INT_CANDIDATES:
        info = np.iinfo(dt)
        if info.min <= lo and hi <= info.max:
            return dt
    return np.dtype(np.float32)


def _in_place_ok(h: ImageHeader, dst: np.dtype) -> bool:
    """True when stored bytes can land in the volume itself and be rescaled there, exactly."""
    s = stored_dtype(h.pixel)
    if dst.kind not in "iu" or s.itemsize != dst.itemsize:
        return False
    info = np.iinfo(dst)
    s_lo, s_hi = stored_range(h.pixel)
    scaled = (s_lo * h.rescale_slope, s_hi * h.rescale_slope)
    return info.min <= min(s_lo, *scaled) and max(s_hi, *scaled) <= info.max


def rescale_into(stored: np.ndarray, h: ImageHeader, dst: np.ndarray) -> None:
    """``dst[...] = stored * slope + intercept`` (PS3.3 C.11.1), exact for integer outputs."""
    slope, intercept = h.rescale_slope, h.rescale_intercept
    if slope == 1 and intercept == 0:
        dst[...] = stored
    elif dst.dtype.kind == "f":
        dst[...] = stored * float(slope) + float(intercept)
    else:
        tmp = stored.astype(np.int64)
        tmp *= int(slope)
        tmp += int(intercept)
        dst[...] = tmp


def _rescale_in_place(dst: np.ndarray, h: ImageHeader) -> None:
    if h.rescale_slope != 1:
        np.multiply(dst, np.asarray(int(h.rescale_slope), dst.dtype), out=dst)
    if h.rescale_intercept != 0:
        np.add(dst, np.asarray(int(h.rescale_intercept), dst.dtype), out=dst)


def middle_out(n: int) -> list[int]:
    """Slice indices from the middle outward, alternating above and below: 2, 3, 1, 4, 0 for n=5."""
    return outward(n, n // 2)


def _geometry(stack: StackInfo, images: Sequence[ImageHeader]) -> tuple[StackGeometry, np.ndarray, list[str]]:
    """Geometry and sort permutation of ``images``, plus loader-level warnings."""
    first = images[0]
    warnings: list[str] = []
    if first.pixel_spacing_mm is not None:
        spacing, source = first.pixel_spacing_mm, SpacingSource.PIXEL_SPACING
    elif first.imager_pixel_spacing_mm is not None:
        spacing, source = first.imager_pixel_spacing_mm, SpacingSource.IMAGER_PIXEL_SPACING
    else:
        spacing, source = None, SpacingSource.NONE
    if len({h.pixel_spacing_mm for h in images}) > 1:
        warnings.append("pixel spacing differs between slices; using the first slice's")
    positions = [h.position_mm for h in images]
    iop = first.orientation
    if iop is None or any(p is None for p in positions):
        warnings.append("no ImagePositionPatient/ImageOrientationPatient: slices ordered by"
                        " InstanceNumber; positions in mm are unknown")
        order = np.argsort([h.instance_number or 0 for h in images], kind="stable")
        geo, _ = StackGeometry.from_slices(
            first.pixel.rows, first.pixel.columns, (1, 0, 0, 0, 1, 0),
            [(0.0, 0.0, float(k)) for k in range(len(images))], spacing, source,
            missing_geometry="no ImagePositionPatient/ImageOrientationPatient")
        return geo, order, warnings
    if any(h.orientation is None or not same_orientation(h.orientation, iop) for h in images):
        raise GeometryError("slices of one stack have different orientations", where=stack.key,
                            advice="split the series by orientation (the indexer does this)")
    try:
        known = [p for p in positions if p is not None]  # all of them: checked above
        geo, order = StackGeometry.from_slices(
            first.pixel.rows, first.pixel.columns, iop, known, spacing, source,
            slice_thickness_mm=first.slice_thickness_mm, gantry_tilt_deg=first.gantry_tilt_deg)
    except ValueError as exc:
        raise GeometryError(str(exc), where=stack.key) from exc
    return geo, order, warnings


class VolumeLoader:
    """Plans a stack's load (geometry, order, dtype, allocation); :meth:`load` reads the pixels."""

    def __init__(self, stack: StackInfo) -> None:
        if not stack.images:
            raise GeometryError("the stack has no images", where=stack.key)
        images = stack.images
        sizes = {(h.pixel.rows, h.pixel.columns) for h in images}
        if len(sizes) > 1:
            raise GeometryError(f"slices of different sizes in one stack: {sorted(sizes)}", where=stack.key,
                                advice="split the series by image size (the indexer does this)")
        for h in images:
            problem = pixel_format_problem(h.pixel)
            if problem:
                raise DicomReadError(problem, where=str(h.file))
        if any(h.pixel.samples_per_pixel != 1 for h in images):
            raise DicomReadError("colour images cannot be loaded as a grey volume", where=stack.key,
                                 advice="colour series (screen captures) are listed apart, not read")
        geo, order, warnings = _geometry(stack, images)
        self._images: list[ImageHeader] = [images[i] for i in order]
        self._local = threading.local()  # per-thread native readers
        self._processes = os.cpu_count() or 1  # decoder processes for frames only pydicom decodes
        dtype = output_dtype(self._images)
        rows, cols = sizes.pop()
        self._check_memory(stack, rows, cols, dtype)
        array = np.zeros((len(self._images), rows, cols), dtype)
        mono1 = [h.pixel.photometric.strip().upper() == "MONOCHROME1" for h in self._images]
        if any(mono1) and not all(mono1):
            warnings.append("MONOCHROME1 and MONOCHROME2 slices mixed in one stack; shown as MONOCHROME1")
        self.volume = Volume(stack=stack, geometry=geo, array=array,
                             loaded=np.zeros(len(self._images), bool),
                             units="HU" if stack.modality.upper() == "CT" else "",
                             monochrome1=any(mono1), warnings=tuple(list(geo.warnings) + warnings),
                             images=tuple(self._images))

    def _check_memory(self, stack: StackInfo, rows: int, cols: int, dtype: np.dtype) -> None:
        """Hold the volume (and the frames decoded at once) against the memory budget, and check
        every frame to decode against the bytes it holds, before anything is allocated."""
        budget = memory_budget()
        n = len(self._images)
        need = n * rows * cols * dtype.itemsize
        tasks = [(h.file, h.frame, h.pixel) for h in self._images if not reads_natively(h.pixel)]
        if tasks:  # (at most one frame per decoding thread or process is in flight)  # the frames' own bytes first: a corrupt size is said as such, not as a budget
            check_before_decoding(tasks, budget)
            need += min(len(tasks), 2 * (os.cpu_count() or 1)) * decode_nbytes(tasks[0][2])  # in flight
        budget.check(need, f"a volume of {n} slice(s) of {rows} x {cols} ({dtype.name})", where=stack.key)

    @property
    def images(self) -> tuple[ImageHeader, ...]:
        """The images in volume order (sorted along the normal)."""
        return tuple(self._images)

    def load(self, *, order: str = "middle_out", on_slice: SliceCallback | None = None,
             cancel: threading.Event | None = None, workers: int | None = None) -> Volume:
        """Read every slice not loaded yet; return the volume (partial if ``cancel`` was set).

        ``order`` is "middle_out" or "ascending". Native frames are read in this thread, in that
        order. With ``workers`` > 1 (default: the number of cores) compressed frames are then
        decoded in parallel by the program's :class:`~viewer.progressive.DecodeScheduler` (frames
        only pydicom decodes go to that many processes); with 1, one after the other in this thread. ``on_slice(k)`` is called
        as each slice lands, from the thread that loaded it.
        """
        n = len(self._images)
        if order == "middle_out":
            seq = middle_out(n)
        elif order == "ascending":
            seq = list(range(n))
        else:
            raise ValueError(f"order must be 'middle_out' or 'ascending', not {order!r}")
        vol = self.volume
        self._processes = workers or os.cpu_count() or 1
        todo = [k for k in seq if not vol.loaded[k]]
        coded = [k for k in todo if not reads_natively(self._images[k].pixel)]
        # native frames (a readinto each) and a single process: in this thread, in order
        here = [k for k in todo if reads_natively(self._images[k].pixel)] + (coded if self._processes <= 1 else [])
        for k in here:
            if cancel is not None and cancel.is_set():
                return vol
            self.decode_slice(k)
            if on_slice is not None:
                on_slice(k)
        if self._processes <= 1 or not coded or (cancel is not None and cancel.is_set()):
            return vol
        scheduler = shared_scheduler()
        job = scheduler.submit(vol.stack.key, self, order=coded,
                               on_slice=None if on_slice is None else (lambda k, _done: on_slice(k)))
        while not job.wait(0.05):
            if cancel is not None and cancel.is_set():
                scheduler.cancel(job)
        if job.error is not None:
            raise job.error
        return vol

    def decode_slice(self, k: int) -> None:
        """Read or decode slice ``k`` into the volume, then mark it loaded. Safe on any thread, and
        for several slices at once (each writes only its own plane of the volume)."""
        h = self._images[k]
        fmt = h.pixel
        arr = self.volume.array
        if reads_natively(fmt):
            self._read_native(k, self._native_reader())
        else:
            stored = decode_j2k_frame(h.file, h.frame, fmt, stored_dtype(fmt)) if decodes_in_thread(fmt) else None
            if stored is None:
                task = (h.file, h.frame, fmt)
                stored = decode_in_process(task, self._processes) if self._processes > 1 else decode_frame(*task)
            rescale_into(stored, h, arr[k])
        self.volume.loaded[k] = True

    def _native_reader(self) -> NativeReader:
        """This thread's reader (it keeps the zip archives it opened)."""
        reader: NativeReader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = NativeReader()
        return reader

    def _read_native(self, k: int, reader: NativeReader) -> None:
        arr = self.volume.array
        h = self._images[k]
        fmt = h.pixel
        if _in_place_ok(h, arr.dtype):
            raw = arr[k].view(stored_dtype(fmt))
            reader.read_into(h.file, h.frame, fmt, raw)
            if fmt.bits_stored < fmt.bits_allocated:
                correct_unused_bits(raw, fmt)
            _rescale_in_place(arr[k], h)
        else:
            buf = np.empty(arr.shape[1:], stored_dtype(fmt))
            reader.read_into(h.file, h.frame, fmt, buf)
            if fmt.bits_stored < fmt.bits_allocated:
                correct_unused_bits(buf, fmt)
            rescale_into(buf, h, arr[k])


def load_stack(stack: StackInfo, **kw: object) -> Volume:
    """Plan and load a whole stack (keyword arguments go to :meth:`VolumeLoader.load`)."""
    return VolumeLoader(stack).load(**kw)  # type: ignore[arg-type]


class LoadStatus(str, Enum):
    """Whether a stack decodes (``lesionlab index --load``)."""

    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True)
class LoadCheck:
    """The outcome of decoding one stack: ``reason`` says why it failed ("" when it loaded)."""

    status: LoadStatus
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", LoadStatus(self.status))
        if (self.status is LoadStatus.FAILED) != bool(self.reason):
            raise ValueError("a failed load needs a reason, a successful one has none")


def check_load(stack: StackInfo, workers: int | None = None) -> LoadCheck:
    """Decode the whole stack and drop it: what a reader runs on a disc before a session.

    Never raises for bad input: lesionlab's own errors become the reason; anything else (a bug)
    is reported as an internal error so that one stack cannot hide the others.
    """
    try:
        VolumeLoader(stack).load(order="ascending", workers=workers)
    except LesionlabError as exc:
        return LoadCheck(LoadStatus.FAILED, str(exc))
    except MemoryError:
        return LoadCheck(LoadStatus.FAILED, "out of memory while loading (lower the memory budget so that"
                                            " lesionlab refuses such stacks before allocating)")
    except Exception as exc:  # noqa: BLE001 - reported, never swallowed silently
        return LoadCheck(LoadStatus.FAILED, f"internal error ({type(exc).__name__}: {exc}); please report it")
    return LoadCheck(LoadStatus.OK)
