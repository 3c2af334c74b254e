"""Group image headers into stacks: patient -> study -> series -> stack (what one viewport shows).

Split rules for one series (../shared/realdicom/MANIFEST.md shows why each one):

1. Always split by image size, pixel spacing, orientation (direction cosines equal within the
   geometry's ``SAME_ORIENTATION_TOL``, the loader's test), b-value and *semantic* image
   type (ADC, TRACEW, SUBTRACT, phase, water/fat, MIP ...; see :data:`SEMANTIC_TYPES`). Other
   ImageType values (``ADD`` on the GE tilt CT, ``ORIGINAL`` vs ``DERIVED``) do not split.
2. Only when slice positions then still repeat, split by the first attribute that separates
   them into complete volumes: temporal position, acquisition number, trigger time, echo time,
   acquisition time. "Complete" means as many groups as the most repeated position has copies,
   each without repeated positions: the Siemens DWI (every slice its own AcquisitionTime) and
   the GE tilt CT (AcquisitionNumber 1..21 over 28 distinct positions) stay whole.
3. If nothing separates them, the k-th copy of each position (in acquisition order) goes to
   volume k, with a warning.

Duplicate SOP instances (same SOP Instance UID and frame, wherever the copy sits) count once.
An image whose ImageOrientationPatient or ImagePositionPatient cannot place it (zero-length,
parallel or non-finite directions, positions that are not finite or absurdly far) is skipped
with the reason; the rest of its series is still indexed.
Localizers (ImageType LOCALIZER, or a few slices named scout/survey/localizer...) are listed
apart. Each stack's geometry comes from :meth:`StackGeometry.from_slices`.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Any, Callable, Sequence

import numpy as np

from viewer.geometry import (DUPLICATE_TOL_MM, SpacingSource, StackGeometry, classify_orientation, orientation_problem,
                             position_problem, projections_mm, same_orientation, slice_normal)
from viewer.records import ImageHeader, NonImageKind, NonImageObject, Role, SkippedFile, StackInfo

#: ImageType values that make images of one series different things to look at.
SEMANTIC_TYPES = frozenset({
    "ADC", "EADC", "TRACEW", "TRACE", "EXP", "FA", "CALC_BVALUE", "SUBTRACT", "SUB", "MIP", "MINIP",
    "MPR", "PROJECTION IMAGE", "P", "PHASE", "R", "REAL", "I", "IMAGINARY", "W", "F", "WATER", "FAT",
    "IN_PHASE", "OUT_PHASE", "OPP_PHASE", "T1 MAP", "T2 MAP", "T2_STAR MAP", "T1MAP", "T2MAP", "MOCO",
})
#: Series named like this with at most this many slices per stack are localizers.
LOCALIZER_MAX_SLICES = 10
_LOCALIZER_NAME = re.compile(
    r"(scout|survey|locali[sz]er|\bloc\b|3.?pl(ane)?.?loc|topogram|scanogram|surview|tri.?pilot|\bpilot\b|aahscout)",
    re.IGNORECASE)

_SplitKey = tuple[str, Callable[[ImageHeader], object], Callable[[object], str]]
_REPEAT_KEYS: tuple[_SplitKey, ...] = (
    ("temporal position", lambda h: h.temporal_position, lambda v: f"t{v}"),
    ("acquisition number", lambda h: h.acquisition_number, lambda v: f"acq{v}"),
    ("trigger time", lambda h: h.trigger_time_ms, lambda v: f"trigger {v:g} ms"),
    ("echo time", lambda h: h.echo_time_ms, lambda v: f"TE {v:g} ms"),
    ("acquisition time", lambda h: h.acquisition_time, lambda v: f"time {v}"),
)


def semantic_type(header: ImageHeader) -> tuple[str, ...]:
    """The ImageType values (3rd on) that change what the image shows, sorted."""
    return tuple(sorted({v for v in header.image_type[2:] if v in SEMANTIC_TYPES}))


def deduplicate(headers: Sequence[ImageHeader]) -> tuple[list[ImageHeader], list[tuple[ImageHeader, ImageHeader]]]:
    """Keep the first copy of each (SOP Instance UID, frame); also return (copy, kept) pairs."""
    seen: dict[tuple[str, int], ImageHeader] = {}
    kept: list[ImageHeader] = []
    copies: list[tuple[ImageHeader, ImageHeader]] = []
    for h in headers:
        key = (h.sop_instance_uid, h.frame)
        first = seen.get(key)
        if first is not None and h.sop_instance_uid:
            copies.append((h, first))
            continue
        seen[key] = h
        kept.append(h)
    return kept, copies


def _projection_keys(imgs: Sequence[ImageHeader], normal: np.ndarray) -> list[int]:
    pos = np.array([h.position_mm for h in imgs], float)
    return [int(v) for v in np.round(projections_mm(pos, normal) / DUPLICATE_TOL_MM)]


def _max_repeat(imgs: Sequence[ImageHeader], normal: np.ndarray) -> int:
    return max(Counter(_projection_keys(imgs, normal)).values())


def _split_repeats(imgs: list[ImageHeader], normal: np.ndarray) -> tuple[list[tuple[str, list[ImageHeader]]], str | None]:
    """Split a group whose positions repeat into volumes (rules 2 and 3 of the module doc)."""
    repeats = _max_repeat(imgs, normal)
    if repeats == 1:
        return [("", imgs)], None
    for name, key, label in _REPEAT_KEYS:
        groups: dict[object, list[ImageHeader]] = defaultdict(list)
        for h in imgs:
            groups[key(h)].append(h)
        if len(groups) != repeats or None in groups or "" in groups:
            continue
        if all(_max_repeat(g, normal) == 1 for g in groups.values()):
            return [(label(v), groups[v]) for v in sorted(groups, key=_sortable)], None
    order = sorted(range(len(imgs)), key=lambda i: (imgs[i].acquisition_time, imgs[i].instance_number or 0,
                                                     str(imgs[i].file), imgs[i].frame))
    seen: Counter[int] = Counter()
    parts: dict[int, list[ImageHeader]] = defaultdict(list)
    keys = _projection_keys(imgs, normal)
    for i in order:
        parts[seen[keys[i]]].append(imgs[i])
        seen[keys[i]] += 1
    warning = (f"slice positions repeat {repeats} times and no header attribute separates the copies:"
               " split into volumes by order of acquisition")
    return [(f"#{k + 1}", parts[k]) for k in sorted(parts)], warning


def _sortable(v: object) -> tuple[int, float, str]:
    if isinstance(v, (int, float)):
        return (0, float(v), "")
    return (1, 0.0, str(v))


def _orientation_clusters(imgs: Sequence[ImageHeader]) -> list[int]:
    """Cluster number of each image's IOP (the same orientation as the cluster's first, by the geometry's test:
    a looser test here made stacks the loader refuses)."""
    reps: list[np.ndarray] = []
    known: dict[tuple[float, ...], int] = {}
    out = []
    for h in imgs:
        cluster = known.get(h.orientation)  # type: ignore[arg-type]
        if cluster is None:
            iop = np.asarray(h.orientation, float)
            cluster = next((i for i, r in enumerate(reps) if same_orientation(iop, r)), len(reps))
            if cluster == len(reps):
                reps.append(iop)
            known[h.orientation] = cluster  # type: ignore[index]
        out.append(cluster)
    return out


def _spacing_key(h: ImageHeader) -> tuple[float, ...]:
    """The in-plane spacing a stack's geometry takes (PixelSpacing, else ImagerPixelSpacing); () when none."""
    spacing = h.pixel_spacing_mm if h.pixel_spacing_mm is not None else h.imager_pixel_spacing_mm
    if spacing is None or not all(math.isfinite(v) for v in spacing):  # NaN never equals itself: one key for all
        return ()
    return tuple(round(float(v), 6) for v in spacing)


