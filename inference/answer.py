"""One question, end to end: retrieve passages, build the prompt, stream, map citations.

`Assistant.answer` is a generator of events so any front end can show sources first, then
tokens as they come, then the finished answer, and stop it between any two tokens.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field

from documents.errors import InvalidInputError
from documents.library import Library
from documents.query_filter import QueryFilter
from documents.retrieval import Passage, Passages, SearchMode
from inference.answer_text import MARKER, remove_unknown_markers, says_not_covered
from inference.engine import ChatModel, FinishReason, GenerationSettings
from inference.follow_up import standalone_question
from inference.prompt import ANSWER_REMINDER, SYSTEM_PROMPT, Source, Turn, build_prompt
from inference.quote_check import Closest, SentenceCheck, check_answer, closest_sentence
from inference.repetition import loop_start

#: What a front end tells the user about an answer that did not end by itself.
FINISH_NOTES = {
    FinishReason.LENGTH.value: ("Cut short", "This answer reached the length limit and was "
                                "cut off; ask a narrower question for the rest."),
    "loop": ("Repetition removed", "The model began repeating itself; it was stopped and "
             "the repeated text removed."),
}

NOT_COVERED = ("The documents in your library do not seem to cover this question, so I "
               "won't guess. Try rephrasing it, or add the document that answers it.")


@dataclass(frozen=True)
class AnswerSettings:
    passages: int = 4
    #: Cosine similarity below which a passage is taken as unrelated to the question. Tuned
    #: on `eval docqa --limit 200`: 0.30 declines 0.88 of the questions whose article is not
    #: in the library (0.76 at 0.25) and no more answerable ones (docs/answer-quality.md).
    min_similarity: float = 0.30
    search_mode: SearchMode = SearchMode.HYBRID
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    #: Before retrieval, turn a follow-up ("who sang it?") into a question that stands alone.
    rewrite_follow_ups: bool = True
    #: A follow-up whose best passage is less similar than this is searched again with the
    #: previous question added: "who provided the sign language translation?" names no
    #: game, and the rewrite cannot always supply it.
    follow_up_context_similarity: float = 0.35
    #: Cosine similarity an answer's sentence needs with a span of its sources to count as
    #: supported (its numbers and names must be in the span too). Tuned on the docqa set's
    #: answers: `eval quotes` (docs/answer-quality.md).
    quote_similarity: float = 0.55
    #: When the model finds no answer in close passages, the source sentence most like the
    #: question is shown if at least this similar (measured: docs/answer-quality.md).
    closest_similarity: float = 0.5

    def __post_init__(self) -> None:
        for name in ("quote_similarity", "closest_similarity"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InvalidInputError(f"{name} must be between 0 and 1")


@dataclass(frozen=True)
class Citation:
    """A source of an answer; `cited` says whether the model marked it with [number].

    `number` is the source's number in the conversation; `from_earlier_turn` when the
    prompt referred to it by that number instead of carrying its text again.
    """

    number: int
    passage: Passage
    cited: bool
    from_earlier_turn: bool = False


@dataclass(frozen=True)
class Timings:
    retrieval_ms: float
    ttft_ms: float
    total_ms: float
    tokens: int
    tokens_per_s: float


@dataclass(frozen=True)
class Answer:
    """A finished answer. `text` is what the user reads: the model's words with loops cut
    and markers that name no given source removed; `model_text` is what the model wrote.

    `finish_reason` is a `FinishReason` value or "loop" (cut where it began repeating).
    """

    question: str
    text: str
    sent: str
    citations: list[Citation]
    timings: Timings
    model: dict[str, str]
    covered: bool
    finish_reason: str = FinishReason.DONE.value
    model_text: str = ""
    #: The query retrieval used: the question, or a follow-up rewritten to stand alone.
    search_query: str = ""
    #: Each sentence matched to the span of the sources that supports it (`quote_check`).
    check: tuple[SentenceCheck, ...] = ()
    #: A declined answer's closest source sentence (`quote_check.closest_sentence`).
    closest: Closest | None = None

    @property
    def stopped(self) -> bool:
        """The user stopped it before the model finished."""
        return self.finish_reason == FinishReason.CANCELLED

    @property
    def truncated(self) -> bool:
        """Cut by the token limit: the user must be told the answer is incomplete."""
        return self.finish_reason == FinishReason.LENGTH

    def to_json(self) -> dict[str, object]:
        """The CLI's `ask --json` shape."""
        return {
            "question": self.question,
            "answer": self.text,
            "covered": self.covered,
            "stopped": self.stopped,
            "finish_reason": self.finish_reason,
            "model_text": self.model_text,
            "search_query": self.search_query,
            "citations": [
                {"number": c.number, "file": c.passage.document_name,
                 "path": str(c.passage.document_path), "page": c.passage.page,
                 "location": c.passage.place,
                 "score": round(c.passage.score, 6),
                 "similarity": round(c.passage.similarity, 4),
                 "snippet": c.passage.text[:300], "cited": c.cited,
                 "chunk_id": c.passage.chunk_id, "text": c.passage.text,
                 "char_start": c.passage.char_start, "char_end": c.passage.char_end,
                 "from_earlier_turn": c.from_earlier_turn}
                for c in self.citations
            ],
            "timings": {k: round(v, 2) if isinstance(v, float) else v
                        for k, v in asdict(self.timings).items()},
            "model": self.model,
            "check": [check.to_json() for check in self.check],
            "closest": None if self.closest is None else self.closest.to_json(),
        }

    def turn(self) -> Turn:
        """This exchange as the next question's prompt replays it."""
        return Turn.from_record(self.sent, self.text, self.to_json())


