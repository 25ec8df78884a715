"""The `eval` command: retrieval on a BEIR dataset, and questions over documents.

    python main.py eval retrieval --dataset ../shared/data/scifact [--mode hybrid] [--json]
    python main.py eval retrieval --dataset /tmp/near-twins --generate   (the near-twin set)
    python main.py eval retrieval --dataset ../shared/data/scifact --rerank   (does it pay?)
    python main.py eval docqa --dataset ../shared/data/docqa-xquad [--limit 200] [--json]
    python main.py eval followups --dataset ../shared/data/docqa-xquad [--no-rewrite] [--json]
    python main.py eval quotes --dataset ../shared/data/docqa-xquad --answers RECORDS.jsonl
    python main.py eval lists --dataset ../shared/data/docqa-xquad [--limit N] [--reask N]

Both ingest into a throw-away data directory (or `--index-dir`, kept and reused) with the
app's default settings, changed only by the flags given.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from documents.embedder import Embedder
from documents.errors import InvalidInputError
from documents.library import IngestProgress
from documents.retrieval import SearchMode
from inference.collection_answer import CollectionAssistant, CollectionSettings
from inference.collection_cache import PartCache
from inference.evaluation.beir import corpus_digest, evaluate_retrieval, load_beir
from inference.evaluation.docqa import HIT_K, UNANSWERABLE_SHARE, evaluate_docqa, plan_docqa
from inference.evaluation.followups import evaluate_follow_ups
from inference.evaluation.lists import evaluate_lists, list_questions
from inference.evaluation.near_twins import (
    generate_near_twins,
    is_near_twins,
    load_questions,
    twins_key,
)
from inference.evaluation.quotes import evaluate_quotes, load_records
from inference.evaluation.reranking import compare_reranking
from inference.evaluation.twins_retrieval import TOP_K, evaluate_twins
from inference.settings import Settings
from inference.workspace import Workspace


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the `eval` sub-command to the CLI's sub-parsers; set `handler` on its parser."""
    evaluation = commands.add_parser("eval", help="measure retrieval and answers on a dataset")
    kinds = evaluation.add_subparsers(dest="eval_kind", metavar="KIND", required=True)
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--dataset", type=Path, required=True, help="the dataset folder")
    shared.add_argument("--json", action="store_true", help="print one JSON object")
    shared.add_argument("--index-dir", type=Path, default=None,
                        help="keep the ingested index here and reuse it on the next run with "
                             "the same embedder and chunking (default: a temporary folder)")
    shared.add_argument("--chunk-tokens", type=int, default=None,
                        help="chunk size in embedder tokens (default: the app's)")
    shared.add_argument("--chunk-overlap", type=int, default=None,
                        help="overlap of split paragraphs in tokens (default: the app's)")

    retrieval = kinds.add_parser(
        "retrieval", parents=[common, shared],
        help="nDCG@10, Recall@10/100, MRR@10 on a BEIR dataset (corpus.jsonl, queries.jsonl, "
             "qrels/test.tsv)")
    retrieval.add_argument("--mode", choices=[m.value for m in SearchMode],
                           default=SearchMode.HYBRID.value)
    retrieval.add_argument("--split", default="test", help="the qrels file to use")
    retrieval.add_argument("--limit", type=int, default=None,
                           help="evaluate only the first N judged queries")
    retrieval.add_argument("--generate", action="store_true",
                           help="first write the near-twin set (20 companies x 5 years of "
                                "annual reports, 200 questions; needs fpdf2) into --dataset, "
                                "a new or empty folder")
    retrieval.add_argument("--rerank", type=_depths, default=None, metavar="N[,N...]",
                           help="compare the search with and without a late-interaction "
                                "reranking of its top N candidates (e.g. 20,50), and time it")
    retrieval.set_defaults(handler=cmd_eval_retrieval)

    answers = argparse.ArgumentParser(add_help=False)
    answers.add_argument("--output", type=Path, default=None,
                         help="write one JSON record per question (question, gold, answer, "
                              "lead, metrics, citations, timing) to this file")

    docqa = kinds.add_parser(
        "docqa", parents=[common, shared, answers],
        help=f"passage hit@{HIT_K}, answer EM/F1/contains, citations and declines on "
             "questions over documents")
    docqa.add_argument("--limit", type=int, default=200,
                       help="use N questions, each group spread evenly over the file "
                            "(default: 200; 0 for all)")
    docqa.add_argument("--unanswerable-share", type=float, default=UNANSWERABLE_SHARE,
                       help="share of articles left out of the library, and of questions "
                            "asked about them (default: 1/6; 0 for none)")
    docqa.add_argument("--seed", type=int, default=0,
                       help="chooses the articles left out (default: 0)")
    docqa.add_argument("--mode", choices=[m.value for m in SearchMode], default=None,
                       help="search mode (default: the app's)")
    docqa.add_argument("--retrieval-only", action="store_true",
                       help="skip the answers (no chat model): passage hit only")
    docqa.set_defaults(handler=cmd_eval_docqa)

    followups = kinds.add_parser(
        "followups", parents=[common, shared, answers],
        help="follow-up questions in one conversation: does retrieval for the dependent "
             "question find the article, and is its answer right?")
    followups.add_argument("--limit", type=int, default=None,
                           help="use N pairs spread evenly (default: all)")
    followups.add_argument("--no-rewrite", action="store_true",
                           help="do not rewrite a follow-up into a standalone query")
    followups.set_defaults(handler=cmd_eval_followups)

    quotes = kinds.add_parser(
        "quotes", parents=[common, shared],
        help="how often the quote check flags right and wrong answers, on the records of an "
             "earlier `eval docqa --output` run (no answers are generated)")
    quotes.add_argument("--answers", type=Path, required=True,
                        help="the records `eval docqa --output FILE` wrote")
    quotes.add_argument("--unanswerable-share", type=float, default=UNANSWERABLE_SHARE,
                        help="as given to the docqa run (default: 1/6)")
    quotes.add_argument("--seed", type=int, default=0, help="as given to the docqa run")
    quotes.add_argument("--output", type=Path, default=None,
                        help="write each checked answer with its check to this file")
    quotes.set_defaults(handler=cmd_eval_quotes)

    lists = kinds.add_parser(
        "lists", parents=[common, shared, answers],
        help="'Which articles mention X?' across the whole collection and in normal mode: "
             "precision and recall of the files listed, time per question, cache re-asks")
    lists.add_argument("--limit", type=int, default=None, help="use the first N questions")
    lists.add_argument("--no-normal", action="store_true",
                       help="skip the normal-mode answers (whole collection only)")
    lists.add_argument("--ask-model", action="store_true",
                       help="ask the model about every relevant file, also those a quote "
                            "answers (the cost before quotes answered mention questions)")
    lists.add_argument("--reask", type=int, default=1,
                       help="ask the first N questions again, from the cache (default: 1)")
    lists.set_defaults(handler=cmd_eval_lists)


