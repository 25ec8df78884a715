"""Models side by side on the user's own documents: the same questions, the same passages.

Each question is retrieved once; every model then answers it from those very passages
(`Assistant.answer_from`), so the models differ only in what they do with them. Per model:
load time, resident memory, first-token time, tokens/s, exact match and F1 of the answer's
lead against the expected (or hidden) answer with the SQuAD normalisation the docqa eval
uses, and declines. The smallest model whose F1 is within `margin` of the best one is
recommended. A run is kept as versioned JSON in the data directory and exports as CSV.
"""

from __future__ import annotations

import csv
import io
import json
import platform
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from documents.errors import EnclaveError
from documents.library import Library
from documents.retrieval import Passage
from inference.answer import AnswerFinished, AnswerSettings, Assistant
from inference.answer_text import lead
from inference.engine import ChatModel
from inference.evaluation.cloze import ComparisonQuestion
from inference.evaluation.squad import contains_answer, exact_match, f1_score
from inference.model_info import describe_model, resident_bytes

RUN_VERSION = 1
RUNS_DIR = "model-comparisons"
#: The default margin: a model within this much F1 of the best counts as good enough.
DEFAULT_MARGIN = 0.05
#: Not measured yet: the share of answer sentences a verified quote supports.
SUPPORT_NOTE = "not measured: the verified-quote check is not in this build"


class ComparisonCancelledError(EnclaveError):
    """The user cancelled the comparison; nothing was kept."""


@dataclass(frozen=True)
class ComparedModel:
    """A model to compare: the name the user knows it by, and its file."""

    name: str
    path: Path


@dataclass(frozen=True)
class CompareProgress:
    """Where the comparison is: `stage` is "retrieving", "loading", "answering" or "done"."""

    stage: str
    model: str
    model_index: int
    models: int
    question_index: int
    questions: int


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
    supported_share: float | None = None


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
    notes: list[str] = field(default_factory=lambda: [f"supported_share: {SUPPORT_NOTE}"])

    def to_json(self) -> dict[str, object]:
        return {"version": self.version, "started_at": self.started_at,
                "library": self.library, "margin": self.margin,
                "recommended": self.recommended, "settings": self.settings,
                "notes": self.notes,
                "machine": {"platform": platform.platform(), "processor":
                            platform.processor() or platform.machine()},
                "models": [asdict(m) for m in self.models],
                "questions": [q.to_json() for q in self.questions],
                "outcomes": [asdict(o) for o in self.outcomes]}

    def to_csv(self) -> str:
        """One row per model, the table's columns."""
        out = io.StringIO()
        names = list(ModelOutcome.__dataclass_fields__)
        writer = csv.DictWriter(out, fieldnames=[*names, "recommended"])
        writer.writeheader()
        for model in self.models:
            writer.writerow({**asdict(model), "recommended": model.name == self.recommended})
        return out.getvalue()


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
    """Run every question through every model on the same retrieved passages.

    Models load one at a time (and are closed after their questions), so the comparison
    needs the memory of the largest, not of all. Raises ComparisonCancelledError when `cancel`
    is set; ModelFileError or ModelLoadError name a model that cannot be read or loaded.
    """
    answering = answering or AnswerSettings()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")

    def report(stage: str, model: str, m: int, q: int) -> None:
        if cancel is not None and cancel.is_set():
            raise ComparisonCancelledError("the comparison was cancelled")
        if progress is not None:
            progress(CompareProgress(stage, model, m, len(models), q, len(questions)))

    details = [describe_model(m.path) for m in models]
    # Retrieval needs no model (no history, so no follow-up rewrite); the first model's
    # ChatModel is built (header only, not loaded) because an Assistant holds one.
    retriever = Assistant(library, ChatModel(models[0].path, context_tokens, threads,
                                             gpu_layers), answering)
    retrieved: list[tuple[str, list[Passage]]] = []
    for index, question in enumerate(questions):
        report("retrieving", "", 0, index)
        retrieved.append(retriever.retrieve(question.question))
    results: list[ModelOutcome] = []
    outcomes: list[QuestionOutcome] = []
    for m_index, (compared, info) in enumerate(zip(models, details, strict=True)):
        report("loading", compared.name, m_index, 0)
        before = resident_bytes()
        model = ChatModel(compared.path, context_tokens, threads, gpu_layers)
        load_started = time.perf_counter()
        try:
            model.load()
            load_s = time.perf_counter() - load_started
            peak = resident_bytes()
            assistant = Assistant(library, model, answering)
            mine: list[QuestionOutcome] = []
            for q_index, (question, (query, passages)) in enumerate(
                    zip(questions, retrieved, strict=True)):
                report("answering", compared.name, m_index, q_index)
                answer = next(e.answer for e in assistant.answer_from(
                    question.question, passages, cancel=cancel, query=query)
                    if isinstance(e, AnswerFinished))
                peak = max(peak, resident_bytes())
                text_lead = lead(answer.text)
                gold = list(question.answers)
                mine.append(QuestionOutcome(
                    question.id, compared.name, answer.text, text_lead,
                    exact_match(text_lead, gold) if gold else 0.0,
                    f1_score(text_lead, gold) if gold else 0.0,
                    contains_answer(answer.text, gold) if gold else 0.0,
                    not answer.covered, answer.timings.ttft_ms, answer.timings.tokens_per_s,
                    answer.timings.tokens))
        finally:
            model.close()
        outcomes += mine
        answered = [o for o in mine if not o.declined]
        results.append(ModelOutcome(
            compared.name, compared.path.name, info.sha256, info.parameters,
            info.parameters_text, info.quantization, info.size_bytes, load_s, peak,
            max(0, peak - before), info.ram_estimate_bytes(context_tokens),
            _mean([o.ttft_ms for o in answered]), _mean([o.tokens_per_s for o in answered]),
            _mean([o.exact_match for o in mine]), _mean([o.f1 for o in mine]),
            _mean([o.contains for o in mine]), _mean([float(o.declined) for o in mine]),
            len(answered)))
    report("done", "", len(models), len(questions))
    return ComparisonRun(str(library.data_dir), list(questions), results, outcomes, margin,
                         recommend(results, margin), started_at,
                         {"context_tokens": context_tokens, "passages": answering.passages,
                          "min_similarity": answering.min_similarity,
                          "search_mode": answering.search_mode.value,
                          "max_tokens": answering.generation.max_tokens,
                          "threads": threads, "gpu_layers": gpu_layers})


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


def load_run(path: Path) -> ComparisonRun:
    """A kept run, read back (to draw its chart again or export it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != RUN_VERSION:
            raise ValueError(f"version {data.get('version')}, this build reads {RUN_VERSION}")
        return ComparisonRun(
            str(data["library"]),
            [ComparisonQuestion(q["id"], q["question"], tuple(q["answers"]), q["kind"],
                                q["source"]) for q in data["questions"]],
            [ModelOutcome(**m) for m in data["models"]],
            [QuestionOutcome(**o) for o in data["outcomes"]],
            float(data["margin"]), data["recommended"], str(data["started_at"]),
            dict(data.get("settings", {})), int(data["version"]), list(data.get("notes", [])))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise EnclaveError(f"{path}: not a readable comparison run ({error})") from error
