"""Where the reader left: reading project, study folders, exam pair, lesion, slices (Qt-free).

Saved in ``last_session.json`` in the settings folder while the reader works (a little after each
change) and on a clean exit, with ``clean`` telling them apart. At the next start the workstation
reopens the project and the folders, the pair at the same lesion and slices, and after an unclean
exit (a crash, a kill, a power cut) says so and what the project holds from the edit log.
"""

from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from viewer.errors import StoreError

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Where:
    """One saved position of the reader."""

    store: str | None = None
    paths: tuple[str, ...] = ()
    patient_id: str | None = None
    ct_study_uid: str | None = None
    mri_study_uid: str | None = None
    lesion_id: str | None = None
    slices: dict[str, int] = field(default_factory=dict)  # stack key -> slice index
    active_cell: int = 0
    #: the active cell's stack: the cell to make active again (the cell number was the follow-up comparison's
    #: layout, 1 x 2, and reopened in the 2 x 3 grid on the empty CT arterial cell: a reader's check)
    active_key: str | None = None
    #: the series the lesion being read started on (its first status), where N goes back once the app has moved the
    #: view on: it lived in the window only, and after a restart mid-lesion N stayed on the last series drawn on (a
    #: radiologist's check, session 43: a killed session reopened on T1 arterial, N then stayed on T1 portal)
    start_role: str | None = None
    clean: bool = True
    saved_at_utc: str = ""
    #: a blinded study case was on screen (its store and exam are never kept): the next start says so after an
    #: unclean exit, not that the project it opens was "reopened" (session 48: a killed window with a study open was
    #: said to have had the image folder's reading.lesionlab, which it never wrote)
    study: bool = False

    @property
    def has_pair(self) -> bool:
        """An exam to reopen: a CT + MRI pair, or a follow-up exam of one modality (a reader's check:
        after a restart on the follow-up CT, nothing reopened: both study UIDs were required)."""
        return bool(self.patient_id and (self.ct_study_uid or self.mri_study_uid))


class LastSession:
    FILE = "last_session.json"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._owner_fd: int | None = None

    @property
    def owner_path(self) -> Path:
        """The lock of the lesionlab that keeps this position: one per settings folder, whatever project it reads."""
        return self.path.with_name(self.path.name + ".lock")

    def claim(self) -> bool:
        """Make this process the one whose position the file keeps: False while another lesionlab holds it.

        The position is one file for every window of the settings folder. The project's own lock told a second
        window on the same project that the first still ran, but a second window on another project (or one that
        opened the first's project later, from the File menu) wrote its position over the running window's and
        "clean" when it quit, so a crash of the first after that went unsaid (a review, session 43). A POSIX record
        lock (``lockf``): per process, so windows in one process (the tests) are one owner; dropped by the kernel
        when the process dies, even killed, so a crashed session is reported at the next start. A settings folder
        where locks do not work (some network file systems) claims: remembering as before the lock."""
        if self._owner_fd is not None:
            return True
        try:
            self.owner_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.owner_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return True
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            return exc.errno not in (errno.EAGAIN, errno.EACCES)
        self._owner_fd = fd
        return True

    def release(self) -> None:
        """Another lesionlab may keep its position from now on (this one quits)."""
        if self._owner_fd is not None:
            fd, self._owner_fd = self._owner_fd, None
            os.close(fd)  # closing the descriptor drops the process's record lock

    def load(self) -> Where | None:
        """The saved position, None without one (a damaged file counts as none: it is only a convenience)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            return None
        try:
            return Where(store=data.get("store"), paths=tuple(str(p) for p in data.get("paths") or ()),
                         patient_id=data.get("patient_id"), ct_study_uid=data.get("ct_study_uid"),
                         mri_study_uid=data.get("mri_study_uid"), lesion_id=data.get("lesion_id"),
                         slices={str(k): int(v) for k, v in (data.get("slices") or {}).items()},
                         active_cell=int(data.get("active_cell") or 0),
                         active_key=str(data["active_key"]) if data.get("active_key") else None,
                         start_role=str(data["start_role"]) if data.get("start_role") else None,
                         clean=bool(data.get("clean", True)),
                         saved_at_utc=str(data.get("saved_at_utc") or ""), study=bool(data.get("study", False)))
        except (TypeError, ValueError):
            return None

    def save(self, state: Any, paths: list[str], *, clean: bool) -> None:
        """Save the workstation's position (a WorkstationState)."""
        pair, sel, session = state.pair, state.selection, state.session
        study = bool(getattr(state, "blinded", False))
        if study:
            # a blinded study case is never the position to reopen: the next start opened the study store as an
            # ordinary project on the case's pair, its title, browser, overlays and the other readers' reads
            # back (a researcher's check); the study's next case is Ctrl+N after opening the study again
            pair, session = None, None
            paths = []  # nor its image folder, whose own store the next start would offer (a review)
        data = {
            "schema_version": SCHEMA_VERSION,
            "store": str(session.path) if session is not None and session.path is not None
            and not session.came_with_folder else None,
            "paths": [str(Path(p).absolute()) for p in paths],  # "s" saved relative was another folder elsewhere
            "patient_id": pair.patient_id if pair else None,
            "ct_study_uid": pair.ct_uid if pair else None,
            "mri_study_uid": pair.mr_uid if pair else None,
            "lesion_id": sel.lesion_id if pair else None,
            "slices": slices_of(state) if pair else {},
            "active_cell": state.viewer.layout.active if pair else 0,
            "active_key": active_key(state) if pair else None,
            "start_role": state.start_role.value if pair and getattr(state, "start_role", None) is not None else None,
            "clean": clean,
            "study": study,
            "saved_at_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            raise StoreError(f"cannot remember where the reading is ({exc.strerror or exc})", where=str(self.path),
                             advice="check the settings folder can be written") from None


def slices_of(state: Any) -> dict[str, int]:
    """Each loaded stack's slice on screen (stack key -> index): where the reader is in the pair (saved here, and kept
    by the window for a pair returned to)."""
    return {vp.key: vp.index for vp in state.viewer.viewports if vp.volume is not None}


def active_key(state: Any) -> str | None:
    """The stack of the active cell, when it holds one."""
    viewports = state.viewer.viewports
    active = state.viewer.layout.active
    return viewports[active].key if 0 <= active < len(viewports) and viewports[active].volume is not None else None
