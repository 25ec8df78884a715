"""Fusion of keyword and vector rankings, keyword query building, documents from chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from documents import retrieval
from documents.retrieval import (
    best_per_document,
    fuse,
    reciprocal_rank_fusion,
)


def test_rrf_sums_reciprocal_ranks_by_hand() -> None:
    fused = dict(reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60))
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[2] == pytest.approx(1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert [item for item, _ in reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)] == [1, 3, 2]


def test_rrf_weights_and_k_change_the_order() -> None:
    vector, keyword = [10, 20], [20, 30]
    assert [i for i, _ in reciprocal_rank_fusion([vector, keyword], k=1)] == [20, 10, 30]
    weighted = reciprocal_rank_fusion([vector, keyword], k=1, weights=[3.0, 1.0])
    assert [i for i, _ in weighted] == [10, 20, 30]
    assert dict(weighted)[10] == pytest.approx(3 / 2)


def test_rrf_ties_break_by_id_so_results_are_stable() -> None:
    assert [i for i, _ in reciprocal_rank_fusion([[7], [5]])] == [5, 7]


def test_fuse_passes_a_single_ranking_through_with_its_scores() -> None:
    ranking = [(4, 0.9), (2, 0.5)]
    assert fuse([ranking]) == ranking


def test_fuse_applies_the_configured_hybrid_fusion() -> None:
    vector, keyword = [(1, 0.9), (2, 0.8)], [(2, 12.0), (3, 7.0)]
    expected = reciprocal_rank_fusion([[1, 2], [2, 3]], retrieval.RRF_K,
                                      retrieval.HYBRID_WEIGHTS)
    assert fuse([vector, keyword]) == expected
    assert fuse([vector, keyword])[0][0] == 2, "found by both rankings, it comes first"
    assert fuse([vector, []]) == reciprocal_rank_fusion([[1, 2], []], retrieval.RRF_K,
                                                        retrieval.HYBRID_WEIGHTS)


def test_documents_are_ranked_by_their_best_chunk() -> None:
    a, b, c = Path("a.txt"), Path("b.txt"), Path("c.txt")
    owners = {1: a, 2: b, 3: a, 4: c, 5: b}
    ranked = [(3, 0.9), (2, 0.8), (1, 0.7), (5, 0.6), (4, 0.5), (99, 0.4)]
    assert best_per_document(ranked, owners, 10) == [(a, 3, 0.9), (b, 2, 0.8), (c, 4, 0.5)]
    assert best_per_document(ranked, owners, 2) == [(a, 3, 0.9), (b, 2, 0.8)]
