"""File ▸ Collections…: rename and delete collections, and take files and folders out of them.

The dialog lists the collections with how many members (files and folders) and indexed
documents each holds, and the members of the one selected. Every change is one quick SQLite
statement through documents/collections.py (deleting through `Workspace.delete_collection`,
which also moves the conversations that searched the collection to all documents), so it runs
on the GUI thread. Nothing here removes a document from the library, and the dialog says so
where a user might fear it. The window re-lists its scope selector on `collections_changed`
and notes a deleted collection on its conversations on `collection_deleted`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStyle,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.gui.name_dialog import NameDialog, sentence
from app.wording import count
from documents.collections import CollectionError, CollectionInfo, Member, MemberKind
from inference.workspace import Workspace

ID_ROLE = Qt.ItemDataRole.UserRole
"""On a collection row: the collection's id (an int)."""
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
"""On a collection row: its name (a str)."""
PATH_ROLE = Qt.ItemDataRole.UserRole
"""On a member row: the member's path (a str)."""


_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def members_text(info: CollectionInfo) -> str:
    """"2 files, 1 folder" ("nothing yet" for an empty collection)."""
    files, folders = info.member_files, info.member_folders
    parts = ([count(files, "file")] if files else []) + \
        ([count(folders, "folder")] if folders else [])
    return ", ".join(parts) or "nothing yet"


class CollectionListModel(QStandardItemModel):
    """Collection, Members, Documents: one row per collection, by name."""

    HEADERS = ("Collection", "Members", "Documents")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(list(self.HEADERS))
        for column in (1, 2):  # counts: right-aligned under right-aligned headers
            self.horizontalHeaderItem(column).setTextAlignment(_RIGHT)

    def set_rows(self, infos: Iterable[CollectionInfo]) -> None:
        self.removeRows(0, self.rowCount())
        for info in infos:
            name = QStandardItem(info.name)
            name.setData(info.id, ID_ROLE)
            name.setData(info.name, NAME_ROLE)
            members = QStandardItem(str(len(info.members)))
            members.setToolTip(members_text(info))
            documents = QStandardItem(str(info.documents))
            documents.setToolTip(f"{count(info.documents, 'indexed document')} in "
                                 f"{info.name}'s files and folders")
            for item in (members, documents):
                item.setTextAlignment(_RIGHT)
            for item in (name, members, documents):
                item.setEditable(False)
            self.appendRow([name, members, documents])

    def row_of(self, collection_id: int | None) -> int | None:
        for row in range(self.rowCount()):
            if self.item(row).data(ID_ROLE) == collection_id:
                return row
        return None


class MembersModel(QStandardItemModel):
    """Name, In folder, Kind: the members of one collection, by path."""

    HEADERS = ("Name", "In folder", "Kind")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(list(self.HEADERS))

    def set_members(self, members: Iterable[Member], style: QStyle) -> None:
        self.removeRows(0, self.rowCount())
        for member in members:
            folder = member.kind is MemberKind.FOLDER
            name = QStandardItem(member.path.name or str(member.path))
            name.setData(str(member.path), PATH_ROLE)
            name.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DirIcon if folder
                                            else QStyle.StandardPixmap.SP_FileIcon))
            where = QStandardItem(str(member.path.parent))
            kind = QStandardItem("Folder" if folder else "File")
            tip = f"{member.path}\n" + (
                "A folder: every document under it is in the collection, files added later "
                "included" if folder else "A file")
            for item in (name, where, kind):
                item.setEditable(False)
                item.setToolTip(tip)
            self.appendRow([name, where, kind])


