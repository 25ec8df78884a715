"""What the conversation view shows, built alike from a live answer and from a stored message.

A finished `Answer` carries full passages; a message read back from the conversation store
carries what `Answer.to_json` saved (a 300-character snippet per source). Both become the
same `ChatEntry`, so the view has one way to draw an exchange. No Qt here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from documents.retrieval import place
from inference.answer import Answer
from inference.collection_answer import CollectionAnswer
from inference.conversations import Message
from inference.quote_check import Closest, Quote, SentenceCheck, checks_from_json

#: The longest title a first question gives a conversation.
TITLE_LENGTH = 60


@dataclass(frozen=True)
class CitationInfo:
    """One source of an answer, as the sources list and the passage dialog need it.

    `complete` is False when `text` is only the snippet that was stored with the answer.
    """

    number: int
    file: str
    path: Path
    page: int | None
    similarity: float | None
    text: str
    cited: bool
    complete: bool
    #: The passage's span in its page's text at indexing time (None in older messages):
    #: the viewer finds the passage again with it.
    char_start: int | None = None
    char_end: int | None = None
    #: Where in the file when a page number would not say it ("slide 3"); see `Passage`.
    label: str | None = None

    @property
    def location(self) -> str:
        where = place(self.page, self.label)
        return self.file if where is None else f"{self.file}, {where}"


def quote_citation(citation: CitationInfo, quote: Quote) -> CitationInfo:
    """The citation narrowed to the words of its passage that support one sentence.

    The quote's offsets are in the stored (stripped) passage, so the narrowed span is a hint
    the viewer searches around, not an exact address.
    """
    start = end = None
    if citation.char_start is not None:
        start = citation.char_start + quote.start
        end = start + (quote.end - quote.start)
    return replace(citation, text=quote.text, char_start=start, char_end=end)


@dataclass(frozen=True)
class TimingInfo:
    tokens: int
    tokens_per_s: float
    ttft_ms: float
    total_ms: float


#: A whole-collection answer's coverage buckets, in the order they are listed.
COVERAGE_BUCKETS = (("answered_from", "Answered from"), ("nothing_relevant", "Nothing relevant"),
                    ("failed", "Could not be read"), ("not_reached", "Not reached (stopped)"))


@dataclass(frozen=True)
class CoverageInfo:
    """How much of the collection a whole-collection answer covers: the line shown under it,
    and the file names of each bucket (shown when the line is expanded)."""

    line: str
    buckets: tuple[tuple[str, tuple[str, ...]], ...]
    partial: bool = False


@dataclass(frozen=True)
class ChatEntry:
    """One bubble: a user question, or an assistant answer with its sources and timings."""

    role: str
    text: str
    citations: tuple[CitationInfo, ...] = ()
    timings: TimingInfo | None = None
    covered: bool = True
    stopped: bool = False
    #: `Answer.finish_reason`: "length" or "loop" gets a note under the answer.
    finish_reason: str = "done"
    error: str | None = None
    model: Mapping[str, str] = field(default_factory=dict)
    #: Each sentence of the answer with its supporting quote; () for answers stored before
    #: the check existed, which are shown unmarked.
    check: tuple[SentenceCheck, ...] = ()
    #: Only for answers across the whole collection.
    coverage: CoverageInfo | None = None
    #: A declined answer's source sentence most like the question (`Answer.closest`).
    closest: Closest | None = None


def entry_from_answer(answer: Answer) -> ChatEntry:
    t = answer.timings
    return ChatEntry(
        role="assistant",
        text=answer.text,
        citations=tuple(
            CitationInfo(c.number, c.passage.document_name, c.passage.document_path,
                         c.passage.page, c.passage.similarity, c.passage.text, c.cited, True,
                         c.passage.char_start, c.passage.char_end, c.passage.label)
            for c in answer.citations),
        timings=TimingInfo(t.tokens, t.tokens_per_s, t.ttft_ms, t.total_ms),
        covered=answer.covered,
        stopped=answer.stopped,
        finish_reason=answer.finish_reason,
        model=dict(answer.model),
        check=answer.check,
        closest=answer.closest,
    )


def entry_from_collection(answer: CollectionAnswer) -> ChatEntry:
    return ChatEntry(
        role="assistant",
        text=answer.text,
        citations=tuple(
            CitationInfo(c.number, c.passage.document_name, c.passage.document_path,
                         c.passage.page, c.passage.similarity, c.passage.text, c.cited, True)
            for c in answer.citations),
        model=dict(answer.model),
        coverage=_coverage(answer.to_json()),
    )


def _coverage(details: Mapping[str, object]) -> CoverageInfo | None:
    """The coverage of a whole-collection answer's details (`CollectionAnswer.to_json`)."""
    raw = details.get("coverage")
    if not isinstance(raw, dict):
        return None
    buckets = tuple(
        (label, tuple(Path(str(p)).name for p in raw.get(key, []) if isinstance(p, str)))
        for key, label in COVERAGE_BUCKETS)
    return CoverageInfo(str(details.get("coverage_line", "")), buckets,
                        bool(details.get("partial", False)))


def entry_from_message(message: Message) -> ChatEntry:
    """Rebuild an entry from the store; details written by older versions may lack keys."""
    if message.role != "assistant":
        return ChatEntry(role=message.role, text=message.content)
    details = message.details
    citations = []
    # A whole-collection answer keeps its citations with each file's part.
    cited = _dicts(details.get("citations")) or [
        raw for part in _dicts(details.get("files")) for raw in _dicts(part.get("citations"))]
    for raw in cited:
        snippet = str(raw.get("snippet", ""))
        full = raw.get("text")
        citations.append(CitationInfo(
            number=_int(raw.get("number")) or 0,
            file=str(raw.get("file", "")),
            path=Path(str(raw.get("path", ""))),
            page=_int(raw.get("page")),
            similarity=_float(raw.get("similarity")),
            text=str(full) if isinstance(full, str) else snippet,
            cited=bool(raw.get("cited", True)),
            complete=isinstance(full, str),
            char_start=_int(raw.get("char_start")),
            char_end=_int(raw.get("char_end")),
            label=str(raw["location"]) if isinstance(raw.get("location"), str) else None,
        ))
    timings = None
    raw_timings = details.get("timings")
    if isinstance(raw_timings, dict):
        timings = TimingInfo(_int(raw_timings.get("tokens")) or 0,
                             _float(raw_timings.get("tokens_per_s")) or 0.0,
                             _float(raw_timings.get("ttft_ms")) or 0.0,
                             _float(raw_timings.get("total_ms")) or 0.0)
    model = details.get("model")
    return ChatEntry(
        role="assistant",
        text=message.content,
        citations=tuple(citations),
        timings=timings,
        covered=bool(details.get("covered", True)),
        stopped=bool(details.get("stopped", False)),
        finish_reason=str(details.get("finish_reason", "done")),
        model={str(k): str(v) for k, v in model.items()} if isinstance(model, dict) else {},
        check=checks_from_json(details.get("check")),
        coverage=_coverage(details),
        closest=Closest.from_json(details.get("closest")),
    )


def title_for(question: str) -> str:
    """A conversation title from its first question: the first line, shortened."""
    line = " ".join(question.split())
    return line if len(line) <= TITLE_LENGTH else line[:TITLE_LENGTH - 1].rstrip() + "…"


def _dicts(value: object) -> list[dict[str, object]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
