"""Verified quotes: for each sentence of an answer, the words of its sources that support it.

A small model can write a fluent sentence its sources never said, or copy a sentence and
change its number. So after an answer, each of its sentences is matched to the closest
sentence of the passages it was given, by the library's own embedder (cosine similarity),
and the match must also hold every number and capitalised name of the answer's sentence:
"won 24-10" against a source saying "won 24-12" is close in meaning but not supported.

One batched embedding of the answer's and the sources' sentences per answer keeps it cheap
(a few hundred milliseconds on a CPU for four passages). Everything here is plain data, so
the CLI, the window, the conversation store and the evals share one result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from inference.answer_text import MARKER, sentence_ends, strip_markers
from inference.prompt import Source

#: What the window and the CLI say of a sentence no source span supports.
NOT_FOUND = "not found in your documents"
#: How much less similar a sentence may be when it states a number of its own (one not in
#: the question) that its span holds: the exact figure is evidence that wording is not.
#: A table row ("Revenue 7,724.3 1,835.8") reads little like the sentence quoting it.
ANCHORED_MARGIN = 0.15

#: The fewest words a sentence needs to be shown as the closest to a declined question.
CLOSEST_MIN_WORDS = 4
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
#: A line's block marker in Markdown: a heading, a list item or a quote.
_BLOCK_PREFIX = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+|\d+[.)][ \t]+|>[ \t]?)+")
#: A source line that starts a block (heading, list item, table row, quote), and one that is
#: a block by itself (heading, table row): a sentence never runs across either.
_STARTS_BLOCK = re.compile(r"[ \t]*(?:#{1,6}\s|[-*+]\s|\d+[.)]\s|\||>)")
_WHOLE_LINE = re.compile(r"[ \t]*(?:#{1,6}\s|\|)")
_EMPHASIS = re.compile(r"\*{1,3}|`+|(?<!\w)_{1,3}|_{1,3}(?!\w)")
#: Capitalised only because they start a sentence; any other capitalised word is taken as a
#: name and must appear in the supporting span.
_SENTENCE_STARTERS = frozenset(re.findall(r"\w+", """
a an the this that these those it its he she they we you i there here his her their our
in on at by for from to of with as after before during since until when while if although
though because yes no not also however according both each all some many most one so
yet but and or then thus therefore instead overall finally first second
"""))


class Encoder(Protocol):
    """Unit-length vectors for texts: `documents.embedder.Embedder` is one."""

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...


@dataclass(frozen=True)
class Quote:
    """The span of a source that best supports a sentence.

    `start` and `end` are character offsets in the passage's text (chunk `chunk_id`), so a
    viewer can highlight exactly these words on `page` of `file`.
    """

    source: int
    file: str
    path: str
    page: int | None
    chunk_id: int
    text: str
    start: int
    end: int

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "file": self.file, "path": self.path,
                "page": self.page, "chunk_id": self.chunk_id, "text": self.text,
                "start": self.start, "end": self.end}

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> Quote | None:
        try:
            return cls(_int(raw["source"]), str(raw["file"]), str(raw.get("path", "")),
                       None if raw.get("page") is None else _int(raw["page"]),
                       _int(raw.get("chunk_id", 0)), str(raw["text"]),
                       _int(raw["start"]), _int(raw["end"]))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of an answer and its closest source span.

    `start`/`end` place the sentence in the answer's text (markers included); `sentence` is
    that text without citation markers. `missing` lists the numbers and names of the
    sentence that the quote lacks; `quote` is the closest span even when it does not
    support the sentence, so a reader can see what came nearest.
    """

    sentence: str
    start: int
    end: int
    supported: bool
    score: float
    quote: Quote | None
    missing: tuple[str, ...] = ()
    #: The sentence states a number of its own (not the question's) that its quote holds.
    anchored: bool = False

    def to_json(self) -> dict[str, object]:
        return {"sentence": self.sentence, "start": self.start, "end": self.end,
                "supported": self.supported, "score": self.score,
                "missing": list(self.missing), "anchored": self.anchored,
                "quote": None if self.quote is None else self.quote.to_json()}

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> SentenceCheck | None:
        """A stored check; None for a record this version cannot read."""
        quote = raw.get("quote")
        missing = raw.get("missing")
        try:
            return cls(str(raw["sentence"]), _int(raw["start"]), _int(raw["end"]),
                       bool(raw["supported"]), float(str(raw["score"])),
                       Quote.from_json(quote) if isinstance(quote, dict) else None,
                       tuple(str(m) for m in missing) if isinstance(missing, list) else (),
                       bool(raw.get("anchored", False)))
        except (KeyError, TypeError, ValueError):
            return None


