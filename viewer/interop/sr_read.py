"""Read a TID 1500 Measurement Report, whoever wrote it, into :class:`~viewer.interop.model.ParsedSr`.

Styles met (../shared/domain/interop.md):

* lesionlab and highdicom: TID 1410 groups with a group-level SCOORD POLYLINE and a Length NUM;
  TID 1501 groups with a coded qualitative evaluation (not visible / not measurable) and a source image;
  lesionlab's TID 1501 groups of a line with its short axis, each NUM INFERRED FROM its own SCOORD;
* OHIF / dcmjs: TID 1501 groups whose Length NUM (SRT ``G-D7FE``) is INFERRED FROM a SCOORD
  POLYLINE, which is SELECTED FROM the image; tracking identifier ``Cornerstone3DTools@^0.1.0:Length``,
  finding ``99dcmjs`` / ``CST4`` free text;
* 3D Slicer: SCOORD3D POLYLINE in a frame of reference (patient mm), SCT or SRT codes.

The content tree is walked item by item (highdicom's parser refuses the looser styles): items read
straight from the file's bytes by :mod:`viewer.interop.sr_tree` (pydicom's items cost 2.5 ms a group,
51 s for 20,000), pydicom's where that walk does not read the file (deflated, big endian); so
every item can be accounted for: what lesionlab uses, what it knowingly skips (observation
context, finding type, language), and the rest, listed in ``not_understood`` with its path. A group
of lesionlab's kind (a lesion's Length or status) that cannot be placed (no line, a line without its
image, no tracking UID, a value no length) is listed apart, in ``unplaced``: the import refuses it.
SCOORD points are converted once, by :func:`~viewer.interop.model.from_scoord`.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path
from typing import Any, Iterator

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import DeflatedExplicitVRLittleEndian

from viewer.errors import SrError
from viewer.interop import codes
from viewer.interop.sr_tree import Item, content_items
from viewer.interop.vr_fit import fit
from viewer.interop.model import (METHODS, GroupStatus, Hemiliver, ImageRef, LesionSite, ParsedLength, ParsedSr,
                                  ParsedStatus, from_scoord, visible)

Code3 = tuple[str, str, str]

#: TID 1500 concept names lesionlab reads past on purpose (context, not measurements).
_CONTEXT_NAMES = {"121049", "121005", "121008", "121006", "121007", "121009", "121010", "121011", "121012",
                  "121013", "121014", "121071", "121058", "121023", "C0917", "126011", "111700", "125203",
                  "121060", "126040", "112118", "126100",
                  "C2348792", "126070", "126071", "126072", "126073"}  # TID 1502 time point context
_IGNORED_TEXT_NAMES = {"112039", "112040"}


def _code(seq: Any) -> Code3 | None:
    if not seq:
        return None
    item = seq[0]
    return (str(item.get("CodeValue", "") or item.get("LongCodeValue", "") or item.get("URNCodeValue", "")),
            str(item.get("CodingSchemeDesignator", "")), str(item.get("CodeMeaning", "")))


def _name(item: Dataset) -> Code3:
    return _code(item.get("ConceptNameCodeSequence")) or ("", "", "")


def _describe(item: Dataset) -> str:
    value, scheme, meaning = _name(item)
    return f"{item.get('ValueType', '?')} ({value}, {scheme}, \"{meaning}\")"


def _image_of(item: Dataset) -> ImageRef | None:
    """The IMAGE child (SELECTED FROM) of a SCOORD, or an IMAGE item itself."""
    candidates = [item] if item.get("ValueType") == "IMAGE" else [
        c for c in item.get("ContentSequence", []) if c.get("ValueType") == "IMAGE"]
    for c in candidates:
        refs = c.get("ReferencedSOPSequence")
        if refs:
            ref = refs[0]
            frames = ref.get("ReferencedFrameNumber")
            frame = None
            if frames not in (None, ""):
                try:
                    frame = int(frames[0] if isinstance(frames, (list, tuple, pydicom.multival.MultiValue)) else frames)
                except (TypeError, ValueError):
                    return None  # a frame number that is none: the image is not known
            sop_class, sop_instance = str(ref.get("ReferencedSOPClassUID", "")), str(ref.get("ReferencedSOPInstanceUID", ""))
            if not sop_class or not sop_instance or frame is not None and frame < 1:
                return None
            return ImageRef(sop_class, sop_instance, frame)
    return None


def _line(item: Dataset, where: str, skipped: list[str]) -> dict[str, Any] | None:
    """Points of a 2-point SCOORD / SCOORD3D POLYLINE item; None (and a line) otherwise."""
    kind = item.get("ValueType")
    graphic = str(item.get("GraphicType", ""))
    data = [float(x) for x in item.get("GraphicData", [])]
    if graphic not in ("POLYLINE", "MULTIPOINT"):
        skipped.append(f"{where}: {kind} {graphic} is not a line (lesionlab reads two-point lines)")
        return None
    if kind == "SCOORD" and len(data) == 4:
        image = _image_of(item)
        if image is None:
            skipped.append(f"{where}: SCOORD without the image it was drawn on")
            return None
        p1, p2 = from_scoord((data[0], data[1])), from_scoord((data[2], data[3]))
        return {"image": image, "points_rc": (p1, p2)}
    if kind == "SCOORD3D" and len(data) == 6:
        return {"points_mm": ((data[0], data[1], data[2]), (data[3], data[4], data[5])),
                "frame_of_reference_uid": str(item.get("ReferencedFrameOfReferenceUID", ""))}
    skipped.append(f"{where}: {kind} {graphic} with {len(data)} values is not a two-point line")
    return None


def _site(item: Dataset, site: LesionSite) -> LesionSite:
    code = _code(item.get("ConceptCodeSequence"))
    if code is None:
        return site
    organ = next((o for o, c in codes.ORGAN_CODES.items() if codes.same(code, c)), None)
    if organ is not None:
        return LesionSite(organ=organ)
    segment = codes.segment_of(code)
    if segment is not None:
        return LesionSite(site.hemiliver, segment)
    if codes.same(code, codes.LIVER):
        hemiliver = site.hemiliver
        for mod in item.get("ContentSequence", []):
            if codes.same(_name(mod), codes.LATERALITY):
                value = _code(mod.get("ConceptCodeSequence"))
                if codes.same(value, codes.RIGHT):
                    hemiliver = Hemiliver.RIGHT
                elif codes.same(value, codes.LEFT):
                    hemiliver = Hemiliver.LEFT
        return LesionSite(hemiliver, site.segment)
    return site


#: UCUM length units other tools write, in mm (a Length in cm came in 'not understood' and was dropped).
_MM_PER_UNIT = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "um": 0.001, "[mm]": 1.0, "": 1.0}


def _numeric(item: Dataset, here: str, skipped: list[str]) -> float | None:
    """A length NUM's value in mm, or None with a line saying why (no value, not a number, a unit not a length)."""
    values = item.get("MeasuredValueSequence")
    if not values:
        return None
    v = values[0]
    try:
        value = float(v.get("NumericValue"))
    except (TypeError, ValueError):
        skipped.append(f"{here}: its value {str(v.get('NumericValue', ''))!r} is not a number")
        return None
    unit = _code(v.get("MeasurementUnitsCodeSequence"))
    scale = _MM_PER_UNIT.get(unit[0] if unit is not None else "")
    if scale is None or not math.isfinite(value) or value < 0:
        skipped.append(f"{here}: {value:g} {unit[0] if unit else ''} is not a length lesionlab reads (mm, cm, m, um)")
        return None
    return value * scale


