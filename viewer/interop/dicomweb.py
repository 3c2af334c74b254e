"""Query, retrieve and store over DICOMweb (dicomweb-client): QIDO-RS, WADO-RS, STOW-RS.

Credentials come from a JSON file, never from the command line: ``{"username": ..., "password":
...}`` for basic authentication or ``{"token": ...}`` for a bearer token (the file should be
readable by its owner only; a warning says so otherwise). https URLs are verified by requests
(``{"ca_bundle": "/path/ca.pem"}`` adds a CA).

WADO-RS asks for each instance in the transfer syntax it is stored in (``transfer-syntax=*``) and
writes it to ``out/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm``.
"""

from __future__ import annotations

import io
import json
import os
import stat
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import requests
from dicomweb_client.api import DICOMwebClient

from viewer.errors import PacsError
from viewer.interop.dimse import (PeerGone, RetrieveResult, Wanted, not_a_file_uid, say_not_kept, write_failure,
                                  write_whole)

_ANY_SYNTAX = (("application/dicom", "*"),)


@dataclass(frozen=True)
class WebCredentials:
    username: str = ""
    password: str = ""
    token: str = ""
    ca_bundle: str = ""
    warning: str = ""

    @classmethod
    def from_file(cls, path: str | Path) -> "WebCredentials":
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PacsError(f"cannot read the credentials file ({exc})", where=str(p),
                            advice='write {"username": "...", "password": "..."} or {"token": "..."}') from None
        if not isinstance(data, dict) or not ({"username", "token"} & set(data)):
            raise PacsError("the credentials file holds neither a username nor a token", where=str(p))
        mode = p.stat().st_mode
        warning = (f"{p} can be read by other users: chmod 600 it" if os.name == "posix"
                   and mode & (stat.S_IRGRP | stat.S_IROTH) else "")
        return cls(str(data.get("username", "")), str(data.get("password", "")), str(data.get("token", "")),
                   str(data.get("ca_bundle", "")), warning)


def client(url: str, credentials: WebCredentials | None = None) -> DICOMwebClient:
    session = requests.Session()
    headers: dict[str, str] = {}
    if credentials is not None:
        if credentials.token:
            headers["Authorization"] = f"Bearer {credentials.token}"
        elif credentials.username:
            session.auth = (credentials.username, credentials.password)
        if credentials.ca_bundle:
            session.verify = credentials.ca_bundle
    return DICOMwebClient(url=url.rstrip("/"), session=session, headers=headers or None)


def _http_error(exc: Exception, url: str, doing: str) -> PacsError:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        r = exc.response
        body = r.text.strip().replace("\n", " ")[:200]
        advice = ("check the credentials file" if r.status_code in (401, 403) else
                  "check the URL (the DICOMweb root, e.g. http://host:8042/dicom-web)")
        return PacsError(f"{doing}: the server answered HTTP {r.status_code} {r.reason}"
                         f"{' (' + body + ')' if body else ''}", where=url, advice=advice)
    if isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return PeerGone(f"{doing}: cannot connect, or the server stopped answering ({type(exc).__name__})", where=url)
    return PacsError(f"{doing}: {type(exc).__name__}: {exc}", where=url)


def _value(item: dict[str, Any], tag: str) -> str:
    """A DICOM JSON attribute as text: a person name's alphabetic form, several values joined by backslashes."""
    values = item.get(tag, {}).get("Value", [])
    return "\\".join(str(v.get("Alphabetic", "")) if isinstance(v, dict) else str(v) for v in values)


_TAGS = {"PatientID": "00100020", "PatientName": "00100010", "StudyInstanceUID": "0020000D",
         "StudyDate": "00080020", "StudyDescription": "00081030", "ModalitiesInStudy": "00080061",
         "SeriesInstanceUID": "0020000E", "Modality": "00080060", "SeriesNumber": "00200011",
         "SeriesDescription": "0008103E", "AccessionNumber": "00080050"}


