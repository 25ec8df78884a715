"""A conversation scoped to a collection in the window: made from the documents panel, chosen
in the scope selector, kept with the conversation, and answered from its documents alone
(the real SmolLM2 and embedder)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.gui.documents_model import NAME_COLUMN
from inference.answer import Answer
from inference.catalog import SMOLLM2_135M
from inference.paths import find_model

from .conftest import XQUAD_DOCUMENTS, OpenWindow
from .test_asking import drop_files

pytestmark = [pytest.mark.gui, pytest.mark.slow]

QUESTION = "Which team won Super Bowl 50, and who discovered oxygen?"


def test_a_conversation_scoped_to_a_collection_cites_only_its_documents(
        open_window: OpenWindow, qtbot: QtBot, tmp_path: Path) -> None:
    model = find_model(SMOLLM2_135M.file_name)
    assert model is not None, "SmolLM2 is not installed: run packaging/bootstrap.py test"
    folder = tmp_path / "docs"
    science = folder / "science"
    science.mkdir(parents=True)
    shutil.copy(XQUAD_DOCUMENTS / "Super_Bowl_50.md", folder / "Super_Bowl_50.md")
    shutil.copy(XQUAD_DOCUMENTS / "Oxygen.md", science / "Oxygen.md")
    window = open_window(tmp_path / "data", start=False)
    window.workspace.settings = window.workspace.settings.with_changes(model_path=str(model))
    window.start()
    with qtbot.waitSignal(window.indexer.busy_changed, timeout=180_000,
                          check_params_cb=lambda busy: not busy):
        drop_files(window, folder)
    assert len(window.workspace.library.documents()) == 2
    assert window.scope.current_name == "All documents"

    # The documents panel: select the science folder, add it to a new collection.
    panel = window.documents
    proxy = panel.proxy
    folder_row = next(proxy.index(row, NAME_COLUMN) for row in range(proxy.rowCount())
                      if proxy.index(row, NAME_COLUMN).data(Qt.ItemDataRole.UserRole)
                      == str(science))
    panel.tree.selectionModel().select(
        folder_row, QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)
    assert panel.selected_members() == [science]
    with qtbot.waitSignal(panel.collection_requested):
        panel.collection_requested.emit("Science", panel.selected_members(), True)
    assert panel._collection_names == ["Science"]
    info = window.workspace.library.collections.get("Science")
    assert info.documents == 1
    assert window.scope.model.rowCount() == 2  # All documents, Science

    conversation_id = window.conversations.create_conversation()
    window.scope.choose(info.id)
    assert window.scope.current_name == "Science" and window.scope.label.text() == "Searching:"
    assert window.workspace.conversations.get(conversation_id).collection_id == info.id

    sources: list[list[object]] = []
    window.asker.sources_found.connect(sources.append)
    QTest.keyClicks(window.composer.edit, QUESTION)
    with qtbot.waitSignal(window.asker.answer_finished, timeout=300_000) as finished:
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
    answer = finished.args[1]
    assert isinstance(answer, Answer)
    assert sources and sources[0], "the collection's document answers the oxygen part"
    assert {getattr(p, "document_name", None) for p in sources[0]} == {"Oxygen.md"}
    assert answer.citations and {c.passage.document_name for c in answer.citations} == \
        {"Oxygen.md"}

    # The right-click menu adds a file to an existing collection.
    file_row = next(proxy.index(row, NAME_COLUMN, proxy.index(0, NAME_COLUMN))
                    for row in range(proxy.rowCount(proxy.index(0, NAME_COLUMN))))
    panel.tree.selectionModel().select(
        file_row, QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)
    menu = panel.context_menu()
    submenu = next(a.menu() for a in menu.actions() if a.text() == "Add to collection")
    assert [a.text() for a in submenu.actions() if a.text()] == ["Science", "New collection…"]
    next(a for a in submenu.actions() if a.text() == "Science").trigger()
    assert window.workspace.library.collections.get("Science").documents == 2
    # "New collection…" there asks with File → Collections' own dialog and checks.
    next(a for a in submenu.actions() if a.text() == "New collection…").trigger()
    dialog = panel.name_dialog
    assert dialog is not None and dialog.isVisible()
    QTest.keyClicks(dialog.edit, "science")
    assert not dialog.ok_button.isEnabled()
    assert dialog.problem.text() == "A collection named 'Science' exists already."
    dialog.edit.setText("Super Bowl  files ")
    assert dialog.ok_button.isEnabled() and not dialog.problem.text()
    with qtbot.waitSignal(panel.collection_requested) as requested:
        dialog.ok_button.click()
    assert requested.args[0] == "Super Bowl files"
    assert window.workspace.library.collections.get("Super Bowl files").documents == 1
    menu.deleteLater()

    # Another conversation shows its own scope; coming back shows the collection again.
    qtbot.waitUntil(lambda: not window.asker.busy, timeout=10_000)
    other = window.conversations.create_conversation()
    window.scope.choose(None)
    assert window.workspace.conversations.get(other).collection_id is None
    window.conversations.refresh(select=conversation_id)
    assert window.scope.current_name == "Science"
