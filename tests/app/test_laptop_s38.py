"""Session 38's laptop read (a radiologist at 1366 x 768), in the real main window with key and mouse events: the
Organ choice typed "l" gives liver (Qt's search stepped from liver to lung), "lymph node" reads whole and records
"lymph_node"; Shift+P redraws the lesion grid and the follow-up panel once."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox

from tests.app.conftest import press
from tests.app.test_followup_in_window import _open_exam
from tests.app.test_followup_panel_in_window import KIND, ORGAN, _combo, _type
from viewer.records import Role


def _choose_typed(qtbot, panel, row: int, text: str) -> QComboBox:  # type: ignore[no-untyped-def]
    """Click the Organ cell's combo box open, type ``text`` into its list, Return."""
    box = _combo(panel, row, ORGAN)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.view().isVisible())
    qtbot.keyClicks(box.view(), text)
    qtbot.keyClick(box.view(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not box.view().isVisible())
    qtbot.wait(450)  # past QApplication.keyboardInputInterval: the next letters start a new search
    return box


def test_organ_typed_l_is_liver_and_lymph_node_reads_whole(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = window
    reading = w.session.reading
    key = w.state.selection.pair
    w.docks.followup_dock.raise_()
    panel = w.docks.followup_panel
    _type(qtbot, panel, 0, KIND, "t")  # L1 a target: its organ is offered, liver by default

    def organ() -> str:
        return reading.project.lesion_followups[(*key, "sample", "L1")].organ

    assert organ() == "liver"
    box = _combo(panel, 0, ORGAN)
    assert [box.itemText(i) for i in range(box.count())] == ["liver", "lymph node", "bone", "lung", "other"]
    assert [box.itemData(i) for i in range(box.count())] == ["liver", "lymph_node", "bone", "lung", "other"]
    _choose_typed(qtbot, panel, 0, "b")
    assert organ() == "bone"
    _choose_typed(qtbot, panel, 0, "l")  # Qt's search went on from bone to lung
    assert organ() == "liver", organ()
    _choose_typed(qtbot, panel, 0, "lu")
    assert organ() == "lung"
    _choose_typed(qtbot, panel, 0, "l")  # from lung too: liver, the first that "l" begins
    assert organ() == "liver", organ()
    _choose_typed(qtbot, panel, 0, "l")  # on liver, "l" keeps it (it stepped on to the next "l")
    assert organ() == "liver", organ()
    _choose_typed(qtbot, panel, 0, "ll")  # the same letter again: the next choice it begins
    assert organ() == "lymph_node"
    _choose_typed(qtbot, panel, 0, "o")
    assert organ() == "other"
    _choose_typed(qtbot, panel, 0, "n")  # a word's first letter: "node" as the label read before
    f = reading.project.lesion_followups[(*key, "sample", "L1")]
    assert (f.organ, f.nodal) == ("lymph_node", True)  # the recorded value is unchanged
    assert _combo(panel, 0, ORGAN).currentText() == "lymph node"
    assert "organ lymph node" in w.status.text(), w.status.text()


def test_carry_redraws_the_panels_once(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Shift+P on a follow-up not recorded yet: it records the exam, opens it, carries the lesions and makes L1
    current; the lesion grid and the follow-up panel each redrew four times, now once, with the carried lesions."""
    w = window
    _open_exam(w, qtbot, "2023-10-17")
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    qtbot.mouseClick(w.grid.viewports[portal], Qt.MouseButton.LeftButton)
    press(w, qtbot, "compare_prior")
    qtbot.waitUntil(lambda: "aligned" in w.status.text(), timeout=120000)
    assert w.state.selection.pair is None  # the follow-up is not in the reading yet
    drawn: dict[str, list[list[str]]] = {"lesion_panel": [], "followup_panel": []}
    for name, shown in drawn.items():
        panel = getattr(w.docks, name)
        lesions = panel._lesions

        def counted(lesions=lesions, shown=shown):  # type: ignore[no-untyped-def]
            got = lesions()
            shown.append([les.lesion_id for les in got])
            return got
        panel._lesions = counted  # each redraw lists the exam's lesions once
    press(w, qtbot, "carry_lesions")
    QApplication.processEvents()
    assert "4 lesions carried" in w.status.text(), w.status.text()
    assert drawn == {"lesion_panel": [["L1", "L2", "L3", "L4"]], "followup_panel": [["L1", "L2", "L3", "L4"]]}, drawn
    t = w.docks.lesion_panel.table
    assert [t.item(r, 0).text() for r in range(t.rowCount())] == ["L1", "L2", "L3", "L4"]
    assert t.item(0, 0).background().color() != t.item(1, 0).background().color()  # L1 current, shown
    # undo takes the carry back and redraws (the hold is over)
    press(w, qtbot, "undo")
    assert t.rowCount() == 0


def _whole_rows(t) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for r in range(t.rowCount()) if t.viewport().rect().contains(t.visualRect(t.model().index(r, 0))))


def test_follow_up_tables_are_read_whole_on_a_laptop_screen(qtbot, env, sample_index) -> None:  # type: ignore[no-untyped-def]
    """At 1366 x 768 the dock stays at its least height: the response table (beside the treatment lines, each 70
    px) showed one row of LLSYN001's three whole (the 2024-03-12 PD half hidden) and the lines two. The lines
    went to a tab of their own: the three responses are in view, the lesions five or more of six, the lesion grid
    tabbed with the panel its six, and a click on the lines' tab shows them all."""
    from tests.app.test_radread_s36 import _followup_window

    w = _followup_window(qtbot, env, sample_index)
    _open_exam(w, qtbot, "2024-03-12")
    portal = next(i for i, c in enumerate(w.reading.hanging.cells) if c.stack is not None and c.role is Role.CT_PORTAL)
    qtbot.mouseClick(w.grid.viewports[portal], Qt.MouseButton.LeftButton)
    press(w, qtbot, "compare_prior")  # the Follow-up dock comes to the front
    qtbot.waitUntil(lambda: not w.docks.followup_dock.visibleRegion().isEmpty())
    p = w.docks.followup_panel
    assert p.responses.rowCount() == 3 and p.lesions.rowCount() == 6
    qtbot.waitUntil(lambda: _whole_rows(p.responses) == 3, timeout=3000)
    assert _whole_rows(p.lesions) >= 5, _whole_rows(p.lesions)
    # nothing cut at the panel's foot: its least height holds the wrapped header and the lesion table
    left = p.lesions.parentWidget()
    assert p.lesions.geometry().bottom() < left.height(), (p.lesions.geometry(), left.height())
    tabs = p.course
    assert tabs.tabText(1) == "Treatment lines and baselines (2)"
    bar = tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    assert tabs.currentIndex() == 1 and p.lines.isVisible()
    qtbot.waitUntil(lambda: _whole_rows(p.lines) == p.lines.rowCount() == 3, timeout=3000)
    assert w.focusWidget() is not bar  # the keys stay with the images
    w.docks.lesions_dock.raise_()
    g = w.docks.lesion_panel.table
    qtbot.waitUntil(lambda: _whole_rows(g) == g.rowCount() == 6, timeout=3000)
