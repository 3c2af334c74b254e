"""What the images say about a measured series, kept in the store for DICOM SR export.

A TID 1500 Measurement Report repeats the patient and study modules of the images it measures,
names its series and frame of reference. Measurements already carry their image
(``sop_instance_uid``, ``sop_class_uid``, ``frame_number``); the rest is one
:class:`DicomContext` per series in the store's ``dicom_context`` table, recorded by
:func:`record_stacks` when a study is opened in the workstation, or from ``--dicom PATH`` for a
store read before this table existed. It is not part of the :class:`~annotation.project.Project`
(no edit log, no undo): it describes the images, not the reading.

The table holds identifiers (names, birth dates, accession numbers): the pseudonymised exports
are built from the Project alone and never read it (tests/annotation/test_dicom_context.py).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import astuple, fields
from typing import Any, Iterable

from annotation.placement import recorded_uid
from annotation.store import ReadingStore
from viewer.errors import LesionlabError, StoreError
from viewer.interop.model import DicomContext
from viewer.records import READING_ROLES, StackInfo

TABLE = "dicom_context"


#: The longest text a :class:`DicomContext` field holds (its own check).
CONTEXT_TEXT_MAX = 200


def context_of(stack: StackInfo, roles: str = "") -> DicomContext:
    """The context of a stack's series from its first image's header; its middle image is the
    series' reference image. Text beyond :data:`CONTEXT_TEXT_MAX` characters is cut: a header's 300-character
    ReferringPhysicianName (or StudyDescription, LO being 64) refused the context, which stopped `export --sr --dicom`
    for every patient, naming no file, and raised after each edit of the workstation that had opened the series."""
    if not stack.images:
        raise LesionlabError("a stack without images has no DICOM context", where=stack.key)
    h = stack.images[0]
    middle = stack.images[len(stack.images) // 2]
    values: dict[str, Any] = dict(
        series_instance_uid=stack.series_instance_uid, patient_id=stack.patient_id, patient_name=h.patient_name,
        patient_birth_date=h.patient_birth_date, patient_sex=h.patient_sex, study_instance_uid=stack.study_instance_uid,
        study_date=h.study_date, study_time=h.study_time, study_id=h.study_id, accession_number=h.accession_number,
        referring_physician_name=h.referring_physician_name, study_description=h.study_description,
        series_number=h.series_number, series_description=h.series_description, modality=h.modality,
        manufacturer=h.manufacturer, frame_of_reference_uid=h.frame_of_reference_uid, roles=roles or stack.role.value,
        reference_sop_class_uid=middle.sop_class_uid, reference_sop_instance_uid=recorded_uid(middle.sop_instance_uid))  # an SR carries 64 characters
    cut: dict[str, Any] = {k: v[:CONTEXT_TEXT_MAX] if isinstance(v, str) else v for k, v in values.items()}
    return DicomContext(**cut)


def contexts_of(stacks: Iterable[StackInfo]) -> dict[str, DicomContext]:
    """One context per series; ``roles`` lists the roles of all its stacks (a DWI series: b0 and b800)."""
    by_series: dict[str, list[StackInfo]] = {}
    for s in stacks:
        if s.images:
            by_series.setdefault(s.series_instance_uid, []).append(s)
    return {uid: context_of(max(group, key=lambda s: s.role in READING_ROLES),
                            " ".join(sorted({s.role.value for s in group})))
            for uid, group in by_series.items()}


_COLUMNS = tuple(f.name for f in fields(DicomContext))


def _store_error(store: ReadingStore, exc: BaseException, doing: str) -> BaseException:
    if isinstance(exc, LesionlabError):
        return exc
    return store.backend_db.error(exc, doing) or exc


def record_stacks(store: ReadingStore, stacks: Iterable[StackInfo]) -> int:
    """Record (or refresh) the context of every series of ``stacks`` in one transaction; returns
    how many series were written. A read-only store raises StoreError; nothing is written then."""
    contexts = contexts_of(stacks)
    if not contexts:
        return 0
    if store.read_only:
        raise StoreError("the store is open read-only; the DICOM context was not recorded", where=store.where)
    db = store.backend_db
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    cols = (*_COLUMNS, "recorded_at_utc")
    sql = (f"INSERT INTO {TABLE} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
           f"ON CONFLICT (series_instance_uid) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in cols[1:]))
    try:
        db.begin()
        db.executemany(sql, [(*astuple(c), now) for c in contexts.values()])
        db.commit()
    except BaseException as exc:
        try:
            db.rollback()
        except Exception:  # noqa: BLE001 - the original failure is the one to report
            pass
        raise _store_error(store, exc, "the DICOM context was not recorded") from None
    return len(contexts)


def load_contexts(store: ReadingStore) -> dict[str, DicomContext]:
    """Every recorded series context, by Series Instance UID."""
    try:
        rows: list[Any] = db_rows(store)
    except BaseException as exc:
        raise _store_error(store, exc, "cannot read the DICOM context") from None
    return {r[0]: DicomContext(*r) for r in rows}


def db_rows(store: ReadingStore) -> list[Any]:
    db = store.backend_db
    if not db.has_table(TABLE):
        return []
    return list(db.execute(f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} ORDER BY series_instance_uid"))