def _group(group: Dataset, where: str, skipped: list[str]) -> ParsedLength | ParsedStatus | None:
    identifier, uid = "", ""
    site = LesionSite()
    status: GroupStatus | None = None
    line: dict[str, Any] | None = None
    length: float | None = None
    short: float | None = None
    short_line: dict[str, Any] | None = None
    source: ImageRef | None = None
    method, method_params = "manual", ""
    unreadable = False  # a Length or Short Axis whose value is no number in a known unit: the group is not taken
    for item in group.get("ContentSequence", []):
        name = _name(item)
        kind = item.get("ValueType")
        here = f"{where} / {_describe(item)}"
        if codes.same(name, codes.TRACKING_IDENTIFIER):
            identifier = visible(str(item.get("TextValue", "")))
        elif codes.same(name, codes.TRACKING_UID):
            uid = str(item.get("UID", ""))
        elif codes.same(name, codes.FINDING_SITE):
            site = _site(item, site)
        elif kind == "CODE" and codes.status_of(_code(item.get("ConceptCodeSequence")) or ("", "", "")) is not None:
            status = codes.status_of(_code(item.get("ConceptCodeSequence")) or ("", "", ""))
        elif kind in ("SCOORD", "SCOORD3D"):
            line = _line(item, here, skipped)
        elif kind == "IMAGE":
            source = _image_of(item)
        elif kind == "NUM" and codes.same(name, codes.LENGTH):
            said = len(skipped)
            length = _numeric(item, here, skipped)
            unreadable = unreadable or len(skipped) > said
            method, method_params = _method(item)
            for child in item.get("ContentSequence", []):  # TID 300 style: the line the NUM was inferred from
                if child.get("ValueType") in ("SCOORD", "SCOORD3D"):
                    line = _line(child, f"{here} / {_describe(child)}", skipped)
                elif child.get("ValueType") == "IMAGE":
                    source = _image_of(child)
        elif kind == "NUM" and codes.same(name, codes.SHORT_AXIS):
            said = len(skipped)
            short = _numeric(item, here, skipped)
            unreadable = unreadable or len(skipped) > said
            for child in item.get("ContentSequence", []):  # lesionlab: the short axis's own line
                if child.get("ValueType") == "SCOORD":
                    drawn = _line(child, f"{here} / {_describe(child)}", skipped)
                    if drawn is not None:
                        short_line = drawn
        elif name[0] in _CONTEXT_NAMES or kind in ("CONTAINER",) and name[0] in _CONTEXT_NAMES:
            continue
        else:
            skipped.append(f"{here}: not understood")
    label = f"{where} ({identifier or 'no tracking identifier'})"
    if not uid:
        skipped.append(f"{label}: no tracking UID, so no lesion identity")
        return None
    if status is not None:
        return ParsedStatus(uid, identifier, status, site, source)
    if unreadable:
        skipped.append(f"{label}: not imported (a value of it is not a length lesionlab reads)")
        return None
    if line is None:
        skipped.append(f"{label}: no two-point line on an image or in a frame of reference")
        return None
    drawn = {"short_axis_rc": short_line["points_rc"], "short_axis_image": short_line["image"]} if short_line else {}
    return ParsedLength(uid, identifier, length, site=site, short_axis_mm=short, method=method,
                        method_params=method_params, **line, **drawn)


