"""The `eval` command: retrieval on a BEIR dataset, and questions over documents.

    python main.py eval retrieval --dataset ../shared/data/scifact [--mode hybrid] [--json]
    python main.py eval docqa --dataset ../shared/data/docqa-xquad [--limit 200] [--json]

Both ingest into a throw-away data directory (or `--index-dir`, kept and reused) with the
app's default settings, changed only by the flags given.
"""

from __future__ import annotations

import argparse
import json
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
from inference.evaluation.beir import corpus_digest, evaluate_retrieval, load_beir
from inference.evaluation.docqa import HIT_K, evaluate_docqa
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
    retrieval.set_defaults(handler=cmd_eval_retrieval)

    docqa = kinds.add_parser(
        "docqa", parents=[common, shared],
        help=f"passage hit@{HIT_K}, citation accuracy and answer EM/F1 on questions over "
             "documents")
    docqa.add_argument("--limit", type=int, default=None,
                       help="use N questions spread evenly over the file")
    docqa.add_argument("--mode", choices=[m.value for m in SearchMode], default=None,
                       help="search mode (default: the app's)")
    docqa.add_argument("--retrieval-only", action="store_true",
                       help="skip the answers (no chat model): passage hit only")
    docqa.set_defaults(handler=cmd_eval_docqa)


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
    if getattr(args, "mode", None) and args.eval_kind == "docqa":
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
    dataset = load_beir(args.dataset, args.split)
    settings = _settings(args)
    mode = SearchMode(args.mode)
    with _work_dir(args) as work:
        embedder = Workspace(work, settings).embedder_path()
        name = f"{_index_name(args.dataset, settings, embedder)}-{corpus_digest(dataset)}"
        workspace = _eval_workspace(work / name, settings)
        try:
            result = evaluate_retrieval(dataset, workspace.library, mode, args.limit,
                                        progress=_ingest_progress())
        finally:
            workspace.close()
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


def cmd_eval_docqa(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.limit is not None and args.limit < 1:
        raise InvalidInputError("--limit must be at least 1")
    with _work_dir(args) as work:
        embedder = Workspace(work, settings).embedder_path()
        workspace = _eval_workspace(work / _index_name(args.dataset, settings, embedder),
                                    settings)
        printer = None if args.json else (lambda line: print(line, file=sys.stderr))
        try:
            result = evaluate_docqa(workspace, args.dataset, args.limit,
                                    answers=not args.retrieval_only, progress=printer,
                                    ingest_progress=_ingest_progress())
        finally:
            workspace.close()
    if args.json:
        print(json.dumps(result.to_json(details=True), indent=2))
        return 0
    print(f"{args.dataset}: {result.questions} questions over {result.documents} documents "
          f"({result.chunks} chunks)")
    print(f"  passage hit@{HIT_K}     {result.hit_at_k:.4f}")
    if result.answered:
        print(f"  citation accuracy {result.citation_accuracy:.4f}  (first citation names "
              f"the gold document; {result.answered} answers)\n"
              f"  answers citing    {result.cited_rate:.4f}\n"
              f"  exact match       {result.exact_match:.4f}\n  F1                {result.f1:.4f}"
              f"\n  answering         {result.answer_s / result.answered:.1f} s per question")
    print("configuration: " + json.dumps(result.config, indent=2))
    return 0
