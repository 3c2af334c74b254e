"""Follow-up plots: spider (change from baseline over time), waterfall (best change, coloured by best
overall response) and swimmer (treatment lines and timepoint responses per patient).

Agg canvas, no pyplot (safe beside Qt), PNG bytes, like :mod:`analysis.plots`. Each plot takes the
engine's rows (:class:`analysis.response_records.TimepointResponse`), so the GUI can draw the same.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

from matplotlib.patches import Patch

from analysis.plots import _empty, _png
from analysis.response_records import PatientCourse, Response, TimepointResponse
from matplotlib.figure import Figure

#: One colour per response category (colour-blind safe, Okabe-Ito).
RESPONSE_COLOURS: dict[Response | None, str] = {
    Response.CR: "#009E73", Response.PR: "#56B4E9", Response.SD: "#F0E442", Response.NON_CR_NON_PD: "#E69F00",
    Response.PD: "#D55E00", Response.NE: "#999999", None: "#DDDDDD"}
_MONTH_DAYS = 30.4375
#: Lanes of the swimmer plot (patients in id order); a cohort's full course is in response.csv.
SWIMMER_MAX_PATIENTS = 40


def _by_patient(rows: Sequence[TimepointResponse]) -> dict[str, list[TimepointResponse]]:
    out: dict[str, list[TimepointResponse]] = defaultdict(list)
    for r in rows:
        out[r.patient_id].append(r)
    return out


def spider_png(rows: Sequence[TimepointResponse]) -> bytes:
    """% change of the sum from baseline against months since baseline, one line per patient and
    baseline; PD timepoints marked."""
    fig = Figure(figsize=(7.2, 4.4))
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.12, top=0.9)
    ax = fig.add_subplot()
    drawn = 0
    for pid, prs in _by_patient(rows).items():
        for base in sorted({r.baseline_date for r in prs if r.baseline_date is not None}):
            seg = [r for r in prs if r.baseline_date == base and (r.is_baseline or r.change_from_baseline_pct is not None)]
            if len(seg) < 2:
                continue
            x = [(r.days_from_baseline or 0) / _MONTH_DAYS for r in seg]
            y = [0.0 if r.is_baseline else float(r.change_from_baseline_pct or 0.0) for r in seg]
            line = ax.plot(x, y, marker="o", ms=3, lw=1.1, alpha=0.85, label=pid if drawn < 12 else None)
            pd_points = [(xi, yi) for xi, yi, r in zip(x, y, seg) if r.overall_response is Response.PD]
            if pd_points:
                ax.plot(*zip(*pd_points), ls="none", marker="X", ms=8, color=line[0].get_color(), mec="black",
                        mew=0.6)
            drawn += 1
    if drawn == 0:
        _empty(ax, "no patient with a follow-up sum")
    else:
        ax.axhline(20, color="#D55E00", lw=0.8, ls="--")
        ax.axhline(-30, color="#56B4E9", lw=0.8, ls="--")
        ax.axhline(0, color="#999", lw=0.6)
        ax.set_xlabel("months since baseline")
        ax.set_ylabel("change of the sum from baseline (%)")
        if drawn <= 12:
            ax.legend(frameon=False, fontsize="small", ncol=2)
    ax.set_title("Spider plot (X: progression; dashed: +20 % and -30 %)")
    return _png(fig)


def best_changes(rows: Sequence[TimepointResponse]) -> dict[str, tuple[float, Response | None]]:
    """Per patient: the best (lowest) % change of the sum from its baseline, and the best overall response of the
    treatment line it belongs to (the waterfall's bar and colour)."""
    best: dict[str, tuple[float, Response | None]] = {}
    for pid, prs in _by_patient(rows).items():
        changes = [r for r in prs if r.change_from_baseline_pct is not None]
        if changes:
            low = min(changes, key=lambda r: float(r.change_from_baseline_pct or 0.0))
            # the best response of the line that change belongs to (its last row holds it); the patient's last row
            # is a later line's baseline, with none (a reader's check: a PR patient coloured "none")
            line = [r for r in prs if r.baseline_date == low.baseline_date and not r.is_baseline]
            best[pid] = (float(low.change_from_baseline_pct or 0.0), line[-1].best_overall_response)
    return best


def waterfall_png(rows: Sequence[TimepointResponse]) -> bytes:
    """Best (lowest) % change from baseline per patient, sorted, coloured by best overall response."""
    best = best_changes(rows)
    fig = Figure(figsize=(7.2, 4.2))
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.18, top=0.9)
    ax = fig.add_subplot()
    if not best:
        _empty(ax, "no patient with a follow-up sum")
    else:
        order = sorted(best, key=lambda p: -best[p][0])
        ax.bar(range(len(order)), [best[p][0] for p in order], color=[RESPONSE_COLOURS[best[p][1]] for p in order],
               edgecolor="#555", linewidth=0.4 if len(order) <= 100 else 0.0, width=0.8 if len(order) <= 100 else 1.0)
        if len(order) <= 30:
            ax.set_xticks(range(len(order)), order, rotation=60, fontsize="small", ha="right")
        else:
            ax.set_xticks([])
        ax.axhline(20, color="#D55E00", lw=0.8, ls="--")
        ax.axhline(-30, color="#56B4E9", lw=0.8, ls="--")
        ax.axhline(0, color="#999", lw=0.6)
        seen = [c for c in RESPONSE_COLOURS if any(best[p][1] is c for p in order)]
        ax.legend([Patch(color=RESPONSE_COLOURS[c]) for c in seen], [str(c) if c else "none" for c in seen],
                  title="best overall response", frameon=False, fontsize="small")
        ax.set_ylabel("best change of the sum from baseline (%)")
    ax.set_title(f"Waterfall plot (n = {len(best)})")
    return _png(fig)