class CollectionsDialog(QDialog):
    """The collections and their members; `rename`, `delete` and `remove_members` are what
    its buttons do once the user has confirmed (the window and tests call them too)."""

    collections_changed = Signal()
    """A collection was made, renamed or deleted, or its members changed."""
    collection_deleted = Signal(int, str, list)
    """The deleted collection's id and name, and the ids of the conversations that searched it
    (they now search all documents); emitted before `collections_changed`."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("collectionsDialog")
        self.setWindowTitle("Collections")
        self.resize(860, 480)
        self._workspace = workspace
        #: The rename or new-collection dialog open now, and the delete confirmation (tests).
        self.name_dialog: NameDialog | None = None
        self.confirm_box: QMessageBox | None = None

        intro = QLabel("A collection is a named set of files and folders to search within. "
                       "Renaming or deleting a collection, or taking something out of it, "
                       "never removes a document from your library.", self)
        intro.setObjectName("dialogMeta")
        intro.setWordWrap(True)
        self.list_model = CollectionListModel(self)
        self.list = self._view(self.list_model, "collectionList")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.list.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.empty_label = QLabel("No collections yet. To make one, select files or folders "
                                  "in the Documents panel, right-click, and choose Add to "
                                  "collection ▸ New collection…", self)
        self.empty_label.setObjectName("dialogMeta")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.new_button = QPushButton("New…", self)
        self.new_button.setToolTip("Make an empty collection; add files and folders to it from "
                                   "the Documents panel's right-click menu")
        self.rename_button = QPushButton("Rename…", self)
        self.delete_button = QPushButton("Delete…", self)
        self.delete_button.setObjectName("deleteButton")
        self.delete_button.setToolTip("Forget the collection; its documents stay in your "
                                      "library")

        self.members_title = QLabel(self)
        self.members_title.setObjectName("panelTitle")
        self.members_title.setTextFormat(Qt.TextFormat.PlainText)
        self.members_title.setWordWrap(True)
        self.members_model = MembersModel(self)
        self.members = self._view(self.members_model, "memberList")
        self.members.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.members.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.members.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 180)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.remove_button = QPushButton("Remove from collection", self)
        self.remove_button.setToolTip("Take the selected files and folders out of this "
                                      "collection; they stay in your library")
        self.message_label = QLabel(self)
        self.message_label.setObjectName("dialogMeta")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        close = QPushButton("Close", self)
        close.setDefault(True)
        close.clicked.connect(self.accept)

        list_buttons = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_button):
            list_buttons.addWidget(button)
        list_buttons.addStretch(1)
        left = QVBoxLayout()
        title = QLabel("Your collections", self)
        title.setObjectName("panelTitle")
        left.addWidget(title)
        left.addWidget(self.list, 1)
        left.addWidget(self.empty_label, 1)
        left.addLayout(list_buttons)
        member_buttons = QHBoxLayout()
        member_buttons.addStretch(1)
        member_buttons.addWidget(self.remove_button)
        right = QVBoxLayout()
        right.addWidget(self.members_title)
        right.addWidget(self.members, 1)
        right.addLayout(member_buttons)
        columns = QHBoxLayout()
        columns.setSpacing(18)
        columns.addLayout(left, 4)
        columns.addLayout(right, 5)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message_label, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addLayout(columns, 1)
        layout.addLayout(bottom)

        self._shortcut(self.list, QKeySequence(Qt.Key.Key_F2), self.rename_selected)
        self._shortcut(self.list, QKeySequence.StandardKey.Delete, self.delete_selected)
        self._shortcut(self.members, QKeySequence.StandardKey.Delete, self.remove_selected)
        self.new_button.clicked.connect(self.new_collection)
        self.rename_button.clicked.connect(self.rename_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.list.doubleClicked.connect(self.rename_selected)
        self.list.selectionModel().currentRowChanged.connect(self._show_members)
        self.members.selectionModel().selectionChanged.connect(self._update_buttons)
        self.refresh()

    # -- public API (the window and tests drive the dialog through these) -------------------
    @property
    def selected_id(self) -> int | None:
        value = self.list.currentIndex().siblingAtColumn(0).data(ID_ROLE)
        return value if isinstance(value, int) else None

    @property
    def selected_name(self) -> str | None:
        value = self.list.currentIndex().siblingAtColumn(0).data(NAME_ROLE)
        return value if isinstance(value, str) else None

    def refresh(self, select: int | None = None) -> None:
        """Re-read the collections, selecting `select` (an id), else the one selected, else
        the first."""
        keep = select if select is not None else self.selected_id
        try:
            infos = self._workspace.library.collections.all()
        except Exception:  # no library (missing embedder): the window says so already
            infos = []
        self.list_model.set_rows(infos)
        self.list.setVisible(bool(infos))
        self.empty_label.setVisible(not infos)
        row = self.list_model.row_of(keep)
        self.select_row(row if row is not None else 0)

    def select(self, name: str) -> None:
        """Select the collection called `name` (as the user clicking it)."""
        for row in range(self.list_model.rowCount()):
            if str(self.list_model.item(row).data(NAME_ROLE)).casefold() == name.casefold():
                self.select_row(row)
                return
        raise KeyError(name)

    def select_row(self, row: int) -> None:
        index = self.list_model.index(row, 0)
        if index.isValid():
            self.list.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
        self._show_members(index)

    def new_collection(self) -> NameDialog:
        """Ask for a name (window-modal); OK makes the empty collection and selects it."""
        collections = self._workspace.library.collections
        dialog = NameDialog("New collection", "Name of the new collection (e.g. Client A):",
                            collections.check_name, ok_text="Create", parent=self)
        dialog.accepted.connect(lambda: self.create_collection(dialog.edit.text()))
        return self._open(dialog)

    def rename_selected(self) -> NameDialog | None:
        """Ask for the selected collection's new name (window-modal); OK renames it."""
        name = self.selected_name
        if name is None:
            return None
        collections = self._workspace.library.collections
        dialog = NameDialog("Rename collection", f"New name for “{name}”:",
                            lambda text: collections.check_name(text, renaming=name), name,
                            ok_text="Rename", parent=self)
        dialog.accepted.connect(lambda: self.rename(name, dialog.edit.text()))
        return self._open(dialog)

    def delete_selected(self) -> QMessageBox | None:
        """Ask whether to delete the selected collection (window-modal), saying that its
        documents stay; "Delete collection" deletes it."""
        name, collection_id = self.selected_name, self.selected_id
        if name is None or collection_id is None:
            return None
        info = self._workspace.library.collections.get(name)
        searching = sum(1 for c in self._workspace.conversations.recent()
                        if c.collection_id == collection_id)
        documents = info.documents
        kept = ("No document leaves your library:" if not documents else
                ("Its document stays" if documents == 1 else f"Its {documents} documents stay")
                + " in your library and can still be searched under All documents;")
        text = f"{kept} only the collection's name and its list of files and folders go."
        if searching:
            text += (f"\n\n{count(searching, 'conversation')} that "
                     f"search{'es' if searching == 1 else ''} “{name}” will search all "
                     "documents.")
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete collection",
                          f"Delete the collection “{name}”?", parent=self)
        box.setObjectName("confirmDelete")
        box.setInformativeText(text)
        delete = box.addButton("Delete collection", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.buttonClicked.connect(lambda button: self.delete(name) if button is delete else None)
        box.finished.connect(self._on_confirm_box_finished)
        self.confirm_box = box
        box.open()
        return box

    def remove_selected(self) -> None:
        """Take the selected members out of the selected collection."""
        name = self.selected_name
        rows = self.members.selectionModel().selectedRows(0)
        if name is not None and rows:
            self.remove_members(name, [str(index.data(PATH_ROLE)) for index in rows])

    def create_collection(self, name: str) -> bool:
        """Make an empty collection and select it."""
        try:
            info = self._workspace.library.collections.create(name)
        except CollectionError as error:
            return self._refused(error)
        self._changed(info.id, f"Made the collection “{info.name}”. Add files and folders "
                               "to it from the Documents panel's right-click menu.")
        return True

    def rename(self, name: str, new_name: str) -> bool:
        try:
            info = self._workspace.library.collections.rename(name, new_name)
        except CollectionError as error:
            return self._refused(error)
        self._changed(info.id, f"Renamed “{name}” to “{info.name}”.")
        return True

    def delete(self, name: str) -> bool:
        """Delete the collection (its documents stay); `collection_deleted` says which
        conversations searched it."""
        try:
            info = self._workspace.library.collections.get(name)
            unscoped = self._workspace.delete_collection(name)
        except CollectionError as error:
            return self._refused(error)
        self.collection_deleted.emit(info.id, info.name, unscoped)  # before the re-listing
        self._changed(None, f"Deleted the collection “{info.name}”; its documents stay in "
                            "your library.")
        return True

    def remove_members(self, name: str, paths: list[str]) -> bool:
        """Take these members (paths) out of the collection; their documents stay."""
        try:
            info = self._workspace.library.collections.remove(name, [Path(p) for p in paths])
        except CollectionError as error:
            return self._refused(error)
        what = f"“{Path(paths[0]).name}”" if len(paths) == 1 else count(len(paths), "item")
        self._changed(info.id, f"Took {what} out of “{info.name}”; "
                               f"{'it stays' if len(paths) == 1 else 'they stay'} in your "
                               "library.")
        return True

    # -- helpers ---------------------------------------------------------------------------
    def _view(self, model: QStandardItemModel, name: str) -> QTreeView:
        view = QTreeView(self)
        view.setObjectName(name)
        view.setModel(model)
        view.setRootIsDecorated(False)
        view.setUniformRowHeights(True)
        view.setAlternatingRowColors(False)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        return view

    def _shortcut(self, view: QWidget, keys: QKeySequence | QKeySequence.StandardKey,
                  slot: Callable[[], object]) -> None:
        action = QAction(self)
        action.setShortcut(keys)
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        view.addAction(action)

    def _open(self, dialog: NameDialog) -> NameDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._on_name_dialog_finished)
        self.name_dialog = dialog
        dialog.open()
        return dialog

    def _changed(self, select: int | None, message: str) -> None:
        self.refresh(select)
        self.message_label.setText(message)
        self.collections_changed.emit()

    def _refused(self, error: CollectionError) -> bool:
        """Say why (e.g. the collection was deleted from the command line meanwhile)."""
        self.refresh()
        self.message_label.setText(sentence(str(error)))
        return False

    def _show_members(self, index: QModelIndex) -> None:
        name = index.siblingAtColumn(0).data(NAME_ROLE) if index.isValid() else None
        info = None
        if isinstance(name, str):
            try:
                info = self._workspace.library.collections.get(name)
            except CollectionError:
                info = None
        self.members_model.set_members(info.members if info else (), self.style())
        if info is None:
            self.members_title.setText("Members")
        else:
            self.members_title.setText(f"In “{info.name}”: {members_text(info)} · "
                                       f"{count(info.documents, 'document')}")
        self._update_buttons()

    def _update_buttons(self) -> None:
        selected = self.selected_name is not None
        self.rename_button.setEnabled(selected)
        self.delete_button.setEnabled(selected)
        self.remove_button.setEnabled(selected and self.members.selectionModel().hasSelection())

    def _on_name_dialog_finished(self) -> None:
        self.name_dialog = None

    def _on_confirm_box_finished(self) -> None:
        if self.confirm_box is not None:
            self.confirm_box.deleteLater()
        self.confirm_box = None
