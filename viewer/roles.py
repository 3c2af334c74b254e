"""Series roles: pure functions from stack header facts to (Role, confidence, reason).

Signals, strongest first: ImageType values (ADC, TRACEW, SUBTRACT ...), the series description
in the vocabularies of :mod:`viewer.role_vocab` (the protocol name only when the description
says nothing, at lower confidence: GE writes one protocol name for a whole exam), b-values,
scan options (FS), echo/repetition times, the contrast agent, and, across a study, the
acquisition times of series whose phase no name gives (:mod:`viewer.role_phases`). A stack
whose series also holds stacks of a higher b-value is the low-b volume of one diffusion
acquisition (Philips DTI: b0 volumes beside b1000 ones), whatever its echo time says.

The rule throughout: weak evidence gives ``unknown`` or ``*_other`` with a low confidence and
a reason that says what is missing, never a confident wrong role.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

from viewer.records import READING_ROLES, Role, StackInfo
from viewer.role_phases import PHASE_ROLES, Pending, RoleGuess, StackFacts, facts_of, order_phases
from viewer.role_vocab import (ADC, Phase, DWI, DYNAMIC, EXP_ADC, FA_MAP, FAT_SAT, IN_OPPOSED, LUNG_SERIES, MATERIAL_MAP,
                               NOT_LIVER_CT,
                               PROJECTION, SUBTRACTION, T1, T2, T2_WEAK, normalise, phase_of)

__all__ = ["RoleGuess", "StackFacts", "classify_study", "classify_stack", "facts_of"]

_DIFFUSION_TYPES = frozenset({"TRACEW", "TRACE", "DIFFUSION", "CALC_BVALUE"})
_NOT_LIVER_PARTS = frozenset({"HEAD", "BRAIN", "NECK", "SKULL", "CSPINE", "HEADNECK", "EXTREMITY", "KNEE", "HAND"})
#: Confidence kept for a reading role on a stack that is not axial (the protocol reads axial).
NON_AXIAL_FACTOR = 0.8
#: Confidence kept when the evidence comes from the protocol name instead of the description.
PROTOCOL_FACTOR = 0.75


@dataclass(frozen=True)
class _Text:
    """A normalised text and the words to quote it by in reasons."""

    norm: str
    raw: str
    label: str  # "description" or "protocol name"


def classify_stack(stack: StackInfo, study: Sequence[StackInfo] = ()) -> RoleGuess:
    """Role of one stack, with the other stacks of its study as context."""
    stacks = list(study) if study else [stack]
    if stack not in stacks:
        stacks.append(stack)
    return classify_study(stacks)[stacks.index(stack)]


def classify_study(stacks: Sequence[StackInfo]) -> list[RoleGuess]:
    """Roles of all stacks of one study (same order); phases untold by names come from timing."""
    facts = _with_series_context(stacks, [facts_of(s) for s in stacks])
    first = [_classify(f) for f in facts]
    out: list[RoleGuess | None] = [g if isinstance(g, RoleGuess) else None for g in first]
    groups: dict[tuple[str, str], list[int]] = {}
    for i, g in enumerate(first):
        if isinstance(g, Pending):
            groups.setdefault((g.kind, facts[i].orientation), []).append(i)
    for (kind, _orientation), members in groups.items():
        pending = [first[i] for i in members]
        for i, guess in zip(members, order_phases(kind, [facts[i] for i in members], pending)):  # type: ignore[arg-type]
            out[i] = guess
    guesses = [_axial_check(facts[i], g) for i, g in enumerate(out)]  # type: ignore[arg-type]
    return _name_rivals(stacks, guesses)


def _name_rivals(stacks: Sequence[StackInfo], guesses: list[RoleGuess]) -> list[RoleGuess]:
    """Each reading-role guess with the other series of its study given that role named in its reason: the
    hanging shows one of them (viewer.model.layout.best_stack), and a second portal phase, a thin and a thick
    reconstruction, a series split in two (a slice turned or with its own pixel spacing), must not go unseen.
    The b-values of one diffusion series are one acquisition, not rivals."""
    hung = set(READING_ROLES) | {Role.MR_ADC}
    out = list(guesses)
    for i, g in enumerate(guesses):
        if g.role not in hung:
            continue
        me = stacks[i]
        others = [s for s, h in zip(stacks, guesses) if h.role is g.role and s is not me
                  and (s.series_instance_uid != me.series_instance_uid or s.b_value == me.b_value)]
        if others:
            named = ", ".join(f"series {s.series_number if s.series_number is not None else '?'}"
                              f" '{s.series_description}'" + (f" ({s.split_label})" if s.split_label else "")
                              for s in others)
            out[i] = RoleGuess(g.role, g.confidence, f"{g.reason}; {len(others)} other {g.role.value}"
                                                     f" stack{'s' if len(others) > 1 else ''} in this study: {named}")
    return out


def _with_series_context(stacks: Sequence[StackInfo], facts: list[StackFacts]) -> list[StackFacts]:
    """Each stack's facts with the b-values of the other stacks of its series."""
    by_series: dict[str, list[int]] = {}
    for i, s in enumerate(stacks):
        by_series.setdefault(s.series_instance_uid, []).append(i)
    out = list(facts)
    for members in by_series.values():
        if len(members) < 2:
            continue
        for i in members:
            others = frozenset(b for j in members if j != i and (b := stacks[j].b_value) is not None)
            if others:
                out[i] = dataclasses.replace(facts[i], series_b_values=others)
    return out


