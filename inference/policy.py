"""Managed policy: what IT fixes for every user of a machine, read once at start-up.

A system-wide TOML file (see `platform_policy_path`) may set:

    allowed_model_sha256 = ["b179c952…"]   # only these GGUF files may load (SHA-256, hex)
    disable_model_import = true            # no model files from outside the models directory
    data_dir = "/srv/enclave/{user}"       # the data directory, fixed ({user}, ~ expanded)
    disable_export = true                  # no export of conversations or audit records
    force_audit_log = true                 # the audit log is on and cannot be turned off

No file means no restrictions. A file that cannot be read or parsed, or that names a key this
version does not know, stops the app (`PolicyError`) rather than being half-applied: a typo
must not silently lift a restriction. `$ENCLAVE_POLICY_FILE` names a policy file for tests
and for machines without a system file; when the system file exists it always wins, so a
user cannot swap IT's policy for their own with an environment variable.

The policy is a guard-rail for managed desktops, not a sandbox: a user who can run arbitrary
programs can run llama.cpp themselves. Every front end asks the same `Policy` object, and
`locked_settings()` tells a settings dialog which controls to show as locked and why.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from documents.errors import EnclaveError
from inference.model_file import file_sha256

#: Names a policy file for tests and unmanaged machines (ignored when the system file exists).
POLICY_FILE_ENV = "ENCLAVE_POLICY_FILE"

#: Keys of `Policy.locked_settings()`: what a settings UI must show as locked.
LOCK_DATA_DIR = "data_dir"
LOCK_MODEL = "model_path"
LOCK_EXPORT = "export"
LOCK_AUDIT_LOG = "audit_log"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_KEYS = {"allowed_model_sha256", "disable_model_import", "data_dir", "disable_export",
         "force_audit_log"}


class PolicyError(EnclaveError, PermissionError):
    """Refused by the managed policy, or the policy file itself is unusable."""


def platform_policy_path() -> Path:
    """Where IT puts the system-wide policy on this platform."""
    if sys.platform == "win32":
        program_data = os.environ.get("PROGRAMDATA", r"C:\ProgramData")
        return Path(program_data) / "Enclave" / "policy.toml"
    if sys.platform == "darwin":
        return Path("/Library/Application Support/Enclave/policy.toml")
    return Path("/etc/enclave/policy.toml")


@dataclass(frozen=True)
class Policy:
    """The restrictions in force; the default instance restricts nothing."""

    #: Lower-case hex SHA-256 of the only model files that may load; None allows any.
    allowed_model_sha256: frozenset[str] | None = None
    disable_model_import: bool = False
    data_dir: Path | None = None
    disable_export: bool = False
    force_audit_log: bool = False
    #: The file this policy came from (None: no policy file), named in every refusal.
    source: Path | None = field(default=None, compare=False)

    @property
    def restricts_anything(self) -> bool:
        return bool(self.locked_settings()) or self.allowed_model_sha256 is not None

    def _refuse(self, what: str) -> PolicyError:
        return PolicyError(f"{what} (managed policy {self.source or 'in force'}; ask your IT "
                           "department)")

    def locked_settings(self) -> dict[str, str]:
        """Setting name → the reason to show beside it, for each setting IT has locked.

        Names: `data_dir`, `model_path` (choosing or importing a model file), `export` and
        `audit_log`. A settings dialog disables these controls and shows the reason.
        """
        origin = f"set by the managed policy {self.source}" if self.source else "managed"
        locked: dict[str, str] = {}
        if self.data_dir is not None:
            locked[LOCK_DATA_DIR] = f"fixed to {self.data_dir} ({origin})"
        if self.disable_model_import:
            locked[LOCK_MODEL] = f"only the models IT provisioned may be used ({origin})"
        if self.disable_export:
            locked[LOCK_EXPORT] = f"export is disabled ({origin})"
        if self.force_audit_log:
            locked[LOCK_AUDIT_LOG] = f"the audit log is always on ({origin})"
        return locked

    # -- data directory --------------------------------------------------------------------
    def resolve_data_dir(self, requested: Path | None, default: Path) -> Path:
        """The data directory to use: the policy's, else `requested`, else `default`.

        Raises PolicyError when the policy fixes it and `requested` names another one.
        """
        if self.data_dir is None:
            return requested if requested is not None else default
        if requested is not None and not _same_path(requested, self.data_dir):
            raise self._refuse(f"the data directory is fixed to {self.data_dir}; "
                               f"{requested} cannot be used")
        return self.data_dir

    def check_data_dir(self, data_dir: Path) -> None:
        if self.data_dir is not None and not _same_path(data_dir, self.data_dir):
            raise self._refuse(f"the data directory is fixed to {self.data_dir}; "
                               f"{data_dir} cannot be used")

    # -- models ----------------------------------------------------------------------------
    def check_model_import(self, path: Path, models_dirs: Path | Sequence[Path]) -> None:
        """Refuse a model file from outside the model directories when import is disabled."""
        if not self.disable_model_import:
            return
        dirs = [models_dirs] if isinstance(models_dirs, Path) else list(models_dirs)
        inside = any(
            path.expanduser().absolute().parent == d.expanduser().absolute()
            or path.expanduser().resolve().is_relative_to(d.expanduser().resolve())
            for d in dirs)
        if not inside:  # A link placed in the models directory (by IT, the frozen app) counts.
            raise self._refuse(f"model import is disabled: {path} is not one of the models "
                               f"provisioned in {' or '.join(str(d) for d in dirs)}")

    def check_model_sha256(self, path: Path, sha256: str) -> None:
        """Refuse a model whose SHA-256 is not on the allow-list (when there is one)."""
        if self.allowed_model_sha256 is not None and sha256.lower() not in \
                self.allowed_model_sha256:
            raise self._refuse(f"{path.name} (SHA-256 {sha256}) is not on the list of "
                               "allowed models")

    def check_model(self, path: Path, models_dirs: Path | Sequence[Path]) -> None:
        """Both model checks, hashing the file only when an allow-list is in force."""
        self.check_model_import(path, models_dirs)
        if self.allowed_model_sha256 is not None:
            stat = path.stat()
            self.check_model_sha256(path, file_sha256(path, stat.st_mtime_ns, stat.st_size))

    # -- export and audit ------------------------------------------------------------------
    def check_export(self, what: str = "export") -> None:
        """Call before writing any export (conversations, answers, audit records)."""
        if self.disable_export:
            raise self._refuse(f"{what} is disabled")

    def audit_log_enabled(self, user_choice: bool) -> bool:
        """Whether the audit log records: the user's choice, unless the policy forces it on."""
        return True if self.force_audit_log else user_choice

    def check_audit_log_change(self, enabled: bool) -> None:
        """Call before turning the audit log off (or deleting it): refused when forced on."""
        if self.force_audit_log and not enabled:
            raise self._refuse("the audit log cannot be turned off")


