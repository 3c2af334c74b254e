"""Shared fixtures of the workstation tests: the sample study indexed once, a real MainWindow on a
copy of the sample reading, real mouse and key events."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from annotation.qt.panels import FIXED
from app.browser import PAYLOAD
from app.last_session import LastSession
from app.main_window import MainWindow
from app.reading_settings import ReaderName, recent_stores
from viewer.model.settings import RecentStudies, RoleOverrides
from viewer.records import READING_ROLES

READER = "sample"  # the sample reading's reader: the tests continue that read


@pytest.fixture(scope="module")
def sample_index(sample_dicom: Path):  # type: ignore[no-untyped-def]
    if not (sample_dicom / "reading.lesionlab").is_file():
        pytest.skip("sample_dicom/ has no sample reading (make sample)")
    from viewer.index import index_path

    return index_path(sample_dicom)


@pytest.fixture(autouse=True)
def no_unanswered_question(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text question no test answers fails the test instead of waiting forever offscreen (a test that expects one
    replaces ``store_flow.ask_text`` or the dialog)."""
    from PySide6.QtWidgets import QInputDialog

    def unanswered(_parent, title, label, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError(f"a modal question no test answers: {title!r}: {label!r}")
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(unanswered))


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LESIONLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESIONLAB_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path


class CachedLoader:
    """The real loader, once per stack for the whole module (decoding JPEG 2000 is the slow part)."""

    volumes: dict[str, object] = {}

    def __init__(self, stack) -> None:  # type: ignore[no-untyped-def]
        from viewer.loader import VolumeLoader

        self._real = None if stack.key in self.volumes else VolumeLoader(stack)
        self.volume = self.volumes.get(stack.key) or self._real.volume  # type: ignore[union-attr]
        self.key = stack.key

    def load(self, **kwargs):  # type: ignore[no-untyped-def]
        if self._real is not None:
            self._real.load(**kwargs)
            if self.volume.loaded.all():  # type: ignore[attr-defined]
                self.volumes[self.key] = self.volume
        return self.volume


def shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    """A picture of what a test checked, to be looked at, where LESIONLAB_SHOTS names a folder."""
    folder = os.environ.get("LESIONLAB_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))


def grow_followup(w: MainWindow, qtbot, px: int = 60) -> None:  # type: ignore[no-untyped-def]
    """The Follow-up dock grown ``px`` over its least height, as a drag of its edge: since session 48 the dock spans
    the window and at 1920 x 1080 shows LLSYN001's rows at its least height (it grew by itself to show a wrapped
    eligibility before), so the tests of a grown dock grow it."""
    from app.window_layout import tab_bar_height

    dock = w.docks.followup_dock
    w.resizeDocks([dock], [dock.minimumSizeHint().height() + px + tab_bar_height(w, dock)], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: dock.height() >= dock.minimumSizeHint().height() + px - 2, timeout=3000)


def make_window(qtbot, tmp: Path, reader: str | None = READER, last: LastSession | None = None) -> MainWindow:  # type: ignore[no-untyped-def]
    name = ReaderName(tmp / "reader.json")
    if reader:
        name.set(reader)
    w = MainWindow(overrides=RoleOverrides(tmp / "roles.json"), recent=RecentStudies(tmp / "recent.json"),
                   reader=name, stores=recent_stores(tmp / "stores.json"), loader_factory=CachedLoader,
                   last=last or LastSession(tmp / "last_session.json"))
    qtbot.addWidget(w)
    w.questions = []  # type: ignore[attr-defined]
    # the folder's own store is offered when another is open: these tests keep theirs
    w.store_flow.ask = lambda title, text, choices: w.questions.append(text) or "keep"  # type: ignore[method-assign]
    w.resize(1500, 1000)
    w.show()
    qtbot.waitExposed(w)
    return w


def shown_whole(w: MainWindow, text: str | None = None) -> bool:
    """The status message (or ``text`` in its place) is shown whole in the window (1,500 px wide in these
    tests), not cut with "…"."""
    from PySide6.QtCore import Qt as _Qt
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    # while a series loads the progress bar (220 px) shares the status bar: the message is judged at rest,
    # as the reader reads it once the images are in (under load it was judged with the bar shown: a flake)
    if w.progress.isVisible():
        import time as _time

        end = _time.monotonic() + 30.0
        while w.progress.isVisible() and _time.monotonic() < end:
            QApplication.processEvents()
            _time.sleep(0.01)
    w.statusBar().layout().activate()  # the bar hidden, its space given back now (a posted layout request)
    QApplication.processEvents()
    text = w.status.text() if text is None else text
    return bool(w.status.fontMetrics().elidedText(text, _Qt.TextElideMode.ElideRight,
                                                  w.status.contentsRect().width()) == text)


def open_pair(w: MainWindow, qtbot, sample_dicom: Path, index, patient: str = "LLSYN001") -> None:  # type: ignore[no-untyped-def]
    w.show_index(str(sample_dicom), index)
    item = next(i for i in w.browser.pair_items() if i.data(0, PAYLOAD).patient_id == patient)
    w.browser.itemActivated.emit(item, 0)
    qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                for vp, c in zip(w.reading.viewports, w.reading.hanging.cells) if c.stack), timeout=60000)


