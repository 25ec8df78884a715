"""The answer-quality definitions: the lead, contains, markers, declines, held-out articles
and follow-up questions, each against cases worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference.answer import NOT_COVERED
from inference.answer_text import (
    lead,
    marker_numbers,
    markers_valid,
    says_not_covered,
    strip_markers,
)
from inference.evaluation.docqa import DocQuestion, hold_out, load_questions, plan_docqa
from inference.evaluation.followups import build_follow_ups, make_dependent, subject_of
from inference.evaluation.squad import contains_answer, exact_match, f1_score
from tests.conftest import XQUAD


def test_lead_is_the_first_sentence_without_markers() -> None:
    assert lead("Lady Gaga [1]. She sang the anthem before the game [2].") == "Lady Gaga."
    assert lead("Lady Gaga sang it.[1] Marlee Matlin signed it.") == "Lady Gaga sang it."
    assert lead("\n\n  16,000 species [2]\nThe Amazon holds many.") == "16,000 species"
    assert lead("The score was 24-10. Denver won.") == "The score was 24-10."
    assert lead("About 3.5 million people live there.") == "About 3.5 million people live there."
    assert lead("Is it Denver? Yes, per [1].") == "Is it Denver?"
    assert lead("") == "" and lead("[1]") == ""


def test_lead_keeps_abbreviations_and_initials_inside_the_sentence() -> None:
    assert lead("Dr. Smith led the U.S. team. He won.") == "Dr. Smith led the U.S. team."
    assert lead("It was J. R. R. Tolkien [3]. Then others.") == "It was J. R. R. Tolkien."
    assert lead("Fielding H. Garrison believed so. Others did not.") == (
        "Fielding H. Garrison believed so.")


def test_em_and_f1_on_the_lead_contains_on_the_whole() -> None:
    answer = "Lady Gaga [1]. She sang the national anthem at Super Bowl 50."
    assert exact_match(lead(answer), ["Lady Gaga"]) == 1.0
    assert f1_score(lead(answer), ["Gaga"]) == pytest.approx(2 * 0.5 / 1.5)
    assert contains_answer(answer, ["national anthem"]) == 1.0
    assert contains_answer(answer, ["Super Bowl 51"]) == 0.0
    assert contains_answer("It has 16,000 species.", ["16,000"]) == 1.0
    assert contains_answer("In 1600 it was built.", ["160"]) == 0.0, "whole words only"
    assert contains_answer("anything", []) == 0.0 and contains_answer("x", ["the"]) == 0.0


def test_markers_valid_reads_every_number_the_model_wrote() -> None:
    assert strip_markers("Gaga [1], then [2, 3].") == "Gaga, then."
    assert marker_numbers("A [1]. B [3; 1] and [2,4].") == [1, 3, 1, 2, 4]
    assert markers_valid("Gaga [1].", {1, 2}) is True
    assert markers_valid("Gaga [1] and [4].", {1, 2, 3}) is False
    assert markers_valid("Gaga [1, 5].", {1, 2}) is False
    assert markers_valid("Gaga, per the first source.", {1}) is None, "no marker: no verdict"
    assert markers_valid("In [2020] it rained.", {1}) is False, "what the model wrote counts"


@pytest.mark.parametrize("text", [
    NOT_COVERED,
    "The documents do not cover this question.",
    "The provided sources don't mention the final score of Super Bowl 51.",
    "I'm sorry, but the sources do not contain information about that [1].",
    "There is no information about the Dutch name in the sources.",
    "The answer is not mentioned in the sources.",
    "I cannot answer this from the documents.",
    "The sources don\u2019t say who won.",
    "This is not covered in the documents. They discuss Super Bowl 50 instead.",
])
def test_decline_wordings_are_recognised(text: str) -> None:
    assert says_not_covered(text)


@pytest.mark.parametrize("text", [
    "Lady Gaga [1].",
    "Denver beat Carolina 24-10 [2]. The sources do not mention the weather.",
    "No. 7 was the jersey he wore.",
    "The Amazon covers 5,500,000 km2 [1].",
    "Nothing was found in the tomb until 1922 [3].",
    "",
])
def test_answers_are_not_taken_for_declines(text: str) -> None:
    assert not says_not_covered(text)


def test_hold_out_is_seeded_never_empty_or_total() -> None:
    names = [f"{n:02d}.md" for n in range(48)]
    held = hold_out(names, 1 / 6, seed=0)
    assert len(held) == 8 and held == sorted(held) and held == hold_out(names, 1 / 6, 0)
    assert held != hold_out(names, 1 / 6, seed=1)
    assert hold_out(["a.md", "b.md", "c.md"], 1 / 6, 0) != [], "at least one"
    assert len(hold_out(["a.md", "b.md"], 0.9, 0)) == 1, "never every article"
    assert hold_out(names, 0.0, 0) == [] and hold_out(["a.md"], 0.5, 0) == []


def test_plan_takes_unanswerable_questions_only_from_held_out_articles() -> None:
    plan = plan_docqa(XQUAD, limit=60, unanswerable_share=1 / 6, seed=0)
    assert len(plan.held_out) == 8
    assert len(plan.answerable) == 50 and len(plan.unanswerable) == 10
    assert all(q.doc in plan.held_out for q in plan.unanswerable)
    assert all(q.doc not in plan.held_out for q in plan.answerable)
    ingested = {p.name for p in plan.ingested}
    assert ingested.isdisjoint(plan.held_out) and len(ingested) == 40
    assert len({q.doc for q in plan.unanswerable}) > 1, "spread over the held-out articles"
    everything = plan_docqa(XQUAD, limit=None, unanswerable_share=0.0)
    assert everything.unanswerable == [] and everything.library_key == "all"
    assert len(everything.answerable) == 1190
    with pytest.raises(ValueError, match="unanswerable share"):
        plan_docqa(XQUAD, 10, unanswerable_share=1.0)


def test_subject_of_an_article_file() -> None:
    assert subject_of("Super_Bowl_50.md") == "Super Bowl 50"
    assert subject_of("Fresno,_California.md") == "Fresno"
    assert subject_of("Sky_(United_Kingdom).md") == "Sky"


def test_make_dependent_replaces_the_subject_with_a_pronoun() -> None:
    assert make_dependent("Who did the National Anthem at Super Bowl 50?", "Super Bowl 50") == (
        "Who did the National Anthem at it?")
    assert make_dependent("What kind of forest is the Amazon rainforest?",
                          "Amazon rainforest") == "What kind of forest is it?"
    assert make_dependent("Jacksonville began to decline after what event?",
                          "Jacksonville") == "It began to decline after what event?"
    assert make_dependent("Based on population, what is Jacksonville's ranking?",
                          "Jacksonville") == "Based on population, what is its ranking?"
    assert make_dependent("Who fought with the Normans?", "Normans") == "Who fought with them?"
    assert make_dependent("When were the Normans defeated?", "Normans") == (
        "When were they defeated?")


def test_make_dependent_keeps_only_rewrites_that_read_as_a_pronoun() -> None:
    assert make_dependent("How was the Rhine Gorge formed?", "Rhine") is None
    assert make_dependent("When did Polonia Warsaw win?", "Warsaw") is None
    assert make_dependent("What is Sky+ HD broadcast using?", "Sky") is None
    assert make_dependent("What must a public school teacher have?", "Teacher") is None
    assert make_dependent("What is a prime number?", "Prime number") is None
    assert make_dependent("Who won the game?", "Super Bowl 50") is None


def _question(id: str, question: str, paragraph: int, doc: str = "Warsaw.md") -> DocQuestion:
    return DocQuestion(id, question, ("x",), doc, paragraph, "context")


def test_follow_ups_pair_questions_on_one_paragraph() -> None:
    questions = [
        _question("1", "What river flows through the city?", 0),
        _question("2", "How many people live in Warsaw?", 0),
        _question("3", "When was Warsaw founded?", 0),
        _question("4", "Which palace is in Warsaw?", 1),  # alone on its paragraph
        _question("5", "Who was Polonia Warsaw's coach?", 2),
        _question("6", "What is the oldest street?", 2),
    ]
    pairs = build_follow_ups(questions)
    assert [(p.first.id, p.second.id, p.dependent) for p in pairs] == [
        ("3", "2", "How many people live in it?"),
        ("2", "3", "When was it founded?"),
    ], "the first question names the subject where one on the paragraph does"


def test_follow_ups_from_the_dataset() -> None:
    questions = [json.loads(line) for line in
                 (XQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    pairs = build_follow_ups(load_questions(XQUAD))
    assert len(pairs) >= 50 and len({p.second.doc for p in pairs}) >= 20
    by_id = {q["id"]: q for q in questions}
    for pair in pairs:
        subject = subject_of(pair.second.doc).lower()
        assert subject in pair.second.question.lower()
        assert subject not in pair.dependent.lower()
        assert by_id[pair.first.id]["paragraph_index"] == pair.second.paragraph_index
    assert Path(XQUAD / "documents" / pairs[0].second.doc).is_file()
