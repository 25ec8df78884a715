"""Build the prompt: numbered sources, the question and recent turns, inside the context window.

Earlier turns are replayed exactly as they were sent (sources included) so the new prompt
starts with the same tokens as the last one and llama.cpp reuses its KV cache; when the
window is full, the oldest turns go first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from documents.retrieval import Passage
from inference.engine import ChatMessage

SYSTEM_PROMPT = (
    "You are Enclave, an assistant that answers questions about the user's documents. "
    "Answer only from the numbered sources. Cite each fact with its source number in "
    "brackets, like [1]. If the sources do not contain the answer, say that the documents "
    "do not cover it. Be brief."
)

ANSWER_REMINDER = "Answer briefly from the sources and cite the source number like [1]."


@dataclass(frozen=True)
class Turn:
    """A finished exchange: the user message exactly as sent, and the model's answer."""

    sent: str
    answer: str


@dataclass(frozen=True)
class BuiltPrompt:
    messages: list[ChatMessage]
    sent: str
    passages: list[Passage]
    history_turns: int


def format_sources(passages: Sequence[Passage], question: str) -> str:
    blocks = [f"[{number}] ({passage.location})\n{passage.text}"
              for number, passage in enumerate(passages, start=1)]
    # The closing reminder matters: small models follow the last instruction they read.
    return ("Sources:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}\n"
            + ANSWER_REMINDER)


def build_prompt(question: str, passages: Sequence[Passage], history: Sequence[Turn],
                 budget_tokens: int, count_tokens: Callable[[str], int],
                 system_prompt: str = SYSTEM_PROMPT) -> BuiltPrompt:
    """Fit as many passages as possible, then as many recent turns as still fit.

    `budget_tokens` is the context window less the room kept for the answer. Passages come
    first because an answer without sources is worthless; history is a bonus.
    """
    fixed = count_tokens(system_prompt) + count_tokens(f"Question: {question}") + 32
    kept: list[Passage] = []
    for passage in passages:
        candidate = format_sources([*kept, passage], question)
        if fixed + count_tokens(candidate) > budget_tokens:
            break
        kept.append(passage)
    sent = format_sources(kept, question) if kept else question
    used = count_tokens(system_prompt) + count_tokens(sent) + 16
    included: list[Turn] = []
    for turn in reversed(history):
        cost = count_tokens(turn.sent) + count_tokens(turn.answer) + 16
        if used + cost > budget_tokens:
            break
        included.insert(0, turn)
        used += cost
    messages = [ChatMessage("system", system_prompt)]
    for turn in included:
        messages += [ChatMessage("user", turn.sent), ChatMessage("assistant", turn.answer)]
    messages.append(ChatMessage("user", sent))
    return BuiltPrompt(messages, sent, kept, len(included))
