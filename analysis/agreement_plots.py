"""Agreement plots (Agg canvas, PNG bytes): Bland–Altman per series role for a reader pair, and a
forest plot of ICC(A,1) with its 95 % CI for every comparison.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.agreement import AGREEMENT_COLUMNS
from analysis.agreement_data import ReaderReads
from analysis.agreement_stats import limits_of_agreement
from analysis.plots import _empty, _png
from analysis.schema import ROLE_LABELS, ROLE_VALUES

_BLUE, _ORANGE, _GREY = "#1f6fb2", "#d9822b", "#777"


#: the characters of a reader's name a file name keeps; a longer name is cut there and its digest added (two names of
#: 150 characters made a figure's name of 331 bytes, over the file system's 255: the whole output refused, session 48)
FILE_PART_MAX = 60


def file_part(reader: str) -> str:
    """A reader name made safe for a file name (at most FILE_PART_MAX characters and a digest of the whole name)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", reader).strip("._") or "reader"
    if len(safe) <= FILE_PART_MAX:
        return safe
    return f"{safe[:FILE_PART_MAX].rstrip('._')}_{hashlib.sha1(reader.encode()).hexdigest()[:8]}"


def bland_altman_readers_png(reads: ReaderReads, a: str, b: str) -> bytes:
    """Six panels (one per series role): diameter a − b against the mean, bias, limits, their CIs."""
    fig = Figure(figsize=(12.0, 7.0))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.9, wspace=0.28, hspace=0.42)
    d = reads.diameters
    for i, role in enumerate(ROLE_VALUES):
        ax = fig.add_subplot(2, 3, i + 1)
        sub = d[d["series_role"] == role].pivot(index=["patient_id", "exam_pair_id", "subject"],
                                                 columns="reader", values="diameter_mm")
        pairs = sub.reindex(columns=[a, b]).dropna()
        ax.set_title(f"{ROLE_LABELS[role]} (n = {len(pairs)} lesions)", fontsize="medium")
        loa = limits_of_agreement((pairs[a] - pairs[b]).to_numpy()) if len(pairs) else None
        if loa is None or loa.bias is None:
            _empty(ax, "fewer than 3 lesions measured by both")
            continue
        x, y = pairs[a].to_numpy(), pairs[b].to_numpy()
        ax.scatter((x + y) / 2, x - y, s=14, color=_BLUE, alpha=0.75, linewidths=0)
        ax.axhline(loa.bias, color="#333", lw=1, label=f"bias {loa.bias:+.2f} mm")
        for level, low, high in ((loa.loa_low, loa.loa_low_ci_low, loa.loa_low_ci_high),
                                 (loa.loa_high, loa.loa_high_ci_low, loa.loa_high_ci_high)):
            if level is not None:
                ax.axhline(level, color=_ORANGE, lw=1, ls="--")
            if low is not None and high is not None:
                ax.axhspan(low, high, color=_ORANGE, alpha=0.12, lw=0)
        ax.plot([], [], color=_ORANGE, ls="--", label=f"limits {loa.loa_low:+.2f} / {loa.loa_high:+.2f} mm")
        ax.axhline(0, color="#ccc", lw=0.8)
        ax.set_xlabel("mean of the two readers (mm)", fontsize="small")
        ax.set_ylabel(f"{a} − {b} (mm)", fontsize="small")
        ax.legend(frameon=False, fontsize="x-small", loc="upper left")
    fig.suptitle(f"Bland–Altman of diameters, {a} − {b}: bias, 95 % limits of agreement and their "
                 f"exact 95 % CIs (shaded)")
    return _png(fig)


def icc_forest_png(table: pd.DataFrame) -> bytes:
    """ICC(A,1) and its 95 % CI per comparison (diameters, counts per region), one line each."""
    rows = table[table["analysis"].isin(["diameters", "counts"])].reindex(columns=list(AGREEMENT_COLUMNS))
    n = len(rows)
    fig = Figure(figsize=(8.0, 1.2 + 0.24 * max(n, 1)))
    fig.subplots_adjust(left=0.45, right=0.97, top=1 - 0.5 / (1.2 + 0.24 * max(n, 1)), bottom=0.7 / (1.2 + 0.24 * max(n, 1)))
    ax = fig.add_subplot()
    if n == 0:
        _empty(ax, "no comparison")
        return _png(fig)
    ypos = np.arange(n)[::-1]
    labels = []
    for y, r in zip(ypos, rows.itertuples()):
        who = f"{r.reader_a} vs {r.reader_b}" if r.reader_a else f"all {r.n_readers} readers"
        what = "diameters" if r.analysis == "diameters" else f"counts, {r.region}"
        labels.append(f"{ROLE_LABELS[str(r.series_role)]} {what} ({who}, n = {r.n_subjects})")
        colour = _BLUE if r.analysis == "diameters" else _ORANGE
        if pd.notna(r.icc_a1):
            if pd.notna(r.icc_a1_ci_low) and pd.notna(r.icc_a1_ci_high):
                ax.plot([r.icc_a1_ci_low, r.icc_a1_ci_high], [y, y], color=colour, lw=1.5)
            ax.plot([r.icc_a1], [y], "o", color=colour, ms=4)
        else:
            ax.text(0.0, y, "not estimable", va="center", fontsize="x-small", color=_GREY)
    ax.set_yticks(ypos, labels, fontsize="x-small")
    ax.axvline(0.75, color="#ccc", lw=0.8, ls=":")
    ax.axvline(0.9, color="#ccc", lw=0.8, ls=":")
    low = np.nanmin(rows["icc_a1_ci_low"].to_numpy(dtype=float)) if rows["icc_a1_ci_low"].notna().any() else 0.0
    ax.set_xlim(min(0.0, low - 0.05), 1.02)
    ax.set_xlabel("ICC(A,1) and 95 % CI (dotted lines: 0.75, 0.90)")
    ax.set_title("Inter-reader agreement (blue: diameters, orange: counts)", fontsize="medium")
    return _png(fig)


def agreement_figures(reads: ReaderReads, table: pd.DataFrame) -> dict[str, tuple[bytes, str]]:
    """File name -> (PNG, caption): the ICC forest and a Bland–Altman figure per reader pair."""
    figures = {"agreement_icc_forest.png": (
        icc_forest_png(table), "ICC(A,1) with its 95 % CI per series role and comparison.")}
    pairs = table[(table["analysis"] == "diameters") & (table["reader_a"] != "")]
    for a, b in pairs[["reader_a", "reader_b"]].drop_duplicates().itertuples(index=False):
        name = f"agreement_bland_altman_{file_part(a)}_vs_{file_part(b)}.png"
        if name in figures:
            # two names alike once made safe ("Zoé", "Zoë": "Zo"): one pair's figure overwrote the other's, said
            # written (a researcher's check); the pair's own digest tells them apart
            digest = hashlib.sha1(f"{a}\0{b}".encode()).hexdigest()[:8]
            name = name.removesuffix(".png") + f"_{digest}.png"
        figures[name] = (bland_altman_readers_png(reads, a, b),
                         f"Bland–Altman of lesion diameters between readers {a} and {b}, per series.")
    return figures
