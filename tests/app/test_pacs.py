"""PACS against a real Orthanc (tests/orthanc.py): C-FIND at three levels, pull by C-GET, C-MOVE and
WADO-RS compared instance by instance with the uploaded sample files (JPEG 2000 kept as stored), an
unknown AE, a server that goes away mid-transfer, partial failures, SRs pushed by C-STORE and STOW-RS
and read back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest

from app.cli import main
from tests.annotation.pg import free_port
from tests.orthanc import CLIENT_AET, need_orthanc, orthanc, running_orthanc  # noqa: F401 - fixture
from viewer.errors import PacsError
from viewer.interop.dicomweb import wado_retrieve
from viewer.interop.dimse import Peer, c_find, c_get, c_move

PATIENT = "LLSYN003"


@pytest.fixture(scope="module")
def loaded(orthanc, sample_dicom: Path):  # noqa: F811
    files = sorted((sample_dicom / PATIENT).rglob("*.dcm"))
    assert orthanc.upload(files) == len(files)
    return orthanc, {pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID: f for f in files}


def _same_instances(out: Path, sources: dict[str, Path]) -> int:
    got = {}
    for f in out.rglob("*.dcm"):
        ds = pydicom.dcmread(f)
        got[ds.SOPInstanceUID] = ds
    assert set(got) == set(sources), (len(got), len(sources))
    for uid, ds in got.items():
        src = pydicom.dcmread(sources[uid])
        assert ds.file_meta.TransferSyntaxUID == src.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.90"
        assert ds.PixelData == src.PixelData  # the JPEG 2000 codestream, byte for byte
        for key in ("PatientID", "StudyInstanceUID", "SeriesInstanceUID", "ImagePositionPatient", "PixelSpacing"):
            assert ds.get(key) == src.get(key), key
    return len(got)


def test_c_find_at_patient_study_and_series_level(loaded) -> None:
    server, sources = loaded
    peer = Peer.parse(server.peer)
    (patient,) = c_find(peer, "PATIENT", {"PatientID": PATIENT}, calling_aet=CLIENT_AET)
    assert patient["PatientName"] == "SYNTHETIC^CHARLIE"
    studies = c_find(peer, "STUDY", {"PatientID": PATIENT}, calling_aet=CLIENT_AET)
    assert sorted(s["ModalitiesInStudy"] for s in studies) == ["CT", "MR"]
    series = [x for s in studies for x in c_find(peer, "SERIES", {"StudyInstanceUID": s["StudyInstanceUID"]},
                                                  calling_aet=CLIENT_AET)]
    assert sum(int(x["NumberOfSeriesRelatedInstances"]) for x in series) == len(sources)


@pytest.mark.parametrize("how", ["get", "move", "dicomweb"])
def test_pull_by_each_protocol_gives_the_uploaded_instances(loaded, tmp_path: Path, how: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    server, sources = loaded
    out = tmp_path / "pulled"
    if how == "dicomweb":
        args = ["pull", "--dicomweb", server.dicomweb]
    else:
        args = ["pull", "--dimse", server.peer, "--calling-aet", CLIENT_AET, "--via", how,
                "--move-port", str(server.move_port)]
    assert main([*args, "--patient", PATIENT, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"pulled {len(sources)} instance(s) of 2 stud" in text and "indexed: " in text
    assert _same_instances(out, sources) == len(sources)


def test_an_unknown_move_destination_is_an_error_that_says_what_the_server_answered(loaded, tmp_path: Path) -> None:
    server, _ = loaded
    peer = Peer.parse(server.peer)
    study = c_find(peer, "STUDY", {"PatientID": PATIENT}, calling_aet=CLIENT_AET)[0]["StudyInstanceUID"]
    with pytest.raises(PacsError, match=r"status 0x[0-9A-F]{4} \(Failure"):
        c_move(peer, study, tmp_path, move_port=free_port(), calling_aet="NOBODY")
    assert not list(tmp_path.rglob("*.dcm"))


def test_partial_failure_when_a_sop_class_is_not_accepted(loaded, tmp_path: Path) -> None:
    server, _ = loaded
    peer = Peer.parse(server.peer)
    mr = next(s for s in c_find(peer, "STUDY", {"PatientID": PATIENT}, calling_aet=CLIENT_AET)
              if "MR" in s["ModalitiesInStudy"].split("\\"))["StudyInstanceUID"]
    result = c_get(peer, mr, tmp_path, sop_classes=["1.2.840.10008.5.1.4.1.1.2"], calling_aet=CLIENT_AET)  # CT only
    assert result.files == [] and result.failed > 0 and "failed" in result.warnings[0]


def test_a_server_that_goes_away_mid_transfer(sample_dicom: Path, tmp_path: Path) -> None:
    need_orthanc()
    for server in running_orthanc(free_port()):
        files = sorted((sample_dicom / PATIENT).rglob("*.dcm"))[:80]
        server.upload(files)
        peer = Peer.parse(server.peer)
        study = c_find(peer, "STUDY", {"PatientID": PATIENT}, calling_aet=CLIENT_AET)[0]["StudyInstanceUID"]

        def kill(n: int) -> None:
            if n == 5 and server.proc is not None:
                server.proc.kill()

        with pytest.raises(PacsError, match="stopped answering|aborted|did not answer"):
            c_get(peer, study, tmp_path, calling_aet=CLIENT_AET, progress=kill)
        assert 5 <= len(list(tmp_path.rglob("*.dcm"))) < 80


def test_sr_pushed_by_c_store_and_by_stow_reads_back(loaded, tmp_path: Path, sample_dicom: Path) -> None:
    server, _ = loaded
    store = tmp_path / "reading.lesionlab"
    shutil.copy(sample_dicom / "reading.lesionlab", store)
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(sample_dicom)]) == 0
    srs = sorted((tmp_path / "sr" / PATIENT).rglob("*.dcm"))
    assert len(srs) == 6
    assert main(["push", "--dimse", server.peer, "--calling-aet", CLIENT_AET, *map(str, srs[:3])]) == 0
    assert main(["push", "--dicomweb", server.dicomweb, *map(str, srs[3:])]) == 0
    for sr in srs:
        ds = pydicom.dcmread(sr)
        back = wado_retrieve(server.dicomweb, ds.StudyInstanceUID, tmp_path / "back",
                             series_uids=[ds.SeriesInstanceUID])
        (got,) = [pydicom.dcmread(f) for f in back.files]
        assert got.SOPInstanceUID == ds.SOPInstanceUID and got.ContentSequence == ds.ContentSequence


def test_dicomweb_basic_authentication_from_a_credentials_file(sample_dicom: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    need_orthanc()
    for server in running_orthanc(free_port(), users={"reader": "s3cret"}):
        files = sorted((sample_dicom / PATIENT / "20240205_CT").rglob("*.dcm"))[:10]
        server.upload(files)
        good, bad = tmp_path / "good.json", tmp_path / "bad.json"
        good.write_text('{"username": "reader", "password": "s3cret"}')
        bad.write_text('{"username": "reader", "password": "wrong"}')
        good.chmod(0o600)
        bad.chmod(0o600)
        args = ["pull", "--dicomweb", server.dicomweb, "--patient", PATIENT]
        assert main([*args, "--credentials", str(good), "--out", str(tmp_path / "a")]) == 0
        assert len(list((tmp_path / "a").rglob("*.dcm"))) == 10
        assert main([*args, "--credentials", str(bad), "--out", str(tmp_path / "b")]) == 1
        assert "HTTP 401" in capsys.readouterr().err
        assert main([*args, "--out", str(tmp_path / "c")]) == 1


@pytest.mark.parametrize("how", ["get", "dicomweb"])
def test_cancel_stops_a_retrieve(loaded, tmp_path: Path, how: str) -> None:
    server, _ = loaded
    peer = Peer.parse(server.peer)
    study = next(s for s in c_find(peer, "STUDY", {"PatientID": PATIENT}, calling_aet=CLIENT_AET)
                 if "MR" in s["ModalitiesInStudy"].split("\\"))["StudyInstanceUID"]
    received: list[int] = []
    with pytest.raises(PacsError, match="cancelled"):
        if how == "get":
            c_get(peer, study, tmp_path, calling_aet=CLIENT_AET, progress=received.append,
                  cancel=lambda: len(received) >= 3)
        else:
            wado_retrieve(server.dicomweb, study, tmp_path, progress=received.append, cancel=lambda: len(received) >= 3)
    assert 3 <= len(list(tmp_path.rglob("*.dcm"))) < 235


def test_a_peer_without_c_get_is_retrieved_by_c_move(sample_dicom: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A pynetdicom peer offering C-FIND and C-MOVE only (as some PACS do): pull --via get falls back."""
    from pydicom.dataset import Dataset
    from pynetdicom import AE, evt
    from pynetdicom.sop_class import (StudyRootQueryRetrieveInformationModelFind,  # type: ignore[attr-defined]
                                      StudyRootQueryRetrieveInformationModelMove)

    files = sorted((sample_dicom / PATIENT / "20240205_CT").rglob("*.dcm"))[:6]
    datasets = [pydicom.dcmread(f) for f in files]
    move_port = free_port()

    def find(event):  # type: ignore[no-untyped-def]
        q = event.identifier
        if q.QueryRetrieveLevel == "STUDY":
            ds = Dataset()
            ds.QueryRetrieveLevel, ds.PatientID = "STUDY", PATIENT
            ds.StudyInstanceUID = datasets[0].StudyInstanceUID
            yield 0xFF00, ds
        elif q.QueryRetrieveLevel == "IMAGE":
            for src in datasets:
                ds = Dataset()
                ds.QueryRetrieveLevel, ds.SOPClassUID = "IMAGE", src.SOPClassUID
                ds.SOPInstanceUID, ds.StudyInstanceUID = src.SOPInstanceUID, src.StudyInstanceUID
                yield 0xFF00, ds

    def move(event):  # type: ignore[no-untyped-def]
        assert event.move_destination.strip() in (CLIENT_AET, CLIENT_AET.encode())
        yield "127.0.0.1", move_port
        yield len(datasets)
        for ds in datasets:
            yield 0xFF00, ds

    ae = AE(ae_title="NOGET")
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelMove)
    ae.add_requested_context(datasets[0].SOPClassUID, datasets[0].file_meta.TransferSyntaxUID)  # CT, JPEG 2000
    port = free_port()
    server = ae.start_server(("127.0.0.1", port), block=False,
                             evt_handlers=[(evt.EVT_C_FIND, find), (evt.EVT_C_MOVE, move)])
    try:
        code = main(["pull", "--dimse", f"NOGET@127.0.0.1:{port}", "--calling-aet", CLIENT_AET,
                     "--move-port", str(move_port), "--patient", PATIENT, "--out", str(tmp_path)])
    finally:
        server.shutdown()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "does not offer C-GET" in out and "retrieved by C-MOVE" in out
    assert sorted(p.stem for p in tmp_path.rglob("*.dcm")) == sorted(str(d.SOPInstanceUID) for d in datasets)


def test_several_modalities_in_a_study_come_back_as_dicom_text(loaded, tmp_path: Path, sample_dicom: Path) -> None:
    """ModalitiesInStudy is multi-valued once an SR joins the study: both protocols give MR\\SR, not a list."""
    from viewer.interop.dicomweb import qido_studies
    from viewer.interop.dimse import c_store

    server, _ = loaded
    store = tmp_path / "reading.lesionlab"
    shutil.copy(sample_dicom / "reading.lesionlab", store)
    main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(sample_dicom / PATIENT)])
    peer = Peer.parse(server.peer)
    assert c_store(peer, sorted((tmp_path / "sr" / PATIENT).rglob("mr_t2fs.dcm")), calling_aet=CLIENT_AET) == []
    by_dimse = {frozenset(s["ModalitiesInStudy"].split("\\"))
                for s in c_find(peer, "STUDY", {"PatientID": PATIENT}, calling_aet=CLIENT_AET)}
    by_web = {frozenset(s["ModalitiesInStudy"].split("\\")) for s in qido_studies(server.dicomweb, {"PatientID": PATIENT})}
    assert frozenset({"MR", "SR"}) in by_dimse and by_dimse == by_web