def _is_ours(group: Dataset) -> bool:
    """Whether a measurement group is of the kind lesionlab writes and reads: a lesion's Length (or Short Axis)
    NUM, or its status (not visible / not measurable). Other templates' groups (an area, a volume, a mean, text)
    are only listed as not understood; one of these that cannot be placed is an import's failure."""
    try:
        for item in group.get("ContentSequence", []):
            kind, name = item.get("ValueType"), _name(item)
            if kind == "NUM" and (codes.same(name, codes.LENGTH) or codes.same(name, codes.SHORT_AXIS)):
                return True
            if kind == "CODE" and codes.status_of(_code(item.get("ConceptCodeSequence")) or ("", "", "")) is not None:
                return True
    except Exception:  # noqa: BLE001 - a group too malformed to tell: a measurement group all the same
        return True
    return False


def _method(num: Dataset) -> tuple[str, str]:
    """How a Length was made, from lesionlab's TID 4019 under it (``sr_write._algorithm``): ("suggested"
    or "suggested_edited", the JSON parameters); ("manual", "") without it or for another algorithm's."""
    name, params = "", []
    for child in num.get("ContentSequence", []):
        concept = _name(child)
        if codes.same(concept, codes.ALGORITHM_NAME):
            name = str(child.get("TextValue", ""))
        elif codes.same(concept, codes.ALGORITHM_PARAMETERS):
            params.append(str(child.get("TextValue", "")))
    if name != codes.SUGGEST_ALGORITHM:
        return "manual", ""
    said = next((p.removeprefix("method: ") for p in params if p.startswith("method: ")), "")
    method = said if said in METHODS and said != "manual" else "suggested"
    return method, _parameters(next((p for p in params if p.startswith("{")), ""))


