"""A text or Markdown file, read-only, with a passage highlighted and find in document.

The file is read the way the library read it when indexing (`extract_pages`, then
`sanitize`), so a chunk's character span points at the same characters here. Markdown is
shown as its source: the span is in the source, and what was indexed is the source too.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from documents.errors import DocumentError
from documents.extract import extract_pages
from documents.passage_span import Span, locate_passage
from documents.sanitize import sanitize

#: The passage's background: the same yellow as the PDF highlight.
HIGHLIGHT = QColor(255, 226, 110)

#: Lines that start a block of their own in Markdown or plain text: never joined to the last.
_BLOCK_START = re.compile(r"^\s*(#{1,6}\s|[-*+]\s|\d+[.)]\s|>|\||```)")
#: Lines that nothing is joined to: headings, table rows, code fences.
_BLOCK_WHOLE = re.compile(r"^\s*(#{1,6}\s|\||```)")


def reflow(text: str) -> str:
    """Join a passage's hard-wrapped lines into paragraphs, so the view can wrap them.

    Used for the passage saved with an answer when its file is gone. Blank lines, headings,
    list items, quotes and tables stay as they are.
    """
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        joinable = (stripped and lines and lines[-1].strip()
                    and not _BLOCK_START.match(line) and not _BLOCK_WHOLE.match(lines[-1])
                    and not lines[-1].endswith("  "))
        if joinable:
            lines[-1] = f"{lines[-1].rstrip()} {stripped}"
        else:
            lines.append(line.rstrip())
    return "\n".join(lines)


def read_text(path: Path) -> str:
    """The file's text as the library indexed it; raises DocumentError with the reason."""
    pages = extract_pages(path)
    return sanitize(pages[0].text) if pages else ""


class TextPane(QWidget):
    """A read-only text view; `show_passage` selects, highlights and scrolls to a span."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QPlainTextEdit(self)
        self.edit.setObjectName("viewerText")
        self.edit.setReadOnly(True)
        self.path: Path | None = None
        self.span: Span | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)

    def open(self, path: Path) -> DocumentError | None:
        """Show the file at `path`; the reason it cannot be read, if so."""
        try:
            text = read_text(path)
        except DocumentError as error:
            self.path = None
            return error
        self.path = path
        self.span = None
        self.edit.setExtraSelections([])
        self.edit.setPlainText(text)
        return None

    def show_text(self, text: str) -> None:
        """Show `text` that is not a file (the passage saved with an answer)."""
        self.path = None
        self.span = None
        self.edit.setExtraSelections([])
        self.edit.setPlainText(reflow(text))

    def show_passage(self, passage: str, hint: tuple[int, int] | None = None) -> bool:
        """Highlight `passage` and scroll to it; False when it is not in the text."""
        text = self.edit.toPlainText()
        self.span = locate_passage(text, passage, hint, len(text) if hint else None)
        if self.span is None:
            self.edit.setExtraSelections([])
            return False
        cursor = QTextCursor(self.edit.document())
        cursor.setPosition(self.span.start)
        cursor.setPosition(self.span.end, QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        style = QTextCharFormat()
        style.setBackground(HIGHLIGHT)
        selection.format = style
        self.edit.setExtraSelections([selection])
        # Show the end first, then the start: the passage's top lands in view.
        end = QTextCursor(self.edit.document())
        end.setPosition(self.span.end)
        self.edit.setTextCursor(end)
        self.edit.ensureCursorVisible()
        start = QTextCursor(self.edit.document())
        start.setPosition(self.span.start)
        self.edit.setTextCursor(start)
        self.edit.ensureCursorVisible()
        return True

    def highlighted_text(self) -> str:
        if self.span is None:
            return ""
        return self.edit.toPlainText()[self.span.start:self.span.end]

    def find_text(self, text: str, backward: bool = False) -> int:
        """Select the next (or previous) match of `text`, wrapping; the number of matches."""
        document = self.edit.document()
        count = 0
        cursor = document.find(text, 0)
        while not cursor.isNull() and text:
            count += 1
            cursor = document.find(text, cursor)
        if not count:
            return 0
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        if not self.edit.find(text, flags):
            wrap = QTextCursor(document)
            if backward:
                wrap.movePosition(QTextCursor.MoveOperation.End)
            self.edit.setTextCursor(wrap)
            self.edit.find(text, flags)
        return count
