"""One PatientID, one person: the studies of another person filed under a patient's id are set apart.

A reused or mistyped PatientID (another site's numbering, a test patient, a merge gone wrong on
the PACS) puts another person's study under a patient's id. Grouped by PatientID alone it becomes
an exam of that patient and, at follow-up, the prior exam hung beside theirs. A radiology
workstation never merges two people silently, so:

- Two studies of one PatientID are of different people when their PatientName differs after
  normalisation (per component group ``alphabetic=ideographic=phonetic``, compared where both
  have it; case, spaces and empty components ignored: ``DOE^JANE`` = ``doe ^ jane^^^``), or their
  PatientBirthDate, or their PatientSex, are both present and differ. A missing value never
  disagrees.
- Per PatientID the identity most of its studies agree with stays (a tie: the earliest study's,
  by study date then UID, undated last); the studies that disagree with it are left out, and a
  warning names the id, both identities, and the left-out studies' dates, modalities and folders.

The unit is a study's stacks of one identity: a study whose series disagree among themselves is
split the same way. The rule is a pure function of the stacks, used by the index (the left-out
files are listed as skipped, with the reason) and by :func:`viewer.studies.group_studies` (stacks of
several folders, each consistent alone).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from viewer.dicomtime import parse_da
from viewer.records import StackInfo

_SPACE = re.compile(r"\s+")
#: The words of the warning naming a PatientID used by several people (the workstation shows it in a dialog).
IDENTITY_CONFLICT = "is used by more than one person"


def name_key(name: str) -> tuple[tuple[str, ...], ...]:
    """PatientName as compared: per component group (``=``), its non-empty components, case-folded
    and without spaces. ``'Doe ^ Jane^^'`` and ``'DOE^JANE'`` give the same key."""
    groups = name.split("=")[:3]
    return tuple(tuple(c for c in (_SPACE.sub("", part).casefold() for part in g.split("^")) if c) for g in groups)


def _names_agree(a: str, b: str) -> bool:
    ka, kb = name_key(a), name_key(b)
    return all(not x or not y or x == y for x, y in zip(ka, kb))


@dataclass(frozen=True)
class Identity:
    """Who the images say the patient is: PatientName, PatientBirthDate (DA), PatientSex (M/F/O);
    "" when the header does not say."""

    name: str
    birth_date: str
    sex: str

    @classmethod
    def of(cls, stack: StackInfo) -> "Identity":
        img = stack.images[0] if stack.images else None
        return cls(stack.patient_name.strip(), img.patient_birth_date.strip() if img else "",
                   img.patient_sex.strip().upper() if img else "")

    def differences(self, other: "Identity") -> list[str]:
        """What disagrees with ``other`` ("name", "birth date", "sex"); empty when both may be one person."""
        out = []
        if self.name and other.name and not _names_agree(self.name, other.name):
            out.append("name")
        if self.birth_date and other.birth_date and self.birth_date != other.birth_date:
            out.append("birth date")
        if self.sex and other.sex and self.sex != other.sex:
            out.append("sex")
        return out

    def agrees(self, other: "Identity") -> bool:
        return not self.differences(other)

    @property
    def label(self) -> str:
        born = parse_da(self.birth_date)
        facts = [f"born {born.isoformat() if born else self.birth_date}" if self.birth_date else "",
                 self.sex]
        said = ", ".join(f for f in facts if f)
        return f"{self.name or '(no name)'}" + (f" ({said})" if said else "")


@dataclass(frozen=True)
class _Unit:
    """The stacks of one study that carry one identity."""

    identity: Identity
    stacks: tuple[StackInfo, ...]

    @property
    def order(self) -> tuple[bool, dt.date, str]:
        date = parse_da(self.stacks[0].study_date)
        return date is None, date or dt.date.min, self.stacks[0].study_instance_uid

    @property
    def when(self) -> str:
        """``2023-11-02 CT``: the study's date and modalities."""
        date = parse_da(self.stacks[0].study_date)
        return f"{date.isoformat() if date else 'undated'} {'/'.join(sorted({s.modality for s in self.stacks}))}"

    @property
    def label(self) -> str:
        return f"{self.when} in {_folder(self.stacks)}"


def _folder(stacks: Sequence[StackInfo]) -> str:
    """The folder (or zip::folder) that holds a study's files."""
    files = {img.file for s in stacks for img in s.images}
    if not files:
        return "(no files)"
    paths = {f.path for f in files}
    try:
        where = os.path.commonpath(sorted(paths)) if len(paths) > 1 else os.path.dirname(next(iter(paths)))
    except ValueError:  # relative and absolute paths mixed
        where = sorted(paths)[0]
    members = sorted(f.member for f in files if f.member)
    if members and len(paths) == 1:
        inner = os.path.commonpath(members) if len(members) > 1 else os.path.dirname(members[0])
        return f"{next(iter(paths))}::{inner}" if inner else next(iter(paths))
    return where


