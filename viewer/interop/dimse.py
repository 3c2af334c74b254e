"""Query and retrieve over DICOM DIMSE (pynetdicom): C-FIND, C-GET, C-MOVE, C-STORE.

* C-FIND at patient level (Patient Root) and at study, series and image level (Study Root).
* C-GET: presentation contexts built from the SOP classes the query returned (image-level
  C-FIND), one per transfer syntax lesionlab decodes (viewer/dicomio), SCP role for storage; the
  peer sends each instance back in its stored syntax on the same association. Limit: 128
  contexts per association, so at most 9 SOP classes per retrieve.
* C-MOVE: the peer opens an association to lesionlab's own storage SCP (started here on
  ``move_port``); the peer must know lesionlab's AE title (Orthanc: ``DicomModalities``).
* C-STORE: push files (an SR) to the peer.

Each received instance is written as it came (``event.encoded_dataset()``: its own transfer
syntax, no re-encoding) to ``out/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm``.
Failures raise :class:`~viewer.errors.PacsError` with what the peer answered (status code and
meaning). ``cancel()`` returning True stops a retrieve between instances (C-CANCEL is sent).
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from pydicom.dataset import Dataset
from pydicom.uid import UID
from pynetdicom import AE, build_role, evt
from pynetdicom.sop_class import (PatientRootQueryRetrieveInformationModelFind,  # type: ignore[attr-defined]
                                  StudyRootQueryRetrieveInformationModelFind,
                                  StudyRootQueryRetrieveInformationModelGet,
                                  StudyRootQueryRetrieveInformationModelMove)

from viewer.errors import OutputWriteError, PacsError
from viewer.tempfiles import write_whole

#: Transfer syntaxes lesionlab decodes (viewer/dicomio/pixels.py), offered for every SOP class.
DECODED_SYNTAXES = (
    "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
    "1.2.840.10008.1.2",  # Implicit VR Little Endian
    "1.2.840.10008.1.2.2",  # Explicit VR Big Endian
    "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.5",  # RLE Lossless
    "1.2.840.10008.1.2.4.50",  # JPEG Baseline
    "1.2.840.10008.1.2.4.51",  # JPEG Extended
    "1.2.840.10008.1.2.4.57",  # JPEG Lossless
    "1.2.840.10008.1.2.4.70",  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81",  # JPEG-LS Near-lossless
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.91",  # JPEG 2000
)
MAX_CONTEXTS = 128
DEFAULT_AET = "LESIONLAB"
_PEER = re.compile(r"^(?P<aet>[^@]{1,16})@(?P<host>[^:]+):(?P<port>[0-9]{1,5})$")


@dataclass(frozen=True)
class Peer:
    """A DIMSE peer: ``AET@HOST:PORT``."""

    aet: str
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> "Peer":
        m = _PEER.match(text.strip())
        if m is None or not 0 < int(m["port"]) < 65536:
            raise PacsError(f"{text!r} is not AET@HOST:PORT", advice="e.g. ORTHANC@pacs.example.org:4242")
        return cls(m["aet"], m["host"], int(m["port"]))

    def __str__(self) -> str:
        return f"{self.aet}@{self.host}:{self.port}"


class CGetUnsupported(PacsError):
    """The peer accepted the association but not the C-GET presentation context (C-MOVE may still work)."""


class PeerGone(PacsError):
    """The peer could not be reached, aborted the association, or stopped answering mid-transfer: no answer of its
    own (a refusal is a plain :class:`PacsError`). ``reached``: it had answered on this association (it went away
    mid-transfer, not before). A retrieve of several studies that meets this after the first has come tells the reader
    the server stopped, not to check the AE titles (app/pacs_dialog.py)."""

    reached = False


def write_failure(exc: OSError, target: Path) -> PacsError:
    """What a retrieve says when a received instance cannot be written: the instance's own name (never the hidden
    temporary one it was written under), and why (the disk full, read-only, not writable: not the server's fault)."""
    why, _ = OutputWriteError.reason_of(exc)
    return PacsError(f"cannot write the retrieved images: {why}", where=str(target),
                     advice="free space or choose another --out folder you can write, then pull again (nothing of "
                            "the study being retrieved is kept)")


#: A UID that can name a file or folder: PS3.5 allows digits and dots; letters, ``-`` and ``_`` are tolerated (real
#: files carry them), nothing else (a ``/`` or ``..`` from a peer would leave the --out folder).
_FILE_UID = re.compile(r"(?!\.+$)[0-9A-Za-z._-]{1,64}")


def not_a_file_uid(what: str, uid: str) -> str:
    """Why ``uid`` cannot name a file ("" when it can)."""
    if _FILE_UID.fullmatch(uid):
        return ""
    return f"whose {what} UID {uid!r} is not a UID (as a file name it could leave the --out folder)"


@dataclass(frozen=True)
class Wanted:
    """What a retrieve keeps: instances of the study asked for and, for a pull of one patient, of that patient id.

    A retrieve asks by Study Instance UID, and a server that holds one study UID under two patient ids (a merge
    gone wrong, two sites' UID roots clashing; Orthanc keeps them as two studies) sends both patients' instances:
    an audit pulled DUPA and found DUPB's images in the folder, nothing said. An instance of another study (a
    C-MOVE storage SCP takes associations from anyone) or whose UIDs cannot name a file is not written either."""

    study_uid: str
    patient_id: str | None = None

    def target(self, out_dir: Path, ds: Dataset) -> tuple[Path | None, str]:
        """(``out/<study>/<series>/<sop>.dcm``, "") for an instance to keep, else (None, why it is not kept)."""
        study, series = str(ds.get("StudyInstanceUID", "")), str(ds.get("SeriesInstanceUID", ""))
        sop = str(ds.get("SOPInstanceUID", ""))
        for what, uid in (("study", study), ("series", series), ("SOP instance", sop)):
            if why := not_a_file_uid(what, uid):
                return None, why
        if study != self.study_uid:
            return None, f"of study {study}, not the study asked for ({self.study_uid})"
        patient = str(ds.get("PatientID", ""))
        if self.patient_id is not None and patient != self.patient_id:
            return None, (f"of study {study} under patient id {patient or '(none)'}, not {self.patient_id} (the server "
                          "holds this study UID under more than one patient)")
        return out_dir / study / series / f"{sop}.dcm", ""


def say_not_kept(not_kept: Counter[str]) -> list[str]:
    """One warning per reason an instance received was not written."""
    return [f"{n} instance(s) {why}: not written" for why, n in sorted(not_kept.items())]


@dataclass
class RetrieveResult:
    files: list[Path] = field(default_factory=list)
    failed: int = 0  # sub-operations the peer reported as failed
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how it was done, when not as asked (C-MOVE fallback)
    seconds: float = 0.0


def _status_text(status: Dataset | None) -> str:
    if status is None or "Status" not in status:
        return "no answer (the association was aborted or timed out)"
    code = int(status.Status)
    comment = str(status.get("ErrorComment", "")).strip()
    from pynetdicom.status import code_to_category

    return f"status 0x{code:04X} ({code_to_category(code)}{': ' + comment if comment else ''})"


def _ae(calling_aet: str) -> AE:
    ae = AE(ae_title=calling_aet)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
    ae.maximum_pdu_size = 0  # no limit: the peer sends whole fragments (16 KiB PDUs cost a third of the rate)
    return ae


def _associate(ae: AE, peer: Peer, **kwargs: Any) -> Any:
    assoc = ae.associate(peer.host, peer.port, ae_title=peer.aet, **kwargs)
    if not assoc.is_established:
        why = "rejected the association" if assoc.is_rejected else (
            "could not be reached, or aborted the association" if assoc.is_aborted else "did not answer")
        kind = PacsError if assoc.is_rejected else PeerGone
        raise kind(f"{peer} {why}", where=str(peer),
                   advice="check the AE titles (the peer must know the calling AE title), host and port")
    return assoc


# ------------------------------------------------------------------------------ C-FIND
def _text(value: Any) -> str:
    """An attribute as DICOM text: several values joined by backslashes (ModalitiesInStudy MR\\SR)."""
    if value is None or value == "":
        return ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return "\\".join(str(v) for v in value)
    return str(value)


LEVEL_KEYS: dict[str, tuple[str, ...]] = {
    "PATIENT": ("PatientID", "PatientName", "PatientBirthDate", "PatientSex"),
    "STUDY": ("PatientID", "PatientName", "StudyInstanceUID", "StudyDate", "StudyTime", "StudyDescription",
              "AccessionNumber", "ModalitiesInStudy"),
    "SERIES": ("StudyInstanceUID", "SeriesInstanceUID", "Modality", "SeriesNumber", "SeriesDescription",
               "NumberOfSeriesRelatedInstances"),
    "IMAGE": ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID", "InstanceNumber"),
}


def c_find(peer: Peer, level: str, filters: dict[str, str], *, calling_aet: str = DEFAULT_AET) -> list[dict[str, str]]:
    """Matches at ``level`` (PATIENT, STUDY, SERIES, IMAGE) as plain {keyword: text} dicts."""
    level = level.upper()
    if level not in LEVEL_KEYS:
        raise PacsError(f"unknown query level {level!r}", advice=f"one of {', '.join(LEVEL_KEYS)}")
    model = PatientRootQueryRetrieveInformationModelFind if level == "PATIENT" else StudyRootQueryRetrieveInformationModelFind
    query = Dataset()
    # UTF-8 declared: a value pydicom cannot write in the default repertoire (a Japanese name) went out as '?', a
    # wildcard ('山田*' matched every patient), and the server answers in the query's character set (Orthanc dropped
    # the ideographic and phonetic components of an ISO 2022 IR 87 name answering in its default Latin-1)
    query.SpecificCharacterSet = "ISO_IR 192"
    query.QueryRetrieveLevel = level
    for key in LEVEL_KEYS[level]:
        setattr(query, key, "")
    for key, value in filters.items():
        setattr(query, key, value)
    ae = _ae(calling_aet)
    ae.add_requested_context(model)
    assoc = _associate(ae, peer)
    found: list[dict[str, str]] = []
    try:
        for status, identifier in assoc.send_c_find(query, model):
            code = int(status.Status) if status is not None and "Status" in status else None
            if code in (0xFF00, 0xFF01) and identifier is not None:
                found.append({k: _text(identifier.get(k)) for k in LEVEL_KEYS[level]})
            elif code is None:  # the association went away mid-answer
                gone = PeerGone(f"C-FIND at {level} level: {peer} stopped answering", where=str(peer))
                gone.reached = True
                raise gone
            elif code != 0x0000:
                raise PacsError(f"C-FIND at {level} level: {peer} answered {_status_text(status)}", where=str(peer))
    finally:
        assoc.release()
    return found


# ------------------------------------------------------------------------------ storage handler
class _Sink:
    """Writes each instance received (C-GET on our association, or C-MOVE to our SCP)."""

    def __init__(self, out_dir: Path, wanted: Wanted, cancel: Callable[[], bool] | None,
                 progress: Callable[[int], None] | None) -> None:
        self.out_dir, self.wanted, self.cancel, self.progress = out_dir, wanted, cancel, progress
        self.files: list[Path] = []
        self.not_kept: Counter[str] = Counter()  # why -> instances received and not written
        self.lock = threading.Lock()
        self.write_failed: PacsError | None = None  # the first file that could not be written, said once

    def __call__(self, event: Any) -> int:
        if self.cancel is not None and self.cancel():
            return 0xA702  # out of resources: refused, the peer stops the sub-operations
        if self.write_failed is not None:
            return 0xA702
        target, why = self.wanted.target(self.out_dir, event.dataset)
        if target is None:  # accepted, so that the peer goes on with the patient's own instances; said
            with self.lock:
                self.not_kept[why] += 1
            return 0x0000
        try:
            write_whole(target, event.encoded_dataset(include_meta=True))
        except OSError as exc:
            # a full disk left 307 empty and 5 truncated .dcm files, and the peer's 0xA702 was all that was said
            # (an audit): nothing partial stays, the first failure is said, the peer is asked to stop
            self.write_failed = write_failure(exc, target)
            return 0xA702
        with self.lock:
            self.files.append(target)
            if self.progress is not None:
                self.progress(len(self.files))
        return 0x0000


def _retrieve_query(study_uid: str, series_uid: str | None) -> Dataset:
    q = Dataset()
    q.QueryRetrieveLevel = "SERIES" if series_uid else "STUDY"
    q.StudyInstanceUID = study_uid
    if series_uid:
        q.SeriesInstanceUID = series_uid
    return q


def _run_retrieve(responses: Iterable[tuple[Dataset, Dataset | None]], peer: Peer, what: str,
                  result: RetrieveResult, assoc: Any, cancel: Callable[[], bool] | None) -> None:
    last: Dataset | None = None
    for status, _ in responses:
        last = status
        if cancel is not None and cancel():
            assoc.abort()
            raise PacsError(f"{what} cancelled", where=str(peer), advice="")
    if last is None or "Status" not in last:
        gone = PeerGone(f"{what}: {peer} stopped answering (the association went away mid-transfer)", where=str(peer))
        gone.reached = True
        raise gone
    code = int(last.Status)
    failed = int(last.get("NumberOfFailedSuboperations", 0) or 0)
    result.failed += failed
    if code == 0xB000 or failed:
        result.warnings.append(f"{what}: {failed} instance(s) failed ({_status_text(last)})")
    elif code not in (0x0000, 0xFE00):
        raise PacsError(f"{what}: {peer} answered {_status_text(last)}", where=str(peer))


def c_get(peer: Peer, study_uid: str, out_dir: str | Path, *, series_uid: str | None = None,
          sop_classes: Iterable[str] | None = None, calling_aet: str = DEFAULT_AET,
          cancel: Callable[[], bool] | None = None, progress: Callable[[int], None] | None = None,
          patient_id: str | None = None) -> RetrieveResult:
    """Retrieve a study (or one series) by C-GET into ``out_dir``; the SOP classes to accept come
    from an image-level C-FIND when not given. ``patient_id``: keep that patient's instances only (:class:`Wanted`)."""
    t0 = time.perf_counter()
    if sop_classes is None:
        filters = {"StudyInstanceUID": study_uid, **({"SeriesInstanceUID": series_uid} if series_uid else {})}
        sop_classes = {m["SOPClassUID"] for m in c_find(peer, "IMAGE", filters, calling_aet=calling_aet)
                       if m["SOPClassUID"]}
    classes = sorted(set(sop_classes))
    if not classes:
        raise PacsError(f"nothing to retrieve: {peer} lists no instance of study {study_uid}", where=str(peer))
    if len(classes) * len(DECODED_SYNTAXES) + 2 > MAX_CONTEXTS:
        raise PacsError(f"{len(classes)} SOP classes need more than {MAX_CONTEXTS} presentation contexts",
                        where=str(peer), advice="retrieve series by series")
    ae = _ae(calling_aet)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    # C-FIND too, so that a peer without C-GET still accepts the association and says so
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    roles = []
    for uid in classes:
        # one context per transfer syntax: the peer picks the one its instance is stored in and sends
        # it as it is (one context listing them all lets it pick the first and transcode)
        for syntax in DECODED_SYNTAXES:
            ae.add_requested_context(uid, syntax)
        roles.append(build_role(UID(uid), scp_role=True))
    out = Path(out_dir)
    sink = _Sink(out, Wanted(study_uid, patient_id), cancel, progress)
    assoc = _associate(ae, peer, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, sink)])
    if not any(c.abstract_syntax == StudyRootQueryRetrieveInformationModelGet for c in assoc.accepted_contexts):
        assoc.release()
        raise CGetUnsupported(f"{peer} does not offer C-GET (Study Root)", where=str(peer),
                              advice="retrieve by C-MOVE (--via move)")
    result = RetrieveResult()
    try:
        _run_retrieve(assoc.send_c_get(_retrieve_query(study_uid, series_uid),
                                       StudyRootQueryRetrieveInformationModelGet),
                      peer, f"C-GET of study {study_uid}", result, assoc, cancel)
    finally:
        if assoc.is_established:
            assoc.release()
    result.files = sink.files
    result.warnings += say_not_kept(sink.not_kept)
    result.seconds = time.perf_counter() - t0
    if sink.write_failed is not None:
        raise sink.write_failed
    return result


