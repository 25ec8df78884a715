"""One dialog for every document of a batch that needs a password.

After a batch the window lists the protected PDFs here at once instead of prompting file by
file: the user gives one password to try on all of them, a password per file, or skips them;
skipped files wait in the documents panel as "needs a password" and can be unlocked later.
The table is a model/view over plain strings (name, path, reason, password).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

PATH_ROLE = Qt.ItemDataRole.UserRole
FILE_COLUMN = 0
PASSWORD_COLUMN = 1


class _PasswordDelegate(QStyledItemDelegate):
    """Edits with a password field and shows dots, never the password."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,  # noqa: N802
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        editor = QLineEdit(parent)
        editor.setEchoMode(QLineEdit.EchoMode.Password)
        return editor

    def displayText(self, value: object, locale: object) -> str:  # noqa: N802 (Qt's name)
        return "•" * min(len(str(value or "")), 12)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel,  # noqa: N802
                     index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class PasswordsDialog(QDialog):
    """Lists files (path, reason); `passwords()` is what the user gave, by path."""

    def __init__(self, files: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passwordsDialog")
        self.setWindowTitle("Password-protected documents")
        self.setMinimumWidth(460)

        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.shared = QLineEdit(self)
        self.shared.setObjectName("sharedPassword")
        self.shared.setEchoMode(QLineEdit.EchoMode.Password)
        self.shared.setPlaceholderText("One password to try on all of them")
        each = QLabel("Or give a file its own password (click its Password cell):", self)
        each.setObjectName("dialogMeta")
        each.setWordWrap(True)

        self.model = QStandardItemModel(0, 2, self)
        self.model.setHorizontalHeaderLabels(["File", "Password"])
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(PASSWORD_COLUMN, _PasswordDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(FILE_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(PASSWORD_COLUMN, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(PASSWORD_COLUMN, 140)

        self.buttons = QDialogButtonBox(self)
        self.unlock_button = self.buttons.addButton("Unlock",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.skip_button = self.buttons.addButton("Skip for now",
                                                  QDialogButtonBox.ButtonRole.RejectRole)
        self.skip_button.setToolTip("Leave them as “needs a password”: unlock them later from "
                                    "the documents panel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.shared.textChanged.connect(self._update)
        self.model.dataChanged.connect(self._update)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(self.intro)
        layout.addWidget(self.shared)
        layout.addWidget(each)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.add_files(files)

    def add_files(self, files: Sequence[tuple[str, str]]) -> None:
        """List more files (a later batch's) in the open dialog; known ones are skipped."""
        known = set(self.paths())
        for path, reason in files:
            if path in known:
                continue
            known.add(path)
            name = QStandardItem(Path(path).name)
            name.setEditable(False)
            name.setData(path, PATH_ROLE)
            name.setToolTip(f"{path}\n{reason}")
            password = QStandardItem("")
            password.setToolTip("This file's own password (used instead of the one above)")
            self.model.appendRow([name, password])
        count = self.model.rowCount()
        self.intro.setText(
            f"{count} document{'s' if count != 1 else ''} of your library "
            f"need{'s' if count == 1 else ''} a password to be indexed.")
        self._update()

    def paths(self) -> list[str]:
        return [str(self.model.item(row, FILE_COLUMN).data(PATH_ROLE))
                for row in range(self.model.rowCount())]

    def set_password(self, path: str, password: str) -> None:
        """Give one file its own password (what editing its row does)."""
        row = self.paths().index(path)
        self.model.item(row, PASSWORD_COLUMN).setText(password)

    def passwords(self) -> dict[str, str]:
        """Each file's own password, else the shared one; files with neither are left out."""
        shared = self.shared.text()
        result: dict[str, str] = {}
        for row, path in enumerate(self.paths()):
            own = self.model.item(row, PASSWORD_COLUMN).text()
            if own or shared:
                result[path] = own or shared
        return result

    def _update(self) -> None:
        self.unlock_button.setEnabled(bool(self.passwords()))
