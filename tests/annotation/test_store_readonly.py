"""A SQLite store on a read-only location (annotation/store_readonly.py): read it, refuse to write it
with a message that names the location, never miss edits still in a -wal.

The audit's case: a store lesionlab wrote stays in WAL mode, and on a read-only mount ``export``
failed with "cannot read the store (unable to open database file) ... close other lesionlab
windows". The read-only file system is real here: a tmpfs mounted for the test and remounted
read-only (root with CAP_SYS_ADMIN; skipped elsewhere). A folder a user may not write is a
``chmod 555`` folder read by a child process without CAP_DAC_OVERRIDE (root ignores the mode
otherwise; skipped where capsh cannot drop it). The decision itself is tested without either.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from annotation.store import ReadingStore, open_reading
from annotation.store_readonly import ReadWay, read_way, read_way_of, write_refusal
from annotation.store_sqlite import _snapshot
from app.cli import main as cli
from tests.annotation.conftest import PAIR
from viewer.errors import StoreError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_STORE = ROOT / "sample_dicom" / "reading.lesionlab"
NO_DAC = ["capsh", "--drop=cap_dac_override,cap_dac_read_search", "--"]


def make_store(path: Path, patients: tuple[str, ...] = ("P1",)) -> None:
    st, r = open_reading(path, "R1")
    for pid in patients:
        r.add_patient(pid, f"NAME^{pid}")
        r.add_exam_pair(pid, "E1")
    r.add_lesion(PAIR, "right")
    st.close()


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------------ the decision
class TestReadWay:
    @pytest.mark.parametrize("folder_writable,media_ro,shm,pending,expected", [
        (True, False, False, 0, ReadWay.SHARED),      # SQLite makes its -shm
        (True, False, False, 4096, ReadWay.SHARED),   # and reads the -wal with it
        (False, True, True, 4096, ReadWay.SHARED),    # a writer's (or a dead one's) -shm is there: the -wal is read
        (False, True, False, 0, ReadWay.IMMUTABLE),   # read-only file system: nobody can change the file
        (False, False, False, 0, ReadWay.SNAPSHOT),   # someone else may write there: copy, then check
        (False, True, False, 4096, ReadWay.PENDING),  # edits in the -wal that cannot be read here
        (False, False, False, 1, ReadWay.PENDING),
    ])
    def test_the_way_follows_what_the_folder_shows(self, folder_writable, media_ro, shm, pending, expected):
        assert read_way(folder_writable=folder_writable, media_read_only=media_ro, shm_exists=shm,
                        pending_bytes=pending) is expected

    def test_a_writable_folder_reads_shared_and_writes(self, tmp_path: Path) -> None:
        store = tmp_path / "r.lesionlab"
        make_store(store)
        assert read_way_of(store) is ReadWay.SHARED and write_refusal(store, store) is None
        assert write_refusal(tmp_path / "new.lesionlab", tmp_path / "new.lesionlab") is None
        assert write_refusal(tmp_path / "no" / "new.lesionlab", tmp_path / "no" / "new.lesionlab") is None  # os says


class TestSnapshot:
    """The in-memory copy of a folder one may not write is kept only if nothing wrote the file meanwhile."""

    class _Writes:
        """An immutable connection whose copy is interrupted by a writer's commit (what a race looks like)."""

        def __init__(self, store: Path) -> None:
            self.store = store
            self.con = sqlite3.connect(f"{store.as_uri()}?mode=ro&immutable=1", uri=True)

        def backup(self, target: sqlite3.Connection) -> None:
            self.con.backup(target)
            st, r = open_reading(self.store, "R2")  # its checkpoint on closing grows the file
            with r.batch("many"):
                for i in range(200):
                    r.add_patient(f"Q{i}", "X" * 500)
            st.close()

        def close(self) -> None:
            self.con.close()

    def test_a_quiet_file_is_copied(self, tmp_path: Path) -> None:
        store = tmp_path / "r.lesionlab"
        make_store(store)
        copy = _snapshot(sqlite3.connect(f"{store.as_uri()}?mode=ro&immutable=1", uri=True), store)
        assert copy is not None and copy.execute("SELECT patient_id FROM patients").fetchall() == [("P1",)]
        copy.close()

    def test_a_file_written_during_the_copy_is_not_trusted(self, tmp_path: Path) -> None:
        store = tmp_path / "r.lesionlab"
        make_store(store)
        assert _snapshot(self._Writes(store), store) is None

    def test_a_commit_during_the_copy_is_seen_where_a_shm_was_already(self, tmp_path: Path) -> None:
        """The full-disk way copies with a -shm beside the store (a failed write-open's): a writer that commits
        during the copy and stays open (its edit in the -wal, the file untouched) makes the copy untrusted."""
        store = tmp_path / "r.lesionlab"
        make_store(store)
        Path(f"{store}-shm").write_bytes(b"\0" * 8192)
        Path(f"{store}-wal").write_bytes(b"")
        quiet = _snapshot(sqlite3.connect(f"{store.as_uri()}?mode=ro&immutable=1", uri=True), store)
        assert quiet is not None
        quiet.close()
        writer = self._Commits(store)
        assert _snapshot(writer, store) is None
        writer.st.close()

    class _Commits(_Writes):
        def backup(self, target: sqlite3.Connection) -> None:
            self.con.backup(target)
            self.st, r = open_reading(self.store, "R2")
            r.add_patient("Q1", "X")


