"""`collections …`: make, fill and list named collections of files and folders.

    python main.py collections list [--json]
    python main.py collections create NAME
    python main.py collections add NAME PATH…      (files or folders)
    python main.py collections remove NAME PATH…
    python main.py collections rename NAME NEW_NAME
    python main.py collections delete NAME

A collection only names paths: its files stay in the library once, whatever collections
hold them. `ask --collection NAME`, `search --collection NAME` and `ingest --collection NAME`
use one (see app/cli.py); an unknown name exits with code 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.wording import count
from documents.collections import CollectionInfo

#: The exit code of a command given a collection name that does not exist.
UNKNOWN_COLLECTION_EXIT = 2


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the `collections` sub-command to the CLI's sub-parsers."""
    collections = commands.add_parser(
        "collections", parents=[common],
        help="named sets of files and folders to search within (list, create, add, …)")
    actions = collections.add_subparsers(dest="collections_command", metavar="ACTION",
                                         required=True)
    listing = actions.add_parser("list", parents=[common], help="every collection, with counts")
    listing.add_argument("--json", action="store_true")
    create = actions.add_parser("create", parents=[common], help="a new, empty collection")
    create.add_argument("name")
    for action, about in (("add", "add files or folders (a folder takes in later files)"),
                          ("remove", "take files or folders out (they stay in the library)")):
        parser = actions.add_parser(action, parents=[common], help=about)
        parser.add_argument("name")
        parser.add_argument("paths", nargs="+", type=Path)
    rename = actions.add_parser("rename", parents=[common], help="give a collection a new name")
    rename.add_argument("name")
    rename.add_argument("new_name")
    delete = actions.add_parser("delete", parents=[common],
                                help="forget a collection (its documents stay)")
    delete.add_argument("name")
    collections.set_defaults(handler=cmd_collections)


def describe(info: CollectionInfo) -> str:
    """One line: "Client A: 3 documents, 120 chunks (2 files, 1 folder)"."""
    return (f"{info.name}: {count(info.documents, 'document')}, "
            f"{count(info.chunks, 'chunk')} ({count(info.member_files, 'file')}, "
            f"{count(info.member_folders, 'folder')})")


def cmd_collections(args: argparse.Namespace) -> int:
    from app.cli import workspace_for

    workspace = workspace_for(args)
    try:
        collections = workspace.library.collections
        action = args.collections_command
        if action == "list":
            infos = collections.all()
            if args.json:
                print(json.dumps([{"name": i.name, "documents": i.documents, "chunks": i.chunks,
                                   "created": i.created,
                                   "members": [{"path": str(m.path), "kind": m.kind.value}
                                               for m in i.members]} for i in infos], indent=2))
            elif not infos:
                print("no collections yet: make one with `python main.py collections create "
                      "NAME`")
            for info in infos if not args.json else []:
                print(describe(info))
            return 0
        paths = [path.expanduser().resolve() for path in getattr(args, "paths", [])]
        if action == "create":
            info = collections.create(args.name)
        elif action == "add":
            info = collections.add(args.name, paths)
        elif action == "remove":
            before = {m.path for m in collections.get(args.name).members}
            info = collections.remove(args.name, paths)
            for path in paths:
                if path not in before:
                    print(f"enclave: note: {path} was not in {info.name}")
        elif action == "rename":
            info = collections.rename(args.name, args.new_name)
        else:
            name = collections.get(args.name).name
            unscoped = workspace.delete_collection(name)
            print(f"deleted the collection {name}; its documents stay in the library")
            if unscoped:
                print(f"{count(len(unscoped), 'conversation')} that searched it now search "
                      "all documents")
            return 0
    finally:
        workspace.close()
    print(describe(info))
    return 0
