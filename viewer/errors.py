"""The one errors module of lesionlab.

Every error the tool raises on purpose is a :class:`LesionlabError` carrying what went wrong,
where (a file, a line, a column, a tag), and advice on how to recover. The CLI prints them as one
line plus advice; the Qt layers turn them into one kind of dialog. Qt-free: imported by every
package.
"""

from __future__ import annotations


class LesionlabError(Exception):
    """Base class: ``message`` says what, ``where`` says where, ``advice`` says what to do."""

    default_advice = ""

    def __init__(self, message: str, *, where: str | None = None, advice: str | None = None) -> None:
        self.message = message
        self.where = where
        self.advice = advice if advice is not None else self.default_advice
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text} ({self.advice})" if self.advice else text


class DicomReadError(LesionlabError):
    """A DICOM file cannot be read or lacks what it needs."""

    default_advice = "check the file with a DICOM validator or re-export it from PACS"


class GeometryError(LesionlabError):
    """A stack's geometry is missing or inconsistent (no orientation, no positions, mixed sizes)."""

    default_advice = "the stack can be shown but not measured; re-export it with full geometry"


class NotMeasurableError(LesionlabError):
    """A measurement was asked for on a stack whose millimetres cannot be trusted."""

    default_advice = "measure on an axial stack with PixelSpacing"


class InputFormatError(LesionlabError):
    """A CSV or other tabular input is malformed (missing column, bad value, duplicate row)."""

    default_advice = "fix the named cell and run again; nothing was written"


class StoreError(LesionlabError):
    """The reading store cannot be opened or written."""

    default_advice = "the store file is unchanged; close other lesionlab windows using it and retry"


class StoreLockedError(StoreError):
    """Another lesionlab process holds the store for writing."""

    default_advice = "close the other lesionlab window using this store, or open it read-only"


class StoreReadOnlyError(StoreError):
    """The store lies where it cannot be written (a read-only file system, a folder or file this user may not
    write): it can be read there, not edited."""

    default_advice = "copy it to a folder you can write and open the copy, or open it read-only where it is"


class StoreConflictError(StoreError):
    """Another reader changed a record this edit would replace (several writers on one database)."""

    default_advice = "reopen the store to see the other change, then edit again"


class BlindedRoleError(StoreError):
    """The database role is a blinded reader (or adjudicator) of a reader study: the database refuses it the
    patients' names, clinical data and exam dates, so what needs them cannot run with it."""

    default_advice = ("read your cases through the study (lesionlab view: Study -> Open study as reader; "
                      "`lesionlab study next STORE --reader NAME`); exports with names, response and analyses "
                      "run as the study's coordinator")


def blinded_message(kind: str | None, reader: str | None) -> str:
    """The first words of every refusal of a blinded role: what it is and what it may not read."""
    what = "adjudicator" if kind == "adjudicator" else "reader"
    return (f"this database role is a blinded {what} ({reader or '?'}, of a reader study): it may not read the "
            "patients' names, clinical data or exam dates")


class StudyError(LesionlabError):
    """A reader study refuses a step (a case out of order, a washout not over, another reader's read)."""

    default_advice = ""


class ValidationError(LesionlabError, ValueError):
    """A record was built with a bad value; ``where`` names the argument."""

    default_advice = ""


class MemoryBudgetError(LesionlabError):
    """Reading a file would take more memory than the memory budget allows (or a size looks like a bomb)."""

    default_advice = "raise the memory budget (LESIONLAB_MEMORY_BUDGET_MB or memory_budget_mb in settings.json)"


class SrError(LesionlabError):
    """A DICOM SR that cannot be written, or read into a reading (viewer/interop)."""

    default_advice = "the store was not changed; see the listed items"


class PacsError(LesionlabError):
    """A PACS (DIMSE or DICOMweb) that refused or failed a query, retrieve or store."""

    default_advice = "check the server address, AE titles and credentials, and that the server is running"
