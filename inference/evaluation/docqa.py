"""Questions over documents: does retrieval find the gold paragraph, does the answer cite it?

The dataset is a folder with `documents/` (files to ingest) and `questions.jsonl` (question,
gold answers, the gold file `doc` and its paragraph `context`), as ../shared/data/docqa-xquad.
Everything runs through a Workspace, so the library, the model and the answering settings are
the app's own.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from documents.errors import InvalidInputError
from documents.library import IngestProgress
from inference.answer import Answer, AnswerFinished
from inference.evaluation.squad import exact_match, f1_score
from inference.workspace import Workspace

#: Passage hit@K: the gold paragraph lies inside one of the top K chunks.
HIT_K = 5
_MARKERS = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\]")


@dataclass(frozen=True)
class DocQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    doc: str
    paragraph_index: int
    context: str


def load_questions(dataset: Path) -> list[DocQuestion]:
    path = dataset / "questions.jsonl"
    if not path.is_file() or not (dataset / "documents").is_dir():
        raise InvalidInputError(f"{dataset}: expected documents/ and questions.jsonl")
    questions = []
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                questions.append(DocQuestion(str(row["id"]), row["question"],
                                             tuple(row["answers"]), row["doc"],
                                             int(row["paragraph_index"]), row["context"]))
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise InvalidInputError(
                    f"{path}:{number}: not a question record ({error})") from error
    return questions


def spread(items: Sequence[DocQuestion], limit: int | None) -> list[DocQuestion]:
    """`limit` items evenly spaced over the file, so a sample covers every document."""
    if limit is None or limit >= len(items):
        return list(items)
    return [items[index * len(items) // limit] for index in range(max(0, limit))]


def _squash(text: str) -> str:
    return " ".join(text.split())


def contains_paragraph(chunk_text: str, paragraph: str) -> bool:
    """The gold paragraph lies inside the chunk (whitespace differences ignored)."""
    return _squash(paragraph) in _squash(chunk_text)


def answer_text(answer: Answer) -> str:
    """The answer as scored for EM/F1: its citation markers removed."""
    return _MARKERS.sub("", answer.text) if answer.covered else ""


@dataclass
class QuestionOutcome:
    id: str
    doc: str
    hit: bool
    hit_rank: int | None
    answer: str | None = None
    first_citation: str | None = None
    citation_correct: bool | None = None
    exact_match: float | None = None
    f1: float | None = None


@dataclass
class DocqaResult:
    questions: int
    documents: int
    chunks: int
    hit_at_k: float
    answered: int
    citation_accuracy: float | None
    exact_match: float | None
    f1: float | None
    cited_rate: float | None
    retrieval_s: float
    answer_s: float
    ingest_s: float
    config: dict[str, Any] = field(default_factory=dict)
    outcomes: list[QuestionOutcome] = field(default_factory=list)

    def to_json(self, details: bool = False) -> dict[str, Any]:
        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 4)
        data: dict[str, Any] = {
            "questions": self.questions, "documents": self.documents, "chunks": self.chunks,
            f"passage_hit@{HIT_K}": r(self.hit_at_k), "answered": self.answered,
            "citation_accuracy": r(self.citation_accuracy), "exact_match": r(self.exact_match),
            "f1": r(self.f1), "cited_rate": r(self.cited_rate),
            "retrieval_s": round(self.retrieval_s, 2), "answer_s": round(self.answer_s, 2),
            "ingest_s": round(self.ingest_s, 2), "config": self.config,
        }
        if details:
            data["outcomes"] = [vars(outcome) for outcome in self.outcomes]
        return data


def evaluate_docqa(workspace: Workspace, dataset: Path, limit: int | None = None,
                   answers: bool = True,
                   progress: Callable[[str], None] | None = None,
                   ingest_progress: Callable[[IngestProgress], None] | None = None,
                   ) -> DocqaResult:
    """Ingest the dataset's documents, then score retrieval and (with `answers`) the answers."""
    questions = spread(load_questions(dataset), limit)
    library = workspace.library
    started = time.perf_counter()
    report = library.add([dataset / "documents"], ingest_progress)
    ingest_s = time.perf_counter() - started
    if report.failed:
        raise InvalidInputError(f"{len(report.failed)} document(s) failed: {report.failed[0]}")
    mode = workspace.settings.answering.search_mode
    outcomes = []
    started = time.perf_counter()
    for question in questions:
        passages = library.search(question.question, HIT_K, mode)
        rank = next((n for n, p in enumerate(passages, start=1)
                     if contains_paragraph(p.text, question.context)), None)
        outcomes.append(QuestionOutcome(question.id, question.doc, rank is not None, rank))
    retrieval_s = time.perf_counter() - started
    answer_s = 0.0
    if answers:
        assistant = workspace.assistant()
        started = time.perf_counter()
        for done, (question, outcome) in enumerate(zip(questions, outcomes, strict=True), 1):
            answer = next(event.answer for event in assistant.answer(question.question)
                          if isinstance(event, AnswerFinished))
            text = answer_text(answer)
            outcome.answer = answer.text
            outcome.first_citation = (answer.citations[0].passage.document_name
                                      if answer.citations else None)
            outcome.citation_correct = outcome.first_citation == question.doc
            outcome.exact_match = exact_match(text, question.answers)
            outcome.f1 = f1_score(text, question.answers)
            if progress is not None:
                progress(f"[{done}/{len(questions)}] citation "
                         f"{'ok' if outcome.citation_correct else 'WRONG'}: {question.question}")
        answer_s = time.perf_counter() - started
    answered = [o for o in outcomes if o.citation_correct is not None]

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    settings = workspace.settings
    config: dict[str, Any] = {
        "dataset": str(dataset), "search_mode": mode.value,
        "embedder": str(library.embedder.model_dir),
        "chunking": {"max_tokens": library.chunking.max_tokens,
                     "overlap_tokens": library.chunking.overlap_tokens},
        "sample": "all questions" if limit is None else f"{len(questions)} evenly spaced",
    }
    if answers:
        config.update({"model": workspace.model.file.path.name,
                       "passages_in_prompt": settings.passages,
                       "min_similarity": settings.min_similarity,
                       "context_tokens": settings.context_tokens})
    return DocqaResult(
        questions=len(questions),
        documents=sum(1 for d in library.documents() if d.status == "indexed"),
        chunks=library.store.chunk_count(),
        hit_at_k=sum(o.hit for o in outcomes) / len(outcomes) if outcomes else 0.0,
        answered=len(answered),
        citation_accuracy=mean([float(bool(o.citation_correct)) for o in answered]),
        exact_match=mean([o.exact_match or 0.0 for o in answered]),
        f1=mean([o.f1 or 0.0 for o in answered]),
        cited_rate=mean([float(bool(_MARKERS.search(o.answer or ""))) for o in answered]),
        retrieval_s=retrieval_s, answer_s=answer_s, ingest_s=ingest_s, config=config,
        outcomes=outcomes,
    )
