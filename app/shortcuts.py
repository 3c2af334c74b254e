"""Every keyboard shortcut of the viewer, as data: the main window binds from this table and
Help -> Shortcuts lists it, so the two cannot disagree. Mouse habits are listed from MOUSE.

Keys follow the common habits of OHIF, Horos and Weasis where they agree (arrows and Page keys
scroll, Home/End jump, Space plays cine, number keys pick window presets). Reading keys (group
"Read") avoid the viewer's: M stays maximise and R reset, so the line tool is E, the count tool
C, lobes Shift+R / Shift+L (clearing links moved to Ctrl+Shift+L), a series' status V / Shift+V.

Scope: every key works wherever the focus is (the lesion grid, a dock button, the browser),
except while typing in a text field, which keeps its own keys (Qt gives a focused line edit the
printable and editing keys first). The scroll keys, Tab and Enter are the exception, ``scope="grid"``:
they act only when a reading cell has the focus, so that arrows still move in the browser and
the lesion grid, Tab still walks a form and Enter still opens a study in the browser.

The reader can remap keys in ``shortcuts.json`` in the settings folder (:func:`load_user_keys`):
``{"tool_line": ["E", "Ctrl+L"], ...}``; Help -> Shortcuts lists the keys in force.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path


#: the Read menu's one-click item (a checkbox, ticked while on; 45 characters at most, as every item); turned on, the
#: status bar names the series it is offered on (app.suggester.offered_series(): which series those are follows the
#: phantoms' figures, so no list is written here or in the key's description)
ONE_CLICK_MENU = "One-click diameters"


@dataclass(frozen=True)
class Shortcut:
    action: str  # handler id, see MainWindow.handlers()
    keys: tuple[str, ...]  # QKeySequence strings
    label: str
    group: str
    scope: str = "window"  # "window": wherever the focus is; "grid": only with a reading cell focused
    # the menu's name when the label is a sentence (the Read menu was 885 px of sentences: a narrow
    # screen cut its shortcut column); the label stays the status tip, the toolbar's tooltip, Help's line
    menu: str = ""


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("open_folder", ("Ctrl+O",), "Open a folder", "File"),
    Shortcut("open_file", ("Ctrl+Shift+O",), "Open a DICOMDIR or zip", "File"),
    Shortcut("choose_pair", ("Ctrl+P",), "Choose an exam pair of the selected patient", "File"),
    Shortcut("toggle_browser", ("Ctrl+B",), "Show or hide the study browser", "File"),
    Shortcut("export", ("Ctrl+E",), "Export the reading project (xlsx per patient, cohort CSV)", "File",
             menu="Export the reading project…"),
    Shortcut("quit", ("Ctrl+Q",), "Quit", "File"),
    Shortcut("undo", ("Ctrl+Z",), "Undo the last edit of the reading (another exam pair's: said, pressed again to "
             "undo it)", "Edit"),
    Shortcut("redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo", "Edit"),
    Shortcut("tool_line", ("E",), "Line tool: drag the current lesion's longest axial diameter", "Read",
             menu="Line tool"),
    Shortcut("tool_short_axis", ("A",), "Short-axis tool (bidirectional, lymph nodes): on the slice of the current "
             "lesion's longest diameter, drag its perpendicular short axis", "Read", menu="Short-axis tool"),
    Shortcut("tool_count", ("C",), "Count tool: click a metastasis to count it in the current lobe", "Read",
             menu="Count tool"),
    Shortcut("tool_window", ("W",), "Window/level tool", "Read"),
    Shortcut("tool_boundary", ("B",), "Right/left boundary tool: drag the Cantlie line on a few slices; marks take "
             "their lobe from it", "Read", menu="Right/left boundary tool"),
    Shortcut("cancel", ("Esc",), "Drop the line being drawn (said in the status bar), or the suggestion one click "
             "just put (the lesion's line before it back, nothing recorded), else back to the window/level tool with "
             "nothing picked", "Read", menu="Drop the line being drawn"),
    Shortcut("new_lesion", ("N",), "New lesion (current lobe), then draw its diameter", "Read", menu="New lesion"),
    Shortcut("next_lesion", ("]",), "Next lesion", "Read"),
    Shortcut("previous_lesion", ("[",), "Previous lesion", "Read"),
    Shortcut("lobe_right", ("Shift+R",), "Right lobe: for new marks and lesions, and for the picked mark or lesion",
             "Read", menu="Right lobe"),
    Shortcut("lobe_left", ("Shift+L",), "Left lobe: for new marks and lesions, and for the picked mark or lesion",
             "Read", menu="Left lobe"),
    # S: no OHIF, Horos or Weasis key to clash with; a menu of the segments under their digits (S, then 4), the
    # lesion grid's combo box by mouse only before (a radiologist's read, session 43)
    Shortcut("segment", ("S",), "Couinaud segment of the current lesion: a menu, then the segment's digit (1-8, 0 "
             "none); the segment brings its lobe", "Read", menu="Segment of the current lesion…"),
    Shortcut("go_on", ("Return", "Enter"), "Keep the current lesion's line (a suggested one) and go on to the next "
             "series where it has no status (at a follow-up, of those it is read on)", "Read", "grid",
             menu="Keep and go on"),
    Shortcut("not_visible", ("V",), "Current lesion not visible on the active series", "Read",
             menu="Not visible on the active series"),
    Shortcut("not_measurable", ("Shift+V",), "Current lesion visible but not measurable on the active series", "Read",
             menu="Not measurable on the active series"),
    # Shift+E, the line tool's key shifted: a click draws the line (no OHIF, Horos or Weasis key to clash with); it
    # took two menu clicks, each time it was wanted on or off (a radiologist's read, sessions 41 and 42)
    Shortcut("clear_status", ("Ctrl+Del",), "Clear the current lesion's status on the active series (its line, not "
             "visible or not measurable): not read there yet (undoable)", "Read", menu="Clear on the active series"),
    Shortcut("toggle_one_click", ("Shift+E",), "One-click diameters on or off: with the line tool, a click inside a "
             "lesion, on a series one-click is offered on (named when it is turned on), suggests its "
             "longest axial diameter", "Read",
             menu=ONE_CLICK_MENU),
    Shortcut("counted", ("0",), "Active series counted as marked (0 lesions when it has no mark)", "Read",
             menu="Active series counted"),
    Shortcut("uncountable", ("Shift+C",), "Active series not countable (massive or coalescent), or countable again",
             "Read", menu="Active series not countable"),
    Shortcut("delete_selected", ("Del", "Backspace"),
             "Delete the count mark or line under the pointer, else the picked one (undoable)", "Read",
             menu="Delete the mark or line"),
    # Shift+Del, Del's stronger form as in file managers: asked first, No the default (Enter is the go-on key)
    Shortcut("delete_lesion", ("Shift+Del",), "Delete the current lesion on every series (asked first, No the "
             "default; Ctrl+Z brings it back)", "Read", menu="Delete the current lesion…"),
    Shortcut("next_slice", ("Down", "Right"), "Next slice (down the patient)", "Scroll", "grid"),
    Shortcut("previous_slice", ("Up", "Left"), "Previous slice (up the patient)", "Scroll", "grid"),
    Shortcut("page_down", ("PgDown",), "10 slices down", "Scroll", "grid"),
    Shortcut("page_up", ("PgUp",), "10 slices up", "Scroll", "grid"),
    Shortcut("first_slice", ("Home",), "Top slice", "Scroll", "grid"),
    Shortcut("last_slice", ("End",), "Bottom slice", "Scroll", "grid"),
    Shortcut("cine", ("Space",), "Play or stop cine", "Scroll", "grid"),
    Shortcut("preset_ct_abdomen", ("1",), "Window CT abdomen (W400/L40), every CT cell", "Window"),
    Shortcut("preset_ct_liver", ("2",), "Window CT liver (W150/L90), every CT cell", "Window"),
    Shortcut("preset_ct_bone", ("3",), "Window CT bone (W2000/L500), every CT cell", "Window"),
    Shortcut("preset_auto", ("4",), "Automatic window (1st-99th percentile), every cell of the active modality",
             "Window", menu="Automatic window"),
    Shortcut("preset_mr_contrast", ("5",), "MRI high contrast (5th-95th percentile of the body; 99th on T1 portal, b800), every MRI cell", "Window",
             menu="MRI high contrast"),
    Shortcut("window_modality", ("Shift+W",), "The active cell's window on every cell of the same series role", "Window",
             menu="Window on the same series"),
    Shortcut("invert", ("I",), "Invert grey levels", "Window"),
    Shortcut("fit", ("F",), "Fit the image to the cell", "View"),
    Shortcut("zoom_modality", ("Z",), "The active cell's zoom and centre (the patient point there) on every cell of the same modality", "View",
             menu="Zoom on the same modality"),
    Shortcut("reset", ("R",), "Reset: fit, automatic window, no inversion", "View"),
    Shortcut("toggle_overlays", ("O",), "Show or hide the overlays", "View"),
    Shortcut("toggle_annotations", ("H",), "Hide or show the count marks, lines and lobe boundary (to see a small "
             "lesion under its mark); the next edit shows them again", "View", menu="Hide or show marks and lines"),
    Shortcut("maximise", ("M",), "Maximise the active cell or go back to the grid", "Layout",
             menu="Maximise the active cell"),
    Shortcut("images_only", ("Ctrl+Shift+B",), "Images only: hide every docked panel (a laptop's screen), again to "
             "put them back as they were", "Layout", menu="Images only"),
    Shortcut("next_cell", ("Tab",), "Next cell (past cells with nothing hung)", "Layout", "grid"),
    Shortcut("previous_cell", ("Shift+Tab",), "Previous cell (past cells with nothing hung)", "Layout", "grid"),
    Shortcut("grid_1x1", ("Ctrl+1",), "Layout 1x1", "Layout"),
    Shortcut("grid_1x2", ("Ctrl+2",), "Layout 1x2", "Layout"),
    Shortcut("grid_2x2", ("Ctrl+3",), "Layout 2x2", "Layout"),
    Shortcut("grid_2x3", ("Ctrl+4",), "Layout 2x3 (the six reading series)", "Layout"),
    Shortcut("grid_3x3", ("Ctrl+5",), "Layout 3x3", "Layout"),
    Shortcut("swap_adc", ("D",), "Swap DWI b800 and ADC", "Layout"),
    Shortcut("dwi_adc_side_by_side", ("Shift+D",), "DWI b800 and ADC side by side, or back to the exam's cells", "Layout",
             menu="DWI and ADC side by side"),
    Shortcut("compare_prior", ("P",), "Follow-up: the active series beside the same series of the prior exam "
             "(read-only, aligned), or back to the exam's cells", "Layout", menu="Prior exam beside (follow-up)"),
    Shortcut("carry_lesions", ("Shift+P",), "Follow-up: carry the prior exam's lesions into this exam (same ids and "
             "tracking UIDs)", "Read", menu="Carry the prior exam's lesions (follow-up)"),
    Shortcut("link_all", ("L",), "Link all cells at the landmark shown (reference point if on the slice, else the slice)",
             "Link", menu="Link all cells"),
    Shortcut("toggle_link", ("U",), "Unlink or relink the active cell", "Link"),
    Shortcut("clear_links", ("Ctrl+Shift+L",), "Forget reader-made links (same frame of reference stays linked)", "Link",
             menu="Forget reader-made links"),
    Shortcut("crosshair", ("X",), "Reference point tool: click to place it in all linked cells", "Link",
             menu="Reference point tool"),
    Shortcut("analysis", ("Ctrl+Shift+A",), "Run the analysis on the reading project and show the tables", "Analysis",
             menu="Run the analysis"),
    # Ctrl+T for sTudy (the menu's Alt+T): the case list, often; opening a study, which closes the exam on screen,
    # with Shift too
    Shortcut("open_study", ("Ctrl+Shift+T",), "Reader study: open a study as a reader (the exam on screen closes)",
             "Study", menu="Open study as reader…"),
    Shortcut("case_list", ("Ctrl+T",), "Reader study: your case list, with progress", "Study", menu="Case list…"),
    Shortcut("study_next", ("Ctrl+N",), "Reader study: finish the open case and open your next one", "Study",
             menu="Next case (reader study)"),
    Shortcut("shortcuts", ("F1",), "Every shortcut (this table)", "Help"),
)

#: Mouse habits (not bindable, listed beside the keys).
MOUSE: tuple[tuple[str, str], ...] = (
    ("Wheel", "Scroll one slice (down = next slice)"),
    ("Ctrl+Wheel", "Zoom about the pointer"),
    ("Left drag", "Active tool: window/level by default (right = wider, down = higher level)"),
    ("Left drag (line tool)", "Draw the current lesion's diameter (then the next series is made active); drag any "
     "end handle to edit it (not while the current lesion awaits its line on the series: the drag draws it)"),
    ("Left click (line tool)", "On a line: pick it (its lesion becomes current); inside a lesion, with one-click "
     "diameters on (Read menu): its suggested diameter, shown on the slice where it is longest (Enter keeps it and "
     "goes on, Esc drops it); on a cell not active yet it only makes the cell active; on a series one-click is not "
     "offered on it records nothing (said so)"),
    ("Left drag (short-axis tool)", "On the current lesion's longest diameter slice: its short axis, held "
     "perpendicular (a node's, which RECIST sums)"),
    ("Left click (count tool)", "Count a metastasis (lobe from the right/left boundary, else the current lobe); drag a "
     "mark to move it; on a cell not active yet it only makes the cell active"),
    ("Left drag (boundary tool)", "Draw the right/left liver boundary on this slice"),
    ("Click a lesion-grid cell", "Show that measurement: its series, slice, centred"),
    ("Right drag", "Window/level, whatever the tool (zoom instead, as in OHIF: View -> Right drag zooms)"),
    ("Right click", "Cell menu: role correction, presets, link"),
    ("Middle drag", "Pan"),
    ("Ctrl+Right drag", "Zoom"),
    ("Double click (window/level tool)", "Maximise the cell or go back to the grid (the cell of its first press: a "
     "second press slipped into the next cell is the first's, and does nothing there with any tool)"),
    ("Drag a stack from the browser", "Show it in that cell (a stack outside the pair read is a read-only comparison)"),
    ("Double click a stack in the browser", "Show it in the active cell"),
)

USER_FILE = "shortcuts.json"


def load_user_keys(path: Path, table: tuple[Shortcut, ...] = SHORTCUTS) -> tuple[tuple[Shortcut, ...], list[str]]:
    """The table with the reader's keys from ``path`` (action id -> list of key strings); returns
    (table, problems). A missing file changes nothing; an unknown action, a value that is not a list
    of strings, or a key given to two actions is reported and that entry ignored."""
    if not path.exists():
        return table, []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return table, [f"{path}: not read ({exc}); the default keys are used"]
    if not isinstance(data, dict):
        return table, [f"{path}: expected an object {{action: [keys]}}; the default keys are used"]
    problems: list[str] = []
    by_action = {sc.action: sc for sc in table}
    wanted: dict[str, tuple[str, ...]] = {}
    for action, keys in data.items():
        if action not in by_action:
            problems.append(f"{path}: unknown action {action!r} (see Help -> Shortcuts for the names)")
        elif not isinstance(keys, list) or not all(isinstance(k, str) and k.strip() for k in keys):
            problems.append(f"{path}: {action}: expected a list of key strings like [\"E\", \"Ctrl+L\"]")
        else:
            wanted[action] = tuple(k.strip() for k in keys)
    out = [replace(sc, keys=wanted.get(sc.action, sc.keys)) for sc in table]
    owner: dict[str, str] = {}
    for sc in out:
        for key in sc.keys:
            norm = key.lower().replace(" ", "")
            if norm in owner and owner[norm] != sc.action:
                problems.append(f"{path}: {key} is bound to both {owner[norm]} and {sc.action}; {sc.action} keeps "
                                "only its other keys")
            owner.setdefault(norm, sc.action)
    final = [replace(sc, keys=tuple(k for k in sc.keys if owner[k.lower().replace(" ", "")] == sc.action)) for sc in out]
    return tuple(final), problems
