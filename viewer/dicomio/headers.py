"""Read one file's header into :class:`ImageHeader` records, or say why the file is not used.

Only the header is read (never the pixels): the first bytes of the file (more when the header
is longer), walked by :mod:`viewer.dicomio.elements`. pydicom reads what the walk leaves:
enhanced multi-frame functional groups, big-endian and deflated files, files without the
Part 10 preamble. :func:`read_headers` never raises: a bad file becomes a
:class:`SkippedFile` with a readable reason.
"""

from __future__ import annotations

import io
import math
import re
import zlib

from pydicom import dcmread
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from viewer.dicomio.attrs import Attrs, BufferAttrs, ChainAttrs, DatasetAttrs
from viewer.dicomio.bvalues import b_value
from viewer.budget import format_bytes, memory_budget
from viewer.dicomio.elements import (IMPLICIT_VR_LE, EXPLICIT_VR_LE, ScanError, ScannedFile, Truncated, has_preamble, scan,
                                     scan_meta)
from viewer.dicomio.fragments import shortfall_in_file, shortfall_without_preamble
from viewer.dicomio.sizes import (DEFLATED_LE, NATIVE_SYNTAXES, encapsulation_problem, native_nbytes,
                                  pixel_format_problem)
from viewer.dicomio.sopclasses import MEDIA_STORAGE_DIRECTORY, non_image_kind, sop_class_name
from viewer.dicomio.sources import (BOMB_RATIO, GZIP_MAGIC, MAX_HEADER_BYTES, ZIP_MAGIC, bomb_limit, inflated_size,
                                    open_source, read_prefix, size_of)
from viewer.dicomtime import dt_time
from viewer.records import FileRef, ImageHeader, NonImageObject, PixelFormat, SkippedFile

HeaderResult = list[ImageHeader] | SkippedFile | NonImageObject

#: First read; most headers (CT ~2 KiB, Siemens MR with CSA ~20 KiB) fit.
PREFIX_BYTES = 32 * 1024
_NATIVE_LE = (EXPLICIT_VR_LE, IMPLICIT_VR_LE)
_PIXEL_DATA = 0x7FE00010
_PER_FRAME, _SHARED = 0x52009230, 0x52009229
_NUMBER_OF_FRAMES = 0x00280008


def read_headers(ref: FileRef) -> HeaderResult:
    """One ImageHeader per image of the file, or why it is skipped / listed apart. Never raises."""
    try:
        return _read(ref)
    except Exception as exc:  # a bad file must never stop a scan
        return SkippedFile(str(ref), f"unreadable header ({type(exc).__name__}: {exc})")


