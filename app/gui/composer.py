"""Where questions are typed: Enter sends, Shift+Enter starts a new line, Send turns into Stop.

The composer knows nothing of models; it emits what the user asked for and is told by the
window when an answer is being written.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QSizePolicy, QWidget

_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class QuestionEdit(QPlainTextEdit):
    """A multi-line edit whose plain Enter submits instead of breaking the line."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("questionEdit")
        self.setPlaceholderText("Ask a question about your documents…  "
                                "(Enter sends, Shift+Enter for a new line)")
        self.setTabChangesFocus(True)
        self.setAcceptDrops(False)  # dropped files go to the window, which indexes them

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() in _ENTER_KEYS and not (
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            event.accept()
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    """The question box and its Send/Stop button."""

    question_submitted = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.edit = QuestionEdit(self)
        self.button = QPushButton("Send", self)
        self.button.setObjectName("sendButton")
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.button.setMinimumWidth(88)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.setFixedHeight(84)
        self._busy = False
        self.edit.submitted.connect(self._on_edit_submitted)
        self.button.clicked.connect(self._on_button_clicked)

    @property
    def busy(self) -> bool:
        return self._busy

    def set_busy(self, busy: bool) -> None:
        """While an answer is written the button stops it, and Enter sends nothing."""
        self._busy = busy
        self.button.setText("Stop" if busy else "Send")
        self.button.setProperty("stop", busy)
        self.button.setToolTip("Stop the answer; the text so far is kept" if busy
                               else "Send the question (Enter)")
        style = self.button.style()
        style.unpolish(self.button)
        style.polish(self.button)
        if not busy:
            self.edit.setFocus()

    def _submit(self) -> None:
        question = self.edit.toPlainText().strip()
        if self._busy or not question:
            return
        self.edit.clear()
        self.question_submitted.emit(question)

    def _on_edit_submitted(self) -> None:
        self._submit()

    def _on_button_clicked(self) -> None:
        if self._busy:
            self.stop_requested.emit()
        else:
            self._submit()
