"""The model comparison's core: the events it emits, the verified-quote share per model, and
a cancel that keeps the run so far, marked partial. Real SmolLM2 (under two names, so the
run has two models), real embedder, store and retrieval."""

from __future__ import annotations

import csv
import io
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.cli_models import print_table
from documents.library import Library
from inference.answer import AnswerSettings
from inference.evaluation.cloze import ComparisonQuestion, load_question_file
from inference.evaluation.compare import (
    ComparedModel,
    CompareEvent,
    CompareProgress,
    ComparisonFinished,
    ComparisonRun,
    ModelCompared,
    ModelOutcome,
    QuestionCompared,
    QuestionOutcome,
    load_run,
    run_comparison,
    save_run,
)
from inference.evaluation.portfolio import offer, router_tradeoff
from inference.workspace import Workspace
from tests.conftest import XQUAD
from tests.test_models import tiny_path

pytestmark = pytest.mark.slow

QUESTIONS = ("Which team won Super Bowl 50?\tDenver Broncos\n"
             "Where was Super Bowl 50 played?\tLevi's Stadium\n")
#: Short answers keep four generations quick; the scores need only the lead.
ANSWERING = AnswerSettings()
ANSWERING = replace(ANSWERING, generation=replace(ANSWERING.generation, max_tokens=48))


@pytest.fixture()
def library(tmp_path: Path) -> Iterator[Library]:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(XQUAD / "documents" / "Super_Bowl_50.md", docs)
    workspace = Workspace(tmp_path / "data")
    workspace.unlock(opt_out=True)
    try:
        assert not workspace.library.add([docs]).failed
        yield workspace.library
    finally:
        workspace.close()


def _compare(library: Library, tmp_path: Path,
             cancel: threading.Event | None = None) -> Iterator[CompareEvent]:
    question_file = tmp_path / "questions.txt"
    question_file.write_text(QUESTIONS, encoding="utf-8")
    models = [ComparedModel("tiny-a", tiny_path()), ComparedModel("tiny-b", tiny_path())]
    return run_comparison(library, models, load_question_file(question_file), ANSWERING,
                          context_tokens=2048, threads=1, cancel=cancel)


