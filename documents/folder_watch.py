"""Watching the folders kept in sync while the app runs, with watchdog.

watchdog's observer thread reports file events; they are sorted (files Enclave keeps, not
hidden, temporary or unsupported ones) and folded into a `Debouncer`. A thread of our own
hands each finished burst to `on_changes` as one `FolderChanges`, unless the watcher is
paused: then the changes wait, still folded, until `resume`. Qt-free: the GUI turns the
callback into a signal and runs the batch on its indexing lane, so the store keeps one writer.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from documents.folder_sync import MAX_WAIT_S, QUIET_S, Debouncer, FolderChanges, synced_file

log = logging.getLogger(__name__)

ChangesCallback = Callable[[FolderChanges], None]


class FolderWatcher:
    """Watches folders and reports their changes in debounced batches (see module doc)."""

    def __init__(self, on_changes: ChangesCallback, ocr: bool = False,
                 quiet_s: float = QUIET_S, max_wait_s: float = MAX_WAIT_S) -> None:
        self._on_changes = on_changes
        self._ocr = ocr
        self._debouncer = Debouncer(quiet_s, max_wait_s)
        self._condition = threading.Condition()
        self._paused = False
        self._stopping = False
        #: Changed under `_watch_lock` alone, never `_condition`: watchdog holds a lock of its
        #: own while it calls `_event`, which takes `_condition`.
        self._watches: dict[Path, ObservedWatch] = {}
        self._watch_lock = threading.Lock()
        self._roots: tuple[Path, ...] = ()
        self._observer: BaseObserver = Observer()
        self._handler = _Handler(self._event)
        self._thread = threading.Thread(target=self._run, name="enclave-folder-sync",
                                        daemon=True)

    @property
    def folders(self) -> list[Path]:
        return list(self._roots)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def pending(self) -> bool:
        """True while changes are gathered and not yet handed over (or held by a pause)."""
        with self._condition:
            return self._debouncer.pending

    def start(self) -> None:
        self._observer.start()
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and join both threads; pending changes are dropped (the start-up
        check finds them next time)."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join()
        if self._thread.is_alive():
            self._thread.join()

    def watch(self, folders: Iterable[Path]) -> None:
        """Watch exactly these folders (recursively) from now on."""
        wanted = list(dict.fromkeys(folders))
        with self._watch_lock:
            for folder in [f for f in self._watches if f not in wanted]:
                self._observer.unschedule(self._watches.pop(folder))
            for folder in wanted:
                if folder in self._watches or not folder.is_dir():
                    continue
                try:
                    self._watches[folder] = self._observer.schedule(
                        self._handler, os.fspath(folder), recursive=True)
                except OSError as error:  # Too many watches, a folder gone meanwhile.
                    log.warning("cannot watch %s: %s", folder, error)
            self._roots = tuple(self._watches)

    def pause(self) -> None:
        """Hold the changes until `resume` (they are still gathered)."""
        with self._condition:
            self._paused = True

    def resume(self) -> None:
        with self._condition:
            self._paused = False
            self._condition.notify_all()

    def requeue(self, changes: FolderChanges) -> None:
        """Take back changes a batch did not finish; thread-safe."""
        if changes:
            with self._condition:
                self._debouncer.requeue(changes, time.monotonic())
                self._condition.notify_all()

    def _event(self, event: FileSystemEvent) -> None:
        """Fold one watchdog event into the pending changes (the observer's thread)."""
        source = Path(os.fsdecode(event.src_path))
        with self._condition:
            now = time.monotonic()
            if event.is_directory:
                # Files inside a moved or created folder come as events of their own; a
                # folder moved out of view comes alone, so its documents are purged.
                if event.event_type == EVENT_TYPE_DELETED:
                    self._debouncer.deleted(source, now)
            elif event.event_type == EVENT_TYPE_MOVED:
                target = Path(os.fsdecode(event.dest_path))
                kept_before, kept_after = self._kept(source), self._kept(target)
                if kept_before and kept_after:
                    self._debouncer.moved(source, target, now)
                elif kept_after:  # Saved through a temporary file, then renamed into place.
                    self._debouncer.changed(target, now)
                elif kept_before:
                    self._debouncer.deleted(source, now)
            elif event.event_type in (EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED, EVENT_TYPE_CLOSED):
                if self._kept(source):
                    self._debouncer.changed(source, now)
            elif event.event_type == EVENT_TYPE_DELETED and self._kept(source):
                self._debouncer.deleted(source, now)
            self._condition.notify_all()

    def _kept(self, path: Path) -> bool:
        return any(synced_file(path, folder, self._ocr) for folder in self._roots)

    def _run(self) -> None:
        """Hand each batch over once it is due, while not paused (our own thread)."""
        while True:
            with self._condition:
                while not self._stopping:
                    now = time.monotonic()
                    if not self._paused and self._debouncer.due(now):
                        break
                    wait = None if self._paused else self._debouncer.wait_s(now)
                    self._condition.wait(wait)
                if self._stopping:
                    return
                changes = self._debouncer.take()
            try:
                self._on_changes(changes)
            except Exception:  # A bug in the receiver must not end the watching.
                log.exception("handling folder changes failed")


class _Handler(FileSystemEventHandler):
    def __init__(self, receive: Callable[[FileSystemEvent], None]) -> None:
        super().__init__()
        self._receive = receive

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._receive(event)
