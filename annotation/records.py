"""Frozen, self-validating records of a read: exam pairs, lesions and their observations, counts.

Keys (the reader is part of every key below the exam pair, so several readers can read the same
pair side by side; a later follow-up timepoint links lesions by these keys):

* exam pair ``(patient_id, exam_pair_id)``
* lesion ``(patient_id, exam_pair_id, reader, lesion_id)`` with lesion ids L1, L2, ...
* count mark ``mark_id`` (unique in the project), series flag ``(patient, pair, reader, role)``

Pixel positions are continuous ``(row, col)`` with (0, 0) the centre of the top-left pixel
(viewer/geometry). A measurement's diameter is always computed from its endpoints and the pixel
spacing it stores; it is never taken from the caller.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Union

from annotation import _validate as v
from annotation.vocab import (AlignmentSource, CountStatus, CouinaudSegment, Lobe, MeasurementMethod,
                              ObservationStatus)
from viewer.errors import NotMeasurableError, ValidationError
from viewer.geometry import StackGeometry, in_plane_distance_mm
from viewer.records import READING_ROLES, Role

PairKey = tuple[str, str]
ReadKey = tuple[str, str, str]
LesionKey = tuple[str, str, str, str]
SeriesKey = tuple[str, str, str, Role]

LESION_ID = re.compile(r"^L[1-9][0-9]{0,5}$")
#: Longest MRI-CT interval of an exam pair the protocol accepts (3 months).
MAX_PAIR_INTERVAL_DAYS = 90


def reading_role(value: "str | Role", name: str = "role") -> Role:
    """One of the six protocol series roles (READING_ROLES)."""
    try:
        role: Role | None = Role.parse(value)
    except ValueError:
        role = None
    if role is None or role not in READING_ROLES:
        raise ValidationError(f"{value!r} is not one of the six reading roles "
                              f"({', '.join(r.value for r in READING_ROLES)})", where=name)
    return role


def _ident(name: str, value: Any, max_len: int = 200) -> str:
    return v.identifier(name, value, max_len=max_len)


def check_lesion_key(patient_id: Any, exam_pair_id: Any, reader: Any, lesion_id: Any) -> None:
    """The four parts of a lesion key (the lesion's and its follow-up record's), each named when bad."""
    _ident("patient_id", patient_id)
    _ident("exam_pair_id", exam_pair_id, 100)
    _ident("reader", reader, 100)
    if not isinstance(lesion_id, str) or not LESION_ID.match(lesion_id):
        raise ValidationError(f"{lesion_id!r} is not a lesion id (L1, L2, ...)", where="lesion_id")


def lesion_number(lesion_id: str) -> int:
    return int(lesion_id[1:])


# --------------------------------------------------------------------------------- exam pair
def series_roles_of(value: Any) -> tuple[Role, ...]:
    """Reading roles from a sequence of roles or their values, or from the store's space-separated text, in
    the protocol's order, each once; anything else is refused."""
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, (tuple, list, set, frozenset)):
        raise ValidationError(f"series roles must be a list of reading roles, not {value!r}", where="series_roles")
    roles = set()
    for item in value:
        try:
            role = Role.parse(item)
        except ValueError:
            raise ValidationError(f"{item!r} is not a series role", where="series_roles") from None
        if role not in READING_ROLES:
            raise ValidationError(f"{role.value} is not one of the reading protocol's series", where="series_roles")
        roles.add(role)
    return tuple(r for r in READING_ROLES if r in roles)


