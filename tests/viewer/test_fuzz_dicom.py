"""Fuzzing in the suite (issue 9): a few thousand seeded mutants of files of every transfer syntax
(and of the real scanner files when ../shared is present) through the header reader, the indexer
and the loader. Only lesionlab's own outcomes are allowed: loaded, refused with a LesionlabError,
skipped or left out with a reason. No hang (10 s per mutant, in a child process that is killed and
resumed after it), no crash, bounded memory (the child's address space is capped at 4 GiB, its
memory budget is 1 GiB, and its peak RSS must stay under 512 MiB).

The run is reproducible: a failure names the mutant, which ``tests.viewer.fuzz_mutator.mutant``
rebuilds from (seed file, SEED, index). `make bench` (bench/bench_fuzz.py) runs a larger campaign
and prints the outcome figures.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REALDICOM
from tests.viewer.fuzz_mutator import KINDS, mutant, parse
from tests.viewer.fuzz_runner import FAILURES, run_fuzz, scratch_dir, write_seeds

SEED = 20240901
N_MUTANTS = 3000


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_seeds(tmp_path_factory.mktemp("seeds"), REALDICOM if REALDICOM.is_dir() else None)


def test_mutants_only_end_in_lesionlab_outcomes(seeds: list[Path]) -> None:
    work = scratch_dir()
    try:
        report = run_fuzz(seeds, N_MUTANTS, SEED, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report.summary(), indent=1))
    assert report.mutants == N_MUTANTS
    assert not report.failures, json.dumps(report.failures[:10], indent=1)
    assert report.peak_rss_bytes < 512 << 20
    assert set(report.by_kind) == set(KINDS)
    kinds_of_outcome = {o.split(":")[0] for o in report.outcomes}
    assert {"loaded", "refused", "skipped"} <= kinds_of_outcome and not kinds_of_outcome & set(FAILURES)


class TestMutator:
    def test_a_mutant_is_a_function_of_seed_and_index(self, seeds: list[Path]) -> None:
        data = seeds[0].read_bytes()
        assert mutant(data, 7, 11) == mutant(data, 7, 11)
        assert len({mutant(data, 7, i)[2] for i in range(40)}) > 30

    def test_every_kind_changes_the_file(self, seeds: list[Path]) -> None:
        seen: dict[str, int] = {}
        for path in seeds:
            data = path.read_bytes()
            for i in range(60):
                kind, _detail, out = mutant(data, 3, i)
                if out != data:
                    seen[kind] = seen.get(kind, 0) + 1
        assert set(seen) == set(KINDS)

    def test_every_seed_is_parsed_for_structured_mutations(self, seeds: list[Path]) -> None:
        for path in seeds:
            parsed = parse(path.read_bytes())
            assert parsed is not None and parsed.elements, path
            assert parsed.assemble() == path.read_bytes() or parsed.deflated, path
