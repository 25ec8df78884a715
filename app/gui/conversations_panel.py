"""The conversations sidebar: the saved conversations, newest first, and their management.

The list is read from the `ConversationStore`, so it is the same after a restart. Renaming
is inline (double-click, F2 or the Rename button); deleting asks first, since it cannot be
undone and the store wipes the rows (secure_delete).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inference.conversations import ConversationStore

ID_ROLE = Qt.ItemDataRole.UserRole


class ConversationsPanel(QFrame):
    """Lists conversations and emits which one is selected (None: no conversation)."""

    conversation_selected = Signal(object)
    """The selected conversation's id, or None when the list became empty."""

    def __init__(self, store: ConversationStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationsPanel")
        self._store = store
        self._current: int | None = None
        self._refreshing = False
        self._locked: int | None = None

        title = QLabel("Conversations", self)
        title.setObjectName("panelTitle")
        self.new_button = QPushButton("New", self)
        self.new_button.setObjectName("newButton")
        self.new_button.setToolTip("Start a new conversation (Ctrl+N)")
        self.new_button.clicked.connect(self._on_new_button_clicked)
        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(self.new_button)

        self.list = QListWidget(self)
        self.list.setObjectName("conversationList")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setAcceptDrops(False)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentItemChanged.connect(self._on_list_current_item_changed)
        self.list.itemChanged.connect(self._on_list_item_changed)

        self.rename_button = QPushButton("Rename", self)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setObjectName("deleteButton")
        self.rename_button.clicked.connect(self._on_rename_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.rename_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    @property
    def current_id(self) -> int | None:
        return self._current

    def refresh(self, select: int | None = None) -> None:
        """Re-read the store; keep (or move to) the selection `select` or the current one."""
        wanted = select if select is not None else self._current
        self._refreshing = True
        try:
            self.list.clear()
            for conversation in self._store.recent():
                item = QListWidgetItem(conversation.title)
                item.setData(ID_ROLE, conversation.id)
                item.setToolTip(conversation.title)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                self.list.addItem(item)
        finally:
            self._refreshing = False
        row = next((r for r in range(self.list.count())
                    if self.list.item(r).data(ID_ROLE) == wanted), 0)
        if self.list.count():
            self.list.setCurrentRow(row)
        self._set_current(self.list.currentItem().data(ID_ROLE) if self.list.currentItem()
                          else None)

    def create_conversation(self) -> int:
        """A new, empty conversation, selected."""
        conversation = self._store.create()
        self.refresh(select=conversation.id)
        return conversation.id

    def rename(self, conversation_id: int, title: str) -> None:
        self._store.rename(conversation_id, title)
        self.refresh()

    def delete(self, conversation_id: int) -> None:
        self._store.delete(conversation_id)
        if self._current == conversation_id:
            self._current = None
        self.refresh()

    def lock(self, conversation_id: int | None) -> None:
        """Keep `conversation_id` from being deleted (its answer is still being written)."""
        self._locked = conversation_id
        self._update_buttons()

    def _set_current(self, conversation_id: int | None) -> None:
        changed = conversation_id != self._current
        self._current = conversation_id
        self._update_buttons()
        if changed:
            self.conversation_selected.emit(conversation_id)

    def _update_buttons(self) -> None:
        has = self._current is not None
        self.rename_button.setEnabled(has)
        self.delete_button.setEnabled(has and self._current != self._locked)

    # -- slots ---------------------------------------------------------------------------------
    def _on_new_button_clicked(self) -> None:
        self.create_conversation()

    def _on_list_current_item_changed(self, current: QListWidgetItem | None,
                                      previous: QListWidgetItem | None) -> None:
        del previous
        if not self._refreshing:
            self._set_current(current.data(ID_ROLE) if current is not None else None)

    def _on_list_item_changed(self, item: QListWidgetItem) -> None:
        if self._refreshing:
            return
        title = item.text().strip()
        conversation_id = item.data(ID_ROLE)
        if title:
            self._store.rename(conversation_id, title)
            item.setToolTip(title)
        else:
            self.refresh()

    def _on_rename_button_clicked(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def _on_delete_button_clicked(self) -> None:
        item = self.list.currentItem()
        if item is None or item.data(ID_ROLE) == self._locked:
            return
        answer = QMessageBox.question(
            self, "Delete conversation",
            f"Delete “{item.text()}” and all its messages? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(item.data(ID_ROLE))
