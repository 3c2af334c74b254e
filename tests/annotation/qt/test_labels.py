"""Where the measurement layer hangs its mm labels (annotation/qt/layers.py ``place_labels``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from annotation.qt.layers import place_labels

ANCHOR = st.tuples(st.floats(0, 300), st.floats(0, 300), st.floats(10, 120))


@settings(max_examples=300, deadline=None)
@given(st.lists(ANCHOR, min_size=1, max_size=12), st.sampled_from([12.0, 15.0, 19.0]))
def test_no_two_labels_overlap_and_the_first_keeps_its_place(anchors, height) -> None:  # type: ignore[no-untyped-def]
    boxes = [(x, y, w, height) for x, y, w in anchors]
    placed = place_labels(boxes)
    assert placed[0] == (boxes[0][0] + 6.0, boxes[0][1] - 10.0)
    rects = [(left, top, w, h) for (left, top), (_x, _y, w, h) in zip(placed, boxes)]
    for i, (ax, ay, aw, ah) in enumerate(rects):
        for bx, by, bw, bh in rects[i + 1:]:
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), (rects, i)


def test_labels_far_apart_stay_where_they_hang() -> None:
    assert place_labels([(10, 10, 50, 15), (200, 200, 50, 15)]) == [(16.0, 0.0), (206.0, 190.0)]


def test_labels_of_unequal_heights_never_overlap() -> None:
    boxes = [(0.0, 0.0, 80.0, 40.0), (0.0, 0.0, 80.0, 15.0), (0.0, 5.0, 80.0, 15.0), (2.0, 3.0, 80.0, 30.0)]
    placed = place_labels(boxes)
    rects = [(left, top, w, h) for (left, top), (_x, _y, w, h) in zip(placed, boxes)]
    for i, (ax, ay, aw, ah) in enumerate(rects):
        for bx, by, bw, bh in rects[i + 1:]:
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), rects


def test_a_label_among_marks_stays_beside_its_line() -> None:
    """review41: where count marks' ticks take every place beside a line's end, the label stepped down past them (70 px
    from its line for one slice in twenty of ten marks and three lines in 200 px, 350 px among 60 marks): it now
    lies beside its line over a tick. A place beside the line free of marks is still taken first."""
    anchor = (100.0, 100.0, 60.0, 14.0)
    ticks = [(float(x), float(y), 20.0, 20.0) for x in range(20, 200, 20) for y in range(60, 300, 20)]
    (x, y), = place_labels([anchor], ticks)
    assert abs(y - 90.0) <= 14.0 and x in (106.0, 34.0), (x, y)
    # a place beside the line free of marks (left of its end): taken
    around = [(100.0, 85.0, 20.0, 20.0), (120.0, 85.0, 20.0, 20.0)]
    assert place_labels([anchor], around) == [(34.0, 90.0)]
    # two labels among the marks never lie on one another
    placed = place_labels([anchor, (104.0, 102.0, 60.0, 14.0)], ticks)
    (ax, ay), (bx, by) = placed
    assert not (ax < bx + 60 and bx < ax + 60 and ay < by + 14 and by < ay + 14), placed
    assert all(abs(py - 92.0) <= 2 * 14.0 for _px, py in placed), placed
