"""One PACS, reached by DIMSE or DICOMweb: find studies, pull them into a folder, push files.

The CLI (``lesionlab pull`` / ``push``) and the GUI's PACS dialog both go through
:class:`PacsServer`, so that the protocol is one choice made once.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from viewer.dicomio.elements import has_preamble
from viewer.errors import PacsError
from viewer.interop.dimse import DEFAULT_AET, Peer, RetrieveResult
from viewer.tempfiles import hold_folder, remove_stale_folders, temporary_name

if TYPE_CHECKING:
    from viewer.interop.dicomweb import WebCredentials

DEFAULT_MOVE_PORT = 11113
#: Characters a PACS reads as matching more than one value in a PatientID key: ``*`` and ``?``
#: are wildcards (PS3.4 C.2.2.2.4; QIDO-RS the same), ``\\`` separates values (list matching).
PATIENT_ID_WILDCARDS = "*?\\"


def exact_patient_id(patient_id: str) -> str:
    """``patient_id`` when it can only match itself, else PacsError: a pull fetches one patient."""
    bad = sorted({c for c in patient_id if c in PATIENT_ID_WILDCARDS})
    if not patient_id.strip():
        raise PacsError("an empty patient id matches every patient of the PACS",
                        advice="give the Patient ID of the one patient to pull")
    if bad:
        raise PacsError(f"patient id {patient_id!r} contains {' '.join(repr(c) for c in bad)}, which a PACS reads as a"
                        " wildcard or a list: it would pull every patient it matches",
                        advice="give the exact Patient ID (File → Query/retrieve from PACS… searches with"
                               " wildcards)")
    return patient_id



def _not_a_dicom_file(path: Path) -> str:
    """Why ``path`` cannot be sent ("" when it can): missing, a folder, unreadable, or not DICOM."""
    if not path.exists():
        return "no such file"
    if path.is_dir():
        return "a folder (give the files in it)"
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if has_preamble(head):
        return ""
    import pydicom

    try:  # a dataset without the Part 10 preamble (older files) is DICOM too
        pydicom.dcmread(path, stop_before_pixels=True)
    except Exception:  # noqa: BLE001 - whatever pydicom cannot read is no DICOM file to send
        return "not a DICOM file"
    return ""

def stopped_retrieve(label: str, exc: PacsError, retrieved: list[str], rest: list[str], again: str) -> str:
    """What a retrieve of several studies stopped by ``exc`` at the first of ``rest`` says: the studies retrieved and
    not, by name (those after the one that failed were silently absent, a reader's check). A server that had answered
    and then went away (:class:`~viewer.interop.dimse.PeerGone`) is said to have stopped answering: not "could not be
    reached ... check the AE titles", read after 236 instances had come. ``again``: how to retrieve again."""
    from viewer.interop.dimse import PeerGone

    total = len(retrieved) + len(rest)
    done = f"{len(retrieved)} of {total} stud{'y' if total == 1 else 'ies'} retrieved" + (
        f": {', '.join(retrieved)}" if retrieved else "")
    if isinstance(exc, PeerGone) and (retrieved or exc.reached):
        said = (f"{label}: the server stopped answering during the retrieve ({done}; not retrieved: {', '.join(rest)}:"
                f" {again})")
        return said + (f"; {exc.message}" if exc.reached else "")
    if total == 1:
        return str(exc)
    return f"{exc} ({done}; not retrieved: {', '.join(rest)})"


def study_name(study: dict[str, str]) -> str:
    """A study as a search lists it: "LLSYN001 20231017 CT TDM THORAX" (its UID when nothing else is known)."""
    keys = ("PatientID", "StudyDate", "ModalitiesInStudy", "StudyDescription")
    return " ".join(study[k] for k in keys if study.get(k)) or study.get("StudyInstanceUID", "?")


class Protocol(str, Enum):
    DIMSE = "dimse"
    DICOMWEB = "dicomweb"


class Via(str, Enum):
    """How DIMSE retrieves: C-GET on the query's association, or C-MOVE to lesionlab's storage SCP."""

    GET = "get"
    MOVE = "move"


@dataclass(frozen=True)
class PacsServer:
    """``address`` is ``AET@HOST:PORT`` (DIMSE) or the DICOMweb root URL."""

    protocol: Protocol
    address: str
    calling_aet: str = DEFAULT_AET
    credentials_file: str = ""  # DICOMweb: JSON with username/password or token
    via: Via = Via.GET
    move_port: int = DEFAULT_MOVE_PORT
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "protocol", Protocol(self.protocol))
        object.__setattr__(self, "via", Via(self.via))
        if self.protocol is Protocol.DIMSE:
            Peer.parse(self.address)
        elif not self.address.startswith(("http://", "https://")):
            raise PacsError(f"{self.address!r} is not an http(s) URL", advice="e.g. https://pacs.example.org/dicom-web")
        if not 0 < len(self.calling_aet) <= 16:
            raise PacsError(f"calling AE title {self.calling_aet!r} must have 1 to 16 characters")

    @property
    def label(self) -> str:
        return self.name or self.address

    def _credentials(self) -> "WebCredentials | None":
        from viewer.interop.dicomweb import WebCredentials

        return WebCredentials.from_file(self.credentials_file) if self.credentials_file else None

    # ------------------------------------------------------------------ query
    def find_studies(self, filters: dict[str, str]) -> list[dict[str, str]]:
        """Studies matching PatientID, PatientName, StudyDate (range ``A-B``), ModalitiesInStudy."""
        filters = {k: v for k, v in filters.items() if v}
        if self.protocol is Protocol.DIMSE:
            from viewer.interop.dimse import c_find

            return c_find(Peer.parse(self.address), "STUDY", filters, calling_aet=self.calling_aet)
        from viewer.interop.dicomweb import qido_studies

        return qido_studies(self.address, filters, self._credentials())

    def find_series(self, study_uid: str) -> list[dict[str, str]]:
        if self.protocol is Protocol.DIMSE:
            from viewer.interop.dimse import c_find

            return c_find(Peer.parse(self.address), "SERIES", {"StudyInstanceUID": study_uid},
                          calling_aet=self.calling_aet)
        from viewer.interop.dicomweb import qido_series

        return qido_series(self.address, study_uid, self._credentials())

    # ------------------------------------------------------------------ retrieve
    def pull_study(self, study_uid: str, out_dir: str | Path, *, cancel: Callable[[], bool] | None = None,
                   progress: Callable[[int], None] | None = None, patient_id: str | None = None) -> RetrieveResult:
        """One study into ``out_dir``; with ``patient_id``, only that patient's instances are written (a server may
        hold the study UID under two patients: :class:`~viewer.interop.dimse.Wanted`).

        The instances are received into a hidden folder of ``out_dir`` (:func:`viewer.tempfiles.temporary_name`, which
        the indexer never reads) and moved to ``out_dir/<study>/<series>/`` once the retrieve has ended as the server
        meant it to: a retrieve that stops (the server gone mid-transfer, a cancel, a disk full) keeps nothing, as what
        it received would read as a series missing slices (a lesion measured there is a wrong diameter or count).
        The hidden folder is held locked while the retrieve runs; one a killed retrieve left in ``out_dir`` (no process
        holds it) is removed here, a live retrieve's (another window's) left alone."""
        out = Path(out_dir)
        remove_stale_folders(out)
        new = not out.exists()
        stage = temporary_name(out / study_uid, "partial")
        try:
            held = hold_folder(stage)
        except OSError as exc:
            raise PacsError(f"cannot create a folder to retrieve into ({exc.strerror})", where=str(out),
                            advice="choose a folder you can write, then retrieve again") from None
        try:
            return self._pull_into(study_uid, out, stage, cancel=cancel, progress=progress, patient_id=patient_id)
        finally:
            os.close(held)
            if new:  # nothing retrieved: no empty folder left of it
                try:
                    out.rmdir()
                except OSError:
                    pass

    def _pull_into(self, study_uid: str, out: Path, stage: Path, *, cancel: Callable[[], bool] | None,
                   progress: Callable[[int], None] | None, patient_id: str | None) -> RetrieveResult:
        try:
            result = self._pull_study(study_uid, stage, cancel=cancel, progress=progress, patient_id=patient_id)
        except PacsError as exc:
            received = sum(1 for p in stage.rglob("*") if p.is_file()) if stage.exists() else 0
            shutil.rmtree(stage, ignore_errors=True)
            if received:
                exc.message += (f"; the {received} instance(s) received of study {study_uid} were not kept (a series"
                                " missing slices would read as whole): retrieve again")
            if exc.where and stage in Path(exc.where).parents:
                exc.where = str(out)  # never the hidden folder's name
            raise
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        moved: list[Path] = []
        try:
            for f in result.files:
                target = out / f.relative_to(stage)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(f, target)  # a second retrieve of the patient replaces the instance by its copy
                moved.append(target)
        except OSError as exc:
            raise PacsError(f"cannot move the retrieved images into place ({exc.strerror})", where=str(out),
                            advice="free space or choose another folder you can write, then retrieve again") from None
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        result.files = moved
        return result

    def _pull_study(self, study_uid: str, out_dir: Path, *, cancel: Callable[[], bool] | None,
                    progress: Callable[[int], None] | None, patient_id: str | None) -> RetrieveResult:
        if self.protocol is Protocol.DICOMWEB:
            from viewer.interop.dicomweb import wado_retrieve

            return wado_retrieve(self.address, study_uid, out_dir, credentials=self._credentials(), cancel=cancel,
                                 progress=progress, patient_id=patient_id)
        from viewer.interop.dimse import CGetUnsupported, c_get, c_move

        peer = Peer.parse(self.address)
        if self.via is Via.GET:
            try:
                return c_get(peer, study_uid, out_dir, calling_aet=self.calling_aet, cancel=cancel, progress=progress,
                             patient_id=patient_id)
            except CGetUnsupported as exc:  # the fallback: C-MOVE to lesionlab's own storage SCP
                fallback = f"{exc.message}: retrieved by C-MOVE to {self.calling_aet} on port {self.move_port}"
        else:
            fallback = ""
        result = c_move(peer, study_uid, out_dir, move_port=self.move_port, calling_aet=self.calling_aet,
                        cancel=cancel, progress=progress, patient_id=patient_id)
        if fallback:
            result.notes.append(fallback)
        return result

    def pull_patient(self, patient_id: str, out_dir: str | Path, *, cancel: Callable[[], bool] | None = None,
                     progress: Callable[[int], None] | None = None) -> tuple[RetrieveResult, int]:
        """Every study of one patient into ``out_dir``; (merged result, number of studies).

        The id must be exact (:func:`exact_patient_id`); studies the PACS returns under another
        PatientID (a server matching loosely, e.g. ignoring case) are not pulled, and a note says so.
        """
        exact_patient_id(patient_id)
        found = self.find_studies({"PatientID": patient_id})
        studies = [s for s in found if s.get("PatientID", "") in ("", patient_id)]
        others = sorted({s.get("PatientID", "") for s in found} - {"", patient_id})
        if not studies:
            raise PacsError(f"{self.label} has no study of patient {patient_id}"
                            + (f" (only of {', '.join(others)})" if others else ""), where=self.label,
                            advice="check the patient id (C-FIND / QIDO-RS matched nothing)" + (
                                "; some DICOMweb servers match no id that is not ASCII (Orthanc's plugin): try --dimse"
                                if self.protocol is Protocol.DICOMWEB and not patient_id.isascii() else ""))
        total = RetrieveResult()
        if others:
            total.notes.append(f"{len(found) - len(studies)} stud(y/ies) of other patient ids ({', '.join(others)})"
                               f" answered the query for {patient_id}: not pulled")
        done = 0
        for i, study in enumerate(studies):
            def step(n: int) -> None:
                if progress is not None:
                    progress(done + n)
            try:
                r = self.pull_study(study["StudyInstanceUID"], out_dir, cancel=cancel, progress=step,
                                    patient_id=patient_id)
            except PacsError as exc:
                if len(studies) > 1:
                    exc.message = stopped_retrieve(self.label, exc, [study_name(s) for s in studies[:i]],
                                                   [study_name(s) for s in studies[i:]], "pull again")
                    exc.where, exc.advice = None, ""  # both said in the message
                raise
            done += len(r.files)
            total.files += r.files
            total.failed += r.failed
            total.warnings += r.warnings
            total.notes += r.notes
            total.seconds += r.seconds
        return total, len(studies)

    # ------------------------------------------------------------------ store
    def push(self, files: Iterable[str | Path]) -> list[str]:
        """Send files (SRs) by C-STORE or STOW-RS; one line per file not stored. Files that are missing, folders or
        not DICOM are refused first, each named (an audit read a traceback for each)."""
        files = list(files)
        refused = [f"{f}: {why}" for f in files if (why := _not_a_dicom_file(Path(f)))]
        if refused:
            raise PacsError(f"{len(refused)} of {len(files)} file(s) cannot be sent: " + "; ".join(refused),
                            advice="give DICOM files (an SR written by lesionlab export --sr, for example)")
        if self.protocol is Protocol.DIMSE:
            from viewer.interop.dimse import c_store

            return c_store(Peer.parse(self.address), files, calling_aet=self.calling_aet)
        from viewer.interop.dicomweb import stow

        return stow(self.address, files, self._credentials())
