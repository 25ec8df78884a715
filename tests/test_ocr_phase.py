"""A batch's OCR phase: the files with text are stored (and searchable) first, then the scans
are read a page at a time, each page reported with the phase's pages and rate, and a cancel
stops after the page at work, keeping what was stored and leaving the rest to resume.

The real isolated reader, RapidOCR, embedder, SQLite and FAISS. The scan sorts first in the
folder, so reading in file order would recognise it before the text file is stored.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.batch_progress import ocr_progress_text
from app.cli import report_json, report_lines
from app.ingest_lines import ProgressLines
from documents.embedder import Embedder
from documents.errors import FailureKind
from documents.extract import Page, PageDone, Passwords
from documents.isolation import IsolatedParser, ParseLimits
from documents.library import IngestProgress, IngestReport, Library
from documents.retrieval import Passage
from inference.bench.ocr import render_page
from tests.pdf_corpus import plain

SCAN = "a_lease-scan.pdf"
TEXT = "b_lighthouses.pdf"
SCAN_PAGES = [["The lease of the Harbour Street office ends on 30 June."],
              ["Rent is 2450 euros a month, paid in advance."]]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A text PDF and a two-page scanned PDF (pictures of pages at 300 dpi, no text layer):
    the top of an A4 page each, as a receipt, since recognition time grows with the area."""
    folder = tmp_path_factory.mktemp("batch")
    (folder / TEXT).write_bytes(plain())
    first, second = (render_page(lines, 300).crop((0, 0, 2481, 600)) for lines in SCAN_PAGES)
    first.save(folder / SCAN, save_all=True, append_images=[second], resolution=300)
    return folder


def ocr_library(data_dir: Path, embedder: Embedder) -> Library:
    """A library that reads by OCR, in the real isolated reader: with a page's time limit
    far above the usual, as the tests share a loaded machine (a page takes a minute there)."""
    return Library(data_dir, embedder, ocr=True,
                   reader=IsolatedParser(ParseLimits(seconds=900), ocr=True))


@dataclass
class Batch:
    library: Library
    report: IngestReport
    events: list[IngestProgress]
    #: What a search found while the first OCR report was being made.
    early: list[Passage]


@pytest.fixture(scope="module")
def batch(folder: Path, tmp_path_factory: pytest.TempPathFactory,
          embedder: Embedder) -> Iterator[Batch]:
    library = ocr_library(tmp_path_factory.mktemp("data"), embedder)
    events: list[IngestProgress] = []
    early: list[Passage] = []

    def progress(event: IngestProgress) -> None:
        if event.ocr_total and not any(e.ocr_total for e in events):
            early.extend(library.search("What do lighthouse keepers do?", limit=1))
        events.append(event)

    try:
        yield Batch(library, library.add([folder], progress), events, early)
    finally:
        library.close()


def test_the_text_file_is_stored_and_searchable_before_any_ocr(batch: Batch) -> None:
    assert not batch.report.failed and not batch.report.cancelled
    assert sorted(path.name for path in batch.report.added) == [SCAN, TEXT]
    finished = [(index, event.path.name) for index, event in enumerate(batch.events)
                if event.path is not None]
    assert [name for _, name in finished] == [TEXT, SCAN]
    first_ocr = next(i for i, event in enumerate(batch.events) if event.ocr_total)
    assert finished[0][0] < first_ocr
    assert not any(event.ocr_total for event in batch.events[:first_ocr])
    assert [p.document_name for p in batch.early] == [TEXT], "searchable during the OCR"


def test_ocr_reports_each_page_with_the_phase_counts_and_rate(batch: Batch) -> None:
    ocr = [event for event in batch.events if event.ocr_total]
    assert {event.ocr_total for event in ocr} == {2}
    at_work = [event for event in ocr if event.path is None]
    assert all(event.current is not None and event.current.name == SCAN for event in at_work)
    assert [event.ocr_done for event in at_work] == [0, 1, 2], "a start, then each page"
    assert at_work[0].ocr_pages_per_s is None and at_work[0].ocr_seconds_left is None
    for event in at_work[1:]:
        assert event.ocr_pages_per_s is not None and event.ocr_pages_per_s > 0
        assert event.ocr_seconds_left is not None
    assert at_work[-1].ocr_seconds_left == 0
    done = ocr[-1]
    assert done.path is not None and done.path.name == SCAN
    assert done.ocr_done == 2 and done.file_pages == 2 and done.done == done.total == 2