def _settings(args: argparse.Namespace) -> Settings:
    """The app's defaults (not the user's saved settings), changed only by the flags."""
    changes: dict[str, Any] = {}
    if args.model:
        changes["model_path"] = str(args.model.expanduser().resolve())
    if args.embedder:
        changes["embedder_path"] = str(args.embedder.expanduser().resolve())
    if args.chunk_tokens is not None:
        changes["chunk_tokens"] = args.chunk_tokens
    if args.chunk_overlap is not None:
        changes["chunk_overlap_tokens"] = args.chunk_overlap
    if getattr(args, "mode", None) and args.eval_kind != "retrieval":
        changes["search_mode"] = args.mode
    settings = Settings().with_changes(**changes)
    settings.chunking  # noqa: B018  (validates the sizes before anything is ingested)
    return settings


@contextmanager
def _work_dir(args: argparse.Namespace) -> Iterator[Path]:
    if args.index_dir is not None:
        args.index_dir.mkdir(parents=True, exist_ok=True)
        yield args.index_dir.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="enclave-eval-") as folder:
        yield Path(folder)


def _eval_workspace(data_dir: Path, settings: Settings) -> Workspace:
    """A workspace for public benchmark data in a throw-away (or --index-dir) folder.

    It is created unencrypted by explicit opt-out: the data is a public dataset, and an eval
    must not need a keyring or a passphrase.
    """
    workspace = Workspace(data_dir, settings)
    workspace.unlock(opt_out=True)
    return workspace


@contextmanager
def _dataset_workspace(args: argparse.Namespace, settings: Settings,
                       variant: str) -> Iterator[Workspace]:
    """The eval's workspace, its index kept per dataset, embedder, chunking and `variant`
    (under --index-dir, or in a throw-away folder), closed afterwards."""
    with _work_dir(args) as work:
        embedder = Workspace(work, settings).embedder_path()
        name = f"{_index_name(args.dataset, settings, embedder)}-{variant}"
        workspace = _eval_workspace(work / name, settings)
        try:
            yield workspace
        finally:
            workspace.close()


