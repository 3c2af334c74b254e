"""The widgets in a panel table's cells (the lesion grid's lobe and segment, the follow-up table's
kind, organ, status, flags and baselines), kept across refreshes.

The panels redraw from the model after every edit and every change of lesion: a click that records
a line refreshes the lesion grid and the follow-up table twice each. Building their combo boxes anew
each time cost 25 ms a refresh of the lesion grid and 13 ms of the follow-up table with eleven
lesions, about 75 ms of the 130 ms between a one-click diameter's click and its line (the suggestion
itself 35-50 ms on DWI b800). A cell's combo box (check box) is now the one already there when it
offers the same choices; only its current value and the edit it calls change.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QPointF, QRect, QSignalBlocker, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent, QPainter, QPaintEvent, QPalette, QPolygonF, QResizeEvent
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QCheckBox, QDockWidget, QHBoxLayout, QLineEdit, QStyle,
                               QStyledItemDelegate, QStyleOptionComboBox, QStyleOptionViewItem, QStylePainter,
                               QTableWidget, QTableWidgetItem, QTabWidget, QWidget)

from annotation.qt.combo import StillCombo


#: the keys that clear a selected cell of a table typed into, as in a spreadsheet
CLEAR_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)


def clears_cell(event: QKeyEvent) -> bool:
    """Del or Backspace, alone or with Ctrl: a cell's clearing in a table typed into. Ctrl+Del is the window's Clear
    on the active series, which took the current lesion's line there, unasked, from a key pressed on a treatment cell;
    Shift+Del (Delete lesion) asks first and stays the window's."""
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    return event.key() in CLEAR_KEYS and mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier)


class TypedTable(QTableWidget):
    """A table whose cells are typed into (the treatment lines'): Del or Backspace on a selected cell (no editor
    open) calls ``on_clear(row, column)``, as a spreadsheet clears a cell. They were the window's Del before, which
    deletes the line or count mark picked on the images when the pointer is on none (session 45: a line just drawn,
    then Del on a treatment line's End cell deleted that 30.6 mm line, the date kept); app/typing_guard.py leaves
    them to such a table."""

    def __init__(self, rows: int, columns: int, on_clear: Callable[[int, int], None] | None = None,
                 on_escape: Callable[[int, int], Callable[[], None] | None] | None = None) -> None:
        super().__init__(rows, columns)
        self.on_clear = on_clear
        self.setEditTriggers(self.editTriggers() | QAbstractItemView.EditTrigger.AnyKeyPressed)
        #: Esc on a cell with no editor open: ``on_escape(row, column)`` gives what Esc does there, or None where it is
        #: the window's (a treatment line added whose start is not typed yet: dropped, as Esc in its editor drops it)
        self.on_escape = on_escape

    def escape(self) -> Callable[[], None] | None:
        """What Esc does on the current cell with no editor open (app/typing_guard.py leaves the key to the table
        then), or None."""
        index = self.currentIndex()
        if self.on_escape is None or not index.isValid() or self.state() == QAbstractItemView.State.EditingState:
            return None
        return self.on_escape(index.row(), index.column())

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        """The keys gone elsewhere (a click on an image), the cell is no longer shown selected: an End cell still lit
        read as where Del would act (a check under Xvfb, session 45). The current cell stays (Remove line's line); a
        cell's own editor taking the keys keeps it shown."""
        super().focusOutEvent(event)
        now = QApplication.focusWidget()
        if now is None or not self.isAncestorOf(now):
            self.clearSelection()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if clears_cell(event) and self.state() != QAbstractItemView.State.EditingState:
            event.accept()
            index = self.currentIndex()
            if self.on_clear is not None and index.isValid():
                self.on_clear(index.row(), index.column())
            return
        if event.key() == Qt.Key.Key_Escape and (act := self.escape()) is not None:
            event.accept()
            act()
            return
        super().keyPressEvent(event)


