"""The `bench` command: each stage measured against the raw component beneath it.

    python main.py bench generate  [--runs 5] [--json]
    python main.py bench ingest    [--folder PATH ...] [--runs 3] [--json]
    python main.py bench retrieve  [--sizes 10000,100000,1000000] [--json]
    python main.py bench startup   [--runs 5] [--json]

Every figure is a median of several runs with the hardware beside it; see docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from documents.errors import InvalidInputError
from inference.bench.common import BenchReport
from inference.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the `bench` sub-command to the CLI's sub-parsers; set `handler` on its parser."""
    bench = commands.add_parser(
        "bench", parents=[common],
        help="measure a stage against the raw library beneath it (medians, ratios, hardware)")
    bench.add_argument("stage", choices=["generate", "ingest", "retrieve", "startup", "ocr"])
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--runs", type=int, default=None,
                       help="runs per figure (default: 5; ingest 3; retrieve: 200 queries; "
                            "ocr: pages per resolution)")
    bench.add_argument("--threads", type=int, default=None,
                       help="llama.cpp threads (generate; default: the app's setting)")
    bench.add_argument("--embedder-backend", choices=["torch", "onnx", "onnx-int8"],
                       default=None, help="the embedder backend (default: the app's)")
    bench.add_argument("--dataset", type=Path, default=None,
                       help="generate, ocr: the docqa-xquad folder whose articles are asked "
                            "about or printed "
                            "(default: the source tree's ../shared/data/docqa-xquad)")
    bench.add_argument("--folder", type=Path, action="append", default=None,
                       help="ingest: a folder to index (repeatable; default: the source "
                            "tree's shared PDFs and docqa-xquad articles)")
    bench.add_argument("--backends", default="torch,onnx,onnx-int8",
                       help="ingest: embedder backends to compare (comma-separated)")
    bench.add_argument("--sizes", default="10000,100000,1000000",
                       help="retrieve: library sizes in chunks (comma-separated)")
    bench.add_argument("--cache-dir", type=Path, default=None,
                       help="retrieve: keep the synthetic libraries here between runs")
    bench.set_defaults(handler=cmd_bench)


_PROBE = ("import sys; from app.cli_bench import startup_probe; "
          "sys.exit(startup_probe(sys.argv[1:]))")

#: The raw component of `bench startup`: the quickest a Qt window can appear from a new process.
_BARE_WINDOW = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1200, 800)
window.show()
def shown():
    print("ENCLAVE_STARTUP WINDOW_SHOWN", file=sys.stderr, flush=True)
QTimer.singleShot(0, shown)
app.exec()
"""


def startup_probe(argv: list[str]) -> int:
    """Run `main.py ARGV` (the GUI) printing the start-up markers `bench startup` waits for.

    The window counts as shown when the event loop first turns after its show event; the
    model as loaded when the first ChatModel.load that loads returns (on its lane).
    """
    import time

    started = time.monotonic()
    from PySide6.QtCore import QTimer

    from app.gui.main_window import MainWindow
    from inference.engine import ChatModel

    def mark(*fields: object) -> None:
        print("ENCLAVE_STARTUP", *fields, file=sys.stderr, flush=True)

    shown: list[bool] = []
    show_event = MainWindow.showEvent

    def on_show(self: MainWindow, event: Any) -> None:
        show_event(self, event)
        if not shown:
            shown.append(True)
            QTimer.singleShot(0, lambda: mark("WINDOW_SHOWN",
                                              f"{time.monotonic() - started:.3f}"))

    load = ChatModel.load

    def timed_load(self: ChatModel) -> None:
        loading = not self.loaded
        began = time.monotonic()
        load(self)
        if loading and self.loaded:
            now = time.monotonic()
            mark("MODEL_LOADED", f"{now - started:.3f}", f"{now - began:.3f}")

    MainWindow.showEvent = on_show  # type: ignore[method-assign, assignment]
    ChatModel.load = timed_load  # type: ignore[method-assign]
    import main as entry

    return entry.main(argv)


def bench_folder(given: Path | None, flag: str, *default: str,
                 shared: Path = SHARED_DATA) -> Path:
    """The folder `flag` names, or the source tree's shared test data when it was not given.

    An installed app has no `../shared/data`: then the flag is required, and saying so
    beats a missing-file traceback halfway through a bench.
    """
    path = given.expanduser().resolve() if given is not None else shared.joinpath(*default)
    if path.is_dir():
        return path
    if given is not None:
        raise InvalidInputError(f"{given}: no such folder (given as {flag})")
    raise InvalidInputError(
        f"{path}: no such folder, so this bench needs {flag} FOLDER: an installed Enclave "
        "carries no benchmark data (see docs/benchmarks.md for the datasets)")


def _settings(args: argparse.Namespace) -> Settings:
    """The app's defaults, not the user's saved settings, changed only by the flags."""
    changes: dict[str, Any] = {}
    if args.model:
        changes["model_path"] = str(args.model.expanduser().resolve())
    if args.embedder:
        changes["embedder_path"] = str(args.embedder.expanduser().resolve())
    if args.threads:
        changes["threads"] = args.threads
    if args.embedder_backend:
        changes["embedder_backend"] = args.embedder_backend
    return Settings().with_changes(**changes)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cmd_bench(args: argparse.Namespace) -> int:
    if args.runs is not None and args.runs < 1:
        raise InvalidInputError("--runs must be at least 1")
    settings = _settings(args)
    report: BenchReport
    if args.stage == "generate":
        from inference.bench.generate import run_generate

        dataset = bench_folder(args.dataset, "--dataset", "docqa-xquad")
        report = run_generate(settings, dataset, args.runs or 5, progress=_say)
    elif args.stage == "ingest":
        from inference.bench.ingest import run_ingest

        folders = ([bench_folder(folder, "--folder") for folder in args.folder] if args.folder
                   else [bench_folder(None, "--folder", "pdfs"),
                         bench_folder(None, "--folder", "docqa-xquad", "documents")])
        backends = [b.strip() for b in args.backends.split(",") if b.strip()]
        report = run_ingest(settings, folders, backends, args.runs or 3, progress=_say)
    elif args.stage == "retrieve":
        from inference.bench.retrieve import run_retrieve

        sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
        report = run_retrieve(settings, sizes, args.runs or 200, args.cache_dir, progress=_say)
    elif args.stage == "ocr":
        from inference.bench.ocr import run_ocr

        dataset = bench_folder(args.dataset, "--dataset", "docqa-xquad")
        report = run_ocr(dataset / "documents", args.runs or 5, progress=_say)
    else:
        from inference.bench.startup import run_startup

        app = [sys.executable, "-c", _PROBE, "gui"]
        if args.data_dir is None or getattr(args, "no_encryption", False):
            app.append("--no-encryption")  # A fresh throw-away data directory per run.
        if args.model:
            app += ["--model", str(args.model.expanduser().resolve())]
        raw = [sys.executable, "-c", _BARE_WINDOW]
        data_dir = args.data_dir.expanduser().resolve() if args.data_dir else None
        report = run_startup(settings, app, raw, REPO, data_dir, args.runs or 5, progress=_say)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print("\n".join(report.lines()))
    return 0
