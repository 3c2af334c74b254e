"""Session 43: a radiologist's read of LLSYN003 under Xvfb (with a window manager), quit and reopened mid-read, and
a second window on the same project: the defects found, through the real main window."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.last_session import LastSession
from tests.app.conftest import make_window, open_pair, press
from viewer.records import READING_ROLES, Role

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom"


def test_n_after_a_restart_mid_lesion_goes_back_to_where_the_lesion_started(qtbot, env: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """L2 started on CT arterial (its first line), then DWI; the session was killed with L2 current on T1 arterial.
    Reopened there, the reader drew T1 arterial's line (the app moved on to T1 portal) and T1 portal's, and pressed N
    for the next lesion: the view stayed on T1 portal, where before the restart N went "back on CT arterial, where
    the last lesion started". The series a lesion starts on was the window's only; it is kept with the position."""
    from app.cmd_view import restore_position
    from tests.app.test_reader_check_s35 import READER, _activate
    from tests.app.test_review_s36 import _draw_on_active

    truth = json.loads((SAMPLE / "ground_truth" / "LLSYN001.json").read_text())
    lesion = truth["lesions"][0]
    arterial, t1_arterial, t1_portal = (READING_ROLES.index(r) for r in
                                        (Role.CT_ARTERIAL, Role.MR_T1_ARTERIAL, Role.MR_T1_PORTAL))
    last = LastSession(env / "last.json")
    w = make_window(qtbot, env, reader=READER, last=last)
    store = env / "work" / "fresh.lesionlab"
    store.parent.mkdir(exist_ok=True)
    assert w.store_flow.open_store(store) and not w.session.read_only
    open_pair(w, qtbot, SAMPLE, sample_index)
    press(w, qtbot, "tool_window")
    _activate(w, qtbot, arterial)
    press(w, qtbot, "new_lesion")
    _draw_on_active(w, qtbot, lesion, Role.CT_ARTERIAL)
    assert w.state.start_role is Role.CT_ARTERIAL
    press(w, qtbot, "tool_window")
    _activate(w, qtbot, t1_arterial)  # where the session ends, mid-lesion (the process dies: no closeEvent)
    w._save_last()
    w.session.store.close()
    saved = last.load()
    assert saved is not None and not saved.clean

    w2 = make_window(qtbot, env, reader=READER, last=last)
    assert w2.store_flow.open_store(saved.store)
    w2.show_index(str(SAMPLE), sample_index)
    assert restore_position(w2, saved, QApplication.instance())
    qtbot.waitUntil(lambda: all(vp.volume is not None and vp.volume.loaded.all()
                                for vp, c in zip(w2.reading.viewports, w2.reading.hanging.cells) if c.stack), timeout=60000)
    assert w2.reading.layout.active == t1_arterial and w2.state.selection.lesion_id == "L1"
    _draw_on_active(w2, qtbot, lesion, Role.MR_T1_ARTERIAL)
    assert w2.reading.layout.active == t1_portal, w2.status.text()
    _draw_on_active(w2, qtbot, lesion, Role.MR_T1_PORTAL)
    press(w2, qtbot, "new_lesion")
    assert w2.reading.layout.active == arterial, w2.status.text()
    assert "back on CT arterial, where the last lesion started" in w2.status.text(), w2.status.text()


