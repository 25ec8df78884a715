"""Follow-up questions built from the docqa set: does the conversation carry the subject?

A follow-up pair is two questions on the same paragraph: the first asked as it is, the
second made dependent on it by replacing the article's subject ("Super Bowl 50", "Warsaw")
with a pronoun, as a user would after the first answer ("How old was Manning when he played
it?"). The rewrite is rule-based and deterministic, and a pair is kept only when the subject
is really gone from the second question and the pronoun reads as one: the subject stands
alone there (not inside a longer name such as "Polonia Warsaw" or "Rhine Gorge").

Both questions are asked in one conversation through `Assistant.answer(question, history)`,
as the front ends do; the score is whether retrieval for the dependent question finds the
gold article, and how good its answer is.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from documents.library import IngestProgress
from documents.retrieval import Passage
from inference.answer import Assistant
from inference.evaluation.asking import AnswerScore, ask, mean, runtime, score, summarise
from inference.evaluation.docqa import DocQuestion, contains_paragraph, load_questions, spread
from inference.workspace import Workspace


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PREPOSITIONS = _words("""
    about across after against along among around at before between by during for from in
    inside into near of on outside over through throughout to toward towards under with
    within without
""")
#: Words that may stand right before or after the subject for a pronoun to read well.
_FUNCTION_WORDS = _PREPOSITIONS | _words("""
    and are as be became become been began begin being but can could did do does had has
    have how is made make may might must or should since than that was were what when where
    whether which while who whom whose why will would
""")
#: What may follow the subject directly: "Sky+ HD" is another name, not the subject.
_SEPARATORS = frozenset(["", " ", "?", ".", ",", ";", ":", "!", '"'])


def subject_of(document: str) -> str:
    """The article's subject from its file name: "Fresno,_California.md" -> "Fresno"."""
    name = Path(document).stem.replace("_", " ")
    name = re.sub(r"\s*\(.*\)$", "", name)
    return name.split(",")[0].strip()


def _plural(subject: str) -> bool:
    word = subject.split()[-1].lower()
    return word.endswith("s") and not word.endswith(("ss", "us", "is"))


def _fits(word: str | None) -> bool:
    """A neighbouring word that lets a pronoun stand in for the subject."""
    return word is None or word in _FUNCTION_WORDS or (word.islower() and word.endswith("ed"))


def make_dependent(question: str, subject: str) -> str | None:
    """`question` with `subject` (and a "the" before it) replaced by a pronoun, or None.

    None when the subject does not occur, or occurs where a pronoun would not read as one.
    """
    pattern = re.compile(r"\b(?:the\s+)?(" + re.escape(subject) + r")(?:('s|\u2019s)\b|\b)",
                         re.IGNORECASE)
    pieces: list[str] = []
    end = 0
    for match in pattern.finditer(question):
        before = re.findall(r"[\w'-]+|[^\w\s]", question[:match.start()])
        after = re.findall(r"[\w'-]+|[^\w\s]", question[match.end():])
        previous = before[-1] if before else None
        following = after[0] if after else None
        if previous is not None and not previous.isalpha():
            previous = None
        if following is not None and not following[0].isalnum():
            following = None
        glued = question[match.end():match.end() + 1]
        possessive = match.group(2) is not None  # Whatever follows is what it owns.
        if not (_fits(previous) and (possessive or _fits(following))) \
                or (not possessive and glued not in _SEPARATORS):
            return None
        if _plural(subject):
            pronoun = ("their" if possessive else
                       "them" if previous is not None and previous in _PREPOSITIONS else
                       "they")
        else:
            pronoun = "its" if possessive else "it"
        if not before:
            pronoun = pronoun.capitalize()
        pieces += [question[end:match.start()], pronoun]
        end = match.end()
    if not pieces:
        return None
    dependent = "".join(pieces) + question[end:]
    if re.search(re.escape(subject), dependent, re.IGNORECASE):
        return None
    return dependent


@dataclass(frozen=True)
class FollowUp:
    first: DocQuestion
    second: DocQuestion
    #: The second question made dependent on the first.
    dependent: str


def build_follow_ups(questions: Sequence[DocQuestion]) -> list[FollowUp]:
    """Every dependent second question, each after the first other question on its paragraph.

    The first question is the one on the same paragraph that names the subject, if any
    does (so the conversation establishes it), else the first in the file.
    """
    pairs = []
    for second in questions:
        subject = subject_of(second.doc)
        dependent = make_dependent(second.question, subject)
        if dependent is None:
            continue
        same = [q for q in questions if q.doc == second.doc and q.id != second.id
                and q.paragraph_index == second.paragraph_index]
        if not same:
            continue
        naming = [q for q in same if subject.lower() in q.question.lower()]
        pairs.append(FollowUp((naming or same)[0], second, dependent))
    return pairs


@dataclass
class FollowUpOutcome:
    id: str
    doc: str
    first_question: str
    question: str
    dependent: str
    gold: list[str]
    first_answer: str
    answer: str
    raw: str
    #: "article" and "paragraph" hits for "conversation", "original" and "alone".
    hits: dict[str, bool]
    score: AnswerScore

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items() if k not in ("score", "hits")}
        data.update(self.hits)
        data.update(vars(self.score))
        return data


