"""The whole reading protocol of one sample patient replayed through real Qt events on the real main
window, counting the reader's actions (issue 8, "Fewer actions, measured").

An action is one click or drag, one key or key chord, one committed text field (its focusing click
counted apart) or one answer to a dialog; slice steps (wheel notches) are counted apart. The
simulated reader knows the ground truth (sample_dicom/ground_truth/<patient>.json) and reads as the
protocol says: the right/left boundary once per exam, the five largest lesions of at least 5 mm on
all six series (diameter, or "not visible" where the truth says so), every series counted per
lobe, and the clinical record. Used by tests/app/test_protocol_replay.py and bench/bench_protocol.py.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QKeySequence, QWheelEvent
from PySide6.QtWidgets import QApplication

from app.browser import PAYLOAD
from viewer.records import READING_ROLES

#: The sample generator's right/left liver boundary, a sagittal plane in body mm (tools/sample/anatomy.py).
CANTLIE_X_BODY_MM = -8.0
MEASURED = 5
MIN_DIAMETER_MM = 5.0


@dataclass
class Tally:
    actions: int = 0
    slice_steps: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int = 1) -> None:
        self.actions += n
        self.by_kind[kind] = self.by_kind.get(kind, 0) + n


class ProtocolReader:
    """Drives a MainWindow on the sample study like a radiologist following the protocol."""

    def __init__(self, window: Any, qtbot: Any, truth_path: Path) -> None:
        self.w, self.qtbot = window, qtbot
        self.truth = json.loads(truth_path.read_text(encoding="utf-8"))
        self.exams = {e["kind"]: e for e in self.truth["exams"] if e.get("timepoint", 1) == 1}
        self.tally = Tally()

    # ------------------------------------------------------------------ the reader's hands
    def key(self, action: str) -> None:
        seq = QKeySequence(next(s for s in self.w.shortcuts if s.action == action).keys[0])[0]
        focus = QApplication.focusWidget() or self.w.grid.active_widget
        self.qtbot.keyClick(focus, seq.key(), seq.keyboardModifiers())
        self.tally.add(action)

    def _widget_pos(self, cell: int, image_pos: tuple[float, float]) -> QPoint:
        x, y = self.w.grid.viewports[cell].transform().image_to_widget(*image_pos)
        return QPoint(round(x), round(y))

    def click(self, cell: int, image_pos: tuple[float, float], kind: str = "click") -> None:
        self.qtbot.mouseClick(self.w.grid.viewports[cell], Qt.MouseButton.LeftButton, pos=self._widget_pos(cell, image_pos))
        self.tally.add(kind)

    def drag(self, cell: int, a: tuple[float, float], b: tuple[float, float], kind: str = "drag") -> None:
        w = self.w.grid.viewports[cell]
        pa, pb = self._widget_pos(cell, a), self._widget_pos(cell, b)
        mid = QPoint((pa.x() + pb.x()) // 2, (pa.y() + pb.y()) // 2)
        self.qtbot.mousePress(w, Qt.MouseButton.LeftButton, pos=pa)
        self.qtbot.mouseMove(w, mid)
        self.qtbot.mouseMove(w, pb)
        self.qtbot.mouseRelease(w, Qt.MouseButton.LeftButton, pos=pb)
        self.tally.add(kind)

    def scroll_to(self, cell: int, index: int) -> None:
        """Wheel over the cell until it shows slice ``index`` (each notch a slice step, not an action)."""
        w, model = self.w.grid.viewports[cell], self.w.reading.viewports[cell]
        guard = 0
        while model.index != index and guard < 500:
            notch = -120 if model.index > index else 120  # wheel down = next slice = down the patient
            pos = QPointF(w.width() / 2, w.height() / 2)
            ev = QWheelEvent(pos, w.mapToGlobal(pos), QPoint(0, 0), QPoint(0, notch), Qt.MouseButton.NoButton,
                             Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
            QApplication.sendEvent(w, ev)
            self.tally.slice_steps += 1
            guard += 1

    def focus_cell(self, cell: int) -> None:
        """Make a cell the active one the way a reader does without drawing: a wheel notch there and back."""
        model = self.w.reading.viewports[cell]
        k = model.index
        self.scroll_to(cell, k - 1 if k > 0 else k + 1)
        self.scroll_to(cell, k)

    # ------------------------------------------------------------------ ground truth -> image
    def cell_of(self, role: str) -> int:
        return next(i for i, vp in enumerate(self.w.reading.viewports) if vp.role is not None and vp.role.value == role)

    def _kind(self, role: str) -> str:
        return "ct" if role.startswith("ct_") else "mr"

    def _on_slice(self, lesion: dict[str, Any], role: str) -> tuple[Any, int, np.ndarray]:
        geo = self.w.reading.viewports[self.cell_of(role)].geometry
        gt = lesion["series"][role]
        c = np.asarray(lesion["centre_mm"][self._kind(role)], float)
        point = np.array([c[0], c[1], gt["slice_z_mm"]])
        return geo, geo.nearest_slice(point), point

    def centre_pixel(self, lesion: dict[str, Any], role: str) -> tuple[int, tuple[float, float]]:
        geo, k, point = self._on_slice(lesion, role)
        return k, geo.pixel_on_slice(point, k)

    def diameter_ends(self, lesion: dict[str, Any], role: str) -> tuple[int, tuple[float, float], tuple[float, float]]:
        geo, k, point = self._on_slice(lesion, role)
        half = lesion["series"][role]["axial_diameter_on_slice_mm"] / 2
        th = math.radians(lesion["axial_rotation_deg"])
        axis = np.array([math.cos(th), math.sin(th), 0.0])
        return k, geo.pixel_on_slice(point - half * axis, k), geo.pixel_on_slice(point + half * axis, k)

    def boundary_ends(self, role: str) -> tuple[tuple[float, float], tuple[float, float]]:
        """The Cantlie plane on the shown slice of a cell, front to back across the liver."""
        exam = self.exams[self._kind(role)]
        cell = self.cell_of(role)
        vp = self.w.reading.viewports[cell]
        x = CANTLIE_X_BODY_MM + exam["offset_from_body_mm"][0] + exam["liver_shift_mm"][0]
        y0 = exam["liver_reference_mm"][1]
        z = float(vp.center_point_mm()[2])
        a = vp.geometry.pixel_on_slice((x, y0 - 70.0, z), vp.index)
        b = vp.geometry.pixel_on_slice((x, y0 + 40.0, z), vp.index)
        return a, b

    # ------------------------------------------------------------------ the protocol
    def open_pair(self) -> None:
        item = next(i for i in self.w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == self.truth["patient_id"])
        self.w.browser.scrollToItem(item)
        rect = self.w.browser.visualItemRect(item)
        self.qtbot.mouseClick(self.w.browser.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        self.tally.add("pick pair")
        self.qtbot.keyClick(self.w.browser, Qt.Key.Key_Return)  # (a double click does the same)
        self.tally.add("open pair")
        self.qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                         for vp, c in zip(self.w.reading.viewports, self.w.reading.hanging.cells)
                                         if c.stack), timeout=120000)

    def draw_boundaries(self) -> None:
        self.key("tool_boundary")
        for role in ("ct_arterial", "mr_t2fs"):
            a, b = self.boundary_ends(role)
            self.drag(self.cell_of(role), a, b, "boundary")

    def measured_lesions(self) -> list[dict[str, Any]]:
        big = [les for les in self.truth["lesions"] if les.get("organ", "liver") == "liver"
               and les["longest_axial_diameter_mm"] >= MIN_DIAMETER_MM]
        return sorted(big, key=lambda les: -les["longest_axial_diameter_mm"])[:MEASURED]

    def measure(self) -> dict[str, str]:
        """Each of the five largest on the six series; returns truth id -> lesion id of the read."""
        ids: dict[str, str] = {}
        for les in self.measured_lesions():
            self.key("new_lesion")
            ids[les["id"]] = self.w.state.selection.lesion_id
            first = True
            for _ in READING_ROLES:
                cell = self.w.reading.layout.active if not first else self.cell_of("ct_arterial")
                first = False
                role = self.w.reading.viewports[cell].role.value
                if not les["series"][role]["visible"]:
                    self.key("not_visible")  # on the active series, no click into it first
                    continue
                k, a, b = self.diameter_ends(les, role)
                self.scroll_to(cell, k)
                self.drag(cell, a, b, "diameter")
                if self.w.state.selection.lesion_id != ids[les["id"]]:
                    raise AssertionError(f"the current lesion changed while measuring {les['id']}")
        return ids

    def count(self) -> None:
        self.key("tool_count")
        measured = {les["id"] for les in self.measured_lesions()}
        for role in (r.value for r in READING_ROLES):
            cell = self.cell_of(role)
            to_click = [les for les in self.truth["lesions"] if les.get("organ", "liver") == "liver"
                        and les["series"][role]["visible"] and les["id"] not in measured]
            for les in to_click:
                k, pos = self.centre_pixel(les, role)
                self.scroll_to(cell, k)
                self.click(cell, pos, "count")
            if not to_click:  # every lesion there is pre-placed from its measurement: say it is counted
                self.focus_cell(cell)
                self.key("counted")

    def clinical_record(self) -> None:
        """What the reader types from the pathology report (sex came from the headers)."""
        w = self.w
        w.docks.clinical_dock.show()
        w.docks.clinical_dock.raise_()
        form = w.docks.clinical_form
        for name, text in (("age_at_diagnosis_years", "58"), ("ki67_percent", "4.5")):
            edit = form.numbers[name]
            self.qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
            self.tally.add("field click")
            edit.selectAll()
            self.qtbot.keyClicks(edit, text)
            self.qtbot.keyClick(edit, Qt.Key.Key_Return)
            self.tally.add("field commit")
        for name, letter in (("primary_site", "P"), ("differentiation", "N"), ("liver_metastases", "S"),
                             ("grade_source", "L")):
            box = form.combos[name]
            box.setFocus()
            self.tally.add("field click")
            self.qtbot.keyClick(box, letter)  # keyboard search picks the item starting with the letter
            self.tally.add("field choice")
        for t in ("somatostatin_analogues", "primary_resection"):
            box = next(c for tr, c in form.treatments.items() if tr.value == t)
            box.setFocus()
            self.tally.add("field click")
            self.qtbot.keyClick(box, "Y")  # yes
            self.tally.add("field choice")

    def read(self) -> dict[str, str]:
        self.open_pair()
        self.draw_boundaries()
        ids = self.measure()
        self.count()
        self.clinical_record()
        return ids
