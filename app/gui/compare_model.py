"""The comparison's results table: one row per model, plain values from `ModelOutcome`.

Rows arrive one by one while a comparison runs (each `ModelCompared` event) and all at once
when a kept run is reopened; the model only formats them, as the CLI's table does.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from inference.evaluation.compare import ModelOutcome, quoted_text

COLUMNS = ("Model", "Parameters", "Quantization", "Load s", "RAM MB", "Peak RSS MB",
           "First token ms", "Tokens/s", "EM", "F1", "Found", "Declined", "Quoted",
           "Questions")
#: The column of the verified-quote share (answer sentences a source span supports).
QUOTED_COLUMN = COLUMNS.index("Quoted")


def outcome_values(model: ModelOutcome) -> tuple[str, ...]:
    """One row of the table, as text."""
    return (model.name, model.parameters_text, model.quantization, f"{model.load_s:.1f}",
            f"{model.ram_bytes / 2**20:.0f}", f"{model.peak_rss_bytes / 2**20:.0f}",
            f"{model.ttft_ms:.0f}", f"{model.tokens_per_s:.1f}", f"{model.exact_match:.2f}",
            f"{model.f1:.2f}", f"{model.contains:.2f}", f"{model.declined:.2f}",
            quoted_text(model.supported_share), str(model.asked))


class CompareTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[ModelOutcome] = []
        self._recommended: str | None = None

    @property
    def rows(self) -> list[ModelOutcome]:
        return list(self._rows)

    def set_rows(self, rows: list[ModelOutcome], recommended: str | None) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._recommended = recommended
        self.endResetModel()

    def append(self, row: ModelOutcome) -> None:
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        self._rows.append(row)
        self.endInsertRows()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole \
                and section == QUOTED_COLUMN:
            return "Share of answer sentences a verified quote of the given sources supports"
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            text = outcome_values(row)[index.column()]
            if index.column() == 0 and row.name == self._recommended:
                text += " ✓ recommended"
            return text
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and row.name == self._recommended:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.UserRole:
            return row.name
        return None
