"""An answer without one says why: nothing close was found, or the model found no answer in
passages that were close (which may hold it: the user is sent to them)."""

from __future__ import annotations

from pathlib import Path

from app.gui.message_html import citation_href, entry_html
from app.gui.transcript import ChatEntry, CitationInfo
from inference.answer import NOT_COVERED
from inference.quote_check import Closest, Quote

CLOSE = CitationInfo(1, "report-000.pdf", Path("/docs/report-000.pdf"), 3, 0.82,
                     "Net income 311.8 533.6", False, True)


def test_nothing_close_enough_is_not_covered() -> None:
    html = entry_html(ChatEntry("assistant", NOT_COVERED, (), covered=False), 1)
    assert "Not covered by your documents" in html


def test_a_model_decline_over_close_passages_points_to_them() -> None:
    declined = ChatEntry("assistant", "The documents do not cover this.", (CLOSE,),
                         covered=False)
    html = entry_html(declined, 1)
    assert "Not covered by your documents" not in html
    assert "No answer found in the closest passages" in html
    assert "report-000.pdf, p. 3" in html


def test_a_decline_shows_the_closest_sentence_linked_to_its_source() -> None:
    quote = Quote(1, "report-000.pdf", "/docs/report-000.pdf", 3, 7, "Net income 311.8", 0, 16)
    declined = ChatEntry("assistant", "The documents do not cover this.", (CLOSE,),
                         covered=False, closest=Closest(quote, 0.71))
    html = entry_html(declined, 4)
    assert "No answer found in the closest passages" in html
    assert "closest to your question: \u201c<a" in html and ">Net income 311.8</a>" in html
    assert f'href="{citation_href(4, 1)}"' in html and "(report-000.pdf, p. 3)" in html
