"""The conversation: question and answer bubbles, sources and the answer being written.

`SafeTextBrowser` never loads anything that is not local and never follows a link by itself;
`ConversationView` draws `ChatEntry` bubbles and turns clicks on ``[n]`` into a signal.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, QUrl, Signal
from PySide6.QtGui import QIcon, QTextCursor, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from app.gui import message_html
from app.gui.resources import icon_path
from app.gui.transcript import ChatEntry, CitationInfo

_LOCAL_SCHEMES = frozenset({"", "file", "qrc"})


class SafeTextBrowser(QTextBrowser):
    """A QTextBrowser that fetches no remote resource and opens no link on its own.

    The Markdown renderer already removes images; this is the second wall: whatever HTML
    reaches the widget, a remote URL is answered with nothing. `blocked_resources` keeps the
    refused URLs so a test (or a curious developer) can see that one was asked for.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setAcceptDrops(False)
        self.blocked_resources: list[QUrl] = []

    def loadResource(self, type: int, name: QUrl | str) -> Any:  # noqa: N802 (Qt's names)
        url = QUrl(name)
        if url.scheme().lower() not in _LOCAL_SCHEMES or url.host():
            self.blocked_resources.append(url)
            return None
        return super().loadResource(type, url)


class ConversationView(SafeTextBrowser):
    """Draws one conversation; the answer being written is redrawn in place as text arrives.

    Finished bubbles are laid out once; a live update replaces only the text after
    `_live_start`, so a long conversation does not get re-laid out for every batch of tokens.
    """

    citation_activated = Signal(object)
    """A source anchor was clicked: carries the `CitationInfo`."""
    quote_activated = Signal(object, object)
    """A checked sentence was clicked: carries the `CitationInfo` of its source and the
    `Quote` (the span of that source's passage that supports it)."""
    link_activated = Signal(QUrl)
    """Any other link was clicked; the view itself never opens it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationView")
        self.document().setDefaultStyleSheet(message_html.DOCUMENT_CSS)
        self.document().setDocumentMargin(18)
        logo = QIcon(str(icon_path("enclave"))).pixmap(QSize(112, 112)).toImage()
        self.document().addResource(QTextDocument.ResourceType.ImageResource.value,
                                    QUrl(message_html.LOGO_URL), logo)
        self._entries: list[ChatEntry] = []
        #: Entries whose coverage line is expanded into the files of each bucket.
        self._expanded: set[int] = set()
        self._document_count = 0
        self._live_start: int | None = None
        self.anchorClicked.connect(self._on_self_anchor_clicked)
        self._redraw()

    @property
    def entries(self) -> list[ChatEntry]:
        return list(self._entries)

    @property
    def is_live(self) -> bool:
        return self._live_start is not None

    def set_document_count(self, count: int) -> None:
        """The empty state's hint depends on whether there is anything to ask about."""
        changed = count != self._document_count
        self._document_count = count
        if changed and not self._entries and self._live_start is None:
            self._redraw()

    def show_entries(self, entries: list[ChatEntry]) -> None:
        self._entries = list(entries)
        self._expanded.clear()
        self._live_start = None
        self._redraw()
        self._scroll_to_end()

    def add_entry(self, entry: ChatEntry) -> None:
        """Append a finished bubble (ends the live one, if any)."""
        self._entries.append(entry)
        self._live_start = None
        self._redraw()
        self._scroll_to_end()

    def begin_live(self, status: str) -> None:
        """Start the bubble of an answer being written, showing `status` until text arrives."""
        if not self._entries:
            self._redraw(with_entries_only=True)
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self._live_start = cursor.position()
        self.update_live("", status)
        self._scroll_to_end()

    def update_live(self, text: str, status: str = "") -> None:
        if self._live_start is None:
            return
        at_end = self._is_scrolled_to_end()
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.setPosition(self._live_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        cursor.insertHtml(message_html.live_html(text, status))
        cursor.endEditBlock()
        if at_end:
            self._scroll_to_end()

    def end_live(self) -> None:
        """Drop the live bubble without adding an entry (the caller adds the finished one)."""
        if self._live_start is not None:
            self._live_start = None
            self._redraw()

    def _redraw(self, with_entries_only: bool = False) -> None:
        if not self._entries and not with_entries_only:
            self.setHtml(message_html.empty_html(self._document_count))
            return
        self.setHtml("".join(message_html.entry_html(entry, index, index in self._expanded)
                             for index, entry in enumerate(self._entries)))

    def toggle_coverage(self, entry_index: int) -> None:
        """Show or hide the files behind a whole-collection answer's coverage line."""
        self._expanded ^= {entry_index}
        if self._live_start is None:
            bar = self.verticalScrollBar()
            position = bar.value()
            self._redraw()
            bar.setValue(position)

    def _is_scrolled_to_end(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 8

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def citation(self, entry_index: int, number: int) -> CitationInfo | None:
        if not 0 <= entry_index < len(self._entries):
            return None
        for citation in self._entries[entry_index].citations:
            if citation.number == number:
                return citation
        return None

    def _on_self_anchor_clicked(self, url: QUrl) -> None:
        quoted = message_html.parse_quote_href(url.toString())
        if quoted is not None:
            self._activate_quote(*quoted)
            return
        coverage = message_html.parse_coverage_href(url.toString())
        if coverage is not None:
            self.toggle_coverage(coverage)
            return
        target = message_html.parse_citation_href(url.toString())
        if target is None:
            self.link_activated.emit(url)
            return
        citation = self.citation(*target)
        if citation is not None:
            self.citation_activated.emit(citation)

    def _activate_quote(self, entry_index: int, sentence: int) -> None:
        if not 0 <= entry_index < len(self._entries):
            return
        check = self._entries[entry_index].check
        quote = check[sentence].quote if 0 <= sentence < len(check) else None
        citation = None if quote is None else self.citation(entry_index, quote.source)
        if citation is not None:
            self.quote_activated.emit(citation, quote)
