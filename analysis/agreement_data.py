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


def from_cohort(cohort: Cohort) -> ReaderReads:
    """Reads from the export tables: a lesion is the same across readers when its key is."""
    m = cohort.measurements
    measured = m[m["status"] == Status.MEASURED.value]
    diameters = pd.DataFrame({
        "patient_id": measured["patient_id"], "exam_pair_id": measured["exam_pair_id"],
        "series_role": measured["series_role"], "subject": measured["lesion_id"],
        "reader": measured["reader"], "diameter_mm": measured["diameter_mm"].astype(float),
    }).reset_index(drop=True)
    return ReaderReads(diameters.reindex(columns=list(DIAMETER_COLUMNS)), _csv_detections(m, cohort.counts),
                       counted_counts(cohort.counts), readers_of(m, cohort.counts),
                       "lesion_id (readers share lesion ids in the export tables)")


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
