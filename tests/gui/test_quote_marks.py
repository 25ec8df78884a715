"""Checked sentences in the window: an unsupported one is tinted with a tooltip, a supported
one links to its quote, and a click on it asks for the source at the quote."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from app.gui.conversation_view import ConversationView
from app.gui.message_html import entry_html, parse_quote_href, quote_href
from app.gui.transcript import ChatEntry, CitationInfo, quote_citation
from inference.quote_check import Quote, SentenceCheck

pytestmark = pytest.mark.gui

TEXT = "The Broncos won **24-10** [1]. They scored 31 points in the *first* half."
PASSAGE = "The Broncos defeated the Panthers 24-10. It was cold."
QUOTE = Quote(1, "sb50.md", "/docs/sb50.md", 3, 7, "The Broncos defeated the Panthers 24-10.",
              0, 40)
CHECK = (
    SentenceCheck("The Broncos won 24-10.", 0, 30, True, 0.81, QUOTE),
    SentenceCheck("They scored 31 points in the first half.", 31, len(TEXT), False, 0.42,
                  QUOTE, ("31",)),
)
CITATION = CitationInfo(1, "sb50.md", Path("/docs/sb50.md"), 3, 0.6, PASSAGE, True, True)


def entry(check: tuple[SentenceCheck, ...] = CHECK, text: str = TEXT) -> ChatEntry:
    return ChatEntry("assistant", text, (CITATION,), check=check)


def test_an_unsupported_sentence_is_marked_and_a_supported_one_links_its_quote() -> None:
    html = entry_html(entry(), 2)
    assert '<span class="unsupported" title="Not found in your documents">' in html
    marked = html.split('class="unsupported"')[1:]
    assert any(">They scored 31 points in the </span>" in part for part in marked)
    assert any(">first</span>" in part for part in marked), "emphasis is marked too"
    assert f'href="{quote_href(2, 0)}"' in html and "sb50.md, p. 3" in html
    assert "24-10</a>" in html, "the bold words of the supported sentence link as well"
    assert '<a href="cite:2/1" class="cite">[1]</a>' in html, "the citation stays its own link"
    assert quote_href(2, 0) not in html.split("They scored")[1]
    assert "\ue000" not in html and "\ue001" not in html
    assert "1 of 2 sentences not found in your documents (tinted)" in html
    assert parse_quote_href("quote:2/1") == (2, 1) and parse_quote_href("cite:2/1") is None


def test_no_check_or_one_that_does_not_fit_the_text_marks_nothing() -> None:
    plain = entry_html(entry(()), 0)
    assert "unsupported" not in plain.replace(".unsupported", "") and "quote:" not in plain
    assert entry_html(entry(text="Another answer entirely, edited."), 0) == \
        entry_html(entry((), "Another answer entirely, edited."), 0)


def test_clicking_a_supported_sentence_asks_for_its_source_at_the_quote(qtbot: QtBot) -> None:
    view = ConversationView()
    qtbot.addWidget(view)
    view.show_entries([ChatEntry("user", "Who won?"), entry()])
    assert "They scored 31 points" in view.toPlainText()
    with qtbot.waitSignal(view.quote_activated) as signal:
        view.anchorClicked.emit(QUrl(quote_href(1, 0)))
    assert signal.args == [CITATION, QUOTE]


def test_a_quote_narrows_the_citation_to_its_words() -> None:
    placed = CitationInfo(1, "sb50.md", Path("/docs/sb50.md"), 3, 0.6, PASSAGE, True, True,
                          char_start=100, char_end=100 + len(PASSAGE))
    narrowed = quote_citation(placed, QUOTE)
    assert narrowed.text == QUOTE.text
    assert (narrowed.char_start, narrowed.char_end) == (100, 140)
    assert quote_citation(CITATION, QUOTE).char_start is None
