"""Folders kept in sync, in the window: a file dropped into a kept folder is indexed with no
user action, under a 'Syncing …' progress line; paused, changes wait until resumed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from documents.library import IngestReport

from .conftest import XQUAD_DOCUMENTS, OpenWindow

pytestmark = pytest.mark.gui


def test_a_file_dropped_into_a_kept_folder_becomes_searchable(
        open_window: OpenWindow, qtbot: QtBot, tmp_path: Path) -> None:
    folder = (tmp_path / "Reports").resolve()
    folder.mkdir()
    (folder / "notes.md").write_text("# Notes\n\nThe spare key is in the blue box.\n")
    window = open_window(tmp_path / "data")
    with qtbot.waitSignal(window.indexer.batch_finished, timeout=180_000):
        window.documents.paths_chosen.emit([folder])  # what "Add folder…" emits
    qtbot.waitUntil(lambda: window.folder_sync.folders == [folder], timeout=60_000)
    titles: list[str] = []
    window.indexer.sync_started.connect(titles.append)

    dropped = folder / "Oxygen.md"
    with qtbot.waitSignal(window.indexer.batch_finished, timeout=120_000,
                          check_params_cb=lambda report: isinstance(report, IngestReport)
                          and dropped in report.added):
        shutil.copy(XQUAD_DOCUMENTS / "Oxygen.md", dropped)
    assert titles[-1] == "Syncing Reports: 1 change"
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=60_000)
    passages = window.workspace.library.search("What is the chemical symbol of oxygen?", 1)
    assert passages[0].document_name == "Oxygen.md"
    assert str(dropped) in window.documents.model._files

    # Paused: the change is gathered, not applied, until sync resumes.
    window.folder_sync.pause_action.trigger()
    assert window.folder_sync.paused
    held = folder / "Warsaw.md"
    shutil.copy(XQUAD_DOCUMENTS / "Warsaw.md", held)
    watcher = window.folder_sync._watcher
    assert watcher is not None
    qtbot.waitUntil(lambda: watcher.pending, timeout=60_000)
    assert window.workspace.library.store.document(held) is None
    with qtbot.waitSignal(window.indexer.batch_finished, timeout=120_000,
                          check_params_cb=lambda report: isinstance(report, IngestReport)
                          and held in report.added):
        window.folder_sync.pause_action.trigger()
    assert not window.folder_sync.paused

    # Stop watching: the folder is forgotten, its documents stay.
    with qtbot.waitSignal(window.indexer.folders_changed, timeout=60_000):
        window.folder_sync.stop_watching(folder)
    assert window.folder_sync.folders == [] and watcher.folders == []
    assert window.workspace.library.store.document(dropped) is not None
