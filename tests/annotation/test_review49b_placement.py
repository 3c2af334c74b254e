"""Review 49b of d91218d (a line or mark whose cut 64-character UID names two images is left unplaced): the count of
images a record names must count files, not frames. A count mark of a store before schema 17 names no frame; on an
enhanced multi-frame file every frame carries the file's UID, so ``images_named`` summed the frames (4) and
``patient_point`` left the mark unplaced, said "its image's UID names 4 images ... (UIDs longer than 64 characters
agreeing on their first 64)" -- an ordinary conformant multi-frame file, the mark dropped from the agreement."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from annotation.placement import images_named, patient_point, slice_of, unplaced_reason
from annotation.records import CountMark, Measurement
from viewer.geometry.stack import StackGeometry

PAIR = ("P1", "E1")


def _images(keys: list[tuple[str, int, int]]) -> tuple[Any, ...]:
    """(UID, frame index, frames in its file) per image, volume order."""
    return tuple(SimpleNamespace(sop_instance_uid=u, frame=f, pixel=SimpleNamespace(number_of_frames=n))
                 for u, f, n in keys)


def _geometry(n: int) -> StackGeometry:
    geo, _order = StackGeometry.from_slices(64, 64, (1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
                                            [(0.0, 0.0, 5.0 * k) for k in range(n)], (0.7, 0.7))
    return geo


#: single-frame files 1.1 and 1.2, then an enhanced multi-frame file 9.9 of 4 frames (a conformant UID)
FULL = [("1.1", 0, 1), ("1.2", 0, 1), ("9.9", 0, 4), ("9.9", 1, 4), ("9.9", 2, 4), ("9.9", 3, 4)]


def test_a_mark_of_a_store_before_schema_17_on_a_multi_frame_file_is_placed() -> None:
    images = _images(FULL)
    mark = CountMark("m1", *PAIR, "R1", "mr_t1_portal", "right", "s", 4, 50.0, 60.0, sop_instance_uid="9.9",
                     frame_number=None)
    assert slice_of(mark, images) == 4
    assert images_named(mark, images) == 1  # one file (d91218d: 4, its frames)
    p = patient_point(mark, 50.0, 60.0, _geometry(len(FULL)), images)
    assert p is not None and abs(p[2] - 20.0) < 1e-6, p


def test_twins_are_still_two_whatever_their_frames() -> None:
    """What d91218d refuses stays refused: two files whose UIDs agree on their first 64 characters (single-frame,
    multi-frame, or one of each) named by a record without a frame."""
    twins = ["1.2.3." + "4" * 58 + "01", "1.2.3." + "4" * 58 + "02"]
    cut = twins[0][:64]
    for keys in ([(twins[0], 0, 1), (twins[1], 0, 1)],
                 [(twins[0], 0, 2), (twins[0], 1, 2), (twins[1], 0, 2), (twins[1], 1, 2)],
                 [(twins[0], 0, 1), (twins[1], 0, 2), (twins[1], 1, 2)]):
        images = _images(keys)
        mark = CountMark("m1", *PAIR, "R1", "ct_portal", "right", "s", 0, 5.0, 6.0, sop_instance_uid=cut,
                         frame_number=None)
        assert images_named(mark, images) == 2, keys
        assert patient_point(mark, 5.0, 6.0, _geometry(len(keys)), images) is None
        assert "names 2 images" in unplaced_reason(mark, images)
    line = Measurement("s", "1.2", 1, (5.0, 5.0), (5.0, 15.0), 0.7, 0.7, sop_instance_uid=cut)
    assert images_named(line, _images([(twins[0], 0, 1), (twins[1], 0, 1)])) == 2
