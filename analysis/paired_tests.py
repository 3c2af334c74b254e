"""Paired tests that reproduce R 4.x's ``wilcox.test(x, y, paired = TRUE)`` and
``t.test(x, y, paired = TRUE)`` with their defaults, and R's ``p.adjust(p, "holm")``.

Written out rather than delegated to scipy because scipy's defaults differ from R's
(``scipy.stats.wilcoxon`` uses ``zero_method="wilcox"`` like R but its ``method="auto"`` switches
to the exact distribution on other rules, does not apply the continuity correction by default,
and reports min(W+, W-) rather than R's V). What R does, from ``wilcox.test.default``:

- differences d = x - y over complete pairs; zero differences are dropped and n is counted
  *after* dropping them;
- V = sum of the ranks of |d| (average ranks for ties) where d > 0;
- exact p-value (distribution of the signed-rank sum) when n < 50 and there are neither ties nor
  zeros; otherwise the normal approximation with continuity correction 0.5 * sign(z) and the
  tie-corrected variance n(n+1)(2n+1)/24 - sum(t^3 - t)/48.

Ties are decided on the floating-point differences exactly as R does (27.3 - 27.2 and
13.9 - 13.8 are *not* tied in double precision), and means and variances use R's two-pass
long-double algorithms so that ties between per-patient means agree with R's too.

Degenerate cases follow R: where R stops with an error (no pairs, n < 2 for t, essentially
constant differences) the value is None with a reason; where R returns NaN (all differences zero)
the p-value is None with a reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from scipy import stats

EXACT_N_LIMIT = 50  # R: exact <- (n < 50)
_EPS = float(np.finfo(float).eps)


def _seq_sum(v: np.ndarray) -> np.longdouble:
    """Left-to-right sum in long double, R's loop order (numpy's sum is pairwise)."""
    return np.cumsum(v, dtype=np.longdouble)[-1] if v.size else np.longdouble(0)


def r_mean(x: npt.ArrayLike) -> float:
    """R's ``mean()``: long-double sequential sum, divide, then one refinement pass."""
    v = np.asarray(x, dtype=np.longdouble)
    n = v.size
    if n == 0:
        return math.nan
    s = _seq_sum(v) / n
    if np.isfinite(s):
        s = s + _seq_sum(v - s) / n
    return float(s)


def r_var(x: npt.ArrayLike) -> float:
    """R's ``var()`` of a vector (cov.c): double deviations from R's mean, their squares summed
    in long double, divided by n - 1."""
    v = np.asarray(x, dtype=float)
    n = v.size
    if n < 2:
        return math.nan
    dev = v - r_mean(v)
    return float(_seq_sum(dev * dev) / (n - 1))


@lru_cache(maxsize=64)
def _signrank_cdf(n: int) -> np.ndarray:
    """cdf[k] = P(V <= k) for the exact signed-rank distribution with n untied ranks.

    Counts of subsets of {1..n} with each sum, by dynamic programming; they stay below 2**49
    for n < 50, so int64 holds them exactly.
    """
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1, dtype=np.int64)
    counts[0] = 1
    for r in range(1, n + 1):
        counts[r:] = counts[r:] + counts[: top + 1 - r]
    return np.cumsum(counts) / float(2**n)


def psignrank(q: float, n: int, lower_tail: bool = True) -> float:
    """R's ``psignrank(q, n, lower.tail)``."""
    top = n * (n + 1) // 2
    k = int(math.floor(q + 1e-7))
    if k < 0:
        p_lower = 0.0
    elif k >= top:
        p_lower = 1.0
    else:
        p_lower = float(_signrank_cdf(n)[k])
    if lower_tail:
        return p_lower
    if k < 0:
        return 1.0
    if k >= top:
        return 0.0
    # upper tail from the complementary counts, exactly (avoids 1 - p cancellation)
    return float(_signrank_cdf(n)[top - k - 1])


@dataclass(frozen=True, slots=True)
class WilcoxonResult:
    n_nonzero: int
    v: float | None
    p: float | None
    method: str  # "exact" | "normal" | ""
    note: str = ""


def wilcoxon_signed_rank(x: npt.ArrayLike, y: npt.ArrayLike) -> WilcoxonResult:
    """R's ``wilcox.test(x, y, paired = TRUE)`` (two-sided, mu = 0, correct = TRUE)."""
    xv = np.asarray(x, dtype=float)
    yv = np.asarray(y, dtype=float)
    ok = ~(np.isnan(xv) | np.isnan(yv))
    d = xv[ok] - yv[ok]
    if d.size < 1:
        return WilcoxonResult(0, None, None, "", "no pairs")
    zeroes = bool(np.any(d == 0))
    d = d[d != 0]
    n = int(d.size)
    r = stats.rankdata(np.abs(d), method="average")
    v = float(r[d > 0].sum())
    if n == 0:
        return WilcoxonResult(0, v, None, "normal", "all differences are zero")
    ties = np.unique(r).size != r.size
    if n < EXACT_N_LIMIT and not ties and not zeroes:
        if v > n * (n + 1) / 4:
            p = psignrank(v - 1, n, lower_tail=False)
        else:
            p = psignrank(v, n)
        return WilcoxonResult(n, v, min(2.0 * p, 1.0), "exact")
    _, nties = np.unique(r, return_counts=True)
    z = v - n * (n + 1) / 4
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - float(np.sum(nties**3 - nties)) / 48)
    correction = math.copysign(0.5, z) if z != 0 else 0.0
    if sigma == 0:  # only reachable with n == 0, handled above; kept for safety
        return WilcoxonResult(n, v, None, "normal", "zero variance")
    z = (z - correction) / sigma
    p = 2.0 * min(float(stats.norm.cdf(z)), float(stats.norm.sf(z)))
    return WilcoxonResult(n, v, p, "normal")


