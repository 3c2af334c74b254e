"""ViewTransform: widget pixels <-> continuous image indices (row, col), with true aspect ratio.

Conventions (those of :mod:`viewer.geometry`): (row, col) = (0, 0) is the centre of the
top-left pixel, so the image covers [-0.5, rows - 0.5] x [-0.5, cols - 0.5]. A column step is
``column_spacing_mm`` wide on screen and a row step ``row_spacing_mm`` high, both scaled by
the same factor, so non-square pixels are shown with their real proportions.

``zoom`` is relative to "fit" (1.0 = the whole image fits the widget); ``center`` is the
image point (row, col) shown at the widget centre (the pan).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ViewTransform:
    width_px: float
    height_px: float
    rows: int
    cols: int
    row_spacing_mm: float = 1.0
    column_spacing_mm: float = 1.0
    zoom: float = 1.0
    center: tuple[float, float] | None = None  # (row, col); None = image centre

    @property
    def _center(self) -> tuple[float, float]:
        if self.center is None:
            return ((self.rows - 1) / 2.0, (self.cols - 1) / 2.0)
        return self.center

    @property
    def px_per_mm(self) -> float:
        """Screen pixels per patient millimetre (same in both directions)."""
        fit = min(self.width_px / (self.cols * self.column_spacing_mm),
                  self.height_px / (self.rows * self.row_spacing_mm))
        return max(fit, 1e-9) * self.zoom

    @property
    def scale_xy(self) -> tuple[float, float]:
        """Screen pixels per column step and per row step."""
        s = self.px_per_mm
        return (s * self.column_spacing_mm, s * self.row_spacing_mm)

    def image_to_widget(self, row: float, col: float) -> tuple[float, float]:
        x0, y0, sx, sy = self.affine()
        return (x0 + col * sx, y0 + row * sy)

    def affine(self) -> tuple[float, float, float, float]:
        """(x0, y0, sx, sy) with ``x = x0 + col * sx`` and ``y = y0 + row * sy``: plain floats for
        callers mapping a few dozen points per repaint (cheaper than a numpy round trip)."""
        sx, sy = self.scale_xy
        cr, cc = self._center
        return (self.width_px / 2.0 - cc * sx, self.height_px / 2.0 - cr * sy, sx, sy)

    def widget_to_image(self, x: float, y: float) -> tuple[float, float]:
        """Continuous (row, col) under a widget point."""
        sx, sy = self.scale_xy
        cr, cc = self._center
        return (cr + (y - self.height_px / 2.0) / sy, cc + (x - self.width_px / 2.0) / sx)

    def image_rect(self) -> tuple[float, float, float, float]:
        """(x, y, width, height) in widget pixels of the whole image (pixel edges included)."""
        x0, y0 = self.image_to_widget(-0.5, -0.5)
        sx, sy = self.scale_xy
        return (x0, y0, self.cols * sx, self.rows * sy)

    def contains(self, row: float, col: float) -> bool:
        return -0.5 <= row < self.rows - 0.5 and -0.5 <= col < self.cols - 0.5

    def center_after_zoom(self, factor: float, x: float, y: float) -> tuple[float, float]:
        """The new ``center`` that keeps the image point under (x, y) fixed when zooming by ``factor``."""
        row, col = self.widget_to_image(x, y)
        cr, cc = self._center
        return (row - (row - cr) / factor, col - (col - cc) / factor)

    def center_after_drag(self, dx: float, dy: float) -> tuple[float, float]:
        """The new ``center`` after dragging the image by (dx, dy) widget pixels (the pan)."""
        sx, sy = self.scale_xy
        cr, cc = self._center
        return (cr - dy / sy, cc - dx / sx)
