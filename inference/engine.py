"""The chat model runtime: one llama.cpp model, used by one thread at a time, streaming tokens."""

from __future__ import annotations

import codecs
import threading
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from documents.embedder import cpu_threads
from documents.errors import EnclaveError, InvalidInputError
from inference.model_file import ModelFile, log_llama_to_file, read_model_file

#: Used when a GGUF has no chat template (base models): plain turns the model can continue.
_FALLBACK_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'user' %}Question: {{ message['content'] }}\n"
    "{% else %}Answer: {{ message['content'] }}\n\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}Answer:{% endif %}"
)


@dataclass(frozen=True)
class GenerationSettings:
    """Sampling for grounded answers: greedy, since the answer should come from the sources,
    and a mild repeat penalty against the loops small models fall into."""

    max_tokens: int = 384
    temperature: float = 0.0
    top_p: float = 0.9
    repeat_penalty: float = 1.1
    seed: int = 42


class FinishReason(StrEnum):
    """Why generation ended; an answer cut by the token limit must say so."""

    DONE = "done"  # End of turn or a stop string.
    LENGTH = "length"  # The token limit or the context window.
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ChatMessage:
    role: str
    content: str


class ModelLoadError(EnclaveError, RuntimeError):
    """The model file could not be loaded by llama.cpp."""


class ChatModel:
    """A loaded GGUF model and its chat format.

    llama.cpp's context is not thread-safe, so every call takes the model's lock; the GUI keeps
    all calls on one worker thread anyway. Consecutive prompts that share a prefix reuse the
    KV cache (llama-cpp-python compares the new prompt's tokens with the evaluated ones).
    """

    def __init__(self, path: Path, context_tokens: int = 4096, threads: int | None = None,
                 gpu_layers: int = 0) -> None:
        self.file: ModelFile = read_model_file(path)
        self.context_tokens = min(context_tokens, self.file.context_length)
        # Generating a token is bound by memory bandwidth: half the usable CPUs (roughly the
        # physical cores, as llama.cpp advises) leave room for the GUI and the embedder.
        # Reading the prompt is bound by arithmetic and scales with every core (on 2 cores:
        # 231 tokens/s against 141 with one), and it is what the first token waits for.
        self.threads = threads or max(1, cpu_threads() // 2)
        self.batch_threads = threads or cpu_threads()
        self.gpu_layers = gpu_layers
        self._lock = threading.Lock()
        self._llama: Any = None
        self._formatter: Any = None

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def load(self) -> None:
        """Load the weights (seconds on a laptop); call off the GUI thread."""
        with self._lock:
            if self._llama is not None:
                return
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
            log_llama_to_file()
            try:
                llama = Llama(
                    model_path=str(self.file.path), n_ctx=self.context_tokens,
                    n_threads=self.threads, n_threads_batch=self.batch_threads,
                    n_gpu_layers=self.gpu_layers, verbose=False, seed=GenerationSettings.seed,
                )
            except (ValueError, RuntimeError) as error:
                raise ModelLoadError(f"{self.file.path}: llama.cpp could not load it ({error})")\
                    from error
            eos = llama.token_eos()
            bos = llama.token_bos()
            self._formatter = Jinja2ChatFormatter(
                template=self.file.chat_template or _FALLBACK_TEMPLATE,
                eos_token=llama._model.token_get_text(eos) if eos >= 0 else "",
                bos_token=llama._model.token_get_text(bos) if bos >= 0 else "",
                stop_token_ids=[eos] if eos >= 0 else None,
            )
            self._llama = llama

    def close(self) -> None:
        with self._lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    @property
    def has_chat_template(self) -> bool:
        return self.file.chat_template is not None

    def format(self, messages: Sequence[ChatMessage]) -> tuple[str, list[str]]:
        """The prompt text for `messages` and the stop strings, via the GGUF's own template."""
        self.load()
        response = self._formatter(messages=[{"role": m.role, "content": m.content}
                                             for m in messages])
        stops = response.stop if isinstance(response.stop, list) else (
            [response.stop] if response.stop else [])
        if not self.has_chat_template:
            stops += ["\nQuestion:", "\n\n\n"]
        return str(response.prompt), stops

    def count_tokens(self, text: str) -> int:
        self.load()
        with self._lock:
            return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def prompt_tokens(self, prompt: str) -> list[int]:
        """`prompt` as the tokens llama.cpp evaluates (BOS added where the model wants it)."""
        self.load()
        with self._lock:
            return list(self._llama.tokenize(prompt.encode("utf-8"), add_bos=True,
                                             special=True))

    def stream(self, prompt: str, stop: Sequence[str] = (),
               settings: GenerationSettings = GenerationSettings(),
               cancel: threading.Event | None = None,
               ) -> Generator[str, None, FinishReason]:
        """Yield the completion of `prompt` piece by piece until done, stopped or cancelled;
        return why it ended (a caller that closes the generator early ends it itself).

        Straight on `Llama.generate`, the token loop under llama-cpp-python's own completion
        API, so an answer streams at the raw library's speed: each token is detokenized once
        (the completion API re-detokenizes the whole answer at every token), and only text
        that may begin a stop string is held back. A prompt that starts with the tokens of
        the previous one reuses their KV cache.
        """
        import llama_cpp

        self.load()
        with self._lock:
            llama = self._llama
            tokens = llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
            room = self.context_tokens - len(tokens)
            if room <= 0:
                raise InvalidInputError(f"the prompt ({len(tokens)} tokens) does not fit the "
                                 f"model's {self.context_tokens}-token context")
            limit = min(settings.max_tokens, room) if settings.max_tokens > 0 else room
            vocab = llama._model.vocab
            llama.set_seed(settings.seed)
            generator = llama.generate(tokens, temp=settings.temperature, top_p=settings.top_p,
                                       repeat_penalty=settings.repeat_penalty)
            decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
            stops = [s for s in stop if s]
            pending = ""
            count = 0
            reason = FinishReason.LENGTH  # The generator only ends when the context is full.
            try:
                for token in generator:
                    if llama_cpp.llama_vocab_is_eog(vocab, token):
                        reason = FinishReason.DONE  # A cancel landing now has nothing to stop.
                        break
                    if cancel is not None and cancel.is_set():
                        reason = FinishReason.CANCELLED
                        break
                    count += 1
                    pending += decoder.decode(llama.detokenize([token]))
                    found = min((i for i in (pending.find(s) for s in stops) if i >= 0),
                                default=-1)
                    if found >= 0:
                        pending = pending[:found]
                        reason = FinishReason.DONE
                        break
                    keep = _stop_prefix(pending, stops)
                    if len(pending) > keep:
                        yield pending[:len(pending) - keep]
                        pending = pending[len(pending) - keep:]
                    if count >= limit:
                        reason = FinishReason.LENGTH
                        break
            finally:
                generator.close()
            if pending:
                yield pending
            return reason

    def raw_llama(self) -> Any:
        """The underlying llama_cpp.Llama, for benchmarks that compare against it."""
        self.load()
        return self._llama


def _stop_prefix(text: str, stops: Sequence[str]) -> int:
    """Length of the longest end of `text` that could still grow into a stop string."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest
