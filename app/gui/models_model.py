"""The Models page's table: one row per model, plain values only.

Rows are `ModelRow`s built off the GUI thread (reading a file's metadata and hashing it
takes seconds for a large model); the table only formats them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt

from app.gui.table_model import RowTableModel
from inference.model_info import megabytes
from inference.model_registry import ModelEntry, ModelRegistry


@dataclass(frozen=True)
class ModelRow:
    """What the table shows of a model; `error` when its file could not be read."""

    name: str
    path: str
    origin: str
    source: str
    licence: str
    architecture: str = ""
    parameters: str = ""
    quantization: str = ""
    context_length: int = 0
    chat_template: bool = False
    sha256: str = ""
    ram_estimate_bytes: int = 0
    measured_ram_bytes: int = 0
    in_use: bool = False
    error: str = ""


def model_rows(registry: ModelRegistry, context_tokens: int) -> list[ModelRow]:
    """Every model on offer with its metadata; call off the GUI thread."""
    from inference.model_info import describe_model

    in_use = registry.in_use()
    rows = []
    for entry in registry.entries():
        base = _base(entry, entry.path == in_use)
        try:
            details = describe_model(entry.path)
        except Exception as error:  # a missing or damaged file is shown, not fatal
            rows.append(ModelRow(**base, error=str(error)))
            continue
        rows.append(ModelRow(
            **base, architecture=details.architecture, parameters=details.parameters_text,
            quantization=details.quantization, context_length=details.context_length,
            chat_template=details.chat_template, sha256=details.sha256,
            ram_estimate_bytes=details.ram_estimate_bytes(context_tokens),
            measured_ram_bytes=entry.measured_ram_bytes))
    return rows


def _base(entry: ModelEntry, in_use: bool) -> dict[str, Any]:
    return {"name": entry.name, "path": str(entry.path), "origin": entry.origin.value,
            "source": entry.source, "licence": entry.licence, "in_use": in_use}


_COLUMNS = ("Model", "Origin", "Parameters", "Quantization", "Context", "Chat template",
            "Licence", "RAM", "SHA-256", "Source")


class ModelsTableModel(RowTableModel[ModelRow]):
    """Every model on offer; the one in use in bold, an unreadable file said so in its row."""

    NAME_COLUMN = 0

    def __init__(self, parent: Any = None) -> None:
        super().__init__(_COLUMNS, parent)

    def _bold(self, row: ModelRow) -> bool:
        return row.in_use

    def _role_data(self, row: ModelRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.error or (row.sha256 if column == 8 else row.path)
        return None

    def _text(self, row: ModelRow, column: int) -> str:
        if column == self.NAME_COLUMN:
            return f"{row.name} (in use)" if row.in_use else row.name
        if row.error and column in range(2, 9):
            return "unreadable" if column == 2 else ""
        ram = megabytes(row.ram_estimate_bytes) + " est."
        if row.measured_ram_bytes:
            ram += f", {megabytes(row.measured_ram_bytes)} on load"
        values = (row.origin, row.parameters, row.quantization,
                  str(row.context_length or ""), "yes" if row.chat_template else "no",
                  row.licence, ram, row.sha256[:12], row.source)
        return values[column - 1]
