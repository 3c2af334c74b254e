"""Reading the CSV inputs of the analysis, as lesionlab writes them or as a spreadsheet saves them.

Every CSV input of the analysis (measurements, counts, patients; analyze and agreement) is read
here. Clinicians' files come from Excel, often a French one: semicolons between fields, decimal
commas, Windows-1252 or UTF-8 with a BOM, a ``sep=;`` first line, VRAI/FAUX. What is detected:

* **encoding**: UTF-8 (a BOM is allowed), UTF-16 with a BOM (Excel's "Unicode text"), otherwise
  Windows-1252 (cp1252), the encoding of Excel's "CSV (séparateur : point-virgule)" on Windows;
* **delimiter**: given by a ``sep=X`` first line, else the one of ``,`` ``;`` tab ``|`` that splits
  the header into the most fields with every record splitting into as many;
* **decimal mark**: a comma when the numeric columns hold numbers written ``12,5`` (possible only
  when the delimiter is not a comma, or in quoted cells); a file mixing ``12,5`` and ``12.5`` in
  its numeric columns is refused naming one line of each.

:class:`Dialect` says what was detected (:meth:`Dialect.describe`); the analysis prints it for a
file that is not plain lesionlab CSV. Records keep their line number (header = line 1, a
``sep=`` line counted), so errors still name the line as an editor shows it.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from viewer.errors import InputFormatError

log = logging.getLogger("lesionlab.analysis")

DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_SEP_LINE = re.compile(r"^\s*sep=(.)\s*$", re.IGNORECASE)
_COMMA_DECIMAL = re.compile(r"^\s*[+-]?[0-9]*,[0-9]+\s*$", re.ASCII)
_POINT_DECIMAL = re.compile(r"^\s*[+-]?[0-9]*\.[0-9]+\s*$", re.ASCII)
#: Written as an English spreadsheet groups thousands: 1,000 or 12,500 or 1,000,000.
_THOUSANDS = re.compile(r"^\s*[+-]?[0-9]{1,3}(,[0-9]{3})+\s*$", re.ASCII)


@dataclass(frozen=True)
class Dialect:
    """What a CSV file turned out to be."""

    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "cp1252"
    delimiter: str
    decimal: str = "."
    sep_line: bool = False  # a "sep=;" first line (Excel)

    @property
    def plain(self) -> bool:
        """lesionlab's own format: UTF-8 (BOM or not), commas, decimal points, no sep= line."""
        return self.encoding in ("utf-8", "utf-8-sig") and self.delimiter == "," and self.decimal == "." \
            and not self.sep_line

    def describe(self) -> str:
        enc = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16",
               "cp1252": "Windows-1252 (cp1252)"}[self.encoding]
        parts = [f"{_DELIMITER_NAMES[self.delimiter]}-separated", f"decimal {'comma' if self.decimal == ',' else 'point'}",
                 enc]
        if self.sep_line:
            parts.append(f"'sep={self.delimiter}' first line")
        return ", ".join(parts)


@dataclass(frozen=True)
class CsvRecords:
    """A file's header and records as text, with the line each starts on."""

    source: str
    header: list[str]
    header_line: int
    rows: list[list[str]]
    lines: list[int]
    dialect: Dialect


