"""Turn a follow-up ("who provided the sign language translation?") into a question that
stands alone, so retrieval searches for what the user means, not for the words they typed.

The model rewrites it as one more turn of the conversation it already has in its KV cache:
the request and the rewrite cost a few dozen tokens, and the answer's prompt, which starts
with the same system prompt and earlier turns, still reuses the cache. Asked plainly, a
0.5B model answers the question instead of rewriting it; with its reply begun for it
(`REWRITE_START`) it completes the rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from inference.engine import ChatMessage, ChatModel, GenerationSettings
from inference.prompt import SYSTEM_PROMPT, Turn

#: Earlier turns shown to the rewrite: the last few are what a follow-up refers to.
TURNS = 3
REWRITE_REQUEST = (
    "My next question is: \"{question}\"\n"
    "Do not answer it yet. First rewrite it as a complete question that names its "
    "subject, so it can be understood without our conversation."
)
#: The start of the model's reply, written for it; it ends the rewrite with the quote.
REWRITE_START = 'Rewritten question: "'
_REWRITE = GenerationSettings(max_tokens=48, temperature=0.0, repeat_penalty=1.0)


def standalone_question(model: ChatModel, question: str, history: Sequence[Turn]) -> str:
    """The search query for `question` asked after `history`: the model's rewrite, or the
    question itself when the rewrite is unusable (empty, an answer instead of a question)."""
    messages = [ChatMessage("system", SYSTEM_PROMPT)]
    for turn in history[-TURNS:]:
        messages += [ChatMessage("user", turn.sent), ChatMessage("assistant", turn.answer)]
    messages.append(ChatMessage("user", REWRITE_REQUEST.format(question=question)))
    prompt, stops = model.format(messages)
    rewritten = "".join(model.stream(prompt + REWRITE_START, [*stops, "\n", '"'], _REWRITE))
    return usable_rewrite(rewritten, question)


def usable_rewrite(rewritten: str, question: str) -> str:
    """`rewritten`, cleaned of quotes and labels, if it still reads as the user's question;
    otherwise `question` (a model that answers instead of rewriting must not steer search)."""
    text = re.sub(r"^\s*(?:rewritten question|question)\s*:\s*", "", rewritten.strip(),
                  flags=re.IGNORECASE).strip().strip("\"'“”").strip()
    if not text or len(text) > 4 * len(question) + 80:
        return question
    asks = text.endswith("?") or text.split(maxsplit=1)[0].lower() in _QUESTION_WORDS
    return text if asks else question


_QUESTION_WORDS = frozenset({
    "who", "whom", "whose", "what", "which", "when", "where", "why", "how", "is", "are",
    "was", "were", "do", "does", "did", "can", "could", "should", "would", "will", "has",
    "have", "had", "list", "name", "give", "tell", "describe", "explain", "summarise",
    "summarize",
})
