"""Build the prompt: numbered sources, the question and recent turns, inside the context window.

Earlier turns are replayed exactly as they were sent (sources included) so the new prompt
starts with the same tokens as the last one and llama.cpp reuses its KV cache; when the
window is full, the oldest turns go first. Sources are numbered across the conversation,
and a source whose text an earlier turn still in the window carries is referred to by its
number instead of being sent again: a follow-up costs the model its new text only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from documents.retrieval import Passage
from inference.engine import ChatMessage

SYSTEM_PROMPT = (
    "You are Enclave. Answer the question using only the numbered sources. Begin with the "
    "answer in a few words, then one sentence of support citing its source like [1]. If no "
    "source answers it, say: The documents do not cover this."
)

#: The last words the model reads: small models follow the last instruction best. Kept
#: short: with the decline instruction repeated here, the 0.5B model declined answerable
#: questions (5 of 12 in a trial against 0 of 12 without it).
ANSWER_REMINDER = "Answer from the sources, beginning with the answer in a few words."

_QUESTION_LABEL = "\n\nQuestion: "


@dataclass(frozen=True)
class Turn:
    """A finished exchange: the user message exactly as sent, and the model's answer.

    `sources` holds (number, chunk id) of each source whose text `sent` carries.
    """

    sent: str
    answer: str
    sources: tuple[tuple[int, int], ...] = ()

    @property
    def question(self) -> str:
        """The user's question, read back from the message as sent (`format_sources`)."""
        start = self.sent.rfind(_QUESTION_LABEL)
        if start < 0:
            return self.sent
        return self.sent[start + len(_QUESTION_LABEL):].split("\n", 1)[0]

    @classmethod
    def from_record(cls, sent: str, answer: str, details: Mapping[str, object]) -> Turn:
        """The turn of a stored answer (`Answer.to_json` is its `details`)."""
        citations = details.get("citations")
        sources = tuple(
            (int(c["number"]), int(c["chunk_id"]))
            for c in (citations if isinstance(citations, list) else [])
            if isinstance(c, dict) and "chunk_id" in c and not c.get("from_earlier_turn"))
        return cls(sent, answer, tuple(sorted(sources)))


@dataclass(frozen=True)
class Source:
    """A passage with its number in the conversation; `repeated` when an earlier turn in
    the prompt already carries its text."""

    number: int
    passage: Passage
    repeated: bool = False


@dataclass(frozen=True)
class BuiltPrompt:
    messages: list[ChatMessage]
    sent: str
    sources: list[Source]
    history_turns: int


def format_sources(sources: Sequence[Source], question: str) -> str:
    new = [s for s in sources if not s.repeated]
    blocks = [f"[{s.number}] ({s.passage.location})\n{s.passage.text}" for s in new]
    parts = ["Sources:\n\n" + "\n\n".join(blocks)] if blocks else []
    repeated = ", ".join(f"[{s.number}]" for s in sources if s.repeated)
    if repeated:
        parts.append(f"{'Also relevant' if blocks else 'Sources'}: {repeated}, given above.")
    # The closing reminder matters: small models follow the last instruction they read.
    return "\n\n".join(parts) + f"{_QUESTION_LABEL}{question}\n" + ANSWER_REMINDER


def build_prompt(question: str, passages: Sequence[Passage], history: Sequence[Turn],
                 budget_tokens: int, count_tokens: Callable[[str], int],
                 system_prompt: str = SYSTEM_PROMPT) -> BuiltPrompt:
    """Fit as many passages as possible, then as many recent turns as still fit.

    `budget_tokens` is the context window less the room kept for the answer. Passages come
    first because an answer without sources is worthless; history is a bonus. Room is
    kept as if every passage were sent anew; those an included turn already carries are
    then referred to by number.
    """
    earlier = {chunk_id: number for turn in history for number, chunk_id in turn.sources}
    next_number = max(earlier.values(), default=0) + 1
    numbered: list[Source] = []
    for passage in passages:
        number = earlier.get(passage.chunk_id)
        if number is None:
            number, next_number = next_number, next_number + 1
        numbered.append(Source(number, passage))
    fixed = count_tokens(system_prompt) + count_tokens(f"Question: {question}") + 32
    kept: list[Source] = []
    for source in numbered:
        if fixed + count_tokens(format_sources([*kept, source], question)) > budget_tokens:
            break
        kept.append(source)
    used = count_tokens(system_prompt) + count_tokens(
        format_sources(kept, question) if kept else question) + 16
    included: list[Turn] = []
    for turn in reversed(history):
        cost = count_tokens(turn.sent) + count_tokens(turn.answer) + 16
        if used + cost > budget_tokens:
            break
        included.insert(0, turn)
        used += cost
    in_window = {chunk_id for turn in included for _, chunk_id in turn.sources}
    sources = [Source(s.number, s.passage, s.passage.chunk_id in in_window) for s in kept]
    sent = format_sources(sources, question) if sources else question
    messages = [ChatMessage("system", system_prompt)]
    for turn in included:
        messages += [ChatMessage("user", turn.sent), ChatMessage("assistant", turn.answer)]
    messages.append(ChatMessage("user", sent))
    return BuiltPrompt(messages, sent, sources, len(included))
