"""Questions across the whole collection: ask each file in turn, then combine the parts.

Map: for each file in scope, the retriever restricted to that file picks its passages (for
"summarise each", the file's opening: title, headings, first paragraphs). A file whose
best passage is below the similarity cut, and which does not name the question's topic
word for word, is recorded as having nothing relevant, with no model call. Any other file
gets one short model call for its part of the answer, with citations; parts are cached
(`PartCache`), so asking again costs only the files that changed.

Reduce: the parts are combined by text assembly, with no further model call. A small model
asked to merge twelve parts drops items and citations; assembled, every file keeps its
item and every citation its source, a list keeps one item per file, a count is exact, and
the answer can grow on screen as files finish.

`CollectionAssistant.answer` is a generator of plain events (`FileStarted`, `FilePart`,
`FileSkipped`, `FileFailed`, `Progress`, `Finished`); a cancelled run finishes with what it
had, marked partial, and the coverage says which files it did not reach.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from documents.embedder import Vectors
from documents.library import Library
from documents.retrieval import Passage, SearchMode
from documents.store import DocumentRecord
from inference.answer import Citation, cited_numbers
from inference.answer_text import MARKER, remove_unknown_markers, says_not_covered
from inference.collection_cache import PartCache, part_key
from inference.collection_scope import (
    QuestionKind,
    Scope,
    asks_for_mentions,
    focus,
    question_kind,
    topic_words,
)
from inference.engine import ChatMessage, ChatModel, FinishReason, GenerationSettings
from inference.prompt import build_prompt
from inference.repetition import loop_start

#: Bumped whenever the per-file prompt or the selection of passages changes: cached parts
#: made the old way are then not reused.
PROMPT_VERSION = 2

FILE_SYSTEM_PROMPT = (
    "You are Enclave. The numbered sources all come from one document. Using only them, "
    "answer in one or two sentences and cite the source like [1]. If they do not answer "
    "it, say: The documents do not cover this."
)

NOTHING_RELEVANT = "nothing relevant"


@dataclass(frozen=True)
class CollectionSettings:
    """Kept small on purpose: the model call per file is what a question costs."""

    passages_per_file: int = 2
    #: The same cut as normal answers (`AnswerSettings.min_similarity`, docs/answer-quality.md).
    min_similarity: float = 0.30
    search_mode: SearchMode = SearchMode.HYBRID
    #: A file's part is a sentence or two (some 20 to 50 tokens); the cap keeps a rambling
    #: small model short.
    generation: GenerationSettings = field(
        default_factory=lambda: GenerationSettings(max_tokens=64))
    #: "Which files mention X?": a file whose passage names X is answered by quoting that
    #: sentence, with no model call. Asked what such a file says about X, the default 0.5B
    #: model declined nearly every time and the quote was used anyway
    #: (docs/collection-questions.md); the model is asked about the other files that pass
    #: the similarity cut.
    quote_mentions: bool = True


@dataclass(frozen=True)
class Coverage:
    """How much of the scope the answer covers; `not_reached` is non-empty only when stopped."""

    files_in_scope: list[Path]
    answered_from: list[Path] = field(default_factory=list)
    nothing_relevant: list[Path] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)
    not_reached: list[Path] = field(default_factory=list)

    def line(self) -> str:
        """The one-line summary under an answer (each count expandable in the GUI)."""
        text = (f"answered from {len(self.answered_from)} of {len(self.files_in_scope)} files; "
                f"{len(self.nothing_relevant)} had nothing relevant; "
                f"{len(self.failed)} could not be read")
        if self.not_reached:
            text += f"; {len(self.not_reached)} not reached (stopped)"
        return text

    def to_json(self) -> dict[str, list[str]]:
        return {name: [str(path) for path in getattr(self, name)]
                for name in ("files_in_scope", "answered_from", "nothing_relevant", "failed",
                             "not_reached")}


@dataclass(frozen=True)
class FileAnswer:
    """One file's part: its text with markers numbered across the whole answer."""

    path: Path
    name: str
    text: str
    citations: list[Citation]
    cached: bool
    #: How the part was made: "model"; "quote" when the model declined but the file names
    #: the topic word for word (a list question is about mentions; the quote shows it);
    #: "mention" when a question about mentions was answered by the quote without a model call.
    source: str = "model"


