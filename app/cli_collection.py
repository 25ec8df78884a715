"""`ask --scope …`: a question asked of every file in scope, parts printed as they arrive.

Kept out of app/cli.py so the whole-collection mode is one module: choosing it (the flag,
or the rule in inference/collection_scope.py), printing progress and the coverage line.
"""

from __future__ import annotations

import argparse
import json
import sys

from inference.collection_answer import (
    CollectionAnswer,
    FileFailed,
    FilePart,
    Finished,
    Progress,
)
from inference.collection_scope import Scope, parse_scope, whole_collection_kind
from inference.workspace import Workspace

#: `--scope normal`: the usual answer from the passages nearest the question.
NORMAL = "normal"

SCOPE_HELP = ("ask every file: 'all', 'files FILE…' or 'collection NAME'; 'normal' for the "
              "usual answer from the nearest passages. Without it, a question that lists, "
              "counts, summarises or compares across documents asks every file")


def chosen_scope(args: argparse.Namespace) -> Scope | None:
    """The scope to ask the question of, or None for a normal answer.

    Without `--scope`, the rule of `whole_collection_kind` decides, and the user is told.
    """
    words: list[str] | None = args.scope
    if words is not None:
        return None if [w.lower() for w in words] == [NORMAL] else parse_scope(words)
    kind = whole_collection_kind(args.question)
    if kind is None:
        return None
    print(f"(a {kind.value} question across documents: asking every file; "
          f"--scope {NORMAL} for a normal answer)", file=sys.stderr)
    return Scope()


def ask_collection(args: argparse.Namespace, workspace: Workspace, conversation_id: int,
                   scope: Scope) -> int:
    """Answer across `scope`; the workspace is closed by the caller. Chosen by the rule
    (no `--scope`), every file of the conversation's collection, or of the library."""
    answer: CollectionAnswer | None = None
    chosen = None if args.scope is None else scope
    for event in workspace.answer_collection(conversation_id, args.question, chosen):
        if args.json:
            if isinstance(event, Finished):
                answer = event.answer
            continue
        if isinstance(event, FilePart):
            print(f"- {event.part.name}: {event.part.text}", flush=True)
        elif isinstance(event, FileFailed):
            print(f"- {event.path.name}: could not be used: {event.reason}", flush=True)
        elif isinstance(event, Progress):
            eta = f", about {event.eta_s:.0f} s left" if event.eta_s else ""
            print(f"  ({event.done} of {event.total} files{eta})", file=sys.stderr, flush=True)
        elif isinstance(event, Finished):
            answer = event.answer
    assert answer is not None
    if args.json:
        print(json.dumps({**answer.to_json(), "conversation": conversation_id}, indent=2))
        return 0
    print()
    if answer.partial:
        print("(Stopped: this answer is partial.)")
    print(answer.coverage.line())
    for part in answer.parts:
        for citation in part.citations:
            mark = f"[{citation.number}]" if citation.cited else f"({citation.number})"
            print(f"{mark} {citation.passage.location}")
    print(f"\n{answer.total_ms / 1000:.1f} s; conversation {conversation_id}", file=sys.stderr)
    return 0
