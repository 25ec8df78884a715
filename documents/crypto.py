"""Encryption at rest: SQLCipher databases and AES-GCM sealed files, from one 32-byte data key.

The data key itself is managed by `inference.encryption` (OS keyring or passphrase); this
module only uses it. No cryptography is hand-written: SQLCipher encrypts every database page
(chunk text, vectors, the FTS5 index, the WAL), and `cryptography`'s AES-GCM seals files.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from documents.errors import EnclaveError

KEY_BYTES = 32
_SEALED_MAGIC = b"ENCLAVE-AESGCM-1\n"
_NONCE_BYTES = 12


class DecryptionError(EnclaveError, RuntimeError):
    """Data that cannot be decrypted with the key given: wrong key or tampered file."""


def subkey(key: bytes, purpose: str) -> bytes:
    """A key for one purpose, so a file key never equals a database key."""
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()


def open_database(path: Path, key: bytes | None) -> Any:
    """A SQLCipher connection; with `key` None the file is plain SQLite (the user opted out).

    Returned in autocommit mode; callers use explicit BEGIN/COMMIT.
    """
    import sqlcipher3.dbapi2 as sqlcipher

    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlcipher.connect(str(path), check_same_thread=False, isolation_level=None)
    if key is not None:
        raw = subkey(key, f"sqlcipher:{path.name}").hex()
        connection.execute(f"PRAGMA key = \"x'{raw}'\"")
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.DatabaseError as error:
        connection.close()
        raise DecryptionError(f"{path}: cannot be opened with this key ({error})") from error
    return connection


def seal(data: bytes, key: bytes, purpose: str) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return _SEALED_MAGIC + nonce + AESGCM(subkey(key, purpose)).encrypt(nonce, data,
                                                                        purpose.encode())


def unseal(blob: bytes, key: bytes, purpose: str) -> bytes:
    if not blob.startswith(_SEALED_MAGIC):
        raise DecryptionError("not an Enclave sealed file")
    body = blob[len(_SEALED_MAGIC):]
    try:
        return AESGCM(subkey(key, purpose)).decrypt(body[:_NONCE_BYTES], body[_NONCE_BYTES:],
                                                    purpose.encode())
    except InvalidTag as error:
        raise DecryptionError("wrong key, or the file was altered") from error


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file, flush it to disk, then rename it over `path`."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    temporary.replace(path)
