"""Readers for files other than PDF and plain text: Office, web, e-book, e-mail and tables.

Each reader turns a file's bytes into `Page`s, with a `label` where a page number would not
say where the text is, and raises DocumentError with a reason in the owner's words. They run
in the isolated reader process (documents.isolation), under its time and memory limits, like
the PDF reader; the libraries behind them are imported only when such a file is read.
"""

from __future__ import annotations

from pathlib import Path

from documents.errors import DocumentError, FailureKind
from documents.extract import Page


def read_document(path: Path, suffix: str, data: bytes, depth: int = 0) -> list[Page]:
    """`data`, the content of a file named with `suffix`, read into pages.

    `depth` counts e-mails inside e-mails, so an attachment loop ends.
    """
    if suffix == ".docx":
        from documents.formats.office import docx_pages

        return docx_pages(path, data)
    if suffix == ".pptx":
        from documents.formats.office import pptx_pages

        return pptx_pages(path, data)
    if suffix == ".xlsx":
        from documents.formats.tables import xlsx_pages

        return xlsx_pages(path, data)
    if suffix in (".csv", ".tsv"):
        from documents.formats.tables import csv_pages

        return csv_pages(path, data)
    if suffix in (".html", ".htm", ".xhtml"):
        from documents.formats.markup import html_pages

        return html_pages(path, data)
    if suffix == ".epub":
        from documents.formats.markup import epub_pages

        return epub_pages(path, data)
    if suffix == ".rtf":
        from documents.formats.markup import rtf_pages

        return rtf_pages(path, data)
    if suffix == ".eml":
        from documents.formats.mail import eml_pages

        return eml_pages(path, data, depth)
    if suffix == ".msg":
        from documents.formats.mail import msg_pages

        return msg_pages(path, data, depth)
    raise DocumentError(path, FailureKind.UNSUPPORTED, suffix or "no extension")