@dataclass(frozen=True)
class ExamPair:
    """One CT and one liver MRI of a patient, read together (the unit of counting)."""

    patient_id: str
    exam_pair_id: str
    ct_study_uid: str = ""
    mri_study_uid: str = ""
    ct_date: _dt.date | None = None
    mri_date: _dt.date | None = None
    #: the reading roles the exam's studies hold, as recognised when it was opened (empty: not recorded, an
    #: exam made by hand or a store of before session 33); on a one-modality exam only these are expected
    series_roles: tuple[Role, ...] = ()

    def __post_init__(self) -> None:
        _ident("patient_id", self.patient_id)
        _ident("exam_pair_id", self.exam_pair_id, 100)
        v.text("ct_study_uid", self.ct_study_uid, max_len=64)
        v.text("mri_study_uid", self.mri_study_uid, max_len=64)
        object.__setattr__(self, "ct_date", v.date("ct_date", self.ct_date))
        object.__setattr__(self, "mri_date", v.date("mri_date", self.mri_date))
        object.__setattr__(self, "series_roles", series_roles_of(self.series_roles))

    @property
    def key(self) -> PairKey:
        return (self.patient_id, self.exam_pair_id)

    @property
    def roles(self) -> tuple[Role, ...]:
        """The reading roles this exam has: the six for a CT + MRI pair (or when its studies are not
        recorded), the CT roles for a CT-only exam (a follow-up timepoint), the MRI roles for an MRI-only one;
        of those, on a one-modality exam, the ones its studies hold when that was recorded
        (:attr:`series_roles`: a follow-up CT of the portal phase only is not asked for its arterial phase).
        A CT + MRI pair keeps its six: a series missing there is one to find and hang, not one to skip."""
        modality = self.modality_roles
        if modality == READING_ROLES:
            return READING_ROLES
        held = tuple(r for r in modality if r in self.series_roles)
        return held or modality

    @property
    def modality_roles(self) -> tuple[Role, ...]:
        """The reading roles of the exam's modalities: the six, the two CT ones or the four MRI ones."""
        if self.ct_study_uid and not self.mri_study_uid:
            return tuple(r for r in READING_ROLES if r.value.startswith("ct_"))
        if self.mri_study_uid and not self.ct_study_uid:
            return tuple(r for r in READING_ROLES if not r.value.startswith("ct_"))
        return READING_ROLES

    @property
    def interval_days(self) -> int | None:
        """Days between the CT and the MRI (absolute), None while a date is missing."""
        if self.ct_date is None or self.mri_date is None:
            return None
        return abs((self.mri_date - self.ct_date).days)


#: reader name -> the series roles their read covers (a reader study's ``R1@MRI`` reads the MRI session's series
#: only: annotation.study_store.session_roles); a reader not in it reads every series of the exam
ReaderRoles = Mapping[str, tuple[Role, ...]]


def expected_roles(pair: "ExamPair | None", reader: str, reader_roles: ReaderRoles | None = None,
                   read: Iterable[Role] = ()) -> tuple[Role, ...]:
    """The series a reader's read of an exam is expected to cover: the exam's (:attr:`ExamPair.roles`) and any other
    of its modality the read recorded something on (``read``: :meth:`annotation.project.Project.roles_read`; a
    series recorded as not held must not drop the reader's counts and lines there: a review), of those the ones the
    reader's session shows in a reader study (Checks and counts asked a study's MRI read for the CT series, 36 false
    warnings a patient in an export: an audit)."""
    roles = pair.roles if pair is not None else READING_ROLES
    if pair is not None:
        recorded = set(read)
        roles = tuple(r for r in pair.modality_roles if r in roles or r in recorded)
    only = (reader_roles or {}).get(reader)
    return tuple(r for r in roles if r in only) if only else roles


#: How many slices from its line a count click may lie and still be a measured lesion's own (inside the sphere of
#: the line round its middle; Reading takes it over, CountGesture says it): a satellite three slices above a 40 mm
#: lesion was taken for it (a review).
TAKEOVER_SLICES = 2

#: A diameter as the reader is shown it, in the window (the lesion grid, its tooltip, the line's label) and in the
#: per-patient workbook: to a tenth of a mm, the same rounding in both. The record keeps its 0.001 mm (the store,
#: measurements.csv, the SR, the analysis); only what is shown is rounded, and never twice (a radiologist's check:
#: the grid read 14.0 where the xlsx read 14.05).
SHOWN_MM_DECIMALS = 1