@dataclass(frozen=True)
class IdentityCheck:
    """Stacks kept (in the order given), stacks left out as another person's, and one warning per
    PatientID that more than one person shares."""

    kept: tuple[StackInfo, ...]
    left_out: tuple[StackInfo, ...]
    #: PatientID -> the warning about it (the ids more than one person shares)
    by_id: dict[str, tuple[str, ...]]
    #: stack key -> why it was left out (one sentence naming the id and both identities)
    reasons: dict[str, str]

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(w for ws in self.by_id.values() for w in ws)


def _units(stacks: Sequence[StackInfo]) -> list[_Unit]:
    by_study: dict[tuple[str, Identity], list[StackInfo]] = {}
    for s in stacks:
        ident = Identity.of(s)
        # a stack joins the first unit of its study it agrees with (a missing birth date agrees)
        key = next((k for k in by_study if k[0] == s.study_instance_uid and k[1].agrees(ident)),
                   (s.study_instance_uid, ident))
        by_study.setdefault(key, []).append(s)
    return sorted((_Unit(k[1], tuple(v)) for k, v in by_study.items()), key=lambda u: u.order)


def _fill(ref: Identity, agreeing: Sequence[_Unit]) -> Identity:
    """``ref`` with each value it lacks taken from the units agreeing with it (the commonest; a tie:
    the earliest unit's)."""
    def pick(field: str) -> str:
        values: list[str] = [getattr(u.identity, field) for u in agreeing if getattr(u.identity, field)]
        if not values:
            return ""
        counts = Counter(values)
        top = max(counts.values())
        return next(v for v in values if counts[v] == top)
    return replace(ref, **{f: getattr(ref, f) or pick(f) for f in ("name", "birth_date", "sex")})


def _reference(units: Sequence[_Unit]) -> Identity:
    """The identity most units agree with (a tie: the earliest unit's), completed from them."""
    def support(ident: Identity) -> int:
        return sum(1 for u in units if u.identity.agrees(ident))
    best = max(enumerate(units), key=lambda iu: (support(iu[1].identity), -iu[0]))[1].identity
    for _ in range(3):  # each pass fills values: at most three fields
        filled = _fill(best, [u for u in units if u.identity.agrees(best)])
        if filled == best:
            break
        best = filled
    return best


#: Kept studies named in a warning (the left-out ones are all named, with their folders).
_LISTED = 6


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _studies(n: int) -> str:
    return f"{n} stud{'y' if n == 1 else 'ies'}"


def check_identities(stacks: Iterable[StackInfo]) -> IdentityCheck:
    """Keep, per PatientID, the stacks of the person most of its studies agree with; leave the
    others out with a warning (module docstring)."""
    stacks = list(stacks)
    by_id: dict[str, list[StackInfo]] = {}
    for s in stacks:
        by_id.setdefault(s.patient_id, []).append(s)
    dropped: dict[str, str] = {}
    warnings: dict[str, tuple[str, ...]] = {}
    for pid, members in by_id.items():
        units = _units(members)
        if len(units) < 2 or all(u.identity.agrees(v.identity) for u in units for v in units):
            continue
        ref = _reference(units)
        kept = [u for u in units if u.identity.agrees(ref)]
        out = [u for u in units if not u.identity.agrees(ref)]
        if not out:
            continue
        id_text = pid or "(empty)"
        lines = []
        for u in out:
            why = _and(u.identity.differences(ref))
            lines.append(f"{u.label}: {u.identity.label} ({why} differ)")
            reason = (f"patient identity conflict: PatientID {id_text} here is {u.identity.label}, not"
                      f" {ref.label} of its other {_studies(len(kept))} ({why} differ): left out, not"
                      " merged into that patient")
            dropped.update((s.key, reason) for s in u.stacks)
        dates = ", ".join(u.when for u in kept[:_LISTED]) + (", …" if len(kept) > _LISTED else "")
        warnings[pid] = (
            f"PatientID {id_text} {IDENTITY_CONFLICT}: kept {_studies(len(kept))} of {ref.label}"
            f" ({dates}); left out {_studies(len(out))} of someone else: {'; '.join(lines)}. Reconcile the"
            " ids on the PACS, or index the left-out study's folder on its own",)
    return IdentityCheck(tuple(s for s in stacks if s.key not in dropped),
                         tuple(s for s in stacks if s.key in dropped), warnings, dropped)