def split_series(imgs: Sequence[ImageHeader]) -> list[tuple[tuple[Any, ...], str, list[ImageHeader], list[str]]]:
    """Split one series into stacks: (sort key, split label, images, warnings) per stack."""
    clusters = _orientation_clusters(imgs)
    groups: dict[tuple[Any, ...], list[ImageHeader]] = defaultdict(list)
    for h, c in zip(imgs, clusters):
        b = None if h.b_value is None else round(h.b_value, 1)
        # one spacing per stack: a stack's geometry has one, and a slice measured with another's is wrong
        groups[(semantic_type(h), -1.0 if b is None else b, c, h.pixel.rows, h.pixel.columns,
                _spacing_key(h))].append(h)
    keys = list(groups)
    vary = [len({k[i] for k in keys}) > 1 for i in range(6)]
    out = []
    for key in sorted(keys):
        sem, b, cluster, rows, cols, spacing = key
        members = groups[key]
        parts = []
        if vary[0]:
            parts.append("+".join(sem) if sem else "base")
        if vary[1]:
            parts.append(f"b{b:g}" if b >= 0 else "no b")
        if vary[2]:
            normal = slice_normal(members[0].orientation)  # type: ignore[arg-type]
            parts.append(f"{classify_orientation(normal)[0].value}{cluster + 1}")
        if vary[3] or vary[4]:
            parts.append(f"{rows}x{cols}")
        if vary[5]:
            parts.append("x".join(f"{v:g}" for v in spacing) + " mm" if spacing else "no spacing")
        normal = slice_normal(members[0].orientation)  # type: ignore[arg-type]
        volumes, warning = _split_repeats(members, normal)
        for i, (vol_label, vol) in enumerate(volumes):
            label = " ".join(p for p in (*parts, vol_label) if p)
            out.append(((*key, i), label, vol, [warning] if warning else []))
    return out


