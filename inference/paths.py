"""Where Enclave keeps its files: one per-user data directory, overridable for tests and IT."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Enclave"

#: Environment variables that relocate Enclave's files (tests, portable installs, managed machines).
DATA_DIR_ENV = "ENCLAVE_DATA_DIR"
MODELS_DIR_ENV = "ENCLAVE_MODELS_DIR"


def default_data_dir() -> Path:
    """The user's data directory: documents index, conversations and settings live here."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def models_dir() -> Path:
    """Where provisioned GGUF models are kept; shared by every data directory of the user.

    Models are large and identical across data directories, so they live beside, not inside,
    a data directory: a test's throw-away data dir still finds the provisioned default model.
    """
    override = os.environ.get(MODELS_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "models"