def _axial_check(f: StackFacts, g: RoleGuess) -> RoleGuess:
    reading = g.role not in (Role.UNKNOWN, Role.CT_OTHER, Role.MR_OTHER)
    if reading and f.orientation != "axial":
        return RoleGuess(g.role, round(g.confidence * NON_AXIAL_FACTOR, 2),
                         f"{g.reason}; but the stack is {f.orientation} (from ImageOrientationPatient),"
                         " the protocol reads axial")
    return g


def _classify(f: StackFacts) -> RoleGuess | Pending:
    if f.modality == "CT":
        return _ct(f)
    if f.modality == "MR":
        return _mr(f)
    return RoleGuess(Role.UNKNOWN, 0.0, f"modality {f.modality or 'missing'} is not read in the protocol")


def _texts(f: StackFacts) -> list[_Text]:
    out = [_Text(normalise(f.description), f.description, "description")]
    if f.protocol and f.protocol != f.description:
        out.append(_Text(normalise(f.protocol), f.protocol, "protocol name"))
    return out


def _scaled(g: RoleGuess | Pending | None, factor: float, note: str) -> RoleGuess | Pending | None:
    if isinstance(g, RoleGuess):
        return RoleGuess(g.role, round(g.confidence * factor, 2), f"{g.reason} ({note})")
    if isinstance(g, Pending):
        return Pending(g.kind, f"{g.reason} ({note})")
    return g


# ---------------------------------------------------------------------------------------- CT
def _ct(f: StackFacts) -> RoleGuess | Pending:
    agent = f"; contrast agent {f.contrast_agent}" if f.contrast_agent else ""
    if f.image_type & {"MIP", "MINIP", "PROJECTION IMAGE"}:
        return RoleGuess(Role.CT_OTHER, 0.7, "CT projection image (ImageType MIP/projection), not a reading stack")
    for i, t in enumerate(_texts(f)):
        g = _ct_text(f, t, agent)
        if g is not None:
            return g if i == 0 else _scaled(g, PROTOCOL_FACTOR, "from the protocol name only")  # type: ignore[return-value]
    if f.body_part.upper() in _NOT_LIVER_PARTS or NOT_LIVER_CT.search(normalise(f.study_description)):
        part = f.body_part or f.study_description
        return RoleGuess(Role.CT_OTHER, 0.6, f"CT of the {part.lower()} (BodyPartExamined/StudyDescription),"
                                              " not a liver phase; no contrast phase in the headers")
    return Pending("ct", "CT with no contrast phase in its description")


