"""List questions over the docqa articles: "Which articles mention X?", gold by exact match.

Each topic below is a name or word; its gold answer is the set of articles whose text holds
it exactly (case-sensitive, as a whole word). Topics found in 2 to 10 of the 48 articles are
kept: one article is no list, and a topic everywhere tests nothing. The topics were picked
by hand from a longer list of places, people, subjects and institutions, before any run.

A question is asked two ways through the public API: across the whole collection
(`CollectionAssistant.answer`, the files it lists are the files of its parts), and as a
normal answer (`Assistant.answer`, the files it lists are those of its sources: at best
its top-k passages' files, whether the model cited them or not).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from documents.errors import InvalidInputError
from inference.answer import Assistant, final_answer
from inference.collection_answer import CollectionAssistant, Finished
from inference.evaluation.asking import mean

TOPICS = (
    "World War I", "London", "China", "Germany", "Atlantic", "television", "Bible",
    "electricity", "India", "Africa", "Japan", "Russia", "Reformation", "Greek", "coal",
    "Prime Minister", "Parliament", "Emperor", "Oxford", "Muslim", "French", "Dutch",
    "nuclear", "satellite",
)
MIN_FILES, MAX_FILES = 2, 10


@dataclass(frozen=True)
class ListQuestion:
    topic: str
    question: str
    gold: frozenset[str]


def list_questions(documents: Path, topics: Sequence[str] = TOPICS) -> list[ListQuestion]:
    """The questions whose topic is in 2 to 10 of the articles, with their gold files."""
    files = sorted(documents.glob("*.md"))
    if not files:
        raise InvalidInputError(f"{documents}: no .md articles (expected docqa's documents/)")
    texts = {path.name: path.read_text(encoding="utf-8") for path in files}
    questions = []
    for topic in topics:
        pattern = re.compile(rf"\b{re.escape(topic)}\b")
        gold = frozenset(name for name, text in texts.items() if pattern.search(text))
        if MIN_FILES <= len(gold) <= MAX_FILES:
            questions.append(ListQuestion(topic, f"Which articles mention {topic}?", gold))
    return questions


@dataclass(frozen=True)
class ListOutcome:
    question: ListQuestion
    mode: str
    listed: frozenset[str]
    seconds: float
    #: Whole-collection mode: files the model was asked about, and parts that quote the file.
    model_calls: int = 0
    quoted: int = 0

    @property
    def precision(self) -> float:
        return len(self.listed & self.question.gold) / len(self.listed) if self.listed else 0.0

    @property
    def recall(self) -> float:
        return len(self.listed & self.question.gold) / len(self.question.gold)

    def to_json(self) -> dict[str, Any]:
        return {"topic": self.question.topic, "question": self.question.question,
                "mode": self.mode, "gold": sorted(self.question.gold),
                "listed": sorted(self.listed), "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "seconds": round(self.seconds, 2),
                "model_calls": self.model_calls, "quoted": self.quoted}


def ask_collection(assistant: CollectionAssistant, question: ListQuestion) -> ListOutcome:
    started = time.perf_counter()
    for event in assistant.answer(question.question):
        if isinstance(event, Finished):
            parts = event.answer.parts
            return ListOutcome(question, "collection",
                               frozenset(part.path.name for part in parts),
                               time.perf_counter() - started,
                               model_calls=event.answer.model_calls,
                               quoted=sum(1 for part in parts
                                          if part.source in ("quote", "mention")))
    raise AssertionError("the collection answer ended without a Finished event")


def ask_normal(assistant: Assistant, question: ListQuestion) -> ListOutcome:
    started = time.perf_counter()
    answer, _ = final_answer(assistant.answer(question.question))
    listed = frozenset(c.passage.document_name for c in answer.citations)
    return ListOutcome(question, "normal", listed, time.perf_counter() - started)


@dataclass
class ListsResult:
    outcomes: list[ListOutcome] = field(default_factory=list)
    #: Re-asks of whole-collection questions answered from the cache: (first s, again s).
    reasks: list[tuple[str, float, float]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)

    def summary(self, mode: str) -> dict[str, float | int | None]:
        chosen = [o for o in self.outcomes if o.mode == mode]
        return {"questions": len(chosen),
                "precision": mean([o.precision for o in chosen]),
                "recall": mean([o.recall for o in chosen]),
                "seconds_per_question": mean([o.seconds for o in chosen]),
                "model_calls_per_question": mean([float(o.model_calls) for o in chosen])}

    def to_json(self) -> dict[str, Any]:
        return {"summary": {mode: self.summary(mode)
                            for mode in sorted({o.mode for o in self.outcomes})},
                "reasks": [{"question": q, "first_s": round(a, 2), "again_s": round(b, 2),
                            "speedup": round(a / b, 1) if b else None}
                           for q, a, b in self.reasks],
                "config": self.config,
                "outcomes": [o.to_json() for o in self.outcomes]}


def evaluate_lists(collection: CollectionAssistant, normal: Assistant | None,
                   questions: Sequence[ListQuestion], reask: int = 0,
                   progress: Callable[[str], None] | None = None) -> ListsResult:
    """Ask each question across the collection (and normally, given `normal`); then ask
    the first `reask` again, answered from the cache, to time it."""
    result = ListsResult()
    for number, question in enumerate(questions, start=1):
        outcome = ask_collection(collection, question)
        result.outcomes.append(outcome)
        line = (f"[{number}/{len(questions)}] {question.topic}: collection "
                f"P {outcome.precision:.2f} R {outcome.recall:.2f} in {outcome.seconds:.0f} s "
                f"({outcome.model_calls} model calls)")
        if normal is not None:
            plain = ask_normal(normal, question)
            result.outcomes.append(plain)
            line += f"; normal P {plain.precision:.2f} R {plain.recall:.2f}"
        if progress is not None:
            progress(line)
    for outcome in [o for o in result.outcomes if o.mode == "collection"][:reask]:
        again = ask_collection(collection, outcome.question)
        result.reasks.append((outcome.question.question, outcome.seconds, again.seconds))
        if progress is not None:
            progress(f"re-ask {outcome.question.topic}: {outcome.seconds:.1f} s, then "
                     f"{again.seconds:.1f} s from the cache")
    return result
