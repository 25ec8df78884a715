"""Keyword search bounded in cost: the rarest words within a budget of index entries."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from documents.chunking import Chunk
from documents.keyword_search import KeywordSearch
from documents.retrieval import fts_match, fts_query, query_words, rarest_words
from documents.store import Store


def test_query_words_drop_stopwords_unless_nothing_else_is_left() -> None:
    assert query_words("Who was the first Polish king?") == ["who", "first", "polish", "king"]
    assert query_words("to be or not to be") == ["to", "be", "or", "not"]
    assert fts_match(["near", "not"]) == '"near" OR "not"'


def test_fts_query_quotes_words_so_none_acts_as_an_operator() -> None:
    assert fts_query("The role of NOT in NEAR-field optics?") == (
        '"role" OR "near" OR "field" OR "optics"')
    assert fts_query('say "hi" AND hi OR (near)') == '"say" OR "hi" OR "near"'
    assert fts_query("  ?! ") == ""


def test_rarest_words_fill_the_budget_rarest_first() -> None:
    counts = {"who": 9000, "warsaw": 40, "king": 700, "first": 5000, "zygmunt": 0}
    assert rarest_words(counts, 1000) == ["warsaw", "king"]
    assert rarest_words(counts, 6000) == ["warsaw", "king", "first"]
    assert rarest_words(counts, 10) == ["warsaw"], "the rarest word is always searched"
    assert rarest_words({"zygmunt": 0}, 10) == [], "words found nowhere are never searched"


def _store_with(tmp_path: Path, texts: list[str], name: str = "a.txt") -> Store:
    store = Store(tmp_path / "library.sqlite3")
    _replace(store, tmp_path / name, texts)
    return store


def _replace(store: Store, path: Path, texts: list[str]) -> None:
    vectors = np.zeros((len(texts), 4), dtype=np.float32)
    store.replace_document(path, path.name, 0, None,
                           [Chunk(None, 0, len(t), t) for t in texts], vectors)


def test_common_words_are_left_out_only_when_over_budget(tmp_path: Path) -> None:
    texts = [f"common filler number {i}" for i in range(50)] + ["common warsaw castle"]
    store = _store_with(tmp_path, texts)
    try:
        search = KeywordSearch(store, budget=10)
        assert search.chunk_counts(["common", "warsaw", "castles"]) == {
            "common": 51, "warsaw": 1, "castles": 1}, "counted with the index's stemmer"
        ranked = search.search("common Warsaw", 100)
        assert len(ranked) == 1, "'common' (51 chunks) is over the budget of 10 entries"
        assert len(KeywordSearch(store, budget=100).search("common Warsaw", 100)) == 51
        assert search.search("Zygmunt", 10) == []
    finally:
        store.close()


def test_cached_counts_follow_changes_to_the_library(tmp_path: Path) -> None:
    store = _store_with(tmp_path, ["warsaw castle"])
    try:
        search = KeywordSearch(store)
        assert search.chunk_counts(["warsaw"]) == {"warsaw": 1}
        _replace(store, tmp_path / "b.txt", ["warsaw river", "warsaw old town"])
        assert search.chunk_counts(["warsaw"]) == {"warsaw": 3}
        assert len(search.search("warsaw", 10)) == 3
    finally:
        store.close()
