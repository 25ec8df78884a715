"""The status bar: is the model ready, is the embedder ready, how many documents are there.

A coloured dot carries the state at a glance; the text says which model, or the error in
full (also in the tooltip, since a path can be long).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QStatusBar, QWidget

from app.gui.loading import LoadState

_DOT_COLOURS = {LoadState.LOADING: "#d99a1e", LoadState.READY: "#1f9d55",
                LoadState.FAILED: "#d93f3f"}


class StatusLabel(QLabel):
    """``● Model: SmolLM2 · ready`` with the dot in the state's colour."""

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusLabel")
        self.setTextFormat(Qt.TextFormat.RichText)
        self._what = what
        self.state: LoadState | None = None
        self.detail = ""

    def set_state(self, state: LoadState, detail: str) -> None:
        self.state = state
        self.detail = detail
        if state is LoadState.LOADING:
            text = f"{detail} · loading…" if detail else "loading…"
        elif state is LoadState.READY:
            text = f"{detail} · ready" if detail else "ready"
        else:
            text = "error: " + (detail if len(detail) <= 70 else detail[:69] + "…")
        colour = _DOT_COLOURS[state]
        self.setText(f'<span style="color:{colour}">●</span> {self._what}: {_escape(text)}')
        self.setToolTip(f"{self._what}: {detail}")


class StatusBar(QStatusBar):
    choose_model_requested = Signal()
    """The user wants to pick a GGUF file (offered while no chat model is available)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.setSizeGripEnabled(False)
        self.model_label = StatusLabel("Model", self)
        self.embedder_label = StatusLabel("Embedder", self)
        self.documents_label = QLabel("", self)
        self.documents_label.setObjectName("statusLabel")
        self.encryption_label = QLabel("", self)
        self.encryption_label.setObjectName("statusLabel")
        self.addPermanentWidget(self.encryption_label)
        self.addPermanentWidget(self.documents_label)
        self.addPermanentWidget(self.embedder_label)
        self.addPermanentWidget(self.model_label)
        self.choose_model_button = QPushButton("Choose a GGUF file…", self)
        self.choose_model_button.setToolTip("Pick a chat model file (.gguf) on this computer")
        self.choose_model_button.clicked.connect(self.choose_model_requested)
        self.choose_model_button.hide()
        self.addPermanentWidget(self.choose_model_button)

    def set_model_state(self, state: str, detail: str) -> None:
        self.model_label.set_state(LoadState(state), detail)
        self.choose_model_button.setVisible(LoadState(state) is LoadState.FAILED)

    def set_embedder_state(self, state: str, detail: str) -> None:
        self.embedder_label.set_state(LoadState(state), detail)

    def set_encryption(self, label: str, encrypted: bool) -> None:
        """How the data directory is stored; an unencrypted one says so plainly."""
        self.encryption_label.setText(label)
        self.encryption_label.setProperty("warning", not encrypted)
        self.encryption_label.setToolTip(
            "The document index and conversations are encrypted at rest" if encrypted else
            "This data directory was created without encryption")

    def set_document_count(self, count: int) -> None:
        self.documents_label.setText(f"{count} document{'s' if count != 1 else ''}")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
