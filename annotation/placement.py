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
counts: the reader counted the lesion). A mark of an older store keeps its stored index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotation.records import CountMark, Measurement
from viewer.records import ImageHeader

#: :func:`slice_of`'s answer for a line whose image is not in the stack as loaded
MISSING = None

_Key = tuple[str, int | None]
_cache: dict[int, tuple[Sequence[ImageHeader], dict[_Key, int], dict[str, int]]] = {}


def frame_number(img: ImageHeader) -> int | None:
    """The 1-based frame a record stores for ``img`` (None for a single-frame file)."""
    return img.frame + 1 if img.pixel.number_of_frames > 1 else None


def _by_uid(images: Sequence[ImageHeader]) -> tuple[dict[_Key, int], dict[str, int]]:
    """(UID, frame) -> index and UID -> first index of ``images``, made once per stack as loaded (the
    layers ask on every repaint). The tuple is kept with its map, so its id is not reused while cached."""
    got = _cache.get(id(images))
    if got is not None and got[0] is images:
        return got[1], got[2]
    if len(_cache) > 64:
        _cache.clear()
    exact: dict[_Key, int] = {}
    first: dict[str, int] = {}
    for k, img in enumerate(images):
        exact.setdefault((img.sop_instance_uid, frame_number(img)), k)
        first.setdefault(img.sop_instance_uid, k)
    _cache[id(images)] = (images, exact, first)
    return exact, first


def images_of(model: Any) -> Sequence[ImageHeader]:
    """The images of a viewport model's volume, in volume order (() while nothing is loaded)."""
    volume = getattr(model, "volume", None)
    return getattr(volume, "images", None) or ()


def slice_of(obs: Measurement | CountMark, images: Sequence[ImageHeader]) -> int | None:
    """The index in ``images`` (a stack as loaded, volume order) of the image ``obs`` (a line or a count mark) was
    drawn on, found by its SOP Instance UID (and frame); None (:data:`MISSING`) when that image is not in the stack.
    A record without a UID, or a stack whose images are not known, keeps its stored index (None when outside the
    stack). A count mark stores no frame: on an image of its UID at its stored index it stays there (a frame of an
    enhanced multi-frame file), else it is on the first image of its UID."""
    uid = obs.sop_instance_uid
    k = obs.slice_index
    if not uid or not images:
        return k if not images or 0 <= k < len(images) else MISSING
    exact, first = _by_uid(images)
    if isinstance(obs, CountMark):
        return k if 0 <= k < len(images) and images[k].sop_instance_uid == uid else first.get(uid)
    found = exact.get((uid, obs.frame_number))
    if found is None and obs.frame_number is None:
        found = first.get(uid)
    return found


def same_image(a: Measurement | CountMark, b: Measurement | CountMark) -> bool:
    """Whether two records (a line, a count mark) are on the same image: by SOP Instance UID when both name theirs
    (their stored indices may count the images of different loads), else by stored index."""
    if a.sop_instance_uid and b.sop_instance_uid:
        if a.sop_instance_uid != b.sop_instance_uid:
            return False
        # a frame of an enhanced multi-frame file: a mark names none, so its stored index tells the frame
        framed = getattr(a, "frame_number", None) is not None or getattr(b, "frame_number", None) is not None
        return not framed or a.slice_index == b.slice_index
    return a.slice_index == b.slice_index


def uid_shown(model: Any, index: int) -> str:
    """The SOP Instance UID of image ``index`` of the stack a viewport model shows ("" when not known): what a count
    mark placed or moved there records."""
    images = images_of(model)
    return images[index].sop_instance_uid if 0 <= index < len(images) else ""


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