def c_move(peer: Peer, study_uid: str, out_dir: str | Path, *, move_port: int, series_uid: str | None = None,
           calling_aet: str = DEFAULT_AET, cancel: Callable[[], bool] | None = None,
           progress: Callable[[int], None] | None = None, patient_id: str | None = None) -> RetrieveResult:
    """Retrieve by C-MOVE to lesionlab's own storage SCP (AE title ``calling_aet`` on ``move_port``); ``patient_id``:
    keep that patient's instances only (:class:`Wanted`)."""
    t0 = time.perf_counter()
    out = Path(out_dir)
    sink = _Sink(out, Wanted(study_uid, patient_id), cancel, progress)
    scp = _ae(calling_aet)
    for uid in _storage_classes():
        scp.add_supported_context(uid, list(DECODED_SYNTAXES))
    try:
        server = scp.start_server(("0.0.0.0", move_port), block=False, evt_handlers=[(evt.EVT_C_STORE, sink)])
        assert server is not None  # block=False returns the server
    except OSError as exc:
        raise PacsError(f"cannot listen on port {move_port} for C-MOVE ({exc.strerror})",
                        advice="choose another port, or use --via get") from None
    result = RetrieveResult()
    try:
        ae = _ae(calling_aet)
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelMove)
        assoc = _associate(ae, peer)
        try:
            _run_retrieve(assoc.send_c_move(_retrieve_query(study_uid, series_uid), calling_aet,
                                            StudyRootQueryRetrieveInformationModelMove),
                          peer, f"C-MOVE of study {study_uid} to {calling_aet}", result, assoc, cancel)
        finally:
            if assoc.is_established:
                assoc.release()
    finally:
        server.shutdown()
    result.files = sink.files
    result.warnings += say_not_kept(sink.not_kept)
    result.seconds = time.perf_counter() - t0
    if sink.write_failed is not None:
        raise sink.write_failed
    return result