@pytest.fixture
def store_copy(env: Path, sample_dicom: Path) -> Path:
    dst = env / "work" / "reading.lesionlab"
    dst.parent.mkdir()
    shutil.copy(sample_dicom / "reading.lesionlab", dst)
    return dst


@pytest.fixture
def window(qtbot, env: Path, store_copy: Path, sample_dicom: Path, sample_index) -> MainWindow:  # type: ignore[no-untyped-def]
    w = make_window(qtbot, env)
    assert w.store_flow.open_store(store_copy) and not w.session.read_only
    open_pair(w, qtbot, sample_dicom, sample_index)
    assert len(w.questions) == 1 and "Open it instead" in w.questions[0] and w.session.path == store_copy
    return w


def drag(qtbot, widget, a, b) -> None:  # type: ignore[no-untyped-def]
    """Left press at image point a, drag through the middle to b, release (image (row, col))."""
    t = widget.transform()
    pts = [QPoint(round(x), round(y)) for x, y in (t.image_to_widget(*a), t.image_to_widget((a[0] + b[0]) / 2, (a[1] + b[1]) / 2),
                                                    t.image_to_widget(*b))]
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=pts[0])
    qtbot.mouseMove(widget, pts[1])
    qtbot.mouseMove(widget, pts[2])
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=pts[2])


def press(w: MainWindow, qtbot, action: str) -> None:  # type: ignore[no-untyped-def]
    """The first key of ``action`` in the shortcut table, typed into the active viewport."""
    seq = w.actions_by_id[action].shortcuts()[0]
    qtbot.keyClick(w.grid.active_widget, seq[0].key(), seq[0].keyboardModifiers())


#: in :func:`typed_text_questions`' answers: the dialog's OK button clicked (a Return typed right after a shortcut with
#: Shift or Ctrl reaches the dialog with that modifier in QTest's state, and the dialog takes no Ctrl+Shift+Return)
CLICK_OK = "<click OK>"


def typed_text_questions(monkeypatch, qtbot, answers: list[list[object]]) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """QInputDialog.getText as Qt makes it (the suite's guard replaces it), each question answered with real events:
    ``answers``' next list, of text (typed over what is proposed), keys and :data:`CLICK_OK`. Returns the (label, text
    proposed) of every question asked."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QPushButton

    asked: list[tuple[str, str]] = []

    def real_get_text(parent, title, label, *args, text: str = "", **kwargs):  # type: ignore[no-untyped-def]
        dialog = QInputDialog(parent)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        asked.append((label, text))
        typed = answers.pop(0)

        def type_in() -> None:
            edit = dialog.findChild(QLineEdit)
            if not dialog.isVisible() or QApplication.activeModalWidget() is not dialog:
                QTimer.singleShot(20, type_in)
                return
            for key in typed:
                if key == CLICK_OK:
                    ok = next(b for b in dialog.findChildren(QPushButton) if b.text().replace("&", "") == "OK")
                    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
                elif isinstance(key, str):
                    edit.selectAll()
                    qtbot.keyClicks(edit, key)
                else:
                    qtbot.keyClick(edit, key)
        QTimer.singleShot(0, type_in)
        ok = dialog.exec() == QInputDialog.DialogCode.Accepted
        value = dialog.textValue()
        dialog.deleteLater()
        return value, ok
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(real_get_text))
    return asked


def grid_texts(w: MainWindow) -> dict[str, list[str]]:
    t = w.docks.lesion_panel.table
    return {t.item(r, 0).text(): [t.item(r, FIXED + j).text() for j in range(len(READING_ROLES))]
            for r in range(t.rowCount())}




def dimse_dialog(window: MainWindow, qtbot, peer: str, calling_aet: str, out_root: Path, got: list[str]):  # type: ignore[no-untyped-def]
    """File -> Query/retrieve's dialog on a DIMSE server (``peer`` AET@host:port), retrieved folders into ``got``."""
    from app.pacs_dialog import PacsDialog

    dialog = PacsDialog(window, on_retrieved=got.append, out_root=out_root)
    qtbot.addWidget(dialog)
    dialog.protocol.setCurrentText("dimse")
    dialog.address.setText(peer)
    dialog.calling.setText(calling_aet)
    return dialog


