"""The `models` command: the model manager and the comparison on your own documents.

    python main.py models list [--json]
    python main.py models add PATH [--copy | --link]
    python main.py models remove NAME
    python main.py models use NAME
    python main.py models info NAME [--json]
    python main.py models compare --models A,B,C [--questions FILE | --generate N]
                                  [--library DATA_DIR] [--margin 0.05] [--chart FILE.png]
                                  [--export FILE.csv|FILE.json ...] [--json]

NAME is a bundled model's label (tiny, small, medium), or an added model's name or file name.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from documents.errors import InvalidInputError
from inference.evaluation.cloze import generate_cloze_questions, load_question_file
from inference.evaluation.compare import (
    DEFAULT_MARGIN,
    ComparedModel,
    CompareProgress,
    ComparisonRun,
    compare_models,
    export_run,
    quoted_text,
    save_run,
)
from inference.model_info import (
    describe_model,
    effective_gpu_layers,
    megabytes,
    offload_text,
)
from inference.model_registry import ModelEntry, ModelRegistry
from inference.paths import default_data_dir, model_dirs
from inference.policy import load_policy
from inference.settings import load_settings


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the `models` sub-command to the CLI's sub-parsers; set `handler` on its parser."""
    models = commands.add_parser("models", help="list, add, remove, choose and compare models")
    actions = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[common], help="the models on offer")
    listing.add_argument("--json", action="store_true")
    add = actions.add_parser("add", parents=[common],
                             help="check a GGUF file's template and add it to the list")
    add.add_argument("path", type=Path)
    how = add.add_mutually_exclusive_group()
    how.add_argument("--copy", action="store_true",
                     help="copy the file into your models folder (the default)")
    how.add_argument("--link", action="store_true", help="use the file where it is")
    remove = actions.add_parser("remove", parents=[common], help="forget an added model")
    remove.add_argument("name")
    use = actions.add_parser("use", parents=[common], help="answer with this model")
    use.add_argument("name")
    info = actions.add_parser("info", parents=[common], help="what the model file says")
    info.add_argument("name")
    info.add_argument("--json", action="store_true")
    compare = actions.add_parser(
        "compare", parents=[common],
        help="the same questions through each model on the same passages; recommends the "
             "smallest model good enough")
    compare.add_argument("--models", required=True, help="names, comma-separated")
    source = compare.add_mutually_exclusive_group()
    source.add_argument("--questions", type=Path, default=None,
                        help="a file: one question per line, optionally TAB and the answer")
    source.add_argument("--generate", type=int, default=None, metavar="N",
                        help="N fill-in-the-blank questions made from the library "
                             "(the default, with N=10)")
    compare.add_argument("--library", type=Path, default=None,
                         help="the data directory whose documents are asked about "
                              "(default: --data-dir or yours)")
    compare.add_argument("--seed", type=int, default=0, help="picks the generated questions")
    compare.add_argument("--margin", type=float, default=DEFAULT_MARGIN,
                         help="F1 within which a smaller model counts as good enough")
    compare.add_argument("--max-tokens", type=int, default=None,
                         help="answer length limit (default: the app's)")
    compare.add_argument("--chart", type=Path, default=None,
                         help="the chart PNG (default: beside the run in the data directory)")
    compare.add_argument("--export", type=Path, action="append", default=[],
                         help="also write the run to FILE.csv or FILE.json (repeatable)")
    compare.add_argument("--json", action="store_true", help="print the run as JSON")
    models.set_defaults(handler=cmd_models)


def _data_dir(args: argparse.Namespace) -> Path:
    policy = load_policy()
    return policy.resolve_data_dir(args.data_dir, default_data_dir()).expanduser().resolve()


def _registry(args: argparse.Namespace) -> ModelRegistry:
    return ModelRegistry(_data_dir(args), load_policy())


def cmd_models(args: argparse.Namespace) -> int:
    handlers = {"list": _list, "add": _add, "remove": _remove, "use": _use, "info": _info,
                "compare": _compare}
    return handlers[args.models_command](args)


def _list(args: argparse.Namespace) -> int:
    registry = _registry(args)
    settings = load_settings(registry.data_dir)
    in_use = registry.in_use(settings)
    entries = registry.entries()
    if args.json:
        print(json.dumps({"offload": offload_text(settings.gpu_layers),
                          "models": [{**e.to_json(), "in_use": e.path == in_use,
                                      "present": e.present} for e in entries]}, indent=2))
        return 0
    for entry in entries:
        mark = "*" if entry.path == in_use else " "
        where = "" if entry.present else "  (FILE MISSING)"
        print(f"{mark} {entry.name:<28} {entry.origin.value:<8} {entry.licence:<14} "
              f"{entry.path}{where}")
    if in_use is not None and all(e.path != in_use for e in entries):
        print(f"* {in_use.stem:<28} {'settings':<8} {'':<14} {in_use}")
    print(f"GPU offload: {offload_text(settings.gpu_layers)}")
    return 0


def _add(args: argparse.Namespace) -> int:
    registry = _registry(args)
    print(f"checking {args.path.name}: loading it and answering a question from the sample "
          "documents…", file=sys.stderr)
    added = registry.add(args.path, copy=not args.link)
    entry, details, check = added.entry, added.details, added.check
    print(f"added '{entry.name}' ({entry.origin.value}: {entry.path})")
    print(f"  {details.architecture}, {details.parameters_text} parameters, "
          f"{details.quantization}, context {details.context_length}")
    print(f"  template check: asked \"{check.question}\", it answered "
          f"\"{check.answer[:100]}\" ({check.seconds:.1f} s)")
    print(f"  memory: {megabytes(entry.measured_ram_bytes)} measured on load; use it with "
          f"`python main.py models use {entry.name}`")
    return 0


