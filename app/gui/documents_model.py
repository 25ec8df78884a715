"""The documents panel's model: the library's files grouped by folder, updated file by file.

A `QStandardItemModel` tree (folders, then their files; two columns: name and status) that
changes one row at a time as the indexer reports each file, so a batch of thousands of files
costs thousands of small updates, never a rebuild per file. Item data holds only plain
strings and ints. `DocumentsFilter` sorts it and filters it by name or status, keeping the
folders of matching files.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QIcon, QStandardItem, QStandardItemModel

from app.gui.resources import icon_path
from documents.errors import DocumentError, FailureKind
from documents.store import DocumentRecord

PATH_ROLE = Qt.ItemDataRole.UserRole
"""The file's (or folder's) full path, as a string."""
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1
"""A `Status` value (a string)."""
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
CHUNKS_ROLE = Qt.ItemDataRole.UserRole + 3
TRANSIENT_ROLE = Qt.ItemDataRole.UserRole + 4
"""True for a failure the library keeps no record of (a file that could not even be read)."""

NAME_COLUMN = 0
STATUS_COLUMN = 1

#: Failure kinds the user can fix by giving a password.
PASSWORD_KINDS = frozenset({FailureKind.NEEDS_PASSWORD, FailureKind.WRONG_PASSWORD})


class Status(StrEnum):
    FOLDER = "folder"
    INDEXED = "indexed"
    FAILED = "failed"
    LOCKED = "locked"
    """Needs a password (or the one given was wrong): the user can unlock it later."""
    INDEXING = "indexing"


@dataclass(frozen=True)
class DocumentRow:
    """One file's row, in plain values."""

    path: str
    status: Status
    detail: str
    """The status column: pages and chunks, or the reason it failed."""
    chunks: int = 0
    transient: bool = False
    about: str = ""
    """What the document is: its title, period and sections, as derived at indexing."""

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def folder(self) -> str:
        return str(Path(self.path).parent)

    @property
    def tooltip(self) -> str:
        labels = {Status.INDEXED: "Indexed", Status.INDEXING: "Indexing",
                  Status.LOCKED: "Not indexed", Status.FAILED: "Not indexed"}
        about = f"\n{self.about}" if self.about else ""
        return f"{self.path}{about}\n{labels.get(self.status, '')}: {self.detail}"

    @classmethod
    def from_record(cls, record: DocumentRecord) -> DocumentRow:
        if record.status == "indexed":
            return cls(str(record.path), Status.INDEXED,
                       indexed_detail(record.pages, record.chunk_count), record.chunk_count,
                       about=describe(record))
        reason = record.error or "not indexed"
        return cls(str(record.path), Status.LOCKED if _is_password(reason) else Status.FAILED,
                   reason)

    @classmethod
    def from_error(cls, error: DocumentError, transient: bool = False) -> DocumentRow:
        status = Status.LOCKED if error.kind in PASSWORD_KINDS else Status.FAILED
        return cls(str(error.path), status, error.reason, transient=transient)

    @classmethod
    def indexing(cls, path: str, detail: str = "indexing…") -> DocumentRow:
        return cls(path, Status.INDEXING, detail)


def indexed_detail(pages: int | None, chunks: int) -> str:
    parts = [f"{pages} page{'s' if pages != 1 else ''}"] if pages else []
    parts.append(f"{chunks} chunk{'s' if chunks != 1 else ''}")
    return " · ".join(parts)


def describe(record: DocumentRecord) -> str:
    """Title, period and the first sections of a document, for its tooltip."""
    lines = [" · ".join(part for part in (record.title, record.period) if part)]
    if record.headings:
        shown = ", ".join(record.headings[:6])
        more = f" and {len(record.headings) - 6} more" if len(record.headings) > 6 else ""
        lines.append(f"Sections: {shown}{more}")
    return "\n".join(line for line in lines if line)


def _sort_key(name: str) -> str:
    """Case-insensitive, with numbers in numeric order: 'note 2' before 'Note 10'."""
    return re.sub(r"\d+", lambda digits: digits.group().zfill(12), name.casefold())


def _is_password(reason: str) -> bool:
    """Whether a stored reason is a password failure (the store keeps the reason's text,
    which starts with its kind's stable value)."""
    return any(reason.startswith(kind.value) for kind in PASSWORD_KINDS)


