"""PNG plots for the report: diameter histograms, Bland-Altman plots, detection bar charts.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot, no global backend switch), so
this module is safe to call from a process that also runs Qt. Each function returns PNG bytes.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from analysis.schema import ROLE_LABELS, ROLE_VALUES

_COLOURS = ("#1f6fb2", "#d9822b")
_DPI = 96


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    # every text as written, never read as mathtext: patient ids (from the images) and reader names label the plots,
    # and an id "$$" or "$\\x$" stopped `lesionlab response` with matplotlib's ParseException traceback
    for text in fig.findobj(Text):
        text.set_parse_math(False)
    buf = io.BytesIO()
    with rc_context({"text.parse_math": False}):  # the tick labels drawing makes
        fig.savefig(buf, format="png", dpi=_DPI)
    return buf.getvalue()


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666")
    ax.set_xticks([])
    ax.set_yticks([])


def histogram_png(patient_pairs: pd.DataFrame, a: str, b: str) -> bytes:
    """Overlaid histograms of per-patient mean diameters on series a and b (same patients)."""
    fig = Figure(figsize=(6.4, 3.8))
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.14, top=0.9)
    ax = fig.add_subplot()
    n = len(patient_pairs)
    if n == 0:
        _empty(ax, "no patient measured on both series")
    else:
        values = [patient_pairs[a].to_numpy(), patient_pairs[b].to_numpy()]
        lo = float(min(v.min() for v in values))
        hi = float(max(v.max() for v in values))
        bins = np.histogram_bin_edges(np.concatenate(values), bins="auto", range=(lo, hi or lo + 1))
        for v, role, colour in zip(values, (a, b), _COLOURS):
            ax.hist(v, bins=bins.tolist(), alpha=0.55, color=colour, edgecolor="white",
                    label=f"{ROLE_LABELS[role]} (mean {v.mean():.1f} mm)")
        ax.legend(frameon=False)
        ax.set_ylabel("patients")
    ax.set_xlabel("per-patient mean diameter (mm)")
    ax.set_title(f"{ROLE_LABELS[a]} vs {ROLE_LABELS[b]}: per-patient diameters (n = {n})")
    return _png(fig)


def bland_altman_png(lesion_pairs: pd.DataFrame, patient_pairs: pd.DataFrame, a: str, b: str) -> bytes:
    """Bland-Altman plots (difference a - b against mean) per lesion and per patient."""
    fig = Figure(figsize=(9.6, 3.8))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.25)
    for i, (level, pairs) in enumerate((("lesion", lesion_pairs), ("patient", patient_pairs))):
        ax = fig.add_subplot(1, 2, i + 1)
        n = len(pairs)
        ax.set_title(f"per {level} (n = {n})")
        if n == 0:
            _empty(ax, "no pairs")
            continue
        x = pairs[a].to_numpy()
        y = pairs[b].to_numpy()
        mean = (x + y) / 2
        diff = x - y
        bias = float(diff.mean())
        ax.scatter(mean, diff, s=14, color=_COLOURS[0], alpha=0.7, linewidths=0)
        ax.axhline(bias, color="#333", lw=1, label=f"bias {bias:+.2f} mm")
        if n > 1:
            sd = float(diff.std(ddof=1))
            ax.axhline(bias - 1.96 * sd, color="#999", lw=1, ls="--")
            ax.axhline(bias + 1.96 * sd, color="#999", lw=1, ls="--",
                       label=f"limits of agreement ±{1.96 * sd:.2f} mm")
        ax.axhline(0, color="#ccc", lw=0.8)
        ax.set_xlabel("mean of the two diameters (mm)")
        ax.set_ylabel(f"{ROLE_LABELS[a]} − {ROLE_LABELS[b]} (mm)")
        ax.legend(frameon=False, fontsize="small")
    fig.suptitle(f"Bland–Altman: {ROLE_LABELS[a]} vs {ROLE_LABELS[b]}")
    return _png(fig)


def detection_png(detection: pd.DataFrame) -> bytes:
    """Grouped bars: mean count per exam pair for each series, whole liver and each lobe."""
    fig = Figure(figsize=(9.6, 4.0))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.1, top=0.91)
    ax = fig.add_subplot()
    regions = ("whole", "right", "left")
    width = 0.26
    x = np.arange(len(ROLE_VALUES))
    colours = ("#34495e", "#1f6fb2", "#d9822b")
    for i, (region, colour) in enumerate(zip(regions, colours)):
        sub = detection[detection["region"] == region].set_index("series_role").reindex(list(ROLE_VALUES))
        means = sub["mean_per_exam_pair"].to_numpy(dtype=float)
        bars = ax.bar(x + (i - 1) * width, np.nan_to_num(means), width, color=colour,
                      label=f"{region} liver" if region == "whole" else f"{region} lobe")
        for rect, n in zip(bars, sub["n_exam_pairs"].to_numpy()):
            if n == 0:
                rect.set_hatch("//")
    ax.set_xticks(x, [ROLE_LABELS[r] for r in ROLE_VALUES])
    ax.set_ylabel("mean metastases per exam pair")
    ax.set_title("Detection per series and lobe")
    ax.legend(frameon=False)
    return _png(fig)
