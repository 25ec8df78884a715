"""Where Enclave keeps its files: one per-user data directory, overridable for tests and IT."""

from __future__ import annotations

import os
import sys
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


def installed_models_dir() -> Path:
    """Models that come with this installation, found by every user of it.

    A virtual environment (the README's set-up) keeps them under its own `share/`; the
    frozen app and the .deb carry them inside the bundle.
    """
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "models"
    return Path(sys.prefix) / "share" / "enclave" / "models"


def model_dirs() -> list[Path]:
    """Where a model file is looked for, the user's own directory first."""
    dirs = [models_dir(), installed_models_dir()]
    return [d for n, d in enumerate(dirs) if d not in dirs[:n]]


def find_model(file_name: str) -> Path | None:
    """The first `file_name` in the model directories, or None when none holds it."""
    return next((d / file_name for d in model_dirs() if (d / file_name).is_file()), None)


def provision_dir() -> Path:
    """Where `provision` puts models: inside a virtual environment, the installation's own
    directory (so a user with a fresh home finds them), else the user's."""
    if sys.prefix != sys.base_prefix and os.access(sys.prefix, os.W_OK) \
            and not os.environ.get(MODELS_DIR_ENV):
        return installed_models_dir()
    return models_dir()