def test_a_second_window_on_the_project_leaves_the_first_windows_session_its_own(qtbot, env: Path, store_copy: Path,  # type: ignore[no-untyped-def]
                                                                               sample_dicom: Path, sample_index) -> None:
    """A second lesionlab started while the first reads (the project open for writing there) opened it read-only and
    said "lesionlab did not close cleanly last time": the first was open, nothing had crashed. Quitting the second
    then wrote its own position as a clean exit over the first's running session, so a crash of the first after that
    went unsaid at the next start. The second window neither reports nor writes the first's session."""
    import argparse

    from app.cmd_view import open_last_store, recovery_message

    last = LastSession(env / "last.json")
    first = make_window(qtbot, env, last=last)
    assert first.store_flow.open_store(store_copy) and not first.session.read_only
    open_pair(first, qtbot, sample_dicom, sample_index, "LLSYN002")
    first.state.selection.set_lesion("L2")
    first._save_last()  # the first window reads: its session is saved as running (not clean)
    if hasattr(first, "_remember_timer"):
        first._remember_timer.stop()  # saved: its own save later would hide the second window's
    running = last.load()
    assert running is not None and not running.clean and running.lesion_id == "L2"

    second = make_window(qtbot, env, last=LastSession(env / "last.json"))
    said: list[str] = []

    def inform(title: str, text: str) -> None:  # the modal question: events run while the reader reads it
        said.append(text)
        qtbot.wait(1200)

    second.store_flow.inform = inform  # type: ignore[method-assign]
    args = argparse.Namespace(store=None, path=None, quit_when_listed=False)
    assert open_last_store(second, args, running) == ""  # what `lesionlab view` does at start (app/cmd_view.run)
    assert second.session.read_only and said and "open for writing in another lesionlab" in said[0]
    assert "did not close cleanly" in recovery_message(second, running), "the message the fix keeps from showing"
    assert last.load() == running, "written while the question was open"
    # the second lesionlab is another process, the first holding the position file's owner lock (LastSession.claim: a
    # per-process POSIX lock, which windows of one process share): without this the second window's remember timer
    # took the position over whenever it fired before the close, and the test passed or failed with the machine's speed
    second.last.claim = lambda: False  # type: ignore[method-assign]
    open_pair(second, qtbot, sample_dicom, sample_index, "LLSYN003")
    second.show()
    second.close()  # a real close event, as Ctrl+Q sends
    after = last.load()
    assert after is not None and not after.clean and after.patient_id == "LLSYN002" and after.lesion_id == "L2", after
    # the first window's own quit still says it closed cleanly
    first.show()
    first.close()
    closed = last.load()
    assert closed is not None and closed.clean and closed.patient_id == "LLSYN002"


def test_a_crashed_session_is_still_reported_when_nobody_holds_its_project(qtbot, env: Path, store_copy: Path,  # type: ignore[no-untyped-def]
                                                                         sample_dicom: Path, sample_index) -> None:
    """The other side of the rule: the first window killed (its lock gone with it), the next start reports the
    unclean exit and remembers again."""
    from app.cmd_view import after_last_session

    last = LastSession(env / "last.json")
    first = make_window(qtbot, env, last=last)
    assert first.store_flow.open_store(store_copy)
    open_pair(first, qtbot, sample_dicom, sample_index, "LLSYN002")
    first._save_last()
    first.session.store.close()  # the kernel drops a killed process's lock
    running = last.load()
    assert running is not None and not running.clean
    second = make_window(qtbot, env, last=last)
    assert second.store_flow.open_store(running.store) and not second.session.read_only
    assert "did not close cleanly" in after_last_session(second, running) and second.remembers


def _reading_llsyn003(qtbot, env: Path, store_copy: Path, sample_dicom: Path, sample_index):  # type: ignore[no-untyped-def]
    """A window reading LLSYN003 in a project, and a study store to open (window, study, errors shown)."""
    from tests.app.test_study_window import make_study_store

    study = make_study_store(env, sample_dicom)
    w = make_window(qtbot, env)
    assert w.store_flow.open_store(store_copy) and not w.session.read_only
    shown: list[str] = []
    w.show_error = shown.append  # type: ignore[method-assign]
    open_pair(w, qtbot, sample_dicom, sample_index, "LLSYN003")
    w.show()
    return w, study, shown


