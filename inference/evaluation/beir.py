"""Retrieval eval on a BEIR dataset through the product's own ingestion and search.

Each corpus entry becomes one document (`title + " " + text`, the convention of the published
scores) that `Library.add_texts` chunks, embeds and stores as it does files; each query goes through
`Library.search_documents`, which ranks documents by their best chunk exactly as the app's
passage search ranks chunks.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from documents.errors import InvalidInputError
from documents.keyword_search import POSTINGS_BUDGET
from documents.library import CANDIDATE_DEPTH, IngestProgress, Library
from documents.retrieval import HYBRID_WEIGHTS, RRF_K, STOPWORDS, SearchMode
from inference.evaluation.metrics import Run, evaluate

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class BeirDataset:
    """A BEIR dataset: documents as the text we index, queries, and graded judgments."""

    name: str
    corpus: dict[str, str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_beir(directory: Path, split: str = "test") -> BeirDataset:
    """Read corpus.jsonl, queries.jsonl and qrels/<split>.tsv; raise ValueError if malformed."""
    paths = [directory / "corpus.jsonl", directory / "queries.jsonl",
             directory / "qrels" / f"{split}.tsv"]
    for path in paths:
        if not path.is_file():
            raise InvalidInputError(f"{path}: missing (expected a BEIR dataset folder)")
    corpus = {row["_id"]: f"{row.get('title') or ''} {row.get('text') or ''}".strip()
              for row in _jsonl(paths[0])}
    queries = {row["_id"]: row["text"] for row in _jsonl(paths[1])}
    qrels: dict[str, dict[str, int]] = {}
    with paths[2].open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            parts = line.rstrip("\n").split("\t")
            if (number == 1 and parts[0] == "query-id") or not line.strip():
                continue
            if len(parts) != 3:
                raise InvalidInputError(f"{paths[2]}:{number}: expected query-id, corpus-id, score")
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return BeirDataset(directory.resolve().name, corpus, queries, qrels)


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as error:
                    raise InvalidInputError(f"{path}:{number}: not JSON ({error.msg})") from error


def document_key(doc_id: str) -> str:
    """The library's name for a corpus id: the id itself when it is a safe file name."""
    if _SAFE_NAME.fullmatch(doc_id) and len(doc_id) < 200:
        return doc_id
    return f"id-{doc_id.encode().hex()[:180]}-{hashlib.sha256(doc_id.encode()).hexdigest()[:8]}"


def corpus_digest(dataset: BeirDataset) -> str:
    """A short fingerprint of the corpus, so a kept index is only reused for the same texts."""
    digest = hashlib.sha256()
    for doc_id, text in sorted(dataset.corpus.items()):
        digest.update(f"{len(doc_id)}:{doc_id}{len(text)}:{text}".encode())
    return digest.hexdigest()[:12]


@dataclass
class RetrievalResult:
    dataset: str
    mode: str
    queries: int
    documents: int
    chunks: int
    failed_documents: int
    metrics: dict[str, float]
    queries_per_s: float
    search_s: float
    ingest_s: float
    config: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset, "mode": self.mode, "queries": self.queries,
            "documents": self.documents, "chunks": self.chunks,
            "failed_documents": self.failed_documents,
            "metrics": {name: round(value, 4) for name, value in self.metrics.items()},
            "queries_per_s": round(self.queries_per_s, 2), "search_s": round(self.search_s, 2),
            "ingest_s": round(self.ingest_s, 2), "config": self.config,
        }


def retrieval_config(library: Library, mode: SearchMode) -> dict[str, Any]:
    """What produced the numbers: embedder, chunking, keyword query, fusion."""
    embedder = library.embedder
    config: dict[str, Any] = {
        "embedder": {"name": embedder.name, "path": str(embedder.model_dir),
                     "identity": embedder.identity},
        "chunking": {"max_tokens": library.chunking.max_tokens,
                     "overlap_tokens": library.chunking.overlap_tokens},
        "document_score": "best chunk (max over a document's chunks)",
        "candidate_depth": f"{CANDIDATE_DEPTH} documents' worth of chunks per ranking",
    }
    if mode is not SearchMode.VECTOR:
        config["keyword"] = {"index": "SQLite FTS5 BM25, porter unicode61",
                             "query": f"OR of the query's words less {len(STOPWORDS)} stopwords, "
                                      f"rarest first within {POSTINGS_BUDGET} index entries"}
    if mode is SearchMode.HYBRID:
        config["fusion"] = {"method": "reciprocal rank fusion", "k": RRF_K,
                            "weights": {"vector": HYBRID_WEIGHTS[0],
                                        "keyword": HYBRID_WEIGHTS[1]}}
    return config


def evaluate_retrieval(dataset: BeirDataset, library: Library,
                       mode: SearchMode = SearchMode.HYBRID, limit: int | None = None,
                       depth: int = 100,
                       progress: Callable[[IngestProgress], None] | None = None,
                       ) -> RetrievalResult:
    """Ingest the corpus into `library` (unchanged files are skipped), then run the queries.

    Only queries with a relevant judgment are asked; `limit` keeps the first that many.
    """
    started = time.perf_counter()
    names = {document_key(doc_id): doc_id for doc_id in dataset.corpus}
    if len(names) != len(dataset.corpus):
        raise InvalidInputError(f"{dataset.name}: corpus ids collide once made file names")
    report = library.add_texts({key: dataset.corpus[doc_id] for key, doc_id in names.items()},
                               progress)
    ingest_s = time.perf_counter() - started
    if report.cancelled:
        raise InvalidInputError("ingestion was cancelled")
    judged = [query for query, rels in dataset.qrels.items()
              if query in dataset.queries and any(rel > 0 for rel in rels.values())]
    judged = judged[:limit] if limit is not None else judged
    if not judged:
        raise InvalidInputError(f"{dataset.name}: no judged queries to evaluate")
    library.search_documents(dataset.queries[judged[0]], depth, mode)  # Warm-up, not timed.
    runs: dict[str, Run] = {}
    started = time.perf_counter()
    for query in judged:
        hits = library.search_documents(dataset.queries[query], depth, mode)
        runs[query] = {names.get(hit.document_name, hit.document_name): hit.score
                       for hit in hits}
    search_s = time.perf_counter() - started
    qrels = {query: dataset.qrels[query] for query in judged}
    return RetrievalResult(
        dataset=dataset.name, mode=mode.value, queries=len(judged),
        documents=sum(1 for d in library.documents() if d.status == "indexed"),
        chunks=library.store.chunk_count(), failed_documents=len(report.failed),
        metrics=evaluate(runs, qrels, ndcg=(10,), recall=(10, 100), mrr=(10,)),
        queries_per_s=len(judged) / search_s if search_s > 0 else 0.0,
        search_s=search_s, ingest_s=ingest_s, config=retrieval_config(library, mode),
    )

