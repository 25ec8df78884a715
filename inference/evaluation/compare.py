"""Models side by side on the user's own documents: the same questions, the same passages.

Each question is retrieved once; every model then answers it from those very passages
(`Assistant.answer_from`), so the models differ only in what they do with them. Per model:
load time, resident memory, first-token time, tokens/s, exact match and F1 of the answer's
lead against the expected (or hidden) answer with the SQuAD normalisation the docqa eval
uses, declines, and the share of answer sentences a verified quote of the given sources
supports (`inference/quote_check.py`, the check every answer carries). The smallest model
whose F1 is within `margin` of the best one is recommended. A run is kept as versioned JSON
in the data directory and exports as CSV.

`run_comparison` yields plain events (progress with an ETA, each scored answer, each model's
summary, then the run), so the CLI prints them and the window shows them from a worker
thread; cancelling ends it between questions (and stops a generation under way) with the
run so far, marked `partial`.
"""

from __future__ import annotations

import csv
import io
import json
import platform
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from documents.errors import EnclaveError, InvalidInputError
from documents.library import Library
from documents.retrieval import Passage
from inference.answer import Answer, AnswerSettings, Assistant, final_answer
from inference.answer_text import lead
from inference.engine import ChatModel
from inference.evaluation.cloze import ComparisonQuestion
from inference.evaluation.squad import contains_answer, exact_match, f1_score
from inference.model_info import ModelDetails, describe_model, resident_bytes

RUN_VERSION = 1
RUNS_DIR = "model-comparisons"
#: The default margin: a model within this much F1 of the best counts as good enough.
DEFAULT_MARGIN = 0.05


@dataclass(frozen=True)
class ComparedModel:
    """A model to compare: the name the user knows it by, and its file."""

    name: str
    path: Path


@dataclass(frozen=True)
class CompareProgress:
    """Where the comparison is: `stage` is "retrieving", "loading", "answering" or "done".

    `eta_s` is the mean time of the answers so far times the answers still to come (model
    loads not counted); None before the first answer.
    """

    stage: str
    model: str
    model_index: int
    models: int
    question_index: int
    questions: int
    elapsed_s: float = 0.0
    eta_s: float | None = None


@dataclass
class QuestionOutcome:
    question_id: str
    model: str
    answer: str
    lead: str
    exact_match: float
    f1: float
    contains: float
    declined: bool
    ttft_ms: float
    tokens_per_s: float
    tokens: int
    #: Answer sentences a verified quote of the given sources supports, of those checked.
    supported: int = 0
    sentences: int = 0
    #: The best retrieved passage's similarity (0 when none passed the floor), and the
    #: answer's time from prompt to last token: what a router by confidence would use.
    top_similarity: float = 0.0
    total_ms: float = 0.0


@dataclass
class ModelOutcome:
    name: str
    file: str
    sha256: str
    parameters: int
    parameters_text: str
    quantization: str
    size_bytes: int
    load_s: float
    #: The process's resident memory at its highest while this model ran (sampled after
    #: the load and after every answer), and its growth over the moment before the load.
    peak_rss_bytes: int
    ram_bytes: int
    ram_estimate_bytes: int
    ttft_ms: float
    tokens_per_s: float
    exact_match: float
    f1: float
    contains: float
    declined: float
    answered: int
    #: Supported answer sentences / checked answer sentences over the model's answers; None
    #: when it declined every question (nothing to check).
    supported_share: float | None = None
    #: The questions it answered in this run: fewer than the run's in a partial run.
    asked: int = 0


