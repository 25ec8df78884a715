"""The documents side panel: what is indexed, what failed and why, and indexing progress.

The panel shows state and emits what the user chose; the window hands that to the
`IndexingController`. Failures are listed in the panel itself rather than in a modal box,
so a batch of a hundred files with three bad ones never blocks the user.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.resources import icon_path
from documents.errors import DocumentError
from documents.extract import SUPPORTED_SUFFIXES
from documents.library import IngestProgress, IngestReport
from documents.store import DocumentRecord

PATH_ROLE = Qt.ItemDataRole.UserRole
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1

#: Failures listed in the panel at once; the rest are summarised as a count.
MAX_LISTED_FAILURES = 8


def _file_filter() -> str:
    patterns = " ".join(f"*{suffix}" for suffix in sorted(SUPPORTED_SUFFIXES))
    return f"Documents ({patterns});;All files (*)"


class DocumentsPanel(QFrame):
    """The library as a list with a status icon per file, plus add/remove and progress."""

    paths_chosen = Signal(list)
    """Files or folders the user picked to index (list of Path)."""
    remove_requested = Signal(list)
    """Documents the user asked to forget (list of Path)."""
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentsPanel")
        self._icons = {status: QIcon(str(icon_path(f"doc-{status}")))
                       for status in ("indexed", "failed", "indexing")}
        self._failures: list[DocumentError] = []

        title = QLabel("Documents", self)
        title.setObjectName("panelTitle")
        self.counts = QLabel("", self)
        self.counts.setObjectName("panelMeta")

        self.list = QListWidget(self)
        self.list.setObjectName("documentList")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setUniformItemSizes(True)
        self.list.setAcceptDrops(False)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemSelectionChanged.connect(self._on_list_item_selection_changed)

        self.add_files_button = QPushButton("Add files…", self)
        self.add_folder_button = QPushButton("Add folder…", self)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setEnabled(False)
        self.remove_button.setToolTip("Forget the selected documents (the files stay on disk)")
        self.add_files_button.clicked.connect(self._on_add_files_button_clicked)
        self.add_folder_button.clicked.connect(self._on_add_folder_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)

        self.progress_frame = QFrame(self)
        self.progress_frame.setObjectName("progressFrame")
        self.progress_label = QLabel("", self.progress_frame)
        self.progress_label.setObjectName("panelMeta")
        self.progress_bar = QProgressBar(self.progress_frame)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(6)
        self.cancel_button = QPushButton("Cancel", self.progress_frame)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_label, 1)
        progress_row.addWidget(self.cancel_button)
        progress_layout = QVBoxLayout(self.progress_frame)
        progress_layout.setContentsMargins(10, 8, 10, 8)
        progress_layout.setSpacing(6)
        progress_layout.addLayout(progress_row)
        progress_layout.addWidget(self.progress_bar)
        self.progress_frame.hide()

        self.failures_frame = QFrame(self)
        self.failures_frame.setObjectName("failuresFrame")
        self.failures_label = QLabel("", self.failures_frame)
        self.failures_label.setObjectName("failuresLabel")
        self.failures_label.setWordWrap(True)
        self.failures_label.setTextFormat(Qt.TextFormat.RichText)
        self.failures_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dismiss = QPushButton("Dismiss", self.failures_frame)
        dismiss.setObjectName("dismissButton")
        dismiss.clicked.connect(self._on_dismiss_button_clicked)
        failures_layout = QVBoxLayout(self.failures_frame)
        failures_layout.setContentsMargins(10, 8, 10, 8)
        failures_layout.addWidget(self.failures_label)
        failures_layout.addWidget(dismiss, 0, Qt.AlignmentFlag.AlignRight)
        self.failures_frame.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(self.counts)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.progress_frame)
        layout.addWidget(self.failures_frame)
        layout.addLayout(buttons)

    # -- state from the window ----------------------------------------------------------------
    def set_documents(self, records: Sequence[DocumentRecord],
                      indexing: Sequence[Path] = ()) -> None:
        """Show the library's documents, plus queued paths not in it yet as 'indexing'."""
        selected = {item.data(PATH_ROLE) for item in self.list.selectedItems()}
        self.list.clear()
        known = {record.path for record in records}
        for record in records:
            self._add_item(record.path, record.name, record.status, _tooltip(record))
        for path in indexing:
            if path not in known:
                self._add_item(path, path.name, "indexing", f"{path}\nWaiting to be indexed…")
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(PATH_ROLE) in selected:
                item.setSelected(True)
        indexed = [r for r in records if r.status == "indexed"]
        failed = len(records) - len(indexed)
        chunks = sum(r.chunk_count for r in indexed)
        parts = [f"{len(indexed)} document{'s' if len(indexed) != 1 else ''}",
                 f"{chunks} chunk{'s' if chunks != 1 else ''}"]
        if failed:
            parts.append(f"{failed} failed")
        self.counts.setText(" · ".join(parts))

    def _add_item(self, path: Path, name: str, status: str, tooltip: str) -> None:
        item = QListWidgetItem(self._icons.get(status, QIcon()), name)
        item.setData(PATH_ROLE, path)
        item.setData(STATUS_ROLE, status)
        item.setToolTip(tooltip)
        self.list.addItem(item)

    def show_batch_started(self, paths: Sequence[Path]) -> None:
        names = ", ".join(path.name for path in paths[:3]) + ("…" if len(paths) > 3 else "")
        self.progress_label.setText(f"Preparing {names}")
        self.progress_bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.progress_frame.show()

    def show_progress(self, progress: IngestProgress) -> None:
        self.progress_bar.setRange(0, max(progress.total, 1))
        self.progress_bar.setValue(progress.done)
        self.progress_label.setText(
            f"{progress.done} / {progress.total} files, {progress.chunks} chunks")
        self.progress_label.setToolTip(str(progress.path or ""))

    def show_batch_finished(self, report: IngestReport) -> None:
        if report.failed:
            self._failures.extend(report.failed)
            self._show_failures()

    def show_batch_failed(self, message: str) -> None:
        self.failures_label.setText(f"<b>Indexing stopped.</b><br>{html.escape(message)}")
        self.failures_frame.show()

    def set_busy(self, busy: bool) -> None:
        """Progress shows while any batch is queued or running."""
        self.progress_frame.setVisible(busy)
        if busy:
            self.progress_bar.setRange(0, 0)
            self.progress_label.setText("Waiting for the embedder…")
            self.cancel_button.setEnabled(True)

    def _show_failures(self) -> None:
        count = len(self._failures)
        lines = [f"<b>{count} file{'s' if count != 1 else ''} could not be indexed</b>"]
        for error in self._failures[:MAX_LISTED_FAILURES]:
            lines.append(f"{html.escape(error.path.name)} — {html.escape(error.reason)}")
        if count > MAX_LISTED_FAILURES:
            lines.append(f"…and {count - MAX_LISTED_FAILURES} more (see the list above)")
        self.failures_label.setText("<br>".join(lines))
        self.failures_frame.show()

    # -- slots ---------------------------------------------------------------------------------
    def _on_list_item_selection_changed(self) -> None:
        self.remove_button.setEnabled(bool(self.list.selectedItems()))

    def _on_add_files_button_clicked(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Add documents", str(Path.home()),
                                                _file_filter())
        if names:
            self.paths_chosen.emit([Path(name) for name in names])

    def _on_add_folder_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of documents",
                                                  str(Path.home()))
        if folder:
            self.paths_chosen.emit([Path(folder)])

    def _on_remove_button_clicked(self) -> None:
        paths = [item.data(PATH_ROLE) for item in self.list.selectedItems()
                 if item.data(STATUS_ROLE) != "indexing"]
        if paths:
            self.remove_requested.emit(paths)

    def _on_cancel_button_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.progress_label.setText("Cancelling after the current file…")
        self.cancel_requested.emit()

    def _on_dismiss_button_clicked(self) -> None:
        self._failures.clear()
        self.failures_frame.hide()


def _tooltip(record: DocumentRecord) -> str:
    if record.status == "indexed":
        pages = f"{record.pages} pages, " if record.pages else ""
        return f"{record.path}\nIndexed: {pages}{record.chunk_count} chunks"
    return f"{record.path}\nFailed: {record.error or 'unknown reason'}"
