"""Load benchmark: a 300-slice 512x512 CT stack read four ways, and a compressed stack on 1 vs 2 cores.

Contenders, on the same files, same process, OS cache warm for all (each is run once untimed
first): lesionlab ``load_stack`` (from the StackInfo the index already holds; header reading is
the indexer's job and is timed by its own benchmark); a plain pydicom loop (dcmread each file,
sort by IPP along the normal, np.stack of ``pixel_array * slope + intercept``); SimpleITK's
ImageSeriesReader; and the floor, reading each file's pixel bytes at its known offset into one
preallocated array. Figures are medians of repeated runs.

Peak memory, two ways: tracemalloc (Python-side allocations, numpy included) for the Python
contenders, and for all four the peak RSS growth of a fresh subprocess that loads once
(VmHWM after the load minus VmRSS before it, after resetting the high-water mark through
/proc/self/clear_refs), since ITK allocates outside tracemalloc's view.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_SLICES, SIZE, N_COMPRESSED = 300, 512, 100


def _phantom(n: int, seed: int = 0) -> np.ndarray:
    """uint16 stored CT values (BitsStored 12, intercept -1024): a body ellipse with noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:SIZE, :SIZE]
    body = ((x - 256) / 200.0) ** 2 + ((y - 256) / 150.0) ** 2 < 1
    base = np.where(body, 1024 + 40, 0).astype(np.int32)
    out = np.empty((n, SIZE, SIZE), np.uint16)
    for k in range(n):
        out[k] = np.clip(base + rng.normal(0, 12, base.shape) * body, 0, 4095)
    return out


def write_data(tmp: Path) -> tuple[list[Path], list[Path]]:
    sys.path.insert(0, str(ROOT))
    from tests.dicomgen import JPEG2000Lossless, axial_positions, write_series

    pos = axial_positions(N_SLICES, 1.0, origin=(-200, -200, -400))[::-1]  # file order opposite to z
    ct = write_series(tmp / "ct", _phantom(N_SLICES), positions=pos, pixel_spacing=(0.78, 0.78),
                      intercept=-1024, slope=1, bits_stored=12, series_description="bench ct")
    j2k = write_series(tmp / "j2k", _phantom(N_COMPRESSED, 1), positions=axial_positions(N_COMPRESSED, 1.0),
                       intercept=-1024, slope=1, bits_stored=12, transfer_syntax=JPEG2000Lossless,
                       series_description="bench j2k")
    return ct, j2k


def _stack(paths: list[Path]):
    from tests.viewer.stackhelp import stack_from_files
    return stack_from_files(paths)


# ---------------------------------------------------------------- contenders
def lesionlab(paths: list[Path], stack=None) -> np.ndarray:
    from viewer.loader import load_stack
    return load_stack(stack if stack is not None else _stack(paths)).array


def _pydicom_sorted(paths: list[Path]) -> list:
    import pydicom
    dss = [pydicom.dcmread(p) for p in paths]
    r, c = np.asarray(dss[0].ImageOrientationPatient[:3], float), np.asarray(dss[0].ImageOrientationPatient[3:], float)
    n = np.cross(r, c)
    dss.sort(key=lambda d: float(np.dot(np.asarray(d.ImagePositionPatient, float), n)))
    return dss


def pydicom_loop(paths: list[Path], stack=None) -> np.ndarray:
    """The strong plain loop: integer rescale to int16, the same output as lesionlab."""
    dss = _pydicom_sorted(paths)
    return np.stack([(d.pixel_array.astype(np.int16) * int(d.RescaleSlope) + int(d.RescaleIntercept))
                     for d in dss])


def pydicom_loop_float64(paths: list[Path], stack=None) -> np.ndarray:
    """The naive plain loop: ``pixel_array * slope + intercept`` (float64), for information."""
    return np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept)
                     for d in _pydicom_sorted(paths)])


_KEEP_ALIVE: list = []


def simpleitk(paths: list[Path], stack=None) -> np.ndarray:
    import SimpleITK as sitk
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(paths[0].parent)))
    img = reader.Execute()
    _KEEP_ALIVE[:] = [img]  # the view below does not keep the ITK image alive by itself
    return sitk.GetArrayViewFromImage(img)  # a view: no copy counted against SimpleITK


def floor(paths: list[Path], stack=None) -> np.ndarray:
    """Bytes straight into one preallocated array, offsets known (the lower bound of any loader)."""
    stack = stack if stack is not None else _stack(paths)
    out = np.empty((len(paths), SIZE, SIZE), np.uint16)
    for k, h in enumerate(stack.images):
        with open(h.file.path, "rb", buffering=0) as fh:
            fh.seek(h.pixel.pixel_data_offset)
            fh.readinto(memoryview(out[k]).cast("B"))
    return out


CONTENDERS: dict[str, Callable] = {"lesionlab": lesionlab, "pydicom_loop": pydicom_loop,
                                   "pydicom_loop_float64": pydicom_loop_float64, "simpleitk": simpleitk,
                                   "floor": floor}


def _median_s(fn: Callable[[], object], reps: int, warm: bool = True) -> float:
    if warm:
        fn()  # untimed: warms the OS cache and imports
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _tracemalloc_peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn()
        peak = tracemalloc.get_traced_memory()[1] - base
        del result
    finally:
        tracemalloc.stop()
    return peak


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def rss_peak_child(name: str, folder: str) -> None:
    """Subprocess entry: peak RSS growth of one load, printed as JSON."""
    paths = sorted(Path(folder).glob("*.dcm"))
    stack = _stack(paths)
    import pydicom  # noqa: F401  (imports are not the load's memory)
    import SimpleITK  # noqa: F401
    import viewer.loader  # noqa: F401
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _status("VmRSS")
    arr = CONTENDERS[name](paths, stack)
    print(json.dumps({"peak_rss_bytes": _status("VmHWM") - before, "nbytes": int(arr.nbytes)}))


