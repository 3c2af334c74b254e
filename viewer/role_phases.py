"""Role records, the facts the classifier reads, and contrast phases told by timing.

When names do not give the phase of a study's dynamic series (T1 ``t1_vibe_dyn`` repeated, or
CT helices named alike), the order of acquisition can, but only with real evidence: a contrast
attribute (ContrastBolusAgent on the later series, or ContrastBolusStartTime) *and* intervals
that look like contrast phases (at least :data:`MIN_PHASE_GAP_S` between time points). The
Siemens ``fl3d_dynamic`` phantom of ../shared/realdicom (3 time points 3 s apart, no contrast
attribute) must stay "phase unknown".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from viewer.dicomtime import parse_da, tm_seconds
from viewer.records import Role, StackInfo
from viewer.role_vocab import Phase

#: Consecutive time points closer than this are not distinct contrast phases (s).
MIN_PHASE_GAP_S = 10.0
#: Stacks starting within this of each other belong to one time point (s).
SAME_TIME_S = {"ct": 5.0, "mr_t1": 2.0}
#: Seconds after the injection start: below ARTERIAL_MAX arterial, below PORTAL_MAX portal.
ARTERIAL_MAX_S, PORTAL_MAX_S = 50.0, 150.0

PHASE_ROLES: dict[str, dict[Phase, Role]] = {
    "ct": {Phase.PRE: Role.CT_UNENHANCED, Phase.ARTERIAL: Role.CT_ARTERIAL, Phase.PORTAL: Role.CT_PORTAL,
           Phase.DELAYED: Role.CT_DELAYED},
    "mr_t1": {Phase.PRE: Role.MR_T1_PRE, Phase.ARTERIAL: Role.MR_T1_ARTERIAL, Phase.PORTAL: Role.MR_T1_PORTAL,
              Phase.DELAYED: Role.MR_T1_DELAYED},
}
_OTHER = {"ct": Role.CT_OTHER, "mr_t1": Role.MR_OTHER}
_WHAT = {"ct": "enhanced CT", "mr_t1": "T1 dynamic"}


@dataclass(frozen=True)
class RoleGuess:
    """A role, how sure (0..1) and why, in words a radiologist can check."""

    role: Role
    confidence: float
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role.parse(self.role))
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, got {self.confidence}")


@dataclass(frozen=True)
class Pending:
    """A stack whose sequence is known (``kind`` ct or mr_t1) but whose phase needs the study."""

    kind: str
    reason: str


@dataclass(frozen=True)
class StackFacts:
    """The header facts the classifier reads from one stack (plain values)."""

    modality: str
    description: str
    protocol: str
    study_description: str
    image_type: frozenset[str]
    b_value: float | None
    b_value_source: str | None
    contrast_agent: str  # "" when absent or empty
    contrast_start_s: float | None  # seconds since midnight of the acquisition date
    time_s: float | None  # acquisition start, seconds since 0001-01-01 (None when unknown)
    orientation: str
    n_slices: int
    body_part: str
    scanning_sequence: str
    scan_options: frozenset[str]
    echo_time_ms: float | None
    repetition_time_ms: float | None
    #: b-values of the *other* stacks of the same series (a b0 volume beside b1000 ones is diffusion).
    series_b_values: frozenset[float] = frozenset()


def _day_s(date: str) -> float:
    """Seconds from day 1 to a DA date; 0 when unknown (clocks of one day still compare)."""
    day = parse_da(date)
    return 0.0 if day is None else day.toordinal() * 86400.0


def facts_of(stack: StackInfo) -> StackFacts:
    """StackFacts of a stack, from its images' headers."""
    imgs = stack.images
    first = imgs[0]
    agent = next((h.contrast_agent for h in imgs if h.contrast_agent), "") or ""
    clock = tm_seconds(stack.acquisition_time) if stack.acquisition_time else tm_seconds(first.series_time)
    day = _day_s(first.acquisition_date or first.study_date)
    start = tm_seconds(next((h.contrast_start_time for h in imgs if h.contrast_start_time), ""))
    image_type = frozenset(v for h in imgs for v in h.image_type)
    return StackFacts(
        modality=stack.modality.upper(), description=stack.series_description, protocol=first.protocol_name,
        study_description=stack.study_description, image_type=image_type, b_value=stack.b_value,
        b_value_source=first.b_value_source, contrast_agent=agent.strip(),
        contrast_start_s=None if start is None else day + start,
        time_s=None if clock is None else day + clock, orientation=stack.orientation, n_slices=stack.n_slices,
        body_part=first.body_part, scanning_sequence=first.scanning_sequence.upper(),
        scan_options=frozenset(v.strip().upper() for v in first.scan_options.split("\\")),
        echo_time_ms=first.echo_time_ms, repetition_time_ms=first.repetition_time_ms)


