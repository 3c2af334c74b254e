"""Fixed vocabularies of the reading (../shared/domain/reading-protocol.md), as Enums.

Every Enum is a ``str`` Enum whose value is what the store and the exports write; ``parse``
accepts the Enum or its value (case-insensitive) and raises :class:`viewer.errors.ValidationError`
naming the argument, so that records convert at the boundary.
"""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from viewer.errors import ValidationError

E = TypeVar("E", bound="Vocabulary")


class Vocabulary(str, Enum):
    """Base: a str Enum with a forgiving, named parse."""

    @classmethod
    def parse(cls: type[E], value: "str | E", name: str = "value") -> E:
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            for member in cls:
                if member.value.lower() == text or member.name.lower() == text:
                    return member
        allowed = ", ".join(m.value for m in cls)
        raise ValidationError(f"{value!r} is not a {cls.__name__} (expected one of: {allowed})", where=name)

    def __str__(self) -> str:
        return str(self.value)


class Lobe(Vocabulary):
    """Liver lobe a lesion or a count mark belongs to (the protocol counts right and left)."""

    RIGHT = "right"
    LEFT = "left"


class CouinaudSegment(Vocabulary):
    """Couinaud segments I-VIII.

    lesionlab's lobes are the functional hemilivers on either side of the Cantlie line (the main
    portal fissure, middle hepatic vein plane): right liver = V, VI, VII, VIII; left liver = II, III, IV
    (IV is left of the Cantlie line, although anatomically it lies right of the falciform ligament).
    Segment I, the caudate, drains on both sides and belongs to neither; the protocol counts it with
    the left liver (the convention of the reference study and of the Brisbane 2000 terminology's
    "left hemiliver + caudate" grouping used by surgeons for resection planning). A segment
    therefore implies the lobe: the reading refuses a lobe that contradicts the segment, and the
    checks flag a contradiction found in older data.
    """

    I = "I"  # noqa: E741 - the anatomical name
    II = "II"
    III = "III"
    IV = "IV"
    V = "V"
    VI = "VI"
    VII = "VII"
    VIII = "VIII"

    @property
    def lobe(self) -> Lobe:
        """Usual lobe of the segment: II-IV (and I) left, V-VIII right."""
        return Lobe.RIGHT if self in (CouinaudSegment.V, CouinaudSegment.VI, CouinaudSegment.VII,
                                      CouinaudSegment.VIII) else Lobe.LEFT


class ObservationStatus(Vocabulary):
    """What the reader said about a lesion on one series; "not yet read" is the absence of one."""

    MEASURED = "measured"
    NOT_VISIBLE = "not_visible"
    NOT_MEASURABLE = "not_measurable"

    @property
    def label(self) -> str:
        """Reader-facing words ("not visible"), the value being the file format's."""
        return self.value.replace("_", " ")


class CountStatus(Vocabulary):
    """Where a series' count stands for one reader: not read yet, counted (n >= 0), or not countable.

    The store records ``counted`` and ``not_countable``; ``not_read`` is the absence of a record.
    """

    NOT_READ = "not_read"
    COUNTED = "counted"
    NOT_COUNTABLE = "not_countable"


class MeasurementMethod(Vocabulary):
    """How a diameter was made: drawn by hand, suggested from the image and accepted, or suggested then edited."""

    MANUAL = "manual"
    SUGGESTED = "suggested"
    SUGGESTED_EDITED = "suggested_edited"


class AlignmentSource(Vocabulary):
    """Where an alignment between two frames of reference came from."""

    PROPOSED = "proposed"  # by registration of the two images, not yet looked at
    CONFIRMED = "confirmed"  # the reader checked it, or corrected it with the landmark link


class Sex(Vocabulary):
    MALE = "M"
    FEMALE = "F"
    OTHER = "O"


