"""Rescoring the first candidates of a search with a second, costlier judge of relevance.

A reranker reads the question and each candidate's text together, where the first stage
compared one vector per chunk (or counted words). `LateInteraction` is the one this project
can run without new weights: ColBERT's MaxSim over the embedder's own token vectors. Its cost
is a forward pass over every candidate per question, independent of the library's size.
Measured in docs/retrieval.md (*Reranking*); the app does not rerank by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from documents.embedder import Embedder
from documents.retrieval import reciprocal_rank_fusion


class Reranker(Protocol):
    """Scores `texts` for `query`; higher is more relevant, one score per text, in order."""

    def scores(self, query: str, texts: Sequence[str]) -> list[float]: ...


class LateInteraction:
    """Sum over the question's word pieces of their best cosine with a passage's word pieces.

    all-MiniLM-L6-v2 was trained on pooled vectors, not for this; whether the token vectors
    still carry a useful signal is what the eval measures.
    """

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def scores(self, query: str, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        question, *passages = self.embedder.encode_tokens([query, *texts])
        return [float((question @ passage.T).max(axis=1).sum()) if len(passage) else 0.0
                for passage in passages]


def rerank(ranked: Sequence[tuple[int, float]], texts: dict[int, str], reranker: Reranker,
           query: str, depth: int, fused: bool = True) -> list[tuple[int, float]]:
    """`ranked` (chunk id, score) with its first `depth` reordered by `reranker`.

    `fused` keeps the first stage's order as a vote: the two orders of the head are
    combined by reciprocal rank fusion, as hybrid search combines its two rankings, so a
    weak reranker cannot undo what both first-stage rankings agreed on; otherwise the
    reranker's order replaces it. The head's first-stage scores are handed out again in
    the new order, so scores stay on the search's scale and still fall from head to tail.
    """
    head = [item for item in ranked[:depth] if item[0] in texts]
    if not head:
        return list(ranked)
    ids = [chunk_id for chunk_id, _ in head]
    scores = reranker.scores(query, [texts[chunk_id] for chunk_id in ids])
    order = [ids[i] for i in np.argsort(-np.asarray(scores), kind="stable")]
    if fused:
        order = [chunk_id for chunk_id, _ in reciprocal_rank_fusion([ids, order])]
    values = sorted((score for _, score in head), reverse=True)
    chosen = set(ids)
    return ([*zip(order, values, strict=True)]
            + [item for item in ranked if item[0] not in chosen])


@dataclass(frozen=True)
class Reranking:
    """A search's second stage: `reranker` over the first `depth` chunks (see `rerank`)."""

    reranker: Reranker
    depth: int = 50
    fused: bool = True