def _rss_peak(name: str, folder: Path) -> dict:
    code = f"from bench.bench_load import rss_peak_child; rss_peak_child({name!r}, {str(folder)!r})"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _workers_cpu_s() -> float:
    """CPU seconds used so far by this process (its decoding threads) and the decoder processes
    (from /proc/PID/stat)."""
    from viewer.dicomio import pixels
    total = time.process_time() * os.sysconf("SC_CLK_TCK")
    for pid in list(getattr(pixels._POOL, "_processes", {}) or {}):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _burn(n: int) -> int:
    s = 0
    for i in range(n):
        s += i
    return s


def _cpu_scaling() -> float:
    """How much faster 4 CPU-bound jobs run on 2 processes than serially here (2.0 = two free cores)."""
    from viewer.dicomio.pixels import _pool
    pool = _pool(2)
    t = time.perf_counter()
    for _ in range(4):
        _burn(3_000_000)
    serial = time.perf_counter() - t
    t = time.perf_counter()
    list(pool.map(_burn, [3_000_000] * 4))
    return round(serial / (time.perf_counter() - t), 2)


def run() -> dict:
    sys.path.insert(0, str(ROOT))
    from viewer.dicomio.pixels import shutdown_pool
    from viewer.loader import load_stack

    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="lesionlab-bench-") as tmpdir:
        t0 = time.perf_counter()
        ct, j2k = write_data(Path(tmpdir))
        stack = _stack(ct)
        print(f"wrote {N_SLICES} x {SIZE}x{SIZE} native CT and {N_COMPRESSED} JPEG 2000 slices"
              f" in {time.perf_counter() - t0:.1f} s")
        ref = lesionlab(ct, stack)
        vol_bytes = int(ref.nbytes)
        figures["volume_bytes"] = vol_bytes
        figures["lesionlab_dtype"] = str(ref.dtype)
        reps = {"lesionlab": 7, "floor": 7, "pydicom_loop": 3, "pydicom_loop_float64": 1, "simpleitk": 3}
        for name, fn in CONTENDERS.items():
            out = fn(ct, stack)
            if name != "floor":
                assert np.array_equal(np.asarray(out, np.float64), ref), f"{name} disagrees with lesionlab"
            secs = _median_s(lambda: fn(ct, stack), reps[name], warm=False)  # the call above warmed it
            figures[f"{name}_s"] = round(secs, 4)
            figures[f"{name}_dtype"] = str(out.dtype)
            if name != "simpleitk":
                figures[f"{name}_tracemalloc_peak_x_volume"] = round(_tracemalloc_peak(lambda: fn(ct, stack)) / vol_bytes, 3)
            rss = _rss_peak(name, ct[0].parent)
            if "peak_rss_bytes" in rss:
                figures[f"{name}_rss_peak_x_volume"] = round(rss["peak_rss_bytes"] / vol_bytes, 3)
            print(f"{name:21s} median {secs * 1000:8.1f} ms   dtype {out.dtype}   "
                  f"tracemalloc peak {figures.get(f'{name}_tracemalloc_peak_x_volume', '-')}x   "
                  f"RSS peak {figures.get(f'{name}_rss_peak_x_volume', rss.get('error'))}x  (of the volume)")
            del out
        figures["ratio_lesionlab_vs_pydicom"] = round(figures["lesionlab_s"] / figures["pydicom_loop_s"], 3)
        figures["ratio_lesionlab_vs_floor"] = round(figures["lesionlab_s"] / figures["floor_s"], 3)
        figures["ratio_pydicom_vs_simpleitk"] = round(figures["pydicom_loop_s"] / figures["simpleitk_s"], 3)
        print(f"lesionlab / pydicom loop = {figures['ratio_lesionlab_vs_pydicom']} (target <= 0.5)   "
              f"lesionlab / floor = {figures['ratio_lesionlab_vs_floor']} (target <= 3)   "
              f"pydicom loop / SimpleITK = {figures['ratio_pydicom_vs_simpleitk']}")

        jstack = _stack(j2k)
        t = time.perf_counter()
        load_stack(jstack, workers=2)  # starts the worker processes (kept for later loads)
        figures["j2k_first_load_with_pool_start_s"] = round(time.perf_counter() - t, 3)
        figures["j2k_1_workers_s"] = round(_median_s(lambda: load_stack(jstack, workers=1), 3, warm=False), 4)
        cpu0, t = _workers_cpu_s(), time.perf_counter()
        figures["j2k_2_workers_s"] = round(_median_s(lambda: load_stack(jstack, workers=2), 3, warm=False), 4)
        busy = (_workers_cpu_s() - cpu0) / (time.perf_counter() - t)
        figures["j2k_2_workers_cores_busy"] = round(busy, 2)
        figures["j2k_speedup_2_workers"] = round(figures["j2k_1_workers_s"] / figures["j2k_2_workers_s"], 2)
        figures["cpu_scaling_2_processes_pure_python"] = _cpu_scaling()
        print(f"JPEG 2000 lossless, {N_COMPRESSED} slices: 1 worker {figures['j2k_1_workers_s'] * 1000:.0f} ms, "
              f"2 workers {figures['j2k_2_workers_s'] * 1000:.0f} ms -> x{figures['j2k_speedup_2_workers']} "
              f"(first load incl. process start {figures['j2k_first_load_with_pool_start_s'] * 1000:.0f} ms); "
              f"decoding kept {busy:.2f} cores busy; this machine runs pure-Python work on 2 processes "
              f"x{figures['cpu_scaling_2_processes_pure_python']} faster than on 1")
        shutdown_pool()
    return figures
