"""The right/left liver boundary a reader draws once per exam, and the lobe of a point from it.

The protocol counts metastases in the right and the left liver, which meet at the Cantlie line
(the main portal fissure: gallbladder fossa to the inferior vena cava, the middle hepatic vein
plane). Instead of switching the lobe by hand for every count mark, the reader draws that line
on a few axial slices of one series; a count mark then takes its lobe from which side of the
boundary it lies on (the reader can still change a mark's lobe). Between two drawn slices the
boundary is interpolated linearly; above the highest and below the lowest it is the nearest
drawn line. Everything is in patient millimetres (LPS), so the boundary serves every series
of the same frame of reference (CT arterial and portal), and, through an alignment, the other
exam of the pair.

Convention: patient right is -x in LPS. The side of a point is the sign of its distance to the
line along the line's normal that points to the patient's right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

from annotation import _validate as v
from annotation.vocab import Lobe
from viewer.errors import ValidationError

#: A drawn line: (x1, y1, x2, y2, z) in patient mm on the axial plane at height z.
BoundaryLine = tuple[float, float, float, float, float]
BoundaryKey = tuple[str, str, str, str]

#: Two drawn lines closer than this along z replace each other (one line per slice).
SAME_SLICE_MM = 0.5
#: A boundary line must run at least this steeply from front to back (degrees from the
#: left-right axis): the Cantlie line is roughly antero-posterior, and a near-transverse line
#: would make "which side" meaningless.
MIN_ANGLE_FROM_LR_DEG = 20.0


def _line(value: Any, name: str) -> BoundaryLine:
    try:
        x1, y1, x2, y2, z = (float(v.number(f"{name}[{i}]", c)) for i, c in enumerate(value))
    except (TypeError, ValueError):
        raise ValidationError(f"expected (x1, y1, x2, y2, z), got {value!r}", where=name) from None
    if math.hypot(x2 - x1, y2 - y1) < 1.0:
        raise ValidationError("the line is shorter than 1 mm", where=name)
    angle = math.degrees(math.atan2(abs(y2 - y1), abs(x2 - x1)))
    if angle < MIN_ANGLE_FROM_LR_DEG:
        raise ValidationError(f"the line runs {angle:.0f}° from left-right: draw the right/left liver boundary "
                              "front to back (gallbladder fossa to the vena cava)", where=name)
    if y1 > y2:  # keep the anterior end first (LPS: +y is posterior), so interpolation pairs like ends
        x1, y1, x2, y2 = x2, y2, x1, y1
    return (x1, y1, x2, y2, z)


@dataclass(frozen=True)
class LobeBoundary:
    """One reader's right/left liver boundary in one frame of reference of an exam pair."""

    patient_id: str
    exam_pair_id: str
    reader: str
    frame_of_reference_uid: str
    lines: tuple[BoundaryLine, ...] = field(default=())

    def __post_init__(self) -> None:
        v.identifier("patient_id", self.patient_id, max_len=200)
        v.identifier("exam_pair_id", self.exam_pair_id, max_len=100)
        v.identifier("reader", self.reader, max_len=100)
        v.uid("frame_of_reference_uid", self.frame_of_reference_uid, required=True)
        lines = sorted((_line(line, f"lines[{i}]") for i, line in enumerate(self.lines)), key=lambda line: line[4])
        for a, b in zip(lines, lines[1:]):
            if b[4] - a[4] < SAME_SLICE_MM:
                raise ValidationError(f"two lines at z = {a[4]:.1f} mm: one line per slice", where="lines")
        object.__setattr__(self, "lines", tuple(lines))

    @property
    def key(self) -> BoundaryKey:
        return (self.patient_id, self.exam_pair_id, self.reader, self.frame_of_reference_uid)

    def with_line(self, line: BoundaryLine) -> "LobeBoundary":
        """The boundary with ``line`` added, replacing a line on the same slice."""
        z = float(line[4])
        kept = [ln for ln in self.lines if abs(ln[4] - z) >= SAME_SLICE_MM]
        return LobeBoundary(*self.key, lines=tuple([*kept, _line(line, "line")]))

    def without_line_at(self, z: float) -> "LobeBoundary":
        return LobeBoundary(*self.key, lines=tuple(ln for ln in self.lines if abs(ln[4] - z) >= SAME_SLICE_MM))

    def line_at(self, z: float) -> BoundaryLine | None:
        """The boundary at height z: the drawn line there, interpolated between the two drawn
        lines around z, or the nearest drawn line above or below them all; None when none is drawn."""
        lines = self.lines
        if not lines:
            return None
        if z <= lines[0][4]:
            return (*lines[0][:4], z)
        if z >= lines[-1][4]:
            return (*lines[-1][:4], z)
        for a, b in zip(lines, lines[1:]):
            if a[4] <= z <= b[4]:
                t = (z - a[4]) / (b[4] - a[4])
                return (*(a[i] + t * (b[i] - a[i]) for i in range(4)), z)  # type: ignore[return-value]
        return None  # pragma: no cover - the loop covers [first, last]

    def lobe_at(self, point_mm: tuple[float, float, float]) -> Lobe | None:
        """Right or left liver for a patient point, None without a drawn line."""
        line = self.line_at(float(point_mm[2]))
        return None if line is None else side_of(line, point_mm)


def side_of(line: BoundaryLine, point_mm: tuple[float, float, float]) -> Lobe:
    """Which side of an axial boundary line a point lies on (patient right = -x in LPS)."""
    x1, y1, x2, y2, _ = line
    nx, ny = -(y2 - y1), (x2 - x1)  # a normal of the line in the axial plane
    if nx > 0 or (nx == 0 and ny > 0):
        nx, ny = -nx, -ny  # make it point to the patient's right (-x)
    d = (point_mm[0] - x1) * nx + (point_mm[1] - y1) * ny
    return Lobe.RIGHT if d > 0 else Lobe.LEFT