def _ct_text(f: StackFacts, t: _Text, agent: str) -> RoleGuess | None:
    """CT role from one text (description or protocol name), or None when it names no phase."""
    if not t.norm.strip():
        return None
    quoted = f"{t.label} '{t.raw}'"
    if PROJECTION.search(t.norm) or SUBTRACTION.search(t.norm):
        return RoleGuess(Role.CT_OTHER, 0.6, f"{quoted} names a MIP/MPR/subtraction, not a reading helix")
    if NOT_LIVER_CT.search(t.norm) or (t.label == "description" and LUNG_SERIES.search(t.norm)):
        return RoleGuess(Role.CT_OTHER, 0.6, f"{quoted} names another body region")
    if MATERIAL_MAP.search(t.norm):
        return RoleGuess(Role.CT_OTHER, 0.6, f"{quoted} names a dual-energy material map, not a reading helix")
    phase, how = phase_of(t.norm, t.raw)
    if phase is None:
        return None
    role = PHASE_ROLES["ct"][phase]
    conf = 0.9 if how == "word" else 0.8
    reason = f"{quoted} names the {phase.value} phase{agent}"
    if role is Role.CT_UNENHANCED and f.contrast_agent:
        conf, reason = 0.55, f"{reason}, yet ContrastBolusAgent is set"
    return RoleGuess(role, conf, "CT: " + reason)


# ---------------------------------------------------------------------------------------- MR
def _mr(f: StackFacts) -> RoleGuess | Pending:
    it = f.image_type
    if "ADC" in it:
        note = f" (b{f.b_value:g} in {f.b_value_source} is the b the map was computed from)" if f.b_value else ""
        return RoleGuess(Role.MR_ADC, 0.95, f"ImageType contains ADC{note}")
    if "EADC" in it or "EXP" in it:
        return RoleGuess(Role.MR_OTHER, 0.6, "exponential ADC map (ImageType EADC/EXP)")
    if "FA" in it:
        return RoleGuess(Role.MR_OTHER, 0.6, "fractional anisotropy map (ImageType FA)")
    if it & {"SUBTRACT", "SUB"}:
        return RoleGuess(Role.MR_T1_SUBTRACTION, 0.9, f"ImageType {'/'.join(sorted(it & {'SUBTRACT', 'SUB'}))}")
    for i, t in enumerate(_texts(f)):
        g = _mr_text(f, t)
        if g is not None:
            return g if i == 0 else _scaled(g, PROTOCOL_FACTOR, "from the protocol name only")  # type: ignore[return-value]
    return _mr_headers_only(f)


def _higher_b(f: StackFacts) -> list[float]:
    """b-values above this stack's own (any above 0 when its own is unknown) among the other
    stacks of its series: then it is their low-b volume."""
    own = 0.0 if f.b_value is None else f.b_value
    return sorted(b for b in f.series_b_values if b > own)


def _diffusion_signals(f: StackFacts, named: str | None) -> list[str]:
    signals = []
    if f.image_type & _DIFFUSION_TYPES:
        signals.append("ImageType " + "/".join(sorted(f.image_type & _DIFFUSION_TYPES)))
    if named:
        signals.append(named)
    higher = _higher_b(f)
    if higher:
        signals.append("its series also holds " + "/".join(f"b{b:g}" for b in higher) + " (one diffusion acquisition)")
    if f.b_value is not None and (f.b_value > 0 or signals):
        signals.append(f"b-value {f.b_value:g} from {f.b_value_source}")
    return signals


def _dwi(f: StackFacts, signals: list[str]) -> RoleGuess:
    conf = 0.95 if len(signals) >= 2 else 0.8
    b_note = "" if f.b_value is not None else "; no b-value in the headers"
    if f.b_value is not None and f.b_value < 50:
        b_note = f"; b{f.b_value:g} (the low-b image of the diffusion series)"
    return RoleGuess(Role.MR_DWI, conf, "diffusion: " + "; ".join(signals) + b_note)


