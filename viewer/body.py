"""Where the body is on a slice, as pure numpy: the background's noise (MRI) or air (CT) against
the body's signal. A reading's mark placed outside the body is a stray click (a reader activating
a cell by clicking the dark below the body had it counted as a metastasis); the MRI high-contrast
window spans the body's signal, not the background's noise that fills most of an MRI stack.

- MRI: Otsu's threshold of log(1 + value), the split of background noise against tissue on
  magnitude images (as :mod:`viewer.registration.prepare` finds an MRI's body), on values smoothed
  over a pixel so that the background's noise peaks do not pass it.
- CT: -500 HU (air and lung below, every soft tissue above).

The body is what lies above the threshold with its holes filled (the lungs, a fat-suppressed ring
of subcutaneous fat inside the skin, a dark lesion or a flow void inside the liver are all in it).
Only where the image has a background at all: a quarter of its border dark against its content
(the border's 25th percentile under a tenth of the content's 99th percentile on MRI, under -500 HU
on CT; the median was not: b800's noise border, 22-24 against 23.7, where the body touches the field's edge). A field of view filled by the body (a
large patient, a crop) has none, and Otsu would split two tissues there (a review: a liver reaching
the image's edge, darker than the tissue beside it, was "outside").
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

#: CT: below this, air (or lung), never a soft tissue or a liver lesion.
CT_AIR_HU = -500.0


def log_otsu(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of log(1 + max(value, 0)) over ``bins`` bins, in the values' own scale: the
    level that best splits the values in two classes of log intensity (MRI: background noise
    against the body's signal). The lowest value when there are fewer than two distinct ones."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0
    logs = np.log1p(np.maximum(v, 0.0))
    lo, hi = float(logs.min()), float(logs.max())
    if hi <= lo:
        return float(np.expm1(lo))
    hist, edges = np.histogram(logs, bins=bins, range=(lo, hi))
    centres = 0.5 * (edges[:-1] + edges[1:])
    w0 = np.cumsum(hist).astype(np.float64)
    w1 = w0[-1] - w0
    s0 = np.cumsum(hist * centres)
    with np.errstate(invalid="ignore", divide="ignore"):
        m0 = s0 / w0
        m1 = (s0[-1] - s0) / w1
        between = np.where((w0 > 0) & (w1 > 0), w0 * w1 * (m0 - m1) ** 2, -1.0)
    k = int(np.argmax(between))
    return float(math.expm1(edges[k + 1]))


#: MRI: a border whose lowest quarter is under this share of the content's 99th percentile is
#: background (noise, or the zeros outside a masked map), not tissue.
BORDER_SHARE = 0.1


def border_values(array: np.ndarray) -> np.ndarray:
    """The outermost rows and columns of a slice (rows, cols) or of every slice of a stack."""
    a = np.asarray(array)
    if a.ndim == 2:
        a = a[None]
    return np.concatenate([a[:, 0, :].ravel(), a[:, -1, :].ravel(), a[:, :, 0].ravel(), a[:, :, -1].ravel()])


def has_background(array: np.ndarray, units: str, values: np.ndarray | None = None) -> bool:
    """Whether a slice or stack has a background round the body: its border is dark against its
    content (``values``: a sample of the content, the whole array when None)."""
    border = np.asarray(border_values(array), dtype=np.float64)
    border = border[np.isfinite(border)]
    if border.size == 0:
        return False
    level = float(np.percentile(border, 25.0))  # a quarter of the border dark (a body may touch the rest)
    if units == "HU":
        return level < CT_AIR_HU
    content = np.asarray(array if values is None else values, dtype=np.float64).ravel()
    content = content[np.isfinite(content)]
    return bool(content.size) and level <= BORDER_SHARE * float(np.percentile(content, 99.0))


def body_threshold(image: np.ndarray, units: str) -> float:
    """The level above which a pixel of ``image`` (a slice, or values sampled from a stack) is body."""
    if units == "HU":
        return CT_AIR_HU
    return log_otsu(image)


def sample_values(array: np.ndarray, n: int = 200_000) -> np.ndarray:
    """About ``n`` of the array's values, evenly strided (enough for stable percentiles)."""
    flat = np.asarray(array).reshape(-1)
    return flat[:: flat.size // n] if flat.size > n else flat


def body_mask(image: np.ndarray, units: str, content: np.ndarray | None = None) -> np.ndarray:
    """The body on one slice: above :func:`body_threshold` once smoothed over a pixel, holes filled;
    all of it when there is no background (:func:`has_background`, the slice's border against
    ``content``: a sample of the whole stack, else the slice). Values that are not numbers count
    as background. Judged against the slice alone, the faint slices at the ends of a b800 stack
    (a little body in much noise) had no background, and a click in their air counted."""
    img = np.asarray(image, dtype=np.float64)
    img = np.where(np.isfinite(img), img, CT_AIR_HU - 1.0 if units == "HU" else 0.0).astype(np.float32)
    if not has_background(img, units, content):
        return np.ones(img.shape, bool)
    smooth = ndi.gaussian_filter(img, 1.0, mode="nearest")
    mask: np.ndarray = ndi.binary_fill_holes(smooth > body_threshold(smooth, units))
    return mask


def outside_body(image: np.ndarray, at: tuple[float, float], units: str, content: np.ndarray | None = None) -> bool:
    """Whether the pixel containing ``at`` (row, col) of a slice lies outside the body (False
    outside the image: that is the caller's to say); ``content`` as for :func:`body_mask`."""
    r, c = int(round(at[0])), int(round(at[1]))
    if not (0 <= r < image.shape[0] and 0 <= c < image.shape[1]):
        return False
    return not bool(body_mask(image, units, content)[r, c])