#: The parameter values an SR may bring in as text: lesionlab's own words (the method's name, the
#: lesion's side, the boundary's kind, the liver's peak, which rule gave way), never free text.
_WORD = re.compile(r"[a-z][a-z0-9_]{0,39}")
_KEY = re.compile(r"[a-z0-9_]{1,40}")


def _parameters(text: str) -> str:
    """The one-click parameters of an SR, as the store keeps them: a JSON object of lesionlab's keys with
    numbers, yes/no, lists of numbers, per-slice numbers or single words as values; anything else is left
    out (a review imported "{\"who\": \"DOE^JOHN, born 1961-02-03\"}", which a pseudonymised export then
    wrote out as it was; "{truncated" refused the whole line). "" when nothing is left."""
    try:
        loaded = json.loads(text) if text else None
    except ValueError:
        return ""
    if not isinstance(loaded, dict):
        return ""

    def number(v: object) -> bool:
        return isinstance(v, (int, float)) and (isinstance(v, bool) or math.isfinite(v))

    def kept(v: object) -> bool:
        if v is None or number(v):
            return True
        if isinstance(v, str):
            return bool(_WORD.fullmatch(v))
        if isinstance(v, list):
            return len(v) <= 64 and all(number(x) or (isinstance(x, list) and len(x) <= 8 and all(map(number, x)))
                                        for x in v)
        if isinstance(v, dict):
            return len(v) <= 256 and all(isinstance(k, str) and _KEY.fullmatch(k) and number(x) for k, x in v.items())
        return False

    clean = {k: v for k, v in loaded.items() if isinstance(k, str) and _KEY.fullmatch(k) and kept(v)}
    return json.dumps(clean, sort_keys=True) if clean else ""


def _truncated(path: Path, ds: Dataset, said: list[str]) -> str:
    """Why the file is cut short ("" when it is whole). pydicom reads a truncated file without a word: an element
    of defined length is given the bytes that are left, one of undefined length ends at the end of the file (that
    one only warns); an import then took the groups before the cut and missed the rest, saying 'imported'."""
    size = path.stat().st_size
    deflated = ds.file_meta.get("TransferSyntaxUID") == DeflatedExplicitVRLittleEndian  # offsets in the inflated stream
    for tag in () if deflated else ds.keys():
        raw = ds.get_item(tag)
        tell, length = getattr(raw, "value_tell", None), getattr(raw, "length", None)
        if tell is not None and length is not None and length != 0xFFFFFFFF and tell + length > size:
            return f"the file is truncated: element {tag} needs {tell + length} bytes, the file has {size}"
    cut = next((w for w in said if "End of file reached" in w or "truncated" in w.lower()), "")
    return f"the file is truncated ({cut})" if cut else ""


def _groups(root: Any) -> Iterator[tuple[str, Dataset]]:
    for item in root.get("ContentSequence", []):
        if item.get("ValueType") == "CONTAINER" and _name(item)[0] == codes.IMAGING_MEASUREMENTS.value:
            for i, group in enumerate(item.get("ContentSequence", []), start=1):
                yield f"measurement group {i}", group


