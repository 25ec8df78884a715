"""The check a model passes before it is offered: its chat template holds a conversation.

The template comes from the GGUF file and is Jinja code written by whoever converted the
model; a broken one would otherwise fail in the middle of the user's first chat. The check
renders a two-turn conversation with a passage from the bundled sample documents and lets
the model answer a question about it, exactly as an answer in the window is built. The
bundled models' test (tests/test_answer_quality.py) runs this same check.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from documents.errors import EnclaveError
from documents.retrieval import Passage
from inference.engine import ChatModel, GenerationSettings
from inference.prompt import SYSTEM_PROMPT, Turn, build_prompt

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "resources" / "samples"
SAMPLE_FILE = "lumen-kettle-faq.md"
#: The sample question, the earlier turn of the conversation, and the words the passage
#: must hold (so a changed sample file cannot silently turn the check into nonsense).
CHECK_QUESTION = "How long does keep-warm last?"
EARLIER = Turn("Do I need the app?", "No. Every function is available from the buttons.")
_PASSAGE_HOLDS = "Keep-warm holds"
#: Tokens of a chat template that must never reach the user's screen.
_LEAKED = re.compile(r"<\|im_(start|end)\|>|<\|(eot_id|start_header_id|end_header_id)\|>"
                     r"|<start_of_turn>|<end_of_turn>")


class TemplateCheckError(EnclaveError, ValueError):
    """The model's chat template cannot hold a conversation: the model is refused."""


@dataclass(frozen=True)
class TemplateCheck:
    """A passed check: what was asked, what the model answered and how long it took."""

    question: str
    answer: str
    prompt_tokens: int
    seconds: float

    def to_json(self) -> dict[str, object]:
        return {"question": self.question, "answer": self.answer,
                "prompt_tokens": self.prompt_tokens, "seconds": round(self.seconds, 2)}


def sample_passage() -> Passage:
    """The sample FAQ's keep-warm answer, as retrieval would hand it to the model."""
    path = SAMPLES_DIR / SAMPLE_FILE
    text = path.read_text(encoding="utf-8")
    section = next(s for s in text.split("\n\n") if _PASSAGE_HOLDS in s)
    start = text.index(section)
    return Passage(0, path, path.name, None, start, start + len(section), section.strip(),
                   1.0, 1.0)


def check_chat_template(model: ChatModel, max_tokens: int = 40) -> TemplateCheck:
    """Render a two-turn conversation with the model's own template and answer from it.

    Raises TemplateCheckError naming the file and the cause when the template does not
    render, loses a turn, or lets its control tokens into the answer. A model without a
    template passes with Enclave's plain-turns fallback (`ChatModel.has_chat_template`).
    """
    import jinja2

    started = time.perf_counter()
    name = model.file.path.name
    passage = sample_passage()
    try:
        model.load()
        built = build_prompt(CHECK_QUESTION, [passage], [EARLIER], 1500, model.count_tokens)
        prompt, stops = model.format(built.messages)
    except (jinja2.TemplateError, TypeError) as error:
        raise TemplateCheckError(
            f"{name}: its chat template does not work ({error}), so Enclave cannot hold a "
            "conversation with this model. Use another build of the model.") from error
    if SYSTEM_PROMPT not in prompt or EARLIER.question not in prompt \
            or CHECK_QUESTION not in prompt \
            or prompt.index(EARLIER.question) > prompt.rindex(CHECK_QUESTION):
        raise TemplateCheckError(
            f"{name}: its chat template drops or reorders the turns of a conversation, so "
            "the model would not see the instructions or the earlier questions.")
    answer = "".join(model.stream(prompt, stops, GenerationSettings(max_tokens=max_tokens)))
    leaked = _LEAKED.search(answer)
    if leaked is not None:
        raise TemplateCheckError(
            f"{name}: its chat template lets control tokens into the answer "
            f"({leaked.group(0)}); answers would show them to the user.")
    if not answer.strip():
        raise TemplateCheckError(f"{name}: the model wrote nothing when asked a question "
                                 "about the sample documents with its chat template.")
    return TemplateCheck(CHECK_QUESTION, answer.strip(), len(model.prompt_tokens(prompt)),
                         time.perf_counter() - started)
