"""Answering speed: Enclave's whole answer path against raw llama.cpp on the same prompt.

Each run is a two-question conversation over a few real articles:
1. the first question (retrieval, four numbered passages, streaming, citation mapping);
2. a follow-up in the same conversation, whose prompt starts with the first exchange, so
   llama.cpp reuses the KV cache of that prefix;
3. the same follow-up again with the KV cache cleared: what it would cost without the reuse.
A second `llama_cpp.Llama` on the same file, threads and context runs the very same prompts
(built by Enclave) token by token with the same sampling, in the same order, so both see the
same cache state. Enclave's tokens/s is the product's own figure (`Answer.timings`).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from documents.errors import InvalidInputError
from inference.answer import Assistant, final_answer
from inference.bench.common import BenchReport, median, ratio
from inference.engine import GenerationSettings
from inference.prompt import Turn, build_prompt
from inference.settings import Settings
from inference.workspace import Workspace

#: Articles the questions are asked over (from the docqa-xquad data set).
ARTICLES = ("Super_Bowl_50.md", "Warsaw.md", "Oxygen.md")


@dataclass(frozen=True)
class RawRun:
    ttft_s: float
    tokens: int
    tokens_per_s: float


@dataclass(frozen=True)
class EnclaveRun:
    ttft_s: float
    tokens: int
    tokens_per_s: float
    retrieval_s: float
    passages: int
    prompt: str
    #: The exchange as a follow-up's prompt replays it.
    turn: Turn


def question_pairs(dataset: Path, count: int) -> list[tuple[str, str]]:
    """`count` (first, follow-up) pairs about one article, the two of equal length in words."""
    questions: list[str] = []
    with (dataset / "questions.jsonl").open(encoding="utf-8") as stream:
        for line in stream:
            row = json.loads(line)
            if row["doc"] == ARTICLES[0]:
                questions.append(str(row["question"]).strip())
    by_length: dict[int, list[str]] = {}
    for question in dict.fromkeys(questions):
        by_length.setdefault(len(question.split()), []).append(question)
    pairs: list[tuple[str, str]] = []
    for length in sorted(by_length, key=lambda n: (abs(n - 9), n)):
        group = by_length[length]
        pairs += [(group[i], group[i + 1]) for i in range(0, len(group) - 1, 2)]
    if len(pairs) < count:
        raise InvalidInputError(f"{dataset}: not enough questions about {ARTICLES[0]}")
    return pairs[:count]


class _NotCoveredError(Exception):
    """No passage was similar enough: the question cannot time an answer."""


class _Bench:
    def __init__(self, workspace: Workspace) -> None:
        from llama_cpp import Llama

        self.workspace = workspace
        self.model = workspace.model
        self.model.load()
        self.assistant: Assistant = workspace.assistant()
        self.generation: GenerationSettings = self.assistant.settings.generation
        self.raw: Any = Llama(
            model_path=str(self.model.file.path), n_ctx=self.model.context_tokens,
            n_threads=self.model.threads, n_threads_batch=self.model.batch_threads,
            n_gpu_layers=self.model.gpu_layers, verbose=False, seed=self.generation.seed)

    def close(self) -> None:
        self.raw.close()

    def enclave(self, question: str, history: Sequence[Turn]) -> EnclaveRun:
        answer, passages = final_answer(self.assistant.answer(question, history))
        if not answer.covered:
            raise _NotCoveredError(question)
        budget = self.model.context_tokens - self.generation.max_tokens - 8
        built = build_prompt(question, passages, history, budget, self.model.count_tokens)
        prompt, _ = self.model.format(built.messages)
        t = answer.timings
        return EnclaveRun(t.ttft_ms / 1000, t.tokens, t.tokens_per_s, t.retrieval_ms / 1000,
                          len(answer.citations), prompt, answer.turn())

    def raw_run(self, prompt: str, max_tokens: int) -> RawRun:
        """Token generation straight from llama_cpp.Llama.generate, timed like Enclave's."""
        settings = self.generation
        started = time.perf_counter()
        tokens = self.raw.tokenize(prompt.encode("utf-8"), special=True)
        self.raw.set_seed(settings.seed)
        eos = self.raw.token_eos()
        first = 0.0
        count = 0
        generator: Generator[int, None, None] = self.raw.generate(
            tokens, temp=settings.temperature, top_p=settings.top_p,
            repeat_penalty=settings.repeat_penalty)
        for token in generator:
            if token == eos or count >= max_tokens:
                break
            if count == 0:
                first = time.perf_counter()
            count += 1
        # Like Answer.timings: up to the step that ends the answer (the token after the last).
        finished = time.perf_counter()
        generator.close()
        decode = finished - first
        return RawRun(first - started, count, (count - 1) / decode if count > 1 and decode else 0.0)

    def clear_cache(self) -> None:
        """Forget the evaluated tokens of both models: the next prompt is evaluated whole."""
        self.model.raw_llama().reset()
        self.raw.reset()


