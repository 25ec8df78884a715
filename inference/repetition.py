"""Spot the loops small models fall into, so an answer stops instead of repeating itself.

A repeat penalty makes loops rarer but not impossible (it also penalises the words an answer
must copy from its sources, so it stays mild). Two shapes are caught as the text grows:

- a short unit repeated back to back ("1. 1. 1. 1."), at least `MIN_REPEATS` times;
- a whole sentence or line the answer already said, word for word.

The caller cuts the answer where the loop began: the user reads each thing once.
"""

from __future__ import annotations

import re
from itertools import pairwise

#: A unit shorter than this many characters must repeat `MIN_REPEATS` times to count...
SHORT_UNIT = 40
MIN_REPEATS = 4
#: ...a longer one (a sentence, a list item) twice.
LONG_REPEATS = 2
MAX_UNIT = 400
#: A repeated sentence must be at least this long: "Yes." twice is no loop.
MIN_SENTENCE = 24

_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n+")


def loop_start(text: str) -> int | None:
    """Where the repetition at the end of `text` begins (keep `text[:index]`), else None."""
    periodic = _periodic_tail(text)
    if periodic is not None:
        return periodic
    return _repeated_sentence(text)


def _periodic_tail(text: str) -> int | None:
    """Start of the second copy when `text` ends in one unit repeated back to back."""
    length = len(text)
    for unit in range(2, min(MAX_UNIT, length // LONG_REPEATS) + 1):
        repeats = MIN_REPEATS if unit < SHORT_UNIT else LONG_REPEATS
        if unit * repeats > length:
            break
        tail = text[length - unit:]
        if not any(char.isalnum() for char in tail):
            continue  # Rules, table borders, spaces: layout, not loops.
        if all(text[length - unit * (k + 1):length - unit * k] == tail
               for k in range(1, repeats)):
            start = length - unit * repeats
            while start >= unit and text[start - unit:start] == tail:
                start -= unit
            return start + unit
    return None


def _repeated_sentence(text: str) -> int | None:
    """Start of the last complete sentence when the answer already said it."""
    bounds = [0, *(m.end() for m in _SENTENCE_END.finditer(text))]
    if len(bounds) < 3:
        return None
    last_start, last_end = bounds[-2], bounds[-1]
    last = _normalise(text[last_start:last_end])
    if len(last) < MIN_SENTENCE:
        return None
    earlier = {_normalise(text[a:b]) for a, b in pairwise(bounds[:-1])}
    return last_start if last in earlier else None


def _normalise(sentence: str) -> str:
    return " ".join(sentence.split()).lower()
