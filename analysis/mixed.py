"""Linear mixed model with one random intercept, fitted by REML: paired series differences with
reader as a fixed factor and the patient as a random effect.

    y_ij = x_ijᵀ β + u_i + e_ij,   u_i ~ N(0, σ_u²),   e_ij ~ N(0, σ²)

With one random intercept per group the covariance of a group is σ² (I + λ 11ᵀ), λ = σ_u² / σ²,
whose inverse and determinant are closed forms, so for a given λ the GLS estimate of β and the
residual variance are exact, and REML reduces to maximising a function of λ ≥ 0 alone (profiled
REML, Harville 1977). The one-dimensional maximum is found by Brent's method on log λ and
compared with the boundary λ = 0. This is the model of statsmodels' ``MixedLM(y, X,
groups).fit(reml=True)`` and R's ``nlme::lme(y ~ X, random = ~ 1 | group, method = "REML")``, and
the tests compare the three; it is written out because MixedLM's general optimiser takes about
0.7 s per fit here and raises on a singular Hessian, where a report runs 75 fits.

Inference on β is the Wald z of MixedLM: β̂ ± z(0.975) SE, p = 2 Φ(−|β̂ / SE|).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

_LOG_LAMBDA_BOUNDS = (-25.0, 12.0)


@dataclass(frozen=True)
class MixedFit:
    """REML fit: fixed effects, their covariance, the two variance components."""

    params: np.ndarray
    cov_params: np.ndarray
    var_group: float  # σ_u²
    var_residual: float  # σ²
    n_obs: int
    n_groups: int
    reml_loglik: float

    @property
    def at_lambda_bound(self) -> bool:
        """The fit stopped at the top of its search range (lambda = var_group / var_residual = e^12): the REML
        profile still grew there, as it does without bound when the residuals within groups are 0 (nlme::lme
        stops: "system is computationally singular"); the residual variance is then the bound's, not the data's."""
        return self.var_group > 0 and self.var_group >= math.exp(_LOG_LAMBDA_BOUNDS[1] - 1e-6) * self.var_residual

    @property
    def bse(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov_params))

    def wald(self, index: int, alpha: float = 0.05) -> tuple[float, float, float, float, float]:
        """(estimate, SE, CI low, CI high, p) of one coefficient (normal reference)."""
        est, se = float(self.params[index]), float(self.bse[index])
        q = float(stats.norm.ppf(1 - alpha / 2))
        p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else math.nan
        return est, se, est - q * se, est + q * se, p

    def wald_joint(self, indices: list[int]) -> tuple[float, int, float]:
        """(chi², df, p) of the joint test that the listed coefficients are all 0."""
        b = self.params[indices]
        v = self.cov_params[np.ix_(indices, indices)]
        chi2 = float(b @ np.linalg.solve(v, b))
        return chi2, len(indices), float(stats.chi2.sf(chi2, len(indices)))


class _Profile:
    """Group sums that make every REML evaluation O(N p²) without building V."""

    def __init__(self, y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> None:
        _, g = np.unique(groups, return_inverse=True)
        self.n, self.p = x.shape
        self.m = np.bincount(g).astype(float)  # group sizes
        self.xtx, self.xty, self.yty = x.T @ x, x.T @ y, float(y @ y)
        k = self.m.size
        self.sx = np.zeros((k, self.p))
        np.add.at(self.sx, g, x)  # per-group column sums of X
        self.sy = np.bincount(g, weights=y, minlength=k)

    def solve(self, lam: float) -> tuple[np.ndarray, np.ndarray, float, float]:
        """(β̂, (XᵀV⁻¹X)⁻¹ σ²-scaled, Q = residual quadratic form, log det XᵀV⁻¹X)."""
        c = lam / (1.0 + lam * self.m)
        xwx = self.xtx - (self.sx * c[:, None]).T @ self.sx
        xwy = self.xty - (self.sx * c[:, None]).T @ self.sy
        ywy = self.yty - float((c * self.sy**2).sum())
        inv = np.linalg.inv(xwx)
        beta = inv @ xwy
        q = ywy - float(xwy @ beta)
        _, logdet = np.linalg.slogdet(xwx)
        return beta, inv, max(q, 0.0), float(logdet)

    def neg_reml(self, lam: float) -> float:
        _, _, q, logdet = self.solve(lam)
        dof = self.n - self.p
        if q <= 0:
            return -math.inf
        return float(0.5 * (dof * math.log(q / dof) + float(np.log1p(lam * self.m).sum()) + logdet))


def fit_random_intercept(y: npt.ArrayLike, x: npt.ArrayLike, groups: npt.ArrayLike) -> MixedFit:
    """REML fit of ``y ~ x`` (x includes the intercept column) with a random intercept per group."""
    yv = np.asarray(y, dtype=float)
    xm = np.asarray(x, dtype=float)
    prof = _Profile(yv, xm, np.asarray(groups))
    if prof.n <= prof.p or np.linalg.matrix_rank(xm) < prof.p:
        raise ValueError("the design has no residual degrees of freedom or is rank deficient")
    # the REML profile in log(lambda) may have more than one minimum: a bounded search over the whole range stopped
    # in a worse one than nlme's (a property test, seed 651868: -9.297 against -9.179, the group variance set to 0);
    # a grid first, then the bounded search between the best grid point's neighbours
    grid = np.linspace(*_LOG_LAMBDA_BOUNDS, 149)
    values = [prof.neg_reml(math.exp(float(t))) for t in grid]
    i = int(np.argmin(values))
    lo, hi = float(grid[max(i - 1, 0)]), float(grid[min(i + 1, grid.size - 1)])
    res = optimize.minimize_scalar(lambda t: prof.neg_reml(math.exp(t)), bounds=(lo, hi),
                                   method="bounded", options={"xatol": 1e-10})
    lam = math.exp(float(res.x)) if res.fun <= values[i] else math.exp(float(grid[i]))
    if prof.neg_reml(0.0) <= prof.neg_reml(lam):
        lam = 0.0
    beta, inv, q, _ = prof.solve(lam)
    sigma2 = q / (prof.n - prof.p)
    dof = prof.n - prof.p
    loglik = -prof.neg_reml(lam) - 0.5 * dof * (1 + math.log(2 * math.pi)) if q > 0 else math.inf
    return MixedFit(beta, sigma2 * inv, lam * sigma2, sigma2, prof.n, int(prof.m.size), loglik)


def sum_coded(labels: npt.ArrayLike) -> tuple[np.ndarray, list[str]]:
    """Intercept + sum-to-zero columns of a factor (R's contr.sum): the intercept is then the
    unweighted mean of the level means. Returns (design, levels in sorted order)."""
    values = np.asarray(labels).astype(str)
    levels = sorted(set(values.tolist()))
    cols = [np.ones(values.size)]
    for level in levels[:-1]:
        cols.append(np.where(values == level, 1.0, np.where(values == levels[-1], -1.0, 0.0)))
    return np.column_stack(cols), levels
