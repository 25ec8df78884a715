"""The document viewer: a click on a citation shows its file at the passage, highlighted.

On the real model, embedder, pypdf and QtPdf: files are indexed through the window, a
citation comes from a real answer (or a real search), and the click goes through the
conversation view's anchor like a user's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF, QUrl
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from pytestqt.qtbot import QtBot

from app.gui.document_viewer import external_url
from app.gui.main_window import MainWindow
from app.gui.message_html import citation_href
from app.gui.pdf_pane import HighlightView, PdfPane
from app.gui.transcript import ChatEntry, CitationInfo
from documents.retrieval import Passage
from inference.answer import Answer

from .conftest import OpenWindow
from .test_asking import index

pytestmark = pytest.mark.gui

PDFS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pdfs"
TRACEMONKEY = PDFS / "pdfjs" / "tracemonkey.pdf"
ENCRYPTED = PDFS / "pypdf_resources" / "encryption" / "r6-user-password.pdf"
ENCRYPTED_PASSWORD = "asdfzxcv"


def folded(text: str) -> str:
    """Text without whitespace or hyphens (PDFium writes a line-end hyphen as U+FFFE)."""
    return "".join(text.split()).lower().translate({ord(c): None for c in "-\ufffe"})


def click_citation(window: MainWindow, number: int) -> None:
    """Click source `number` of the last entry, as the conversation view delivers it."""
    entry_index = len(window.view.entries) - 1
    window.view.anchorClicked.emit(QUrl(citation_href(entry_index, number)))


def show_passage_as_answer(window: MainWindow, passage: Passage) -> None:
    """An answer bubble citing a passage the library found (for tests of the viewer alone)."""
    citation = CitationInfo(1, passage.document_name, passage.document_path, passage.page,
                            passage.similarity, passage.text, True, True, passage.char_start,
                            passage.char_end)
    window.view.add_entry(ChatEntry("assistant", "See [1].", (citation,)))


def united(rects: list[QRectF]) -> QRectF:
    total = QRectF()
    for rect in rects:
        total = total.united(rect)
    return total


def assert_highlight_is_the_passage(pane: PdfPane, page: int, passage: str) -> None:
    """The highlight is the passage's text on the page, found here by its first and last line.

    QtPdf's text of the page is searched for the passage's first and last lines as they are
    (no folding, unlike the viewer), and that stretch's bounds are QtPdf's selection of it:
    the highlighted rectangles lie inside those bounds and cover them.
    """
    view, document = pane.view, pane.document
    assert view.highlight_page == page and view.highlight_rects
    text = document.getAllText(page).text()
    lines = [line.strip() for line in passage.splitlines() if line.strip()]
    start = text.find(lines[0])
    end = text.find(lines[-1], start) + len(lines[-1])
    assert 0 <= start < end, "the passage's first and last lines are on the page"
    expected = united([polygon.boundingRect() for polygon in
                       document.getSelectionAtIndex(page, start, end - start).bounds()])
    highlight = united(view.highlight_rects)
    assert expected.adjusted(-1, -1, 1, 1).contains(highlight), (highlight, expected)
    assert highlight.adjusted(-1, -1, 1, 1).contains(expected), (highlight, expected)
    assert pane.span is not None
    shown = document.getSelectionAtIndex(page, pane.span.start, pane.span.length).text()
    assert folded(shown) == folded(passage)


def assert_in_view(view: HighlightView) -> None:
    shown = QRectF(view.horizontalScrollBar().value(), view.verticalScrollBar().value(),
                   view.viewport().width(), view.viewport().height())
    first = view.to_view(view.highlight_page, view.highlight_rects[0])
    assert shown.intersects(first), (shown, first)


@pytest.mark.slow
def test_a_pdf_citation_opens_the_page_with_the_passage_highlighted(
        open_window: OpenWindow, qtbot: QtBot, tmp_path: Path) -> None:
    pdf = tmp_path / "docs" / TRACEMONKEY.name
    pdf.parent.mkdir()
    shutil.copy(TRACEMONKEY, pdf)
    window = open_window(tmp_path / "data")
    window.resize(1400, 900)
    index(window, qtbot, pdf)

    with qtbot.waitSignal(window.asker.answer_finished, timeout=180_000) as finished:
        assert window.ask("What happens when a side exit becomes hot in TraceMonkey?")
    answer = finished.args[1]
    # The sources the answer was given are listed under it, cited or not: each is clickable.
    assert isinstance(answer, Answer) and answer.citations
    cited = next((c for c in answer.citations if c.cited), answer.citations[0])
    assert cited.passage.page is not None
    qtbot.waitUntil(lambda: not window.composer.busy, timeout=10_000)

    assert window.viewer_dock.isHidden()
    click_citation(window, cited.number)
    viewer = window.viewer_dock
    assert viewer.isVisible() and viewer.is_pdf and viewer.path == pdf.resolve()
    page = cited.passage.page - 1
    pane = viewer.pdf
    assert pane.current_page == page
    assert viewer.page_box.text() == f"p. {page + 1} of 14"
    assert pane.highlight_source == "text"
    assert_highlight_is_the_passage(pane, page, cited.passage.text)
    assert_in_view(pane.view)
    assert viewer.windowTitle().endswith(f"{pdf.name}, p. {page + 1}")

    # The page layout the highlight is painted with is QPdfView's own: the same scroll range.
    view = pane.view
    for mode, zoom in ((QPdfView.ZoomMode.FitToWidth, 1.0), (QPdfView.ZoomMode.Custom, 1.6)):
        view.setZoomMode(mode)
        view.setZoomFactor(zoom)
        qtbot.waitUntil(lambda: view.verticalScrollBar().maximum() == round(
            view.document_height() - view.viewport().height()), timeout=5_000)

    # Navigation, zoom and find.
    viewer.fit_action.trigger()
    viewer.next_action.trigger() if page < 13 else viewer.previous_action.trigger()
    moved = page + 1 if page < 13 else page - 1
    assert pane.current_page == moved and viewer.page_box.value() == moved + 1
    before = view.effective_zoom()
    viewer.zoom_in_action.trigger()
    assert view.effective_zoom() == pytest.approx(before * 1.25, rel=0.02)
    viewer.find_edit.setText("nested trace")
    count = viewer.find_next()
    assert count > 1 and viewer.find_label.text() == f"1 of {count}"
    first_page = pane.current_page
    viewer.find_next()
    assert viewer.find_label.text() == f"2 of {count}"
    assert pane.current_page >= first_page
    viewer.find_next(backward=True)
    assert viewer.find_label.text() == f"1 of {count}" and pane.current_page == first_page


@pytest.mark.slow
def test_a_markdown_citation_is_highlighted_in_the_text(open_window: OpenWindow, qtbot: QtBot,
                                                        tmp_path: Path,
                                                        super_bowl: Path) -> None:
    window = open_window(tmp_path / "data")
    index(window, qtbot, super_bowl)
    passage = window.workspace.library.search("Who won Super Bowl 50?", limit=1)[0]
    show_passage_as_answer(window, passage)
    click_citation(window, 1)
    viewer = window.viewer_dock
    assert viewer.isVisible() and not viewer.is_pdf and viewer.path == super_bowl.resolve()
    assert viewer.text.highlighted_text() == passage.text
    assert viewer.text.span is not None and viewer.text.span.exact
    assert viewer.text.edit.extraSelections()
    assert not viewer.page_box.isVisible()
    viewer.find_edit.setText("Broncos")
    assert viewer.find_next() > 1
    assert viewer.text.edit.textCursor().selectedText() == "Broncos"


@pytest.mark.slow
def test_an_encrypted_pdf_opens_with_the_password_it_was_indexed_with(
        open_window: OpenWindow, qtbot: QtBot, tmp_path: Path) -> None:
    pdf = tmp_path / "locked" / ENCRYPTED.name
    pdf.parent.mkdir()
    shutil.copy(ENCRYPTED, pdf)
    window = open_window(tmp_path / "data", start=False)
    with qtbot.waitSignal(window.indexer.busy_changed, timeout=90_000,
                          check_params_cb=lambda busy: not busy):
        window.unlock_documents({str(pdf.resolve()): ENCRYPTED_PASSWORD})
    library = window.workspace.library
    assert [r.status for r in library.documents()] == ["indexed"]
    assert library.passwords_for(pdf) == [ENCRYPTED_PASSWORD]
    data_files = sorted(p.name for p in (tmp_path / "data").rglob("*"))

    passage = library.search("pdf encryption test", limit=1)[0]
    show_passage_as_answer(window, passage)
    click_citation(window, 1)
    viewer = window.viewer_dock
    pane = viewer.pdf
    assert viewer.is_pdf and pane.document.status() == QPdfDocument.Status.Ready
    assert pane.document.pageCount() == 1 and viewer.path == pdf.resolve()
    assert_highlight_is_the_passage(pane, 0, passage.text)
    # The viewer read the file itself: nothing was written beside the library's data.
    assert sorted(p.name for p in (tmp_path / "data").rglob("*")) == data_files


def test_a_missing_file_shows_the_saved_passage(open_window: OpenWindow, tmp_path: Path) -> None:
    window = open_window(tmp_path / "data", start=False)
    messages: list[str] = []
    window.viewer_dock.message.connect(messages.append)
    gone = CitationInfo(2, "gone.pdf", tmp_path / "gone.pdf", 3, 0.5,
                        "The passage\nsaved with the answer.", True, True)
    assert not window.open_citation(gone)
    viewer = window.viewer_dock
    assert viewer.path is None and not viewer.external_action.isEnabled()
    assert viewer.text.edit.toPlainText() == "The passage saved with the answer."
    assert "gone.pdf cannot be shown: the file is no longer at this place" in \
        viewer.caption.text()
    assert messages == ["gone.pdf cannot be shown: the file is no longer at this place"]
    assert window.viewer_action.isChecked()
    window.viewer_action.trigger()
    assert viewer.isHidden()


def test_the_page_goes_into_the_url_only_where_the_opener_keeps_it(tmp_path: Path) -> None:
    pdf = tmp_path / "a report.pdf"
    assert external_url(pdf, 7, "win32").toString().endswith("a report.pdf#page=7")
    assert external_url(pdf, 7, "darwin").fragment() == "page=7"
    assert not external_url(pdf, 7, "linux").hasFragment()
    assert not external_url(tmp_path / "notes.md", None, "win32").hasFragment()
    assert external_url(pdf, 7, "linux").toLocalFile() == str(pdf)