def _unknown(kind: str, pending: Sequence[Pending], why: str, where: Sequence[str] = ()) -> list[RoleGuess]:
    role = _OTHER[kind]
    return [RoleGuess(role, 0.3, f"{p.reason}; {_WHAT[kind]}{(' ' + where[i]) if where else ''},"
                                 f" phase unknown: {why}") for i, p in enumerate(pending)]


def order_phases(kind: str, facts: Sequence[StackFacts], pending: Sequence[Pending]) -> list[RoleGuess]:
    """Phases of same-orientation stacks whose names do not give them, from timing and contrast."""
    n = len(facts)
    if any(f.time_s is None for f in facts):
        return _unknown(kind, pending, "acquisition times are missing")
    order = sorted(range(n), key=lambda i: facts[i].time_s)  # type: ignore[arg-type, return-value]
    points: list[list[int]] = []
    for i in order:
        if points and facts[i].time_s - facts[points[-1][0]].time_s <= SAME_TIME_S[kind]:  # type: ignore[operator]
            points[-1].append(i)
        else:
            points.append([i])
    t0 = facts[points[0][0]].time_s
    where = [""] * n
    for k, members in enumerate(points):
        for i in members:
            where[i] = f"time point {k + 1} of {len(points)} (+{facts[i].time_s - t0:.0f} s)"  # type: ignore[operator]
    with_agent = [any(facts[i].contrast_agent for i in p) for p in points]
    start = next((f.contrast_start_s for f in facts if f.contrast_start_s is not None), None)
    if not any(with_agent) and start is None:
        return _unknown(kind, pending, "no contrast attribute (ContrastBolusAgent, ContrastBolusStartTime)"
                                       " tells the phases apart", where)
    times = [facts[p[0]].time_s for p in points]
    gaps = [b - a for a, b in zip(times, times[1:])]  # type: ignore[operator]
    if len(points) > 1 and min(gaps) < MIN_PHASE_GAP_S:
        return _unknown(kind, pending, f"time points {min(gaps):.0f} s apart are too close for contrast phases",
                        where)
    if start is not None:
        return _by_injection(kind, facts, pending, where, start)
    if len(points) == 1:
        return _unknown(kind, pending, "a single post-contrast time point without its phase", where)
    if with_agent[0]:
        return _unknown(kind, pending, "every time point carries the contrast agent and there is no"
                                       " ContrastBolusStartTime: which one precedes the injection cannot be told",
                        where)
    if not all(with_agent[1:]):
        return _unknown(kind, pending, "the contrast agent is missing on some later series", where)
    phases, conf, basis = [Phase.PRE, Phase.ARTERIAL, Phase.PORTAL], 0.65, "first without contrast agent = pre"
    phases += [Phase.DELAYED] * (len(points) - len(phases))
    out: list[RoleGuess | None] = [None] * n
    for k, members in enumerate(points):
        c = conf - (0.15 if len(members) > 1 else 0.0) - (0.1 if phases[k] is Phase.DELAYED else 0.0)
        for i in members:
            out[i] = RoleGuess(PHASE_ROLES[kind][phases[k]], round(c, 2),
                               f"{pending[i].reason}; {phases[k].value} by order of acquisition: {where[i]},"
                               f" {basis}")
    return out  # type: ignore[return-value]


def _by_injection(kind: str, facts: Sequence[StackFacts], pending: Sequence[Pending], where: Sequence[str],
                  start_s: float) -> list[RoleGuess]:
    out = []
    for i, f in enumerate(facts):
        delta = f.time_s - start_s  # type: ignore[operator]
        if delta < 0:
            phase = Phase.PRE
        elif delta < ARTERIAL_MAX_S:
            phase = Phase.ARTERIAL
        elif delta < PORTAL_MAX_S:
            phase = Phase.PORTAL
        else:
            phase = Phase.DELAYED
        out.append(RoleGuess(PHASE_ROLES[kind][phase], 0.75,
                             f"{pending[i].reason}; {phase.value}: acquired {delta:+.0f} s from the contrast"
                             f" injection (ContrastBolusStartTime), {where[i]}"))
    return out
