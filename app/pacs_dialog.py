"""File -> Query/retrieve from PACS…: search a PACS by patient id, name, date, modality; retrieve the
chosen studies into the data folder with progress and cancel, then open them.

The servers are kept in ``pacs.json`` of the configuration folder (viewer/model/settings.py's
config_dir): a list of {name, protocol, address, calling_aet, via, move_port, credentials_file}.
Credentials themselves stay in their own file. The work is :class:`viewer.interop.pacs.PacsServer`;
the search and the retrieval run in a QThread (the window paints and answers meanwhile: a busy PACS froze it for up to
the 30 s timeout), and errors show what the server answered. Closing the dialog (Close, Esc) or the main window stops a
retrieve and waits for it (Qt aborts the application when a running QThread is destroyed at quit); nothing is opened
then. A new search clears the rows chosen (a row chosen in the last results stayed chosen on another patient's study,
and Retrieve fetched it); a server that stops answering mid-retrieve is said with the studies retrieved and not.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QEventLoop, QThread, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QFormLayout, QHBoxLayout, QLineEdit, QMessageBox,
                               QProgressBar, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from app.status_label import ElidedLabel
from viewer.errors import LesionlabError, PacsError
from viewer.interop.pacs import DEFAULT_MOVE_PORT, PacsServer, Protocol, Via, stopped_retrieve, study_name
from viewer.model.settings import config_dir

COLUMNS = ("PatientID", "PatientName", "StudyDate", "ModalitiesInStudy", "StudyDescription", "StudyInstanceUID")


def servers_path() -> Path:
    return config_dir() / "pacs.json"


def load_servers() -> list[PacsServer]:
    try:
        data = json.loads(servers_path().read_text(encoding="utf-8"))
        return [PacsServer(**item) for item in data.get("servers", [])]
    except (OSError, ValueError, TypeError, LesionlabError):
        return []


def save_servers(servers: list[PacsServer]) -> None:
    path = servers_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    items = [{**asdict(s), "protocol": s.protocol.value, "via": s.via.value} for s in servers]
    path.write_text(json.dumps({"schema_version": 1, "servers": items}, indent=1), encoding="utf-8")


def patient_folder(out_root: Path, patient_id: str) -> Path:
    """The folder a patient's studies are pulled into: ``out_root/<patient id>``; an id that is no safe folder name (a
    server's id is no path: "../x" or "a/b" would leave ``out_root``) cleaned, with a short hash of the id so that
    two patients never share a folder (a review)."""
    name = re.sub(r"[^0-9A-Za-z._-]", "_", patient_id).lstrip(".")[:64] or "unknown"
    if name != patient_id:  # another id cleaned to the same name ("A/B", "A_B"; any two ids in CJK) keeps its own folder
        name = f"{name}_{hashlib.sha1(patient_id.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
    return out_root / name


class RetrieveJob(QThread):
    """Pull studies in a thread, each patient's into their own folder; ``progress(n)``, ``done(folder, text)`` for each
    folder written into, ``warned(message)`` for what the server sent and was not written or not sent (the files
    written stay, and are opened), ``failed(message)`` when a pull stops."""

    progress = Signal(int)
    done = Signal(str, str)
    warned = Signal(str)
    failed = Signal(str)

    def __init__(self, server: PacsServer, studies: list[tuple[str, str]], out_root: Path,
                 parent: QWidget | None = None, names: dict[str, str] | None = None) -> None:
        """``studies``: (patient id, study UID) as the search listed them: a study UID the server holds under two
        patient ids brings only the listed patient's instances. ``names``: study UID -> how the reader knows it
        (patient, date, modality), for the messages."""
        super().__init__(parent)
        self.server, self.studies, self.out_root = server, studies, out_root
        self.names = names or {}
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def name(self, pid: str, uid: str) -> str:
        return self.names.get(uid) or f"{pid or 'unknown'} {uid}"

    def stopped_at(self, exc: LesionlabError, retrieved: list[str], rest: list[tuple[str, str]]) -> str:
        """What a retrieve stopped by ``exc`` at the first of ``rest`` says (:func:`stopped_retrieve`)."""
        if not isinstance(exc, PacsError):
            exc = PacsError(str(exc))
        return stopped_retrieve(self.server.label, exc, retrieved, [self.name(pid, uid) for pid, uid in rest],
                                "Retrieve again")

    def run(self) -> None:
        n = 0
        written: dict[Path, int] = {}
        warnings: list[str] = []
        retrieved: list[str] = []
        for i, (pid, uid) in enumerate(self.studies):
            base = n
            folder = patient_folder(self.out_root, pid)
            try:
                r = self.server.pull_study(uid, folder, cancel=self._cancel.is_set,
                                           progress=lambda k: self.progress.emit(base + k), patient_id=pid or None)
            except LesionlabError as exc:
                warnings.append(self.stopped_at(exc, retrieved, self.studies[i:]))
                if not written:
                    self.failed.emit("; ".join(warnings))
                    return
                break
            n += len(r.files)
            if r.files:
                written[folder] = written.get(folder, 0) + len(r.files)
            retrieved.append(self.name(pid, uid))  # as the server meant it (nothing sent: said in its warnings)
            warnings += [f"{pid or 'unknown'}: {w}" for w in r.warnings]
        # several patients picked together: each in their own folder (they went into the first one's)
        for folder, k in written.items():
            self.done.emit(str(folder), f"{k} instance(s) retrieved")
        if warnings:
            self.warned.emit("; ".join(warnings))
        elif not written:
            self.failed.emit("the server sent no instance of the studies chosen")


class _Call(QThread):
    """``fn()`` in a thread: ``result`` or ``error`` once ``finished``."""

    def __init__(self, fn: Callable[[], Any], where: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fn, self.where = fn, where
        self.result: Any = None
        self.error: LesionlabError | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except LesionlabError as exc:
            self.error = exc
        except Exception as exc:  # noqa: BLE001 - pynetdicom's own errors: said with the server's name, no traceback
            self.error = LesionlabError(f"{type(exc).__name__}: {exc}", where=self.where)


class PacsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, on_retrieved: Callable[[str], None] | None = None,
                 out_root: Path | None = None) -> None:
        super().__init__(parent)
        from app.reading_session import data_dir

        self.setWindowTitle("Query/retrieve from PACS")
        self.on_retrieved = on_retrieved
        self.out_root = out_root or data_dir() / "pacs"
        self.job: RetrieveJob | None = None
        self.search_job: _Call | None = None
        self.stopped = False  # closed (or the main window closed): nothing more is opened
        self.servers = load_servers()
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.known = QComboBox()
        self.known.addItem("(new server)")
        for s in self.servers:
            self.known.addItem(s.label)
        self.known.currentIndexChanged.connect(self._pick)
        self.protocol = QComboBox()
        self.protocol.addItems([p.value for p in Protocol])
        self.address = QLineEdit()
        self.address.setPlaceholderText("AET@host:port  or  https://host/dicom-web")
        self.calling = QLineEdit("LESIONLAB")
        self.via = QComboBox()
        self.via.addItems([v.value for v in Via])
        self.move_port = QSpinBox()
        self.move_port.setRange(1, 65535)
        self.move_port.setValue(DEFAULT_MOVE_PORT)
        self.credentials = QLineEdit()
        self.credentials.setPlaceholderText("DICOMweb: JSON file with username/password or token")
        for label, w in (("Server", self.known), ("Protocol", self.protocol), ("Address", self.address),
                         ("Calling AE title", self.calling), ("DIMSE retrieve", self.via),
                         ("C-MOVE port", self.move_port), ("Credentials file", self.credentials)):
            form.addRow(label, w)
        lay.addLayout(form)
        search = QHBoxLayout()
        self.patient_id, self.patient_name = QLineEdit(), QLineEdit()
        self.date, self.modality = QLineEdit(), QLineEdit()
        for w, hint in ((self.patient_id, "patient id"), (self.patient_name, "name (wildcards *)"),
                        (self.date, "date YYYYMMDD[-YYYYMMDD]"), (self.modality, "modality CT/MR")):
            w.setPlaceholderText(hint)
            search.addWidget(w)
        self.search_button = QPushButton("Search")
        self.search_button.clicked.connect(self.search)
        search.addWidget(self.search_button)
        lay.addLayout(search)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        lay.addWidget(self.table)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.hide()
        # one line cut with "…" at the dialog's width, the whole on hover (and in the box of a warning): a long message
        # widened the dialog past a 1600 px screen, its buttons off it (a reader's check)
        self.status = ElidedLabel("")
        buttons = QHBoxLayout()
        self.retrieve_button = QPushButton("Retrieve")
        self.retrieve_button.clicked.connect(self.retrieve)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the retrieve under way (nothing of the study being received is kept)")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Close this window (a retrieve under way is stopped)")
        self.close_button.clicked.connect(self.close)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.bar)
        buttons.addWidget(self.retrieve_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        lay.addLayout(buttons)
        self.resize(900, 500)
        if self.servers:
            self.known.setCurrentIndex(1)

    # ------------------------------------------------------------------ server
    def _pick(self, index: int) -> None:
        if index <= 0:
            return
        s = self.servers[index - 1]
        self.protocol.setCurrentText(s.protocol.value)
        self.address.setText(s.address)
        self.calling.setText(s.calling_aet)
        self.via.setCurrentText(s.via.value)
        self.move_port.setValue(s.move_port)
        self.credentials.setText(s.credentials_file)

    def server(self) -> PacsServer:
        """The server as the fields give it, remembered for the next time: a server already remembered (its address)
        keeps what was changed (C-MOVE on another port retrieved, and pacs.json still said get on 11113)."""
        server = PacsServer(Protocol(self.protocol.currentText()), self.address.text().strip(),
                            self.calling.text().strip() or "LESIONLAB", self.credentials.text().strip(),
                            Via(self.via.currentText()), self.move_port.value())
        same = [i for i, s in enumerate(self.servers) if s.address == server.address]
        if not same:
            self.servers.append(server)
            save_servers(self.servers)
        elif self.servers[same[0]] != replace(server, name=self.servers[same[0]].name):
            self.servers[same[0]] = server = replace(server, name=self.servers[same[0]].name)
            save_servers(self.servers)
        return server

    def _error(self, message: str) -> None:
        self.status.setText(message)
        QMessageBox.warning(self, "PACS", message)

    # ------------------------------------------------------------------ search and retrieve
    def search(self) -> list[dict[str, str]]:
        """The studies found (also listed in the table); the query runs in a thread while the window goes on."""
        filters = {"PatientID": self.patient_id.text().strip(), "PatientName": self.patient_name.text().strip(),
                   "StudyDate": self.date.text().strip(), "ModalitiesInStudy": self.modality.text().strip().upper()}
        try:
            server = self.server()
        except LesionlabError as exc:
            self._error(str(exc))
            return []
        # the last results go, and with them the rows chosen in them: kept, a row chosen among one patient's studies
        # stayed chosen on the new search's study in that row (another patient's), and Retrieve fetched it
        self.table.clearSelection()
        self.table.setRowCount(0)
        job = self.search_job = _Call(lambda: server.find_studies(filters), server.label, self)
        loop = QEventLoop()
        job.finished.connect(loop.quit)
        self.search_button.setEnabled(False)
        self.retrieve_button.setEnabled(False)
        self.bar.show()
        self.status.setText(f"searching {server.label} …")
        job.start()
        if not job.isFinished():
            loop.exec()
        job.wait()
        self.search_job = None
        self.search_button.setEnabled(True)
        self.retrieve_button.setEnabled(self.job is None or not self.job.isRunning())
        self.bar.setVisible(self.job is not None and self.job.isRunning())
        if self.stopped:
            return []
        if job.error is not None:
            self.status.setText("")
            self._error(str(job.error))
            return []
        found: list[dict[str, str]] = job.result
        self.table.setRowCount(len(found))
        for row, study in enumerate(found):
            for col, key in enumerate(COLUMNS):
                self.table.setItem(row, col, QTableWidgetItem(study.get(key, "")))
        self.status.setText(f"{len(found)} stud(y/ies) found")
        return found

    def chosen(self) -> list[tuple[str, str]]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}) or list(range(self.table.rowCount()))
        pick: list[tuple[str, str]] = []
        for r in rows:
            pid, uid = self.table.item(r, 0), self.table.item(r, len(COLUMNS) - 1)
            if pid is not None and uid is not None:
                pick.append((pid.text(), uid.text()))
        return pick

    def names(self) -> dict[str, str]:
        """Study UID -> how the reader sees it listed: "LLSYN001 20231017 CT TDM THORAX"."""
        names: dict[str, str] = {}
        for r in range(self.table.rowCount()):
            cells = [self.table.item(r, c) for c in range(len(COLUMNS))]
            study = {key: c.text() for key, c in zip(COLUMNS, cells) if c is not None}
            names[study.get("StudyInstanceUID", "")] = study_name(study)
        return names

    def retrieve(self) -> RetrieveJob | None:
        chosen = self.chosen()
        if not chosen:
            self._error("search first, then choose the studies to retrieve")
            return None
        patients = {pid for pid, _ in chosen}
        if not self.table.selectedIndexes() and len(patients) > 1:
            # Retrieve with no row chosen takes every row: after a name search with wildcards, hundreds of studies of
            # other patients onto this workstation (a probe: 300 studies of 7 patients for 'MANY*')
            self._error(f"{len(chosen)} studies of {len(patients)} patients are listed: choose the rows to retrieve"
                        " (Ctrl+A chooses them all)")
            return None
        if not self.table.selectedIndexes() and len(chosen) > 1:
            # said, not guessed: a new search clears the rows chosen, and Retrieve then fetched every study listed
            self._error(f"no study is chosen among the {len(chosen)} listed: choose the rows to retrieve (Ctrl+A chooses"
                        " them all)")
            return None
        try:
            server = self.server()
        except LesionlabError as exc:
            self._error(str(exc))
            return None
        self.job = RetrieveJob(server, chosen, self.out_root, self, names=self.names())
        self.job.progress.connect(lambda n: self.status.setText(f"{n} instance(s) received…"))
        self.job.done.connect(self._done)
        self.job.warned.connect(self._warned)
        self.job.failed.connect(self._failed)
        self.bar.show()
        self.retrieve_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.job.start()
        return self.job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _finish(self) -> None:
        self.bar.hide()
        self.retrieve_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _cancelled(self) -> bool:
        return self.job is not None and self.job.cancelled

    def _done(self, folder: str, text: str) -> None:
        self._finish()
        self.status.setText(f"{text} into {folder}")
        if self.on_retrieved is not None and not self.stopped:
            self.on_retrieved(folder)

    def _warned(self, message: str) -> None:
        """Retrieved with something not written or not sent: said, the files written kept and opened."""
        self._finish()
        self.status.setText(f"{self.status.text()}; ⚠ {message}")
        if not self.stopped:
            QMessageBox.warning(self, "PACS", message)

    def _failed(self, message: str) -> None:
        self._finish()
        if self._cancelled():  # the reader's own cancel: said, no warning box
            self.status.setText(message)
        elif not self.stopped:
            self._error(message)

    def stop(self) -> None:
        """Stop a retrieve and wait for it, and for a search under way (the DIMSE timeout bounds it); nothing is opened
        afterwards. The dialog's close and the main window's close call this."""
        self.stopped = True
        if self.job is not None and self.job.isRunning():
            self.job.cancel()
            self.job.wait()
        if self.search_job is not None:
            self.search_job.wait()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.stop()
        super().closeEvent(event)

    def reject(self) -> None:
        """Esc: as Close (the dialog hid and its retrieve went on, opening into the window)."""
        self.stop()
        super().reject()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.stopped = False  # shown again (File -> Query/retrieve): opens what it retrieves
        super().showEvent(event)