def _read(ref: FileRef) -> HeaderResult:
    try:
        size = size_of(ref)
        buf = read_prefix(ref, PREFIX_BYTES)
    except (OSError, KeyError) as exc:
        return SkippedFile(str(ref), f"cannot be opened ({exc})")
    if size == 0:
        return SkippedFile(str(ref), "empty file (0 bytes)")
    if buf[:2] == GZIP_MAGIC:
        return SkippedFile(str(ref), "gzip-compressed file: decompress it (gunzip) and scan again")
    if buf[:4] == ZIP_MAGIC:
        return SkippedFile(str(ref), "zip archive inside an archive: extract it and scan again")
    if not has_preamble(buf):
        if _looks_like_raw_dicom(buf):
            return _read_with_pydicom(ref, size, force=True)
        return SkippedFile(str(ref), _not_dicom_reason(buf))
    while True:
        try:
            scanned = scan(buf)
        except Truncated as exc:
            if len(buf) < size:
                if len(buf) >= MAX_HEADER_BYTES:
                    return _header_too_long(ref)
                buf = read_prefix(ref, min(len(buf) * 8, MAX_HEADER_BYTES))
                continue
            return SkippedFile(str(ref), f"truncated file: it ends inside its header ({exc})")
        except ScanError:
            return _read_with_pydicom(ref, size, force=False)
        if scanned.pixel_tag is None and len(buf) < size:
            if len(buf) >= MAX_HEADER_BYTES:
                return _header_too_long(ref)
            buf = read_prefix(ref, min(len(buf) * 8, MAX_HEADER_BYTES))
            continue
        break
    top = BufferAttrs(buf, scanned.elements)
    sop_class = top.text(0x00080016) or BufferAttrs(buf, scanned.meta).text(0x00020002) or ""
    listed = _listed_apart(ref, top, sop_class)
    if listed is not None:
        return listed
    if scanned.pixel_tag is None:
        return SkippedFile(str(ref), f"no pixel data ({sop_class_name(sop_class)}): nothing to display")
    if scanned.pixel_tag == _PIXEL_DATA and scanned.pixel_value_offset is not None:
        contradiction = encapsulation_problem(scanned.transfer_syntax_uid, scanned.pixel_value_length is None)
        if contradiction:
            return SkippedFile(str(ref), contradiction)
    if scanned.pixel_value_length is None and scanned.pixel_value_offset is not None:  # encapsulated
        frames = _int(top.numbers(_NUMBER_OF_FRAMES)) or 1 if _NUMBER_OF_FRAMES in scanned.elements else 1
        cut = shortfall_in_file(ref, buf, scanned.pixel_value_offset, size, frames)
        if cut is not None:  # else its whole stack fails at load
            return SkippedFile(str(ref), cut)
    if _PER_FRAME in scanned.elements or _SHARED in scanned.elements:
        header_bytes = buf[:scanned.pixel_tag_offset]
        try:
            ds = dcmread(io.BytesIO(header_bytes), stop_before_pixels=True)
        except Exception as exc:  # pydicom raises many types on a corrupt functional-groups sequence
            return SkippedFile(str(ref), f"unreadable header (enhanced multi-frame functional groups:"
                                         f" {type(exc).__name__}: {exc})")
        return _headers_from_dataset(ref, ds, scanned.transfer_syntax_uid, _pixel_offset(scanned, size),
                                     scanned.pixel_value_length)
    offset = _pixel_offset(scanned, size)
    if isinstance(offset, SkippedFile):
        return SkippedFile(str(ref), offset.reason)
    return _headers(ref, top, scanned.transfer_syntax_uid, offset, scanned.pixel_value_length, frames=None)


def _pixel_offset(scanned: ScannedFile, size: int) -> int | None | SkippedFile:
    """Absolute offset of the first pixel byte for native little-endian files, else None.

    A SkippedFile (reason only) when the pixel data runs past the end of the file.
    """
    if scanned.pixel_value_length is None or scanned.pixel_value_offset is None:
        return None
    end = scanned.pixel_value_offset + scanned.pixel_value_length
    if end > size:
        return SkippedFile("", f"truncated file: pixel data needs {scanned.pixel_value_length} bytes,"
                               f" the file ends {size - scanned.pixel_value_offset} bytes after its start")
    if scanned.pixel_tag != _PIXEL_DATA or scanned.transfer_syntax_uid not in _NATIVE_LE:
        return None
    return scanned.pixel_value_offset


def _looks_like_raw_dicom(buf: bytes) -> bool:
    """A dataset without the Part 10 preamble starts with a group 0002 or 0008 tag."""
    return len(buf) >= 8 and buf[1] == 0 and buf[0] in (0x02, 0x08) and buf[3] == 0


def _not_dicom_reason(buf: bytes) -> str:
    head = buf[:512]
    try:
        text = head.decode("utf-8")
        if text.isprintable() or all(c.isprintable() or c in "\r\n\t" for c in text):
            return "not DICOM: a text file (no 'DICM' marker at byte 128)"
    except UnicodeDecodeError:
        pass
    return "not DICOM (no 'DICM' marker at byte 128 and no DICOM tags at the start)"


