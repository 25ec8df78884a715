"""Where questions are typed: Enter sends, Shift+Enter starts a new line, Send turns into Stop.

The composer knows nothing of models; it emits what the user asked for and is told by the
window when an answer is being written. Its "Whole collection" toggle sends the question to
every file instead of the nearest passages; it switches itself on while the question reads
as one across documents (the rule of inference/collection_scope.py) and says so, until the
user sets it by hand.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from inference.collection_scope import whole_collection_kind

_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_MANUAL_TIP = ("Ask every file in the library and combine their parts, with the coverage "
               "shown (for list, count, summarise and compare questions)")


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
    """A question for a normal answer from the nearest passages."""
    collection_question_submitted = Signal(str)
    """A question to ask of every file (the "Whole collection" toggle was on)."""
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
        self.whole_collection = QCheckBox("Whole collection", self)
        self.whole_collection.setObjectName("wholeCollectionToggle")
        self.whole_collection.setToolTip(_MANUAL_TIP)
        side = QVBoxLayout()
        side.setSpacing(4)
        side.addWidget(self.button, 1)
        side.addWidget(self.whole_collection)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.edit, 1)
        layout.addLayout(side)
        self.setFixedHeight(84)
        self._busy = False
        #: The user's own choice, which the rule no longer overrides until the next question.
        self._chosen: bool | None = None
        self.edit.submitted.connect(self._on_edit_submitted)
        self.button.clicked.connect(self._on_button_clicked)
        self.edit.textChanged.connect(self._on_edit_text_changed)
        self.whole_collection.clicked.connect(self._on_whole_collection_clicked)

    @property
    def auto_switched(self) -> bool:
        """Whether the toggle is on because the rule picked it, not the user."""
        return self._chosen is None and self.whole_collection.isChecked()

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
        whole = self.whole_collection.isChecked()
        self._chosen = None
        self.edit.clear()
        if whole:
            self.collection_question_submitted.emit(question)
        else:
            self.question_submitted.emit(question)

    def _on_edit_text_changed(self) -> None:
        if self._chosen is not None:
            return
        kind = whole_collection_kind(self.edit.toPlainText())
        self.whole_collection.setChecked(kind is not None)
        self.whole_collection.setText("Whole collection (auto)" if kind else "Whole collection")
        self.whole_collection.setToolTip(
            _MANUAL_TIP if kind is None else
            f"This reads as a {kind.value} question across documents, so every file will be "
            "asked. Click to ask only the nearest passages instead.")

    def _on_whole_collection_clicked(self, checked: bool) -> None:
        self._chosen = checked
        self.whole_collection.setText("Whole collection")
        self.whole_collection.setToolTip(_MANUAL_TIP)

    def _on_edit_submitted(self) -> None:
        self._submit()

    def _on_button_clicked(self) -> None:
        if self._busy:
            self.stop_requested.emit()
        else:
            self._submit()
