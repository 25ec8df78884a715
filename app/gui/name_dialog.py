"""A small dialog asking for a name, that says what is wrong with it while the user types.

The check is handed in (e.g. `Collections.check_name`): it returns the name as it would be
kept, or raises an `InvalidInputError` whose message says why it cannot be used. OK is
enabled only for a usable name that differs from the one the dialog started with, so an
accepted dialog always asks for a change.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from documents.errors import InvalidInputError

#: Returns the name as it would be kept, or raises InvalidInputError saying why it cannot be.
CheckName = Callable[[str], str]


class NameDialog(QDialog):
    """"Rename collection": a prompt, a line edit, the problem with the name, OK/Cancel."""

    def __init__(self, title: str, prompt: str, check: CheckName, name: str = "",
                 ok_text: str = "OK", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nameDialog")
        self.setWindowTitle(title)
        self.setMinimumWidth(400)
        self._check = check
        self._initial = name
        label = QLabel(prompt, self)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        self.edit = QLineEdit(name, self)
        self.edit.setObjectName("nameEdit")
        self.edit.selectAll()
        self.problem = QLabel(self)
        self.problem.setObjectName("nameProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        # A line kept for it, so the dialog does not jump as the user types.
        self.problem.setMinimumHeight(self.problem.fontMetrics().lineSpacing())
        # Text buttons, no style icons: like the app's other dialogs.
        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.edit.textChanged.connect(self._on_edit_text_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(8)
        layout.addWidget(label)
        layout.addWidget(self.edit)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._on_edit_text_changed(name)

    def name(self) -> str:
        """The name as it would be kept (spaces tidied); "" while it is not usable."""
        try:
            return self._check(self.edit.text())
        except InvalidInputError:
            return ""

    def accept(self) -> None:
        if self.ok_button.isEnabled():  # Enter in the line edit comes here too.
            super().accept()

    def _on_edit_text_changed(self, text: str) -> None:
        problem = ""
        try:
            usable = self._check(text) != self._initial
        except InvalidInputError as error:
            usable = False
            # An empty field says nothing until the user has typed: it is where they start.
            problem = sentence(str(error)) if text or self._initial else ""
        self.problem.setText(problem)
        self.ok_button.setEnabled(usable)


def sentence(message: str) -> str:
    """A core message ("a collection needs a name") as a sentence for a dialog."""
    message = message.strip()
    if not message:
        return message
    return message[0].upper() + message[1:] + ("" if message[-1] in ".!?" else ".")