@dataclass
class ComparisonRun:
    library: str
    questions: list[ComparisonQuestion]
    models: list[ModelOutcome]
    outcomes: list[QuestionOutcome]
    margin: float
    recommended: str | None
    started_at: str
    settings: dict[str, object] = field(default_factory=dict)
    version: int = RUN_VERSION
    notes: list[str] = field(default_factory=list)
    #: Cancelled before the end: the models and answers are those finished by then.
    partial: bool = False

    def to_json(self) -> dict[str, object]:
        return {"version": self.version, "started_at": self.started_at,
                "library": self.library, "margin": self.margin,
                "recommended": self.recommended, "partial": self.partial,
                "settings": self.settings, "notes": self.notes,
                "machine": {"platform": platform.platform(), "processor":
                            platform.processor() or platform.machine()},
                "models": [asdict(m) for m in self.models],
                "questions": [q.to_json() for q in self.questions],
                "outcomes": [asdict(o) for o in self.outcomes]}

    def to_csv(self) -> str:
        """One row per model, the table's columns."""
        out = io.StringIO()
        names = list(ModelOutcome.__dataclass_fields__)
        writer = csv.DictWriter(out, fieldnames=[*names, "recommended", "partial"])
        writer.writeheader()
        for model in self.models:
            writer.writerow({**asdict(model), "recommended": model.name == self.recommended,
                             "partial": self.partial})
        return out.getvalue()

    def recommendation(self) -> str:
        """The recommendation in one line, as the CLI prints it and the window shows it."""
        if self.recommended is None:
            return "no recommendation: no model answered before the comparison was stopped"
        line = (f"recommended: {self.recommended} (the smallest model within "
                f"{self.margin:.2f} F1 of the best)")
        best = max(model.f1 for model in self.models)
        if best < WEAK_F1:
            line += (f"; but the best F1 is only {best:.2f}: none of these models answers "
                     "these questions well")
        if self.partial:
            line += "; partial run, stopped before the end"
        return line


@dataclass(frozen=True)
class QuestionCompared:
    """One model's answer to one question, scored."""

    outcome: QuestionOutcome
    model_index: int
    question_index: int


@dataclass(frozen=True)
class ModelCompared:
    """A model is done (or was stopped): its summary over the questions it answered."""

    outcome: ModelOutcome
    model_index: int


@dataclass(frozen=True)
class ComparisonFinished:
    """The last event: the run, `partial` when it was cancelled."""

    run: ComparisonRun


CompareEvent = CompareProgress | QuestionCompared | ModelCompared | ComparisonFinished


def quoted_text(share: float | None) -> str:
    """The verified-quote share as the tables print it: '-' when every question was declined
    (no sentence to check)."""
    return "-" if share is None else f"{share:.2f}"


#: Below this best F1 the recommendation says that no model compared answers well: the
#: smallest of several failing models is not a model to rely on.
WEAK_F1 = 0.3


def recommend(models: Sequence[ModelOutcome], margin: float = DEFAULT_MARGIN) -> str | None:
    """The smallest model (parameters, then file size) whose F1 is within `margin` of the
    best model's; None when there is no model."""
    if not models:
        return None
    best = max(m.f1 for m in models)
    good = [m for m in models if m.f1 >= best - margin - 1e-9]
    return min(good, key=lambda m: (m.parameters or m.size_bytes, m.size_bytes)).name


def compare_models(library: Library, models: Sequence[ComparedModel],
                   questions: Sequence[ComparisonQuestion],
                   answering: AnswerSettings | None = None, context_tokens: int = 4096,
                   threads: int | None = None, gpu_layers: int = 0,
                   margin: float = DEFAULT_MARGIN,
                   progress: Callable[[CompareProgress], None] | None = None,
                   cancel: threading.Event | None = None) -> ComparisonRun:
    """`run_comparison` for a caller that only wants progress reports and the run."""
    for event in run_comparison(library, models, questions, answering, context_tokens,
                                threads, gpu_layers, margin, cancel):
        if isinstance(event, CompareProgress) and progress is not None:
            progress(event)
        elif isinstance(event, ComparisonFinished):
            return event.run
    raise AssertionError("run_comparison ends with ComparisonFinished")


