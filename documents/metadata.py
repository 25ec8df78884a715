"""What a document is: its title, the period it covers, and its section headings.

A library of near-twins (one company's report for five years, contracts from one template)
differs mostly in what the documents are *about*, which a passage torn out of one rarely
says: the page with the revenue table names neither the company nor the year. These are
derived once at ingest from the text and the file name, kept with the document, and used
to give each chunk its context (`chunk_header`) and to match a question's own filters.

Everything here is a heuristic over plain text (pypdf gives no layout): it may miss, and it
must never fail a file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from documents.chunking import Chunk
from documents.extract import Page

#: A title or heading is a short line; longer ones are prose.
_MAX_TITLE = 120
_MAX_HEADING = 70
#: Headings kept per document (shown in the documents panel, stored with it).
MAX_HEADINGS = 60
#: How much of the first pages is searched for a period when title and name state none.
_PERIOD_SCAN = 3000

_YEAR = r"((?:19|20)\d{2})"
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_MONTH = r"(" + "|".join(m.capitalize() + "|" + m[:3].capitalize() for m in _MONTHS) + r")\.?"
_ORDINAL_QUARTERS = {"first": 1, "second": 2, "third": 3, "fourth": 4}

#: Period patterns, most specific first; each gives (kind, groups).
_QUARTER = re.compile(r"\bQ([1-4])\s*(?:FY\s*)?'?" + _YEAR + r"\b"
                      r"|\b" + _YEAR + r"\s*-?\s*Q([1-4])\b", re.IGNORECASE)
_QUARTER_WORDS = re.compile(r"\b(first|second|third|fourth)\s+quarter\s+(?:of\s+)?"
                            r"(?:fiscal\s+)?(?:year\s+)?" + _YEAR + r"\b", re.IGNORECASE)
_FISCAL = re.compile(r"\b(?:fiscal(?:\s+year)?|financial\s+year|FY)\s*'?" + _YEAR + r"\b"
                     r"|\bFY\s*'?(\d{2})\b"
                     r"|\b(?:fiscal\s+)?year\s+ended\s+(?:" + _MONTH + r"\s+\d{1,2},?\s+)?"
                     + _YEAR + r"\b"
                     r"|\bannual\s+report\s+" + _YEAR + r"\b"
                     r"|\b" + _YEAR + r"\s+(?:annual\s+report|10-K)\b", re.IGNORECASE)
_DATE = re.compile(r"\b" + _MONTH + r"\s+(\d{1,2}),?\s+" + _YEAR + r"\b"
                   r"|\b(\d{1,2})\s+" + _MONTH + r"\s+" + _YEAR + r"\b"
                   r"|\b" + _YEAR + r"-(\d{2})-(\d{2})\b")
_BARE_YEAR = re.compile(r"(?<!\d)" + _YEAR + r"(?!\d)")
_DIGIT = re.compile(r"\d")
_LETTERS = re.compile(r"[^\W\d_]{2,}")
_SMALL_WORDS = frozenset({"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on",
                          "or", "the", "to", "with", "&"})


@dataclass(frozen=True)
class Period:
    """A period a document covers: `label` for people ("fiscal 2022", "Q2 2024",
    "2024-03-15", "2022"), and its `year` for matching a question's."""

    label: str
    year: int


@dataclass(frozen=True)
class DocumentMetadata:
    title: str | None
    period: str | None
    #: Section headings in document order, each with the page it starts on.
    headings: tuple[tuple[int | None, str], ...] = ()


def find_period(text: str) -> Period | None:
    """The most specific period `text` states, the earliest of that kind.

    A quarter beats a fiscal year, which beats a date; a lone year is not a period here
    (see `find_year`).
    """
    quarter = _QUARTER.search(text)
    if quarter:
        number, year = (quarter[1], quarter[2]) if quarter[1] else (quarter[4], quarter[3])
        return Period(f"Q{number} {year}", int(year))
    words = _QUARTER_WORDS.search(text)
    if words:
        return Period(f"Q{_ORDINAL_QUARTERS[words[1].lower()]} {words[2]}", int(words[2]))
    fiscal = _FISCAL.search(text)
    if fiscal:
        if fiscal[2]:
            year = 2000 + int(fiscal[2])
        else:
            year = int(next(g for g in (fiscal[1], fiscal[4], fiscal[5], fiscal[6]) if g))
        return Period(f"fiscal {year}", year)
    date = _DATE.search(text)
    if date:
        if date[1]:
            month, day, year = _month(date[1]), int(date[2]), int(date[3])
        elif date[4]:
            day, month, year = int(date[4]), _month(date[5]), int(date[6])
        else:
            year, month, day = int(date[7]), int(date[8]), int(date[9])
        if 1 <= month <= 12 and 1 <= day <= 31:
            return Period(f"{year:04d}-{month:02d}-{day:02d}", year)
    return None


def find_year(text: str) -> Period | None:
    """A lone year, as a title or file name states it ("report_2022.pdf")."""
    found = _BARE_YEAR.search(text)
    return Period(found[1], int(found[1])) if found else None


def _month(name: str) -> int:
    return next(n for n, month in enumerate(_MONTHS, start=1)
                if month.startswith(name.lower().rstrip(".")[:3]))


