"""`ingest`'s progress as JSON lines, for scripts and logs that follow a long batch.

One object per finished file, one when the batch starts waiting on a slow file, and a
heartbeat every `HEARTBEAT_S` seconds while nothing else was written, so a log shows a
batch that is alive even inside a 350-page book. Each line is flushed as it is written:
`ingest --json | head` shows the first files while the batch runs. Rates and time left come
from the same smoothed `BatchEstimate` as the window's progress line; they are null until
they mean something. In the batch's OCR phase (scans and pictures, read after the files with
text) a line comes per page recognised, and every line carries the phase's own counts:
`ocr_pages_done`, `ocr_pages_total`, `ocr_pages_per_s` and `ocr_eta_s`. Qt-free; the clock
is injectable so the lines are tested without one.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO, Any

from app.batch_progress import BatchEstimate
from documents.library import IngestProgress

#: A progress line is written at least this often while the batch runs.
HEARTBEAT_S = 5.0

Clock = Callable[[], float]


def shown(path: Path) -> str:
    """A path as JSON and a terminal can carry it, even when its name is not valid UTF-8."""
    return os.fsencode(path).decode("utf-8", "replace")


class ProgressLines:
    """Writes one JSON object per line to `stream`; thread-safe (the heartbeat is a thread).

    A stream that goes away (`| head` has read enough) ends the lines, never the batch.
    """

    def __init__(self, stream: IO[str], clock: Clock = time.monotonic) -> None:
        self._stream: IO[str] | None = stream
        self._clock = clock
        self._started = clock()
        self._estimate = BatchEstimate(0, self._started)
        self._lock = threading.Lock()
        self._last: IngestProgress | None = None
        self._current: Path | None = None
        self._current_pages: int | None = None
        self._written = self._started

    def __call__(self, progress: IngestProgress) -> None:
        """The library's progress callback: a line per finished file or slow file started."""
        with self._lock:
            now = self._clock()
            self._estimate.update(progress.done, progress.pages, now, progress.total)
            self._last = progress
            if progress.path is None:
                self._current, self._current_pages = progress.current, progress.current_pages
                self._write({"event": "progress", **self._counts(now)}, now)
                return
            self._current = None
            line: dict[str, Any] = {"event": "file", "file": shown(progress.path),
                                    "status": _status(progress),
                                    "file_pages": progress.file_pages,
                                    "file_chunks": progress.file_chunks}
            if progress.error is not None:
                line["reason"] = progress.error.kind.value
            self._write({**line, **self._counts(now)}, now)

    def heartbeat(self) -> None:
        """A progress line with the current counts, unless a line was written just now."""
        with self._lock:
            now = self._clock()
            if self._last is None or now - self._written < HEARTBEAT_S:
                return
            self._estimate.update(self._last.done, self._last.pages, now)
            self._write({"event": "progress", **self._counts(now)}, now)

    def final(self, report: dict[str, Any]) -> None:
        """The batch's report as the last line, with the batch's time and average rate."""
        with self._lock:
            now = self._clock()
            elapsed = now - self._started
            pages = report.get("pages", 0)
            self._write({"event": "report", **report, "elapsed_s": round(elapsed, 2),
                         "pages_per_s": round(pages / elapsed, 2) if elapsed > 0 else None}, now)

    def _counts(self, now: float) -> dict[str, Any]:
        """The batch's counts, rate and time left; the file at work while it is waited on."""
        estimate, last = self._estimate, self._last
        line: dict[str, Any] = {}
        if self._current is not None:
            line["current"] = shown(self._current)
            line["current_pages"] = self._current_pages
        left = estimate.seconds_left
        line.update({
            "files_done": estimate.done, "files_total": estimate.total,
            "pages": estimate.pages, "chunks": last.chunks if last is not None else 0,
            "pages_per_s": (round(estimate.pages_per_s, 2)
                            if estimate.pages_per_s is not None else None),
            "eta_s": round(left, 1) if left is not None else None,
            "elapsed_s": round(now - self._started, 2)})
        if last is not None and last.ocr_total:
            rate, ocr_left = last.ocr_pages_per_s, last.ocr_seconds_left
            line.update({
                "ocr_pages_done": last.ocr_done, "ocr_pages_total": last.ocr_total,
                "ocr_pages_per_s": round(rate, 3) if rate is not None else None,
                "ocr_eta_s": round(ocr_left, 1) if ocr_left is not None else None})
        return line

    def _write(self, line: dict[str, Any], now: float) -> None:
        if self._stream is None:
            return
        try:
            self._stream.write(json.dumps(line) + "\n")
            self._stream.flush()
        except (BrokenPipeError, ValueError):  # the reader left; indexing goes on
            _discard(self._stream)
            self._stream = None
            return
        self._written = now


def _discard(stream: IO[str]) -> None:
    """Point a closed pipe's descriptor at /dev/null, so the interpreter's last flush of
    what is still buffered does not fail at exit (Python's advice for SIGPIPE)."""
    try:
        target = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, target)
    finally:
        os.close(devnull)


def _status(progress: IngestProgress) -> str:
    if progress.unchanged:
        return "unchanged"
    return "failed" if progress.error is not None else "indexed"


class Heartbeat:
    """Calls `beat` every `interval` seconds on a daemon thread until stopped."""

    def __init__(self, beat: Callable[[], None], interval: float = HEARTBEAT_S) -> None:
        self._beat = beat
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="enclave-ingest-heartbeat",
                                        daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._beat()


class StopOnSignal:
    """SIGTERM and SIGINT (a timeout, Ctrl-C) set `cancel` instead of killing the process.

    The batch then ends after the file at work, keeps the files it finished and still prints
    its report; `signal` says which one came (0: none). A second signal stops at once, as
    Ctrl-C twice would. Handlers can only be set from the main thread; elsewhere this does
    nothing and the signals keep their usual effect.
    """

    STOPPING = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, cancel: threading.Event) -> None:
        self._cancel = cancel
        self._previous: dict[int, Any] = {}
        self.signal = 0

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for number in self.STOPPING:
                self._previous[number] = signal.signal(number, self._stop)
        return self

    def __exit__(self, *_: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()

    def _stop(self, number: int, _frame: FrameType | None) -> None:
        if self.signal:
            raise KeyboardInterrupt
        self.signal = number
        self._cancel.set()
