"""Questions over documents: does retrieval find the gold paragraph, is the answer right,
does it cite it, and does the assistant decline what the library does not cover?

The dataset is a folder with `documents/` (files to ingest) and `questions.jsonl` (question,
gold answers, the gold file `doc` and its paragraph `context`), as ../shared/data/docqa-xquad.
A seeded share of the articles is held out of the library; their questions are the
"unanswerable" ones, which the assistant should decline. Everything runs through a
Workspace, so the library, the model and the answering settings are the app's own.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from documents.errors import InvalidInputError
from documents.library import IngestProgress
from inference.evaluation.asking import AnswerScore, ask, mean, runtime, score, summarise
from inference.workspace import Workspace

T = TypeVar("T")

#: Passage hit@K: the gold paragraph lies inside one of the top K chunks.
HIT_K = 5
#: The default share of articles held out of the library (and of questions unanswerable).
UNANSWERABLE_SHARE = 1 / 6


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


def spread(items: Sequence[T], limit: int | None) -> list[T]:
    """`limit` items evenly spaced over the file, so a sample covers every document."""
    if limit is None or limit >= len(items):
        return list(items)
    return [items[index * len(items) // limit] for index in range(max(0, limit))]


def _squash(text: str) -> str:
    return " ".join(text.split())


def contains_paragraph(chunk_text: str, paragraph: str) -> bool:
    """The gold paragraph lies inside the chunk (whitespace differences ignored)."""
    return _squash(paragraph) in _squash(chunk_text)


@dataclass(frozen=True)
class DocqaPlan:
    """Which articles are ingested, and which questions are asked of them.

    `unanswerable` questions come only from `held_out` articles, `answerable` ones only from
    ingested articles, so "declined" is scored against what the library really holds.
    """

    dataset: Path
    ingested: list[Path]
    held_out: list[str]
    answerable: list[DocQuestion]
    unanswerable: list[DocQuestion]

    @property
    def library_key(self) -> str:
        """A short digest of the held-out set, so a kept index is only reused for it."""
        names = "\n".join(sorted(self.held_out)).encode()
        return "all" if not self.held_out else hashlib.sha256(names).hexdigest()[:10]


def hold_out(documents: Sequence[str], share: float, seed: int) -> list[str]:
    """A seeded `share` of the documents (at least one while share > 0; never all)."""
    if share <= 0 or len(documents) < 2:
        return []
    count = min(max(1, round(len(documents) * share)), len(documents) - 1)
    return sorted(random.Random(seed).sample(sorted(documents), count))


def plan_docqa(dataset: Path, limit: int | None = None,
               unanswerable_share: float = UNANSWERABLE_SHARE, seed: int = 0) -> DocqaPlan:
    """Hold out articles, then take `limit` questions, that share of them unanswerable.

    Within each group the questions are spread evenly over the file, so a sample covers
    every article.
    """
    if not 0 <= unanswerable_share < 1:
        raise ValueError("the unanswerable share must be at least 0 and below 1")
    questions = load_questions(dataset)
    files = sorted(p for p in (dataset / "documents").iterdir() if p.is_file())
    held = set(hold_out([p.name for p in files], unanswerable_share, seed))
    inside = [q for q in questions if q.doc not in held]
    outside = [q for q in questions if q.doc in held]
    if limit is None:
        answerable, unanswerable = inside, outside
    else:
        wanted = round(limit * unanswerable_share) if held else 0
        if held and limit >= 2:
            wanted = max(1, wanted)
        wanted = min(wanted, len(outside))
        answerable, unanswerable = spread(inside, limit - wanted), spread(outside, wanted)
    return DocqaPlan(dataset, [p for p in files if p.name not in held], sorted(held),
                     answerable, unanswerable)


@dataclass
class QuestionOutcome:
    """One question's record: retrieval (answerable only) and, with answers, the scores."""

    id: str
    question: str
    gold: list[str]
    doc: str
    answerable: bool
    hit: bool | None = None
    hit_rank: int | None = None
    answer: str | None = None
    raw: str | None = None
    covered: bool | None = None
    score: AnswerScore | None = None

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items() if k != "score"}
        if self.score is not None:
            data.update(vars(self.score))
        return data


