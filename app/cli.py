"""The headless command line: the same core as the GUI, for scripting, IT and tests."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from app.cli_bench import register as register_bench
from app.cli_collection import SCOPE_HELP, ask_collection, chosen_scope
from app.cli_eval import register as register_eval
from app.cli_folders import register as register_folders
from app.cli_models import register as register_models
from app.cli_named_collections import UNKNOWN_COLLECTION_EXIT
from app.cli_named_collections import register as register_collections
from app.cli_selfcheck import register as register_selfcheck
from app.export import ExportFormat, export_conversation
from app.ingest_lines import Heartbeat, ProgressLines, StopOnSignal
from app.ingest_lines import shown as _shown
from app.pending_batch import PendingBatch, PendingBatchFile
from documents.collections import UnknownCollectionError
from documents.errors import EnclaveError
from documents.library import IngestProgress, IngestReport
from documents.query_filter import QueryFilter
from documents.retrieval import SearchMode
from inference.answer import FINISH_NOTES, AnswerFinished, SourcesFound, TokenGenerated
from inference.catalog import CHAT_MODELS, DEFAULT_CHAT_MODEL, KNOWN_MODELS, model_by_label
from inference.encryption import KeyUnavailableError, PassphraseRequiredError, recorded_mode
from inference.logs import setup_logging
from inference.paths import default_data_dir, model_dirs
from inference.policy import load_policy
from inference.quote_check import NOT_FOUND, plain_text
from inference.workspace import Workspace

Command = Callable[[argparse.Namespace], int]

log = logging.getLogger(__name__)


class CliError(EnclaveError):
    """A user-facing failure: printed as one line, exit code 1."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="enclave", description="Enclave: private document Q&A on local models.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=None,
                        help="data directory (default: the per-user one, or $ENCLAVE_DATA_DIR)")
    common.add_argument("--model", type=Path, default=None, help="a GGUF chat model file")
    common.add_argument("--embedder", type=Path, default=None,
                        help="a local sentence-transformers model directory")
    common.add_argument("--no-encryption", action="store_true",
                        help="when creating a data directory: store it unencrypted (opt-out)")
    common.add_argument("--debug", action="store_true",
                        help="debug logging: the log file then also holds questions and "
                             "document text (off by default)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", parents=[common], help="open the desktop app (default)")
    gui.add_argument("--with-samples", action="store_true",
                     help="index the bundled sample documents into an empty library")

    ingest = commands.add_parser("ingest", parents=[common], help="add files or folders")
    ingest.add_argument("paths", nargs="*", type=Path)
    ingest.add_argument("--password", default=None,
                        help="password tried on every encrypted PDF, folders included")
    ingest.add_argument("--json", action="store_true",
                        help="print progress as JSON lines, then the report as the last line")
    ingest.add_argument("--resume", action="store_true",
                        help="also index what a stopped or cut batch left unfinished")
    ingest.add_argument("--ocr", action="store_true",
                        help="read scanned PDF pages and pictures by text recognition (slow)")
    ingest.add_argument("--collection", default=None, metavar="NAME",
                        help="also add the files and folders to this collection")

    ask = commands.add_parser("ask", parents=[common], help="answer a question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--conversation", type=int, default=None,
                     help="continue this conversation id (see `conversations`)")
    ask.add_argument("--mode", choices=[m.value for m in SearchMode], default=None)
    ask.add_argument("--no-filter", action="store_true",
                     help="search every document even when the question names some")
    ask.add_argument("--scope", nargs="+", default=None, metavar="SCOPE", help=SCOPE_HELP)
    ask.add_argument("--collection", default=None, metavar="NAME",
                     help="search only this collection (the conversation keeps it)")

    docs = commands.add_parser("docs", parents=[common], help="list indexed documents")
    docs.add_argument("--json", action="store_true")

    remove = commands.add_parser("remove", parents=[common], help="remove documents")
    remove.add_argument("paths", nargs="+", type=Path)

    search = commands.add_parser("search", parents=[common], help="show retrieved passages")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--mode", choices=[m.value for m in SearchMode],
                        default=SearchMode.HYBRID.value)
    search.add_argument("--json", action="store_true")
    search.add_argument("--no-filter", action="store_true",
                        help="search every document even when the query names some")
    search.add_argument("--collection", default=None, metavar="NAME",
                        help="search only this collection")

    conversations = commands.add_parser("conversations", parents=[common],
                                        help="list saved conversations, or export one")
    conversation_commands = conversations.add_subparsers(dest="conversations_command",
                                                         metavar="ACTION")
    conversation_export = conversation_commands.add_parser(
        "export", parents=[common], help="write one conversation with its sources")
    conversation_export.add_argument("id", type=int, help="its id (see `conversations`)")
    conversation_export.add_argument("--format", choices=[f.value for f in ExportFormat],
                                     default=ExportFormat.MARKDOWN.value)
    conversation_export.add_argument("--output", type=Path, default=None,
                                     help="file (default: stdout)")

    audit = commands.add_parser("audit", parents=[common], help="the answers' audit trail")
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    audit_commands.add_parser("verify", parents=[common],
                              help="check that no entry was altered, removed or reordered")
    export = audit_commands.add_parser("export", parents=[common],
                                       help="write every entry as JSON for a compliance officer")
    export.add_argument("--output", type=Path, default=None, help="file (default: stdout)")
    commands.add_parser("reindex", parents=[common],
                        help="re-embed every chunk with the configured embedder")

    for register in (register_eval, register_bench, register_selfcheck, register_models,
                     register_folders, register_collections):
        register(commands, common)

    provision = commands.add_parser("provision", help="put the pinned models on disk (set-up)")
    provision.add_argument("--with-test-models", action="store_true",
                           help="every catalog model, the tests' second GGUF included")
    provision.add_argument("--model", action="append", default=[], metavar="LABEL",
                           help="also this catalog model: "
                                + ", ".join(f"{m.label} ({m.file_name})" for m in CHAT_MODELS))
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None) or _COMMANDS.get(args.command or "")
    if handler is None:
        parser.print_help()
        return 2
    log_file = setup_logging(debug=getattr(args, "debug", False))
    command = " ".join(filter(None, (args.command, getattr(args, "audit_command", None),
                                     getattr(args, "conversations_command", None),
                                     getattr(args, "collections_command", None),
                                     getattr(args, "eval_kind", None),
                                     getattr(args, "models_command", None),
                                     getattr(args, "stage", None))))
    log.info("enclave %s: started", command)  # Never the arguments: they hold questions.
    try:
        return handler(args)
    except UnknownCollectionError as error:  # A name a script got wrong: its own exit code.
        log.info("enclave %s: told the user: %s", command, error)
        print(f"enclave: error: {error}", file=sys.stderr)
        return UNKNOWN_COLLECTION_EXIT
    except EnclaveError as error:
        # One class for every error a user can act on: one line naming the file and cause.
        # Logged as information, with its traceback: the user was told, nothing broke.
        log.info("enclave %s: told the user: %s", command, error, exc_info=True)
        print(f"enclave: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        log.exception("enclave %s: unexpected error", command)
        print(f"enclave: error: something unexpected went wrong ({type(error).__name__}: "
              f"{error}); the details are in {log_file}", file=sys.stderr)
        return 1


def workspace_for(args: argparse.Namespace, unlock: bool = True) -> Workspace:
    """The workspace the arguments name; unlocked here unless the caller does it itself."""
    policy = load_policy()  # Managed policy: a fixed data dir or model list refuses flags.
    data_dir = policy.resolve_data_dir(args.data_dir, default_data_dir()).expanduser().resolve()
    if getattr(args, "model", None):
        policy.check_model_import(args.model, model_dirs())
    workspace = Workspace(data_dir, policy=policy)
    if unlock:
        _unlock(workspace, getattr(args, "no_encryption", False))
    changes: dict[str, object] = {}
    if getattr(args, "model", None):
        changes["model_path"] = str(args.model.expanduser().resolve())
    if getattr(args, "embedder", None):
        changes["embedder_path"] = str(args.embedder.expanduser().resolve())
    if getattr(args, "mode", None) and args.command == "ask":
        changes["search_mode"] = args.mode
    if getattr(args, "ocr", False):
        changes["ocr"] = True
    if changes:
        workspace.settings = workspace.settings.with_changes(**changes)
    return workspace


def _unlock(workspace: Workspace, opt_out: bool) -> None:
    """Get the data key, asking for a passphrase on a terminal when one is needed."""
    try:
        workspace.unlock(opt_out=opt_out)
        return
    except PassphraseRequiredError as error:
        if not sys.stdin.isatty():
            raise CliError(str(error)) from error
        print(error, file=sys.stderr)
    creating = recorded_mode(workspace.data_dir) is None
    passphrase = getpass.getpass("Passphrase: ")
    if creating and getpass.getpass("Repeat the passphrase: ") != passphrase:
        raise CliError("the passphrases differ")
    try:
        workspace.unlock(passphrase)
    except KeyUnavailableError as error:
        raise CliError(str(error)) from error


def _progress_printer(enabled: bool) -> Callable[[IngestProgress], None] | None:
    if not enabled:
        return None

    def show(progress: IngestProgress) -> None:
        path = progress.path or progress.current  # a finished file, or the one at work
        name = path.name if path else ""
        counts = f"[{progress.done}/{progress.total}] {progress.chunks} chunks"
        if progress.ocr_total:  # the OCR phase: scanned pages, seconds each
            rate = progress.ocr_pages_per_s
            counts = (f"[OCR {progress.ocr_done}/{progress.ocr_total} pages"
                      + (f", {rate:.1f} pages/s]" if rate else "]"))
        print(f"\r{counts}  {name[:50]:<50}", end="", file=sys.stderr, flush=True)
    return show


def report_lines(report: IngestReport) -> list[str]:
    lines = [f"added {len(report.added)}, replaced {len(report.replaced)}, unchanged "
             f"{len(report.unchanged)}, removed {len(report.removed)}, failed "
             f"{len(report.failed)}; {report.pages} pages, {report.chunks} chunks"]
    lines += [f"  failed: {_shown(error.path)}: {error.reason}\n    {error.advice}"
              for error in report.failed]
    lines += [f"  indexed, note: {_shown(note.path)}: {note.reason}\n    {note.advice}"
              for note in report.notes]
    if report.cancelled:
        lines.append("  stopped: the files above were kept; `ingest --resume` finishes the batch")
        lines += [f"  not indexed yet: {_shown(path)}" for path in report.not_done]
    return lines


def cmd_ingest(args: argparse.Namespace) -> int:
    """Index the paths; progress as JSON lines for --json or a log (see `app.ingest_lines`).

    The batch is recorded as pending until it completes, so a run that is stopped (SIGTERM,
    Ctrl-C, a timeout) or killed can be finished by `ingest --resume`, or from the window.
    A stop ends the batch after the file at work and still prints the partial report.
    """
    workspace = workspace_for(args)
    try:
        if args.collection is not None:  # An unknown name stops before any work.
            workspace.library.collections.get(args.collection)
        pending = PendingBatchFile(workspace.data_dir, workspace.unlock().key)
        earlier = pending.load()
        paths = [path.expanduser().resolve() for path in args.paths]
        if args.resume and earlier is not None:
            paths = list(dict.fromkeys([*map(Path, earlier.paths), *paths]))
        if not paths:
            raise CliError("nothing to index: name files or folders"
                           + ("" if args.resume else ", or --resume an unfinished batch"))
        others = [p for p in (earlier.paths if earlier else []) if Path(p) not in paths]
        pending.save(PendingBatch([*others, *map(str, paths)]))
        lines = ProgressLines(sys.stdout) if args.json else (
            None if sys.stderr.isatty() else ProgressLines(sys.stderr))
        cancel = threading.Event()
        with StopOnSignal(cancel) as stop, Heartbeat(lines.heartbeat if lines else _no_beat):
            report = workspace.library.add(
                paths, lines if lines is not None else _progress_printer(sys.stderr.isatty()),
                cancel, password=args.password)
        if not report.cancelled:
            pending.save(PendingBatch(others))
        if args.collection is not None:
            workspace.library.collections.add(args.collection, paths)
    finally:
        workspace.close()
    if lines is None and sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        assert lines is not None
        lines.final(report_json(report))
    else:
        print("\n".join(report_lines(report)))
    if report.cancelled:
        return 128 + stop.signal if stop.signal else 1
    # Non-zero whenever a file was not indexed: a script must not take a partial batch
    # for a complete one. The report above says which files, and why.
    return 1 if report.failed else 0


def _no_beat() -> None:
    """The heartbeat of a batch shown on a terminal's progress line: nothing to write."""


def report_json(report: IngestReport) -> dict[str, object]:
    """`ingest --json`'s report: every file's fate, and whether a stop cut the batch."""
    return {
        "added": [str(p) for p in report.added], "replaced": [str(p) for p in report.replaced],
        "unchanged": [str(p) for p in report.unchanged],
        "removed": [str(p) for p in report.removed],
        "failed": [{"file": _shown(e.path), "reason": e.kind.value, "detail": e.detail,
                    "advice": e.advice} for e in report.failed],
        "notes": [{"file": _shown(n.path), "note": n.kind.value, "detail": n.detail,
                   "advice": n.advice} for n in report.notes],
        "pages": report.pages, "chunks": report.chunks, "cancelled": report.cancelled,
        "not_done": [_shown(path) for path in report.not_done]}


def cmd_ask(args: argparse.Namespace) -> int:
    scope = chosen_scope(args)
    workspace = workspace_for(args)
    try:
        store = workspace.conversations
        collection = (workspace.library.collections.get(args.collection).id
                      if args.collection is not None else None)
        if args.conversation is not None:
            if store.get(args.conversation) is None:
                raise CliError(f"no conversation {args.conversation}")
            conversation_id = args.conversation
            if collection is not None:
                store.set_collection(conversation_id, collection)
        else:
            conversation_id = store.create(args.question[:60], collection).id
        scoped = workspace.conversation_collection(conversation_id)
        if scoped is not None and not args.json:
            print(f"(searching the collection {scoped} only)", file=sys.stderr)
        store.add_message(conversation_id, "user", args.question)
        log.debug("question: %s", args.question)  # Debug logging only: it holds the text.
        if scope is not None:
            return ask_collection(args, workspace, conversation_id, scope)
        answer = None
        streamed = False
        for event in workspace.answer(conversation_id, args.question,
                                      filtered=not args.no_filter):
            if isinstance(event, SourcesFound) and event.filter is not None and not args.json:
                _print_filter(event.filter)
            if isinstance(event, TokenGenerated) and not args.json:
                print(event.text, end="", flush=True)
                streamed = True
            elif isinstance(event, AnswerFinished):
                answer = event.answer
        assert answer is not None
    finally:
        workspace.close()
    if args.json:
        print(json.dumps({**answer.to_json(), "conversation": conversation_id}, indent=2))
        return 0
    if not streamed:
        print(answer.text)
    note = FINISH_NOTES.get(answer.finish_reason)
    if note is not None:
        print(f"\n({note[0]}: {note[1]})")
    print("\n")
    for citation in answer.citations:
        mark = f"[{citation.number}]" if citation.cited else f"({citation.number})"
        print(f"{mark} {citation.passage.location}")
    for check in answer.check:
        if not check.supported:
            print(f"\n! \u201c{check.sentence}\u201d: {NOT_FOUND}")
    if answer.closest is not None:
        quote = answer.closest.quote
        place = next((c.passage.location for c in answer.citations
                      if c.number == quote.source), quote.file)
        print(f"\nNo answer found; the closest sentence ({place}): "
              f"\u201c{plain_text(quote.text)}\u201d")
    t = answer.timings
    print(f"\n{t.tokens} tokens, {t.tokens_per_s:.1f} tok/s, first token {t.ttft_ms:.0f} ms; "
          f"conversation {conversation_id}", file=sys.stderr)
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    workspace = workspace_for(args)
    try:
        documents = workspace.library.documents()
    finally:
        workspace.close()
    if args.json:
        print(json.dumps([{"file": str(d.path), "status": d.status, "pages": d.pages,
                           "chunks": d.chunk_count, "error": d.error, "sha256": d.sha256}
                          for d in documents], indent=2))
        return 0
    if not documents:
        print("no documents yet: add some with `python main.py ingest PATH`")
    for doc in documents:
        detail = (f"{doc.pages or '-'} pages, {doc.chunk_count} chunks"
                  if doc.status == "indexed" else f"FAILED: {doc.error}")
        print(f"{doc.path}  ({detail})")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    workspace = workspace_for(args)
    try:
        removed = set(workspace.library.remove_all(args.paths))
    finally:
        workspace.close()
    missing = []
    for path in args.paths:
        if path.expanduser().resolve() in removed:
            print(f"removed {path}")
        else:
            missing.append(path)
    for path in missing:
        print(f"enclave: error: {path}: not in the library", file=sys.stderr)
    return 1 if missing else 0


def cmd_search(args: argparse.Namespace) -> int:
    workspace = workspace_for(args)
    try:
        passages = workspace.library.search(args.query, args.limit, SearchMode(args.mode),
                                            filtered=not args.no_filter,
                                            collection=args.collection)
    finally:
        workspace.close()
    if args.json:
        print(json.dumps([{"file": p.document_name, "page": p.page, "location": p.place,
                           "score": p.score,
                           "similarity": p.similarity, "text": p.text} for p in passages],
                         indent=2))
        return 0
    if passages.filter is not None:
        _print_filter(passages.filter)
    for rank, passage in enumerate(passages, start=1):
        print(f"{rank}. {passage.location}  score {passage.score:.4f}  "
              f"cosine {passage.similarity:.3f}\n   {passage.text[:200]!r}")
    return 0


def _print_filter(question_filter: QueryFilter) -> None:
    """Say which documents the question narrowed the search to, and how to widen it."""
    print(f"({question_filter.label}: {len(question_filter.documents)} document(s) first; "
          "--no-filter searches everything)", file=sys.stderr)


def cmd_conversations(args: argparse.Namespace) -> int:
    workspace = workspace_for(args)
    if args.conversations_command == "export":
        try:
            text = export_conversation(workspace.conversations, args.id,
                                       ExportFormat(args.format), workspace.policy)
        finally:
            workspace.close()
        return _write_output(text, args.output)
    try:
        for conversation in workspace.conversations.recent():
            print(f"{conversation.id}\t{conversation.updated_at}\t{conversation.title}")
    finally:
        workspace.close()
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    workspace = workspace_for(args)
    try:
        if args.audit_command == "verify":
            result = workspace.audit.verify()
            for problem in result.problems:
                print(f"audit: {problem}", file=sys.stderr)
            print(f"{result.entries} entries, chain {'intact' if result.ok else 'BROKEN'}")
            return 0 if result.ok else 1
        workspace.policy.check_export("audit export")
        exported = json.dumps({"data_dir": str(workspace.data_dir),
                               "entries": workspace.audit.export()}, indent=2)
    finally:
        workspace.close()
    return _write_output(exported + "\n", args.output)


def _write_output(text: str, output: Path | None) -> int:
    """Print `text`, or write it to `output` and say so."""
    if output is None:
        print(text, end="")
        return 0
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CliError(f"{output}: could not be written ({error.strerror or error})") \
            from error
    print(f"wrote {output}")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    workspace = workspace_for(args)
    try:
        count = workspace.library.reindex(_progress_printer(sys.stderr.isatty()))
    finally:
        workspace.close()
    print(f"re-embedded {count} chunks with {workspace.embedder_path()}")
    return 0


def cmd_provision(args: argparse.Namespace) -> int:
    from inference.provision import check_embedder, provision_model

    try:
        chosen = [model_by_label(label) for label in args.model]
    except KeyError as error:
        raise CliError(str(error.args[0])) from error
    extra = list(KNOWN_MODELS) if args.with_test_models else chosen
    models = [DEFAULT_CHAT_MODEL, *(m for m in extra if m != DEFAULT_CHAT_MODEL)]
    for model in models:  # A ProvisionError is an EnclaveError: `run` prints it.
        provision_model(model, report=lambda line: print(f"provision: {line}"))
    check_embedder(report=lambda line: print(f"provision: {line}"))
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    from app.gui.application import run_gui, show_startup_error

    try:
        workspace = workspace_for(args, unlock=False)
    except EnclaveError as error:
        log.info("enclave gui: cannot start: %s", error, exc_info=True)
        show_startup_error(str(error))  # Started from a desktop entry, stderr is unseen.
        return 1
    # The window asks for a passphrase itself: it may have been started without a terminal.
    return run_gui(workspace, with_samples=args.with_samples,
                   no_encryption=args.no_encryption)


_COMMANDS: dict[str, Command] = {
    "gui": cmd_gui, "ingest": cmd_ingest, "ask": cmd_ask, "docs": cmd_docs,
    "remove": cmd_remove, "search": cmd_search, "conversations": cmd_conversations,
    "reindex": cmd_reindex, "audit": cmd_audit, "provision": cmd_provision,
}
