"""Column widths that fit a table's width, a pure function (no Qt): the follow-up lesion table's nine columns ran
210 px past their place at 1600 px wide, Series and Eligibility behind a scroll bar (a radiologist's read, session 45).
"""

from __future__ import annotations

from typing import Mapping, Sequence


def fit_widths(natural: Sequence[int], available: int, last_least: int,
               stages: Sequence[Mapping[int, int]]) -> list[int]:
    """The widths of a table's columns within ``available`` pixels. ``natural``: each column's width showing its
    contents whole; the last column takes what the others leave, at least ``last_least`` (its text wraps). Where they do
    not fit, each stage in turn ({column: least width}) narrows its columns in proportion to what they have over their
    least, until they fit. Where they do not fit even so, the natural widths: every column whole, the table scrolls."""
    widths = list(natural[:-1])
    over = sum(widths) + last_least - available
    for least in stages:
        room = {c: max(0, widths[c] - w) for c, w in least.items()}
        total = sum(room.values())
        if over > 0 and total > 0:
            cut = min(over, total)
            for c, r in room.items():
                widths[c] -= -(-cut * r // total)  # rounded up: within the width
            over -= cut
    if over > 0:
        return list(natural)
    return [*widths, max(last_least, available - sum(widths))]
