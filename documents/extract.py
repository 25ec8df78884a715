"""Turn a file into pages of text: PDF via pypdf (one page each), plain text and Markdown."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from documents.errors import DocumentError, FailureKind

log = logging.getLogger(__name__)
# pypdf logs every repair it makes; the user gets one clear reason per file instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)

PDF_SUFFIXES = frozenset({".pdf"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
SUPPORTED_SUFFIXES = PDF_SUFFIXES | TEXT_SUFFIXES
#: Larger files are refused with a clear reason: a 32 MB text file is already ~8 million
#: tokens, hours of embedding on a laptop; PDFs carry images, so theirs is higher.
MAX_TEXT_BYTES = 32 * 1024**2
MAX_PDF_BYTES = 512 * 1024**2

#: Below this many characters per page on average, a PDF is taken as a scan without OCR
#: (scans often carry a stray word or two, such as a scanner's watermark).
_MIN_CHARS_PER_PAGE = 32


@dataclass(frozen=True)
class Page:
    """One page of text; `number` is 1-based for PDFs and None for files without pages."""

    number: int | None
    text: str


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def extract_pages(path: Path, password: str | None = None) -> list[Page]:
    """Read `path` into pages, or raise DocumentError saying what is wrong with it."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(path, FailureKind.UNSUPPORTED, suffix or "no extension")
    limit = MAX_PDF_BYTES if suffix in PDF_SUFFIXES else MAX_TEXT_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            raise DocumentError(path, FailureKind.TOO_BIG,
                                f"{size / 1024**2:.0f} MB; the limit is {limit // 1024**2} MB")
        data = path.read_bytes()
    except OSError as error:
        raise DocumentError(path, FailureKind.UNREADABLE, error.strerror or str(error)) from error
    if not data.strip():
        raise DocumentError(path, FailureKind.EMPTY)
    if suffix in PDF_SUFFIXES:
        return _pdf_pages(path, password, looks_encrypted=b"/Encrypt" in data)
    return [Page(None, _decode_text(path, data))]


def _decode_text(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise DocumentError(path, FailureKind.NOT_TEXT)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding).replace("\r\n", "\n")
        except UnicodeDecodeError:
            continue
    raise DocumentError(path, FailureKind.NOT_TEXT, "not UTF-8 or Windows-1252 text")


def _pdf_pages(path: Path, password: str | None, looks_encrypted: bool) -> list[Page]:
    # Imported here: pypdf is only needed when a PDF is actually read.
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    with path.open("rb") as stream:
        if not stream.read(1024).lstrip().startswith(b"%PDF"):
            raise DocumentError(path, FailureKind.NOT_A_PDF, "no %PDF header")
    encrypted = looks_encrypted  # pypdf may fail on the encryption before saying so.
    try:
        reader = PdfReader(path, strict=False)
        encrypted = reader.is_encrypted
        if encrypted:
            _decrypt(path, reader, password)
        pages = [Page(number, page.extract_text() or "") for number, page in
                 enumerate(reader.pages, start=1)]
    except DocumentError:
        raise
    except FileNotDecryptedError as error:
        raise DocumentError(path, FailureKind.NEEDS_PASSWORD) from error
    except (DependencyError, NotImplementedError) as error:
        raise DocumentError(path, FailureKind.CANNOT_DECRYPT, str(error)) from error
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            AssertionError, RecursionError, OSError, ZeroDivisionError) as error:
        # pypdf signals damage through many exception types; all mean the same to a user.
        # In an encrypted file they mostly come from decrypting its streams.
        kind = FailureKind.CANNOT_DECRYPT if encrypted else FailureKind.DAMAGED
        raise DocumentError(path, kind, f"{type(error).__name__}: {error}") from error
    pages = [Page(page.number, _clean(page.text)) for page in pages]
    total_chars = sum(len(page.text.strip()) for page in pages)
    if not pages or total_chars < _MIN_CHARS_PER_PAGE * len(pages):
        raise DocumentError(path, FailureKind.NO_TEXT, f"{len(pages)} page(s), no extractable text")
    return pages


def _decrypt(path: Path, reader: object, password: str | None) -> None:
    from pypdf import PasswordType

    for candidate in ([password] if password is not None else []) + [""]:
        try:
            result = reader.decrypt(candidate)  # type: ignore[attr-defined]
        except (ValueError, NotImplementedError, KeyError) as error:
            raise DocumentError(path, FailureKind.CANNOT_DECRYPT, str(error)) from error
        if result != PasswordType.NOT_DECRYPTED:
            return
    kind = FailureKind.WRONG_PASSWORD if password else FailureKind.NEEDS_PASSWORD
    raise DocumentError(path, kind)


def _clean(text: str) -> str:
    """Drop NULs and trailing spaces pypdf leaves, keep line structure for chunking."""
    lines = (line.rstrip() for line in text.replace("\x00", "").splitlines())
    return "\n".join(lines).strip()
