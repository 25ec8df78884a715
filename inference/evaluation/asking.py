"""Ask the assistant one question as a front end does, and score the answer.

Only the public API is used: `Assistant.answer` is consumed event by event, exactly as the
window and `main.py ask` consume it. The streamed tokens are kept as the *raw* text: what
the model wrote, before any clean-up of the text a user reads, so marker validity measures
the model rather than the filter behind it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from documents.retrieval import Passage
from inference.answer import Answer, Assistant, final_answer
from inference.answer_text import (
    lead,
    marker_numbers,
    markers_valid,
)
from inference.evaluation.squad import contains_answer, exact_match, f1_score
from inference.prompt import Turn


@dataclass(frozen=True)
class Asked:
    """One finished answer with the sources retrieval gave and the model's raw text."""

    answer: Answer
    raw: str
    sources: list[Passage]


def ask(assistant: Assistant, question: str, history: Sequence[Turn] = ()) -> Asked:
    """Run `Assistant.answer` to the end, keeping its sources and what the model wrote."""
    finished, sources = final_answer(assistant.answer(question, history))
    return Asked(finished, finished.model_text, list(sources))


@dataclass
class AnswerScore:
    """The metrics of one answer; see docs/answer-quality.md for each definition."""

    lead: str
    exact_match: float
    f1: float
    contains: float
    first_citation: str | None
    citation_correct: bool
    markers: list[int]
    markers_valid: bool | None
    declined: bool
    truncated: bool
    ttft_ms: float
    tokens_per_s: float
    tokens: int
    total_ms: float
    sources: list[list[object]] = field(default_factory=list)


def score(asked: Asked, gold: Sequence[str], doc: str, given: Collection[int]) -> AnswerScore:
    """Score an answer against its gold spans and gold document.

    `given`: the numbers of every source the model was shown in the conversation.
    """
    answer = asked.answer
    first = answer.citations[0].passage.document_name if answer.citations else None
    return AnswerScore(
        lead=lead(answer.text),
        exact_match=exact_match(lead(answer.text), gold),
        f1=f1_score(lead(answer.text), gold),
        contains=contains_answer(answer.text, gold),
        first_citation=first,
        citation_correct=first == doc,
        markers=marker_numbers(asked.raw),
        markers_valid=markers_valid(asked.raw, given),
        declined=not answer.covered,
        truncated=answer.truncated,
        ttft_ms=answer.timings.ttft_ms,
        tokens_per_s=answer.timings.tokens_per_s,
        tokens=answer.timings.tokens,
        total_ms=answer.timings.total_ms,
        sources=[[c.number, c.passage.document_name, c.cited, round(c.passage.similarity, 4)]
                 for c in answer.citations],
    )


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarise(scores: Sequence[AnswerScore]) -> dict[str, float | int | None]:
    """Answer quality: means over answers to answerable questions (a decline scores 0)."""
    with_markers = [s for s in scores if s.markers_valid is not None]
    return {
        "exact_match": mean([s.exact_match for s in scores]),
        "f1": mean([s.f1 for s in scores]),
        "contains": mean([s.contains for s in scores]),
        "citation_accuracy": mean([float(s.citation_correct) for s in scores]),
        "cited_rate": mean([float(bool(s.markers)) for s in scores]),
        "markers_valid": mean([float(bool(s.markers_valid)) for s in with_markers]),
        "answers_with_markers": len(with_markers),
        "declined": mean([float(s.declined) for s in scores]),
    }


def runtime(scores: Sequence[AnswerScore]) -> dict[str, float | None]:
    """Truncation over every answer; first-token time and speed over those the model wrote."""
    written = [s for s in scores if s.tokens > 0]
    return {
        "truncated": mean([float(s.truncated) for s in scores]),
        "ttft_ms": mean([s.ttft_ms for s in written]),
        "tokens_per_s": mean([s.tokens_per_s for s in written]),
    }
