"""Synthetic DICOM writers for tests: classic single-frame series and enhanced multi-frame MR.

Generic on purpose (the loader, indexer and role tests all use it). Everything a test may want to
get wrong on purpose is a parameter: slice positions in any order (shuffle, reverse, gaps, shear
for gantry tilt, duplicates), InstanceNumber independent of position, non-square PixelSpacing,
ImagerPixelSpacing instead of PixelSpacing or no spacing at all, rescale, BitsStored, MONOCHROME1,
transfer syntax, extra or private tags, per-slice tags.

Transfer syntaxes written (see :data:`WRITABLE_SYNTAXES`): native Explicit/Implicit VR Little
Endian, Explicit VR Big Endian, Deflated, RLE Lossless (pydicom's own encoder), JPEG-LS Lossless
(pyjpegls), JPEG 2000 Lossless (pylibjpeg-openjpeg), JPEG Baseline 8-bit (Pillow; lossy, 8-bit
only). JPEG 2000 needs rows and columns >= 32. JPEG Lossless (process 14) has no encoder available here.

Example::

    paths = write_series(tmp_path, np.zeros((5, 64, 48), np.int16),
                         positions=axial_positions(5, spacing_mm=2.5)[::-1],
                         pixel_spacing=(0.7, 0.9), intercept=-1024)
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag
from pydicom.uid import (
    UID,
    CTImageStorage,
    DeflatedExplicitVRLittleEndian,
    EnhancedMRImageStorage,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    MRImageStorage,
    RLELossless,
    generate_uid,
)

AXIAL_IOP = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
CORONAL_IOP = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)
SAGITTAL_IOP = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)

NATIVE_SYNTAXES = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)
#: Every transfer syntax :func:`write_series` can write.
WRITABLE_SYNTAXES = (
    ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian,
    RLELossless, JPEGLSLossless, JPEG2000Lossless, JPEGBaseline8Bit,
)
LOSSLESS_COMPRESSED = (RLELossless, JPEGLSLossless, JPEG2000Lossless)

#: A tag value: a keyword ("SliceLocation") or a tag number (0x00191000C / (0x0019, 0x100C)).
TagKey = str | int | tuple[int, int]


def uid(seed: str) -> UID:
    """A deterministic UID derived from ``seed`` (same seed, same UID)."""
    return generate_uid(entropy_srcs=[seed])


def axial_positions(n: int, spacing_mm: float = 1.0, origin: Sequence[float] = (0.0, 0.0, 0.0),
                    normal: Sequence[float] = (0.0, 0.0, 1.0),
                    shear: Sequence[float] = (0.0, 0.0, 0.0)) -> list[tuple[float, float, float]]:
    """``n`` IPPs ``origin + k*spacing*normal + k*shear``: ``shear`` (mm per slice) makes a tilted stack.

    For a GE gantry tilt t with IOP (1,0,0, 0,cos t,-sin t) the table moves along z only: use
    ``normal=(0, 0, 1)`` with ``spacing_mm`` = table step (see :func:`tilted_stack`).
    """
    o, nv, sh = (np.asarray(v, float) for v in (origin, normal, shear))
    return [tuple(float(x) for x in o + k * spacing_mm * nv + k * sh) for k in range(n)]  # type: ignore[misc]


def tilted_stack(n: int, tilt_deg: float, slice_spacing_mm: float,
                 origin: Sequence[float] = (0.0, 0.0, 0.0)) -> tuple[tuple[float, ...], list[tuple[float, float, float]]]:
    """IOP and IPPs of a GE-style gantry-tilted axial stack (MANIFEST ge_ct_gantry_tilt).

    The slices are tilted by ``tilt_deg`` about x: IOP = (1,0,0, 0,cos t,-sin t); the table moves
    along z only, by ``slice_spacing_mm / cos t`` per slice, so the spacing along the normal is
    ``slice_spacing_mm`` and the stack is sheared by ``tilt_deg``.
    """
    t = np.radians(tilt_deg)
    iop = (1.0, 0.0, 0.0, 0.0, float(np.cos(t)), float(-np.sin(t)))
    return iop, axial_positions(n, slice_spacing_mm / float(np.cos(t)), origin)


def _set(ds: Dataset, key: TagKey, value: Any) -> None:
    """Set a keyword, or a tag number with ``value = (VR, value)``."""
    if isinstance(key, str):
        setattr(ds, key, value)
    else:
        vr, val = value
        ds.add_new(Tag(key), vr, val)


def _pixel_module(ds: Dataset, arr: np.ndarray, bits_stored: int | None, photometric: str) -> None:
    """Image pixel module attributes for stored values ``arr`` (frames, rows, cols[, 3])."""
    if arr.dtype.kind not in "ui" or arr.dtype.itemsize not in (1, 2, 4):
        raise ValueError(f"stored pixels must be 8/16/32-bit integers, got {arr.dtype}")
    rgb = arr.ndim == 4
    ds.SamplesPerPixel = 3 if rgb else 1
    if rgb:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = "RGB" if rgb else photometric
    ds.Rows, ds.Columns = int(arr.shape[1]), int(arr.shape[2])
    ds.BitsAllocated = arr.dtype.itemsize * 8
    ds.BitsStored = bits_stored or ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if arr.dtype.kind == "i" else 0


def _set_pixels(ds: Dataset, frames: np.ndarray, syntax: UID) -> None:
    """Store ``frames`` (frames, rows, cols[, 3]) as PixelData in ``syntax``."""
    ds.file_meta.TransferSyntaxUID = syntax
    single = frames[0] if frames.shape[0] == 1 else frames
    if syntax in (ExplicitVRLittleEndian, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian):
        ds.PixelData = np.ascontiguousarray(frames.astype(frames.dtype.newbyteorder("<"))).tobytes()
    elif syntax == ExplicitVRBigEndian:
        ds.PixelData = np.ascontiguousarray(frames.astype(frames.dtype.newbyteorder(">"))).tobytes()
    elif syntax == JPEGBaseline8Bit:
        from PIL import Image
        if frames.dtype != np.uint8:
            raise ValueError("JPEG Baseline needs uint8 stored values")
        out = []
        for f in frames:
            buf = io.BytesIO()
            Image.fromarray(f).save(buf, format="JPEG", quality=95)
            out.append(buf.getvalue())
        ds.PixelData = encapsulate(out)
        ds["PixelData"].VR = "OB"
        ds.LossyImageCompression = "01"
        if ds.SamplesPerPixel == 3:
            ds.PhotometricInterpretation = "YBR_FULL_422"
    elif syntax in LOSSLESS_COMPRESSED:
        if syntax == JPEG2000Lossless and min(frames.shape[1:3]) < 32:
            raise ValueError("the JPEG 2000 encoder (6 wavelet levels) needs rows and columns >= 32")
        ds.compress(syntax, single, generate_instance_uid=False)
        return
    else:
        raise ValueError(f"cannot write transfer syntax {syntax}")
    if syntax in NATIVE_SYNTAXES or syntax in (DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian):
        ds["PixelData"].VR = "OB" if frames.dtype.itemsize == 1 else "OW"


def _base(modality: str, sop_class: UID, sop_uid: UID, patient_id: str, patient_name: str,
          study_uid: UID, series_uid: UID, study_description: str, series_description: str,
          series_number: int, frame_of_reference_uid: UID) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop_uid
    ds.Modality = modality
    ds.PatientID, ds.PatientName = patient_id, patient_name
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.StudyDate, ds.StudyTime = "20240101", "120000"
    ds.StudyDescription, ds.SeriesDescription = study_description, series_description
    ds.SeriesNumber = series_number
    ds.FrameOfReferenceUID = frame_of_reference_uid
    ds.Manufacturer = "lesionlab-test"
    return ds


def write_series(
    out_dir: str | Path,
    pixels: np.ndarray,
    *,
    modality: str = "CT",
    iop: Sequence[float] | None = AXIAL_IOP,
    positions: Sequence[Sequence[float]] | None = None,
    pixel_spacing: Sequence[float] | None = (1.0, 1.0),
    imager_pixel_spacing: Sequence[float] | None = None,
    slope: float | None = None,
    intercept: float | None = None,
    instance_numbers: Sequence[int] | None = None,
    file_names: Sequence[str] | None = None,
    patient_id: str = "PAT1",
    patient_name: str = "TEST^PATIENT",
    study_uid: str | None = None,
    series_uid: str | None = None,
    study_description: str = "TEST STUDY",
    series_description: str = "test series",
    series_number: int = 1,
    frame_of_reference_uid: str | None = None,
    slice_thickness_mm: float | None = None,
    bits_stored: int | None = None,
    photometric: str = "MONOCHROME2",
    transfer_syntax: str = ExplicitVRLittleEndian,
    sop_class_uid: str | None = None,
    extra: Mapping[TagKey, Any] | None = None,
    per_slice: Sequence[Mapping[TagKey, Any]] | None = None,
    seed: str = "dicomgen",
) -> list[Path]:
    """Write one single-frame file per slice of ``pixels`` (slices, rows, cols[, 3]) into ``out_dir``.

    ``pixels`` are *stored* values (before rescale), dtype uint8/uint16/int16/..., slice i written
    with ``positions[i]`` (default: axial, 1 mm apart), ``instance_numbers[i]`` (default i+1) and
    ``file_names[i]`` (default ``IM{i:04d}.dcm``). ``pixel_spacing`` is (row, column); None omits
    it. ``slope``/``intercept`` None omit the rescale attributes. ``extra`` applies to every file,
    ``per_slice[i]`` to file i only (keywords, or tag numbers with ``(VR, value)``). UIDs are
    deterministic from ``seed``. Returns the paths in slice order.
    """
    arr = np.asarray(pixels)
    if arr.ndim not in (3, 4):
        raise ValueError(f"pixels must be (slices, rows, cols[, 3]), got shape {arr.shape}")
    n = arr.shape[0]
    positions = list(positions) if positions is not None else axial_positions(n)
    if len(positions) != n:
        raise ValueError(f"{len(positions)} positions for {n} slices")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    study_uid = study_uid or uid(f"{seed}/{patient_id}/study")
    series_uid = series_uid or uid(f"{seed}/{study_uid}/{series_description}/{series_number}")
    for_uid = frame_of_reference_uid or uid(f"{seed}/{study_uid}/for")
    sop_class = UID(sop_class_uid or (MRImageStorage if modality == "MR" else CTImageStorage))
    paths = []
    for i in range(n):
        ds = _base(modality, sop_class, uid(f"{series_uid}/{i}"), patient_id, patient_name, UID(study_uid),
                   UID(series_uid), study_description, series_description, series_number, UID(for_uid))
        ds.InstanceNumber = int(instance_numbers[i]) if instance_numbers is not None else i + 1
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        if iop is not None:
            ds.ImageOrientationPatient = [float(v) for v in iop]
        if positions[i] is not None:
            ds.ImagePositionPatient = [float(v) for v in positions[i]]
        if pixel_spacing is not None:
            ds.PixelSpacing = [float(v) for v in pixel_spacing]
        if imager_pixel_spacing is not None:
            ds.ImagerPixelSpacing = [float(v) for v in imager_pixel_spacing]
        if slice_thickness_mm is not None:
            ds.SliceThickness = slice_thickness_mm
        if slope is not None or intercept is not None:
            ds.RescaleSlope = slope if slope is not None else 1
            ds.RescaleIntercept = intercept if intercept is not None else 0
            if modality == "CT":
                ds.RescaleType = "HU"
        _pixel_module(ds, arr[i:i + 1], bits_stored, photometric)
        for key, value in {**(extra or {}), **(per_slice[i] if per_slice else {})}.items():
            _set(ds, key, value)
        _set_pixels(ds, arr[i:i + 1], UID(transfer_syntax))
        path = out / (file_names[i] if file_names else f"IM{i:04d}.dcm")
        path.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def write_enhanced_mr(
    path: str | Path,
    pixels: np.ndarray,
    *,
    iop: Sequence[float] = AXIAL_IOP,
    positions: Sequence[Sequence[float]] | None = None,
    pixel_spacing: Sequence[float] = (1.0, 1.0),
    slice_thickness_mm: float = 1.0,
    b_values: Sequence[float] | None = None,
    slope: float | None = None,
    intercept: float | None = None,
    patient_id: str = "PAT1",
    patient_name: str = "TEST^PATIENT",
    study_uid: str | None = None,
    series_uid: str | None = None,
    study_description: str = "TEST STUDY",
    series_description: str = "enhanced mr",
    series_number: int = 1,
    bits_stored: int | None = None,
    transfer_syntax: str = ExplicitVRLittleEndian,
    extra: Mapping[TagKey, Any] | None = None,
    seed: str = "dicomgen",
) -> Path:
    """Write an Enhanced MR Image (multi-frame) file: one frame per slice of ``pixels``.

    Shared functional groups carry PixelMeasures (spacing (row, col), thickness) and
    PlaneOrientation; per-frame groups carry PlanePosition (``positions[i]``), FrameContent and,
    when ``b_values`` is given, MRDiffusion (DiffusionBValue); ``slope``/``intercept`` go in a
    shared PixelValueTransformation.
    """
    arr = np.asarray(pixels)
    n = arr.shape[0]
    positions = list(positions) if positions is not None else axial_positions(n)
    study_uid = study_uid or uid(f"{seed}/{patient_id}/study")
    series_uid = series_uid or uid(f"{seed}/{study_uid}/{series_description}/{series_number}")
    ds = _base("MR", EnhancedMRImageStorage, uid(f"{series_uid}/mf"), patient_id, patient_name, UID(study_uid),
               UID(series_uid), study_description, series_description, series_number,
               uid(f"{seed}/{study_uid}/for"))
    ds.InstanceNumber = 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NONE"]
    ds.NumberOfFrames = n
    measures = Dataset()
    measures.PixelSpacing = [float(v) for v in pixel_spacing]
    measures.SliceThickness = slice_thickness_mm
    orient = Dataset()
    orient.ImageOrientationPatient = [float(v) for v in iop]
    shared = Dataset()
    shared.PixelMeasuresSequence = DicomSequence([measures])
    shared.PlaneOrientationSequence = DicomSequence([orient])
    if slope is not None or intercept is not None:
        pvt = Dataset()
        pvt.RescaleSlope = slope if slope is not None else 1
        pvt.RescaleIntercept = intercept if intercept is not None else 0
        pvt.RescaleType = "US"
        shared.PixelValueTransformationSequence = DicomSequence([pvt])
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])
    frames = []
    for i in range(n):
        fg = Dataset()
        pos = Dataset()
        pos.ImagePositionPatient = [float(v) for v in positions[i]]
        fg.PlanePositionSequence = DicomSequence([pos])
        content = Dataset()
        content.InStackPositionNumber = i + 1
        content.StackID = "1"
        fg.FrameContentSequence = DicomSequence([content])
        if b_values is not None:
            diff = Dataset()
            diff.DiffusionBValue = float(b_values[i])
            diff.DiffusionDirectionality = "ISOTROPIC" if b_values[i] > 0 else "NONE"
            fg.MRDiffusionSequence = DicomSequence([diff])
        frames.append(fg)
    ds.PerFrameFunctionalGroupsSequence = DicomSequence(frames)
    _pixel_module(ds, arr, bits_stored, "MONOCHROME2")
    for key, value in (extra or {}).items():
        _set(ds, key, value)
    _set_pixels(ds, arr, UID(transfer_syntax))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(out, enforce_file_format=True)
    return out


def zip_files(paths: Sequence[Path], zip_path: str | Path, root: Path | None = None) -> Path:
    """Store ``paths`` in a zip (members relative to ``root``, default their common parent), uncompressed."""
    zp = Path(zip_path)
    base = root or Path(*Path(paths[0]).parts[:-1])
    with zipfile.ZipFile(zp, "w", compression=zipfile.ZIP_STORED) as zf:
        for p in paths:
            zf.write(p, str(Path(p).relative_to(base)))
    return zp


def read_stored(path: str | Path) -> np.ndarray:
    """pydicom's own decoding of a file's stored values (the reference in pixel tests)."""
    return pydicom.dcmread(path).pixel_array
