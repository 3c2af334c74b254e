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
from scipy import special, stats

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
    p = min(1.0, 2.0 * min(r_pnorm(z), r_pnorm(z, lower_tail=False)))
    return WilcoxonResult(n, v, p, "normal")


@dataclass(frozen=True, slots=True)
class TTestResult:
    t: float | None
    df: float | None
    p: float | None
    ci_low: float | None
    ci_high: float | None
    note: str = ""


#: R's pnorm gives exactly 0 beyond this many standard deviations (pnorm.c, pnorm_both).
R_PNORM_ZERO_BEYOND = 37.5193
#: Below this, scipy's t survival function is replaced by the continued fraction in logs
#: (scipy underflows to 0 near 1e-308 where R still returns subnormals).
_T_FAR_TAIL_BELOW = 1e-100


def r_pnorm(x: float, lower_tail: bool = True) -> float:
    """R's ``pnorm(x, lower.tail)``: 0 beyond 37.5193 SD in the requested tail, as R gives it
    (scipy's ndtr would give subnormals such as 2.7e-310 there)."""
    if math.isnan(x):
        return math.nan
    if lower_tail:
        return 0.0 if x <= -R_PNORM_ZERO_BEYOND else float(special.ndtr(x))
    return 0.0 if x >= R_PNORM_ZERO_BEYOND else float(special.ndtr(-x))


def _log_betainc_cf(a: float, b: float, x: float) -> float:
    """log I_x(a, b) by the continued fraction of the incomplete beta (modified Lentz), the
    prefactor x^a (1-x)^b / (a B(a, b)) taken in logs so nothing underflows. Valid (and quickly
    convergent) for x < (a + 1) / (a + b + 2)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    else:  # pragma: no cover - needs x beyond the convergence bound, excluded by the caller
        raise ArithmeticError(f"incomplete beta continued fraction did not converge (a={a}, b={b}, x={x})")
    return a * math.log(x) + b * math.log1p(-x) - float(special.betaln(a, b)) - math.log(a) + math.log(h)


def t_upper_tail(t: float, df: float) -> float:
    """R's ``pt(t, df, lower.tail = FALSE)`` for t >= 0, in [0, 0.5], valid to the far tail.

    P(T > t) = I_x(df/2, 1/2) / 2 with x = df / (df + t^2) (what R's pt computes through
    pbeta). Where that falls below 1e-100, scipy's survival function loses its digits and then
    underflows to 0 near 1e-308; there the incomplete beta is taken in logs, so the result is
    exact down to R's subnormals (pt(-45.3, 2057) = 1.0e-311) and 0 where R's is 0, at any
    number of degrees of freedom (R's normal approximation above 4e5 df went with R 2.6).
    """
    if not t >= 0:
        raise ValueError(f"t_upper_tail needs t >= 0, got {t}")
    p = float(stats.t.sf(t, df))
    if p >= _T_FAR_TAIL_BELOW:
        return p
    a, b = df / 2.0, 0.5
    log_t2 = 2.0 * math.log(t)
    log_den = log_t2 + math.log1p(df / (t * t))  # log(df + t^2)
    x = math.exp(math.log(df) - log_den)
    if x >= (a + 1.0) / (a + b + 2.0):  # pragma: no cover - p this small needs x far below the bound
        return p
    log_p = _log_betainc_cf(a, b, x) - math.log(2.0)
    return math.exp(log_p) if log_p > -800 else 0.0


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
    p = min(1.0, 2.0 * t_upper_tail(abs(t), df))  # R: 2 * pt(-abs(t), df)
    q = float(stats.t.ppf(1 - (1 - conf_level) / 2, df))
    return TTestResult(t, df, p, mx - q * stderr, mx + q * stderr)


def holm(pvalues: list[float | None]) -> list[float | None]:
    """R's ``p.adjust(p, "holm")``; None (NA) entries stay None and do not count in m."""
    idx = [i for i, p in enumerate(pvalues) if p is not None and not math.isnan(p)]
    bad = [pvalues[i] for i in idx if not 0.0 <= pvalues[i] <= 1.0]  # type: ignore[operator]
    if bad:
        raise ValueError(f"Holm adjustment of p-values outside [0, 1]: {bad}")
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
