"""Search latency at 10k to 1M chunks, and what the approximate vector index costs in recall.

Libraries that large take hours to embed, so their chunks are synthetic: text drawn word by
word from real articles (so word frequencies and the keyword index behave as in real text)
and clustered unit vectors (so an IVF index meets the structure real embeddings have). The
questions are real ones, embedded by the real embedder, and each goes through the product's
`Library.search` in hybrid mode. Beside it, the raw parts on the same queries: the query
embedding, an exact `faiss.IndexFlatIP` over the same vectors, and the SQLite FTS5 query.

Scoped retrieval: the same questions searched within a collection holding 1 % of the chunks
(whole synthetic documents, spread over the library), through the product's
`Library.search(collection=…)`, interleaved with the unscoped searches so both meet the same
load. Beside it, the two ways to rank the collection's vectors: FAISS with an ID selector
(what the product does) and exact cosines of the vectors read from SQLite per question.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from documents.chunking import Chunk
from documents.embedder import Embedder
from documents.errors import InvalidInputError
from documents.library import DATABASE_FILE, Library
from documents.retrieval import SearchMode, fts_query
from documents.store import Store
from inference.bench.common import BenchReport, median, percentile, ratio
from inference.bench.ingest import _embedder
from inference.settings import Settings

#: Bumped when the synthetic library changes, so a kept one is rebuilt.
GENERATOR_VERSION = "2"
WORDS_PER_CHUNK = 90
CHUNKS_PER_DOCUMENT = 1000
#: Vectors per synthetic cluster, and the noise around each cluster's centre.
CLUSTER_SIZE = 50
SPREAD = 1.0
TOP_K = 10
#: The synthetic library's throw-away encryption key, beside it.
KEY_FILE = "bench-key"
#: Queries used for recall@10 of the approximate index against exact search.
RECALL_QUERIES = 200
#: The share of the library's chunks in the collection of the scoped figures.
SCOPED_SHARE = 0.01
SCOPED_COLLECTION = "bench 1 %"

Progress = Callable[[str], None]

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _vocabulary(dataset: Path) -> list[str]:
    """Every word of the articles, repeated as often as it occurs (so sampling is Zipfian)."""
    words: list[str] = []
    for path in sorted((dataset / "documents").glob("*.md")):
        words += re.findall(r"\w+", path.read_text(encoding="utf-8"))
    if not words:
        raise InvalidInputError(f"{dataset}: no articles to draw synthetic text from")
    return words


def _questions(dataset: Path, count: int) -> list[str]:
    questions = []
    with (dataset / "questions.jsonl").open(encoding="utf-8") as stream:
        for line in stream:
            questions.append(str(json.loads(line)["question"]))
    return [questions[i % len(questions)] for i in range(count)]


def clustered_vectors(rng: np.random.Generator, centres: np.ndarray[Any, Any], count: int,
                      spread: float = SPREAD) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Unit vectors scattered around randomly chosen centres (cosine ~0.7 at spread 1)."""
    dimension = centres.shape[1]
    chosen = centres[rng.integers(0, len(centres), count)]
    noise = rng.standard_normal((count, dimension), dtype=np.float32) / np.sqrt(dimension)
    vectors = chosen + spread * noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors, dtype=np.float32)


