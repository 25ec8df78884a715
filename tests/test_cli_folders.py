"""`folders list|remove|sync` as a script meets them: real processes, the real embedder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import XQUAD
from tests.test_cli import enclave

pytestmark = pytest.mark.slow


def test_an_ingested_folder_is_listed_synced_and_removed(tmp_path: Path,
                                                          docs_dir: Path) -> None:
    data = tmp_path / "data"
    folder = docs_dir.resolve()
    enclave("ingest", folder, "--data-dir", data)
    assert json.loads(enclave("folders", "list", "--json", "--data-dir", data).stdout) == [
        str(folder)]

    (folder / "Oxygen.md").rename(folder / "O2.md")
    shutil.copy(XQUAD / "documents" / "Normans.md", folder / "Normans.md")
    synced = enclave("folders", "sync", "--data-dir", data).stdout
    assert "2 changes since last time" in synced
    assert f"renamed: {folder / 'Oxygen.md'} -> {folder / 'O2.md'}" in synced
    assert "added 1, replaced 0" in synced

    assert "no longer kept in sync" in enclave("folders", "remove", folder,
                                               "--data-dir", data).stdout
    assert json.loads(enclave("folders", "list", "--json", "--data-dir", data).stdout) == []
    missing = enclave("folders", "remove", folder, "--data-dir", data, check=False)
    assert missing.returncode == 1 and "not a folder kept in sync" in missing.stderr
    docs = enclave("docs", "--data-dir", data).stdout
    assert "O2.md" in docs and "Normans.md" in docs and "Oxygen.md" not in docs
