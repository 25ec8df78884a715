"""Enclave's version, as the installed package's metadata gives it (pyproject.toml's)."""

from __future__ import annotations

from importlib import metadata


def app_version() -> str:
    """The version string, or "unknown" where no package metadata is installed (a checkout
    run without `pip install`)."""
    try:
        return metadata.version("enclave")
    except metadata.PackageNotFoundError:
        return "unknown"
