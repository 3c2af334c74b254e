"""`lesionlab response STORE`: the follow-up a reader recorded in a store, as the engine's courses.

The rows come from :func:`annotation.followup.followup_rows` (FOLLOWUP.csv's columns) and are
validated exactly like the file (:mod:`analysis.response_io`), with "row N" for "line N".
"""

from __future__ import annotations

import os

import pandas as pd

from typing import Any

from analysis.response import assess_course
from analysis.response_io import courses_from_frames
from analysis.response_records import RESPONSE_COLUMNS, PatientCourse, Settings
from annotation.followup import (FOLLOWUP_ROW_COLUMNS, TREATMENT_LINE_ROW_COLUMNS, followup_readers, followup_rows,
                                 treatment_line_rows)
from annotation.project import Project
from annotation.store import ReadingStore
from viewer.errors import InputFormatError, LesionlabError


def _frames(project: Project, reader: str, source: str, patient_ids: list[str] | None = None) -> list[PatientCourse]:
    rows = pd.DataFrame(followup_rows(project, reader, source, patient_ids=patient_ids),
                        columns=list(FOLLOWUP_ROW_COLUMNS))
    lines = pd.DataFrame(treatment_line_rows(project), columns=list(TREATMENT_LINE_ROW_COLUMNS))
    lines = lines[lines["patient_id"].isin(set(rows["patient_id"]))]
    return courses_from_frames(rows, lines, source)


def patient_response_rows(project: Project, patient_id: str, settings: Settings = Settings()) -> list[dict[str, Any]]:
    """The RECIST sheet of a patient's workbook (``annotation.export.ResponseRows``): every reader's
    response rows; a follow-up the engine cannot read gives one row whose note says why."""
    out: list[dict[str, Any]] = []
    for reader in followup_readers(project):
        try:
            courses = _frames(project, reader, "store", [patient_id])
        except LesionlabError as exc:
            out.append({"reader": reader, **dict.fromkeys(RESPONSE_COLUMNS), "patient_id": patient_id,
                        "note": str(exc)})
            continue
        for course in courses:
            out += [{"reader": reader, **r.row()} for r in assess_course(course, settings)]
    return out


def project_courses(project: Project, reader: str | None, source: str) -> list[PatientCourse]:
    """Courses of one reader's follow-up in a project (the only reader when ``reader`` is None)."""
    readers = followup_readers(project)
    if not readers:
        raise InputFormatError("holds no follow-up reading (no lesion has follow-up attributes)", where=source,
                               advice="record timepoints and target/non-target/new lesions first")
    if reader is None:
        if len(readers) > 1:
            raise InputFormatError(f"holds the follow-up of several readers ({', '.join(readers)})", where=source,
                                   advice="choose one with --reader NAME")
        reader = readers[0]
    elif reader not in readers:
        raise InputFormatError(f"no follow-up by reader {reader!r} (readers: {', '.join(readers)})", where=source)
    return _frames(project, reader, source)


def load_store_courses(store: str | os.PathLike[str], reader: str | None = None) -> list[PatientCourse]:
    """Open the store read-only (a viewer may keep it open) and build the courses, a one-click suggestion not kept yet
    left out as the exports leave it (review49c: summed in the response while the window showed it "not kept yet")."""
    with ReadingStore.open(store, read_only=True) as opened:
        project = opened.load().without_pending()
        where = opened.where
    return project_courses(project, reader, where)


def store_followup(store: str | os.PathLike[str]) -> tuple[list[PatientCourse] | None, str]:
    """For `lesionlab analyze STORE`: the follow-up's courses when one reader recorded one, else
    (None, why) — no follow-up, or several readers (then `lesionlab response STORE --reader`). A suggestion not kept
    yet is left out (:func:`load_store_courses`)."""
    with ReadingStore.open(store, read_only=True) as opened:
        project = opened.load().without_pending()
        where = opened.where
    readers = followup_readers(project)
    if not readers:
        return None, "no follow-up in the store"
    if len(readers) > 1:
        return None, (f"follow-up by several readers ({', '.join(readers)}): run lesionlab response STORE "
                      "--reader NAME")
    return project_courses(project, readers[0], where), ""