def run_comparison(library: Library, models: Sequence[ComparedModel],
                   questions: Sequence[ComparisonQuestion],
                   answering: AnswerSettings | None = None, context_tokens: int = 4096,
                   threads: int | None = None, gpu_layers: int = 0,
                   margin: float = DEFAULT_MARGIN,
                   cancel: threading.Event | None = None) -> Iterator[CompareEvent]:
    """Run every question through every model on the same retrieved passages.

    Models load one at a time (and are closed after their questions), so the comparison
    needs the memory of the largest, not of all. `cancel` is checked after each progress
    event (so a consumer may set it in response to one) and between tokens; the run then
    ends with what was finished, `partial`. ModelFileError or ModelLoadError name a model
    that cannot be read or loaded.
    """
    if not models or not questions:
        raise InvalidInputError("choose at least one model and one question to compare")
    answering = answering or AnswerSettings()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.perf_counter()
    answer_s: list[float] = []

    def progress(stage: str, model: str, m: int, q: int) -> CompareProgress:
        remaining = len(models) * len(questions) - len(answer_s)
        eta = _mean(answer_s) * remaining if answer_s else None
        return CompareProgress(stage, model, m, len(models), q, len(questions),
                               time.perf_counter() - clock, eta)

    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()

    details = [describe_model(m.path) for m in models]
    # Retrieval needs no model (no history, so no follow-up rewrite); the first model's
    # ChatModel is built (header only, not loaded) because an Assistant holds one.
    retriever = Assistant(library, ChatModel(models[0].path, context_tokens, threads,
                                             gpu_layers), answering)
    retrieved: list[tuple[str, list[Passage]]] = []
    results: list[ModelOutcome] = []
    outcomes: list[QuestionOutcome] = []
    for index, question in enumerate(questions):
        if cancelled():
            break
        yield progress("retrieving", "", 0, index)
        if cancelled():
            break
        retrieved.append(retriever.retrieve(question.question))
    for m_index, (compared, info) in enumerate(zip(models, details, strict=True)):
        if cancelled():
            break
        yield progress("loading", compared.name, m_index, 0)
        if cancelled():
            break
        before = resident_bytes()
        model = ChatModel(compared.path, context_tokens, threads, gpu_layers)
        load_started = time.perf_counter()
        mine: list[QuestionOutcome] = []
        try:
            model.load()
            load_s = time.perf_counter() - load_started
            peak = resident_bytes()
            assistant = Assistant(library, model, answering)
            for q_index, (question, (query, passages)) in enumerate(
                    zip(questions, retrieved, strict=True)):
                if cancelled():
                    break
                yield progress("answering", compared.name, m_index, q_index)
                if cancelled():
                    break
                asked_at = time.perf_counter()
                answer, _ = final_answer(assistant.answer_from(
                    question.question, passages, cancel=cancel, query=query))
                if answer.stopped:  # Cut short: not a fair score, so not kept.
                    break
                answer_s.append(time.perf_counter() - asked_at)
                peak = max(peak, resident_bytes())
                outcome = _score(question, compared.name, answer, passages)
                mine.append(outcome)
                yield QuestionCompared(outcome, m_index, q_index)
        finally:
            model.close()
        if not mine:
            break
        outcomes += mine
        summary = _summary(compared, info, mine, load_s, peak, max(0, peak - before),
                           context_tokens)
        results.append(summary)
        yield ModelCompared(summary, m_index)
    partial = len(outcomes) < len(models) * len(questions)  # A Stop after the end is no stop.
    if not partial:
        yield progress("done", "", len(models), len(questions))
    yield ComparisonFinished(ComparisonRun(
        str(library.data_dir), list(questions), results, outcomes, margin,
        recommend(results, margin), started_at,
        {"context_tokens": context_tokens, "passages": answering.passages,
         "min_similarity": answering.min_similarity,
         "search_mode": answering.search_mode.value,
         "max_tokens": answering.generation.max_tokens,
         "quote_similarity": answering.quote_similarity,
         "threads": threads, "gpu_layers": gpu_layers}, partial=partial))