@dataclass(frozen=True, slots=True)
class TTestResult:
    t: float | None
    df: float | None
    p: float | None
    ci_low: float | None
    ci_high: float | None
    note: str = ""


def _t_far_tail(t: float, df: float) -> float:
    """P(T > t) for t so large that scipy underflows: c * nu^((nu+1)/2) * t^-nu / nu, whose
    relative error is O(1/t^2), computed in logs."""
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    log_sf = log_c + (df + 1) / 2 * math.log(df) - df * math.log(t) - math.log(df)
    try:
        return math.exp(log_sf)
    except OverflowError:  # pragma: no cover - log_sf is hugely negative here, never positive
        return 0.0


def paired_t_test(x: npt.ArrayLike, y: npt.ArrayLike, conf_level: float = 0.95) -> TTestResult:
    """R's ``t.test(x, y, paired = TRUE)`` (two-sided, mu = 0, 95 % interval)."""
    xv = np.asarray(x, dtype=float)
    yv = np.asarray(y, dtype=float)
    ok = ~(np.isnan(xv) | np.isnan(yv))
    d = xv[ok] - yv[ok]
    n = int(d.size)
    if n < 2:
        return TTestResult(None, None, None, None, None, "fewer than 2 pairs: t test not computable")
    mx = r_mean(d)
    stderr = math.sqrt(r_var(d) / n)
    if stderr == 0 and mx == 0:  # R goes on to t = 0/0: NaN statistic, p and interval, df kept
        return TTestResult(None, float(n - 1), None, None, None,
                           "all differences are zero: t test not computable")
    if stderr < 10 * _EPS * abs(mx):  # R: stop("data are essentially constant")
        return TTestResult(None, None, None, None, None,
                           "differences are constant: t test not computable")
    t = mx / stderr
    df = float(n - 1)
    p = 2.0 * float(stats.t.sf(abs(t), df))
    if p == 0.0:  # far tail (near-constant differences): R's pt still returns a subnormal
        p = 2.0 * _t_far_tail(abs(t), df)
    q = float(stats.t.ppf(1 - (1 - conf_level) / 2, df))
    return TTestResult(t, df, p, mx - q * stderr, mx + q * stderr)


def holm(pvalues: list[float | None]) -> list[float | None]:
    """R's ``p.adjust(p, "holm")``; None (NA) entries stay None and do not count in m."""
    idx = [i for i, p in enumerate(pvalues) if p is not None and not math.isnan(p)]
    out: list[float | None] = [None] * len(pvalues)
    m = len(idx)
    order = sorted(idx, key=lambda i: pvalues[i])  # type: ignore[arg-type, return-value]
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * float(pvalues[i]))  # type: ignore[arg-type]
        out[i] = min(1.0, running)
    return out


@dataclass(frozen=True, slots=True)
class PairedComparison:
    """Everything one row of paired_tests.csv says about x (series a) versus y (series b)."""

    n: int
    mean_a: float | None
    mean_b: float | None
    mean_diff: float | None
    ci_low: float | None
    ci_high: float | None
    median_diff: float | None
    wilcoxon: WilcoxonResult
    ttest: TTestResult

    @property
    def note(self) -> str:
        notes = [s for s in (self.wilcoxon.note, self.ttest.note) if s]
        if self.n == 0:
            return "no pairs"
        return "; ".join(dict.fromkeys(notes))


def compare_paired(x: npt.ArrayLike, y: npt.ArrayLike) -> PairedComparison:
    """Descriptives, Wilcoxon and t test of x - y over complete pairs."""
    xv = np.asarray(x, dtype=float)
    yv = np.asarray(y, dtype=float)
    ok = ~(np.isnan(xv) | np.isnan(yv))
    xv, yv = xv[ok], yv[ok]
    n = int(xv.size)
    w = wilcoxon_signed_rank(xv, yv)
    t = paired_t_test(xv, yv)
    if n == 0:
        return PairedComparison(0, None, None, None, None, None, None, w, t)
    d = xv - yv
    return PairedComparison(
        n=n,
        mean_a=r_mean(xv),
        mean_b=r_mean(yv),
        mean_diff=r_mean(d),
        ci_low=t.ci_low,
        ci_high=t.ci_high,
        median_diff=float(np.median(d)),
        wilcoxon=w,
        ttest=t,
    )