def _listed_apart(ref: FileRef, attrs: Attrs, sop_class: str) -> SkippedFile | NonImageObject | None:
    if sop_class == MEDIA_STORAGE_DIRECTORY:
        return SkippedFile(str(ref), "DICOMDIR (directory of a DICOM file set): its images are read from their own files")
    kind = non_image_kind(sop_class)
    if kind is None:
        return None
    return NonImageObject(
        path=str(ref), kind=kind, patient_id=attrs.text(0x00100020) or "",
        study_instance_uid=attrs.text(0x0020000D) or "", series_instance_uid=attrs.text(0x0020000E) or "",
        series_description=attrs.text(0x0008103E) or "", modality=attrs.text(0x00080060) or "",
        sop_class_uid=sop_class)


def _header_too_long(ref: FileRef) -> SkippedFile:
    return SkippedFile(str(ref), f"header longer than {MAX_HEADER_BYTES >> 20} MiB before any pixel data:"
                                 " not read (a corrupt length or a hostile file)")


#: Values longer than this are left unread by the pydicom fallback (pixel data, big private blobs).
DEFER_BYTES = 16 << 20


def _too_big(ref: FileRef, size: int) -> SkippedFile | None:
    """A refusal when reading the file (or inflating its deflated dataset) would break the budget."""
    budget = memory_budget()
    if size > budget.limit_bytes:
        return SkippedFile(str(ref), str(budget.refusal(size, "reading this file's header whole")))
    head = read_prefix(ref, PREFIX_BYTES)
    try:
        _meta, start, ts = scan_meta(head)
    except ScanError:
        return None
    if ts != DEFLATED_LE:
        return None
    limit = min(bomb_limit(size - start), budget.limit_bytes)
    try:
        with open_source(ref) as fh:
            inflated = inflated_size(fh, start, limit)
    except zlib.error as exc:
        return SkippedFile(str(ref), f"deflated dataset is corrupt ({exc})")
    if inflated is None:
        return SkippedFile(str(ref), f"deflated dataset inflates to more than {format_bytes(limit)} from"
                                     f" {format_bytes(size - start)} (over {BOMB_RATIO} times, or beyond the memory"
                                     f" budget {format_bytes(budget.limit_bytes)}): refused as a decompression bomb")
    return None


def _read_with_pydicom(ref: FileRef, size: int, *, force: bool) -> HeaderResult:
    """Read by pydicom for encodings the walk does not handle (big endian, deflate, no preamble).

    Large values stay on disk (deferred); a deflated dataset is inflated whole by pydicom, so
    its inflated size is measured first, in bounded memory.
    """
    refusal = _too_big(ref, size)
    if refusal is not None:
        return refusal
    try:
        with open_source(ref) as fh:
            ds = dcmread(fh, force=force, defer_size=DEFER_BYTES)
    except Exception as exc:
        return SkippedFile(str(ref), f"unreadable header ({type(exc).__name__}: {exc})")
    attrs = DatasetAttrs(ds)
    if force and not (attrs.text(0x00080016) or attrs.text(0x00080060)):
        cut = shortfall_without_preamble(ref, size, PREFIX_BYTES)
        if cut is not None:
            return SkippedFile(str(ref), cut)
        return SkippedFile(str(ref), "not DICOM (no 'DICM' marker and no SOP class or modality in what could be parsed)")
    ts = str(ds.file_meta.get("TransferSyntaxUID", "")) if hasattr(ds, "file_meta") else ""
    if not ts:
        ts = EXPLICIT_VR_LE if not ds.is_implicit_VR else IMPLICIT_VR_LE
    sop_class = attrs.text(0x00080016) or ""
    listed = _listed_apart(ref, attrs, sop_class)
    if listed is not None:
        return listed
    # get_item's stub says DataElement; an element never accessed is still a RawDataElement,
    # the only kind that knows its length and file offset.
    pixel: DataElement | RawDataElement | None = (ds.get_item(_PIXEL_DATA, keep_deferred=True)
                                                  if _PIXEL_DATA in ds else None)
    if pixel is None and not any(t in ds for t in (0x7FE00008, 0x7FE00009)):
        return SkippedFile(str(ref), f"no pixel data ({sop_class_name(sop_class)}): nothing to display")
    offset = length = None
    if isinstance(pixel, RawDataElement) and ts != DEFLATED_LE:
        contradiction = encapsulation_problem(ts, pixel.length == 0xFFFFFFFF)
        if contradiction:
            return SkippedFile(str(ref), contradiction)
    if isinstance(pixel, RawDataElement) and pixel.length != 0xFFFFFFFF:
        length = int(pixel.length)
        if pixel.value_tell is not None and ts != DEFLATED_LE:  # a deflated file's offsets are in the inflated stream
            start = int(pixel.value_tell)
            if start + length > size:  # deferred: pydicom never read that far, the loader would fail the stack
                return SkippedFile(str(ref), f"truncated file: pixel data needs {length} bytes, the file ends"
                                             f" {size - start} bytes after its start")
            if ts in _NATIVE_LE:
                offset = start
    return _headers_from_dataset(ref, ds, ts, offset, length)


