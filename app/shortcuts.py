"""Every keyboard shortcut of the viewer, as data: the main window binds from this table and
Help -> Shortcuts lists it, so the two cannot disagree. Mouse habits are listed from MOUSE.

Keys follow the common habits of OHIF, Horos and Weasis where they agree (arrows and Page keys
scroll, Home/End jump, Space plays cine, number keys pick window presets). Reading keys (group
"Read") avoid the viewer's: M stays maximise and R reset, so the line tool is E, the count tool
C, lobes Shift+R / Shift+L (clearing links moved to Ctrl+Shift+L), a series' status V / Shift+V.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shortcut:
    action: str  # handler id, see MainWindow.handlers()
    keys: tuple[str, ...]  # QKeySequence strings
    label: str
    group: str


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("open_folder", ("Ctrl+O",), "Open a folder", "File"),
    Shortcut("open_file", ("Ctrl+Shift+O",), "Open a DICOMDIR or zip", "File"),
    Shortcut("choose_pair", ("Ctrl+P",), "Choose an exam pair of the selected patient", "File"),
    Shortcut("toggle_browser", ("Ctrl+B",), "Show or hide the study browser", "File"),
    Shortcut("export", ("Ctrl+E",), "Export the reading project (xlsx per patient, cohort CSV)", "File"),
    Shortcut("quit", ("Ctrl+Q",), "Quit", "File"),
    Shortcut("undo", ("Ctrl+Z",), "Undo the last edit of the reading", "Edit"),
    Shortcut("redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo", "Edit"),
    Shortcut("tool_line", ("E",), "Line tool: drag the current lesion's longest axial diameter", "Read"),
    Shortcut("tool_count", ("C",), "Count tool: click a metastasis to count it in the current lobe", "Read"),
    Shortcut("tool_window", ("W",), "Window/level tool (also Esc)", "Read"),
    Shortcut("new_lesion", ("N",), "New lesion (current lobe), then draw its diameter", "Read"),
    Shortcut("next_lesion", ("]",), "Next lesion", "Read"),
    Shortcut("previous_lesion", ("[",), "Previous lesion", "Read"),
    Shortcut("lobe_right", ("Shift+R",), "Right lobe for new marks and lesions", "Read"),
    Shortcut("lobe_left", ("Shift+L",), "Left lobe for new marks and lesions", "Read"),
    Shortcut("not_visible", ("V",), "Current lesion not visible on the active series", "Read"),
    Shortcut("not_measurable", ("Shift+V",), "Current lesion visible but not measurable on the active series", "Read"),
    Shortcut("uncountable", ("Shift+C",), "Active series not countable (massive or coalescent), or countable again",
             "Read"),
    Shortcut("delete_selected", ("Del", "Backspace"),
             "Delete the count mark under the pointer, else the current lesion's status on the active series", "Read"),
    Shortcut("next_slice", ("Down", "Right"), "Next slice (down the patient)", "Scroll"),
    Shortcut("previous_slice", ("Up", "Left"), "Previous slice (up the patient)", "Scroll"),
    Shortcut("page_down", ("PgDown",), "10 slices down", "Scroll"),
    Shortcut("page_up", ("PgUp",), "10 slices up", "Scroll"),
    Shortcut("first_slice", ("Home",), "Top slice", "Scroll"),
    Shortcut("last_slice", ("End",), "Bottom slice", "Scroll"),
    Shortcut("cine", ("Space",), "Play or stop cine", "Scroll"),
    Shortcut("preset_ct_abdomen", ("1",), "Window CT abdomen (W400/L40)", "Window"),
    Shortcut("preset_ct_liver", ("2",), "Window CT liver (W150/L90)", "Window"),
    Shortcut("preset_ct_bone", ("3",), "Window CT bone (W2000/L500)", "Window"),
    Shortcut("preset_auto", ("4",), "Automatic window (1st-99th percentile; MRI)", "Window"),
    Shortcut("invert", ("I",), "Invert grey levels", "Window"),
    Shortcut("fit", ("F",), "Fit the image to the cell", "View"),
    Shortcut("reset", ("R",), "Reset: fit, automatic window, no inversion", "View"),
    Shortcut("toggle_overlays", ("O",), "Show or hide the overlays", "View"),
    Shortcut("maximise", ("M", "Return"), "Maximise the active cell or go back to the grid", "Layout"),
    Shortcut("next_cell", ("Tab",), "Next cell", "Layout"),
    Shortcut("previous_cell", ("Shift+Tab",), "Previous cell", "Layout"),
    Shortcut("grid_1x1", ("Ctrl+1",), "Layout 1x1", "Layout"),
    Shortcut("grid_1x2", ("Ctrl+2",), "Layout 1x2", "Layout"),
    Shortcut("grid_2x2", ("Ctrl+3",), "Layout 2x2", "Layout"),
    Shortcut("grid_2x3", ("Ctrl+4",), "Layout 2x3 (the six reading series)", "Layout"),
    Shortcut("grid_3x3", ("Ctrl+5",), "Layout 3x3", "Layout"),
    Shortcut("swap_adc", ("D",), "Swap DWI b800 and ADC", "Layout"),
    Shortcut("link_all", ("L",), "Link all cells at the landmark shown (reference point if on the slice, else the slice)",
             "Link"),
    Shortcut("toggle_link", ("U",), "Unlink or relink the active cell", "Link"),
    Shortcut("clear_links", ("Ctrl+Shift+L",), "Forget reader-made links (same frame of reference stays linked)", "Link"),
    Shortcut("crosshair", ("X",), "Reference point tool: click to place it in all linked cells", "Link"),
    Shortcut("analysis", ("Ctrl+Shift+A",), "Run the analysis on the reading project and show the tables", "Analysis"),
    Shortcut("shortcuts", ("F1",), "This list", "Help"),
)

#: Mouse habits (not bindable, listed beside the keys).
MOUSE: tuple[tuple[str, str], ...] = (
    ("Wheel", "Scroll one slice (down = next slice)"),
    ("Ctrl+Wheel", "Zoom about the pointer"),
    ("Left drag", "Active tool: window/level by default (right = wider, down = higher level)"),
    ("Left drag (line tool)", "Draw the current lesion's diameter; drag an end handle to move it"),
    ("Left click (count tool)", "Count a metastasis in the current lobe; drag a mark to move it"),
    ("Click a lesion-grid cell", "Show that measurement: its series, slice, centred"),
    ("Right drag", "Window/level, whatever the tool"),
    ("Right click", "Cell menu: role correction, presets, link"),
    ("Middle drag", "Pan"),
    ("Ctrl+Right drag", "Zoom"),
    ("Double click", "Maximise the cell or go back to the grid"),
    ("Esc", "Back to the window/level tool"),
    ("Drag a stack from the browser", "Show it in that cell"),
)