def _score(question: ComparisonQuestion, model: str, answer: Answer,
           passages: Sequence[Passage]) -> QuestionOutcome:
    text_lead = lead(answer.text)
    gold = list(question.answers)
    return QuestionOutcome(
        question.id, model, answer.text, text_lead,
        exact_match(text_lead, gold) if gold else 0.0,
        f1_score(text_lead, gold) if gold else 0.0,
        contains_answer(answer.text, gold) if gold else 0.0,
        not answer.covered, answer.timings.ttft_ms, answer.timings.tokens_per_s,
        answer.timings.tokens, sum(1 for c in answer.check if c.supported),
        len(answer.check), max((p.similarity for p in passages), default=0.0),
        answer.timings.total_ms)


def _summary(compared: ComparedModel, info: ModelDetails, mine: Sequence[QuestionOutcome],
             load_s: float, peak: int, ram: int, context_tokens: int) -> ModelOutcome:
    answered = [o for o in mine if not o.declined]
    sentences = sum(o.sentences for o in mine)
    return ModelOutcome(
        compared.name, compared.path.name, info.sha256, info.parameters,
        info.parameters_text, info.quantization, info.size_bytes, load_s, peak, ram,
        info.ram_estimate_bytes(context_tokens),
        _mean([o.ttft_ms for o in answered]), _mean([o.tokens_per_s for o in answered]),
        _mean([o.exact_match for o in mine]), _mean([o.f1 for o in mine]),
        _mean([o.contains for o in mine]), _mean([float(o.declined) for o in mine]),
        len(answered), sum(o.supported for o in mine) / sentences if sentences else None,
        len(mine))


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def save_run(data_dir: Path, run: ComparisonRun) -> Path:
    """Keep the run in the data directory (`model-comparisons/<time>.json`)."""
    folder = data_dir / RUNS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = run.started_at.replace(":", "").replace("-", "").replace("+0000", "Z")
    path = folder / f"{stamp}.json"
    number = 1
    while path.exists():
        number += 1
        path = folder / f"{stamp}-{number}.json"
    path.write_text(json.dumps(run.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def saved_runs(data_dir: Path) -> list[Path]:
    """The kept runs, oldest first."""
    folder = data_dir / RUNS_DIR
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def run_label(path: Path) -> str:
    """A kept run in one line for a list: when, which models, how many questions."""
    try:
        run = load_run(path)
    except EnclaveError:
        return f"{path.stem} (unreadable)"
    when = run.started_at.replace("T", " ").replace("+00:00", " UTC")
    models = ", ".join(m.name for m in run.models) or "no model"
    count = len(run.questions)
    label = f"{when} · {models} · {count} question{'' if count == 1 else 's'}"
    return label + " · partial" if run.partial else label


def load_run(path: Path) -> ComparisonRun:
    """A kept run, read back (to draw its chart again or export it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != RUN_VERSION:
            raise ValueError(f"version {data.get('version')}, this build reads {RUN_VERSION}")
        outcomes = [QuestionOutcome(**o) for o in data["outcomes"]]
        # Runs kept before `asked` existed were never partial: every answer was kept.
        models = [ModelOutcome(**{"asked": sum(o.model == m["name"] for o in outcomes), **m})
                  for m in data["models"]]
        return ComparisonRun(
            str(data["library"]),
            [ComparisonQuestion(q["id"], q["question"], tuple(q["answers"]), q["kind"],
                                q["source"]) for q in data["questions"]],
            models, outcomes,
            float(data["margin"]), data["recommended"], str(data["started_at"]),
            dict(data.get("settings", {})), int(data["version"]), list(data.get("notes", [])),
            bool(data.get("partial", False)))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise EnclaveError(f"{path}: not a readable comparison run ({error})") from error


def export_run(run: ComparisonRun, path: Path) -> Path:
    """Write `run` to a .csv (one row per model) or a .json (everything) file."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise InvalidInputError(f"{path}: export to a .csv or a .json file")
    text = run.to_csv() if suffix == ".csv" else \
        json.dumps(run.to_json(), indent=2, ensure_ascii=False) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(f"{path}: could not write the comparison there "
                                f"({error.strerror or error})") from error
    return path
