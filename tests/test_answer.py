"""Answering: prompt budget, citation mapping, declining, conversations and model switching."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from documents.embedder import Embedder
from documents.library import Library
from documents.retrieval import Passage
from inference.answer import (
    Answer,
    AnswerFinished,
    Assistant,
    SourcesFound,
    TokenGenerated,
    cited_numbers,
    final_answer,
    map_citations,
)
from inference.engine import ChatModel
from inference.prompt import SYSTEM_PROMPT, Source, Turn, build_prompt
from inference.workspace import Workspace


def passage(n: int, words: int = 50) -> Passage:
    return Passage(n, Path(f"/docs/{n}.pdf"), f"{n}.pdf", n, 0, 10,
                   " ".join(["lorem"] * words), 1.0 / n, 0.5)


def count_words(text: str) -> int:
    return len(text.split())


def test_prompt_keeps_passages_first_and_drops_oldest_turns() -> None:
    history = [Turn(f"old question {n} " + "x " * 100, "old answer") for n in range(5)]
    budget = 600
    built = build_prompt("What now?", [passage(n) for n in range(1, 6)], history, budget,
                         count_words)
    total = sum(count_words(m.content) for m in built.messages)
    assert total <= budget
    assert len(built.sources) == 5
    assert 0 < built.history_turns < 5
    assert built.messages[0].content == SYSTEM_PROMPT
    assert built.messages[-1].content == built.sent
    kept_questions = [m.content for m in built.messages if m.content.startswith("old question")]
    assert kept_questions[-1].startswith("old question 4"), "the newest turns are kept"


def test_prompt_truncates_sources_to_fit_a_small_window() -> None:
    built = build_prompt("Q?", [passage(n, 200) for n in range(1, 5)], [], 450, count_words)
    assert len(built.sources) == 1 and "[1]" in built.sent and "[2]" not in built.sent


def test_follow_up_refers_to_sources_the_window_already_holds() -> None:
    first = build_prompt("Q1?", [passage(n) for n in (1, 2, 3)], [], 2000, count_words)
    assert [s.number for s in first.sources] == [1, 2, 3]
    turn = Turn(first.sent, "A1 [2].", ((1, 1), (2, 2), (3, 3)))
    follow = build_prompt("Q2?", [passage(n) for n in (3, 7, 1)], [turn], 2000, count_words)
    assert [(s.number, s.passage.chunk_id, s.repeated) for s in follow.sources] == [
        (3, 3, True), (4, 7, False), (1, 1, True)], "numbers run on across the conversation"
    assert follow.sent.count(".pdf, p.") == 1 and "[4] (7.pdf" in follow.sent
    assert "Also relevant: [3], [1], given above." in follow.sent
    assert follow.messages[1].content == first.sent, "history replayed as sent: KV reuse"


def test_a_source_whose_turn_left_the_window_is_sent_again_under_its_number() -> None:
    old = Turn("Sources: [1] " + "x " * 400, "old", ((1, 1),))
    built = build_prompt("Q?", [passage(1)], [old], 300, count_words)
    assert built.history_turns == 0
    assert built.sources == [Source(1, passage(1), repeated=False)]
    assert "[1] (1.pdf" in built.sent


def test_turn_from_a_stored_answer_keeps_only_the_sources_it_carried() -> None:
    details = {"citations": [{"number": 4, "chunk_id": 7},
                             {"number": 1, "chunk_id": 1, "from_earlier_turn": True},
                             {"number": 2}]}
    assert Turn.from_record("sent", "answer", details).sources == ((4, 7),)
    assert Turn.from_record("sent", "answer", {}).sources == ()


def test_citation_markers_map_to_sources() -> None:
    assert cited_numbers("A [2], b [1, 3] and [2]; bad [9] [0].", {1, 2, 3}) == [2, 1, 3]
    shown = [Source(n, passage(n)) for n in (1, 2, 3)]
    citations = map_citations("Fact [3].", shown)
    assert [(c.number, c.cited) for c in citations] == [(3, True), (1, False), (2, False)]
    assert citations[0].passage is shown[2].passage
    later = map_citations("See [5] and [1].", [Source(5, passage(9)), Source(1, passage(1), True)])
    assert [(c.number, c.cited, c.from_earlier_turn) for c in later] == [
        (5, True, False), (1, True, True)]


@pytest.fixture()
def assistant(tmp_path: Path, embedder: Embedder, chat_model: ChatModel,
              docs_dir: Path) -> Assistant:
    library = Library(tmp_path / "data", embedder)
    library.add([docs_dir])
    yield Assistant(library, chat_model)
    library.close()


def finish(events: list[object]) -> Answer:
    finished = [e for e in events if isinstance(e, AnswerFinished)]
    assert len(finished) == 1
    return finished[0].answer


@pytest.mark.slow
def test_answer_streams_sources_then_tokens_then_the_answer(assistant: Assistant) -> None:
    events = list(assistant.answer("How many points did the Panthers defense surrender?"))
    assert isinstance(events[0], SourcesFound) and events[0].passages
    tokens = [e.text for e in events if isinstance(e, TokenGenerated)]
    answer = finish(events)
    assert len(tokens) > 1 and "".join(tokens).strip() == answer.model_text
    assert answer.finish_reason == "done" and not answer.truncated
    assert answer.citations[0].passage.document_name == "Super_Bowl_50.md"
    assert answer.covered and not answer.stopped
    assert answer.model["sha256"] == assistant.model.file.sha256
    assert final_answer(events) == (answer, events[0].passages)


@pytest.mark.slow
def test_stop_between_tokens(assistant: Assistant) -> None:
    cancel = threading.Event()
    received = 0
    answer = None
    for event in assistant.answer("Describe the history of Warsaw in detail.", cancel=cancel):
        if isinstance(event, TokenGenerated):
            received += 1
            if received == 3:
                cancel.set()
        elif isinstance(event, AnswerFinished):
            answer = event.answer
    assert answer is not None and answer.stopped and received == 3


def test_a_follow_up_is_rewritten_to_stand_alone_before_retrieval(
        assistant: Assistant) -> None:
    first = finish(list(assistant.answer("Who performed the national anthem at Super Bowl 50?")))
    follow = finish(list(assistant.answer("Who provided the sign language translation?",
                                          [first.turn()])))
    assert follow.search_query != follow.question and "sign language" in \
        follow.search_query.lower(), follow.search_query
    assert follow.covered and follow.citations[0].passage.document_name == "Super_Bowl_50.md"
    assert "matlin" in follow.text.lower()


@pytest.mark.slow
def test_unrelated_question_is_declined_without_the_model(assistant: Assistant) -> None:
    answer = finish(list(assistant.answer("How do I reset my wifi router password?")))
    assert not answer.covered and not answer.citations
    assert "do not seem to cover" in answer.text


def test_final_answer_reads_a_stream_to_its_answer(assistant: Assistant) -> None:
    """`answer_from` sends no SourcesFound: the answer comes with no passages."""
    answer, sources = final_answer(assistant.answer_from("How do I reset my router?", []))
    assert not answer.covered and sources == []
    with pytest.raises(AssertionError, match="without an AnswerFinished"):
        final_answer([TokenGenerated("half an answer")])


@pytest.mark.slow
def test_conversation_follow_up_replays_history(tmp_path: Path, docs_dir: Path,
                                                default_model_path: Path) -> None:
    workspace = Workspace(tmp_path / "data")
    try:
        workspace.library.add([docs_dir])
        store = workspace.conversations
        conversation = store.create("Warsaw")
        for question in ("Which river flows through Warsaw?", "And how old is its Old Town?"):
            history = store.history(conversation.id)
            store.add_message(conversation.id, "user", question)
            answer = finish(list(workspace.assistant().answer(question, history)))
            store.add_message(conversation.id, "assistant", answer.text, answer.sent,
                              answer.to_json())
        turns = store.history(conversation.id)
        assert len(turns) == 2 and turns[0].sent.startswith("Sources:")
        assert turns[0].sources, "the sources each turn carried come back with it"
        numbers = [number for turn in turns for number, _ in turn.sources]
        assert len(numbers) == len(set(numbers)), "each source keeps one number"
        assert [m.role for m in store.messages(conversation.id)] == [
            "user", "assistant", "user", "assistant"]
        store.rename(conversation.id, "About Warsaw")
        assert store.recent()[0].title == "About Warsaw"
        store.delete(conversation.id)
        assert store.recent() == [] and store.messages(conversation.id) == []
    finally:
        workspace.close()


@pytest.mark.slow
def test_switching_to_a_second_model(tmp_path: Path, docs_dir: Path,
                                     second_model_path: Path) -> None:
    workspace = Workspace(tmp_path / "data")
    try:
        workspace.library.add([docs_dir])
        first = workspace.model.file.sha256
        switched = workspace.switch_model(second_model_path)
        switched.load()
        assert not switched.has_chat_template, "a base model falls back to plain turns"
        answer = finish(list(workspace.assistant().answer(
            "How many points did the Panthers defense surrender?")))
        assert answer.model["file"] == second_model_path.name
        assert answer.model["sha256"] != first
        assert answer.text and answer.citations
    finally:
        workspace.close()


@pytest.mark.slow
def test_a_stop_after_the_last_token_does_not_mark_the_answer_stopped(
        assistant: Assistant) -> None:
    question = "How many points did the Panthers defense surrender?"
    tokens = sum(isinstance(e, TokenGenerated) for e in assistant.answer(question))
    assert tokens > 1
    # The same answer again (greedy, same seed), with Stop landing after its last token.
    cancel = threading.Event()
    received = 0
    answer = None
    for event in assistant.answer(question, cancel=cancel):
        if isinstance(event, TokenGenerated):
            received += 1
            if received == tokens:
                cancel.set()
        elif isinstance(event, AnswerFinished):
            answer = event.answer
    assert received == tokens
    assert answer is not None and not answer.stopped, "nothing was left to stop"
