"""A PDF rendered by QtPdf, with a passage highlighted and find in document.

`HighlightView` is a `QPdfView` that paints the cited passage's rectangles over the pages.
QPdfView keeps its page layout private, so `page_rect` computes it the way QPdfView does
(pages stacked top to bottom, each centred, sized by the zoom mode); a test checks it
against the view's own scroll range. `PdfPane` owns the document, finds the passage in
QtPdf's text of the page (`documents.passage_span`, with QtPdf's search as the fallback)
and answers find in document through a `QPdfSearchModel`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtPdf import QPdfDocument, QPdfSearchModel
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QVBoxLayout, QWidget

from documents.passage_span import Span, locate_passage

log = logging.getLogger(__name__)

#: The passage's highlight: the accent colour, translucent so the text stays readable.
HIGHLIGHT = QColor(255, 214, 10, 110)
HIGHLIGHT_EDGE = QColor(230, 160, 0, 200)
#: Space left above the passage when it is scrolled into view, in pixels.
SCROLL_MARGIN = 48
#: Zoom steps and limits of the toolbar's zoom in / out.
ZOOM_STEP = 1.25
ZOOM_RANGE = (0.25, 6.0)
#: Words of the passage QtPdf's search looks for when the passage's text is not found.
FALLBACK_WORDS = 6

_PASSWORD_ERRORS = {QPdfDocument.Error.IncorrectPassword}


class HighlightView(QPdfView):
    """QPdfView (all pages, one under the other) that paints a highlight over one page."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("pdfView")
        self.setPageMode(QPdfView.PageMode.MultiPage)
        self.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.highlight_page = -1
        #: The passage's rectangles on `highlight_page`, in page points.
        self.highlight_rects: list[QRectF] = []
        self._target: tuple[int, QRectF] | None = None

    # -- geometry (QPdfView's own layout, recomputed) -----------------------------------------
    def _screen_resolution(self) -> float:
        screen = QGuiApplication.primaryScreen()
        return (screen.logicalDotsPerInch() if screen is not None else 72.0) / 72.0

    def _page_size(self, page: int) -> tuple[int, int]:
        document = self.document()
        points = document.pagePointSize(page)
        resolution = self._screen_resolution()
        width, height = round(points.width() * resolution), round(points.height() * resolution)
        if self.zoomMode() == QPdfView.ZoomMode.Custom:
            zoom = self.zoomFactor()
            return (round(points.width() * resolution * zoom),
                    round(points.height() * resolution * zoom))
        margins = self.documentMargins()
        factor = (self.viewport().width() - margins.left() - margins.right()) / max(width, 1)
        if self.zoomMode() == QPdfView.ZoomMode.FitInView:
            available = self.viewport().height() - margins.top() - margins.bottom()
            factor = min(factor, available / max(height, 1))
        return round(width * factor), round(height * factor)

    def page_rect(self, page: int) -> QRectF:
        """Where `page` lies in the scrolled document, in pixels."""
        document = self.document()
        if document is None or not 0 <= page < document.pageCount():
            return QRectF()
        margins = self.documentMargins()
        sizes = [self._page_size(index) for index in range(document.pageCount())]
        total_width = max(width for width, _ in sizes) + margins.left() + margins.right()
        top = margins.top() + sum(height + self.pageSpacing() for _, height in sizes[:page])
        width, height = sizes[page]
        left = (max(total_width, self.viewport().width()) - width) // 2
        return QRectF(left, top, width, height)

    def document_height(self) -> float:
        """The height QPdfView gives the whole document (its scroll range plus one view)."""
        document = self.document()
        count = document.pageCount() if document is not None else 0
        if not count:
            return 0.0
        last = self.page_rect(count - 1)
        return last.bottom() + self.pageSpacing() + self.documentMargins().bottom()

    def to_view(self, page: int, rect: QRectF) -> QRectF:
        """A rectangle in page points as pixels of the scrolled document."""
        area = self.page_rect(page)
        points = self.document().pagePointSize(page)
        sx = area.width() / max(points.width(), 1.0)
        sy = area.height() / max(points.height(), 1.0)
        return QRectF(area.left() + rect.left() * sx, area.top() + rect.top() * sy,
                      rect.width() * sx, rect.height() * sy)

    def effective_zoom(self) -> float:
        """The zoom as a factor of 100 % (fit-to-width computes one from the view's width)."""
        document = self.document()
        if document is None or document.pageCount() == 0:
            return self.zoomFactor()
        points = document.pagePointSize(0)
        return self.page_rect(0).width() / max(points.width() * self._screen_resolution(), 1.0)

    # -- highlight and scrolling --------------------------------------------------------------
    def set_highlight(self, page: int, rects: list[QRectF]) -> None:
        """Highlight `rects` (page points) on `page` and scroll them into view."""
        self.highlight_page = page
        self.highlight_rects = list(rects)
        united = QRectF()
        for rect in rects:
            united = united.united(rect)
        self._target = (page, united)
        self.scroll_to_target()
        self.viewport().update()

    def clear_highlight(self) -> None:
        self.highlight_page, self.highlight_rects, self._target = -1, [], None
        self.viewport().update()

    def go_to(self, page: int, rect: QRectF | None = None) -> None:
        """Scroll so that `rect` (page points), or the top of `page`, is near the top."""
        self._target = (page, rect if rect is not None else QRectF())
        self.scroll_to_target()

    def scroll_to_target(self) -> None:
        if self._target is None:
            return
        page, rect = self._target
        area = self.page_rect(page)
        if area.isNull():
            return
        y = area.top() if rect.isNull() else self.to_view(page, rect).top() - SCROLL_MARGIN
        self.verticalScrollBar().setValue(max(0, round(y)))
        if not rect.isNull():
            view = self.to_view(page, rect)
            if view.right() > self.viewport().width():
                self.horizontalScrollBar().setValue(round(view.left()) - SCROLL_MARGIN)

    def release_target(self) -> None:
        """The user moved the view: a later resize no longer scrolls back to the passage."""
        self._target = None

    # -- Qt events ------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        # The dock is often laid out after the passage was shown: keep it in view.
        self.scroll_to_target()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        if self.highlight_page < 0 or not self.highlight_rects:
            return
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(-self.horizontalScrollBar().value(),
                          -self.verticalScrollBar().value())
        painter.setPen(HIGHLIGHT_EDGE)
        painter.setBrush(HIGHLIGHT)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
        for rect in self.highlight_rects:
            painter.drawRoundedRect(self.to_view(self.highlight_page, rect).adjusted(-1, -1, 1, 1),
                                    2, 2)
        painter.end()


