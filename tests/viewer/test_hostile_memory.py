"""Peak memory on hostile inputs (issue 9): the work runs in a fresh subprocess whose max RSS is read
back. The two bombs of the issue (a 7.8 KB RLE file declaring 65535 x 65535, a 2.6 MB zip inflating
to 2.6 GB) and two more (a JPEG 2000 codestream declaring 65535 x 65535, a 2.6 MB deflated dataset)
are indexed and loaded under 512 MB; a genuine 10 MiB series loads at a small multiple of its
size. The child's address space is capped (4 GiB), so a regression fails with MemoryError instead
of taking the shared machine's memory. `make bench` (bench/bench_memory.py) measures each case in
its own process and prints the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.viewer.hostile import baseline_rss, measure, memory_cases

MIB = 1 << 20
LIMIT = 512 * MIB
PIXEL_BOMBS = {"rle_bomb_65535x65535": "RLE segment 1 holds 3400 bytes",
               "j2k_siz_65535x65535": "JPEG 2000 codestream is 65535 x 65535"}
ARCHIVE_BOMBS = {"zip_bomb_2.6GB": "zip archive refused", "deflate_bomb_2.6GB": "refused as a decompression bomb"}


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return memory_cases(tmp_path_factory.mktemp("memory"))


@pytest.mark.parametrize("budget_mb", [None, "10000000"])
def test_pixel_bombs_are_refused_in_bounded_memory(cases: dict[str, Path], budget_mb: str | None) -> None:
    """With the default budget and with a budget larger than the bombs: the bytes-present and
    codestream checks refuse them either way, before allocating."""
    env = {"LESIONLAB_MEMORY_BUDGET_MB": budget_mb} if budget_mb else None
    outs, peak = measure(*(cases[c] for c in PIXEL_BOMBS), env=env)
    for out, refusal in zip(outs, PIXEL_BOMBS.values()):
        assert out["stacks"] == 1 and out["loads"][0][0] == "failed"
        assert refusal in out["loads"][0][1]
    assert peak < LIMIT, f"peak RSS {peak / MIB:.0f} MiB"


def test_archive_bombs_are_refused_in_bounded_memory(cases: dict[str, Path]) -> None:
    outs, peak = measure(*(cases[c] for c in ARCHIVE_BOMBS))
    for out, refusal in zip(outs, ARCHIVE_BOMBS.values()):
        assert out["stacks"] == 0 and refusal in out["skipped"][0]
    assert peak < LIMIT, f"peak RSS {peak / MIB:.0f} MiB"


def test_genuine_10mib_input_loads_at_a_small_multiple_of_its_size(cases: dict[str, Path]) -> None:
    (out,), peak = measure(cases["genuine_10MiB"])
    assert out["stacks"] == 1 and out["loads"] == [["ok", ""]]
    base = baseline_rss()
    assert peak - base < 4 * 10 * MIB, f"peak {peak / MIB:.0f} MiB over a baseline of {base / MIB:.0f} MiB"
