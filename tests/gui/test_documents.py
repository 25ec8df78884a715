"""The documents panel: a file that cannot be indexed is listed with its reason, not hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.gui.documents_panel import PATH_ROLE, STATUS_ROLE
from documents.library import IngestReport

from .conftest import OpenWindow

pytestmark = pytest.mark.gui


def test_failures_are_listed_and_documents_removed(open_window: OpenWindow, qtbot: QtBot,
                                                   tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    good = folder / "notes.md"
    good.write_text("# Notes\n\nThe spare key is in the blue box under the stairs.\n")
    broken = folder / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not a real PDF\n")
    window = open_window(tmp_path / "data", start=False)
    panel = window.documents

    with qtbot.waitSignal(window.indexer.batch_finished, timeout=90_000) as finished:
        panel.paths_chosen.emit([folder])  # what "Add folder…" emits after its dialog
    report = finished.args[0]
    assert isinstance(report, IngestReport)
    assert report.added == [good.resolve()]
    assert [error.path.name for error in report.failed] == ["broken.pdf"]
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=10_000)

    assert panel.failures_frame.isVisible()
    assert "broken.pdf — " in panel.failures_label.text()
    items = {panel.list.item(row).text(): panel.list.item(row)
             for row in range(panel.list.count())}
    assert items["notes.md"].data(STATUS_ROLE) == "indexed"
    assert items["broken.pdf"].data(STATUS_ROLE) == "failed"
    assert "Failed: " in items["broken.pdf"].toolTip()
    assert panel.counts.text() == "1 document · 1 chunk · 1 failed"

    items["notes.md"].setSelected(True)
    assert panel.remove_button.isEnabled()
    with qtbot.waitSignal(window.indexer.busy_changed, timeout=30_000,
                          check_params_cb=lambda busy: not busy):
        panel.remove_button.click()
    remaining = [panel.list.item(row).data(PATH_ROLE) for row in range(panel.list.count())]
    assert remaining == [broken.resolve()]
    assert window.status.documents_label.text() == "0 documents"


def test_a_protected_pdf_asks_for_its_password(open_window: OpenWindow, qtbot: QtBot,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = (Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pdfs"
           / "pypdf_resources" / "encryption" / "r6-both-passwords.pdf")
    window = open_window(tmp_path / "data", start=False)
    asked: list[tuple[str, bool]] = []

    def answer(path: Path, was_wrong: bool) -> str | None:
        asked.append((path.name, was_wrong))
        return "not it" if not was_wrong else "foo"

    monkeypatch.setattr(window, "ask_pdf_password", answer)
    window.documents.paths_chosen.emit([pdf])
    qtbot.waitUntil(lambda: len(asked) == 2 and not window.indexer.busy, timeout=60_000)
    assert asked == [(pdf.name, False), (pdf.name, True)]
    statuses = {d.path.name: d.status for d in window.workspace.library.documents()}
    assert statuses == {pdf.name: "indexed"}