def test_compare_emits_progress_answers_and_models_then_the_run(
        library: Library, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = list(_compare(library, tmp_path))
    stages = [(e.stage, e.model_index, e.question_index) for e in events
              if isinstance(e, CompareProgress)]
    assert stages == [("retrieving", 0, 0), ("retrieving", 0, 1),
                      ("loading", 0, 0), ("answering", 0, 0), ("answering", 0, 1),
                      ("loading", 1, 0), ("answering", 1, 0), ("answering", 1, 1),
                      ("done", 2, 2)]
    answers = [(e.model_index, e.question_index) for e in events
               if isinstance(e, QuestionCompared)]
    assert answers == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [e.outcome.name for e in events if isinstance(e, ModelCompared)] == \
        ["tiny-a", "tiny-b"]
    progress = [e for e in events if isinstance(e, CompareProgress)]
    assert progress[0].eta_s is None and progress[-1].eta_s == 0.0
    assert all(p.eta_s is not None and p.eta_s > 0 for p in progress[4:-1])
    finished = events[-1]
    assert isinstance(finished, ComparisonFinished)
    run = finished.run
    assert not run.partial and len(run.outcomes) == 4 and run.recommended in ("tiny-a", "tiny-b")

    # The verified-quote share: the answers' own checks, summed per model.
    for model in run.models:
        mine = [o for o in run.outcomes if o.model == model.name]
        assert model.asked == 2
        sentences = sum(o.sentences for o in mine)
        if sentences:
            assert model.supported_share == sum(o.supported for o in mine) / sentences
        else:
            assert model.supported_share is None
    assert any(o.sentences for o in run.outcomes), "an answer was checked"
    assert all(0.0 < o.top_similarity <= 1.0 and o.total_ms > 0 for o in run.outcomes)
    rows = list(csv.DictReader(io.StringIO(run.to_csv())))
    assert [r["name"] for r in rows] == ["tiny-a", "tiny-b"]
    assert "supported_share" in rows[0] and rows[0]["partial"] == "False"
    print_table(run)
    out = capsys.readouterr().out
    assert "quoted" in out.splitlines()[1] and "quoted: the share of answer sentences" in out
    kept = load_run(save_run(tmp_path / "runs", run))
    assert kept.models == run.models and kept.outcomes == run.outcomes and not kept.partial


def test_cancelling_keeps_what_was_answered_marked_partial(
        library: Library, tmp_path: Path) -> None:
    cancel = threading.Event()
    events: list[CompareEvent] = []
    for event in _compare(library, tmp_path, cancel):
        events.append(event)
        if isinstance(event, QuestionCompared):
            cancel.set()  # The user pressed Stop when the first answer came in.
    assert [type(e) for e in events[-3:]] == [QuestionCompared, ModelCompared,
                                               ComparisonFinished]
    assert not any(isinstance(e, CompareProgress) and e.stage in ("done", "loading")
                   and e.model_index == 1 for e in events)
    finished = events[-1]
    assert isinstance(finished, ComparisonFinished)
    run = finished.run
    assert run.partial and [m.name for m in run.models] == ["tiny-a"]
    assert run.models[0].asked == 1 and len(run.outcomes) == 1
    assert "partial run" in run.recommendation()
    assert load_run(save_run(tmp_path / "runs", run)).partial


def _outcome(question: str, model: str, f1: float, similarity: float,
             seconds: float) -> QuestionOutcome:
    return QuestionOutcome(question, model, "", "", f1, f1, f1, False, 0.0, 0.0, 0,
                           top_similarity=similarity, total_ms=seconds * 1000)


@pytest.mark.parametrize(("small_f1_when_confident", "offered"), [(1.0, True), (0.0, False)])
def test_the_router_replay_offers_a_portfolio_only_when_it_beats_the_best_model(
        small_f1_when_confident: float, offered: bool) -> None:
    """Logic only: the replay of a router by retrieval confidence on recorded answers."""
    questions = [ComparisonQuestion(q, q, ("x",), "file", {}) for q in ("q1", "q2")]
    outcomes = [_outcome("q1", "tiny", small_f1_when_confident, 0.9, 1.0),
                _outcome("q2", "tiny", 0.0, 0.4, 1.0),
                _outcome("q1", "big", 1.0, 0.9, 5.0), _outcome("q2", "big", 1.0, 0.4, 5.0)]
    run = ComparisonRun("", questions, [], outcomes, 0.05, None, "")
    points = router_tradeoff(run, "tiny", "big")
    assert [(p.label, p.small_share, p.f1, p.mean_s) for p in points] == [
        ("tiny", 1.0, small_f1_when_confident / 2, 1.0), ("big", 0.0, 1.0, 5.0),
        ("router t=0.40", 1.0, small_f1_when_confident / 2, 1.0),
        ("router t=0.90", 0.5, (small_f1_when_confident + 1) / 2, 3.0)]
    chosen = offer(points)
    assert (chosen is not None) == offered
    if chosen is not None:
        assert chosen.threshold == 0.9


def test_the_recommendation_says_so_when_no_model_answers_well() -> None:
    """The smallest of several failing models is named, and the line says they all fail."""
    def model(name: str, f1: float, parameters: int) -> ModelOutcome:
        return ModelOutcome(name, f"{name}.gguf", "0" * 64, parameters, "", "Q4", parameters,
                            1.0, 1, 1, 1, 10.0, 5.0, 0.0, f1, 0.0, 0.0, 1)

    weak = ComparisonRun("lib", [], [model("tiny", 0.02, 1), model("small", 0.02, 2)], [],
                         0.05, "tiny", "2026-12-02T00:00:00Z")
    assert "best F1 is only 0.02: none of these models answers" in weak.recommendation()
    good = replace(weak, models=[model("tiny", 0.6, 1), model("small", 0.62, 2)])
    assert good.recommendation().startswith("recommended: tiny")
    assert "none of these models" not in good.recommendation()
