"""Keeping the user's folders in sync from the window: the watcher, and its menu.

At start the indexer checks every kept folder against the library (changes made while the
app was closed); from then on a `FolderWatcher` reports changes in debounced batches, each
applied as a sync batch on the indexing lane. The File menu's "Folders kept in sync" pauses
and resumes it (changes wait, gathered, while paused) and stops watching a folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from app.gui.indexing import IndexingController
from documents.folder_sync import FolderChanges
from documents.folder_watch import FolderWatcher


class FolderSync(QObject):
    """Owns the watcher; hands its batches to the indexer, and pauses them on request."""

    changes_arrived = Signal(object)
    """A `FolderChanges` from the watcher (emitted on its thread, received on the GUI's)."""
    paused_changed = Signal(bool)

    def __init__(self, indexer: IndexingController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._indexer = indexer
        self._watcher: FolderWatcher | None = None
        self.folders: list[Path] = []
        """The folders kept in sync, as the library last said."""
        self.menu = QMenu("Folders kept in &sync", parent)
        self.menu.setObjectName("foldersMenu")
        self.pause_action = QAction("&Pause folder sync", self)
        self.pause_action.setCheckable(True)
        self.pause_action.setStatusTip("Hold changes to your folders until sync is resumed")
        self.pause_action.toggled.connect(self.set_paused)
        self.menu.aboutToShow.connect(self._fill_menu)
        self._fill_menu()
        self.changes_arrived.connect(self._on_changes_arrived)
        indexer.folders_changed.connect(self._on_indexer_folders_changed)

    @property
    def paused(self) -> bool:
        return self.pause_action.isChecked()

    def start(self, ocr: bool) -> None:
        """Start watching, and check the kept folders for changes made while closed."""
        if self._watcher is not None:
            return
        self._watcher = FolderWatcher(self.changes_arrived.emit, ocr)
        if self.paused:
            self._watcher.pause()
        self._watcher.start()
        self._indexer.sync(None, self._watcher.requeue)

    def stop(self) -> None:
        """Stop watching (joins the watcher's threads). Safe to call twice."""
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    def set_paused(self, paused: bool) -> None:
        """Pause: the running sync stops after its file, and changes wait until resumed."""
        if self.pause_action.isChecked() != paused:
            self.pause_action.setChecked(paused)  # Comes back here through `toggled`.
            return
        if self._watcher is not None:
            if paused:
                self._watcher.pause()
            else:
                self._watcher.resume()
        if paused:
            self._indexer.cancel_sync()
        self.paused_changed.emit(paused)

    def stop_watching(self, folder: Path) -> None:
        """Keep `folder`'s documents but follow its changes no more."""
        self._indexer.forget_folder(folder)

    def _on_changes_arrived(self, changes: object) -> None:
        if isinstance(changes, FolderChanges) and self._watcher is not None:
            self._indexer.sync(changes, self._watcher.requeue)

    def _on_indexer_folders_changed(self, folders: list[Path]) -> None:
        self.folders = list(folders)
        if self._watcher is not None:
            self._watcher.watch(self.folders)

    def _fill_menu(self) -> None:
        self.menu.clear()
        self.menu.addAction(self.pause_action)
        self.menu.addSeparator()
        if not self.folders:
            empty = self.menu.addAction("No folders yet: add one with Add folder…")
            empty.setEnabled(False)
        for folder in self.folders:
            action = self.menu.addAction(f"Stop watching {folder}")
            action.setToolTip("Its documents stay in the library; later changes are not "
                              "followed")
            action.triggered.connect(lambda _=False, f=folder: self.stop_watching(f))
