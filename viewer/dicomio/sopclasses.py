"""SOP classes that are not reading images, and how to call them (PS3.4 Annex B.5)."""

from __future__ import annotations

from viewer.records import NonImageKind

MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
_STORAGE = "1.2.840.10008.5.1.4.1.1."

#: Exact SOP classes -> kind.
_EXACT: dict[str, NonImageKind] = {
    _STORAGE + "7": NonImageKind.SECONDARY_CAPTURE,
    _STORAGE + "7.1": NonImageKind.SECONDARY_CAPTURE,
    _STORAGE + "7.2": NonImageKind.SECONDARY_CAPTURE,
    _STORAGE + "7.3": NonImageKind.SECONDARY_CAPTURE,
    _STORAGE + "7.4": NonImageKind.SECONDARY_CAPTURE,
    _STORAGE + "66.4": NonImageKind.SEGMENTATION,
    _STORAGE + "66.7": NonImageKind.SEGMENTATION,  # label map segmentation
    _STORAGE + "88.59": NonImageKind.OTHER,  # key object selection
}
#: SOP class prefixes -> kind (checked after the exact table).
_PREFIXES: tuple[tuple[str, NonImageKind], ...] = (
    (_STORAGE + "11.", NonImageKind.PRESENTATION_STATE),
    (_STORAGE + "88.", NonImageKind.STRUCTURED_REPORT),
    (_STORAGE + "66", NonImageKind.OTHER),  # raw data; 66.x registration, fiducials, surfaces
    (_STORAGE + "104.", NonImageKind.OTHER),  # encapsulated PDF/CDA/STL
    (_STORAGE + "481.", NonImageKind.OTHER),  # RT objects
    (_STORAGE + "9.", NonImageKind.OTHER),  # waveforms
    (_STORAGE + "4.2", NonImageKind.OTHER),  # MR spectroscopy
    (_STORAGE + "67", NonImageKind.OTHER),  # real world value mapping
    (_STORAGE + "30", NonImageKind.OTHER),  # parametric map (float pixels)
)


def non_image_kind(sop_class_uid: str) -> NonImageKind | None:
    """The kind of a SOP class that is listed apart, or None for an image class."""
    kind = _EXACT.get(sop_class_uid)
    if kind is not None:
        return kind
    for prefix, k in _PREFIXES:
        if prefix.endswith("."):
            if sop_class_uid.startswith(prefix):
                return k
        elif sop_class_uid == prefix or sop_class_uid.startswith(prefix + "."):
            return k
    return None


def sop_class_name(uid: str) -> str:
    """Readable name of a SOP class ("Enhanced SR Storage"), or the UID itself."""
    from pydicom.uid import UID

    name = UID(uid).name if uid else ""
    return name if name and name != uid else (uid or "no SOP class")
