"""One test of a normal lymph node in the response engine (session 39).

analysis/response.py had two near-equal tests, ``_normal_node`` (a non-target present with its short axis < 10 mm)
and ``_normal_node_mm`` (the same, and a target measured < 10 mm, giving the size): one rule written twice, which
could drift apart at the 10 mm boundary. :func:`normal_node_mm` is now the one; the engine's three places use it
(tests/analysis/test_response*.py keep their results).
"""

from __future__ import annotations

import pytest

from analysis.response import NODE_NORMAL_MM, normal_node_mm
from analysis.response_records import FollowupKind, FollowupStatus, LesionObservation

K, S = FollowupKind, FollowupStatus


def node(kind: FollowupKind, status: FollowupStatus, size: float | None, nodal: bool = True) -> LesionObservation:
    """A lesion seen with ``size`` mm drawn on its series: a measured target's diameter, else its ``measured_mm``."""
    if status is S.MEASURED:
        return LesionObservation("L1", kind, "lymph_node", nodal, status, diameter_mm=size, measured_mm=size)
    return LesionObservation("L1", kind, "lymph_node", nodal, status, measured_mm=size)


@pytest.mark.parametrize(("kind", "status"), [(K.NON_TARGET, S.PRESENT), (K.TARGET, S.MEASURED), (K.NEW, S.PRESENT),
                                              (K.NEW, S.MEASURED)])
def test_a_node_seen_under_10_mm_is_normal_at_its_size_whatever_its_kind(kind: FollowupKind,
                                                                         status: FollowupStatus) -> None:
    assert normal_node_mm(node(kind, status, 9.9)) == 9.9
    assert normal_node_mm(node(kind, status, NODE_NORMAL_MM - 1e-6)) == NODE_NORMAL_MM - 1e-6
    assert normal_node_mm(node(kind, status, NODE_NORMAL_MM)) is None  # 10 mm: pathological (followup.md)
    assert normal_node_mm(node(kind, status, NODE_NORMAL_MM - 1e-12)) is None  # 10 mm within rounding
    assert normal_node_mm(node(kind, status, 15.0)) is None
    assert normal_node_mm(node(kind, status, 9.9, nodal=False)) is None  # a liver lesion is no node


@pytest.mark.parametrize(("kind", "status"), [(K.NON_TARGET, S.ABSENT), (K.NON_TARGET, S.NOT_ASSESSED),
                                              (K.NON_TARGET, S.UNEQUIVOCAL_PROGRESSION), (K.TARGET, S.TOO_SMALL),
                                              (K.TARGET, S.DISAPPEARED), (K.NEW, S.EQUIVOCAL)])
def test_a_node_not_seen_or_not_drawn_is_not_read_as_normal(kind: FollowupKind, status: FollowupStatus) -> None:
    assert normal_node_mm(node(kind, status, 9.0)) is None  # its line aside, the status decides
    if status is not S.TOO_SMALL and status is not S.DISAPPEARED:
        assert normal_node_mm(node(kind, status, None)) is None


def test_a_present_node_without_its_line_is_not_normal() -> None:
    assert normal_node_mm(node(K.NON_TARGET, S.PRESENT, None)) is None  # no size: a persisting non-target
