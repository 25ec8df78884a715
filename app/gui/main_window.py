"""The main window: conversations on the left, the chat in the middle, documents on the right.

The window wires widgets to the controllers and owns the two lanes; it does no model or
index work itself. Closing it cancels what is running and joins both lanes, so nothing
outlives it and the workspace can be closed right after.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.ask_controller import AskController
from app.gui.collections_dialog import CollectionsDialog
from app.gui.composer import Composer
from app.gui.conversation_view import ConversationView
from app.gui.conversations_panel import ConversationsPanel
from app.gui.document_viewer import DocumentViewer
from app.gui.documents_model import PASSWORD_KINDS, Status
from app.gui.documents_panel import DocumentsPanel
from app.gui.filter_chip import FilterChip
from app.gui.folder_sync import FolderSync
from app.gui.indexing import IndexingController
from app.gui.lanes import Lane
from app.gui.loading import LoadState, ModelLoader
from app.gui.menu_bar import MenuBar
from app.gui.models_page import ModelsPage
from app.gui.password_dialog import PasswordsDialog
from app.gui.resources import SAMPLES_DIR
from app.gui.scope_selector import CollectionRow, ScopeSelector
from app.gui.settings_dialog import SettingsDialog, SettingsRefusedError
from app.gui.status_bar import StatusBar
from app.gui.transcript import (
    ChatEntry,
    CitationInfo,
    entry_from_answer,
    entry_from_collection,
    entry_from_message,
    quote_citation,
    title_for,
)
from app.pending_batch import PendingBatchFile
from app.wording import count
from documents.collections import CollectionError, Collections
from documents.library import IngestReport
from documents.store import DocumentRecord
from inference.answer import Answer
from inference.collection_answer import CollectionAnswer
from inference.conversations import Conversation
from inference.policy import PolicyError
from inference.quote_check import Quote
from inference.settings import Settings, save_settings
from inference.workspace import Workspace

log = logging.getLogger(__name__)

DEFAULT_TITLE = "New conversation"
#: How long closing waits for a lane's current job (a model load cannot be interrupted).
SHUTDOWN_TIMEOUT_MS = 60_000


class MainWindow(QMainWindow):
    """Enclave's one window. Call `start` after `show` to load the models in the background.

    The workspace must be unlocked already (`unlock_dialog.unlock_workspace`): the window
    reads conversations from its first moment.
    """

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Enclave")
        self.setObjectName("mainWindow")
        self.resize(1280, 800)
        self.setMinimumSize(QSize(920, 560))
        self.setAcceptDrops(True)
        self._shut_down = False
        self._model_state = LoadState.LOADING

        self.inference_lane = Lane("inference lane", self)
        self.indexing_lane = Lane("indexing lane", self)
        self.loader = ModelLoader(workspace, self.inference_lane, self.indexing_lane, self)
        self.asker = AskController(workspace, self.inference_lane, self)
        self.filter_chip = FilterChip()
        self._last_question = ""
        key = workspace.unlock()
        self.indexer = IndexingController(lambda: workspace.library, self.indexing_lane,
                                          PendingBatchFile(workspace.data_dir, key.key), self)
        self.passwords_dialog: PasswordsDialog | None = None
        self.collections_dialog: CollectionsDialog | None = None
        self.folder_sync = FolderSync(self.indexer, self)

        self.conversations = ConversationsPanel(workspace.conversations, self)
        self.view = ConversationView(self)
        self.composer = Composer(self)
        #: What the conversation searches ("Searching: Client A"), above the composer.
        self.scope = ScopeSelector(self)
        self.documents = DocumentsPanel(self)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.conversation_title = QLabel(DEFAULT_TITLE, self)
        self.conversation_title.setObjectName("conversationTitle")
        self.conversation_title.setTextFormat(Qt.TextFormat.PlainText)
        self.setCentralWidget(self._build_layout())
        self.viewer_dock = DocumentViewer(self._pdf_passwords, self)
        self.viewer_dock.hide()
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.viewer_dock)
        #: Shows or hides the viewer (for the View menu).
        self.viewer_action = self.viewer_dock.toggleViewAction()
        self.viewer_action.setText("Document &viewer")
        self._build_actions()
        self._connect()

        self.status.set_encryption(key.mode.label, key.key is not None)
        self.conversations.refresh()
        self._refresh_documents()
        if self.indexer.interrupted is not None:
            self.documents.show_interrupted(self.indexer.interrupted)
        self.composer.edit.setFocus()

    # -- construction ----------------------------------------------------------------------
    def _build_layout(self) -> QSplitter:
        chat = QFrame(self)
        chat.setObjectName("chatColumn")
        composer_frame = QFrame(chat)
        composer_frame.setObjectName("composerFrame")
        composer_layout = QVBoxLayout(composer_frame)
        composer_layout.setContentsMargins(18, 12, 18, 14)
        composer_layout.addWidget(self.scope)
        composer_layout.addWidget(self.composer)
        chat_layout = QVBoxLayout(chat)
        chat_layout.setContentsMargins(0, 0, 0, 0)
        chat_layout.setSpacing(0)
        chat_layout.addWidget(self.conversation_title)
        chat_layout.addWidget(self.filter_chip)
        chat_layout.addWidget(self.view, 1)
        chat_layout.addWidget(composer_frame)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("mainSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.setHandleWidth(1)
        splitter.addWidget(self.conversations)
        splitter.addWidget(chat)
        splitter.addWidget(self.documents)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        self.conversations.setMinimumWidth(200)
        self.documents.setMinimumWidth(290)
        splitter.setSizes([240, 680, 360])
        return splitter

    def _build_actions(self) -> None:
        new = QAction("&New conversation", self)
        new.setShortcut(QKeySequence.StandardKey.New)
        new.triggered.connect(self.conversations.create_conversation)
        add = QAction("&Add files…", self)
        add.setShortcut(QKeySequence.StandardKey.Open)
        add.triggered.connect(self.documents.add_files_button.click)
        add_folder = QAction("Add &folder…", self)
        add_folder.setShortcut(QKeySequence("Ctrl+Shift+O"))
        add_folder.triggered.connect(self.documents.add_folder_button.click)
        stop = QAction("Stop answer", self)
        stop.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        stop.triggered.connect(self.asker.stop)
        settings = QAction("&Settings…", self)
        settings.setShortcut(QKeySequence("Ctrl+,"))
        settings.triggered.connect(self.open_settings)
        self.settings_action = settings
        self.settings_button = QToolButton(self)
        self.settings_button.setObjectName("settingsButton")
        self.settings_button.setDefaultAction(settings)
        self.settings_button.setToolTip("Settings (Ctrl+,)")
        self.settings_button.setAutoRaise(True)
        self.status.addPermanentWidget(self.settings_button)
        models = QAction("&Models…", self)
        models.triggered.connect(self.open_models_page)
        self.models_action = models
        self.models_button = QToolButton(self)
        self.models_button.setObjectName("modelsButton")
        self.models_button.setDefaultAction(models)
        self.models_button.setToolTip("The models: add, compare facts, choose the one in use")
        self.models_button.setAutoRaise(True)
        self.status.addPermanentWidget(self.models_button)
        for action in (new, add, add_folder, stop, settings):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
        self.menus = MenuBar(self.workspace, self, [new, add, add_folder], settings)
        self.menus.file_menu.insertMenu(self.menus.export_action, self.folder_sync.menu)
        self.collections_action = QAction("&Collections…", self)
        self.collections_action.setStatusTip("Rename or delete collections, or take files and "
                                             "folders out of them")
        self.collections_action.triggered.connect(self.open_collections)
        self.menus.file_menu.insertAction(self.menus.export_action, self.collections_action)
        self.menus.file_menu.insertSeparator(self.menus.export_action)
        self.menus.add_panel_toggle("&Conversations", self.conversations)
        self.menus.add_panel_toggle("&Documents", self.documents)
        self.menus.add_view_action(self.viewer_action)
        self.menus.add_view_action(models)
        self.setMenuBar(self.menus)

    def _connect(self) -> None:
        self.loader.model_state_changed.connect(self._on_loader_model_state_changed)
        self.loader.model_state_changed.connect(self.menus.set_model_state)
        self.conversations.conversation_selected.connect(self.menus.set_conversation)
        self.loader.embedder_state_changed.connect(self.status.set_embedder_state)
        self.status.choose_model_requested.connect(self._on_status_choose_model_requested)

        self.composer.question_submitted.connect(self._on_composer_question_submitted)
        self.composer.stop_requested.connect(self._on_composer_stop_requested)
        self.composer.collection_question_submitted.connect(
            self._on_composer_collection_question_submitted)
        self.asker.status_changed.connect(self._on_asker_status_changed)
        self.asker.collection_finished.connect(self._on_asker_collection_finished)
        self.asker.started.connect(self._on_asker_started)
        self.asker.sources_found.connect(self._on_asker_sources_found)
        self.asker.filter_found.connect(self.filter_chip.show_filter)
        self.filter_chip.cleared.connect(self._on_filter_chip_cleared)
        self.asker.answer_streamed.connect(self._on_asker_answer_streamed)
        self.asker.answer_finished.connect(self._on_asker_answer_finished)
        self.asker.answer_failed.connect(self._on_asker_answer_failed)
        self.asker.busy_changed.connect(self._on_asker_busy_changed)

        self.conversations.conversation_selected.connect(
            self._on_conversations_conversation_selected)
        self.view.citation_activated.connect(self.open_citation)
        self.view.quote_activated.connect(self.open_citation)
        self.viewer_dock.message.connect(self._on_viewer_dock_message)
        self.view.link_activated.connect(self._on_view_link_activated)
        self.view.highlighted.connect(self._on_view_highlighted)

        self.documents.paths_chosen.connect(self.indexer.add)
        self.documents.collection_requested.connect(self._on_documents_collection_requested)
        self.scope.scope_chosen.connect(self._on_scope_scope_chosen)
        self.scope.manage_requested.connect(self.open_collections)
        self.documents.remove_requested.connect(self.indexer.remove)
        self.documents.cancel_requested.connect(self.indexer.cancel)
        self.documents.unlock_requested.connect(self.ask_passwords)
        self.documents.resume_requested.connect(self.indexer.resume)
        self.documents.resume_dismissed.connect(self.indexer.dismiss_interrupted)
        self.indexer.batch_started.connect(self.documents.show_batch_started)
        self.indexer.sync_started.connect(self.documents.show_sync_started)
        self.indexer.progressed.connect(self.documents.show_progress)
        self.documents.counts_changed.connect(self._on_documents_counts_changed)
        self.indexer.batch_finished.connect(self._on_indexer_batch_finished)
        self.indexer.batch_failed.connect(self.documents.show_batch_failed)
        self.indexer.busy_changed.connect(self._on_indexer_busy_changed)
        self.indexer.documents_changed.connect(self._refresh_documents)

    # -- public API (the app and tests drive the window through these) -----------------------
    def start(self, with_samples: bool = False) -> None:
        """Load the model and the embedder, then sync the kept folders (changes made while
        closed, then as they happen); with `with_samples`, index the samples if empty."""
        self.loader.start()
        self.folder_sync.start(self.workspace.settings.ocr)
        if with_samples and not self._documents():
            self.indexer.add([SAMPLES_DIR])

    def ask(self, question: str, filtered: bool = True, whole_collection: bool = False) -> bool:
        """Ask in the current conversation (a new one if there is none); `filtered=False`
        searches every document even when the question names some; `whole_collection` asks
        of every file in the library."""
        if self.asker.busy or not question.strip():
            return False
        store = self.workspace.conversations
        conversation_id = self.conversations.current_id
        if conversation_id is None:
            conversation_id = self.conversations.create_conversation()
        conversation = store.get(conversation_id)
        if (conversation is not None and conversation.title == DEFAULT_TITLE
                and not store.messages(conversation_id)):
            store.rename(conversation_id, title_for(question))
        self._last_question = question
        if whole_collection:
            return self.asker.ask_collection(conversation_id, question)
        return self.asker.ask(conversation_id, question, filtered)

    def add_to_collection(self, name: str, paths: list[Path], create: bool = False) -> bool:
        """Add files and folders to the collection `name` (made first with `create`);
        a refusal (a name taken, none given) is shown and False returned."""
        collections = self.workspace.library.collections
        try:
            if create:
                collections.create(name)
            info = collections.add(name, paths)
        except CollectionError as error:
            QMessageBox.warning(self, "Collection not changed", str(error))
            return False
        self._refresh_collections()
        # Short: the status bar's permanent items leave it about fifty characters.
        self.status.showMessage(
            f"Added to {info.name} ({count(info.documents, 'document')})", 8000)
        return True

    def open_collections(self) -> CollectionsDialog:
        """The Collections dialog (window-modal; one at a time): rename, delete, take out."""
        if self.collections_dialog is not None:
            self.collections_dialog.raise_()
            return self.collections_dialog
        dialog = CollectionsDialog(self.workspace, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.collections_changed.connect(self._refresh_collections)
        dialog.collection_deleted.connect(self._on_collections_dialog_collection_deleted)
        self.indexer.documents_changed.connect(dialog.refresh)  # counts change as files index
        dialog.finished.connect(self._on_collections_dialog_finished)
        self.collections_dialog = dialog
        dialog.open()
        return dialog

    def _on_collections_dialog_collection_deleted(self, collection_id: int, name: str,
                                                  conversation_ids: list[object]) -> None:
        current = self.conversations.current_id
        # The selector still shows the collection: `collections_changed` re-lists it next.
        if self.scope.current_id == collection_id or current in conversation_ids:
            self._note_unscoped(name)

    def _on_collections_dialog_finished(self) -> None:
        dialog = self.collections_dialog
        self.collections_dialog = None
        if dialog is not None:
            self.indexer.documents_changed.disconnect(dialog.refresh)

    def _note_unscoped(self, name: str) -> None:
        """Say, by the scope, that the conversation's collection is gone (no silent change;
        the status bar's message area is too narrow for it)."""
        gone = f"“{name}”" if name else "Its collection"
        self.scope.show_note(f"{gone} was deleted, so all documents are searched",
                             f"{gone} was deleted, so this conversation now searches all "
                             "documents; its documents are still in your library")

    def open_citation(self, citation: CitationInfo, quote: Quote | None = None) -> bool:
        """Show the citation in the viewer dock, at its passage; False when not found there.

        With `quote`, only the words of the passage that support an answer's sentence are
        highlighted.
        """
        if quote is not None:
            citation = quote_citation(citation, quote)
        opening = self.viewer_dock.isHidden()
        found = self.viewer_dock.show_citation(citation)
        if opening:
            self.resizeDocks([self.viewer_dock], [max(480, self.width() * 2 // 5)],
                             Qt.Orientation.Horizontal)
        return found

    def _on_viewer_dock_message(self, text: str) -> None:
        self.status.showMessage(text, 8000)

    def _pdf_passwords(self, path: Path) -> list[str]:
        """The passwords the library opened `path` with in this session (for the viewer)."""
        return self.workspace.library.passwords_for(path)

    def open_settings(self) -> SettingsDialog:
        """Show the Settings dialog (window-modal); OK applies it with `apply_settings`."""
        dialog = SettingsDialog(self.workspace, self.apply_settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_models_page(self) -> ModelsPage:
        """Show the Models page; choosing a model there switches to it like Settings does."""
        page = ModelsPage(self.workspace, self.inference_lane, self)
        page.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        page.use_requested.connect(self._on_models_page_use_requested)
        self.loader.model_state_changed.connect(page.refresh_when_ready)
        page.open()
        return page

    def _on_models_page_use_requested(self, path: object) -> None:
        if isinstance(path, Path):
            self.use_model_file(path)

    def apply_settings(self, new: Settings) -> None:
        """Save `new`; when the model or how it runs changed, switch and reload the model;
        when the embedder backend changed, reload the embedder (re-indexing if needed).

        Raises PolicyError (model not allowed, audit log forced on) or SettingsRefusedError (the
        model is busy); then nothing is saved and the old model stays.
        """
        workspace = self.workspace
        old = workspace.settings
        workspace.policy.check_audit_log_change(new.audit_log)
        model_changed = (new.model_path, new.gpu_layers, new.context_tokens, new.threads) != \
            (old.model_path, old.gpu_layers, old.context_tokens, old.threads)
        embedder_changed = new.embedder_backend != old.embedder_backend
        if embedder_changed and (self.asker.busy or self.indexing_lane.busy):
            raise SettingsRefusedError("Documents are being indexed or a question answered; "
                                       "change the embedder when that is done.")
        if model_changed:
            if self.asker.busy or self._model_state is LoadState.LOADING \
                    or self.inference_lane.busy:
                raise SettingsRefusedError("The model is busy (loading or answering); try again "
                                      "when it is ready.")
            workspace.settings = new
            try:
                workspace.switch_model(workspace.model_path())
            except PolicyError:
                workspace.settings = old
                raise
            except Exception as error:  # a missing or unreadable file: shown, old model kept
                workspace.settings = old
                raise SettingsRefusedError(str(error)) from error
            # switch_model records the path; keep an empty one meaning "the default model".
            workspace.settings = new
        else:
            workspace.settings = new
        save_settings(workspace.data_dir, new)
        if model_changed:
            self.loader.reload_model()
        if embedder_changed:
            workspace.switch_embedder(new.embedder_backend)
            self.loader.reload_embedder()
        if new.ocr != old.ocr:
            self.status.showMessage(f"Settings saved; OCR will be {'on' if new.ocr else 'off'} "
                                    "from the next start", 8000)
            return
        self.status.showMessage("Settings saved", 4000)

    def shutdown(self) -> None:
        """Stop the answer and the indexing, and join both lanes. Safe to call twice."""
        if self._shut_down:
            return
        self._shut_down = True
        self.asker.stop()
        self.folder_sync.stop()
        self.indexer.cancel()
        for lane in (self.inference_lane, self.indexing_lane):
            lane.shutdown(SHUTDOWN_TIMEOUT_MS)

    # -- Qt events -----------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.shutdown()
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if _local_paths(event.mimeData().urls() if event.mimeData().hasUrls() else []):
            event.acceptProposedAction()
            self.status.showMessage("Drop to add these files to your library", 3000)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt's name)
        paths = _local_paths(event.mimeData().urls() if event.mimeData().hasUrls() else [])
        if paths:
            event.acceptProposedAction()
            self.indexer.add(paths)

    # -- helpers -------------------------------------------------------------------------------
    def _documents(self) -> list[DocumentRecord]:
        try:
            return self.workspace.library.documents()
        except Exception as error:  # no library (missing embedder): show it, keep chatting
            self.status.showMessage(f"Document library unavailable: {error}")
            return []

    def _refresh_documents(self) -> None:
        """Re-read the library (at start and after each job; files in a batch update the
        panel one by one as they are reported)."""
        self.documents.set_documents(self._documents())  # the counts follow (counts_changed)
        self._refresh_collections()

    def _refresh_collections(self) -> None:
        """List the collections, with their counts, in the scope selector and the menu."""
        collections: Collections | None
        try:
            collections = self.workspace.library.collections
            infos = collections.all()
        except Exception:  # no library (missing embedder): `_documents` said so already
            collections, infos = None, []
        self.scope.set_collections(CollectionRow(i.id, i.name, i.documents) for i in infos)
        self.documents.set_collection_names(
            [info.name for info in infos], collections.check_name if collections else None)

    def _show_conversation(self, conversation_id: int | None) -> None:
        if conversation_id is None:
            self.conversation_title.setText(DEFAULT_TITLE)
            self.view.show_entries([])
            return
        store = self.workspace.conversations
        conversation = store.get(conversation_id)
        self.conversation_title.setText(conversation.title if conversation else DEFAULT_TITLE)
        messages = store.messages(conversation_id)
        if conversation is not None:
            self._show_scope(conversation, bool(messages))
        self.view.show_entries([entry_from_message(m) for m in messages])
        if self.asker.conversation_id == conversation_id:
            text = self.asker.text_so_far
            self.view.begin_live("Writing…")
            self.view.update_live(text, "" if text else "Writing…")

    def _show_scope(self, conversation: Conversation, started: bool) -> None:
        """Show what the conversation searches, and why when its collection was deleted; a
        new one takes the scope in sight."""
        store = self.workspace.conversations
        self.scope.show_note("")
        collection_id, lost = conversation.collection_id, conversation.lost_collection
        if collection_id is None and not started and self.scope.current_id is not None:
            store.set_collection(conversation.id, self.scope.current_id)
            lost = None
        elif not self.scope.show_scope(collection_id) and collection_id is not None:
            # Deleted by a version that did not yet unscope its conversations.
            store.unscope(collection_id, "")
            lost = ""
        if lost is not None:
            self._note_unscoped(lost)

    def _on_scope_scope_chosen(self, collection_id: object) -> None:
        conversation_id = self.conversations.current_id
        if conversation_id is not None:
            self.workspace.conversations.set_collection(
                conversation_id, collection_id if isinstance(collection_id, int) else None)
        self.status.showMessage(f"Searching: {self.scope.current_name}", 4000)

    def _on_documents_collection_requested(self, name: str, paths: list[object],
                                           create: bool) -> None:
        self.add_to_collection(name, [path for path in paths if isinstance(path, Path)], create)

    def _viewing_answer(self, conversation_id: int) -> bool:
        return self.conversations.current_id == conversation_id

    # -- slots -----------------------------------------------------------------------------
    def _on_loader_model_state_changed(self, state: str, detail: str) -> None:
        self._model_state = LoadState(state)
        self.status.set_model_state(state, detail)

    def _on_status_choose_model_requested(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model file",
                                              str(Path.home()), "GGUF models (*.gguf)")
        if name:
            self.use_model_file(Path(name))

    def use_model_file(self, path: Path) -> None:
        """Answer with `path` from now on (saved in the settings); a refusal is shown."""
        try:
            self.apply_settings(self.workspace.settings.with_changes(model_path=str(path)))
        except (PolicyError, SettingsRefusedError) as error:
            QMessageBox.critical(self, "Model not used", str(error))

    def _on_composer_question_submitted(self, question: str) -> None:
        self.ask(question)

    def _on_filter_chip_cleared(self) -> None:
        if self._last_question and self.ask(self._last_question, filtered=False):
            self.filter_chip.show_filter("")
    def _on_composer_collection_question_submitted(self, question: str) -> None:
        self.ask(question, whole_collection=True)

    def _on_asker_status_changed(self, status: str) -> None:
        conversation_id = self.asker.conversation_id
        if conversation_id is not None and self._viewing_answer(conversation_id):
            self.view.update_live(self.asker.text_so_far, status)

    def _on_asker_collection_finished(self, conversation_id: int, answer: object) -> None:
        if not isinstance(answer, CollectionAnswer):
            return
        if self._viewing_answer(conversation_id):
            self.view.add_entry(entry_from_collection(answer))
        # Numbers first and short: the bar's permanent widgets leave little room, and the
        # whole line, cut off, read "Answered from 4 of 4" for 4 of 48. It is under the answer.
        coverage = answer.coverage
        self.status.showMessage(f"{len(coverage.answered_from)} of "
                                f"{len(coverage.files_in_scope)} answered"
                                + (" (stopped)" if answer.partial else ""), 8000)

    def _on_composer_stop_requested(self) -> None:
        self.asker.stop()
        if self.asker.conversation_id is not None and self.view.is_live:
            self.status.showMessage("Stopping after the current token…", 3000)

    def _on_asker_started(self, conversation_id: int, question: str) -> None:
        self.conversations.refresh(select=conversation_id)
        self.conversations.lock(conversation_id)
        self.conversation_title.setText(
            self.conversations.list.currentItem().text() if self.conversations.list.currentItem()
            else DEFAULT_TITLE)
        if self._viewing_answer(conversation_id):
            self.view.add_entry(ChatEntry(role="user", text=question))
            waiting = self._model_state is LoadState.LOADING
            self.view.begin_live("Waiting for the model to load…" if waiting
                                 else "Searching your documents…")

    def _on_asker_sources_found(self, passages: list[object]) -> None:
        conversation_id = self.asker.conversation_id
        if conversation_id is None or not self._viewing_answer(conversation_id):
            return
        count = len(passages)
        status = (f"Reading {count} passage{'s' if count != 1 else ''}…" if count
                  else "No matching passage found.")
        self.view.update_live("", status)

    def _on_asker_answer_streamed(self, text: str) -> None:
        conversation_id = self.asker.conversation_id
        if conversation_id is not None and self._viewing_answer(conversation_id):
            self.view.update_live(text, self.asker.status)

    def _on_asker_answer_finished(self, conversation_id: int, answer: object) -> None:
        if not isinstance(answer, Answer):
            return
        if self._viewing_answer(conversation_id):
            self.view.add_entry(entry_from_answer(answer))
        timings = answer.timings
        if timings.tokens:
            self.status.showMessage(
                f"{timings.tokens} tokens at {timings.tokens_per_s:.1f} tokens/s, "
                f"first token after {timings.ttft_ms:.0f} ms", 8000)

    def _on_asker_answer_failed(self, conversation_id: int, message: str) -> None:
        if self._viewing_answer(conversation_id):
            self.view.add_entry(ChatEntry(role="assistant", text="", error=message))

    def _on_asker_busy_changed(self, busy: bool) -> None:
        self.composer.set_busy(busy)
        if not busy:
            self.conversations.lock(None)
            self.conversations.refresh()

    def _on_conversations_conversation_selected(self, conversation_id: object) -> None:
        self._show_conversation(conversation_id if isinstance(conversation_id, int) else None)

    def _on_view_link_activated(self, url: QUrl) -> None:
        QGuiApplication.clipboard().setText(url.toString())
        self.status.showMessage(
            f"Enclave does not open web links; copied to the clipboard: {url.toString()}", 8000)

    def _on_view_highlighted(self, url: QUrl) -> None:
        if url.isEmpty() or url.scheme() in ("cite", "quote"):  # Their tooltips say where.
            self.status.clearMessage()
        else:
            self.status.showMessage(url.toString())

    def _on_indexer_busy_changed(self, busy: bool) -> None:
        stale = not busy and self.documents.model.count(Status.INDEXING) > 0
        self.documents.set_busy(busy)
        if stale:  # rows a cut batch left 'indexing': show their stored state
            self._refresh_documents()

    def _on_documents_counts_changed(self, indexed: int) -> None:
        self.status.set_document_count(indexed)
        self.view.set_document_count(indexed)

    def _on_indexer_batch_finished(self, report: object) -> None:
        if not isinstance(report, IngestReport):
            return
        self.documents.show_batch_finished(report)
        parts = [f"{len(report.added)} added", f"{len(report.replaced)} updated",
                 f"{len(report.unchanged)} unchanged"]
        if report.removed:
            parts.append(f"{len(report.removed)} removed")
        if report.renamed:
            parts.append(f"{len(report.renamed)} renamed")
        if report.failed:
            parts.append(f"{len(report.failed)} failed")
        prefix = "Indexing cancelled" if report.cancelled else "Indexing done"
        self.status.showMessage(f"{prefix}: {', '.join(parts)}; {report.chunks} chunks", 8000)
        if report.cancelled and not self._shut_down and self.indexer.interrupted is not None:
            self.documents.show_interrupted(self.indexer.interrupted)
        locked = [str(error.path) for error in report.failed if error.kind in PASSWORD_KINDS]
        if locked and not self._shut_down:
            self.ask_passwords(locked)

    def ask_passwords(self, paths: list[str]) -> PasswordsDialog:
        """List protected documents in one (window-modal) dialog; Unlock indexes them again
        with the passwords given. Files given while it is open join its list."""
        rows = [(path, self.documents.model.detail(path)) for path in paths]
        if self.passwords_dialog is not None:
            self.passwords_dialog.add_files(rows)
            return self.passwords_dialog
        dialog = PasswordsDialog(rows, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.unlock_documents(dialog.passwords()))
        dialog.finished.connect(self._on_passwords_dialog_finished)
        self.passwords_dialog = dialog
        dialog.open()
        return dialog

    def unlock_documents(self, passwords: dict[str, str]) -> None:
        """Index protected documents again, each with its password."""
        if not passwords:
            return
        self.documents.mark_indexing(list(passwords), "unlocking…")
        self.indexer.add([Path(path) for path in passwords],
                         {Path(path): password for path, password in passwords.items()})

    def _on_passwords_dialog_finished(self) -> None:
        self.passwords_dialog = None


def _local_paths(urls: list[QUrl]) -> list[Path]:
    return [Path(url.toLocalFile()) for url in urls if url.isLocalFile() and url.toLocalFile()]
