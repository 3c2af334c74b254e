"""The R-equivalent tests: exact distribution, degenerate cases, Holm, agreement with scipy
configured the way R works."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.paired_tests import (
    compare_paired,
    holm,
    paired_t_test,
    psignrank,
    wilcoxon_signed_rank,
)


class TestPsignrank:
    @pytest.mark.parametrize("n", [1, 2, 5, 12, 30, 49])
    def test_is_a_distribution_symmetric_about_its_mean(self, n: int) -> None:
        top = n * (n + 1) // 2
        assert psignrank(top, n) == 1.0
        assert psignrank(-1, n) == 0.0
        for k in range(0, top, max(1, top // 17)):
            assert psignrank(k, n) == pytest.approx(psignrank(top - k - 1, n, lower_tail=False))
            assert psignrank(k, n) + psignrank(k, n, lower_tail=False) == pytest.approx(1.0)

    def test_small_n_by_enumeration(self) -> None:
        n = 6
        sums = [sum(r for r in range(1, n + 1) if mask >> (r - 1) & 1) for mask in range(2**n)]
        for k in range(0, 22):
            assert psignrank(k, n) == sum(s <= k for s in sums) / 2**n


class TestWilcoxonAgainstScipyConfiguredLikeR:
    """scipy with R's choices spelled out: an independent implementation of the same test."""

    @given(st.lists(st.integers(-400, 400).filter(lambda v: v != 0), min_size=1, max_size=40, unique_by=abs))
    @settings(max_examples=60, deadline=None)
    def test_exact_when_no_ties_no_zeros(self, diffs: list[int]) -> None:
        d = np.asarray(diffs, dtype=float)
        ours = wilcoxon_signed_rank(d, np.zeros_like(d))
        assert ours.method == "exact"
        assert ours.v == float(stats.rankdata(np.abs(d))[d > 0].sum())
        if d.size >= 2:
            ref = stats.wilcoxon(d, zero_method="wilcox", correction=False, method="exact")
            assert ours.p == pytest.approx(ref.pvalue, rel=1e-9)

    @given(st.lists(st.integers(-6, 6), min_size=10, max_size=90))
    @settings(max_examples=60, deadline=None)
    def test_normal_with_ties_or_zeros(self, diffs: list[int]) -> None:
        d = np.asarray(diffs, dtype=float)
        ours = wilcoxon_signed_rank(d, np.zeros_like(d))
        nz = d[d != 0]
        if nz.size == 0:
            assert ours.p is None and ours.note
            return
        if ours.method == "exact":
            return
        ref = stats.wilcoxon(nz, zero_method="wilcox", correction=True, method="approx")
        assert ours.p == pytest.approx(ref.pvalue, rel=1e-9)

    def test_n_counted_after_dropping_zeros(self) -> None:
        # 49 non-zero untied differences + zeros: R uses n = 49 but falls back to normal (zeros)
        d = np.r_[np.arange(1, 50, dtype=float), 0.0]
        res = wilcoxon_signed_rank(d, np.zeros_like(d))
        assert res.n_nonzero == 49 and res.method == "normal"
        res = wilcoxon_signed_rank(d[:-1], np.zeros(49))
        assert res.method == "exact"
        res = wilcoxon_signed_rank(np.arange(1, 51, dtype=float), np.zeros(50))
        assert res.method == "normal"


class TestDegenerate:
    def test_no_pairs(self) -> None:
        c = compare_paired(np.array([]), np.array([]))
        assert c.n == 0 and c.mean_diff is None and c.wilcoxon.p is None and c.ttest.p is None
        assert c.note == "no pairs"

    def test_one_pair(self) -> None:
        c = compare_paired(np.array([3.0]), np.array([1.0]))
        assert c.n == 1 and c.mean_diff == 2.0
        assert c.ttest.t is None and c.ci_low is None and "fewer than 2" in c.note
        assert c.wilcoxon.v == 1.0 and c.wilcoxon.p == 1.0  # what R returns

    def test_all_differences_zero(self) -> None:
        x = np.array([10.0, 12.5, 30.0])
        c = compare_paired(x, x.copy())
        assert c.wilcoxon.v == 0.0 and c.wilcoxon.p is None
        assert c.ttest.p is None and c.ttest.t is None and c.ttest.df == 2.0  # as R: t NaN, df n-1
        assert "all differences are zero" in c.note

    def test_constant_nonzero_differences(self) -> None:
        x = np.array([10.0, 12.0, 30.0, 41.0])
        t = paired_t_test(x, x - 2.0)
        assert t.t is None and t.p is None and "constant" in t.note

    def test_nan_pairs_are_dropped_not_used(self) -> None:
        x = np.array([1.0, 2.0, np.nan, 4.0, 8.0])
        y = np.array([0.5, np.nan, 3.0, 3.0, 6.0])
        c = compare_paired(x, y)
        assert c.n == 3
        assert c.mean_diff == pytest.approx(np.mean([0.5, 1.0, 2.0]))


class TestHolm:
    def test_known_small_case(self) -> None:
        # p.adjust(c(0.01, 0.04, 0.03, NA), "holm") = 0.03 0.06 0.06 NA
        assert holm([0.01, 0.04, 0.03, None]) == pytest.approx([0.03, 0.06, 0.06, None])

    @given(st.lists(st.one_of(st.none(), st.floats(0, 1)), max_size=20))
    @settings(max_examples=200, deadline=None)
    def test_monotone_bounded_na_preserving(self, ps: list[float | None]) -> None:
        adj = holm(ps)
        known = [(p, a) for p, a in zip(ps, adj) if p is not None]
        assert all(a is None for p, a in zip(ps, adj) if p is None)
        for p, a in known:
            assert a is not None and p <= a + 1e-15 and a <= 1.0
        for p1, a1 in known:
            for p2, a2 in known:
                if p1 < p2:
                    assert a1 <= a2  # type: ignore[operator]

