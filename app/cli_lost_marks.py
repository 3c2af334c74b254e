"""The command-line exports' word on count marks a lesionlab older than December 2026 lost (Qt-free).

The workstation tells them when a project opens (a box once, the status bar, Checks: app/store_flow.py); the
commands that write a store's counts out (`export`, `analyze STORE`, `agreement STORE`) wrote them one lesion short
per lost mark, unsaid. They say it on stderr now, in the status bar's words, before their own output.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from annotation.lost_marks import lost_count_marks, lost_marks_short
from annotation.store import ReadingStore
from viewer.errors import LesionlabError


def tell_lost_marks(store: str | os.PathLike[str], command: str, file: TextIO | None = None) -> int:
    """Print one line on stderr (``file``) when ``store`` has lost count marks; the number lost. A store this
    connection may not load whole (a blinded role) or cannot read says nothing here: the command says why it stops."""
    try:
        with ReadingStore.open(store, read_only=True) as opened:
            if opened.blinded:
                return 0
            project = opened.load()
    except LesionlabError:
        return 0
    lost = lost_count_marks(project)
    if lost:
        print(f"lesionlab {command}: ⚠ {lost_marks_short(lost, project)} in the workstation; until then the counts "
              "written here count one lesion less there per lost mark", file=file or sys.stderr)
    return len(lost)
