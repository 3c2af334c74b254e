"""analysis.agreement_stats: the exact CIs of the limits of agreement checked by independent
computations (numerical integration of the pivot, simulation of coverage, the large-n
approximation), the repeated-measures limits against a REML variance-components fit, and the
degenerate cases (one subject, constant values, one reader) empty with a reason.

R itself is compared in test_agreement_rscript.py; the reference cohort in
test_agreement_reference.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

from analysis.agreement_stats import (
    LOA_Z,
    exact_limit_factors,
    icc_two_way,
    limits_of_agreement,
    percent_differences,
    positive_agreement,
    repeated_measures_loa,
    weighted_kappa,
)


def _pivot_cdf(t: float, n: int, z: float) -> float:
    """P(T <= t), T = (Z + z √n) / (U / √ν), U ~ χ(ν), ν = n − 1: Φ(t U/√ν − z √n) averaged over
    the χ density by Simpson's rule on a fine grid (no non-central t involved)."""
    nu = n - 1
    delta = z * math.sqrt(n)
    u = np.linspace(0.0, math.sqrt(float(stats.chi2.isf(1e-16, nu))), 200_001)
    with np.errstate(divide="ignore"):
        log_pdf = (nu - 1) * np.log(u) - u**2 / 2 - (nu / 2 - 1) * math.log(2) - special.gammaln(nu / 2)
    return float(integrate.simpson(special.ndtr(t * u / math.sqrt(nu) - delta) * np.exp(log_pdf), x=u))


class TestExactLimitFactors:
    @pytest.mark.parametrize("n", [3, 5, 10, 30, 100])
    def test_equal_the_pivot_quantiles_by_integration(self, n: int) -> None:
        """Carkeet 2015: the CI of μ + 1.96σ is d̄ + s·t'_q/√n; t'_q solved here without scipy's nct."""
        k_low, k_high = exact_limit_factors(n)
        root = math.sqrt(n)
        for q, k in ((0.025, k_low), (0.975, k_high)):
            guess = k * root
            t = optimize.brentq(lambda t: _pivot_cdf(t, n, LOA_Z) - q, guess * 0.5 - 1, guess * 2 + 1, xtol=1e-12)
            assert k == pytest.approx(t / root, rel=1e-7)

    def test_cover_the_true_limit_95_percent_of_the_time(self) -> None:
        rng = np.random.default_rng(3)
        n, runs, mu, sigma = 8, 40_000, 1.5, 2.0
        d = rng.normal(mu, sigma, size=(runs, n))
        mean, sd = d.mean(axis=1), d.std(axis=1, ddof=1)
        k_low, k_high = exact_limit_factors(n)
        upper = mu + LOA_Z * sigma
        below = np.mean(mean + k_high * sd < upper)  # CI entirely below the true limit
        above = np.mean(mean + k_low * sd > upper)
        assert below == pytest.approx(0.025, abs=0.004) and above == pytest.approx(0.025, abs=0.004)

    def test_tend_to_bland_altmans_approximation_for_large_n(self) -> None:
        """Bland & Altman 1986: SE of a limit ≈ √((1 + 1.96²/2) s² / n), which they round to √(3 s² / n)."""
        n = 5000
        k_low, k_high = exact_limit_factors(n)
        half = (k_high - k_low) / 2
        assert half == pytest.approx(1.959964 * math.sqrt((1 + LOA_Z**2 / 2) / n), rel=1e-3)
        assert half == pytest.approx(1.959964 * math.sqrt(3 / n), rel=0.02)
        assert (k_low + k_high) / 2 == pytest.approx(LOA_Z, rel=1e-3)


class TestLimitsOfAgreement:
    def test_values(self) -> None:
        d = np.array([1.0, -0.5, 0.25, 2.0, -1.0, 0.5])
        loa = limits_of_agreement(d)
        sd = d.std(ddof=1)
        assert loa.bias == pytest.approx(d.mean()) and loa.sd == pytest.approx(sd)
        assert (loa.loa_low, loa.loa_high) == pytest.approx((d.mean() - 1.96 * sd, d.mean() + 1.96 * sd))
        k_low, k_high = exact_limit_factors(6)
        assert loa.loa_high_ci_low == pytest.approx(d.mean() + k_low * sd)
        assert loa.loa_low_ci_low == pytest.approx(d.mean() - k_high * sd)

    @pytest.mark.parametrize("n", [0, 1, 2])
    def test_fewer_than_three_subjects_are_empty_with_a_reason(self, n: int) -> None:
        loa = limits_of_agreement(np.arange(n, dtype=float))
        assert loa.bias is None and loa.loa_high_ci_high is None and "fewer than 3" in loa.note

    def test_equal_differences_give_zero_width_limits_and_say_so(self) -> None:
        loa = limits_of_agreement([0.5, 0.5, 0.5, 0.5])
        assert loa.loa_low == loa.loa_high == loa.loa_high_ci_high == pytest.approx(0.5)
        assert "SD 0" in loa.note

    def test_percent_of_the_pair_mean(self) -> None:
        assert percent_differences([11.0, 9.0], [9.0, 11.0]) == pytest.approx([20.0, -20.0])
        assert math.isnan(percent_differences([0.0], [0.0])[0])


