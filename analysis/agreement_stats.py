"""Inter-reader agreement statistics, written out so that each one equals its reference.

- :func:`icc_two_way`: ICC(A,1) and ICC(A,k) of McGraw & Wong (two-way random effects, absolute
  agreement; Shrout & Fleiss ICC(2,1) / ICC(2,k)) with their F-based 95 % CIs, the formulas of R's
  ``psych::ICC(x, lmer = FALSE)`` rows "ICC2" and "ICC2k" (psych 2.2.9) on complete cases.
- :func:`limits_of_agreement`: Bland–Altman bias, limits bias ∓ 1.96 SD and the exact CI of each
  limit (Carkeet 2015, limits considered individually): with d̄, s from n differences, the pivot
  √n (d̄ + z σ − d̄) / s follows a non-central t with n − 1 df and non-centrality z √n, so the
  95 % CI of the upper limit is d̄ + s t'(α/2) / √n … d̄ + s t'(1 − α/2) / √n (one-sided
  tolerance factors) and the lower limit's mirrors it.
- :func:`repeated_measures_loa`: limits corrected for several subjects per patient (Bland &
  Altman 2007, "true value varies"): one-way ANOVA of the differences by patient,
  σ²_b = (MSB − MSW) / ((N² − Σ mᵢ²) / ((n − 1) N)) (0 when negative), SD = √(σ²_b + MSW).
- :func:`weighted_kappa`: quadratic-weighted Cohen's kappa and its CI exactly as
  ``psych::cohen.kappa`` computes them: categories are the values observed by either reader,
  weights 1 − (i − j)² / (c − 1)² on their *ranks*, the variance of psych's code (its marginal
  weighting included), bounds clipped to ±1.
- :func:`positive_agreement`: positive specific agreement 2a / (2a + b + c).

Everything undefined is ``None`` with the reason in ``note``; nothing here raises on data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from analysis.paired_tests import r_mean, r_var

#: Fewer subjects than this and a comparison is left empty (the reference's rule).
MIN_SUBJECTS = 3
#: Limits of agreement: bias ∓ LOA_Z × SD (Bland & Altman's 1.96).
LOA_Z = 1.96
ALPHA = 0.05


def _num(value: float) -> float | None:
    """A finite float, or None for NaN/inf (R's NaN/NA become empty cells)."""
    v = float(value)
    return v if math.isfinite(v) else None


def join_notes(*notes: str) -> str:
    return "; ".join(n for n in dict.fromkeys(notes) if n)


# ---------------------------------------------------------------------------------------- ICC
@dataclass(frozen=True)
class Icc:
    """ICC(A,1) and ICC(A,k) with their 95 % CIs; None where undefined (see ``note``)."""

    n_subjects: int
    n_raters: int
    icc_a1: float | None = None
    icc_a1_ci_low: float | None = None
    icc_a1_ci_high: float | None = None
    icc_ak: float | None = None
    icc_ak_ci_low: float | None = None
    icc_ak_ci_high: float | None = None
    note: str = ""


def _mean_squares(x: np.ndarray) -> tuple[float, float, float]:
    """(MSB subjects, MSJ raters, MSE residual) of the two-way ANOVA without interaction."""
    n, k = x.shape
    grand = x.mean()
    rows = x.mean(axis=1) - grand
    cols = x.mean(axis=0) - grand
    residuals = x - grand - rows[:, None] - cols[None, :]
    ss_rows = k * float((rows**2).sum())
    ss_cols = n * float((cols**2).sum())
    ss_error = float((residuals**2).sum())
    return ss_rows / (n - 1), ss_cols / (k - 1), ss_error / ((n - 1) * (k - 1))


def icc_two_way(ratings: npt.ArrayLike, alpha: float = ALPHA) -> Icc:
    """ICC(A,1)/ICC(A,k) of a complete subjects × raters matrix (psych::ICC's ICC2/ICC2k)."""
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2:
        raise ValueError("ratings must be a subjects x raters matrix")
    n, k = x.shape
    if k < 2:
        return Icc(n, k, note=f"{k} reader: agreement needs two")
    if n < MIN_SUBJECTS:
        return Icc(n, k, note=f"fewer than {MIN_SUBJECTS} subjects (n = {n})")
    spread = float(np.abs(x - x.mean()).max())
    if spread == 0:
        return Icc(n, k, note="all values equal: no variance, ICC undefined")
    msb, msj, mse = _mean_squares(x)
    if mse <= (1e-9 * spread) ** 2:  # an exact fit: psych's formulas at their limit MSE -> 0
        mse = 0.0
    icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
    # ICC(A,k)'s denominator is MSB + (MSJ - MSE) / n, zero exactly when ICC(A,1) = -1/(k-1) (equal
    # subject means with MSJ = MSE, or [[0, 0], [0, 1], [1, 0]]); within rounding of it the quotient is
    # rounding noise (psych gave 6.8e15 where this gave 1.4e16 on [[0, 1, 1], [2, 0, 0], [2, 0, 0]]):
    # undefined, and so is its interval
    den_k = msb + (msj - mse) / n
    icc2k = (msb - mse) / den_k if abs(den_k) > 1e-9 * (msb + (msj + mse) / n) else float("nan")
    if mse > 0:
        fj = msj / mse
        inner = k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2
        size = abs(k * icc2 * fj) + n * (1 + (k - 1) * abs(icc2)) + k * abs(icc2)
        if abs(inner) <= 1e-9 * size:  # Satterthwaite's df is 0 up to rounding: F quantiles undefined (R: NaN)
            inner = 0.0
        vn = (k - 1) * (n - 1) * inner ** 2
        vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        v = vn / vd if vn > 0 else float("nan")
    elif msj <= (1e-9 * spread) ** 2:  # identical readers: F_j = 0, ICC = 1
        v = float((k - 1) * (n - 1))
    else:  # readers differ by constants only: F_j -> infinity
        v = float(k - 1)
    with np.errstate(all="ignore"):
        f_upper = float(stats.f.ppf(1 - alpha / 2, n - 1, v))
        f_lower = float(stats.f.ppf(1 - alpha / 2, v, n - 1))
    denominator = k * msj + (k * n - k - n) * mse
    low = n * (msb - f_upper * mse) / (f_upper * denominator + n * msb)
    high = n * (f_lower * msb - mse) / (denominator + n * f_lower * msb)
    # Spearman-Brown of a bound at -1/(k-1) (up to rounding) divides by rounding: -1.8e15 here against psych's
    # +4.3e14 on [[6, 5], [8, 8], [4, 5]] (a property test's example): undefined, said
    low_k = low * k / (1 + low * (k - 1)) if math.isfinite(icc2k) and abs(1 + low * (k - 1)) > 1e-9 else float("nan")
    high_k = high * k / (1 + high * (k - 1)) if math.isfinite(icc2k) and abs(1 + high * (k - 1)) > 1e-9 \
        else float("nan")
    values = [_num(icc2), _num(low), _num(high), _num(icc2k), _num(low_k), _num(high_k)]
    notes = []
    if values[3] is None:
        notes.append("ICC(A,k) undefined: MSB + (MSJ - MSE)/n is 0 (ICC(A,1) = -1/(k-1))")
    if values[1] is None or values[2] is None:
        notes.append("ICC(A,1) CI undefined (F quantile not finite)")
    elif values[3] is not None and (values[4] is None or values[5] is None):
        notes.append("ICC(A,k) CI bound undefined: the ICC(A,1) bound is -1/(k-1)")
    note = "; ".join(notes)
    return Icc(n, k, icc_a1=values[0], icc_a1_ci_low=values[1], icc_a1_ci_high=values[2],
               icc_ak=values[3], icc_ak_ci_low=values[4], icc_ak_ci_high=values[5], note=note)


# ------------------------------------------------------------------------------ Bland–Altman
@dataclass(frozen=True)
class LimitsOfAgreement:
    """Bias, limits bias ∓ 1.96 SD and the exact 95 % CI of each limit."""

    n: int
    bias: float | None = None
    sd: float | None = None
    loa_low: float | None = None
    loa_high: float | None = None
    loa_low_ci_low: float | None = None
    loa_low_ci_high: float | None = None
    loa_high_ci_low: float | None = None
    loa_high_ci_high: float | None = None
    note: str = ""


def exact_limit_factors(n: int, z: float = LOA_Z, alpha: float = ALPHA) -> tuple[float, float]:
    """(k_low, k_high): the 95 % CI of the upper limit μ + zσ is d̄ + k_low s … d̄ + k_high s.

    Quantiles α/2 and 1 − α/2 of the non-central t (n − 1 df, non-centrality z √n), over √n
    (Carkeet 2015, each limit on its own; one-sided normal tolerance factors).
    """
    root = math.sqrt(n)
    q = stats.nct.ppf([alpha / 2, 1 - alpha / 2], n - 1, z * root)
    return float(q[0]) / root, float(q[1]) / root


def limits_of_agreement(differences: npt.ArrayLike, z: float = LOA_Z, alpha: float = ALPHA) -> LimitsOfAgreement:
    """Bland–Altman on paired differences (first reader − second)."""
    d = np.asarray(differences, dtype=float)
    n = int(d.size)
    if n < MIN_SUBJECTS:
        return LimitsOfAgreement(n, note=f"fewer than {MIN_SUBJECTS} subjects (n = {n})")
    bias = r_mean(d)
    sd = math.sqrt(r_var(d))
    low, high = bias - z * sd, bias + z * sd
    k_low, k_high = exact_limit_factors(n, z, alpha)
    return LimitsOfAgreement(n, bias, sd, low, high,
                             loa_low_ci_low=bias - k_high * sd, loa_low_ci_high=bias - k_low * sd,
                             loa_high_ci_low=bias + k_low * sd, loa_high_ci_high=bias + k_high * sd,
                             note="all differences equal (SD 0)" if sd == 0 else "")


def percent_differences(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
    """100 × (a − b) / mean(a, b): the difference in % of the pair mean (NaN where the mean is 0)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    mean = (x + y) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean != 0, 100.0 * (x - y) / mean, np.nan)


@dataclass(frozen=True)
class RepeatedLoa:
    """Limits of agreement with between- and within-patient variance (Bland & Altman 2007)."""

    n_subjects: int
    n_clusters: int
    bias: float | None = None
    sd: float | None = None
    loa_low: float | None = None
    loa_high: float | None = None
    note: str = ""


def repeated_measures_loa(differences: npt.ArrayLike, clusters: npt.ArrayLike, z: float = LOA_Z) -> RepeatedLoa:
    """Limits for several differences per patient whose true value varies (B&A 2007, §5)."""
    d = np.asarray(differences, dtype=float)
    codes, sizes = np.unique(np.asarray(clusters), return_inverse=False, return_counts=True)
    _, inverse = np.unique(np.asarray(clusters), return_inverse=True)
    n, g = int(d.size), int(codes.size)
    if n < MIN_SUBJECTS:
        return RepeatedLoa(n, g, note=f"fewer than {MIN_SUBJECTS} subjects (n = {n})")
    bias = r_mean(d)
    if g == n:  # one subject per patient: nothing to correct
        sd = math.sqrt(r_var(d))
        return RepeatedLoa(n, g, bias, sd, bias - z * sd, bias + z * sd)
    if g < 2:
        return RepeatedLoa(n, g, note="all subjects from one patient: between-patient variance undefined")
    means = np.bincount(inverse, weights=d) / sizes
    ss_between = float((sizes * (means - d.mean()) ** 2).sum())
    ss_within = float(((d - means[inverse]) ** 2).sum())
    msb = ss_between / (g - 1)
    msw = ss_within / (n - g)
    divisor = (n**2 - float((sizes**2).sum())) / ((g - 1) * n)
    var_between = max((msb - msw) / divisor, 0.0)
    sd = math.sqrt(var_between + msw)
    note = "" if msb >= msw else "between-patient variance estimated < 0, taken as 0"
    return RepeatedLoa(n, g, bias, sd, bias - z * sd, bias + z * sd, note=note)


# ---------------------------------------------------------------------------------------- kappa
@dataclass(frozen=True)
class Kappa:
    """Quadratic-weighted kappa and its 95 % CI (psych::cohen.kappa)."""

    n: int
    kappa: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    note: str = ""


def weighted_kappa(a: npt.ArrayLike, b: npt.ArrayLike, alpha: float = ALPHA) -> Kappa:
    """psych::cohen.kappa(cbind(a, b))$confid["weighted kappa", ] on two raters' values."""
    x1, x2 = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n = int(x1.size)
    if n < MIN_SUBJECTS:
        return Kappa(n, note=f"fewer than {MIN_SUBJECTS} subjects (n = {n})")
    labels, codes = np.unique(np.concatenate([x1, x2]), return_inverse=True)
    c = int(labels.size)
    if c < 2:
        return Kappa(n, note="one value only (both readers gave the same value to every subject): kappa undefined")
    table = np.zeros((c, c))
    np.add.at(table, (codes[:n], codes[n:]), 1.0)
    p = table / n
    rs, cs = p.sum(axis=1), p.sum(axis=0)
    idx = np.arange(c)
    w = 1 - (idx[None, :] - idx[:, None]) ** 2 / (c - 1) ** 2
    wpo = float((w * p).sum())
    wpc = float((w * np.outer(rs, cs)).sum())
    colw = (w * cs[:, None]).sum(axis=0)  # psych: colSums(w * cs), cs recycled down the rows
    roww = (w * rs[:, None]).sum(axis=1)  # psych: rowSums(w * rs)
    outer = colw[:, None] + roww[None, :]  # psych: colw %+% t(roww)
    var = (float((p * (w * (1 - wpc) - outer * (1 - wpo)) ** 2).sum())
           - (wpo * wpc - 2 * wpc + wpo) ** 2) / (n * (1 - wpc) ** 4)
    kappa = (wpo - wpc) / (1 - wpc)
    note = ""
    if not math.isfinite(var) or var < 0:
        var, note = 0.0, "variance of kappa not positive (psych sets it to 0)"
    half = float(stats.norm.ppf(alpha / 2)) * math.sqrt(var)
    low, high = kappa + half, kappa - half
    if any(abs(v) > 1 for v in (low, high)):
        low, high = (min(max(v, -1.0), 1.0) for v in (low, high))
        note = join_notes(note, "CI bounds beyond ±1 set to ±1 (as psych)")
    return Kappa(n, _num(kappa), _num(low), _num(high), note)


# ---------------------------------------------------------------------------------- detection
def positive_agreement(both: int, only_a: int, only_b: int) -> float | None:
    """Positive specific agreement 2a / (2a + b + c); None when no one detected anything."""
    total = 2 * both + only_a + only_b
    return 2 * both / total if total else None
