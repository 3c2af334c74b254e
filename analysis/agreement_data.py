"""The reads an agreement analysis compares, whatever they came from, in three long tables.

- ``diameters``: one row per (exam pair, series, subject, reader) measured: ``patient_id,
  exam_pair_id, series_role, subject, reader, diameter_mm``. A *subject* is one lesion across
  readers: from CSVs its ``lesion_id`` (readers share ids), from a store the cluster of matched
  findings (:mod:`analysis.matching`).
- ``detections``: one row per (exam pair, series, subject, reader) for every reader who read that
  series of that exam pair: ``seen`` True (measured or not measurable), False (not visible, or
  the reader has no such lesion), None (the reader has the lesion but not read on this series).
- ``counts``: the validated counts (:func:`analysis.inputs.validate_counts`), ``count`` NaN
  where the series was not counted (flagged uncountable, not countable or not read).

:func:`from_cohort` builds them from the export CSVs (lesions match by ``lesion_id``);
:mod:`analysis.agreement_store` from a reading store (lesions match by position).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.inputs import Cohort
from analysis.schema import Status

DIAMETER_COLUMNS: tuple[str, ...] = ("patient_id", "exam_pair_id", "series_role", "subject", "reader",
                                     "diameter_mm")
DETECTION_COLUMNS: tuple[str, ...] = ("patient_id", "exam_pair_id", "series_role", "subject", "reader", "seen")
SEEN = frozenset({Status.MEASURED.value, Status.NOT_MEASURABLE.value})
#: count_status values (counts.csv from store schema 2); older files only have ``uncountable``.
COUNTED = "counted"


@dataclass(frozen=True)
class ReaderReads:
    """Everything the agreement table needs, readers' names in order."""

    diameters: pd.DataFrame
    detections: pd.DataFrame
    counts: pd.DataFrame
    readers: tuple[str, ...]
    matched_by: str  # how subjects were matched across readers, for the methods text
    unpaired_note: str = ""  # why diameters/detections could not be paired ("" when they could)
    #: which reads were compared when that is not every reader name of the input (a reader study's store:
    #: analysis/agreement_study.py), "" otherwise
    readers_note: str = ""


def counted_mask(counts: pd.DataFrame) -> np.ndarray:
    """Rows that are subjects: a count given, not flagged uncountable, status counted if known."""
    mask = counts["count"].notna().to_numpy() & ~counts["uncountable"].astype(bool).to_numpy()
    if "count_status" in counts.columns:
        mask &= (counts["count_status"].astype(str) == COUNTED).to_numpy()
    return np.asarray(mask, dtype=bool)


def counted_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """The counts with ``count`` NaN wherever the row is not a subject."""
    out = counts[["patient_id", "exam_pair_id", "reader", "series_role", "lobe", "count"]].copy()
    out["count"] = out["count"].astype(float).where(counted_mask(counts))
    return out.reset_index(drop=True)


def read_series(counts: pd.DataFrame) -> pd.DataFrame:
    """(patient_id, exam_pair_id, reader, series_role) counted on both lobes: the series was read."""
    c = counted_counts(counts)
    counted = c.groupby(["patient_id", "exam_pair_id", "reader", "series_role"], sort=True)["count"].count()
    return counted[counted == 2].reset_index()[["patient_id", "exam_pair_id", "reader", "series_role"]]


def readers_of(measurements: pd.DataFrame, counts: pd.DataFrame) -> tuple[str, ...]:
    return tuple(sorted(set(measurements["reader"].astype(str)) | set(counts["reader"].astype(str))))


