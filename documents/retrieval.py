"""Passages, documents ranked from them, and how keyword and vector rankings are combined.

The fusion method and its parameters were chosen with `python main.py eval retrieval`; the
runs behind them are in docs/retrieval.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from documents.query_filter import QueryFilter

_WORD = re.compile(r"\w+", re.UNICODE)

#: Reciprocal rank fusion constant. Cormack et al. use 60; on SciFact 10-20 is a plateau
#: about 0.007 nDCG@10 above 60, with the same Recall@100 (docs/retrieval.md).
RRF_K = 20
#: Weights of the (vector, keyword) rankings in hybrid search.
HYBRID_WEIGHTS = (1.0, 1.0)

#: Words left out of keyword queries: Lucene's English stop list, which Anserini's BM25
#: baselines use. The index keeps them; they only stop matching nearly every chunk.
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with",
})

Ranking = Sequence[tuple[int, float]]
#: Two chunks of one page at most this many characters apart are one place (the gap is the
#: paragraph break between them).
ADJACENT_GAP = 4


class SearchMode(StrEnum):
    VECTOR = "vector"
    KEYWORD = "keyword"
    HYBRID = "hybrid"


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with everything a citation needs.

    `score` orders results within one search (its scale depends on the mode: cosine for
    vector, BM25 for keyword, the fused score for hybrid); `similarity` is the cosine between
    the question and the passage, comparable across searches, and is what decides whether
    the library covers a question at all.
    """

    chunk_id: int
    document_path: Path
    document_name: str
    page: int | None
    char_start: int
    char_end: int
    text: str
    score: float
    similarity: float
    #: Where in the file, when a page number would not say it ("slide 3", "sheet Revenue").
    label: str | None = None

    @property
    def place(self) -> str | None:
        """Where the passage is within its file: "slide 3", "p. 3", or None for a text file."""
        return place(self.page, self.label)

    @property
    def location(self) -> str:
        where = self.place
        return self.document_name if where is None else f"{self.document_name}, {where}"


def place(page: int | None, label: str | None) -> str | None:
    """A citation's place in its file: the page's label, else "p. N", else None."""
    if label:
        return label
    return None if page is None else f"p. {page}"


class Passages(list[Passage]):
    """Search results, best first, with the question's filter that shaped them.

    A list, so every caller that ranks or shows passages works unchanged; `filter` is None
    when the search was not narrowed (see documents/query_filter.py).
    """

    def __init__(self, passages: Iterable[Passage] = (),
                 question_filter: QueryFilter | None = None) -> None:
        super().__init__(passages)
        self.filter = question_filter


def merge_adjacent(passages: Sequence[Passage]) -> list[Passage]:
    """Passages in rank order with overlapping or adjacent chunks of one page merged.

    One page means one page number and one label: an e-mail's body and its attachment have
    no page number, and offsets counted in different texts (found merged into one garbled
    passage in an e-mail's search results).

    Two slots that cite the same place waste one; the merged passage takes the better
    score and similarity and the rank of the better chunk, and its text covers both.
    """
    merged: list[Passage] = []
    for passage in passages:
        for index, kept in enumerate(merged):
            if kept.document_path == passage.document_path and kept.page == passage.page and \
                    kept.label == passage.label and \
                    passage.char_start <= kept.char_end + ADJACENT_GAP and \
                    kept.char_start <= passage.char_end + ADJACENT_GAP:
                merged[index] = _join(kept, passage)
                break
        else:
            merged.append(passage)
    return merged


def _join(one: Passage, other: Passage) -> Passage:
    first, second = sorted((one, other), key=lambda p: p.char_start)
    if second.char_end <= first.char_end:
        text = first.text
    else:
        text = first.text + _remainder(first.text, second.text,
                                       first.char_end - second.char_start,
                                       second.char_start - first.char_end)
    return replace(one, char_start=first.char_start,
                   char_end=max(first.char_end, second.char_end), text=text,
                   score=max(one.score, other.score),
                   similarity=max(one.similarity, other.similarity))


def _remainder(first: str, second: str, overlap: int, gap: int) -> str:
    """What `second` adds after `first`, which it overlaps by about `overlap` characters or
    follows after `gap` characters of the page (whitespace: a paragraph break, rendered as
    line breaks of the same length, up to two)."""
    if overlap <= 0:
        return "\n" * max(1, min(gap, 2)) + second
    for size in range(min(len(first), len(second), overlap + ADJACENT_GAP), 0, -1):
        if first.endswith(second[:size]):
            return second[size:]
    return " " + second[overlap:]


@dataclass(frozen=True)
class DocumentHit:
    """A document ranked by its best chunk: `score` is that chunk's score in the search."""

    document_path: Path
    document_name: str
    score: float
    chunk_id: int


def query_words(text: str) -> list[str]:
    """The distinct words of `text`, lower-cased, in order, less stopwords.

    A question made only of stopwords keeps them, so it still finds something.
    """
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(text)))
    return [word for word in words if word not in STOPWORDS] or words


def fts_match(words: Sequence[str]) -> str:
    """An FTS5 query matching any of `words`, each quoted.

    Quoting keeps a word such as NOT or NEAR from acting as an operator.
    """
    return " OR ".join(f'"{word}"' for word in words)


def fts_query(text: str) -> str:
    """An FTS5 query matching any word of `text` but stopwords."""
    return fts_match(query_words(text))


def rarest_words(counts: Mapping[str, int], budget: int) -> list[str]:
    """The words worth a BM25 ranking, given how many chunks contain each.

    BM25 scores every chunk that contains any query word, so its cost grows with the
    summed counts; a word found in a large share of the library weighs little in the
    score (its IDF is low) yet dominates that cost. Words are taken rarest first while
    the sum stays within `budget`; the rarest word is always taken, words found nowhere
    never are. Below the budget (any library of up to `budget` chunks with short
    questions) this is the plain OR of every word.
    """
    chosen: list[str] = []
    total = 0
    for word, count in sorted(counts.items(), key=lambda item: (item[1], item[0])):
        if count == 0:
            continue
        if chosen and total + count > budget:
            break
        chosen.append(word)
        total += count
    return chosen


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = RRF_K,
                           weights: Sequence[float] | None = None) -> list[tuple[int, float]]:
    """Fuse ranked id lists: score(id) = sum of weight / (k + rank), rank starting at 1."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def fuse(rankings: Sequence[Ranking]) -> list[tuple[int, float]]:
    """The hybrid ranking of (vector, keyword) candidate lists of (chunk id, score), best first."""
    if len(rankings) == 1:
        return list(rankings[0])
    return reciprocal_rank_fusion([[item for item, _ in ranking] for ranking in rankings],
                                  RRF_K, HYBRID_WEIGHTS[:len(rankings)])


def best_per_document(ranked: Sequence[tuple[int, float]], owner: dict[int, Path],
                      limit: int) -> list[tuple[Path, int, float]]:
    """Documents in the order of their best chunk: (document, that chunk, its score)."""
    seen: dict[Path, tuple[int, float]] = {}
    for chunk_id, score in ranked:
        document = owner.get(chunk_id)
        if document is not None and document not in seen:
            seen[document] = (chunk_id, score)
            if len(seen) == limit:
                break
    return [(document, chunk_id, score) for document, (chunk_id, score) in seen.items()]
