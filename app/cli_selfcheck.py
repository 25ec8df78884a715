"""The `selfcheck` command: prove an installation works end to end, offline.

    python main.py selfcheck [--model FILE] [--embedder DIR] [--json]

For IT after an install or an offline-bundle roll-out: it reads the managed policy, checks the
chat model's pinned SHA-256 and the embedder, ingests a small document into a throw-away,
encrypted data directory, asks a question about it and checks that the answer cites that
document, and confirms that the network guard refuses an outbound connection. The user's own
data directory is never opened. Exit status 0 means every step passed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inference.answer import final_answer
from inference.catalog import KNOWN_MODELS
from inference.model_file import read_model_file
from inference.offline import NetworkBlockedError
from inference.paths import model_dirs
from inference.policy import load_policy
from inference.workspace import Workspace

_DOCUMENT = """# Brightwater Lighthouse

The Brightwater lighthouse stands on Kestrel Point and was first lit in 1871.
Its keeper, Agnes Morrow, kept a ginger cat named Saffron, who slept beside the lamp.
The lamp is visible for nineteen nautical miles on a clear night.
"""
_QUESTION = "What was the name of the lighthouse keeper's cat?"
_EXPECTED_WORD = "saffron"
#: A documentation address (RFC 5737): nothing answers there, and the guard must refuse first.
_UNREACHABLE = ("192.0.2.1", 9)


class SelfCheckError(Exception):
    """One step failed; the message says which and why."""


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the `selfcheck` sub-command to the CLI's sub-parsers; set `handler` on it."""
    check = commands.add_parser(
        "selfcheck", parents=[common],
        help="check the installation offline: models load, a document is ingested and a "
             "question answered (in a throw-away data directory)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(handler=cmd_selfcheck)


def cmd_selfcheck(args: argparse.Namespace) -> int:
    steps: list[dict[str, object]] = []

    def step(name: str, action: Callable[[], str]) -> None:
        started = time.perf_counter()
        try:
            detail = action()
        except Exception as error:
            steps.append({"step": name, "ok": False, "detail": f"{type(error).__name__}: {error}",
                          "ms": round((time.perf_counter() - started) * 1000)})
            raise SelfCheckError(name) from error
        steps.append({"step": name, "ok": True, "detail": detail,
                      "ms": round((time.perf_counter() - started) * 1000)})
        if not args.json:
            print(f"selfcheck: ok    {name}: {detail}", flush=True)

    ok = True
    with tempfile.TemporaryDirectory(prefix="enclave-selfcheck-") as scratch:
        try:
            _run_steps(args, Path(scratch), step)
        except SelfCheckError:
            ok = False
            if not args.json:
                failed = steps[-1]
                print(f"selfcheck: FAIL  {failed['step']}: {failed['detail']}", file=sys.stderr)
    if args.json:
        print(json.dumps({"ok": ok, "steps": steps}, indent=2))
    elif ok:
        print("selfcheck: all steps passed")
    return 0 if ok else 1


def _run_steps(args: argparse.Namespace, scratch: Path,
               step: Callable[[str, Callable[[], str]], None]) -> None:
    policy = load_policy()
    step("policy", lambda: f"{policy.source} ({', '.join(policy.locked_settings()) or 'no locks'}"
                           f"{', model allow-list' if policy.allowed_model_sha256 else ''})"
         if policy.source else "no managed policy")

    # The throw-away directory is outside any fixed data dir; every other rule still applies.
    data_dir = scratch / "data"
    workspace = Workspace(data_dir, policy=dataclasses.replace(policy, data_dir=None))
    if args.model:
        workspace.settings = workspace.settings.with_changes(
            model_path=str(args.model.expanduser().resolve()))
    if args.embedder:
        workspace.settings = workspace.settings.with_changes(
            embedder_path=str(args.embedder.expanduser().resolve()))
    try:
        step("chat model file", lambda: _check_model_file(workspace))
        step("embedder", lambda: str(workspace.embedder_path()))
        step("encrypted data directory", lambda: _unlock(workspace))
        step("chat model loads", lambda: _load_model(workspace))
        document = scratch / "brightwater-lighthouse.md"
        document.write_text(_DOCUMENT, encoding="utf-8")
        step("ingest", lambda: _ingest(workspace, document))
        step("answer", lambda: _answer(workspace, document.name))
    finally:
        workspace.close()
    step("network guard", _check_network_guard)


def _check_model_file(workspace: Workspace) -> str:
    path = workspace.model_path()
    model = read_model_file(path)
    workspace.policy.check_model(path, model_dirs())
    pinned = {m.file_name: m.sha256 for m in KNOWN_MODELS}.get(path.name)
    if pinned is not None and model.sha256 != pinned:
        raise ValueError(f"{path}: SHA-256 {model.sha256} is not the pinned {pinned}")
    state = "matches the pinned hash" if pinned else "not a catalog model, not pinned"
    return f"{path.name}, {model.architecture}, sha256 {model.sha256[:12]}… ({state})"


def _unlock(workspace: Workspace) -> str:
    key = workspace.unlock(passphrase="enclave-selfcheck")
    return f"mode {key.mode.value}"


def _load_model(workspace: Workspace) -> str:
    model = workspace.model
    model.load()
    return f"{model.file.name}, context {model.context_tokens} tokens"


def _ingest(workspace: Workspace, document: Path) -> str:
    report = workspace.library.add([document], None, threading.Event(), {})
    if report.failed or not report.added:
        raise ValueError(f"ingest failed: {[str(e) for e in report.failed]}")
    return f"{report.pages} page(s), {report.chunks} chunk(s)"


def _answer(workspace: Workspace, file_name: str) -> str:
    answer, _ = final_answer(workspace.assistant().answer(_QUESTION))
    if not answer.text.strip():
        raise ValueError("no answer was produced")
    if not answer.covered or not answer.citations:
        raise ValueError(f"the question was not matched to the document: {answer.text!r}")
    if answer.citations[0].passage.document_name != file_name:
        raise ValueError(f"cited {answer.citations[0].passage.document_name}, not {file_name}")
    named = "names" if _EXPECTED_WORD in answer.text.lower() else "does not name"
    t = answer.timings
    return (f"cites {file_name}, {named} the expected answer; {t.tokens} tokens in "
            f"{t.total_ms:.0f} ms: {answer.text.strip()[:80]!r}")


def _check_network_guard() -> str:
    try:
        socket.create_connection(_UNREACHABLE, timeout=1).close()
    except NetworkBlockedError:
        return "outbound connections are refused"
    except OSError as error:
        raise RuntimeError(f"the guard is not installed; the connection got as far as the "
                           f"network stack ({error})") from error
    raise RuntimeError("an outbound connection succeeded")