def add_treatment_line(w: MainWindow, qtbot, start: str = "2023-04-25"):  # type: ignore[no-untyped-def]
    """The Follow-up panel's treatment lines tab raised, Add line clicked and the line's start date typed into the
    Start cell it opens (Enter): the panel and the line recorded."""
    from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

    dock = w.docks.followup_dock
    dock.raise_()
    if dock.isFloating():  # a click in it makes it the active window (the window manager's part)
        dock.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dock, timeout=3000)
    panel = w.docks.followup_panel
    panel.course.setCurrentIndex(1)
    before = set(w.session.reading.project.treatment_lines)
    add = next(b for b in panel.findChildren(QPushButton) if b.text() == "Add line")
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "", (editor, panel.status.text())
    for ch in start:
        qtbot.keyClick(editor, ch)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(w.session.reading.project.treatment_lines) > len(before), timeout=5000)
    (key,) = set(w.session.reading.project.treatment_lines) - before
    return panel, w.session.reading.project.treatment_lines[key]


def exported_sample_srs(tmp_path: Path, sample_dicom: Path) -> tuple[Path, list[Path]]:
    """A copy of the sample's reading store and the DICOM SR files `lesionlab export --sr` writes from it."""
    from app.cli import main

    store = tmp_path / "reading.lesionlab"
    shutil.copy(sample_dicom / "reading.lesionlab", store)
    assert main(["export", str(store), "--sr", str(tmp_path / "sr"), "--dicom", str(sample_dicom)]) == 0
    return store, sorted((tmp_path / "sr").rglob("*.dcm"))


def round_trip_worst(before: dict, again: dict, pairs: tuple | None = None) -> float:  # type: ignore[type-arg]
    """Lesions read back from SRs (`again`, by tracking UID) against those exported (`before`): the same patient, exam,
    lesion id, lobe, segment, statuses, and per series the same series, slice index and image; with `pairs` (the
    exported and the read-back projects) the same exam studies too. Returns the largest diameter difference in mm."""
    worst = 0.0
    for uid, old in before.items():
        new = again[uid]
        if pairs is not None:
            old_pair = pairs[0].exam_pairs[(old.patient_id, old.exam_pair_id)]
            new_pair = pairs[1].exam_pairs[(new.patient_id, new.exam_pair_id)]
            assert (new_pair.ct_study_uid, new_pair.mri_study_uid) == (old_pair.ct_study_uid, old_pair.mri_study_uid)
        assert (new.patient_id, new.exam_pair_id, new.lesion_id, new.lobe, new.segment) == (
            old.patient_id, old.exam_pair_id, old.lesion_id, old.lobe, old.segment)
        assert [(r, o.status) for r, o in new.observations] == [(r, o.status) for r, o in old.observations]
        for role, m in old.measurements().items():
            n = new.measurements()[role]
            assert (n.series_instance_uid, n.slice_index, n.sop_instance_uid) == (
                m.series_instance_uid, m.slice_index, m.sop_instance_uid)
            worst = max(worst, abs(n.diameter_mm - m.diameter_mm))
    return worst