def _centres(size: int, dimension: int) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(size)
    centres = rng.standard_normal((max(1, size // CLUSTER_SIZE), dimension), dtype=np.float32)
    return np.asarray(centres / np.linalg.norm(centres, axis=1, keepdims=True))


def build_library(folder: Path, size: int, embedder: Embedder, vocabulary: Sequence[str],
                  progress: Progress) -> None:
    """A data directory of `size` synthetic chunks, written through the product's Store.

    It is encrypted like a user's library (SQLCipher, sealed vector file), with a
    throw-away key kept beside it so that a kept library can be opened again.
    """
    folder.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    (folder / KEY_FILE).write_bytes(key)
    store = Store(folder / DATABASE_FILE, key)
    try:
        store.set_meta("embedder_identity", embedder.identity)
        store.set_meta("embedder_name", embedder.name)
        rng = np.random.default_rng(size + 1)
        centres = _centres(size, embedder.dimension)
        words = np.asarray(vocabulary)
        for start in range(0, size, CHUNKS_PER_DOCUMENT):
            count = min(CHUNKS_PER_DOCUMENT, size - start)
            drawn = words[rng.integers(0, len(words), count * WORDS_PER_CHUNK)]
            texts = [" ".join(drawn[i * WORDS_PER_CHUNK:(i + 1) * WORDS_PER_CHUNK])
                     for i in range(count)]
            chunks = [Chunk(None, 0, len(text), text) for text in texts]
            path = folder / "synthetic" / f"document-{start // CHUNKS_PER_DOCUMENT:05d}.txt"
            store.replace_document(path, hashlib.sha256(path.name.encode()).hexdigest(), 0,
                                   None, chunks, clustered_vectors(rng, centres, count))
            if (start // CHUNKS_PER_DOCUMENT) % 100 == 99:
                progress(f"  {start + count}/{size} synthetic chunks written")
    finally:
        store.close()


@contextmanager
def _library_dir(cache: Path | None, size: int, embedder: Embedder,
                 vocabulary: Sequence[str], progress: Progress) -> Iterator[Path]:
    """A kept synthetic library when `cache` is given (built once), else a temporary one."""
    name = f"synthetic-{size}-{embedder.identity}-v{GENERATOR_VERSION}"
    if cache is not None:
        folder = cache / name
        if not (folder / "complete").is_file():
            shutil.rmtree(folder, ignore_errors=True)
            progress(f"building a {size}-chunk synthetic library in {folder}")
            build_library(folder, size, embedder, vocabulary, progress)
            (folder / "complete").write_text("ok")
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="enclave-bench-retrieve-") as temporary:
        progress(f"building a {size}-chunk synthetic library")
        build_library(Path(temporary) / name, size, embedder, vocabulary, progress)
        yield Path(temporary) / name


def run_retrieve(settings: Settings, sizes: Sequence[int], queries: int = 200,
                 cache: Path | None = None, progress: Progress | None = None,
                 dataset: Path | None = None) -> BenchReport:
    import faiss

    say = progress or (lambda _line: None)
    dataset = dataset or SHARED_DATA / "docqa-xquad"
    if not sizes or min(sizes) < 100:
        raise InvalidInputError("--sizes: each size must be at least 100 chunks")
    report = BenchReport("retrieve", queries)
    embedder = _embedder(settings, settings.embedder_backend)
    vocabulary = _vocabulary(dataset)
    questions = _questions(dataset, queries)
    embedder.encode(["warm up"])
    query_vectors = embedder.encode(questions)
    results: dict[str, Any] = {}
    for size in sizes:
        with _library_dir(cache, size, embedder, vocabulary, say) as folder:
            started = time.perf_counter()
            library = Library(folder, embedder, settings.chunking,
                              key=(folder / KEY_FILE).read_bytes())
            try:
                index = library._vector_index()
                load_s = time.perf_counter() - started
                say(f"{size} chunks: index {index.describe()} ready in {load_s:.1f} s")
                vectors, ids = index.contents()
                exact = faiss.IndexFlatIP(index.dimension)
                exact.add(vectors)
                del vectors
                scope = _collection(library, size)
                scoped_ids = library.store.document_chunk_ids(scope)
                for question in questions[:5]:  # Warm-up: page cache, first allocations.
                    library.search(question, 4, SearchMode.HYBRID)
                    library.search(question, 4, SearchMode.HYBRID, collection=SCOPED_COLLECTION)
                total: list[float] = []
                embed: list[float] = []
                vector: list[float] = []
                keyword: list[float] = []
                fts_all: list[float] = []
                flat: list[float] = []
                scoped: list[float] = []
                selector: list[float] = []
                from_sqlite: list[float] = []
                scoped_keyword: list[float] = []
                clock = time.perf_counter
                for question, query in zip(questions, query_vectors, strict=True):
                    match = fts_query(question)
                    t0 = clock()
                    library.search(question, 4, SearchMode.HYBRID)
                    t1 = clock()
                    embedder.encode([question])
                    t2 = clock()
                    index.search(query, 100)
                    t3 = clock()
                    library.keywords.search(question, 100)
                    t4 = clock()
                    library.store.keyword_search(match, 100)
                    t5 = clock()
                    exact.search(query.reshape(1, -1), 100)
                    t6 = clock()
                    library.search(question, 4, SearchMode.HYBRID, collection=SCOPED_COLLECTION)
                    t7 = clock()
                    index.search(query, 100, scoped_ids)
                    t8 = clock()
                    _sqlite_cosines(library, scoped_ids, query, 100)
                    t9 = clock()
                    library.keywords.search(question, 100, scope)
                    t10 = clock()
                    for series, seconds in ((total, t1 - t0), (embed, t2 - t1),
                                            (vector, t3 - t2), (keyword, t4 - t3),
                                            (fts_all, t5 - t4), (flat, t6 - t5),
                                            (scoped, t7 - t6), (selector, t8 - t7),
                                            (from_sqlite, t9 - t8), (scoped_keyword, t10 - t9)):
                        series.append(seconds * 1000)
                recall = _recall(index, exact, ids, size)
                results[str(size)] = {"index": index.describe(), "load_s": round(load_s, 2),
                                      "recall_at_10": recall,
                                      "collection": {"documents": len(scope),
                                                     "chunks": len(scoped_ids)}}
            finally:
                library.close()
        p95 = percentile(total, 0.95)
        key = _size_key(size)
        report.figure(f"hybrid_p50_ms_{key}", f"{key} hybrid search p50", "ms",
                      [median(total)])
        report.figure(f"hybrid_p95_ms_{key}", f"{key} hybrid search p95", "ms", [p95])
        report.figure(f"embed_p50_ms_{key}", f"{key}   query embedding p50", "ms",
                      [median(embed)])
        report.figure(f"vector_p50_ms_{key}", f"{key}   vector search p50 ({index.kind})", "ms",
                      [median(vector)])
        report.figure(f"keyword_p50_ms_{key}", f"{key}   keyword search p50 (rarest words)",
                      "ms", [median(keyword)])
        report.figure(f"keyword_p95_ms_{key}", f"{key}   keyword search p95 (rarest words)",
                      "ms", [percentile(keyword, 0.95)])
        report.figure(f"raw_fts_p50_ms_{key}", f"{key}   raw FTS5 query, all words, p50", "ms",
                      [median(fts_all)])
        report.figure(f"raw_fts_p95_ms_{key}", f"{key}   raw FTS5 query, all words, p95", "ms",
                      [percentile(fts_all, 0.95)])
        report.figure(f"raw_flat_p50_ms_{key}", f"{key}   raw exact faiss p50", "ms",
                      [median(flat)])
        raw = median(embed) + median(flat) + median(fts_all)
        report.ratios[f"hybrid_p50_vs_raw_parts_{key}"] = ratio(median(total), raw)
        if recall is not None:
            report.figure(f"recall_at_10_{key}", f"{key}   recall@10 vs exact", "", [recall])
            report.target(f"recall@10 approximate vs exact at {key}", recall, ">= 0.95",
                          recall >= 0.95)
        share = f"{len(scoped_ids) / size:.1%} of the chunks"
        scoped_p95 = percentile(scoped, 0.95)
        report.figure(f"scoped_p50_ms_{key}", f"{key} scoped hybrid search p50 ({share})", "ms",
                      [median(scoped)])
        report.figure(f"scoped_p95_ms_{key}", f"{key} scoped hybrid search p95 ({share})", "ms",
                      [scoped_p95])
        report.figure(f"scoped_selector_p50_ms_{key}",
                      f"{key}   scoped vectors: faiss ID selector p50", "ms", [median(selector)])
        report.figure(f"scoped_sqlite_p50_ms_{key}",
                      f"{key}   scoped vectors: read from SQLite, exact, p50", "ms",
                      [median(from_sqlite)])
        report.figure(f"scoped_keyword_p50_ms_{key}", f"{key}   scoped keyword search p50", "ms",
                      [median(scoped_keyword)])
        report.ratios[f"scoped_p95_vs_unscoped_p95_{key}"] = ratio(scoped_p95, p95)
        if size == 100_000:
            report.target("hybrid p95 at 100k", p95, "<= 50 ms", p95 <= 50)
            report.target("scoped hybrid p95 at 100k, 1 % collection", scoped_p95,
                          "<= 50 ms", scoped_p95 <= 50)
        say(f"{size} chunks: hybrid p50 {median(total):.1f} ms, p95 {p95:.1f} ms; scoped to "
            f"{share}: p50 {median(scoped):.1f} ms, p95 {scoped_p95:.1f} ms")
    report.details = {"sizes": results, "queries": queries, "embedder_backend":
                      settings.embedder_backend, "words_per_chunk": WORDS_PER_CHUNK,
                      "cluster_size": CLUSTER_SIZE, "spread": SPREAD}
    report.notes.append("raw parts = query embedding + exact faiss.IndexFlatIP + the FTS5 "
                        "query of all the question's words, each median; hybrid adds fusion "
                        "and fetching the passages")
    return report


def _collection(library: Library, size: int) -> list[Path]:
    """The bench's collection in the library: whole documents, evenly spread, holding
    `SCOPED_SHARE` of its chunks (at least one document)."""
    documents = [record.path for record in library.documents()]
    count = max(1, round(size * SCOPED_SHARE / CHUNKS_PER_DOCUMENT))
    chosen = documents[::max(1, len(documents) // count)][:count]
    collections = library.collections
    if SCOPED_COLLECTION not in {info.name for info in collections.all()}:
        collections.create(SCOPED_COLLECTION)
    current = {member.path for member in collections.get(SCOPED_COLLECTION).members}
    collections.remove(SCOPED_COLLECTION, current - set(chosen))
    collections.add(SCOPED_COLLECTION, chosen)
    return list(collections.scope(SCOPED_COLLECTION).documents)


def _sqlite_cosines(library: Library, ids: Sequence[int], query: Any,
                    depth: int) -> list[tuple[int, float]]:
    """The alternative to the ID selector: the collection's vectors read from SQLite and
    scored exactly, per question."""
    marks = ",".join("?" * len(ids))
    rows = library.store.rows(f"SELECT id, embedding FROM chunks WHERE id IN ({marks})", ids)
    if not rows:
        return []
    vectors = np.vstack([np.frombuffer(row[1], dtype=np.float32) for row in rows])
    scores = vectors @ query
    order = np.argsort(-scores)[:depth]
    return [(int(rows[i][0]), float(scores[i])) for i in order]


def _recall(index: Any, exact: Any, ids: np.ndarray[Any, Any], size: int) -> float | None:
    """recall@10 of the index against exact search, on queries drawn like the vectors."""
    if index.kind == "exact":
        return None
    rng = np.random.default_rng(7)
    queries = clustered_vectors(rng, _centres(size, index.dimension), RECALL_QUERIES,
                                spread=SPREAD * 1.2)
    _, truth = exact.search(queries, TOP_K)
    found = 0
    for query, positions in zip(queries, truth, strict=True):
        expected = {int(ids[p]) for p in positions if p >= 0}
        found += len(expected & {i for i, _ in index.search(query, TOP_K)})
    return found / (TOP_K * len(queries))


def _size_key(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)
