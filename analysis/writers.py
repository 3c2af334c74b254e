"""Writing tables: CSV (12 significant digits, empty cell for NA) and one xlsx with a sheet per table.

Text never becomes a spreadsheet formula or splits a row: every cell goes through the project's
one cell rule (:mod:`annotation.cells`: formula starts and their look-alikes escaped, RFC 4180
quoting), the same for the CSV and the xlsx files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from annotation.cells import csv_text, xlsx_value


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """UTF-8, header first, ``\\n`` between records, empty cell for NA, floats to 12 significant digits (annotation.cells.csv_cell)."""
    text = csv_text([str(c) for c in table.columns], table.astype(object).itertuples(index=False, name=None))
    path.write_text(text, encoding="utf-8", newline="")


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table (sheet names cut to Excel's 31 characters), bold header, frozen row."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, table in tables.items():
        ws = wb.create_sheet(title=name[:31])
        ws.append([xlsx_value(str(c)) for c in table.columns])
        for row in table.itertuples(index=False, name=None):
            ws.append([xlsx_value(v) for v in row])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for i, col in enumerate(table.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(str(col)) + 2))
    wb.save(path)
