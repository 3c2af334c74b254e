"""The right/left boundary drawn in one frame of reference, read in the other through their alignment: the line
drawn there (``boundary_line_in``) is where the lobes of points (``lobe_for_point``) switch, tilted alignments
included (a review found the line up to 5 mm off the switch at an 8 degree tilt), and the frame's own boundary
comes first."""

from __future__ import annotations

import math

import pytest

from annotation.lobes import LobeBoundary, boundary_line_in, boundary_path_in, lobe_for_point
from annotation.project import Project
from annotation.records import Alignment

PAIR = ("P1", "E1")
CT, MR = "1.2.3", "1.2.4"
#: a fissure sloping 0.8 mm to the left per mm up, drawn on CT at z = -20 and +20 mm
SLOPING = ((-16.0, -60.0, 16.0, 60.0, -20.0), (16.0, -60.0, 48.0, 60.0, 20.0))


def _rotation(axis: str, deg: float) -> list[list[float]]:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return {"z": [[c, -s, 0], [s, c, 0], [0, 0, 1]], "x": [[1, 0, 0], [0, c, -s], [0, s, c]],
            "y": [[c, 0, s], [0, 1, 0], [-s, 0, c]]}[axis]


def _project(axis: str, deg: float, own_mr: bool = False) -> Project:
    r, t = _rotation(axis, deg), (3.0, -2.0, 5.0)
    alignment = Alignment("P1", CT, MR, tuple(v for i in range(3) for v in (*r[i], t[i])))
    boundaries = [LobeBoundary("P1", "E1", "R1", CT, lines=SLOPING)]
    if own_mr:
        boundaries.append(LobeBoundary("P1", "E1", "R1", MR, lines=((-5.0, -60.0, -5.0, 60.0, 0.0),)))
    return Project(lobe_boundaries={b.key: b for b in boundaries}, alignments={alignment.key: alignment})


@pytest.mark.parametrize("axis,deg", [("z", 0.0), ("z", 30.0), ("x", 3.0), ("x", 8.0), ("y", 8.0), ("x", 20.0)])
def test_the_line_drawn_on_the_other_exam_is_where_the_lobes_switch(axis: str, deg: float) -> None:
    project = _project(axis, deg)
    found = boundary_line_in(project, PAIR, "R1", MR, (0.0, 0.0, 0.0))
    assert found is not None
    (x1, y1, x2, y2, z), aligned = found
    assert aligned and z == 0.0
    for x, y in (x1, y1), (x2, y2):  # its ends lie where the lobes switch, within 0.1 mm
        left, right = [lobe_for_point(project, PAIR, "R1", MR, (x + d, y, 0.0))[0] for d in (-0.1, 0.1)]
        assert left is not right, (axis, deg, y)
    # the path drawn bends with the switch (a tilt bends it: 1.6 mm off a straight line at 20 degrees)
    path = boundary_path_in(project, PAIR, "R1", MR, (0.0, 0.0, 0.0))
    assert path is not None and path[1] and len(path[0]) == 9
    for x, y in path[0]:
        left, right = [lobe_for_point(project, PAIR, "R1", MR, (x + d, y, 0.0))[0] for d in (-0.1, 0.1)]
        assert left is not right, (axis, deg, x, y)


def test_a_frame_s_own_boundary_comes_first_and_none_without_any() -> None:
    found = boundary_line_in(_project("x", 8.0, own_mr=True), PAIR, "R1", MR, (0.0, 0.0, 0.0))
    assert found == ((-5.0, -60.0, -5.0, 60.0, 0.0), False)
    assert boundary_line_in(Project(), PAIR, "R1", MR, (0.0, 0.0, 0.0)) is None
    # a session's alignment (not stored yet) is read as the marks read it
    stored = _project("z", 0.0)
    alone = Project(lobe_boundaries=stored.lobe_boundaries)
    assert boundary_line_in(alone, PAIR, "R1", MR, (0.0, 0.0, 0.0)) is None
    assert boundary_line_in(alone, PAIR, "R1", MR, (0.0, 0.0, 0.0), list(stored.alignments.values())) is not None
