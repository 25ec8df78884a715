"""The documents side panel: what is indexed, what failed and why, and indexing progress.

The panel shows state and emits what the user chose; the window hands that to the
`IndexingController`. The library is a tree of folders and files over `DocumentsModel`,
updated file by file as the indexer reports, with a filter box. Failures are listed in the
panel itself rather than in a modal box, so a batch of a hundred files with three bad ones
never blocks the user; files that need a password wait there to be unlocked.
"""

from __future__ import annotations

import html
import time
from collections import deque
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.batch_progress import BatchEstimate, ocr_progress_text, progress_text
from app.gui.documents_model import (
    NAME_COLUMN,
    PATH_ROLE,
    STATUS_COLUMN,
    STATUS_ROLE,
    DocumentRow,
    DocumentsFilter,
    DocumentsModel,
    Status,
    indexed_detail,
)
from app.gui.name_dialog import CheckName, NameDialog
from app.pending_batch import PendingBatch
from app.wording import count
from documents.errors import DocumentError
from documents.extract import SUPPORTED_SUFFIXES
from documents.library import IngestProgress, IngestReport
from documents.store import DocumentRecord

#: Failures listed in the banner at once; the rest are summarised as a count.
MAX_LISTED_FAILURES = 8
#: The longest the panel shows queued reports before letting the window repaint, in s.
DRAIN_BUDGET_S = 0.03
#: How often the progress line refreshes its rates while no file finishes (a long book).
TICK_MS = 1000
STATUS_COLUMN_WIDTH = 96


def _file_filter() -> str:
    patterns = " ".join(f"*{suffix}" for suffix in sorted(SUPPORTED_SUFFIXES))
    return f"Documents ({patterns});;All files (*)"


