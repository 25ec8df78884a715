"""Unlocking the data directory before the window opens: the GUI's passphrase prompt.

The core encrypts the library and the conversations with a key kept in the OS keyring. Where
there is no keyring (or the data directory was created with a passphrase) it needs a
passphrase, which only the user can give: this module asks for it, visibly offers the
explicit opt-out on first use, and retries on a wrong passphrase.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inference.encryption import KeyUnavailableError, PassphraseRequiredError, recorded_mode
from inference.workspace import Workspace

#: The shortest passphrase accepted for a new data directory.
MIN_PASSPHRASE = 8


@dataclass(frozen=True)
class UnlockChoice:
    """What the user chose: a passphrase, or (first use only) no encryption."""

    passphrase: str | None
    opt_out: bool = False


#: Asks the user; gets (creating, message) and returns a choice or None (quit).
AskUnlock = Callable[[bool, str], UnlockChoice | None]


class PassphraseDialog(QDialog):
    """Asks for the passphrase; on first use, twice, with the opt-out offered beside it."""

    def __init__(self, creating: bool, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passphraseDialog")
        self.setWindowTitle("Protect your data" if creating else "Unlock Enclave")
        self.setMinimumWidth(440)
        self.creating = creating
        self.opted_out = False

        intro = QLabel(self)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setText(
            "Enclave encrypts your document index and conversations. No OS keyring is "
            "available to keep the key, so choose a passphrase. Without it the data cannot "
            "be read, by anyone, including you." if creating else
            "Your document index and conversations are encrypted. Enter the passphrase.")
        self.message = QLabel(message if not creating else "", self)
        self.message.setObjectName("dialogMeta")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)

        self.passphrase = QLineEdit(self)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("Passphrase")
        self.repeat = QLineEdit(self)
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat.setPlaceholderText("Repeat the passphrase")
        self.repeat.setVisible(creating)

        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton(
            "Encrypt" if creating else "Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton("Quit", QDialogButtonBox.ButtonRole.RejectRole)
        self.opt_out_button: QPushButton | None = None
        if creating:
            self.opt_out_button = self.buttons.addButton(
                "Don't encrypt", QDialogButtonBox.ButtonRole.DestructiveRole)
            self.opt_out_button.setToolTip(
                "Store this data directory unencrypted; this cannot be changed later")
            self.opt_out_button.clicked.connect(self._on_opt_out_button_clicked)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addWidget(self.passphrase)
        layout.addWidget(self.repeat)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.passphrase.textChanged.connect(self._on_passphrase_text_changed)
        self.repeat.textChanged.connect(self._on_passphrase_text_changed)
        self._on_passphrase_text_changed()

    def choice(self) -> UnlockChoice:
        if self.opted_out:
            return UnlockChoice(None, opt_out=True)
        return UnlockChoice(self.passphrase.text())

    def _problem(self) -> str:
        text = self.passphrase.text()
        if not text:
            return ""
        if self.creating and len(text) < MIN_PASSPHRASE:
            return f"Use at least {MIN_PASSPHRASE} characters."
        if self.creating and self.repeat.text() and self.repeat.text() != text:
            return "The two passphrases differ."
        return ""

    def _on_passphrase_text_changed(self) -> None:
        problem = self._problem()
        complete = bool(self.passphrase.text()) and (
            not self.creating or self.repeat.text() == self.passphrase.text())
        self.ok_button.setEnabled(complete and not problem)
        if self.creating:
            self.message.setText(problem)

    def _on_opt_out_button_clicked(self) -> None:
        self.opted_out = True
        self.accept()


def ask_with_dialog(creating: bool, message: str) -> UnlockChoice | None:
    dialog = PassphraseDialog(creating, message)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.choice()


def unlock_workspace(workspace: Workspace, ask: AskUnlock = ask_with_dialog,
                     opt_out: bool = False) -> bool:
    """Unlock `workspace`, asking for a passphrase when needed; False if the user quit.

    A keyring-backed or unencrypted data directory opens without a question, and so does a
    new one with `opt_out`. A wrong passphrase asks again; a key that cannot be had at all
    (a reset keyring) is shown and ends the start-up: nothing in the directory is readable.
    """
    try:
        workspace.unlock(opt_out=opt_out)
        return True
    except PassphraseRequiredError as error:
        message = str(error)
    except KeyUnavailableError as error:
        QMessageBox.critical(None, "Enclave", str(error))
        return False
    creating = recorded_mode(workspace.data_dir) is None
    while True:
        choice = ask(creating, message)
        if choice is None:
            return False
        try:
            workspace.unlock(choice.passphrase, opt_out=choice.opt_out)
            return True
        except PassphraseRequiredError as error:
            message = str(error)
        except KeyUnavailableError as error:
            QMessageBox.critical(None, "Enclave", str(error))
            return False
