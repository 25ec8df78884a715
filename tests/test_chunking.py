"""Chunks fit the embedder's window, keep their page and point at their exact text."""

from __future__ import annotations

import pytest

from documents.chunking import ChunkingConfig, chunk_pages
from documents.embedder import Embedder
from documents.extract import Page
from tests.conftest import XQUAD


def test_chunks_fit_the_window_and_map_back_to_their_text(embedder: Embedder) -> None:
    text = (XQUAD / "documents" / "Warsaw.md").read_text()
    config = ChunkingConfig(max_tokens=120, overlap_tokens=20)
    chunks = chunk_pages([Page(None, text)], embedder.token_starts, config)
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.text == text[chunk.char_start:chunk.char_end].strip()
        assert len(embedder.token_starts(chunk.text)) <= config.max_tokens
    covered = " ".join(text[c.char_start:c.char_end] for c in chunks)
    assert set(text.split()) <= set(covered.split()), "no word may be lost"


def test_whole_paragraphs_stay_together_when_they_fit(embedder: Embedder) -> None:
    paragraphs = [f"Paragraph {n} says one thing. It says it twice." for n in range(6)]
    chunks = chunk_pages([Page(1, "\n\n".join(paragraphs))], embedder.token_starts,
                         ChunkingConfig(max_tokens=40, overlap_tokens=8))
    for chunk in chunks:
        assert chunk.text.count("Paragraph") >= 1
        assert chunk.text.endswith("twice."), "a fitting paragraph is never cut"


def test_long_sentence_is_cut_at_token_boundaries(embedder: Embedder) -> None:
    text = " ".join(f"word{n}" for n in range(400))
    chunks = chunk_pages([Page(2, text)], embedder.token_starts,
                         ChunkingConfig(max_tokens=64, overlap_tokens=0))
    assert all(chunk.page == 2 for chunk in chunks)
    assert all(len(embedder.token_starts(c.text)) <= 64 for c in chunks)
    assert chunks[0].text.startswith("word0") and chunks[-1].text.endswith("word399")


def test_chunks_never_cross_pages(embedder: Embedder) -> None:
    pages = [Page(1, "Alpha page one. " * 5), Page(2, ""), Page(3, "Gamma page three. " * 5)]
    chunks = chunk_pages(pages, embedder.token_starts)
    assert [c.page for c in chunks] == [1, 3]


@pytest.mark.parametrize(("max_tokens", "overlap"), [(8, 0), (100, 50), (100, -1)])
def test_bad_config_is_refused(max_tokens: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        ChunkingConfig(max_tokens, overlap)