def test_citations_to_recognised_text_say_ocr(batch: Batch) -> None:
    lease = batch.library.search("When does the Harbour Street lease end?", limit=1)[0]
    assert lease.location == f"{SCAN}, p. 1 (OCR)" and "30 June" in lease.text
    rent = batch.library.search("How much is the rent a month?", limit=1)[0]
    assert rent.location == f"{SCAN}, p. 2 (OCR)"
    scan = next(d.path for d in batch.library.documents() if d.path.name == SCAN)
    opening = batch.library.opening_passages(scan, 1)
    assert opening[0].location == f"{SCAN}, p. 1 (OCR)", "summaries cite it so too"


def test_progress_lines_and_the_window_line_carry_the_ocr_pages(batch: Batch) -> None:
    """The batch's real reports, as `ingest --json` and the window show them."""
    stream = io.StringIO()
    lines = ProgressLines(stream, clock=iter(range(100)).__next__)
    for event in batch.events:
        lines(event)
    written = [json.loads(line) for line in stream.getvalue().splitlines()]
    ocr = [line for line in written if "ocr_pages_total" in line]
    assert [line["ocr_pages_done"] for line in ocr if line["event"] == "progress"] == [0, 1, 2]
    assert all(line["ocr_pages_total"] == 2 for line in ocr)
    assert ocr[-1]["event"] == "file" and ocr[-1]["ocr_pages_per_s"] > 0
    assert ocr[-1]["ocr_eta_s"] == 0
    page = next(e for e in batch.events if e.ocr_done == 1 and e.path is None)
    text = ocr_progress_text(SCAN, page.ocr_done, page.ocr_total, page.ocr_pages_per_s,
                             page.ocr_seconds_left)
    assert text.current == f"Reading {SCAN} (OCR)"
    assert text.counts.startswith("1 of 2 scanned pages · ") and "pages/s" in text.counts


def test_a_cancel_during_ocr_keeps_the_text_file_and_stops_after_the_page_at_work(
        folder: Path, tmp_path: Path, embedder: Embedder) -> None:
    cancel = threading.Event()
    events: list[IngestProgress] = []

    def progress(event: IngestProgress) -> None:
        events.append(event)
        if event.ocr_done == 1:  # the first scanned page is read: the user cancels
            cancel.set()

    library = ocr_library(tmp_path / "data", embedder)
    try:
        report = library.add([folder], progress, cancel)
        assert report.cancelled and not report.failed
        assert [path.name for path in report.added] == [TEXT]
        assert [path.name for path in report.not_done] == [SCAN]
        assert max(event.ocr_done for event in events) == 1, "no page after the cancel"
        assert [e.path.name for e in events if e.path is not None] == [TEXT]
        assert [d.path.name for d in library.documents()] == [TEXT]
        assert library.search("lighthouse keepers", limit=1)[0].document_name == TEXT
        assert any(SCAN in line for line in report_lines(report))
        assert report_json(report)["not_done"] == [str(folder / SCAN)]

        resumed = library.add([folder])  # `ingest --resume`, the window's Resume
        assert [p.name for p in resumed.unchanged] == [TEXT]
        assert [p.name for p in resumed.added] == [SCAN] and not resumed.cancelled
    finally:
        library.close()


class HangingOcr(IsolatedParser):
    """The real isolated reader, whose recognition of a page never ends in time: its limit
    is cut to a millisecond in the OCR phase (a page takes seconds), as an engine that hangs
    on a page would meet the usual limit."""

    def extract(self, path: Path, password: Passwords = None, *, defer_ocr: bool = False,
                page_done: PageDone | None = None) -> list[Page]:
        self.limits = ParseLimits(seconds=900 if page_done is None else 0.001)
        return super().extract(path, password, defer_ocr=defer_ocr, page_done=page_done)


def test_a_page_that_hangs_the_recognizer_fails_its_file_alone(
        folder: Path, tmp_path: Path, embedder: Embedder) -> None:
    reader = HangingOcr(ocr=True)
    library = Library(tmp_path / "data", embedder, ocr=True, reader=reader)
    try:
        report = library.add([folder])
        assert not report.cancelled
        assert [path.name for path in report.added] == [TEXT]
        assert [(e.path.name, e.kind) for e in report.failed] == [(SCAN, FailureKind.TIMEOUT)]
        pages = reader.extract(folder / TEXT)  # the stuck worker was replaced
        assert pages and "Lighthouses" in pages[0].text
    finally:
        library.close()
