"""Slice -> QImage through the numpy pipeline of :mod:`viewer.display`, cached per slice and window.

A repaint without a change of slice or window (hover, overlays, tools) reuses the QImage;
only a new (slice, window, inversion) pays for the lookup. The grey buffer is kept beside the
QImage because the QImage shares its memory.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtGui import QImage

from viewer.display import LutCache, WindowLevel
from viewer.model.viewport import VolumeLike


def rgb32_qimage(pixels: np.ndarray) -> QImage:
    """A QImage sharing a contiguous 2D uint32 array (keep the array alive as long as the image)."""
    rows, cols = pixels.shape
    return QImage(pixels.data, cols, rows, pixels.strides[0], QImage.Format.Format_RGB32)


class SliceImageCache:
    """LRU of rendered slices keyed by (volume, slice, window, inversion)."""

    def __init__(self, size: int = 48) -> None:
        self.size = size
        self.luts = LutCache()
        self._images: OrderedDict[tuple[object, ...], tuple[QImage, np.ndarray]] = OrderedDict()

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

    def clear(self) -> None:
        self._images.clear()

    def __len__(self) -> int:
        return len(self._images)
