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
