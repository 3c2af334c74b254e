"""PACS pull rate: instances per second by C-GET, C-MOVE and WADO-RS from a local Orthanc, against a
plain ``cp`` of the same files.

The sample study (every patient, 1,028 JPEG 2000 files, 37 MiB) is uploaded to a throwaway Orthanc
(tests/orthanc.py) on this machine; each protocol then pulls every study into a fresh folder (the
files as stored, no transcoding), and ``cp -r`` copies the sample folder once per round. Rounds
alternate the four so that the machine's load falls on all alike; the median round is reported.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_dicom"
ROUNDS = 2


def run() -> dict[str, object]:
    from tests.annotation.pg import free_port
    from tests.orthanc import CLIENT_AET, orthanc_missing, running_orthanc
    from viewer.interop.pacs import PacsServer, Protocol, Via

    why = orthanc_missing()
    if why:
        print(f"skipped: {why}")
        return {"skipped": why}
    files = sorted(p for p in SAMPLE.rglob("*.dcm"))
    n = len(files)
    rates: dict[str, list[float]] = {"c_get": [], "c_move": [], "wado_rs": [], "cp": []}
    move_port = free_port()
    for server in running_orthanc(move_port):
        t0 = time.perf_counter()
        server.upload(files)
        upload_s = time.perf_counter() - t0
        patients = sorted({f.relative_to(SAMPLE).parts[0] for f in files})
        pacs = {
            "c_get": PacsServer(Protocol.DIMSE, server.peer, CLIENT_AET, via=Via.GET),
            "c_move": PacsServer(Protocol.DIMSE, server.peer, CLIENT_AET, via=Via.MOVE, move_port=move_port),
            "wado_rs": PacsServer(Protocol.DICOMWEB, server.dicomweb),
        }
        for _ in range(ROUNDS):
            for name, p in pacs.items():
                with tempfile.TemporaryDirectory() as tmp:
                    t0 = time.perf_counter()
                    got = sum(len(p.pull_patient(pid, tmp)[0].files) for pid in patients)
                    seconds = time.perf_counter() - t0
                assert got == n, (name, got, n)
                rates[name].append(n / seconds)
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                subprocess.run(["cp", "-r", str(SAMPLE), str(Path(tmp) / "copy")], check=True)
                rates["cp"].append(n / (time.perf_counter() - t0))
    figures: dict[str, object] = {"instances": n, "megabytes": round(sum(f.stat().st_size for f in files) / 2**20, 1),
                                  "upload_s": round(upload_s, 2)}
    for name, values in rates.items():
        figures[f"{name}_instances_per_s"] = round(statistics.median(values), 1)
    cp = float(statistics.median(rates["cp"]))
    for name in ("c_get", "c_move", "wado_rs"):
        figures[f"{name}_vs_cp"] = round(float(statistics.median(rates[name])) / cp, 4)
    print(f"{n} instances ({figures['megabytes']} MiB), median of {ROUNDS} rounds: "
          + ", ".join(f"{k} {figures[f'{k}_instances_per_s']}/s" for k in rates))
    shutil.rmtree(Path(tempfile.gettempdir()) / "lesionlab-bench-pacs", ignore_errors=True)
    return figures