def _headers_from_dataset(ref: FileRef, ds: Dataset, ts: str, offset: int | None | SkippedFile,
                          pixel_length: int | None) -> HeaderResult:
    if isinstance(offset, SkippedFile):
        return SkippedFile(str(ref), offset.reason)
    top = DatasetAttrs(ds)
    per_frame = ds.get(_PER_FRAME)
    shared = ds.get(_SHARED)
    if per_frame is None and shared is None:
        return _headers(ref, top, ts, offset, pixel_length, frames=None)
    for name, el in (("PerFrameFunctionalGroupsSequence", per_frame), ("SharedFunctionalGroupsSequence", shared)):
        if el is not None and not isinstance(el.value, DicomSequence):  # a corrupt VR makes it a value
            return SkippedFile(str(ref), f"{name} is not a sequence (VR {el.VR}): the enhanced multi-frame"
                                         " header is corrupt")
    try:  # pydicom parses the nested sequences now, and raises many types when they are corrupt
        shared_items = _group_items(shared.value[0]) if shared is not None and len(shared.value) else []
        frames = [ChainAttrs([*_group_items(item), *shared_items, top])
                  for item in (per_frame.value if per_frame is not None else [])]
    except Exception as exc:
        return SkippedFile(str(ref), f"unreadable header (enhanced multi-frame functional groups:"
                                     f" {type(exc).__name__}: {exc})")
    return _headers(ref, top, ts, offset, pixel_length, frames=frames)


def _group_items(group: Dataset) -> list[Attrs]:
    """The first item of every functional group macro in one functional groups item."""
    out: list[Attrs] = []
    for el in group:
        if el.VR == "SQ" and len(el.value):
            out.append(DatasetAttrs(el.value[0]))
    return out


