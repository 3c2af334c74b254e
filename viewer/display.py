"""The display pixel pipeline: rescaled values -> window/level -> 8-bit grey, as pure numpy.

The loader has already applied the Modality LUT (RescaleSlope/Intercept, PS3.3 C.11.1), so CT
arrives in Hounsfield units. This module implements the VOI LUT linear function of PS3.3
C.11.2.1.2.1 and the MONOCHROME1 inversion (PS3.3 C.7.6.3.1.2), and nothing else: no Qt, no
state. Integer volumes go through a 65536-entry lookup table (one ``np.take`` per slice, the
fast path); float volumes are windowed arithmetically.

Presets (width/level in HU; the usual abdominal PACS values):

* CT abdomen  W400 / L40   soft tissue
* CT liver    W150 / L90   narrow window that makes hyper-enhancing metastases stand out
* CT bone     W2000 / L500
* MRI auto    1st-99th percentile of the stack's non-background signal (MRI has no units)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from viewer.body import has_background, log_otsu, sample_values
from viewer.errors import ValidationError
from viewer.records import Role


@dataclass(frozen=True, slots=True)
class WindowLevel:
    """A VOI window: ``width`` >= 1 and ``center`` (level), in the stack's units (HU for CT)."""

    width: float
    center: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.width) and math.isfinite(self.center)):
            raise ValidationError(f"window {self.width}/{self.center} is not finite", where="WindowLevel")
        if self.width < 1:
            object.__setattr__(self, "width", 1.0)

    def adjusted(self, d_width: float, d_center: float) -> "WindowLevel":
        """This window widened by ``d_width`` and moved by ``d_center`` (a mouse drag)."""
        return WindowLevel(max(1.0, self.width + d_width), self.center + d_center)

    def label(self) -> str:
        return f"W {self.width:.0f}  L {self.center:.0f}"


class Preset(str, Enum):
    """Named windows offered by keys 1-5 (see app.shortcuts)."""

    CT_ABDOMEN = "ct_abdomen"
    CT_LIVER = "ct_liver"
    CT_BONE = "ct_bone"
    AUTO = "auto"
    MR_CONTRAST = "mr_contrast"


PRESET_WINDOWS: dict[Preset, WindowLevel] = {
    Preset.CT_ABDOMEN: WindowLevel(400, 40),
    Preset.CT_LIVER: WindowLevel(150, 90),
    Preset.CT_BONE: WindowLevel(2000, 500),
}

PRESET_LABELS: dict[Preset, str] = {
    Preset.CT_ABDOMEN: "CT abdomen (W400/L40)",
    Preset.CT_LIVER: "CT liver (W150/L90)",
    Preset.CT_BONE: "CT bone (W2000/L500)",
    Preset.AUTO: "Automatic (1st-99th percentile of the stack)",
    Preset.MR_CONTRAST: "MRI high contrast (5th-95th percentile of the body's signal; 99th on T1 portal and b800)",
}

#: Percentiles of the stack used for the automatic (MRI) window, and for the high-contrast one.
AUTO_PERCENTILES = (1.0, 99.0)
CONTRAST_PERCENTILES = (5.0, 95.0)
#: The high-contrast window's percentiles where the liver or its lesions are among the body's brightest
#: tissue, so that the 95th percentile lands on them: the portal-phase T1, whose enhanced liver it put at
#: grey 236-242 on the three sample patients, the hyper-enhancing lesions 13-19 grey levels above it, at
#: white (a reader's check); b800, where the restricted-diffusion lesions went white with the liver at
#: 163-176. With the 99th, the liver sits at 186-190 on T1 portal (its lesions 21-35 grey levels away
#: at the least, as with the automatic window) and at 90-98 on b800.
CONTRAST_PERCENTILES_BY_ROLE = {Role.MR_T1_PORTAL: (5.0, 99.0), Role.MR_DWI: (5.0, 99.0)}
#: Pixels sampled per stack for the automatic window (enough for stable percentiles).
AUTO_SAMPLE = 200_000


