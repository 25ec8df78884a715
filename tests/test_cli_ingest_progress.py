"""`ingest --json` as a script or a log meets it: progress lines while the batch runs, and a
stopped batch that leaves a partial report and a state that a second `ingest` finishes.

Real processes on real PDFs of the shared corpus, with the real embedder. The first file of
the folder is a damaged one: it is reported as soon as it is read, while the PDFs after it
are still being extracted and embedded, so the first line comes before the batch ends.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.ingest_lines import ProgressLines
from app.pending_batch import PendingBatchFile
from documents.errors import DocumentError, FailureKind
from documents.library import IngestProgress
from inference.encryption import unlock
from tests.conftest import PDFS, REPO

PDF_NAMES = ["pdfminer_samples/nonfree/naacl06-shinyama.pdf",
             "py-pdf_sample-files/026-latex-multicolumn/multicolumn.pdf",
             "docling_tests/sources/2305.03393v1-pg9.pdf",
             "pdfjs/tracemonkey.pdf"]


def pdf_folder(tmp_path: Path) -> Path:
    """`a_damaged.pdf` first, then real text PDFs (file names sort in this order)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(PDFS / "derived_truncated" / "zero_bytes.pdf", folder / "a_damaged.pdf")
    for number, name in enumerate(PDF_NAMES):
        shutil.copy(PDFS / name, folder / f"b{number}_{Path(name).name}")
    return folder


def start_ingest(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(REPO / "main.py"), "ingest", *map(str, args)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)


def read_until_file(process: subprocess.Popen[str]) -> list[dict[str, Any]]:
    """Lines up to and including the first finished file's."""
    assert process.stdout is not None
    lines: list[dict[str, Any]] = []
    for raw in process.stdout:
        lines.append(json.loads(raw))
        if lines[-1]["event"] == "file":
            return lines
    pytest.fail(f"the output ended without a file line: {lines}")


@pytest.mark.slow
def test_progress_lines_come_before_the_end_and_a_stop_leaves_a_resumable_batch(
        tmp_path: Path) -> None:
    folder = pdf_folder(tmp_path)
    data_dir = tmp_path / "data"
    with start_ingest(folder, "--json", "--data-dir", data_dir) as process:
        first = read_until_file(process)
        assert process.poll() is None, "the first lines came while the batch still ran"
        process.send_signal(signal.SIGTERM)
        assert process.stdout is not None
        rest = [json.loads(line) for line in process.stdout]
    assert process.returncode == 128 + signal.SIGTERM
    file_line = first[-1]
    assert Path(file_line["file"]).name == "a_damaged.pdf" and file_line["status"] == "failed"
    assert file_line["reason"] == "empty file"
    assert {"files_done", "files_total", "pages", "chunks", "pages_per_s", "eta_s"} <= set(
        file_line)
    assert file_line["files_done"] == 1 and file_line["files_total"] == 1 + len(PDF_NAMES)

    report = rest[-1]
    assert report["event"] == "report" and report["cancelled"] is True, rest
    assert [Path(f["file"]).name for f in report["failed"]] == ["a_damaged.pdf"]
    done_before = {Path(p).name for p in report["added"]}
    assert len(done_before) < len(PDF_NAMES), "stopped mid-batch"
    assert {line["event"] for line in rest[:-1]} <= {"file", "progress"}
    assert len([line for line in rest if line["event"] == "file"]) == len(done_before)

    pending = PendingBatchFile(data_dir, unlock(data_dir).key).load()
    assert pending is not None and pending.paths == [str(folder.resolve())]

    resumed = subprocess.run([sys.executable, str(REPO / "main.py"), "ingest", "--resume",
                              "--json", "--data-dir", str(data_dir)], cwd=REPO,
                             capture_output=True, text=True, check=False, timeout=600)
    lines = [json.loads(line) for line in resumed.stdout.splitlines()]
    final = lines[-1]
    assert final["event"] == "report" and final["cancelled"] is False, resumed.stderr
    assert {Path(p).name for p in final["unchanged"]} == done_before
    assert ({Path(p).name for p in final["added"]}
            == {f"b{n}_{Path(name).name}" for n, name in enumerate(PDF_NAMES)} - done_before)
    assert resumed.returncode == 1, "the damaged file is still not indexed"
    assert PendingBatchFile(data_dir, unlock(data_dir).key).load() is None, "batch finished"


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Stream:
    """Collects lines; `flushed` counts the flushes so each line is seen as written."""

    def __init__(self) -> None:
        self.text = ""
        self.flushed = 0

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        self.flushed += 1


