"""Retrieval on the near-twin set: does the passage search find the named year's report, and
its evidence page, among siblings that differ only in company, year and figures?

The files are ingested with `Library.add` (real PDFs, as a user adds them) and each question
goes through `Library.search`, the passage search the answers use, with the app's search
mode. Over the top K passages:

- doc hit@1: the first passage comes from the evidence file;
- doc hit@K: one of them does;
- page hit@K: one of them is the evidence page of the evidence file;
- sibling crowding: among the doc misses, the share whose top K held another year of the
  same company (the failure the near-twin set exists to measure).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from documents.errors import InvalidInputError
from documents.library import IngestProgress, Library
from documents.retrieval import SearchMode
from inference.evaluation.near_twins import DOCUMENTS, load_questions

#: Passages looked at per question, as in the issue's measurements.
TOP_K = 5


@dataclass
class TwinOutcome:
    id: str
    question: str
    doc: str
    page: int
    found: list[tuple[str, int | None]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "doc": self.doc, "page": self.page,
                "found": [f"{name} p. {page}" for name, page in self.found]}


@dataclass
class TwinResult:
    dataset: str
    mode: str
    questions: int
    documents: int
    chunks: int
    doc_hit_1: float
    doc_hit_k: float
    page_hit_k: float
    sibling_crowded: float | None
    queries_per_s: float
    ingest_s: float
    outcomes: list[TwinOutcome]
    config: dict[str, Any] = field(default_factory=dict)

    def to_json(self, details: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "dataset": self.dataset, "mode": self.mode, "questions": self.questions,
            "documents": self.documents, "chunks": self.chunks,
            "doc_hit@1": round(self.doc_hit_1, 4), f"doc_hit@{TOP_K}": round(self.doc_hit_k, 4),
            f"page_hit@{TOP_K}": round(self.page_hit_k, 4),
            "sibling_crowded_misses": (None if self.sibling_crowded is None
                                       else round(self.sibling_crowded, 4)),
            "queries_per_s": round(self.queries_per_s, 2), "ingest_s": round(self.ingest_s, 2),
            "config": self.config,
        }
        if details:
            data["outcomes"] = [outcome.to_json() for outcome in self.outcomes]
        return data


def evaluate_twins(dataset: Path, library: Library, mode: SearchMode = SearchMode.HYBRID,
                   limit: int | None = None,
                   progress: Callable[[IngestProgress], None] | None = None) -> TwinResult:
    """Ingest the set's documents (unchanged files are skipped), then ask every question."""
    questions = load_questions(dataset)[:limit]
    if not questions:
        raise InvalidInputError(f"{dataset}: no questions")
    started = time.perf_counter()
    report = library.add([dataset / DOCUMENTS], progress)
    ingest_s = time.perf_counter() - started
    if report.failed:
        raise InvalidInputError(f"{len(report.failed)} document(s) failed: {report.failed[0]}")
    company = {q.doc: q.company for q in load_questions(dataset)}
    outcomes = []
    started = time.perf_counter()
    for question in questions:
        passages = library.search(question.question, TOP_K, mode)
        outcomes.append(TwinOutcome(question.id, question.question, question.doc,
                                    question.page,
                                    [(p.document_name, p.page) for p in passages]))
    search_s = time.perf_counter() - started

    def share(hits: list[bool]) -> float:
        return sum(hits) / len(hits) if hits else 0.0

    misses = [o for o in outcomes if o.doc not in {name for name, _ in o.found}]
    crowded = [any(company.get(name) == company[o.doc] for name, _ in o.found) for o in misses]
    return TwinResult(
        dataset=str(dataset), mode=mode.value, questions=len(outcomes),
        documents=sum(1 for d in library.documents() if d.status == "indexed"),
        chunks=library.store.chunk_count(),
        doc_hit_1=share([bool(o.found) and o.found[0][0] == o.doc for o in outcomes]),
        doc_hit_k=share([o.doc in {name for name, _ in o.found} for o in outcomes]),
        page_hit_k=share([(o.doc, o.page) in o.found for o in outcomes]),
        sibling_crowded=share(crowded) if misses else None,
        queries_per_s=len(outcomes) / search_s if search_s > 0 else 0.0,
        ingest_s=ingest_s, outcomes=outcomes,
        config={"top_k": TOP_K, "search": "Library.search (the answers' passage search)",
                "embedder": library.embedder.name,
                "chunking": {"max_tokens": library.chunking.max_tokens,
                             "overlap_tokens": library.chunking.overlap_tokens}},
    )
