"""The Settings dialog: chat model, performance, and where and how data is kept.

The dialog only edits a `Settings` value; applying it (saving, switching and reloading the
model) is the window's job, handed in as `apply`, which raises `PolicyError` (or
`SettingsRefusedError`) to keep the dialog open with the reason shown. Whatever the managed
policy locks (`Policy.locked_settings()`) is shown disabled, with a lock marker whose tooltip
gives IT's reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from inference.model_info import AUTO_GPU_LAYERS, offload_text
from inference.paths import model_dirs, models_dir
from inference.policy import LOCK_AUDIT_LOG, LOCK_DATA_DIR, LOCK_MODEL, PolicyError
from inference.settings import Settings
from inference.workspace import Workspace

LOCK_TEXT = "🔒 Set by your organisation"
#: The context sizes offered (tokens); the spin box steps by this much.
CONTEXT_STEP = 512
MAX_CONTEXT = 131_072
MAX_GPU_LAYERS = 999
MAX_THREADS = 256
#: (Settings.embedder_backend, what the user sees); documents/embedder.py has the backends.
EMBEDDER_BACKENDS = (
    ("onnx-int8", "ONNX Runtime, int8 (default): fastest"),
    ("onnx", "ONNX Runtime, float: exact vectors, slower, re-indexes"),
    ("torch", "PyTorch"),
)


class SettingsRefusedError(RuntimeError):
    """The settings cannot be applied now (e.g. an answer is being written); says why."""


#: Applies the new settings; raises PolicyError or SettingsRefusedError to refuse them.
ApplySettings = Callable[[Settings], None]


class SettingsDialog(QDialog):
    def __init__(self, workspace: Workspace, apply: ApplySettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.workspace = workspace
        self._apply = apply
        self.settings = workspace.settings
        self.locked = workspace.policy.locked_settings()
        #: The last refusal shown (for tests and logs).
        self.error_message = ""
        #: Lock markers by setting name (only for locked settings).
        self.lock_markers: dict[str, QLabel] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(self._build_model_group())
        layout.addWidget(self._build_performance_group())
        layout.addWidget(self._build_privacy_group())
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._apply_locks()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setDefault(True)
        ok.setFocus()

    # -- construction ----------------------------------------------------------------------
    def _build_model_group(self) -> QGroupBox:
        group = QGroupBox("Chat model", self)
        form = QFormLayout(group)
        self.model_file_label = QLabel(self._current_model_name(), group)
        self.model_file_label.setTextFormat(Qt.TextFormat.PlainText)
        self.model_file_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Current file:", self.model_file_label)

        self.model_combo = QComboBox(group)
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(24)
        self._fill_model_combo()
        self.choose_model_button = QPushButton("Choose GGUF…", group)
        self.choose_model_button.clicked.connect(self._on_choose_model_button_clicked)
        row = QHBoxLayout()
        row.addWidget(self.model_combo, 1)
        row.addWidget(self.choose_model_button)
        form.addRow("Model:", row)
        self._model_form = form
        return group

    def _build_performance_group(self) -> QGroupBox:
        group = QGroupBox("Performance", self)
        form = QFormLayout(group)
        self.gpu_layers = QSpinBox(group)
        self.gpu_layers.setRange(AUTO_GPU_LAYERS, MAX_GPU_LAYERS)
        self.gpu_layers.setSpecialValueText("Automatic")
        self.gpu_layers.setToolTip("0: CPU only. Automatic: " + offload_text(AUTO_GPU_LAYERS))
        self.gpu_layers.setValue(self.settings.gpu_layers)
        form.addRow("GPU layers:", self.gpu_layers)
        note = QLabel("Using the GPU needs a CUDA build of llama-cpp-python.",
                      group)
        note.setObjectName("dialogMeta")
        note.setWordWrap(True)
        form.addRow("", note)

        self.context_size = QSpinBox(group)
        self.context_size.setRange(CONTEXT_STEP, MAX_CONTEXT)
        self.context_size.setSingleStep(CONTEXT_STEP)
        self.context_size.setSuffix(" tokens")
        self.context_size.setValue(self.settings.context_tokens)
        form.addRow("Context size:", self.context_size)

        self.threads = QSpinBox(group)
        self.threads.setRange(0, MAX_THREADS)
        self.threads.setSpecialValueText("Automatic")
        self.threads.setValue(self.settings.threads)
        form.addRow("Threads:", self.threads)

        self.embedder_backend = QComboBox(group)
        for backend, label in EMBEDDER_BACKENDS:
            self.embedder_backend.addItem(label, backend)
        index = self.embedder_backend.findData(self.settings.embedder_backend)
        self.embedder_backend.setCurrentIndex(max(0, index))
        self.embedder_backend.setToolTip(
            "int8 embeds about twice as fast as PyTorch with nearly the same search quality; "
            "its vectors differ, so switching to or from it re-indexes your documents.")
        form.addRow("Embedder:", self.embedder_backend)

        self.ocr = QCheckBox("Read scanned pages and pictures (OCR)", group)
        self.ocr.setChecked(self.settings.ocr)
        self.ocr.setToolTip(
            "Recognises the text of PDF pages that have none, and of PNG, JPEG and TIFF files, "
            "on this computer. Slow: about half a minute a page on a laptop.")
        form.addRow("Documents:", self.ocr)
        ocr_note = QLabel("Takes effect the next time Enclave starts.", group)
        ocr_note.setObjectName("dialogMeta")
        form.addRow("", ocr_note)
        return group

    def _build_privacy_group(self) -> QGroupBox:
        group = QGroupBox("Data and privacy", self)
        form = QFormLayout(group)
        self.data_dir_label = QLabel(str(self.workspace.data_dir), group)
        self.data_dir_label.setTextFormat(Qt.TextFormat.PlainText)
        self.data_dir_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_dir_label.setWordWrap(True)
        self.copy_path_button = QPushButton("Copy path", group)
        self.copy_path_button.setMinimumHeight(self.copy_path_button.sizeHint().height())
        self.copy_path_button.clicked.connect(self._on_copy_path_button_clicked)
        row = QHBoxLayout()
        row.addWidget(self.data_dir_label, 1)
        row.addWidget(self.copy_path_button)
        form.addRow("Data directory:", row)
        self._data_dir_form = form
        self._data_dir_row_index = form.rowCount() - 1

        self.encryption_label = QLabel(self.workspace.unlock().mode.label, group)
        self.encryption_label.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow("Encryption:", self.encryption_label)

        self.audit_log = QCheckBox("Keep an audit log of every answer", group)
        self.audit_log.setChecked(
            self.workspace.policy.audit_log_enabled(self.settings.audit_log))
        self.audit_question_text = QCheckBox("Store the question text in the audit log", group)
        self.audit_question_text.setToolTip(
            "Otherwise only the question's SHA-256 is kept")
        self.audit_question_text.setChecked(self.settings.audit_question_text)
        self.audit_log.toggled.connect(self.audit_question_text.setEnabled)
        self.audit_question_text.setEnabled(self.audit_log.isChecked())
        form.addRow("Audit:", self.audit_log)
        self._audit_row_index = form.rowCount() - 1
        form.addRow("", self.audit_question_text)
        return group

    def _fill_model_combo(self) -> None:
        current = self._current_model_path()
        paths = sorted({path.name: path for d in reversed(model_dirs()) if d.is_dir()
                        for path in d.glob("*.gguf")}.values())
        if current is not None and all(not _same(current, path) for path in paths):
            paths.append(current)
        for path in paths:
            self.model_combo.addItem(path.name, str(path))
            self.model_combo.setItemData(self.model_combo.count() - 1, str(path),
                                         Qt.ItemDataRole.ToolTipRole)
        if current is not None:
            self._select_model(current)

    def _apply_locks(self) -> None:
        if LOCK_MODEL in self.locked:
            self.model_combo.setEnabled(False)
            self.choose_model_button.setEnabled(False)
            self._model_form.addRow("", self._lock_marker(LOCK_MODEL))
        if LOCK_DATA_DIR in self.locked:
            self.data_dir_label.setEnabled(False)
            self._data_dir_form.insertRow(self._data_dir_row_index + 1, "",
                                          self._lock_marker(LOCK_DATA_DIR))
            self._audit_row_index += 1
        if LOCK_AUDIT_LOG in self.locked:
            self.audit_log.setChecked(True)
            self.audit_log.setEnabled(False)
            self._data_dir_form.insertRow(self._audit_row_index + 1, "",
                                          self._lock_marker(LOCK_AUDIT_LOG))

    def _lock_marker(self, name: str) -> QLabel:
        marker = QLabel(LOCK_TEXT if _has_glyph(LOCK_TEXT[0]) else LOCK_TEXT[2:], self)
        marker.setObjectName("lockMarker")
        marker.setStyleSheet("color: #8a5a00; font-size: 9pt;")
        marker.setToolTip(self.locked[name])
        self.lock_markers[name] = marker
        return marker

    # -- values ----------------------------------------------------------------------------
    def chosen_model_path(self) -> Path | None:
        data = self.model_combo.currentData()
        return Path(data) if isinstance(data, str) and data else None

    def choose_model(self, path: Path) -> None:
        """Select `path` in the model list, adding it when it is not there yet."""
        self._select_model(path, add=True)

    def values(self) -> Settings:
        """The settings as edited; an unchanged model keeps its stored (maybe empty) path."""
        chosen = self.chosen_model_path()
        current = self._current_model_path()
        model_path = self.settings.model_path
        if chosen is not None and (current is None or not _same(chosen, current)):
            model_path = str(chosen)
        audit = True if LOCK_AUDIT_LOG in self.locked else self.audit_log.isChecked()
        return self.settings.with_changes(
            model_path=model_path, gpu_layers=self.gpu_layers.value(),
            context_tokens=self.context_size.value(), threads=self.threads.value(),
            audit_log=audit, audit_question_text=self.audit_question_text.isChecked(),
            embedder_backend=str(self.embedder_backend.currentData()), ocr=self.ocr.isChecked())

    # -- Qt --------------------------------------------------------------------------------
    def accept(self) -> None:
        try:
            self._apply(self.values())
        except (PolicyError, SettingsRefusedError) as error:
            self.error_message = str(error)
            QMessageBox.critical(self, "Settings not applied", self.error_message)
            return
        super().accept()

    # -- helpers ---------------------------------------------------------------------------
    def _current_model_path(self) -> Path | None:
        try:
            return self.workspace.model_path()
        except Exception:  # not provisioned: the list still offers what there is
            return None

    def _current_model_name(self) -> str:
        path = self._current_model_path()
        return path.name if path is not None else "(none: the default model is not provisioned)"

    def _select_model(self, path: Path, add: bool = False) -> None:
        for index in range(self.model_combo.count()):
            data = self.model_combo.itemData(index)
            if isinstance(data, str) and _same(Path(data), path):
                self.model_combo.setCurrentIndex(index)
                return
        if add:
            self.model_combo.addItem(path.name, str(path))
            self.model_combo.setItemData(self.model_combo.count() - 1, str(path),
                                         Qt.ItemDataRole.ToolTipRole)
            self.model_combo.setCurrentIndex(self.model_combo.count() - 1)

    def _on_choose_model_button_clicked(self) -> None:
        start = str(models_dir()) if models_dir().is_dir() else str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model file", start,
                                              "GGUF models (*.gguf)")
        if name:
            self.choose_model(Path(name))

    def _on_copy_path_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(str(self.workspace.data_dir))


def _has_glyph(character: str) -> bool:
    """Whether the application font (or a fallback) can draw `character` (an emoji)."""
    return QFontMetrics(QGuiApplication.font()).inFontUcs4(ord(character))


def _same(a: Path, b: Path) -> bool:
    try:
        return a.expanduser().resolve() == b.expanduser().resolve()
    except OSError:
        return a == b
