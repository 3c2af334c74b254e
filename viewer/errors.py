"""The one errors module of lesionlab.

Every error the tool raises on purpose is a :class:`LesionlabError` carrying what went wrong,
where (a file, a line, a column, a tag), and advice on how to recover. The CLI prints them as one
line plus advice; the Qt layers turn them into one kind of dialog. Qt-free: imported by every
package.
"""

from __future__ import annotations

import errno as _errno
import os as _os
import re as _re
from typing import Iterable as _Iterable


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


class StoreFullError(StoreError):
    """The disk (or the database server's disk) holding the store is full: nothing of the edit was written, and
    every edit is refused so until there is room again."""


class StoreUnreachableError(StoreError):
    """The database server does not answer (stopped, restarted, the network down): the edit was not saved, and the
    store connects again by itself at the next edit once the server answers."""

    default_advice = ("nothing was changed; lesionlab connects again at your next edit or look once the server "
                      "answers (ask the database administrator if it does not)")


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


#: What a write failure's errno says, in words (a full disk first: the reason a reader can act on).
_WRITE_REASONS: dict[int, str] = {
    _errno.ENOSPC: "the disk is full",
    _errno.EDQUOT: "the disk is full (quota exceeded)",
    _errno.EROFS: "the disk is read-only",
    _errno.EACCES: "no permission to write there",
    _errno.EPERM: "no permission to write there",
}
DISK_FULL_ADVICE = "free some space on that disk or choose another folder, then retry; nothing was written"
NOT_WRITABLE_ADVICE = "choose an output folder you can write to, not an existing file"


def os_error_of(exc: BaseException) -> OSError | None:
    """The OSError with an errno behind ``exc``: itself, or one it was raised from (pydicom re-raises a full
    disk as an OSError without errno whose text holds a traceback, ``from`` the real one)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return current
        current = current.__cause__ or current.__context__
    return None


class OutputWriteError(LesionlabError):
    """An output (a file or folder the user asked for) that cannot be written: a full disk (``disk_full``), a
    read-only disk, no permission. ``where`` names that output, never a hidden temporary name beside it."""

    default_advice = NOT_WRITABLE_ADVICE

    def __init__(self, message: str, *, where: str | None = None, advice: str | None = None,
                 disk_full: bool = False) -> None:
        self.disk_full = disk_full
        super().__init__(message, where=where, advice=advice)

    @classmethod
    def from_os_error(cls, exc: BaseException, where: "str | _os.PathLike[str]",
                      advice: str | None = None) -> "OutputWriteError":
        """The error to show for ``exc`` raised while writing ``where`` (the final name): the disk full, read-only
        or not writable said in words, else the system's own words; never the temporary file's name."""
        reason, full = cls.reason_of(exc)
        said = f": {reason}" if reason in _WRITE_REASONS.values() else f" ({reason})"
        return cls(f"cannot be written{said}", where=str(where), advice=DISK_FULL_ADVICE if full else advice,
                   disk_full=full)

    @staticmethod
    def reason_of(exc: BaseException) -> tuple[str, bool]:
        """Why ``exc`` stopped a write, in words (``the disk is full``, ``the disk is read-only``, ``no permission
        to write there``, else the system's words: never a file name), and whether the disk is full."""
        found = os_error_of(exc)
        code = found.errno if found is not None else None
        if code is not None and code in _WRITE_REASONS:
            return _WRITE_REASONS[code], code in (_errno.ENOSPC, _errno.EDQUOT)
        return (found.strerror if found is not None else None) or type(exc).__name__, False


#: what looks like an absolute file path in a message (POSIX, Windows drive or UNC, ~), up to a space, quote or colon
_PATH = _re.compile(r"""(?<![\w.:~/\\-])(?:[A-Za-z]:[\\/]|[\\/]{1,2}|~[\\/])[^\s'"()\[\],;:]+""")


def without_paths(message: str, paths: _Iterable[str] = ()) -> str:
    """``message`` with every file path in it replaced by ``<file>``: the ``paths`` given first (longest first; they
    may hold spaces, "/data/DOE JOHN/1.dcm"), then anything else shaped like an absolute path. For what a blinded
    reader is shown: a folder or file name of DICOM data often names the patient."""
    for path in sorted({str(p) for p in paths} - {"", "/", "\\"}, key=len, reverse=True):
        message = message.replace(path, "<file>")
    return _re.sub(r"(?:<file>)+", "<file>", _PATH.sub("<file>", message))
