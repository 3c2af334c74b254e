"""How observations pair up between two series (the rules of ../shared/reference/paired_tests).

- Lesion level: one pair per lesion (patient_id, exam_pair_id, reader, lesion_id) whose status is
  ``measured`` on both series.
- Patient level: one pair per patient and reader: the mean of that patient's lesions measured on
  both series, all its exam pairs together.
- Exam-pair level (counts): one pair per exam pair and reader: the count on each series in the
  region (whole = right + left). A series flagged uncountable in a region is left out of that
  region (whole: left out when either lobe is uncountable); a series with no row is missing.

Nothing here guesses: a row absent or unusable on either series never enters a pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.schema import EXAM_PAIR_KEY, MEASUREMENT_KEY, ROLE_VALUES, Region, Status

PATIENT_KEY: tuple[str, ...] = ("patient_id", "reader")


def group_r_mean(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-group mean computed as R's mean() does (long double, left-to-right, one refinement).

    Returns (group codes sorted, means). Matching R to the last bit matters: the Wilcoxon test
    decides ties on these numbers exactly. Groups are small (a patient's lesions), so the loop
    runs over the position within the group, vectorised across groups.
    """
    if codes.size == 0:
        return codes, np.empty(0)
    order = np.argsort(codes, kind="stable")
    c = codes[order]
    v = values[order].astype(np.longdouble)
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    sizes = np.diff(np.r_[starts, c.size])
    group = np.repeat(np.arange(starts.size), sizes)
    pos = np.arange(c.size) - np.repeat(starts, sizes)

    def seq_sum(w: np.ndarray) -> np.ndarray:
        total = np.zeros(starts.size, dtype=np.longdouble)
        for k in range(int(sizes.max())):
            sel = pos == k
            total[group[sel]] += w[sel]
        return total

    n = sizes.astype(np.longdouble)
    s = seq_sum(v) / n
    s = s + seq_sum(v - s[group]) / n
    return c[starts], s.astype(float)


@dataclass(frozen=True)
class DiameterPairs:
    """Measured diameters, one column per series role, one row per lesion (NaN = not measured)."""

    wide: pd.DataFrame  # index MEASUREMENT_KEY, columns ROLE_VALUES

    @classmethod
    def from_measurements(cls, measurements: pd.DataFrame) -> "DiameterPairs":
        measured = measurements[measurements["status"] == Status.MEASURED.value]
        wide = measured.pivot(index=list(MEASUREMENT_KEY), columns="series_role", values="diameter_mm")
        wide = wide.reindex(columns=list(ROLE_VALUES))
        wide.columns.name = None
        return cls(wide.sort_index())

    def lesion_pairs(self, a: str, b: str) -> pd.DataFrame:
        """Lesions measured on both a and b: columns a, b indexed by the lesion key."""
        return self.wide[[a, b]].dropna()

    def patient_pairs(self, a: str, b: str) -> pd.DataFrame:
        """Per patient (and reader): mean of the lesions measured on both a and b."""
        lesions = self.lesion_pairs(a, b)
        return _patient_means(lesions, [a, b])

    def per_patient(self, role: str) -> pd.Series:
        """Per patient (and reader): mean of the lesions measured on this series."""
        lesions = self.wide[[role]].dropna()
        return _patient_means(lesions, [role])[role]

    def per_lesion(self, role: str) -> pd.Series:
        return self.wide[role].dropna()


def _patient_means(lesions: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    idx = pd.MultiIndex.from_arrays([lesions.index.get_level_values(k) for k in PATIENT_KEY],
                                    names=list(PATIENT_KEY))
    codes, uniques = pd.factorize(idx, sort=True)
    out = {}
    keys = None
    for col in columns:
        keys, means = group_r_mean(codes, lesions[col].to_numpy(dtype=float))
        out[col] = means
    if keys is not None and keys.size:
        index = pd.MultiIndex.from_tuples(list(uniques[keys]), names=list(PATIENT_KEY))
    else:
        index = pd.MultiIndex.from_tuples([], names=list(PATIENT_KEY))
    return pd.DataFrame(out, index=index)


@dataclass(frozen=True)
class CountMatrix:
    """Counts in one region: one row per exam pair, one column per series role.

    ``values`` is NaN where the series is missing, not read yet or uncountable; ``uncountable`` is
    True where the reader flagged the series (in that region) as not countable, ``not_read`` where
    the reader has not counted it (yet).
    """

    region: Region
    values: pd.DataFrame
    uncountable: pd.DataFrame
    not_read: pd.DataFrame

    def pairs(self, a: str, b: str) -> tuple[pd.DataFrame, int, int]:
        """Exam pairs counted on both series, and how many were left out as uncountable and as not read."""
        both = self.values[[a, b]].dropna()
        excluded = int((self.uncountable[a] | self.uncountable[b]).sum())
        unread = int(((self.not_read[a] | self.not_read[b]) & ~(self.uncountable[a] | self.uncountable[b])).sum())
        return both, excluded, unread


def count_matrices(counts: pd.DataFrame) -> dict[Region, CountMatrix]:
    """Build the right, left and whole-liver count matrices from validated counts."""
    key = list(EXAM_PAIR_KEY)
    exam_pairs = pd.MultiIndex.from_frame(counts[key].drop_duplicates()).sort_values()
    per_lobe: dict[Region, CountMatrix] = {}
    status = counts["count_status"] if "count_status" in counts else pd.Series("counted", index=counts.index)
    counts = counts.assign(not_read=status.eq("not_read"))
    for region in (Region.RIGHT, Region.LEFT):
        rows = counts[counts["lobe"] == region.value]
        vals = rows.pivot(index=key, columns="series_role", values="count")
        flags = rows.pivot(index=key, columns="series_role", values="uncountable")
        unread = rows.pivot(index=key, columns="series_role", values="not_read")
        vals = vals.reindex(index=exam_pairs, columns=list(ROLE_VALUES))
        flags = flags.reindex(index=exam_pairs, columns=list(ROLE_VALUES)).eq(True)
        unread = unread.reindex(index=exam_pairs, columns=list(ROLE_VALUES)).eq(True)
        vals = vals.where(~flags & ~unread)
        vals.columns.name = flags.columns.name = unread.columns.name = None
        per_lobe[region] = CountMatrix(region, vals.astype(float), flags, unread)
    right, left = per_lobe[Region.RIGHT], per_lobe[Region.LEFT]
    whole_flags = right.uncountable | left.uncountable
    whole_unread = right.not_read | left.not_read
    whole = CountMatrix(Region.WHOLE, (right.values + left.values).where(~whole_flags & ~whole_unread),
                        whole_flags, whole_unread)
    return {Region.WHOLE: whole, **per_lobe}
