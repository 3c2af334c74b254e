"""The whole analysis: validated cohort -> tables, plots, report -> an output folder.

:func:`analyse` computes everything in memory (what the app will show); :func:`write_outputs`
writes it into a temporary folder beside the target and moves it into place only once every
file is complete, so an interrupted or failed run never leaves a folder that looks finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

import pandas as pd

from analysis import plots
from analysis.agreement_report import add_reader_analyses
from analysis.inputs import Cohort
from analysis.pairing import DiameterPairs, count_matrices
from analysis.paired_tests import EXACT_N_LIMIT
from analysis.report import ALPHA, render_report, software_versions
from analysis.response_output import ResponseResult, response_section_html
from analysis.schema import PATIENT_CATEGORIES, ROLE_LABELS, ROLE_VALUES, Region
from analysis.tables import detection_table, paired_tests_table, population_table, sizes_table
from analysis.writers import write_csv, write_xlsx
from annotation.files import replace_folder
from viewer.errors import InputFormatError

#: Series pairs always plotted (reading-protocol.md: T2FS vs DWI, CT arterial vs CT portal).
DEFAULT_PLOT_PAIRS: tuple[tuple[str, str], ...] = (("mr_t2fs", "mr_dwi"), ("ct_arterial", "ct_portal"))
#: Written last-but-one files; their presence marks a folder as a previous analysis output.
MARKER = "paired_tests.csv"


def parse_pair(text: str) -> tuple[str, str]:
    """'mr_dwi:ct_arterial' -> ('mr_dwi', 'ct_arterial'), checked against the six roles."""
    parts = [p.strip().lower() for p in text.split(":")]
    if len(parts) != 2 or not all(p in ROLE_VALUES for p in parts) or parts[0] == parts[1]:
        raise InputFormatError(
            f"--pair {text!r} is not two different series roles joined by ':'",
            where="command line", advice=f"use roles among {', '.join(ROLE_VALUES)}",
        )
    return parts[0], parts[1]


@dataclass(frozen=True)
class AnalysisResult:
    tables: dict[str, pd.DataFrame]  # name -> table; paired_tests first
    plots: dict[str, tuple[bytes, str]]  # file name -> (png, caption)
    methods_html: str
    summary: str
    followup_html: str = ""  # the follow-up response section (a store holding a follow-up)


def _methods(cohort: Cohort, n_lesions: int, n_exam_pairs: int, plot_pairs: list[tuple[str, str]]) -> str:
    readers = sorted(set(cohort.measurements["reader"]) | set(cohort.counts["reader"]))
    versions = ", ".join(f"{k} {v}" for k, v in software_versions().items())
    uncountable = int(cohort.counts["uncountable"].sum())
    not_read = int((cohort.counts["count_status"] == "not_read").sum())
    text = (
        f"Counts of liver metastases per lobe and longest axial diameters were read on six series "
        f"({', '.join(ROLE_LABELS[r] for r in ROLE_VALUES)}) by {len(readers)} reader(s) "
        f"({', '.join(readers)}). Counts were compared between every two series with one pair per "
        f"exam pair (CT and MRI of the same patient), for the whole liver (right + left) and each "
        f"lobe; a series flagged uncountable by the reader was left out of that lobe (of the whole "
        f"liver when either lobe was uncountable) and of its comparisons "
        f"({uncountable} series × lobe readings flagged in this cohort); a series the reader had not "
        f"counted (count status not read) was left out the same way ({not_read} series × lobe readings"
        f" in this cohort), never taken as 0. Diameters were compared per "
        f"lesion (lesions measured on both series; {n_lesions} lesions were measured on at least one "
        f"series, in {n_exam_pairs} exam pairs) "
        f"and per patient (mean of the patient's lesions measured on both series, all exam pairs "
        f"together). Each comparison reports the mean difference (A − B) with its 95 % confidence "
        f"interval from the paired Student t test, the median difference, the Wilcoxon signed-rank "
        f"test (the exact p-value only when there were fewer than {EXACT_N_LIMIT} pairs, no tied "
        f"absolute differences and no zero difference; otherwise the normal approximation with "
        f"continuity and tie correction, zero differences dropped; V is the sum of the ranks of the "
        f"positive differences), and the paired t test, computed to match R's wilcox.test and "
        f"t.test with paired = TRUE (p-values too small for double precision are given as 0, as R "
        f"gives them). p-values were adjusted with Holm's method within each table, a table being "
        f"one analysis, level and region (15 comparisons of the six series), separately for the "
        f"Wilcoxon and t tests; a Holm-adjusted p < {ALPHA} was considered significant, and only "
        f"the Holm-adjusted p-values are marked in the tables (the raw p-values are shown "
        f"unmarked). Units: in the diameter tables one pair is a lesion (per-lesion tables, "
        f"millimetres) or a patient (per-patient tables: the mean of the patient's lesions measured "
        f"on both series, millimetres); in the count tables one pair is an exam pair (number of "
        f"metastases); the detection table gives metastases per exam pair and the sizes table "
        f"millimetres, per patient and per lesion. An SD is left empty where there are fewer than "
        f"two values. Where a statistic cannot be computed (no pairs, fewer than "
        f"two pairs, all differences zero or constant) it is left empty and the reason is given. "
        f"Histograms compare per-patient diameters for "
        f"{'; '.join(f'{ROLE_LABELS[a]} vs {ROLE_LABELS[b]}' for a, b in plot_pairs)}. "
        f"Software: {versions}."
    )
    if cohort.study_reads_said:  # a reader study's store: which case reads are in (study_reads.csv lists them)
        text = f"{cohort.study_reads_said} {text}"
    return f"<p>{escape(text)}</p>"


def analysed_patients(cohort: Cohort) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The rows of patients.csv the population table describes: the patients analysed (a measurement or count row),
    each once; a row of a patient not analysed is left out, an analysed patient without a row counts as not
    recorded, each said naming the file's line (Table 1 said 4 patients of an analysis of 3, silently: session 48)."""
    patients = cohort.patients
    assert patients is not None
    analysed = list(dict.fromkeys([*cohort.measurements["patient_id"].astype(str),
                                   *cohort.counts["patient_id"].astype(str)]))
    ids = patients["patient_id"].astype(str)
    source = (Path(cohort.sources["patients"]).name + ", line" if "patients" in cohort.sources
              else f"{cohort.sources.get('store', 'the store')} (patients), row")
    first = source.rsplit(", ", 1)[0]
    said = []
    extra = patients[~ids.isin(analysed)]
    if len(extra):
        listed = "; ".join(f"{source} {r.line} ({r.patient_id})" for r in extra.head(5).itertuples())
        more = f"; {len(extra) - 5} more" if len(extra) > 5 else ""
        said.append(f"Population table: {len(extra)} patient(s) with no measurement or count row left out of the "
                    f"population table: {listed}{more}.")
    known = set(ids)
    missing = [p for p in analysed if p not in known]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        said.append(f"Population table: {len(missing)} analysed patient(s) with no row in {first}, counted as not "
                    f"recorded: {shown}.")
    kept = patients[ids.isin(analysed)]
    if missing:
        blank = pd.DataFrame({"patient_id": missing})
        kept = pd.concat([kept, blank], ignore_index=True)
        for col in PATIENT_CATEGORIES:  # an empty category is "" (not recorded), as validate_patients gives it
            kept[col] = kept[col].fillna("")
    return kept.reset_index(drop=True), tuple(said)