def _remove(args: argparse.Namespace) -> int:
    entry = _registry(args).remove(args.name)
    deleted = " and deleted its copy" if entry.origin.value == "copied" else ""
    print(f"removed '{entry.name}' from the list{deleted}")
    return 0


def _use(args: argparse.Namespace) -> int:
    entry = _registry(args).use(args.name)
    print(f"answering with '{entry.name}' ({entry.path.name}) from now on")
    return 0


def _info(args: argparse.Namespace) -> int:
    registry = _registry(args)
    entry = registry.find(args.name)
    settings = load_settings(registry.data_dir)
    details = describe_model(entry.path)
    data = {**details.to_json(settings.context_tokens), "registry": entry.to_json(),
            "offload": offload_text(settings.gpu_layers),
            "in_use": registry.in_use(settings) == entry.path}
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    rows = [("name", entry.name), ("file", str(entry.path)), ("origin", entry.origin.value),
            ("source", entry.source), ("licence", entry.licence or details.licence),
            ("model", details.name), ("architecture", details.architecture),
            ("parameters", details.parameters_text), ("quantization", details.quantization),
            ("context length", str(details.context_length)),
            ("chat template", "yes" if details.chat_template else "no (plain turns)"),
            ("SHA-256", details.sha256), ("file size", megabytes(details.size_bytes)),
            (f"RAM at {settings.context_tokens} tokens",
             f"{megabytes(details.ram_estimate_bytes(settings.context_tokens))} estimated"
             + (f", {megabytes(entry.measured_ram_bytes)} measured on load"
                if entry.measured_ram_bytes else "")),
            ("GPU offload", offload_text(settings.gpu_layers)),
            ("in use", "yes" if data["in_use"] else "no")]
    for label, value in rows:
        print(f"  {label:<22} {value}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from inference.workspace import Workspace

    registry = _registry(args)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    if not names:
        raise InvalidInputError("--models needs at least one model name")
    entries: list[ModelEntry] = [registry.find(name) for name in names]
    for entry in entries:
        registry.policy.check_model(entry.path, model_dirs())
    library_dir = (args.library or registry.data_dir).expanduser().resolve()
    workspace = Workspace(library_dir, policy=registry.policy)
    workspace.unlock()
    try:
        settings = workspace.settings
        answering = settings.answering
        if args.max_tokens is not None:
            from dataclasses import replace

            answering = replace(answering, generation=replace(answering.generation,
                                                              max_tokens=args.max_tokens))
        library = workspace.library
        questions = (load_question_file(args.questions) if args.questions is not None else
                     generate_cloze_questions(library, args.generate or 10, args.seed))
        run = compare_models(
            library, [ComparedModel(e.name, e.path) for e in entries], questions, answering,
            settings.context_tokens, settings.threads or None,
            effective_gpu_layers(settings.gpu_layers), args.margin, progress=_show_progress)
    finally:
        workspace.close()
    run.settings["command"] = " ".join(["main.py", *sys.argv[1:]])
    kept = save_run(registry.data_dir, run)
    chart = args.chart or kept.with_suffix(".png")
    from app.gui.compare_chart import write_chart_png

    write_chart_png(run, chart)
    for path in args.export:
        _export(run, path)
    if args.json:
        print(json.dumps(run.to_json(), indent=2))
    else:
        print_table(run)
    print(f"kept the run in {kept}; chart in {chart}", file=sys.stderr)
    return 0


def _export(run: ComparisonRun, path: Path) -> None:
    print(f"wrote {export_run(run, path)}", file=sys.stderr)


def _show_progress(progress: CompareProgress) -> None:
    if progress.stage == "done":
        return
    what = (f"retrieving passages for question {progress.question_index + 1}"
            if progress.stage == "retrieving" else
            f"{progress.model}: {progress.stage} "
            f"({progress.model_index + 1}/{progress.models}, question "
            f"{progress.question_index + 1}/{progress.questions})")
    if progress.eta_s is not None:
        what += f", about {progress.eta_s:.0f} s left"
    print(what, file=sys.stderr, flush=True)


def print_table(run: ComparisonRun) -> None:
    print(f"{len(run.questions)} questions on {run.library}; the same passages for every "
          "model")
    header = (f"{'model':<12}{'params':>7}{'quant':>8}{'load s':>8}{'RAM MB':>8}"
              f"{'peak MB':>9}{'1st tok ms':>11}{'tok/s':>7}{'EM':>6}{'F1':>6}"
              f"{'found':>7}{'declined':>9}{'quoted':>8}")
    print(header)
    for m in run.models:
        mark = "  <- recommended" if m.name == run.recommended else ""
        print(f"{m.name:<12}{m.parameters_text:>7}{m.quantization:>8}{m.load_s:>8.1f}"
              f"{m.ram_bytes / 2**20:>8.0f}{m.peak_rss_bytes / 2**20:>9.0f}"
              f"{m.ttft_ms:>11.0f}{m.tokens_per_s:>7.1f}{m.exact_match:>6.2f}{m.f1:>6.2f}"
              f"{m.contains:>7.2f}{m.declined:>9.2f}{quoted_text(m.supported_share):>8}"
              f"{mark}")
    print(run.recommendation())
    print("EM and F1: the answer's lead against the expected answer; found: the expected "
          "answer anywhere in the answer; quoted: the share of answer sentences a verified "
          "quote of the given sources supports ('-': every question declined)")
