"""Writing tables: CSV (full precision, empty cell for NA) and one xlsx with a sheet per table.

Text never becomes a spreadsheet formula: a text cell starting with =, +, -, @ (or a tab or
carriage return, which some spreadsheet programs strip before parsing) gets a leading quote.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """The text as a spreadsheet will show it, never evaluated as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False, na_rep="", lineterminator="\n")


def _cell(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar -> Python
        return _cell(value.item())
    return value


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table (sheet names cut to Excel's 31 characters), bold header, frozen row."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, table in tables.items():
        ws = wb.create_sheet(title=name[:31])
        ws.append([safe_text(str(c)) for c in table.columns])
        for row in table.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for i, col in enumerate(table.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(str(col)) + 2))
    wb.save(path)
