"""Turn a file into pages of text: PDF via pypdf (one page each), plain text and Markdown.

Office, web, e-book and e-mail files are read by the modules of `documents.formats`, which
this module dispatches to by suffix; each gives its pages a `label` that citations show.
"""

from __future__ import annotations

import io
import logging
import re
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from documents.errors import DocumentError, FailureKind
from documents.sanitize import sanitize

log = logging.getLogger(__name__)
# pypdf logs every repair it makes; the user gets one clear reason per file instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)

PDF_SUFFIXES = frozenset({".pdf"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
#: Read by `documents.formats`: Office, web, e-book, e-mail and table files.
DOCUMENT_SUFFIXES = frozenset({".docx", ".pptx", ".xlsx", ".html", ".htm", ".xhtml", ".epub",
                               ".rtf", ".eml", ".msg", ".csv", ".tsv"})
#: Pictures, read only with text recognition (OCR) turned on.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
#: Office files that carry macros: refused with their own reason (see FailureKind.MACROS).
MACRO_SUFFIXES = frozenset({".docm", ".dotm", ".pptm", ".potm", ".xlsm", ".xltm", ".xlam"})
SUPPORTED_SUFFIXES = PDF_SUFFIXES | TEXT_SUFFIXES | DOCUMENT_SUFFIXES | IMAGE_SUFFIXES
#: Larger files are refused with a clear reason: a 32 MB text file is already ~8 million
#: tokens, hours of embedding on a laptop; PDFs carry images, so theirs is higher, and
#: Office and e-mail files carry pictures and attachments.
MAX_TEXT_BYTES = 32 * 1024**2
MAX_PDF_BYTES = 512 * 1024**2
MAX_DOCUMENT_BYTES = 256 * 1024**2

#: Below this many characters per page on average, a PDF holds "very little text": a scan
#: with a stray word (a scanner's watermark), or short typed pages. It is indexed, with a
#: note, when that text is words; refused as having no text when it is only stray marks.
_MIN_CHARS_PER_PAGE = 32
#: A run of two or more letters (any script; a CJK run counts as one).
_WORD = re.compile(r"[^\W\d_]{2,}")
#: Kana, CJK ideographs and Hangul: each character is a word or a syllable of one, and
#: vertical writing comes out one character a line.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
#: Filter names the PDF standard allows only in inline images, which some writers put on
#: streams anyway; pypdf 7 refuses them there, so they are spelled out before reading.
_FILTER_ABBREVIATIONS = {
    "/AHx": "/ASCIIHexDecode", "/A85": "/ASCII85Decode", "/LZW": "/LZWDecode",
    "/Fl": "/FlateDecode", "/RL": "/RunLengthDecode", "/CCF": "/CCITTFaxDecode",
    "/DCT": "/DCTDecode",
}
#: The library's text kept for the log; enough to debug, bounded for a hostile file.
_TECHNICAL_LIMIT = 4000

Passwords = str | Sequence[str] | None
#: Said each time OCR has read a page (see documents.ocr.PageDone).
PageDone = Callable[[], None]


@dataclass(frozen=True)
class Page:
    """One page of text; `number` is 1-based for PDFs and None for files without pages.

    `label` says where the text is when a page number would not ("slide 3", "sheet Revenue",
    "chapter 2", "e-mail"); citations show it instead of "p. N". `number` stays the ordinal.
    """

    number: int | None
    text: str
    label: str | None = None


class OcrDeferred(Exception):  # noqa: N818 (a signal to the caller, not an error)
    """Raised instead of recognising text when the caller defers OCR to the end of a batch:
    `pages` pages of the file need it. The file is read again, with OCR, later."""

    def __init__(self, path: Path, pages: int) -> None:
        super().__init__(f"{path}: {pages} page(s) to read by text recognition")
        self.path = path
        self.pages = pages


class ReadingCancelled(Exception):  # noqa: N818 (a request, not an error)
    """Raised by a `PageDone` callback to stop recognising a file after the page just read."""


def is_supported(path: Path, ocr: bool = False) -> bool:
    """A file a folder walk picks up: one Enclave reads, or one it refuses with a reason of
    its own (a macro-enabled Office file) rather than skipping in silence. Pictures only
    with `ocr`: without it, a folder of photos would be a list of failures."""
    suffix = path.suffix.lower()
    return suffix in (SUPPORTED_SUFFIXES | MACRO_SUFFIXES) and (
        ocr or suffix not in IMAGE_SUFFIXES)


def technical(error: BaseException) -> str:
    """An exception's type, text and traceback, for the log (never for the user)."""
    return "".join(traceback.format_exception(error))[-_TECHNICAL_LIMIT:]


def extract_pages(path: Path, password: Passwords = None, ocr: bool = False,
                  page_done: PageDone | None = None, defer_ocr: bool = False) -> list[Page]:
    """Read `path` into pages, or raise DocumentError saying what is wrong with it.

    `password` is one password or several to try, in order, on an encrypted PDF (the empty
    password is always tried last, so a PDF with only an owner password opens unasked).
    With `ocr`, PDF pages without text and pictures are read by text recognition, and
    `page_done` is said after each such page; with `defer_ocr` too, a file that needs OCR
    raises OcrDeferred instead (a batch indexes the files with text first).
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES | MACRO_SUFFIXES:
        raise DocumentError(path, FailureKind.UNSUPPORTED, suffix or "no extension")
    limit = (MAX_PDF_BYTES if suffix in PDF_SUFFIXES
             else MAX_TEXT_BYTES if suffix in TEXT_SUFFIXES else MAX_DOCUMENT_BYTES)
    try:
        size = path.stat().st_size
        if size > limit:
            raise DocumentError(path, FailureKind.TOO_BIG,
                                f"{size / 1024**2:.0f} MB; the limit is {limit // 1024**2} MB")
        data = path.read_bytes()
    except OSError as error:
        raise DocumentError(path, FailureKind.UNREADABLE, error.strerror or "",
                            technical(error)) from error
    if suffix in IMAGE_SUFFIXES:
        return _image_pages(path, data, ocr, page_done, defer_ocr)
    return pages_from_bytes(path, suffix, data, password, ocr=ocr, page_done=page_done,
                            defer_ocr=defer_ocr)


def pages_from_bytes(path: Path, suffix: str, data: bytes, password: Passwords = None,
                     depth: int = 0, ocr: bool = False,
                     page_done: PageDone | None = None, defer_ocr: bool = False) -> list[Page]:
    """`data`, the content of a file named with `suffix`, read into pages (see
    `extract_pages`); e-mails read their attachments with it, `depth` deep in e-mails."""
    if suffix in MACRO_SUFFIXES:
        raise DocumentError(path, FailureKind.MACROS, suffix)
    if not data.strip():
        raise DocumentError(path, FailureKind.EMPTY)
    if suffix in PDF_SUFFIXES:
        pages = _pdf_pages(path, data, _candidates(password),
                           looks_encrypted=b"/Encrypt" in data)
        if ocr:
            pages = _recognize_blank_pages(path, data, pages, page_done, defer_ocr)
        _check_text_amount(path, pages)
        return pages
    if suffix in DOCUMENT_SUFFIXES:
        from documents.formats import read_document  # Only when such a file is read.

        return read_document(path, suffix, data, depth)
    if suffix in TEXT_SUFFIXES:
        return [Page(None, decode_text(path, data))]
    raise DocumentError(path, FailureKind.UNSUPPORTED, suffix or "no extension")


def little_text(pages: Sequence[Page]) -> str | None:
    """"N characters on M pages" when a PDF's pages hold very little text, else None."""
    numbered = [page for page in pages if page.number is not None and page.label is None]
    characters = sum(len("".join(page.text.split())) for page in numbered)
    if not numbered or characters >= _MIN_CHARS_PER_PAGE * len(numbered):
        return None
    return (f"{characters} character{'s' if characters != 1 else ''} on {len(numbered)} "
            f"page{'s' if len(numbered) != 1 else ''}")


def _candidates(password: Passwords) -> list[str]:
    if password is None:
        return []
    if isinstance(password, str):
        return [password]
    return list(dict.fromkeys(password))


def decode_text(path: Path, data: bytes) -> str:
    """Text in UTF-8, UTF-16 or Windows-1252, cleaned; NOT_TEXT when it is none of them."""
    utf16 = _utf16_encoding(data)
    if utf16 is not None:
        try:
            return clean(data.decode(utf16))
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise DocumentError(path, FailureKind.NOT_TEXT)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return clean(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise DocumentError(path, FailureKind.NOT_TEXT, "not UTF-8 or Windows-1252 text")


def _utf16_encoding(data: bytes) -> str | None:
    """UTF-16 by its byte-order mark, or by a NUL beside every ASCII character.

    Windows saves "Unicode" text as UTF-16; read as bytes it has a NUL between characters.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4 and len(head) % 2 == 0:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) * 10 >= len(odd) * 9 and even.count(0) == 0:
            return "utf-16-le"
        if even.count(0) * 10 >= len(even) * 9 and odd.count(0) == 0:
            return "utf-16-be"
    return None


def _pdf_pages(path: Path, data: bytes, passwords: list[str],
               looks_encrypted: bool) -> list[Page]:
    # Imported here: pypdf is only needed when a PDF is actually read.
    from pypdf import PdfReader
    from pypdf.errors import (
        DependencyError,
        DeprecationError,
        FileNotDecryptedError,
        PyPdfError,
    )

    if not data[:1024].lstrip().startswith(b"%PDF"):
        raise DocumentError(path, FailureKind.NOT_A_PDF, "no %PDF header")
    encrypted = looks_encrypted  # pypdf may fail on the encryption before saying so.
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        if encrypted:
            _decrypt(path, reader, passwords)
        try:
            pages = _read_pages(path, reader)
        except DeprecationError:
            _expand_filter_abbreviations(reader)
            pages = _read_pages(path, reader)
    except DocumentError:
        raise
    except FileNotDecryptedError as error:
        raise DocumentError(path, FailureKind.NEEDS_PASSWORD, "",
                            technical(error)) from error
    except (DependencyError, NotImplementedError, DeprecationError) as error:
        raise DocumentError(path, _unsupported_kind(error, encrypted), "",
                            technical(error)) from error
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            AssertionError, RecursionError, OSError, ZeroDivisionError) as error:
        # pypdf signals damage through many exception types; all mean the same to a user.
        # In an encrypted file they mostly come from decrypting its streams.
        kind = FailureKind.CANNOT_DECRYPT if encrypted else FailureKind.DAMAGED
        raise DocumentError(path, kind, "", technical(error)) from error
    return pages


def ocr_label(number: int | None) -> str:
    """How a citation says its text was recognised, not read: "p. 3 (OCR)"."""
    return "image (OCR)" if number is None else f"p. {number} (OCR)"


def _recognize_blank_pages(path: Path, data: bytes, pages: list[Page],
                           page_done: PageDone | None, defer: bool = False) -> list[Page]:
    """Pages with (almost) no text layer, read again by text recognition (or, with `defer`,
    counted in an OcrDeferred)."""
    from documents.ocr import OcrUnavailableError, pdf_page_texts

    blank = [page.number for page in pages if page.number is not None
             and len("".join(page.text.split())) < _MIN_CHARS_PER_PAGE]
    if not blank:
        return pages
    if defer:
        raise OcrDeferred(path, len(blank))
    try:
        texts = pdf_page_texts(data, blank, page_done=page_done)
    except OcrUnavailableError as error:
        raise DocumentError(path, FailureKind.OCR_UNAVAILABLE, "", technical(error)) from error
    except (ValueError, OSError, RuntimeError) as error:  # PDFium could not render it.
        raise DocumentError(path, FailureKind.DAMAGED, "it could not be rendered for OCR",
                            technical(error)) from error
    return [Page(page.number, clean(texts[page.number]), ocr_label(page.number))
            if page.number in texts and len(clean(texts[page.number])) > len(page.text)
            else page for page in pages]


def _image_pages(path: Path, data: bytes, ocr: bool, page_done: PageDone | None,
                 defer: bool = False) -> list[Page]:
    """A picture's text by recognition: one page, or one per frame of a multi-page TIFF
    (with `defer`, their number in an OcrDeferred)."""
    if not ocr:
        raise DocumentError(path, FailureKind.OCR_OFF)
    if not data.strip():
        raise DocumentError(path, FailureKind.EMPTY)
    from PIL import UnidentifiedImageError

    from documents.ocr import OcrUnavailableError, image_frames, image_texts

    try:
        if defer:
            raise OcrDeferred(path, image_frames(data))
        texts = [clean(text) for text in image_texts(data, page_done)]
    except OcrUnavailableError as error:
        raise DocumentError(path, FailureKind.OCR_UNAVAILABLE, "", technical(error)) from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise DocumentError(path, FailureKind.DAMAGED, "", technical(error)) from error
    if not any(texts):
        raise DocumentError(path, FailureKind.NO_TEXT, "text recognition found none")
    if len(texts) == 1:
        return [Page(None, texts[0], ocr_label(None))]
    return [Page(number, text, ocr_label(number))
            for number, text in enumerate(texts, start=1) if text]


def _read_pages(path: Path, reader: Any) -> list[Page]:
    """Every page's cleaned text; a page whose images Enclave cannot decode counts as empty."""
    from pypdf.errors import DependencyError

    pages: list[Page] = []
    unreadable_image: DependencyError | None = None
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except DependencyError as error:
            if _unsupported_kind(error, False) is not FailureKind.UNSUPPORTED_IMAGE:
                raise
            unreadable_image, text = error, ""
        pages.append(Page(number, clean(text)))
    if unreadable_image is not None and not any(page.text for page in pages):
        raise DocumentError(path, FailureKind.UNSUPPORTED_IMAGE, "",
                            technical(unreadable_image))
    return pages


def _unsupported_kind(error: Exception, encrypted: bool) -> FailureKind:
    """What a "pypdf cannot do this" error means: Enclave's limit, not damage to the file."""
    text = str(error).lower()
    if "jbig2" in text or "jpx" in text:
        return FailureKind.UNSUPPORTED_IMAGE
    from pypdf.errors import DeprecationError

    if encrypted and not isinstance(error, DeprecationError) and "filter" not in text:
        return FailureKind.CANNOT_DECRYPT  # An unknown security handler, a missing cipher.
    return FailureKind.UNSUPPORTED_FEATURE


def _expand_filter_abbreviations(reader: Any) -> None:
    """Spell out abbreviated filter names on every stream the pages reach."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[int] = set()
    pending: list[Any] = list(reader.pages)
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            item = item.get_object()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, DictionaryObject):
            filters = item.get("/Filter")
            if isinstance(filters, NameObject) and filters in _FILTER_ABBREVIATIONS:
                item[NameObject("/Filter")] = NameObject(_FILTER_ABBREVIATIONS[filters])
            elif isinstance(filters, ArrayObject):
                for index, name in enumerate(filters):
                    if isinstance(name, NameObject) and name in _FILTER_ABBREVIATIONS:
                        filters[index] = NameObject(_FILTER_ABBREVIATIONS[name])
            pending.extend(value for key, value in item.items() if key != "/Parent")
        elif isinstance(item, ArrayObject):
            pending.extend(item)


def _check_text_amount(path: Path, pages: list[Page]) -> None:
    """Refuse a PDF with no text; one with very little is kept when that text is words."""
    visible = "".join(page.text for page in pages).split()
    if not pages or not visible:
        raise DocumentError(path, FailureKind.NO_TEXT, _pages(len(pages)))
    if little_text(pages) is not None and not _is_words(" ".join(visible)):
        characters = sum(len(word) for word in visible)
        raise DocumentError(path, FailureKind.NO_TEXT,
                            f"{_pages(len(pages))}, only {characters} characters")


def _is_words(text: str) -> bool:
    """Real words, not a page number, a stamp or scanner noise: mostly letters, and at least
    two words of ten letters in all, or a few CJK characters."""
    visible = [ch for ch in text if not ch.isspace()]
    letters = sum(ch.isalpha() for ch in visible)
    return letters * 2 >= len(visible) and (
        (letters >= 10 and len(_WORD.findall(text)) >= 2) or len(_CJK.findall(text)) >= 4)


def _pages(count: int) -> str:
    return f"{count} page{'s' if count != 1 else ''}"


def _decrypt(path: Path, reader: Any, passwords: list[str]) -> None:
    from pypdf import PasswordType

    for candidate in [*passwords, ""]:
        try:
            result = reader.decrypt(candidate)
        except (ValueError, NotImplementedError, KeyError) as error:
            raise DocumentError(path, FailureKind.CANNOT_DECRYPT, "",
                                technical(error)) from error
        if result != PasswordType.NOT_DECRYPTED:
            return
    kind = FailureKind.WRONG_PASSWORD if passwords else FailureKind.NEEDS_PASSWORD
    raise DocumentError(path, kind)


def clean(text: str) -> str:
    """Sanitised text without the trailing spaces pypdf leaves; lines kept for chunking."""
    lines = (line.rstrip() for line in sanitize(text).split("\n"))
    return "\n".join(lines).strip()
