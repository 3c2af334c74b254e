"""CT noise: its SD and spatial correlation in homogeneous tissue, real scanner files against the phantom.

    .venv/bin/python -m bench.ct_noise [--real DIR] [--json OUT]

Measured the same way everywhere: square tiles (``TILE_MM`` across) lying wholly in one tissue
(HU within ``band`` of its level in a 3 mm smoothed copy, so vessels, bone and edges stay out), each
detrended by a least-squares quadric (the smooth mean: a tile's own anatomy, the liver's or the brain's
slow gradients), then pooled: the noise SD (median over the tiles), the 2-D autocorrelation (mean of the
tiles', unbiased by the overlap count) and its full width at half maximum along rows and columns (mm), and
the noise power spectrum (NPS, HU^2 mm^2), radially averaged in cycles/mm, with its peak frequency. The
NPS's shape is what the Cramér-Rao bound (bench/crlb_ellipse.py) needs: how much of the noise lies at the
frequencies an edge is read at.

Sources:
- ``real``: ../shared/realdicom's only CT, a GE HiSpeed Dual head CT (kernel STD+, 0.488 mm pixels,
  4 and 7 mm slices, 120 kV): brain parenchyma at 20-45 HU. shared/ holds no liver and no portal-phase CT.
- ``phantom field``: the generator's own noise field for CT portal (tools/sample/render.add_noise: each
  slice's white noise filtered in the Fourier domain to a ramp-shaped NPS, f exp(-(f / f0)^2) with f0
  CT_NOISE_F0_PER_MM cycles/mm, scaled to the series' SD; until session 42 a Gaussian of 2.2 pixels), on a
  blank slab, measured by the same tiles (its detrending takes the same share of the low frequencies).
- ``phantom liver``: the sample's CT portal DICOM (sample_dicom/, 3 patients), liver parenchyma at its
  portal level (110 HU), read like the real files.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
REAL_CT = ROOT.parent / "shared" / "realdicom" / "ge_ct_gantry_tilt"
TILE_MM = 16.0


@dataclass(frozen=True)
class NoiseFigures:
    source: str
    pixel_mm: float
    tiles: int
    sd_hu: float  # median of the tiles' detrended SD
    sd_hu_iqr: tuple[float, float]
    acf_fwhm_mm: float  # autocorrelation's full width at half maximum, mean of rows and columns
    acf_min: float  # the autocorrelation's deepest value (negative lobes: a ramp-filtered reconstruction)
    nps_peak_per_mm: float  # radial NPS peak frequency, cycles/mm
    nps_mean_per_mm: float  # NPS-weighted mean frequency, cycles/mm
    nps_radial: list[tuple[float, float]]  # (cycles/mm, NPS normalised to unit variance: mm^2)


def _quadric(n: int) -> np.ndarray:
    y, x = np.mgrid[0:n, 0:n].astype(float) / n - 0.5
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1).reshape(n * n, 6)


def tiles_of(image: np.ndarray, pixel_mm: float, level: float, band: float, step: float = 0.5) -> list[np.ndarray]:
    """Detrended tiles of ``image`` lying wholly where its 3 mm smoothed copy is within ``band`` of ``level``."""
    n = max(8, int(round(TILE_MM / pixel_mm)))
    smooth = ndimage.gaussian_filter(image.astype(float), 3.0 / pixel_mm)
    ok = np.abs(smooth - level) <= band
    design = _quadric(n)
    out = []
    stride = max(1, int(n * step))
    for r in range(0, image.shape[0] - n + 1, stride):
        for c in range(0, image.shape[1] - n + 1, stride):
            if not ok[r:r + n, c:c + n].all():
                continue
            t = image[r:r + n, c:c + n].astype(float).ravel()
            coef, *_ = np.linalg.lstsq(design, t, rcond=None)
            out.append((t - design @ coef).reshape(n, n))
    return out


def figures(source: str, tiles: list[np.ndarray], pixel_mm: float) -> NoiseFigures:
    if not tiles:
        raise ValueError(f"{source}: no tile lies wholly in the tissue")
    n = tiles[0].shape[0]
    sds = np.array([t.std() for t in tiles])
    # Autocorrelation through zero-padded FFTs, divided by the overlap count (unbiased), pooled.
    m = 2 * n
    overlap = np.fft.ifft2(np.abs(np.fft.fft2(np.ones((n, n)), s=(m, m))) ** 2).real
    acf = np.zeros((m, m))
    nps = np.zeros((n, n))
    for t in tiles:
        f = np.fft.fft2(t, s=(m, m))
        acf += np.fft.ifft2(np.abs(f) ** 2).real / np.maximum(overlap, 1.0)
        nps += np.abs(np.fft.fft2(t)) ** 2 * pixel_mm ** 2 / (n * n)
    acf /= len(tiles)
    nps /= len(tiles)
    acf = np.fft.fftshift(acf / acf[0, 0])
    c = m // 2
    widths = []
    for prof in (acf[c, c:c + n // 2], acf[c:c + n // 2, c]):
        k = int(np.argmax(prof < 0.5))
        widths.append(2 * pixel_mm * (k - 1 + (prof[k - 1] - 0.5) / (prof[k - 1] - prof[k])))
    freq = np.fft.fftfreq(n, d=pixel_mm)
    fr = np.hypot(freq[:, None], freq[None, :])
    bins = np.arange(0, fr.max() + 1e-9, 1.0 / (n * pixel_mm))
    idx = np.digitize(fr.ravel(), bins) - 1
    total = nps.sum() / (n * pixel_mm) ** 2  # = variance
    radial = []
    for k in range(len(bins) - 1):
        sel = idx == k
        if sel.any() and bins[k] <= 0.5 / pixel_mm:
            radial.append((round(float(bins[k] + 0.5 / (n * pixel_mm)), 4), round(float(nps.ravel()[sel].mean() / total), 3)))
    peak = max(radial, key=lambda p: p[1])[0]
    mean_f = float((fr * nps).sum() / nps.sum())
    q1, q3 = np.percentile(sds, [25, 75])
    return NoiseFigures(source, pixel_mm, len(tiles), round(float(np.median(sds)), 2), (round(float(q1), 2), round(float(q3), 2)),
                        round(float(np.mean(widths)), 2), round(float(acf.min()), 3), peak, round(mean_f, 3), radial)


def real_head_ct(folder: Path = REAL_CT) -> NoiseFigures:
    import pydicom

    tiles: list[np.ndarray] = []
    pixel = 0.0
    for f in sorted(glob.glob(str(folder / "*.dcm"))):
        d = pydicom.dcmread(f)
        img = d.pixel_array.astype(float) * float(d.RescaleSlope) + float(d.RescaleIntercept)
        pixel = float(d.PixelSpacing[0])
        tiles += tiles_of(img, pixel, 32.5, 12.5)  # brain parenchyma, 20-45 HU
    return figures(f"real: GE head CT, STD+ ({folder.name}), brain 20-45 HU", tiles, pixel)


def phantom_field(sigma: float | None = None, f0_per_mm: float | None = None, seed: int = 7) -> NoiseFigures:
    sys.path.insert(0, str(ROOT))
    from tools.sample.protocols import CT_GRID, CT_NOISE_F0_PER_MM, CT_NOISE_HU
    from tools.sample.render import add_noise

    sigma = CT_NOISE_HU["SIEMENS"][1] if sigma is None else sigma
    f0 = CT_NOISE_F0_PER_MM if f0_per_mm is None else f0_per_mm
    blank = np.zeros((4, 256, 256), np.float32)
    noisy = np.rint(add_noise(blank, "ct_pv", sigma, 0.0, np.random.default_rng(seed), ramp_f0_per_mm=f0,
                              pixel_mm=CT_GRID.pixel_spacing_mm))  # stored as whole HU
    pixel = CT_GRID.pixel_spacing_mm[0]
    tiles = [t for s in noisy for t in tiles_of(s, pixel, 0.0, 1e9)]
    return figures(f"phantom field: add_noise, {sigma:g} HU, ramp NPS f0 {f0:g} c/mm", tiles, pixel)


def phantom_liver() -> NoiseFigures:
    import pydicom

    tiles: list[np.ndarray] = []
    pixel = 0.0
    for folder in sorted(glob.glob(str(ROOT / "sample_dicom" / "LLSYN00?" / "*_CT" / "004_*"))):
        for f in sorted(glob.glob(folder + "/*.dcm"))[8:28]:
            d = pydicom.dcmread(f)
            img = d.pixel_array.astype(float) * float(d.RescaleSlope) + float(d.RescaleIntercept)
            pixel = float(d.PixelSpacing[0])
            tiles += tiles_of(img, pixel, 110.0, 12.0)  # the liver's portal level
    return figures("phantom liver: sample_dicom CT portal (Siemens 13 HU, GE 15 HU)", tiles, pixel)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=Path, default=REAL_CT)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    rows = [real_head_ct(args.real), phantom_field(), phantom_liver()]
    print("| source | pixel mm | tiles | SD HU (IQR) | ACF FWHM mm | ACF min | NPS peak c/mm | NPS mean c/mm |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r.source} | {r.pixel_mm:.3f} | {r.tiles} | {r.sd_hu} ({r.sd_hu_iqr[0]}-{r.sd_hu_iqr[1]}) | "
              f"{r.acf_fwhm_mm} | {r.acf_min} | {r.nps_peak_per_mm} | {r.nps_mean_per_mm} |")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