def shown_mm(value: float) -> float:
    """A diameter (mm) as it is shown: rounded to :data:`SHOWN_MM_DECIMALS` (the workbook's cell value)."""
    return round(value, SHOWN_MM_DECIMALS)


def mm_text(value: float) -> str:
    """A diameter (mm) as the window writes it: the digits of :func:`shown_mm` (``14.049`` -> ``"14.0"``)."""
    return f"{value:.{SHOWN_MM_DECIMALS}f}"


# --------------------------------------------------------------------------------- observations
#: the key of a one-click suggestion's ``method_params`` while it is not kept yet (:attr:`Measurement.pending`)
PENDING_KEY = "pending"


@dataclass(frozen=True)
class Measurement:
    """A longest axial diameter drawn on one slice of one stack, optionally with its short axis.

    ``row_spacing_mm`` / ``column_spacing_mm`` are the spacings the diameter was computed with,
    kept so that an export can be reproduced from the store alone. The image it was drawn on is
    named by ``sop_instance_uid`` (and ``frame_number``, 1-based, for enhanced multi-frame files)
    and ``instance_number`` as the reader saw it; ``method`` says how it was made and
    ``method_params`` (JSON object text, "" when none) with what. ``p3``/``p4``, when given, are the
    perpendicular short axis (lymph nodes, RECIST). Build it with :meth:`from_geometry` in application
    code; the constructor is for the store.
    """

    stack_key: str
    series_instance_uid: str
    slice_index: int
    p1: tuple[float, float]
    p2: tuple[float, float]
    row_spacing_mm: float
    column_spacing_mm: float
    sop_instance_uid: str = ""
    sop_class_uid: str = ""
    instance_number: int | None = None
    frame_number: int | None = None
    method: MeasurementMethod = MeasurementMethod.MANUAL
    method_params: str = ""
    p3: tuple[float, float] | None = None
    p4: tuple[float, float] | None = None

    status = ObservationStatus.MEASURED

    def __post_init__(self) -> None:
        v.text("stack_key", self.stack_key, required=True, max_len=500)
        v.uid("series_instance_uid", self.series_instance_uid)
        v.number("slice_index", self.slice_index, low=0, integer=True)
        object.__setattr__(self, "p1", v.point("p1", self.p1))
        object.__setattr__(self, "p2", v.point("p2", self.p2))
        for name in ("row_spacing_mm", "column_spacing_mm"):
            value = v.number(name, getattr(self, name), low=0)
            if value <= 0:
                raise ValidationError("must be positive", where=name)
            object.__setattr__(self, name, float(value))
        v.uid("sop_instance_uid", self.sop_instance_uid)
        v.uid("sop_class_uid", self.sop_class_uid)
        v.number("instance_number", self.instance_number, optional=True, integer=True,
                 low=-(2**31), high=2**31 - 1)
        v.number("frame_number", self.frame_number, optional=True, integer=True, low=1, high=2**31 - 1)
        object.__setattr__(self, "method", MeasurementMethod.parse(self.method, "method"))
        v.text("method_params", self.method_params, max_len=20_000)
        if self.method_params:
            try:
                params = json.loads(self.method_params)
            except ValueError:
                raise ValidationError("is not JSON text", where="method_params") from None
            if not isinstance(params, dict):
                raise ValidationError("must be a JSON object", where="method_params")
        if (self.p3 is None) != (self.p4 is None):
            raise ValidationError("a short axis needs both endpoints p3 and p4", where="p3")
        if self.p3 is not None and self.p4 is not None:
            object.__setattr__(self, "p3", v.point("p3", self.p3))
            object.__setattr__(self, "p4", v.point("p4", self.p4))

    @property
    def params(self) -> dict[str, Any]:
        """``method_params`` read (a JSON object, checked when the record is made; {} for a drawn line)."""
        loaded: dict[str, Any] = json.loads(self.method_params) if self.method_params else {}
        return loaded

    @property
    def pending(self) -> bool:
        """A one-click suggestion not kept yet (``"pending": true`` in its parameters): shown dashed, "Enter keeps
        it, Esc drops it"; the next edit, Enter or the reader moving on keeps it (:meth:`kept`). It was stored as a
        kept line at once, and a window killed before Enter reopened it solid, as if the reader had kept it, and
        exported it as a reader's measurement (a radiologist's check, session 49)."""
        return PENDING_KEY in self.method_params and self.params.get(PENDING_KEY) is True

    def kept(self) -> "Measurement":
        """This line as kept: its parameters without the pending mark (itself when it has none)."""
        if PENDING_KEY not in self.method_params:
            return self
        params = {k: v for k, v in self.params.items() if k != PENDING_KEY}
        return replace(self, method_params=json.dumps(params, sort_keys=True) if params else "")

    @classmethod
    def from_geometry(cls, geometry: StackGeometry, stack_key: str, series_instance_uid: str,
                      slice_index: int, p1: tuple[float, float], p2: tuple[float, float],
                      **provenance: Any) -> "Measurement":
        """A measurement on a stack, refused on a non-measurable or non-axial stack or off the image.

        ``provenance``: the optional fields (sop_instance_uid, instance_number, method, p3, p4, ...).
        """
        if not geometry.measurable:
            raise NotMeasurableError(geometry.not_measurable_reason or "no pixel spacing", where=stack_key)
        orientation = getattr(geometry.orientation, "value", geometry.orientation)
        if orientation != "axial":
            raise NotMeasurableError(f"the stack is {orientation}; the protocol measures the longest diameter"
                                     " in the strict axial plane", where=stack_key)
        v.number("slice_index", slice_index, low=0, high=geometry.n_slices - 1, integer=True)
        points = [("p1", p1), ("p2", p2)]
        points += [(k, provenance[k]) for k in ("p3", "p4") if provenance.get(k) is not None]
        for name, p in points:
            row, col = v.point(name, p)
            if row > geometry.rows - 0.5 or col > geometry.columns - 0.5:
                raise ValidationError(f"({row:g}, {col:g}) lies outside the {geometry.rows} x {geometry.columns}"
                                      " image", where=name)
        spacing = geometry.pixel_spacing_mm
        assert spacing is not None  # measurable implies both spacings
        rs, cs = spacing
        return cls(stack_key, series_instance_uid, int(slice_index), p1, p2, rs, cs, **provenance)

    @property
    def middle(self) -> tuple[float, float]:
        """The line's middle (row, col) on its slice: where the lesion is."""
        return (self.p1[0] + self.p2[0]) / 2, (self.p1[1] + self.p2[1]) / 2

    def from_middle_mm(self, at: tuple[float, float], along_mm: float = 0.0) -> float:
        """How far a point (row, col) of the stack lies from the line's middle, in mm: in-plane, and ``along_mm``
        along the stack's normal for a point on another slice (whether a count click lies inside the lesion)."""
        return math.hypot(in_plane_distance_mm(at, self.middle, self.row_spacing_mm, self.column_spacing_mm), along_mm)

    @property
    def diameter_mm(self) -> float:
        """Endpoint distance honouring row and column spacing (the formula of StackGeometry.distance_mm)."""
        return in_plane_distance_mm(self.p1, self.p2, self.row_spacing_mm, self.column_spacing_mm)

    @property
    def short_axis_mm(self) -> float | None:
        """Length of the perpendicular short axis p3-p4, None when there is none."""
        if self.p3 is None or self.p4 is None:
            return None
        return in_plane_distance_mm(self.p3, self.p4, self.row_spacing_mm, self.column_spacing_mm)

    def with_endpoint(self, which: int, point: tuple[float, float]) -> "Measurement":
        """The same measurement with endpoint 1-4 moved (diameters follow); a suggested line that
        the reader edits becomes ``suggested_edited``."""
        if which not in (1, 2, 3, 4) or (which > 2 and self.p3 is None):
            raise ValidationError(f"endpoint must be 1 or 2 (3 or 4 with a short axis), got {which!r}",
                                  where="which")
        method = (MeasurementMethod.SUGGESTED_EDITED if self.method is MeasurementMethod.SUGGESTED
                  else self.method)
        return replace(self, **{f"p{which}": point}, method=method)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Answer:
    """A status without a measurement, with an optional comment."""

    comment: str = ""

    def __post_init__(self) -> None:
        v.text("comment", self.comment, max_len=2000)


