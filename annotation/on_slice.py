"""What the current read holds on one slice of one stack: measurements and count marks.

Built per (project, pair, reader) once and then one dict lookup per slice, because the layers
ask on every repaint of six viewports and the gestures on every pointer event. Qt-free: the
layers (annotation/qt/layers.py) draw from it and the gestures (annotation/gestures.py)
hit-test against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotation.placement import slice_of
from annotation.records import CountMark, Measurement
from annotation.selection import Selection
from viewer.records import READING_ROLES, ImageHeader, Role

MeasuredOn = tuple[str, Measurement]  # (lesion id, measurement)


class SliceContent:
    """Per-slice indexes of one Selection's read (its pair and reader)."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self._key: tuple[Any, ...] = ()
        self._lines: dict[tuple[Role, str], list[MeasuredOn]] = {}
        # per (role, stack): the stack as loaded its lines were placed on, and its lines by slice
        self._placed: dict[tuple[Role, str], tuple[Sequence[ImageHeader], dict[int, list[MeasuredOn]]]] = {}
        self._marks: dict[tuple[Role, str], list[CountMark]] = {}
        # per (role, stack): the stack as loaded its marks were placed on, and its marks by slice
        self._marks_placed: dict[tuple[Role, str], tuple[Sequence[ImageHeader], dict[int, list[CountMark]]]] = {}

    def _refresh(self) -> None:
        sel = self.selection
        reading = sel.reading
        key = (reading.project.serial, sel.pair, reading.reader)  # not id(): reused once freed
        if key == self._key:
            return
        self._key, self._lines, self._placed, self._marks, self._marks_placed = key, {}, {}, {}, {}
        if sel.pair is None:
            return
        for les in reading.project.lesions_of(sel.pair[0], sel.pair[1], reading.reader):
            for role, m in les.observations:
                if isinstance(m, Measurement):
                    self._lines.setdefault((role, m.stack_key), []).append((les.lesion_id, m))
        for mark in reading.project.marks_of(sel.pair[0], sel.pair[1], reading.reader):
            self._marks.setdefault((mark.role, mark.stack_key), []).append(mark)

    def measurements(self, role: Role | None, stack_key: str, slice_index: int,
                     images: Sequence[ImageHeader] = ()) -> list[MeasuredOn]:
        """The lines drawn on slice ``slice_index`` of the stack as loaded (``images``, volume order: a line is
        on the slice of its SOP Instance UID, :func:`annotation.placement.slice_of`; one whose image is missing
        from the stack is on none)."""
        if role is None or role not in READING_ROLES:
            return []
        self._refresh()
        placed = self._placed.get((role, stack_key))
        if placed is None or placed[0] is not images:
            by_slice: dict[int, list[MeasuredOn]] = {}
            for lid, m in self._lines.get((role, stack_key), []):
                k = slice_of(m, images)
                if k is not None:
                    by_slice.setdefault(k, []).append((lid, m))
            placed = self._placed[(role, stack_key)] = (images, by_slice)
        return placed[1].get(slice_index, [])

    def marks(self, role: Role | None, stack_key: str, slice_index: int,
              images: Sequence[ImageHeader] = ()) -> list[CountMark]:
        """The count marks on slice ``slice_index`` of the stack as loaded (``images``, volume order): on the image of
        their SOP Instance UID, as lines (:func:`annotation.placement.slice_of`); one whose image is missing from the
        stack is on none (it still counts)."""
        if role is None or role not in READING_ROLES:
            return []
        self._refresh()
        placed = self._marks_placed.get((role, stack_key))
        if placed is None or placed[0] is not images:
            by_slice: dict[int, list[CountMark]] = {}
            for mark in self._marks.get((role, stack_key), []):
                k = slice_of(mark, images)
                if k is not None:
                    by_slice.setdefault(k, []).append(mark)
            placed = self._marks_placed[(role, stack_key)] = (images, by_slice)
        return placed[1].get(slice_index, [])
