"""What documents are: periods, titles and headings from text, the question's filter, and
one passage per place."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from documents.chunking import Chunk
from documents.extract import Page
from documents.metadata import (
    chunk_header,
    chunk_sections,
    derive_metadata,
    find_headings,
    find_period,
    find_title,
)
from documents.query_filter import DocumentFacts, entity_of, find_filter
from documents.retrieval import Passage, merge_adjacent


@pytest.mark.parametrize(("text", "label"), [
    ("Results for Q2 2024", "Q2 2024"),
    ("2024 Q3 update", "Q3 2024"),
    ("second quarter of fiscal 2024", "Q2 2024"),
    ("Annual report, fiscal year 2022", "fiscal 2022"),
    ("FY2022 plan", "fiscal 2022"),
    ("FY 22 plan", "fiscal 2022"),
    ("3M 2023 10-K", "fiscal 2023"),
    ("For the fiscal year ended June 30, 2021", "fiscal 2021"),
    ("Annual Report 2019", "fiscal 2019"),
    ("This agreement is dated March 15, 2024", "2024-03-15"),
    ("signed on 15 March 2024", "2024-03-15"),
    ("effective 2024-03-15", "2024-03-15"),
])
def test_periods_stated_in_text(text: str, label: str) -> None:
    found = find_period(text)
    assert found is not None and found.label == label


def test_no_period_where_none_is_stated() -> None:
    assert find_period("The board met nine times; 4,158 employees.") is None
    # A lone year is a period in a file name or title, not in running text.
    assert derive_metadata(None, [Page(1, "Founded in 1998, the firm grew.")]).period is None


def test_period_from_the_file_name_when_the_text_states_none() -> None:
    meta = derive_metadata(Path("/x/acme_statement_2021-Q2.pdf"), [Page(1, "Statement\nText.")])
    assert meta.period == "Q2 2021"
    assert derive_metadata(Path("/x/minutes_2020.pdf"), [Page(1, "Minutes")]).period == "2020"


def test_title_is_the_opening_lines_of_a_cover_or_a_markdown_heading() -> None:
    cover = Page(1, "Dunmore Foods\nAnnual Report 2021\nFor the fiscal year ended 2021")
    assert find_title([Page(1, ""), cover]) == "Dunmore Foods — Annual Report 2021"
    assert find_title([Page(None, "# 1973 oil crisis\n\nOn October 6, 1973, ...")]) \
        == "1973 oil crisis"
    assert find_title([Page(1, "This text opens with a sentence that is prose.")]) is None


def test_headings_and_the_section_of_each_chunk() -> None:
    pages = [Page(1, "Acme\nAnnual Report 2022"),
             Page(2, "Financial Highlights\nRevenue 1,200.5 1,100.0"),
             Page(3, "Revenue grew in every region, as the table shows.")]
    assert [h for _, h in find_headings(pages)] == ["Acme", "Financial Highlights"]
    chunks = [Chunk(2, 0, 40, "Financial Highlights\nRevenue 1,200.5"),
              Chunk(3, 0, 50, "Revenue grew in every region, as the table shows.")]
    assert chunk_sections(pages, chunks) == ["Financial Highlights", "Financial Highlights"]
    meta = derive_metadata(Path("/x/acme.pdf"), pages)
    assert chunk_header(meta, "Financial Highlights", "acme") \
        == "Acme — Annual Report 2022 | Financial Highlights"


def _facts(title: str, period: str, name: str) -> DocumentFacts:
    return DocumentFacts(Path(f"/lib/{name}.pdf"), title, period)


LIBRARY = [_facts(f"{company} — Annual Report {year}", f"fiscal {year}",
                  f"{company.split()[1][:4]}{year}")
           for company in ("Northwind Energy", "Northwind Logistics", "Dunmore Foods")
           for year in (2021, 2022)]


def test_a_question_naming_a_company_and_a_year_selects_that_report() -> None:
    found = find_filter("What was Dunmore Foods' revenue in FY2022?", LIBRARY)
    assert found is not None
    assert found.documents == {Path("/lib/Food2022.pdf")}
    assert found.label == "searching Dunmore Foods, fiscal 2022"


def test_the_longer_entity_wins_and_a_year_alone_filters_by_period() -> None:
    found = find_filter("northwind energy net income 2021", LIBRARY)
    assert found is not None and found.documents == {Path("/lib/Ener2021.pdf")}
    by_year = find_filter("revenue in fiscal 2021", LIBRARY)
    assert by_year is not None and len(by_year.documents) == 3
    assert entity_of("Annual Report") == "Annual Report"


def test_no_filter_when_the_question_names_nothing_or_everything() -> None:
    assert find_filter("What was the revenue?", LIBRARY) is None
    assert find_filter("revenue in fiscal 1999", LIBRARY) is None
    # A lone year without an entity is no filter: "what happened in 2021?"
    assert find_filter("What happened in 2021?", LIBRARY) is None
    found = find_filter("Dunmore Foods revenue 2021", LIBRARY)
    assert found is not None and found.documents == {Path("/lib/Food2021.pdf")}


def _passage(chunk: int, page: int, start: int, end: int, text: str, score: float) -> Passage:
    return Passage(chunk, Path("/lib/a.pdf"), "a.pdf", page, start, end, text, score, score)


def test_overlapping_and_adjacent_chunks_of_a_page_fill_one_slot() -> None:
    first = _passage(1, 4, 0, 20, "Alpha beta gamma del", 0.9)
    overlapping = _passage(2, 4, 14, 30, "ma delta epsilon", 0.8)
    adjacent = _passage(3, 4, 32, 40, "Zeta eta", 0.7)  # Two characters after: "\n\n".
    other_page = _passage(4, 5, 0, 20, "Alpha beta gamma del", 0.6)
    merged = merge_adjacent([first, other_page, overlapping, adjacent])
    assert [(p.page, p.char_start, p.char_end) for p in merged] == [(4, 0, 40), (5, 0, 20)]
    assert merged[0].text == "Alpha beta gamma delta epsilon\n\nZeta eta"
    assert merged[0].score == 0.9 and merged[0].chunk_id == 1


def test_an_e_mail_and_its_attachment_are_never_merged() -> None:
    """Neither has a page number; their offsets count in different texts."""
    body = replace(_passage(1, 0, 0, 40, "Hello all, please review the report.", 0.9),
                   page=None, label="e-mail")
    attachment = replace(_passage(2, 0, 10, 50, "The board approved the budget.", 0.8),
                         page=None, label="attachment minutes.docx")
    assert merge_adjacent([body, attachment]) == [body, attachment]
