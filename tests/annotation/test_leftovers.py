"""What a closed store and a killed export leave behind: nothing that looks like data.

A reader's check found ``reading.lesionlab-wal`` and ``-shm`` beside a project after lesionlab had exited normally
(an export had opened it read-only: SQLite removes them only when a connection that may write closes last), and a
``.ct_portal.dcm.tmp-…`` from an SR export killed mid-write, which the browser listed as an SR.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotation.export import export_store
from annotation.files import atomic_write
from annotation.store import ReadingStore, open_reading
from tests.annotation.test_hostile_store import writer_process
from tests.conftest import ROOT, SAMPLE_DICOM
from viewer.index import UNFINISHED_FILE, index_path
from viewer.tempfiles import create_locked, is_temporary, remove_stale


def _beside(store: Path) -> list[str]:
    return sorted(p.name for p in store.parent.iterdir() if p.name.startswith(store.name))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "reading.lesionlab"
    st, r = open_reading(path, "R1")
    r.add_patient("P1", "Doe^Jane")
    st.close()
    return path


class TestStoreClose:
    def test_a_writer_leaves_no_wal_or_shm(self, store: Path) -> None:
        assert _beside(store) == ["reading.lesionlab"]

    def test_a_read_only_open_leaves_no_wal_or_shm(self, store: Path, tmp_path: Path) -> None:
        """An export (read-only) left both beside the store after it closed."""
        export_store(store, tmp_path / "export")
        assert _beside(store) == ["reading.lesionlab"]
        with ReadingStore.open(store, read_only=True) as ro:
            assert "P1" in ro.load().patients
        assert _beside(store) == ["reading.lesionlab"]

    def test_the_last_of_a_writer_and_a_reader_removes_them(self, store: Path) -> None:
        st, r = open_reading(store, "R1")
        r.add_patient("P2", "Roe^Richard")
        ro = ReadingStore.open(store, read_only=True)
        st.close()  # the reader is still connected: SQLite keeps them; the writer folded its edits in
        assert (store.parent / "reading.lesionlab-wal").stat().st_size == 0
        ro.close()
        assert _beside(store) == ["reading.lesionlab"]
        with ReadingStore.open(store, read_only=True) as again:
            assert set(again.load().patients) == {"P1", "P2"}
        assert _beside(store) == ["reading.lesionlab"]

    def test_another_processs_writer_keeps_its_files(self, store: Path) -> None:
        with writer_process(store):
            with ReadingStore.open(store, read_only=True) as ro:
                assert "P1" in ro.load().patients
            assert "reading.lesionlab-shm" in _beside(store)  # the writer's, while it is connected
        assert _beside(store) == ["reading.lesionlab"]


# ------------------------------------------------------------------ a killed SR export
KILLED_EXPORT = """
import sys, time
from pathlib import Path
import viewer.interop.sr_write as sr_write
real = sr_write.write_sr
def write_then_hang(report, target):
    real(report, target)  # the whole SR in its hidden temporary...
    Path(sys.argv[3]).write_text("written")
    time.sleep(600)  # ...and killed before it is renamed
sr_write.write_sr = write_then_hang
from annotation.sr_export import export_sr
export_sr(sys.argv[1], sys.argv[2], dicom=sys.argv[4], keep_context=False)
"""


def test_a_killed_sr_exports_temporary_is_never_an_sr_and_goes_at_the_next_export(tmp_path: Path) -> None:
    store = tmp_path / "reading.lesionlab"
    shutil.copy(SAMPLE_DICOM / "reading.lesionlab", store)
    out, flag = tmp_path / "sr", tmp_path / "written"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_EXPORT, str(store), str(out), str(flag), str(SAMPLE_DICOM)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    (left,) = [p for p in out.rglob("*") if p.is_file()]
    assert is_temporary(left.name) and left.name.startswith(".ct_arterial.dcm.tmp-") and left.stat().st_size > 8192

    found = index_path(out)
    assert [(s.path, s.reason) for s in found.skipped] == [(str(left), UNFINISHED_FILE)]
    assert found.non_images == () and found.stacks == ()  # a complete SR, never listed as one

    old = time.time() - 60
    os.utime(left, (old, old))
    done = subprocess.run([sys.executable, "-m", "app", "export", str(store), "--sr", str(out), "--dicom",
                           str(SAMPLE_DICOM)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert not left.exists() and files and not [p for p in files if is_temporary(p.name)]
    assert {p.name for p in left.parent.iterdir()} >= {"ct_arterial.dcm", "ct_portal.dcm"}


def test_a_live_write_of_another_process_is_left_alone(tmp_path: Path) -> None:
    """Only a temporary no process holds is stale: a slow export beside this one keeps its file."""
    live = tmp_path / ".a.csv.tmp-0123456789ab"
    held = create_locked(live)
    try:
        old = time.time() - 60
        os.utime(live, (old, old))
        assert remove_stale(tmp_path) == [] and live.exists()
        atomic_write(tmp_path / "b.csv", lambda f: f.write_text("x"))
        assert live.exists() and (tmp_path / "b.csv").read_text() == "x"
    finally:
        os.close(held)
    assert remove_stale(tmp_path) == [live] and not live.exists()
