"""Asking in the window with the real model and embedder: streaming, citations, Stop."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.gui.documents_model import Status
from app.gui.loading import LoadState
from app.gui.main_window import MainWindow
from app.gui.message_html import citation_href, quote_href
from inference.answer import Answer, TokenGenerated

from .conftest import OpenWindow

pytestmark = pytest.mark.gui

QUESTION = "How many points did the Panthers defense surrender?"


def drop_files(window: MainWindow, *paths: Path) -> None:
    """What dropping files from a file manager onto the window delivers."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, data,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def index(window: MainWindow, qtbot: QtBot, path: Path) -> None:
    """Drop `path` on the window and wait until the indexing lane has finished it."""
    progress: list[object] = []
    window.indexer.progressed.connect(progress.append)
    with qtbot.waitSignal(window.indexer.busy_changed, timeout=90_000,
                          check_params_cb=lambda busy: not busy):
        drop_files(window, path)
        assert window.documents.progress_frame.isVisible()
    assert progress, "the panel was told how far indexing got"
    assert not window.documents.progress_frame.isVisible()
    records = window.workspace.library.documents()
    assert [(r.name, r.status) for r in records] == [(path.name, "indexed")]
    assert window.documents.model.status(str(path.resolve())) == Status.INDEXED
    assert window.documents.counts.text().startswith("1 document · ")
    assert window.status.documents_label.text() == "1 document"


def core_events(window: MainWindow) -> list[object]:
    """The answering core's events for each question the window asks, in the GUI thread."""
    events: list[object] = []

    def on_started(conversation_id: int, question: str) -> None:
        del conversation_id, question
        assert window.asker.job is not None
        window.asker.job.yielded.connect(events.append)

    window.asker.started.connect(on_started)
    return events


@pytest.mark.slow
def test_answer_streams_and_cites_the_document(open_window: OpenWindow, qtbot: QtBot,
                                               tmp_path: Path, super_bowl: Path) -> None:
    window = open_window(tmp_path / "data")
    index(window, qtbot, super_bowl)
    updates: list[str] = []
    window.asker.answer_streamed.connect(updates.append)
    events = core_events(window)

    with qtbot.waitSignal(window.asker.answer_finished, timeout=120_000) as finished:
        QTest.keyClicks(window.composer.edit, QUESTION)
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.composer.busy, timeout=5_000)
        assert window.composer.button.text() == "Stop"
    answer = finished.args[1]
    assert isinstance(answer, Answer)
    assert answer.covered and not answer.stopped and answer.text

    # The core streamed the answer token by token (a fixed number: greedy, fixed seed); the
    # window showed it in as many updates as its timer made, each a prefix of the next,
    # the last one the whole answer. No count of updates: that depends on the machine.
    tokens = [event.text for event in events if isinstance(event, TokenGenerated)]
    assert len(tokens) > 1 and "".join(tokens).strip() == answer.text
    assert updates and updates[-1] == "".join(tokens)
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(updates))

    qtbot.waitUntil(lambda: not window.composer.busy, timeout=10_000)
    assert window.composer.button.text() == "Send"
    assert window.status.model_label.state is LoadState.READY
    assert window.status.embedder_label.state is LoadState.READY
    assert window.view.entries[-1].text == answer.text
    shown = window.view.toPlainText()
    assert "[1] Super_Bowl_50.md" in shown
    cited = next(c for c in answer.citations if c.passage.document_name == "Super_Bowl_50.md")
    assert window.conversations.list.currentItem().text() == QUESTION

    # Clicking the source opens the file beside the answer, its passage highlighted.
    entry_index = len(window.view.entries) - 1
    window.view.anchorClicked.emit(QUrl(citation_href(entry_index, cited.number)))
    viewer = window.viewer_dock
    assert viewer.isVisible() and viewer.path == super_bowl.resolve()
    assert viewer.text.highlighted_text() == cited.passage.text
    assert viewer.external_action.isEnabled()

    # Each sentence was checked against the sources; a supported one opens its quote.
    assert answer.check and window.view.entries[-1].check == answer.check
    supported = [n for n, sentence in enumerate(answer.check) if sentence.supported]
    for number in supported[:1]:
        quote = answer.check[number].quote
        assert quote is not None
        window.view.anchorClicked.emit(QUrl(quote_href(entry_index, number)))
        assert viewer.text.highlighted_text().split() == quote.text.split()


@pytest.mark.slow
def test_stop_keeps_the_partial_answer(open_window: OpenWindow, qtbot: QtBot,
                                       tmp_path: Path, super_bowl: Path) -> None:
    window = open_window(tmp_path / "data")
    index(window, qtbot, super_bowl)
    stopped_at: list[str] = []
    clicked = threading.Event()

    def stop_on_first_text(text: str) -> None:
        if not stopped_at:
            stopped_at.append(text)
            QTest.mouseClick(window.composer.button, Qt.MouseButton.LeftButton)
            clicked.set()

    def hold_after_first_token(event: object) -> None:
        # On the lane's thread: the core waits after its first token until Stop was
        # clicked, so the click lands mid-answer however fast or loaded the machine is.
        if isinstance(event, TokenGenerated) and not clicked.is_set():
            clicked.wait(60)

    def on_started(conversation_id: int, question: str) -> None:
        del conversation_id, question
        assert window.asker.job is not None
        window.asker.job.yielded.connect(hold_after_first_token,
                                         Qt.ConnectionType.DirectConnection)

    window.asker.started.connect(on_started)
    window.asker.answer_streamed.connect(stop_on_first_text)
    with qtbot.waitSignal(window.asker.answer_finished, timeout=120_000) as finished:
        window.composer.edit.setPlainText("Describe everything that happened in Super Bowl 50.")
        QTest.mouseClick(window.composer.button, Qt.MouseButton.LeftButton)
    answer = finished.args[1]
    assert isinstance(answer, Answer)
    assert answer.stopped
    assert answer.text.startswith(stopped_at[0].strip())

    qtbot.waitUntil(lambda: not window.composer.busy, timeout=10_000)
    assert window.composer.button.text() == "Send"
    assert "Stopped." in window.view.toPlainText()
    conversation_id = window.conversations.current_id
    assert conversation_id is not None
    stored = window.workspace.conversations.messages(conversation_id)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].details["stopped"] is True and stored[1].content == answer.text
