"""Typed, Qt-free and pydicom-free records that leave the DICOM I/O layer.

The I/O package (:mod:`viewer.dicomio`) turns each file into :class:`ImageHeader` records (one
per 2D image: one per single-frame file, one per frame of an enhanced multi-frame file). The
indexer groups them into :class:`StackInfo` (what one viewport shows); the loader turns a
StackInfo into a :class:`viewer.loader.Volume`. Nothing beyond the I/O package sees a pydicom
Dataset.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Role(str, Enum):
    """Series role in the reading protocol (../shared/domain/reading-protocol.md)."""

    CT_UNENHANCED = "ct_unenhanced"
    CT_ARTERIAL = "ct_arterial"
    CT_PORTAL = "ct_portal"
    CT_DELAYED = "ct_delayed"
    CT_OTHER = "ct_other"
    MR_T2FS = "mr_t2fs"
    MR_T2 = "mr_t2"
    MR_DWI = "mr_dwi"
    MR_ADC = "mr_adc"
    MR_T1_PRE = "mr_t1_pre"
    MR_T1_ARTERIAL = "mr_t1_arterial"
    MR_T1_PORTAL = "mr_t1_portal"
    MR_T1_DELAYED = "mr_t1_delayed"
    MR_T1_SUBTRACTION = "mr_t1_subtraction"
    MR_OTHER = "mr_other"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: "str | Role") -> "Role":
        """Accept a Role or its string value (the boundary conversion)."""
        return value if isinstance(value, Role) else cls(str(value).strip().lower())


#: The six series read in the protocol, in hanging order.
READING_ROLES: tuple[Role, ...] = (
    Role.CT_ARTERIAL,
    Role.CT_PORTAL,
    Role.MR_T2FS,
    Role.MR_DWI,
    Role.MR_T1_ARTERIAL,
    Role.MR_T1_PORTAL,
)

#: The lowest b-value of the diffusion image the protocol reads (b800; a site's b600-b1000 counts):
#: a DWI stack of a lower b-value (b0, b50) is shown to look at, not read on.
DWI_READ_MIN_B = 500.0


def below_read_b(role: Role | None, b_value: float | None) -> bool:
    """Whether a stack of ``role`` at ``b_value`` is a diffusion image under :data:`DWI_READ_MIN_B`
    (False when the b-value is unknown: nothing says so)."""
    return role is Role.MR_DWI and b_value is not None and b_value < DWI_READ_MIN_B


@dataclass(frozen=True, slots=True)
class FileRef:
    """Where an image's bytes live: a path, or a member of a zip archive at ``path``."""

    path: str
    member: str | None = None

    def __str__(self) -> str:
        return f"{self.path}::{self.member}" if self.member else self.path


@dataclass(frozen=True, slots=True)
class PixelFormat:
    """How to decode the pixel data of a file (shared by all frames of it)."""

    rows: int
    columns: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int  # 0 unsigned, 1 signed
    samples_per_pixel: int
    photometric: str
    transfer_syntax_uid: str
    number_of_frames: int = 1
    #: Byte offset of the first pixel value in the file, for native (uncompressed,
    #: little-endian) transfer syntaxes read straight from disk; None otherwise. For a zip
    #: member (FileRef.member) it is the offset within the member's uncompressed bytes.
    pixel_data_offset: int | None = None


