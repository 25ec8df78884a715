"""Passages and how keyword and vector rankings are combined into one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

_WORD = re.compile(r"\w+", re.UNICODE)

#: Reciprocal rank fusion constant; 60 is the value of Cormack et al. and held up in our evals.
RRF_K = 60


class SearchMode(StrEnum):
    VECTOR = "vector"
    KEYWORD = "keyword"
    HYBRID = "hybrid"


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with everything a citation needs.

    `score` orders results within one search (its scale depends on the mode); `similarity`
    is the cosine between the question and the passage, comparable across searches, and is
    what decides whether the library covers a question at all.
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

    @property
    def location(self) -> str:
        return self.document_name if self.page is None else f"{self.document_name}, p. {self.page}"


def fts_query(text: str) -> str:
    """An FTS5 query matching any word of `text`, each quoted so no word acts as an operator."""
    words = dict.fromkeys(word.lower() for word in _WORD.findall(text))
    return " OR ".join(f'"{word}"' for word in words)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = RRF_K,
                           weights: Sequence[float] | None = None) -> list[tuple[int, float]]:
    """Fuse ranked id lists: score(id) = sum of weight / (k + rank), rank starting at 1."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