def _storage_classes() -> list[str]:
    """Image and SR storage SOP classes the SCP accepts (at most 128 contexts)."""
    from pynetdicom import StoragePresentationContexts

    return [str(c.abstract_syntax) for c in StoragePresentationContexts][:MAX_CONTEXTS]


def c_store(peer: Peer, files: Iterable[str | Path], *, calling_aet: str = DEFAULT_AET) -> list[str]:
    """Send files by C-STORE; returns one line per file that failed (empty when all were stored).

    A file whose SOP class and transfer syntax the peer accepted no presentation context for (a server refusing a
    SOP class) is one such line, named, and the others are still sent: it ended in pynetdicom's ValueError."""
    import pydicom

    datasets: list[tuple[Path, Dataset, tuple[str, str]]] = []
    failed: list[str] = []
    for f in files:
        path = Path(f)
        try:
            read = pydicom.dcmread(path)
            kind = (str(read.SOPClassUID), str(read.file_meta.TransferSyntaxUID))
        except Exception as exc:  # noqa: BLE001 - a file pydicom cannot read or that has no SOP class is said
            failed.append(f"{path.name}: cannot be sent ({type(exc).__name__}: {exc})")
            continue
        datasets.append((path, read, kind))
    if not datasets:
        return failed
    ae = _ae(calling_aet)
    pairs = sorted({kind for _, _, kind in datasets})
    if len(pairs) > MAX_CONTEXTS:
        raise PacsError(f"{len(pairs)} SOP class / transfer syntax pairs exceed {MAX_CONTEXTS} contexts",
                        advice="push fewer kinds of files at once")
    for sop_class, syntax in pairs:
        ae.add_requested_context(sop_class, syntax)
    assoc = _associate(ae, peer)
    accepted = {(str(c.abstract_syntax), str(c.transfer_syntax[0])) for c in assoc.accepted_contexts}
    try:
        for path, ds, (sop_class, syntax) in datasets:
            if (sop_class, syntax) not in accepted:
                failed.append(f"{path.name}: {peer} accepts no SOP class {sop_class} in transfer syntax {syntax} "
                              "(it refused that presentation context)")
                continue
            try:
                status = assoc.send_c_store(ds)
            except (ValueError, RuntimeError) as exc:  # pynetdicom: the association went away, the data not encodable
                failed.append(f"{path.name}: not sent ({exc})")
                continue
            if status is None or int(status.get("Status", 0xFFFF)) not in (0x0000, 0xB000, 0xB007, 0xB006):
                failed.append(f"{path.name}: {peer} answered {_status_text(status)}")
    finally:
        if assoc.is_established:
            assoc.release()
    return failed
