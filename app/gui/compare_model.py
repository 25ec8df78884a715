"""The comparison's results table: one row per model, plain values from `ModelOutcome`.

Rows arrive one by one while a comparison runs (each `ModelCompared` event) and all at once
when a kept run is reopened; the model only formats them, as the CLI's table does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt

from app.gui.table_model import RowTableModel
from inference.evaluation.compare import ModelOutcome, quoted_text

COLUMNS = ("Model", "Parameters", "Quantization", "Load s", "RAM MB", "Peak RSS MB",
           "First token ms", "Tokens/s", "EM", "F1", "Found", "Declined", "Quoted",
           "Questions")
#: The column of the verified-quote share (answer sentences a source span supports).
QUOTED_COLUMN = COLUMNS.index("Quoted")
_QUOTED_TIP = "Share of answer sentences a verified quote of the given sources supports"


def outcome_values(model: ModelOutcome) -> tuple[str, ...]:
    """One row of the table, as text."""
    return (model.name, model.parameters_text, model.quantization, f"{model.load_s:.1f}",
            f"{model.ram_bytes / 2**20:.0f}", f"{model.peak_rss_bytes / 2**20:.0f}",
            f"{model.ttft_ms:.0f}", f"{model.tokens_per_s:.1f}", f"{model.exact_match:.2f}",
            f"{model.f1:.2f}", f"{model.contains:.2f}", f"{model.declined:.2f}",
            quoted_text(model.supported_share), str(model.asked))


class CompareTableModel(RowTableModel[ModelOutcome]):
    """The comparison's rows, with the recommended model marked and in bold."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(COLUMNS, parent, header_tips={QUOTED_COLUMN: _QUOTED_TIP})
        self._recommended: str | None = None

    def set_rows(self, rows: Iterable[ModelOutcome], recommended: str | None = None) -> None:
        """A whole run (a reopened one, or none) and its recommended model.

        The mark is only how a cell reads, not the row structure, so setting it just before
        the reset (nothing reads the model in between) shows it with the new rows.
        """
        self._recommended = recommended
        super().set_rows(rows)

    def _text(self, row: ModelOutcome, column: int) -> str:
        text = outcome_values(row)[column]
        if column == 0 and row.name == self._recommended:
            text += " ✓ recommended"
        return text

    def _bold(self, row: ModelOutcome) -> bool:
        return row.name == self._recommended

    def _role_data(self, row: ModelOutcome, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