def set_cell_widget(table: QTableWidget, row: int, column: int, widget: QWidget | None) -> None:
    """Put ``widget`` in a cell (None: empty it), hiding the widget it replaces.

    QAbstractItemView.setIndexWidget only deleteLater()s the replaced widget and leaves it shown
    until the deferred delete runs; one the view never laid out (made and replaced by refreshes
    before the delayed layout) sits at the viewport's origin, over the first row's lesion id.
    """
    old = table.cellWidget(row, column)
    if old is None and widget is None:
        return
    if old is not None:
        old.hide()
    if widget is None:
        table.removeCellWidget(row, column)
    else:
        table.setCellWidget(row, column, widget)


class CellCombo(StillCombo):
    """A cell's combo box: its choices as (text, data) pairs, and the edit a reader's choice calls
    (``on_choice(data)``), replaced at each refresh (it names the row's lesion)."""

    def __init__(self, items: tuple[tuple[str, Any], ...]) -> None:
        super().__init__()
        self.items = items
        for text, data in items:
            self.addItem(text, data)
        self.on_choice: Callable[[Any], None] = lambda data: None
        #: whether it draws its own arrow (a table's style sheet gives it a slim drop-down without one)
        self.slim_arrow = False
        self.currentIndexChanged.connect(lambda i: self.on_choice(self.itemData(i)))

    def width_for(self, text: str | None = None) -> int:
        """The width that shows ``text`` (default: its current choice) whole; its size hint fits its longest choice."""
        self.ensurePolished()  # the table's style sheet, if any
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        opt.rect = QRect(0, 0, 400, max(self.height(), self.sizeHint().height()))
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        # the text within the edit field less 2 pixels (paintEvent elides at 1 less: advances are rounded)
        return 400 - field.width() + 2 + self.fontMetrics().horizontalAdvance(
            self.currentText() if text is None else text)

    def _shown_text(self, opt: QStyleOptionComboBox | None = None) -> str:
        """Its choice as it fits its edit field, elided; the tooltip the whole choice when elided, else none."""
        if opt is None:
            opt = QStyleOptionComboBox()
            self.initStyleOption(opt)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        text = self.fontMetrics().elidedText(opt.currentText, Qt.TextElideMode.ElideRight, field.width() - 1)
        tip = opt.currentText if text != opt.currentText else ""
        if self.toolTip() != tip:
            self.setToolTip(tip)
        return text

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._shown_text()  # the tooltip right where it is not painted (scrolled out of view)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        """Its choice elided ("non-ta…") where its column is narrower than the text, the whole choice in its tooltip:
        Qt cuts the text off at the arrow, and "non-target" read "non-targ" (the follow-up table fitted to 1600 px)."""
        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        # the label drawn in the edit field _shown_text and width_for measure: the style's own label (Fusion under the
        # table's style sheet, without the window's theme) cut it 8 px short of it, "non-targ" and "lymph noc" whole
        # widths shown cut at 1600 x 1000 (session 47's screenshots)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        self.style().drawItemText(painter, field.adjusted(1, 0, -1, 0),
                                  Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.palette(),
                                  self.isEnabled(), self._shown_text(opt), QPalette.ColorRole.ButtonText)
        if self.slim_arrow:  # a style sheet's slim drop-down has no arrow of its own: a small one, in the text's colour
            box = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxArrow,
                                              self)
            c = box.center()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.palette().color(QPalette.ColorRole.Text))
            painter.drawPolygon(QPolygonF([QPointF(c.x() - 3.5, c.y() - 1.5), QPointF(c.x() + 3.5, c.y() - 1.5),
                                           QPointF(c.x(), c.y() + 2.5)]))


def cell_combo(table: QTableWidget, row: int, column: int, items: list[tuple[str, Any]], current: Any,
               on_choice: Callable[[Any], None]) -> CellCombo:
    """The combo box of a cell showing ``items`` with the one whose data is ``current`` chosen (the
    first when none is), calling ``on_choice(data)`` when the reader chooses: the box already there
    when it offers the same items, else a new one. Setting the value calls nothing."""
    choices = tuple(items)
    box = table.cellWidget(row, column)
    if not (isinstance(box, CellCombo) and box.items == choices):
        box = CellCombo(choices)
        set_cell_widget(table, row, column, box)
    index = next((i for i, (_, data) in enumerate(choices) if data == current), 0)
    if box.currentIndex() != index:
        with QSignalBlocker(box):
            box.setCurrentIndex(index)
    box.on_choice = on_choice
    return box


class CellCheck(QWidget):
    """A cell's check box, a little in from the cell's edge; ``on_toggle(checked)`` replaced at each refresh."""

    def __init__(self) -> None:
        super().__init__()
        self.box = QCheckBox(self)
        self.box.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # as leave_keys_to_images: Space toggled it
        self.on_toggle: Callable[[bool], None] = lambda checked: None
        self.box.toggled.connect(lambda checked: self.on_toggle(checked))
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 0, 0, 0)
        lay.addWidget(self.box)


def cell_check(table: QTableWidget, row: int, column: int, value: bool, on_toggle: Callable[[bool], None]) -> CellCheck:
    """The check box of a cell, checked as ``value``, calling ``on_toggle(checked)`` when the reader
    toggles it: the one already there, else a new one. Setting the value calls nothing."""
    holder = table.cellWidget(row, column)
    if not isinstance(holder, CellCheck):
        holder = CellCheck()
        set_cell_widget(table, row, column, holder)
    if holder.box.isChecked() != value:
        with QSignalBlocker(holder.box):
            holder.box.setChecked(value)
    holder.on_toggle = on_toggle
    return holder


#: What a cell's item shows: two items alike in these show alike.
_SHOWN = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.BackgroundRole,
          Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.TextAlignmentRole,
          Qt.ItemDataRole.UserRole)


def set_cell_item(table: QTableWidget, row: int, column: int, item: QTableWidgetItem) -> None:
    """Put ``item`` in a cell unless the item there shows the same: each setItem makes the view lay out
    its cell widgets again (0.15 ms a call with the grid's combo boxes kept, 150 items a refresh)."""
    old = table.item(row, column)
    if old is not None and old.flags() == item.flags() and all(old.data(r) == item.data(r) for r in _SHOWN):
        return
    table.setItem(row, column, item)


def show_widget(widget: QWidget) -> None:
    """``widget`` in view: the tabs and docks it lies in brought to the front (a dock tabbed behind another)."""
    child: QWidget = widget
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QTabWidget) and parent.indexOf(child) >= 0:
            parent.setCurrentWidget(child)
        elif isinstance(parent, QDockWidget):
            parent.show()
            parent.raise_()
        child, parent = parent, parent.parentWidget()


