"""The question's filter, shown above the answer and cleared by the user; a document's title,
period and sections in its tooltip."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.gui.documents_model import DocumentRow
from app.gui.filter_chip import FilterChip
from documents.store import DocumentRecord


def test_the_chip_shows_the_filter_and_asks_to_clear_it(qtbot: QtBot) -> None:
    window = QWidget()  # Never shown: the chip's own visibility is what is tested.
    qtbot.addWidget(window)
    chip = FilterChip(window)
    assert chip.isHidden()
    chip.show_filter("searching Dunmore Foods, fiscal 2021")
    assert not chip.isHidden() and chip.label.text() == "Searching Dunmore Foods, fiscal 2021"
    with qtbot.waitSignal(chip.cleared):
        chip.button.click()
    chip.show_filter("")
    assert chip.isHidden()


def test_a_documents_tooltip_says_what_it_is() -> None:
    record = DocumentRecord(1, Path("/r/report-017.pdf"), "report-017.pdf", "x", 1, 10,
                            "indexed", None, 10, "2026-01-01", "Dunmore Foods — Annual Report 2021",
                            "fiscal 2021", tuple(f"Section {n}" for n in range(8)))
    tooltip = DocumentRow.from_record(record).tooltip
    assert "Dunmore Foods — Annual Report 2021 · fiscal 2021" in tooltip
    assert "Sections: Section 0, Section 1" in tooltip and "and 2 more" in tooltip
