"""Read untrusted files in a separate worker process, under a time and a memory limit.

A damaged or hostile PDF can make a parser loop forever, eat all memory or crash the
interpreter. Parsing in a worker process turns each of those into a clear per-file reason,
while the app, and every file already indexed, is unaffected. The worker is a plain
`python -m documents.isolation` that lives across files (no start-up cost per file) and is
replaced whenever it is killed or dies.
"""

from __future__ import annotations

import json
import os
import queue
import selectors
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from documents.errors import DocumentError, FailureKind
from documents.extract import (
    OcrDeferred,
    Page,
    PageDone,
    Passwords,
    extract_pages,
    technical,
)

_HEADER = struct.Struct(">Q")
_MEMORY_ENV = "ENCLAVE_PARSE_MEMORY_BYTES"
#: The argument that turns a frozen Enclave executable into a parsing worker.
WORKER_ARGUMENT = "--document-reader-worker"


@dataclass(frozen=True)
class ParseLimits:
    """Generous for real documents (a 350-page book parses in seconds), fatal to runaways.

    `seconds` bounds the wait for the next sign of life: the whole file, or with OCR, each
    recognised page (a 300-page scan is slow, not stuck, while its pages keep coming).
    """

    seconds: float = 120.0
    memory_bytes: int = 2 * 1024**3
    #: With OCR: the recognizer reads a 300 dpi page whole, in about 3 GB of address space.
    ocr_memory_bytes: int = 5 * 1024**3


def _send(stream: IO[bytes], message: object) -> None:
    body = json.dumps(message).encode("utf-8")
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    (length,) = _HEADER.unpack(_read_exactly(stream, _HEADER.size))
    return json.loads(_read_exactly(stream, length))


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    """`size` bytes, however many reads that takes (an unbuffered pipe returns what it has)."""
    parts: list[bytes] = []
    while size:
        part = stream.read(size)
        if not part:
            raise EOFError
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


class ParserPool:
    """Several `IsolatedParser`s, each file handed to a free one, so files are read side by
    side: at the start of a batch, while the embedder still waits for its first text, and
    between batches; a worker process starts only when a file needs it."""

    def __init__(self, size: int, limits: ParseLimits = ParseLimits(), ocr: bool = False) -> None:
        self._parsers = [IsolatedParser(limits, ocr) for _ in range(max(1, size))]
        self._free: queue.SimpleQueue[IsolatedParser] = queue.SimpleQueue()
        for parser in self._parsers:
            self._free.put(parser)

    def close(self) -> None:
        for parser in self._parsers:
            parser.close()

    def extract(self, path: Path, password: Passwords = None, *, defer_ocr: bool = False,
                page_done: PageDone | None = None) -> list[Page]:
        """`IsolatedParser.extract` in a free worker (waiting for one if all are busy)."""
        parser = self._free.get()
        try:
            return parser.extract(path, password, defer_ocr=defer_ocr, page_done=page_done)
        finally:
            self._free.put(parser)


def worker_command() -> list[str]:
    """How to start a worker: `python -m documents.isolation`, or in a frozen app (which has
    no `-m`) the app's own executable with `WORKER_ARGUMENT`, which main.py hands to `serve`."""
    if getattr(sys, "frozen", False):
        return [sys.executable, WORKER_ARGUMENT]
    return [sys.executable, "-m", "documents.isolation"]


class IsolatedParser:
    """Hands files to the worker one at a time; thread-safe, restarts the worker as needed.

    With `ocr`, scanned PDF pages and pictures are read by text recognition (documents.ocr).
    """

    def __init__(self, limits: ParseLimits = ParseLimits(), ocr: bool = False) -> None:
        self.limits = limits
        self.ocr = ocr
        self._lock = threading.Lock()
        self._worker: subprocess.Popen[bytes] | None = None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker.wait()
            for stream in (self._worker.stdin, self._worker.stdout):
                if stream is not None:
                    stream.close()
            self._worker = None

    def _ensure_worker(self) -> subprocess.Popen[bytes]:
        if self._worker is None or self._worker.poll() is not None:
            self._stop()
            memory = max(self.limits.memory_bytes,
                         self.limits.ocr_memory_bytes if self.ocr else 0)
            env = {**os.environ, _MEMORY_ENV: str(memory)}
            frozen = getattr(sys, "frozen", False)
            self._worker = subprocess.Popen(
                worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, env=env,
                # Unbuffered: a reply read ahead into a buffer would hide from select().
                bufsize=0,
                cwd=None if frozen else Path(__file__).resolve().parent.parent)
        return self._worker

    def extract(self, path: Path, password: Passwords = None, *, defer_ocr: bool = False,
                page_done: PageDone | None = None) -> list[Page]:
        """`extract_pages` in the worker; raises DocumentError for every kind of failure.

        `page_done` is said here as each page is recognised; whatever it raises (a cancel)
        stops the worker mid-file and reaches the caller. `defer_ocr`: see `extract_pages`.
        """
        if sys.platform == "win32":  # No select() on pipes; parsed in-process.
            return extract_pages(path, password, self.ocr, page_done, defer_ocr)
        with self._lock:
            worker = self._ensure_worker()
            assert worker.stdin is not None and worker.stdout is not None
            try:
                tried = password if password is None or isinstance(password, str) else [*password]
                _send(worker.stdin, [os.fspath(path), tried, self.ocr, defer_ocr])
                kind, payload = "page", cast(Any, None)
                with selectors.DefaultSelector() as selector:
                    selector.register(worker.stdout, selectors.EVENT_READ)
                    while kind == "page":  # A page recognised: the file is alive.
                        if not selector.select(self.limits.seconds):
                            self._stop()
                            raise DocumentError(path, FailureKind.TIMEOUT,
                                                f"over {self.limits.seconds:g} seconds")
                        kind, payload = _receive(worker.stdout)
                        if kind == "page" and page_done is not None:
                            page_done()
            except (EOFError, BrokenPipeError):
                code = worker.wait()
                self._stop()
                raise DocumentError(path, FailureKind.DAMAGED, "it made the document reader crash",
                                    f"the reader process exited with code {code}") from None
            except BaseException:  # A cancel from `page_done`: the worker is mid-file.
                self._stop()
                raise
        if kind == "pages":
            return [Page(number, text, label) for number, text, label in payload]
        if kind == "ocr":
            raise OcrDeferred(path, int(payload))
        failure, detail, trace = payload
        raise DocumentError(path, FailureKind(failure), detail, trace)


def serve() -> None:
    """The worker's loop: read a request, parse, answer; limits set once at start."""
    try:
        import resource

        limit = int(os.environ.get(_MEMORY_ENV, "0"))
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    sys.setrecursionlimit(5000)
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            path, password, ocr, defer_ocr = _receive(requests)
        except EOFError:
            return
        reply: list[Any]
        try:
            pages = extract_pages(Path(path), password, ocr,
                                  lambda: _send(replies, ["page", None]), defer_ocr)
            reply = ["pages", [[p.number, p.text, p.label] for p in pages]]
        except OcrDeferred as deferred:
            reply = ["ocr", deferred.pages]
        except DocumentError as error:
            reply = ["error", [error.kind.value, error.detail, error.technical]]
        except MemoryError as error:
            reply = ["error", [FailureKind.TOO_BIG.value, "it needs more memory than allowed",
                               technical(error)]]
        except Exception as error:  # The parser's bug is the file's failure, never ours.
            reply = ["error", [FailureKind.DAMAGED.value, "", technical(error)]]
        _send(replies, reply)


if __name__ == "__main__":
    serve()
