"""The vector index: exact when small, IVF above its threshold, persisted and back again."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from documents.vector_index import EXACT, IVF, VectorIndex, cells_for, probes_for

DIMENSION = 32


def clustered(rng: np.random.Generator, centres: np.ndarray, count: int,
              spread: float = 1.0) -> np.ndarray:
    chosen = centres[rng.integers(0, len(centres), count)]
    vectors = chosen + spread * rng.standard_normal((count, DIMENSION)) / np.sqrt(DIMENSION)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def corpus(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(4, count // 50), DIMENSION))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    return clustered(rng, centres, count), clustered(rng, centres, 100, 1.2), np.arange(count)


def recall(index: VectorIndex, queries: np.ndarray, k: int = 10) -> float:
    truth = index.exact_search(queries, k)
    found = sum(len({i for i, _ in index.search(q, k)} & set(t.tolist()))
                for q, t in zip(queries, truth, strict=True))
    return found / (k * len(queries))


def test_small_index_is_exact_and_ranks_by_cosine() -> None:
    vectors, queries, ids = corpus(500)
    index = VectorIndex(DIMENSION, approximate_above=1000)
    index.add(ids.tolist(), vectors)
    assert index.kind == EXACT and index.size == 500
    hits = index.search(queries[0], 5)
    scores = vectors @ queries[0]
    assert [i for i, _ in hits] == np.argsort(-scores)[:5].tolist()
    assert np.allclose([s for _, s in hits], np.sort(scores)[::-1][:5], atol=1e-5)


def test_index_turns_approximate_above_its_threshold_with_high_recall(tmp_path: Path) -> None:
    vectors, queries, ids = corpus(6000)
    index = VectorIndex(DIMENSION, approximate_above=2000)
    for start in range(0, 6000, 1000):
        index.add((ids[start:start + 1000] + 10).tolist(), vectors[start:start + 1000])
    assert index.kind == IVF and index.size == 6000
    info = index.describe()
    # Trained when the third batch crossed the threshold: cells for 3000 vectors.
    assert info["cells"] == cells_for(3000) and info["probes"] == probes_for(cells_for(3000))
    assert recall(index, queries) >= 0.95
    stored, stored_ids = index.contents()
    assert sorted(stored_ids.tolist()) == (ids + 10).tolist()
    assert np.allclose(stored[np.argsort(stored_ids)], vectors)

    index.save(tmp_path / "vectors.faiss")
    loaded = VectorIndex.load(tmp_path / "vectors.faiss", DIMENSION, approximate_above=2000)
    assert loaded is not None and loaded.kind == IVF and loaded.size == 6000
    assert loaded.search(queries[3], 10) == index.search(queries[3], 10)
    assert VectorIndex.load(tmp_path / "vectors.faiss", DIMENSION + 1) is None


def test_removing_below_half_the_threshold_goes_back_to_exact() -> None:
    vectors, queries, ids = corpus(3000)
    index = VectorIndex(DIMENSION, approximate_above=2000)
    index.add(ids.tolist(), vectors)
    assert index.kind == IVF
    index.remove(ids[:1500].tolist())
    assert index.kind == IVF and index.size == 1500
    assert all(i >= 1500 for i, _ in index.search(queries[0], 20))
    index.remove(ids[1500:2100].tolist())
    assert index.kind == EXACT and index.size == 900
    assert sorted(index.contents()[1].tolist()) == ids[2100:].tolist()
    assert recall(index, queries) == 1.0


def test_searches_run_while_another_thread_adds() -> None:
    vectors, queries, ids = corpus(4000)
    index = VectorIndex(DIMENSION, approximate_above=1500)
    errors: list[BaseException] = []

    def search() -> None:
        try:
            for query in np.tile(queries, (3, 1)):
                index.search(query, 10)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    searcher = threading.Thread(target=search)
    searcher.start()
    for start in range(0, 4000, 250):
        index.add(ids[start:start + 250].tolist(), vectors[start:start + 250])
    searcher.join()
    assert not errors and index.size == 4000 and index.kind == IVF


def test_cells_grow_with_size_and_stay_bounded() -> None:
    assert cells_for(100) == 16
    assert cells_for(60_000) == 512
    assert cells_for(10_000_000) == 4096
    assert probes_for(1024) == 128 and probes_for(16) == 16