#: A character of two to four bytes in UTF-8 (what a Windows-1252 text almost never holds by chance).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _refuse_mixed_encodings(data: bytes, error: UnicodeDecodeError, source: str) -> None:
    """A file that is not UTF-8 but holds UTF-8 characters mixes two encodings (rows pasted or appended from a file
    saved otherwise): read as Windows-1252 its UTF-8 'Hélène' became 'HÃ©lÃ¨ne', another reader than the one of
    the other files (a researcher's check). Refused naming a line of each."""
    bom = data.startswith(b"\xef\xbb\xbf")
    utf8 = _UTF8_MULTIBYTE.search(data, 3 if bom else 0)
    if utf8 is None and not bom:
        return
    # the error's offset counts from after the BOM when decoding as utf-8-sig
    start = error.start + (3 if bom else 0)
    line_other = data.count(b"\n", 0, start) + 1
    byte = data[start]
    if utf8 is not None:
        line_utf8 = data.count(b"\n", 0, utf8.start()) + 1
        says = f"line {line_utf8} holds UTF-8 text ({utf8.group().decode('utf-8')!r})"
    else:
        says = "it starts with the UTF-8 byte order mark"
    raise InputFormatError(
        f"mixes two encodings: {says} and line {line_other} does not (byte 0x{byte:02X}, "
        f"{bytes([byte]).decode('cp1252', errors='replace')!r} in Windows-1252); read either way, some names "
        "would change", where=source,
        advice="save the file again from one program in one encoding (CSV UTF-8), or fix the lines named")


def _decode(data: bytes, source: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "cp1252"]
    # an xlsx, an image, a store or a DICOM file given for a CSV has NUL bytes from its start (a NUL in a cell of a
    # CSV is named by its line and column, later)
    first_line = data[:max(data.find(b"\n"), 16)] if b"\n" in data else data
    if encodings != ["utf-16"] and b"\x00" in first_line:
        raise InputFormatError("is not a text file (it holds NUL bytes): not a CSV", where=source,
                               advice="give the CSV file (lesionlab export writes measurements.csv and counts.csv; "
                                      "from a spreadsheet: Save as CSV)")
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            if enc in ("utf-8", "utf-8-sig"):
                _refuse_mixed_encodings(data, exc, source)
            continue
        return text, enc
    raise InputFormatError("is neither UTF-8 nor Windows-1252 (cp1252) text", where=source,
                           advice="save it from the spreadsheet as CSV UTF-8")


