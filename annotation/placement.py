"""Which image of a stack, as loaded, a measurement was drawn on: the one place a line meets a slice index.

A measurement names its image by SOP Instance UID (and frame, for an enhanced multi-frame file). Its stored
``slice_index`` is the image's index in the stack as it was loaded when the line was recorded: a folder with
one file missing (unreadable, truncated, not copied) shifts every index above the gap by one, so the stored
index is never trusted across loads (a radiologist's check: L1 measured on DWI #49 was drawn on #48, 5 mm
away, once IM0052 of the series was truncated, and a drag there recorded 46.2 mm against #49). Every reader
of "which slice shows this line" asks :func:`slice_of`; a line whose image is not in the stack as loaded is on
no slice (:data:`MISSING`): not drawn, not editable, and said so (:func:`missing_text`).

Only a record without a UID (older stores, a test's bare record) falls back to its stored index.

A count mark names its image the same way (``sop_instance_uid``, store schema 16) and is placed by the same
:func:`slice_of`: drawn, picked, moved and compared on its own image, on none when that image is missing (it still
counts: the reader counted the lesion). A mark of an older store keeps its stored index. A mark names its frame of an
enhanced multi-frame file too (``frame_number``, store schema 17); one of a store before keeps its stored index to
tell the frame, on the first frame of its file when that index no longer shows it.

A SOP Instance UID is at most 64 characters (:data:`UID_MAX`); a file carrying a longer one is non-conformant and is
still read: a record names such an image by the UID's first 64 characters (:func:`recorded_uid`), as the SR export
writes it and import-sr reads it back, and :func:`slice_of` matches images by that same cut UID (before, a line
recorded the cut UID and was then matched against the full one: it read as missing, and a count click there was
refused). Two images whose UIDs agree on their first 64 characters are told apart by the record's stored index; the
stack's warnings say both (viewer/stacks.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotation.records import CountMark, Measurement
from viewer.geometry import StackGeometry
from viewer.records import ImageHeader
from viewer.stacks import UID_MAX  # the longest SOP Instance UID DICOM allows, and the longest a record keeps

#: :func:`slice_of`'s answer for a line whose image is not in the stack as loaded
MISSING = None

_Key = tuple[str, int | None]
_cache: dict[int, tuple[Sequence[ImageHeader], dict[_Key, int], dict[str, int], dict[_Key, int]]] = {}


def frame_number(img: ImageHeader) -> int | None:
    """The 1-based frame a record stores for ``img`` (None for a single-frame file)."""
    return img.frame + 1 if img.pixel.number_of_frames > 1 else None


def recorded_uid(uid: str) -> str:
    """The SOP Instance UID a record keeps of an image carrying ``uid``: the UID itself, its first :data:`UID_MAX`
    characters in a non-conformant file whose UID is longer (what an SR can carry, and what a record validates)."""
    return uid[:UID_MAX]


def image_of(img: ImageHeader) -> tuple[str, int | None]:
    """(recorded UID, frame number) of an image: how a line or a count mark names it."""
    return recorded_uid(img.sop_instance_uid), frame_number(img)


def _maps(images: Sequence[ImageHeader]) -> tuple[dict[_Key, int], dict[str, int], dict[_Key, int]]:
    """(UID, frame) -> index, UID -> first index and (UID, frame) -> how many images carry it, of ``images``, made
    once per stack as loaded (the layers ask on every repaint). The tuple is kept with its maps, so its id is not
    reused while cached."""
    got = _cache.get(id(images))
    if got is not None and got[0] is images:
        return got[1], got[2], got[3]
    if len(_cache) > 64:
        _cache.clear()
    exact: dict[_Key, int] = {}
    first: dict[str, int] = {}
    many: dict[_Key, int] = {}
    for k, img in enumerate(images):
        key = image_of(img)
        exact.setdefault(key, k)
        first.setdefault(key[0], k)
        many[key] = many.get(key, 0) + 1
    _cache[id(images)] = (images, exact, first, many)
    return exact, first, many


def images_named(obs: Measurement | CountMark, images: Sequence[ImageHeader]) -> int:
    """How many of ``images``' files carry the UID (and frame) ``obs`` names: more than one only for files whose
    non-conformant UIDs agree on their first 64 characters (0 for a record without a UID)."""
    if not obs.sop_instance_uid or not images:
        return 0
    many = _maps(images)[2]
    if obs.frame_number is None:
        # files, not frames: every frame of a multi-frame file carries its UID (a count mark of a store before schema
        # 17 names no frame: d91218d counted the frames, and left such a mark on a conformant file unplaced, review49b)
        single = many.get((obs.sop_instance_uid, None), 0)
        multi = max((n for (uid, f), n in many.items() if uid == obs.sop_instance_uid and f is not None), default=0)
        return single + multi
    return many.get((obs.sop_instance_uid, obs.frame_number), 0)


def unplaced_reason(obs: Measurement | CountMark, images: Sequence[ImageHeader]) -> str:
    """Why :func:`patient_point` left ``obs`` unplaced, as the analysis' notes say it."""
    n = images_named(obs, images)
    if n > 1:
        return (f"its image's UID names {n} images of the folder given (UIDs longer than 64 characters agreeing on "
                "their first 64): which of them it is on is not known")
    return "the image it was drawn on is missing from the folder given"


