"""Write one series as single-frame CT/MR Image Storage files, JPEG 2000 lossless.

Deterministic: UIDs come from the seed and the series' identity, dates and times from the
protocol, the implementation UID and version are fixed, and OpenJPEG's lossless coder has no
randomness; the same inputs give the same bytes.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (CTImageStorage, ExplicitVRLittleEndian, JPEG2000Lossless,
                         MRImageStorage, generate_uid)

#: The organisation root pydicom offers for generated UIDs; all ours hang below it.
UID_PREFIX = "1.2.826.0.1.3680043.8.498."
IMPLEMENTATION_UID = UID_PREFIX + "7041100"
IMPLEMENTATION_VERSION = "LESIONLAB_SYN1"


def uid(seed: int, *parts: object) -> str:
    """A UID fixed by the seed and the object's identity (no clock, no host)."""
    return generate_uid(UID_PREFIX, entropy_srcs=["|".join(["lesionlab-sample", str(seed), *map(str, parts)])])


def add_seconds(hhmmss: str, seconds: float) -> str:
    h, m, s = int(hhmmss[:2]), int(hhmmss[2:4]), float(hhmmss[4:])
    total = h * 3600 + m * 60 + s + seconds
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{int(h):02d}{int(m):02d}{s:09.6f}"


def folder_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:40]


def _fmt(v: float) -> str:
    return f"{v:.4f}".rstrip("0").rstrip(".")


def write_series(out_dir: Path, base: Dataset, stored: np.ndarray, *, positions: list,
                 series_uid_parts: tuple, seed: int, image_types: list | None = None,
                 per_image: list[dict] | None = None) -> list[Path]:
    """Write ``stored`` (images, rows, cols) with the shared ``base`` attributes.

    ``positions`` gives each image's ImagePositionPatient; ``per_image`` extra attributes
    (b-value tags, SequenceName, ...) for each image; InstanceNumber follows the array order.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    signed = int(base.PixelRepresentation) == 1
    for n, img in enumerate(stored):
        ds = copy.deepcopy(base)
        sop = uid(seed, *series_uid_parts, "image", n)
        ds.SOPInstanceUID = sop
        ds.InstanceNumber = n + 1
        ipp = positions[n]
        ds.ImagePositionPatient = [_fmt(v) for v in ipp]
        ds.SliceLocation = _fmt(ipp[2])
        if image_types is not None:
            ds.ImageType = image_types[n]
        for key, value in (per_image[n] if per_image else {}).items():
            if isinstance(key, tuple):
                tag, vr, val = key[0], key[1], value
                ds.add_new(tag, vr, val)
            else:
                setattr(ds, key, value)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
        meta.MediaStorageSOPInstanceUID = sop
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = IMPLEMENTATION_UID
        meta.ImplementationVersionName = IMPLEMENTATION_VERSION
        ds.file_meta = meta
        arr = img.astype(np.int16 if signed else np.uint16)
        ds.compress(JPEG2000Lossless, arr, encoding_plugin="pylibjpeg", generate_instance_uid=False)
        path = out_dir / f"IM{n + 1:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def base_dataset(*, patient, exam, series, study_uid: str, series_uid: str, for_uid: str,
                 grid, acq_time: str, window: tuple[float, float],
                 rescale: tuple[float, float] | None, signed: bool, bits_stored: int) -> Dataset:
    """The attributes shared by all images of a series."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ct = exam.kind == "ct"
    ds.SOPClassUID = CTImageStorage if ct else MRImageStorage
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = exam.date
    ds.StudyTime = exam.time
    ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = acq_time
    ds.AccessionNumber = f"{patient.patient_id[-3:]}{exam.date}"
    ds.Modality = "CT" if ct else "MR"
    ds.Manufacturer = exam.manufacturer
    ds.InstitutionName = "Synthetic Hospital (lesionlab sample)"
    ds.ReferringPhysicianName = ""
    ds.StationName = exam.station
    ds.StudyDescription = exam.description
    ds.SeriesDescription = series.description
    ds.ManufacturerModelName = exam.model
    ds.PatientName = patient.name
    ds.PatientID = patient.patient_id
    ds.PatientBirthDate = patient.birth_date
    ds.PatientSex = patient.sex
    age = int(exam.date[:4]) - int(patient.birth_date[:4]) - (exam.date[4:] < patient.birth_date[4:])
    ds.PatientAge = f"{age:03d}Y"
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "Synthetic phantom (lesionlab tools/sample): no real patient"
    ds.BodyPartExamined = "ABDOMEN"
    ds.ProtocolName = series.description if not ct else "TAP_LIVER"
    ds.SliceThickness = _fmt(grid.slice_thickness_mm)
    ds.PatientPosition = exam.patient_position
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = exam.date[2:]
    ds.SeriesNumber = series.number
    ds.AcquisitionNumber = 1
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.FrameOfReferenceUID = for_uid
    ds.PositionReferenceIndicator = ""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = grid.rows, grid.columns
    ds.PixelSpacing = [_fmt(v) for v in grid.pixel_spacing_mm]
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.WindowCenter, ds.WindowWidth = _fmt(window[0]), _fmt(window[1])
    if rescale is not None:
        ds.RescaleIntercept, ds.RescaleSlope = _fmt(rescale[0]), _fmt(rescale[1])
        ds.RescaleType = "HU"
    if ct:
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.KVP = "120"
        ds.DataCollectionDiameter = "500"
        ds.ReconstructionDiameter = _fmt(grid.columns * grid.pixel_spacing_mm[1])
        ds.GantryDetectorTilt = "0"
        ds.TableHeight = "160"
        ds.RotationDirection = "CW"
        ds.XRayTubeCurrent = 220
        ds.ExposureTime = 500
        ds.FilterType = "BODY FILTER"
        ds.FocalSpots = "1.2"
    else:
        ds.MagneticFieldStrength = _fmt(exam.field_strength_t)
        ds.ImagingFrequency = "63.6"
        ds.ImagedNucleus = "1H"
        ds.NumberOfAverages = "1"
        ds.SpacingBetweenSlices = _fmt(grid.slice_spacing_mm)
        ds.PercentPhaseFieldOfView = _fmt(100.0 * grid.rows * grid.pixel_spacing_mm[0]
                                          / (grid.columns * grid.pixel_spacing_mm[1]))
        ds.InPlanePhaseEncodingDirection = "COL"
        ds.AcquisitionMatrix = [0, grid.columns, grid.rows, 0]
        ds.PixelBandwidth = "450"
        ds.ReceiveCoilName = "Body18" if exam.vendor == "SIEMENS" else "TORSOPA"
    if series.post_contrast:
        ds.ContrastBolusAgent = exam.contrast_agent
        ds.ContrastBolusRoute = "IV"
        ds.ContrastBolusVolume = "90" if ct else "15"
        ds.ContrastBolusStartTime = acq_time  # replaced by the caller with the injection time
    for key, value in series.headers.items():
        setattr(ds, key, value)
    return ds
