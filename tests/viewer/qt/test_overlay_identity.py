"""The value under the pointer belongs to the volume shown: the overlay's cache knew the volume by id(), which a
volume freed (another pair opened) gives to a later one, and the previous patient's value stayed on screen."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from viewer.model.view import ViewTransform
from viewer.model.viewport import ViewportModel
from viewer.qt.overlay import Hover, OverlayPainter
from viewer.qt.tools import ViewContext
from viewer.records import Role
from viewer.testing import make_stack, make_volume


def test_the_value_under_a_still_pointer_is_the_new_volumes(qtbot) -> None:  # type: ignore[no-untyped-def]
    base = make_volume(make_stack("ct", Role.CT_PORTAL, n_slices=3, rows=8, columns=8))
    model = ViewportModel(role=Role.CT_PORTAL)
    painter = OverlayPainter()
    hover = Hover(4.0, 4.0)
    stale = []
    for k in range(300):  # pair after pair: the cell empty while the next pair loads, the volume before freed
        model.set_volume(None)
        model.set_volume(replace(base, array=np.full_like(base.array, k)))
        view = ViewContext(model, ViewTransform(80, 80, 8, 8, 1.0, 1.0))
        text = painter.hover_text(view, hover)
        if not text.startswith(f"{k} "):
            stale.append((k, text))
    assert not stale, f"{len(stale)} stale values, first {stale[:2]}"