def derive_metadata(path: Path | None, pages: Sequence[Page]) -> DocumentMetadata:
    """Title, period and headings of a document from its pages and file name (`path`; None
    for texts whose name says nothing, such as a benchmark's document ids)."""
    title = find_title(pages)
    stem = file_words(path) if path is not None else ""
    opening = "\n".join(page.text for page in pages[:2])[:_PERIOD_SCAN]
    period = None
    for text, lone_year in ((title or "", True), (stem, True), (opening, False)):
        period = find_period(text) or (find_year(text) if lone_year else None)
        if period is not None:
            break
    return DocumentMetadata(title, period.label if period else None, find_headings(pages))


def find_title(pages: Sequence[Page]) -> str | None:
    """The first lines of the first page with text, while they are short, title-like lines.

    A cover page's "Dunmore Foods" / "Annual Report 2021" gives "Dunmore Foods — Annual
    Report 2021"; a Markdown "# Title" gives "Title". None when the text opens with prose.
    """
    for page in pages:
        lines = [line.strip() for line in page.text.splitlines() if line.strip()]
        if not lines:
            continue
        parts: list[str] = []
        for line in lines[:2]:
            markdown = line.startswith("#")
            line = line.lstrip("#").strip()
            fits = len(" — ".join([*parts, line])) <= _MAX_TITLE
            if not fits or not (_title_like(line) or (markdown and line)):
                break
            parts.append(line)
            if lines[0].startswith("#"):
                break
        return " — ".join(parts) or None
    return None


def _title_like(line: str) -> bool:
    return (0 < len(line) <= _MAX_TITLE and bool(_LETTERS.search(line))
            and line[-1] not in ".,;:!?" and len(_DIGIT.findall(line)) <= len(line) // 4)


def find_headings(pages: Sequence[Page]) -> tuple[tuple[int | None, str], ...]:
    """Section headings in order with their page, repeats of the previous one dropped."""
    found: list[tuple[int | None, str]] = []
    for page in pages:
        for _, heading in _page_headings(page):
            if not found or found[-1][1] != heading:
                found.append((page.number, heading))
                if len(found) == MAX_HEADINGS:
                    return tuple(found)
    return tuple(found)


def chunk_sections(pages: Sequence[Page], chunks: Sequence[Chunk]) -> list[str | None]:
    """The section each chunk belongs to: the last heading before its end, on its page or
    an earlier one (`chunks` in page order, as `chunk_pages` makes them)."""
    sections: list[str | None] = []
    by_page = {page.number: _page_headings(page) for page in pages}
    order = {page.number: index for index, page in enumerate(pages)}
    carried: str | None = None
    seen_page: object = object()
    for chunk in chunks:
        if chunk.page != seen_page:
            index = order.get(chunk.page, 0)
            carried = next((h[-1][1] for h in (by_page[p.number] for p in
                                                reversed(pages[:index])) if h), None)
            seen_page = chunk.page
        current = carried
        for offset, heading in by_page.get(chunk.page, []):
            if offset < chunk.char_end:
                current = heading
        sections.append(current)
    return sections


def _page_headings(page: Page) -> list[tuple[int, str]]:
    """(offset, heading) on one page: Markdown `#` lines anywhere in a page-less text; on a
    PDF page, short Title Case lines without final punctuation or digits among its first
    three lines, where a section starts."""
    found: list[tuple[int, str]] = []
    markdown = page.number is None
    offset = 0
    lines = 0
    for raw in page.text.splitlines(keepends=True):
        line = raw.strip()
        if line:
            lines += 1
            heading = _heading(line, markdown)
            if heading:
                found.append((offset, heading))
        offset += len(raw)
        if not markdown and lines >= 3:
            break
    return found


def _heading(line: str, markdown: bool) -> str | None:
    if markdown:
        return (line.lstrip("#").strip() or None) if line.startswith("#") else None
    if len(line) > _MAX_HEADING or not _title_like(line) or _DIGIT.search(line):
        return None
    words = line.split()
    if len(words) > 8:
        return None
    capitalised = all(word[0].isupper() or word.lower() in _SMALL_WORDS for word in words)
    return line if capitalised else None


def file_words(path: Path) -> str:
    """A file name as words: "annual_report-2022.pdf" -> "annual report 2022"."""
    return re.sub(r"[_\-.]+", " ", path.stem).strip()


def chunk_header(metadata: DocumentMetadata, section: str | None, name: str = "") -> str:
    """The short context line a chunk is embedded and keyword-indexed with: title, period
    (unless the title states it), section, and the file name's words (unless the title
    holds them), so a search for either finds every chunk of the document."""
    title, period = metadata.title, metadata.period
    parts = [part for part in (title, period, section) if part]
    if period and title and period.split()[-1] in title:
        parts.remove(period)
    if section and section == title:
        parts.remove(section)
    if name and (not title or name.lower() not in title.lower()):
        parts.append(name)
    return " | ".join(parts)


def with_context(chunks: Sequence[Chunk], pages: Sequence[Page], metadata: DocumentMetadata,
                 name: str = "") -> list[Chunk]:
    """`chunks` with their context header set (see `chunk_header`)."""
    return [replace(chunk, context=chunk_header(metadata, section, name))
            for chunk, section in zip(chunks, chunk_sections(pages, chunks), strict=True)]
