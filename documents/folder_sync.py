"""Folders kept in sync: what changed in them, and applying it to the library.

The user's folders (`Store.folders`, recorded when a folder is added) change while Enclave
runs and while it is closed. Both come down to one `FolderChanges`: files new or changed,
files moved (old path, new path) and paths deleted. `reconcile` finds it at start by comparing
the files on disk with the stored sizes, modification times and hashes; `Debouncer` gathers it
from file-system events while the app runs (documents/folder_watch.py), so a burst of events
(a git checkout, an unzip) becomes one batch; `apply_changes` applies it: new and changed files
are indexed, moved ones renamed in the store (same chunks and vectors, nothing embedded again),
deleted ones purged.

Qt-free and given the time explicitly, so the debouncing is tested without a clock.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from documents.extract import is_supported
from documents.library import IngestReport, Library, ProgressCallback

log = logging.getLogger(__name__)

#: Files being written or held open by another program, never documents of their own:
#: Office owner files (~$report.docx), LibreOffice locks, partial downloads, editor swaps.
TEMPORARY_PREFIXES = ("~$", ".~lock")
TEMPORARY_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".swp", ".swx",
                      ".swo", "~")
#: A burst ends after this many seconds without an event...
QUIET_S = 1.0
#: ...or, for a stream of events that never pauses, this long after its first event.
MAX_WAIT_S = 10.0


@dataclass
class FolderChanges:
    """What to do to the library: index `changed`, rename `moved` (old, new), purge `deleted`.

    A deleted path may be a folder: the documents below it are purged.
    """

    changed: list[Path] = field(default_factory=list)
    moved: list[tuple[Path, Path]] = field(default_factory=list)
    deleted: list[Path] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.changed) + len(self.moved) + len(self.deleted)

    def paths(self) -> list[Path]:
        """Every path the changes touch (the new one of a move)."""
        return [*self.changed, *(new for _, new in self.moved), *self.deleted]


def synced_file(path: Path, folder: Path, ocr: bool = False) -> bool:
    """True for a file below `folder` that is kept in the library: one Enclave reads, not
    hidden (nor in a hidden folder) and not a temporary or partial file."""
    try:
        parts = path.relative_to(folder).parts
    except ValueError:
        return False
    if not parts or any(part.startswith(".") for part in parts):
        return False
    name = path.name.lower()
    if name.startswith(TEMPORARY_PREFIXES) or name.endswith(TEMPORARY_SUFFIXES):
        return False
    return is_supported(path, ocr)


def folder_files(folder: Path, ocr: bool = False) -> Iterator[Path]:
    """The synced files below `folder`, sorted; hidden folders are not entered."""
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            if synced_file(path, folder, ocr):
                yield path


def sync_title(changes: FolderChanges, folders: Iterable[Path]) -> str:
    """The progress line of a sync: 'Syncing Reports: 3 changes'."""
    touched = [folder for folder in folders
               if any(path.is_relative_to(folder) for path in changes.paths())]
    names = ", ".join(folder.name or str(folder) for folder in touched[:2])
    names += "…" if len(touched) > 2 else ""
    count = len(changes)
    return f"Syncing {names or 'folders'}: {count} change{'s' if count != 1 else ''}"


class Debouncer:
    """Coalesces file events into one `FolderChanges` once they stop for `quiet_s` seconds.

    Events are folded as they come, so the batch says what to do, not what happened: a file
    created then deleted is nothing, moved twice is one move, created then moved is new at
    its last path, deleted then created again is changed. Not thread-safe: the watcher holds
    its lock around every call.
    """

    def __init__(self, quiet_s: float = QUIET_S, max_wait_s: float = MAX_WAIT_S) -> None:
        self.quiet_s = quiet_s
        self.max_wait_s = max_wait_s
        self._changed: dict[Path, None] = {}
        self._moved: dict[Path, Path] = {}
        self._deleted: dict[Path, None] = {}
        self._first: float | None = None
        self._last: float | None = None

    @property
    def pending(self) -> bool:
        return bool(self._changed or self._moved or self._deleted)

    def changed(self, path: Path, now: float) -> None:
        """A file was created or written."""
        self._deleted.pop(path, None)
        self._changed[path] = None
        self._seen(now)

    def deleted(self, path: Path, now: float) -> None:
        """A file (or a folder) was deleted."""
        self._changed.pop(path, None)
        origin = self._origin(path)
        if origin is not None:
            del self._moved[origin]
            path = origin
        self._deleted[path] = None
        self._seen(now)

    def moved(self, old: Path, new: Path, now: float) -> None:
        """A file was renamed or moved within the watched folders."""
        origin = self._origin(old)
        if origin is not None:
            del self._moved[origin]
        source = origin if origin is not None else old
        if source != new:
            self._moved[source] = new
        if old in self._changed:  # Written since the last batch: index it at its new path.
            del self._changed[old]
            self._changed[new] = None
        self._deleted.pop(new, None)
        self._seen(now)

    def requeue(self, changes: FolderChanges, now: float) -> None:
        """Take back what a batch did not finish (cancelled, paused) to apply it later."""
        for old, new in changes.moved:
            self.moved(old, new, now)
        for path in changes.deleted:
            self.deleted(path, now)
        for path in changes.changed:
            self.changed(path, now)

    def due(self, now: float) -> bool:
        """True when the pending events make a batch: quiet for `quiet_s`, or waited long."""
        if not self.pending or self._first is None or self._last is None:
            return False
        return now - self._last >= self.quiet_s or now - self._first >= self.max_wait_s

    def wait_s(self, now: float) -> float | None:
        """Seconds until `due` may turn true; None while nothing is pending."""
        if not self.pending or self._first is None or self._last is None:
            return None
        return max(0.0, min(self._last + self.quiet_s, self._first + self.max_wait_s) - now)

    def take(self) -> FolderChanges:
        """The batch, and a fresh start."""
        changes = FolderChanges(list(self._changed), list(self._moved.items()),
                                list(self._deleted))
        self._changed, self._moved, self._deleted = {}, {}, {}
        self._first = self._last = None
        return changes

    def _origin(self, path: Path) -> Path | None:
        """The path a pending move came from, if `path` is where it went."""
        return next((old for old, new in self._moved.items() if new == path), None)

    def _seen(self, now: float) -> None:
        if self._first is None:
            self._first = now
        self._last = now


def file_hash(path: Path) -> str:
    """The SHA-256 of a file, as the library stores it."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def reconcile(library: Library, folders: Iterable[Path],
              cancel: threading.Event | None = None) -> FolderChanges:
    """What changed in `folders` since they were last indexed (at start, app closed since).

    Size and modification time spare reading a file that has not changed; a file whose
    time changed but whose hash did not only gets its new time recorded. A stored file gone
    from its path with the same content at a new one is a move. A folder that is not there
    (an unplugged drive) is skipped: its documents are kept, not purged. A folder inside
    another kept one is checked once, with it.
    """
    stats = library.store.file_stats()
    changes = FolderChanges()
    folders = list(folders)
    for folder in [f for f in folders if not any(f != g and f.is_relative_to(g) for g in folders)]:
        if not folder.is_dir():
            log.info("a folder kept in sync is not there; its documents are kept: %s", folder)
            continue
        present: set[Path] = set()
        new: dict[str, Path] = {}
        for path in folder_files(folder, library.ocr):
            if cancel is not None and cancel.is_set():
                return changes
            present.add(path)
            try:
                status = path.stat()
                known = stats.get(path)
                if (known is not None and known.size == status.st_size
                        and known.mtime_ns == status.st_mtime_ns):
                    continue
                digest = file_hash(path)
            except OSError as error:  # Unreadable now: indexing it says why, per file.
                log.info("cannot check %s: %s", path, error)
                changes.changed.append(path)
                continue
            if known is not None and known.sha256 == digest:
                library.store.set_mtime(path, status.st_mtime_ns)
            elif known is None:
                new.setdefault(digest, path)
                if new[digest] != path:  # A second copy of the same content: a file of its own.
                    changes.changed.append(path)
            else:
                changes.changed.append(path)
        for path, stat in stats.items():
            if path.is_relative_to(folder) and path not in present:
                moved_to = new.pop(stat.sha256, None)
                if moved_to is not None:
                    changes.moved.append((path, moved_to))
                else:
                    changes.deleted.append(path)
        changes.changed.extend(new.values())
    return changes


