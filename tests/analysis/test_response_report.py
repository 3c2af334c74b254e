"""The follow-up in `lesionlab analyze STORE`'s report and the plots (pixels drawn, not just files)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
from matplotlib.image import imread

from analysis.response_output import analyse_response
from analysis.response_store import load_store_courses
from annotation.store import open_reading
from app.cli import main
from tests.annotation.test_followup import build_course


def _store(tmp_path: Path) -> Path:
    path = tmp_path / "course.lesionlab"
    st, r = open_reading(str(path), "sample")
    build_course(r)
    st.close()
    return path


def test_analyze_report_has_the_follow_up_section(tmp_path: Path) -> None:
    path = _store(tmp_path)
    out = tmp_path / "analysis"
    assert main(["analyze", str(path), "--out", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Follow-up response (RECIST 1.1, NEN)" in html and "Settings: RECIST 1.1" in html
    assert "<th>baseline date</th>" in html  # two rows of one exam (two lines) are told apart by it
    assert html.count("data:image/png;base64") >= 3
    with open(out / "response.csv", encoding="utf-8", newline="") as fh:
        assert [r["overall_response"] for r in csv.DictReader(fh)] == ["", "PR", "PD"]
    assert {"spider.png", "waterfall.png", "swimmer.png"} <= {p.name for p in out.iterdir()}


def test_plots_draw_the_course(tmp_path: Path) -> None:
    result = analyse_response(load_store_courses(_store(tmp_path)))
    for name, (png, caption) in result.plots.items():
        img = imread(io.BytesIO(png))
        assert img.shape[0] > 150 and caption
        colours = {tuple(np.round(px[:3], 2)) for px in img.reshape(-1, img.shape[2])[::7]}
        assert len(colours) > 20, name  # something was drawn, not an empty frame
    waterfall = imread(io.BytesIO(result.plots["waterfall.png"][0]))
    pr_blue = np.array([0x56, 0xB4, 0xE9]) / 255  # best overall response PR
    assert (np.abs(waterfall[..., :3] - pr_blue).max(axis=2) < 0.02).sum() > 200
    swimmer = imread(io.BytesIO(result.plots["swimmer.png"][0]))
    prrt = (np.array([0x4C, 0x72, 0xB0]) / 255) * 0.55 + 0.45  # the first line's bar (alpha 0.55 on white)
    assert (np.abs(swimmer[..., :3] - prrt).max(axis=2) < 0.02).sum() > 2000  # the bar, not just its legend

