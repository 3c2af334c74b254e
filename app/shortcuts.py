"""Every keyboard shortcut of the viewer, as data: the main window binds from this table and
Help -> Shortcuts lists it, so the two cannot disagree. Mouse habits are listed from MOUSE.

Keys follow the common habits of OHIF, Horos and Weasis where they agree (arrows and Page keys
scroll, Home/End jump, Space plays cine, number keys pick window presets).
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
    Shortcut("quit", ("Ctrl+Q",), "Quit", "File"),
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
    Shortcut("clear_links", ("Shift+L",), "Forget reader-made links (same frame of reference stays linked)", "Link"),
    Shortcut("crosshair", ("X",), "Reference point tool: click to place it in all linked cells", "Link"),
    Shortcut("shortcuts", ("F1",), "This list", "Help"),
)

#: Mouse habits (not bindable, listed beside the keys).
MOUSE: tuple[tuple[str, str], ...] = (
    ("Wheel", "Scroll one slice (down = next slice)"),
    ("Ctrl+Wheel", "Zoom about the pointer"),
    ("Left drag", "Active tool: window/level by default (right = wider, down = higher level)"),
    ("Right drag", "Window/level, whatever the tool"),
    ("Right click", "Cell menu: role correction, presets, link"),
    ("Middle drag", "Pan"),
    ("Ctrl+Right drag", "Zoom"),
    ("Double click", "Maximise the cell or go back to the grid"),
    ("Esc", "Back to the window/level tool"),
    ("Drag a stack from the browser", "Show it in that cell"),
)