@dataclass
class FollowUpResult:
    pairs: int
    documents: int
    k: int
    rewrite_follow_ups: bool
    #: The share of pairs with each hit of `FollowUpOutcome.hits`.
    hits: dict[str, float | None]
    quality: dict[str, float | int | None]
    runtime: dict[str, float | None]
    answer_s: float
    ingest_s: float
    config: dict[str, Any] = field(default_factory=dict)
    outcomes: list[FollowUpOutcome] = field(default_factory=list)

    def to_json(self, details: bool = False) -> dict[str, Any]:
        def r(value: float | int | None) -> float | int | None:
            return round(value, 4) if isinstance(value, float) else value
        data: dict[str, Any] = {
            "pairs": self.pairs, "documents": self.documents,
            "rewrite_follow_ups": self.rewrite_follow_ups,
            **{f"{name}@{self.k}": r(value) for name, value in self.hits.items()},
            **{k: r(v) for k, v in self.quality.items()},
            **{k: r(v) for k, v in self.runtime.items()},
            "answer_s": round(self.answer_s, 2), "ingest_s": round(self.ingest_s, 2),
            "config": self.config,
        }
        if details:
            data["outcomes"] = [outcome.to_json() for outcome in self.outcomes]
        return data


def evaluate_follow_ups(workspace: Workspace, dataset: Path, limit: int | None = None,
                        rewrite: bool = True,
                        progress: Callable[[str], None] | None = None,
                        ingest_progress: Callable[[IngestProgress], None] | None = None,
                        ) -> FollowUpResult:
    """Ingest every article, then ask each pair in one conversation and score the second.

    Hits: the gold article (and, stricter, the gold paragraph) is among the sources the
    assistant gave the model for the dependent question in the conversation. For
    reference, retrieval alone (no model) on the original question (the ceiling) and on the
    dependent one without the conversation (the floor), with the same number of passages.
    """
    pairs = spread(build_follow_ups(load_questions(dataset)), limit)
    library = workspace.library
    started = time.perf_counter()
    report = library.add([dataset / "documents"], ingest_progress)
    ingest_s = time.perf_counter() - started
    if report.failed:
        raise ValueError(f"{len(report.failed)} document(s) failed: {report.failed[0]}")
    settings = replace(workspace.settings.answering, rewrite_follow_ups=rewrite)
    assistant = Assistant(library, workspace.model, settings)
    k = settings.passages
    outcomes = []
    started = time.perf_counter()
    for done, pair in enumerate(pairs, 1):
        first = ask(assistant, pair.first.question)
        second = ask(assistant, pair.dependent, [first.answer.turn()])
        given = ({c.number for c in first.answer.citations}
                 | {c.number for c in second.answer.citations})
        gold = pair.second
        outcome = FollowUpOutcome(
            gold.id, gold.doc, pair.first.question, gold.question, pair.dependent,
            list(gold.answers), first.answer.text, second.answer.text, second.raw,
            hits={**_hits("conversation", second.sources, gold, 0.0),
                  **_hits("original", library.search(gold.question, k, settings.search_mode),
                          gold, settings.min_similarity),
                  **_hits("alone", library.search(pair.dependent, k, settings.search_mode),
                          gold, settings.min_similarity)},
            score=score(second, gold.answers, gold.doc, given))
        outcomes.append(outcome)
        if progress is not None:
            found = outcome.hits["conversation_paragraph_hit"]
            progress(f"[{done}/{len(pairs)}] paragraph {'hit' if found else 'MISS'}, F1 "
                     f"{outcome.score.f1:.2f}: {pair.dependent}")
    answer_s = time.perf_counter() - started
    scores = [o.score for o in outcomes]
    return FollowUpResult(
        pairs=len(outcomes),
        documents=sum(1 for d in library.documents() if d.status == "indexed"),
        k=k, rewrite_follow_ups=rewrite,
        hits={name: mean([float(o.hits[name]) for o in outcomes])
              for name in (outcomes[0].hits if outcomes else {})},
        quality=summarise(scores), runtime=runtime(scores),
        answer_s=answer_s, ingest_s=ingest_s,
        config={"dataset": str(dataset), "search_mode": settings.search_mode.value,
                "model": workspace.model.file.path.name, "passages_in_prompt": k,
                "min_similarity": settings.min_similarity,
                "sample": "all pairs" if limit is None else f"{len(pairs)} evenly spaced"},
        outcomes=outcomes,
    )


def _hits(name: str, passages: Sequence[Passage], gold: DocQuestion,
          min_similarity: float) -> dict[str, bool]:
    """Whether the gold article and paragraph are among the passages the assistant would
    keep (its similarity cut; the conversation's sources are already cut)."""
    kept = [p for p in passages if p.similarity >= min_similarity]
    return {f"{name}_article_hit": any(p.document_name == gold.doc for p in kept),
            f"{name}_paragraph_hit": any(contains_paragraph(p.text, gold.context)
                                         for p in kept)}