class PdfPane(QWidget):
    """One PDF: open it (with passwords), show a passage, navigate, zoom and find."""

    page_changed = Signal(int, int)
    """(current page, 0-based; page count)."""
    find_changed = Signal(int, int)
    """(current result, 0-based or -1; result count) of find in document."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = QPdfDocument(self)
        self.view = HighlightView(self)
        self.view.setDocument(self.document)
        self.search = QPdfSearchModel(self)
        self.search.setDocument(self.document)
        self.view.setSearchModel(self.search)
        self.path: Path | None = None
        #: How the passage was found: "text" (its text on the page), "search" (QtPdf's
        #: search for its first words) or "" (not found: the page is shown without it).
        self.highlight_source = ""
        #: The passage's span in QtPdf's text of its page, when its text was found there.
        self.span: Span | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        navigator = self.view.pageNavigator()
        navigator.currentPageChanged.connect(self._on_navigator_current_page_changed)
        self.view.verticalScrollBar().sliderPressed.connect(self.view.release_target)
        self.view.verticalScrollBar().valueChanged.connect(self._on_view_scrolled)

    # -- opening ------------------------------------------------------------------------------
    def open(self, path: Path, passwords: list[str]) -> QPdfDocument.Error:
        """Load `path`, trying each password; the document's error (None_ when it opened)."""
        self.view.clear_highlight()
        self.span = None
        self.search.setSearchString("")
        error = QPdfDocument.Error.None_
        for password in [*passwords, ""] if passwords else [""]:
            self.document.close()
            self.document.setPassword(password)
            error = self.document.load(str(path))
            if error not in _PASSWORD_ERRORS:
                break
        self.path = path if error == QPdfDocument.Error.None_ else None
        if self.path is not None:
            self.page_changed.emit(0, self.document.pageCount())
        return error

    @property
    def page_count(self) -> int:
        return self.document.pageCount() if self.path is not None else 0

    @property
    def current_page(self) -> int:
        return self.view.pageNavigator().currentPage()

    # -- the passage ----------------------------------------------------------------------------
    def show_passage(self, page: int, passage: str, hint: tuple[int, int] | None = None) -> bool:
        """Go to `page` (0-based) and highlight `passage` there; False when it was not found.

        The passage's text is found in QtPdf's text of the page and selected by character
        index; when its text is not found there, QtPdf's search for its first words is.
        """
        if not 0 <= page < self.page_count:
            return False
        text = self.document.getAllText(page).text()
        span = self.span = locate_passage(text, passage, hint, None)
        rects: list[QRectF] = []
        if span is not None:
            selection = self.document.getSelectionAtIndex(page, span.start, span.length)
            rects = [polygon.boundingRect() for polygon in selection.bounds()]
            self.highlight_source = "text" if rects else ""
        if not rects:
            rects = self._search_rects(page, passage)
            self.highlight_source = "search" if rects else ""
        if rects:
            self.view.set_highlight(page, rects)
        else:
            self.view.clear_highlight()
            self.view.go_to(page)
        self._jump_navigator(page)
        return bool(rects)

    def _search_rects(self, page: int, passage: str) -> list[QRectF]:
        words = re.findall(r"\S+", passage)[:FALLBACK_WORDS]
        if not words:
            return []
        probe = QPdfSearchModel(self)
        probe.setDocument(self.document)
        probe.setSearchString(" ".join(words))
        results = probe.resultsOnPage(page)
        probe.deleteLater()
        return list(results[0].rectangles()) if results else []

    # -- navigation and zoom --------------------------------------------------------------------
    def go_to_page(self, page: int) -> None:
        if 0 <= page < self.page_count:
            self.view.go_to(page)
            self._jump_navigator(page)

    def zoom_by(self, factor: float) -> None:
        low, high = ZOOM_RANGE
        zoom = min(high, max(low, self.view.effective_zoom() * factor))
        page = self.current_page
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(zoom)
        self.view.go_to(page)

    def fit_width(self) -> None:
        page = self.current_page
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.go_to(page)

    def _jump_navigator(self, page: int) -> None:
        navigator = self.view.pageNavigator()
        if navigator.currentPage() != page:
            navigator.update(page, QPointF(), navigator.currentZoom())

    def _on_view_scrolled(self, value: int) -> None:
        """The page at the top third of the view is the current one (QPdfView does not say
        so when it is scrolled by its scroll bar or by a resize)."""
        probe = value + self.view.viewport().height() / 3
        for page in range(self.page_count):
            if self.view.page_rect(page).bottom() + self.view.pageSpacing() >= probe:
                self._jump_navigator(page)
                return

    def _on_navigator_current_page_changed(self, page: int) -> None:
        self.page_changed.emit(page, self.page_count)

    # -- find in document -------------------------------------------------------------------------
    def find_text(self, text: str, backward: bool = False) -> int:
        """Go to the next (or previous) match of `text`; the number of matches."""
        if text != self.search.searchString():
            self.search.setSearchString(text)
            self.view.setCurrentSearchResultIndex(-1)
        count = self._count_results()
        if not count:
            self.find_changed.emit(-1, 0)
            return 0
        current = self.view.currentSearchResultIndex()
        index = (current - 1 if backward else current + 1) % count if current >= 0 else (
            count - 1 if backward else 0)
        self.view.setCurrentSearchResultIndex(index)
        result = self.search.resultAtIndex(index)
        rects = result.rectangles()
        self.view.release_target()
        self.view.go_to(result.page(), rects[0] if rects else None)
        self._jump_navigator(result.page())
        self.find_changed.emit(index, count)
        return count

    def _count_results(self) -> int:
        """Every page's results: searched page by page now, so the count is complete."""
        return sum(len(self.search.resultsOnPage(page)) for page in range(self.page_count))
