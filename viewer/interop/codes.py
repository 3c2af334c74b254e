"""The coded concepts lesionlab writes in a TID 1500 report, and the synonyms it accepts when reading.

Written: SNOMED CT (``SCT``) codes for the anatomy and the finding, DICOM (``DCM``) for the
template's own concepts, UCUM for units. Reading also accepts the retired SNOMED RT (``SRT``)
spellings and dcmjs's private ``99dcmjs`` codes, which SRs of other tools still carry.

The hemiliver. lesionlab's right/left lobe is the *functional* right or left liver on either side
of the Cantlie line (segment IV belongs to the left), not the anatomical right/left lobe of liver
(whose codes would put segment IV on the right): it is written as the finding site Liver with a Laterality modifier
Right or Left, next to a second finding site, the Couinaud segment.
"""

from __future__ import annotations

from typing import NamedTuple

from viewer.interop.model import GroupStatus, Hemiliver


class Concept(NamedTuple):
    value: str
    scheme: str
    meaning: str


LIVER = Concept("10200004", "SCT", "Liver")
LATERALITY = Concept("272741003", "SCT", "Laterality")
RIGHT = Concept("24028007", "SCT", "Right")
LEFT = Concept("7771000", "SCT", "Left")
LESION = Concept("52988006", "SCT", "Lesion")
LENGTH = Concept("410668003", "SCT", "Length")
SHORT_AXIS = Concept("103340004", "SCT", "Short Axis")
FINDING_SITE = Concept("363698007", "SCT", "Finding Site")
FINDING = Concept("121071", "DCM", "Finding")
TRACKING_IDENTIFIER = Concept("112039", "DCM", "Tracking Identifier")
TRACKING_UID = Concept("112040", "DCM", "Tracking Unique Identifier")
MEASUREMENT_GROUP = Concept("125007", "DCM", "Measurement Group")
IMAGING_MEASUREMENTS = Concept("126010", "DCM", "Imaging Measurements")
IMAGE_REGION = Concept("111030", "DCM", "Image Region")
MILLIMETER = Concept("mm", "UCUM", "mm")
#: TID 4019 Algorithm Identification, under a Length made by the one-click diameter (issue 13).
ALGORITHM_NAME = Concept("111001", "DCM", "Algorithm Name")
ALGORITHM_VERSION = Concept("111003", "DCM", "Algorithm Version")
ALGORITHM_PARAMETERS = Concept("111002", "DCM", "Algorithm Parameters")
#: The name lesionlab gives the one-click diameter in TID 4019; its version is the method's name
#: (``ellipse_consensus_v27``), its parameters ``method: suggested`` (or ``suggested_edited``) and the
#: method_params JSON. A manual line has no algorithm identification.
SUGGEST_ALGORITHM = "lesionlab one-click diameter"
IMAGING_PROCEDURE = Concept("363679005", "SCT", "Imaging procedure")
CT_PROCEDURE = Concept("25045-6", "LN", "CT unspecified body region")
MR_PROCEDURE = Concept("25056-3", "LN", "MRI unspecified body region")

#: Couinaud segments I..VIII (SNOMED CT body structures).
SEGMENT_CODES: dict[str, Concept] = {
    "I": Concept("71133005", "SCT", "Couinaud hepatic segment I"),
    "II": Concept("277956007", "SCT", "Couinaud hepatic segment II"),
    "III": Concept("277957003", "SCT", "Couinaud hepatic segment III"),
    "IV": Concept("277958008", "SCT", "Couinaud hepatic segment IV"),
    "V": Concept("277959000", "SCT", "Couinaud hepatic segment V"),
    "VI": Concept("277960005", "SCT", "Couinaud hepatic segment VI"),
    "VII": Concept("277961009", "SCT", "Couinaud hepatic segment VII"),
    "VIII": Concept("277962002", "SCT", "Couinaud hepatic segment VIII"),
}
HEMILIVER_CODES: dict[Hemiliver, Concept] = {Hemiliver.RIGHT: RIGHT, Hemiliver.LEFT: LEFT}
#: A follow-up lesion's organ other than the liver as its finding site ("other" has none).
ORGAN_CODES: dict[str, Concept] = {
    "lymph_node": Concept("59441001", "SCT", "Lymph node structure"),
    "bone": Concept("272673000", "SCT", "Bone structure"),
    "lung": Concept("39607008", "SCT", "Lung structure"),
}

#: The qualitative evaluation of a group without an image region: concept name Finding (the name
#: PixelMed's TID 1501 check accepts for a qualitative evaluation; a private name is "not in
#: template"), value a lesionlab code (a private 99 scheme, as DICOM allows: no standard concept says
#: "not visible on this series" or "seen, not measurable"; the meaning says it in words).
LESIONLAB_SCHEME = "99LESIONLAB"
#: What the SR's Coding Scheme Identification Sequence says of it (sr_write._private_schemes).
LESIONLAB_SCHEME_NAME = "lesionlab reading statuses"
LESIONLAB_SCHEME_VERSION = "1"
OBSERVATION_STATUS = FINDING
STATUS_CODES: dict[GroupStatus, Concept] = {
    GroupStatus.NOT_VISIBLE: Concept("NOT_VISIBLE", LESIONLAB_SCHEME, "Lesion not visible on this series"),
    GroupStatus.NOT_MEASURABLE: Concept("NOT_MEASURABLE", LESIONLAB_SCHEME, "Lesion seen but not measurable"),
}

#: Older or other schemes for the same concept (value -> ours).
_SYNONYMS: dict[tuple[str, str], Concept] = {
    ("T-62000", "SRT"): LIVER,
    ("G-A100", "SRT"): RIGHT, ("G-A101", "SRT"): LEFT,
    ("G-C0E3", "SRT"): FINDING_SITE,
    ("G-D7FE", "SRT"): LENGTH, ("G-A22A", "SRT"): LENGTH,  # dcmjs writes Length as SRT G-D7FE
    ("M-01000", "SRT"): LESION,
    ("G-C171", "SRT"): LATERALITY,
}


def same(a: tuple[str, str, str] | None, b: Concept) -> bool:
    """True when code ``a`` (value, scheme, meaning) means ``b``, by value and scheme or a known synonym."""
    if a is None:
        return False
    value, scheme = a[0], a[1].upper()
    if (value, scheme) == (b.value, b.scheme.upper()):
        return True
    return _SYNONYMS.get((value, scheme)) == b


def segment_of(code: tuple[str, str, str]) -> str | None:
    for name, c in SEGMENT_CODES.items():
        if same(code, c):
            return name
    meaning = code[2].lower()
    for name in sorted(SEGMENT_CODES, key=len, reverse=True):
        if meaning.endswith(f"segment {name.lower()}"):
            return name
    return None


def status_of(code: tuple[str, str, str]) -> GroupStatus | None:
    for status, c in STATUS_CODES.items():
        if code[0] == c.value and code[1] == c.scheme:
            return status
    return None