def _index_name(dataset: Path, settings: Settings, embedder: Path) -> str:
    """One kept index per dataset, embedder and chunking, so none is reused stale."""
    identity = Embedder(embedder).identity
    return (f"{dataset.resolve().name}-{identity}-c{settings.chunk_tokens}"
            f"o{settings.chunk_overlap_tokens}")


def _ingest_progress() -> Callable[[IngestProgress], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(progress: IngestProgress) -> None:
        end = "\n" if progress.done == progress.total else ""
        print(f"\ringesting [{progress.done}/{progress.total}] {progress.chunks} chunks",
              end=end, file=sys.stderr, flush=True)
    return show


def cmd_eval_retrieval(args: argparse.Namespace) -> int:
    if args.generate and not is_near_twins(args.dataset):
        reports = generate_near_twins(args.dataset)
        _stderr(f"wrote {reports} reports and their questions to {args.dataset}")
    if args.rerank:
        return _eval_rerank(args)
    if is_near_twins(args.dataset):
        return _eval_twins(args)
    dataset = load_beir(args.dataset, args.split)
    settings = _settings(args)
    mode = SearchMode(args.mode)
    with _dataset_workspace(args, settings, corpus_digest(dataset)) as workspace:
        result = evaluate_retrieval(dataset, workspace.library, mode, args.limit,
                                    progress=_ingest_progress())
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    m = result.metrics
    print(f"{result.dataset} ({args.split}): {result.queries} queries, {result.documents} "
          f"documents in {result.chunks} chunks, mode {result.mode}")
    if result.failed_documents:
        print(f"  {result.failed_documents} document(s) could not be indexed")
    print(f"  nDCG@10    {m['ndcg@10']:.4f}\n  Recall@10  {m['recall@10']:.4f}\n"
          f"  Recall@100 {m['recall@100']:.4f}\n  MRR@10     {m['mrr@10']:.4f}\n"
          f"  queries/s  {result.queries_per_s:.1f}   (ingest {result.ingest_s:.0f} s)")
    print("configuration: " + json.dumps(result.config, indent=2))
    return 0


def _eval_twins(args: argparse.Namespace) -> int:
    """The near-twin set: doc hit@1/@5 and page hit@5 of the passage search."""
    settings = _settings(args)
    mode = SearchMode(args.mode)
    with _dataset_workspace(args, settings, twins_key(args.dataset)) as workspace:
        result = evaluate_twins(args.dataset, workspace.library, mode, args.limit,
                                progress=_ingest_progress())
    result.config["command"] = _command_line()
    if args.json:
        print(json.dumps(result.to_json(details=True), indent=2))
        return 0
    print(f"{args.dataset}: {result.questions} questions over {result.documents} near-twin "
          f"reports ({result.chunks} chunks), mode {result.mode}")
    _table([
        ("doc hit@1", result.doc_hit_1, "the first passage is from the evidence file"),
        (f"doc hit@{TOP_K}", result.doc_hit_k, "goal >= 0.95"),
        (f"page hit@{TOP_K}", result.page_hit_k, "the evidence page; goal >= 0.7"),
        ("misses crowded by siblings", result.sibling_crowded,
         "another year of the same company in the top 5"),
        ("queries/s", result.queries_per_s, f"ingest {result.ingest_s:.0f} s"),
    ])
    print("configuration: " + json.dumps(result.config, indent=2))
    return 0


def _eval_rerank(args: argparse.Namespace) -> int:
    """Either set's eval without and with reranking (docs/retrieval.md, *Reranking*)."""
    settings = _settings(args)
    mode = SearchMode(args.mode)
    if is_near_twins(args.dataset):
        questions = [q.question for q in load_questions(args.dataset)][:args.limit]
        variant = twins_key(args.dataset)
    else:
        dataset = load_beir(args.dataset, args.split)
        questions = [dataset.queries[q] for q in dataset.qrels if q in dataset.queries]
        variant = corpus_digest(dataset)
    with _dataset_workspace(args, settings, variant) as workspace:
        library = workspace.library

        def run() -> dict[str, float]:
            if is_near_twins(args.dataset):
                twins = evaluate_twins(args.dataset, library, mode, args.limit,
                                       progress=_ingest_progress())
                return {"doc_hit@1": twins.doc_hit_1, f"doc_hit@{TOP_K}": twins.doc_hit_k,
                        f"page_hit@{TOP_K}": twins.page_hit_k}
            return evaluate_retrieval(dataset, library, mode, args.limit,
                                      progress=_ingest_progress()).metrics
        comparison = compare_reranking(library, run, questions, args.rerank)
    data = {**comparison.to_json(), "dataset": str(args.dataset), "mode": mode.value,
            "command": _command_line()}
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for row in comparison.rows:
        print(f"  {row.name:<36}" + "  ".join(f"{key} {value:.4f}"
                                            for key, value in row.metrics.items()))
    for depth, timing in data["added_ms"].items():
        print(f"  reranking the top {depth} adds {timing['p50']} ms (p50), "
              f"{timing['p95']} ms (p95) per question; the first stage took "
              f"{timing['first_stage_p50']} / {timing['first_stage_p95']} ms")
    return 0


def _depths(text: str) -> list[int]:
    try:
        depths = [int(part) for part in text.split(",")]
    except ValueError:
        depths = []
    if not depths or min(depths) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected depths such as 20,50")
    return depths


def _command_line() -> str:
    """The command as typed, recorded with each result."""
    return shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _write_records(path: Path | None, records: list[dict[str, Any]]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")


def _table(rows: list[tuple[str, Any, str]]) -> None:
    """Label, value, note: a rate with 4 decimals, a time or speed with 1, missing as "-"."""
    for label, value, note in rows:
        if isinstance(value, float):
            shown = f"{value:.1f}" if abs(value) >= 10 else f"{value:.4f}"
        else:
            shown = "-" if value is None else str(value)
        print(f"  {label:<34}{shown:>10}  {note}".rstrip())


def cmd_eval_docqa(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.limit < 0:
        raise InvalidInputError("--limit must be 0 (all) or more")
    plan = plan_docqa(args.dataset, args.limit or None, args.unanswerable_share, args.seed)
    with _dataset_workspace(args, settings, plan.library_key) as workspace:
        result = evaluate_docqa(workspace, plan, answers=not args.retrieval_only,
                                progress=_stderr, ingest_progress=_ingest_progress())
    result.config["command"] = _command_line()
    _write_records(args.output, [outcome.to_json() for outcome in result.outcomes])
    if args.json:
        print(json.dumps(result.to_json(details=True), indent=2))
        return 0
    print(f"{args.dataset}: {result.questions} questions ({result.answerable} answerable, "
          f"{result.unanswerable} on {len(result.held_out)} articles left out) over "
          f"{result.documents} documents ({result.chunks} chunks)")
    rows: list[tuple[str, Any, str]] = [
        (f"passage hit@{HIT_K}", result.hit_at_k, "answerable questions")]
    if result.answered:
        q, t = result.quality, result.runtime
        rows += [
            ("exact match", q["exact_match"], "on the lead (first sentence)"),
            ("token F1", q["f1"], "on the lead; goal >= 0.6"),
            ("contains gold answer", q["contains"], "in the whole answer"),
            ("citation accuracy", q["citation_accuracy"],
             "first cited (else first listed) source is the gold article; goal >= 0.9"),
            ("answers citing", q["cited_rate"], "write at least one [n]"),
            ("markers all valid", q["markers_valid"],
             f"of the {q['answers_with_markers']} answers with markers"),
            ("declined, unanswerable", result.declined_unanswerable, "goal >= 0.8"),
            ("declined, answerable", q["declined"], "goal <= 0.1"),
            ("truncated", t["truncated"], "hit the token limit"),
            ("first token (ms)", t["ttft_ms"], "mean"),
            ("tokens/s", t["tokens_per_s"], "mean decode speed"),
            ("seconds per question", result.answer_s / result.answered, ""),
        ]
    _table(rows)
    print("configuration: " + json.dumps(result.config, indent=2))
    return 0


def cmd_eval_followups(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with _dataset_workspace(args, settings, "all") as workspace:
        result = evaluate_follow_ups(workspace, args.dataset, args.limit,
                                     rewrite=not args.no_rewrite, progress=_stderr,
                                     ingest_progress=_ingest_progress())
    result.config["command"] = _command_line()
    _write_records(args.output, [outcome.to_json() for outcome in result.outcomes])
    if args.json:
        print(json.dumps(result.to_json(details=True), indent=2))
        return 0
    k, q, t = result.k, result.quality, result.runtime
    print(f"{args.dataset}: {result.pairs} pair(s) of a question and its follow-up over "
          f"{result.documents} documents, "
          f"rewrite {'on' if result.rewrite_follow_ups else 'off'}")
    _table([
        *[(f"{level} hit@{k}, {where}", result.hits.get(f"{key}_{level}_hit"), note)
          for key, where, note in (
              ("conversation", "in conversation", "gold among the sources"),
              ("original", "original", "original question, retrieval alone"),
              ("alone", "follow-up alone", "retrieval alone, no history"))
          for level in ("article", "paragraph")],
        ("exact match", q["exact_match"], "second answer's lead"),
        ("token F1", q["f1"], "second answer's lead"),
        ("contains gold answer", q["contains"], "second answer"),
        ("citation accuracy", q["citation_accuracy"], "second answer"),
        ("markers all valid", q["markers_valid"], "sources of both turns count"),
        ("declined", q["declined"], "second answer"),
        ("truncated", t["truncated"], "second answer"),
        ("first token (ms)", t["ttft_ms"], "second answer, mean"),
        ("tokens/s", t["tokens_per_s"], "second answer, mean"),
    ])
    print("configuration: " + json.dumps(result.config, indent=2))
    return 0


def cmd_eval_quotes(args: argparse.Namespace) -> int:
    settings = _settings(args)
    records = load_records(args.answers)
    plan = plan_docqa(args.dataset, None, args.unanswerable_share, args.seed)
    with _dataset_workspace(args, settings, plan.library_key) as workspace:
        report = workspace.library.add(plan.ingested, _ingest_progress())
        if report.failed:
            raise InvalidInputError(f"{len(report.failed)} document(s) failed: "
                                    f"{report.failed[0]}")
        result = evaluate_quotes(workspace, records, progress=_stderr)
    result.config.update({"command": _command_line(), "answers": str(args.answers)})
    _write_records(args.output, [answer.to_json() for answer in result.answers])
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    c = result.checked
    print(f"{args.answers}: {result.records} records; checked {c['correct']} correct, "
          f"{c['wrong']} wrong and {c['unanswerable']} unanswerable-but-answered answers "
          f"({result.sources_mismatched} skipped: retrieval no longer gives their sources); "
          f"sentences {result.sentences}; {result.check_ms:.0f} ms per check")
    print("threshold | flagged sentences: correct  wrong  unanswerable | precision recall"
          " | flagged answers: correct  wrong  unanswerable | precision recall")
    for row in result.rows:
        cells = [f"{row['threshold']:.2f}"]
        for level in ("sentence", "answer"):
            cells += [_percent(row[f"{level}_flagged_{g}"])
                      for g in ("correct", "wrong", "unanswerable")]
            cells += [_percent(row[f"{level}_precision"]), _percent(row[f"{level}_recall"])]
        print(" | ".join(cells))
    print("configuration: " + json.dumps(result.config, indent=2))
    return 0


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def cmd_eval_lists(args: argparse.Namespace) -> int:
    settings = _settings(args)
    questions = list_questions(args.dataset / "documents")[:args.limit]
    with _dataset_workspace(args, settings, "all") as workspace, \
            tempfile.TemporaryDirectory(prefix="enclave-eval-cache-") as cache_dir:
        report = workspace.library.add([args.dataset / "documents"], _ingest_progress())
        if report.failed:
            raise InvalidInputError(f"{len(report.failed)} document(s) failed: "
                                    f"{report.failed[0]}")
        cache = PartCache(Path(cache_dir))  # Empty: the first asks cost what a user's would.
        try:
            collection = CollectionAssistant(
                workspace.library, workspace.model, cache,
                CollectionSettings(quote_mentions=not args.ask_model))
            normal = None if args.no_normal else workspace.assistant()
            result = evaluate_lists(collection, normal, questions, args.reask, _stderr)
        finally:
            cache.close()
        result.config.update({"command": _command_line(), "model": workspace.model.file.name,
                              "ask_model": args.ask_model,
                              "files": workspace.library.store.indexed_document_count()})
    _write_records(args.output, [outcome.to_json() for outcome in result.outcomes])
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    print(f"{args.dataset}: {len(questions)} list question(s) over "
          f"{result.config['files']} articles, model {result.config['model']}")
    for mode in ("collection", "normal"):
        summary = result.summary(mode)
        if summary["questions"]:
            _table([(f"{mode}: precision", summary["precision"], "of the files listed"),
                    (f"{mode}: recall", summary["recall"], "of the gold files; goal >= 0.8"),
                    (f"{mode}: seconds per question", summary["seconds_per_question"], "")])
    for question, first, again in result.reasks:
        print(f"  re-ask from the cache: {first:.1f} s -> {again:.1f} s "
              f"({first / again:.0f}x) for {question!r}")
    return 0
