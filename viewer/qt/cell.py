"""One reading cell: the viewport and its slice slider (top of the slider = top slice)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QSlider, QWidget

from viewer.model.viewport import ViewportModel
from viewer.qt.viewport import ViewportWidget

SLIDER_STYLE = """
QSlider { background: #000000; }
QSlider::groove:vertical { background: #1b1b1e; width: 4px; }
QSlider::handle:vertical { background: #5a5a62; height: 18px; margin: 0 -3px; border-radius: 2px; }
QSlider::handle:vertical:hover { background: #ffc440; }
QSlider::handle:vertical:disabled { background: transparent; }
"""


class SliceSlider(QSlider):
    """A vertical slider bound to a ViewportModel: value 0 is the top slice (slice number 1)."""

    def __init__(self, model: ViewportModel, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.model = model
        self.setInvertedAppearance(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFixedWidth(10)
        self.setStyleSheet(SLIDER_STYLE)
        self.valueChanged.connect(self._moved)
        model.volume_changed.connect(self._sync)
        model.slice_changed.connect(lambda _k: self._sync())
        self._sync()

    def _sync(self) -> None:
        n = self.model.n_slices
        self.blockSignals(True)
        self.setRange(0, max(n - 1, 0))
        self.setValue(self.model.slice_number - 1 if n else 0)
        self.setEnabled(n > 1)
        self.blockSignals(False)

    def _moved(self, value: int) -> None:
        self.model.set_index(self.model.n_slices - 1 - value)


class ViewportCell(QWidget):
    """The viewport widget with its slider on the right."""

    def __init__(self, model: ViewportModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewport = ViewportWidget(model, self)
        self.slider = SliceSlider(model, self)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.viewport, 1)
        lay.addWidget(self.slider)