def images_of(model: Any) -> Sequence[ImageHeader]:
    """The images of a viewport model's volume, in volume order (() while nothing is loaded)."""
    volume = getattr(model, "volume", None)
    return getattr(volume, "images", None) or ()


def slice_of(obs: Measurement | CountMark, images: Sequence[ImageHeader]) -> int | None:
    """The index in ``images`` (a stack as loaded, volume order) of the image ``obs`` (a line or a count mark) was
    drawn on, found by its SOP Instance UID (and frame; :func:`recorded_uid`); None (:data:`MISSING`) when that image
    is not in the stack. A record without a UID, or a stack whose images are not known, keeps its stored index (None
    when outside the stack). The image at the stored index is taken when it is the record's (two images whose UIDs
    agree on their first 64 characters). A count mark of a store before schema 17 names no frame: on an image of its
    UID at its stored index it stays there (a frame of an enhanced multi-frame file), else it is on the first image
    of its UID."""
    uid = obs.sop_instance_uid
    k = obs.slice_index
    if not uid or not images:
        return k if not images or 0 <= k < len(images) else MISSING
    exact, first, _many = _maps(images)
    here = image_of(images[k]) if 0 <= k < len(images) else None
    frame = obs.frame_number
    if isinstance(obs, CountMark) and frame is None:
        return k if here is not None and here[0] == uid else first.get(uid)
    if here == (uid, frame):
        return k
    found = exact.get((uid, frame))
    if found is None and frame is None:
        found = first.get(uid)
    return found


def patient_point(rec: Measurement | CountMark, row: float, col: float, geo: StackGeometry,
                  images: Sequence[ImageHeader] = ()) -> tuple[float, float, float] | None:
    """(row, col) of a line or a mark in patient mm, on its own image among ``images`` (the stack as indexed now,
    volume order; by its SOP Instance UID and frame, :func:`slice_of`); None when that image is not among them.
    Without images (or for a record without a UID) its stored index is taken. The analysis places findings so
    (agreement, a reader study's pairing and adjudication): with a file missing from the folder given, or one added,
    a stored index names another image. A record whose (cut) UID names several images of the stack is not placed
    either (:func:`unplaced_reason`): its stored index may be another folder's (a review: R2's line on the second of
    two such images, drawn in a folder missing its first file, was placed on the first, 10 mm off, unsaid)."""
    k = slice_of(rec, images)
    if k is None or not 0 <= k < geo.n_slices or images_named(rec, images) > 1:
        return None
    p = geo.index_to_patient(k, row, col)
    return (float(p[0]), float(p[1]), float(p[2]))


def same_image(a: Measurement | CountMark, b: Measurement | CountMark) -> bool:
    """Whether two records (a line, a count mark) are on the same image: by SOP Instance UID (and frame) when both
    name theirs (their stored indices may count the images of different loads), else by stored index."""
    if a.sop_instance_uid and b.sop_instance_uid:
        if a.sop_instance_uid != b.sop_instance_uid:
            return False
        fa, fb = a.frame_number, b.frame_number
        if fa is not None and fb is not None:
            return fa == fb
        # a frame of an enhanced multi-frame file against a mark of a store before schema 17, which names none: its
        # stored index tells the frame
        return (fa is None and fb is None) or a.slice_index == b.slice_index
    return a.slice_index == b.slice_index


def image_shown(model: Any, index: int) -> dict[str, Any]:
    """The image ``index`` of the stack a viewport model shows, as a count mark placed or moved there records it
    (``sop_instance_uid``, :func:`recorded_uid`, "" when not known, and ``frame_number``)."""
    images = images_of(model)
    if not 0 <= index < len(images):
        return {"sop_instance_uid": "", "frame_number": None}
    uid, frame = image_of(images[index])
    return {"sop_instance_uid": uid, "frame_number": frame}


def missing_text(obs: Any, lesion_id: str = "", series: str = "") -> str:
    """Why a line or a count mark is not shown: its image is not in the stack as loaded (named as the overlay names
    images)."""
    image = f"image #{obs.instance_number}" if getattr(obs, "instance_number", None) is not None \
        else f"image {obs.sop_instance_uid}"
    if isinstance(obs, CountMark):
        of = f" (placed from {obs.lesion_id})" if obs.lesion_id else ""
        where = f" on {series}" if series else ""
        return (f"the count mark{where}{of} is on {image}, missing from this folder: it is shown on no other image "
                "and still counts")
    whose = " ".join(w for w in (f"{lesion_id}'s" if lesion_id else "", series, "line") if w)
    whose = whose[0].upper() + whose[1:] if not lesion_id else whose
    return (f"{whose} is on {image}, missing from this folder: it is not drawn on another image and stays "
            "read-only until the image is back")


def missing_here(obs: Any, model: Any) -> bool:
    """Whether ``obs`` is a line on the stack ``model`` (a viewport model) shows whose image is missing from that
    stack as loaded: read-only until the image is back (an edit would record another image's pixels against it)."""
    images = images_of(model)
    return (bool(getattr(obs, "sop_instance_uid", "")) and hasattr(obs, "p1") and bool(images)
            and getattr(obs, "stack_key", None) == getattr(model, "key", None) and slice_of(obs, images) is None)
