"""Pairing rules: symmetric in the two series, and a row missing or unusable on one series never
enters a pair (lesions, patients, exam-pair counts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.inputs import raw_from_frame, validate_counts, validate_measurements
from analysis.paired_tests import compare_paired
from analysis.pairing import DiameterPairs, count_matrices
from analysis.schema import ROLE_VALUES, Region
from analysis.tables import paired_tests_table

roles = st.sampled_from(ROLE_VALUES)
distinct_roles = st.lists(roles, min_size=2, max_size=2, unique=True)


@st.composite
def measurement_tables(draw: st.DrawFn) -> pd.DataFrame:
    """Random lesions x series with measured / not_visible / missing rows."""
    rows = []
    for p in range(draw(st.integers(1, 5))):
        for e in range(draw(st.integers(1, 2))):
            for k in range(draw(st.integers(0, 4))):
                for role in ROLE_VALUES:
                    state = draw(st.sampled_from(["measured", "measured", "not_visible", "missing"]))
                    if state == "missing":
                        continue
                    d = draw(st.integers(50, 600)) / 10 if state == "measured" else ""
                    rows.append({"patient_id": f"P{p}", "exam_pair_id": f"P{p}-E{e}", "reader": "R1",
                                 "lesion_id": f"L{k}", "lobe": "right", "series_role": role,
                                 "diameter_mm": d, "status": state})
    cols = ["patient_id", "exam_pair_id", "reader", "lesion_id", "lobe", "series_role",
            "diameter_mm", "status"]
    return pd.DataFrame(rows, columns=cols)


@st.composite
def count_tables(draw: st.DrawFn) -> pd.DataFrame:
    rows = []
    for p in range(draw(st.integers(1, 6))):
        for role in ROLE_VALUES:
            for lobe in ("right", "left"):
                state = draw(st.sampled_from(["ok", "ok", "ok", "uncountable", "not_read", "missing"]))
                if state == "missing":
                    continue
                rows.append({"patient_id": f"P{p}", "exam_pair_id": f"P{p}-E1", "reader": "R1",
                             "series_role": role, "lobe": lobe,
                             "count": "" if state in ("uncountable", "not_read") else draw(st.integers(0, 40)),
                             "uncountable": state == "uncountable",
                             "count_status": {"ok": "counted", "uncountable": "not_countable"}.get(state, state)})
    cols = ["patient_id", "exam_pair_id", "reader", "series_role", "lobe", "count", "uncountable", "count_status"]
    return pd.DataFrame(rows, columns=cols)


def _measured(df: pd.DataFrame, role: str) -> dict[tuple[str, ...], float]:
    sub = df[(df["series_role"] == role) & (df["status"] == "measured")]
    return {tuple(r[:4]): float(r[4]) for r in
            sub[["patient_id", "exam_pair_id", "reader", "lesion_id", "diameter_mm"]].itertuples(index=False)}


def _diameters(df: pd.DataFrame) -> DiameterPairs:
    return DiameterPairs.from_measurements(validate_measurements(raw_from_frame(df, "m")))


@given(measurement_tables(), distinct_roles)
@settings(max_examples=60, deadline=None)
def test_lesion_pairs_are_exactly_the_lesions_measured_on_both(df: pd.DataFrame, ab: list[str]) -> None:
    a, b = ab
    pairs = _diameters(df).lesion_pairs(a, b)
    on_a, on_b = _measured(df, a), _measured(df, b)
    assert set(pairs.index) == set(on_a) & set(on_b)
    for key, row in pairs.iterrows():
        assert row[a] == on_a[key] and row[b] == on_b[key]


@given(measurement_tables(), distinct_roles)
@settings(max_examples=60, deadline=None)
def test_patient_means_use_only_lesions_measured_on_both(df: pd.DataFrame, ab: list[str]) -> None:
    a, b = ab
    pairs = _diameters(df).patient_pairs(a, b)
    on_a, on_b = _measured(df, a), _measured(df, b)
    both = set(on_a) & set(on_b)
    assert set(pairs.index) == {(k[0], k[2]) for k in both}
    for (pid, reader), row in pairs.iterrows():
        keys = [k for k in both if k[0] == pid and k[2] == reader]
        assert row[a] == pytest.approx(np.mean([on_a[k] for k in keys]), rel=1e-12)
        assert row[b] == pytest.approx(np.mean([on_b[k] for k in keys]), rel=1e-12)


@given(count_tables(), distinct_roles, st.sampled_from(list(Region)))
@settings(max_examples=60, deadline=None)
def test_count_pairs_only_from_countable_rows_on_both(df: pd.DataFrame, ab: list[str], region: Region) -> None:
    a, b = ab
    pairs, excluded, unread = count_matrices(validate_counts(raw_from_frame(df, "c")))[region].pairs(a, b)
    lobes = ("right", "left") if region is Region.WHOLE else (region.value,)

    def usable(pid: str, role: str) -> float | None:
        total = 0.0
        for lobe in lobes:
            hit = df[(df.patient_id == pid) & (df.series_role == role) & (df.lobe == lobe)]
            if hit.empty or hit.count_status.iloc[0] != "counted":
                return None  # a series not read is never a 0
            total += float(hit["count"].iloc[0])
        return total

    expected = {}
    flagged = not_read = 0
    for pid in df.patient_id.unique():
        va, vb = usable(pid, a), usable(pid, b)
        if va is not None and vb is not None:
            expected[(pid, f"{pid}-E1", "R1")] = (va, vb)
        rows = df[(df.patient_id == pid) & df.series_role.isin([a, b]) & df.lobe.isin(lobes)]
        is_flagged = bool(rows.uncountable.astype(bool).any())
        flagged += is_flagged
        not_read += (not is_flagged) and bool((rows.count_status == "not_read").any())
    assert {k: (r[a], r[b]) for k, r in pairs.iterrows()} == expected
    assert (excluded, unread) == (flagged, not_read)


@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300)), min_size=0, max_size=60))
@settings(max_examples=80, deadline=None)
def test_swapping_series_negates_differences_and_keeps_p(values: list[tuple[int, int]]) -> None:
    x = np.array([v[0] for v in values], dtype=float) / 10
    y = np.array([v[1] for v in values], dtype=float) / 10
    ab, ba = compare_paired(x, y), compare_paired(y, x)
    assert ab.n == ba.n and ab.note == ba.note
    for f in ("mean_diff", "median_diff"):
        u, v = getattr(ab, f), getattr(ba, f)
        assert (u is None and v is None) or u == pytest.approx(-v, abs=1e-12)
    assert ab.wilcoxon.p == ba.wilcoxon.p or ab.wilcoxon.p == pytest.approx(ba.wilcoxon.p, rel=1e-12)
    assert ab.ttest.p == ba.ttest.p or ab.ttest.p == pytest.approx(ba.ttest.p, rel=1e-12)
    if ab.ttest.t is not None:
        assert ab.ttest.t == pytest.approx(-ba.ttest.t)
        assert ab.ci_low == pytest.approx(-ba.ci_high) and ab.ci_high == pytest.approx(-ba.ci_low)
    if ab.wilcoxon.v is not None:
        n = ab.wilcoxon.n_nonzero
        assert ab.wilcoxon.v + ba.wilcoxon.v == pytest.approx(n * (n + 1) / 2)


@given(measurement_tables(), count_tables(), st.permutations(ROLE_VALUES))
@settings(max_examples=6, deadline=None)
def test_relabelling_series_permutes_the_table(meas: pd.DataFrame, counts: pd.DataFrame,
                                               perm: list[str]) -> None:
    """Renaming the roles of the input moves each comparison to its renamed pair, swapped if
    needed: differences negate, n and p-values stay."""
    rename = dict(zip(ROLE_VALUES, perm))

    def table(m: pd.DataFrame, c: pd.DataFrame) -> pd.DataFrame:
        return paired_tests_table(_diameters(m), count_matrices(validate_counts(raw_from_frame(c, "c"))))

    before = table(meas, counts)
    after = table(meas.assign(series_role=meas.series_role.map(rename)),
                  counts.assign(series_role=counts.series_role.map(rename)))
    key = ["analysis", "level", "region", "series_a", "series_b"]
    after_by_key = after.set_index(key)
    for r in before.itertuples(index=False):
        a, b = rename[r.series_a], rename[r.series_b]
        swapped = ROLE_VALUES.index(a) > ROLE_VALUES.index(b)
        other = after_by_key.loc[(r.analysis, r.level, r.region, *((b, a) if swapped else (a, b)))]
        assert other["n"] == r.n
        sign = -1 if swapped else 1
        for col in ("mean_diff", "median_diff", "ttest_t"):
            mine, theirs = getattr(r, col), other[col]
            assert (np.isnan(mine) and np.isnan(theirs)) or theirs == pytest.approx(sign * mine, abs=1e-9)
        for col in ("wilcoxon_p", "ttest_p"):
            mine, theirs = getattr(r, col), other[col]
            assert (np.isnan(mine) and np.isnan(theirs)) or theirs == pytest.approx(mine, rel=1e-9)
