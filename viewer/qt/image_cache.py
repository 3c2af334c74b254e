"""Slice -> QImage through the numpy pipeline of :mod:`viewer.display`, cached per slice and window,
and the same slice already scaled to the cell (what the screen shows), cached too.

A repaint without a change of slice or window (hover, overlays, tools) reuses the QImage;
only a new (slice, window, inversion) pays for the lookup. The grey buffer is kept beside the
QImage because the QImage shares its memory.

Drawing a 512 x 512 slice smoothly scaled into a cell costs about 1 ms, six cells 6 ms of every
linked slice change; blitting an image already at the cell's size costs 0.06 ms. So when the
whole image lies inside the cell (zoom up to "fit", the reading default), the scaled image is
rendered once per (slice, window, inversion, size, sub-pixel offset) and kept, within a byte
budget: scrolling back over slices seen is a blit, and the viewport renders the next slices in
the scroll direction into it while the UI is idle (``ViewportWidget._prefetch``). The scaled image is the very
pixels a direct ``drawImage`` would produce (same bilinear sampling, same fractional offset),
over black where the image does not cover a pixel fully.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from viewer.display import LutCache, WindowLevel
from viewer.model.viewport import VolumeLike

#: Bytes of scaled images one cell keeps (about 35 slices of a 600 x 500 cell; with the 16 full-size
#: slices, no more than the 48 full-size slices a cell kept before).
SCALED_BUDGET_BYTES = 40 << 20


def rgb32_qimage(pixels: np.ndarray) -> QImage:
    """A QImage sharing a contiguous 2D uint32 array (keep the array alive as long as the image)."""
    rows, cols = pixels.shape
    return QImage(pixels.data, cols, rows, pixels.strides[0], QImage.Format.Format_RGB32)


def blit_box(rect: tuple[float, float, float, float]) -> tuple[int, int, int, int, float, float]:
    """Where a scaled image of ``rect`` (x, y, w, h in widget pixels) goes: its integer origin and size,
    and the fractional offset the image is drawn at inside it."""
    x, y, w, h = (round(v, 6) for v in rect)  # float noise of the fit (-3e-14) is not a pixel's offset
    ix, iy = math.floor(x), math.floor(y)
    fx, fy = x - ix, y - iy
    return ix, iy, max(1, math.ceil(fx + w)), max(1, math.ceil(fy + h)), fx, fy


class SliceImageCache:
    """LRU of rendered slices keyed by (volume, slice, window, inversion), and of the same slices
    scaled to the cell (:meth:`scaled`)."""

    def __init__(self, size: int = 16, scaled_budget_bytes: int = SCALED_BUDGET_BYTES) -> None:
        self.size = size
        self.scaled_budget_bytes = scaled_budget_bytes
        self.luts = LutCache()
        self._images: OrderedDict[tuple[object, ...], tuple[QImage, np.ndarray]] = OrderedDict()
        self._scaled: OrderedDict[tuple[object, ...], QImage] = OrderedDict()
        self._scaled_bytes = 0

    def image(self, volume: VolumeLike, index: int, wl: WindowLevel, invert: bool) -> QImage:
        key = (id(volume.array), index, wl.width, wl.center, invert)
        hit = self._images.get(key)
        if hit is not None:
            self._images.move_to_end(key)
            return hit[0]
        grey = self.luts.render_rgb32(volume.array[index], wl, invert=invert, monochrome1=volume.monochrome1)
        img = rgb32_qimage(grey)
        self._images[key] = (img, grey)
        while len(self._images) > self.size:
            self._images.popitem(last=False)
        return img

    def scaled(self, volume: VolumeLike, index: int, wl: WindowLevel, invert: bool,
               rect: tuple[float, float, float, float], smooth: bool) -> QImage:
        """The slice drawn into ``rect`` (widget pixels) on black, as an image of :func:`blit_box`'s size."""
        ix, iy, bw, bh, fx, fy = blit_box(rect)
        key = (id(volume.array), index, wl.width, wl.center, invert, round(rect[2], 3), round(rect[3], 3),
               round(fx, 3), round(fy, 3), smooth)
        hit = self._scaled.get(key)
        if hit is not None:
            self._scaled.move_to_end(key)
            return hit
        out = QImage(bw, bh, QImage.Format.Format_RGB32)
        out.fill(Qt.GlobalColor.black)
        p = QPainter(out)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        p.drawImage(QRectF(fx, fy, rect[2], rect[3]), self.image(volume, index, wl, invert))
        p.end()
        self._scaled[key] = out
        self._scaled_bytes += out.sizeInBytes()
        while self._scaled_bytes > self.scaled_budget_bytes and len(self._scaled) > 1:
            _, old = self._scaled.popitem(last=False)
            self._scaled_bytes -= old.sizeInBytes()
        return out

    def has_scaled(self, volume: VolumeLike, index: int, wl: WindowLevel, invert: bool,
                   rect: tuple[float, float, float, float], smooth: bool) -> bool:
        _, _, _, _, fx, fy = blit_box(rect)
        return (id(volume.array), index, wl.width, wl.center, invert, round(rect[2], 3), round(rect[3], 3),
                round(fx, 3), round(fy, 3), smooth) in self._scaled

    def clear(self) -> None:
        self._images.clear()
        self._scaled.clear()
        self._scaled_bytes = 0

    def __len__(self) -> int:
        return len(self._images)
