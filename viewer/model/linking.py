"""LinkModel: linked scrolling and reference-point (crosshair) propagation between viewports.

* Stacks sharing a FrameOfReferenceUID are linked automatically: they share patient
  coordinates, so a slice change moves the others to the slice nearest the same point.
* Different frames (CT and MRI) share no coordinates. The reader aligns one landmark in both
  (scrolls each to, say, the portal bifurcation) and calls :meth:`link_current_positions`; each
  frame then gets an offset along the normal so that ``s = position . n + offset`` is the
  common "link coordinate" of the group, and from then on they scroll together by it.
  In-plane, a point maps with the same offset (stacks are assumed parallel, as for the axial
  reading series); a viewport whose normal differs (> ~18°) is not scroll-linked.
* A viewport with ``linked = False`` neither drives nor follows (per-viewport unlink).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from viewer.model.events import Signal
from viewer.model.viewport import ViewportModel

#: |n1 . n2| above which two stacks count as parallel for scroll linking.
PARALLEL_COS = 0.95


def frame_id(vp: ViewportModel) -> str | None:
    """Frame of reference of a viewport's stack; a stack without one is its own frame."""
    if vp.volume is None:
        return None
    return vp.volume.stack.frame_of_reference_uid or f"stack:{vp.volume.stack.key}"


class LinkModel:
    """Offsets per frame of reference and the propagation rules. ``changed()`` on relinking."""

    def __init__(self, viewports: Iterable[ViewportModel] = ()) -> None:
        self.viewports: list[ViewportModel] = []
        self._group: dict[str, int] = {}  # frame id -> group id
        self._offset_mm: dict[str, float] = {}  # frame id -> offset along the normal
        self._next_group = 0
        self._busy = False
        self.changed = Signal()
        for vp in viewports:
            self.add(vp)

    def add(self, vp: ViewportModel) -> None:
        self.viewports.append(vp)
        vp.slice_changed.connect(lambda _k, vp=vp: self._on_slice(vp))

    # ------------------------------------------------------------------ frames and groups
    def _ensure(self, fid: str) -> None:
        if fid not in self._group:
            self._group[fid] = self._next_group
            self._next_group += 1
            self._offset_mm[fid] = 0.0

    def offset_mm(self, vp: ViewportModel) -> float | None:
        fid = frame_id(vp)
        if fid is None:
            return None
        self._ensure(fid)
        return self._offset_mm[fid]

    def are_linked(self, a: ViewportModel, b: ViewportModel) -> bool:
        """True when a change in ``a`` moves ``b`` (both linked, same group, parallel)."""
        fa, fb = frame_id(a), frame_id(b)
        if a is b or fa is None or fb is None or not (a.linked and b.linked):
            return False
        self._ensure(fa)
        self._ensure(fb)
        return self._group[fa] == self._group[fb]

    def linked_with(self, vp: ViewportModel) -> list[ViewportModel]:
        return [o for o in self.viewports if self.are_linked(vp, o)]

    def link_current_positions(self, reference: ViewportModel, viewports: Sequence[ViewportModel] | None = None) -> None:
        """Link every frame shown at its current slice to ``reference``'s current slice.

        Frames sharing ``reference``'s frame keep offset 0 relative to it; every other frame
        gets the offset that makes its first viewport's current slice match ``reference``'s.
        All those viewports are (re)linked.
        """
        ref_fid = frame_id(reference)
        if ref_fid is None:
            return
        self._ensure(ref_fid)
        ref_s = self._link_coordinate(reference)
        ref_group = self._group[ref_fid]
        done = {ref_fid}
        for vp in viewports if viewports is not None else self.viewports:
            fid = frame_id(vp)
            if fid is None:
                continue
            vp.set_linked(True)
            if fid in done or not self._parallel(reference, vp):
                continue
            done.add(fid)
            self._ensure(fid)
            self._offset_mm[fid] = ref_s - vp.position_mm()  # type: ignore[operator]
            self._group[fid] = ref_group
        reference.set_linked(True)
        self.changed.emit()

    def clear_reader_links(self) -> None:
        """Forget every reader-made link: only shared frames of reference stay linked."""
        self._group.clear()
        self._offset_mm.clear()
        self.changed.emit()

    # ------------------------------------------------------------------ mapping
    def _link_coordinate(self, vp: ViewportModel) -> float:
        return vp.position_mm() + self._offset_mm[frame_id(vp)]  # type: ignore[index,operator]

    @staticmethod
    def _parallel(a: ViewportModel, b: ViewportModel) -> bool:
        ga, gb = a.geometry, b.geometry
        return ga is not None and gb is not None and abs(float(ga.normal @ gb.normal)) >= PARALLEL_COS

    def map_point(self, src: ViewportModel, dst: ViewportModel, point_mm: Sequence[float]) -> np.ndarray | None:
        """A patient point of ``src``'s frame in ``dst``'s frame, None when not linked."""
        if not self.are_linked(src, dst):
            return None
        shift = self._offset_mm[frame_id(src)] - self._offset_mm[frame_id(dst)]  # type: ignore[index]
        return np.asarray(point_mm, float) + shift * dst.geometry.normal  # type: ignore[union-attr]

    # ------------------------------------------------------------------ propagation
    def _on_slice(self, src: ViewportModel) -> None:
        if self._busy or not src.linked:
            return
        point = src.center_point_mm()
        if point is None:
            return
        self._busy = True
        try:
            for dst in self.linked_with(src):
                if self._parallel(src, dst):
                    target = self.map_point(src, dst, point)
                    dst.set_index(dst.geometry.nearest_slice(target))  # type: ignore[union-attr]
        finally:
            self._busy = False

    def set_reference_point(self, src: ViewportModel, point_mm: Sequence[float]) -> None:
        """Place the crosshair at ``point_mm`` in ``src`` and at the same place in linked viewports.

        Each viewport shows the slice nearest its copy of the point.
        """
        if src.geometry is None:
            return
        point = np.asarray(point_mm, float)
        self._busy = True
        try:
            src.set_crosshair(point)
            src.set_index(src.geometry.nearest_slice(point))
            for dst in self.linked_with(src):
                target = self.map_point(src, dst, point)
                dst.set_crosshair(target)
                dst.set_index(dst.geometry.nearest_slice(target))  # type: ignore[union-attr]
        finally:
            self._busy = False

    def clear_reference_point(self) -> None:
        for vp in self.viewports:
            if vp.crosshair_mm is not None:
                vp.set_crosshair(None)
