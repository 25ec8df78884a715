"""Finding a stored passage again in a page's text as another PDF reader extracted it."""

from __future__ import annotations

from pathlib import Path

import pytest

from documents.extract import extract_pages
from documents.passage_span import ANCHOR_CHARS, locate_passage

PDFS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pdfs"


def test_the_span_of_a_text_file_is_used_as_it_is() -> None:
    text = "Title\n\nFirst paragraph here.\n\n  Second paragraph, the cited one.  \n"
    start = text.index("  Second")
    end = text.index("  \n") + 2
    span = locate_passage(text, text[start:end].strip(), (start, end))
    assert span is not None and span.exact
    assert text[span.start:span.end] == "Second paragraph, the cited one."


def test_other_line_breaks_and_case_still_match() -> None:
    page = "Super Bowl 50 was an\r\nAmerican football game to determine the\r\nchampion."
    span = locate_passage(page, "super bowl 50 was an american football game to\ndetermine")
    assert span is not None and span.exact
    assert page[span.start:span.end] == ("Super Bowl 50 was an\r\nAmerican football game to "
                                         "determine")


def test_a_stale_span_is_ignored_and_the_text_found() -> None:
    page = "Preface. " * 3 + "The cited sentence is here."
    span = locate_passage(page, "The cited sentence is here.", (0, 27))
    assert span is not None
    assert page[span.start:span.end] == "The cited sentence is here."


def test_a_moved_line_inside_the_passage_is_bridged_by_its_ends() -> None:
    body = "word " * 40
    passage = f"Opening of the passage, quite distinctive. {body}and its distinctive ending."
    page = (f"Header\nOpening of the passage, quite distinctive. 12\n{body}"
            "and its distinctive ending. Next paragraph.")
    span = locate_passage(page, passage)
    assert span is not None and not span.exact
    found = page[span.start:span.end]
    assert found.startswith("Opening of the passage") and found.endswith("distinctive ending.")


def test_only_the_ending_found() -> None:
    passage = "x" * 10 + " the start was lost; " + "y" * ANCHOR_CHARS
    page = "abc " + "the start was lost; " + "y" * ANCHOR_CHARS + " def"
    span = locate_passage(page, passage)
    assert span is not None and not span.exact
    assert page[span.start:span.end].endswith("y" * ANCHOR_CHARS)


def test_repeated_text_picks_the_occurrence_near_the_hint() -> None:
    page = "Repeated line of text.\n" * 4
    span = locate_passage(page, "Repeated line of text.", (69, 91), len(page))
    assert span is not None and span.start == 69


def test_nothing_found() -> None:
    assert locate_passage("entirely other words", "not on this page at all") is None
    assert locate_passage("", "anything") is None
    assert locate_passage("text", "   ") is None


@pytest.mark.parametrize("name", ["docling_tests/sources/normal_4pages.pdf",
                                  "pdfjs/tracemonkey.pdf"])
def test_pypdf_chunks_are_found_in_pypdf_page_text(name: str) -> None:
    """The real extractor's pages against themselves: every paragraph is found exactly."""
    pages = extract_pages(PDFS / name)
    for page in pages[:3]:
        for paragraph in page.text.split("\n\n")[:5]:
            if paragraph.strip():
                span = locate_passage(page.text, paragraph.replace("\n", " "))
                assert span is not None and span.exact


def test_a_word_broken_at_a_line_end_matches_whatever_its_hyphen() -> None:
    page = "other limi\ufffe\r\ntations, e.g. a small memory"
    span = locate_passage(page, "other limi-\ntations, e.g. a small memory")
    assert span is not None and span.exact and span.start == 0 and span.end == len(page)
