"""File ▸ Collections… in the window: rename a collection (its name checked as typed), take a
member out, and delete one, on a real library (the real embedder, FAISS and SQLite). The
scope selector follows each change; a conversation that searched a deleted collection
searches all documents, and says so by the selector."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.gui.collections_dialog import NAME_ROLE, PATH_ROLE, CollectionsDialog
from app.gui.main_window import MainWindow
from app.gui.name_dialog import NameDialog

from .conftest import XQUAD_DOCUMENTS, OpenWindow, close_window

pytestmark = pytest.mark.gui


def library_window(open_window: OpenWindow, qtbot: QtBot, tmp_path: Path) -> MainWindow:
    """A window on a library of three articles, the science ones in a folder of their own."""
    science = tmp_path / "docs" / "science"
    science.mkdir(parents=True)
    shutil.copy(XQUAD_DOCUMENTS / "Super_Bowl_50.md", tmp_path / "docs" / "Super_Bowl_50.md")
    for name in ("Oxygen.md", "Warsaw.md"):
        shutil.copy(XQUAD_DOCUMENTS / name, science / name)
    window = open_window(tmp_path / "data", start=False)
    with qtbot.waitSignal(window.indexer.busy_changed, timeout=180_000,
                          check_params_cb=lambda busy: not busy):
        window.indexer.add([tmp_path / "docs"])
    assert len(window.workspace.library.documents()) == 3
    return window


def selector_names(window: MainWindow) -> list[str]:
    model = window.scope.model
    return [str(model.item(row).data(NAME_ROLE)) for row in range(model.rowCount())]


def listed(dialog: CollectionsDialog) -> list[tuple[str, str, str]]:
    model = dialog.list_model
    return [(model.item(row, 0).text(), model.item(row, 1).text(), model.item(row, 2).text())
            for row in range(model.rowCount())]


def name_dialog(dialog: CollectionsDialog) -> NameDialog:
    assert dialog.name_dialog is not None and dialog.name_dialog.isVisible()
    return dialog.name_dialog


def type_name(named: NameDialog, text: str) -> None:
    named.edit.clear()
    QTest.keyClicks(named.edit, text)


def test_rename_remove_and_delete_from_the_collections_dialog(
        open_window: OpenWindow, qtbot: QtBot, tmp_path: Path) -> None:
    window = library_window(open_window, qtbot, tmp_path)
    docs = tmp_path / "docs"
    collections = window.workspace.library.collections
    assert window.add_to_collection("Mail", [docs / "science"], create=True)
    assert window.add_to_collection("Sport", [docs / "Super_Bowl_50.md",
                                              docs / "science" / "Warsaw.md"], create=True)
    mail = collections.get("Mail")
    store = window.workspace.conversations
    elsewhere = store.create("Earlier questions", mail.id).id
    current = window.conversations.create_conversation()
    window.scope.choose(mail.id)
    assert store.get(current).collection_id == mail.id
    assert window.scope.manage_button.isVisibleTo(window)

    window.collections_action.trigger()  # File ▸ Collections…
    dialog = window.collections_dialog
    assert dialog is not None and dialog.isVisible()
    assert listed(dialog) == [("Mail", "1", "2"), ("Sport", "2", "2")]
    dialog.select("Mail")
    assert dialog.members_title.text() == "In “Mail”: 1 folder · 2 documents"
    assert [dialog.members_model.item(0, c).text() for c in range(3)] == [
        "science", str(docs), "Folder"]

    # Rename: the name is checked as it is typed, in words; OK only for a usable new name.
    dialog.rename_button.click()
    named = name_dialog(dialog)
    assert named.edit.text() == "Mail" and not named.ok_button.isEnabled()
    for text, problem in (("", "A collection needs a name."),
                          ("sport", "A collection named 'Sport' exists already."),
                          ("  Mail ", "")):
        type_name(named, text)
        assert named.problem.text() == problem and not named.ok_button.isEnabled(), text
    type_name(named, "  Post   2025 ")
    assert named.problem.text() == "" and named.ok_button.isEnabled()
    named.ok_button.click()
    renamed = collections.get("Post 2025")
    assert renamed.id == mail.id and renamed.documents == 2
    assert [c.name for c in collections.all()] == ["Post 2025", "Sport"]
    assert window.scope.current_id == mail.id and window.scope.current_name == "Post 2025"
    assert window.scope.combo.currentText() == "Post 2025 (2 documents)"
    assert selector_names(window) == ["All documents", "Post 2025", "Sport"]
    assert window.documents._collection_names == ["Post 2025", "Sport"]
    assert dialog.selected_name == "Post 2025"
    assert "Renamed “Mail” to “Post 2025”" in dialog.message_label.text()

    # Remove from collection: the member goes, its document stays in the library.
    dialog.select("Sport")
    members = dialog.members_model
    warsaw = next(row for row in range(members.rowCount())
                  if str(members.item(row).data(PATH_ROLE)).endswith("Warsaw.md"))
    assert not dialog.remove_button.isEnabled()
    dialog.members.selectionModel().select(
        members.index(warsaw, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)
    assert dialog.remove_button.isEnabled()
    dialog.remove_button.click()
    sport = collections.get("Sport")
    assert [m.path.name for m in sport.members] == ["Super_Bowl_50.md"]
    assert sport.documents == 1 and len(window.workspace.library.documents()) == 3
    assert listed(dialog) == [("Post 2025", "1", "2"), ("Sport", "1", "1")]
    assert window.scope.model.item(2).text() == "Sport (1 document)"

    # Delete: confirmed, saying the documents stay; the conversations that searched it
    # search all documents, and the one shown says so by the selector.
    dialog.select("post 2025")
    dialog.delete_button.click()
    box = dialog.confirm_box
    assert box is not None and box.isVisible()
    assert box.text() == "Delete the collection “Post 2025”?"
    assert "Its 2 documents stay in your library and can still be searched" in \
        box.informativeText()
    assert "2 conversations that search “Post 2025” will search all documents" in \
        box.informativeText()
    cancel = next(b for b in box.buttons() if b.text() != "Delete collection")
    cancel.click()
    assert [c.name for c in collections.all()] == ["Post 2025", "Sport"]
    dialog.delete_button.click()
    box = dialog.confirm_box
    assert box is not None
    next(b for b in box.buttons() if b.text() == "Delete collection").click()
    assert [c.name for c in collections.all()] == ["Sport"]
    assert len(window.workspace.library.documents()) == 3
    assert store.get(current).collection_id is None
    assert store.get(elsewhere).collection_id is None
    assert window.workspace.conversation_collection(current) is None  # all documents
    assert selector_names(window) == ["All documents", "Sport"]
    assert window.scope.current_name == "All documents"
    note = "“Post 2025” was deleted, so all documents are searched"
    assert window.scope.note.isVisibleTo(window) and window.scope.note.text() == note
    assert listed(dialog) == [("Sport", "1", "1")] and dialog.selected_name == "Sport"
    found = window.workspace.library.search("Who discovered oxygen?", 3)
    assert found and found[0].document_name == "Oxygen.md", "its documents stay searchable"

    dialog.accept()
    assert window.collections_dialog is None
    # The other conversation that searched it says so too when shown; picking a scope
    # answers the note.
    window.conversations.refresh(select=elsewhere)
    assert window.scope.note.text() == note
    window.conversations.refresh(select=current)
    window.scope.combo.activated.emit(0)
    assert window.scope.note.isHidden()
    window.conversations.refresh(select=elsewhere)
    assert window.scope.note.text() == note

    # After a restart it still says why it searches everything; the answered note stays gone.
    close_window(window)
    reopened = open_window(tmp_path / "data", start=False)
    reopened.conversations.refresh(select=elsewhere)
    assert reopened.scope.current_name == "All documents"
    assert reopened.scope.note.isVisibleTo(reopened) and reopened.scope.note.text() == note
    reopened.conversations.refresh(select=current)
    assert reopened.scope.note.isHidden()


def test_a_new_collection_from_the_empty_dialog(open_window: OpenWindow, qtbot: QtBot,
                                                tmp_path: Path) -> None:
    window = open_window(tmp_path / "data", start=False)
    assert not window.scope.manage_button.isVisibleTo(window)
    dialog = window.open_collections()
    assert dialog.empty_label.isVisibleTo(dialog) and not dialog.list.isVisibleTo(dialog)
    assert not dialog.rename_button.isEnabled() and not dialog.delete_button.isEnabled()
    dialog.new_button.click()
    named = name_dialog(dialog)
    assert named.problem.text() == "" and not named.ok_button.isEnabled()
    type_name(named, "Client A")
    QTest.keyClick(named.edit, Qt.Key.Key_Return)
    assert [c.name for c in window.workspace.library.collections.all()] == ["Client A"]
    assert listed(dialog) == [("Client A", "0", "0")] and dialog.selected_name == "Client A"
    assert dialog.members_title.text() == "In “Client A”: nothing yet · 0 documents"
    assert selector_names(window) == ["All documents", "Client A"]
    assert window.scope.manage_button.isVisibleTo(window)
