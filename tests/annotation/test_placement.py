"""annotation.placement: a line is on the image of its SOP Instance UID in the stack as loaded, never on the image its
stored index names in another load (a folder with a file missing shifts every index above the gap)."""

from __future__ import annotations

from dataclasses import replace

from annotation.placement import missing_here, missing_text, slice_of
from annotation.records import Measurement
from viewer.records import Role
from viewer.testing import make_stack, make_volume

STACK = make_stack("s1", Role.MR_DWI, n_slices=12)
COMPLETE = make_volume(STACK).images


def _line(k: int) -> Measurement:
    img = COMPLETE[k]
    return Measurement(STACK.key, STACK.series_instance_uid, k, (10.0, 10.0), (20.0, 25.0), 0.8, 0.8,
                       sop_instance_uid=img.sop_instance_uid, sop_class_uid=img.sop_class_uid,
                       instance_number=img.instance_number)


class TestSliceOf:
    def test_a_line_is_on_its_own_image_when_one_below_it_is_missing(self) -> None:
        m = _line(7)
        without = COMPLETE[:3] + COMPLETE[4:]  # the file of slice 3 unreadable: one image fewer under the line
        assert slice_of(m, COMPLETE) == 7
        assert slice_of(m, without) == 6 and without[6].sop_instance_uid == m.sop_instance_uid
        # the stored index names another image there: never used while the UID is known
        assert without[m.slice_index].sop_instance_uid != m.sop_instance_uid

    def test_a_line_whose_image_is_missing_is_on_no_slice(self) -> None:
        m = _line(7)
        without = COMPLETE[:7] + COMPLETE[8:]
        assert slice_of(m, without) is None
        assert missing_text(m, "L1", "DWI b800").startswith(
            f"L1's DWI b800 line is on image #{m.instance_number}, missing from this folder")

    def test_a_record_without_a_uid_keeps_its_index_inside_the_stack(self) -> None:
        m = replace(_line(7), sop_instance_uid="")
        assert slice_of(m, COMPLETE) == 7 and slice_of(m, COMPLETE[:5]) is None and slice_of(m, ()) == 7

    def test_a_multi_frame_image_is_found_by_its_frame(self) -> None:
        frames = tuple(replace(img, sop_instance_uid="2.25.9", frame=k,
                               pixel=replace(img.pixel, number_of_frames=len(COMPLETE)))
                       for k, img in enumerate(COMPLETE))
        m = replace(_line(5), sop_instance_uid="2.25.9", frame_number=6)
        assert slice_of(m, frames) == 5 and slice_of(m, frames[1:]) == 4 and slice_of(m, frames[:5]) is None


class _Model:
    def __init__(self, images: tuple) -> None:  # type: ignore[type-arg]
        self.key, self.volume = STACK.key, type("V", (), {"images": images})()


def test_missing_here_only_for_a_line_of_the_stack_shown_whose_image_is_not_in_it() -> None:
    m = _line(7)
    assert missing_here(m, _Model(COMPLETE[:7] + COMPLETE[8:]))
    assert not missing_here(m, _Model(COMPLETE)) and not missing_here(m, _Model(()))
    assert not missing_here(replace(m, stack_key="other"), _Model(COMPLETE[:7]))
    assert not missing_here(None, _Model(COMPLETE[:7]))