@dataclass(frozen=True, slots=True)
class ImageHeader:
    """One 2D image: a single-frame file, or one frame of an enhanced multi-frame file.

    Units in field names; None where the header lacks the attribute.
    """

    file: FileRef
    frame: int  # 0-based frame number inside the file
    sop_instance_uid: str
    sop_class_uid: str
    patient_id: str
    patient_name: str
    study_instance_uid: str
    study_date: str  # YYYYMMDD or ""
    study_time: str
    study_description: str
    series_instance_uid: str
    series_number: int | None
    series_description: str
    protocol_name: str
    modality: str
    frame_of_reference_uid: str
    manufacturer: str
    instance_number: int | None
    image_type: tuple[str, ...]
    position_mm: tuple[float, float, float] | None
    orientation: tuple[float, float, float, float, float, float] | None
    pixel_spacing_mm: tuple[float, float] | None  # (row, column)
    imager_pixel_spacing_mm: tuple[float, float] | None
    slice_thickness_mm: float | None
    gantry_tilt_deg: float | None
    rescale_slope: float
    rescale_intercept: float
    window_center: float | None
    window_width: float | None
    b_value: float | None  # s/mm2 from any vendor's tag; None when absent
    b_value_source: str | None  # which tag gave it, for the role reason
    acquisition_number: int | None
    acquisition_time: str  # HHMMSS.frac or ""
    acquisition_date: str
    series_time: str
    content_time: str
    temporal_position: int | None
    trigger_time_ms: float | None
    contrast_agent: str | None  # ContrastBolusAgent (None if absent, "" if present but empty)
    contrast_start_time: str
    sequence_name: str
    scanning_sequence: str
    sequence_variant: str
    scan_options: str
    echo_time_ms: float | None
    repetition_time_ms: float | None
    inversion_time_ms: float | None
    body_part: str
    patient_position: str
    pixel: PixelFormat
    patient_sex: str = ""  # PatientSex (M, F, O) as the header says it, "" when absent
    patient_birth_date: str = ""  # PatientBirthDate YYYYMMDD or ""
    patient_age: str = ""  # PatientAge at the study, e.g. "061Y", or ""
    accession_number: str = ""  # AccessionNumber (the SR of a measurement repeats the study's)
    referring_physician_name: str = ""  # ReferringPhysicianName, DICOM PN text
    study_id: str = ""  # StudyID
    #: the header's RescaleSlope was 0 (read as 1, as viewers do: 0 would make every pixel the intercept);
    #: the stack says so in its warnings
    rescale_slope_zero: bool = False


class NonImageKind(str, Enum):
    """Why an object is listed apart instead of offered as a reading stack."""

    LOCALIZER = "localizer"
    SECONDARY_CAPTURE = "secondary_capture"
    PRESENTATION_STATE = "presentation_state"
    STRUCTURED_REPORT = "structured_report"
    SEGMENTATION = "segmentation"
    OTHER = "other"


@dataclass(frozen=True)
class StackInfo:
    """What one viewport shows: images of one series sharing orientation, size, b-value, type.

    ``images`` are sorted along the slice normal (duplicates by SOP Instance UID removed).
    ``key`` identifies the stack uniquely and stably (series UID plus the split values).
    """

    key: str
    patient_id: str
    patient_name: str
    study_instance_uid: str
    study_date: str
    study_description: str
    series_instance_uid: str
    series_number: int | None
    series_description: str
    modality: str
    frame_of_reference_uid: str
    role: Role
    role_confidence: float  # 0..1
    role_reason: str
    b_value: float | None
    n_slices: int
    rows: int
    columns: int
    pixel_spacing_mm: tuple[float, float] | None
    slice_spacing_mm: float | None
    slice_thickness_mm: float | None
    orientation: str  # Orientation value
    warnings: tuple[str, ...]
    images: tuple[ImageHeader, ...] = field(repr=False)
    split_label: str = ""  # e.g. "b800", "ADC", "t2"; empty when the series is one stack
    acquisition_time: str = ""  # earliest acquisition time of the stack (HHMMSS.frac)

    def to_json(self) -> dict[str, Any]:
        """The `lesionlab index --json` entry for this stack."""
        d = {k: v for k, v in asdict(self).items() if k != "images"}
        d["role"] = self.role.value
        d["pixel_spacing_mm"] = list(self.pixel_spacing_mm) if self.pixel_spacing_mm else None
        d["warnings"] = list(self.warnings)
        d["n_files"] = len({img.file for img in self.images})
        return d


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file the indexer did not use, and why (one readable sentence)."""

    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class NonImageObject:
    """A DICOM object that is not a reading image (localizer, SR, SEG, ...), listed apart."""

    path: str
    kind: NonImageKind
    patient_id: str
    study_instance_uid: str
    series_instance_uid: str
    series_description: str
    modality: str
    sop_class_uid: str

    def to_json(self) -> dict[str, str]:
        d = asdict(self)
        d["kind"] = self.kind.value
        return d


@dataclass(frozen=True)
class IndexResult:
    """Everything the indexer found under one path, in a deterministic order."""

    stacks: tuple[StackInfo, ...]
    skipped: tuple[SkippedFile, ...]
    non_images: tuple[NonImageObject, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "series": [s.to_json() for s in self.stacks],
            "skipped": [s.to_json() for s in self.skipped],
            "non_images": [n.to_json() for n in self.non_images],
            "warnings": list(self.warnings),
        }
