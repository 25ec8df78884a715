"""Answer exact match and F1 with the normalisation of the official SQuAD v1.1 script."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower case, drop punctuation and the articles a/an/the, collapse whitespace."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals any normalised gold answer."""
    return max((float(normalize_answer(prediction) == normalize_answer(g)) for g in gold),
               default=0.0)


def f1_score(prediction: str, gold: Sequence[str]) -> float:
    """The best token-overlap F1 between the prediction and any gold answer."""
    return max((_f1(prediction, g) for g in gold), default=0.0)


def _f1(prediction: str, gold: str) -> float:
    predicted = normalize_answer(prediction).split()
    expected = normalize_answer(gold).split()
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def contains_answer(text: str, gold: Sequence[str]) -> float:
    """1.0 when any normalised gold answer occurs in the normalised text as whole words."""
    padded = f" {normalize_answer(text)} "
    return max((float(f" {normalize_answer(g)} " in padded) for g in gold
                if normalize_answer(g)), default=0.0)
