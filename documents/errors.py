"""Errors that name the file and the cause, so a user knows which document to fix and how.

Two texts travel with each error: `reason` and `advice`, written for the person who owns the
file, and `technical`, the library's own words (exception text, traceback), which go to the
log only. A reason never quotes a library: "PdfReadError: Non-Ascii85 digit" helps nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class FailureKind(StrEnum):
    """Why a file could not be indexed, or what to know about one that was.

    The values are shown to users and stored, with any detail, as a failed document's error
    text; keep a value stable unless the meaning changes.
    """

    NEEDS_PASSWORD = "needs a password"
    WRONG_PASSWORD = "wrong password"
    CANNOT_DECRYPT = "cannot be decrypted"
    NO_TEXT = "no readable text (a scanned image?)"
    LITTLE_TEXT = "very little text"
    UNSUPPORTED_IMAGE = "uses an image format Enclave can't read"
    UNSUPPORTED_FEATURE = "uses an old PDF feature Enclave can't read"
    DAMAGED = "damaged"
    NOT_A_PDF = "not a PDF"
    LOCKED_OFFICE = "protected with a password"
    MACROS = "a macro-enabled Office file"
    OLD_OFFICE = "an old Office format"
    WRONG_FORMAT = "not the format its name says"
    EMPTY = "empty file"
    OCR_OFF = "a picture, and text recognition (OCR) is off"
    OCR_UNAVAILABLE = "text recognition (OCR) could not start"
    NOT_TEXT = "binary data, not text"
    UNREADABLE = "cannot be read"
    UNSUPPORTED = "unsupported file type"
    TIMEOUT = "took too long to read"
    TOO_BIG = "too large"
    EMBEDDER_MISMATCH = "index built with another embedder"
    INTERNAL = "Enclave could not process it"

    @property
    def advice(self) -> str:
        """What the reason means for the file's owner, and what they can do about it."""
        return _ADVICE[self]


_ADVICE: dict[FailureKind, str] = {
    FailureKind.NEEDS_PASSWORD:
        "The PDF is locked with a password. Add it again with its password.",
    FailureKind.WRONG_PASSWORD:
        "The password given does not open this PDF. Check it and add the file again.",
    FailureKind.CANNOT_DECRYPT:
        "The PDF is encrypted in a way Enclave cannot unlock. Open it in a PDF reader and "
        "save or print an unprotected copy, then add that copy.",
    FailureKind.NO_TEXT:
        "The pages hold no text Enclave can read, only pictures; it is probably a scan. "
        "Run it through OCR (text recognition) in a scanner or PDF app, then add it again.",
    FailureKind.LITTLE_TEXT:
        "It was indexed, but its pages hold very little text; if it is a scan, only that "
        "text can be found. Running it through OCR would make the rest searchable.",
    FailureKind.UNSUPPORTED_IMAGE:
        "Its pages are stored in an image format (such as JBIG2) that Enclave cannot read. "
        "Save or print it again as a PDF from a PDF reader, then add the new copy.",
    FailureKind.UNSUPPORTED_FEATURE:
        "It was made with a PDF feature Enclave cannot read; the file is probably fine. "
        "Save or print it again as a PDF from a PDF reader, then add the new copy.",
    FailureKind.DAMAGED:
        "The file is damaged or incomplete, for example a download that did not finish. "
        "Get a fresh copy from where it came from and add that.",
    FailureKind.NOT_A_PDF:
        "The name ends in .pdf but the content is something else (often a web page). "
        "Get the real PDF, or rename the file to what it really is.",
    FailureKind.LOCKED_OFFICE:
        "The Office file is locked with a password, so its text cannot be read. Open it in "
        "its Office app, remove the password (File > Info > Protect), save a copy and add "
        "that copy.",
    FailureKind.MACROS:
        "Files that carry macros (.docm, .xlsm, .pptm and the like) are not opened, so no "
        "macro can ever run. Open it in its Office app and save it as .docx, .xlsx or .pptx "
        "(which keeps the text and drops the macros), then add that copy.",
    FailureKind.OLD_OFFICE:
        "It is in the old binary Office format (.doc, .xls, .ppt) although its name says "
        "otherwise. Open it in its Office app and save it as .docx, .xlsx or .pptx, then add "
        "that copy.",
    FailureKind.WRONG_FORMAT:
        "The content is not what the file's name says (for example a web page saved as "
        ".docx). Get the real file, or rename it to what it really is.",
    FailureKind.OCR_OFF:
        "Pictures are read by text recognition (OCR), which is turned off. Turn it on "
        "(`ingest --ocr`) and add the file again.",
    FailureKind.OCR_UNAVAILABLE:
        "Enclave's text recognition, which reads scanned pages and pictures, is missing or "
        "damaged on this computer; the file itself may be fine. Reinstall Enclave or ask your "
        "IT contact, then add the file again.",
    FailureKind.EMPTY:
        "There is no content to index. Check that it is the file you meant.",
    FailureKind.NOT_TEXT:
        "The name says text, but the content is not text Enclave can read. Check that it "
        "is the file you meant, or save it again as UTF-8 text.",
    FailureKind.UNREADABLE:
        "Enclave could not open it: it may have been moved or deleted, or you may lack "
        "permission to read it. Check that it exists and that you can open it.",
    FailureKind.UNSUPPORTED:
        "Enclave reads PDF, Word (.docx), PowerPoint (.pptx), Excel (.xlsx), CSV, web pages "
        "(.html), e-books (.epub), RTF, e-mails (.eml, .msg), plain text and Markdown files. "
        "Save it in one of those formats.",
    FailureKind.TIMEOUT:
        "Reading it took too long, which usually means the file is damaged or very complex. "
        "Save or print it again as a PDF and add the new copy.",
    FailureKind.TOO_BIG:
        "It is larger than Enclave indexes. Split it into smaller files and add those.",
    FailureKind.EMBEDDER_MISMATCH:
        "The library was built with another embedding model. Re-index the library.",
    FailureKind.INTERNAL:
        "This is a problem in Enclave, not necessarily in your file. The other files were "
        "indexed. Try again; if it keeps failing, send the log file to your support contact.",
}


class EnclaveError(Exception):
    """The base of every error Enclave explains to its user.

    Its message names the file (or setting) and the cause in words a user can act on, so a
    front end catches this one class, shows `str(error)` and logs the traceback. Anything
    else that escapes is a bug: front ends log it and say where the log is.
    """


class InvalidInputError(EnclaveError, ValueError):
    """A file, folder, flag or setting the user gave is not what it should be."""


class _Explained:
    """A file's `kind` and `detail`, said as the reason and advice its owner reads."""

    kind: FailureKind
    detail: str

    @property
    def reason(self) -> str:
        """The cause without the path, for places that already show the file."""
        return f"{self.kind.value}: {self.detail}" if self.detail else self.kind.value

    @property
    def advice(self) -> str:
        return self.kind.advice


class DocumentError(_Explained, EnclaveError):
    """A document that cannot be indexed, with the path and a specific reason.

    `detail` completes the reason in the user's words ("12 MB; the limit is 32 MB");
    `technical` is the library's text and traceback, for the log and never shown.
    """

    def __init__(self, path: Path, kind: FailureKind, detail: str = "",
                 technical: str = "") -> None:
        self.path = path
        self.kind = kind
        self.detail = detail
        self.technical = technical
        super().__init__(f"{path}: {self.reason}")


@dataclass(frozen=True)
class DocumentNote(_Explained):
    """Something a user should know about a file that was indexed anyway."""

    path: Path
    kind: FailureKind
    detail: str = ""
