"""The question's own filters: an entity and a period it names that documents' metadata match.

"What was Dunmore Foods' revenue in FY2021?" names a company and a fiscal year; among five
near-identical reports of Dunmore Foods, only one is about 2021, and the passage with the
revenue table names neither. Retrieval prefers the documents the question names
(`Library.search`), and the filter travels with the results so a front end can say
"searching Dunmore Foods, fiscal 2021" and let the user search everything instead.

Entities are the documents' own titles (their first part: "Dunmore Foods" of "Dunmore Foods
— Annual Report 2021"), so nothing is guessed beyond what the library states.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from documents.metadata import find_period, find_year

#: An entity shorter than this is too likely to be a word of an unrelated question.
_MIN_ENTITY = 3


@dataclass(frozen=True)
class DocumentFacts:
    """What the filter needs of a document: its path, title, period label and size."""

    path: Path
    title: str | None
    period: str | None
    chunks: int = 0


@dataclass(frozen=True)
class QueryFilter:
    """The documents a question names, and how to say so to the user."""

    entities: tuple[str, ...]
    period: str | None
    documents: frozenset[Path]
    #: Chunks in those documents (what searching them exactly costs).
    chunks: int = 0

    @property
    def label(self) -> str:
        """For the user: "searching Dunmore Foods, fiscal 2021"."""
        return "searching " + ", ".join([*self.entities, *([self.period] if self.period else [])])


def entity_of(title: str | None) -> str | None:
    """The entity a title names: its first part, before a dash, colon or bar."""
    if not title:
        return None
    head = re.split(r"\s+[—–|:-]\s+|:\s", title, maxsplit=1)[0].strip()
    return head if len(head) >= _MIN_ENTITY else None


def _year(label: str | None) -> int | None:
    found = re.search(r"(?:19|20)\d{2}", label or "")
    return int(found[0]) if found else None


def _mentions(question: str, entity: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(entity) + r"(?!\w)", question,
                     re.IGNORECASE) is not None


def find_filter(question: str, documents: Sequence[DocumentFacts]) -> QueryFilter | None:
    """The filter `question` implies over `documents`, or None when it names nothing that
    singles out part of the library (no match, or every document matches)."""
    entities = sorted({e for d in documents if (e := entity_of(d.title))}, key=len, reverse=True)
    named = [e for e in entities if _mentions(question, e)]
    # A longer entity that contains a shorter one ("Northwind Energy" vs "Northwind") wins.
    named = [e for e in named if not any(e != o and e.lower() in o.lower() for o in named)]
    # A stated period ("FY2022", "Q2 2024", "fiscal 2021") filters alone; a lone year only
    # with a named entity: "what happened in 1998?" is no request for 1998's documents
    # (on docqa-xquad, year-only filters cost 0.009 passage hit@5).
    period = find_period(question) or (find_year(question) if named else None)
    if not named and period is None:
        return None
    chosen = [d for d in documents
              if (not named or entity_of(d.title) in named)
              and (period is None or _year(d.period) == period.year)]
    if not chosen and named:  # The named entity's documents state no period: keep them all.
        chosen = [d for d in documents if entity_of(d.title) in named]
    if not chosen or len(chosen) == len(documents):
        return None
    shown_period = period.label if period is not None and any(
        _year(d.period) == period.year for d in chosen) else None
    return QueryFilter(tuple(named), shown_period, frozenset(d.path for d in chosen),
                       sum(d.chunks for d in chosen))