def analyse(cohort: Cohort, extra_pairs: list[tuple[str, str]] | None = None,
            followup: "ResponseResult | None" = None) -> AnalysisResult:
    """Compute every table and plot of the study from a validated cohort (and its follow-up's
    responses, computed by :mod:`analysis.response_output`: response.csv, its plots, a report section)."""
    diameters = DiameterPairs.from_measurements(cohort.measurements)
    counts = count_matrices(cohort.counts)
    tables: dict[str, pd.DataFrame] = {"paired_tests": paired_tests_table(diameters, counts)}
    population_said: tuple[str, ...] = ()
    if cohort.patients is not None:
        patients, population_said = analysed_patients(cohort)
        tables["population"] = population_table(patients)
    tables["detection"] = detection_table(counts)
    tables["sizes"] = sizes_table(diameters)

    plot_pairs = list(dict.fromkeys([*DEFAULT_PLOT_PAIRS, *(extra_pairs or [])]))
    figures: dict[str, tuple[bytes, str]] = {
        "detection.png": (plots.detection_png(tables["detection"]),
                          "Mean number of metastases per exam pair, by series and lobe "
                          "(hatched: no countable exam pair)."),
    }
    for a, b in plot_pairs:
        pat = diameters.patient_pairs(a, b)
        les = diameters.lesion_pairs(a, b)
        figures[f"histogram_{a}_vs_{b}.png"] = (
            plots.histogram_png(pat, a, b),
            f"Per-patient mean diameters, {ROLE_LABELS[a]} vs {ROLE_LABELS[b]} "
            f"(patients with lesions measured on both).")
        figures[f"bland_altman_{a}_vs_{b}.png"] = (
            plots.bland_altman_png(les, pat, a, b),
            f"Bland–Altman plot of diameters, {ROLE_LABELS[a]} − {ROLE_LABELS[b]}: bias and "
            f"95 % limits of agreement.")

    add_reader_analyses(cohort, diameters, counts, tables, figures)  # units of n; several readers

    m = cohort.measurements
    n_patients = m["patient_id"].nunique()
    n_exam_pairs = cohort.counts[["patient_id", "exam_pair_id"]].drop_duplicates().shape[0]
    lesions = m[m["status"] == "measured"][["patient_id", "exam_pair_id", "reader", "lesion_id"]]
    n_lesions = lesions.drop_duplicates().shape[0]
    lesion_pairs_exams = lesions[["patient_id", "exam_pair_id"]].drop_duplicates().shape[0]
    summary = (f"{n_patients} patients with measurements, {n_exam_pairs} exam pairs counted, "
               f"{n_lesions} lesions measured on at least one series.")
    if population_said:
        summary += " " + " ".join(population_said)
    if "agreement" in tables and tables["agreement"].attrs.get("said"):
        summary += " " + str(tables["agreement"].attrs["said"])
    if cohort.study_reads is not None:
        tables["study_reads"] = cohort.study_reads
        summary += f" {cohort.study_reads_said}"
    followup_html = ""
    if followup is not None:
        tables["response"] = followup.table.astype(object).where(followup.table.notna(), None)
        figures.update(followup.plots)
        followup_html = response_section_html(followup)
    return AnalysisResult(tables, figures, _methods(cohort, n_lesions, lesion_pairs_exams, plot_pairs),
                          summary, followup_html)


