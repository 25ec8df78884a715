"""The log file: what went wrong and why, for the user to send to IT, without their data.

Both front ends call `setup_logging` first. Records go to a rotating file in the platform's
per-user log folder (`~/.local/state/Enclave/log` on Linux), or `$ENCLAVE_LOG_DIR`. The log
holds file names, failure reasons and tracebacks; never document text or questions, unless
the user turns on debug logging (`--debug` or `$ENCLAVE_DEBUG=1`): only then are the
DEBUG records that carry them written. Code that logs a question or a passage does it at
DEBUG level and nowhere else.
"""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_DIR_ENV = "ENCLAVE_LOG_DIR"
DEBUG_ENV = "ENCLAVE_DEBUG"
LOG_FILE = "enclave.log"
#: One file of at most 2 MB plus three old ones: weeks of use, never a disk filler.
MAX_BYTES, BACKUPS = 2_000_000, 3
#: Our packages log at INFO (DEBUG when asked); third-party libraries only warnings.
PACKAGES = ("app", "inference", "documents", "main")
_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


def log_dir() -> Path:
    """The folder of the log file: $ENCLAVE_LOG_DIR, else the platform's user log folder."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_log_dir

    return Path(user_log_dir("Enclave", appauthor=False))


def log_path() -> Path:
    return log_dir() / LOG_FILE


def debug_requested() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


class _EnclaveFileHandler(RotatingFileHandler):
    """Marks the handler this module installed, so a second setup replaces it."""


def setup_logging(debug: bool = False) -> Path:
    """Send log records to the rotating log file; returns its path. Safe to call twice.

    `debug` (or $ENCLAVE_DEBUG) lets DEBUG records of our packages through: they may carry
    document text and questions, so it is off by default.
    """
    debug = debug or debug_requested()
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _EnclaveFileHandler)]:
        root.removeHandler(old)
        old.close()
    handler = _EnclaveFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                  encoding="utf-8", errors="backslashreplace", delay=True)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(logging.DEBUG if debug else logging.INFO)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    for name in PACKAGES:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.INFO)
    return path


def user_message(error: BaseException) -> str:
    """What a front end tells the user about `error`: ours in its own words; for anything
    else, that it was unexpected and where the details are (never raw library text alone).
    """
    from documents.errors import EnclaveError

    if isinstance(error, EnclaveError):
        return str(error)
    return (f"Something unexpected went wrong ({type(error).__name__}). The details are in "
            f"the log file {log_path()}.")
