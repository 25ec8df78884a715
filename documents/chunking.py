"""Split pages into passages sized in the embedder's own tokens.

Why these rules: a passage must fit the embedder's window (tokens past it are silently
ignored), a citation must point at one page, and a reader wants whole paragraphs. So chunks
never cross a page, pack whole paragraphs while they fit, and only split a paragraph that is
too long on its own, at sentence boundaries. Repeating the last short sentence of one chunk
at the start of the next (`overlap_tokens`) is possible, and off by default: it cost 7 % more
chunks to embed on text PDFs and moved no retrieval eval (docs/retrieval.md, "Chunk size").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from documents.errors import InvalidInputError
from documents.extract import Page

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?。])[\"')\]]*\s+|\n")


class TokenOffsets(Protocol):
    """Anything that can say where each token of a text starts (a Hugging Face tokenizer can)."""

    def __call__(self, text: str) -> Sequence[int]: ...


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk sizes in embedder tokens; defaults chosen by the evals (docs/retrieval.md).

    256 keeps 93% of the docqa paragraphs whole in one chunk (200 keeps 76%) and is the
    default embedder's window (all-MiniLM-L6-v2 reads 256 tokens, 254 of them text). The
    chunk header comes first in that window, so a full chunk's last few tokens are searched by
    keywords only; chunking shorter to make room for it lowered docqa passage hit@5 (0.9815
    to 0.9739, docs/retrieval.md), so it is not done. No overlap: measured on every eval
    against 16 and 32 tokens (docs/retrieval.md).
    """

    max_tokens: int = 256
    overlap_tokens: int = 0

    def __post_init__(self) -> None:
        if self.max_tokens < 16:
            raise InvalidInputError("max_tokens must be at least 16")
        if not 0 <= self.overlap_tokens < self.max_tokens // 2:
            raise InvalidInputError("overlap_tokens must be between 0 and half of max_tokens")


@dataclass(frozen=True)
class Chunk:
    """A passage of one page, with its place in that page's text for precise citations."""

    page: int | None
    char_start: int
    char_end: int
    text: str
    #: A short header saying what the chunk is part of (title, period, section, file name),
    #: embedded and keyword-indexed with the text but never shown as part of it.
    context: str = ""
    #: The page's `label` ("slide 3"), shown in citations in place of "p. N".
    label: str | None = None

    @property
    def embedded(self) -> str:
        """The text the embedder sees: the header, then the passage."""
        return embedded_text(self.context, self.text)


def embedded_text(context: str, text: str) -> str:
    """What a chunk is embedded as: its context header, then its text. One definition, so
    a reindex from the store embeds exactly what ingestion did."""
    return f"{context}\n{text}" if context else text


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    tokens: int


def chunk_pages(pages: Sequence[Page], token_starts: TokenOffsets,
                config: ChunkingConfig = ChunkingConfig()) -> list[Chunk]:
    """Chunk every page; `token_starts(text)` gives the character offset of each token."""
    chunks: list[Chunk] = []
    for page in pages:
        if not page.text.strip():
            continue
        starts = list(token_starts(page.text))
        for start, end in _pack(page.text, starts, config):
            text = page.text[start:end].strip()
            if text:
                chunks.append(Chunk(page.number, start, end, text, label=page.label))
    return chunks


def _pack(text: str, starts: list[int], config: ChunkingConfig) -> Iterator[tuple[int, int]]:
    """Yield (start, end) character spans of chunks of at most max_tokens tokens."""
    current: list[_Span] = []
    for paragraph in _spans(text, _PARAGRAPH_BREAK, starts):
        if paragraph.tokens > config.max_tokens:
            if current:
                yield current[0].start, current[-1].end
            sentences = list(_split_long(text, paragraph, starts, config.max_tokens))
            pieces = list(_pack_sentences(sentences, config))
            yield from ((p[0].start, p[-1].end) for p in pieces[:-1])
            current = pieces[-1]
        elif sum(s.tokens for s in current) + paragraph.tokens > config.max_tokens:
            yield current[0].start, current[-1].end
            current = [paragraph]
        else:
            current.append(paragraph)
    if current:
        yield current[0].start, current[-1].end


def _pack_sentences(sentences: list[_Span], config: ChunkingConfig) -> Iterator[list[_Span]]:
    """Greedy packing of sentences, each new chunk repeating the last ~overlap tokens."""
    current: list[_Span] = []
    for sentence in sentences:
        if current and sum(s.tokens for s in current) + sentence.tokens > config.max_tokens:
            yield current
            overlap: list[_Span] = []
            for previous in reversed(current):
                if sum(s.tokens for s in overlap) + previous.tokens > config.overlap_tokens:
                    break
                overlap.insert(0, previous)
            current = overlap
        current.append(sentence)
    if current:
        yield current


def _spans(text: str, separator: re.Pattern[str], starts: list[int],
           lo: int = 0, hi: int | None = None) -> Iterator[_Span]:
    hi = len(text) if hi is None else hi
    position = lo
    for match in separator.finditer(text, lo, hi):
        if match.start() > position:
            yield _span(text, position, match.start(), starts)
        position = match.end()
    if position < hi and text[position:hi].strip():
        yield _span(text, position, hi, starts)


def _span(text: str, start: int, end: int, starts: list[int]) -> _Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    tokens = bisect.bisect_left(starts, end) - bisect.bisect_left(starts, start)
    return _Span(start, end, max(tokens, 1))


def _split_long(text: str, paragraph: _Span, starts: list[int], limit: int) -> Iterator[_Span]:
    """Sentences of a paragraph; a sentence longer than `limit` is cut at token boundaries."""
    for sentence in _spans(text, _SENTENCE_END, starts, paragraph.start, paragraph.end):
        if sentence.tokens <= limit:
            if sentence.end > sentence.start:
                yield sentence
            continue
        first = bisect.bisect_left(starts, sentence.start)
        last = bisect.bisect_left(starts, sentence.end)
        for index in range(first, last, limit):
            start = max(starts[index], sentence.start)
            end = starts[index + limit] if index + limit < last else sentence.end
            yield _Span(start, end, min(limit, last - index))
