"""analysis.matching: readers' findings matched by position in patient mm."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.matching import Finding, MatchRule, cluster_findings, match_positions
from viewer.errors import ValidationError


class TestMatchRule:
    def test_tolerance_is_the_larger_radius_with_a_floor(self) -> None:
        rule = MatchRule(min_tolerance_mm=8.0, size_fraction=0.5)
        assert rule.tolerance_mm(40.0, 10.0) == 20.0
        assert rule.tolerance_mm(6.0, 5.0) == 8.0
        assert rule.tolerance_mm(None, 30.0) == 15.0
        assert rule.tolerance_mm(None, None) == 8.0

    @pytest.mark.parametrize("kwargs", [{"min_tolerance_mm": 0.0}, {"min_tolerance_mm": float("nan")},
                                        {"size_fraction": -1.0}])
    def test_bad_rules_are_refused(self, kwargs: dict[str, float]) -> None:
        with pytest.raises(ValidationError):
            MatchRule(**kwargs)


class TestMatchPositions:
    def test_optimal_where_greedy_fails(self) -> None:
        """b0 is nearest to a0, but taking it would leave a1 alone: optimal pairs a0-b1, a1-b0."""
        a = [((0.0, 0, 0), None), ((9.0, 0, 0), None)]
        b = [((5.0, 0, 0), None), ((-3.0, 0, 0), None)]
        assert match_positions(a, b, MatchRule(min_tolerance_mm=5.0)) == [(0, 1), (1, 0)]

    def test_beyond_tolerance_never_pairs(self) -> None:
        a = [((0.0, 0, 0), 10.0)]
        b = [((0.0, 0, 8.1), 10.0)]
        assert match_positions(a, b, MatchRule(min_tolerance_mm=8.0)) == []
        assert match_positions(a, [((0.0, 0, 7.9), 10.0)], MatchRule(min_tolerance_mm=8.0)) == [(0, 0)]

    def test_a_large_lesion_reaches_farther(self) -> None:
        a = [((0.0, 0, 0), 50.0)]
        b = [((0.0, 20.0, 0), None)]
        assert match_positions(a, b) == [(0, 0)]
        assert match_positions([((0.0, 0, 0), 12.0)], b) == []

    def test_empty(self) -> None:
        assert match_positions([], [((0.0, 0, 0), None)]) == []


def _finding(reader: str, key: str, x: float, size: float | None = 10.0) -> Finding:
    return Finding(reader, key, (x, 0.0, 0.0), size)


class TestClusters:
    def test_three_readers(self) -> None:
        found = [_finding("R1", "L1", 0), _finding("R1", "L2", 50), _finding("R2", "L1", 51),
                 _finding("R2", "L2", 100), _finding("R3", "L7", 1), _finding("R3", "L8", 99)]
        clusters = cluster_findings(found)
        as_keys = [{r: f.key for r, f in c.items()} for c in clusters]
        assert as_keys == [{"R1": "L1", "R3": "L7"}, {"R1": "L2", "R2": "L1"}, {"R2": "L2", "R3": "L8"}]

    def test_two_findings_of_one_reader_stay_apart(self) -> None:
        clusters = cluster_findings([_finding("R1", "a", 0), _finding("R1", "b", 1), _finding("R2", "c", 0.5)])
        assert sorted(len(c) for c in clusters) == [1, 2]

    def test_keys_must_be_unique_per_reader(self) -> None:
        with pytest.raises(ValidationError):
            cluster_findings([_finding("R1", "a", 0), _finding("R1", "a", 30)])

    @pytest.mark.parametrize("pos", [(0.0, 0.0), (0.0, float("nan"), 1.0)])
    def test_positions_must_be_three_finite_numbers(self, pos: tuple[float, ...]) -> None:
        with pytest.raises(ValidationError):
            Finding("R1", "a", pos)  # type: ignore[arg-type]

    @given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.floats(-200, 200), st.floats(-200, 200),
                              st.one_of(st.none(), st.floats(3, 60))), max_size=25))
    @settings(max_examples=60, deadline=None)
    def test_every_finding_in_one_cluster_at_most_one_per_reader(
            self, raw: list[tuple[str, float, float, float | None]]) -> None:
        found = [Finding(r, f"k{i}", (x, y, 0.0), s) for i, (r, x, y, s) in enumerate(raw)]
        clusters = cluster_findings(found)
        members = [(r, f.key) for c in clusters for r, f in c.items()]
        assert sorted(members) == sorted((f.reader, f.key) for f in found)
        for c in clusters:
            assert all(f.reader == r for r, f in c.items())

    def test_noisy_copies_of_well_separated_lesions_all_match(self) -> None:
        rng = np.random.default_rng(5)
        centres = np.array([[x * 40.0, y * 40.0, z * 30.0] for x in range(3) for y in range(3) for z in range(2)])
        first = [Finding("R1", f"L{i}", tuple(c), 15.0) for i, c in enumerate(centres)]
        second = [Finding("R2", f"L{i}", tuple(c + rng.normal(0, 2, 3)), 14.0) for i, c in enumerate(centres)]
        clusters = cluster_findings(first + second[::-1])
        assert all({f.key for f in c.values()} == {c["R1"].key} for c in clusters) and len(clusters) == len(centres)