def _headers(ref: FileRef, top: Attrs, ts: str, offset: int | None, pixel_length: int | None,
             frames: list[ChainAttrs] | None) -> HeaderResult:
    """Headers of every image of a file, after checking the pixel module and the pixel length."""
    rows, cols = top.uint16(0x00280010), top.uint16(0x00280011)
    if not rows or not cols:
        return SkippedFile(str(ref), "no Rows/Columns: not an image")
    n_frames_num = _int(top.numbers(0x00280008))
    n_frames = 1 if n_frames_num is None else n_frames_num
    if n_frames < 1:
        return SkippedFile(str(ref), f"NumberOfFrames {n_frames}: no image to display")
    if frames is None and n_frames > 1:
        return SkippedFile(str(ref), f"multi-frame image ({n_frames} frames) without per-frame positions"
                                     " (cine or projection): not a cross-sectional stack")
    if frames is not None and len(frames) != n_frames:
        return SkippedFile(str(ref), f"enhanced multi-frame file with {n_frames} frames but"
                                     f" {len(frames)} per-frame functional groups")
    pixel = PixelFormat(
        rows=rows, columns=cols, bits_allocated=top.uint16(0x00280100) or 16,
        bits_stored=top.uint16(0x00280101) or top.uint16(0x00280100) or 16,
        pixel_representation=top.uint16(0x00280103) or 0, samples_per_pixel=top.uint16(0x00280002) or 1,
        photometric=top.text(0x00280004) or "MONOCHROME2", transfer_syntax_uid=ts,
        number_of_frames=n_frames, pixel_data_offset=offset)
    problem = pixel_format_problem(pixel)
    if problem:
        return SkippedFile(str(ref), problem)
    expected = native_nbytes(pixel)
    if ts in NATIVE_SYNTAXES and pixel_length is not None and pixel_length < expected:
        return SkippedFile(str(ref), f"pixel data holds {pixel_length} bytes, {n_frames} image(s) of"
                                     f" {rows}x{cols} need {expected}")
    sources = frames if frames is not None else [top]
    try:
        return [_one_header(ref, i, attrs, pixel, enhanced=frames is not None) for i, attrs in enumerate(sources)]
    except _BadImage as exc:
        return SkippedFile(str(ref), str(exc))


def _tuple(nums: tuple[float, ...] | None, n: int) -> tuple[float, ...] | None:
    """The first ``n`` values as read, non-finite ones included: geometry checks name them."""
    return tuple(nums[:n]) if nums is not None and len(nums) >= n else None


