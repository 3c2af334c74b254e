"""Property test against R itself: random paired samples (with ties, zeros, n on both sides of 50,
constant differences, n = 1) through our tests and through Rscript's wilcox.test / t.test.

One R process serves the whole module (numbers travel as hexadecimal doubles, so both sides see
the same bits). Skipped when Rscript is not installed; the committed R reference test
(test_r_reference.py) does not need R.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.paired_tests import compare_paired, holm

RSCRIPT = shutil.which("Rscript")
pytestmark = pytest.mark.skipif(RSCRIPT is None, reason="Rscript is not installed")

R_LOOP = r"""
con <- file("stdin", "r")
f <- function(v) if (is.null(v) || length(v) == 0 || is.na(v)) "NA" else sprintf("%.17g", v)
while (length(line <- readLines(con, n = 1)) > 0) {
  if (startsWith(line, "H;")) {  # Holm: p.adjust of the listed p-values (NA allowed)
    p <- suppressWarnings(as.numeric(strsplit(substring(line, 3), ",", fixed = TRUE)[[1]]))
    cat(paste(vapply(p.adjust(p, "holm"), f, ""), collapse = ","), "\n", sep = "")
    flush(stdout())
    next
  }
  parts <- strsplit(line, ";", fixed = TRUE)[[1]]
  x <- as.numeric(strsplit(parts[1], ",", fixed = TRUE)[[1]])
  y <- as.numeric(strsplit(parts[2], ",", fixed = TRUE)[[1]])
  w <- tryCatch(suppressWarnings(wilcox.test(x, y, paired = TRUE)), error = function(e) NULL)
  t <- tryCatch(t.test(x, y, paired = TRUE), error = function(e) NULL)
  out <- c(f(w$statistic), f(w$p.value), f(t$statistic), f(t$parameter), f(t$p.value),
           f(t$conf.int[1]), f(t$conf.int[2]), f(mean(x)), f(mean(y)))
  cat(paste(out, collapse = ","), "\n", sep = "")
  flush(stdout())
}
"""


class RSession:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([str(RSCRIPT), "--vanilla", "-e", R_LOOP], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def ask(self, x: np.ndarray, y: np.ndarray) -> list[float | None]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        line = ",".join(float(v).hex() for v in x) + ";" + ",".join(float(v).hex() for v in y)
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip().split(",")
        return [None if a == "NA" else float(a) for a in answer]

    def holm(self, ps: list[float | None]) -> list[float | None]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("H;" + ",".join("NA" if p is None else float(p).hex() for p in ps) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip().split(",")
        return [None if a == "NA" else float(a) for a in answer]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def r_session() -> Iterator[RSession]:
    session = RSession()
    yield session
    session.close()


tenths = st.integers(50, 650).map(lambda k: k / 10)  # diameters 5.0-65.0 mm, one decimal


@st.composite
def paired_samples(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.one_of(st.integers(1, 12), st.integers(13, 49), st.integers(50, 80)))
    x = np.asarray(draw(st.lists(tenths, min_size=n, max_size=n)))
    kind = draw(st.sampled_from(["independent", "small_shift", "integer_counts", "constant", "real"]))
    if kind == "independent":
        y = np.asarray(draw(st.lists(tenths, min_size=n, max_size=n)))
    elif kind == "small_shift":  # many zeros and ties, like repeated reads
        y = x + np.asarray(draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))) / 10
    elif kind == "integer_counts":
        x = np.asarray(draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)), dtype=float)
        y = x + np.asarray(draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n)))
    elif kind == "constant":
        y = x - draw(st.sampled_from([0.0, 0.1, 2.0]))
    else:  # no ties at all
        y = x + np.asarray(draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=n, max_size=n)))
    return x, y


def _same(ours: float | None, r: float | None, what: str) -> None:
    if r is None:
        assert ours is None, f"{what}: R gives NA, we give {ours}"
    else:
        assert ours is not None, f"{what}: R gives {r}, we give nothing"
        assert ours == pytest.approx(r, rel=1e-6, abs=1e-12), what


@given(paired_samples())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_matches_rscript(r_session: RSession, sample: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = sample
    v, wp, t, df, tp, lo, hi, mx, my = r_session.ask(x, y)
    c = compare_paired(x, y)
    _same(c.wilcoxon.v, v, "V")
    _same(c.wilcoxon.p, wp, "Wilcoxon p")
    _same(c.ttest.t, t, "t")
    _same(c.ttest.df, df, "df")
    _same(c.ttest.p, tp, "t p")
    _same(c.ci_low, lo, "ci low")
    _same(c.ci_high, hi, "ci high")
    _same(c.mean_a, mx, "mean a")
    _same(c.mean_b, my, "mean b")


@given(st.lists(st.one_of(st.none(), st.floats(0, 1), st.sampled_from([0.0, 0.05, 1.0])), min_size=1, max_size=20))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_holm_matches_p_adjust(r_session: RSession, ps: list[float | None]) -> None:
    for ours, r in zip(holm(ps), r_session.holm(ps), strict=True):
        _same(ours, r, "Holm")


# --- large cohorts with strong differences: the far tail of t and of the normal --------------
#: (pairs, mean/sd of the differences): t = ratio * sqrt(n) spans 5 to ~130, so p spans
#: ordinary values, 1e-100..1e-300, R's subnormals (pt(-45.3, 2057) = 1.0e-311) and R's exact 0.
LARGE_COHORTS: tuple[tuple[int, float], ...] = (
    (2000, 0.02), (2000, 0.5), (2000, 0.75), (2000, 0.82), (2057, 0.9988), (2060, 0.9988),
    (2060, 1.311), (2000, 3.0), (10_000, 0.005), (10_000, 0.3), (10_000, 0.35), (10_000, 0.37),
    (10_000, 0.4), (10_000, 0.453), (10_000, 1.0),
)


def _large_cohort(n: int, ratio: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Diameters (one decimal, as read) of n patients; b = a - d with mean(d)/sd(d) ~ ratio."""
    rng = np.random.default_rng(seed)
    a = np.round(rng.uniform(5, 65, n), 1)
    d = np.round(rng.normal(ratio * 4.0, 4.0, n), 1)
    d = d - (d.mean() - ratio * d.std(ddof=1))  # the intended t, ties and all
    return a, np.round(a - d, 6)


