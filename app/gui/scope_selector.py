"""What the conversation searches: all documents or one collection ("Searching: Client A").

A combo box over `CollectionsModel`, whose items hold plain values: the collection's id
(None for all documents), its name and its document count. The selector sits above the
composer, so the scope is in sight whenever a question is typed; the window stores the
choice with the conversation (inference/conversations.py). Beside it, "Manage…" opens the
Collections dialog, and a note says when a conversation's collection was deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QToolButton, QWidget

ID_ROLE = Qt.ItemDataRole.UserRole
"""The collection's id (an int), or None for all documents."""
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
ALL_DOCUMENTS = "All documents"


@dataclass(frozen=True)
class CollectionRow:
    """A collection as the selector lists it."""

    id: int
    name: str
    documents: int


class CollectionsModel(QStandardItemModel):
    """"All documents", then each collection by name with its document count."""

    def set_rows(self, rows: Iterable[CollectionRow]) -> None:
        self.clear()
        everything = QStandardItem(ALL_DOCUMENTS)
        everything.setData(None, ID_ROLE)
        everything.setData(ALL_DOCUMENTS, NAME_ROLE)
        self.appendRow(everything)
        for row in rows:
            item = QStandardItem(f"{row.name} ({row.documents} "
                                 f"document{'s' if row.documents != 1 else ''})")
            item.setData(row.id, ID_ROLE)
            item.setData(row.name, NAME_ROLE)
            item.setToolTip(f"Questions search only the documents of {row.name}")
            self.appendRow(item)

    def row_of(self, collection_id: int | None) -> int | None:
        for row in range(self.rowCount()):
            if self.item(row).data(ID_ROLE) == collection_id:
                return row
        return None


class ScopeSelector(QWidget):
    """"Searching: [All documents ▾]"; `scope_chosen` when the user picks another scope."""

    scope_chosen = Signal(object)
    """The collection id chosen (int), or None for all documents."""
    manage_requested = Signal()
    """"Manage…" was clicked: open the Collections dialog."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scopeSelector")
        self.model = CollectionsModel(self)
        self.label = QLabel("Searching:", self)
        self.combo = QComboBox(self)
        self.combo.setObjectName("scopeCombo")
        self.combo.setModel(self.model)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setToolTip("What questions in this conversation search: every document, "
                              "or one collection (make one from the Documents panel's "
                              "right-click menu)")
        self.manage_button = QToolButton(self)
        self.manage_button.setObjectName("scopeManageButton")
        self.manage_button.setText("Manage…")
        self.manage_button.setAutoRaise(True)
        self.manage_button.setToolTip("Rename or delete collections, or take files out of them")
        #: Why the scope shown is not the one the conversation had (its collection deleted).
        self.note = QLabel(self)
        self.note.setObjectName("scopeNote")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)  # two lines rather than a wider window
        self.note.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.label)
        layout.addWidget(self.combo)
        layout.addWidget(self.manage_button)
        layout.addWidget(self.note, 1)
        layout.addStretch(0)
        self.model.set_rows([])
        self.manage_button.hide()  # Until there are collections to manage.
        self.combo.activated.connect(self._on_combo_activated)
        self.manage_button.clicked.connect(self.manage_requested)

    @property
    def current_id(self) -> int | None:
        value = self.combo.currentData(ID_ROLE)
        return value if isinstance(value, int) else None

    @property
    def current_name(self) -> str:
        return str(self.combo.currentData(NAME_ROLE) or ALL_DOCUMENTS)

    def set_collections(self, rows: Iterable[CollectionRow]) -> None:
        """List these collections, keeping the current choice while it still exists."""
        current = self.current_id
        self.model.set_rows(rows)
        self.show_scope(current)
        self.manage_button.setVisible(self.model.rowCount() > 1)

    def show_note(self, text: str, tip: str = "") -> None:
        """Say why the scope changed, short, with `tip` as its tooltip (until the user picks
        a scope, or `show_note("")`)."""
        self.note.setText(text)
        self.note.setToolTip(tip or text)
        self.note.setVisible(bool(text))

    def show_scope(self, collection_id: int | None) -> bool:
        """Show `collection_id` as the scope (no signal); False, showing all documents,
        when no such collection is listed."""
        row = self.model.row_of(collection_id)
        self.combo.setCurrentIndex(row if row is not None else 0)
        return row is not None

    def choose(self, collection_id: int | None) -> None:
        """Pick a scope as the user would (tests, and the window after making a collection)."""
        if self.show_scope(collection_id):
            self.show_note("")
            self.scope_chosen.emit(collection_id)

    def _on_combo_activated(self, _row: int) -> None:
        self.show_note("")
        self.scope_chosen.emit(self.current_id)
