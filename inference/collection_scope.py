"""Which files a question is asked of, and when a question wants the whole collection.

Retrieval hands the model the few passages nearest a question; "which reports mention a
recall?" needs every file looked at. `whole_collection_kind` is the documented rule that
picks the whole-collection mode by itself: a question is taken to span documents when it
names documents as the things to list, count, summarise or compare. The rule (tested with
tables of questions in tests/test_collection_scope.py):

* list: "which (of these|of the) documents/files/articles/reports/… …", "list … in/across
  all/each/every …", "… in all (of) these/the documents …";
* count: "how many (of these) documents/files/… …";
* summary: "summarise/summarize each/every/all …", "a summary of each …";
* compare: "compare … across/between/among …", or "compare …" naming documents.

A question naming no document noun ("which river flows through Warsaw?", "how many people
live there?") stays a normal question: a false switch costs one model call per file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from documents.errors import InvalidInputError
from documents.retrieval import query_words

_NOUN = (r"(?:documents?|files?|articles?|reports?|papers?|contracts?|offers?|letters?|"
         r"invoices?|pdfs?|texts?|sources?|notes?|agreements?|policies|policy)")
_THESE = r"(?:(?:of\s+)?(?:these|those|the|my|our|your|all(?:\s+(?:of\s+)?(?:the|these|my))?)\s+)"
_QUANT = r"(?:all|each|every|any)"
_VERB = (r"(?:mentions?|mentioning|discuss(?:es)?|talks?\s+about|refers?\s+to|contains?|"
         r"covers?|says?\s+(?:anything\s+)?about|(?:is|are)\s+about|deals?\s+with|describes?|"
         r"includes?|names?|cites?|have|has)")


class QuestionKind(StrEnum):
    """What the combined answer looks like: one item per file, a number, or a part per file."""

    LIST = "list"
    COUNT = "count"
    SUMMARY = "summary"
    COMPARE = "compare"
    #: The user chose the whole collection for a question the rule does not recognise.
    OTHER = "other"


_RULES: list[tuple[QuestionKind, re.Pattern[str]]] = [
    (QuestionKind.COUNT, re.compile(rf"\bhow\s+many\s+{_THESE}?{_NOUN}\b", re.I)),
    (QuestionKind.SUMMARY, re.compile(
        rf"\bsummar(?:i[sz]e|y\s+of|ies\s+of)\s+(?:{_QUANT}\b|{_THESE}?{_NOUN}\b)", re.I)),
    (QuestionKind.COMPARE, re.compile(
        rf"\bcompare\b.*\b(?:across|between|among)\b|\bcompare\b.*\b{_NOUN}\b", re.I)),
    (QuestionKind.LIST, re.compile(rf"\b(?:which|what)\s+{_THESE}?{_NOUN}\b", re.I)),
    (QuestionKind.LIST, re.compile(
        rf"\blist\b.*\b(?:in|across|from|of)\s+{_QUANT}\b", re.I)),
    (QuestionKind.LIST, re.compile(
        rf"\b(?:in|across)\s+{_QUANT}\s+(?:of\s+)?(?:these|the|my)?\s*{_NOUN}\b", re.I)),
]

#: "Which articles mention a war?" -> "a war": the topic a file is searched for.
_FOCUS = [
    re.compile(rf"^\s*(?:which|what|how\s+many)\s+{_THESE}?{_NOUN}\s+(?:(?:do|does)\s+)?"
               rf"{_VERB}\s+(?P<focus>.+?)\s*[?.!]*\s*$", re.I),
    re.compile(rf"^\s*list\s+(?P<focus>.+?)\s+(?:in|across|from|of)\s+{_QUANT}\b.*$", re.I),
    re.compile(rf"^\s*(?:compare|summari[sz]e)\s+(?P<focus>.+?)\s+(?:in|across|between|among|"
               rf"of)\s+(?:{_QUANT}|{_THESE}).*$", re.I),
]


def whole_collection_kind(question: str) -> QuestionKind | None:
    """The kind of a question that asks across documents, or None for a normal question."""
    for kind, pattern in _RULES:
        if pattern.search(question):
            return kind
    return None


def question_kind(question: str) -> QuestionKind:
    """The kind of `question` asked of the whole collection (OTHER when no rule matches)."""
    return whole_collection_kind(question) or QuestionKind.OTHER


_MENTION = re.compile(r"\b(?:mention(?:s|ed|ing)?|refers?\s+to|cites?)\b", re.I)


def asks_for_mentions(question: str, kind: QuestionKind) -> bool:
    """Whether a list or count asks where its topic is mentioned ("which articles mention
    the Normans?"), so a sentence that names it answers for its file."""
    return kind in (QuestionKind.LIST, QuestionKind.COUNT) and bool(_MENTION.search(question))


def focus(question: str) -> str:
    """What each file is searched for: the question less its framing across documents."""
    for pattern in _FOCUS:
        match = pattern.match(question)
        if match and query_words(match.group("focus")):
            return match.group("focus").strip()
    return question.strip()


def topic_words(question: str) -> list[str]:
    """The words of the focus a file must contain to count as mentioning it literally."""
    return query_words(focus(question))


class ScopeError(InvalidInputError):
    """A scope the user gave that cannot be used; the message says why in plain words."""


@dataclass(frozen=True)
class Scope:
    """The files a whole-collection question covers: all of them, the ones named, or the
    documents of a named collection (documents/collections.py)."""

    files: tuple[Path, ...] = ()
    collection: str | None = None

    @property
    def everything(self) -> bool:
        return not self.files and self.collection is None

    def describe(self) -> str:
        if self.collection is not None:
            return "collection"
        return "all" if self.everything else "files"


def parse_scope(words: Sequence[str]) -> Scope:
    """`--scope all`, `--scope files A B …` or `--scope collection NAME` as a `Scope`.

    A collection's name may have spaces, given as one argument or several; whether it
    exists is for the library to say when the question is asked.
    """
    if not words:
        raise ScopeError("--scope needs a value: all, files FILE…, or collection NAME")
    head, rest = words[0].lower(), list(words[1:])
    if head == "all" and not rest:
        return Scope()
    if head == "files" and rest:
        return Scope(tuple(Path(word).expanduser().resolve() for word in rest))
    if head == "collection" and rest:
        return Scope(collection=" ".join(rest))
    raise ScopeError(f"--scope {' '.join(words)}: not understood; use all, files FILE…, "
                     "or collection NAME")