def _through_alignment(project: Any, pair: tuple[str, str], reader: str, frame_uid: str,
                       extra: Iterable[Any] = ()) -> tuple[LobeBoundary, Any, Any] | None:
    """The boundary drawn in another frame of the pair that ``frame_uid`` is aligned to (the store's
    alignments, then ``extra``: one proposed in this session), with the maps there and back; None."""
    for alignment in [*project.alignments.values(), *extra]:
        pid, fixed, moving = alignment.key
        if pid != pair[0] or frame_uid not in (fixed, moving):
            continue
        other = fixed if moving == frame_uid else moving
        boundary = project.lobe_boundaries.get((pair[0], pair[1], reader, other))
        if boundary is None or not boundary.lines:
            continue
        there, back = (alignment.apply, alignment.apply_inverse) if moving == frame_uid else \
            (alignment.apply_inverse, alignment.apply)
        return boundary, there, back
    return None


def boundary_line_in(project: Any, pair: tuple[str, str], reader: str, frame_uid: str,
                     point_mm: tuple[float, float, float], extra: Iterable[Any] = ()) -> tuple[BoundaryLine, bool] | None:
    """The right/left boundary at the height of ``point_mm`` (a point of the slice shown, in ``frame_uid``) as
    :func:`lobe_for_point` reads it there: the reader's boundary in that frame, else the one drawn in another
    frame of the pair mapped through their alignment (its line at the mapped height, both ends mapped back).
    (line, aligned), None without one. A reader's check: a boundary drawn on CT gave the lobes of the MRI count
    marks but was drawn on the CT cells only, so a mark near the fissure took its lobe from a line unseen."""
    own = project.lobe_boundaries.get((pair[0], pair[1], reader, frame_uid))
    if own is not None and own.lines:
        line = own.line_at(float(point_mm[2]))
        return (line, False) if line is not None else None
    found = _through_alignment(project, pair, reader, frame_uid, extra)
    if found is None:
        return None
    boundary, there, back = found
    line = boundary.line_at(float(there(point_mm)[2]))
    if line is None:
        return None
    z = float(point_mm[2])
    ends = [back((line[0], line[1], line[4])), back((line[2], line[3], line[4]))]
    # a tilted alignment: each end taken again on the other boundary at its own mapped height, so the line
    # drawn lies where the lobes read by lobe_for_point switch (a review: up to 5 mm apart at 8 degrees)
    for _ in range(3):
        ends = [_on_boundary(boundary, there, back, (float(e[0]), float(e[1]), z)) for e in ends]
    (ax, ay, _az), (bx, by, _bz) = ends
    return (float(ax), float(ay), float(bx), float(by), z), True


def boundary_path_in(project: Any, pair: tuple[str, str], reader: str, frame_uid: str,
                     point_mm: tuple[float, float, float], extra: Iterable[Any] = (),
                     n: int = 9) -> tuple[list[tuple[float, float]], bool] | None:
    """:func:`boundary_line_in` as points (x, y) on the slice to draw through: its two ends in the frame's own
    boundary; ``n`` points moved onto the other frame's boundary through the alignment (a tilted alignment
    bends the switch between lobes: 1.6 mm off a straight line at 20 degrees). (points, aligned) or None."""
    found = boundary_line_in(project, pair, reader, frame_uid, point_mm, extra)
    through = _through_alignment(project, pair, reader, frame_uid, extra) if found is not None and found[1] else None
    if found is None:
        return None
    (x1, y1, x2, y2, z), aligned = found
    if through is None:
        return [(x1, y1), (x2, y2)], aligned
    boundary, there, back = through
    points = []
    for i in range(n):
        f = i / (n - 1)
        q: Any = (x1 + f * (x2 - x1), y1 + f * (y2 - y1), z)
        for _ in range(3):
            q = _on_boundary(boundary, there, back, (float(q[0]), float(q[1]), z))
        points.append((float(q[0]), float(q[1])))
    return points, True


def _on_boundary(boundary: LobeBoundary, there: Any, back: Any, point: tuple[float, float, float]) -> Any:
    """``point`` (this frame) moved onto the other frame's boundary at the height it maps to: mapped there,
    projected onto the boundary's line at that height in the axial plane, mapped back."""
    q = there(point)
    line = boundary.line_at(float(q[2]))
    if line is None:
        return point
    x1, y1, x2, y2, _ = line
    dx, dy = x2 - x1, y2 - y1
    n2 = dx * dx + dy * dy
    t = ((q[0] - x1) * dx + (q[1] - y1) * dy) / n2 if n2 > 0 else 0.0
    return back((x1 + t * dx, y1 + t * dy, float(q[2])))


def lobe_for_point(project: Any, pair: tuple[str, str], reader: str, frame_uid: str,
                   point_mm: tuple[float, float, float], extra: Iterable[Any] = ()) -> tuple[Lobe | None, str]:
    """The lobe of a point of ``frame_uid`` from the reader's boundary in that frame, else from the
    boundary drawn in another frame of the pair through their alignment; (None, "") without one.
    The second value says where the lobe came from (for the status bar)."""
    own = project.lobe_boundaries.get((pair[0], pair[1], reader, frame_uid))
    if own is not None and own.lines:
        return own.lobe_at(point_mm), "from the right/left boundary"
    found = _through_alignment(project, pair, reader, frame_uid, extra)
    if found is not None:
        boundary, there, _back = found
        return boundary.lobe_at(there(point_mm)), "from the other exam's right/left boundary (aligned)"
    return None, ""
