"""Loading the chat model and the embedder after the window is shown.

Each loads on the lane that will use it: the model on the inference lane (llama.cpp must stay
on one thread), the embedder on the indexing lane. Until they are ready the window is usable:
a question or a batch queued meanwhile simply runs after the load on the same lane.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QObject, Signal

from app.gui.lanes import Lane, call_job
from inference.logs import user_message
from inference.workspace import Workspace


class LoadState(StrEnum):
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


class ModelLoader(QObject):
    """Starts both loads and reports each one's state with a short readable text."""

    model_state_changed = Signal(str, str)
    """A `LoadState` value and the text to show (the model's name, or the error)."""
    embedder_state_changed = Signal(str, str)

    def __init__(self, workspace: Workspace, inference_lane: Lane, indexing_lane: Lane,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._inference_lane = inference_lane
        self._indexing_lane = indexing_lane
        self.model_name = ""
        self.embedder_name = ""

    def start(self) -> None:
        self._start_model()
        self._start_embedder()

    def reload_embedder(self) -> None:
        """Load the workspace's (new) embedder on the indexing lane, re-indexing the library
        when its stored vectors came from another backend (e.g. after choosing int8)."""
        self._start_embedder()

    def reload_model(self) -> None:
        """Load the workspace's (new) chat model on the inference lane, e.g. after a switch."""
        self._start_model()

    def _start_model(self) -> None:
        workspace = self._workspace
        try:
            self.model_name = workspace.model_path().stem
        except Exception as error:  # a missing model is shown, not fatal: documents still work
            self.model_state_changed.emit(LoadState.FAILED, str(error))
            return

        def load() -> str:
            model = workspace.model
            model.load()
            _ = model.file.sha256  # Hashed once here, not during the first answer.
            return self.model_name

        job = call_job("load model", load)
        job.returned.connect(self._on_model_job_returned)
        job.failed.connect(self._on_model_job_failed)
        self.model_state_changed.emit(LoadState.LOADING, self.model_name)
        self._inference_lane.submit(job)

    def _start_embedder(self) -> None:
        workspace = self._workspace
        try:
            embedder = workspace.library.embedder
        except Exception as error:  # no embedder: no search or indexing, chat history still works
            self.embedder_state_changed.emit(LoadState.FAILED, str(error))
            return
        self.embedder_name = embedder.name

        def load() -> str:
            embedder.load()
            library = workspace.library
            if library.needs_reindex():  # Another backend's vectors: embed everything again.
                library.reindex()
            return embedder.name

        job = call_job("load embedder", load)
        job.returned.connect(self._on_embedder_job_returned)
        job.failed.connect(self._on_embedder_job_failed)
        self.embedder_state_changed.emit(LoadState.LOADING, self.embedder_name)
        self._indexing_lane.submit(job)

    def _on_model_job_returned(self, name: object) -> None:
        self.model_name = str(name)
        self.model_state_changed.emit(LoadState.READY, self.model_name)

    def _on_model_job_failed(self, error: object) -> None:
        message = user_message(error) if isinstance(error, BaseException) else str(error)
        self.model_state_changed.emit(LoadState.FAILED, message)

    def _on_embedder_job_returned(self, name: object) -> None:
        self.embedder_state_changed.emit(LoadState.READY, str(name))

    def _on_embedder_job_failed(self, error: object) -> None:
        message = user_message(error) if isinstance(error, BaseException) else str(error)
        self.embedder_state_changed.emit(LoadState.FAILED, message)