def checks_from_json(value: object) -> tuple[SentenceCheck, ...]:
    """The check stored with an answer (`Answer.to_json()["check"]`); () when absent, as in
    answers stored before the check existed."""
    if not isinstance(value, list):
        return ()
    checks = (SentenceCheck.from_json(item) for item in value if isinstance(item, dict))
    return tuple(check for check in checks if check is not None)


def is_supported(score: float, missing: Sequence[str], threshold: float,
                 anchored: bool = False) -> bool:
    """The rule: close enough in meaning, and no number or name of the sentence missing;
    `ANCHORED_MARGIN` less close for a sentence whose own number its quote holds."""
    return not missing and score >= threshold - (ANCHORED_MARGIN if anchored else 0.0)


def own_numbers(sentence: str, question: str) -> set[str]:
    """The numbers of `sentence` that its question does not already state."""
    return facts(sentence)[0] - facts(question)[0]


def answer_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of an answer, line by line, Markdown list and heading
    marks left out; a citation marker that follows a sentence's full stop stays with it."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        prefix = _BLOCK_PREFIX.match(line.group())
        offset = line.start() + (prefix.end() if prefix else 0)
        body = text[offset:line.end()]
        start = 0
        for end in [*sentence_ends(body), len(body)]:
            piece = body[start:end]
            marker = MARKER.match(body, start + len(piece) - len(piece.lstrip()))
            if marker is not None and start > 0:  # "... it. [1] Then ...": [1] is the first's
                spans[-1] = (spans[-1][0], offset + marker.end())
                start = marker.end()
            _add_trimmed(spans, text, offset + start, offset + end)
            start = end
    return [(s, e) for s, e in spans if any(ch.isalnum() for ch in strip_markers(text[s:e]))]


def source_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a passage.

    Blocks are split apart first: a blank line ends one, a heading or table row is one, a
    list item or quote starts one; hard-wrapped lines of a paragraph stay together. Then each
    block is split at its sentence ends.
    """
    blocks: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]*", text):
        content = line.group()
        if not content.strip():
            continue
        joins = (bool(blocks) and not _STARTS_BLOCK.match(content)
                 and not _WHOLE_LINE.match(text[blocks[-1][0]:blocks[-1][1]])
                 and text[blocks[-1][1]:line.start()].count("\n") <= 1)
        if joins:
            blocks[-1] = (blocks[-1][0], line.end())
        else:
            blocks.append((line.start(), line.end()))
    spans: list[tuple[int, int]] = []
    for block_start, block_end in blocks:
        block = text[block_start:block_end]
        start = 0
        for end in [*sentence_ends(block), len(block)]:
            _add_trimmed(spans, text, block_start + start, block_start + end)
            start = end
    return [(s, e) for s, e in spans if any(ch.isalnum() for ch in text[s:e])]


def facts(sentence: str) -> tuple[set[str], set[str]]:
    """The numbers (thousands separators dropped) and the capitalised names of a sentence.

    The first word counts as a name unless it is a common sentence opener ("The", "In").
    """
    plain = _EMPHASIS.sub("", strip_markers(sentence))
    numbers = {number.replace(",", "").rstrip(".") for number in _NUMBER.findall(plain)}
    names: set[str] = set()
    for position, match in enumerate(_WORD.finditer(plain)):
        word = re.sub(r"['\u2019]s$", "", match.group()).strip("'\u2019-")
        if len(word) < 2 or not word[0].isupper():
            continue
        if position == 0 and word.lower() in _SENTENCE_STARTERS:
            continue
        names.add(word)
    return numbers, names


def missing_facts(sentence: str, span: str, question: str = "") -> tuple[str, ...]:
    """The numbers and names of `sentence` that neither `span` nor `question` contains (case
    ignored): an answer restating its question ("The Panthers' leader in 2015 was ...")
    claims nothing by the question's own words."""
    numbers, names = facts(sentence)
    known = f"{span}\n{question}"
    span_numbers = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(known)}
    span_words = {w.lower() for w in re.findall(r"[^\W_]+", known)}
    gone = sorted(numbers - span_numbers)
    gone += sorted(name for name in names
                   if not all(part.lower() in span_words for part in re.findall(r"[^\W_]+", name)))
    return tuple(gone)


