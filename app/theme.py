"""The dark reading theme (OHIF/Horos-like): near-black surfaces, grey text, one amber accent.

Dark surroundings keep the reader's eyes adapted to the images for hours; the accent marks
the active cell and selections only, and a dialog's default button (the one Enter presses: filled and framed in
it, as OHIF's and Horos' dark dialogs mark it; a question's No looked as its Yes, a reader's check under Xvfb).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#ffc440"

STYLESHEET = f"""
QWidget {{ background: #141416; color: #d6d6d6; font-size: 9pt; }}
QMainWindow::separator {{ background: #26262a; width: 3px; height: 3px; }}
QMenuBar, QMenu {{ background: #1b1b1e; }}
QMenu::item:selected, QMenuBar::item:selected {{ background: #33333a; color: {ACCENT}; }}
QTreeView, QTableWidget, QListWidget {{ background: #101012; alternate-background-color: #161619;
    border: 1px solid #26262a; selection-background-color: #3a3320; selection-color: {ACCENT}; }}
QHeaderView::section {{ background: #1b1b1e; color: #9a9a9a; border: none; padding: 3px; }}
QDockWidget::title {{ background: #1b1b1e; padding: 4px; color: #9a9a9a; }}
QStatusBar {{ background: #101012; color: #9a9a9a; }}
QPushButton {{ background: #26262a; border: 1px solid #38383e; padding: 4px 10px; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:default {{ background: #3a3320; border: 2px solid {ACCENT}; color: #ffe6a8; padding: 3px 9px; }}
QProgressBar {{ background: #1b1b1e; border: 1px solid #26262a; height: 10px; text-align: center; }}
QProgressBar::chunk {{ background: #6ebeff; }}
QToolTip {{ background: #26262a; color: #e0e0e0; border: 1px solid #38383e; }}
QCheckBox::indicator, QTableView::indicator, QListView::indicator, QTreeView::indicator {{
    width: 13px; height: 13px; border: 1px solid #8a8a92; background: #1b1b1e; border-radius: 2px; }}
QCheckBox::indicator:checked, QTableView::indicator:checked, QListView::indicator:checked,
QTreeView::indicator:checked {{ background: {ACCENT}; border-color: {ACCENT}; }}
QCheckBox::indicator:hover {{ border-color: {ACCENT}; }}
QComboBox, QLineEdit, QSpinBox {{ background: #1b1b1e; border: 1px solid #38383e; padding: 2px 4px; }}
QComboBox:focus, QLineEdit:focus {{ border-color: {ACCENT}; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    for role, color in ((QPalette.ColorRole.Window, "#141416"), (QPalette.ColorRole.Base, "#101012"),
                        (QPalette.ColorRole.AlternateBase, "#161619"), (QPalette.ColorRole.Text, "#d6d6d6"),
                        (QPalette.ColorRole.WindowText, "#d6d6d6"), (QPalette.ColorRole.Button, "#26262a"),
                        (QPalette.ColorRole.ButtonText, "#d6d6d6"), (QPalette.ColorRole.Highlight, "#3a3320"),
                        (QPalette.ColorRole.HighlightedText, ACCENT), (QPalette.ColorRole.ToolTipBase, "#26262a"),
                        (QPalette.ColorRole.ToolTipText, "#e0e0e0")):
        pal.setColor(role, QColor(color))
    app.setPalette(pal)
    app.setStyleSheet(STYLESHEET)
