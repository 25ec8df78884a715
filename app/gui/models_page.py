"""The Models page: the models on offer with what their files say, adding a GGUF file,
removing one, and choosing the model that answers.

Reading metadata (and hashing a large file) and the add-time check (loading the model and
answering a sample question) run on the inference lane; the page shows their results.
Choosing a model goes through the window's own model switch (`use_requested`), so the page
never loads a model for answering itself. The Compare tab (`compare_panel.py`) runs the
model comparison on the same lane.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui.compare_panel import ComparePanel
from app.gui.lanes import Lane, call_job
from app.gui.models_model import ModelRow, ModelsTableModel, model_rows
from inference.logs import user_message
from inference.model_info import offload_text
from inference.model_registry import AddedModel, ModelRegistry
from inference.policy import LOCK_MODEL
from inference.workspace import Workspace


class ModelsPage(QDialog):
    use_requested = Signal(object)
    """The user chose a model: carries its file's `Path`; the window switches to it."""
    rows_loaded = Signal()
    """The table holds fresh rows (after opening, adding, removing or switching)."""
    model_added = Signal(str)
    """A GGUF file passed the checks and was added: carries its name."""
    add_refused = Signal(str)
    """A GGUF file was refused: carries the reason shown on the page."""

    def __init__(self, workspace: Workspace, lane: Lane, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelsPage")
        self.setWindowTitle("Models")
        self.resize(1100, 820)
        self._workspace = workspace
        self._lane = lane
        self.registry = ModelRegistry(workspace.data_dir, workspace.policy)
        self.table_model = ModelsTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.offload_label = QLabel(self)
        self.offload_label.setObjectName("dialogMeta")
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.add_button = QPushButton("Add GGUF…", self)
        self.copy_box = QCheckBox("Copy into my models folder", self)
        self.copy_box.setChecked(True)
        self.copy_box.setToolTip("Unticked, Enclave uses the file where it is")
        self.remove_button = QPushButton("Remove", self)
        self.use_button = QPushButton("Use this model", self)
        self.use_button.setDefault(True)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        locked = workspace.policy.locked_settings().get(LOCK_MODEL)
        if locked:
            self.add_button.setEnabled(False)
            self.add_button.setToolTip(f"Set by your organisation: {locked}")
        buttons = QHBoxLayout()
        for widget in (self.add_button, self.copy_box, self.remove_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        buttons.addWidget(close)
        models_tab = QWidget(self)
        layout = QVBoxLayout(models_tab)
        layout.addWidget(self.offload_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message_label)
        layout.addLayout(buttons)
        self.compare = ComparePanel(workspace, lane, self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(models_tab, "Models")
        self.tabs.addTab(self.compare, "Compare")
        QVBoxLayout(self).addWidget(self.tabs)
        self.finished.connect(self.compare.stop)  # Closing the page stops a comparison.
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.remove_button.clicked.connect(self.remove_selected)
        self.use_button.clicked.connect(self.use_selected)
        self.refresh()

    # -- public API (the window and tests drive the page through these) ---------------------
    def refresh(self) -> None:
        """Re-read the models and their metadata on the lane; `rows_loaded` when done."""
        settings = self._workspace.settings
        self.offload_label.setText(f"GPU offload: {offload_text(settings.gpu_layers)}")
        registry, context = self.registry, settings.context_tokens
        job = call_job("read model metadata", lambda: model_rows(registry, context))
        job.returned.connect(self._on_rows_job_returned)
        job.failed.connect(self._on_job_failed)
        self._lane.submit(job)

    def add_file(self, path: Path, copy: bool) -> None:
        """Check `path` (load it, answer a sample question) and add it; off the GUI thread."""
        self._show(f"Checking {path.name}: loading it and answering a question from the "
                   "sample documents…")
        self.add_button.setEnabled(False)
        registry, settings = self.registry, self._workspace.settings
        job = call_job("add model", lambda: registry.add(path, copy, settings))
        job.returned.connect(self._on_add_job_returned)
        job.failed.connect(self._on_add_job_failed)
        self._lane.submit(job)

    def refresh_when_ready(self, state: str, detail: str) -> None:
        """Connected to the window's model state: a newly loaded model shows as in use."""
        del detail
        if state == "ready":
            self.refresh()

    def show_compare(self) -> ComparePanel:
        """Switch to the Compare tab."""
        self.tabs.setCurrentWidget(self.compare)
        return self.compare

    def select(self, name: str) -> bool:
        row = self.table_model.row_named(name)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def selected(self) -> ModelRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table_model.rows[rows[0].row()] if rows else None

    def use_selected(self) -> None:
        row = self.selected()
        if row is None:
            self._show("Choose a model in the list first.")
            return
        self.use_requested.emit(Path(row.path))

    def remove_selected(self) -> None:
        row = self.selected()
        if row is None:
            self._show("Choose a model in the list first.")
            return
        try:
            entry = self.registry.remove(row.name)
        except Exception as error:  # a bundled model or the one in use: said on the page
            self._show(user_message(error), error=True)
            return
        self._show(f"Removed {entry.name}.")
        self.refresh()

    # -- slots -----------------------------------------------------------------------------
    def _on_add_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Add a GGUF model file", str(Path.home()),
                                              "GGUF models (*.gguf)")
        if name:
            self.add_file(Path(name), self.copy_box.isChecked())

    def _on_rows_job_returned(self, rows: object) -> None:
        self.table_model.set_rows(list(rows) if isinstance(rows, list) else [])
        self.compare.set_models(self.table_model.rows)
        self.rows_loaded.emit()

    def _on_job_failed(self, error: object) -> None:
        self._show(user_message(error) if isinstance(error, BaseException) else str(error),
                   error=True)

    def _on_add_job_returned(self, added: object) -> None:
        self.add_button.setEnabled(not self._workspace.policy.locked_settings().get(LOCK_MODEL))
        assert isinstance(added, AddedModel)
        self._show(f"Added {added.entry.name}: asked \"{added.check.question}\", it answered "
                   f"\"{added.check.answer[:120]}\".")
        self.model_added.emit(added.entry.name)
        self.refresh()

    def _on_add_job_failed(self, error: object) -> None:
        self.add_button.setEnabled(not self._workspace.policy.locked_settings().get(LOCK_MODEL))
        message = user_message(error) if isinstance(error, BaseException) else str(error)
        self._show(f"Not added: {message}", error=True)
        self.add_refused.emit(message)

    def _show(self, text: str, error: bool = False) -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet("color: #b3261e;" if error else "")
