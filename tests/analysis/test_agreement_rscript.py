"""Agreement statistics against R itself on random cohorts (hypothesis): psych::ICC's ICC2/ICC2k
and their CIs, psych::cohen.kappa's weighted kappa and CI, the non-central t quantiles of the exact
limits (R's qt with ncp), and the random-intercept REML fit (nlme::lme).

One R process serves the module; numbers travel as hexadecimal doubles so both sides see the same
bits. Skipped when Rscript (or the psych package) is missing; CI installs r-base-core and
r-cran-psych (.ci/run).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator, Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from analysis.agreement_stats import exact_limit_factors, icc_two_way, weighted_kappa
from analysis.mixed import fit_random_intercept, sum_coded

RSCRIPT = shutil.which("Rscript")

R_LOOP = r"""
suppressPackageStartupMessages({library(psych); library(nlme)})
con <- file("stdin", "r")
f <- function(v) vapply(v, function(x) if (is.null(x) || is.na(x)) "NA" else sprintf("%.17g", x), "")
num <- function(s) as.numeric(strsplit(s, ",", fixed = TRUE)[[1]])
say <- function(v) { cat(paste(f(v), collapse = ","), "\n", sep = ""); flush(stdout()) }
while (length(line <- readLines(con, n = 1)) > 0) {
  p <- strsplit(line, ";", fixed = TRUE)[[1]]
  if (p[1] == "I") {
    x <- matrix(num(p[4]), nrow = as.integer(p[2]), ncol = as.integer(p[3]), byrow = TRUE)
    r <- tryCatch(suppressWarnings(suppressMessages(ICC(x, lmer = FALSE)$results)), error = function(e) NULL)
    if (is.null(r)) say(rep(NA, 6)) else say(c(r[2, 2], r[2, 7], r[2, 8], r[5, 2], r[5, 7], r[5, 8]))
  } else if (p[1] == "K") {
    k <- suppressWarnings(suppressMessages(cohen.kappa(cbind(num(p[2]), num(p[3])))))
    say(c(k$weighted.kappa, k$confid[2, 1], k$confid[2, 3]))
  } else if (p[1] == "T") {
    n <- as.numeric(p[2])
    say(qt(c(0.025, 0.975), n - 1, as.numeric(p[3]) * sqrt(n)) / sqrt(n))
  } else if (p[1] == "M") {
    d <- data.frame(y = num(p[2]), reader = factor(strsplit(p[3], ",")[[1]]), g = factor(strsplit(p[4], ",")[[1]]))
    contrasts(d$reader) <- contr.sum(nlevels(d$reader))
    m <- tryCatch(lme(y ~ reader, random = ~ 1 | g, data = d, method = "REML"), error = function(e) NULL)
    if (is.null(m)) say(NA) else say(c(fixef(m), sqrt(diag(vcov(m))), as.numeric(VarCorr(m)[, "Variance"]),
                                        as.numeric(logLik(m))))
  }
}
"""


def _r_has_psych() -> bool:
    if RSCRIPT is None:
        return False
    check = subprocess.run([RSCRIPT, "--vanilla", "-e", "library(psych); library(nlme)"], capture_output=True)
    return check.returncode == 0


pytestmark = pytest.mark.skipif(not _r_has_psych(), reason="Rscript with psych and nlme is not installed")


class RSession:
    def __init__(self) -> None:
        assert RSCRIPT is not None
        self.proc = subprocess.Popen([RSCRIPT, "--vanilla", "-e", R_LOOP], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def _ask(self, line: str) -> list[float | None]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip().split(",")
        return [None if a in ("NA", "NaN") else float(a) for a in answer]

    @staticmethod
    def _hex(values: Sequence[float] | np.ndarray) -> str:
        return ",".join(float(v).hex() for v in np.asarray(values, dtype=float).ravel())

    def icc(self, x: np.ndarray) -> list[float | None]:
        return self._ask(f"I;{x.shape[0]};{x.shape[1]};{self._hex(x)}")

    def kappa(self, a: np.ndarray, b: np.ndarray) -> list[float | None]:
        return self._ask(f"K;{self._hex(a)};{self._hex(b)}")

    def limit_factors(self, n: int, z: float) -> list[float | None]:
        return self._ask(f"T;{n};{float(z).hex()}")

    def lme(self, y: np.ndarray, readers: Sequence[str], groups: Sequence[str]) -> list[float | None]:
        return self._ask(f"M;{self._hex(y)};{','.join(readers)};{','.join(groups)}")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=20)


@pytest.fixture(scope="module")
def r_session() -> Iterator[RSession]:
    session = RSession()
    yield session
    session.close()


def same(ours: float | None, r: float | None, what: str, rel: float = 1e-6) -> None:
    if r is None:
        assert ours is None, f"{what}: R gives NA, we give {ours}"
    else:
        assert ours is not None, f"{what}: R gives {r}, we give nothing"
        assert ours == pytest.approx(r, rel=rel, abs=1e-9), what


@st.composite
def ratings(draw: st.DrawFn) -> np.ndarray:
    """Subjects x readers: diameters with reader bias and noise, counts, and the degenerate kinds."""
    n = draw(st.integers(3, 40))
    k = draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["diameters", "counts", "independent", "identical", "offset", "constant"]))
    if kind == "diameters":
        truth = rng.uniform(5, 80, n)[:, None]
        x = np.round(truth + rng.normal(0, draw(st.sampled_from([0.3, 1.5, 6.0])), (n, k)) + rng.normal(0, 1, k), 1)
    elif kind == "counts":
        truth = rng.poisson(draw(st.sampled_from([1.0, 6.0, 25.0])), n)[:, None]
        x = np.maximum(truth + rng.integers(-2, 3, (n, k)), 0).astype(float)
    elif kind == "independent":
        x = np.round(rng.uniform(5, 80, (n, k)), 1)
    elif kind == "identical":
        x = np.repeat(np.round(rng.uniform(5, 80, (n, 1)), 1), k, axis=1)
    elif kind == "offset":
        x = np.round(rng.uniform(5, 80, (n, 1)), 1) + np.arange(k)[None, :] * 0.5
    else:
        x = np.full((n, k), 12.0)
    return x


@given(ratings())
@example(np.array([[0.0, 1.0, 1.0], [2.0, 0.0, 0.0], [2.0, 0.0, 0.0]]))  # equal subject means (a random run found it)
@example(np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]]))  # ICC(A,1) = -1: ICC(A,k)'s denominator 0 (a review)
@example(np.array([[6.0, 5.0], [8.0, 8.0], [4.0, 5.0]]))  # an ICC(A,1) bound at -1: its ICC(A,k) bound undefined
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_icc_equals_psych(r_session: RSession, x: np.ndarray) -> None:
    r = r_session.icc(x)
    icc = icc_two_way(x)
    if np.ptp(x) == 0:  # no variance: psych's figures are rounding noise (e.g. -8e-16); ours are empty
        assert icc.icc_a1 is None and "all values equal" in icc.note
        return
    if icc.icc_ak is None and icc.icc_a1 is not None:
        # ICC(A,k)'s denominator 0 up to rounding: psych divides by the rounding (6.8e15 on the example), we
        # say undefined; ICC(A,1) is still compared, its interval's df 0 (R: NaN) gives none on either side
        assert "ICC(A,k) undefined" in icc.note and icc.icc_ak_ci_low is None and icc.icc_ak_ci_high is None, icc
        assert r[3] is None or abs(r[3]) > 1e6 or abs(icc.icc_a1 + 1 / (x.shape[1] - 1)) < 1e-9, (icc, r)
        same(icc.icc_a1, r[0], f"ICC2 of {x.tolist()}")
        if r[1] is None or r[2] is None:
            assert icc.icc_a1_ci_low is None and icc.icc_a1_ci_high is None and "ICC(A,1) CI undefined" in icc.note
        return
    for ours, theirs, what in zip((icc.icc_a1, icc.icc_a1_ci_low, icc.icc_a1_ci_high, icc.icc_ak,
                                   icc.icc_ak_ci_low, icc.icc_ak_ci_high), r,
                                  ("ICC2", "ICC2 low", "ICC2 high", "ICC2k", "ICC2k low", "ICC2k high")):
        if ours is None and what.startswith("ICC2k ") and theirs is not None and abs(theirs) > 1e6:
            # the ICC(A,1) bound at -1/(k-1): psych's Spearman-Brown divides by rounding (4.3e14), ours says so
            assert "ICC(A,k) CI bound undefined" in icc.note, icc
            continue
        same(ours, theirs, f"{what} of {x.tolist()}")


@st.composite
def two_readers_counts(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(3, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["close", "loose", "few_values", "perfect", "independent"]))
    a = rng.poisson(draw(st.sampled_from([0.5, 3.0, 12.0])), n).astype(float)
    if kind == "close":
        b = np.maximum(a + rng.integers(-1, 2, n), 0)
    elif kind == "loose":
        b = np.maximum(a + rng.integers(-5, 6, n), 0)
    elif kind == "few_values":
        a = rng.integers(0, 2, n).astype(float)
        b = np.where(rng.random(n) < 0.8, a, 1 - a)
    elif kind == "perfect":
        b = a.copy()
    else:
        b = rng.poisson(3.0, n).astype(float)
    return a, b.astype(float)


@given(two_readers_counts())
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_weighted_kappa_equals_psych(r_session: RSession, pair: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = pair
    k = weighted_kappa(a, b)
    if len(set(a) | set(b)) < 2:  # psych: NaN weights; we say why
        assert k.kappa is None and k.note
        return
    r = r_session.kappa(a, b)
    for ours, theirs, what in zip((k.kappa, k.ci_low, k.ci_high), r, ("kappa", "low", "high")):
        same(ours, theirs, f"{what} of {a.tolist()} vs {b.tolist()}")


@pytest.mark.parametrize("n", [3, 4, 7, 20, 57, 300])
def test_exact_limit_factors_equal_rs_non_central_t(r_session: RSession, n: int) -> None:
    r_low, r_high = r_session.limit_factors(n, 1.96)
    low, high = exact_limit_factors(n)
    same(low, r_low, "k low", rel=1e-8)
    same(high, r_high, "k high", rel=1e-8)


@given(st.integers(0, 2**32 - 1), st.integers(2, 4), st.integers(4, 30))
@example(651868, 3, 4)  # a local run's: the bounded search stopped at -9.297 and set the group variance to 0; nlme -9.179
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_intercept_reml_equals_nlme(r_session: RSession, seed: int, k: int, patients: int) -> None:
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(patients), rng.integers(1, 5, patients))
    readers = np.array([f"R{i}" for i in rng.integers(0, k, groups.size)])
    if len(set(readers)) < 2 or groups.size < k + 3:
        return
    y = rng.normal(0, rng.uniform(0.2, 3), patients)[groups] + rng.normal(0, 1, groups.size) + (readers == "R0")
    x, _ = sum_coded(readers)
    # no residual df within patients beyond the readers' effects (seed 279585: 5 observations, 4 patients):
    # the REML likelihood depends on the two variances only through their sum, a ridge on which nlme and
    # we stop at different points with equal likelihoods (-7.4336785073480745 both) and other betas
    z = (groups[:, None] == np.unique(groups)[None, :]).astype(float)
    assume(groups.size - np.linalg.matrix_rank(np.column_stack([x, z])) > 0)
    fit = fit_random_intercept(y, x, groups)
    p = x.shape[1]
    r = r_session.lme(y, readers.tolist(), [f"g{g}" for g in groups])
    assume(r[0] is not None)  # nlme's optimiser gave up (it happens on tiny designs)
    r_loglik = r[2 * p + 2]
    assert r_loglik is not None
    # never a worse REML optimum than nlme's; where nlme stops at a local optimum below ours (seen on
    # 12 observations in 4 patients: nlme -21.537, the boundary maximum -21.485 that gls gives too),
    # its estimates are not the reference
    assert fit.reml_loglik >= r_loglik - 1e-6 * abs(r_loglik)
    assume(fit.reml_loglik <= r_loglik + 1e-6 * abs(r_loglik))
    # estimates to 5e-3 of their standard error: at the same REML optimum (likelihoods equal to 1e-6),
    # a flat surface on 4-patient designs lets nlme's optimiser stop 1e-4 SE away (seed 68210: 4e-5 relative)
    for i in range(p):
        assert float(fit.params[i]) == pytest.approx(r[i], abs=5e-3 * float(fit.bse[i])), f"beta {i}"
        same(float(fit.bse[i]), r[p + i], f"se {i}", rel=1e-3)
    # nlme stops at a tiny positive patient variance where REML's maximum is the boundary 0
    assert fit.var_group == pytest.approx(r[2 * p], rel=1e-3, abs=1e-4 * fit.var_residual)
    same(fit.var_residual, r[2 * p + 1], "residual variance", rel=1e-3)


def test_reml_boundary_where_nlme_stops_early(r_session: RSession) -> None:
    """A design where nlme's optimiser stops at a positive patient variance whose REML likelihood is
    lower than the boundary's: lesionlab reports the boundary maximum (gls's fit), not nlme's."""
    y = np.array([2.796463491273606, 1.2649073473745425, 2.619682675302771, -0.07681633382358866,
                  0.16501681203148344, 2.126733448578727, 4.275929831993704, 2.035032319725263,
                  3.4186489904031463, 0.36171524518254383, 0.7414570005635888, 4.966748166727803])
    readers = ["R0", "R1", "R1", "R1", "R1", "R0", "R0", "R1", "R0", "R1", "R0", "R1"]
    groups = ["g0"] * 4 + ["g1"] * 4 + ["g2"] * 3 + ["g3"]
    x, _ = sum_coded(readers)
    fit = fit_random_intercept(y, x, groups)
    r = r_session.lme(y, readers, groups)
    assert r[6] is not None and fit.reml_loglik > r[6] + 0.01  # -21.485 against nlme's -21.537
    assert fit.var_group == 0.0
    ols = np.linalg.lstsq(x, y, rcond=None)[0]  # at the boundary REML's fixed effects are least squares
    assert np.allclose(fit.params, ols, rtol=1e-10)