def _is_previous_output(folder: Path) -> bool:
    return (folder / MARKER).is_file() and (folder / "report.html").is_file()


def write_outputs(result: AnalysisResult, out_dir: str | Path) -> Path:
    """Write CSVs, analysis.xlsx, PNGs and report.html; the folder appears only when complete.

    An existing ``out_dir`` is replaced only if it is empty or a previous analysis output; a full
    disk says so and leaves no partial folder.
    """
    def fill(tmp: Path) -> None:
        for name, table in result.tables.items():
            write_csv(table, tmp / f"{name}.csv")
        write_xlsx(result.tables, tmp / "analysis.xlsx")
        for name, (png, _) in result.plots.items():
            (tmp / name).write_bytes(png)
        html = render_report(tables=result.tables, plots=result.plots,
                             methods=result.methods_html, summary=result.summary, extra_html=result.followup_html)
        (tmp / "report.html").write_text(html, encoding="utf-8")

    return replace_folder(out_dir, _is_previous_output, fill)


def run_analysis(cohort: Cohort, out_dir: str | Path,
                 extra_pairs: list[tuple[str, str]] | None = None,
                 followup: "ResponseResult | None" = None) -> AnalysisResult:
    result = analyse(cohort, extra_pairs, followup)
    write_outputs(result, out_dir)
    return result


__all__ = ["AnalysisResult", "DEFAULT_PLOT_PAIRS", "Region", "analyse", "parse_pair",
           "run_analysis", "write_outputs"]