def auto_window(array: np.ndarray, loaded: np.ndarray | None = None,
                percentiles: tuple[float, float] = AUTO_PERCENTILES, body_only: bool = False) -> WindowLevel:
    """Window spanning the 1st-99th percentile of the stack's signal (MRI; no physical units).

    Background (values at or below the stack minimum, the air around the body) is left out so
    that it does not pull the window down. Only ``loaded`` slices are looked at, so the window
    can be computed from the middle slice before the rest has arrived. ``body_only``: the
    background's noise is left out too (values under :func:`viewer.body.log_otsu`): it fills
    half or more of an MRI stack, and its 95th percentile came out at the liver's own level on
    b800 and T1 (a reader's check: the high-contrast window made the liver white and hid the
    bright metastases in it).
    """
    data = array if loaded is None or loaded.all() else array[np.asarray(loaded, bool)]
    if data.size == 0:
        return WindowLevel(1.0, 0.0)
    flat = sample_values(data, AUTO_SAMPLE)
    floor = flat.min()
    signal = flat[flat > floor]
    if signal.size < 16:
        signal = flat
    if body_only and has_background(data, "", flat):
        # Otsu over every value, the stack's minimum included: with a zero-filled background (a masked
        # ADC map) it splits the zeros from the tissue, not two tissues; with no background at all the
        # split is not made (a review: the dark tissue of a zero-background T1 went black)
        body = signal[signal > log_otsu(flat)]
        if body.size >= 16:
            signal = body
    lo, hi = np.percentile(signal.astype(np.float64), percentiles)
    return WindowLevel(max(1.0, float(hi - lo)), float(lo + hi) / 2.0)


def preset_window(preset: Preset, array: np.ndarray | None = None, loaded: np.ndarray | None = None,
                  role: Role | None = None) -> WindowLevel:
    """The window of a preset; ``AUTO`` and ``MR_CONTRAST`` need the stack (the latter's percentiles
    depend on the series' ``role``: :data:`CONTRAST_PERCENTILES_BY_ROLE`)."""
    if preset in (Preset.AUTO, Preset.MR_CONTRAST):
        if array is None:
            raise ValidationError("the automatic window needs the stack's pixels", where="preset")
        if preset is Preset.AUTO:
            return auto_window(array, loaded)
        # a role's value ("mr_dwi") read as the role it names
        percentiles = CONTRAST_PERCENTILES_BY_ROLE.get(Role(role), CONTRAST_PERCENTILES) if role else CONTRAST_PERCENTILES
        return auto_window(array, loaded, percentiles, body_only=True)
    return PRESET_WINDOWS[preset]


def default_window(units: str, array: np.ndarray, loaded: np.ndarray | None = None) -> WindowLevel:
    """First window of a stack: CT abdomen for Hounsfield units, automatic otherwise."""
    if units == "HU":
        return PRESET_WINDOWS[Preset.CT_ABDOMEN]
    return auto_window(array, loaded)


def window_bounds(wl: WindowLevel) -> tuple[float, float]:
    """(lowest value shown black, highest shown white) of PS3.3 C.11.2.1.2.1 linear function."""
    c, w = wl.center, wl.width
    return c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2


def window_values(values: np.ndarray, wl: WindowLevel, invert: bool = False) -> np.ndarray:
    """Apply the linear VOI function to any values; uint8 out (0 black, 255 white)."""
    c, w = wl.center, wl.width
    x = np.asarray(values, dtype=np.float32)
    if w <= 1:
        y = np.where(x > c - 0.5, 255.0, 0.0)
    else:
        y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255.0
    out = np.clip(np.rint(y), 0, 255).astype(np.uint8)
    return 255 - out if invert else out


#: Grey level g as a 32-bit 0xFFgggggg pixel (Qt's RGB32 / ARGB32 layout): scaling an RGB32
#: image is Qt's fast path, twice as fast as an 8-bit greyscale one.
GREY_TO_RGB32 = (np.uint32(0xFF000000) | (np.arange(256, dtype=np.uint32) * np.uint32(0x010101))).astype(np.uint32)


def _index16(image: np.ndarray) -> np.ndarray:
    return image.view(np.uint16) if image.dtype.itemsize == 2 else image.astype(np.int32).astype(np.uint16)


