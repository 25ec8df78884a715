"""Errors that name the file and the cause, so a user knows which document to fix and how."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path


class FailureKind(StrEnum):
    """Why a file could not be indexed; stable values, shown to users and kept in the index."""

    NEEDS_PASSWORD = "needs a password"
    WRONG_PASSWORD = "wrong password"
    CANNOT_DECRYPT = "cannot be decrypted"
    NO_TEXT = "no text layer (a scanned image?)"
    DAMAGED = "damaged"
    NOT_A_PDF = "not a PDF"
    EMPTY = "empty file"
    NOT_TEXT = "binary data, not text"
    UNREADABLE = "cannot be read"
    UNSUPPORTED = "unsupported file type"
    TIMEOUT = "took too long to read"
    TOO_BIG = "too large"
    EMBEDDER_MISMATCH = "index built with another embedder"


class DocumentError(Exception):
    """A document that cannot be indexed, with the path and a specific reason."""

    def __init__(self, path: Path, kind: FailureKind, detail: str = "") -> None:
        self.path = path
        self.kind = kind
        self.detail = detail
        super().__init__(f"{path}: {self.reason}")

    @property
    def reason(self) -> str:
        """The cause without the path, for places that already show the file."""
        return f"{self.kind.value}: {self.detail}" if self.detail else self.kind.value