@dataclass(frozen=True)
class NotVisible(_Answer):
    """The reader looked for the lesion on this series and did not see it."""

    status = ObservationStatus.NOT_VISIBLE


@dataclass(frozen=True)
class NotMeasurable(_Answer):
    """Seen but not measurable (coalescent, ill-defined, artefact)."""

    status = ObservationStatus.NOT_MEASURABLE


Observation = Union[Measurement, NotVisible, NotMeasurable]
OBSERVATION_TYPES = (Measurement, NotVisible, NotMeasurable)


# --------------------------------------------------------------------------------- lesion
@dataclass(frozen=True)
class Lesion:
    """A metastasis followed across the six series of one exam pair by one reader.

    ``observations`` holds at most one observation per reading role; a role missing from it has
    not been read yet. Accepts a mapping ``{role: observation}`` and keeps it as a tuple of pairs in
    hanging order (so the record stays hashable and compares exactly).
    """

    patient_id: str
    exam_pair_id: str
    reader: str
    lesion_id: str
    lobe: Lobe
    segment: CouinaudSegment | None = None
    comment: str = ""
    observations: tuple[tuple[Role, Observation], ...] = field(default=())
    tracking_uid: str = ""

    def __post_init__(self) -> None:
        check_lesion_key(self.patient_id, self.exam_pair_id, self.reader, self.lesion_id)
        object.__setattr__(self, "lobe", Lobe.parse(self.lobe, "lobe"))
        if self.segment is not None:
            object.__setattr__(self, "segment", CouinaudSegment.parse(self.segment, "segment"))
        v.uid("tracking_uid", self.tracking_uid)
        if not self.tracking_uid:  # a new lesion: its identity across series (and later timepoints)
            object.__setattr__(self, "tracking_uid", v.new_uid())
        v.text("comment", self.comment, max_len=5000)
        items: Iterable[Any] = (self.observations.items() if isinstance(self.observations, Mapping)
                                else self.observations)
        by_role: dict[Role, Observation] = {}
        for item in items:
            try:
                role, obs = item
            except (TypeError, ValueError):
                raise ValidationError(f"expected (role, observation) pairs, got {item!r}",
                                      where="observations") from None
            role = reading_role(role, "observations")
            if role in by_role:
                raise ValidationError(f"two observations for {role.value}", where="observations")
            if not isinstance(obs, OBSERVATION_TYPES):
                raise ValidationError(f"{obs!r} is not a Measurement, NotVisible or NotMeasurable",
                                      where=f"observations[{role.value}]")
            by_role[role] = obs
        object.__setattr__(self, "observations",
                           tuple((r, by_role[r]) for r in READING_ROLES if r in by_role))

    @property
    def key(self) -> LesionKey:
        return (self.patient_id, self.exam_pair_id, self.reader, self.lesion_id)

    @property
    def lobe_contradicts_segment(self) -> bool:
        """True when the segment implies the other lobe (CouinaudSegment.lobe; older data only)."""
        return self.segment is not None and self.segment.lobe is not self.lobe

    @property
    def number(self) -> int:
        return lesion_number(self.lesion_id)

    def observation(self, role: "Role | str") -> Observation | None:
        if not isinstance(role, Role):  # a Role needs no parsing (the checks ask 650,000 times with 50 lesions)
            role = reading_role(role)
        for r, o in self.observations:
            if r is role:
                return o
        if role not in READING_ROLES:
            reading_role(role)  # says which roles a lesion has
        return None

    def measurements(self) -> dict[Role, Measurement]:
        return {r: o for r, o in self.observations if isinstance(o, Measurement)}

    @property
    def largest_diameter_mm(self) -> float | None:
        d = [m.diameter_mm for m in self.measurements().values()]
        return max(d) if d else None

    def with_observation(self, role: "Role | str", obs: Observation | None) -> "Lesion":
        """The lesion with the observation on ``role`` set, or cleared back to "not read" (None)."""
        role = reading_role(role)
        current = dict(self.observations)
        if obs is None:
            current.pop(role, None)
        else:
            current[role] = obs
        return replace(self, observations=tuple(current.items()))

    def with_changes(self, **changes: Any) -> "Lesion":
        return replace(self, **changes)

    @property
    def pending_roles(self) -> tuple[Role, ...]:
        """The series whose line is a one-click suggestion not kept yet (:attr:`Measurement.pending`)."""
        return tuple(r for r, o in self.observations if isinstance(o, Measurement) and o.pending)

    def kept(self) -> "Lesion":
        """The lesion with every suggestion not kept yet kept (itself when none is)."""
        if not self.pending_roles:
            return self
        return replace(self, observations=tuple((r, o.kept() if isinstance(o, Measurement) else o)
                                                for r, o in self.observations))

    def without_pending(self) -> "Lesion":
        """The lesion as the reader has read it: a suggestion not kept yet is no status (exports, the analysis)."""
        if not self.pending_roles:
            return self
        return replace(self, observations=tuple((r, o) for r, o in self.observations
                                                if not (isinstance(o, Measurement) and o.pending)))