def id_conflicts(m: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Lesion ids that name different lesions for different readers: (patient, exam pair, what is said, e.g. "R1 L3
    and R2 L3 lie 172 mm apart in-plane on ct_portal"): the lines two readers drew for one id on one series (the
    same series instance UID: the same pixels) whose middles lie farther apart in-plane than the longer line's half
    plus 5 mm (the line's own mm per pixel). Readers number their own lesions: after one misses a lesion, the same
    id is the next lesion (a researcher's check: 176 agreement cells from such pairs, unsaid; there they lay 43-172 mm
    apart). Slices apart are said, not judged: without the slices' positions one lesion's lines 6 slices apart on
    0.625 mm CT were taken for two (a review)."""
    cols = ("series_instance_uid", "slice_index", "p1_row", "p1_col", "p2_row", "p2_col", "diameter_mm")
    if any(c not in m.columns for c in cols):
        return []
    lines = m[m["status"] == Status.MEASURED.value].dropna(subset=list(cols))
    out: list[tuple[str, str, str]] = []
    for key, group in lines.groupby(["patient_id", "exam_pair_id", "series_role", "lesion_id"], sort=True):
        rows = group.to_dict("records")
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                if a["reader"] == b["reader"] or a["series_instance_uid"] != b["series_instance_uid"]:
                    continue
                apart = _apart_mm(a, b)
                if apart > 0.5 * max(float(a["diameter_mm"]), float(b["diameter_mm"])) + 5.0:
                    slices = abs(int(a["slice_index"]) - int(b["slice_index"]))
                    where = f"{apart:.0f} mm apart in-plane" + (f", {slices} slice{'s' if slices > 1 else ''} apart"
                                                                   if slices else "")
                    out.append((str(key[0]), str(key[1]), f"{a['reader']} {key[3]} and {b['reader']} {key[3]} lie "
                                                          f"{where} on {key[2]} ({key[0]} {key[1]})"))
    return out


def _apart_mm(a: dict[str, object], b: dict[str, object]) -> float:
    """In-plane distance between two lines' middles, in mm by the first line's own mm per pixel."""
    ar, ac = (float(a["p1_row"]) + float(a["p2_row"])) / 2, (float(a["p1_col"]) + float(a["p2_col"])) / 2  # type: ignore[arg-type]
    br, bc = (float(b["p1_row"]) + float(b["p2_row"])) / 2, (float(b["p1_col"]) + float(b["p2_col"])) / 2  # type: ignore[arg-type]
    length = float(np.hypot(float(a["p2_row"]) - float(a["p1_row"]), float(a["p2_col"]) - float(a["p1_col"])))  # type: ignore[arg-type]
    per_px = float(a["diameter_mm"]) / length if length > 0 else 1.0  # type: ignore[arg-type]
    return float(np.hypot(ar - br, ac - bc)) * per_px


#: Why the lesions of some exam pairs are not paired from CSVs whose ids name different lesions for different readers.
ID_CONFLICT = ("the lesions of {pairs} were not paired: readers' lesion ids name different lesions there ({first}{more}); "
               "the export tables pair lesions by id, a store pairs them by position: lesionlab agreement STORE --dicom "
               "PATH")


def from_cohort(cohort: Cohort) -> ReaderReads:
    """Reads from the export tables: a lesion is the same across readers when its key is -- except in the exam pairs
    where the readers' lines for one id lie apart (:func:`id_conflicts`): their lesions are left out of the diameters
    and detections, with the reason (a review: one conflict had left out the whole cohort's); the counts (which pair
    no lesion) stay."""
    m = cohort.measurements
    conflicts = id_conflicts(m)
    note = ""
    if conflicts:
        bad = sorted({(p, e) for p, e, _ in conflicts})
        pairs = ", ".join(f"{p} {e}" for p, e in bad[:3]) + (f" and {len(bad) - 3} more exam pairs" if len(bad) > 3 else "")
        note = ID_CONFLICT.format(pairs=pairs, first=conflicts[0][2],
                                  more=f"; {len(conflicts) - 1} more" if len(conflicts) > 1 else "")
        keep = ~pd.Series(list(zip(m["patient_id"], m["exam_pair_id"])), index=m.index).isin(bad)
        m = m[keep]
    measured = m[m["status"] == Status.MEASURED.value]
    diameters = pd.DataFrame({
        "patient_id": measured["patient_id"], "exam_pair_id": measured["exam_pair_id"],
        "series_role": measured["series_role"], "subject": measured["lesion_id"],
        "reader": measured["reader"], "diameter_mm": measured["diameter_mm"].astype(float),
    }).reset_index(drop=True)
    return ReaderReads(diameters.reindex(columns=list(DIAMETER_COLUMNS)), _csv_detections(m, cohort.counts),
                       counted_counts(cohort.counts), readers_of(cohort.measurements, cohort.counts),
                       "lesion_id (readers share lesion ids in the export tables)", note)


def _csv_detections(m: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Who saw which lesion on which series, for every reader who read that series."""
    exam = ["patient_id", "exam_pair_id"]
    read = pd.concat([m[[*exam, "reader", "series_role"]], read_series(counts)]).drop_duplicates()
    lesions = m[[*exam, "lesion_id"]].drop_duplicates().rename(columns={"lesion_id": "subject"})
    grid = read.merge(lesions, on=exam)  # every reader x series read x lesion of that exam pair
    status = m[[*exam, "reader", "series_role", "lesion_id", "status"]].rename(columns={"lesion_id": "subject"})
    grid = grid.merge(status, on=[*exam, "reader", "series_role", "subject"], how="left")
    has_lesion = m[[*exam, "reader", "lesion_id"]].drop_duplicates().rename(columns={"lesion_id": "subject"})
    has_lesion["own"] = True
    grid = grid.merge(has_lesion, on=[*exam, "reader", "subject"], how="left")
    seen: list[bool | None] = []
    for status_value, own in zip(grid["status"].tolist(), grid["own"].tolist()):
        if isinstance(status_value, str):
            seen.append(status_value in SEEN)
        else:  # no row on this series: never recorded the lesion = missed; recorded = not read here
            seen.append(None if own is True else False)
    grid["seen"] = pd.Series(seen, index=grid.index, dtype=object)
    grid = grid.sort_values([*exam, "series_role", "subject", "reader"], kind="stable")
    return grid.reindex(columns=list(DETECTION_COLUMNS)).reset_index(drop=True)
