"""The bidirectional tool's short axis (lymph nodes), Qt-free: ShortAxisGesture on a viewport model,
held perpendicular to the longest diameter in millimetres, one undoable edit."""

from __future__ import annotations

import math

import pytest

from annotation.gestures import LineGesture, ShortAxisGesture, perpendicular_end
from annotation.reading import Reading
from annotation.records import Measurement
from tests.annotation.test_gestures import ctx, gesture, view  # noqa: F401 (fixtures)
from viewer.errors import ValidationError
from viewer.records import Role


def test_perpendicular_end_is_perpendicular_in_millimetres() -> None:
    # anisotropic pixels: 0.5 mm rows, 1.0 mm columns; the long axis diagonal in pixels
    p1, p2, a = (0.0, 0.0), (20.0, 10.0), (10.0, 5.0)
    b = perpendicular_end(p1, p2, a, (3.0, 17.0), 0.5, 1.0)
    u = ((p2[0] - p1[0]) * 0.5, (p2[1] - p1[1]) * 1.0)
    w = ((b[0] - a[0]) * 0.5, (b[1] - a[1]) * 1.0)
    assert u[0] * w[0] + u[1] * w[1] == pytest.approx(0.0, abs=1e-9) and math.hypot(*w) > 1
    assert perpendicular_end(p1, p1, a, (3.0, 4.0), 0.5, 1.0) == (3.0, 4.0)  # no long axis: as dragged


def test_a_drag_draws_the_short_axis_perpendicular_and_undo_removes_it(ctx, view) -> None:  # noqa: F811
    short = ShortAxisGesture(ctx)
    lid = ctx.selection.new_lesion()
    gesture(short, view, [(20, 20), (20, 30)])
    assert "longest diameter on this slice first" in ctx.messages[-1]
    gesture(LineGesture(ctx), view, [(20, 10), (20, 50)])  # the long axis: 40 px = 32 mm, along the columns
    reading = ctx.selection.reading
    gesture(short, view, [(14, 28), (20, 31), (26, 33)])  # drawn a little askew
    m = reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL)
    assert isinstance(m, Measurement) and m.p3 == pytest.approx((14, 28)) and m.p4 == pytest.approx((26, 28))
    assert m.short_axis_mm == pytest.approx(12 * 0.8) and m.diameter_mm == pytest.approx(32.0)
    assert "short axis 9.6 mm (longest 32.0 mm)" in ctx.messages[-1]
    reading.undo()
    m = reading.project.lesions[("P1", "E1", "R1", lid)].observation(Role.CT_PORTAL)
    assert m.p3 is None and m.short_axis_mm is None


def test_set_short_axis_needs_the_long_axis() -> None:
    r = Reading(reader="R")
    r.add_patient("P")
    r.add_exam_pair("P", "E1")
    lid = r.add_lesion(("P", "E1"), "right")
    with pytest.raises(ValidationError, match="no longest diameter"):
        r.set_short_axis(("P", "E1"), lid, "ct_portal", (1.0, 1.0), (2.0, 2.0))