def _finite(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


#: What a name or description shown to the reader never holds once decoded: control characters (C0 and C1: NUL, BEL,
#: ESC, newline...; an ISO 2022 name's escapes are the decoder's, gone by then) and the bidirectional embeddings,
#: overrides and isolates (U+202A-U+202E, U+2066-U+2069). A PatientName "DOE^\u202eNHOJ" was shown in the browser as
#: "DOE NHOJ (ID)" reversed from the override on, the patient id with it; ESC and BEL went into the SR as they were.
#: Arabic and Hebrew text keeps its direction (the characters' own), and ZWJ / ZWNJ and the LRM / RLM marks stay.
_NOT_SHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BLANKS = re.compile("[\t\n\x0b\x0c\r]+")


def _shown(text: str | None) -> str:
    """A name or description as the reader is shown it: tabs and line breaks a space, the rest of :data:`_NOT_SHOWN`
    left out."""
    if not text or not _NOT_SHOWN.search(text):
        return text or ""
    return _NOT_SHOWN.sub("", _BLANKS.sub(" ", text)).strip()


def _first(nums: tuple[float, ...] | None) -> float | None:
    """The first value; None when absent or not a finite number (NaN is unknown, not a value)."""
    return _finite(nums[0]) if nums else None


def _int(nums: tuple[float, ...] | None) -> int | None:
    v = _first(nums)
    return int(v) if v is not None and abs(v) < 2 ** 63 else None


class _BadImage(Exception):
    """A header value that makes the image unusable (the file is skipped with this reason)."""


#: Larger rescale values are corrupt headers, not a Modality LUT (PS3.3 C.11.1).
RESCALE_LIMIT = 1e9


def _rescale(a: Attrs, tag: int, name: str, default: float) -> float:
    nums = a.numbers(tag)
    if not nums:
        return default
    v = nums[0]
    if not math.isfinite(v) or abs(v) > RESCALE_LIMIT:
        raise _BadImage(f"{name} {v:g} is not a usable number: the pixel values cannot be rescaled")
    return v or default


def _one_header(ref: FileRef, frame: int, a: Attrs, pixel: PixelFormat, *, enhanced: bool) -> ImageHeader:
    text = a.text
    modality = (text(0x00080060) or "").upper()
    manufacturer = text(0x00080070) or ""
    image_type = text(0x00089007) if enhanced and a.has(0x00089007) else text(0x00080008)
    acq_time = text(0x00080032) or ""
    temporal = _int(a.numbers(0x00200100))
    echo = _first(a.numbers(0x00180081))
    if enhanced:
        acq_time = dt_time(text(0x00189074)) or acq_time or dt_time(text(0x0008002A))
        if temporal is None:
            temporal = _int(a.numbers(0x00209128))
        echo = echo if echo is not None else _finite(a.float64(0x00189082))
    b, b_source = b_value(a, modality, manufacturer)
    spacing = _tuple(a.numbers(0x00280030), 2)
    imager = _tuple(a.numbers(0x00181164), 2)
    return ImageHeader(
        file=ref, frame=frame,
        sop_instance_uid=text(0x00080018) or "", sop_class_uid=text(0x00080016) or "",
        patient_id=text(0x00100020) or "", patient_name=_shown(text(0x00100010)),
        study_instance_uid=text(0x0020000D) or "", study_date=text(0x00080020) or "",
        study_time=text(0x00080030) or "", study_description=_shown(text(0x00081030)),
        series_instance_uid=text(0x0020000E) or "", series_number=_int(a.numbers(0x00200011)),
        series_description=_shown(text(0x0008103E)), protocol_name=_shown(text(0x00181030)),
        modality=modality, frame_of_reference_uid=text(0x00200052) or "", manufacturer=manufacturer,
        instance_number=_int(a.numbers(0x00200013)),
        image_type=tuple(v.strip().upper() for v in (image_type or "").split("\\") if v.strip()),
        position_mm=_tuple(a.numbers(0x00200032), 3),  # type: ignore[arg-type]
        orientation=_tuple(a.numbers(0x00200037), 6),  # type: ignore[arg-type]
        pixel_spacing_mm=spacing,  # type: ignore[arg-type]
        imager_pixel_spacing_mm=imager,  # type: ignore[arg-type]
        slice_thickness_mm=_first(a.numbers(0x00180050)),
        gantry_tilt_deg=_first(a.numbers(0x00181120)),
        rescale_slope=_rescale(a, 0x00281053, "RescaleSlope", 1.0),
        rescale_slope_zero=(a.numbers(0x00281053) or (None,))[0] == 0.0,
        rescale_intercept=_rescale(a, 0x00281052, "RescaleIntercept", 0.0),
        window_center=_first(a.numbers(0x00281050)), window_width=_first(a.numbers(0x00281051)),
        b_value=b, b_value_source=b_source,
        acquisition_number=_int(a.numbers(0x00200012)), acquisition_time=acq_time,
        acquisition_date=text(0x00080022) or "", series_time=text(0x00080031) or "",
        content_time=text(0x00080033) or "", temporal_position=temporal,
        trigger_time_ms=_first(a.numbers(0x00181060)),
        contrast_agent=text(0x00180010), contrast_start_time=text(0x00181042) or "",
        sequence_name=text(0x00180024) or text(0x00189005) or "",
        scanning_sequence=text(0x00180020) or "", sequence_variant=text(0x00180021) or "",
        scan_options=text(0x00180022) or "", echo_time_ms=echo,
        repetition_time_ms=_first(a.numbers(0x00180080)),
        inversion_time_ms=_first(a.numbers(0x00180082)),
        body_part=text(0x00180015) or "", patient_position=text(0x00185100) or "",
        pixel=pixel, patient_sex=(text(0x00100040) or "").strip().upper(),
        patient_birth_date=(text(0x00100030) or "").strip(), patient_age=(text(0x00101010) or "").strip(),
        accession_number=(text(0x00080050) or "").strip(), referring_physician_name=(text(0x00080090) or "").strip(),
        study_id=(text(0x00200010) or "").strip())
