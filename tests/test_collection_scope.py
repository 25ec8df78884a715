"""The rule that sends a question to every file, the topic each file is searched for, and
the `--scope` values (inference/collection_scope.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference.collection_scope import (
    QuestionKind,
    Scope,
    ScopeError,
    asks_for_mentions,
    focus,
    parse_scope,
    topic_words,
    whole_collection_kind,
)

ACROSS_DOCUMENTS = [
    ("Which articles mention a war?", QuestionKind.LIST),
    ("Which of these reports mention a recall?", QuestionKind.LIST),
    ("which documents discuss oxygen", QuestionKind.LIST),
    ("What files talk about Warsaw?", QuestionKind.LIST),
    ("List the termination clauses in all these contracts", QuestionKind.LIST),
    ("list the dates across every file", QuestionKind.LIST),
    ("What do the fees look like in all of the offers?", QuestionKind.LIST),
    ("Summarise each file in this folder", QuestionKind.SUMMARY),
    ("Summarize every document", QuestionKind.SUMMARY),
    ("Give me a summary of each report", QuestionKind.SUMMARY),
    ("Compare the fees in the three offers", QuestionKind.COMPARE),
    ("Compare the population across the cities", QuestionKind.COMPARE),
    ("How many documents mention the Normans?", QuestionKind.COUNT),
    ("How many of these files are about climate?", QuestionKind.COUNT),
]

NORMAL_QUESTIONS = [
    "What does the travel policy say about taxis?",
    "Which river flows through Warsaw?",
    "What is the population of Warsaw?",
    "How many people live in Fresno?",
    "Which team won Super Bowl 50?",
    "Summarise the history of the Normans",
    "List the kings of Poland",
    "Compare oxygen and nitrogen",
    "Who wrote the report on the 1973 oil crisis?",
    "Tell me everything about the history of Warsaw.",
    "And its population?",
    "hi",
]


@pytest.mark.parametrize(("question", "kind"), ACROSS_DOCUMENTS)
def test_questions_across_documents_ask_every_file(question: str, kind: QuestionKind) -> None:
    assert whole_collection_kind(question) is kind


@pytest.mark.parametrize("question", NORMAL_QUESTIONS)
def test_other_questions_stay_normal(question: str) -> None:
    assert whole_collection_kind(question) is None


@pytest.mark.parametrize(("question", "topic"), [
    ("Which articles mention a war?", "a war"),
    ("How many documents mention the Normans?", "the Normans"),
    ("Which of these reports talk about a product recall?", "a product recall"),
    ("List the termination clauses in all these contracts", "the termination clauses"),
    ("Compare the fees in the three offers", "the fees"),
])
def test_each_file_is_searched_for_the_topic(question: str, topic: str) -> None:
    assert focus(question) == topic


def test_topic_words_leave_out_stopwords() -> None:
    assert topic_words("Which articles mention the Nobel Prize?") == ["nobel", "prize"]
    assert topic_words("Summarise each file") == ["summarise", "each", "file"]


@pytest.mark.parametrize(("question", "about_mentions"), [
    ("Which articles mention a war?", True),
    ("How many documents mention the Normans?", True),
    ("Which reports refer to a recall?", True),
    ("Which documents discuss oxygen?", False),  # What they say, not where it is named.
    ("Summarise each file that mentions Warsaw", False),
    ("Compare the fees mentioned in the three offers", False),
])
def test_a_question_about_mentions(question: str, about_mentions: bool) -> None:
    """Only lists and counts of mentions are answered by quoting, without the model."""
    kind = whole_collection_kind(question) or QuestionKind.OTHER
    assert asks_for_mentions(question, kind) is about_mentions


def test_scope_values() -> None:
    assert parse_scope(["all"]) == Scope()
    assert parse_scope(["ALL"]).everything
    files = parse_scope(["files", "a.md", "b.pdf"])
    assert [path.name for path in files.files] == ["a.md", "b.pdf"]
    assert all(path.is_absolute() for path in files.files)
    assert files.describe() == "files"
    named = parse_scope(["collection", "Client", "A"])
    assert named == Scope(collection="Client A") and not named.everything
    assert named.describe() == "collection"


@pytest.mark.parametrize(("words", "said"), [
    (["collection"], "not understood"),
    (["files"], "not understood"),
    (["everything"], "not understood"),
    ([], "needs a value"),
])
def test_unusable_scopes_are_refused_in_words(words: list[str], said: str) -> None:
    with pytest.raises(ScopeError, match=said):
        parse_scope(words)


def test_a_scope_of_files_keeps_their_order() -> None:
    scope = parse_scope(["files", "z.md", "a.md"])
    assert scope.files == (Path("z.md").resolve(), Path("a.md").resolve())


def test_a_count_gives_the_number_and_the_files() -> None:
    from inference.collection_answer import Coverage, FileAnswer, combine, renumber

    files = [Path(f"/d/{name}") for name in ("a.md", "b.md", "c.md")]
    parts = [FileAnswer(files[0], "a.md", "It names them [1].", [], cached=False),
             FileAnswer(files[2], "c.md", "Yes [3, 4].", [], cached=True)]
    coverage = Coverage(files, [files[0], files[2]], [files[1]])
    text = combine("How many files mention X?", QuestionKind.COUNT, parts, coverage, False)
    assert text.startswith("**2** of 3 files: a.md, c.md.")
    assert "- **c.md**: Yes [3, 4]." in text
    assert renumber("see [1] and [1, 2]", {1: 5, 2: 6}) == "see [5] and [5, 6]"
    stopped = Coverage(files, [files[0]], not_reached=files[1:])
    partial = combine("Which files mention X?", QuestionKind.LIST, parts[:1], stopped, True)
    assert partial.startswith("*Stopped after 1 of 3 files: this answer is partial.*")
    assert stopped.line() == ("answered from 1 of 3 files; 0 had nothing relevant; "
                              "0 could not be read; 2 not reached (stopped)")