def _records(text: str, delimiter: str, first_line: int) -> tuple[list[list[str]], list[int]]:
    """Non-blank records and the line each starts on."""
    # no field is longer than the file: csv's own limit (131,072 characters) refused a whole file for one long cell
    # of a column nothing reads (a researcher's check), naming no line
    if csv.field_size_limit() < len(text) + 1:
        csv.field_size_limit(len(text) + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    lines: list[int] = []
    start = first_line
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                rows.append(record)
                lines.append(start)
            start = first_line + reader.line_num
    except csv.Error as exc:
        raise csv.Error(f"{exc}, in the record from line {start}") from None
    return rows, lines


def _sniff(text: str) -> str:
    """The delimiter that splits the header into most fields, every sample record alike."""
    sample = "\n".join(text.splitlines()[:50])
    best, best_key = ",", (-1, -1)
    for d in DELIMITERS:
        try:
            rows, _ = _records(sample, d, 1)
        except csv.Error:
            continue
        if not rows:
            continue
        n = len(rows[0])
        consistent = all(len(r) == n for r in rows[1:-1])  # the last sample line may be cut
        key = (int(consistent and n > 1), n)
        if key > best_key:
            best, best_key = d, key
    return best


def read_records(path: str | Path) -> CsvRecords:
    """Read a CSV file whatever its encoding and delimiter (decimal marks: :func:`decimal_mark`)."""
    path = Path(path)
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFormatError("file not found", where=source, advice="check the path") from None
    except OSError as exc:
        raise InputFormatError(f"cannot be read: {exc.strerror}", where=source,
                               advice="give the path of a readable CSV file") from None
    text, encoding = _decode(data, source)
    first_line, sep_line = 1, False
    head, _, rest = text.partition("\n")
    match = _SEP_LINE.match(head.rstrip("\r"))
    if match:
        delimiter, sep_line, text, first_line = match.group(1), True, rest, 2
        if delimiter not in DELIMITERS:
            raise InputFormatError(f"'sep={delimiter}' names a delimiter lesionlab does not read",
                                   where=f"{source}, line 1", advice="use , ; tab or |")
    else:
        delimiter = _sniff(text)
    try:
        rows, lines = _records(text, delimiter, first_line)
    except csv.Error as exc:
        raise InputFormatError(f"is not valid CSV ({exc})", where=source) from None
    if not rows:
        raise InputFormatError("is empty: no header line", where=source)
    header, header_line = [c.strip() for c in rows[0]], lines[0]
    dialect = Dialect(encoding, delimiter, ".", sep_line)
    for record, line in zip(rows[1:], lines[1:]):
        if len(record) != len(header):
            raise InputFormatError(
                f"{len(record)} fields where the header (line {header_line}) has {len(header)} "
                f"(read as {dialect.describe()})", where=f"{source}, line {line}",
                advice=f"every line needs the same number of {_DELIMITER_NAMES[delimiter]}-separated fields as the "
                       f"header; a {_DELIMITER_NAMES[delimiter]} inside a value must be in double quotes")
    return CsvRecords(source, header, header_line, rows[1:], lines[1:], dialect)


def decimal_mark(records: CsvRecords, numeric_columns: tuple[str, ...]) -> str:
    """"," when the numeric columns are written with decimal commas, "." otherwise; a file
    using both is refused naming a line of each."""
    idx = [records.header.index(c) for c in numeric_columns if c in records.header]
    comma = point = grouped = None  # comma: a decimal comma beyond doubt ('12,5'); grouped: '1,000'
    for row, line in zip(records.rows, records.lines):
        for i in idx:
            cell = row[i]
            if _THOUSANDS.match(cell):
                grouped = grouped or (line, records.header[i], cell)
            elif comma is None and _COMMA_DECIMAL.match(cell):
                comma = (line, records.header[i], cell)
            elif point is None and _POINT_DECIMAL.match(cell):
                point = (line, records.header[i], cell)
        if comma and point:
            raise InputFormatError(
                f"mixes decimal marks: {comma[2]!r} (line {comma[0]}, column {comma[1]!r}) and {point[2]!r} "
                f"(line {point[0]}, column {point[1]!r})", where=records.source,
                advice="write every number with the same decimal mark")
    # '1,000' is one thousand where a spreadsheet groups thousands with commas (English; its CSV is comma- or
    # tab-separated) and 1.000 where the comma is the decimal mark (French, German: ';'-separated). Unless a cell
    # such as '12,5' shows the decimal comma, or the file is ';'-separated with no decimal point, it is not guessed
    # (a researcher's check: 1,000 metastases were read as 1)
    if grouped and not comma and (point or records.dialect.delimiter != ";"):
        line, column, cell = grouped
        text = cell.strip()
        decimal = f" or {text.replace(',', '.')} with a decimal comma" if text.count(",") == 1 else ""
        seen = f"; the file writes decimals with a point ({point[2]!r}, line {point[0]})" if point else ""
        raise InputFormatError(
            f"{text!r} reads {text.replace(',', '')} with a thousands separator{decimal}{seen}: lesionlab does "
            "not guess", where=f"{records.source}, line {line}, column {column!r}",
            advice="write numbers without a thousands separator (1000), decimals with one mark throughout")
    comma = comma or grouped
    if comma and records.dialect.delimiter == "," and not point:
        log.info("%s: decimal commas in quoted cells", records.source)
    return "," if comma else "."


def with_decimal_points(records: CsvRecords, numeric_columns: tuple[str, ...]) -> CsvRecords:
    """The records with decimal commas of the numeric columns turned into points, dialect noted."""
    mark = decimal_mark(records, numeric_columns)
    if mark == ".":
        return records
    idx = [records.header.index(c) for c in numeric_columns if c in records.header]
    rows = [list(r) for r in records.rows]
    for r in rows:
        for i in idx:
            if _COMMA_DECIMAL.match(r[i]):
                r[i] = r[i].replace(",", ".")
    dialect = Dialect(records.dialect.encoding, records.dialect.delimiter, ",", records.dialect.sep_line)
    return CsvRecords(records.source, records.header, records.header_line, rows, records.lines, dialect)