#: What a study search lists. QIDO-RS answers only the required attributes unless asked (``includefield``): the
#: StudyDescription DIMSE's C-FIND gave was empty over DICOMweb (a reader's check).
_STUDY_KEYS = ("PatientID", "PatientName", "StudyInstanceUID", "StudyDate", "StudyDescription", "AccessionNumber",
               "ModalitiesInStudy")


def qido_studies(url: str, filters: dict[str, str], credentials: WebCredentials | None = None) -> list[dict[str, str]]:
    """Studies matching ``filters`` (PatientID, PatientName, StudyDate, ModalitiesInStudy ...)."""
    keys = _STUDY_KEYS
    try:
        found = client(url, credentials).search_for_studies(search_filters=filters, fields=list(keys),
                                                            get_remaining=True)
    except Exception as exc:  # noqa: BLE001 - one message for any transport failure
        raise _http_error(exc, url, "QIDO-RS study search") from None
    return [{k: _value(item, _TAGS[k]) for k in keys} for item in found]


def qido_series(url: str, study_uid: str, credentials: WebCredentials | None = None) -> list[dict[str, str]]:
    try:
        found = client(url, credentials).search_for_series(study_instance_uid=study_uid, get_remaining=True)
    except Exception as exc:  # noqa: BLE001
        raise _http_error(exc, url, "QIDO-RS series search") from None
    keys = ("StudyInstanceUID", "SeriesInstanceUID", "Modality", "SeriesNumber", "SeriesDescription")
    return [{k: _value(item, _TAGS[k]) for k in keys} for item in found]


def wado_retrieve(url: str, study_uid: str, out_dir: str | Path, *, credentials: WebCredentials | None = None,
                  series_uids: Iterable[str] | None = None, cancel: Callable[[], bool] | None = None,
                  progress: Callable[[int], None] | None = None, patient_id: str | None = None) -> RetrieveResult:
    """Retrieve a study's series (or the given ones) by WADO-RS into ``out_dir``; ``patient_id``: keep that
    patient's instances only (:class:`~viewer.interop.dimse.Wanted`)."""
    t0 = time.perf_counter()
    web = client(url, credentials)
    series = list(series_uids) if series_uids is not None else [
        s["SeriesInstanceUID"] for s in qido_series(url, study_uid, credentials)]
    result = RetrieveResult()
    out = Path(out_dir)
    wanted, not_kept = Wanted(study_uid, patient_id), Counter[str]()
    try:
        for uid in series:
            if why := not_a_file_uid("series", uid):  # dicomweb-client refused it as "check the server address"
                not_kept[f"of a series {why.removeprefix('whose series UID ')}"] += 1
                continue
            for ds in web.iter_series(study_uid, uid, media_types=_ANY_SYNTAX):
                if cancel is not None and cancel():
                    raise PacsError("WADO-RS retrieve cancelled", where=url, advice="")
                target, why = wanted.target(out, ds)
                if target is None:
                    not_kept[why] += 1
                    continue
                buffer = io.BytesIO()
                ds.save_as(buffer, enforce_file_format=True)
                try:
                    write_whole(target, buffer.getvalue())
                except OSError as exc:  # the disk, not the server: said so (an audit read "check the server")
                    raise write_failure(exc, target) from None
                result.files.append(target)
                if progress is not None:
                    progress(len(result.files))
    except PacsError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _http_error(exc, url, f"WADO-RS retrieve of study {study_uid}") from None
    result.warnings += say_not_kept(not_kept)
    result.seconds = time.perf_counter() - t0
    return result


def stow(url: str, files: Iterable[str | Path], credentials: WebCredentials | None = None) -> list[str]:
    """Store files by STOW-RS; returns one line per instance the server did not store."""
    import pydicom

    datasets = [pydicom.dcmread(f) for f in files]
    try:
        answer = client(url, credentials).store_instances(datasets)
    except Exception as exc:  # noqa: BLE001
        raise _http_error(exc, url, "STOW-RS store") from None
    failed = answer.get("FailedSOPSequence") if answer is not None else None
    return [f"{item.get('ReferencedSOPInstanceUID', '?')}: failure reason {item.get('FailureReason', '?')}"
            for item in (failed or [])]
