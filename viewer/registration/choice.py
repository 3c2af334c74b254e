"""Which stack of each exam to register.

Measured on the sample (bench/bench_register.py, liver focus, lesion distance mean / max over the
three CT-MRI pairs): against CT portal, MRI T1 portal 0.4 / 0.8 mm, T1 pre 0.5 / 0.9, DWI b0
0.5 / 0.9, T2FS 0.6 / 1.0, T1 arterial 0.6 / 1.1, DWI b800 0.6 / 1.3, ADC 1.7 / 2.0; CT arterial
instead of portal changes little. All meet the 5 mm goal; the order below puts first the series whose contrast
matches the CT's (both enhanced in the portal phase: vessels and liver alike on both), then the
anatomical ones, then the noisy or derived ones. The CT portal comes first because the follow-up
exams always have it (RECIST is read on it) and a prior-current pair then uses the same phase.
"""

from __future__ import annotations

from typing import Iterable

from viewer.records import Role, StackInfo

#: Best first; a role not listed is never registered (localisers, subtractions, unknown).
PREFERRED_ROLES: tuple[Role, ...] = (
    Role.CT_PORTAL, Role.CT_ARTERIAL, Role.CT_DELAYED, Role.CT_UNENHANCED,
    Role.MR_T1_PORTAL, Role.MR_T1_DELAYED, Role.MR_T1_PRE, Role.MR_DWI, Role.MR_T2FS, Role.MR_T2,
    Role.MR_T1_ARTERIAL, Role.MR_ADC,
)


def registration_stack(stacks: Iterable[StackInfo]) -> StackInfo | None:
    """The stack of one exam to register: the best role of PREFERRED_ROLES present, the lowest
    b-value of a diffusion series, the most slices among equals; None when none qualifies."""
    rank = {role: i for i, role in enumerate(PREFERRED_ROLES)}
    candidates = [s for s in stacks if s.role in rank and s.n_slices >= 4]
    if not candidates:
        return None
    return min(candidates, key=lambda s: (rank[s.role], s.b_value if s.b_value is not None else 0.0, -s.n_slices))
