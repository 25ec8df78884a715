"""The window's menu bar: File, View and Help, so every command and shortcut can be found.

The window hands in the actions it already has (add files, add folder, new conversation,
settings) so each command has one action and one shortcut wherever it appears. The menu bar
owns the commands that live only here: export the current conversation, quit, the About box
and opening the log file. Platform conventions: standard key sequences where Qt has one,
`&` mnemonics, and menu roles so macOS moves About, Settings and Quit to the application menu.

Exporting obeys the managed policy: when it forbids exports the action is disabled and says
why. The export itself is `app.export` (no Qt), shared with `conversations export`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMenuBar, QMessageBox, QWidget

from app.export import ExportFormat, export_conversation
from app.gui.loading import LoadState
from app.version import app_version
from documents.errors import EnclaveError
from inference.logs import log_path, user_message
from inference.policy import LOCK_EXPORT
from inference.workspace import Workspace

log = logging.getLogger(__name__)

#: The save dialog's filters, one per format; the chosen one decides the format.
EXPORT_FILTERS = {ExportFormat.MARKDOWN: "Markdown (*.md)", ExportFormat.HTML: "HTML (*.html)"}
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


class MenuBar(QMenuBar):
    """File, View and Help for `window`. Slots the window connects: `set_conversation` (the
    conversation shown) and `set_model_state` (the model loader's state)."""

    def __init__(self, workspace: Workspace, window: QMainWindow,
                 file_actions: Sequence[QAction], settings_action: QAction) -> None:
        super().__init__(window)
        self.setObjectName("menuBar")
        self._workspace = workspace
        self._window = window
        self._conversation_id: int | None = None
        self._model_state = LoadState.LOADING

        self.file_menu = self._menu("&File", "fileMenu")
        self.view_menu = self._menu("&View", "viewMenu")
        self.help_menu = self._menu("&Help", "helpMenu")

        for action in file_actions:
            self.file_menu.addAction(action)
        self.file_menu.addSeparator()
        self.export_action = QAction("&Export conversation…", self)
        self.export_action.triggered.connect(self.export_conversation)
        self.file_menu.addAction(self.export_action)
        self.file_menu.addSeparator()
        settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.file_menu.addAction(settings_action)
        self.file_menu.addSeparator()
        self.quit_action = QAction("&Quit", self)
        # Windows has no standard Quit sequence; Ctrl+Q is what users of every platform try.
        self.quit_action.setShortcuts(
            QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")])
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(window.close)
        self.file_menu.addAction(self.quit_action)

        self.about_action = QAction("&About Enclave…", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        self.log_action = QAction("Open &log file", self)
        self.log_action.setStatusTip(f"Open {log_path()}, the file to send to IT when "
                                     "something goes wrong")
        self.log_action.triggered.connect(self.open_log_file)
        self.help_menu.addAction(self.about_action)
        self.help_menu.addAction(self.log_action)
        self._update_export_action()

    def _menu(self, title: str, name: str) -> QMenu:
        menu = self.addMenu(title)
        menu.setObjectName(name)
        return menu

    # -- View ------------------------------------------------------------------------------
    def add_panel_toggle(self, title: str, panel: QWidget) -> QAction:
        """A checked View entry that shows and hides `panel` (a widget of the window)."""
        action = QAction(title, self)
        action.setCheckable(True)
        action.setChecked(not panel.isHidden())
        action.toggled.connect(panel.setVisible)
        self.add_view_action(action)
        return action

    def add_view_action(self, action: QAction) -> None:
        """Add an entry to the View menu, e.g. a dock's `toggleViewAction()`."""
        self.view_menu.addAction(action)

    # -- slots -----------------------------------------------------------------------------
    def set_conversation(self, conversation_id: object) -> None:
        """The conversation the window shows (None: none), which Export writes."""
        self._conversation_id = conversation_id if isinstance(conversation_id, int) else None
        self._update_export_action()

    def set_model_state(self, state: str, detail: str) -> None:
        del detail  # The About box reads the model's file itself once it is loaded.
        self._model_state = LoadState(state)

    def _update_export_action(self) -> None:
        locked = self._workspace.policy.locked_settings().get(LOCK_EXPORT)
        self.export_action.setEnabled(locked is None and self._conversation_id is not None)
        tip = (f"Export is not available: {locked}" if locked is not None
               else "Save the conversation shown, with its sources, as Markdown or HTML")
        self.export_action.setStatusTip(tip)
        self.export_action.setToolTip(tip)

    # -- commands --------------------------------------------------------------------------
    def export_conversation(self) -> Path | None:
        """Ask where to save the conversation shown and write it; returns the file written.

        The format follows the file's extension, else the filter chosen in the dialog.
        """
        conversation_id = self._conversation_id
        if conversation_id is None:
            return None
        conversation = self._workspace.conversations.get(conversation_id)
        title = conversation.title if conversation is not None else "conversation"
        suggested = Path.home() / f"{_file_name(title)}{ExportFormat.MARKDOWN.suffix}"
        name, chosen = QFileDialog.getSaveFileName(
            self._window, "Export conversation", str(suggested),
            ";;".join(EXPORT_FILTERS.values()))
        if not name:
            return None
        path = Path(name)
        fmt = _format_for(path, chosen)
        if path.suffix.lower() not in (".md", ".markdown", ".html", ".htm"):
            path = path.with_name(path.name + fmt.suffix)
        try:
            text = export_conversation(self._workspace.conversations, conversation_id, fmt,
                                       self._workspace.policy)
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            log.info("export to %s failed", path, exc_info=True)
            QMessageBox.warning(self._window, "Export failed",
                                f"{path} could not be written: "
                                f"{error.strerror or 'the system refused it'}.")
            return None
        except EnclaveError as error:  # refused by the policy, or the conversation is gone
            log.info("export refused", exc_info=True)
            QMessageBox.warning(self._window, "Export failed", user_message(error))
            return None
        self._window.statusBar().showMessage(f"Exported to {path}", 8000)
        return path

    def show_about(self) -> QMessageBox:
        """The About box (window-modal): version, the model in use and its SHA-256."""
        box = QMessageBox(QMessageBox.Icon.Information, "About Enclave", about_text(
            app_version(), self._model_description()), QMessageBox.StandardButton.Ok,
            self._window)
        box.setObjectName("aboutBox")
        box.setIconPixmap(self._window.windowIcon().pixmap(64, 64))
        box.open()
        return box

    def _model_description(self) -> dict[str, str] | str:
        """The loaded model's file, name and SHA-256, or a line saying why there is none yet.

        The SHA-256 is read only once the model has loaded: the loader hashes the file on
        its lane, and hashing hundreds of megabytes here would freeze the window.
        """
        try:
            path = self._workspace.model_path()
        except Exception as error:
            return user_message(error)
        if self._model_state is LoadState.READY:
            return self._workspace.model.file.describe()
        if self._model_state is LoadState.FAILED:
            return f"{path.name} (could not be loaded)"
        return f"{path.name} (still loading; its SHA-256 is shown once it has loaded)"

    def open_log_file(self) -> bool:
        """Open the log file (its folder when there is no log yet, or no program for it)."""
        path = log_path()
        targets = [path, path.parent] if path.is_file() else [path.parent]
        for target in targets:
            if QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))):
                self._window.statusBar().showMessage(f"Opened {target}", 6000)
                return True
        QMessageBox.information(self._window, "Log file",
                                f"No program on this computer could open the log file. It is "
                                f"here:\n{path}")
        return False


def about_text(version: str, model: dict[str, str] | str) -> str:
    """The About box's text: what runs and that nothing goes to the network."""
    if isinstance(model, dict):
        model_line = (f"Model: {model.get('file', '?')}\n"
                      f"SHA-256: {model.get('sha256', 'not known')}")
    else:
        model_line = f"Model: {model}"
    return (f"Enclave {version}\n\nPrivate question answering over your own documents.\n\n"
            f"{model_line}\n\nEverything runs on this computer. Enclave makes no network "
            "connection: no telemetry, no update check, no download.")


def _format_for(path: Path, chosen_filter: str) -> ExportFormat:
    if path.suffix.lower() in (".html", ".htm"):
        return ExportFormat.HTML
    if path.suffix.lower() in (".md", ".markdown"):
        return ExportFormat.MARKDOWN
    return next((fmt for fmt, text in EXPORT_FILTERS.items() if text == chosen_filter),
                ExportFormat.MARKDOWN)


def _file_name(title: str) -> str:
    """A file name from a conversation title: no separators or characters Windows refuses."""
    name = _UNSAFE_NAME.sub(" ", title).strip(" .")
    return " ".join(name.split())[:80] or "conversation"
