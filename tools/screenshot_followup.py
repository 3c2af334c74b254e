"""Screenshot of follow-up reading (docs/followup.png): LLSYN001's CT of 2024-03-12 beside its prior CT
portal of 2023-10-17 (the prior's lines drawn, aligned), the Follow-up dock below across the window's width: the
lesions' kinds, organs and statuses and the live response per timepoint (sample_dicom/followup.lesionlab: PR, then PD
with a new lesion), the treatment lines with their baselines in the tab beside it.

Run under a display (Xvfb):  xvfb-run -s "-screen 0 1920x1200x24" .venv/bin/python tools/screenshot_followup.py OUT.png
It drives the real main window with Qt events, as a reader would (a click, P, ]).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(out: str) -> int:
    tmp = Path(tempfile.mkdtemp())
    os.environ["LESIONLAB_CONFIG_DIR"] = str(tmp / "config")
    os.environ["LESIONLAB_DATA_DIR"] = str(tmp / "data")
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.browser import PAYLOAD
    from app.main_window import MainWindow
    from app.reading_settings import ReaderName, recent_stores
    from viewer.index import index_path
    from viewer.model.settings import RecentStudies, RoleOverrides
    from viewer.records import Role

    app = QApplication.instance() or QApplication([])
    from app.theme import apply_dark_theme
    apply_dark_theme(app)
    sample = ROOT / "sample_dicom"
    store = tmp / "followup.lesionlab"
    shutil.copy(sample / "followup.lesionlab", store)
    name = ReaderName(tmp / "reader.json")
    name.set("sample")
    w = MainWindow(overrides=RoleOverrides(tmp / "roles.json"), recent=RecentStudies(tmp / "recent.json"),
                   reader=name, stores=recent_stores(tmp / "stores.json"))
    w.store_flow.ask = lambda title, text, choices: "keep"  # type: ignore[method-assign]
    w.resize(1920, 1150)  # the width of a 1920 x 1080 screen: every response column through TGR in view
    w.show()
    w.activateWindow()
    w.raise_()
    QTest.qWaitForWindowActive(w, 5000)  # shortcuts fire in the active window (no window manager under Xvfb)
    w.store_flow.open_store(store)
    w.show_index(str(sample), index_path(sample))

    def wait(cond, ms: int = 120000) -> None:  # type: ignore[no-untyped-def]
        left = ms
        while not cond() and left > 0:
            QTest.qWait(50)
            left -= 50

    def key(action: str) -> None:
        seq = w.actions_by_id[action].shortcuts()[0]
        QTest.keyClick(w.grid.active_widget, seq[0].key(), seq[0].keyboardModifiers())

    item = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == "LLSYN001"
                and i.data(0, PAYLOAD).is_single and i.data(0, PAYLOAD).study_date.isoformat() == "2024-03-12")
    w.browser.setCurrentItem(item)
    w.browser.itemActivated.emit(item, 0)
    wait(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                     for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack))
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    QTest.mouseClick(w.grid.viewports[portal], Qt.MouseButton.LeftButton)
    key("compare_prior")
    wait(lambda: all(vp.volume is not None and vp.volume.loaded.all() for vp in w.reading.viewports[:2]))
    wait(lambda: "prior exam aligned" in w.status.text())
    key("next_lesion")  # L1 in both cells (the prior by its tracking UID)
    w.docks.followup_dock.raise_()
    w.resizeDocks([w.docks.followup_dock], [400], Qt.Orientation.Vertical)
    w.reading.activate(0)
    QTest.qWait(500)
    w.grab().save(out)
    print(f"saved {out}; status: {w.status.text()}")
    w.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "docs" / "followup.png")))
