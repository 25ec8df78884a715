"""The menu bar: File, View and Help with discoverable shortcuts; Export writes the
conversation shown, and is disabled when there is none or the managed policy forbids it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from app.gui.menu_bar import about_text
from app.version import app_version
from inference import policy as policy_module
from inference.answer import Answer, Timings
from inference.logs import log_path
from inference.policy import POLICY_FILE_ENV
from tests.gui.conftest import OpenWindow

pytestmark = pytest.mark.gui


def texts(actions: list[QAction]) -> list[str]:
    return [action.text() for action in actions if not action.isSeparator()]


def answered_conversation(window: MainWindow) -> int:
    """A stored question and answer (a fake answer: this tests the menu, not answering)."""
    workspace = window.workspace
    conversation_id = workspace.conversations.create("Menu <export>").id
    workspace.conversations.add_message(conversation_id, "user", "What is in <script>?")
    workspace.record_answer(conversation_id, Answer(
        question="q", text="Nothing [1].", sent="s", citations=[],
        timings=Timings(1.0, 2.0, 3.0, 4, 5.0), model={"file": "m.gguf", "sha256": "cd" * 32},
        covered=True))
    window.conversations.refresh(select=conversation_id)
    return conversation_id


@pytest.fixture()
def no_system_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(policy_module, "platform_policy_path",
                        lambda: tmp_path / "etc" / "policy.toml")
    monkeypatch.delenv(POLICY_FILE_ENV, raising=False)


def test_menus_hold_the_window_actions_and_ctrl_q_quits(open_window: OpenWindow,
                                                        tmp_path: Path) -> None:
    window = open_window(tmp_path / "data", start=False)
    menus = window.menus
    assert window.menuBar() is menus
    assert texts(menus.actions()) == ["&File", "&View", "&Help"]
    assert texts(menus.file_menu.actions()) == [
        "&New conversation", "&Add files…", "Add &folder…", "Folders kept in &sync",
        "&Collections…", "&Export conversation…",
        "&Settings…", "&Quit"]
    assert texts(menus.view_menu.actions()) == ["&Conversations", "&Documents", "Document &viewer",
                                                "&Models…"]
    assert window.viewer_action in menus.view_menu.actions()
    assert texts(menus.help_menu.actions()) == ["&About Enclave…", "Open &log file"]

    add_files = menus.file_menu.actions()[1]
    assert add_files in window.actions(), "the window's own action, not a second one"
    assert add_files.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert QKeySequence("Ctrl+Q") in menus.quit_action.shortcuts()
    assert menus.quit_action.menuRole() == QAction.MenuRole.QuitRole
    assert menus.about_action.menuRole() == QAction.MenuRole.AboutRole

    documents = menus.view_menu.actions()[1]
    assert documents.isChecked()
    documents.trigger()
    assert window.documents.isHidden() and not documents.isChecked()
    documents.trigger()
    assert not window.documents.isHidden()

    extra = QAction("&Viewer", window)
    menus.add_view_action(extra)
    assert menus.view_menu.actions()[-1] is extra

    menus.quit_action.trigger()
    assert not window.isVisible()


def test_export_writes_the_conversation_shown(open_window: OpenWindow, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              no_system_policy: None) -> None:
    window = open_window(tmp_path / "data", start=False)
    assert not window.menus.export_action.isEnabled(), "no conversation yet"
    answered_conversation(window)
    assert window.menus.export_action.isEnabled()

    target = tmp_path / "exported"
    asked: list[str] = []

    def choose(*args: object) -> tuple[str, str]:
        asked.append(str(args[2]))  # the suggested file
        return str(target), "HTML (*.html)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(choose))
    window.menus.export_action.trigger()

    written = target.with_name("exported.html")
    page = written.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "What is in &lt;script&gt;?" in page and "cd" * 32 in page
    assert Path(asked[0]).name == "Menu export.md"
    assert window.status.currentMessage() == f"Exported to {written}"


def test_export_is_disabled_when_the_policy_forbids_it(open_window: OpenWindow,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       no_system_policy: None) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("disable_export = true\n", encoding="utf-8")
    monkeypatch.setenv(POLICY_FILE_ENV, str(policy))
    window = open_window(tmp_path / "data", start=False)
    answered_conversation(window)
    action = window.menus.export_action
    assert not action.isEnabled()
    assert "export is disabled" in action.statusTip() and str(policy) in action.statusTip()


class _UrlRecorder(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def record(self, url: QUrl) -> None:
        self.urls.append(url)


def test_help_shows_about_and_opens_the_log(open_window: OpenWindow, tmp_path: Path,
                                            qtbot: QtBot) -> None:
    window = open_window(tmp_path / "data", start=False)
    box = window.menus.show_about()
    qtbot.addWidget(box)
    text = box.text()
    assert f"Enclave {app_version()}" in text and "no network connection" in text
    assert "still loading" in text, "the model is named before its hash is known"
    box.close()
    ready = about_text("1.2", {"file": "m.gguf", "sha256": "ef" * 32})
    assert "Model: m.gguf" in ready and f"SHA-256: {'ef' * 32}" in ready

    recorder = _UrlRecorder()
    QDesktopServices.setUrlHandler("file", recorder, "record")
    try:
        assert window.menus.open_log_file()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    target = Path(recorder.urls[0].toLocalFile())
    assert target in (log_path(), log_path().parent)
