"""Verified quotes: sentence splitting, numbers and names, the real embedder's matches, and
the check carried by a real answer into `ask --json` and the conversation store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from documents.embedder import Embedder
from documents.errors import InvalidInputError
from documents.library import Library
from documents.retrieval import Passage
from inference.answer import AnswerFinished, AnswerSettings, Assistant
from inference.answer_text import lead, strip_markers
from inference.catalog import SMOLLM2_135M
from inference.conversations import ConversationStore
from inference.engine import ChatModel
from inference.evaluation.quotes import evaluate_quotes, group_of
from inference.prompt import Source
from inference.quote_check import (
    Closest,
    answer_sentences,
    check_answer,
    checks_from_json,
    closest_sentence,
    facts,
    is_supported,
    missing_facts,
    plain_text,
    source_sentences,
)
from inference.settings import Settings
from inference.workspace import Workspace
from tests.conftest import _require

PASSAGE = (
    "# Super Bowl 50\n"
    "The Broncos defeated the Carolina Panthers 24-10 to earn their third Super Bowl\n"
    "title. The game was played on February 7, 2016, at Levi's Stadium in Santa Clara.\n\n"
    "| Team | Points |\n| Denver | 24 |\n"
    "- Peyton Manning became the oldest quarterback to win. Von Miller was named MVP."
)


def source(number: int, text: str = PASSAGE, chunk_id: int = 7) -> Source:
    return Source(number, Passage(chunk_id, Path("/docs/sb50.md"), "sb50.md", None, 100,
                                  100 + len(text), text, 1.0, 0.6))


def spans(text: str, found: list[tuple[int, int]]) -> list[str]:
    return [text[start:end] for start, end in found]


def test_answer_sentences_keep_markers_with_their_sentence_and_skip_list_marks() -> None:
    text = ("Lady Gaga sang it [1]. She was joined by the U.S. Army. [2] Then it ended.\n"
            "- **Paris** has 2.1 million people.\n\n## Notes")
    assert spans(text, answer_sentences(text)) == [
        "Lady Gaga sang it [1].", "She was joined by the U.S. Army. [2]", "Then it ended.",
        "**Paris** has 2.1 million people.", "Notes"]
    assert lead(text) == strip_markers(spans(text, answer_sentences(text))[0])


def test_source_sentences_split_blocks_and_join_hard_wrapped_lines() -> None:
    assert spans(PASSAGE, source_sentences(PASSAGE)) == [
        "# Super Bowl 50",
        "The Broncos defeated the Carolina Panthers 24-10 to earn their third Super Bowl\n"
        "title.",
        "The game was played on February 7, 2016, at Levi's Stadium in Santa Clara.",
        "| Team | Points |", "| Denver | 24 |",
        "- Peyton Manning became the oldest quarterback to win.", "Von Miller was named MVP."]


def test_numbers_and_names_of_a_sentence() -> None:
    assert facts("The Broncos won 24-10 before 1,000 fans [1].") == (
        {"24", "10", "1000"}, {"Broncos"})
    assert facts("Kawann Short led the team.") == (set(), {"Kawann", "Short"})
    assert facts("In Denver's stadium, I sat.") == (set(), {"Denver"})
    span = "Short had 11 sacks for the panthers in 2015."
    assert missing_facts("Kawann Short led the Panthers with 11 sacks.", span) == ("Kawann",)
    assert missing_facts("Short led with 12 sacks.", span) == ("12",)
    assert missing_facts("In 2015, the Panthers' Kawann Short led.", span,
                         "Who was Kawann's team?") == ()
    assert is_supported(0.9, (), 0.6) and not is_supported(0.9, ("12",), 0.6)
    assert not is_supported(0.5, (), 0.6)


def test_the_threshold_is_validated() -> None:
    with pytest.raises(InvalidInputError):
        AnswerSettings(quote_similarity=1.5)


def test_a_copied_sentence_is_supported_and_an_invented_number_flagged(
        embedder: Embedder) -> None:
    answer = ("The game was played on February 7, 2016, at Levi's Stadium [1]. "
              "The Broncos beat the Panthers 31-10.")
    other = source(2, "Warsaw is the capital of Poland. It has 1.7 million people.", 9)
    first, second = check_answer(embedder, answer, [other, source(1)], 0.6)
    assert first.supported and first.score > 0.9 and not first.missing
    assert first.sentence == "The game was played on February 7, 2016, at Levi's Stadium."
    assert answer[first.start:first.end].startswith("The game") and \
        answer[first.start:first.end].endswith("[1].")
    assert first.quote is not None and first.quote.source == 1 and first.quote.chunk_id == 7
    assert PASSAGE[first.quote.start:first.quote.end] == first.quote.text == (
        "The game was played on February 7, 2016, at Levi's Stadium in Santa Clara.")
    assert not second.supported and "31" in second.missing
    assert second.quote is not None and "Broncos" in second.quote.text
    assert checks_from_json([c.to_json() for c in (first, second)]) == (first, second)


def test_a_fact_spread_over_two_sentences_is_quoted_with_both(embedder: Embedder) -> None:
    (check,) = check_answer(embedder, "Von Miller, not Peyton Manning, was named MVP.",
                            [source(1)], 0.5)
    assert check.supported and check.quote is not None
    assert check.quote.text == ("- Peyton Manning became the oldest quarterback to win. "
                                "Von Miller was named MVP.")


@pytest.fixture(scope="module")
def tiny_model() -> Iterator[ChatModel]:
    model = ChatModel(_require(SMOLLM2_135M.file_name, "the tiny chat model"),
                      context_tokens=4096)
    model.load()
    yield model
    model.close()


@pytest.mark.slow
def test_a_real_answer_carries_its_check_into_json_and_the_store(
        tmp_path: Path, embedder: Embedder, tiny_model: ChatModel, docs_dir: Path) -> None:
    library = Library(tmp_path / "data", embedder)
    try:
        library.add([docs_dir])
        events = list(Assistant(library, tiny_model).answer(
            "How many points did the Panthers defense surrender?"))
    finally:
        library.close()
    answer = next(e.answer for e in events if isinstance(e, AnswerFinished))
    assert answer.covered and answer.check, answer.text
    passages = {c.passage.chunk_id: c.passage for c in answer.citations}
    for check in answer.check:
        assert plain_text(answer.text[check.start:check.end]) == check.sentence
        assert check.quote is not None
        assert passages[check.quote.chunk_id].text[check.quote.start:check.quote.end] == \
            check.quote.text
        assert check.supported == is_supported(check.score, check.missing,
                                               AnswerSettings().quote_similarity,
                                               check.anchored)
    shown = answer.to_json()["check"]
    assert isinstance(shown, list) and len(shown) == len(answer.check)
    assert set(shown[0]) >= {"sentence", "supported", "score", "quote"}
    assert set(shown[0]["quote"]) >= {"source", "file", "page", "text", "start", "end"}

    store = ConversationStore(tmp_path / "store")
    try:
        conversation = store.create().id
        store.add_message(conversation, "user", answer.question)
        store.add_message(conversation, "assistant", answer.text, answer.sent,
                          answer.to_json())
        store.add_message(conversation, "assistant", "older", "sent", {"citations": []})
        stored, older = store.messages(conversation)[1:]
    finally:
        store.close()
    assert checks_from_json(stored.details.get("check")) == answer.check
    assert checks_from_json(older.details.get("check")) == (), "stored before the check"


def test_eval_quotes_recovers_the_sources_and_scores_the_flag(tmp_path: Path,
                                                              docs_dir: Path) -> None:
    workspace = Workspace(tmp_path / "data", Settings())
    workspace.unlock(opt_out=True)
    try:
        workspace.library.add([docs_dir])
        question = "How many points did the Panthers defense surrender?"
        found = workspace.library.search(question, 4)
        recorded = [[n, p.document_name, False, round(p.similarity, 4)]
                    for n, p in enumerate(found, 1)]
        copied = source_sentences(found[0].text)[-1]
        base = {"question": question, "answerable": True, "declined": False,
                "sources": recorded}
        records = [
            {**base, "answer": found[0].text[copied[0]:copied[1]], "contains": 1.0},
            {**base, "answer": "The Panthers defense surrendered 1,234,567 points.",
             "contains": 0.0},
            {**base, "answer": "The documents do not cover this.", "contains": 0.0,
             "declined": True},
            {**base, "answer": "Unknown.", "contains": 0.0,
             "sources": [[1, "Nowhere.md", False, 0.5]]},
        ]
        result = evaluate_quotes(workspace, records, thresholds=(0.5,))
    finally:
        workspace.close()
    assert result.checked == {"correct": 1, "wrong": 1, "unanswerable": 0}
    assert result.sources_mismatched == 1, "a record whose source is not found is skipped"
    (row,) = result.rows
    assert row["sentence_flagged_correct"] == 0.0 and row["sentence_flagged_wrong"] == 1.0
    assert row["answer_precision"] == 1.0 and row["answer_recall"] == 1.0
    assert group_of({**base, "answerable": False, "answer": "x", "contains": 0}) == \
        "unanswerable"


TABLE = ("Financial Highlights\nIn millions of US dollars, except per-share amounts.\n"
         "2019 2018\nRevenue 7,724.3 1,835.8\nOperating income 696.7 131.8\n"
         "Net income 311.8 533.6\n")


def test_a_figure_read_off_a_table_is_supported_by_its_number(embedder: Embedder) -> None:
    """A table row reads little like a sentence quoting it; the exact figure is the evidence,
    so an anchored sentence passes a little below the threshold, and a wrong figure never."""
    question = "What was the revenue of Aldercrest Holdings in fiscal year 2019?"
    table = source(1, TABLE)
    (right,) = check_answer(embedder, "The revenue of Aldercrest Holdings in fiscal year "
                            "2019 was 7,724.3 million US dollars.", [table], 0.55, question)
    assert right.anchored and right.supported and right.score < 0.55
    assert right.quote is not None and "7,724.3" in right.quote.text
    (wrong,) = check_answer(embedder, "The revenue of Aldercrest Holdings in fiscal year "
                            "2019 was 7,999.0 million US dollars.", [table], 0.55, question)
    assert not wrong.anchored and not wrong.supported and "7999.0" in wrong.missing
    assert not is_supported(right.score, (), 0.55)  # Without the anchor it would fail.


def test_the_closest_sentence_to_a_declined_question(embedder: Embedder) -> None:
    """Shown under a decline over close passages: the sentence most like the question, with
    where it is; nothing when no sentence is close enough."""
    other = source(2, "Warsaw is the capital of Poland. It has 1.7 million people.", 9)
    found = closest_sentence(embedder, "Who was named MVP of Super Bowl 50?",
                             [other, source(1)], 0.5)
    assert found is not None and found.similarity >= 0.5
    assert found.quote.source == 1 and found.quote.chunk_id == 7
    assert "Von Miller was named MVP." in found.quote.text
    assert PASSAGE[found.quote.start:found.quote.end] == found.quote.text
    assert Closest.from_json(found.to_json()) == found
    assert closest_sentence(embedder, "How do I bake sourdough bread?", [other, source(1)],
                            0.5) is None
    assert closest_sentence(embedder, "Anything?", [], 0.5) is None
