"""agreement.csv: inter-reader agreement per series role, one row per comparison.

Rows, for each of the six roles in protocol order:

- ``diameters`` / ``whole`` (unit ``lesion``): subjects are lesions measured by every reader of
  the row on that series. ICC(A,1), ICC(A,k); for a reader pair also Bland–Altman in mm and in %
  of the pair mean, and the limits corrected for several lesions per patient (``loa_rm_*``).
- ``counts`` / ``whole``, ``right``, ``left`` (unit ``exam_pair``): subjects are exam pairs
  counted by every reader of the row on that series (whole = right + left, both counted). ICC;
  for a reader pair Bland–Altman in lesions (no %: a pair mean of 0 has none), the limits
  corrected for several exam pairs per patient, and quadratic-weighted kappa.
- ``detection`` / ``whole`` (unit ``lesion``), reader pairs only: lesions seen by at least one of
  the two on that series, in exam pairs both read; positive specific agreement 2a / (2a + b + c).

Two readers: one row per comparison, ``reader_a`` < ``reader_b`` in name order, differences
``reader_a − reader_b``. More readers: first an all-reader row (ICC only, readers empty,
``n_readers`` = k), then one row per pair. One reader: one row per comparison, empty, with a note.
Statistics: :mod:`analysis.agreement_stats`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd

from analysis.agreement_data import ReaderReads
from analysis.agreement_stats import (
    MIN_SUBJECTS,
    icc_two_way,
    join_notes,
    limits_of_agreement,
    percent_differences,
    positive_agreement,
    repeated_measures_loa,
    weighted_kappa,
)
from analysis.schema import ROLE_VALUES, Region

AGREEMENT_COLUMNS: tuple[str, ...] = (
    "analysis", "series_role", "region", "reader_a", "reader_b", "n_subjects", "n_readers",
    "icc_a1", "icc_a1_ci_low", "icc_a1_ci_high", "icc_ak", "icc_ak_ci_low", "icc_ak_ci_high",
    "bias", "loa_low", "loa_high", "loa_low_ci_low", "loa_low_ci_high", "loa_high_ci_low",
    "loa_high_ci_high", "bias_pct", "loa_low_pct", "loa_high_pct", "loa_rm_low", "loa_rm_high",
    "kappa_quadratic", "kappa_ci_low", "kappa_ci_high", "positive_agreement", "unit", "note",
)
NUMBER_COLUMNS: tuple[str, ...] = AGREEMENT_COLUMNS[7:-2]
UNIT = {"diameters": "lesion", "counts": "exam_pair", "detection": "lesion"}
REGIONS: tuple[Region, ...] = (Region.WHOLE, Region.RIGHT, Region.LEFT)

Row = dict[str, object]


def _row(analysis: str, role: str, region: str, readers: tuple[str, ...], pair: bool, n: int, note: str = "") -> Row:
    return {"analysis": analysis, "series_role": role, "region": region,
            "reader_a": readers[0] if pair else "", "reader_b": readers[1] if pair else "",
            "n_subjects": n, "n_readers": len(readers), "unit": UNIT[analysis], "note": note}


def _comparisons(readers: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], bool]]:
    """(readers of the row, is it a pair row): all readers first when there are more than two."""
    if len(readers) > 2:
        yield readers, False
    yield from ((p, True) for p in itertools.combinations(readers, 2))


def _one_reader_note(readers: tuple[str, ...]) -> str:
    return f"one reader ({readers[0]}): agreement needs two" if readers else "no reads on this series"


def _icc_cells(matrix: np.ndarray) -> tuple[dict[str, object], str]:
    icc = icc_two_way(matrix)
    cells = {name: getattr(icc, name) for name in ("icc_a1", "icc_a1_ci_low", "icc_a1_ci_high",
                                                   "icc_ak", "icc_ak_ci_low", "icc_ak_ci_high")}
    return cells, icc.note


def _loa_cells(a: np.ndarray, b: np.ndarray, patients: np.ndarray, percent: bool) -> tuple[dict[str, object], list[str]]:
    loa = limits_of_agreement(a - b)
    cells: dict[str, object] = {name: getattr(loa, name) for name in (
        "bias", "loa_low", "loa_high", "loa_low_ci_low", "loa_low_ci_high", "loa_high_ci_low",
        "loa_high_ci_high")}
    notes = [loa.note]
    if percent:
        pct = limits_of_agreement(percent_differences(a, b))
        cells.update(bias_pct=pct.bias, loa_low_pct=pct.loa_low, loa_high_pct=pct.loa_high)
    rm = repeated_measures_loa(a - b, patients)
    cells.update(loa_rm_low=rm.loa_low, loa_rm_high=rm.loa_high)
    if rm.note and rm.n_subjects >= MIN_SUBJECTS:
        notes.append(f"loa_rm: {rm.note}")
    return cells, notes


def _paired_rows(analysis: str, role: str, region: str, wide: pd.DataFrame, readers: tuple[str, ...],
                 extra_note: str, *, percent: bool, kappa: bool) -> list[Row]:
    """ICC (+ Bland–Altman, kappa for pairs) rows of one comparison; ``wide``: subjects x readers."""
    if len(readers) < 2:
        n = int(wide.notna().all(axis=1).sum()) if readers else 0
        return [_row(analysis, role, region, readers, False, n, join_notes(_one_reader_note(readers), extra_note))]
    rows = []
    for group, pair in _comparisons(readers):
        both = wide[list(group)].dropna()
        matrix = both.to_numpy(dtype=float)
        row = _row(analysis, role, region, group, pair, len(both))
        cells, note = _icc_cells(matrix)
        notes = [note]
        if pair:
            patients = both.index.get_level_values("patient_id").to_numpy()
            loa, loa_notes = _loa_cells(matrix[:, 0], matrix[:, 1], patients, percent)
            cells.update(loa)
            notes += loa_notes
            if kappa:
                k = weighted_kappa(matrix[:, 0], matrix[:, 1])
                cells.update(kappa_quadratic=k.kappa, kappa_ci_low=k.ci_low, kappa_ci_high=k.ci_high)
                notes.append(f"kappa: {k.note}" if k.note and len(both) >= MIN_SUBJECTS else "")
        row.update(cells)
        row["note"] = join_notes(*notes, extra_note)
        rows.append(row)
    return rows


def diameter_rows(reads: ReaderReads, role: str) -> list[Row]:
    d = reads.diameters[reads.diameters["series_role"] == role]
    wide = d.pivot(index=["patient_id", "exam_pair_id", "subject"], columns="reader", values="diameter_mm")
    wide = wide.reindex(columns=list(reads.readers))
    return _paired_rows("diameters", role, Region.WHOLE.value, wide, reads.readers, reads.unpaired_note,
                        percent=True, kappa=False)


def count_wide(reads: ReaderReads, role: str, region: Region) -> pd.DataFrame:
    """Exam pairs x readers: the count in the region (NaN unless counted; whole needs both lobes)."""
    c = reads.counts[reads.counts["series_role"] == role]
    wide = c.pivot(index=["patient_id", "exam_pair_id"], columns=["reader", "lobe"], values="count")
    out = {}
    for reader in reads.readers:
        lobes = [region.value] if region is not Region.WHOLE else ["right", "left"]
        cols = [(reader, lobe) for lobe in lobes]
        if all(col in wide.columns for col in cols):
            out[reader] = wide[cols].sum(axis=1, min_count=len(cols)).where(wide[cols].notna().all(axis=1))
        else:
            out[reader] = pd.Series(np.nan, index=wide.index)
    return pd.DataFrame(out, index=wide.index)


def count_rows(reads: ReaderReads, role: str) -> list[Row]:
    rows = []
    for region in REGIONS:
        rows += _paired_rows("counts", role, region.value, count_wide(reads, role, region), reads.readers, "",
                             percent=False, kappa=True)
    return rows


def detection_rows(reads: ReaderReads, role: str) -> list[Row]:
    if len(reads.readers) < 2:
        return [_row("detection", role, Region.WHOLE.value, reads.readers, False, 0,
                     _one_reader_note(reads.readers))]
    d = reads.detections[reads.detections["series_role"] == role]
    wide = d.pivot(index=["patient_id", "exam_pair_id", "subject"], columns="reader", values="seen")
    rows = []
    for a, b in itertools.combinations(reads.readers, 2):
        if a in wide.columns and b in wide.columns:
            sa, sb = wide[a], wide[b]
            known = sa.notna() & sb.notna()
            sa, sb = sa[known].astype(bool), sb[known].astype(bool)
            both, only_a, only_b = int((sa & sb).sum()), int((sa & ~sb).sum()), int((~sa & sb).sum())
        else:
            both = only_a = only_b = 0
        row = _row("detection", role, Region.WHOLE.value, (a, b), True, both + only_a + only_b)
        row["positive_agreement"] = positive_agreement(both, only_a, only_b)
        counts = f"{both} seen by both, {only_a} by {a} only, {only_b} by {b} only"
        empty = "" if row["positive_agreement"] is not None else _no_detection(reads, role, a, b)
        row["note"] = join_notes(empty, reads.unpaired_note, counts)
        rows.append(row)
    return rows


def _counted_pairs(reads: ReaderReads, role: str, reader: str) -> set[tuple[str, str]]:
    """The exam pairs ``reader`` counted on ``role`` (both lobes)."""
    c = reads.counts[(reads.counts["series_role"] == role) & (reads.counts["reader"] == reader)
                     & reads.counts["count"].notna()]
    lobes = c.groupby(["patient_id", "exam_pair_id"])["lobe"].nunique()
    return {(str(p), str(e)) for (p, e), n in lobes.items() if n >= 2}


def _no_detection(reads: ReaderReads, role: str, a: str, b: str) -> str:
    """Why a detection row has no lesion: "no lesion seen by either reader" only where both counted the series of one
    exam pair (and neither recorded a lesion there); detection compares what both read (a store: the count marks of
    series counted on both lobes), so a series measured but not counted was said to have no lesion, its lines
    (R1 24.9 mm, R2 31.8 mm on DWI) notwithstanding (a radiologist-engineer's reader study, session 48)."""
    ca, cb = _counted_pairs(reads, role, a), _counted_pairs(reads, role, b)
    if ca & cb:
        return "no lesion seen by either reader"
    lines = reads.diameters[(reads.diameters["series_role"] == role) & reads.diameters["reader"].isin([a, b])]
    measured = f" ({len(lines)} line{'s' if len(lines) != 1 else ''} measured: detection compares the count marks)" \
        if len(lines) else ""
    if not ca and not cb:
        return f"not counted by either reader{measured}"
    if ca and cb:
        return f"no exam pair counted by both readers{measured}"
    return f"not counted by {b if ca else a}{measured}"


def agreement_table(reads: ReaderReads) -> pd.DataFrame:
    """The whole of agreement.csv, in the column order of the format."""
    rows: list[Row] = []
    for role in ROLE_VALUES:
        rows += diameter_rows(reads, role)
        rows += count_rows(reads, role)
        rows += detection_rows(reads, role)
    table = pd.DataFrame(rows).reindex(columns=list(AGREEMENT_COLUMNS))
    for col in NUMBER_COLUMNS:
        table[col] = pd.to_numeric(table[col], errors="coerce").astype(float)
    for col in ("n_subjects", "n_readers"):
        table[col] = table[col].astype(int)
    for col in ("reader_a", "reader_b", "note"):
        table[col] = table[col].fillna("").astype(str)
    return table
