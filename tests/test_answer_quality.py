"""What the user reads: no invented citations, no loops, declines recognised, cut answers
flagged, follow-ups rewritten, and each bundled model's own chat template working."""

from __future__ import annotations

from pathlib import Path

import pytest

from documents.retrieval import Passage
from inference.answer_text import remove_unknown_markers, says_not_covered
from inference.catalog import CHAT_MODELS, WheelModel
from inference.engine import ChatMessage, ChatModel, FinishReason, GenerationSettings
from inference.follow_up import usable_rewrite
from inference.model_check import check_chat_template
from inference.paths import find_model
from inference.prompt import Turn, build_prompt
from inference.repetition import loop_start


@pytest.mark.parametrize(("text", "expected"), [
    ("Lady Gaga sang it [1].", "Lady Gaga sang it [1]."),
    ("Lady Gaga sang it [3].", "Lady Gaga sang it."),
    ("Lady Gaga [1, 4] sang it [2; 9].", "Lady Gaga [1] sang it [2]."),
    ("See [4][1].", "See[1]."),
    ("A list:\n[7] is wrong", "A list:\n is wrong"),
])
def test_markers_naming_no_given_source_are_removed(text: str, expected: str) -> None:
    assert remove_unknown_markers(text, {1, 2}) == expected


@pytest.mark.parametrize(("text", "declined"), [
    ("The documents do not cover this.", True),
    ("The sources don't mention the score of Super Bowl 51.", True),
    ("This is not mentioned in the sources.", True),
    ("I cannot find the answer in the documents.", True),
    ("Lady Gaga. She sang the anthem [1].", False),
    ("16,000 species. The documents do not cover their names.", False),
])
def test_a_decline_is_recognised_in_the_answers_lead(text: str, declined: bool) -> None:
    assert says_not_covered(text) is declined


def test_a_short_unit_repeated_back_to_back_is_a_loop() -> None:
    text = "The answer is: 1. 1. 1. 1. 1. 1."
    start = loop_start(text)
    assert start is not None and text[:start] == "The answer is: 1."


def test_a_repeated_sentence_is_a_loop_and_the_first_copy_is_kept() -> None:
    said = "The Panthers' defence gave up 308 points. "
    text = said + "It ranked sixth in the league. " + said
    start = loop_start(text)
    assert start is not None and text[:start] == said + "It ranked sixth in the league. "


@pytest.mark.parametrize("text", [
    "Yes. Yes. The score was 24-10.",
    "| a | b | c | d |\n| --- | --- | --- | --- | --- |",
    "1. First point.\n2. Second point.\n3. Third point.",
    "Denver beat Carolina 24–10 [1]. Denver's defence forced four turnovers [2].",
])
def test_ordinary_answers_are_no_loops(text: str) -> None:
    assert loop_start(text) is None


@pytest.mark.parametrize(("rewritten", "question", "expected"), [
    ('"Who provided the sign language translation at Super Bowl 50?"', "Who provided it?",
     "Who provided the sign language translation at Super Bowl 50?"),
    ("Rewritten question: When was Warsaw founded?", "When was it founded?",
     "When was Warsaw founded?"),
    ("Marlee Matlin provided it.", "Who provided it?", "Who provided it?"),
    ("", "Who provided it?", "Who provided it?"),
])
def test_only_a_rewrite_that_is_still_a_question_steers_search(
        rewritten: str, question: str, expected: str) -> None:
    assert usable_rewrite(rewritten, question) == expected


def test_an_answer_cut_by_the_token_limit_says_so(chat_model: ChatModel) -> None:
    prompt, stops = chat_model.format([ChatMessage("user", "Count from 1 to 100.")])
    stream = chat_model.stream(prompt, stops, GenerationSettings(max_tokens=5))
    pieces = []
    while True:
        try:
            pieces.append(next(stream))
        except StopIteration as end:
            reason = end.value
            break
    assert reason is FinishReason.LENGTH and pieces
    assert chat_model.count_tokens("".join(pieces)) <= 6


SOURCE = Passage(1, Path("/docs/Super_Bowl_50.md"), "Super_Bowl_50.md", None, 0, 100,
                 "Super Bowl 50 was played on February 7, 2016. Lady Gaga sang the national "
                 "anthem, and Marlee Matlin performed it in American Sign Language.", 1.0, 0.8)


@pytest.mark.slow
@pytest.mark.parametrize("model", CHAT_MODELS, ids=[m.label for m in CHAT_MODELS])
def test_each_bundled_models_own_template_renders_a_conversation_and_answers(
        model: WheelModel) -> None:
    """The chat template comes from the GGUF file; a broken one must fail here, not mid-chat.

    The same check the model manager runs on a file a user adds (`check_chat_template`).
    """
    path = find_model(model.file_name)
    if path is None:
        pytest.fail(f"{model.file_name} is not provisioned: run `python main.py provision "
                    "--with-test-models`")
    chat = ChatModel(path, context_tokens=2048)
    try:
        assert chat.has_chat_template
        check = check_chat_template(chat)
        if model is not CHAT_MODELS[-1]:  # The tiny model is too weak to be graded.
            assert "30" in check.answer  # Keep-warm lasts 30 minutes.
    finally:
        chat.close()


def test_a_turn_gives_back_the_question_it_was_sent_with() -> None:
    built = build_prompt("Who sang the anthem?", [SOURCE], [], 1500, lambda t: len(t.split()))
    assert Turn(built.sent, "Lady Gaga.").question == "Who sang the anthem?"
    assert Turn("Just a question?", "An answer.").question == "Just a question?"
