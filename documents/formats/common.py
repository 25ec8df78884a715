"""What the format readers share: opening a zip-based file safely, and refusing empty ones."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from documents.errors import DocumentError, FailureKind
from documents.extract import Page, clean, technical

#: An OLE compound file: old binary Office (.doc, .xls, .ppt), .msg, or an encrypted OOXML.
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: The stream an encrypted Office file keeps its real (zipped) content in, as the compound
#: file's directory names it (UTF-16).
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
#: A zip-based file that expands past this is refused before it is read: a zip bomb, or a
#: document far beyond what anyone asks questions about.
MAX_EXPANDED_BYTES = 1024**3
#: Each Office format's folder in its zip, and its name for a user.
OFFICE_PARTS = {".docx": ("word/", "a Word document"), ".pptx": ("ppt/", "a PowerPoint file"),
                ".xlsx": ("xl/", "an Excel workbook")}


def open_zip(path: Path, data: bytes, office: str | None = None) -> zipfile.ZipFile:
    """The zip container of a .docx/.pptx/.xlsx/.epub, or the reason it is not one.

    An `office` file (its suffix, a key of OFFICE_PARTS) that is a compound file instead is
    either password-protected (Office encrypts the whole zip into one) or in the old binary
    format under a new name; one without its format's folder is another Office file.
    """
    if office and data.startswith(CFB_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise DocumentError(path, FailureKind.LOCKED_OFFICE)
        raise DocumentError(path, FailureKind.OLD_OFFICE)
    if not data.startswith(b"PK"):
        raise DocumentError(path, FailureKind.WRONG_FORMAT, "not a zip-based document")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise DocumentError(path, FailureKind.DAMAGED, "", technical(error)) from error
    if expanded > MAX_EXPANDED_BYTES:
        raise DocumentError(path, FailureKind.TOO_BIG,
                            f"it expands to {expanded / 1024**2:.0f} MB; the limit is "
                            f"{MAX_EXPANDED_BYTES // 1024**2} MB")
    if office:
        folder, name = OFFICE_PARTS[office]
        if not any(entry.startswith(folder) for entry in archive.namelist()):
            raise DocumentError(path, FailureKind.WRONG_FORMAT, f"not {name}")
    return archive


def with_text(path: Path, pages: Sequence[Page]) -> list[Page]:
    """The pages that hold text, cleaned; EMPTY when none does."""
    kept = [Page(page.number, clean(page.text), page.label) for page in pages]
    kept = [page for page in kept if page.text]
    if not kept:
        raise DocumentError(path, FailureKind.EMPTY, "the document holds no text")
    return kept


def paragraphs(lines: Sequence[str]) -> str:
    """Non-empty lines as paragraphs, which the chunker keeps whole where it can."""
    return "\n\n".join(line.strip() for line in lines if line.strip())
