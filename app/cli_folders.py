"""`folders list|remove|sync`: the folders kept in sync, from the command line.

A folder given to `ingest` (or added in the window) is kept in sync: the window follows its
changes while it runs and checks it at each start. Here a script lists those folders, stops
keeping one (its documents stay: `remove` forgets documents), or applies what changed in them
now, as the window does at start.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from documents.folder_sync import apply_changes, reconcile


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    folders = commands.add_parser("folders", parents=[common],
                                  help="the folders kept in sync with the library")
    actions = folders.add_subparsers(dest="folders_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[common], help="the folders kept in sync")
    listing.add_argument("--json", action="store_true")
    remove = actions.add_parser("remove", parents=[common],
                                help="stop keeping folders in sync (their documents stay)")
    remove.add_argument("paths", nargs="+", type=Path)
    actions.add_parser("sync", parents=[common],
                       help="index, rename and purge what changed in them since last time")
    folders.set_defaults(handler=cmd_folders)


def cmd_folders(args: argparse.Namespace) -> int:
    from app.cli import report_lines, workspace_for  # app.cli imports this module.

    workspace = workspace_for(args)
    try:
        store = workspace.library.store
        if args.folders_command == "list":
            folders = store.folders()
            if args.json:
                print(json.dumps([str(folder) for folder in folders], indent=2))
            elif not folders:
                print("no folders kept in sync: `python main.py ingest FOLDER` adds one")
            for folder in [] if args.json else folders:
                print(f"{folder}{'' if folder.is_dir() else '  (not there now)'}")
            return 0
        if args.folders_command == "remove":
            missing = [path for path in args.paths
                       if not store.remove_folder(path.expanduser().resolve())]
            for path in args.paths:
                if path not in missing:
                    print(f"no longer kept in sync: {path} (its documents stay)")
            for path in missing:
                print(f"enclave: error: {path}: not a folder kept in sync", file=sys.stderr)
            return 1 if missing else 0
        library = workspace.library
        changes = reconcile(library, store.folders())
        report, _ = apply_changes(library, changes)
    finally:
        workspace.close()
    print(f"{len(changes)} change{'s' if len(changes) != 1 else ''} since last time")
    for old, new in report.renamed:
        print(f"  renamed: {old} -> {new}")
    print("\n".join(report_lines(report)))
    return 1 if report.failed else 0
