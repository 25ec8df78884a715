"""Where the data key comes from: the OS keyring, a passphrase, or an explicit opt-out.

The mode is chosen once per data directory, on first use, and recorded (without any secret)
in `encryption.json`, so the app can always say which protection is active:

- keyring: a random 32-byte key kept by the OS secret store (Keychain, Windows Credential
  Locker, Secret Service); nothing to type.
- passphrase: where no keyring exists (headless Linux), a key derived from the user's
  passphrase with scrypt (memory-hard); only a salt and a check value are stored.
- none: the user explicitly chose no encryption; shown as such everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from documents.crypto import KEY_BYTES, write_atomically
from documents.errors import EnclaveError

ENCRYPTION_FILE = "encryption.json"
PASSPHRASE_ENV = "ENCLAVE_PASSPHRASE"
KEYRING_SERVICE = "Enclave"
#: scrypt cost: 2**15 x 8 x 128 bytes = 32 MiB and ~0.1 s per unlock on a laptop.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_CHECK = b"enclave passphrase check v1"
_EXISTING_DATA = ("library.sqlite3", "conversations.sqlite3", "audit.sqlite3")
#: The first bytes of every plain SQLite file; a SQLCipher file starts with random bytes.
_SQLITE_HEADER = b"SQLite format 3\x00"


class EncryptionMode(StrEnum):
    KEYRING = "keyring"
    PASSPHRASE = "passphrase"
    NONE = "none"

    @property
    def label(self) -> str:
        return {
            EncryptionMode.KEYRING: "Encrypted (key in the OS keyring)",
            EncryptionMode.PASSPHRASE: "Encrypted (passphrase)",
            EncryptionMode.NONE: "Not encrypted (opted out)",
        }[self]


class KeyUnavailableError(EnclaveError, RuntimeError):
    """The data key cannot be had; the message says what the user can do."""


class PassphraseRequiredError(KeyUnavailableError):
    """A passphrase is needed (first run without a keyring, or a passphrase-mode data dir)."""


@dataclass(frozen=True)
class DataKey:
    mode: EncryptionMode
    key: bytes | None


def keyring_available() -> bool:
    """True when an OS secret store is usable (not keyring's fail or null backend)."""
    import keyring
    from keyring.backends import fail, null

    return not isinstance(keyring.get_keyring(), fail.Keyring | null.Keyring)


def recorded_mode(data_dir: Path) -> EncryptionMode | None:
    path = data_dir / ENCRYPTION_FILE
    if not path.is_file():
        return None
    return EncryptionMode(json.loads(path.read_text())["mode"])


def unlock(data_dir: Path, passphrase: str | None = None,
           opt_out: bool = False) -> DataKey:
    """The data key for `data_dir`, creating it on first use.

    `passphrase` defaults to $ENCLAVE_PASSPHRASE. `opt_out` only matters on first use: an
    existing data directory keeps the mode it was created with.
    """
    passphrase = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV)
    path = data_dir / ENCRYPTION_FILE
    if path.is_file():
        return _open_existing(data_dir, json.loads(path.read_text()), passphrase)
    existing = [data_dir / name for name in _EXISTING_DATA if (data_dir / name).exists()]
    encrypted = [path for path in existing if not _is_plain_sqlite(path)]
    if encrypted:
        # The record was lost, not the encryption: never write "none" over encrypted data.
        return _recover_lost_record(data_dir, encrypted[0])
    if existing:
        # Data written before encryption existed stays readable; nothing stored is lost.
        _record(data_dir, {"mode": EncryptionMode.NONE.value, "reason": "existing data"})
        return DataKey(EncryptionMode.NONE, None)
    if opt_out:
        _record(data_dir, {"mode": EncryptionMode.NONE.value, "reason": "opted out"})
        return DataKey(EncryptionMode.NONE, None)
    if passphrase:
        return _create_passphrase_key(data_dir, passphrase)
    if keyring_available():
        return _create_keyring_key(data_dir)
    raise PassphraseRequiredError(
        f"{data_dir}: no OS keyring is available to hold the encryption key. Set a passphrase "
        f"(${PASSPHRASE_ENV}, or the app's prompt), or opt out of encryption explicitly "
        "(--no-encryption).")