def run_generate(settings: Settings, dataset: Path, runs: int = 5,
                 progress: Any = None) -> BenchReport:
    """The `bench generate` report; `settings` says which model, threads and embedder."""
    report = BenchReport("generate", runs)
    pairs = question_pairs(dataset, runs + 8)  # Spares for questions the library misses.
    with tempfile.TemporaryDirectory(prefix="enclave-bench-generate-") as folder:
        docs = Path(folder) / "docs"
        docs.mkdir()
        for name in ARTICLES:
            (docs / name).write_bytes((dataset / "documents" / name).read_bytes())
        workspace = Workspace(Path(folder) / "data", settings)
        workspace.unlock(opt_out=True)  # A throw-away library: nothing to encrypt.
        bench: _Bench | None = None
        try:
            workspace.library.add([docs])
            bench = _Bench(workspace)
            threads = {"generation": bench.model.threads, "prompt": bench.model.batch_threads}
            results: list[dict[str, Any]] = []
            warmed = False
            for first_q, follow_q in pairs:
                if len(results) == runs:
                    break
                try:
                    bench.clear_cache()  # A new conversation: nothing of the last run reused.
                    first = bench.enclave(first_q, ())
                    raw_first = bench.raw_run(first.prompt, max(first.tokens, 2))
                    history = [first.turn]
                    follow = bench.enclave(follow_q, history)
                    raw_follow = bench.raw_run(follow.prompt, max(follow.tokens, 2))
                    bench.clear_cache()
                    cold = bench.enclave(follow_q, history)
                    raw_cold = bench.raw_run(cold.prompt, max(cold.tokens, 2))
                except _NotCoveredError as missed:
                    report.notes.append(f"skipped (no passage similar enough): {missed}")
                    continue
                if not warmed:
                    warmed = True
                    continue  # Warm-up: first loads, first allocations, first cache fill.
                results.append({"first": first, "raw_first": raw_first, "follow": follow,
                                "raw_follow": raw_follow, "cold": cold, "raw_cold": raw_cold,
                                "prompt_tokens": {
                                    "first": bench.model.count_tokens(first.prompt),
                                    "follow": bench.model.count_tokens(follow.prompt),
                                    "first_message": bench.model.count_tokens(first.turn.sent),
                                    "follow_message": bench.model.count_tokens(
                                        follow.turn.sent)}})
                if progress is not None:
                    progress(f"run {len(results)}/{runs}: first token "
                             f"{first.ttft_s * 1000:.0f} ms, {first.tokens_per_s:.1f} tok/s")
        finally:
            if bench is not None:
                bench.close()
            workspace.close()
    if not results:
        raise InvalidInputError("no bench question was covered by the articles")
    _fill(report, results, settings, threads)
    return report