class TestRepeatedMeasuresLimits:
    def test_equal_a_reml_variance_components_fit_on_balanced_data(self) -> None:
        """Balanced one-way data: the ANOVA estimates of B&A 2007 are the REML estimates."""
        import statsmodels.api as sm

        rng = np.random.default_rng(7)
        patients, per = 25, 3
        groups = np.repeat(np.arange(patients), per)
        d = 0.4 + rng.normal(0, 1.2, patients)[groups] + rng.normal(0, 0.8, patients * per)
        rm = repeated_measures_loa(d, groups)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.MixedLM(d, np.ones((d.size, 1)), groups=groups).fit(reml=True)
        var_patient = float(np.asarray(fit.cov_re)[0, 0])
        assert var_patient > 0
        sd = math.sqrt(var_patient + fit.scale)
        assert rm.sd == pytest.approx(sd, rel=1e-5)
        assert (rm.loa_low, rm.loa_high) == pytest.approx((d.mean() - 1.96 * sd, d.mean() + 1.96 * sd), rel=1e-5)

    def test_bland_altman_2007_divisor_on_unbalanced_data(self) -> None:
        d = np.array([1.0, 2.0, 3.0, 0.0, -1.0, 4.0, 5.0, 6.0, 5.5])
        g = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
        means = np.array([2.0, -0.5, 5.125])
        m = np.array([3, 2, 4])
        msb = float((m * (means - d.mean()) ** 2).sum()) / 2
        msw = float(((d - means[g]) ** 2).sum()) / (9 - 3)
        var_b = (msb - msw) / ((9**2 - (m**2).sum()) / (2 * 9))
        assert repeated_measures_loa(d, g).sd == pytest.approx(math.sqrt(var_b + msw))

    def test_one_subject_per_patient_is_the_plain_limits(self) -> None:
        d = np.array([0.3, -1.2, 0.8, 2.2, -0.4])
        rm, plain = repeated_measures_loa(d, np.arange(5)), limits_of_agreement(d)
        assert (rm.loa_low, rm.loa_high) == pytest.approx((plain.loa_low, plain.loa_high)) and rm.note == ""

    def test_negative_between_patient_variance_is_taken_as_zero(self) -> None:
        d = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])  # patients' means equal, all spread within
        rm = repeated_measures_loa(d, np.array([0, 0, 1, 1, 2, 2]))
        assert "< 0" in rm.note and rm.sd == pytest.approx(math.sqrt(((d - 0) ** 2).sum() / 3))


class TestIccDegenerate:
    @pytest.mark.parametrize("x", [[[1.0, 2.0]], [[1.0, 2.0], [3.0, 3.5]]])
    def test_fewer_than_three_subjects(self, x: list[list[float]]) -> None:
        icc = icc_two_way(x)
        assert icc.icc_a1 is None and icc.icc_ak_ci_high is None and "fewer than 3 subjects" in icc.note

    def test_constant_values(self) -> None:
        icc = icc_two_way(np.full((5, 2), 12.5))
        assert icc.icc_a1 is None and "all values equal" in icc.note

    def test_one_reader(self) -> None:
        icc = icc_two_way(np.arange(6.0).reshape(6, 1))
        assert icc.icc_a1 is None and "1 reader" in icc.note

    def test_identical_readers_agree_perfectly(self) -> None:
        icc = icc_two_way(np.column_stack([[3.0, 7, 12, 5], [3.0, 7, 12, 5], [3.0, 7, 12, 5]]))
        assert (icc.icc_a1, icc.icc_a1_ci_low, icc.icc_a1_ci_high, icc.icc_ak) == (1.0, 1.0, 1.0, 1.0)

    def test_matrix_required(self) -> None:
        with pytest.raises(ValueError):
            icc_two_way([1.0, 2.0, 3.0])


class TestKappa:
    def test_perfect_agreement(self) -> None:
        k = weighted_kappa([0, 1, 2, 5, 5], [0, 1, 2, 5, 5])
        assert k.kappa == pytest.approx(1.0)

    def test_one_value_only_is_empty_with_a_reason(self) -> None:
        k = weighted_kappa([4, 4, 4], [4, 4, 4])
        assert k.kappa is None and "one value only" in k.note

    def test_weights_are_on_the_ranks_of_the_observed_values(self) -> None:
        """Counts 0, 1 and 10: 1 vs 10 is one category apart, as in psych."""
        a, b = [0, 1, 10, 10], [0, 10, 10, 1]
        k = weighted_kappa(a, b)
        same = weighted_kappa([0, 1, 2, 2], [0, 2, 2, 1])
        assert k.kappa == pytest.approx(same.kappa)

    def test_too_few(self) -> None:
        assert weighted_kappa([1, 2], [1, 2]).kappa is None


def test_positive_specific_agreement() -> None:
    assert positive_agreement(8, 1, 3) == pytest.approx(16 / 20)
    assert positive_agreement(0, 0, 0) is None
    assert positive_agreement(0, 2, 0) == 0.0
