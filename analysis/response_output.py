"""`lesionlab response`: courses -> response rows, plots, report -> an output folder.

:func:`analyse_response` computes everything in memory (what the GUI shows);
:func:`write_response_outputs` writes ``response.csv``, ``spider.png``,
``waterfall.png``, ``swimmer.png`` and a self-contained ``report.html`` into a temporary folder
beside the target and moves it into place once complete (an existing folder is replaced only
when empty or a previous response output). :func:`response_section_html` is the report section
``lesionlab analyze`` adds when its store holds a follow-up.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Sequence

import pandas as pd

from analysis import response_plots
from analysis.agreement_report import replace_folder
from analysis.report import _CSS, _img, software_versions
from analysis.response import assess_courses
from analysis.response_io import csv_cell, response_table
from analysis.response_records import PatientCourse, Settings, TimepointResponse
from annotation.cells import escape_text

MARKER = "response.csv"
#: Timepoints tabulated in report.html (the rest are in response.csv).
REPORT_MAX_ROWS = 300


@dataclass(frozen=True)
class ResponseResult:
    courses: tuple[PatientCourse, ...]
    rows: tuple[TimepointResponse, ...]
    settings: Settings
    table: pd.DataFrame  # response.csv
    plots: dict[str, tuple[bytes, str]]  # file name -> (png, caption)

    @property
    def summary(self) -> str:
        n_fu = sum(1 for r in self.rows if r.overall_response is not None)
        return (f"{len(self.courses)} patients, {len(self.rows)} timepoints ({n_fu} follow-ups assessed "
                f"against a baseline).")


def analyse_response(courses: Sequence[PatientCourse], settings: Settings = Settings(), *,
                     with_plots: bool = True, day_numbers: bool = False) -> ResponseResult:
    """``day_numbers``: the input was pseudonymised (days from the first exam): response.csv says days."""
    rows = tuple(assess_courses(courses, settings))
    plots: dict[str, tuple[bytes, str]] = {}
    if with_plots:
        plots = {
            "spider.png": (response_plots.spider_png(rows),
                           "Change of the sum of diameters from baseline over time, per patient and baseline."),
            "waterfall.png": (response_plots.waterfall_png(rows),
                              "Best change of the sum from baseline per patient, coloured by best overall response."),
            "swimmer.png": (response_plots.swimmer_png(rows, courses),
                            "Treatment lines and the overall response at each timepoint, per patient."),
        }
    return ResponseResult(tuple(courses), rows, settings, response_table(rows, day_numbers), plots)


def response_csv_text(table: pd.DataFrame) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.columns)
    for row in table.astype(object).itertuples(index=False, name=None):
        w.writerow([csv_cell(escape_text(v)) for v in row])
    return buf.getvalue()


def _table_html(table: pd.DataFrame) -> str:
    when = "timepoint_date" if "timepoint_date" in table.columns else "timepoint_day"
    base = "baseline_date" if "baseline_date" in table.columns else "baseline_day"
    # the baseline beside each row: an exam that ends one line and starts the next has two rows, told apart by it
    # (a reader's check read two 2024-03-12 rows differing only in their days, 364 and 0)
    cols = ["patient_id", when, base, "days_from_baseline", "sum_mm", "change_from_baseline_pct",
            "change_from_nadir_pct", "target_response", "non_target_response", "new_lesions", "overall_response",
            "best_overall_response", "nen_slow_progression", "tgr_pct_per_month", "note"]
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in cols)
    body = []
    for row in table[cols].head(REPORT_MAX_ROWS).astype(object).itertuples(index=False, name=None):
        cells = "".join(f"<td class='{'t' if i in (0, 1, 2, 14) else ''}'>{escape(csv_cell(v))}</td>"
                        for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    more = (f"<p class='small'>The first {REPORT_MAX_ROWS} of {len(table)} timepoints; all of them are in "
            "response.csv.</p>") if len(table) > REPORT_MAX_ROWS else ""
    return f"<table><tr>{head}</tr>{''.join(body)}</table>{more}"


def response_section_html(result: ResponseResult) -> str:
    """The follow-up section of a report: settings used, the plots, the table."""
    parts = ["<h2>Follow-up response (RECIST 1.1, NEN)</h2>", f"<p>{escape(result.summary)}</p>",
             f"<p class='small'>Settings: {escape(result.settings.describe())}. Non-target CR is the imaging part "
             "only (the paper also asks for normal tumour markers). Tumour growth rate: 100 (exp(3 ln(D<sub>t</sub>"
             "/D<sub>0</sub>)/Δt) − 1) % per month, Δt = days / 30.4375, between consecutive timepoints.</p>"]
    parts += [_img(png, cap) for png, cap in result.plots.values()]
    parts.append(_table_html(result.table))
    return "\n".join(parts)


def render_response_report(result: ResponseResult) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in software_versions().items())
    return "\n".join(["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
                      "<title>lesionlab response</title>", f"<style>{_CSS}</style></head><body>",
                      "<h1>Follow-up: response per timepoint</h1>", response_section_html(result),
                      f"<p class='small'>Generated by lesionlab response ({escape(versions)}).</p></body></html>"])


def is_response_output(folder: Path) -> bool:
    return (folder / MARKER).is_file() and (folder / "report.html").is_file()


def write_response_outputs(result: ResponseResult, out_dir: str | Path) -> Path:
    """Write the folder; it appears only when complete (see the module docstring)."""
    def fill(tmp: Path) -> None:
        (tmp / MARKER).write_text(response_csv_text(result.table), encoding="utf-8")
        for name, (png, _) in result.plots.items():
            (tmp / name).write_bytes(png)
        (tmp / "report.html").write_text(render_response_report(result), encoding="utf-8")

    return replace_folder(out_dir, is_response_output, fill)