# ------------------------------------------------------------------ a read-only file system
@pytest.fixture
def read_only_mount() -> Iterator[tuple[Path, object]]:
    """(folder, make_read_only): a tmpfs that the test fills, then remounts read-only; unmounted after."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = Path(tempfile.mkdtemp(prefix="lesionlab-ro-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")

    def make_read_only() -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True, capture_output=True)

    try:
        yield mount, make_read_only
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(mount)], check=False)
        mount.rmdir()


def test_a_wal_store_on_a_read_only_mount_exports_and_refuses_writing_with_advice(read_only_mount, tmp_path, capsys):
    folder, make_read_only = read_only_mount
    store = folder / "study.lesionlab"
    make_store(store)
    assert files(folder) == ["study.lesionlab"]  # closed cleanly: no -wal, no -shm
    assert store.read_bytes()[18:20] == b"\x02\x02"  # WAL, as every store lesionlab has written
    make_read_only()
    assert read_way_of(store) is ReadWay.IMMUTABLE

    with ReadingStore.open(store, read_only=True) as ro:
        seen = ro.load()
        assert ro.integrity_check() == "ok"
    assert list(seen.patients) == ["P1"] and list(seen.lesions) == [("P1", "E1", "R1", "L1")]
    assert cli(["export", str(store), "--out", str(tmp_path / "out")]) == 0
    assert "1 patient" in capsys.readouterr().out and (tmp_path / "out" / "measurements.csv").is_file()

    with pytest.raises(StoreError) as refused:
        ReadingStore.open(store)
    text = str(refused.value)
    assert f"read-only file system ({folder})" in text and "copy the .lesionlab file" in refused.value.advice
    assert "close other" not in text
    with pytest.raises(StoreError, match="cannot create the store: it would lie on a read-only file system"):
        ReadingStore.open(folder / "new.lesionlab")
    assert files(folder) == ["study.lesionlab"]


def test_a_crashed_writers_wal_on_a_read_only_mount_is_read_or_refused_never_skipped(read_only_mount, tmp_path):
    """A store copied while a writer had it open (or left by a killed one) keeps its last edits in the -wal:
    read with the -shm beside it; without the -shm refused, with the way to read it all."""
    folder, make_read_only = read_only_mount
    live = tmp_path / "live.lesionlab"
    make_store(live)
    st, r = open_reading(live, "R1")
    r.add_patient("P2", "NAME^P2")  # committed, still in live.lesionlab-wal while st is open
    for name in ("with-shm", "without-shm"):
        for suffix in ("", "-wal", "-shm"):
            if name == "with-shm" or suffix != "-shm":
                shutil.copy(f"{live}{suffix}", folder / f"{name}.lesionlab{suffix}")
    st.close()
    make_read_only()

    with ReadingStore.open(folder / "with-shm.lesionlab", read_only=True) as ro:
        assert sorted(ro.load().patients) == ["P1", "P2"]
    with pytest.raises(StoreError) as refused:
        ReadingStore.open(folder / "without-shm.lesionlab", read_only=True)
    assert "without-shm.lesionlab-wal" in refused.value.message and "read-only file system" in refused.value.message
    assert "together with without-shm.lesionlab-wal" in refused.value.advice
    for suffix in ("", "-wal"):  # the advice works: both copied somewhere writable hold every edit
        shutil.copy(folder / f"without-shm.lesionlab{suffix}", tmp_path / f"copy.lesionlab{suffix}")
    with ReadingStore.open(tmp_path / "copy.lesionlab", read_only=True) as ro:
        assert sorted(ro.load().patients) == ["P1", "P2"]


def test_the_sealed_sample_store_reads_as_ever_in_place_and_on_a_read_only_mount(read_only_mount):
    folder, make_read_only = read_only_mount
    with ReadingStore.open(SAMPLE_STORE, read_only=True) as ro:
        expected = ro.load()
    assert expected.lesions
    shutil.copy(SAMPLE_STORE, folder / SAMPLE_STORE.name)
    make_read_only()
    with ReadingStore.open(folder / SAMPLE_STORE.name, read_only=True) as ro:
        assert ro.load() == expected
    assert files(folder) == [SAMPLE_STORE.name]


# ------------------------------------------------------------------ a folder this user may not write
READER = """
import sys
from annotation.store import ReadingStore
from viewer.errors import StoreError
with ReadingStore.open(sys.argv[1], read_only=True) as ro:
    print("read", sorted(ro.load().patients))
