"""Where a stored passage lies in a page's text as another reader extracted it.

A chunk's character span points into the page text pypdf gave at indexing time; a viewer
renders the page with another library (QtPdf's PDFium), whose text differs: other line
breaks (``\\r\\n``), spaces between words or not, a page number moved to another line. So
the passage is found again in the viewer's text, comparing both without whitespace and
case; when the whole passage is not found (reordered lines, a footnote in between), its
first and last few dozen characters are. No Qt here: the viewer gives page text, gets a span.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Characters compared at each end of a passage when the whole passage is not found: long
#: enough to be unique on a page, short enough to stay within one column or paragraph.
ANCHOR_CHARS = 60
#: A span found from its two ends may be at most this many times the passage's length;
#: longer, the ends were found in unrelated places.
MAX_STRETCH = 2.0
#: Characters the comparison skips besides whitespace: zero-width ones, and hyphens, since a
#: word broken at a line end is "limi-tations" to pypdf and "limi\ufffetations" to PDFium.
_SKIPPED = frozenset("-\u00ad\u2010\u2011\ufffe\u200b\ufeff")


@dataclass(frozen=True)
class Span:
    """`length` characters of the page text from `start`; `exact` when the whole passage
    matched, False when only its ends (or one end) did."""

    start: int
    length: int
    exact: bool = True

    @property
    def end(self) -> int:
        return self.start + self.length


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` without whitespace, lower-cased, with each kept character's index in `text`."""
    kept: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        if char.isspace() or char in _SKIPPED:
            continue
        lower = char.lower()
        kept.append(lower if len(lower) == 1 else char)
        where.append(index)
    return "".join(kept), where


def _nearest(haystack: str, needle: str, near: int | None, start: int = 0) -> int:
    """The index of `needle` in `haystack` from `start` closest to `near` (first if None)."""
    found = haystack.find(needle, start)
    if near is None or found < 0:
        return found
    best = found
    while found >= 0:
        if abs(found - near) < abs(best - near):
            best = found
        found = haystack.find(needle, found + 1)
    return best


def locate_passage(page_text: str, passage: str, hint: tuple[int, int] | None = None,
                   hint_total: int | None = None) -> Span | None:
    """The span of `page_text` that holds `passage`, or None when it cannot be found.

    `hint` is the passage's (start, end) in the text it was cut from: used as it is when
    it still holds the passage (a text file read again), and otherwise, scaled by
    `hint_total` (that text's length), to choose between repeated occurrences.
    """
    if hint is not None:
        start, end = hint
        if 0 <= start <= end <= len(page_text) and \
                page_text[start:end].strip() == passage.strip() and passage.strip():
            offset = len(page_text[start:end]) - len(page_text[start:end].lstrip())
            return Span(start + offset, len(passage.strip()))
    page, where = _folded(page_text)
    wanted, _ = _folded(passage)
    if not page or not wanted:
        return None
    near = None
    if hint is not None and hint_total:
        near = round(hint[0] / hint_total * len(page))
    found = _nearest(page, wanted, near)
    if found >= 0:
        return _span(where, found, found + len(wanted), exact=True)
    head = tail = -1
    for anchor in _anchor_sizes(len(wanted)):
        head = _nearest(page, wanted[:anchor], near)
        if head >= 0:
            break
    for tail_anchor in _anchor_sizes(len(wanted)):
        tail = page.find(wanted[-tail_anchor:], max(head, 0) + anchor if head >= 0 else 0)
        if tail >= 0:
            tail += tail_anchor
            break
    if head >= 0 and tail >= 0 and tail - head <= MAX_STRETCH * len(wanted):
        return _span(where, head, tail, exact=False)
    if head >= 0:
        return _span(where, head, min(len(page), head + len(wanted)), exact=False)
    if tail >= 0:
        return _span(where, max(0, tail - len(wanted)), tail, exact=False)
    return None


def _anchor_sizes(length: int) -> list[int]:
    """Anchor lengths to try, longest first: a shorter one steps over a moved line."""
    return sorted({min(length, size) for size in (ANCHOR_CHARS, ANCHOR_CHARS // 2,
                                                  ANCHOR_CHARS // 4)}, reverse=True)


def _span(where: list[int], start: int, end: int, exact: bool) -> Span:
    """Folded indices [start, end) as a span of the original text."""
    first = where[start]
    last = where[end - 1]
    return Span(first, last + 1 - first, exact)