def test_large_cohorts_far_tail_match_r(r_session: RSession) -> None:
    worst = 0.0
    ps_w: list[float | None] = []
    ps_t: list[float | None] = []
    for seed, (n, ratio) in enumerate(LARGE_COHORTS):
        x, y = _large_cohort(n, ratio, seed)
        v, wp, t, df, tp, lo, hi, mx, my = r_session.ask(x, y)
        c = compare_paired(x, y)
        assert c.ttest.p is not None and c.wilcoxon.p is not None and tp is not None and wp is not None
        for ours, r, what in ((c.ttest.p, tp, "t p"), (c.wilcoxon.p, wp, "Wilcoxon p")):
            assert 0.0 <= ours <= 1.0, f"{what} {ours} outside [0, 1] (n={n}, t={t})"
            if r >= 1e-300:
                rel = abs(ours - r) / r
                worst = max(worst, rel)
                assert rel <= 1e-6, f"{what} n={n} t={t}: ours {ours!r}, R {r!r}"
            else:  # R's subnormal range or R's 0: ours below 1e-300 too
                assert ours < 1e-300, f"{what} n={n} t={t}: ours {ours!r}, R {r!r}"
                if r == 0.0:
                    assert ours == 0.0, f"{what} n={n} t={t}: R gives 0, ours {ours!r}"
        _same(c.ttest.t, t, "t")
        _same(c.wilcoxon.v, v, "V")
        _same(c.ci_low, lo, "ci low")
        ps_w.append(c.wilcoxon.p)
        ps_t.append(c.ttest.p)
    # the whole grid reaches every regime
    assert min(p for p in ps_t if p) < 1e-300 and any(p == 0.0 for p in ps_t) and max(ps_t) > 1e-3  # type: ignore[type-var]
    for ps in (ps_w, ps_t):
        for ours, r in zip(holm(ps), r_session.holm(ps), strict=True):
            assert ours is not None and r is not None and 0.0 <= ours <= 1.0
            assert ours == pytest.approx(r, rel=1e-6, abs=1e-300), "Holm"
    print(f"large cohorts: max relative error against R where R's p >= 1e-300: {worst:.2e}")


def test_t_and_normal_tails_on_a_grid_match_r() -> None:
    """pt(-t, df) and pnorm(-z) against R itself on a grid through the far tail, R's normal
    approximation above 4e5 df included: 1e-6 relative where R >= 1e-300, else below 1e-300,
    0 where R gives 0."""
    from analysis.paired_tests import r_pnorm, t_upper_tail

    dfs = [1.0, 5.0, 999.0, 1000.0, 2057.0, 10_000.0, 1e5, 4e5, 400_001.0, 1e6]
    ts = [0.0, 0.5, 3.0, 10.0, 25.0, 30.0, 37.0, 37.6, 40.0, 45.3, 60.0, 300.0, 1e4]
    grid = [(t, df) for df in dfs for t in ts]
    zs = [0.0, 1.0, 8.0, 8.3, 20.0, 37.0, 37.519, 37.5193, 37.6, 38.4, 40.0]
    code = ("g <- read.table(file('stdin'), col.names = c('t', 'df')); "
            "cat(sprintf('%.17g', pt(-g$t, g$df)), sep = '\\n'); "
            f"cat(sprintf('%.17g', pnorm(-c({', '.join(map(repr, zs))}))), sep = '\\n')")
    proc = subprocess.run([str(RSCRIPT), "--vanilla", "-e", code], input="\n".join(f"{t!r} {df!r}" for t, df in grid),
                          capture_output=True, text=True, check=True, timeout=60)
    r_values = [float(v) for v in proc.stdout.split()]
    ours = [t_upper_tail(t, df) for t, df in grid] + [r_pnorm(-z) for z in zs]
    worst = 0.0
    for (o, r), what in zip(zip(ours, r_values, strict=True), [*grid, *zs]):
        assert 0.0 <= o <= 1.0
        if r >= 1e-300:
            worst = max(worst, abs(o - r) / r)
            assert o == pytest.approx(r, rel=1e-6), what
        else:
            assert o < 1e-300 and (o == 0.0) == (r == 0.0), (what, o, r)
    print(f"tail grid: {len(ours)} values, max relative error where R >= 1e-300: {worst:.2e}")
