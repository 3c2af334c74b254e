"""The generator's cache of noise-free volumes is per seed (session 43): one process writing one patient of two seeds in
turn got the first seed's anatomy for the second. tests/viewer/test_segment_ct43.py writes realisation 102's LLSYN002 and
tests/viewer/test_segment_neighbours_ct40.py then 101's: run in that order, 101's lesion was not under the click ("no
contrast at the click")."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.viewer.old_ct_noise import _generator


def test_two_seeds_of_one_patient_are_rendered_each(monkeypatch: pytest.MonkeyPatch) -> None:
    gen = _generator()
    calls: list[Any] = []

    def render_clean(anatomy: Any, findings: Any, grid: Any, place: Any, keys: tuple[str, ...], shift: Any) -> dict:
        calls.append(anatomy)
        return {k: np.zeros((1, 1, 1)) for k in keys}

    monkeypatch.setattr(gen, "render_clean", render_clean)
    monkeypatch.setattr(gen, "_CLEAN_CACHE", {})
    spec = gen.PATIENTS[1]
    exam = spec.exams[0]
    grid = exam.series[0].grid
    for seed in (102, 101, 101):
        gen._clean_volumes(gen.build_patient(spec, 1, seed), exam, grid, seed)
    assert len(calls) == 2, "the second seed's volumes came from the first seed's cache"
    assert calls[0] is not calls[1]
