"""Review 49b of ws49a's DoubleClickGuard (viewer/qt/double_click.py): it times a double click by the wall clock as its
events are filtered (``time.monotonic()``), not by the events' own timestamps, which Qt's double-click detection uses.
The GUI thread busy between the two presses (the first press's own handler: a slider press decoding the next slice, a
one-click suggestion; or a loaded machine) then misjudges them:

- a double click whose presses were 150 ms apart, its second press filtered 450 ms after the first: let through to the
  other cell (the case guarded: it is made active, the line tool's click there suggests);
- two deliberate clicks 900 ms apart, queued behind a busy GUI thread and filtered back to back: the second, in the
  neighbouring cell, dropped without a word.

Now timed by ``QMouseEvent.timestamp()``; ws49a's two window tests (tests/app/test_workstation_s49a.py) give their
clicks timestamps inside the interval (QTest adds the double-click interval after every release: QTest's clicks on two
widgets are never a double click by their timestamps). (Checked: both fail with the wall clock.)"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from viewer.qt.double_click import DoubleClickGuard


class _Cell(QWidget):
    def __init__(self, busy_s: float = 0.0) -> None:
        super().__init__()
        self.presses = 0
        self.busy_s = busy_s
        self.setFixedSize(100, 100)

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.presses += 1
        time.sleep(self.busy_s)  # what the press does: a slice decoded, a suggestion made


def _press(w: QWidget, local: QPoint, timestamp_ms: int) -> None:
    for kind, buttons in ((QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton),
                          (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton)):
        ev = QMouseEvent(kind, QPointF(local), QPointF(w.mapToGlobal(local)), Qt.MouseButton.LeftButton, buttons,
                         Qt.KeyboardModifier.NoModifier)
        ev.setTimestamp(timestamp_ms)
        QApplication.sendEvent(w, ev)


def _two_cells(qtbot, busy_s: float) -> tuple[QWidget, _Cell, _Cell]:  # type: ignore[no-untyped-def]
    host = QWidget()
    qtbot.addWidget(host)
    a, b = _Cell(busy_s), _Cell()
    lay = QHBoxLayout(host)
    lay.setSpacing(2)
    lay.addWidget(a)
    lay.addWidget(b)
    host.guard = DoubleClickGuard([(a,), (b,)], [a, b], host)  # type: ignore[attr-defined]
    host.show()
    qtbot.waitExposed(host)
    return host, a, b


def test_a_double_click_whose_first_press_is_slow_to_handle_stays_the_first_cells(qtbot) -> None:  # type: ignore[no-untyped-def]
    _host, a, b = _two_cells(qtbot, busy_s=0.45)
    t0 = 1_000_000
    _press(a, QPoint(98, 50), t0)
    _press(b, QPoint(2, 50), t0 + 150)  # 150 ms after the first, by the window system's clock
    assert a.presses == 1
    assert b.presses == 0, "the double click's second press went to the other cell"


def test_two_clicks_900_ms_apart_filtered_back_to_back_both_go_through(qtbot) -> None:  # type: ignore[no-untyped-def]
    _host, a, b = _two_cells(qtbot, busy_s=0.0)
    t0 = 2_000_000
    _press(a, QPoint(98, 50), t0)
    _press(b, QPoint(2, 50), t0 + 900)  # no double click: 900 ms apart
    assert a.presses == 1
    assert b.presses == 1, "a deliberate click in the neighbouring cell was dropped"
