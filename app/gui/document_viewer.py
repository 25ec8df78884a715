"""The document viewer: a dock beside the conversation that shows a citation in its file.

A click on a citation opens its file at the cited page, scrolled to the passage, with the
passage highlighted: PDFs through QtPdf (`pdf_pane`), text and Markdown in a read-only text
view (`text_pane`). The toolbar has page navigation, zoom, find in document and "Open in
default app". An encrypted PDF opens with the passwords the library used to index it
(`password_source`), read from the file itself; nothing is copied out of Enclave's store.
When the file is gone, the passage saved with the answer is shown instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import (
    QDockWidget,
    QInputDialog,
    QLabel,
    QLineEdit,
    QSpinBox,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.gui.pdf_pane import ZOOM_STEP, PdfPane
from app.gui.text_pane import TextPane
from app.gui.transcript import CitationInfo
from documents.extract import PDF_SUFFIXES

PasswordSource = Callable[[Path], list[str]]

#: Why QtPdf could not open a file, in a user's words.
_PDF_ERRORS = {
    QPdfDocument.Error.FileNotFound: "the file is no longer there",
    QPdfDocument.Error.InvalidFileFormat: "it is damaged or not a PDF Enclave can show",
    QPdfDocument.Error.IncorrectPassword: "it needs a password, and the one given is wrong",
    QPdfDocument.Error.UnsupportedSecurityScheme: "it is protected in a way Enclave cannot open",
    QPdfDocument.Error.DataNotYetAvailable: "it could not be read",
    QPdfDocument.Error.Unknown: "it could not be read",
}


def external_url(path: Path, page: int | None, platform: str = sys.platform) -> QUrl:
    """The URL handed to the desktop's default app, with ``#page=N`` where that works.

    Windows passes a file URL with a fragment to its handler as it is, and PDF readers that
    understand ``#page`` open there; on Linux the URL goes through ``gio``/``xdg-open``,
    which refuse a local file URL containing ``#``, so the page is left out there.
    """
    url = QUrl.fromLocalFile(str(path))
    if page is not None and path.suffix.lower() in PDF_SUFFIXES and \
            not platform.startswith("linux"):
        url.setFragment(f"page={page}")
    return url


class DocumentViewer(QDockWidget):
    """The viewer dock. `show_citation` opens a citation; `message` carries status lines."""

    message = Signal(str)
    """A line for the status bar (what was opened, or why it could not be)."""

    def __init__(self, password_source: PasswordSource, parent: QWidget | None = None) -> None:
        super().__init__("Source", parent)
        self.setObjectName("documentViewer")
        self.setAllowedAreas(Qt.DockWidgetArea.RightDockWidgetArea
                             | Qt.DockWidgetArea.LeftDockWidgetArea)
        self._password_source = password_source
        #: Passwords the user typed in this session (files indexed before it).
        self._given_passwords: dict[Path, str] = {}
        self.citation: CitationInfo | None = None
        self.path: Path | None = None

        self.pdf = PdfPane(self)
        self.text = TextPane(self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.pdf)
        self.stack.addWidget(self.text)
        self.caption = QLabel(self)
        self.caption.setObjectName("viewerCaption")
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setWordWrap(True)

        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._build_toolbar(body))
        layout.addWidget(self.caption)
        layout.addWidget(self.stack, 1)
        self.setWidget(body)

        self.pdf.page_changed.connect(self._on_pdf_page_changed)
        self._update_controls()

    def _build_toolbar(self, parent: QWidget) -> QToolBar:
        bar = QToolBar(parent)
        bar.setObjectName("viewerToolbar")
        self.previous_action = bar.addAction("‹")
        self.previous_action.setToolTip("Previous page")
        self.previous_action.triggered.connect(lambda: self._step_page(-1))
        self.page_box = QSpinBox(bar)
        self.page_box.setObjectName("viewerPage")
        self.page_box.setPrefix("p. ")
        self.page_box.setKeyboardTracking(False)
        self.page_box.valueChanged.connect(self._on_page_box_value_changed)
        bar.addWidget(self.page_box)
        self.next_action = bar.addAction("›")
        self.next_action.setToolTip("Next page")
        self.next_action.triggered.connect(lambda: self._step_page(1))
        bar.addSeparator()
        self.zoom_out_action = bar.addAction("−")
        self.zoom_out_action.setToolTip("Zoom out")
        self.zoom_out_action.setShortcut(QKeySequence.StandardKey.ZoomOut)
        self.zoom_out_action.triggered.connect(lambda: self.pdf.zoom_by(1 / ZOOM_STEP))
        self.fit_action = bar.addAction("Fit")
        self.fit_action.setToolTip("Fit the page to the width of the viewer")
        self.fit_action.triggered.connect(self.pdf.fit_width)
        self.zoom_in_action = bar.addAction("+")
        self.zoom_in_action.setToolTip("Zoom in")
        self.zoom_in_action.setShortcut(QKeySequence.StandardKey.ZoomIn)
        self.zoom_in_action.triggered.connect(lambda: self.pdf.zoom_by(ZOOM_STEP))
        bar.addSeparator()
        self.find_edit = QLineEdit(bar)
        self.find_edit.setObjectName("viewerFind")
        self.find_edit.setPlaceholderText("Find in document")
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.setMaximumWidth(180)
        self.find_edit.returnPressed.connect(lambda: self.find_next())
        bar.addWidget(self.find_edit)
        self.find_previous_action = bar.addAction("↑")
        self.find_previous_action.setToolTip("Previous match")
        self.find_previous_action.triggered.connect(lambda: self.find_next(backward=True))
        self.find_next_action = bar.addAction("↓")
        self.find_next_action.setToolTip("Next match")
        self.find_next_action.triggered.connect(lambda: self.find_next())
        self.find_label = QLabel(bar)
        self.find_label.setObjectName("viewerFindCount")
        bar.addWidget(self.find_label)
        bar.addSeparator()
        self.external_action = bar.addAction("Open in app")
        self.external_action.setToolTip("Open the file in your computer's default app")
        self.external_action.triggered.connect(self.open_in_default_app)
        return bar

    # -- public API ---------------------------------------------------------------------------
    @property
    def is_pdf(self) -> bool:
        return self.stack.currentWidget() is self.pdf and self.pdf.path is not None

    def show_citation(self, citation: CitationInfo) -> bool:
        """Open the citation's file at its passage, highlighted; False when not found there.

        A file that is gone or cannot be shown is said so, and the passage saved with the
        answer is shown instead.
        """
        self.citation = citation
        self.setWindowTitle(f"Source [{citation.number}]: {citation.location}")
        self.show()
        self.raise_()
        path = citation.path
        hint = (citation.char_start, citation.char_end) \
            if citation.char_start is not None and citation.char_end is not None else None
        if not path.is_absolute() or not path.is_file():
            return self._show_saved_passage(citation, "the file is no longer at this place")
        if path.suffix.lower() in PDF_SUFFIXES:
            problem = self._open_pdf(path)
            if problem is not None:
                return self._show_saved_passage(citation, problem)
            page = (citation.page or 1) - 1
            found = self.pdf.show_passage(page, citation.text, hint)
        else:
            error = self.text.open(path)
            if error is not None:
                return self._show_saved_passage(citation, error.reason)
            self.stack.setCurrentWidget(self.text)
            found = self.text.show_passage(citation.text, hint)
        self.path = path
        self._set_caption(citation, "" if found else
                          "The passage was not found in the file as it is now; "
                          "it may have changed since it was indexed.")
        self._update_controls()
        return found

    def find_next(self, backward: bool = False) -> int:
        """Find the find box's text in the document; the number of matches."""
        text = self.find_edit.text()
        if not text or self.path is None:
            self.find_label.clear()
            return 0
        if self.is_pdf:
            count = self.pdf.find_text(text, backward)
            index = self.pdf.view.currentSearchResultIndex()
            self.find_label.setText(f"{index + 1} of {count}" if count else "no match")
        else:
            count = self.text.find_text(text, backward)
            self.find_label.setText(f"{count} found" if count else "no match")
        return count

    def open_in_default_app(self) -> bool:
        """Hand the file to the desktop's default app, at the shown page where possible."""
        if self.path is None:
            return False
        page = self.pdf.current_page + 1 if self.is_pdf else None
        url = external_url(self.path, page)
        if QDesktopServices.openUrl(url):
            note = "" if page is None or url.hasFragment() else f"; go to page {page} there"
            self.message.emit(f"Opened {self.path.name} in your default app{note}")
            return True
        self.message.emit(f"Could not open {self.path.name}: no app on this computer is set "
                          f"to open {self.path.suffix or 'such'} files")
        return False

    # -- helpers --------------------------------------------------------------------------------
    def _open_pdf(self, path: Path) -> str | None:
        """Load a PDF with the passwords known for it (asking when none works); the problem."""
        try:
            known = self._password_source(path)
        except Exception:  # no library (missing embedder): the user can still type it
            known = []
        if path in self._given_passwords:
            known = [*known, self._given_passwords[path]]
        error = self.pdf.open(path, known)
        while error == QPdfDocument.Error.IncorrectPassword:
            password, given = QInputDialog.getText(
                self, "Password needed",
                f"{path.name} is protected by a password. Type it to view the file:",
                QLineEdit.EchoMode.Password)
            if not given:
                return "it needs a password"
            error = self.pdf.open(path, [password])
            if error == QPdfDocument.Error.None_:
                self._given_passwords[path] = password
        if error != QPdfDocument.Error.None_:
            return _PDF_ERRORS.get(error, "it could not be read")
        self.stack.setCurrentWidget(self.pdf)
        return None

    def _show_saved_passage(self, citation: CitationInfo, problem: str) -> bool:
        self.path = None
        self.stack.setCurrentWidget(self.text)
        self.text.show_text(citation.text if citation.complete else f"{citation.text}…")
        self._set_caption(citation, f"{citation.file} cannot be shown: {problem}. "
                                    "This is the passage saved with the answer.")
        self.message.emit(f"{citation.file} cannot be shown: {problem}")
        self._update_controls()
        return False

    def _set_caption(self, citation: CitationInfo, note: str) -> None:
        details = [f"[{citation.number}] {citation.location}"]
        if citation.similarity is not None:
            details.append(f"similarity {citation.similarity:.2f}")
        details.append("cited in the answer" if citation.cited else "shown to the model")
        self.caption.setText(" · ".join(details) + (f"\n{note}" if note else ""))
        self.caption.setToolTip(str(citation.path))

    def _update_controls(self) -> None:
        pdf = self.is_pdf
        for action in (self.previous_action, self.next_action, self.zoom_in_action,
                       self.zoom_out_action, self.fit_action):
            action.setEnabled(pdf)
        self.page_box.setEnabled(pdf)
        self.page_box.setVisible(pdf)
        self.find_edit.setEnabled(self.path is not None)
        self.external_action.setEnabled(self.path is not None)
        self.find_label.clear()
        if pdf:
            self._on_pdf_page_changed(self.pdf.current_page, self.pdf.page_count)

    def _step_page(self, step: int) -> None:
        self.pdf.view.release_target()
        self.pdf.go_to_page(self.pdf.current_page + step)

    def _on_page_box_value_changed(self, value: int) -> None:
        if self.is_pdf and value - 1 != self.pdf.current_page:
            self.pdf.view.release_target()
            self.pdf.go_to_page(value - 1)

    def _on_pdf_page_changed(self, page: int, count: int) -> None:
        with QSignalBlocker(self.page_box):
            self.page_box.setRange(1, max(count, 1))
            self.page_box.setSuffix(f" of {count}")
            self.page_box.setValue(page + 1)
        self.previous_action.setEnabled(self.is_pdf and page > 0)
        self.next_action.setEnabled(self.is_pdf and page + 1 < count)