def editor_of(view: QAbstractItemView) -> QWidget | None:
    """The editor open in ``view`` (its state is EditingState): the viewport's shown child over a cell that is not
    the cell's own widget (a cell's combo box is a child of the viewport too, and a persistent editor to Qt)."""
    viewport = view.viewport()
    for child in viewport.findChildren(QWidget):
        if child.parentWidget() is not viewport or not child.isVisible():
            continue
        index = view.indexAt(child.geometry().center())
        if index.isValid() and view.indexWidget(index) is child and not view.isPersistentEditorOpen(index):
            return child
    return None


def reopen_cell(view: QAbstractItemView, row: int, column: int, typed: str) -> None:
    """The cell's editor open again holding ``typed``, selected (the reader corrects it, or types anew over it)."""
    model = view.model()
    if model is None or row >= model.rowCount() or column >= model.columnCount():
        return
    show_widget(view)
    # the window given the keys back: the question's box closed, a window manager (or none, under Xvfb) may leave no
    # window active, the editor then opened without the keys
    view.window().activateWindow()
    index = model.index(row, column)
    view.setFocus()
    view.setCurrentIndex(index)
    if view.state() != QAbstractItemView.State.EditingState:
        view.edit(index)
    editor = editor_of(view)
    if isinstance(editor, QLineEdit):
        editor.setText(typed)
        editor.selectAll()
        editor.setFocus()


class PlaceholderCells(QStyledItemDelegate):
    """An editable cell with no text shows ``placeholder``, greyed and in italics, as a line edit shows its
    placeholder; the cell's text stays empty and its editor opens empty."""

    def __init__(self, placeholder: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.placeholder = placeholder

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        if not option.text and index.flags() & Qt.ItemFlag.ItemIsEditable:
            option.text = self.placeholder
            option.font.setItalic(True)
            option.palette.setBrush(QPalette.ColorRole.Text, option.palette.brush(QPalette.ColorRole.PlaceholderText))