@dataclass(frozen=True)
class _Span:
    source: Source
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.source.passage.text[self.start:self.end]

    def quote(self) -> Quote:
        passage = self.source.passage
        return Quote(self.source.number, passage.document_name, str(passage.document_path),
                     passage.page, passage.chunk_id, self.text, self.start, self.end)


def check_answer(encoder: Encoder, text: str, sources: Sequence[Source],
                 threshold: float, question: str = "") -> tuple[SentenceCheck, ...]:
    """Match every sentence of `text`, the answer to `question`, to the best span of `sources`.

    The best span is the most similar source sentence holding every number and name of the
    answer's sentence (joined with its neighbour when the two together hold them); with no
    such span, the most similar sentence is the quote and the sentence is not supported.
    """
    sentences = answer_sentences(text)
    spans = [_Span(source, start, end) for source in sources
             for start, end in source_sentences(source.passage.text)]
    if not sentences or not spans:
        return tuple(SentenceCheck(plain_text(text[s:e]), s, e, False, 0.0, None)
                     for s, e in sentences)
    plain = [plain_text(text[s:e]) for s, e in sentences]
    vectors = encoder.encode([*plain, *(plain_text(span.text) for span in spans)])
    similarity = vectors[:len(plain)] @ vectors[len(plain):].T
    checks = []
    for row, (sentence, (start, end)) in enumerate(zip(plain, sentences, strict=True)):
        order = [int(i) for i in np.argsort(-similarity[row], kind="stable")]
        best = order[0]
        quote_span, missing = spans[best], missing_facts(sentence, spans[best].text, question)
        for index in order:
            found = _covering(spans, index, sentence, question)
            if found is not None:
                best, quote_span, missing = index, found, ()
                break
        score = round(float(similarity[row, best]), 4)  # As stored: one verdict for both
        quote = quote_span.quote()
        anchored = not missing and bool(own_numbers(sentence, question))
        checks.append(SentenceCheck(sentence, start, end,
                                    is_supported(score, missing, threshold, anchored), score,
                                    quote, missing, anchored))
    return tuple(checks)


@dataclass(frozen=True)
class Closest:
    """The source sentence most like the question, shown when the model found no answer in
    close passages: a small model declines answers that are there (docs/answer-quality.md),
    and this sentence lets the reader judge in one glance instead of opening every source."""

    quote: Quote
    similarity: float

    def to_json(self) -> dict[str, object]:
        return {**self.quote.to_json(), "similarity": self.similarity}

    @classmethod
    def from_json(cls, raw: object) -> Closest | None:
        if not isinstance(raw, Mapping):
            return None
        quote = Quote.from_json(raw)
        similarity = raw.get("similarity")
        if quote is None or not isinstance(similarity, (int, float)):
            return None
        return cls(quote, float(similarity))


def closest_sentence(encoder: Encoder, question: str, sources: Sequence[Source],
                     floor: float) -> Closest | None:
    """The sentence of `sources` most similar to `question`; None below `floor`.

    A heading or a label of fewer than `CLOSEST_MIN_WORDS` words is passed over: it echoes
    the question's topic ("# Super Bowl 50") without stating anything.
    """
    spans = [span for source in sources
             for start, end in source_sentences(source.passage.text)
             if len(_WORD.findall((span := _Span(source, start, end)).text))
             >= CLOSEST_MIN_WORDS]
    if not spans:
        return None
    vectors = encoder.encode([question, *(plain_text(span.text) for span in spans)])
    similarity = vectors[1:] @ vectors[0]
    best = int(np.argmax(similarity))
    score = round(float(similarity[best]), 4)
    return Closest(spans[best].quote(), score) if score >= floor else None


def _covering(spans: Sequence[_Span], index: int, sentence: str,
              question: str) -> _Span | None:
    """Span `index`, or it joined with a neighbour of the same passage, if that holds every
    number and name of `sentence`."""
    span = spans[index]
    if not missing_facts(sentence, span.text, question):
        return span
    for other in (index + 1, index - 1):
        if 0 <= other < len(spans) and spans[other].source is span.source:
            joined = _Span(span.source, min(span.start, spans[other].start),
                           max(span.end, spans[other].end))
            if not missing_facts(sentence, joined.text, question):
                return joined
    return None


def plain_text(text: str) -> str:
    """What is embedded and shown: no markers, no emphasis marks, one line."""
    return " ".join(_EMPHASIS.sub("", strip_markers(text)).split())


def _add_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    left = len(piece) - len(piece.lstrip())
    right = len(piece.rstrip())
    if right > left:
        spans.append((start + left, start + right))


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"not an integer: {value!r}")
    return int(value)
