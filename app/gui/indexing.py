"""Adding and removing documents on the indexing lane, so the window never waits for them.

Batches run one after another on the lane; each reports progress after every file. Removal
goes through the same lane so it never races a batch that is writing the same index. The
paths of unfinished batches are kept on disk (`PendingBatchFile`) so that a batch cut by a
cancel, a crash or a quit can be offered for resuming at the next start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.gui.lanes import Job, Lane
from app.pending_batch import PendingBatch, PendingBatchFile
from documents.folder_sync import FolderChanges, apply_changes, reconcile, sync_title
from documents.library import IngestProgress, IngestReport, Library
from inference.logs import user_message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _BatchStarted:
    paths: list[Path]


@dataclass(frozen=True)
class _SyncStarted:
    title: str


@dataclass(frozen=True)
class _Folders:
    """The folders kept in sync, as stored once a job has changed them (or at start)."""

    paths: list[Path]


class IndexingController(QObject):
    """Queues add/remove work for a library and reports it in GUI-thread signals."""

    batch_started = Signal(list)
    """The paths of the batch now running (files and folders as given)."""
    progressed = Signal(object)
    """An `IngestProgress` for each file of the running batch (started, finished)."""
    batch_finished = Signal(object)
    """The `IngestReport` of a finished (or cancelled) batch."""
    batch_failed = Signal(str)
    """A batch stopped on an error that is not about one file (the embedder, the disk)."""
    documents_changed = Signal()
    """Documents were removed, or a batch ended on an error: re-read the library. (A batch
    that returns reports every file it changed in `progressed` and `batch_finished`.)"""
    busy_changed = Signal(bool)
    sync_started = Signal(str)
    """A sync of the kept folders begins; its progress line ('Syncing Reports: 3 changes')."""
    folders_changed = Signal(list)
    """The folders kept in sync, read from the library after a job that may change them."""

    def __init__(self, library: Callable[[], Library], lane: Lane,
                 pending: PendingBatchFile | None = None, parent: QObject | None = None) -> None:
        """`pending` keeps unfinished batches on disk; what it holds at start is `interrupted`."""
        super().__init__(parent)
        self._library = library
        self._lane = lane
        self._jobs: list[Job] = []
        self._pending = pending
        #: Unfinished index jobs: the paths given and, once known, how many files they hold.
        self._batches: dict[Job, PendingBatch] = {}
        self._returned: set[Job] = set()
        self.interrupted = pending.load() if pending is not None else None
        """The batch an earlier run left unfinished, until resumed or dismissed."""

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def add(self, paths: Sequence[Path], passwords: dict[Path, str] | None = None) -> None:
        """Index files and folders (changed files are replaced, unchanged ones skipped).

        `passwords` opens encrypted PDFs, by their resolved path.
        """
        paths = [Path(p).expanduser().resolve() for p in paths]
        if not paths:
            return
        library = self._library
        passwords = dict(passwords or {})

        def work(cancel: threading.Event, report: Callable[[object], None]) -> object:
            report(_BatchStarted(paths))
            # A folder added is kept in sync: watched from now, so a change made while the
            # batch runs is not missed, and stored by `add`.
            store = library().store
            report(_Folders(list(dict.fromkeys([*store.folders(),
                                                *(p for p in paths if p.is_dir())]))))
            result = library().add(paths, report, cancel, passwords)
            report(_Folders(store.folders()))
            return result

        job = Job("index", work)
        self._batches[job] = PendingBatch([str(path) for path in paths])
        self._save_pending()
        self._submit(job, returns_report=True)

    def resume(self) -> None:
        """Index again the batch an earlier run left unfinished (done files are skipped)."""
        batch, self.interrupted = self.interrupted, None
        if batch is not None:
            self.add([Path(path) for path in batch.paths])

    def dismiss_interrupted(self) -> None:
        """Forget the unfinished batch of an earlier run."""
        self.interrupted = None
        self._save_pending()

    def remove(self, paths: Iterable[Path]) -> None:
        targets = list(paths)
        library = self._library

        def work(cancel: threading.Event, report: Callable[[object], None]) -> object:
            del cancel
            removed = library().remove_all(targets)
            store = library().store
            # A kept folder whose every document the user removed is no longer kept: the
            # next sync would bring them back.
            left = [doc.path for doc in store.documents()]
            for folder in store.folders():
                if any(p.is_relative_to(folder) for p in removed) and not any(
                        p.is_relative_to(folder) for p in left):
                    store.remove_folder(folder)
            report(_Folders(store.folders()))
            return removed

        self._submit(Job("remove", work))

    def sync(self, changes: FolderChanges | None,
             requeue: Callable[[FolderChanges], None] | None = None) -> None:
        """Apply changes to the folders kept in sync; None: find them first (at start).

        Runs on the lane like any batch, so the store keeps one writer; what a cancel leaves
        undone goes to `requeue` (the watcher, which applies it later). Not recorded as a
        pending batch: the start-up check finds whatever a cut sync left.
        """
        library = self._library

        def work(cancel: threading.Event, report: Callable[[object], None]) -> object:
            folders = library().store.folders()
            if changes is None:
                report(_Folders(folders))
            todo = changes if changes is not None else reconcile(library(), folders, cancel)
            if not todo:
                return None
            report(_SyncStarted(sync_title(todo, folders)))
            result, left = apply_changes(library(), todo, report, cancel)
            if left and requeue is not None:
                requeue(left)
            return result

        self._submit(Job("sync", work), returns_report=True)

    def forget_folder(self, folder: Path) -> None:
        """Stop keeping `folder` in sync; its documents stay in the library."""
        library = self._library

        def work(cancel: threading.Event, report: Callable[[object], None]) -> object:
            del cancel
            store = library().store
            store.remove_folder(folder)
            report(_Folders(store.folders()))
            return None

        self._submit(Job("forget folder", work))

    def cancel(self) -> None:
        """Stop the running batch after its current file and drop the queued ones."""
        for job in self._jobs:
            if job.name in ("index", "sync"):
                job.cancel()

    def cancel_sync(self) -> None:
        """Stop a sync after its current file (paused); its undone changes are requeued."""
        for job in self._jobs:
            if job.name == "sync":
                job.cancel()

    def _submit(self, job: Job, returns_report: bool = False) -> None:
        """Connect the job to this indexer's handlers and queue it on the lane; only index
        and sync jobs return an `IngestReport` for `_on_job_returned`."""
        job.yielded.connect(lambda item: self._on_job_yielded(job, item))
        if returns_report:
            job.returned.connect(lambda report: self._on_job_returned(job, report))
        job.failed.connect(self._on_job_failed)
        job.finished.connect(lambda: self._on_job_finished(job))
        was_busy = self.busy
        self._jobs.append(job)
        self._lane.submit(job)
        if not was_busy:
            self.busy_changed.emit(True)

    def _save_pending(self) -> None:
        """Write the paths of every unfinished batch (and an earlier run's), or clear them."""
        if self._pending is None:
            return
        batches = ([self.interrupted] if self.interrupted else []) + list(self._batches.values())
        paths = list(dict.fromkeys(path for batch in batches for path in batch.paths))
        files = sum(batch.files for batch in batches) \
            if all(batch.files for batch in batches) else 0
        try:
            self._pending.save(PendingBatch(paths, files))
        except OSError as error:  # the batch still runs; only resuming it after a crash is lost
            log.warning("cannot record the batch in progress: %s", error)

    def _on_job_yielded(self, job: Job, item: object) -> None:
        if isinstance(item, IngestProgress):
            batch = self._batches.get(job)
            if batch is not None and not batch.files and item.total:
                batch.files = item.total
                self._save_pending()
            self.progressed.emit(item)
        elif isinstance(item, _BatchStarted):
            self.batch_started.emit(item.paths)
        elif isinstance(item, _SyncStarted):
            self.sync_started.emit(item.title)
        elif isinstance(item, _Folders):
            self.folders_changed.emit(item.paths)

    def _on_job_returned(self, job: Job, report: object) -> None:
        self._returned.add(job)
        if isinstance(report, IngestReport):
            if report.cancelled:
                self._cut(job)
            else:
                self._batches.pop(job, None)
                self._save_pending()
            self.batch_finished.emit(report)

    def _cut(self, job: Job) -> None:
        """A batch ended before its last file: keep it on offer for resuming."""
        cut = self._batches.pop(job, None)
        if cut is None:
            return
        earlier = self.interrupted
        self.interrupted = cut if earlier is None else PendingBatch(
            list(dict.fromkeys(earlier.paths + cut.paths)),
            earlier.files + cut.files if earlier.files and cut.files else 0)
        self._save_pending()

    def _on_job_failed(self, error: object) -> None:
        self.batch_failed.emit(user_message(error) if isinstance(error, BaseException)
                               else str(error))

    def _on_job_finished(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        self._cut(job)  # a batch that failed is offered for resuming too
        if job.name != "index" or job not in self._returned:
            self.documents_changed.emit()
        self._returned.discard(job)
        if not self.busy:
            self.busy_changed.emit(False)
