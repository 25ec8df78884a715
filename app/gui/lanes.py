"""Lanes: one worker thread per resource, running Qt-free jobs one after another.

The llama.cpp model must never be used from two threads, and indexing must not wait for an
answer, so the window keeps one lane for inference (model load, answering) and one for
indexing (embedder load, adding and removing documents). A job is plain Python work; its
results reach the GUI thread as queued signals, the way superqt's GeneratorWorker does it:

* the `Job` object is created in, and belongs to, the GUI thread;
* `Lane.run` calls `Job.run` on the lane's thread, so every emit crosses threads and Qt
  queues it: slots always run in the GUI thread, in the order the job emitted.

Cancelling is cooperative: the job's `threading.Event` is handed to the work, which checks it
between steps (between tokens, between files).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject, QThread, Signal

log = logging.getLogger(__name__)

#: Plain work: gets the cancel event and a function that reports progress to the GUI thread.
Work = Callable[[threading.Event, Callable[[object], None]], object]


class Job(QObject):
    """One unit of work for a lane; connect to its signals before submitting it."""

    yielded = Signal(object)
    """A progress report or generator item, in the order the work produced them."""
    returned = Signal(object)
    """The work's result, after the last `yielded`."""
    failed = Signal(object)
    """The exception the work raised (instead of `returned`)."""
    finished = Signal()
    """Always last, after `returned` or `failed`."""

    def __init__(self, name: str, work: Work) -> None:
        super().__init__()
        self.name = name
        self.cancel_event = threading.Event()
        self._work = work

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def run(self) -> None:
        """Called on the lane's thread; never raises."""
        try:
            result = self._work(self.cancel_event, self.yielded.emit)
        except Exception as error:  # a job's failure is reported, never fatal to the lane
            log.exception("job %s failed", self.name)
            self.failed.emit(error)
        else:
            self.returned.emit(result)
        finally:
            self.finished.emit()


def generator_job(name: str, factory: Callable[[threading.Event], Iterator[object]]) -> Job:
    """A job whose work is a generator: each item becomes one `yielded` signal.

    The generator gets the cancel event and decides itself how to stop (the answering core
    finishes with a `stopped` answer rather than just ending), so items are never dropped.
    """

    def work(cancel: threading.Event, report: Callable[[object], None]) -> object:
        for item in factory(cancel):
            report(item)
        return None

    return Job(name, work)


def call_job(name: str, function: Callable[[], object]) -> Job:
    """A job that calls `function` once; its return value comes back in `returned`."""

    def work(cancel: threading.Event, report: Callable[[object], None]) -> object:
        del cancel, report
        return function()

    return Job(name, work)


class Lane(QThread):
    """A thread that runs submitted jobs one at a time, in order.

    The thread starts with the first job. `shutdown` cancels every job still known, lets the
    current one return and joins the thread; the window calls it when it closes.
    """

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._pending: list[Job] = []
        self._closed = False

    @property
    def busy(self) -> bool:
        """Whether a job is queued or running (as the GUI thread has heard so far)."""
        return bool(self._pending)

    def submit(self, job: Job) -> Job:
        """Queue `job`; its signals must already be connected. Call from the GUI thread."""
        if self._closed:
            raise RuntimeError(f"lane {self.objectName()} is shut down")
        self._pending.append(job)
        job.finished.connect(lambda: self._on_job_finished(job))
        self._queue.put(job)
        if not self.isRunning():
            self.start()
        return job

    def shutdown(self, timeout_ms: int = 60_000) -> bool:
        """Cancel all jobs, finish the current one, join the thread. True if it stopped."""
        self._closed = True
        for job in self._pending:
            job.cancel()
        if not self.isRunning():
            return True
        self._queue.put(None)
        stopped = self.wait(timeout_ms)
        if not stopped:
            log.error("lane %s did not stop within %d ms", self.objectName(), timeout_ms)
        return stopped

    def run(self) -> None:
        while (job := self._queue.get()) is not None:
            job.run()

    def _on_job_finished(self, job: Job) -> None:
        if job in self._pending:
            self._pending.remove(job)
