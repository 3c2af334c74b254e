"""viewer.interop.pacs: a pull fetches one patient, by an exact id (no server needed: the queries are stubbed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from viewer.errors import PacsError
from viewer.interop.dimse import RetrieveResult
from viewer.interop.pacs import PacsServer, Protocol, exact_patient_id

SERVERS = [PacsServer(Protocol.DIMSE, "PACS@127.0.0.1:1"), PacsServer(Protocol.DICOMWEB, "http://127.0.0.1:1/dicom-web")]


class TestExactPatientId:
    @pytest.mark.parametrize("pid", ["LLSYN00*", "LLSYN00?", "LLSYN001\\LLSYN002", "*", "", "   "])
    def test_wildcards_lists_and_empty_ids_are_refused(self, pid: str) -> None:
        with pytest.raises(PacsError, match="empty patient id|wildcard or a list"):
            exact_patient_id(pid)

    @pytest.mark.parametrize("pid", ["LLSYN001", "12-345/6", "ID WITH SPACE", "Müller.7"])
    def test_ordinary_ids_pass(self, pid: str) -> None:
        assert exact_patient_id(pid) == pid


class TestPullPatient:
    @pytest.mark.parametrize("server", SERVERS, ids=["dimse", "dicomweb"])
    def test_a_wildcard_is_refused_before_any_query(self, server: PacsServer, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        asked: list[object] = []
        monkeypatch.setattr(PacsServer, "find_studies", lambda self, filters: asked.append(filters) or [])
        with pytest.raises(PacsError, match=r"'LLSYN00\*' contains '\*'.*every patient it matches"):
            server.pull_patient("LLSYN00*", tmp_path)
        assert asked == [] and not any(tmp_path.iterdir())

    @pytest.mark.parametrize("server", SERVERS, ids=["dimse", "dicomweb"])
    def test_studies_of_another_id_a_loose_server_returns_are_not_pulled(self, server: PacsServer, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
        found = [{"PatientID": "LLSYN001", "StudyInstanceUID": "1.1"}, {"PatientID": "llsyn001", "StudyInstanceUID": "1.2"},
                 {"PatientID": "", "StudyInstanceUID": "1.3"}]
        monkeypatch.setattr(PacsServer, "find_studies", lambda self, filters: found)
        pulled: list[str] = []
        monkeypatch.setattr(PacsServer, "pull_study",
                            lambda self, uid, out, **kw: pulled.append(uid) or RetrieveResult(files=[Path(uid)]))
        result, n = server.pull_patient("LLSYN001", tmp_path)
        assert pulled == ["1.1", "1.3"] and n == 2
        assert result.notes == ["1 stud(y/ies) of other patient ids (llsyn001) answered the query for LLSYN001: not pulled"]

    def test_only_other_ids_is_no_study_of_the_patient(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(PacsServer, "find_studies",
                            lambda self, filters: [{"PatientID": "LLSYN0011", "StudyInstanceUID": "1.1"}])
        with pytest.raises(PacsError, match=r"no study of patient LLSYN001 \(only of LLSYN0011\)"):
            SERVERS[0].pull_patient("LLSYN001", tmp_path)


def test_a_full_disk_leaves_no_partial_image_and_says_so(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An audit pulled onto a full disk: 307 empty and 5 truncated .dcm files stayed under their final names, and
    only the peer's 0xA702 was said. A received instance is written whole or not at all; the first failure stops
    the retrieve and says the disk is full, where."""
    import errno
    from pathlib import Path as P

    from pydicom.dataset import Dataset

    from viewer.errors import PacsError
    from viewer.interop.dimse import Wanted, _Sink, write_whole

    real = P.write_bytes

    def full(self, data):  # type: ignore[no-untyped-def]
        real(self, data[: len(data) // 2])  # half written, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(P, "write_bytes", full)
    sink = _Sink(tmp_path, Wanted("1.2"), None, None)

    class Event:
        dataset = Dataset()

        @staticmethod
        def encoded_dataset(include_meta: bool = True) -> bytes:
            return b"\0" * 1000

    Event.dataset.StudyInstanceUID, Event.dataset.SeriesInstanceUID, Event.dataset.SOPInstanceUID = "1.2", "1.2.3", "1.2.3.4"
    assert sink(Event()) == 0xA702 and sink(Event()) == 0xA702  # and the peer is asked to stop
    assert isinstance(sink.write_failed, PacsError) and "the disk is full" in str(sink.write_failed)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()] and not sink.files
    monkeypatch.setattr(P, "write_bytes", real)
    write_whole(tmp_path / "a" / "x.dcm", b"abc")
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["x.dcm"]


def test_push_refuses_what_is_no_dicom_file_naming_each(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An audit read a traceback for a missing file, a README and a folder given to push."""
    import pytest

    from viewer.errors import PacsError
    from viewer.interop.pacs import PacsServer

    text = tmp_path / "README.md"
    text.write_text("# not DICOM\n", encoding="utf-8")
    server = PacsServer("dimse", "ORTHANC@127.0.0.1:9")  # refused before any association: no server needed
    with pytest.raises(PacsError) as caught:
        server.push([tmp_path / "nothere.dcm", text, tmp_path])
    said = str(caught.value)
    assert "3 of 3 file(s) cannot be sent" in said and "no such file" in said and "not a DICOM file" in said \
        and "a folder" in said


def test_a_killed_retrieve_s_leftovers_go_at_the_next_write_into_their_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A pull killed mid-instance leaves `.NAME.part-<hex>` beside its series' files: the indexer skips them, and the
    next pull into that folder left them there for ever (session 33's left item). A write of another process,
    still holding its temporary's lock, is left alone."""
    import os
    import time

    from viewer.interop.dimse import write_whole
    from viewer.tempfiles import create_locked

    series = tmp_path / "1.2" / "1.2.3"
    series.mkdir(parents=True)
    killed = series / ".1.2.3.4.dcm.part-0123456789ab"
    killed.write_bytes(b"half")
    live = series / ".1.2.3.5.dcm.part-ba9876543210"
    fd = create_locked(live)
    old = time.time() - 60
    for p in (killed, live):
        os.utime(p, (old, old))
    try:
        write_whole(series / "1.2.3.6.dcm", b"whole")
        assert sorted(p.name for p in series.iterdir()) == [live.name, "1.2.3.6.dcm"]
    finally:
        os.close(fd)
