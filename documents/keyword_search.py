"""BM25 keyword search whose cost stays bounded as the library grows.

SQLite FTS5 scores every chunk that contains any query word, so an OR of a question's
words costs time in proportion to how many chunks contain them: at 100,000 chunks a
question with "who", "first" or "have" in it matched most of the library and took
hundreds of milliseconds. `KeywordSearch` asks the index how common each word is
(cached until the library changes) and ranks by the rarest words within a fixed number of
index entries, the words that carry BM25's weight. The measurements are in
docs/benchmarks.md.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from documents.retrieval import fts_match, query_words, rarest_words
from documents.store import Store

#: Index entries (word, chunk) one keyword query may score. About 3 µs each on a 2-core
#: VM, so a query costs at most some 30 ms however large the library.
POSTINGS_BUDGET = 10_000
#: Words are counted up to this many chunks: enough to order even common words.
COUNT_CAP = 2 * POSTINGS_BUDGET
#: Counts kept; the cache is emptied when it grows past this or the library changes.
CACHE_LIMIT = 50_000


class KeywordSearch:
    """Keyword ranking of one library's chunks, safe to call from any thread."""

    def __init__(self, store: Store, budget: int = POSTINGS_BUDGET) -> None:
        self._store = store
        self.budget = budget
        self._counts: dict[str, int] = {}
        self._generation = -1
        self._lock = threading.Lock()

    def search(self, query: str, limit: int,
               within: Sequence[Path] | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) of the `limit` best chunks for `query`, best first
        (`within`: only those documents' chunks)."""
        words = query_words(query)
        chosen = rarest_words(self.chunk_counts(words), self.budget) if words else []
        return self._store.keyword_search(fts_match(chosen), limit, within) if chosen else []

    def chunk_counts(self, words: list[str]) -> dict[str, int]:
        """How many chunks contain each word (up to `COUNT_CAP`), as of the library's state."""
        generation = self._store.generation()
        with self._lock:
            if generation != self._generation or len(self._counts) > CACHE_LIMIT:
                self._counts.clear()
                self._generation = generation
            known = {word: self._counts[word] for word in words if word in self._counts}
        fresh = {word: self._store.chunks_containing(word, COUNT_CAP)
                 for word in words if word not in known}
        if fresh:
            with self._lock:
                if self._generation == generation:
                    self._counts.update(fresh)
        return known | fresh
