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


def test_a_long_series_description_stops_short_of_the_patient_in_a_narrow_cell(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A cell 311 px wide (the six-cell grid at 1366 x 768): a series description as scanners write them ran under
    the patient's ID and date of the top right corner. It is cut with "…" short of them; no overlay text overlaps
    another, the pointer's readout included."""
    from PySide6.QtGui import QImage, QPainter

    stack = make_stack("ct", Role.CT_PORTAL, n_slices=3, rows=64, columns=64)
    long = "TDM THORAX ABDOMEN PELVIS PORTAL 1.25 MM STANDARD RECON 2"
    base = make_volume(replace(stack, series_description=long))
    model = ViewportModel(role=Role.CT_PORTAL)
    model.set_volume(base)
    painter = OverlayPainter()
    view = ViewContext(model, ViewTransform(311, 207, 64, 64, 1.0, 1.0))
    img = QImage(311, 207, QImage.Format.Format_ARGB32_Premultiplied)
    p = QPainter(img)
    painter.paint(p, view, Hover(30.0, 30.0), active=True, loading=None, link_text="linked: all")
    p.end()
    boxes = painter.boxes
    series = next(t for t, _ in boxes if "\n" in t and t.split("\n")[1].startswith("TDM"))
    assert series.split("\n")[1].endswith("…") and len(series.split("\n")[1]) < len(long), series
    overlaps = [(a, b) for i, (a, ra) in enumerate(boxes) for b, rb in boxes[i + 1:] if ra.intersects(rb)]
    assert not overlaps, overlaps


def test_no_overlay_text_overlaps_another_in_cells_from_280_to_520_px_wide(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A CT at table position -1300 mm with 1.25 mm slices (wider corner lines than the bottom label's rule
    assumed) and the pointer's readout shown: in every cell width from 280 to 520 px (the narrowest cells, 3 x 3
    at 1366 x 768, are 311 x 138 px; three heights) no corner text, edge letter or scale bar overlaps another; the
    bottom letter steps up only as far as it must."""
    from PySide6.QtGui import QImage, QPainter

    from viewer.qt.overlay import MARGIN

    stack = make_stack("ct", Role.CT_PORTAL, n_slices=3, rows=64, columns=64, slice_spacing_mm=1.25,
                       series_description="Portale 1.25 B30f")
    model = ViewportModel(role=Role.CT_PORTAL)
    vol = make_volume(stack, origin_mm=(-188.5, -188.5, -1301.25))
    model.set_volume(replace(vol, geometry=replace(vol.geometry, slice_thickness_mm=1.25)))
    painter = OverlayPainter()
    found, lines = [], set()
    for height in (138, 207, 420):
        for width in range(280, 521):
            view = ViewContext(model, ViewTransform(width, height, 64, 64, 1.0, 1.0))
            img = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
            p = QPainter(img)
            painter.paint(p, view, Hover(60.0, 1.0), active=False, loading=None, link_text="linked: all")
            p.end()
            boxes = painter.boxes
            assert any(t.startswith("-") and "HU  (" in t for t, _ in boxes), boxes  # the readout shown
            found += [(width, height, a, b) for i, (a, ra) in enumerate(boxes) for b, rb in boxes[i + 1:]
                      if ra.intersects(rb)]
            bottom = painter._placed[3][0].y()
            lines.add(round((height - MARGIN - bottom) / painter.line_h))
    assert not found, found[:3]
    assert lines == {1, 3, 4} or lines == {1, 4}, lines


def test_a_cut_series_description_keeps_its_split_label(qtbot) -> None:  # type: ignore[no-untyped-def]
    """At 1366 x 768 (311 px cells) the DWI cell's series line was cut to "ep2d_diff_b0_800_tra  [TRACEW …": the
    b-value of the split went. The description is cut before the split's label, which stays whole."""
    from PySide6.QtGui import QImage, QPainter

    stack = replace(make_stack("dwi", Role.MR_DWI, n_slices=3, rows=64, columns=64, b_value=800.0,
                               series_description="ep2d_diff_b0_800_tra"), split_label="TRACEW b800")
    model = ViewportModel(role=Role.MR_DWI)
    model.set_volume(make_volume(stack))
    painter = OverlayPainter()
    img = QImage(311, 207, QImage.Format.Format_ARGB32_Premultiplied)
    p = QPainter(img)
    painter.paint(p, ViewContext(model, ViewTransform(311, 207, 64, 64, 1.0, 1.0)), None, active=False, loading=None,
                  link_text="linked: all", title="DWI b800")
    p.end()
    line = next(t.split("\n")[1] for t, _ in painter.boxes if t.startswith("DWI b800\n"))
    assert line.endswith("…  [TRACEW b800]") and line.startswith("ep2d_diff"), line
    boxes = painter.boxes
    assert not [(a, b) for i, (a, ra) in enumerate(boxes) for b, rb in boxes[i + 1:] if ra.intersects(rb)]