@dataclass(frozen=True)
class SwimmerMark:
    """One marker of a swimmer lane: a timepoint's overall response (a filled dot of its colour) or a line's
    baseline (``response`` None: an open diamond drawn under the dots, so that an exam that ends one line and
    starts the next shows both)."""

    patient_id: str
    months: float  # since the patient's first timepoint
    response: Response | None
    zorder: int


def swimmer_marks(rows: Sequence[TimepointResponse]) -> list[SwimmerMark]:
    """The swimmer plot's markers, per patient in the rows' order (what :func:`swimmer_png` draws)."""
    out = []
    for pid, lane in _by_patient(rows).items():
        start = lane[0].timepoint_date
        for r in lane:
            months = (r.timepoint_date - start).days / _MONTH_DAYS
            if r.is_baseline:
                out.append(SwimmerMark(pid, months, None, 3))
            elif r.overall_response is not None:
                out.append(SwimmerMark(pid, months, r.overall_response, 4))
    return out


def swimmer_png(rows: Sequence[TimepointResponse], courses: Sequence[PatientCourse]) -> bytes:
    """One lane per patient: treatment lines as bars, each timepoint's overall response as a marker,
    baselines as diamonds; time in months from the patient's first timepoint."""
    by = _by_patient(rows)
    lines = {c.patient_id: c.treatment_lines for c in courses}
    pids = sorted(by)[:SWIMMER_MAX_PATIENTS]
    height = max(2.6, 0.45 * len(pids) + 1.4)
    fig = Figure(figsize=(9.0, height))
    fig.subplots_adjust(left=0.14, right=0.68, bottom=min(0.3, 0.6 / height), top=1 - 0.3 / height)  # labels in inches
    ax = fig.add_subplot()
    if not pids:
        _empty(ax, "no follow-up")
        return _png(fig)
    palette = ("#4C72B0", "#8172B3", "#937860", "#64B5CD", "#CCB974")
    names: dict[str, str] = {}
    for y, pid in enumerate(pids):
        start = by[pid][0].timepoint_date

        def month(d: _dt.date, start: _dt.date = start) -> float:
            return (d - start).days / _MONTH_DAYS
        end_all = by[pid][-1].timepoint_date
        for line in lines.get(pid, ()):
            colour = names.setdefault(line.name, palette[len(names) % len(palette)])
            stop = line.end_date or max(end_all, line.start_date)
            ax.barh(y, max(month(stop) - month(line.start_date), 0.3), left=month(line.start_date), height=0.5,
                    color=colour, alpha=0.55)
    for mark in swimmer_marks(rows):
        if mark.patient_id not in pids:
            continue
        y = pids.index(mark.patient_id)
        # a baseline is an open diamond round the point: on the exam that is a line's last assessment and the
        # next line's baseline the response stays seen inside it (a reader's check: line 1's PD was hidden)
        if mark.response is None:
            ax.plot([mark.months], [y], marker="D", ms=12, mfc="none", mec="black", mew=1.4, zorder=mark.zorder)
        else:
            ax.plot([mark.months], [y], marker="o", ms=7, color=RESPONSE_COLOURS[mark.response], mec="black", mew=0.5,
                    zorder=mark.zorder)
    ax.set_yticks(range(len(pids)), pids, fontsize="small")
    ax.invert_yaxis()
    ax.set_xlabel("months since the first timepoint")
    handles = [Patch(color=c, alpha=0.55) for c in names.values()]
    handles += [Patch(color=RESPONSE_COLOURS[r]) for r in Response]
    labels = list(names) + [str(r) for r in Response]
    ax.legend(handles, labels, frameon=False, fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1))
    shown = f" (first {len(pids)} of {len(by)} patients)" if len(by) > len(pids) else ""
    ax.set_title(f"Swimmer plot{shown}: treatment lines and overall response (open diamond: baseline)",
                 fontsize="medium")
    return _png(fig)
