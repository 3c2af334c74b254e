"""The real application under Xvfb: open sample_dicom with its sample reading, open the first pair,
show lesion L1 on every series, screenshot, check it (six viewports with overlays, the lesion's
diameters drawn, the lesion grid docked).

Skipped (with the reason) when Xvfb is not installed; .ci/run installs it. The PNG stays in the
test's temporary directory as an artifact (pytest prints its path on failure).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
BORDER = np.array([48, 48, 52])  # viewer.qt.viewport.BORDER: the grid's gaps and cell borders
CURRENT = np.array([28, 84, 52])  # annotation.qt.panels.CURRENT_BRUSH: the current lesion's id cell
pytestmark = pytest.mark.xvfb


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1920x1200x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        display = f.readline().strip()
    if not display:
        proc.kill()
        pytest.fail("Xvfb did not report a display")
    return proc, f":{display}"


def _bands(mask: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """[start, end) runs of True at least ``min_len`` long."""
    out, start = [], None
    for i, v in enumerate(list(mask) + [False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start >= min_len:
                out.append((start, i))
            start = None
    return out


def load_png(path: Path) -> np.ndarray:
    from PySide6.QtGui import QImage

    img = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def _longest_runs(mask: np.ndarray) -> np.ndarray:
    """Per column, the longest run of True going down."""
    best = np.zeros(mask.shape[1], int)
    run = np.zeros(mask.shape[1], int)
    for row in mask:
        run = np.where(row, run + 1, 0)
        best = np.maximum(best, run)
    return best


def find_cells(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Cells of the reading grid as (top, bottom, left, right): regions between border-coloured gaps."""
    is_border = (np.abs(rgb.astype(int) - BORDER).max(axis=2) <= 3)
    gap_cols = _longest_runs(is_border) > 0.5 * rgb.shape[0]  # vertical gaps run the whole grid height
    seps = _bands(gap_cols, 2)
    assert len(seps) >= 4, f"vertical gaps of the grid not found: {seps}"
    left, right = seps[0][1], seps[-1][0]
    row_frac = is_border[:, left:right].mean(axis=1)
    hseps = _bands(row_frac > 0.8, 2)
    assert len(hseps) >= 3, f"horizontal gaps of the grid not found: {hseps}"
    cells = []
    for (t0, t1), (b0, _) in zip(hseps, hseps[1:]):
        for (l0, l1), (r0, _) in zip(seps, seps[1:]):
            if b0 - t1 > 100 and r0 - l1 > 100:
                cells.append((t1, b0, l1, r0))
    return cells


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed (apt-get install xvfb; .ci/run installs it)")
def test_screenshot_of_the_first_pair(tmp_path: Path, sample_dicom: Path) -> None:
    if not any(p.is_file() for p in sample_dicom.rglob("*")):
        pytest.skip("sample_dicom/ is empty (make sample)")
    shot = tmp_path / "lesionlab_first_pair.png"
    xvfb, display = _start_xvfb()
    try:
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", LESIONLAB_CONFIG_DIR=str(tmp_path / "config"))
        proc = subprocess.run([sys.executable, "-m", "app", "view", str(sample_dicom), "--open-first-pair",
                               "--show-lesion", "L1", "--screenshot", str(shot), "--quit-after-screenshot", "--size", "1600x1000"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.exists(), f"no screenshot; stdout: {proc.stdout}\nstderr: {proc.stderr[-2000:]}"
    rgb = load_png(shot)
    grey = rgb.mean(axis=2)
    assert rgb.shape[:2] == (1000, 1600)
    assert grey.std() > 15, "the screenshot is blank"
    cells = find_cells(rgb)
    assert len(cells) == 6, f"expected six viewports, found {cells} (png: {shot})"
    for top, bottom, left, right in cells:
        cell = grey[top + 3:bottom - 3, left + 3:right - 3]
        h, w = cell.shape
        middle = cell[h // 4: 3 * h // 4, w // 4: 3 * w // 4]
        assert middle.std() > 10, f"viewport {top, left} shows no image (png: {shot})"
        for corner in (cell[:45, :170], cell[:45, -170:], cell[-45:, :170], cell[-45:, -170:]):
            assert (corner > 140).sum() > 25, f"viewport {top, left} lacks corner overlay text (png: {shot})"
    # L1's diameter (current lesion: green) is drawn wherever it is measured (all but CT portal in the sample)
    green = (rgb[..., 1] > 200) & (rgb[..., 0] < 90) & (rgb[..., 2] > 70) & (rgb[..., 2] < 170)
    drawn = [c for c in cells if green[c[0]:c[1], c[2]:c[3]].sum() > 30]
    assert len(drawn) >= 5, f"L1 drawn in {len(drawn)} viewports only (png: {shot})"
    # the lesion grid is docked below the viewports, L1's row highlighted as current
    # (the window's width since session 48: the docks below span the Studies column too)
    below = rgb[max(c[1] for c in cells):, :]
    current = (np.abs(below.astype(int) - CURRENT).max(axis=2) <= 3).sum()
    assert current > 500, f"no lesion grid with a current lesion below the viewports (png: {shot})"