def test_opening_a_study_closes_the_exam_read_before_so_nothing_of_it_shows_nor_takes_edits(  # type: ignore[no-untyped-def]
        qtbot, env: Path, store_copy: Path, sample_dicom: Path, sample_index) -> None:
    """LLSYN003 read in a project, then Study -> Open study as reader… as R1: the cells lost their overlays, but the
    title still said "LLSYN003: CT 2024-02-05 + MR 2024-03-25" (a case of the study: its patient id and dates), the
    lesion grid, Counts and "Clinical record LLSYN003" the project's read, and N made L6 in that project under its
    reader while the status bar named R1 and the study's store. The exam goes when the study opens."""
    from annotation.store import ReadingStore

    w, study, shown = _reading_llsyn003(qtbot, env, store_copy, sample_dicom, sample_index)
    assert "LLSYN003" in w.windowTitle() and w.docks.lesion_panel.table.rowCount() > 0
    with ReadingStore.open(store_copy, read_only=True) as store:
        before = len(store.load().lesions)
    w.study_ui.open(str(study), "R1")
    assert w.study_ui.dialog is not None
    w.study_ui.dialog.close()  # the case list closed: the reader is back at the window, no case open
    assert "LLSYN003" not in w.windowTitle() and "2024" not in w.windowTitle(), w.windowTitle()
    assert w.docks.lesion_panel.table.rowCount() == 0
    assert "LLSYN003" not in w.docks.clinical_dock.windowTitle(), w.docks.clinical_dock.windowTitle()
    assert all(c.stack is None for c in w.reading.hanging.cells)
    # the empty cells say what to do (not "drop a stack here from the browser": the browser is hidden)
    assert {v.missing_note for v in w.grid.viewports} == {"no case open: Ctrl+N opens your next case"}
    press(w, qtbot, "new_lesion")  # a key pressed before Ctrl+N: refused, recorded nowhere
    said = " ".join(shown) + w.status.text()
    assert "the active cell is empty" in said, said
    with ReadingStore.open(store_copy, read_only=True) as store:
        assert len(store.load().lesions) == before
    with ReadingStore.open(study, read_only=True) as store:
        assert not [les for les in store.load().lesions.values() if les.reader.startswith("R1")]


def test_each_menu_opens_from_the_keyboard_with_an_alt_letter_of_its_own(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Keyboard only: Alt+S, Down, Enter was to be Study -> Open study as reader…; "&Study" and "&Scroll" shared
    Alt+S, Scroll opened, and Enter took its second item (a slice up). Layout and Link shared Alt+L. Every menu has a
    letter of its own now, and Alt with it opens that menu."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMenu

    w = window
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow())
    letters: dict[str, str] = {}
    for action in w.menuBar().actions():
        text = action.text()
        assert text.count("&") == 1, text
        letter = text[text.index("&") + 1].lower()
        assert letter not in letters, f"{text} and {letters[letter]} share Alt+{letter.upper()}"
        letters[letter] = text
    study = next(a for a in w.menuBar().actions() if a.text().replace("&", "") == "Study")
    letter = study.text()[study.text().index("&") + 1]
    w.grid.active_widget.setFocus()
    qtbot.keyClick(w.grid.active_widget, getattr(Qt.Key, f"Key_{letter.upper()}"), Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    shown = QApplication.activePopupWidget()
    assert shown is study.menu(), shown.title() if isinstance(shown, QMenu) else shown
    shown.close()


def test_a_study_case_asks_for_its_sessions_series_only(qtbot, env: Path, sample_dicom: Path, sample_index) -> None:  # type: ignore[no-untyped-def]
    """The MRI session's case C01 on screen (no CT hung): Checks said "E1: not counted yet on CT arterial, CT portal,
    T2 FS, DWI b800, T1 arterial, T1 portal" (one warning naming every series, which the filter by role kept whole)
    and the lesion grid's CT arterial and CT portal cells were amber, to read, for a lesion drawn with real events;
    Counts listed CT arterial and CT portal "not read yet". The case asks for its session's series only."""
    from tests.app.conftest import drag

    study, w, shown = _first_case(qtbot, env, sample_dicom, sample_index)
    assert not shown, shown
    w.reading.activate(next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None))
    qtbot.waitUntil(lambda: w.reading.active.geometry is not None)
    press(w, qtbot, "new_lesion")
    drag(qtbot, w.grid.active_widget, (100.0, 100.0), (100.0, 140.0))
    checks = [w.docks.checks_panel.list.item(i).text() for i in range(w.docks.checks_panel.list.count())]
    assert any("not counted yet" in c for c in checks), checks
    assert not any("CT arterial" in c or "CT portal" in c for c in checks), checks
    t = w.docks.lesion_panel.table
    from tests.app.conftest import FIXED

    ct_cells = [t.item(0, FIXED + READING_ROLES.index(r)) for r in (Role.CT_ARTERIAL, Role.CT_PORTAL)]
    assert all(c is not None and c.text() == "—" for c in ct_cells), [c.text() if c else None for c in ct_cells]
    mr_left = [t.item(0, FIXED + READING_ROLES.index(r)) for r in (Role.MR_DWI, Role.MR_T1_PORTAL)]
    assert all(c is not None and c.text() == "" for c in mr_left), [c.text() if c else None for c in mr_left]
    counts = w.docks.counts_panel.table
    assert [counts.isRowHidden(i) for i in range(len(READING_ROLES))] == \
        [r in (Role.CT_ARTERIAL, Role.CT_PORTAL) for r in READING_ROLES]


def test_ctrl_n_on_a_case_not_read_whole_says_so_before_finishing_it(qtbot, env: Path, sample_dicom: Path,  # type: ignore[no-untyped-def]
                                                                     sample_index) -> None:
    """Case C01 of the MRI session read on T2 FS only (one lesion, nothing counted): one Ctrl+N finished it at once,
    for good (the study does not let readers go back), and opened the next. Now the first Ctrl+N says what is left
    and keeps the case; the same Ctrl+N again finishes it. A case read whole finishes at the first press."""
    from annotation.store import ReadingStore
    from annotation.study_store import Study
    from tests.app.conftest import drag
    from tests.app.test_study_window import loaded

    study, w, shown = _first_case(qtbot, env, sample_dicom, sample_index)
    first = w.study_ui.flow.current.ref.code
    t2 = READING_ROLES.index(Role.MR_T2FS)
    w.reading.activate(t2)
    qtbot.waitUntil(lambda: w.reading.active.geometry is not None)
    press(w, qtbot, "new_lesion")
    drag(qtbot, w.grid.active_widget, (100.0, 100.0), (100.0, 140.0))

    def finished(code: str) -> bool:
        with ReadingStore.open(study, read_only=True) as store:
            rec = Study(store).session_reads().get(("R1", "MRI", code))
            return rec is not None and rec.finished

    press(w, qtbot, "study_next")
    assert w.study_ui.flow.current.ref.code == first and not finished(first)
    said = w.status.text()
    assert f"case {first} is not read whole: L1 is measured on some series but has no status on DWI b800, T1 " \
           "arterial, T1 portal; E1: not counted yet on T2 FS, DWI b800, T1 arterial, T1 portal; Ctrl+N again" in said, said
    assert "Ctrl+N again finishes it as it is" in said and "does not reopen a finished case" in said, said
    press(w, qtbot, "counted")  # DWI (where the line moved the view on) counted: what is left changes, said again
    press(w, qtbot, "study_next")
    assert w.study_ui.flow.current.ref.code == first and not finished(first), w.status.text()
    assert "not counted yet on T2 FS, T1 arterial, T1 portal" in w.status.text(), w.status.text()
    press(w, qtbot, "study_next")  # the same again: finished as it is, the next case opens
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert finished(first) and w.study_ui.flow.current.ref.code != first
    second = w.study_ui.flow.current.ref.code
    # the next case read whole (no lesion, every series of the session counted 0): one press
    for role in (Role.MR_T2FS, Role.MR_DWI, Role.MR_T1_ARTERIAL, Role.MR_T1_PORTAL):
        w.reading.activate(READING_ROLES.index(role))
        qtbot.waitUntil(lambda: w.reading.active.geometry is not None)
        press(w, qtbot, "counted")
    press(w, qtbot, "study_next")
    qtbot.waitUntil(lambda: loaded(w), timeout=60000)
    assert finished(second), w.status.text()
    assert not shown, shown


def _first_case(qtbot, env: Path, sample_dicom: Path, sample_index):  # type: ignore[no-untyped-def]
    """A study of the sample's pairs open as R1 in the window, the case list closed and Ctrl+N pressed: the first
    case on screen, loaded. Returns (study store, window, errors shown)."""
    from tests.app.test_study_window import loaded, make_study_store, study_window

    study = make_study_store(env, sample_dicom)
    w, shown = study_window(qtbot, env, study, sample_dicom, sample_index)
    assert w.study_ui.dialog is not None
    w.study_ui.dialog.close()
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow())
    press(w, qtbot, "study_next")  # Ctrl+N: the first case
    qtbot.waitUntil(lambda: any(c.stack is not None for c in w.reading.hanging.cells) and loaded(w), timeout=60000)
    return study, w, shown
