"""Word (.docx) and PowerPoint (.pptx) files: body text in reading order, one slide a page."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from documents.errors import DocumentError, FailureKind
from documents.extract import Page, technical
from documents.formats.common import open_zip, paragraphs, with_text

#: What python-docx and python-pptx raise on a package with missing or broken parts.
_DAMAGE = (KeyError, AttributeError, IndexError, TypeError, ValueError, zipfile.BadZipFile,
           SyntaxError)


def docx_pages(path: Path, data: bytes) -> list[Page]:
    """The document's paragraphs and tables in order, as one page (Word files have no fixed
    pages: where a page ends depends on the printer)."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    open_zip(path, data, office=".docx").close()
    try:
        document = Document(io.BytesIO(data))
        lines = list(_docx_lines(document.iter_inner_content()))
    except PackageNotFoundError as error:
        raise DocumentError(path, FailureKind.WRONG_FORMAT, "not a Word document",
                            technical(error)) from error
    except _DAMAGE as error:
        raise _wrong_or_damaged(path, error, "word") from error
    return with_text(path, [Page(None, paragraphs(lines))])


def _docx_lines(blocks: Iterable[Any]) -> Iterator[str]:
    from docx.table import Table

    for block in blocks:
        if isinstance(block, Table):
            for row in block.rows:
                yield "\t".join(_distinct(cell.text.strip() for cell in row.cells))
        else:
            yield str(block.text)


def pptx_pages(path: Path, data: bytes) -> list[Page]:
    """One page per slide, labelled "slide N": its text boxes, tables and speaker notes."""
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    open_zip(path, data, office=".pptx").close()
    try:
        presentation = Presentation(io.BytesIO(data))
        pages: list[Page] = []
        for number, slide in enumerate(presentation.slides, start=1):
            lines = list(_shape_lines(slide.shapes))
            if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
                notes = slide.notes_slide.notes_text_frame.text
                if notes.strip():
                    lines.append(f"Notes: {notes}")
            pages.append(Page(number, paragraphs(lines), f"slide {number}"))
    except PackageNotFoundError as error:
        raise DocumentError(path, FailureKind.WRONG_FORMAT, "not a PowerPoint file",
                            technical(error)) from error
    except _DAMAGE as error:
        raise _wrong_or_damaged(path, error, "presentation") from error
    return with_text(path, pages)


def _shape_lines(shapes: Iterable[Any]) -> Iterator[str]:
    """Text of shapes, tables and groups, in the slide's order (title first, as drawn)."""
    for shape in shapes:
        if getattr(shape, "shape_type", None) is not None and hasattr(shape, "shapes"):
            yield from _shape_lines(shape.shapes)  # A group.
        elif getattr(shape, "has_table", False):
            for row in shape.table.rows:
                yield "\t".join(_distinct(cell.text.strip() for cell in row.cells))
        elif getattr(shape, "has_text_frame", False):
            yield str(shape.text_frame.text)


def _distinct(cells: Iterable[str]) -> list[str]:
    """Cells of a row without the repeats a merged cell shows as."""
    row: list[str] = []
    for cell in cells:
        if cell and (not row or row[-1] != cell):
            row.append(cell)
    return row


def _wrong_or_damaged(path: Path, error: Exception, kind: str) -> DocumentError:
    """python-docx and python-pptx say "content type is ..." of another Office file."""
    if "content type" in str(error).lower():
        return DocumentError(path, FailureKind.WRONG_FORMAT,
                             f"not a {'Word document' if kind == 'word' else 'PowerPoint file'}",
                             technical(error))
    return DocumentError(path, FailureKind.DAMAGED, "", technical(error))