def is_localizer(imgs: Sequence[ImageHeader]) -> bool:
    """ImageType LOCALIZER, or a handful of slices in a series named like a scout."""
    if any("LOCALIZER" in h.image_type for h in imgs):
        return True
    name = f"{imgs[0].series_description} {imgs[0].protocol_name}"
    return len(imgs) <= LOCALIZER_MAX_SLICES and bool(_LOCALIZER_NAME.search(name))


def _most_common(values: Sequence[float | None]) -> tuple[float | None, list[float]]:
    present = [round(v, 4) for v in values if v is not None]
    if not present:
        return None, []
    counts = Counter(present)
    best = max(counts.values())
    return min(v for v, c in counts.items() if c == best), sorted(counts)


#: The longest SOP Instance UID DICOM allows (PS3.5 9.1); annotation.placement.UID_MAX
UID_MAX = 64


def long_uid_warnings(imgs: Sequence[ImageHeader]) -> list[str]:
    """What a reader is told of images whose SOP Instance UID is longer than DICOM's 64 characters (a non-conformant
    file, read all the same): lines and count marks name them by the UID's first 64 characters, as the SR export
    does; two images whose UIDs agree on those are told apart by the stored index only."""
    long = [h for h in imgs if len(h.sop_instance_uid) > UID_MAX]
    if not long:
        return []
    out = [f"SOP Instance UID longer than {UID_MAX} characters (DICOM's limit: a non-conformant file) in {len(long)} "
           f"image(s), e.g. {long[0].sop_instance_uid}: its lines and count marks name such an image by the UID's "
           f"first {UID_MAX} characters, in the store and in the SR export alike (a PACS may not find the image by "
           "that UID)"]
    cut: dict[str, set[str]] = {}
    for h in imgs:
        cut.setdefault(h.sop_instance_uid[:UID_MAX], set()).add(h.sop_instance_uid)
    clash = sum(len(uids) for uids in cut.values() if len(uids) > 1)
    if clash:
        out.append(f"{clash} image(s) whose SOP Instance UIDs agree on their first {UID_MAX} characters: their lines "
                   "and count marks are told apart by their index in the stack only (wrong with a file missing "
                   "from the folder)")
    return out


