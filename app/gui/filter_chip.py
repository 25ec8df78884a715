"""The chip above an answer that says which documents the question narrowed the search to.

"What was Dunmore Foods' revenue in FY2021?" searches Dunmore Foods' fiscal 2021 report
first; the chip says so ("searching Dunmore Foods, fiscal 2021") and its button asks the
same question again over every document.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class FilterChip(QFrame):
    """Hidden until a question names documents; `cleared` when the user widens the search."""

    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterChip")
        self.label = QLabel(self)
        self.button = QPushButton("Search all documents", self)
        self.button.setToolTip("Ask the same question again over every document")
        self.button.clicked.connect(self.cleared)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(18, 4, 18, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.hide()

    def show_filter(self, label: str) -> None:
        """Show `label` ("searching …"), or hide the chip when it is empty."""
        self.label.setText(label[:1].upper() + label[1:])
        self.setVisible(bool(label))
