"""Two reader processes: a file is read by a free one while the other is still busy."""

from __future__ import annotations

import threading
from pathlib import Path

from documents.extract import Page
from documents.isolation import ParseLimits, ParserPool
from inference.bench.ocr import render_page
from tests.pdf_corpus import plain


def test_a_second_file_is_read_while_the_first_is_still_being_read(tmp_path: Path) -> None:
    """The first file is held mid-read (its scanned page recognised, the reader's callback
    waiting); the text file must come back meanwhile, which one reader could never do."""
    scan = tmp_path / "scan.pdf"
    render_page(["The lease of the Harbour Street office ends on 30 June."], 300).crop(
        (0, 0, 2481, 600)).save(scan, resolution=300)
    text = tmp_path / "text.pdf"
    text.write_bytes(plain())
    pool = ParserPool(2, ParseLimits(seconds=900), ocr=True)
    held, release = threading.Event(), threading.Event()
    scanned: list[list[Page]] = []

    def page_done() -> None:
        held.set()
        release.wait(timeout=900)

    reading = threading.Thread(target=lambda: scanned.append(
        pool.extract(scan, page_done=page_done)))
    reading.start()
    try:
        assert held.wait(timeout=900), "the scanned page was recognised"
        pages = pool.extract(text)
        assert pages and any(page.text.strip() for page in pages)
        assert reading.is_alive(), "the first file is still held by its reader"
    finally:
        release.set()
        reading.join()
        pool.close()
    assert "Harbour" in scanned[0][0].text