# --------------------------------------------------------------------------------- counts
@dataclass(frozen=True)
class CountMark:
    """A point the reader placed on a metastasis while counting one series, tagged with its lobe."""

    mark_id: str
    patient_id: str
    exam_pair_id: str
    reader: str
    role: Role
    lobe: Lobe
    stack_key: str = ""
    slice_index: int = 0
    row: float = 0.0
    col: float = 0.0
    lesion_id: str = ""  # the measured lesion this mark was pre-placed from, "" for a counted click
    # the image the mark was placed on (``slice_index`` is its index as loaded then; "" in a store before schema 16:
    # the index is all there is), annotation.placement.slice_of
    sop_instance_uid: str = ""
    # its frame (1-based) in an enhanced multi-frame file, None for a single-frame file and in a store before
    # schema 17 (the stored index then tells the frame while it counts the images of the same load)
    frame_number: int | None = None

    def __post_init__(self) -> None:
        _ident("mark_id", self.mark_id, 64)
        object.__setattr__(self, "sop_instance_uid", self.sop_instance_uid or "")  # NULL in an old row
        v.uid("sop_instance_uid", self.sop_instance_uid)
        v.number("frame_number", self.frame_number, optional=True, integer=True, low=1, high=2**31 - 1)
        _ident("patient_id", self.patient_id)
        _ident("exam_pair_id", self.exam_pair_id, 100)
        _ident("reader", self.reader, 100)
        object.__setattr__(self, "role", reading_role(self.role))
        object.__setattr__(self, "lobe", Lobe.parse(self.lobe, "lobe"))
        v.text("stack_key", self.stack_key, max_len=500)
        v.number("slice_index", self.slice_index, low=0, integer=True)
        row, col = v.point("position", (self.row, self.col))
        object.__setattr__(self, "row", row)
        object.__setattr__(self, "col", col)
        if self.lesion_id and (not isinstance(self.lesion_id, str) or not LESION_ID.match(self.lesion_id)):
            raise ValidationError(f"{self.lesion_id!r} is not a lesion id (L1, L2, ...)", where="lesion_id")

    @property
    def key(self) -> str:
        return self.mark_id


