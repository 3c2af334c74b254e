"""The reader's cost of the whole protocol on LLSYN002, in actions (issue 8, "Fewer actions, measured").

Replays tests/app/protocol_replay.py on the real main window, offscreen, with real Qt events: the
right/left boundary, the five largest lesions on all six series, all six series counted per lobe,
the clinical record. An action is a click, a drag, a key or chord, a committed field or a dialog
answer; slice steps are counted apart. The issue measured about 385 actions before (two thirds of
them counting); the goal is at most 150.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
BEFORE = 385  # the count on the workstation before
GOAL = 150


class _Bot:
    """The few pytest-qt QtBot calls the replay uses, on QTest (no pytest in a benchmark)."""

    def __init__(self) -> None:
        from PySide6.QtTest import QTest

        self.t = QTest

    def keyClick(self, w: Any, key: Any, mod: Any = None) -> None:  # noqa: N802 - QtBot's names
        from PySide6.QtCore import Qt

        self.t.keyClick(w, key, mod if mod is not None else Qt.KeyboardModifier.NoModifier)

    def keyClicks(self, w: Any, text: str) -> None:  # noqa: N802
        self.t.keyClicks(w, text)

    def mouseClick(self, w: Any, button: Any, pos: Any = None) -> None:  # noqa: N802
        from PySide6.QtCore import Qt

        self.t.mouseClick(w, button, Qt.KeyboardModifier.NoModifier, pos) if pos is not None else self.t.mouseClick(w, button)

    def mousePress(self, w: Any, button: Any, pos: Any) -> None:  # noqa: N802
        from PySide6.QtCore import Qt

        self.t.mousePress(w, button, Qt.KeyboardModifier.NoModifier, pos)

    def mouseRelease(self, w: Any, button: Any, pos: Any) -> None:  # noqa: N802
        from PySide6.QtCore import Qt

        self.t.mouseRelease(w, button, Qt.KeyboardModifier.NoModifier, pos)

    def mouseMove(self, w: Any, pos: Any = None) -> None:  # noqa: N802
        self.t.mouseMove(w, pos) if pos is not None else self.t.mouseMove(w)

    def waitUntil(self, fn: Callable[[], bool], timeout: int = 5000) -> None:  # noqa: N802
        from PySide6.QtWidgets import QApplication

        end = time.monotonic() + timeout / 1000
        while not fn():
            if time.monotonic() > end:
                raise TimeoutError("the pair did not load in time")
            QApplication.processEvents()
            time.sleep(0.01)


def run() -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    from app.last_session import LastSession
    from app.main_window import MainWindow
    from app.reading_settings import ReaderName, recent_stores
    from tests.app.protocol_replay import ProtocolReader
    from viewer.index import index_path
    from viewer.model.settings import RecentStudies, RoleOverrides

    app = QApplication.instance() or QApplication([])
    sample = ROOT / "sample_dicom"
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        os.environ["LESIONLAB_DATA_DIR"] = str(t / "data")
        os.environ["LESIONLAB_CONFIG_DIR"] = str(t / "config")
        name = ReaderName(t / "reader.json")
        name.set("bench")
        w = MainWindow(overrides=RoleOverrides(t / "roles.json"), recent=RecentStudies(t / "recent.json"),
                       reader=name, stores=recent_stores(t / "stores.json"), last=LastSession(t / "last.json"))
        w.resize(1500, 1000)
        w.show()
        app.processEvents()
        w.show_index(str(t / "reading-list"), index_path(sample))
        reader = ProtocolReader(w, _Bot(), sample / "ground_truth" / "LLSYN002.json")
        t0 = time.perf_counter()
        reader.read()
        seconds = time.perf_counter() - t0
        w.close()
    tally = reader.tally
    print(f"LLSYN002 whole protocol: {tally.actions} reader actions (issue: about {BEFORE} before; goal <= {GOAL}), "
          f"{tally.slice_steps} slice steps apart; replayed in {seconds:.1f} s")
    for kind, n in sorted(tally.by_kind.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<16} {n}")
    return {"actions": tally.actions, "slice_steps": tally.slice_steps, "actions_before": BEFORE, "goal": GOAL,
            **{f"actions_{k.replace(' ', '_')}": v for k, v in tally.by_kind.items()}}