class _StatusDelegate(QStyledItemDelegate):
    """Elides the status column at its end ('needs a pass…'), the names in their middle."""

    def initStyleOption(self, option: QStyleOptionViewItem,  # noqa: N802 (Qt's name)
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


class _ElidedLabel(QLabel):
    """One line that shortens itself in the middle ('Indexing a-very-lo…ng-name.pdf') rather
    than widening the panel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setMinimumWidth(40)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle,
                                                   max(self.width(), 40)))


class DocumentsPanel(QFrame):
    """The library grouped by folder with a status per file, plus add/remove and progress."""

    paths_chosen = Signal(list)
    """Files or folders the user picked to index (list of Path)."""
    remove_requested = Signal(list)
    """Documents the user asked to forget (list of Path)."""
    unlock_requested = Signal(list)
    """Files needing a password the user wants to unlock (list of str paths)."""
    cancel_requested = Signal()
    resume_requested = Signal()
    """The user chose to resume the batch an earlier run left unfinished."""
    resume_dismissed = Signal()
    counts_changed = Signal(int)
    """The number of indexed documents shown (the status bar follows it)."""
    collection_requested = Signal(str, list, bool)
    """Add the selected files and folders (list of Path) to the collection named; the bool
    asks for the collection to be made first ("New collection…")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentsPanel")
        self._batch_failures: list[DocumentError] = []
        self._estimate: BatchEstimate | None = None
        self._current = ""
        self._current_pages: int | None = None
        #: The file a start report named, until it is finished: the line keeps showing it.
        self._waiting_for: Path | None = None
        #: The latest report of the batch's OCR phase, once it has begun (pages, not files).
        self._ocr: IngestProgress | None = None
        #: The progress line of a running sync ("Syncing Reports: 3 changes"), else None.
        self._sync_title: str | None = None
        #: The collections' names, for the context menu's "Add to collection".
        self._collection_names: list[str] = []
        self._check_collection_name: CheckName | None = None
        self.name_dialog: NameDialog | None = None  # The open "New collection" dialog, if any.

        title = QLabel("Documents", self)
        title.setObjectName("panelTitle")
        self.counts = QLabel("", self)
        self.counts.setObjectName("panelMeta")
        self.counts.setWordWrap(True)

        self.model = DocumentsModel(self)
        self.proxy = DocumentsFilter(self.model, self)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("documentFilter")
        self.filter_edit.setPlaceholderText("Filter by name or status")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)

        self.tree = QTreeView(self)
        self.tree.setObjectName("documentList")
        self.tree.setModel(self.proxy)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setAcceptDrops(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.setItemDelegateForColumn(STATUS_COLUMN, _StatusDelegate(self.tree))
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_tree_context_menu_requested)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(STATUS_COLUMN, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(STATUS_COLUMN, STATUS_COLUMN_WIDTH)
        self.tree.selectionModel().selectionChanged.connect(self._on_tree_selection_changed)
        self.proxy.rowsInserted.connect(self._on_proxy_rows_inserted)

        self.add_files_button = QPushButton("Add files…", self)
        self.add_folder_button = QPushButton("Add folder…", self)
        self.unlock_button = QPushButton("Unlock…", self)
        self.unlock_button.setToolTip("Give the password of the documents that need one")
        self.unlock_button.setVisible(False)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setEnabled(False)
        self.remove_button.setToolTip("Forget the selected documents (the files stay on disk)")
        self.add_files_button.clicked.connect(self._on_add_files_button_clicked)
        self.add_folder_button.clicked.connect(self._on_add_folder_button_clicked)
        self.unlock_button.clicked.connect(self._on_unlock_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)

        self.progress_frame = QFrame(self)
        self.progress_frame.setObjectName("progressFrame")
        self.progress_label = _ElidedLabel(self.progress_frame)
        self.progress_label.setObjectName("progressCurrent")
        self.progress_counts = QLabel("", self.progress_frame)
        self.progress_counts.setObjectName("panelMeta")
        self.progress_counts.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_counts.setWordWrap(True)
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
        progress_layout.setSpacing(4)
        progress_layout.addLayout(progress_row)
        progress_layout.addWidget(self.progress_counts)
        progress_layout.addWidget(self.progress_bar)
        self.progress_frame.hide()
        self._updates: deque[IngestProgress] = deque()
        self._drain = QTimer(self)
        self._drain.setSingleShot(True)
        self._drain.setInterval(0)
        self._drain.timeout.connect(self._on_drain_timeout)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._on_tick_timeout)

        self.resume_frame = QFrame(self)
        self.resume_frame.setObjectName("failuresFrame")
        self.resume_label = QLabel("", self.resume_frame)
        self.resume_label.setObjectName("failuresLabel")
        self.resume_label.setWordWrap(True)
        self.resume_label.setTextFormat(Qt.TextFormat.PlainText)
        self.resume_button = QPushButton("Resume", self.resume_frame)
        self.resume_dismiss_button = QPushButton("Dismiss", self.resume_frame)
        self.resume_dismiss_button.setObjectName("dismissButton")
        self.resume_button.clicked.connect(self._on_resume_button_clicked)
        self.resume_dismiss_button.clicked.connect(self._on_resume_dismiss_button_clicked)
        resume_buttons = QHBoxLayout()
        resume_buttons.addStretch(1)
        resume_buttons.addWidget(self.resume_dismiss_button)
        resume_buttons.addWidget(self.resume_button)
        resume_layout = QVBoxLayout(self.resume_frame)
        resume_layout.setContentsMargins(10, 8, 10, 8)
        resume_layout.addWidget(self.resume_label)
        resume_layout.addLayout(resume_buttons)
        self.resume_frame.hide()

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
        counts_row = QHBoxLayout()
        counts_row.setSpacing(6)
        counts_row.addWidget(self.counts, 1)
        counts_row.addWidget(self.unlock_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(title)
        layout.addLayout(counts_row)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.resume_frame)
        layout.addWidget(self.progress_frame)
        layout.addWidget(self.failures_frame)
        layout.addLayout(buttons)
        self._update_counts()

    # -- state from the window ----------------------------------------------------------------
    def set_documents(self, records: Sequence[DocumentRecord]) -> None:
        """Show the library's documents, changing only the rows that differ."""
        self._apply_updates()
        self.model.reconcile(DocumentRow.from_record(record) for record in records)
        self._update_counts()

    def mark_indexing(self, paths: Sequence[str], detail: str) -> None:
        """Show files queued again (to unlock them) as being indexed."""
        for path in paths:
            self.model.upsert(DocumentRow.indexing(path, detail))
        self._update_counts()

    def show_batch_started(self, paths: Sequence[Path]) -> None:
        names = ", ".join(path.name for path in paths[:3]) + ("…" if len(paths) > 3 else "")
        self._start_batch(f"Preparing {names}")
        self._sync_title = None

    def show_sync_started(self, title: str) -> None:
        """A sync of the kept folders: its title stays the progress line's first line."""
        self._start_batch(title)
        self._sync_title = title

    def _start_batch(self, title: str) -> None:
        self._on_dismiss_button_clicked()  # a new batch: the last one's failures are old news
        self._estimate = BatchEstimate(0, time.monotonic())
        self._current, self._current_pages, self._waiting_for = "", None, None
        self._ocr = None
        self.progress_label.set_full_text(title)
        self.progress_counts.setText("")
        self.progress_bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.progress_frame.show()
        self._tick.start()

    def show_progress(self, progress: IngestProgress) -> None:
        """One report of the running batch: a file started or finished.

        Reports come in bursts (a few hundred small files embedded together are stored in
        a blink): they are queued and shown a slice of at most `DRAIN_BUDGET_S` at a time,
        so the window keeps repainting and answering between slices.
        """
        self._updates.append(progress)
        if not self._drain.isActive():
            self._drain.start()

    def _on_drain_timeout(self) -> None:
        self._apply_updates(time.monotonic() + DRAIN_BUDGET_S)
        if self._updates:
            self._drain.start()

    def _apply_updates(self, deadline: float | None = None) -> None:
        """Show queued reports (until `deadline`, or all of them), then the progress line."""
        last: IngestProgress | None = None
        while self._updates and (deadline is None or time.monotonic() < deadline):
            last = self._updates.popleft()
            self._apply(last)
        if last is None:
            return
        if self._estimate is None:
            self._estimate = BatchEstimate(last.total, time.monotonic())
        self._estimate.update(last.done, last.pages, time.monotonic(), last.total)
        if self._ocr is not None:  # the OCR phase counts pages
            self.progress_bar.setRange(0, max(self._ocr.ocr_total, 1))
            self.progress_bar.setValue(self._ocr.ocr_done)
        else:
            self.progress_bar.setRange(0, max(last.total, 1))
            self.progress_bar.setValue(last.done)
        self._show_progress_text()
        self._update_counts()

    def _apply(self, progress: IngestProgress) -> None:
        if progress.ocr_total:
            self._ocr = progress
        if progress.current is not None:
            self._current, self._current_pages = progress.current.name, progress.current_pages
            self._waiting_for = progress.current
            if self.model.status(str(progress.current)) is None:
                self.model.upsert(DocumentRow.indexing(str(progress.current)))
        elif progress.path is not None:
            if self._waiting_for in (None, progress.path):  # else the wait still names it
                self._waiting_for = None
                self._current, self._current_pages = progress.path.name, progress.file_pages
            self._show_file(progress)

    def _show_file(self, progress: IngestProgress) -> None:
        assert progress.path is not None
        path = str(progress.path)
        if progress.error is not None:
            self.model.upsert(DocumentRow.from_error(progress.error))
        elif not progress.unchanged:
            self.model.upsert(DocumentRow(
                path, Status.INDEXED, indexed_detail(progress.file_pages, progress.file_chunks),
                progress.file_chunks))
        elif self.model.status(path) == Status.INDEXING:
            self.model.remove(path)  # unchanged but unknown here: the next reload shows it

    def _show_progress_text(self) -> None:
        if self._estimate is None:
            return
        ocr = self._ocr
        text = progress_text(self._estimate, self._current, self._current_pages) if ocr is None \
            else ocr_progress_text(self._current, ocr.ocr_done, ocr.ocr_total,
                                   ocr.ocr_pages_per_s, ocr.ocr_seconds_left)
        self.progress_label.set_full_text(text.current if ocr is not None
                                            else self._sync_title or text.current)
        self.progress_counts.setText(text.counts)

    def show_batch_finished(self, report: IngestReport) -> None:
        """Drop the files the batch purged, record failures the library keeps no row for,
        and list the batch's failures (no re-read of the library: rows changed one by one)."""
        self._apply_updates()
        for path in report.removed:
            self.model.remove(str(path))
        for error in report.failed:
            if self.model.status(str(error.path)) in (None, Status.INDEXING):
                self.model.upsert(DocumentRow.from_error(error, transient=True))
        self._update_counts()
        if report.failed:
            self._batch_failures = list(report.failed)
            self._show_failures()

    def show_batch_failed(self, message: str) -> None:
        self._batch_failures = []
        self.failures_label.setText(f"<b>Indexing stopped.</b><br>{html.escape(message)}")
        self.failures_frame.show()

    def show_interrupted(self, batch: PendingBatch) -> None:
        """Offer to resume a batch an earlier run did not finish (non-modal)."""
        what = (count(batch.files, "file") if batch.files
                else count(len(batch.paths), "file or folder", "files or folders"))
        self.resume_label.setText(f"Indexing of {what} was interrupted. Files already "
                                  "indexed are kept; resume to index the rest.")
        self.resume_label.setToolTip("\n".join(batch.paths[:20]))
        self.resume_frame.show()

    def set_busy(self, busy: bool) -> None:
        """Progress shows while any batch is queued or running."""
        self.progress_frame.setVisible(busy)
        if busy:
            self.progress_bar.setRange(0, 0)
            self.progress_label.set_full_text("Waiting for the embedder…")
            self.progress_counts.setText("")
            self.cancel_button.setEnabled(True)
        else:
            self._apply_updates()
            self._tick.stop()
            self._estimate = None
            self.model.clear_indexing()
            self._update_counts()

    def selected_paths(self, status: Status | None = None) -> list[str]:
        """Files selected (a selected folder stands for all its files), by path."""
        paths: list[str] = []
        for index in self.tree.selectionModel().selectedRows(NAME_COLUMN):
            source = self.proxy.mapToSource(index)
            item = self.model.itemFromIndex(source)
            children = ([item.child(row) for row in range(item.rowCount())]
                        if item.data(STATUS_ROLE) == Status.FOLDER else [item])
            paths.extend(str(child.data(PATH_ROLE)) for child in children
                         if status is None or child.data(STATUS_ROLE) == status)
        return list(dict.fromkeys(paths))

    def selected_members(self) -> list[Path]:
        """The selected rows as collection members: a folder row stands for the folder
        itself (files indexed in it later join the collection), a file row for the file."""
        members: list[Path] = []
        for index in self.tree.selectionModel().selectedRows(NAME_COLUMN):
            item = self.model.itemFromIndex(self.proxy.mapToSource(index))
            members.append(Path(str(item.data(PATH_ROLE))))
        return list(dict.fromkeys(members))

    def set_collection_names(self, names: Sequence[str], check: CheckName | None = None) -> None:
        """The collections to offer in "Add to collection", and the check a new collection's
        name must pass (`Collections.check_name`; without one no new collection is offered)."""
        self._collection_names = list(names)
        self._check_collection_name = check

    # -- display -------------------------------------------------------------------------------
    def _update_counts(self) -> None:
        indexed = self.model.count(Status.INDEXED)
        failed = self.model.count(Status.FAILED)
        locked = self.model.count(Status.LOCKED)
        parts = [count(indexed, "document"), count(self.model.chunks, "chunk")]
        if failed:
            parts.append(f"{failed:,} failed")
        if locked:
            parts.append(f"{locked:,} need{'s' if locked == 1 else ''} a password")
        self.counts.setText(" · ".join(parts))
        self.counts_changed.emit(indexed)
        self.unlock_button.setVisible(locked > 0)
        if self.failures_frame.isVisible() and self._batch_failures:
            self._show_failures()

    def _show_failures(self) -> None:
        """The banner: the library's count of files not indexed (the header's, so the two
        agree), then the reasons of the last batch's failures."""
        failed = self.model.count(Status.FAILED)
        locked = self.model.count(Status.LOCKED)
        not_indexed = failed + locked
        if not_indexed == 0:
            self.failures_frame.hide()
            return
        heading = f"{count(not_indexed, 'file')} could not be indexed"
        if locked:
            heading += f" ({locked:,} need{'s' if locked == 1 else ''} a password)"
        lines = [f"<b>{heading}</b>"]
        listed = self._batch_failures[:MAX_LISTED_FAILURES]
        lines += [f"{html.escape(error.path.name)} — {html.escape(error.reason)}"
                  for error in listed]
        if not_indexed > len(listed):
            lines.append(f"…and {not_indexed - len(listed):,} more: see the list above")
        self.failures_label.setText("<br>".join(lines))
        self.failures_frame.show()

    # -- slots ---------------------------------------------------------------------------------
    def _on_filter_edit_text_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        if text.strip():
            self.tree.expandAll()

    def _on_proxy_rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if not parent.isValid():  # a new folder: show its files
            for row in range(first, last + 1):
                self.tree.expand(self.proxy.index(row, NAME_COLUMN))

    def _on_tree_selection_changed(self) -> None:
        selected = self.selected_paths()
        self.remove_button.setEnabled(any(
            self.model.status(path) != Status.INDEXING for path in selected))

    def _on_tree_context_menu_requested(self, position: QPoint) -> None:
        menu = self.context_menu()
        if not menu.isEmpty():
            menu.exec(self.tree.viewport().mapToGlobal(position))

    def context_menu(self) -> QMenu:
        """The selection's menu: unlock, add to a collection (or a new one), remove."""
        menu = QMenu(self)
        locked = self.selected_paths(Status.LOCKED)
        if locked:
            menu.addAction(f"Unlock {count(len(locked), 'file')}…",
                           lambda: self.unlock_requested.emit(locked))
        members = self.selected_members()
        if members:
            target = menu.addMenu("Add to collection")
            for name in self._collection_names:
                target.addAction(name, partial(self.collection_requested.emit, name, members,
                                               False))
            if self._collection_names:
                target.addSeparator()
            if self._check_collection_name is not None:
                target.addAction("New collection…", lambda: self._new_collection(members))
        if self.remove_button.isEnabled():
            menu.addAction("Remove", self._on_remove_button_clicked)
        return menu

    def _new_collection(self, members: list[Path]) -> NameDialog:
        """Ask for the name (window-modal; the same dialog and checks as File → Collections);
        OK asks for the collection to be made with the selected members."""
        assert self._check_collection_name is not None
        dialog = NameDialog("New collection", "Name of the new collection (e.g. Client A):",
                            self._check_collection_name, ok_text="Create", parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.collection_requested.emit(dialog.name(), members, True))
        self.name_dialog = dialog
        dialog.open()
        return dialog

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

    def _on_unlock_button_clicked(self) -> None:
        """The selected files that need a password, or all of them when none is selected."""
        self.unlock_requested.emit(self.selected_paths(Status.LOCKED)
                                   or self.model.paths(Status.LOCKED))

    def _on_remove_button_clicked(self) -> None:
        paths = [path for path in self.selected_paths()
                 if self.model.status(path) != Status.INDEXING]
        for path in paths:  # failures the library keeps no row for: nothing to ask it
            if self.model.transient(path):
                self.model.remove(path)
        self._update_counts()
        if paths:
            self.remove_requested.emit([Path(path) for path in paths])

    def _on_cancel_button_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.progress_label.set_full_text(
            "Cancelling after the current " + ("page…" if self._ocr is not None else "file…"))
        self.cancel_requested.emit()

    def _on_tick_timeout(self) -> None:
        if self._estimate is not None:
            self._estimate.update(self._estimate.done, self._estimate.pages, time.monotonic())
            if self.cancel_button.isEnabled():
                self._show_progress_text()

    def _on_dismiss_button_clicked(self) -> None:
        self._batch_failures.clear()
        self.failures_frame.hide()

    def _on_resume_button_clicked(self) -> None:
        self.resume_frame.hide()
        self.resume_requested.emit()

    def _on_resume_dismiss_button_clicked(self) -> None:
        self.resume_frame.hide()
        self.resume_dismissed.emit()