def _is_plain_sqlite(path: Path) -> bool:
    """True for a plain SQLite database (or an empty file), False for an encrypted one."""
    with path.open("rb") as stream:
        header = stream.read(len(_SQLITE_HEADER))
    return not header or header == _SQLITE_HEADER


def _recover_lost_record(data_dir: Path, encrypted: Path) -> DataKey:
    """`encryption.json` is gone but `encrypted` is not plain SQLite: find the key or refuse.

    A keyring key is kept under the directory's name, so it can be found again and the
    record rewritten. A passphrase key cannot: its salt was in the lost file.
    """
    if keyring_available():
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, _keyring_user(data_dir))
        if stored is not None:
            _record(data_dir, {"mode": EncryptionMode.KEYRING.value,
                               "reason": f"{ENCRYPTION_FILE} was restored from the keyring"})
            return DataKey(EncryptionMode.KEYRING, bytes.fromhex(stored))
    raise KeyUnavailableError(
        f"{data_dir}: the file {ENCRYPTION_FILE}, which says how this library is unlocked, is "
        f"missing, but its data ({encrypted.name}) is encrypted. Restore {ENCRYPTION_FILE} "
        "from a backup of this folder; Enclave will not open or overwrite the encrypted data "
        "without it.")


def _record(data_dir: Path, record: dict[str, object]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(data_dir / ENCRYPTION_FILE, json.dumps(record, indent=2).encode())


def _keyring_user(data_dir: Path) -> str:
    return f"data-key:{data_dir.resolve()}"


def _create_keyring_key(data_dir: Path) -> DataKey:
    import keyring

    key = secrets.token_bytes(KEY_BYTES)
    keyring.set_password(KEYRING_SERVICE, _keyring_user(data_dir), key.hex())
    _record(data_dir, {"mode": EncryptionMode.KEYRING.value})
    return DataKey(EncryptionMode.KEYRING, key)


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(passphrase.encode(), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * 1024 * 1024, dklen=KEY_BYTES)


def _create_passphrase_key(data_dir: Path, passphrase: str) -> DataKey:
    salt = secrets.token_bytes(16)
    key = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    _record(data_dir, {
        "mode": EncryptionMode.PASSPHRASE.value,
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                "salt": salt.hex()},
        "check": hmac.new(key, _CHECK, hashlib.sha256).hexdigest(),
    })
    return DataKey(EncryptionMode.PASSPHRASE, key)


def _open_existing(data_dir: Path, record: dict[str, object],
                   passphrase: str | None) -> DataKey:
    mode = EncryptionMode(str(record["mode"]))
    if mode is EncryptionMode.NONE:
        return DataKey(mode, None)
    if mode is EncryptionMode.KEYRING:
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, _keyring_user(data_dir))
        if stored is None:
            raise KeyUnavailableError(
                f"{data_dir}: its encryption key is not in this user's OS keyring, so the "
                "data cannot be decrypted (was the keyring reset, or is this another user?)")
        return DataKey(mode, bytes.fromhex(stored))
    if not passphrase:
        raise PassphraseRequiredError(
            f"{data_dir}: encrypted with a passphrase; give it (${PASSPHRASE_ENV} or the prompt)")
    kdf = record["kdf"]
    assert isinstance(kdf, dict)
    key = _derive(passphrase, bytes.fromhex(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
    expected = str(record["check"])
    if not hmac.compare_digest(hmac.new(key, _CHECK, hashlib.sha256).hexdigest(), expected):
        raise PassphraseRequiredError(f"{data_dir}: wrong passphrase")
    return DataKey(mode, key)