def test_lines_carry_counts_rate_and_time_left_and_each_is_flushed() -> None:
    clock, stream = _Clock(), _Stream()
    lines = ProgressLines(stream, clock)  # type: ignore[arg-type]
    lines(IngestProgress(0, 10, None, 0, current=Path("/d/big.pdf"), current_pages=300))
    for done in range(1, 5):
        clock.now += 2.0
        lines(IngestProgress(done, 10, Path(f"/d/{done}.pdf"), 10 * done, 3 * done,
                             file_chunks=10, file_pages=3))
    clock.now += 1.0
    lines(IngestProgress(5, 10, Path("/d/bad.pdf"), 40, 12,
                         error=DocumentError(Path("/d/bad.pdf"), FailureKind.DAMAGED, "x")))
    lines.final({"added": [], "pages": 12, "chunks": 40, "cancelled": True})
    written = [json.loads(line) for line in stream.text.splitlines()]
    assert stream.flushed == len(written) == 7
    assert written[0] == {"event": "progress", "current": "/d/big.pdf", "current_pages": 300,
                          "files_done": 0, "files_total": 10, "pages": 0, "chunks": 0,
                          "pages_per_s": None, "eta_s": None, "elapsed_s": 0.0}
    fourth = written[4]
    assert fourth["event"] == "file" and fourth["status"] == "indexed"
    assert (fourth["files_done"], fourth["pages"], fourth["chunks"]) == (4, 12, 40)
    assert fourth["pages_per_s"] == pytest.approx(1.5) and fourth["eta_s"] == pytest.approx(12)
    assert written[5]["status"] == "failed" and written[5]["reason"] == "damaged"
    assert written[6]["event"] == "report" and written[6]["cancelled"] is True
    assert written[6]["elapsed_s"] == 9.0 and written[6]["pages_per_s"] == 1.33


def test_a_heartbeat_repeats_the_counts_only_when_the_log_went_quiet() -> None:
    clock, stream = _Clock(), _Stream()
    lines = ProgressLines(stream, clock)  # type: ignore[arg-type]
    lines.heartbeat()
    assert stream.text == "", "nothing to say before the batch reports"
    lines(IngestProgress(0, 2, None, 0, current=Path("/d/book.pdf")))
    clock.now += 1.0
    lines.heartbeat()
    assert len(stream.text.splitlines()) == 1, "a line was written just now"
    clock.now += 10.0
    lines.heartbeat()
    beat = json.loads(stream.text.splitlines()[-1])
    assert beat["event"] == "progress" and beat["current"] == "/d/book.pdf"
    assert beat["elapsed_s"] == 11.0


def test_a_reader_that_leaves_ends_the_lines_not_the_batch() -> None:
    class Gone(_Stream):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    lines = ProgressLines(Gone(), _Clock())  # type: ignore[arg-type]
    lines(IngestProgress(1, 2, Path("/d/a.pdf"), 1, 1))
    lines.final({"pages": 1})  # no error: the pipe is simply no longer written


def test_sigterm_handler_is_set_only_while_indexing() -> None:
    import threading

    from app.ingest_lines import StopOnSignal

    before = signal.getsignal(signal.SIGTERM)
    cancel = threading.Event()
    with StopOnSignal(cancel) as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert cancel.is_set() and stop.signal == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == before
