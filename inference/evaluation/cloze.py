"""Questions made from the user's own library, scored with no model acting as judge.

Passages are sampled across the files (one file after another, so a long file cannot fill
the set); in one sentence of each, a date, a number or a name is hidden, and the question
asks for it. The hidden words are the expected answer, and the file, page and chunk the
sentence came from are recorded with the question, so every score can be checked by hand.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from documents.errors import InvalidInputError
from documents.library import Library

BLANK = "_____"

_MONTHS = ("January|February|March|April|May|June|July|August|September|October|"
           "November|December")
#: Tried in this order: a date says most about reading, a name least.
_TARGETS = (
    ("date", re.compile(rf"\b(?:\d{{1,2}} (?:{_MONTHS})(?: \d{{4}})?|(?:{_MONTHS}) "
                        rf"\d{{1,2}}(?:, \d{{4}})?|(?:{_MONTHS}) \d{{4}}|(?:1[5-9]|20)\d\d)\b")),
    ("number", re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?: (?:million|billion|thousand|"
                          r"percent|%))?(?![\w])")),
    ("name", re.compile(r"(?<=[a-z,;] )(?:[A-Z][a-z]+(?: (?:of |de |van )?[A-Z][a-z]+)+)")),
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_MIN_WORDS, _MAX_WORDS = 8, 45


@dataclass(frozen=True)
class ComparisonQuestion:
    """A question with its expected answers and where it came from (for a cloze question:
    file, page, chunk id and the sentence; for a question from a file: that file and line)."""

    id: str
    question: str
    answers: tuple[str, ...]
    kind: str
    source: dict[str, object]

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["answers"] = list(self.answers)
        return data


def load_question_file(path: Path) -> list[ComparisonQuestion]:
    """One question per line, optionally a tab and the expected answer (`|` between
    several); blank lines and lines starting with `#` are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"{path}: cannot read the questions ({error})") from error
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        text, _, expected = line.partition("\t")
        answers = tuple(a.strip() for a in expected.split("|") if a.strip())
        questions.append(ComparisonQuestion(f"q{number}", text.strip(), answers, "file",
                                            {"file": str(path), "line": number}))
    if not questions:
        raise InvalidInputError(f"{path}: no questions in it (one question per line)")
    return questions


def cloze_from_sentence(sentence: str) -> tuple[str, str, str] | None:
    """(kind, the sentence with the hidden words blanked, the hidden words), or None when
    the sentence has no date, number or name to hide, or is too short or too long."""
    words = len(sentence.split())
    if not _MIN_WORDS <= words <= _MAX_WORDS:
        return None
    for kind, pattern in _TARGETS:
        for match in pattern.finditer(sentence):
            hidden = match.group(0).strip()
            # Not the sentence's first word (nothing to read it from), not a lone digit, and
            # not there twice: the other one would give the answer away.
            if match.start() > 0 and len(hidden) > 1 and sentence.count(hidden) == 1:
                return kind, sentence.replace(hidden, BLANK, 1), hidden
    return None


def cloze_question(blanked: str, kind: str) -> str:
    """Asked so that the answer's first words are the hidden ones (the lead is scored)."""
    return f'Which {kind} fills the blank in "{blanked}"? Answer with the {kind} only.'



def generate_cloze_questions(library: Library, count: int,
                             seed: int = 0) -> list[ComparisonQuestion]:
    """`count` cloze questions from passages sampled across the library's files.

    Raises InvalidInputError when the library holds too little text to make them.
    """
    if count <= 0:
        raise InvalidInputError("ask for at least one generated question")
    chunk_ids = [chunk_id for chunk_id, _ in library.store.chunk_texts()]
    by_file: dict[Path, list[int]] = defaultdict(list)
    for chunk_id, path in library.store.chunk_documents(chunk_ids).items():
        by_file[path].append(chunk_id)
    rng = random.Random(seed)
    files = sorted(by_file)
    rng.shuffle(files)
    for ids in by_file.values():
        ids.sort()
        rng.shuffle(ids)
    questions: list[ComparisonQuestion] = []
    while len(questions) < count and any(by_file[f] for f in files):
        for path in files:
            if len(questions) >= count:
                break
            if not by_file[path]:
                continue
            chunk = library.store.chunks([by_file[path].pop()])
            record = next(iter(chunk.values()), None)
            if record is None:
                continue
            prose = " ".join(line for line in record.text.splitlines()
                             if not line.lstrip().startswith(("#", "|", "-", "*")))
            sentences = [s.strip() for s in _SENTENCE_END.split(" ".join(prose.split()))]
            rng.shuffle(sentences)
            for sentence in sentences:
                made = cloze_from_sentence(sentence)
                if made is None:
                    continue
                kind, blanked, hidden = made
                questions.append(ComparisonQuestion(
                    f"cloze{len(questions) + 1}", cloze_question(blanked, kind), (hidden,),
                    f"cloze-{kind}",
                    {"file": str(record.document_path), "page": record.page,
                     "chunk_id": record.id, "sentence": sentence}))
                break
    if not questions:
        raise InvalidInputError(f"{library.data_dir}: the library has no sentence with a "
                                "date, number or name to ask about; add documents first")
    return questions
