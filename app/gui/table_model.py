"""A read-only Qt table over a list of named, plain-value rows.

The Models page and the comparison's results table are the same kind of table: one frozen
record a row, a fixed tuple of column titles, the row's name under `UserRole` (so a
selection finds its record without parsing text) and a bold font for the one row that
stands out. They differ only in how a cell reads and in a role or two of their own, so
those are all a subclass writes; counting, headers, role dispatch and the row updates
(a new row is inserted, never a reset) live here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont


class NamedRow(Protocol):
    """A row the table can key by name (a model's display name is unique in both tables)."""

    @property
    def name(self) -> str: ...


R = TypeVar("R", bound=NamedRow)


class RowTableModel(QAbstractTableModel, Generic[R]):
    """Rows of `R` under `columns`; subclasses say how a cell reads (`_text`).

    `header_tips` gives a column's header a tooltip, for a title too short to explain itself.
    """

    def __init__(self, columns: Sequence[str], parent: Any = None,
                 header_tips: Mapping[int, str] | None = None) -> None:
        super().__init__(parent)
        self._columns = tuple(columns)
        self._header_tips = dict(header_tips or {})
        self._rows: list[R] = []

    @property
    def rows(self) -> list[R]:
        """A copy, so a caller cannot change the rows behind the views' back."""
        return list(self._rows)

    def set_rows(self, rows: Iterable[R]) -> None:
        """Replace every row at once (a reload, a reopened run): one reset, not a row at a time."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def append(self, row: R) -> None:
        """Add one row as it arrives, so the view keeps its scroll position and selection."""
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        self._rows.append(row)
        self.endInsertRows()

    def row_named(self, name: str) -> int | None:
        """The row of the record called `name`, to select it again after a reload."""
        return next((i for i, r in enumerate(self._rows) if r.name == name), None)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is not Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._header_tips.get(section)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, index.column())
        if role == Qt.ItemDataRole.FontRole:
            return _bold_font() if self._bold(row) else None
        if role == Qt.ItemDataRole.UserRole:
            return row.name
        return self._role_data(row, index.column(), role)

    def _text(self, row: R, column: int) -> str:
        """What the cell shows; every table formats its own columns."""
        raise NotImplementedError

    def _bold(self, row: R) -> bool:
        """Whether the row stands out (the model in use, the recommended one)."""
        return False

    def _role_data(self, row: R, column: int, role: int) -> Any:
        """A role this table answers besides text, font and name (tooltip, alignment)."""
        return None


def _bold_font() -> QFont:
    # Per call, not at import: a QFont takes its defaults from the running application.
    font = QFont()
    font.setBold(True)
    return font
