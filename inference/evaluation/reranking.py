"""Does a reranking stage pay? The same evals with and without it, and its cost per question.

The library's own search runs each eval; the harness only sets `Library.reranking`, the
component a search takes for its second stage. Each configuration is one full eval run:
SciFact through `Library.search_documents` (nDCG@10), the near-twin set through
`Library.search` (doc and page hits). The reranker's scores are kept per (question, text),
so a shallower configuration reuses the deeper one's instead of encoding again; the cost per
question is timed apart, on fresh calls over each depth's candidates, since it depends on
the number of candidates and not on the library's size.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from documents.library import CANDIDATE_DEPTH, Library
from documents.rerank import LateInteraction, Reranker, Reranking

#: Candidates reranked, the range the issue names.
DEPTHS = (20, 50)
#: Questions whose reranking is timed per depth.
TIMED_QUESTIONS = 30


class _KeptScores:
    """A reranker that computes each (question, text) score once."""

    def __init__(self, reranker: Reranker) -> None:
        self.reranker = reranker
        self._kept: dict[tuple[str, str], float] = {}

    def scores(self, query: str, texts: Sequence[str]) -> list[float]:
        missing = list(dict.fromkeys(t for t in texts if (query, t) not in self._kept))
        if missing:
            for text, score in zip(missing, self.reranker.scores(query, missing), strict=True):
                self._kept[(query, text)] = score
        return [self._kept[(query, text)] for text in texts]


@dataclass
class RerankRow:
    name: str
    depth: int
    fused: bool
    metrics: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "depth": self.depth, "fused": self.fused,
                "metrics": {key: round(value, 4) for key, value in self.metrics.items()}}


@dataclass
class RerankComparison:
    rows: list[RerankRow]
    #: Seconds the reranker adds to one question, per depth: {"p50": .., "p95": ..}.
    cost: dict[int, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"rows": [row.to_json() for row in self.rows],
                "added_ms": {str(depth): {key: round(value * 1000, 1)
                                          for key, value in timing.items()}
                             for depth, timing in self.cost.items()}}


def compare_reranking(library: Library, run: Callable[[], dict[str, float]],
                      questions: Sequence[str], depths: Sequence[int] = DEPTHS
                      ) -> RerankComparison:
    """`run` (one eval over `library`, returning its metrics) without, then with, reranking.

    Late interaction over the library's embedder, at each depth, fused with the first
    stage's order and alone; deepest first, so the others reuse its scores. `questions`
    are the eval's, a sample of which is timed.
    """
    kept = _KeptScores(LateInteraction(library.embedder))
    library.reranking = None
    rows = [RerankRow("hybrid (no reranking)", 0, False, run())]
    try:
        for depth in sorted(depths, reverse=True):
            for fused in (True, False):
                library.reranking = Reranking(kept, depth, fused)
                name = f"late interaction, top {depth}" + (", fused" if fused else "")
                rows.append(RerankRow(name, depth, fused, run()))
    finally:
        library.reranking = None
    return RerankComparison(rows, {depth: reranking_cost(library, questions, depth)
                                   for depth in depths})


def reranking_cost(library: Library, questions: Sequence[str], depth: int,
                   sample: int = TIMED_QUESTIONS) -> dict[str, float]:
    """Seconds late interaction takes over a question's first `depth` candidates, and the
    first stage (embedding the question, both rankings, fusion) beside it: p50 and p95.

    Timed in one process, question by question, so the ratio of the two holds on a machine
    whose load changes the seconds themselves.
    """
    reranker = LateInteraction(library.embedder)
    reranker.scores("warm-up", ["warm-up"])
    library.ranked_chunks("warm-up", CANDIDATE_DEPTH)
    first: list[float] = []
    second: list[float] = []
    for question in questions[:sample]:
        started = time.perf_counter()
        ranked = library.ranked_chunks(question, CANDIDATE_DEPTH)[:depth]
        first.append(time.perf_counter() - started)
        records = library.store.chunks(chunk_id for chunk_id, _ in ranked)
        texts = [records[chunk_id].text for chunk_id, _ in ranked if chunk_id in records]
        started = time.perf_counter()
        reranker.scores(question, texts)
        second.append(time.perf_counter() - started)
    return {"p50": statistics.median(second), "p95": _p95(second),
            "first_stage_p50": statistics.median(first), "first_stage_p95": _p95(first)}


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