def apply_changes(library: Library, changes: FolderChanges,
                  progress: ProgressCallback | None = None,
                  cancel: threading.Event | None = None) -> tuple[IngestReport, FolderChanges]:
    """Rename moved files, purge deleted ones and index new and changed ones, in that order.

    A move is a rename only when the stored document has the new file's exact content;
    otherwise the old path is purged and the new one indexed. Paths are checked against the
    disk as it is now, since the changes may be stale by the time they run. Returns the
    report and what a cancel left undone.
    """
    stats = library.store.file_stats()
    report = IngestReport()
    index = dict.fromkeys(path for path in changes.changed)
    gone = list(changes.deleted)
    same: list[tuple[Path, Path]] = []
    for old, new in changes.moved:
        known = stats.get(old)
        try:
            if (known is not None and not old.exists() and new.is_file()
                    and file_hash(new) == known.sha256):
                same.append((old, new))
                continue
        except OSError as error:  # Moved on again, or unreadable: indexed (or not) below.
            log.info("cannot follow the move of %s: %s", old, error)
        gone.append(old)
        index[new] = None
    report.renamed = library.rename_all(same)
    for old, new in same:
        if (old, new) not in report.renamed:  # The new path was taken meanwhile.
            gone.append(old)
            index[new] = None
    for _, new in report.renamed:
        with contextlib.suppress(OSError):  # Gone again: the next batch purges it.
            library.store.set_mtime(new, new.stat().st_mtime_ns)
    targets = [path for path in stats for deleted in gone
               if not deleted.exists() and (path == deleted or path.is_relative_to(deleted))]
    report.removed.extend(library.remove_all(dict.fromkeys(targets)))
    files = [path for path in index if path.is_file()]
    if not files:
        return report, FolderChanges()
    added = library.add(files, progress, cancel)
    done = set(added.added + added.replaced + added.unchanged
               + [error.path for error in added.failed])
    report.added, report.replaced, report.unchanged = added.added, added.replaced, added.unchanged
    report.failed, report.notes, report.removed = added.failed, added.notes, \
        report.removed + added.removed
    report.chunks, report.pages, report.cancelled = added.chunks, added.pages, added.cancelled
    return report, FolderChanges([path for path in files if path not in done])