def _observer(root: Any) -> str:
    """The observer's name; a lesionlab SR's reader whose name was cut to PN's 64 bytes (sr_write._observer): the
    whole name of the Login Name item that follows, when the person name is exactly its cut."""
    items = list(root.get("ContentSequence", []))
    for k, item in enumerate(items):
        if _name(item)[0] == "121008" and item.get("PersonName") is not None:
            name = str(item.PersonName)
            login = items[k + 1] if k + 1 < len(items) else None
            if login is not None and _name(login)[0] == "128774" and isinstance(login.get("TextValue"), str):
                whole = str(login.TextValue)
                if fit("PersonName", whole if "^" in whole else f"{whole}^") == name:
                    return whole.rstrip("^")
            return name.rstrip("^")
    return ""


class _Root:
    """The dataset's root as the walk reads it: its Content Sequence from :func:`~viewer.interop.sr_tree.content_items`
    where that reads the file (40 times faster than pydicom's items), else pydicom's."""

    def __init__(self, ds: Dataset, items: list[Item] | None) -> None:
        self.ds, self.items = ds, items

    def get(self, keyword: str, default: Any = None) -> Any:
        if keyword == "ContentSequence" and self.items is not None:
            return self.items
        return self.ds.get(keyword, default)


def read_sr(path: str | Path) -> ParsedSr:
    """Parse one SR file; raises SrError when it is not a TID 1500 Measurement Report."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = pydicom.dcmread(path)
            cut = _truncated(Path(path), ds, [str(w.message) for w in caught])
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one message
        raise SrError(f"not a readable DICOM file ({type(exc).__name__}: {exc})", where=str(path)) from None
    if cut:
        raise SrError(cut, where=str(path), advice="nothing of it was imported; copy or retrieve the SR again")
    if ds.get("Modality") != "SR" or "ContentSequence" not in ds:
        raise SrError("not a DICOM structured report", where=str(path), advice="give TID 1500 SR files")
    title = _code(ds.get("ConceptNameCodeSequence"))
    templates = [str(t.get("TemplateIdentifier", "")) for t in ds.get("ContentTemplateSequence", [])]
    if "1500" not in templates and (title is None or title[0] not in ("126000", "126001", "126002", "126003")):
        raise SrError(f"not a TID 1500 Measurement Report (title {title})", where=str(path))
    skipped: list[str] = []
    unplaced: list[str] = []
    lengths: list[ParsedLength] = []
    statuses: list[ParsedStatus] = []
    root = _Root(ds, content_items(Path(path).read_bytes()))
    for where, group in _groups(root):
        if _name(group)[0] != codes.MEASUREMENT_GROUP.value:
            skipped.append(f"{where}: {_describe(group)} is not a measurement group")
            continue
        said = len(skipped)
        try:
            parsed = _group(group, where, skipped)
        except Exception as exc:  # noqa: BLE001 - a value no check above foresaw: that group's line, not the file's end
            skipped.append(f"{where}: malformed ({type(exc).__name__}: {exc})")
            parsed = None
        if isinstance(parsed, ParsedLength):
            lengths.append(parsed)
        elif isinstance(parsed, ParsedStatus):
            statuses.append(parsed)
        elif _is_ours(group):  # a lesion's length or status that is not imported: its lines say why
            unplaced += [line for line in skipped[said:] if not line.endswith(": not understood")]
            skipped[said:] = [line for line in skipped[said:] if line.endswith(": not understood")]
    evidence = [str(series.SeriesInstanceUID)
                for seq in ("CurrentRequestedProcedureEvidenceSequence", "PertinentOtherEvidenceSequence")
                for study in ds.get(seq, []) for series in study.get("ReferencedSeriesSequence", [])
                if "SeriesInstanceUID" in series]
    return ParsedSr(str(path), str(ds.get("PatientID", "")), str(ds.get("StudyInstanceUID", "")), _observer(root),
                    tuple(lengths), tuple(statuses), tuple(skipped), str(ds.get("SOPInstanceUID", "")),
                    tuple(dict.fromkeys(evidence)), tuple(unplaced))
