"""Excel (.xlsx) and CSV files: one sheet a page, one row a line.

A row reads "Header: value; Header: value" when the table's first row names its columns, so
a passage found by search still says what each number is; otherwise its cells are
tab-separated. Formulas are read as the values Excel last computed (none are evaluated).
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from documents.errors import DocumentError, FailureKind
from documents.extract import Page, decode_text, technical
from documents.formats.common import open_zip, with_text

#: Rows a sheet contributes at most: a million-row export is data, not a document to ask about.
MAX_ROWS = 200_000


def xlsx_pages(path: Path, data: bytes) -> list[Page]:
    """One page per worksheet, labelled "sheet NAME"."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    open_zip(path, data, office=".xlsx").close()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        pages: list[Page] = []
        try:
            for number, sheet in enumerate(workbook.worksheets, start=1):
                rows = sheet.iter_rows(values_only=True)
                pages.append(Page(number, "\n".join(table_lines(rows)), f"sheet {sheet.title}"))
        finally:
            workbook.close()
    except InvalidFileException as error:
        raise DocumentError(path, FailureKind.WRONG_FORMAT, "not an Excel workbook",
                            technical(error)) from error
    except (KeyError, AttributeError, IndexError, TypeError, ValueError, SyntaxError,
            zipfile.BadZipFile) as error:
        raise DocumentError(path, FailureKind.DAMAGED, "", technical(error)) from error
    return with_text(path, pages)


def csv_pages(path: Path, data: bytes) -> list[Page]:
    """The table as one page; the delimiter is guessed from the start of the file."""
    text = decode_text(path, data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:16384], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    try:
        lines = list(table_lines(csv.reader(io.StringIO(text), dialect)))
    except csv.Error as error:
        raise DocumentError(path, FailureKind.DAMAGED, "", technical(error)) from error
    return with_text(path, [Page(None, "\n".join(lines))])


def table_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Each non-empty row as a line; "Header: value" pairs under a header row of names."""
    header: list[str] | None = None
    for count, row in enumerate(rows):
        if count >= MAX_ROWS:
            return
        cells = [_cell(value) for value in row]
        if not any(cells):
            continue
        if header is None:
            named = [cell for cell in cells if cell]
            if all(isinstance(value, str) for value in row if value not in (None, "")) and (
                    len(named) >= 2):
                header = cells
                yield "\t".join(named)
                continue
            header = []
        if header:
            pairs = [f"{header[i] if i < len(header) and header[i] else f'column {i + 1}'}: "
                     f"{cell}" for i, cell in enumerate(cells) if cell]
            yield "; ".join(pairs)
        else:
            yield "\t".join(cells).strip()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return " ".join(str(value).split())
