"""A question across the whole collection in the window, with the real small model
(SmolLM2) and embedder: the toggle, parts streaming per file, the coverage line, Stop."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from app.gui.message_html import coverage_href
from inference.catalog import SMOLLM2_135M
from inference.collection_answer import CollectionAnswer, FilePart, FileSkipped
from inference.paths import find_model

from .conftest import OpenWindow
from .test_asking import drop_files

pytestmark = pytest.mark.gui

FILES = {
    "treaty.txt": "The Peace of Westphalia ended the Thirty Years' War in 1648. The war had "
                  "left much of Germany in ruins.",
    "bread.txt": "To bake bread, mix flour, water, salt and yeast, knead the dough and let it "
                 "rise for two hours before baking.",
    "siege.txt": "During the war the city was besieged for eleven months; its walls were "
                 "rebuilt after the peace.",
    "garden.txt": "Tomatoes need full sun and regular watering; plant them after the last "
                  "frost of spring.",
}
QUESTION = "Which files mention the war?"


def open_with_files(open_window: OpenWindow, qtbot: QtBot, tmp_path: Path) -> MainWindow:
    """A window answering with SmolLM2 over four small text files, indexed."""
    model = find_model(SMOLLM2_135M.file_name)
    assert model is not None, "SmolLM2 is not installed: run packaging/bootstrap.py test"
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    window = open_window(tmp_path / "data", start=False)
    window.workspace.settings = window.workspace.settings.with_changes(model_path=str(model))
    window.start()
    with qtbot.waitSignal(window.indexer.busy_changed, timeout=120_000,
                          check_params_cb=lambda busy: not busy):
        drop_files(window, folder)
    assert len(window.workspace.library.documents()) == 4
    return window


@pytest.mark.slow
def test_whole_collection_question_shows_its_coverage(open_window: OpenWindow, qtbot: QtBot,
                                                      tmp_path: Path) -> None:
    window = open_with_files(open_window, qtbot, tmp_path)
    statuses: list[str] = []
    window.asker.status_changed.connect(statuses.append)
    QTest.keyClicks(window.composer.edit, QUESTION)
    # The rule saw a list question across documents and switched the toggle on, saying so.
    assert window.composer.whole_collection.isChecked() and window.composer.auto_switched
    assert window.composer.whole_collection.text() == "Whole collection (auto)"
    with qtbot.waitSignal(window.asker.collection_finished, timeout=300_000) as finished:
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
    answer = finished.args[1]
    assert isinstance(answer, CollectionAnswer) and not answer.partial
    assert len(answer.coverage.files_in_scope) == 4
    assert {p.name for p in answer.coverage.answered_from} >= {"treaty.txt", "siege.txt"}
    assert statuses[-1] == "4 of 4 files done"
    assert any(s.startswith("Reading ") for s in statuses)

    qtbot.waitUntil(lambda: not window.composer.busy, timeout=10_000)
    assert not window.composer.whole_collection.isChecked()  # Back to normal questions.
    entry = window.view.entries[-1]
    assert entry.coverage is not None
    shown = window.view.toPlainText()
    assert f"Coverage: {answer.coverage.line()}" in shown
    assert window.status.currentMessage() == (
        f"{len(answer.coverage.answered_from)} of 4 answered")
    assert "answered from " in shown and " of 4 files; " in shown and "details" in shown
    for part in answer.parts:
        assert part.name in shown
    # "details" expands the line into the files of each bucket.
    index = len(window.view.entries) - 1
    window.view.anchorClicked.emit(QUrl(coverage_href(index)))
    expanded = window.view.toPlainText()
    assert "Answered from (" in expanded and "siege.txt" in expanded
    assert "hide files" in expanded
    # Stored with the conversation: shown alike when the conversation is opened again.
    conversation = window.conversations.current_id
    window._show_conversation(conversation)
    assert window.view.entries[-1].coverage == entry.coverage


@pytest.mark.slow
def test_stop_after_the_first_file_keeps_a_partial_answer(
        open_window: OpenWindow, qtbot: QtBot, tmp_path: Path) -> None:
    window = open_with_files(open_window, qtbot, tmp_path)
    clicked = threading.Event()

    def stop_on_first_file(event: object) -> None:
        if isinstance(event, FilePart | FileSkipped) and not clicked.is_set():
            QTest.mouseClick(window.composer.button, Qt.MouseButton.LeftButton)
            clicked.set()

    def hold_after_first_file(event: object) -> None:
        # On the lane's thread: the core waits after its first file until Stop was
        # clicked, so the click lands mid-run however fast or loaded the machine is.
        if isinstance(event, FilePart | FileSkipped) and not clicked.is_set():
            clicked.wait(60)

    def on_started(conversation_id: int, question: str) -> None:
        del conversation_id, question
        assert window.asker.job is not None
        # Queued first: Qt posts the event to the GUI thread, then the direct slot holds.
        window.asker.job.yielded.connect(stop_on_first_file)
        window.asker.job.yielded.connect(hold_after_first_file,
                                         Qt.ConnectionType.DirectConnection)

    window.asker.started.connect(on_started)
    window.composer.whole_collection.click()  # Chosen by hand this time.
    QTest.keyClicks(window.composer.edit, "What happened in the war?")
    assert window.composer.whole_collection.isChecked() and not window.composer.auto_switched
    with qtbot.waitSignal(window.asker.collection_finished, timeout=300_000) as finished:
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
    answer = finished.args[1]
    assert isinstance(answer, CollectionAnswer)
    assert clicked.is_set() and answer.partial
    assert len(answer.coverage.not_reached) == 3
    qtbot.waitUntil(lambda: not window.composer.busy, timeout=10_000)
    shown = window.view.toPlainText()
    assert "Stopped after 1 of 4 files" in shown
    assert "3 not reached (stopped)" in shown