try:
    ReadingStore.open(sys.argv[1])
except StoreError as exc:
    print("refused", exc)
"""


def as_a_user_who_may_not_write(folder: Path, store: Path) -> str:
    """Run READER on ``store`` with ``folder`` mode 555, as root without CAP_DAC_OVERRIDE (so the mode counts)."""
    if os.geteuid() != 0 or shutil.which("capsh") is None:
        pytest.skip("needs root and capsh to drop CAP_DAC_OVERRIDE")
    if subprocess.run([*NO_DAC, "-c", "true"], capture_output=True).returncode:
        pytest.skip("capsh cannot drop CAP_DAC_OVERRIDE here")
    folder.chmod(0o555)
    try:
        done = subprocess.run([*NO_DAC, "-c", 'exec "$0" -c "$1" "$2"', sys.executable, READER, str(store)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        folder.chmod(0o755)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_store_in_a_folder_the_user_may_not_write_is_read_and_not_written(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    store = folder / "study.lesionlab"
    make_store(store, ("P1", "P2"))
    out = as_a_user_who_may_not_write(folder, store)
    assert "read ['P1', 'P2']" in out, out
    assert f"refused {store}: cannot open the store for writing: the store lies on a folder you may not write " \
           f"({folder})" in out and "copy the .lesionlab file" in out and "close other" not in out
    assert files(folder) == ["study.lesionlab"]


def test_a_writer_at_work_in_that_folder_is_followed_not_snapshotted(tmp_path: Path) -> None:
    """Its -shm is there: the reader who may not write reads through it, the edits in the -wal too."""
    folder = tmp_path / "shared"
    folder.mkdir()
    store = folder / "study.lesionlab"
    make_store(store)
    st, r = open_reading(store, "R1")
    r.add_patient("P2", "NAME^P2")
    try:
        assert read_way_of(store) is ReadWay.SHARED
        out = as_a_user_who_may_not_write(folder, store)
    finally:
        st.close()
    assert "read ['P1', 'P2']" in out, out


# ------------------------------------------------------------------ a full disk
def _fill(folder: Path, leave: int) -> None:
    """Fill the file system of ``folder`` but ``leave`` bytes."""
    vfs = os.statvfs(folder)
    with open(folder / "filler", "wb") as f:
        f.write(b"\0" * (vfs.f_bfree * vfs.f_frsize - leave))


@pytest.mark.parametrize("free_kib", [8, 24])
def test_a_failed_write_open_on_a_full_disk_leaves_the_store_readable(free_kib: int, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A reader's report: a write-open that failed on a nearly full disk (8-24 KiB free) left an empty -wal and a -shm
    of what was free, and every read-only use of the store then said "cannot read the store: the disk is full" until
    space was freed: SQLite's read-only open maps the -shm and first grows it to 32 KiB. With the -wal empty the main
    file holds every edit, and the store is read as an immutable copy (nothing written, no lock taken)."""
    from tests.tmpfs import small_tmpfs

    with small_tmpfs("2m", "lesionlab-full-") as mount:
        stores = {}
        for name in ("reading", "followup"):
            stores[name] = mount / f"{name}.lesionlab"
            shutil.copy(ROOT / "sample_dicom" / f"{name}.lesionlab", stores[name])
            ReadingStore.open(stores[name]).close()  # WAL now, closed cleanly
        before = {n: p.read_bytes() for n, p in stores.items()}
        _fill(mount, free_kib * 1024)
        for p in stores.values():
            with pytest.raises(StoreError, match="the disk is full"):
                ReadingStore.open(p)
            # what the failure left before session 44 (it removes them now: test_store_leftovers_s44.py), as a
            # lesionlab of before then or one killed meanwhile leaves them
            assert not Path(f"{p}-wal").exists() and not Path(f"{p}-shm").exists()
            Path(f"{p}-wal").write_bytes(b"")
            Path(f"{p}-shm").write_bytes(b"\0" * (free_kib * 1024 // 2))
        with ReadingStore.open(stores["reading"], read_only=True) as ro, \
                ReadingStore.open(SAMPLE_STORE, read_only=True) as sample:
            assert ro.load().lesions == sample.load().lesions
        assert cli(["export", str(stores["reading"]), "--out", str(tmp_path / "out")]) == 0
        assert (tmp_path / "out" / "measurements.csv").is_file()
        assert cli(["agreement", str(stores["reading"]), "--out", str(tmp_path / "agreement")]) == 0
        assert cli(["analyze", str(stores["reading"]), "--out", str(tmp_path / "analysis")]) == 0
        assert cli(["response", str(stores["followup"]), "--out", str(tmp_path / "response")]) == 0
        assert (tmp_path / "response" / "response.csv").is_file()
        assert "the disk is full" not in capsys.readouterr().err
        assert {n: p.read_bytes() for n, p in stores.items()} == before


def test_edits_in_the_wal_on_a_full_disk_are_never_skipped(tmp_path: Path) -> None:
    """The copy is the main file only: with committed edits in a -wal that cannot be read without growing the -shm,
    the open still says the disk is full (it would show the store without them)."""
    from tests.tmpfs import small_tmpfs

    with small_tmpfs("2m", "lesionlab-full-") as mount:
        store = mount / "r.lesionlab"
        make_store(store)
        st, r = open_reading(store, "R1")
        r.add_patient("P2", "NAME^P2")  # committed, in the -wal
        shutil.copy(store, tmp_path / "r.lesionlab")
        shutil.copy(f"{store}-wal", tmp_path / "r.lesionlab-wal")
        st.close()
        for p in mount.iterdir():
            p.unlink()
        shutil.copy(tmp_path / "r.lesionlab", store)  # as a killed writer left it: edits in the -wal
        shutil.copy(tmp_path / "r.lesionlab-wal", f"{store}-wal")
        _fill(mount, 8 * 1024)
        with pytest.raises(StoreError, match="the disk is full"):
            ReadingStore.open(store, read_only=True)
        (mount / "filler").unlink()
        with ReadingStore.open(store, read_only=True) as ro:
            assert sorted(ro.load().patients) == ["P1", "P2"]
