"""Where the readers of a study disagree on a case: what the adjudicator looks at before the consensus.

For one case and one session, over the study's readers' reads of it (``R1@MRI``, ``R2@MRI``, ...):

- ``lesion_unmatched``: on a series, a measured lesion of some readers that the others did not
  measure there, after matching by position in patient mm with the size tolerance
  (:func:`analysis.matching.cluster_findings`, the rule the agreement statistics use);
- ``diameter``: a lesion all readers measured whose diameters differ by more than
  ``max(diameter_mm, diameter_fraction x their mean)``;
- ``count``: per series and lobe, counts of the readers who counted it that differ by more than
  ``count_difference``; ``count_status``: counted by some, not countable for others;
- ``not_placed``: a series whose lesions cannot be matched (its images' geometry was not given).

The adjudicator records the consensus as a read of their own (``Study.open_adjudication``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from analysis.matching import Finding, MatchRule, cluster_findings
from annotation import _validate as v
from annotation.placement import patient_point, unplaced_reason
from annotation.project import Project
from annotation.study import StudyDefinition, session_reader
from annotation.vocab import CountStatus, Lobe
from viewer.errors import ValidationError
from viewer.geometry import StackGeometry
from viewer.records import ImageHeader, Role


class DisagreementKind(str, Enum):
    LESION_UNMATCHED = "lesion_unmatched"
    DIAMETER = "diameter"
    COUNT = "count"
    COUNT_STATUS = "count_status"
    NOT_PLACED = "not_placed"


@dataclass(frozen=True)
class Thresholds:
    """What counts as a disagreement (the defaults follow published inter-reader limits of ~±6-8 mm)."""

    diameter_mm: float = 5.0
    diameter_fraction: float = 0.2
    count_difference: int = 0

    def __post_init__(self) -> None:
        for name in ("diameter_mm", "diameter_fraction"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValidationError(f"expected a number >= 0, got {value!r}", where=name)
        v.whole("count_difference", self.count_difference)


@dataclass(frozen=True)
class Disagreement:
    """One disagreement: on which series (and lobe), between whom, about what."""

    kind: DisagreementKind
    series_role: Role
    lobe: Lobe | None
    readers: tuple[str, ...]  # the study readers concerned (with the finding, or all for a difference)
    lesions: tuple[str, ...]  # "R1 L2" of the lesions concerned
    values: tuple[float, ...]  # diameters (mm) or counts, in the order of ``readers``
    detail: str


def disagreements(project: Project, definition: StudyDefinition, session: str, code: str,
                  geometries: Mapping[str, StackGeometry] | None, *, thresholds: Thresholds = Thresholds(),
                  rule: MatchRule = MatchRule(), images: Mapping[str, Sequence[ImageHeader]] | None = None
                  ) -> list[Disagreement]:
    """The disagreements of the study readers' reads of a case in a session, series by series. ``images``: each
    stack's images in volume order, by which a line is placed on its own image
    (:func:`annotation.placement.patient_point`; without them, its stored index)."""
    case = definition.case(code)
    names = {session_reader(r, session): r for r in definition.readers}
    out: list[Disagreement] = []
    for role in definition.session(session).roles:
        out += _lesions(project, case.pair, names, role, geometries, thresholds, rule, images or {})
        out += _counts(project, case.pair, names, role, thresholds)
    return out


def _lesions(project: Project, pair: tuple[str, str], names: Mapping[str, str], role: Role,
             geometries: Mapping[str, StackGeometry] | None, t: Thresholds, rule: MatchRule,
             images: Mapping[str, Sequence[ImageHeader]]) -> list[Disagreement]:
    findings, sizes = [], {}
    for name, reader in names.items():
        for les in project.lesions_of(*pair, name):
            m = les.measurements().get(role)
            if m is None:
                continue
            geo = (geometries or {}).get(m.stack_key)
            p = patient_point(m, *m.middle, geo, images.get(m.stack_key, ())) if geo is not None else None
            if p is None:
                return [Disagreement(DisagreementKind.NOT_PLACED, role, None, tuple(sorted(names.values())), (), (),
                                     "lesions cannot be matched without the images' geometry" if geo is None else
                                     f"lesions cannot be matched: {reader} {les.lesion_id}'s line: "
                                     + unplaced_reason(m, images.get(m.stack_key, ())))]
            findings.append(Finding(reader, les.lesion_id, p, m.diameter_mm))
            sizes[(reader, les.lesion_id)] = m.diameter_mm
    everyone = sorted(names.values())
    out = []
    for cluster in cluster_findings(findings, rule):
        readers = sorted(cluster)
        lesions = tuple(f"{r} {cluster[r].key}" for r in readers)
        values = tuple(round(sizes[(r, cluster[r].key)], 2) for r in readers)
        if readers != everyone:
            missing = [r for r in everyone if r not in cluster]
            out.append(Disagreement(DisagreementKind.LESION_UNMATCHED, role, None, tuple(readers), lesions, values,
                                    f"measured by {', '.join(readers)}, not by {', '.join(missing)}"))
            continue
        spread = max(values) - min(values)
        limit = max(t.diameter_mm, t.diameter_fraction * sum(values) / len(values))
        if spread > limit:
            out.append(Disagreement(DisagreementKind.DIAMETER, role, None, tuple(readers), lesions, values,
                                    f"diameters differ by {spread:.1f} mm (more than {limit:.1f} mm)"))
    return out


def _counts(project: Project, pair: tuple[str, str], names: Mapping[str, str], role: Role,
            t: Thresholds) -> list[Disagreement]:
    status = {reader: project.count_status(*pair, name, role) for name, reader in names.items()}
    read = {r: s for r, s in status.items() if s is not CountStatus.NOT_READ}
    out = []
    if len(set(read.values())) > 1:
        readers = tuple(sorted(read))
        out.append(Disagreement(DisagreementKind.COUNT_STATUS, role, None, readers, (), (),
                                ", ".join(f"{r}: {read[r].value.replace('_', ' ')}" for r in readers)))
    counted = sorted(r for r, s in read.items() if s is CountStatus.COUNTED)
    if len(counted) < 2:
        return out
    by_name = {reader: name for name, reader in names.items()}
    tallies = {r: project.counts(*pair, by_name[r]) for r in counted}
    for lobe in Lobe:
        values = tuple(float(tallies[r][(role, lobe)]) for r in counted)
        if max(values) - min(values) > t.count_difference:
            out.append(Disagreement(DisagreementKind.COUNT, role, lobe, tuple(counted), (), values,
                                    f"{lobe.value} lobe: " + ", ".join(f"{r} {int(v)}" for r, v in zip(counted, values))))
    return out
