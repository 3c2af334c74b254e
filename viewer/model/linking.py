"""LinkModel: linked scrolling and reference-point (crosshair) propagation between viewports.

* Stacks sharing a FrameOfReferenceUID are linked automatically: they share patient
  coordinates, so a slice change moves the others to the slice nearest the same point.
* Different frames (CT and MRI) share no coordinates. Each frame ``F`` of a link group has a
  rigid transform into a common link space (``R[F] p + t[F]``); from then on the frames scroll
  together and the reference point maps between them. The transform comes from an alignment
  (:meth:`align_frames`: a registration proposal or the reader's confirmed one), or from the
  landmark link: the reader aligns one landmark in both and calls :meth:`link_current_positions`
  ("L"), which keeps each frame's rotation and corrects its translation. The landmark is, per viewport:

  - the reference point, when the reader has placed one on the slice shown (click the
    landmark in each viewport with the crosshair tool): a full 3D translation, so the point
    maps in-plane too;
  - otherwise the slice shown: an offset along the normal only (in-plane, patient x/y are
    taken as equal; stacks are assumed parallel, as the axial reading series are).

  A viewport whose normal differs (> ~18°) is not scroll-linked.
* A viewport with ``linked = False`` neither drives nor follows (per-viewport unlink).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from viewer.geometry import Vector
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
        self._rot: dict[str, np.ndarray] = {}  # frame id -> rotation into the link space
        self._shift_mm: dict[str, np.ndarray] = {}  # frame id -> translation into the link space
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
            self._rot[fid] = np.eye(3)
            self._shift_mm[fid] = np.zeros(3)

    def _to_link(self, fid: str, p: np.ndarray) -> np.ndarray:
        out: np.ndarray = self._rot[fid] @ np.asarray(p, float) + self._shift_mm[fid]
        return out

    def _from_link(self, fid: str, q: np.ndarray) -> np.ndarray:
        out: np.ndarray = self._rot[fid].T @ (np.asarray(q, float) - self._shift_mm[fid])
        return out

    def align_frames(self, fixed_fid: str, moving_fid: str, matrix: Sequence[float]) -> None:
        """Link two frames by a rigid transform (3x4 row-major, moving mm -> fixed mm), as an exam
        pair's alignment gives it: the moving frame joins the fixed frame's group."""
        m = np.asarray(matrix, float).reshape(3, 4)
        self._ensure(fixed_fid)
        self._ensure(moving_fid)
        r_f, t_f = self._rot[fixed_fid], self._shift_mm[fixed_fid]
        self._rot[moving_fid] = r_f @ m[:, :3]
        self._shift_mm[moving_fid] = r_f @ m[:, 3] + t_f
        self._group[moving_fid] = self._group[fixed_fid]
        for vp in self.viewports:
            if frame_id(vp) in (fixed_fid, moving_fid):
                vp.set_linked(True)
        self.changed.emit()

    def frame_transform(self, fixed_fid: str, moving_fid: str) -> tuple[float, ...] | None:
        """The 3x4 row-major transform moving mm -> fixed mm when both frames are in one group."""
        if fixed_fid not in self._group or moving_fid not in self._group \
                or self._group[fixed_fid] != self._group[moving_fid]:
            return None
        r_f, t_f = self._rot[fixed_fid], self._shift_mm[fixed_fid]
        r = r_f.T @ self._rot[moving_fid]
        t = r_f.T @ (self._shift_mm[moving_fid] - t_f)
        return tuple(float(v) for v in np.hstack([r, t[:, None]]).reshape(-1))

    def offset_mm(self, vp: ViewportModel) -> float | None:
        """The frame's shift along the viewport's normal (mm) into the link space (the cells' labels leave it out)."""
        fid, geo = frame_id(vp), vp.geometry
        if fid is None or geo is None:
            return None
        self._ensure(fid)
        return geo.along_normal_mm(self._shift_mm[fid])

    def shift_mm(self, vp: ViewportModel) -> np.ndarray | None:
        fid = frame_id(vp)
        if fid is None:
            return None
        self._ensure(fid)
        return self._shift_mm[fid].copy()

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

    def link_current_positions(self, reference: ViewportModel,
                               viewports: Sequence[ViewportModel] | None = None) -> dict[str, str]:
        """Link every frame shown to ``reference``'s frame at the landmark shown (see module doc).

        Frames sharing ``reference``'s frame keep their relation to it; every other frame is
        (re)aligned from its first viewport. All those viewports are (re)linked. Returns, per
        aligned frame, how: ``"point"`` (3D, by reference points) or ``"slice"`` (normal only).
        """
        ref_fid = frame_id(reference)
        if ref_fid is None:
            return {}
        self._ensure(ref_fid)
        ref_point = self._landmark_point(reference)
        ref_group = self._group[ref_fid]
        done, how = {ref_fid}, {}
        for vp in viewports if viewports is not None else self.viewports:
            fid = frame_id(vp)
            if fid is None:
                continue
            vp.set_linked(True)
            if fid in done or not self._parallel(reference, vp):
                continue
            done.add(fid)
            self._ensure(fid)
            point = self._landmark_point(vp)
            if ref_point is not None and point is not None:  # the landmark maps onto the reference's
                self._shift_mm[fid] = self._to_link(ref_fid, ref_point) - self._rot[fid] @ point
                how[fid] = "point"
            else:  # only along the normal: the slices shown become the same position
                centre_ref, centre = reference.center_point_mm(), vp.center_point_mm()
                geo = vp.geometry
                if centre_ref is not None and centre is not None and geo is not None:
                    gap = self._from_link(fid, self._to_link(ref_fid, centre_ref)) - centre
                    self._shift_mm[fid] = self._shift_mm[fid] + self._rot[fid] @ geo.normal_part_mm(gap)
                how[fid] = "slice"
            self._group[fid] = ref_group
        reference.set_linked(True)
        self.changed.emit()
        return how

    @staticmethod
    def _landmark_point(vp: ViewportModel) -> np.ndarray | None:
        """The viewport's reference point when it lies on the slice shown, else None."""
        idx = vp.crosshair_index()
        if idx is None:
            return None
        spacing = vp.geometry.slice_spacing_mm or 1.0  # type: ignore[union-attr]
        if abs(float(idx[0]) - vp.index) * spacing > spacing / 2 + 1e-6:
            return None
        return np.asarray(vp.crosshair_mm, float)

    def clear_reader_links(self) -> None:
        """Forget every reader-made link: only shared frames of reference stay linked."""
        self._group.clear()
        self._rot.clear()
        self._shift_mm.clear()
        self.changed.emit()

    # ------------------------------------------------------------------ mapping
    @staticmethod
    def _parallel(a: ViewportModel, b: ViewportModel) -> bool:
        ga, gb = a.geometry, b.geometry
        return ga is not None and gb is not None and ga.is_parallel_to(gb, PARALLEL_COS)

    def map_point(self, src: ViewportModel, dst: ViewportModel, point_mm: Vector) -> np.ndarray | None:
        """A patient point of ``src``'s frame in ``dst``'s frame, None when not linked."""
        if not self.are_linked(src, dst):
            return None
        fs, fd = frame_id(src), frame_id(dst)
        assert fs is not None and fd is not None  # linked frames exist
        if fs == fd:
            return np.asarray(point_mm, float)
        return self._from_link(fd, self._to_link(fs, np.asarray(point_mm, float)))

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
                if not self._parallel(src, dst) or dst.geometry is None:
                    continue
                target = self.map_point(src, dst, point)
                if target is not None:
                    dst.set_index(dst.geometry.nearest_slice(target))
        finally:
            self._busy = False

    def follow(self, src: ViewportModel) -> None:
        """The viewports linked with ``src`` to its slice, as a scroll of it moves them (slices placed one by one, a
        restart's, leave them out of step until then)."""
        self._on_slice(src)

    def set_reference_point(self, src: ViewportModel, point_mm: Vector) -> None:
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
                if target is not None and dst.geometry is not None:
                    dst.set_index(dst.geometry.nearest_slice(target))
        finally:
            self._busy = False

    def clear_reference_point(self) -> None:
        for vp in self.viewports:
            if vp.crosshair_mm is not None:
                vp.set_crosshair(None)