def _same_path(a: Path, b: Path) -> bool:
    return a.expanduser().absolute().resolve() == b.expanduser().absolute().resolve()


def _expand_dir(text: str) -> Path:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    return Path(text.replace("{user}", user)).expanduser()


def parse_policy(data: dict[str, Any], source: Path | None = None) -> Policy:
    """A `Policy` from a parsed TOML table; PolicyError names the first problem."""
    where = str(source) if source else "policy"
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(_KEYS))}")

    def flag(key: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            raise PolicyError(f"{where}: {key} must be true or false, not {value!r}")
        return value

    allowed: frozenset[str] | None = None
    if "allowed_model_sha256" in data:
        values = data["allowed_model_sha256"]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise PolicyError(f"{where}: allowed_model_sha256 must be a list of hex strings")
        bad = [v for v in values if not _SHA256.match(v.lower())]
        if bad:
            raise PolicyError(f"{where}: not a SHA-256 in allowed_model_sha256: {bad[0]!r}")
        allowed = frozenset(v.lower() for v in values)
    data_dir = None
    if "data_dir" in data:
        if not isinstance(data["data_dir"], str) or not data["data_dir"].strip():
            raise PolicyError(f"{where}: data_dir must be a non-empty path")
        data_dir = _expand_dir(data["data_dir"])
        if not data_dir.is_absolute():
            raise PolicyError(f"{where}: data_dir must be absolute, not {data['data_dir']!r}")
    return Policy(allowed_model_sha256=allowed, disable_model_import=flag("disable_model_import"),
                  data_dir=data_dir, disable_export=flag("disable_export"),
                  force_audit_log=flag("force_audit_log"), source=source)


def policy_path() -> Path | None:
    """The policy file in force: the system one if present, else $ENCLAVE_POLICY_FILE."""
    system = platform_policy_path()
    if system.is_file():
        return system
    override = os.environ.get(POLICY_FILE_ENV, "").strip()
    return Path(override).expanduser() if override else None


def load_policy(path: Path | None = None) -> Policy:
    """Read the managed policy (`path`, or the one `policy_path()` finds); none: no limits.

    Raises PolicyError when the file is named but missing, unreadable or invalid.
    """
    path = path if path is not None else policy_path()
    if path is None:
        return Policy()
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except FileNotFoundError as error:
        raise PolicyError(f"{path}: the managed policy file named by ${POLICY_FILE_ENV} "
                          "does not exist") from error
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PolicyError(f"{path}: unreadable managed policy ({error})") from error
    return parse_policy(data, path)
