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


class EnclaveError(Exception):
    """The base of every error Enclave explains to its user.

    Its message names the file (or setting) and the cause in words a user can act on, so a
    front end catches this one class, shows `str(error)` and logs the traceback. Anything
    else that escapes is a bug: front ends log it and say where the log is.
    """


class InvalidInputError(EnclaveError, ValueError):
    """A file, folder, flag or setting the user gave is not what it should be."""


class DocumentError(EnclaveError):
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
