"""What the conversation view shows, built alike from a live answer and from a stored message.

A finished `Answer` carries full passages; a message read back from the conversation store
carries what `Answer.to_json` saved (a 300-character snippet per source). Both become the
same `ChatEntry`, so the view has one way to draw an exchange. No Qt here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from documents.retrieval import place
from inference.answer import Answer
from inference.conversations import Message

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
    #: Where in the file when a page number would not say it ("slide 3"); see `Passage`.
    label: str | None = None

    @property
    def location(self) -> str:
        where = place(self.page, self.label)
        return self.file if where is None else f"{self.file}, {where}"


@dataclass(frozen=True)
class TimingInfo:
    tokens: int
    tokens_per_s: float
    ttft_ms: float
    total_ms: float


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


def entry_from_answer(answer: Answer) -> ChatEntry:
    t = answer.timings
    return ChatEntry(
        role="assistant",
        text=answer.text,
        citations=tuple(
            CitationInfo(c.number, c.passage.document_name, c.passage.document_path,
                         c.passage.page, c.passage.similarity, c.passage.text, c.cited, True,
                         c.passage.label)
            for c in answer.citations),
        timings=TimingInfo(t.tokens, t.tokens_per_s, t.ttft_ms, t.total_ms),
        covered=answer.covered,
        stopped=answer.stopped,
        finish_reason=answer.finish_reason,
        model=dict(answer.model),
    )


def entry_from_message(message: Message) -> ChatEntry:
    """Rebuild an entry from the store; details written by older versions may lack keys."""
    if message.role != "assistant":
        return ChatEntry(role=message.role, text=message.content)
    details = message.details
    citations = []
    for raw in _dicts(details.get("citations")):
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
