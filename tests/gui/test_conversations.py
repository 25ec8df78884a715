"""Conversations in the sidebar: created, renamed inline, deleted, and kept across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.gui.main_window import DEFAULT_TITLE
from inference.answer import Answer

from .conftest import OpenWindow, close_window

pytestmark = pytest.mark.gui


def test_new_rename_delete(open_window: OpenWindow, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    window = open_window(tmp_path / "data", start=False)
    panel = window.conversations
    panel.new_button.click()
    panel.new_button.click()
    assert panel.list.count() == 2
    assert panel.list.currentItem().text() == DEFAULT_TITLE

    panel.list.currentItem().setText("Travel questions")  # what an inline edit commits
    titles = [c.title for c in window.workspace.conversations.recent()]
    assert "Travel questions" in titles

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args: QMessageBox.StandardButton.Yes)
    panel.delete_button.click()
    assert panel.list.count() == 1
    assert [c.title for c in window.workspace.conversations.recent()] == [DEFAULT_TITLE]


def test_conversation_survives_closing_and_reopening(open_window: OpenWindow, qtbot: QtBot,
                                                     tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    question = "What does the travel policy say about hotels?"
    window = open_window(data_dir, start=False)

    # The library is empty, so the core answers "not covered" without generating: the
    # round trip through the store is what this test is about.
    with qtbot.waitSignal(window.asker.answer_finished, timeout=60_000) as finished:
        assert window.ask(question)
    answer = finished.args[1]
    assert isinstance(answer, Answer) and not answer.covered
    qtbot.waitUntil(lambda: not window.composer.busy, timeout=10_000)
    assert "Not covered by your documents" in window.view.toPlainText()
    conversation_id = window.conversations.current_id
    close_window(window)

    reopened = open_window(data_dir, start=False)
    panel = reopened.conversations
    assert panel.list.count() == 1
    assert panel.current_id == conversation_id
    assert panel.list.currentItem().text() == question  # the first question set the title
    entries = reopened.view.entries
    assert [e.role for e in entries] == ["user", "assistant"]
    assert entries[0].text == question
    assert entries[1].text == answer.text and not entries[1].covered
    assert question in reopened.view.toPlainText()
    assert "Not covered by your documents" in reopened.view.toPlainText()