@dataclass(frozen=True)
class FileStarted:
    path: Path
    index: int
    total: int


@dataclass(frozen=True)
class FilePart:
    part: FileAnswer


@dataclass(frozen=True)
class FileSkipped:
    """The file was read and had nothing relevant to the question."""

    path: Path
    reason: str = NOTHING_RELEVANT


@dataclass(frozen=True)
class FileFailed:
    """The file could not be used; `reason` is said in plain words."""

    path: Path
    reason: str


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    #: Seconds left at the pace so far; None before the first file is done.
    eta_s: float | None


@dataclass(frozen=True)
class CollectionAnswer:
    question: str
    kind: QuestionKind
    scope: str
    text: str
    parts: list[FileAnswer]
    coverage: Coverage
    partial: bool
    total_ms: float
    model: dict[str, str]
    failures: dict[Path, str] = field(default_factory=dict)
    #: Files the model was asked about in this run (not answered from the cache or a quote).
    model_calls: int = 0

    @property
    def citations(self) -> list[Citation]:
        return [citation for part in self.parts for citation in part.citations]

    def to_json(self) -> dict[str, object]:
        """The CLI's `ask --scope … --json` shape."""
        return {
            "question": self.question,
            "scope": self.scope,
            "kind": self.kind.value,
            "answer": self.text,
            "partial": self.partial,
            "files": [{"file": part.name, "path": str(part.path), "answer": part.text,
                       "cached": part.cached, "source": part.source,
                       "citations": [_citation_json(c) for c in part.citations]}
                      for part in self.parts],
            "coverage": self.coverage.to_json(),
            "coverage_line": self.coverage.line(),
            "failures": {str(path): reason for path, reason in self.failures.items()},
            "timings": {"total_ms": round(self.total_ms, 2), "model_calls": self.model_calls},
            "model": self.model,
        }


@dataclass(frozen=True)
class Finished:
    answer: CollectionAnswer


CollectionEvent = FileStarted | FilePart | FileSkipped | FileFailed | Progress | Finished


def _citation_json(citation: Citation) -> dict[str, object]:
    p = citation.passage
    return {"number": citation.number, "file": p.document_name, "path": str(p.document_path),
            "page": p.page, "cited": citation.cited, "chunk_id": p.chunk_id,
            "similarity": round(p.similarity, 4), "snippet": p.text[:300],
            "char_start": p.char_start, "char_end": p.char_end}


def file_question(question: str, kind: QuestionKind) -> str:
    """The question as asked of one file: its own part, never the whole list or count."""
    if kind is QuestionKind.SUMMARY:
        return "Summarise this document in two sentences."
    if kind in (QuestionKind.LIST, QuestionKind.COUNT):
        return f"What does this document say about {focus(question)}?"
    return f"{question} Answer for this document only."


#: Endings a topic word may take and still be named ("recall" in "recalls", "recalled").
_ENDINGS = r"(?:'s|s|es|ed|ing)?"
#: Other words allowed between two topic words (the stopwords left out: "Bank of England").
_GAP = r"(?:\W+\w+){0,2}\W+"


def mentions(text: str, words: Sequence[str]) -> bool:
    """Whether `text` names the topic: its words in order and close together, each a whole
    word or one of its endings ("war" in "wars"; "World War I" not in "World War II",
    "India" not in "Indiana"). A file that only has the words apart is left to similarity.
    """
    if not words:
        return False
    phrase = _GAP.join(re.escape(word) + _ENDINGS for word in words)
    return re.search(rf"\b{phrase}\b", text.lower()) is not None


def _quote(passage: Passage, words: Sequence[str]) -> str:
    """The sentence of `passage` that names the topic, cited as source 1."""
    # Also where a full stop has no space after it ("stories.Political"), as in some
    # extracted and scraped text.
    for sentence in re.split(r"(?<=[.!?])\s+|(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])", passage.text):
        if mentions(sentence, words):
            return f'"{sentence.strip()}" [1]'
    return f'"{passage.text[:200].strip()}…" [1]'


def renumber(text: str, mapping: dict[int, int]) -> str:
    """Markers [n] of a file's part as numbers across the combined answer."""
    def swap(match: re.Match[str]) -> str:
        numbers = [int(part) for part in re.split(r"\s*[,;]\s*", match.group(1))]
        return "[" + ", ".join(str(mapping.get(n, n)) for n in numbers) + "]"
    return MARKER.sub(swap, text)