@dataclass(frozen=True)
class SeriesFlag:
    """Where one reader's count of one series stands: counted (n >= 0) or not countable.

    A series with no SeriesFlag has not been read yet (``CountStatus.NOT_READ``), which is not the
    same as "counted, 0 lesions": the exports and the analysis keep them apart.
    """

    patient_id: str
    exam_pair_id: str
    reader: str
    role: Role
    status: CountStatus = CountStatus.COUNTED
    reason: str = ""

    def __post_init__(self) -> None:
        _ident("patient_id", self.patient_id)
        _ident("exam_pair_id", self.exam_pair_id, 100)
        _ident("reader", self.reader, 100)
        object.__setattr__(self, "role", reading_role(self.role))
        status = CountStatus.parse(self.status, "status")
        if status is CountStatus.NOT_READ:
            raise ValidationError("'not read' is the absence of a series flag, not a stored status",
                                  where="status")
        object.__setattr__(self, "status", status)
        v.text("reason", self.reason, max_len=2000)

    @property
    def uncountable(self) -> bool:
        return self.status is CountStatus.NOT_COUNTABLE

    @property
    def key(self) -> SeriesKey:
        return (self.patient_id, self.exam_pair_id, self.reader, self.role)


# --------------------------------------------------------------------------------- alignment
AlignmentKey = tuple[str, str, str]


