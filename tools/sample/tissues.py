"""Mean tissue value per intensity key: CT in HU, MR in arbitrary units before the series gain,
ADC in 1e-6 mm2/s.

Keys: ``ct_art``, ``ct_pv``, ``t2fs``, ``dwi_b0``, ``dwi_b800``, ``adc``, ``t1_pre``, ``t1_art``,
``t1_pv``. ``dwi_b800`` is not a free column: it is ``dwi_b0 * exp(-800 s/mm2 * adc)``, so an ADC
map computed from the b0 and b800 images returns each tissue's ADC.
"""

from __future__ import annotations

import math

from .anatomy import Tissue as T

KEYS = ("ct_art", "ct_pv", "t2fs", "dwi_b0", "dwi_b800", "adc", "t1_pre", "t1_art", "t1_pv")
_COLUMNS = ("ct_art", "ct_pv", "t2fs", "dwi_b0", "adc", "t1_pre", "t1_art", "t1_pv")
_ROWS = {
    T.AIR: (-1040, -1040, 0, 0, 0, 0, 0, 0),
    T.FAT: (-105, -100, 120, 25, 100, 110, 120, 130),
    T.MUSCLE: (50, 60, 330, 250, 1400, 380, 450, 550),
    T.BONE: (700, 700, 60, 20, 300, 80, 80, 90),
    T.MARROW: (220, 230, 200, 100, 500, 220, 300, 330),
    T.AORTA: (320, 170, 60, 20, 2800, 150, 1900, 1100),
    T.IVC: (90, 160, 80, 40, 2800, 160, 500, 1100),
    T.PORTAL: (150, 190, 90, 40, 2600, 180, 900, 1350),
    T.HEPVEIN: (50, 170, 90, 40, 2600, 180, 550, 1200),
    T.LIVER: (72, 110, 430, 600, 1300, 520, 680, 900),
    T.FISSURE: (-95, -95, 120, 25, 100, 110, 120, 130),
    T.KIDNEY: (200, 180, 900, 1300, 2000, 420, 1500, 1200),
    T.SPLEEN: (120, 125, 850, 950, 950, 420, 1000, 950),
    T.FLUID: (8, 10, 2200, 1500, 3000, 100, 105, 110),
    T.LUNG: (-850, -850, 20, 10, 0, 15, 15, 15),
    T.BOWEL: (35, 90, 600, 500, 1500, 350, 600, 800),
    T.HEART: (150, 160, 80, 30, 2800, 150, 1500, 1100),
}


def _table() -> dict[str, list[float]]:
    cols = {key: [float(_ROWS[T(t)][j]) for t in range(len(T))] for j, key in enumerate(_COLUMNS)}
    cols["dwi_b800"] = [round(b0 * math.exp(-800e-6 * adc), 2) for b0, adc in zip(cols["dwi_b0"], cols["adc"])]
    return {key: cols[key] for key in KEYS}


TISSUE_VALUES: dict[str, list[float]] = _table()
#: The liver's value per key.
LIVER: dict[str, float] = {key: TISSUE_VALUES[key][T.LIVER] for key in KEYS}