def _fill(report: BenchReport, results: list[dict[str, Any]], settings: Settings,
          threads: dict[str, int]) -> None:
    def series(key: str, attribute: str, scale: float = 1.0) -> list[float]:
        return [getattr(result[key], attribute) * scale for result in results]

    # Tokens/s over both answers of each run: more tokens, steadier figures.
    enclave_tps = [median([r["first"].tokens_per_s, r["follow"].tokens_per_s]) for r in results]
    raw_tps = [median([r["raw_first"].tokens_per_s, r["raw_follow"].tokens_per_s])
               for r in results]
    report.figure("enclave_tokens_per_s", "Enclave answer tokens/s", "tok/s", enclave_tps)
    report.figure("raw_tokens_per_s", "raw llama_cpp tokens/s", "tok/s", raw_tps)
    report.figure("enclave_ttft_first_ms", "Enclave first token, first question", "ms",
                  series("first", "ttft_s", 1000))
    report.figure("raw_ttft_first_ms", "raw first token, same prompt", "ms",
                  series("raw_first", "ttft_s", 1000))
    report.figure("enclave_retrieval_ms", "Enclave retrieval (in first token)", "ms",
                  series("first", "retrieval_s", 1000))
    report.figure("enclave_ttft_followup_ms", "Enclave first token, follow-up (KV reused)",
                  "ms", series("follow", "ttft_s", 1000))
    report.figure("enclave_ttft_followup_cold_ms", "Enclave first token, follow-up, KV cleared",
                  "ms", series("cold", "ttft_s", 1000))
    report.figure("raw_ttft_followup_ms", "raw first token, follow-up prompt (KV reused)", "ms",
                  series("raw_follow", "ttft_s", 1000))
    report.figure("enclave_answer_tokens", "answer length", "tokens",
                  [r["first"].tokens for r in results])
    report.figure("prompt_tokens_first", "first prompt", "tokens",
                  [r["prompt_tokens"]["first"] for r in results])
    report.figure("prompt_tokens_followup", "follow-up prompt", "tokens",
                  [r["prompt_tokens"]["follow"] for r in results])
    report.figure("message_tokens_first", "first question's message (sources, question)",
                  "tokens", [r["prompt_tokens"]["first_message"] for r in results])
    report.figure("message_tokens_followup", "follow-up's message (new sources, question)",
                  "tokens", [r["prompt_tokens"]["follow_message"] for r in results])
    per_run_tps = [ratio(e, r) for e, r in zip(enclave_tps, raw_tps, strict=True)]
    reuse = [ratio(r["follow"].ttft_s, r["cold"].ttft_s) for r in results]
    versus_first = [ratio(r["follow"].ttft_s, r["first"].ttft_s) for r in results]
    report.ratios["tokens_per_s_enclave_vs_raw"] = median(per_run_tps)
    report.ratios["ttft_first_enclave_vs_raw"] = median(
        [ratio(r["first"].ttft_s, r["raw_first"].ttft_s) for r in results])
    report.ratios["ttft_followup_reused_vs_cleared"] = median(reuse)
    report.ratios["ttft_followup_vs_first"] = median(versus_first)
    report.target("tokens/s Enclave vs raw", median(per_run_tps), ">= 0.95",
                  median(per_run_tps) >= 0.95)
    report.target("follow-up first token, KV reused vs cleared", median(reuse), "<= 0.5",
                  median(reuse) <= 0.5)
    first = results[0]["first"] if results else None
    report.details = {
        "model": str(settings.model_path or "default"),
        "threads": threads,
        "passages": first.passages if first else None,
        "max_tokens": GenerationSettings().max_tokens,
        "articles": list(ARTICLES),
    }
    report.notes.append(
        "follow-up questions have the same number of words as the first; the follow-up "
        "prompt holds the first exchange, so 'KV cleared' evaluates it all again; sources "
        "the first exchange already carries are referred to by number, not sent again")