@dataclass(frozen=True)
class Alignment:
    """A rigid transform taking patient mm of one frame of reference (``moving``) into another (``fixed``).

    ``matrix`` is the 3x4 affine [R | t] in row-major order (12 numbers, mm): x_fixed = R x_moving + t.
    One per patient and ordered pair of frames of reference: the CT and MRI of an exam pair, or a
    prior and a current exam at follow-up.
    """

    patient_id: str
    fixed_frame_uid: str
    moving_frame_uid: str
    matrix: tuple[float, ...]
    source: AlignmentSource = AlignmentSource.PROPOSED
    reader: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        _ident("patient_id", self.patient_id)
        v.uid("fixed_frame_uid", self.fixed_frame_uid, required=True)
        v.uid("moving_frame_uid", self.moving_frame_uid, required=True)
        try:
            m = tuple(float(v.number(f"matrix[{i}]", x)) for i, x in enumerate(self.matrix))
        except TypeError:
            raise ValidationError(f"expected 12 numbers, got {self.matrix!r}", where="matrix") from None
        if len(m) != 12:
            raise ValidationError(f"expected 12 numbers (3x4 row-major), got {len(m)}", where="matrix")
        rot = [m[0:3], m[4:7], m[8:11]]
        for i in range(3):
            for j in range(3):
                dot = sum(rot[i][k] * rot[j][k] for k in range(3))
                if abs(dot - (1.0 if i == j else 0.0)) > 1e-4:
                    raise ValidationError("the 3x3 part is not a rotation (rigid transforms only)",
                                          where="matrix")
        object.__setattr__(self, "matrix", m)
        object.__setattr__(self, "source", AlignmentSource.parse(self.source, "source"))
        v.identifier("reader", self.reader, required=False, max_len=100)
        v.text("note", self.note, max_len=2000)

    @property
    def key(self) -> AlignmentKey:
        return (self.patient_id, self.fixed_frame_uid, self.moving_frame_uid)

    @property
    def translation_mm(self) -> tuple[float, float, float]:
        return (self.matrix[3], self.matrix[7], self.matrix[11])

    def apply(self, point_mm: tuple[float, float, float]) -> tuple[float, float, float]:
        """A moving-frame point in the fixed frame."""
        m = self.matrix
        x, y, z = point_mm
        return (m[0] * x + m[1] * y + m[2] * z + m[3], m[4] * x + m[5] * y + m[6] * z + m[7],
                m[8] * x + m[9] * y + m[10] * z + m[11])

    def apply_inverse(self, point_mm: tuple[float, float, float]) -> tuple[float, float, float]:
        """A fixed-frame point in the moving frame (R is a rotation: its inverse is its transpose)."""
        m = self.matrix
        x, y, z = point_mm[0] - m[3], point_mm[1] - m[7], point_mm[2] - m[11]
        return (m[0] * x + m[4] * y + m[8] * z, m[1] * x + m[5] * y + m[9] * z, m[2] * x + m[6] * y + m[10] * z)
