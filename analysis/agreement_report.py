"""The agreement analysis end to end: reads -> tables, plots, HTML -> an output folder.

:func:`analyse_agreement` computes agreement.csv (:mod:`analysis.agreement`), the series
comparisons with reader as a factor when there are several readers
(:mod:`analysis.agreement_paired`) and the plots, in memory; :func:`agreement_html` is the report
section (used by report.html of ``lesionlab analyze`` too); :func:`write_agreement_outputs`
writes DIR/agreement.csv, agreement.xlsx, the PNGs and agreement_report.html, all at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

import pandas as pd

from analysis.agreement import agreement_table
from analysis.agreement_data import ReaderReads, from_cohort, readers_of
from analysis.agreement_paired import reader_factor_table, units_table
from analysis.agreement_plots import agreement_figures
from analysis.agreement_stats import LOA_Z, MIN_SUBJECTS
from analysis.inputs import Cohort
from analysis.pairing import CountMatrix, DiameterPairs, count_matrices
from analysis.report import _CSS, _img, fmt_num, fmt_p, software_versions
from analysis.schema import ROLE_LABELS, Region
from analysis.writers import write_csv, write_xlsx
from annotation.files import replace_folder

MARKER = "agreement.csv"
REPORT = "agreement_report.html"


@dataclass(frozen=True)
class AgreementResult:
    table: pd.DataFrame  # agreement.csv
    reader_tests: pd.DataFrame | None  # paired_tests_readers.csv (several readers only)
    figures: dict[str, tuple[bytes, str]]
    methods_html: str
    summary: str


def methods_text(reads: ReaderReads) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in software_versions().items())
    return (
        f"Inter-reader agreement was assessed per series between {len(reads.readers)} reader(s) "
        f"({', '.join(reads.readers)})" + (f" ({reads.readers_note})" if reads.readers_note else "") + ". Diameters: subjects are lesions measured by the readers compared on "
        f"that series; lesions were matched across readers by {reads.matched_by}. Counts: subjects are exam "
        f"pairs counted by the readers compared (series flagged not countable or not read are left out; "
        f"whole liver = right + left, both counted). Intraclass correlation: two-way random effects, absolute "
        f"agreement, single reader ICC(A,1) and mean of k readers ICC(A,k) (McGraw & Wong 1996; ICC2 and "
        f"ICC2k of R's psych::ICC) with their F-based 95 % confidence intervals, over all readers and per "
        f"reader pair. Bland–Altman per reader pair (differences first reader minus second, in name order): "
        f"bias, 95 % limits of agreement bias ∓ {LOA_Z} SD, exact 95 % confidence intervals of each limit "
        f"from the non-central t distribution (Carkeet 2015, limits considered individually), the same in % "
        f"of the pair mean for diameters, and limits corrected for several lesions or exam pairs per patient "
        f"(Bland & Altman 2007, true value varying; between-patient variance from a one-way analysis of "
        f"variance of the differences by patient, taken as 0 when negative). Counts: quadratic-weighted "
        f"Cohen's kappa with its 95 % confidence interval as R's psych::cohen.kappa computes it (categories: "
        f"the count values observed). Detection: positive specific agreement 2a / (2a + b + c), a lesions "
        f"seen by both readers, b and c by one only (kappa is not defined without true negatives). "
        f"Comparisons with fewer than {MIN_SUBJECTS} subjects are left empty. Series comparisons with "
        f"several readers: linear mixed model of the paired differences with reader as a fixed factor "
        f"(sum-to-zero contrasts) and a random intercept per patient (REML), Wald 95 % CI and p-value, Holm "
        f"adjustment within each table; p_reader tests whether the readers' mean differences are equal. "
        f"Software: {versions}.")


def analyse_agreement(reads: ReaderReads, cohort: Cohort | None = None) -> AgreementResult:
    """Everything of the agreement analysis, in memory."""
    table = agreement_table(reads)
    reader_tests = None
    if cohort is not None and len(reads.readers) > 1:
        reader_tests = reader_factor_table(DiameterPairs.from_measurements(cohort.measurements),
                                           count_matrices(cohort.counts))
    figures = agreement_figures(reads, table) if len(reads.readers) > 1 else {}
    n_pairs = reads.counts[["patient_id", "exam_pair_id"]].drop_duplicates().shape[0]
    summary = (f"{len(reads.readers)} reader(s) ({', '.join(reads.readers)}), {n_pairs} exam pairs; "
               f"{len(table)} comparisons.")
    if reads.unpaired_note:
        summary += f" Note: {reads.unpaired_note}."
    return AgreementResult(table, reader_tests, figures, f"<p>{escape(methods_text(reads))}</p>", summary)


# ------------------------------------------------------------------------------------ HTML
def _ci(value: object, low: object, high: object, digits: int = 3) -> str:
    if pd.isna(value):
        return ""
    text = fmt_num(value, digits)
    return f"{text} ({fmt_num(low, digits)} to {fmt_num(high, digits)})" if not pd.isna(low) else text


def _loa(low: object, high: object, digits: int = 2) -> str:
    return "" if pd.isna(low) else f"{fmt_num(low, digits)} to {fmt_num(high, digits)}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="{"note" if i == len(r) - 1 else ("t" if i < 2 else "")}">{c}</td>'
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _who(r: object) -> str:
    a, b = getattr(r, "reader_a"), getattr(r, "reader_b")
    return escape(f"{a} − {b}" if a else f"all {getattr(r, 'n_readers')} readers")


_UNIT_TEXT = {
    "diameters": "Unit: lesions (n = lesions measured by every reader of the row on that series). Bias and limits in mm.",
    "counts": "Unit: exam pairs (n = exam pairs counted by every reader of the row). Bias and limits in lesions.",
    "detection": "Unit: lesions seen by at least one of the two readers on that series, in exam pairs both read.",
}


def agreement_table_html(table: pd.DataFrame) -> str:
    parts = []
    d = table[table["analysis"] == "diameters"]
    rows = [[escape(ROLE_LABELS[str(r.series_role)]), _who(r), fmt_num(r.n_subjects),
             _ci(r.icc_a1, r.icc_a1_ci_low, r.icc_a1_ci_high), _ci(r.icc_ak, r.icc_ak_ci_low, r.icc_ak_ci_high),
             fmt_num(r.bias), _loa(r.loa_low, r.loa_high),
             _loa(r.loa_low_ci_low, r.loa_low_ci_high) + (" / " + _loa(r.loa_high_ci_low, r.loa_high_ci_high)
                                                           if not pd.isna(r.loa_high_ci_low) else ""),
             fmt_num(r.bias_pct, 1), _loa(r.loa_low_pct, r.loa_high_pct, 1), _loa(r.loa_rm_low, r.loa_rm_high),
             escape(str(r.note))] for r in d.itertuples()]
    parts += ["<h3>Diameters</h3>", f"<p class='small'>{escape(_UNIT_TEXT['diameters'])}</p>",
              _table(["Series", "Readers", "n", "ICC(A,1) (95 % CI)", "ICC(A,k) (95 % CI)", "Bias (mm)",
                      "Limits of agreement", "95 % CI lower / upper limit", "Bias (%)", "Limits (%)",
                      "Limits, repeated lesions", "Note"], rows)]
    c = table[table["analysis"] == "counts"]
    rows = [[escape(f"{ROLE_LABELS[str(r.series_role)]}, {r.region}"), _who(r), fmt_num(r.n_subjects),
             _ci(r.icc_a1, r.icc_a1_ci_low, r.icc_a1_ci_high), _ci(r.icc_ak, r.icc_ak_ci_low, r.icc_ak_ci_high),
             fmt_num(r.bias), _loa(r.loa_low, r.loa_high), _loa(r.loa_rm_low, r.loa_rm_high),
             _ci(r.kappa_quadratic, r.kappa_ci_low, r.kappa_ci_high), escape(str(r.note))] for r in c.itertuples()]
    parts += ["<h3>Counts</h3>", f"<p class='small'>{escape(_UNIT_TEXT['counts'])}</p>",
              _table(["Series, region", "Readers", "n", "ICC(A,1) (95 % CI)", "ICC(A,k) (95 % CI)", "Bias",
                      "Limits of agreement", "Limits, repeated exam pairs", "Weighted kappa (95 % CI)", "Note"], rows)]
    t = table[table["analysis"] == "detection"]
    rows = [[escape(ROLE_LABELS[str(r.series_role)]), _who(r), fmt_num(r.n_subjects),
             fmt_num(r.positive_agreement, 3), escape(str(r.note))] for r in t.itertuples()]
    parts += ["<h3>Detection</h3>", f"<p class='small'>{escape(_UNIT_TEXT['detection'])}</p>",
              _table(["Series", "Readers", "n", "Positive agreement", "Note"], rows)]
    return "\n".join(parts)


def reader_tests_html(table: pd.DataFrame) -> str:
    """paired_tests_readers as HTML, one table per family, each stating its unit."""
    parts = []
    for (analysis, level, region), sub in table.groupby(["analysis", "level", "region"], sort=False):
        unit = str(sub["unit"].iloc[0])
        parts.append(f"<h3>{escape(f'{analysis} per {level}, {region}')}</h3>")
        parts.append(f"<p class='small'>Unit: one observation per {escape(unit.removesuffix('-read').replace('-', ' '))} "
                     f"and reader ({escape(unit)}); the model accounts for the patient.</p>")
        rows = [[escape(ROLE_LABELS[str(r.series_a)]), escape(ROLE_LABELS[str(r.series_b)]), fmt_num(r.n_patients),
                 fmt_num(r.n_observations), fmt_num(r.n_readers), _ci(r.mean_diff, r.ci_low, r.ci_high, 2),
                 fmt_p(r.p), fmt_p(r.p_holm, mark=True), fmt_p(r.p_reader), escape(str(r.note))] for r in sub.itertuples()]
        parts.append(_table(["A", "B", "Patients", "Reads", "Readers", "Mean diff A−B (95 % CI)", "p", "p Holm",
                             "p reader", "Note"], rows))
    return "\n".join(parts)


def agreement_html(table: pd.DataFrame, reader_tests: pd.DataFrame | None,
                   figures: dict[str, tuple[bytes, str]], methods_html: str = "") -> str:
    """The report section: methods, agreement tables, plots, reader-factor comparisons."""
    parts = ["<h2>Inter-reader agreement</h2>"]
    if methods_html:
        parts.append(f"<div class='methods'>{methods_html}</div>")
    parts.append(agreement_table_html(table))
    parts += [_img(png, caption) for png, caption in figures.values()]
    if reader_tests is not None:
        parts += ["<h2>Series comparisons with reader as a factor</h2>",
                  "<p class='small'>Significance marks (red) are on the Holm-adjusted p-values only (within "
                  "each table), below 0.05; p and p reader are shown unmarked.</p>", reader_tests_html(reader_tests)]
    return "\n".join(parts)


def render_agreement_report(result: AgreementResult) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in software_versions().items())
    return "\n".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>lesionlab agreement</title>", f"<style>{_CSS}</style></head><body>",
        "<h1>Inter-reader agreement</h1>", f"<p>{escape(result.summary)}</p>",
        agreement_html(result.table, result.reader_tests, result.figures, result.methods_html),
        f"<p class='small'>Generated by lesionlab agreement ({escape(versions)}).</p>", "</body></html>"])


# ------------------------------------------------------------------ hooks of lesionlab analyze
def add_reader_analyses(cohort: Cohort, diameters: DiameterPairs, counts: dict[Region, CountMatrix],
                        tables: dict[str, pd.DataFrame], figures: dict[str, tuple[bytes, str]]) -> None:
    """What ``lesionlab analyze`` adds, in place: the unit of each paired family (as
    ``tables["paired_tests"].attrs["units"]``, shown by the report, no file), and with several
    readers agreement.csv, paired_tests_readers.csv and the agreement plots.

    From a store, lesions cannot be matched across readers without the images: the diameter and
    detection rows say so (``lesionlab agreement STORE --dicom PATH`` pairs them).
    """
    tables["paired_tests"].attrs["units"] = units_table(diameters, counts)
    if len(readers_of(cohort.measurements, cohort.counts)) < 2:
        return
    if "store" in cohort.sources:
        from analysis.agreement_store import load_store_reads  # noqa: PLC0415

        # of a reader study's store, its readers within each session (as `agreement STORE` compares them)
        reads = load_store_reads(cohort.sources["store"], cohort.sources.get("dicom"),
                                 study_id=cohort.sources.get("study"))
    else:
        reads = from_cohort(cohort)
    result = analyse_agreement(reads, cohort)
    result.table.attrs["methods_html"] = result.methods_html
    if "store" not in cohort.sources and reads.unpaired_note:
        # export tables whose readers' lesion ids name different lesions: said on the terminal, as `agreement`
        # says it (res49: `analyze` of a study's pseudonymised export said nothing of its empty agreement rows)
        result.table.attrs["said"] = f"Agreement between readers: {reads.unpaired_note}."
    tables["agreement"] = result.table
    if result.reader_tests is not None:
        tables["paired_tests_readers"] = result.reader_tests
    figures.update(result.figures)


def unit_caption_html(tables: dict[str, pd.DataFrame], analysis: str, level: str = "", region: str = "") -> str:
    """The sentence under a report table saying what its n counts: a paired-tests family
    (analysis, level, region), "detection", or "sizes" (both levels when ``level`` is empty)."""
    units = tables["paired_tests"].attrs.get("units") if "paired_tests" in tables else None
    if not isinstance(units, pd.DataFrame):
        return ""
    hit = units[units["analysis"] == analysis]
    if level:
        hit = hit[(hit["level"] == level) & (hit["region"] == region)]
    return "".join(f"<p class='small'>{escape(str(text))}</p>" for text in hit["statement"])


def report_section_html(tables: dict[str, pd.DataFrame], plots: dict[str, tuple[bytes, str]]) -> str:
    """The agreement section of report.html ("" with one reader)."""
    if "agreement" not in tables:
        return ""
    table = tables["agreement"]
    figures = {name: fig for name, fig in plots.items() if name.startswith("agreement_")}
    return agreement_html(table, tables.get("paired_tests_readers"), figures,
                          str(table.attrs.get("methods_html", "")))


# ------------------------------------------------------------------------------------ files
def is_agreement_output(folder: Path) -> bool:
    return (folder / MARKER).is_file() and (folder / REPORT).is_file()


def write_agreement_outputs(result: AgreementResult, out_dir: str | Path) -> Path:
    """DIR/agreement.csv, agreement.xlsx, paired_tests_readers.csv, the PNGs, agreement_report.html."""
    def fill(tmp: Path) -> None:
        tables = {"agreement": result.table}
        if result.reader_tests is not None:
            tables["paired_tests_readers"] = result.reader_tests
        for name, table in tables.items():
            write_csv(table, tmp / f"{name}.csv")
        write_xlsx(tables, tmp / "agreement.xlsx")
        for name, (png, _) in result.figures.items():
            (tmp / name).write_bytes(png)
        (tmp / REPORT).write_text(render_agreement_report(result), encoding="utf-8")

    return replace_folder(out_dir, is_agreement_output, fill)