def combine(question: str, kind: QuestionKind, parts: Sequence[FileAnswer],
            coverage: Coverage, partial: bool) -> str:
    """The combined answer: one item per file, in the order of the scope.

    A count leads with the number and the files; a list with how many files had something.
    """
    total = len(coverage.files_in_scope)
    lines: list[str] = []
    if partial:
        done = total - len(coverage.not_reached)
        lines.append(f"*Stopped after {done} of {total} files: this answer is partial.*\n")
    if not parts:
        lines.append(f"None of the {total} files had anything on this.")
        return "\n".join(lines)
    names = ", ".join(part.name for part in parts)
    if kind is QuestionKind.COUNT:
        lines.append(f"**{len(parts)}** of {total} files: {names}.\n")
    elif kind is QuestionKind.LIST:
        lines.append(f"Found in {len(parts)} of {total} files:\n")
    for part in parts:
        if kind in (QuestionKind.LIST, QuestionKind.COUNT):
            lines.append(f"- **{part.name}**: {' '.join(part.text.split())}")
        else:
            lines.append(f"**{part.name}**\n\n{part.text}\n")
    return "\n".join(lines).strip()


@dataclass(frozen=True)
class _Made:
    """One file's part as made (empty `text`: nothing relevant), before renumbering."""

    sources: dict[int, Passage]
    text: str = ""
    cached: bool = False
    source: str = "model"
    asked_model: bool = False


