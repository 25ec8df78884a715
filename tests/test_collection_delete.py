"""Deleting a collection from a workspace: its documents stay searchable, and the
conversations that searched it search every document, never a later collection that SQLite
gives the deleted one's id (the real embedder, FAISS and SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from documents.collections import CollectionError
from inference.workspace import Workspace


def test_deleting_a_collection_unscopes_its_conversations(tmp_path: Path,
                                                          docs_dir: Path) -> None:
    workspace = Workspace(tmp_path / "data")
    try:
        library = workspace.library
        library.add([docs_dir])
        science = library.collections.create("Science")
        library.collections.add("Science", [docs_dir / "Oxygen.md"])
        other = library.collections.create("Sport")
        store = workspace.conversations
        scoped = [store.create("Oxygen", science.id), store.create("Air", science.id)]
        sport = store.create("Football", other.id)
        assert workspace.conversation_collection(scoped[0].id) == "Science"

        assert workspace.delete_collection("science") == sorted(c.id for c in scoped)
        # Each remembers what it searched, for the window to say so after a restart too.
        assert [store.get(c.id).lost_collection for c in scoped] == ["Science", "Science"]
        assert store.get(sport.id).lost_collection is None
        store.set_collection(scoped[1].id, None)  # a scope chosen: nothing left to say
        assert store.get(scoped[1].id).lost_collection is None
        assert [c.name for c in library.collections.all()] == ["Sport"]
        assert all(workspace.conversation_collection(c.id) is None for c in scoped)
        assert workspace.conversation_collection(sport.id) == "Sport"
        found = library.search("Who discovered oxygen?", 3)
        assert found and found[0].document_name == "Oxygen.md", "its documents stay searchable"

        library.collections.delete("Sport")  # as a CLI of before did: `sport` keeps its id
        newcomer = library.collections.create("Newcomer")
        assert newcomer.id in (science.id, other.id), "SQLite gives a freed id again"
        assert all(store.get(c.id).collection_id is None for c in scoped)
        with pytest.raises(CollectionError):
            workspace.delete_collection("Science")
    finally:
        workspace.close()
