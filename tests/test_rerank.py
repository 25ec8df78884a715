"""The reranking stage: late interaction over the real embedder, and a library that uses it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from documents.chunking import ChunkingConfig
from documents.embedder import Embedder
from documents.library import Library
from documents.rerank import LateInteraction, Reranking, rerank

PASSAGES = {
    11: "The stock market fell sharply on Tuesday after the central bank raised rates.",
    12: "Domestic cats purr when they are content, and sometimes when they are hurt.",
    13: "Warsaw is the capital and largest city of Poland.",
    14: "A kitten's purring starts a few days after birth.",
}


def test_token_vectors_are_unit_length_one_per_word_piece(embedder: Embedder) -> None:
    text = PASSAGES[12]
    question, passage, empty = embedder.encode_tokens(["why do cats purr", text, ""])
    assert passage.shape == (len(embedder.token_starts(text)), embedder.dimension)
    assert passage.dtype == np.float32 and question.shape[0] == 5
    assert np.allclose(np.linalg.norm(passage, axis=1), 1.0, atol=1e-5)
    assert empty.shape[0] == 0
    assert embedder.encode_tokens([]) == []


def test_late_interaction_prefers_the_passages_that_answer(embedder: Embedder) -> None:
    scores = LateInteraction(embedder).scores("why do cats purr", list(PASSAGES.values()))
    assert min(scores[1], scores[3]) > max(scores[0], scores[2])
    assert LateInteraction(embedder).scores("anything", []) == []


def test_rerank_reorders_the_head_only_and_keeps_the_scores_falling(
        embedder: Embedder) -> None:
    # The first stage put the two answers last; the tail (chunk 99) has no text to read.
    ranked = [(11, 0.9), (13, 0.8), (12, 0.7), (14, 0.6), (99, 0.5)]
    reranker = LateInteraction(embedder)
    alone = rerank(ranked, PASSAGES, reranker, "why do cats purr", depth=4, fused=False)
    assert {chunk_id for chunk_id, _ in alone[:2]} == {12, 14}
    assert [score for _, score in alone] == [0.9, 0.8, 0.7, 0.6, 0.5]
    assert alone[-1] == (99, 0.5)

    fused = rerank(ranked, PASSAGES, reranker, "why do cats purr", depth=4)
    assert {chunk_id for chunk_id, _ in fused[:4]} == {11, 12, 13, 14}
    assert [score for _, score in fused] == [0.9, 0.8, 0.7, 0.6, 0.5]

    shallow = rerank(ranked, PASSAGES, reranker, "why do cats purr", depth=2, fused=False)
    assert shallow[2:] == ranked[2:], "below the depth nothing moves"


@pytest.fixture()
def library(tmp_path: Path, embedder: Embedder) -> Iterator[Library]:
    library = Library(tmp_path / "data", embedder, ChunkingConfig(32, 8))
    library.add_texts({f"note-{chunk_id}": text for chunk_id, text in PASSAGES.items()})
    yield library
    library.close()


def test_a_library_with_reranking_searches_the_same_candidates(library: Library) -> None:
    question = "which animal purrs"
    plain = library.search(question, 4)
    plain_documents = library.search_documents(question, 4)
    library.reranking = Reranking(LateInteraction(library.embedder), depth=4, fused=False)
    reranked = library.search(question, 4)
    documents = library.search_documents(question, 4)
    assert sorted(p.chunk_id for p in reranked) == sorted(p.chunk_id for p in plain)
    assert {p.text for p in reranked[:2]} == {PASSAGES[12], PASSAGES[14]}
    assert [p.score for p in reranked] == sorted((p.score for p in reranked), reverse=True)
    assert {d.document_name for d in documents} == {d.document_name for d in plain_documents}
    assert {d.document_name for d in documents[:2]} == {"note-12", "note-14"}
