"""The passage behind a citation: its file, page and similarity, and a way to open the file.

"Open file" hands a local file URL to the desktop, never any other kind of URL: a cited
path comes from the library, but the check costs nothing and keeps the promise obvious.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRegularExpression, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.transcript import CitationInfo
from inference.quote_check import Quote

#: Lines that start a block of their own in Markdown or plain text: never joined to the last.
_BLOCK_START = re.compile(r"^\s*(#{1,6}\s|[-*+]\s|\d+[.)]\s|>|\||```)")
#: Lines that nothing is joined to: headings, table rows, code fences.
_BLOCK_WHOLE = re.compile(r"^\s*(#{1,6}\s|\||```)")


def reflow(text: str) -> str:
    """Join a passage's hard-wrapped lines into paragraphs, so the dialog can wrap them.

    Files are often wrapped at 80-100 columns; shown as they are in a narrower box, every
    line breaks twice. Blank lines, headings, list items, quotes and tables stay as they are.
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


def local_file_url(citation: CitationInfo) -> QUrl | None:
    """A file:// URL for the cited document if it is an existing local file, else None."""
    path = citation.path
    if not path.is_absolute() or not path.is_file():
        return None
    url = QUrl.fromLocalFile(str(path))
    return url if url.isLocalFile() else None


class CitationDialog(QDialog):
    """Shows one cited passage; non-modal, so the answer stays readable beside it."""

    def __init__(self, citation: CitationInfo, parent: QWidget | None = None,
                 quote: Quote | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("citationDialog")
        self.setWindowTitle(f"Source [{citation.number}]: {citation.location}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(620, 440)
        self.citation = citation

        title = QLabel(f"[{citation.number}]  {citation.location}", self)
        title.setObjectName("dialogTitle")
        title.setTextFormat(Qt.TextFormat.PlainText)
        details = [str(citation.path)]
        if citation.similarity is not None:
            details.append(f"similarity {citation.similarity:.2f}")
        details.append("cited in the answer" if citation.cited else "shown to the model, not cited")
        meta = QLabel(" · ".join(details), self)
        meta.setObjectName("dialogMeta")
        meta.setTextFormat(Qt.TextFormat.PlainText)
        meta.setWordWrap(True)
        meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.passage = QPlainTextEdit(self)
        self.passage.setObjectName("passageText")
        self.passage.setReadOnly(True)
        text = reflow(citation.text)
        self.passage.setPlainText(text if citation.complete else f"{text}…")
        if quote is not None:
            self._select(quote.text)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(meta)
        layout.addWidget(self.passage, 1)
        if not citation.complete:
            note = QLabel("Only the start of this passage was saved with the answer.", self)
            note.setObjectName("dialogMeta")
            layout.addWidget(note)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.open_button = QPushButton("Open file", self)
        self._url = local_file_url(citation)
        self.open_button.setEnabled(self._url is not None)
        if self._url is None:
            self.open_button.setToolTip("The file is no longer at this path")
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        layout.addWidget(buttons)

    def _select(self, quote: str) -> None:
        """Select the quote's words (the passage is reflowed, so spaces may differ)."""
        words = [QRegularExpression.escape(word) for word in quote.split()]
        found = self.passage.document().find(QRegularExpression(r"\s+".join(words)))
        if not found.isNull():
            self.passage.setTextCursor(found)
            self.passage.centerCursor()

    def _on_open_button_clicked(self) -> None:
        if self._url is not None:
            QDesktopServices.openUrl(self._url)