@dataclass(frozen=True)
class SourcesFound:
    passages: list[Passage]
    #: The documents the question named, which the search preferred (None: all of them);
    #: front ends show it ("searching Dunmore Foods, fiscal 2021") and offer to clear it.
    filter: QueryFilter | None = None


@dataclass(frozen=True)
class TokenGenerated:
    text: str


@dataclass(frozen=True)
class AnswerFinished:
    answer: Answer


AnswerEvent = SourcesFound | TokenGenerated | AnswerFinished


def final_answer(events: Iterable[AnswerEvent]) -> tuple[Answer, list[Passage]]:
    """Read a stream of answer events to its end: the finished answer, and the passages its
    `SourcesFound` event gave (none from `Assistant.answer_from`, which sends none).

    For callers that want the result, not the tokens as they come (evaluations, benches, the
    self-check), so that each of them does not collect the events its own way.
    """
    sources: list[Passage] = []
    finished: Answer | None = None
    for event in events:
        if isinstance(event, SourcesFound):
            sources = event.passages
        elif isinstance(event, AnswerFinished):
            finished = event.answer
    if finished is None:
        raise AssertionError("the answer ended without an AnswerFinished event")
    return finished, sources


def cited_numbers(text: str, available: Collection[int]) -> list[int]:
    """The source numbers an answer cites, in order of first mention, ignoring bad numbers.

    A small model sometimes echoes its instructions; their example marker is no citation.
    """
    text = text.replace(ANSWER_REMINDER, "").replace(SYSTEM_PROMPT, "")
    numbers: list[int] = []
    for match in MARKER.finditer(text):
        for part in re.split(r"[,;]", match.group(1)):
            number = int(part)
            if number in available and number not in numbers:
                numbers.append(number)
    return numbers


def map_citations(text: str, sources: Sequence[Source]) -> list[Citation]:
    """Cited sources first, in the order the answer cites them, then the rest shown to it.

    Small models often forget markers; listing every shown source keeps the answer checkable.
    """
    by_number = {source.number: source for source in sources}
    cited = cited_numbers(text, by_number)
    rest = [source.number for source in sources if source.number not in cited]
    return [Citation(number, by_number[number].passage, number in cited,
                     by_number[number].repeated) for number in cited + rest]


def _best(passages: Sequence[Passage]) -> float:
    return max((p.similarity for p in passages), default=0.0)


