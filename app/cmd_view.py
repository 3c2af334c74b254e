"""`lesionlab view [PATH] [--store FILE]`: the reading workstation, optionally opening PATH (folder,
DICOMDIR, zip) and a reading project.

Which reading project opens (app/reading_session.py has the whole flow): ``--store FILE``
(created if missing) for writing; else the reader's own project of the last session, for
writing (a reader's work always wins over a folder's sample); else a ``*.lesionlab`` lying in
PATH, read-only until the first edit (so ``make run`` shows the sample reading without
touching the git tree); else the reading project used last; else none until the first edit
creates one.

Where the reader left (app/last_session.py) is restored: the study folders of the last session
are listed with PATH, and the exam pair, the current lesion and each cell's slice come back. Folders and
position belong to the project they were read with: a start on another project lists PATH only (the last
session's folders are said, and stay in File -> Recent studies), and no project that cannot be opened is
replaced by a folder's own (StoreFlow.not_opened).
After an unclean exit the status bar says so and what the project holds.

Scripted options serve the screenshot test and the start-time benchmark: open the first
proposed exam pair, save a screenshot once every hung stack has loaded, and quit.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

T0 = time.perf_counter()
#: Longest wait for the pair to load before a screenshot is taken anyway (s).
SCREENSHOT_TIMEOUT_S = 90.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", help="folder, DICOMDIR or zip to open")
    p.add_argument("--store", metavar="FILE", help="reading project to open for writing: a .lesionlab file (created if missing) or a "
                   "postgresql:// URL (password in ~/.pgpass, not in the URL)")
    p.add_argument("--show-lesion", metavar="ID", help="with --open-first-pair: show lesion ID (e.g. L1) on every series")
    p.add_argument("--open-first-pair", action="store_true", help="open the first proposed exam pair once indexed")
    p.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the window once the pair has loaded")
    p.add_argument("--quit-after-screenshot", action="store_true", help="quit after saving --screenshot")
    p.add_argument("--quit-when-listed", action="store_true",
                   help="print the start time once the window is shown and PATH listed, then quit (benchmark)")
    p.add_argument("--size", default=None, help="window size WIDTHxHEIGHT (default: as the last session left it, "
                                                "1600x1000 the first time and in scripted runs)")
    p.add_argument("--no-restore", action="store_true", help="do not reopen where the last session left")


def _pair_loaded(window) -> bool:  # type: ignore[no-untyped-def]
    for cell, vp in zip(window.reading.hanging.cells, window.reading.viewports):
        if cell.stack is not None and (vp.volume is None or not vp.volume.loaded.all() or vp.window is None):
            return False
    return not window.loads.busy()


def _index_early(path: str):  # type: ignore[no-untyped-def]
    """Start indexing PATH in a thread at once, while Qt and the window are being set up."""
    from concurrent.futures import ThreadPoolExecutor

    def index():  # type: ignore[no-untyped-def]
        from viewer.index import index_path

        return index_path(path)

    pool = ThreadPoolExecutor(1, thread_name_prefix="index")
    future = pool.submit(index)
    pool.shutdown(wait=False)
    return future


def _open_store(window, args: argparse.Namespace, last) -> None:  # type: ignore[no-untyped-def]
    """The reading project to start with (module doc)."""
    from pathlib import Path

    from app.reading_session import stores_in

    flow = window.store_flow
    # the project asked for, when it cannot be opened, is not replaced by the folder's own (StoreFlow.not_opened)
    if args.store:
        if not flow.open_store(args.store):
            flow.not_opened = str(args.store)
    elif last is not None and last.store and Path(last.store).is_file():
        if not flow.open_store(last.store):
            flow.not_opened = str(last.store)
    elif args.path and stores_in(args.path):
        flow.open_store(stores_in(args.path)[0], came_with_folder=True)
    elif not args.quit_when_listed and flow.recent.paths and Path(flow.recent.paths[0]).is_file():
        flow.open_store(flow.recent.paths[0])


def same_folder(path: str) -> str:
    return str(Path(path).expanduser().resolve())


def folders_to_list(last_paths: "Sequence[str]", path: str | None) -> tuple[list[str], set[str]]:
    """The folders to list at start (the last session's that still exist, then PATH, each once however
    spelled) and the set of them, resolved, that must be listed before the last position is restored:
    a last folder since removed, or PATH given relative where the last session saved it absolute, left
    the count short and the last exam never reopened (a reader's check)."""
    out: list[str] = []
    seen: set[str] = set()
    for p in [*last_paths, *([path] if path else [])]:
        if p != path and not Path(p).exists():
            continue
        key = same_folder(p)
        if key in seen:
            if p == path:  # PATH is indexed under its own spelling: keep it, drop the other
                out = [q for q in out if same_folder(q) != key]
            else:
                continue
        seen.add(key)
        out.append(p)
    return out, seen


def position_in_this_project(last, opened: Path | None):  # type: ignore[no-untyped-def]
    """The last session's position to restore, without its exam and lesion when the project opened now is another
    than the one it was read in (``--store`` naming another project: a radiologist's check saw the last project's
    LLSYN003 hung with an empty lesion grid, and the notice of the new project's reads never came)."""
    if not another_project(last, opened):
        return last
    # the browser's folders belong to the project too (the last session's folders are listed again only with its
    # project): the real-DICOM folder of another project's session came back beside my.lesionlab (session 48); they
    # stay in File -> Recent studies (said at start: folders_left_out)
    return replace(last, patient_id=None, ct_study_uid=None, mri_study_uid=None, lesion_id=None, slices={},
                   active_key=None, paths=())


def another_project(last, opened: Path | None) -> bool:  # type: ignore[no-untyped-def]
    """The project opened now is not the one the last session read (neither is None)."""
    return bool(last is not None and last.store and opened is not None
                and same_folder(last.store) != same_folder(str(opened)))


def folders_left_out(last, opened: Path | None, path: str | None) -> str:  # type: ignore[no-untyped-def]
    """What the status says at start of the last session's folders not listed again (another project opened), or ""."""
    if not another_project(last, opened):
        return ""
    left = [p for p in last.paths if Path(p).exists() and (path is None or same_folder(p) != same_folder(path))]
    if not left:
        return ""
    return (f"the last session's {len(left)} folder(s) ({Path(left[0]).name}{', …' if len(left) > 1 else ''}) were read "
            f"with {Path(last.store).name}: not listed with this project (File -> Recent studies opens them)")


def still_running(window, last) -> bool:  # type: ignore[no-untyped-def]
    """The last session not over: its project, not closed cleanly, is held for writing by another lesionlab now.
    The kernel drops the lock of a process that died (even killed), so a lock held means that process runs: a
    second window on the same project said "lesionlab did not close cleanly last time" of the first, still open
    (a radiologist's check, session 43)."""
    session = window.session
    return bool(last is not None and not last.clean and last.store and session.locked_by
                and session.path is not None and same_folder(last.store) == same_folder(str(session.path)))


def open_last_store(window, args: argparse.Namespace, last) -> str:  # type: ignore[no-untyped-def]
    """The reading project to start with opened, and what to say of the last session (:func:`after_last_session`).
    Nothing is remembered meanwhile: the "Reading project in use" question is modal, and the remember timer of the
    window's first changes ran inside it and wrote an empty position over the running window's, before the rule below
    said this window was the second (seen in the real window, session 43)."""
    window.remembers = False
    _open_store(window, args, last)
    return after_last_session(window, last)


def after_last_session(window, last) -> str:  # type: ignore[no-untyped-def]
    """What the status bar says of the last session at start: its unclean exit, or "" (none, or it still runs in
    another window: then that session's position and clean flag are its own, and this window does not write them:
    its quit wrote "clean" over them, so a crash of the other window after that went unsaid)."""
    if still_running(window, last) or not window.last.claim():
        # another lesionlab keeps the position (on this project or another): it is left to it, and this window
        # takes it over once that one quits (MainWindow._save_last)
        window.remembers = False
        window.remember_when_free = True
        return ""
    window.remembers = True
    return recovery_message(window, last) if last is not None and not last.clean else ""


def recovery_message(window, last) -> str:  # type: ignore[no-untyped-def]
    """What the status bar says after an unclean exit: when, which project, what it holds."""
    store = window.session.store
    if last.study:
        # a blinded study case was open (never kept): the project open now is not the one reopened (session 48:
        # "sample_dicom/reading.lesionlab reopened with all 1 saved edit(s)" after a kill with a study open, of a
        # project that window never wrote)
        now = f"; {store.path if store.path is not None else store.where} is open now" if store is not None else ""
        return (f"lesionlab did not close cleanly last time ({last.saved_at_utc} UTC) with a reader study open: every "
                f"edit saved in the study is kept (Study -> Open study as reader, then Ctrl+N){now}")
    if store is None and not last.store:
        return f"lesionlab did not close cleanly last time ({last.saved_at_utc}); no reading project was open"
    if last.store and (store is None or same_folder(last.store) != same_folder(str(store.path))):
        # another project opened now: the one that was open is named, not this one's edits as if they were its
        return (f"lesionlab did not close cleanly last time ({last.saved_at_utc} UTC) with {last.store} open: every "
                "edit saved there is kept (File -> Recent reading projects reopens it)")
    edits = store.edits()
    # a blinded reader's store gives no descriptions (reading them would restart washouts: ReadingStore.edits)
    tail = (f"; the last edit ({edits[-1][1]})" + (f": {edits[-1][2]}" if edits[-1][2] else "")) if edits else ""
    # whose read it is, as an ordinary open says (a reader's check: after a kill the read shown was the reader's
    # empty one beside the sample's 39 edits, and looked lost)
    return (f"lesionlab did not close cleanly last time ({last.saved_at_utc} UTC); {store.path} reopened with all "
            f"{len(edits)} saved edit(s){tail}{window.store_flow.whose_reads()}")


def after_listing(window, last, app, wanted: set[str], recovery: str, done: dict[str, bool]) -> None:  # type: ignore[no-untyped-def]
    """Once every folder ``wanted`` is listed: the last pair opened again where the reader left it (once),
    then the recovery message of an unclean exit said again (once), so that neither the index's news nor
    the pair's opening hides it (a second check saw it replaced by the index's result at every restart)."""
    if not wanted <= {same_folder(p) for p in window.index_results}:
        return
    if last is not None and last.has_pair and not done.get("restored"):
        done["restored"] = True
        restore_position(window, last, app)
    if recovery and not done.get("said"):
        done["said"] = True
        from app.reading_commands import offer_pending

        picked = window.state.selection.picked
        # a suggestion the killed window never kept, shown again "not kept yet": said first (Enter keeps, Esc drops)
        pending = offer_pending(window.state) if picked is not None and picked.suggested else ""
        window.state.say(f"{pending}. {recovery}" if pending else recovery, until_acted=True)


def _cell_to_activate(window, last) -> int:  # type: ignore[no-untyped-def]
    """The cell showing the stack that was active; else the saved cell number when it shows a stack; else the
    first cell that does (the saved number was another layout's: the follow-up comparison's 1 x 2)."""
    viewports, cells = window.reading.viewports, window.reading.hanging.cells
    if last.active_key:
        for i, c in enumerate(cells):
            if c.stack is not None and c.stack.key == last.active_key:
                return i
    shown = [i for i, c in enumerate(cells) if c.stack is not None]
    saved = min(max(last.active_cell, 0), len(viewports) - 1)
    return saved if saved in shown or not shown else shown[0]


def restore_position(window, last, app) -> bool:  # type: ignore[no-untyped-def]
    """Open the last pair again at its lesion and slices; False when that pair is not in the browser."""
    from app.workstation import ToolMode
    from viewer.studies import all_pairs, single_exams

    for patient in window.patients:
        if patient.patient_id != last.patient_id:
            continue
        for pair in all_pairs(patient) + single_exams(patient):
            if (pair.ct_uid, pair.mr_uid) == (last.ct_study_uid or "", last.mri_study_uid or ""):
                window.open_pair(pair)
                window.reading.activate(_cell_to_activate(window, last))
                # the keys go to the cell active again, with nothing clicked (a radiologist's check: after a restart
                # the first V and M did nothing, unsaid, until a cell was clicked)
                window.grid.active_widget.setFocus()
                window.activateWindow()
                picked = window.state.selection.picked
                if last.lesion_id and not (picked is not None and picked.suggested):  # not one "not kept yet"
                    window.state.selection.set_lesion(last.lesion_id)
                    if window.state.selection.lesion_id == last.lesion_id:
                        # mid-lesion: its line is what comes next (a reader's check: the restart gave the window tool,
                        # and the first click on T2 FS changed the window)
                        window.state.set_tool(ToolMode.LINE)
                window.place_slices(dict(last.slices))
                window.state.start_role = _role(last.start_role)  # where N goes back to (open_pair forgot it)
                return True
    return False


def _role(value: str | None):  # type: ignore[no-untyped-def]
    """The Role a saved value names, None when it names none (a file of an older or newer lesionlab)."""
    from viewer.records import Role

    try:
        return Role(value) if value else None
    except ValueError:
        return None


def _size(text: str) -> tuple[int, int]:
    """--size WIDTHxHEIGHT, said when it is not one ("10x" raised a traceback: an audit)."""
    from viewer.errors import LesionlabError

    try:
        width, height = (int(v) for v in text.lower().split("x"))
        if 200 <= width <= 20000 and 200 <= height <= 20000:
            return width, height
    except ValueError:
        pass
    raise LesionlabError(f"--size {text!r} is not WIDTHxHEIGHT in pixels (200 to 20000 each)",
                         advice="e.g. --size 1600x1000")


def run(args: argparse.Namespace) -> int:
    width, height = _size(args.size or "1600x1000")
    early = _index_early(args.path) if args.path else None
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.browser import PAYLOAD
    from app.main_window import MainWindow
    from app.theme import apply_dark_theme

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("lesionlab")
    apply_dark_theme(app)
    window = MainWindow()
    scripted = args.quit_when_listed or args.open_first_pair or args.screenshot or args.no_restore
    last = None if scripted else window.last.load()
    recovery = open_last_store(window, args, last)
    left_out = folders_left_out(last, window.session.path, args.path)
    last = position_in_this_project(last, window.session.path)
    if left_out:
        recovery = f"{recovery}; {left_out}" if recovery else left_out
    if recovery:
        window.state.say(recovery)
    if scripted:  # a documentation screenshot or a benchmark: the first layout, not this user's, and none saved
        window.keep_layout = False
        window.ask_reader_early = False
        window.restore_layout(window.default_layout)
    if scripted or args.size:
        window.resize(width, height)
        window.show()
    elif window.fitted_to_screen:  # a first start on a screen smaller than 1600 x 1000: the whole screen, frame in
        window.showMaximized()
    else:
        window.show()
    window.raise_()
    window.activateWindow()  # the keyboard's from the start (without a window manager, X gave it to no window)
    status: dict[str, int | bool] = {"code": 0}

    def shoot() -> None:
        started = time.perf_counter()

        def poll() -> None:
            if (settled() and status.get("shown", True)) or time.perf_counter() - started > SCREENSHOT_TIMEOUT_S:
                app.processEvents()
                window.grab().save(args.screenshot)
                print(f"screenshot saved to {args.screenshot}", flush=True)
                if args.quit_after_screenshot:
                    app.quit()
            else:
                QTimer.singleShot(50, poll)

        QTimer.singleShot(50, poll)

    loaded_at: list[float] = []

    def settled() -> bool:
        """The pair loaded and its CT <-> MRI alignment in force (or none coming: 20 s at most)."""
        if not _pair_loaded(window):
            return False
        loaded_at[:1] = loaded_at[:1] or [time.perf_counter()]
        return (window.state.alignment is not None or window.state.pair_frames() is None
                or time.perf_counter() - loaded_at[0] > 20)

    def show_when_loaded(lesion_id: str) -> None:
        if settled():
            from app.reading_commands import show_lesion

            window.state.selection.set_lesion(lesion_id)
            show_lesion(window.state, lesion_id)
            status["shown"] = True
        else:
            QTimer.singleShot(20, lambda: show_when_loaded(lesion_id))

    to_list, wanted = folders_to_list(last.paths if last is not None else (), args.path)
    done: dict[str, bool] = {}

    def listed(result) -> None:  # type: ignore[no-untyped-def]
        after_listing(window, last, app, wanted, recovery, done)
        if args.quit_when_listed:
            app.processEvents()
            print(f"listed {len(result.stacks)} stacks; started in {time.perf_counter() - T0:.3f} s", flush=True)
            app.quit()
            return
        if args.open_first_pair:
            pairs = window.browser.pair_items()
            if not pairs:
                print("no exam pair to open", file=sys.stderr)
                status["code"] = 1
                app.quit()
                return
            window.open_pair(pairs[0].data(0, PAYLOAD))
            if args.show_lesion:
                status["shown"] = False
                show_when_loaded(args.show_lesion)
        if args.screenshot:
            shoot()

    window.listed.connect(listed)
    for extra in to_list:
        if extra != args.path:
            window.open_path(extra)
    if early is not None:
        def collect() -> None:
            if not early.done():
                QTimer.singleShot(5, collect)
            elif early.exception() is not None:
                window.show_error(str(early.exception()))
            else:
                window.show_index(args.path, early.result())

        window.status.setText(f"indexing {args.path} …")
        QTimer.singleShot(0, collect)
    elif args.quit_when_listed or args.open_first_pair:
        print("a PATH is needed", file=sys.stderr)
        return 2
    if last is not None and not last.clean and window.remembers:
        window.last.save(window.state, list(window.index_results), clean=False)  # this session runs now
    app.exec()
    window.close_stores()  # a scripted quit (app.quit()) closes no window: the stores are closed here all the same
    return status["code"]
