"""Ground truth of a followed patient: timepoints, treatment lines, RECIST 1.1 sums and the
responses expected by design (../shared/domain/followup.md).

The expected categories are written in the patient's plan (patients.FollowupSpec); this module
computes the sums from the phantom twice, from the true diameters (what the plan designed) and
from the diameters on the RECIST series' slice nearest each centre (what a reader measures),
checks that the simple RECIST rules give the designed categories from both, and refuses to
write a truth where they do not (a margin too thin to be unambiguous).
"""

from __future__ import annotations

import datetime as dt
import math

from .model import PatientModel, exam_uids
from .protocols import ExamSpec

#: Settings of the best-overall-response with confirmation (RECIST 1.1 table 3).
CONFIRMATION_MIN_DAYS = 28
SD_MIN_DAYS = 42
#: NEN slow progression (followup.md): window and threshold used for the stated flags.
SLOW_WINDOW_DAYS = 365
SLOW_MAX_PCT = 20.0
ORDER = {"PD": 0, "NE": 1, "SD": 2, "PR": 3, "CR": 4}


def _date(d: str) -> dt.date:
    return dt.date(int(d[:4]), int(d[4:6]), int(d[6:]))


def _iso(d: str) -> str:
    return _date(d).isoformat()


def _r(v: float | None, nd: int = 2) -> float | None:
    return None if v is None else round(float(v), nd)


def target_response(sizes: dict[str, float], nodal: dict[str, bool], total: float, baseline: float,
                    nadir: float) -> str:
    """CR / PD / PR / SD from the target diameters (all assessed in the sample)."""
    if all((sizes[i] < 10.0) if nodal[i] else (sizes[i] == 0.0) for i in sizes):
        return "CR"
    if total - nadir >= 5.0 and total >= 1.2 * nadir:
        return "PD"
    if total <= 0.7 * baseline:
        return "PR"
    return "SD"


def overall_response(target: str, non_target: str, new: bool) -> str:
    if target == "PD" or non_target == "PD" or new:
        return "PD"
    if target == "CR":
        return "CR" if non_target == "CR" else "PR"
    return target


def best_overall(responses: list[tuple[int, str]], confirm: bool) -> str:
    """Best overall response so far (RECIST 1.1 table 3) from (days from baseline, overall)."""
    if not confirm:
        best = min((r for _, r in responses), key=lambda r: -ORDER.get(r, -1), default="NE")
        return best
    for i, (day, r) in enumerate(responses):
        if r in ("CR", "PR"):
            later = [(d2, r2) for d2, r2 in responses[i + 1:] if d2 - day >= CONFIRMATION_MIN_DAYS]
            if any(r2 == r or (r == "PR" and r2 == "CR") for _, r2 in later):
                return r
    if any(r in ("CR", "PR", "SD") and day >= SD_MIN_DAYS for day, r in responses):
        return "SD"
    return "PD" if any(r == "PD" for _, r in responses) else "NE"


def tgr_pct_per_month(d0: float, dt_: float, days: int) -> float | None:
    """Tumour growth rate (Ferte et al.): 100 (exp(3 ln(Dt/D0) / months) - 1), months = days/30.4375."""
    if d0 <= 0 or dt_ <= 0 or days <= 0:
        return None
    return 100.0 * (math.exp(3.0 * math.log(dt_ / d0) / (days / 30.4375)) - 1.0)


def _rows(model: PatientModel, seed: int, exam: ExamSpec, role: str, baseline_tp: int) -> list[dict]:
    from .truth import exam_frame, series_entry

    fu = model.spec.followup
    assert fu is not None
    rows = []
    for f in model.findings:
        kind = ("target" if f.finding_id in fu.targets else
                "non_target" if f.finding_id in fu.non_targets else
                "new" if not f.present_at(baseline_tp) else None)
        if kind is None:
            raise ValueError(f"{f.finding_id} is neither target, non-target nor new")
        shape = f.shape_at(exam.timepoint, exam.liver_shift_mm)
        row = {"id": f.finding_id, "kind": kind, "organ": f.organ, "nodal": f.is_node}
        if shape is None:
            if kind != "new":
                rows.append({**row, "status": "disappeared" if kind == "target" else "absent", "diameter_mm": 0.0})
            continue
        series = {s.role: series_entry(model, seed, exam, s, s.role, f, shape) for s in exam.series}
        on = series[role]
        seen = on["visible"] if kind != "non_target" else any(e["visible"] for e in series.values())
        if not seen:
            raise ValueError(f"{f.finding_id} ({kind}) must be visible on {role if kind != 'non_target' else 'a series'}"
                             f" at timepoint {exam.timepoint}")
        size = f.sizes_mm[exam.timepoint - 1]
        row.update({
            "status": "measured" if kind == "target" else "present",
            "diameter_mm": _r(size),  # RECIST: longest diameter; nodes: short axis
            "longest_axial_diameter_mm": _r(2 * shape.semi_axes_mm[0]),
            "short_axis_mm": _r(2 * shape.semi_axes_mm[1]) if f.is_node else None,
            "diameter_on_slice_mm": on["short_axis_on_slice_mm"] if f.is_node else on["axial_diameter_on_slice_mm"],
            "centre_mm": exam_frame(shape.centre_mm, exam),
            "series": series,
        })
        rows.append(row)
    return rows


def _sums(rows: list[dict], field: str) -> tuple[float, dict[str, float], dict[str, bool]]:
    targets = [r for r in rows if r["kind"] == "target"]
    sizes = {r["id"]: float(r.get(field) or 0.0) for r in targets}
    return sum(sizes.values()), sizes, {r["id"]: r["nodal"] for r in targets}