class CollectionAssistant:
    """Answers one question from every file in a scope; front ends consume its events."""

    def __init__(self, library: Library, model: ChatModel, cache: PartCache | None = None,
                 settings: CollectionSettings | None = None) -> None:
        self.library = library
        self.model = model
        self.cache = cache
        self.settings = settings or CollectionSettings()

    def scope_files(self, scope: Scope) -> tuple[list[DocumentRecord], dict[Path, str]]:
        """The library's records in scope, and the named files it does not hold (with why)."""
        records = self.library.documents()
        if scope.everything:
            return records, {}
        if scope.collection is not None:
            members = set(self.library.collections.scope(scope.collection).documents)
            return [record for record in records if record.path in members], {}
        known = {record.path: record for record in records}
        chosen = [known[path] for path in scope.files if path in known]
        missing = {path: "this file is not in your library; add it first"
                   for path in scope.files if path not in known}
        return chosen, missing

    def answer(self, question: str, scope: Scope | None = None,
               cancel: threading.Event | None = None,
               kind: QuestionKind | None = None) -> Iterator[CollectionEvent]:
        started = time.perf_counter()
        kind = kind or question_kind(question)
        scope = scope or Scope()
        records, failures = self.scope_files(scope)
        in_scope = [record.path for record in records] + list(failures)
        coverage = Coverage(in_scope)
        parts: list[FileAnswer] = []
        next_number = 1
        model_sha = self.model.file.sha256
        words = topic_words(question) if kind is not QuestionKind.SUMMARY else []
        asked = file_question(question, kind)
        search_for = focus(question)
        quote_first = self.settings.quote_mentions and asks_for_mentions(question, kind)
        model_calls = 0
        # Embedded once: the same question searches every file.
        query_vector = (None if kind is QuestionKind.SUMMARY or not records
                        else self.library.embedder.encode([search_for])[0])
        timed: list[float] = []
        total = len(in_scope)
        for path, reason in failures.items():
            coverage.failed.append(path)
            yield FileFailed(path, reason)
        done = len(failures)
        for index, record in enumerate(records):
            if cancel is not None and cancel.is_set():
                coverage.not_reached.extend(r.path for r in records[index:])
                break
            yield FileStarted(record.path, done + 1, total)
            file_started = time.perf_counter()
            if record.status != "indexed":
                reason = record.error or "it could not be read"
                failures[record.path] = reason
                coverage.failed.append(record.path)
                yield FileFailed(record.path, reason)
            else:
                key = part_key(record.sha256, model_sha, question, PROMPT_VERSION)
                made = self._file_part(record, asked, search_for, query_vector, words,
                                       quote_first, key, cancel)
                if made is None:  # Stopped mid-file: the part is incomplete, not kept.
                    coverage.not_reached.extend(r.path for r in records[index:])
                    break
                model_calls += made.asked_model
                if not made.text:
                    coverage.nothing_relevant.append(record.path)
                    yield FileSkipped(record.path)
                else:
                    local, text = made.sources, made.text
                    mapping = {n: next_number + i for i, n in enumerate(sorted(local))}
                    next_number += len(mapping)
                    cited = set(cited_numbers(text, local))
                    citations = [Citation(mapping[n], local[n], n in cited)
                                 for n in sorted(local)]
                    part = FileAnswer(record.path, record.name, renumber(text, mapping),
                                      citations, made.cached, made.source)
                    parts.append(part)
                    coverage.answered_from.append(record.path)
                    yield FilePart(part)
            done += 1
            timed.append(time.perf_counter() - file_started)
            pace = sum(timed) / len(timed)
            yield Progress(done, total, pace * (total - done))
        partial = bool(coverage.not_reached)
        yield Finished(CollectionAnswer(
            question, kind, scope.describe(), combine(question, kind, parts, coverage, partial),
            parts, coverage, partial, (time.perf_counter() - started) * 1000,
            self.model.file.describe(), failures, model_calls))

    def _file_part(self, record: DocumentRecord, asked: str, search_for: str,
                   query_vector: Vectors | None, words: Sequence[str], quote_first: bool,
                   key: str, cancel: threading.Event | None) -> _Made | None:
        """The file's part, or None when stopped mid-file. Without `query_vector`
        (summaries), the file's opening is read; with `quote_first`, a passage naming the
        topic is quoted without asking the model."""
        settings = self.settings
        if query_vector is None:
            passages = self.library.opening_passages(record.path, settings.passages_per_file)
        else:
            found = self.library.search(search_for, settings.passages_per_file + 2,
                                        settings.search_mode, document=record.path,
                                        query_vector=query_vector)
            passages = [p for p in found
                        if p.similarity >= settings.min_similarity or mentions(p.text, words)]
            passages = passages[:settings.passages_per_file]
        if not passages:
            return _Made({})
        evidence = next((p for p in passages if mentions(p.text, words)), None)
        if quote_first and evidence is not None:
            return _Made({1: evidence}, _quote(evidence, words), source="mention")
        cached = self.cache.get(key) if self.cache is not None else None
        chunk_ids = [p.chunk_id for p in passages]
        if cached is not None and cached.get("chunks") == chunk_ids:
            text, source = str(cached.get("text", "")), str(cached.get("source", "model"))
            if not text:
                return _Made({}, cached=True)
            by_id = {p.chunk_id: p for p in passages}
            used = cached.get("sources")
            chosen = [by_id[i] for i in used if i in by_id] if isinstance(used, list) else []
            return _Made(dict(enumerate(chosen or passages, start=1)), text, True, source)
        budget = self.model.context_tokens - settings.generation.max_tokens - 8
        built = build_prompt(asked, passages, (), budget, self.model.count_tokens,
                             FILE_SYSTEM_PROMPT)
        sources = {source.number: source.passage for source in built.sources}
        written, finish = self._generate(built.messages, cancel)
        if finish == FinishReason.CANCELLED:
            return None
        text = remove_unknown_markers(written, sources).strip()
        source = "model"
        if not text or says_not_covered(text):
            if evidence is None:
                text = ""
            else:  # The file names the topic: quote where, rather than drop it.
                sources = {1: evidence}
                text, source = _quote(evidence, words), "quote"
        if self.cache is not None:
            # Kept with the passages it was made from: if retrieval picks others (the
            # embedder changed, the file was re-chunked), the part is made again.
            self.cache.put(key, record.sha256, {
                "chunks": chunk_ids, "text": text, "source": source,
                "sources": [p.chunk_id for p in sources.values()]})
        return _Made(sources if text else {}, text, False, source, asked_model=True)

    def _generate(self, messages: Sequence[ChatMessage], cancel: threading.Event | None,
                  ) -> tuple[str, str]:
        """The model's whole reply to `messages` and why it ended, loops cut off."""
        prompt, stops = self.model.format(messages)
        stream = self.model.stream(prompt, stops, self.settings.generation, cancel)
        written = ""
        while True:
            try:
                written += next(stream)
            except StopIteration as end:
                return written.strip(), str(end.value)
            cut = loop_start(written)
            if cut is not None:
                stream.close()
                return written[:cut].strip(), "loop"
