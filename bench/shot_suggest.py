"""Screenshots of a one-click suggestion in the real window, on DWI b800 and on CT arterial.

Run under Xvfb (not part of `make bench`):

    xvfb-run -a -s "-screen 0 1920x1200x24" python -m bench.shot_suggest

Opens sample_dicom's LLSYN002 pair on a new temporary store, turns one-click
diameters on (Read menu), makes a new lesion, clicks (real mouse events) with the line tool inside
lesion L05 (16 mm, against a hepatic vein) on a slice next to its
largest, zooms that cell on the lesion, and saves the window to docs/suggest_dwi.png and
docs/suggest_ct_arterial.png. Prints the suggested and true diameters.

The window offers one-click diameters on CT arterial since session 42 (the phantoms' CT noise a real kernel's
ramp spectrum: its mean error 0.49 mm, no click over 3 mm on the bench: app/suggester.py); the script still
offers it on every series, so the CT picture does not depend on the offer table.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_dicom"
PATIENT, LESION = "LLSYN002", "L05"


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="lesionlab-shot-"))
    os.environ["LESIONLAB_CONFIG_DIR"] = str(tmp / "config")
    os.environ["LESIONLAB_DATA_DIR"] = str(tmp / "data")
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.browser import PAYLOAD
    from app.last_session import LastSession
    from app.main_window import MainWindow
    from app.reading_settings import ReaderName, recent_stores
    from viewer.display import WindowLevel
    from viewer.index import index_path
    from viewer.model.settings import RecentStudies, RoleOverrides
    from viewer.records import READING_ROLES, Role

    app = QApplication.instance() or QApplication(sys.argv[:1])
    store = tmp / "reading.lesionlab"  # a new store: only the suggested lines are drawn
    name = ReaderName(tmp / "reader.json")
    name.set("sample")
    w = MainWindow(overrides=RoleOverrides(tmp / "roles.json"), recent=RecentStudies(tmp / "recent.json"), reader=name,
                   stores=recent_stores(tmp / "stores.json"), last=LastSession(tmp / "last.json"))
    w.store_flow.ask = lambda title, text, choices: "keep"  # type: ignore[method-assign]
    w.resize(1600, 1000)
    w.show()
    assert w.store_flow.open_store(store)
    w.show_index(str(SAMPLE), index_path(SAMPLE))
    item = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == PATIENT)
    w.browser.itemActivated.emit(item, 0)

    def wait(cond, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise TimeoutError("the pair did not load")
            app.processEvents()
            time.sleep(0.02)

    wait(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                     for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack))
    truth = json.loads((SAMPLE / "ground_truth" / f"{PATIENT}.json").read_text())
    lesion = next(les for les in truth["lesions"] if les["id"] == LESION)
    exam_of = {s["role"]: e["exam_id"] for e in truth["exams"] if e["timepoint"] == 1 for s in e["series"]}
    for _ in range(100):  # let the CT <-> MRI alignment proposal finish and say its word first
        app.processEvents()
        time.sleep(0.05)
    from app import suggester

    suggester.OFFERED_ROLES = frozenset(Role)  # the CT arterial picture (see the module's doc)
    if w.state.suggest is None:
        w._toggle_one_click()  # Read -> One-click diameters
    lid = ""
    for role, out in ((Role.MR_DWI, "suggest_dwi.png"), (Role.CT_ARTERIAL, "suggest_ct_arterial.png")):
        cell = READING_ROLES.index(role)
        model, vp = w.reading.viewports[cell], w.grid.viewports[cell]
        entry = lesion["series"][role.value]
        w.reading.activate(cell)
        if not lid:
            w.actions_by_id["new_lesion"].trigger()  # one new lesion, measured on both series
            lid = w.state.selection.lesion_id
        if role is Role.CT_ARTERIAL:
            model.set_window(WindowLevel(180.0, 90.0))  # a liver window: the 50 HU lesion stands out
        k = entry["slice_index"] + 1
        model.set_index(k)
        centre = lesion["centre_mm"][exam_of[role.value]]
        row, col = model.geometry.pixel_on_slice(centre, k)
        model.set_zoom(4.0 if role is Role.CT_ARTERIAL else 2.5, center=(row, col))
        app.processEvents()
        x, y = vp.transform().image_to_widget(row + 1.0, col - 1.0)
        QTest.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
        app.processEvents()
        m = w.session.reading.project.lesions[(PATIENT, "E1", "sample", lid)].observation(role)
        w.reading.activate(cell)
        for _ in range(10):
            app.processEvents()
            time.sleep(0.05)
        w.grab().save(str(ROOT / "docs" / out))
        got = f"{m.diameter_mm:.1f} mm on slice {m.slice_index} ({m.method.value})" if m is not None else "none"
        print(f"{role.value}: clicked slice {k}; suggested {got}; truth {entry['axial_diameter_on_slice_mm']:.1f} mm "
              f"on slice {entry['slice_index']}; status: {w.status.text()}; saved docs/{out}")
    w.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
