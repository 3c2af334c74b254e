"""Plain records of what a TID 1500 Measurement Report says, free of pydicom and highdicom.

The writer (:mod:`viewer.interop.sr_write`) turns :class:`SrReport` into a DICOM file; the reader
(:mod:`viewer.interop.sr_read`) turns any TID 1500 file (lesionlab's, OHIF's, 3D Slicer's) into
:class:`ParsedSr`. The reading layer (annotation/sr_export.py, annotation/sr_import.py) speaks only
these records.

Coordinates. Points here are lesionlab pixel positions ``(row, col)`` with (0, 0) the centre of
the top-left pixel (viewer/geometry). DICOM SCOORD puts (0, 0) at the top-left corner of that
pixel and orders (column, row); :func:`to_scoord` and :func:`from_scoord` are the one place that
converts.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields
from enum import Enum

from viewer.errors import ValidationError

#: The tracking identifier OHIF v3 rehydrates as an editable length (its adapter parses the prefix).
OHIF_LENGTH_PREFIX = "Cornerstone3DTools@^0.1.0:Length"


def to_scoord(point_rc: tuple[float, float]) -> tuple[float, float]:
    """lesionlab (row, col), pixel centre at 0 -> DICOM SCOORD (column, row), pixel corner at 0."""
    row, col = point_rc
    return (col + 0.5, row + 0.5)


def from_scoord(point_xy: tuple[float, float]) -> tuple[float, float]:
    """DICOM SCOORD (column, row) -> lesionlab (row, col)."""
    x, y = point_xy
    return (y - 0.5, x - 0.5)


def visible(text: str) -> str:
    """``text`` with its control and invisible characters (BEL, ESC, a right-to-left override...) written as
    ``\\uXXXX``: an SR's text reaches the lesion's comment, the workbooks and the terminal, where an ANSI escape or
    U+202E would act instead of being read."""
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)


def tracking_identifier(lesion_id: str) -> str:
    return f"{OHIF_LENGTH_PREFIX}:{lesion_id}"


@dataclass(frozen=True)
class DicomContext:
    """Patient, study and series attributes of one image series, as its headers give them ("" when absent).

    ``roles`` are the roles (viewer.records.Role values) of the series' stacks, space-separated.
    """

    series_instance_uid: str
    patient_id: str
    patient_name: str = ""
    patient_birth_date: str = ""  # YYYYMMDD
    patient_sex: str = ""  # M, F, O
    study_instance_uid: str = ""
    study_date: str = ""  # YYYYMMDD
    study_time: str = ""  # HHMMSS.frac
    study_id: str = ""
    accession_number: str = ""
    referring_physician_name: str = ""
    study_description: str = ""
    series_number: int | None = None
    series_description: str = ""
    modality: str = ""
    manufacturer: str = ""
    frame_of_reference_uid: str = ""
    roles: str = ""
    #: one image of the series' reading stack: a not-visible / not-measurable group names it as its
    #: source, so that a reader of the SR knows which series the answer is about
    reference_sop_class_uid: str = ""
    reference_sop_instance_uid: str = ""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "series_number":
                if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                    raise ValidationError(f"expected an integer or None, got {value!r}", where=f.name)
                continue
            if not isinstance(value, str) or len(value) > 200:
                raise ValidationError(f"expected text of at most 200 characters, got {value!r}", where=f.name)
        if not self.series_instance_uid or not self.patient_id:
            raise ValidationError("a series UID and a patient id are required", where="DicomContext")


class Hemiliver(str, Enum):
    """The functional right or left liver on either side of the Cantlie line (segment IV is left)."""

    RIGHT = "right"
    LEFT = "left"


class GroupStatus(str, Enum):
    """What a TID 1501 group without an image region says about the lesion on its series."""

    NOT_VISIBLE = "not_visible"
    NOT_MEASURABLE = "not_measurable"


@dataclass(frozen=True)
class ImageRef:
    sop_class_uid: str
    sop_instance_uid: str
    frame_number: int | None = None  # 1-based, multi-frame images only

    def __post_init__(self) -> None:
        if not self.sop_class_uid or not self.sop_instance_uid:
            raise ValidationError("an image reference needs its SOP class and instance UIDs", where="ImageRef")


@dataclass(frozen=True)
class LesionSite:
    """Where the lesion is: the liver (the default), with the hemiliver and the Couinaud segment when
    known; or another organ the reader recorded at follow-up (``ORGANS``: a lymph node, bone, lung,
    other), with neither (a node was written as a liver lesion, "right", a researcher's check)."""

    hemiliver: Hemiliver | None = None
    segment: str | None = None  # "I" .. "VIII"
    organ: str = "liver"

    def __post_init__(self) -> None:
        if self.organ not in ORGANS:
            raise ValidationError(f"{self.organ!r} is not one of {', '.join(ORGANS)}", where="organ")
        if self.segment is not None and self.segment not in SEGMENTS:
            raise ValidationError(f"{self.segment!r} is not a Couinaud segment", where="segment")
        if self.organ != "liver" and (self.hemiliver is not None or self.segment is not None):
            raise ValidationError(f"a {self.organ} lesion has no hemiliver or liver segment", where="organ")


#: The organs of a follow-up lesion (annotation.followup_records.ORGANS).
ORGANS = ("liver", "lymph_node", "bone", "lung", "other")


SEGMENTS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")
#: How a length was made (annotation.vocab.MeasurementMethod's values; interop does not import annotation).
METHODS = ("manual", "suggested", "suggested_edited")


@dataclass(frozen=True)
class LengthGroup:
    """A TID 1410 planar ROI: a two-point line on one image and its length."""

    lesion_id: str
    tracking_uid: str
    image: ImageRef
    p1: tuple[float, float]  # lesionlab (row, col)
    p2: tuple[float, float]
    length_mm: float
    site: LesionSite = LesionSite()
    short_axis_mm: float | None = None  # a node's short axis (RECIST sums it), drawn across the line
    #: the short axis's endpoints (p3, p4) on the same image, lesionlab (row, col): the line its NUM is
    #: inferred from, so that an import draws it again (its value alone cannot be drawn)
    short_axis: tuple[tuple[float, float], tuple[float, float]] | None = None
    #: how the line was made (annotation.vocab.MeasurementMethod's values) and the suggestion's JSON
    #: parameters: written as the Length's TID 4019 algorithm identification when not manual
    method: str = "manual"
    method_params: str = ""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValidationError(f"a measurement method is one of {', '.join(METHODS)}, got {self.method!r}",
                                  where="method")
        if not (self.length_mm >= 0):
            raise ValidationError(f"a length must be >= 0 mm, got {self.length_mm!r}", where="length_mm")
        if self.short_axis_mm is not None and not (self.short_axis_mm >= 0):
            raise ValidationError(f"a short axis must be >= 0 mm, got {self.short_axis_mm!r}", where="short_axis_mm")
        if self.short_axis is not None and self.short_axis_mm is None:
            raise ValidationError("short axis endpoints without its length", where="short_axis")


@dataclass(frozen=True)
class StatusGroup:
    """A TID 1501 group: the lesion not visible / not measurable on this series (no image region);
    ``image`` is an image of the series, named as the group's source."""

    lesion_id: str
    tracking_uid: str
    status: GroupStatus
    site: LesionSite = LesionSite()
    image: ImageRef | None = None


@dataclass(frozen=True)
class SrReport:
    """One Measurement Report: one reader's groups on one image series of one study."""

    context: DicomContext  # the measured series (its patient and study become the SR's)
    observer: str  # the reader
    sr_series_instance_uid: str
    sr_sop_instance_uid: str
    groups: tuple[LengthGroup | StatusGroup, ...]
    time_point: str = ""  # the exam pair, e.g. "E1"
    series_description: str = "lesionlab measurements"

    def __post_init__(self) -> None:
        if not self.groups:
            raise ValidationError("a report without measurement groups", where="SrReport")
        if not self.observer.strip():
            raise ValidationError("the reader's name is required", where="observer")


# ------------------------------------------------------------------------------ reading SRs in
@dataclass(frozen=True)
class ParsedLength:
    """A length read from an SR: 2D points on one image, or 3D points in a frame of reference."""

    tracking_uid: str
    tracking_identifier: str
    length_mm: float | None
    image: ImageRef | None = None
    points_rc: tuple[tuple[float, float], tuple[float, float]] | None = None  # SCOORD, as lesionlab (row, col)
    points_mm: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None  # SCOORD3D
    frame_of_reference_uid: str = ""
    site: LesionSite = LesionSite()
    short_axis_mm: float | None = None
    #: the short axis's endpoints, lesionlab (row, col), and the image its SCOORD names
    short_axis_rc: tuple[tuple[float, float], tuple[float, float]] | None = None
    short_axis_image: ImageRef | None = None
    method: str = "manual"  # from lesionlab's TID 4019 algorithm identification (a manual line has none)
    method_params: str = ""


@dataclass(frozen=True)
class ParsedStatus:
    tracking_uid: str
    tracking_identifier: str
    status: GroupStatus
    site: LesionSite = LesionSite()
    image: ImageRef | None = None


@dataclass(frozen=True)
class ParsedSr:
    """What an SR file holds that lesionlab understands, and a line for everything it does not."""

    path: str
    patient_id: str
    study_instance_uid: str
    observer: str
    lengths: tuple[ParsedLength, ...]
    statuses: tuple[ParsedStatus, ...]
    not_understood: tuple[str, ...]
    sop_instance_uid: str = ""
    evidence_series: tuple[str, ...] = ()  # series the SR says it references (its evidence sequences)
    #: Groups of lesionlab's kind (a lesion's Length or status) that cannot be placed, and why: a failure of the
    #: import (refused), where ``not_understood`` lists other templates' groups and items, for information.
    unplaced: tuple[str, ...] = ()
