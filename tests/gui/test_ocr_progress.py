"""The documents panel in a batch's OCR phase: the progress line counts scanned pages, with
their rate and time left, the bar follows the pages, and Cancel says it stops after the page.

A unit test of the panel's display logic, fed the reports the library makes (their order and
content are tested on the real library in tests/test_ocr_phase.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.gui.documents_panel import DocumentsPanel
from documents.library import IngestProgress

pytestmark = pytest.mark.gui

TEXT, SCAN = Path("/docs/b_minutes.pdf"), Path("/docs/a_lease-scan.pdf")


def test_the_ocr_phase_shows_scanned_pages_and_their_rate(qtbot: QtBot) -> None:
    panel = DocumentsPanel()
    qtbot.addWidget(panel)
    panel.show_batch_started([TEXT.parent])
    panel.show_progress(IngestProgress(1, 2, TEXT, 3, 4, file_chunks=3, file_pages=4))
    qtbot.waitUntil(lambda: panel.progress_counts.text().startswith("1 of 2 files"))
    panel.show_progress(IngestProgress(1, 2, None, 3, 4, current=SCAN, current_pages=12,
                                       ocr_done=3, ocr_total=12, ocr_seconds=7.5))
    qtbot.waitUntil(lambda: "scanned pages" in panel.progress_counts.text())
    assert panel.progress_label.full_text() == f"Reading {SCAN.name} (OCR)"
    assert panel.progress_counts.text() == ("3 of 12 scanned pages · 0.4 pages/s · "
                                           "about 20 s left")
    assert (panel.progress_bar.value(), panel.progress_bar.maximum()) == (3, 12)
    panel.cancel_button.click()
    assert panel.progress_label.full_text() == "Cancelling after the current page…"