class PrimarySite(Vocabulary):
    SMALL_BOWEL = "small_bowel"
    PANCREAS = "pancreas"
    STOMACH = "stomach"
    RECTUM = "rectum"
    OESOPHAGUS = "oesophagus"
    OTHER = "other"


class Grade(Vocabulary):
    """WHO 2019 grade of a digestive neuroendocrine neoplasm."""

    G1 = "G1"
    G2 = "G2"
    G3 = "G3"


class GradeSource(Vocabulary):
    """Where the tissue that was graded came from."""

    PRIMARY = "primary"
    LIVER_METASTASIS = "liver_metastasis"


class Differentiation(Vocabulary):
    """Well differentiated tumour (NET, G1-G3) or poorly differentiated carcinoma (NEC, G3)."""

    NET = "NET"
    NEC = "NEC"


class LiverMetastasesTiming(Vocabulary):
    SYNCHRONOUS = "synchronous"
    METACHRONOUS = "metachronous"


class Treatment(Vocabulary):
    """Treatments recorded per patient; ``treat_<value>`` is the patients.csv column."""

    PRIMARY_RESECTION = "primary_resection"
    LIVER_SURGERY = "liver_surgery"
    CHEMOEMBOLISATION = "chemoembolisation"
    RADIOFREQUENCY_ABLATION = "radiofrequency_ablation"
    SOMATOSTATIN_ANALOGUES = "somatostatin_analogues"
    CHEMOTHERAPY = "chemotherapy"
    TARGETED_THERAPY = "targeted_therapy"
    TRANSPLANT = "transplant"

    @property
    def column(self) -> str:
        return f"treat_{self.value}"

    @property
    def label(self) -> str:
        """The reader's words: "chemo-embolisation", "liver transplant"."""
        return {"chemoembolisation": "chemo-embolisation",
                "transplant": "liver transplant"}.get(self.value, self.value.replace("_", " "))


class FollowupKind(Vocabulary):
    """A lesion's place in a RECIST 1.1 follow-up: chosen target, non-target, or new since the baseline."""

    TARGET = "target"
    NON_TARGET = "non_target"
    NEW = "new"


class FollowupStatus(Vocabulary):
    """What the reader records on a lesion at one timepoint (RECIST 1.1).

    Targets: measured (a diameter), too small to measure (counts 5 mm), disappeared (0 mm), not
    assessed. Non-target and new lesions: present, absent, unequivocal progression (non-targets),
    not assessed; a new lesion may also be measured, or *equivocal* (seen, not yet unequivocally new:
    RECIST 1.1 dates the PD back to this first observation once a later exam confirms it).
    """

    MEASURED = "measured"
    TOO_SMALL = "too_small"
    DISAPPEARED = "disappeared"
    NOT_ASSESSED = "not_assessed"
    PRESENT = "present"
    ABSENT = "absent"
    UNEQUIVOCAL_PROGRESSION = "unequivocal_progression"
    EQUIVOCAL = "equivocal"

    @property
    def label(self) -> str:
        return {"too_small": "too small to measure"}.get(self.value, self.value.replace("_", " "))


#: Statuses each kind of follow-up lesion may take.
FOLLOWUP_STATUSES: dict[FollowupKind, frozenset[FollowupStatus]] = {
    FollowupKind.TARGET: frozenset({FollowupStatus.MEASURED, FollowupStatus.TOO_SMALL, FollowupStatus.DISAPPEARED,
                                    FollowupStatus.NOT_ASSESSED}),
    FollowupKind.NON_TARGET: frozenset({FollowupStatus.PRESENT, FollowupStatus.ABSENT,
                                        FollowupStatus.UNEQUIVOCAL_PROGRESSION, FollowupStatus.NOT_ASSESSED}),
    FollowupKind.NEW: frozenset({FollowupStatus.PRESENT, FollowupStatus.MEASURED, FollowupStatus.ABSENT,
                                 FollowupStatus.EQUIVOCAL, FollowupStatus.NOT_ASSESSED}),
}