def make_stack(label: str, imgs: Sequence[ImageHeader], extra_warnings: Sequence[str]) -> StackInfo:
    """A StackInfo (role still unknown) with its geometry facts. Raises ValueError on bad geometry."""
    first = imgs[0]
    spacing, source = first.pixel_spacing_mm, SpacingSource.PIXEL_SPACING
    if spacing is None:
        spacing = first.imager_pixel_spacing_mm
        source = SpacingSource.IMAGER_PIXEL_SPACING if spacing else SpacingSource.NONE
    thickness, thicknesses = _most_common([h.slice_thickness_mm for h in imgs])
    positions = [h.position_mm for h in imgs if h.position_mm is not None]
    if first.orientation is None or len(positions) != len(imgs):
        raise ValueError("a stack needs ImageOrientationPatient and ImagePositionPatient on every slice")
    geo, order = StackGeometry.from_slices(
        first.pixel.rows, first.pixel.columns, first.orientation,
        positions, spacing, source, thickness, first.gantry_tilt_deg)
    ordered = tuple(imgs[int(i)] for i in order)
    warnings = list(extra_warnings) + list(geo.warnings)
    zero_slope = sum(h.rescale_slope_zero for h in imgs)
    if zero_slope:  # read as 1: said, not silent (a helper's copy with slope 0 measured as if nothing were wrong)
        warnings.append(f"RescaleSlope 0 in {zero_slope} of {len(imgs)} image(s), read as 1 (a slope of 0 would make "
                        "every pixel the intercept): check the values")
    if not geo.measurable:
        warnings.append(f"not measurable in mm: {geo.not_measurable_reason}")
    warnings.extend(long_uid_warnings(imgs))
    if len(thicknesses) > 1:
        warnings.append("mixed slice thicknesses: " + ", ".join(f"{t:g}" for t in thicknesses) + " mm")
    if len({h.pixel_spacing_mm for h in imgs}) > 1:
        warnings.append("pixel spacing differs between slices; the first slice's is used")
    times = sorted(h.acquisition_time for h in imgs if h.acquisition_time)
    key = first.series_instance_uid + (f"#{label}" if label else "")
    return StackInfo(
        key=key, patient_id=first.patient_id, patient_name=first.patient_name,
        study_instance_uid=first.study_instance_uid, study_date=first.study_date,
        study_description=first.study_description, series_instance_uid=first.series_instance_uid,
        series_number=first.series_number, series_description=first.series_description,
        modality=first.modality, frame_of_reference_uid=first.frame_of_reference_uid,
        role=Role.UNKNOWN, role_confidence=0.0, role_reason="not classified yet",
        b_value=first.b_value, n_slices=len(ordered), rows=first.pixel.rows, columns=first.pixel.columns,
        pixel_spacing_mm=geo.pixel_spacing_mm, slice_spacing_mm=geo.slice_spacing_mm,
        slice_thickness_mm=thickness, orientation=geo.orientation.value, warnings=tuple(warnings),
        images=ordered, split_label=label, acquisition_time=times[0] if times else "")


