"""Which findings of different readers are the same lesion: matching by position in patient mm.

Pure functions on positions (no store, no images), so the analysis, the study mode and the
adjudication view share one rule:

- Two findings on the same series may be the same lesion when their centres lie within the
  *tolerance* of each other: half the larger lesion's diameter (its radius), and never less than
  :attr:`MatchRule.min_tolerance_mm` (two readers' centres of a small lesion differ by a slice or
  a few pixels). A finding without a size (a count mark) takes the other's size, or the floor.
- Among the pairs within tolerance, the matching is one-to-one and optimal: as many pairs as
  possible, then the smallest total distance (Hungarian algorithm,
  ``scipy.optimize.linear_sum_assignment``). Greedy nearest-first matching can leave a lesion
  unmatched that an optimal assignment would pair.
- Several readers: readers in name order; the first reader's findings open one cluster each; each
  next reader's findings are matched to the clusters so far (a cluster's position is the mean of
  its members, its size the largest), the unmatched ones open new clusters. A cluster holds at
  most one finding per reader.

Positions are patient coordinates in mm (DICOM LPS) of one frame of reference: findings from
series in different frames (CT and MRI) must be registered first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from viewer.errors import ValidationError


@dataclass(frozen=True)
class MatchRule:
    """Tolerance = max(min_tolerance_mm, size_fraction × the larger diameter)."""

    min_tolerance_mm: float = 8.0
    size_fraction: float = 0.5

    def __post_init__(self) -> None:
        if not (math.isfinite(self.min_tolerance_mm) and self.min_tolerance_mm > 0):
            raise ValidationError("must be a positive number of mm", where="min_tolerance_mm")
        if not (math.isfinite(self.size_fraction) and self.size_fraction >= 0):
            raise ValidationError("must be a number >= 0", where="size_fraction")

    def tolerance_mm(self, size_a_mm: float | None, size_b_mm: float | None) -> float:
        sizes = [s for s in (size_a_mm, size_b_mm) if s is not None]
        return max(self.min_tolerance_mm, self.size_fraction * max(sizes)) if sizes else self.min_tolerance_mm


@dataclass(frozen=True)
class Finding:
    """One reader's lesion or count mark on one series: its centre in patient mm, its size."""

    reader: str
    key: str  # the reader's own id for it (lesion id, mark id)
    position_mm: tuple[float, float, float]
    size_mm: float | None = None

    def __post_init__(self) -> None:
        pos = tuple(float(v) for v in self.position_mm)
        if len(pos) != 3 or not all(math.isfinite(v) for v in pos):
            raise ValidationError(f"expected three finite coordinates, got {self.position_mm!r}",
                                  where="position_mm")
        object.__setattr__(self, "position_mm", pos)
        if self.size_mm is not None and not (math.isfinite(self.size_mm) and self.size_mm >= 0):
            raise ValidationError(f"expected a size >= 0 in mm, got {self.size_mm!r}", where="size_mm")


def match_positions(a: Sequence[tuple[Sequence[float], float | None]],
                    b: Sequence[tuple[Sequence[float], float | None]],
                    rule: MatchRule = MatchRule()) -> list[tuple[int, int]]:
    """Optimal one-to-one pairs (i in a, j in b) of (position_mm, size_mm) within tolerance."""
    if not a or not b:
        return []
    pa = np.asarray([p for p, _ in a], dtype=float).reshape(len(a), 3)
    pb = np.asarray([p for p, _ in b], dtype=float).reshape(len(b), 3)
    dist = np.linalg.norm(pa[:, None, :] - pb[None, :, :], axis=2)
    tol = np.array([[rule.tolerance_mm(sa, sb) for _, sb in b] for _, sa in a])
    allowed = dist <= tol
    if not allowed.any():
        return []
    big = float(dist[allowed].sum()) + 1.0  # one forbidden pair costs more than all allowed ones
    rows, cols = linear_sum_assignment(np.where(allowed, dist, big))
    return sorted((int(i), int(j)) for i, j in zip(rows, cols) if allowed[i, j])


@dataclass
class _Cluster:
    members: dict[str, Finding] = field(default_factory=dict)  # reader -> finding

    @property
    def position(self) -> tuple[float, float, float]:
        m = np.mean([f.position_mm for f in self.members.values()], axis=0)
        return (float(m[0]), float(m[1]), float(m[2]))

    @property
    def size(self) -> float | None:
        sizes = [f.size_mm for f in self.members.values() if f.size_mm is not None]
        return max(sizes) if sizes else None


def cluster_findings(findings: Sequence[Finding], rule: MatchRule = MatchRule()) -> list[dict[str, Finding]]:
    """Group the findings of several readers on one series into lesions: {reader: finding}.

    Clusters come out in a stable order (first reader's findings by key, then new ones as they
    open); a reader with two findings in one place keeps both, in different clusters.
    """
    keys = [(f.reader, f.key) for f in findings]
    if len(set(keys)) != len(keys):
        raise ValidationError("a reader's finding keys must be unique", where="findings")
    clusters: list[_Cluster] = []
    for reader in sorted({f.reader for f in findings}):
        mine = sorted((f for f in findings if f.reader == reader), key=lambda f: f.key)
        pairs = match_positions([(c.position, c.size) for c in clusters],
                                [(f.position_mm, f.size_mm) for f in mine], rule)
        matched = {j: i for i, j in pairs}
        for j, finding in enumerate(mine):
            if j in matched:
                clusters[matched[j]].members[reader] = finding
            else:
                clusters.append(_Cluster({reader: finding}))
    return [dict(c.members) for c in clusters]
