"""A throwaway Orthanc (Debian orthanc, orthanc-dicomweb, orthanc-gdcm) for the PACS tests and bench.

:class:`Orthanc` writes ``orthanc.json`` into a temporary folder (storage and index there, DICOM
and HTTP ports free on 127.0.0.1, the DICOMweb and GDCM plugins from /usr/share/orthanc/plugins,
lesionlab's AE titles registered as modalities so that C-MOVE can send back to a storage SCP of
the test), starts ``Orthanc CONFIG`` as a plain process and waits for its REST API. ``upload``
POSTs files to /instances. ``stop`` ends the process it started (by its pid) and removes the folder.

Fixture ``orthanc`` (one per test module): skipped when Orthanc is not installed, failing instead
when ``LESIONLAB_REQUIRE_SERVERS=1`` (CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator

import pytest
import requests

from tests.annotation.pg import free_port

ORTHANC = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
PLUGINS = Path("/usr/share/orthanc/plugins")
REQUIRE = os.environ.get("LESIONLAB_REQUIRE_SERVERS") == "1"
AET = "ORTHANC"
#: lesionlab's AE titles known to the server: the calling AE, and the C-MOVE destination (its SCP)
CLIENT_AET = "LESIONLAB"


class Orthanc:
    def __init__(self, base: Path, move_port: int, plugins: Iterable[str] = ("libOrthancDicomWeb.so",
                                                                           "libOrthancGdcm.so"),
                 users: dict[str, str] | None = None, settings: dict[str, object] | None = None) -> None:
        self.base = base
        self.dicom_port, self.http_port, self.move_port = free_port(), free_port(), move_port
        self.config = base / "orthanc.json"
        config = {
            "Name": "lesionlab-test", "StorageDirectory": str(base / "storage"), "IndexDirectory": str(base / "index"),
            "HttpPort": self.http_port, "DicomPort": self.dicom_port, "DicomAet": AET,
            "RemoteAccessAllowed": False, "AuthenticationEnabled": bool(users), "RegisteredUsers": users or {},
            "HttpServerEnabled": True,
            "Plugins": [str(PLUGINS / p) for p in plugins if (PLUGINS / p).exists()],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "StudiesMetadata": "Full"},
            "DicomModalities": {"lesionlab": [CLIENT_AET, "127.0.0.1", move_port]},
            "DicomAlwaysAllowEcho": True, "DicomAlwaysAllowStore": True, "DicomAlwaysAllowFind": True,
            "DicomAlwaysAllowGet": True, "DicomAlwaysAllowMove": True, "DicomCheckModalityHost": False,
            "UnknownSopClassAccepted": True, "StableAge": 1, "ConcurrentJobs": 2, "HttpThreadsCount": 4,
            "LogExportedResources": False, "SaveJobs": False,
            **(settings or {}),  # a test's own server behaviour (e.g. refusing unknown SOP classes)
        }
        self.config.write_text(json.dumps(config, indent=1))
        self.log = base / "orthanc.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.auth = next(iter(users.items())) if users else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb(self) -> str:
        return f"{self.url}/dicom-web"

    @property
    def peer(self) -> str:
        return f"{AET}@127.0.0.1:{self.dicom_port}"

    def start(self) -> "Orthanc":
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([ORTHANC, str(self.config)], stdout=log, stderr=subprocess.STDOUT,
                                         cwd=self.base)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Orthanc exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/system", timeout=1, auth=self.auth).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("Orthanc did not answer within 60 s")

    def upload(self, files: Iterable[Path]) -> int:
        n = 0
        with requests.Session() as s:
            for f in files:
                r = s.post(f"{self.url}/instances", data=f.read_bytes(), timeout=30, auth=self.auth)
                r.raise_for_status()
                n += 1
        return n

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def orthanc_missing() -> str | None:
    if not Path(ORTHANC).exists():
        return "Orthanc is not installed (apt-get install orthanc orthanc-dicomweb orthanc-gdcm)"
    if not (PLUGINS / "libOrthancDicomWeb.so").exists():
        return "the Orthanc DICOMweb plugin is not installed (orthanc-dicomweb)"
    return None


def need_orthanc() -> None:
    why = orthanc_missing()
    if why:
        if REQUIRE:
            pytest.fail(f"{why}; CI requires it (LESIONLAB_REQUIRE_SERVERS=1)")
        pytest.skip(why)


def running_orthanc(move_port: int, **kwargs: object) -> Iterator[Orthanc]:
    base = Path(tempfile.mkdtemp(prefix="lesionlab-orthanc-"))
    server = Orthanc(base, move_port, **kwargs).start()  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def orthanc() -> Iterator[Orthanc]:
    need_orthanc()
    yield from running_orthanc(free_port())
