"""Adding and removing documents on the indexing lane, so the window never waits for them.

Batches run one after another on the lane; each reports progress after every file. Removal
goes through the same lane so it never races a batch that is writing the same index.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.gui.lanes import Job, Lane
from documents.library import IngestProgress, IngestReport, Library


@dataclass(frozen=True)
class _BatchStarted:
    paths: list[Path]


class IndexingController(QObject):
    """Queues add/remove work for a library and reports it in GUI-thread signals."""

    batch_started = Signal(list)
    """The paths of the batch now running (files and folders as given)."""
    progressed = Signal(object)
    """An `IngestProgress` after each file of the running batch."""
    batch_finished = Signal(object)
    """The `IngestReport` of a finished (or cancelled) batch."""
    batch_failed = Signal(str)
    """A batch stopped on an error that is not about one file (the embedder, the disk)."""
    documents_changed = Signal()
    """The library's list of documents may differ: re-read it."""
    busy_changed = Signal(bool)

    def __init__(self, library: Callable[[], Library], lane: Lane,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._lane = lane
        self._jobs: list[Job] = []
        self._queued_paths: list[Path] = []

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    @property
    def queued_paths(self) -> list[Path]:
        """Paths given to batches that have not finished yet, for the 'indexing' state."""
        return list(self._queued_paths)

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
            return library().add(paths, report, cancel, passwords)

        job = Job("index", work)
        job.yielded.connect(self._on_job_yielded)
        job.returned.connect(self._on_job_returned)
        job.failed.connect(self._on_job_failed)
        job.finished.connect(lambda: self._on_job_finished(job, paths))
        self._queued_paths.extend(paths)
        self._submit(job)
        self.documents_changed.emit()

    def remove(self, paths: Iterable[Path]) -> None:
        targets = list(paths)
        library = self._library

        def work(cancel: threading.Event, report: Callable[[object], None]) -> object:
            del cancel, report
            return [path for path in targets if library().remove(path)]

        job = Job("remove", work)
        job.failed.connect(self._on_job_failed)
        job.finished.connect(lambda: self._on_job_finished(job, []))
        self._submit(job)

    def cancel(self) -> None:
        """Stop the running batch after its current file and drop the queued ones."""
        for job in self._jobs:
            if job.name == "index":
                job.cancel()

    def _submit(self, job: Job) -> None:
        was_busy = self.busy
        self._jobs.append(job)
        self._lane.submit(job)
        if not was_busy:
            self.busy_changed.emit(True)

    def _on_job_yielded(self, item: object) -> None:
        if isinstance(item, IngestProgress):
            self.progressed.emit(item)
            self.documents_changed.emit()
        elif isinstance(item, _BatchStarted):
            self.batch_started.emit(item.paths)

    def _on_job_returned(self, report: object) -> None:
        if isinstance(report, IngestReport):
            self.batch_finished.emit(report)

    def _on_job_failed(self, error: object) -> None:
        self.batch_failed.emit(str(error) or type(error).__name__)

    def _on_job_finished(self, job: Job, paths: list[Path]) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        for path in paths:
            if path in self._queued_paths:
                self._queued_paths.remove(path)
        self.documents_changed.emit()
        if not self.busy:
            self.busy_changed.emit(False)
