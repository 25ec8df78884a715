"""What an answer's text says: its lead, its citation markers, and whether it declines.

The assistant uses these to clean what the user reads and to recognise a decline; the
evals score with the same definitions.

The project's rule for answers is "lead with the answer in a few words, then its support".
So exact match and token F1 are computed on the *lead* (the first sentence of the first
line, citation markers removed) and "contains the gold answer" on the whole text; answers
are never trimmed or padded otherwise, so no number can be moved by cleaning the text up.

These functions read plain text only, so they are unit-tested without a model.
"""

from __future__ import annotations

import re
from collections.abc import Collection

#: A citation marker as the prompt asks for it: [1], or several numbers as [1, 2] / [1; 3].
MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_MARKER_WITH_SPACE = re.compile(r"\s*" + MARKER.pattern)
_MARKER_WITH_INLINE_SPACE = re.compile(r"[ \t]*" + MARKER.pattern)
#: A sentence ends at . ! or ? (closing quotes/brackets may follow) before whitespace and
#: a capital letter, a digit or an opening quote: "3.5", "e.g. the" and "1,000." stay whole.
_SENTENCE_END = re.compile(r"[.!?](?=[\"'\u201d\u2019)\]]*\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "no", "mt", "ft", "inc", "co", "ltd",
    "gen", "gov", "sen", "rev", "prof", "col", "lt", "capt", "approx", "ca", "c", "etc",
})

#: The model's own ways of saying the sources do not answer the question, as the system
#: prompt asks it to ("say that the documents do not cover it") and as small instruct
#: models phrase it. Matched on the lead only, so an answer that gives the answer and then
#: notes a detail the sources lack is not a decline.
_DECLINE_PATTERNS = (
    r"\b(?:do|does|did)(?:\s+not|n't)\s+(?:seem\s+to\s+|appear\s+to\s+)?"
    r"(?:cover|contain|mention|provide|include|say|discuss|address|specify|state|give"
    r"|answer|have)\b",
    r"\b(?:is|are|was|were)(?:\s+not|n't)\s+(?:covered|mentioned|provided|specified|stated"
    r"|given|included|available|found|addressed|discussed)\b",
    r"\bnot\s+(?:covered|mentioned|specified|stated)\s+in\b",
    r"\bno\s+(?:information|mention|details?|data|answer|relevant)\b",
    r"\b(?:cannot|can\s*not|can't|unable\s+to|not\s+able\s+to)\s+"
    r"(?:answer|find|determine|tell|say|provide|be\s+answered|be\s+determined)\b",
    r"\bi\s+(?:do\s+not|don't)\s+know\b",
    r"\bwon't\s+guess\b",
)
_DECLINE = re.compile("|".join(f"(?:{p})" for p in _DECLINE_PATTERNS), re.IGNORECASE)


def strip_markers(text: str) -> str:
    """The text without its citation markers (and the space before each)."""
    return _MARKER_WITH_SPACE.sub("", text)


def lead(text: str) -> str:
    """The answer's lead: the first sentence of its first non-empty line, markers removed.

    "Lady Gaga sang it [1]. She was joined by ..." leads with "Lady Gaga sang it.". A dot
    after a common abbreviation or a single letter ("U.S.", "Dr.", "J. Smith") does not end
    the sentence.
    """
    line = next((part.strip() for part in strip_markers(text).splitlines() if part.strip()),
                "")
    ends = sentence_ends(line)
    return line[:ends[0]] if ends else line


def sentence_ends(line: str) -> list[int]:
    """Where each sentence of one line ends (just after its . ! or ?), but the last.

    A dot after a common abbreviation or a single letter ("U.S.", "Dr.", "J. Smith") does
    not end the sentence. The text after the last end is the line's last sentence.
    """
    ends = []
    for match in _SENTENCE_END.finditer(line):
        words = line[:match.start()].split()
        word = words[-1].strip("\"'(\u201c\u2018").lower() if words else ""
        if match.group() == "." and (len(word) <= 1 or "." in word or word in _ABBREVIATIONS):
            continue
        ends.append(match.end())
    return ends


def marker_numbers(text: str) -> list[int]:
    """Every source number the text's markers name, in order, repeats included."""
    return [int(part) for match in MARKER.finditer(text)
            for part in re.split(r"[,;]", match.group(1))]


def markers_valid(text: str, given: Collection[int]) -> bool | None:
    """Whether every marker in `text` names a source in `given`; None when it has none.

    `given` holds the numbers of the sources the model was shown in the conversation, so
    this measures what the model wrote, not a citation list already filtered to them.
    """
    numbers = marker_numbers(text)
    if not numbers:
        return None
    return all(number in given for number in numbers)


def says_not_covered(text: str) -> bool:
    """The lead of `text` says the documents do not answer the question."""
    return bool(_DECLINE.search(lead(text).replace("\u2019", "'")))


def remove_unknown_markers(text: str, available: Collection[int]) -> str:
    """`text` without the marker numbers that name no source given to the model.

    "[1, 7]" keeps "[1]" when only 1 was given; a marker left empty goes with its spaces.
    """
    def keep(match: re.Match[str]) -> str:
        numbers = [part.strip() for part in re.split(r"[,;]", match.group(1))]
        known = [n for n in numbers if int(n) in available]
        if not known:
            return ""
        prefix = match.group(0)[:match.start(1) - match.start(0) - 1]
        return f"{prefix}[{', '.join(known)}]"

    return _MARKER_WITH_INLINE_SPACE.sub(keep, text)
