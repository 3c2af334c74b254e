"""report.html: one self-contained page (inline CSS, images as base64, no JavaScript) with the
tables, the plots and a methods paragraph generated from what was actually run.
"""

from __future__ import annotations

import base64
import math
import platform
from html import escape

import numpy as np
import pandas as pd
import scipy

from analysis.schema import ROLE_LABELS

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;max-width:1180px;
margin:2em auto;padding:0 1.2em;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #1f6fb2;padding-bottom:.3em}
h2{font-size:1.25em;margin-top:2em;color:#1f4f7f}h3{font-size:1.05em;margin-top:1.4em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em}
th,td{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:right;vertical-align:top}
th{background:#f1f5f9;text-align:center}td.t{text-align:left}tr:nth-child(even) td{background:#fafbfc}
.sig{font-weight:bold;color:#a12d2d}.note{color:#777;font-size:.85em;text-align:left}
.methods{background:#f7f7f2;border-left:4px solid #c9c28f;padding:.8em 1em}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}.small{font-size:.85em;color:#555}
"""


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def fmt_num(value: object, digits: int = 2) -> str:
    if _missing(value):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    v = float(value)  # type: ignore[arg-type]
    return f"{v:.{digits}f}"


#: The significance level of the marks in the report's paired tables.
ALPHA = 0.05


def fmt_p(value: object, *, mark: bool = False) -> str:
    """A p-value as printed ("<0.001" below 0.001); ``mark`` sets it in red below :data:`ALPHA`. A value below
    :data:`ALPHA` that three decimals would round onto it gets the decimals that show it below (0.04996, not 0.050).

    A p-value outside [0, 1] is a computing error and is never printed: ValueError.
    """
    if _missing(value):
        return ""
    v = float(value)  # type: ignore[arg-type]
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"p-value {v!r} outside [0, 1]")
    text = "&lt;0.001" if v < 0.001 else f"{v:.3f}"
    digits = 3
    while v >= 0.001 and v < ALPHA <= float(text) and digits < 8:
        digits += 1  # 0.04996 read "0.050" in red: a reader takes it for 0.05, not below it
        text = f"{v:.{digits}f}"
    return f'<span class="sig">{text}</span>' if mark and v < ALPHA else text


def _html_table(header: list[str], rows: list[list[tuple[str, str]]]) -> str:
    """rows: cells as (html, css class)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="{cls}">{html}</td>' for html, cls in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _t(text: object) -> tuple[str, str]:
    return escape("" if _missing(text) else str(text)), "t"


def _n(value: object, digits: int = 2) -> tuple[str, str]:
    return fmt_num(value, digits), ""


def _humane(code: object) -> str:
    """'small_bowel' -> 'Small bowel'; codes such as G2, NET, F stay as they are."""
    text = "" if _missing(code) else str(code)
    return text.replace("_", " ").capitalize() if "_" in text or text.islower() else text


def population_html(table: pd.DataFrame) -> str:
    rows = [[_t(r.characteristic), _t(_humane(r.category)), _n(r.n, 0),
             (fmt_num(r.percent, 1) + (" %" if not _missing(r.percent) else ""), ""), _t(r.summary)]
            for r in table.itertuples()]
    return _html_table(["Characteristic", "Category", "n", "%", "Summary"], rows)


def detection_html(table: pd.DataFrame) -> str:
    rows = [[_t(r.series), _t(r.region), _n(r.n_exam_pairs, 0), _n(r.n_uncountable, 0), _n(r.n_not_read, 0),
             _n(r.total, 0), _n(r.mean_per_exam_pair), _n(r.sd), _n(r.median, 1)]
            for r in table.itertuples()]
    return _html_table(["Series", "Region", "Exam pairs", "Left out (uncountable)", "Left out (not read)", "Total",
                        "Mean / pair", "SD", "Median"], rows)


def sizes_html(table: pd.DataFrame) -> str:
    rows = [[_t(r.series), _t(r.level), _n(r.n, 0), _n(r.mean_mm, 1), _n(r.sd_mm, 1),
             _n(r.median_mm, 1), _n(r.min_mm, 1), _n(r.max_mm, 1)] for r in table.itertuples()]
    return _html_table(["Series", "Level", "n", "Mean (mm)", "SD", "Median", "Min", "Max"], rows)


def paired_html(table: pd.DataFrame) -> str:
    rows = []
    for r in table.itertuples():
        ci = (f"{fmt_num(r.mean_diff)} ({fmt_num(r.ci_low)} to {fmt_num(r.ci_high)})"
              if not _missing(r.ci_low) else fmt_num(r.mean_diff))
        t = f"{fmt_num(r.ttest_t)} ({fmt_num(r.ttest_df, 0)})" if not _missing(r.ttest_t) else ""
        rows.append([_t(ROLE_LABELS[str(r.series_a)]), _t(ROLE_LABELS[str(r.series_b)]), _n(r.n, 0),
                     _n(r.mean_a), _n(r.mean_b), (ci, ""), _n(r.median_diff),
                     _n(r.wilcoxon_v, 1), (fmt_p(r.wilcoxon_p), ""), (fmt_p(r.p_holm_wilcoxon, mark=True), ""),
                     (t, ""), (fmt_p(r.ttest_p), ""), (fmt_p(r.p_holm_ttest, mark=True), ""),
                     (escape("" if _missing(r.note) else str(r.note)), "note")])
    return _html_table(["A", "B", "n", "Mean A", "Mean B", "Mean diff A−B (95 % CI)", "Median diff",
                        "Wilcoxon V", "p", "p Holm", "t (df)", "p", "p Holm", "Note"], rows)


NO_SD_NOTE = "<p class='small'>An empty SD: fewer than two values (no standard deviation).</p>"


def _img(png: bytes, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img alt="{escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def software_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        lesionlab = version("lesionlab")
    except PackageNotFoundError:
        lesionlab = "0.1.0 (source tree)"
    return {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "pandas": pd.__version__, "lesionlab": lesionlab}


_FAMILY_TITLES = {
    ("diameters", "lesion", "whole"): "Diameters per lesion (mm)",
    ("diameters", "patient", "whole"): "Diameters per patient (mm, mean of the lesions measured on both)",
    ("counts", "exam_pair", "whole"): "Counts per exam pair, whole liver",
    ("counts", "exam_pair", "right"): "Counts per exam pair, right lobe",
    ("counts", "exam_pair", "left"): "Counts per exam pair, left lobe",
}


def render_report(*, tables: dict[str, pd.DataFrame], plots: dict[str, tuple[bytes, str]],
                  methods: str, summary: str, extra_html: str = "") -> str:
    """The whole page. ``plots`` maps a file name to (png, caption)."""
    from analysis.agreement_report import report_section_html, unit_caption_html  # noqa: PLC0415 (imports us)

    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>lesionlab analysis</title>", f"<style>{_CSS}</style></head><body>",
        "<h1>Liver metastases: detection and size by series</h1>",
        f"<p>{escape(summary)}</p>",
        "<h2>Methods</h2>", f"<div class='methods'>{methods}</div>",
    ]
    if "population" in tables:
        parts += ["<h2>Population</h2>", population_html(tables["population"])]
    parts += ["<h2>Detection</h2>", unit_caption_html(tables, "detection"), detection_html(tables["detection"]),
              NO_SD_NOTE]
    parts += [_img(png, cap) for name, (png, cap) in plots.items() if name.startswith("detection")]
    parts += ["<h2>Lesion sizes</h2>", unit_caption_html(tables, "sizes"), sizes_html(tables["sizes"]), NO_SD_NOTE]
    parts += [_img(png, cap) for name, (png, cap) in plots.items() if name.startswith("histogram")]
    parts.append("<h2>Paired comparisons</h2>")
    parts.append("<p class='small'>Differences are series A − series B. Significance marks (red) are on the "
                 "Holm-adjusted p-values only (adjusted within each table), below 0.05; the raw p-values "
                 "are shown unmarked.</p>")
    paired = tables["paired_tests"]
    for key, sub in paired.groupby(["analysis", "level", "region"], sort=False):
        family = (str(key[0]), str(key[1]), str(key[2]))
        parts += [f"<h3>{escape(_FAMILY_TITLES.get(family, ' / '.join(family)))}</h3>",
                  unit_caption_html(tables, *family), paired_html(sub)]
    parts.append("<h2>Agreement between series (Bland–Altman)</h2>")
    parts += [_img(png, cap) for name, (png, cap) in plots.items() if name.startswith("bland_altman")]
    parts.append(report_section_html(tables, plots))
    parts.append(extra_html)
    versions = ", ".join(f"{k} {v}" for k, v in software_versions().items())
    parts.append(f"<p class='small'>Generated by lesionlab analyze ({escape(versions)}).</p>")
    parts.append("</body></html>")
    return "\n".join(parts)
