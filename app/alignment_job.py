"""The CT <-> MRI alignment proposed from the images when a pair opens, in a worker thread.

It never blocks the first image: it starts once the two stacks it registers (CT portal and MRI T1
portal first, viewer/registration/choice.py) have loaded completely, runs in a thread, and a newer
pair cancels it. A proposal is applied at once (the cells scroll together) and kept out of the
store; the reader corrects it with the landmark link (L), which stores it as confirmed.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from viewer.errors import LesionlabError


class AlignmentJob(QObject):
    """Signals ``done(token, proposal)`` and ``failed(token, message)``; ``token`` names the pair."""

    done = Signal(object, object)
    failed = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel: threading.Event | None = None

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self._cancel = None

    def start(self, token: object, fixed: Any, moving: Any,
              propose: Callable[..., Any] | None = None) -> threading.Thread:
        """Register ``moving`` onto ``fixed`` (volumes fully loaded) in a thread; a running job is cancelled."""
        self.cancel()
        cancel = self._cancel = threading.Event()

        def work() -> None:
            try:
                if propose is None:
                    from viewer.registration import propose_alignment as run
                else:
                    run = propose
                proposal = run(fixed, moving, cancel=cancel)
            except LesionlabError as exc:
                self.failed.emit(token, str(exc))
            except Exception as exc:  # noqa: BLE001 - reported in the status bar, never a crash
                self.failed.emit(token, f"{type(exc).__name__}: {exc}")
            else:
                if proposal is not None and not cancel.is_set():
                    self.done.emit(token, proposal)

        t = threading.Thread(target=work, name="align", daemon=True)
        t.start()
        return t