class DocumentsModel(QStandardItemModel):
    """Folders and their files; `upsert` and `remove` change one row, `reconcile` a few."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(0, 2, parent)
        self._icons = {status: QIcon(str(icon_path(f"doc-{name}"))) for status, name in (
            (Status.INDEXED, "indexed"), (Status.FAILED, "failed"), (Status.LOCKED, "failed"),
            (Status.INDEXING, "indexing"))}
        self._files: dict[str, QStandardItem] = {}
        self._folders: dict[str, QStandardItem] = {}
        self._counts: Counter[str] = Counter()
        self._chunks = 0

    # -- queries -------------------------------------------------------------------------------
    def count(self, status: Status) -> int:
        return self._counts[status]

    @property
    def chunks(self) -> int:
        """Chunks of the indexed files."""
        return self._chunks

    def status(self, path: str) -> Status | None:
        item = self._files.get(path)
        return None if item is None else Status(item.data(STATUS_ROLE))

    def detail(self, path: str) -> str:
        item = self._files.get(path)
        return "" if item is None else self._status_item(item).text()

    def transient(self, path: str) -> bool:
        item = self._files.get(path)
        return item is not None and bool(item.data(TRANSIENT_ROLE))

    def paths(self, status: Status | None = None) -> list[str]:
        return [path for path, item in self._files.items()
                if status is None or item.data(STATUS_ROLE) == status]

    # -- changes -------------------------------------------------------------------------------
    def upsert(self, row: DocumentRow) -> None:
        """Show `row`: update the file's row in place, or add it under its folder."""
        item = self._files.get(row.path)
        if item is None:
            item = QStandardItem(row.name)
            item.setEditable(False)
            item.setData(row.path, PATH_ROLE)
            item.setData(_sort_key(row.name), SORT_ROLE)
            status_item = QStandardItem()
            status_item.setEditable(False)
            folder = self._folder(row.folder)
            folder.appendRow([item, status_item])
            self._files[row.path] = item
            self._set_folder_count(folder)
        else:
            old = item.data(STATUS_ROLE)
            if (old == row.status and self._status_item(item).text() == row.detail
                    and bool(item.data(TRANSIENT_ROLE)) == row.transient):
                return
            self._counts[old] -= 1
            if old == Status.INDEXED:
                self._chunks -= int(item.data(CHUNKS_ROLE) or 0)
            status_item = self._status_item(item)
        item.setData(str(row.status), STATUS_ROLE)
        item.setData(row.chunks, CHUNKS_ROLE)
        item.setData(row.transient, TRANSIENT_ROLE)
        item.setIcon(self._icons[row.status])
        item.setToolTip(row.tooltip)
        status_item.setText(row.detail)
        status_item.setToolTip(row.tooltip)
        self._counts[row.status] += 1
        if row.status == Status.INDEXED:
            self._chunks += row.chunks

    def remove(self, path: str) -> None:
        item = self._files.pop(path, None)
        if item is None:
            return
        self._counts[item.data(STATUS_ROLE)] -= 1
        if item.data(STATUS_ROLE) == Status.INDEXED:
            self._chunks -= int(item.data(CHUNKS_ROLE) or 0)
        folder = item.parent()
        folder.removeRow(item.row())
        if folder.rowCount() == 0:
            self._folders.pop(str(folder.data(PATH_ROLE)), None)
            self.removeRow(folder.row())
        else:
            self._set_folder_count(folder)

    def reconcile(self, rows: Iterable[DocumentRow]) -> None:
        """Make the model show exactly `rows` (the library's records), changing only what
        differs; failures the library keeps no record of, and files being indexed, stay."""
        seen: set[str] = set()
        for row in rows:
            seen.add(row.path)
            if self.status(row.path) == Status.INDEXING and row.status != Status.INDEXED:
                continue  # queued again (e.g. to unlock): its next report decides
            self.upsert(row)
        for path, item in list(self._files.items()):
            if path not in seen and not item.data(TRANSIENT_ROLE) \
                    and item.data(STATUS_ROLE) != Status.INDEXING:
                self.remove(path)

    def clear_indexing(self) -> None:
        """Drop rows still shown as being indexed (the batch ended before them)."""
        for path in self.paths(Status.INDEXING):
            self.remove(path)

    # -- helpers -------------------------------------------------------------------------------
    def _folder(self, folder: str) -> QStandardItem:
        item = self._folders.get(folder)
        if item is None:
            item = QStandardItem(Path(folder).name or folder)
            item.setEditable(False)
            item.setData(folder, PATH_ROLE)
            item.setData(str(Status.FOLDER), STATUS_ROLE)
            item.setData(_sort_key(folder), SORT_ROLE)
            item.setToolTip(folder)
            count = QStandardItem()
            count.setEditable(False)
            self.appendRow([item, count])
            self._folders[folder] = item
        return item

    def _set_folder_count(self, folder: QStandardItem) -> None:
        count = folder.rowCount()
        parent = folder.parent() or self.invisibleRootItem()
        parent.child(folder.row(), STATUS_COLUMN).setText(
            f"{count} file{'s' if count != 1 else ''}")

    def _status_item(self, item: QStandardItem) -> QStandardItem:
        return item.parent().child(item.row(), STATUS_COLUMN)


class DocumentsFilter(QSortFilterProxyModel):
    """Sorted by name (folders by path); the filter matches a file's name or status, and
    keeps the folders of the files it matches."""

    def __init__(self, source: DocumentsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setRecursiveFilteringEnabled(True)
        self.setDynamicSortFilter(True)
        self.sort(NAME_COLUMN)
        self._needle = ""

    def set_text(self, text: str) -> None:
        """Show only the files whose name or status contains `text` (any case)."""
        needle = text.strip().casefold()
        if needle != self._needle:
            self.beginFilterChange()
            self._needle = needle
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int,  # noqa: N802 (Qt's name)
                         source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not source_parent.isValid():
            return False  # a folder shows when one of its files does (recursive filtering)
        if not self._needle:
            return True
        model = self.sourceModel()
        needle = self._needle
        return any(needle in str(model.index(source_row, column, source_parent).data()
                                 ).casefold() for column in (NAME_COLUMN, STATUS_COLUMN))