def followup_truth(model: PatientModel, seed: int) -> dict:
    spec = model.spec
    fu = spec.followup
    assert fu is not None
    cts = {e.timepoint: e for e in spec.exams if e.kind == "ct"}
    base_exam = cts[fu.baseline_timepoint]
    base_day = _date(base_exam.date)
    timepoints: list[dict] = []
    history: dict[str, list[float]] = {"diameter_mm": [], "diameter_on_slice_mm": []}
    overall: list[tuple[int, str]] = []
    for tp in sorted(t for t in cts if t >= fu.baseline_timepoint):
        exam = cts[tp]
        rows = _rows(model, seed, exam, fu.recist_role, fu.baseline_timepoint)
        days = (_date(exam.date) - base_day).days
        rec: dict = {"timepoint": tp, "exam_id": exam.exam_id, "timepoint_date": _iso(exam.date),
                     "study_instance_uid": exam_uids(seed, model, exam)[0],
                     "baseline_date": _iso(base_exam.date), "days_from_baseline": days}
        categories = {}
        for field, hist in history.items():
            total, sizes, nodal = _sums(rows, field)
            suffix = "" if field == "diameter_mm" else "_on_slice"
            rec[f"sum{suffix}_mm"] = _r(total)
            if not hist:
                rec[f"baseline_sum{suffix}_mm"] = _r(total)
            else:
                baseline, nadir = hist[0], min(hist)
                rec[f"baseline_sum{suffix}_mm"], rec[f"nadir_sum{suffix}_mm"] = _r(baseline), _r(nadir)
                rec[f"change_from_baseline{suffix}_pct"] = _r(100 * (total - baseline) / baseline)
                rec[f"change_from_nadir{suffix}_pct"] = _r(100 * (total - nadir) / nadir)
                categories[field] = target_response(sizes, nodal, total, baseline, nadir)
            hist.append(total)
        if tp != fu.baseline_timepoint:
            new = any(r["kind"] == "new" for r in rows)
            non_targets = [r for r in rows if r["kind"] == "non_target"]
            non_target = "CR" if all(r["status"] == "absent" for r in non_targets) else "non_cr_non_pd"
            target = categories["diameter_mm"]
            designed = fu.expected[tp]
            got = (target, non_target, new, overall_response(target, non_target, new))
            on_slice = categories["diameter_on_slice_mm"]
            if got != designed or on_slice != target:
                raise ValueError(f"{spec.patient_id} timepoint {tp}: designed {designed}, the phantom gives "
                                 f"{got} (on-slice target response {on_slice})")
            overall.append((days, got[3]))
            previous = timepoints[-1]
            rec.update({
                "target_response": target, "non_target_response": non_target, "new_lesions": new,
                "overall_response": got[3],
                "best_overall_response": best_overall(overall, confirm=False),
                "best_overall_response_confirmed": best_overall(overall, confirm=True),
                "nen_slow_progression": _slow(got[3], rec["sum_mm"], timepoints, days),
                "tgr_pct_per_month": _r(tgr_pct_per_month(previous["sum_mm"], rec["sum_mm"],
                                                          days - previous["days_from_baseline"])),
            })
        rec["lesions"] = rows
        timepoints.append(rec)
    return {
        "recist_role": fu.recist_role,
        "baseline_timepoint": fu.baseline_timepoint,
        "targets": list(fu.targets), "non_targets": list(fu.non_targets),
        "new_lesions": [f.finding_id for f in model.findings if not f.present_at(fu.baseline_timepoint)],
        "treatment_lines": [{"line": t.line, "name": t.name, "start_date": _iso(t.start_date),
                             "end_date": _iso(t.end_date) if t.end_date else None} for t in fu.treatment_lines],
        "settings": {"confirmation_min_days": CONFIRMATION_MIN_DAYS, "sd_min_days": SD_MIN_DAYS,
                     "slow_progression_window_days": SLOW_WINDOW_DAYS,
                     "slow_progression_max_pct": SLOW_MAX_PCT},
        "timepoints": timepoints,
    }


def _slow(overall: str, total: float, earlier: list[dict], days: int) -> bool:
    """NEN slow progression: SD and a sum above the earliest sum within the window by (0, max] %."""
    if overall != "SD":
        return False
    within = [t for t in earlier if days - t["days_from_baseline"] <= SLOW_WINDOW_DAYS]
    if not within:
        return False
    ref = within[0]["sum_mm"]
    return ref > 0 and 0.0 < 100 * (total - ref) / ref <= SLOW_MAX_PCT


def followup_csv_rows(truth: dict) -> list[dict]:
    """Rows of issue 10's FOLLOWUP.csv (true diameters) for a patient's follow-up truth."""
    fu = truth.get("followup")
    if not fu:
        return []
    rows = []
    for tp in fu["timepoints"]:
        for les in tp["lesions"]:
            measured = les["kind"] == "target" and les["status"] == "measured"
            rows.append({
                "patient_id": truth["patient_id"], "timepoint_date": tp["timepoint_date"],
                "lesion_id": les["id"], "kind": les["kind"],
                "organ": les["organ"],
                "nodal": "true" if les["nodal"] else "false", "status": les["status"],
                "diameter_mm": f"{les['diameter_mm']:g}" if measured else "",
                "baseline": "true" if tp["timepoint"] == fu["baseline_timepoint"] else "false",
                "series_role": fu["recist_role"], "slice_thickness_mm": "5",
            })
    return rows


def treatment_line_csv_rows(truth: dict) -> list[dict]:
    """Rows of `lesionlab response --treatment-lines` (patient_id, name, start_date, end_date)."""
    fu = truth.get("followup")
    if not fu:
        return []
    return [{"patient_id": truth["patient_id"], "name": line["name"], "start_date": line["start_date"],
             "end_date": line["end_date"] or ""} for line in fu["treatment_lines"]]