def _mr_text(f: StackFacts, t: _Text) -> RoleGuess | Pending | None:
    """MR role from one text (description or protocol name), or None when it names nothing."""
    if not t.norm.strip():
        return None
    quoted = f"{t.label} '{t.raw}'"
    if EXP_ADC.search(t.norm) and ADC.search(t.norm):
        return RoleGuess(Role.MR_OTHER, 0.6, f"{quoted} names an exponential ADC map")
    if ADC.search(t.norm):
        note = f"; b{f.b_value:g} in {f.b_value_source} is the b the map was computed from" if f.b_value else ""
        return RoleGuess(Role.MR_ADC, 0.9, f"{quoted} names an ADC map{note}")
    if FA_MAP.search(t.norm):
        return RoleGuess(Role.MR_OTHER, 0.6, f"{quoted} names a fractional anisotropy map")
    if DWI.search(t.norm) or f.image_type & _DIFFUSION_TYPES:
        return _dwi(f, _diffusion_signals(f, quoted if DWI.search(t.norm) else None))
    phase, how = phase_of(t.norm, t.raw)
    phase_note = f", {phase.value} phase" if phase else ""
    if SUBTRACTION.search(t.norm):
        return RoleGuess(Role.MR_T1_SUBTRACTION, 0.85, f"{quoted} names a subtraction{phase_note}")
    if PROJECTION.search(t.norm):
        return RoleGuess(Role.MR_OTHER, 0.6, f"{quoted} names a MIP/MPR reconstruction")
    fat_sat = FAT_SAT.search(t.norm)
    fs_option = "FS" in f.scan_options
    if T2.search(t.norm) or (T2_WEAK.search(t.norm) and (f.echo_time_ms or 0) >= 60):
        if fat_sat:
            return RoleGuess(Role.MR_T2FS, 0.9, f"{quoted} names a fat-suppressed T2")
        if fs_option:
            return RoleGuess(Role.MR_T2FS, 0.8, f"{quoted} names a T2; ScanOptions FS (fat saturation)")
        return RoleGuess(Role.MR_T2, 0.75, f"{quoted} names a T2 without fat suppression")
    t1 = T1.search(t.norm) or (DYNAMIC.search(t.norm) and _gradient_echo_t1(f))
    if t1 and IN_OPPOSED.search(t.norm):
        return RoleGuess(Role.MR_OTHER, 0.7, f"{quoted} names a T1 in/opposed-phase (chemical shift) series")
    if t1 and phase is not None:
        return _t1_phase(f, phase, f"{quoted} names a T1{phase_note}", 0.9 if how == "word" else 0.8)
    if t1:
        return Pending("mr_t1", f"{quoted} names a T1 without its contrast phase")
    if phase is not None:
        return _t1_phase(f, phase, f"{quoted} names the {phase.value} phase (sequence not named, taken as T1)", 0.6)
    return None


def _t1_phase(f: StackFacts, phase: Phase, reason: str, conf: float) -> RoleGuess:
    role = PHASE_ROLES["mr_t1"][phase]
    if role is Role.MR_T1_PRE and f.contrast_agent:
        return RoleGuess(role, min(conf, 0.6), f"{reason}, yet ContrastBolusAgent {f.contrast_agent} is set")
    agent = f"; contrast agent {f.contrast_agent}" if f.contrast_agent and role is not Role.MR_T1_PRE else ""
    return RoleGuess(role, conf, reason + agent)


def _gradient_echo_t1(f: StackFacts) -> bool:
    """Short TR/TE gradient echo: the physics of a T1 GRE (VIBE/LAVA/THRIVE)."""
    return "GR" in f.scanning_sequence and (f.repetition_time_ms or 99) < 15 and (f.echo_time_ms or 99) < 6


def _mr_headers_only(f: StackFacts) -> RoleGuess | Pending:
    """No words recognised: physics and b-values alone, at low confidence."""
    signals = _diffusion_signals(f, None)
    if signals and ((f.b_value or 0) > 0 or _higher_b(f)):
        g = _dwi(f, signals)
        return RoleGuess(g.role, min(g.confidence, 0.7), g.reason + "; description silent")
    te, tr = f.echo_time_ms or 0, f.repetition_time_ms or 0
    if te >= 60 and tr >= 1000 and "EP" not in f.scanning_sequence:
        fs = "FS" in f.scan_options
        role = Role.MR_T2FS if fs else Role.MR_T2
        return RoleGuess(role, 0.45, f"long TE {te:g} ms / TR {tr:g} ms (T2-weighted physics)"
                                     f"{'; ScanOptions FS' if fs else ''}; description silent")
    if _gradient_echo_t1(f):
        return Pending("mr_t1", f"short TR {tr:g} ms / TE {te:g} ms gradient echo (T1 physics); description silent")
    what = f"description '{f.description}'" if f.description else "no description"
    return RoleGuess(Role.MR_OTHER, 0.2, f"MR with {what}: no sequence type recognised")