@dataclass
class DocqaResult:
    questions: int
    answerable: int
    unanswerable: int
    documents: int
    held_out: list[str]
    chunks: int
    hit_at_k: float
    answered: int
    quality: dict[str, float | int | None]
    declined_unanswerable: float | None
    runtime: dict[str, float | None]
    retrieval_s: float
    answer_s: float
    ingest_s: float
    config: dict[str, Any] = field(default_factory=dict)
    outcomes: list[QuestionOutcome] = field(default_factory=list)

    def to_json(self, details: bool = False) -> dict[str, Any]:
        def r(value: float | int | None) -> float | int | None:
            return round(value, 4) if isinstance(value, float) else value
        quality = {("declined_answerable" if k == "declined" else k): r(v)
                   for k, v in self.quality.items()}
        data: dict[str, Any] = {
            "questions": self.questions, "answerable": self.answerable,
            "unanswerable": self.unanswerable, "documents": self.documents,
            "held_out": self.held_out, "chunks": self.chunks,
            f"passage_hit@{HIT_K}": r(self.hit_at_k), "answered": self.answered,
            **quality, "declined_unanswerable": r(self.declined_unanswerable),
            **{k: r(v) for k, v in self.runtime.items()},
            "retrieval_s": round(self.retrieval_s, 2), "answer_s": round(self.answer_s, 2),
            "ingest_s": round(self.ingest_s, 2), "config": self.config,
        }
        if details:
            data["outcomes"] = [outcome.to_json() for outcome in self.outcomes]
        return data


def evaluate_docqa(workspace: Workspace, plan: DocqaPlan, answers: bool = True,
                   progress: Callable[[str], None] | None = None,
                   ingest_progress: Callable[[IngestProgress], None] | None = None,
                   ) -> DocqaResult:
    """Ingest the plan's articles, then score retrieval and (with `answers`) the answers."""
    library = workspace.library
    started = time.perf_counter()
    report = library.add(plan.ingested, ingest_progress)
    ingest_s = time.perf_counter() - started
    if report.failed:
        raise InvalidInputError(f"{len(report.failed)} document(s) failed: {report.failed[0]}")
    mode = workspace.settings.answering.search_mode
    outcomes = [QuestionOutcome(q.id, q.question, list(q.answers), q.doc, True)
                for q in plan.answerable]
    outcomes += [QuestionOutcome(q.id, q.question, list(q.answers), q.doc, False)
                 for q in plan.unanswerable]
    started = time.perf_counter()
    for question, outcome in zip(plan.answerable, outcomes, strict=False):
        passages = library.search(question.question, HIT_K, mode)
        outcome.hit_rank = next((n for n, p in enumerate(passages, start=1)
                                 if contains_paragraph(p.text, question.context)), None)
        outcome.hit = outcome.hit_rank is not None
    retrieval_s = time.perf_counter() - started
    answer_s = 0.0
    if answers:
        assistant = workspace.assistant()
        started = time.perf_counter()
        for done, outcome in enumerate(outcomes, 1):
            asked = ask(assistant, outcome.question)
            given = {c.number for c in asked.answer.citations}
            outcome.answer, outcome.raw = asked.answer.text, asked.raw
            outcome.covered = asked.answer.covered
            outcome.score = score(asked, outcome.gold, outcome.doc, given)
            if progress is not None:
                progress(_progress_line(done, len(outcomes), outcome, outcome.score))
        answer_s = time.perf_counter() - started
    scored = [o.score for o in outcomes if o.score is not None]
    answerable = [o.score for o in outcomes if o.score is not None and o.answerable]
    unanswerable = [o.score for o in outcomes if o.score is not None and not o.answerable]
    hits = [float(bool(o.hit)) for o in outcomes if o.answerable]

    settings = workspace.settings
    config: dict[str, Any] = {
        "dataset": str(plan.dataset), "search_mode": mode.value,
        "embedder": str(library.embedder.model_dir),
        "chunking": {"max_tokens": library.chunking.max_tokens,
                     "overlap_tokens": library.chunking.overlap_tokens},
        "sample": (f"{len(plan.answerable)} answerable and {len(plan.unanswerable)} "
                   "unanswerable questions, each group evenly spaced over the file"),
    }
    if answers:
        config.update({"model": workspace.model.file.path.name,
                       "passages_in_prompt": settings.passages,
                       "min_similarity": settings.min_similarity,
                       "context_tokens": settings.context_tokens,
                       "max_tokens": workspace.assistant().settings.generation.max_tokens})
    return DocqaResult(
        questions=len(outcomes), answerable=len(plan.answerable),
        unanswerable=len(plan.unanswerable),
        documents=sum(1 for d in library.documents() if d.status == "indexed"),
        held_out=plan.held_out,
        chunks=library.store.chunk_count(),
        hit_at_k=mean(hits) or 0.0,
        answered=len(scored),
        quality=summarise(answerable) if answers else {},
        declined_unanswerable=mean([float(s.declined) for s in unanswerable]),
        runtime=runtime(scored) if answers else {},
        retrieval_s=retrieval_s, answer_s=answer_s, ingest_s=ingest_s, config=config,
        outcomes=outcomes,
    )


def _progress_line(done: int, total: int, outcome: QuestionOutcome, scored: AnswerScore) -> str:
    if outcome.answerable:
        verdict = (f"{'declined' if scored.declined else 'answered'}, F1 {scored.f1:.2f}, "
                   f"citation {'ok' if scored.citation_correct else 'WRONG'}")
    else:
        verdict = f"unanswerable, {'declined' if scored.declined else 'NOT declined'}"
    return f"[{done}/{total}] {verdict}: {outcome.question}"