class Assistant:
    """Answers questions from a library with a chat model; front ends consume its events."""

    def __init__(self, library: Library, model: ChatModel,
                 settings: AnswerSettings | None = None) -> None:
        self.library = library
        self.model = model
        self.settings = settings or AnswerSettings()

    def answer(self, question: str, history: Sequence[Turn] = (),
               cancel: threading.Event | None = None,
               filtered: bool = True, collection: str | None = None) -> Iterator[AnswerEvent]:
        """Stream the events of one answer; `filtered=False` searches every document even
        when the question names some (the user cleared the filter); `collection` searches
        only that collection's documents."""
        started = time.perf_counter()
        query, relevant = self.retrieve(question, history, filtered, collection)
        yield SourcesFound(relevant, relevant.filter)
        yield from self.answer_from(question, relevant, history, cancel, query, started)

    def retrieve(self, question: str, history: Sequence[Turn] = (),
                 filtered: bool = True, collection: str | None = None) -> tuple[str, Passages]:
        """The query searched for (a follow-up rewritten to stand alone) and the passages
        close enough to it to answer from; none means the library does not cover it."""
        settings = self.settings
        query = question
        if settings.rewrite_follow_ups and history:
            query = standalone_question(self.model, question, history)
        found = self.library.search(query, settings.passages, settings.search_mode, filtered,
                                    collection=collection)
        if settings.rewrite_follow_ups and history and \
                _best(found) < settings.follow_up_context_similarity:
            in_context = f"{query} {history[-1].question}"
            again = self.library.search(in_context, settings.passages, settings.search_mode,
                                        filtered, collection=collection)
            if _best(again) > _best(found):
                query, found = in_context, again
        return query, Passages((p for p in found if p.similarity >= settings.min_similarity),
                               found.filter)

    def answer_from(self, question: str, relevant: Sequence[Passage],
                    history: Sequence[Turn] = (), cancel: threading.Event | None = None,
                    query: str = "", started: float | None = None) -> Iterator[AnswerEvent]:
        """Answer from passages already retrieved (`retrieve`), without a SourcesFound event.

        Split from `answer` so several models can be given the very same passages (the
        model comparison); `started` is when retrieval began, for the timings.
        """
        settings = self.settings
        started = time.perf_counter() if started is None else started
        query = query or question
        relevant = list(relevant)
        retrieval_ms = (time.perf_counter() - started) * 1000
        model_info = self.model.file.describe()
        if not relevant:
            yield AnswerFinished(Answer(
                question, NOT_COVERED, question, [],
                Timings(retrieval_ms, 0.0, (time.perf_counter() - started) * 1000, 0, 0.0),
                model_info, covered=False, model_text="", search_query=query))
            return
        budget = self.model.context_tokens - settings.generation.max_tokens - 8
        built = build_prompt(question, relevant, history, budget, self.model.count_tokens)
        prompt, stops = self.model.format(built.messages)
        written = ""
        first_token_at: float | None = None
        stream = self.model.stream(prompt, stops, settings.generation, cancel)
        while True:
            try:
                piece = next(stream)
            except StopIteration as end:
                finish = str(end.value)
                break
            if first_token_at is None:
                first_token_at = time.perf_counter()
            written += piece
            yield TokenGenerated(piece)
            cut = loop_start(written)
            if cut is not None:
                stream.close()
                finish, written = "loop", written[:cut]
                break
        finished = time.perf_counter()
        model_text = written.strip()
        numbers = {source.number for source in built.sources}
        text = remove_unknown_markers(model_text, numbers).strip()
        first = first_token_at or finished
        tokens = self.model.count_tokens(text) if text else 0
        decode_s = finished - first
        timings = Timings(
            retrieval_ms=retrieval_ms,
            ttft_ms=(first - started) * 1000,
            total_ms=(finished - started) * 1000,
            tokens=tokens,
            tokens_per_s=(tokens - 1) / decode_s if tokens > 1 and decode_s > 0 else 0.0,
        )
        covered = not says_not_covered(text)
        check = check_answer(self.library.embedder, text, built.sources,
                             settings.quote_similarity, question) if covered else ()
        closest = None if covered or finish == FinishReason.CANCELLED else closest_sentence(
            self.library.embedder, question, built.sources, settings.closest_similarity)
        yield AnswerFinished(Answer(question, text, built.sent,
                                    map_citations(text, built.sources), timings, model_info,
                                    covered=covered, finish_reason=finish,
                                    model_text=model_text, search_query=query, check=check,
                                    closest=closest))
