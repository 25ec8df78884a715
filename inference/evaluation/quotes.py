"""How well the quote check tells right answers from wrong ones, on answers already written.

Generating answers takes minutes per dozen questions on a CPU, so this reads the records an
`eval docqa --output FILE` run wrote, searches the library again for each question (the
same public `Library.search` and settings the assistant used, so the same passages come
back; each is matched to a source the record lists), and runs the check on each
recorded answer with the library's embedder.

An answer's sentences count as *correct* when the answer contains a gold answer to an
answerable question, as *wrong* when it does not and did not decline; answers to questions
the library cannot answer that were not declined are counted apart. A sentence is *flagged*
when the check finds no supporting span; the flag is scored as a detector of wrong answers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from documents.errors import InvalidInputError
from documents.retrieval import Passage
from inference.prompt import Source
from inference.quote_check import SentenceCheck, check_answer, is_supported
from inference.workspace import Workspace

#: The thresholds the table reports.
THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
GROUPS = ("correct", "wrong", "unanswerable")


@dataclass
class CheckedAnswer:
    id: str
    question: str
    group: str
    answer: str
    checks: tuple[SentenceCheck, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "group": self.group,
                "answer": self.answer, "check": [c.to_json() for c in self.checks]}


@dataclass
class QuotesResult:
    records: int
    checked: dict[str, int]
    sources_mismatched: int
    sentences: dict[str, int]
    #: Mean milliseconds of one answer's check (its embedding and matching).
    check_ms: float
    rows: list[dict[str, Any]]
    config: dict[str, Any] = field(default_factory=dict)
    answers: list[CheckedAnswer] = field(default_factory=list)

    def to_json(self, details: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"records": self.records, "checked": self.checked,
                                "sources_mismatched": self.sources_mismatched,
                                "sentences": self.sentences,
                                "check_ms": round(self.check_ms, 1),
                                "thresholds": self.rows, "config": self.config}
        if details:
            data["answers"] = [answer.to_json() for answer in self.answers]
        return data


def load_records(path: Path) -> list[dict[str, Any]]:
    """The records of an `eval docqa --output` file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines if line.strip()]
    except (OSError, json.JSONDecodeError) as error:
        raise InvalidInputError(f"{path}: not a file of docqa answer records ({error})") from error
    needed = {"question", "answer", "answerable", "contains", "declined", "sources"}
    for number, record in enumerate(records, 1):
        if not isinstance(record, dict) or not needed <= record.keys():
            raise InvalidInputError(f"{path}:{number}: a record needs {', '.join(sorted(needed))}")
    return records


def group_of(record: dict[str, Any]) -> str | None:
    """correct, wrong or unanswerable (answered anyway); None for a declined answer."""
    if record["declined"] or not str(record["answer"]).strip():
        return None
    if not record["answerable"]:
        return "unanswerable"
    return "correct" if record["contains"] else "wrong"


def recorded_sources(passages: Sequence[Passage],
                     recorded: Sequence[Sequence[Any]]) -> list[Source] | None:
    """The record's sources ([number, file, cited, similarity]) found again among `passages`
    (same file, same similarity to 3 decimals), under their numbers; None if one is not.

    Matching on the record rather than re-applying today's similarity floor keeps this
    right for answers written under another `min_similarity`.
    """
    left = list(passages)
    sources = []
    for number, file, _cited, similarity in recorded:
        match = next((p for p in left if p.document_name == file
                      and abs(p.similarity - float(similarity)) <= 0.002), None)
        if match is None:
            return None
        left.remove(match)
        sources.append(Source(int(number), match))
    return sorted(sources, key=lambda source: source.number)


def evaluate_quotes(workspace: Workspace, records: Sequence[dict[str, Any]],
                    thresholds: Sequence[float] = THRESHOLDS,
                    progress: Callable[[str], None] | None = None) -> QuotesResult:
    """Check every recorded, undeclined answer against the passages it was given."""
    library = workspace.library
    settings = workspace.settings.answering
    answers: list[CheckedAnswer] = []
    mismatched = 0
    check_s = 0.0
    for done, record in enumerate(records, 1):
        group = group_of(record)
        if group is None:
            continue
        found = library.search(record["question"], settings.passages, settings.search_mode)
        sources = recorded_sources(found, record["sources"])
        if sources is None:
            mismatched += 1
            continue
        started = time.perf_counter()
        checks = check_answer(library.embedder, record["answer"], sources,
                              settings.quote_similarity, record["question"])
        check_s += time.perf_counter() - started
        answers.append(CheckedAnswer(str(record.get("id", done)), record["question"], group,
                                     record["answer"], checks))
        if progress is not None and done % 20 == 0:
            progress(f"[{done}/{len(records)}] checked")
    rows = [_row(answers, threshold) for threshold in thresholds]
    checked = {group: sum(1 for a in answers if a.group == group) for group in GROUPS}
    config = {"embedder": str(library.embedder.model_dir),
              "passages": settings.passages, "min_similarity": settings.min_similarity,
              "search_mode": settings.search_mode.value,
              "quote_similarity": settings.quote_similarity}
    sentences = {group: sum(len(a.checks) for a in answers if a.group == group)
                 for group in GROUPS}
    return QuotesResult(len(records), checked, mismatched, sentences,
                        1000 * check_s / max(1, len(answers)), rows, config, answers)


def _row(answers: Sequence[CheckedAnswer], threshold: float) -> dict[str, Any]:
    """Flag rates per group, by sentence and by answer (any sentence flagged), and the
    precision and recall of the flag as a detector of wrong answers."""
    row: dict[str, Any] = {"threshold": threshold}
    counts: dict[str, dict[str, tuple[int, int]]] = {}
    for level in ("sentence", "answer"):
        counts[level] = {}
        for group in GROUPS:
            flags = [_flags(a.checks, threshold) for a in answers if a.group == group]
            if level == "sentence":
                items = [flag for answer in flags for flag in answer]
            else:
                items = [any(answer) for answer in flags if answer]
            counts[level][group] = (sum(items), len(items))
            row[f"{level}_flagged_{group}"] = _rate(sum(items), len(items))
        flagged_wrong, wrong = counts[level]["wrong"]
        flagged_right, _ = counts[level]["correct"]
        row[f"{level}_precision"] = _rate(flagged_wrong, flagged_wrong + flagged_right)
        row[f"{level}_recall"] = _rate(flagged_wrong, wrong)
    return row


def _flags(checks: Sequence[SentenceCheck], threshold: float) -> list[bool]:
    return [not is_supported(c.score, c.missing, threshold, c.anchored) for c in checks]


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None
