"""Protocol checks: readable warnings shown to the reader, never enforced.

The protocol (../shared/domain/reading-protocol.md) measures lesions of at least 5 mm, at most
five per exam pair, the largest first, on every series where the lesion is visible, on exam
pairs whose CT and MRI are less than three months apart. A read may break any of these for a
good reason; the checks say so and leave the decision to the reader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from annotation.clinical import treatments_named
from annotation.followup import followed_before, lines_of, outside_liver
from annotation.lost_marks import LostMark, exam_label, lost_count_marks, still_lost
from annotation.placement import slice_of
from annotation.project import Project
from annotation.records import MAX_PAIR_INTERVAL_DAYS, CountMark, Lesion, Measurement, ReaderRoles, expected_roles
from viewer.geometry import StackGeometry, in_plane_distance_mm
from viewer.geometry.directions import OBLIQUE_NOTE_DEG
from viewer.geometry.spacing import TILT_LIMIT_DEG
from annotation.vocab import CountStatus, FollowupKind, FollowupStatus, Treatment
from viewer.model.layout import role_label
from viewer.records import READING_ROLES, ImageHeader, Role

MIN_DIAMETER_MM = 5.0
MAX_MEASURED_LESIONS = 5
#: two count marks of one stack this close in the slice's plane (mm) and this close along its normal (mm): one
#: lesion counted twice while scrolling through it? (a lesion's centre moves little from slice to slice, and a
#: reader clicks it near its centre; two metastases of 5 mm or more this close would touch)
TWICE_IN_PLANE_MM = 5.0
TWICE_ALONG_MM = 10.0
#: on one slice, where both marks are in view, this close (a radiologist's check counted a 13.8 mm lesion again 5.5
#: mm from its mark on the same image, unsaid)
TWICE_SAME_SLICE_MM = 8.0

#: the geometry of a stack by its key, where the images are loaded (the workstation's), else None
GeometryOf = Callable[[str], "StackGeometry | None"]
#: where a line's middle lies in the patient: (frame of reference, point mm), in one frame for the exam pair's CT and
#: MRI where their alignment takes it (the workstation's), else None (its images are not loaded)
PlaceOf = Callable[[Measurement], "tuple[str, tuple[float, float, float]] | None"]
#: the images of a stack as loaded (volume order), by its key: () where no cell has it loaded
ImagesOf = Callable[[str], Sequence[ImageHeader]]
#: two lines of one lesion on two series whose middles lie further apart than this and 1.5 times the longer line
#: (mm; breathing between breath-holds moves the liver 1-2 cm, an alignment leaves a few mm): two lesions? (a
#: radiologist's check clicked the left-liver lesion on T2 FS with L1 current: recorded as L1's, 100 mm from its
#: lines on CT, unsaid)
APART_MIN_MM = 30.0
APART_TIMES = 1.5
#: two lines whose extents cannot meet: their middles further apart than half of each line together and this (mm:
#: the alignment's few mm, a line's middle off the lesion's centre, the largest slice on each series), above
#: APART_MIN_MM. Session 47's reader: L1 25.6 mm on CT arterial, then one click on the neighbouring 38 mm lesion on T2
#: FS recorded as L1's, 48 mm away (under 1.5 x 38.1 = 57 mm), unsaid until a third series. On the truth of the
#: sample and of /work/data45's 58 realisations (every liver lesion, every pair of its six series, CT and MRI brought
#: together by the patient's offset: 12,446 pairs) nor on the sample's read through its alignment, no pair comes within
#: 24 mm of the bound (0 flags before and after).
APART_SLACK_MM = 10.0
#: a lesion's line on one series this far from the median of its lines on two or more other series (a share of that
#: median, and mm): drawn across part of it, or on another lesion? (a radiologist's check: a drag across the wrong
#: cell recorded 28.3 mm beside 43.5-44.6 mm on the other five, unsaid). On the sample phantoms' truth a lesion's
#: sections on its series differ from their median by 3.3 mm at most.
SIZE_APART_SHARE = 0.3
SIZE_APART_MM = 8.0


class CheckCode(str, Enum):
    SMALL_DIAMETER = "small_diameter"
    TOO_MANY_MEASURED = "too_many_measured"
    LARGER_UNMEASURED = "larger_unmeasured"
    MISSING_STATUS = "missing_status"
    LONG_INTERVAL = "long_interval"
    GRADE_DISAGREES = "grade_disagrees"
    NOT_COUNTED = "not_counted"
    MEASURED_NOT_COUNTED = "measured_not_counted"
    LOBE_SEGMENT = "lobe_segment"
    SAME_LESION = "same_lesion"
    EMPTY_LESION = "empty_lesion"
    NEW_NOT_ASSESSED = "new_not_assessed"
    COUNTED_TWICE = "counted_twice"
    LINES_APART = "lines_apart"
    SIZE_APART = "size_apart"
    LOST_MARK = "lost_mark"
    TREATMENT_SAYS_NO = "treatment_says_no"
    TREATMENTS_UNCONFIRMED = "treatments_unconfirmed"
    TILTED_LINE = "tilted_line"


@dataclass(frozen=True)
class ProtocolWarning:
    """One finding: a code to filter on, where it applies, and a sentence for the reader."""

    code: CheckCode
    message: str
    lesion_id: str | None = None
    role: Role | None = None
    #: the count mark the warning is about (where a click on it goes), for a warning about marks
    mark_id: str | None = None

    def __str__(self) -> str:
        return self.message

    @property
    def in_files(self) -> str:
        """The message for a file read outside the workstation (the xlsx's Checks sheet): its "(click here to …)",
        which means nothing in a spreadsheet (a coordinator's audit), says where the click is made instead."""
        if self.message.endswith(")") and CLICK_HERE in self.message:
            head, _, action = self.message.rpartition(CLICK_HERE)
            return f"{head}{IN_THE_WORKSTATION}{action}"
        return self.message


#: the panel's words for a warning a click on which shows what it is about (:attr:`ProtocolWarning.in_files`)
CLICK_HERE = "(click here "
#: what :attr:`ProtocolWarning.in_files` says instead, in a file read outside the workstation
IN_THE_WORKSTATION = "(in lesionlab: open this exam pair as this row's reader and click this warning in the Checks panel "


#: The last :func:`check_pair` asked: (project, (patient, pair, reader), warnings). A Project is an
#: immutable value, so the same one gives the same warnings: the lesion grid and the checks panel each
#: ask after every edit and every change of lesion (four times a click), 70 ms each with 50 lesions.
_last_checked: tuple[Project, tuple[Any, ...], tuple["ProtocolWarning", ...]] | None = None
#: the last count marks looked at with the images' geometry (:func:`_counted_twice`), likewise, with the geometries
_last_twice: tuple[Project, tuple[Any, ...], tuple[Any, ...], tuple["ProtocolWarning", ...]] | None = None


def check_pair(project: Project, patient_id: str, exam_pair_id: str, reader: str,
               reader_roles: ReaderRoles | None = None, geometry_of: GeometryOf | None = None,
               place_of: PlaceOf | None = None, images_of: ImagesOf | None = None) -> list[ProtocolWarning]:
    """Warnings on one reader's read of one exam pair, in a stable order; ``reader_roles`` (a reader study's
    sessions) narrows the series a read is asked for (:func:`annotation.records.expected_roles`). With
    ``geometry_of`` (the stacks' geometry, where the images are loaded) count marks on one lesion are looked for
    too (:func:`marks_counted_twice`): the store keeps no slice positions or pixel spacing for a mark. With
    ``place_of`` a lesion's lines far apart on two series are (:func:`lines_far_from`). With ``images_of`` (the stacks
    as loaded) a count mark is compared on the image of its SOP Instance UID, not at its stored index."""
    global _last_checked, _last_twice
    only = (reader_roles or {}).get(reader)
    asked = (patient_id, exam_pair_id, reader, only)
    last = _last_checked
    if last is not None and last[0] is project and last[1] == asked:
        out = list(last[2])
    else:
        out = _check_pair(project, patient_id, exam_pair_id, reader, reader_roles)
        _last_checked = (project, asked, tuple(out))
    if place_of is not None:
        out = [_size_worded(w, project, patient_id, exam_pair_id, reader, place_of) if w.code is CheckCode.SIZE_APART
               else w for w in out]
        out += _lines_apart(project, patient_id, exam_pair_id, reader, place_of)
    if geometry_of is None:
        return out
    out += _tilted_lines(project, patient_id, exam_pair_id, reader, geometry_of)
    # asked with the images' geometry (Checks) and without (the lesion grid, the exports): cached apart, so that the
    # two panels asking after every edit share the protocol's checks (one entry thrashed between them: a review)
    marks = project.marks_of(patient_id, exam_pair_id, reader)
    geometry: dict[str, StackGeometry] = {}
    images: dict[str, Sequence[ImageHeader]] = {}
    for key in sorted({m.stack_key for m in marks if m.stack_key}):
        geo = geometry_of(key)
        if geo is not None:
            geometry[key] = geo
            images[key] = images_of(key) if images_of is not None else ()
    # each geometry itself (compared by identity), not its id(): a stack's geometry freed with its volume gives its
    # id to a later one
    twice_asked = (patient_id, exam_pair_id, reader, tuple(geometry))
    geos = (*geometry.values(), *images.values())
    twice = _last_twice
    if twice is None or twice[0] is not project or twice[1] != twice_asked or len(twice[2]) != len(geos) \
            or any(a is not b for a, b in zip(twice[2], geos)):
        twice = _last_twice = (project, twice_asked, geos, tuple(_counted_twice(marks, geometry, images)))
    return out + list(twice[3])


def tilted(geo: StackGeometry) -> str | None:
    """What a stack's slices tilted off the axial plane make of a length drawn on them ("18.5° off the axial plane
    (gantry tilt)"), or None for a stack within :data:`~viewer.geometry.directions.OBLIQUE_NOTE_DEG` of it. A gantry-tilt
    CT hung as a reading series took lines as axial, unsaid, while `lesionlab index` warned "lengths drawn on them are
    not strictly axial" (a radiologist-engineer's check, session 48: 32.6 mm recorded on slices 18.5° off)."""
    angle = geo.orientation_angle_deg
    if geo.orientation.value != "axial" or angle <= OBLIQUE_NOTE_DEG:
        return None
    why = " (gantry tilt)" if geo.tilt_deg > TILT_LIMIT_DEG else ""
    return f"{angle:.1f}° off the axial plane{why}"


def _tilted_lines(project: Project, patient_id: str, exam_pair_id: str, reader: str,
                  geometry_of: GeometryOf) -> list[ProtocolWarning]:
    """A line drawn on a stack whose slices are tilted off the axial plane (where the images are loaded): its length
    is not the strictly axial diameter the protocol measures."""
    out = []
    for les in project.lesions_of(patient_id, exam_pair_id, reader):
        for role, m in les.measurements().items():
            geo = geometry_of(m.stack_key)
            off = tilted(geo) if geo is not None else None
            if off:
                out.append(ProtocolWarning(CheckCode.TILTED_LINE,
                                           f"{les.lesion_id} on {role_label(role)}: {m.diameter_mm:.1f} mm drawn on "
                                           f"slices {off}: not the strictly axial diameter the protocol measures",
                                           les.lesion_id, role))
    return out


def _check_pair(project: Project, patient_id: str, exam_pair_id: str, reader: str,
                reader_roles: ReaderRoles | None = None) -> list[ProtocolWarning]:
    out: list[ProtocolWarning] = []
    pair = project.exam_pairs.get((patient_id, exam_pair_id))
    if pair is not None and pair.interval_days is not None and pair.interval_days > MAX_PAIR_INTERVAL_DAYS:
        out.append(ProtocolWarning(CheckCode.LONG_INTERVAL,
                                   f"{exam_pair_id}: MRI and CT are {pair.interval_days} days apart "
                                   f"(the protocol pairs exams less than {MAX_PAIR_INTERVAL_DAYS} days apart)"))
    every = project.lesions_of(patient_id, exam_pair_id, reader)
    out.extend(_new_not_assessed(project, every))
    # the reading protocol's checks are about the liver's lesions: a node or a bone lesion is read on its
    # follow-up's series only, and is no larger lesion left unmeasured (a reader's check: a hilar node gave 13
    # warnings, on screen and in the xlsx); which lesions those are, as the counts and the analysis say it
    elsewhere = outside_liver(project)
    lesions = [les for les in every if les.key not in elsewhere]
    roles = expected_roles(pair, reader, reader_roles, project.roles_read(patient_id, exam_pair_id, reader))
    measured = [les for les in lesions if les.measurements()]
    if len(measured) > MAX_MEASURED_LESIONS:
        out.append(ProtocolWarning(CheckCode.TOO_MANY_MEASURED,
                                   f"{len(measured)} lesions measured in {exam_pair_id} (the protocol measures at"
                                   f" most {MAX_MEASURED_LESIONS}: {', '.join(les.lesion_id for les in measured)})"))
    for les in lesions:
        for role, m in les.measurements().items():
            if m.diameter_mm < MIN_DIAMETER_MM:
                out.append(ProtocolWarning(CheckCode.SMALL_DIAMETER,
                                           f"{les.lesion_id} on {role_label(role)}: {m.diameter_mm:.1f} mm is under the"
                                           f" {MIN_DIAMETER_MM:g} mm the protocol measures", les.lesion_id, role))
    for les in lesions:
        # started (N) and never read: it was silent everywhere, and left a gap in the ids; a lesion carried to a
        # follow-up exam (Shift+P) is the dock's "not assessed", not one to delete (a review)
        if not les.observations and les.key not in project.lesion_followups:
            out.append(ProtocolWarning(CheckCode.EMPTY_LESION,
                                       f"{les.lesion_id} has nothing recorded on any series (measure it, mark it not "
                                       "visible, or delete it)", les.lesion_id))
    for les in measured:
        missing = [r for r in roles if les.observation(r) is None]
        if missing:  # its role: the first series to read it on (where a click on the warning goes)
            # a follow-up lesion whose response series is read: the rest is the per-series comparison, not the
            # response (a radiologist's check read every carried lesion's "no status on CT arterial" as a gap)
            # (at a baseline every series is read, the lesions' sizes the study compares: no aside, a review)
            fu = project.lesion_followups.get(les.key)
            aside = (f"; its response reads {role_label(fu.assessed_role)} only, done"
                     if fu is not None and fu.assessed_role not in missing and les.observation(fu.assessed_role)
                     is not None and followed_before(project, reader, (patient_id, exam_pair_id)) else "")
            out.append(ProtocolWarning(CheckCode.MISSING_STATUS,
                                       f"{les.lesion_id} is measured on some series but has no status on "
                                       f"{', '.join(role_label(r) for r in missing)} (measure it, or mark it not "
                                       f"visible / not measurable{aside})", les.lesion_id, missing[0]))
    out.extend(_larger_unmeasured(lesions, roles))
    out.extend(_size_apart(lesions, roles))
    out.extend(_same_lesion_twice(lesions, roles))
    out.extend(_count_gaps(project, patient_id, exam_pair_id, reader, lesions, roles))
    out.extend(_lost_marks(project, lesions))
    for les in lesions:
        if les.lobe_contradicts_segment:
            assert les.segment is not None
            out.append(ProtocolWarning(CheckCode.LOBE_SEGMENT,
                                       f"{les.lesion_id} is in the {les.lobe.value} lobe but segment {les.segment.value}"
                                       f" lies in the {les.segment.lobe.value} liver", les.lesion_id))
    return out


def _lost_marks(project: Project, lesions: list[Lesion]) -> list[ProtocolWarning]:
    """A measured lesion whose count mark a project written before session 44 lost to another exam's (one mark id:
    annotation.lost_marks): said on opening once, and here until the reader counts it again."""
    return [ProtocolWarning(CheckCode.LOST_MARK,
                            f"{x.lesion_id} on {role_label(x.role)} lost its count mark to "
                            f"{exam_label(project, x.taken_by[0], x.taken_by[1])} in a lesionlab older than December "
                            "2026: the series counts it no more (C and a click on it counts it again)", x.lesion_id, x.role)
            for x in lost_count_marks(project, lesions)]


def case_lost_mark_warnings(project: Project, lost: Iterable[LostMark]) -> list[ProtocolWarning]:
    """A reader study case's lost marks (found when it opened: annotation.study_store.Study.open_case) not counted
    again since in ``project``, worded for a blinded reader: no exam, date or read names whose mark took theirs (the
    case's project holds none of them, so :func:`check_pair` finds none)."""
    return [ProtocolWarning(CheckCode.LOST_MARK,
                            f"{x.lesion_id} on {role_label(x.role)} lost its count mark in a lesionlab older than "
                            "December 2026: the series counts it no more (C and a click on it counts it again)",
                            x.lesion_id, x.role)
            for x in still_lost(project, lost)]


def _count_gaps(project: Project, patient_id: str, exam_pair_id: str, reader: str,
                lesions: list[Lesion], roles: tuple[Role, ...] = READING_ROLES) -> list[ProtocolWarning]:
    """Series not counted yet, and lesions measured where their lobe's count is 0 on a counted series."""
    out = []
    status = {role: project.count_status(patient_id, exam_pair_id, reader, role) for role in READING_ROLES}
    unread = [role_label(r) for r in roles if status[r] is CountStatus.NOT_READ]
    if unread:
        out.append(ProtocolWarning(CheckCode.NOT_COUNTED,
                                   f"{exam_pair_id}: not counted yet on {', '.join(unread)} (count the series, "
                                   "say 0 lesions, or mark it not countable)"))
    counts = project.counts(patient_id, exam_pair_id, reader)
    for les in lesions:
        for role in les.measurements():
            # a series not counted yet is said once above (a reader's check: nothing counted and five lesions
            # measured gave 24 such lines under the one that says it)
            if status[role] is CountStatus.COUNTED and counts[(role, les.lobe)] == 0:
                out.append(ProtocolWarning(CheckCode.MEASURED_NOT_COUNTED,
                                           f"{les.lesion_id} is measured on {role_label(role)} but that series' "
                                           f"{les.lobe.value} lobe is counted 0", les.lesion_id, role))
    return out


def _new_not_assessed(project: Project, lesions: list[Lesion]) -> list[ProtocolWarning]:
    """A new lesion of this exam not assessed (N on a follow-up exam, nothing drawn on its series: out of the
    response, and silent: a reader's check), in any organ; one carried from another exam is the Follow-up
    panel's "not assessed", not one to delete."""
    out = []
    for les in lesions:
        f = project.lesion_followups.get(les.key)
        if f is None or f.kind is not FollowupKind.NEW or f.status is not FollowupStatus.NOT_ASSESSED:
            continue
        if project.carried(les):
            continue  # carried (Shift+P): the panel's "not assessed", as for the targets and non-targets carried
        out.append(ProtocolWarning(CheckCode.NEW_NOT_ASSESSED,
                                   f"{les.lesion_id} is a new lesion not in the response until assessed: draw it on "
                                   f"{role_label(f.assessed_role)} (or mark it not measurable, or not visible), or "
                                   "delete it", les.lesion_id, f.assessed_role))
    return out


def _larger_unmeasured(lesions: list[Lesion], roles: tuple[Role, ...] = READING_ROLES) -> list[ProtocolWarning]:
    """On a series, a measured lesion smaller than a lesion left unread there that is larger elsewhere.

    The size of a lesion not measured on a series is its largest diameter on the other series;
    "unread" is the absence of a status (not visible / not measurable are answers, not gaps).
    """
    out = []
    sizes = [(les, les.largest_diameter_mm) for les in lesions]
    for role in roles:
        on_role = [(les, les.observation(role)) for les in lesions]
        measured = [(les, m) for les, m in on_role if isinstance(m, Measurement)]
        for (big, size), (_, here) in zip(sizes, on_role):
            if size is None or here is not None:
                continue
            for small, m in measured:
                if m.diameter_mm < size:
                    out.append(ProtocolWarning(
                        CheckCode.LARGER_UNMEASURED,
                        f"on {role_label(role)}, {small.lesion_id} is measured ({m.diameter_mm:.1f} mm) while the larger "
                        f"{big.lesion_id} ({size:.1f} mm on another series) is not (the protocol measures the"
                        " largest first)", small.lesion_id, role))
    return out


def _size_apart(lesions: list[Lesion], roles: tuple[Role, ...] = READING_ROLES) -> list[ProtocolWarning]:
    """A lesion's line on one series far from the median of its lines on two or more others
    (:data:`SIZE_APART_SHARE` of it and :data:`SIZE_APART_MM`): one warning per lesion, on the line furthest from
    its others' median (lines of 20, 30 and 40 mm are one spread, not two findings: a review); a line under the
    protocol's 5 mm is the small-diameter check's."""
    out = []
    for les in lesions:
        lines = {r: m.diameter_mm for r, m in les.measurements().items() if r in roles}
        if len(lines) < 3:
            continue
        apart = []
        for role, d in lines.items():
            others = [x for r, x in lines.items() if r is not role]
            median = float(np.median(others))
            if d >= MIN_DIAMETER_MM and abs(d - median) > max(SIZE_APART_SHARE * median, SIZE_APART_MM):
                apart.append((abs(d - median), role, d, others))
        if apart:
            _, role, d, others = max(apart, key=lambda x: x[0])
            out.append(ProtocolWarning(
                CheckCode.SIZE_APART,
                f"{les.lesion_id} on {role_label(role)}: {d:.1f} mm, against {min(others):.1f}-{max(others):.1f} mm "
                f"on its other {len(others)} series: drawn across part of it, or on another lesion? {CLICK_HERE}to "
                "see it)", les.lesion_id, role))
    return out


def _placed(les: Lesion, place_of: PlaceOf) -> dict[Role, tuple[tuple[str, tuple[float, float, float]], float]]:
    """Where each line of ``les`` lies (its stack loaded) and its length: each asked once."""
    out = {}
    for role, m in les.measurements().items():
        at = place_of(m)
        if at is not None:
            out[role] = (at, m.diameter_mm)
    return out


def _far(placed: dict[Role, tuple[tuple[str, tuple[float, float, float]], float]], role: Role) -> list[tuple[Role, float]]:
    """The lines of ``placed`` in the frame of ``role``'s whose middles lie further from its middle than one lesion's
    lines lie (:func:`apart_bound_mm`), with the mm; [] when one lies nearer."""
    here = placed.get(role)
    if here is None:
        return []
    far = []
    for other, there in placed.items():
        if other is role or there[0][0] != here[0][0]:
            continue
        apart = math.dist(here[0][1], there[0][1])
        if apart <= apart_bound_mm(here[1], there[1]):
            return []
        far.append((other, apart))
    return far


def apart_bound_mm(a_mm: float, b_mm: float) -> float:
    """How far apart the middles of one lesion's lines of ``a_mm`` and ``b_mm`` on two series may lie: beyond it, two
    lesions? :data:`APART_MIN_MM`, and the less of :data:`APART_TIMES` the longer line and the lines' half-lengths
    with :data:`APART_SLACK_MM` (lines that cannot overlap)."""
    return max(APART_MIN_MM, min(APART_TIMES * max(a_mm, b_mm), (a_mm + b_mm) / 2 + APART_SLACK_MM))


def _size_worded(w: ProtocolWarning, project: Project, patient_id: str, exam_pair_id: str, reader: str,
                 place_of: PlaceOf) -> ProtocolWarning:
    """A size apart said as what the lines' places show (their images loaded): "on another lesion?" where the line
    lies apart from the lesion's others (:func:`_far`), "drawn across part of it?" where it overlaps every one of
    them; both otherwise, or where its place is not known."""
    les = project.lesions.get((patient_id, exam_pair_id, reader, w.lesion_id or ""))
    placed = _placed(les, place_of) if les is not None else {}
    here = placed.get(w.role) if w.role is not None else None
    if here is None:
        return w
    others = [there for r, there in placed.items() if r is not w.role and there[0][0] == here[0][0]]
    if not others:
        return w
    both = "drawn across part of it, or on another lesion?"
    if w.role is not None and _far(placed, w.role):
        return replace(w, message=w.message.replace(both, "on another lesion?"))
    if all(math.dist(here[0][1], there[0][1]) <= (here[1] + there[1]) / 2 for there in others):
        return replace(w, message=w.message.replace(both, "drawn across part of it?"))
    return w


def lines_far_from(les: Lesion, role: Role, place_of: PlaceOf) -> list[tuple[Role, float]]:
    """The series whose line of ``les`` lies far from its line on ``role`` (:func:`_far`), when it lies far from
    every line of ``les`` it can be compared with (one near line says that one is the lesion's); [] else."""
    return _far(_placed(les, place_of), role)


def _lines_apart(project: Project, patient_id: str, exam_pair_id: str, reader: str,
                 place_of: PlaceOf) -> list[ProtocolWarning]:
    """A lesion's line on a series far from all its lines on the other series it can be compared with: two lesions
    measured as one? Two lines far from each other alone are one warning (which is the lesion's is not known)."""
    out = []
    elsewhere = outside_liver(project)
    for les in project.lesions_of(patient_id, exam_pair_id, reader):
        if les.key in elsewhere or len(les.observations) < 2:
            continue
        placed = _placed(les, place_of)
        said: set[Role] = set()
        for role in (r for r in READING_ROLES if r in placed):
            far = _far(placed, role)
            if not far or (len(far) == 1 and far[0][0] in said):
                continue
            said.add(role)
            other, apart = min(far, key=lambda x: x[1])
            shown: Role | None = role
            if [r for r, _ in _far(placed, other)] == [role]:  # two lines, each alone: which is it?
                where = f"{les.lesion_id}'s lines on {role_label(role)} and {role_label(other)} lie {apart:.0f} mm apart"
                shown = None  # no series to single out: a click shows the lesion on every series (a review: the first)
            else:
                more = f" (and {len(far) - 1} more)" if len(far) > 1 else ""
                where = f"{les.lesion_id} on {role_label(role)} lies {apart:.0f} mm from its line on {role_label(other)}{more}"
            out.append(ProtocolWarning(
                CheckCode.LINES_APART, f"{where}: another lesion measured as {les.lesion_id}? {CLICK_HERE}to see it)",
                les.lesion_id, shown))
    return out


def lines_overlap(a: Measurement, b: Measurement, z_apart_mm: float | None = None) -> float | None:
    """How far apart (mm) the middles of two lines on one stack lie when they measure the same
    lesion, or None. A lesion counted twice: N pressed, then the lesion already measured drawn again.

    The same lesion: the middles within half the *shorter* line of each other (a lesion touching
    the flank of an elongated one is further: its half-length plus the other's half-width). In 3-D
    when the distance between the two slices is known (``z_apart_mm``, from the stack's geometry:
    two small lesions on neighbouring 7 mm slices are not one); without it (the store keeps no slice
    positions) on the same slice or the next one, in the slice's plane."""
    if a.stack_key != b.stack_key:
        return None
    apart = in_plane_distance_mm(a.middle, b.middle, a.row_spacing_mm, a.column_spacing_mm)
    if z_apart_mm is not None:
        apart = math.hypot(apart, z_apart_mm)
    elif abs(a.slice_index - b.slice_index) > 1:
        return None
    return apart if apart < 0.5 * min(a.diameter_mm, b.diameter_mm) else None


def _near_pairs(lines: list[dict[Role, Measurement]]) -> list[tuple[int, int]]:
    """The pairs (i, j), i < j, in order, of lesions with lines on one series, stack and the same or the next slice:
    the only ones :func:`lines_overlap` (without slice positions) may find on each other. Each lesion against every
    other was 14 ms of an undo's 30 with 65 lesions in the exam (quadratic)."""
    at: dict[tuple[Role, str, int], list[int]] = {}
    for i, per_role in enumerate(lines):
        for role, m in per_role.items():
            at.setdefault((role, m.stack_key, m.slice_index), []).append(i)
    pairs: set[tuple[int, int]] = set()
    for (role, stack, k), here in at.items():
        for step in (0, 1):
            there = here if step == 0 else at.get((role, stack, k + 1), [])
            pairs.update((min(i, j), max(i, j)) for i in here for j in there if i != j)
    return sorted(pairs)


def _same_lesion_twice(lesions: list[Lesion], roles: tuple[Role, ...] = READING_ROLES) -> list[ProtocolWarning]:
    """Two lesions whose lines lie on each other (:func:`lines_overlap`) on one or more series: one
    warning per pair, naming the series (the first of them is where Checks jumps)."""
    out = []
    lines = [{r: m for r, m in les.measurements().items() if r in roles} for les in lesions]
    for i, j in _near_pairs(lines):
        first, second, found = lesions[i], lesions[j], []
        for role in roles:
            a, b = lines[i].get(role), lines[j].get(role)
            if a is not None and b is not None:
                apart = lines_overlap(a, b)
                if apart is not None:
                    found.append((role, a, b, apart))
        if not found:
            continue
        role, a, b, apart = found[0]
        where = "the same slice" if a.slice_index == b.slice_index else "neighbouring slices"
        also = f" (also on {', '.join(role_label(r) for r, *_ in found[1:])})" if len(found) > 1 else ""
        out.append(ProtocolWarning(
            CheckCode.SAME_LESION,
            f"on {role_label(role)}{also}, {first.lesion_id} ({a.diameter_mm:.1f} mm) and {second.lesion_id} "
            f"({b.diameter_mm:.1f} mm) are measured on {where}, their middles {apart:.1f} mm apart: the same "
            f"lesion counted twice? (delete one, or redraw it on its own lesion)", second.lesion_id, role))
    return out


def marks_counted_twice(marks: Sequence[CountMark], geo: StackGeometry, images: Sequence[ImageHeader] = ()
                        ) -> list[tuple[CountMark, CountMark, float, float]]:
    """The pairs (a, b, mm apart in the slice's plane, mm apart along its normal) of count marks of the stack ``geo``
    that may count one lesion twice: within :data:`TWICE_IN_PLANE_MM` of each other in the slice's plane and
    :data:`TWICE_ALONG_MM` along its normal, or :data:`TWICE_SAME_SLICE_MM` on one slice, in ``marks``' order. Two marks of measured lesions are the lines' to
    compare (:func:`lines_overlap`), not the marks'; a mark on a slice the stack does not have is left out. With
    ``images`` (the stack as loaded, volume order) a mark is on the image of its SOP Instance UID
    (:func:`annotation.placement.slice_of`; its stored index counts the images of the load it was placed on), and
    one whose image is missing from it is left out."""
    at = {m.mark_id: k for m in marks if (k := slice_of(m, images) if images else m.slice_index) is not None}
    on = [m for m in marks if m.mark_id in at and 0 <= at[m.mark_id] < geo.n_slices]
    if len(on) < 2:
        return []
    ks = [at[m.mark_id] for m in on]
    pts = geo.patient_points(ks, [m.row for m in on], [m.col for m in on])
    d = pts[:, None, :] - pts[None, :, :]
    along = np.abs(d @ np.asarray(geo.normal, float))
    in_plane = np.sqrt(np.maximum(np.einsum("ijk,ijk->ij", d, d) - along ** 2, 0.0))
    same_slice = np.asarray(ks)[:, None] == np.asarray(ks)[None, :]
    close = ((in_plane <= TWICE_IN_PLANE_MM) & (along <= TWICE_ALONG_MM)) | (same_slice & (in_plane <= TWICE_SAME_SLICE_MM))
    near = np.argwhere(np.triu(close, 1))
    return [(on[i], on[j], float(in_plane[i, j]), float(along[i, j])) for i, j in near
            if on[i].stack_key == on[j].stack_key and not (on[i].lesion_id and on[j].lesion_id)]


def _counted_twice(marks: Sequence[CountMark], geometry: dict[str, StackGeometry],
                   images: Mapping[str, Sequence[ImageHeader]] | None = None) -> list[ProtocolWarning]:
    """One warning per group of count marks that may count one lesion more than once (marks joined by
    :func:`marks_counted_twice`, two or more), on the stacks whose geometry is known; a click goes to the lowest
    slice's count click (the later one scrolling down from the top, as the overlay's Im numbers run), never to a
    measured lesion's own mark. ``images``: the stacks as loaded, by key, on which each mark is on its own image
    (:func:`marks_counted_twice`)."""
    out = []
    by_stack: dict[str, list[CountMark]] = {}
    for m in marks:
        if m.stack_key in geometry:
            by_stack.setdefault(m.stack_key, []).append(m)
    for key, group in sorted(by_stack.items()):
        geo, shown = geometry[key], (images or {}).get(key, ())
        at = {m.mark_id: slice_of(m, shown) if shown else m.slice_index for m in group}
        group = [m for m in group if at[m.mark_id] is not None]  # its image missing: on no slice to compare
        group.sort(key=lambda m: (-(at[m.mark_id] or 0), m.mark_id))
        n = geo.n_slices
        pairs = marks_counted_twice(group, geo, shown)
        if not pairs:
            continue
        # three clicks on one lesion are one warning, not three (a radiologist's check): the groups are the connected
        # components of the pairs
        index = {m.mark_id: i for i, m in enumerate(group)}
        ij = np.array([(index[a.mark_id], index[b.mark_id]) for a, b, _, _ in pairs])
        graph = coo_matrix((np.ones(len(ij)), (ij[:, 0], ij[:, 1])), shape=(len(group), len(group)))
        _, label = connected_components(graph, directed=False)
        clusters: dict[int, list[CountMark]] = {}
        for m, lab in zip(group, label):
            clusters.setdefault(int(lab), []).append(m)
        widest: dict[int, tuple[float, float]] = {}
        for a, _, in_plane, along in pairs:
            w = widest.get(int(label[index[a.mark_id]]), (0.0, 0.0))
            widest[int(label[index[a.mark_id]])] = (max(w[0], in_plane), max(w[1], along))
        for rid, members in clusters.items():
            if len(members) < 2:
                continue
            ims = sorted({n - (at[m.mark_id] or 0) for m in members})
            where = "Im " + (", ".join(map(str, ims[:-1])) + f" and {ims[-1]}" if len(ims) > 1 else str(ims[0]))
            owners = [m.lesion_id for m in members if m.lesion_id]
            whose = f", {'one' if len(owners) == 1 else len(owners)} of them {' and '.join(o + chr(39) + 's' for o in owners)}," \
                if owners else ""
            go = next(m for m in reversed(members) if not m.lesion_id)  # a pair of two lesions' marks is no group
            in_plane, along = widest[rid]
            how = "two count marks" if len(members) == 2 else f"{len(members)} count marks"
            times = "twice" if len(members) == 2 else f"{len(members)} times"
            apart = (f"{in_plane:.1f} mm apart in the slice's plane" + (f" and {along:.0f} mm through the slices"
                                                                         if along >= 0.5 else " on one slice")
                     if len(members) == 2 else f"within {in_plane:.1f} mm in the slice's plane and {along:.0f} mm "
                     "through the slices")
            out.append(ProtocolWarning(
                CheckCode.COUNTED_TWICE,
                f"on {role_label(go.role)}, {how}{whose} {apart} ({where}): one lesion counted {times}? {CLICK_HERE}"
                f"to see {'the count click' if owners and len(members) == 2 else 'the one on Im ' + str(n - (at[go.mark_id] or 0))};"
                " Del deletes it)", None, go.role, go.mark_id))
    return out


def check_patient(project: Project, patient_id: str) -> list[ProtocolWarning]:
    """Warnings on the clinical record: the entered grade against Ki-67 and mitoses; a treatment the record says was
    not given that a treatment line names (a radiologist's read: lines of 177Lu-DOTATATE and everolimus beside
    treat_targeted_therapy=false); "no" answers carried from a store that could not tell them from not recorded."""
    patient = project.patients.get(patient_id)
    if patient is None:
        return []
    c = patient.clinical
    out = [ProtocolWarning(CheckCode.GRADE_DISAGREES, c.grade_disagreement)] if c.grade_disagreement else []
    # the lines by start date, numbered as the Follow-up panel shows them (not by their store ids: a review)
    for shown, line in enumerate(lines_of(project, patient_id), start=1):
        for t in treatments_named(line.name):
            if c.treatment(t) is False:
                out.append(ProtocolWarning(CheckCode.TREATMENT_SAYS_NO, (
                    f"treatment line {shown} ({line.name!r}) is {t.label}, which the clinical "
                    f"record says was not given: set it to yes, or correct the line")))
    if c.treatments_unconfirmed and c.treatments_no:
        out.append(ProtocolWarning(CheckCode.TREATMENTS_UNCONFIRMED, (
            "treatments recorded \"no\" in a store that could not tell no from not recorded ("
            + ", ".join(t.label for t in Treatment if t in c.treatments_no)
            + "): confirm them in the clinical record, or set the unknown ones to not recorded")))
    return out