def build_stacks(headers: Sequence[ImageHeader]) -> tuple[list[StackInfo], list[NonImageObject], list[SkippedFile], list[str]]:
    """Stacks (role unknown, in no particular order), localizers, images without geometry, warnings."""
    kept, copies = deduplicate(headers)
    warnings = [f"duplicate SOP instance {c.sop_instance_uid}: {c.file} is a copy of {k.file}; counted once"
                for c, k in copies]
    duplicated = {(k.sop_instance_uid, k.frame) for _c, k in copies}
    skipped: list[SkippedFile] = []
    non_images: list[NonImageObject] = []
    by_series: dict[str, list[ImageHeader]] = defaultdict(list)
    for h in kept:
        if h.position_mm is None or h.orientation is None:
            skipped.append(SkippedFile(_where(h), f"no ImagePositionPatient/ImageOrientationPatient ({h.modality}"
                                                  " image): not part of a cross-sectional stack"))
            continue
        problem = orientation_problem(h.orientation) or position_problem(h.position_mm)
        if problem:  # one bad file must not take its series (or the index) down with it
            skipped.append(SkippedFile(_where(h), f"unusable geometry: {problem}; the image is left out of"
                                                  " its series"))
            continue
        by_series[h.series_instance_uid or f"(no series UID) {h.file}"].append(h)
    stacks: list[StackInfo] = []
    for series_imgs in by_series.values():
        imgs, others = _one_owner(series_imgs)
        skipped.extend(others)
        if not imgs:
            continue
        for _key, label, vol, notes in split_series(imgs):
            n_dup = sum(1 for h in vol if (h.sop_instance_uid, h.frame) in duplicated) if duplicated else 0
            if n_dup:
                notes = [*notes, f"{n_dup} image(s) found twice (same SOP Instance UID): counted once"]
            if is_localizer(vol):
                non_images.extend(_localizer(h) for h in vol)
                continue
            try:
                stacks.append(make_stack(label, vol, notes))
            except ValueError as exc:
                skipped.extend(SkippedFile(_where(h), f"unusable geometry: {exc}") for h in vol)
    return stacks, non_images, skipped, warnings


def _one_owner(imgs: list[ImageHeader]) -> tuple[list[ImageHeader], list[SkippedFile]]:
    """The images of one series UID that belong to the patient and study most of them name, and the others skipped
    (a tie: all of them), each naming what the series holds. A series UID carried by images of two PatientIDs or two
    studies (a bad UID generator, a merge, a tool that rewrote the ids and not the UIDs) made one stack of both
    patients' slices, under the first file's patient, and said nothing."""
    owners = Counter((h.patient_id, h.study_instance_uid) for h in imgs)
    if len(owners) == 1:
        return imgs, []
    ranked = owners.most_common()
    top = ranked[0][1]
    kept = ranked[0][0] if ranked[1][1] < top else None
    by_patient = len({pid for pid, _study in owners}) > 1

    def owner(pid: str, study: str) -> str:
        return f"PatientID {pid!r}" if by_patient else f"study {study or '(none)'}"

    holds = ", ".join(f"{n} of {owner(*key)}" for key, n in ranked)
    which = (f"the series' images of {owner(*kept)} are kept" if kept is not None
             else "none has most of them, so none is kept")
    out, skipped = [], []
    for h in imgs:
        if (h.patient_id, h.study_instance_uid) == kept:
            out.append(h)
            continue
        skipped.append(SkippedFile(_where(h), f"series {h.series_instance_uid} holds the images of more than one "
                                              f"{'patient' if by_patient else 'study'} ({holds}): this one, of "
                                              f"{owner(h.patient_id, h.study_instance_uid)}, is left out; {which}"))
    return out, skipped


def _where(h: ImageHeader) -> str:
    return f"{h.file} frame {h.frame + 1}" if h.pixel.number_of_frames > 1 else str(h.file)


def _localizer(h: ImageHeader) -> NonImageObject:
    return NonImageObject(path=_where(h), kind=NonImageKind.LOCALIZER, patient_id=h.patient_id,
                          study_instance_uid=h.study_instance_uid, series_instance_uid=h.series_instance_uid,
                          series_description=h.series_description, modality=h.modality,
                          sop_class_uid=h.sop_class_uid)


def stack_sort_key(s: StackInfo) -> tuple[Any, ...]:
    """Deterministic order: patient, study date/time, study, series number, series, split."""
    first = s.images[0]
    b = -1.0 if s.b_value is None else s.b_value
    return (s.patient_id, s.study_date, first.study_time, s.study_instance_uid,
            s.series_number if s.series_number is not None else 1 << 30, s.series_instance_uid,
            " ".join(semantic_type(first)), b, s.acquisition_time, s.split_label)