@dataclass(frozen=True, slots=True)
class Lut:
    """A 65536-entry uint8 lookup table for 16-bit integer pixels (either signedness),
    with its RGB32 twin for display."""

    table: np.ndarray
    signed: bool
    table_rgb32: np.ndarray

    def apply(self, image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Grey levels of a 2D integer image; ``out`` (uint8, same shape) avoids an allocation."""
        return np.take(self.table, _index16(image), out=out)

    def apply_rgb32(self, image: np.ndarray) -> np.ndarray:
        """The same grey levels as uint32 0xFFgggggg pixels."""
        return np.take(self.table_rgb32, _index16(image))


def build_lut(wl: WindowLevel, dtype: np.dtype | type, invert: bool = False) -> Lut:
    """The lookup table for one window on one integer dtype (int16/uint16, or narrower).

    The table is indexed by the raw 16-bit pattern: for signed input the upper half of the
    table holds the negative values (two's complement), so ``image.view(uint16)`` indexes it.
    """
    dt = np.dtype(dtype)
    if dt.kind not in "iu" or dt.itemsize > 2:
        raise ValidationError(f"lookup tables need 8/16-bit integers, got {dt}", where="build_lut")
    signed = dt.kind == "i"
    values = np.arange(65536, dtype=np.int32)
    if signed:
        values = values.astype(np.uint16).view(np.int16).astype(np.int32)
    grey = window_values(values, wl, invert)
    return Lut(grey, signed, GREY_TO_RGB32[grey])


def uses_lut(array: np.ndarray) -> bool:
    """True when ``render`` takes the lookup-table path for this array."""
    return array.dtype.kind in "iu" and array.dtype.itemsize <= 2


def render(image: np.ndarray, wl: WindowLevel, *, invert: bool = False, monochrome1: bool = False,
           lut: Lut | None = None) -> np.ndarray:
    """One 2D slice to contiguous uint8 grey.

    ``monochrome1`` inverts (PS3.3 C.7.6.3.1.2: minimum value is white); the reader's
    ``invert`` toggles again on top of that. ``lut`` is a prebuilt table for this window.
    """
    flip = invert != monochrome1
    if uses_lut(image):
        table = lut if lut is not None else build_lut(wl, image.dtype, flip)
        return table.apply(np.ascontiguousarray(image))
    return window_values(image, wl, flip)


#: Wide integer slices (int32/uint32: a CT whose rescale leaves int16, such as GE's signed 16-bit with
#: intercept -1024) go through a table over the slice's own value range when it is at most this wide.
WIDE_LUT_MAX_VALUES = 1 << 18
#: The range of such a table is widened to multiples of this, so that neighbouring slices share it.
WIDE_LUT_STEP = 4096


def wide_lut_range(image: np.ndarray) -> tuple[int, int] | None:
    """(first value, number of values) of the table that windows a wide-integer ``image``, or None
    when the image is not wide-integer or its values span more than :data:`WIDE_LUT_MAX_VALUES`."""
    if image.dtype.kind not in "iu" or image.dtype.itemsize <= 2 or image.size == 0:
        return None
    lo, hi = int(image.min()), int(image.max())
    lo -= lo % WIDE_LUT_STEP
    n = (hi - lo) // WIDE_LUT_STEP * WIDE_LUT_STEP + WIDE_LUT_STEP
    return (lo, n) if n <= WIDE_LUT_MAX_VALUES else None


def build_range_lut_rgb32(wl: WindowLevel, first: int, n: int, invert: bool = False) -> np.ndarray:
    """RGB32 pixels of the values ``first .. first + n - 1`` under ``wl`` (the same grey levels as
    :func:`window_values`)."""
    table: np.ndarray = GREY_TO_RGB32[window_values(np.arange(first, first + n, dtype=np.int64), wl, invert)]
    return table


def apply_range_lut(table: np.ndarray, image: np.ndarray, first: int) -> np.ndarray:
    """``table[image - first]`` for a wide-integer image whose values all lie in the table's range."""
    index = np.subtract(image, first, dtype=np.int32 if image.dtype.kind == "i" else np.int64)
    out: np.ndarray = np.take(table, index)
    return out


class LutCache:
    """Last few lookup tables by (window, dtype, inversion): building one costs ~0.5 ms."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._tables: dict[tuple[float, float, str, bool], Lut] = {}
        self._wide: dict[tuple[float, float, int, int, bool], np.ndarray] = {}

    def get(self, wl: WindowLevel, dtype: np.dtype, invert: bool) -> Lut:
        key = (wl.width, wl.center, np.dtype(dtype).str, invert)
        table = self._tables.pop(key, None)
        if table is None:
            table = build_lut(wl, dtype, invert)
        self._tables[key] = table
        while len(self._tables) > self._size:
            self._tables.pop(next(iter(self._tables)))
        return table

    def render(self, image: np.ndarray, wl: WindowLevel, *, invert: bool = False,
               monochrome1: bool = False) -> np.ndarray:
        flip = invert != monochrome1
        if uses_lut(image):
            return self.get(wl, image.dtype, flip).apply(np.ascontiguousarray(image))
        return window_values(image, wl, flip)

    def render_rgb32(self, image: np.ndarray, wl: WindowLevel, *, invert: bool = False,
                     monochrome1: bool = False) -> np.ndarray:
        """:meth:`render` as uint32 0xFFgggggg pixels, for display."""
        flip = invert != monochrome1
        if uses_lut(image):
            return self.get(wl, image.dtype, flip).apply_rgb32(image)
        wide = wide_lut_range(image)
        if wide is not None:
            first, n = wide
            key = (wl.width, wl.center, first, n, flip)
            table = self._wide.pop(key, None)
            if table is None:
                table = build_range_lut_rgb32(wl, first, n, flip)
            self._wide[key] = table
            while len(self._wide) > self._size:
                self._wide.pop(next(iter(self._wide)))
            return apply_range_lut(table, image, first)
        pixels: np.ndarray = GREY_TO_RGB32[window_values(image, wl, flip)]
        return pixels
