"""Collections: the schema step that adds them, their members, and search scoped to one.

Scoped search runs the real embedder, FAISS (exact and IVF) and SQLite FTS5: a collection's
search must never return another document's passage, in the vector or the keyword ranking.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from documents.collections import (
    CollectionError,
    Collections,
    MemberKind,
    UnknownCollectionError,
)
from documents.embedder import Embedder
from documents.library import Library
from documents.retrieval import SearchMode
from documents.store import SCHEMA_VERSION, Store
from documents.vector_index import VectorIndex

from .conftest import XQUAD


@pytest.fixture()
def library(tmp_path: Path, embedder: Embedder, docs_dir: Path) -> Iterator[Library]:
    library = Library(tmp_path / "data", embedder)
    library.add([docs_dir])
    yield library
    library.close()


def test_a_store_of_the_previous_schema_gains_collections(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    Store(path).close()
    with sqlite3.connect(path) as db:  # As an Enclave before collections left it.
        db.execute("DROP TABLE collection_members")
        db.execute("DROP TABLE collections")
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                   (str(SCHEMA_VERSION - 1),))
    db.close()
    store = Store(path)
    try:
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert store.rows("SELECT count(*) FROM collections") == [(0,)]
    finally:
        store.close()


def test_collections_hold_paths_and_folders_take_in_later_files(
        library: Library, docs_dir: Path) -> None:
    collections = library.collections
    oxygen = docs_dir / "Oxygen.md"
    client = collections.create("  Client   A ")
    assert client.name == "Client A" and client.documents == 0
    with pytest.raises(CollectionError, match="exists already"):
        collections.create("client a")
    with pytest.raises(UnknownCollectionError, match="Nope"):
        collections.get("Nope")

    info = collections.add("client a", [oxygen])
    assert info.members[0].kind is MemberKind.FILE and info.documents == 1
    contracts = collections.create("Contracts 2025")
    folder = docs_dir / "sub"
    folder.mkdir()
    shutil.copy(XQUAD / "documents" / "Rhine.md", folder / "Rhine.md")
    library.add([folder])
    info = collections.add("Contracts 2025", [folder, oxygen])
    assert {m.kind for m in info.members} == {MemberKind.FILE, MemberKind.FOLDER}
    assert info.documents == 2
    # A file in two collections is stored once.
    assert [d.path for d in library.documents()].count(oxygen) == 1

    shutil.copy(XQUAD / "documents" / "Kenya.md", folder / "Kenya.md")
    library.add([folder / "Kenya.md"])
    assert collections.get("Contracts 2025").documents == 3, "a later file joins its folder"
    assert collections.scope("Contracts 2025").documents == (
        oxygen, folder / "Kenya.md", folder / "Rhine.md")

    renamed = collections.rename("Contracts 2025", "Contracts")
    assert renamed.id == contracts.id and renamed.documents == 3
    collections.remove("Contracts", [folder])
    assert collections.get("Contracts").documents == 1
    collections.delete("Client A")
    assert [c.name for c in collections.all()] == ["Contracts"]
    assert len(library.documents()) == 5, "deleting a collection keeps its documents"


def test_scoped_search_returns_only_the_collections_documents(
        library: Library, docs_dir: Path) -> None:
    question = "Which team won Super Bowl 50 and who was the quarterback?"
    library.collections.create("Science")
    library.collections.add("Science", [docs_dir / "Oxygen.md", docs_dir / "Warsaw.md"])
    library.collections.create("Empty")
    for mode in SearchMode:
        everywhere = library.search(question, 4, mode)
        assert everywhere and everywhere[0].document_name == "Super_Bowl_50.md", mode
        scoped = library.search(question, 8, mode, collection="science")
        assert scoped, mode  # "won", "team", "who" … occur in both articles.
        assert {p.document_name for p in scoped} <= {"Oxygen.md", "Warsaw.md"}, mode
        about_oxygen = library.search("Who discovered oxygen and named it?", 4, mode,
                                      collection="Science")
        assert about_oxygen and about_oxygen[0].document_name == "Oxygen.md", mode
        assert library.search(question, 4, mode, collection="Empty") == [], mode
        with pytest.raises(UnknownCollectionError):
            library.search(question, 4, mode, collection="Missing")


def test_the_id_selector_ranks_within_ids_exactly_on_an_ivf_index() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((4000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(10, 4010)
    index = VectorIndex(16, approximate_above=1000)
    index.add(list(ids), vectors)
    assert index.kind == "ivf"
    within = [int(i) for i in rng.choice(ids, 40, replace=False)]
    query = vectors[7]
    found = index.search(query, 10, within)
    position = {int(i): n for n, i in enumerate(ids)}
    expected = sorted(within, key=lambda i: -float(vectors[position[i]] @ query))[:10]
    assert [i for i, _ in found] == expected
    assert index.search(query, 10, []) == []


def test_a_file_member_follows_its_file_when_it_is_renamed(
        library: Library, docs_dir: Path) -> None:
    """A folder kept in sync renames a moved file in the store: its collections keep it."""
    oxygen = docs_dir / "Oxygen.md"
    library.collections.create("Client A")
    library.collections.add("Client A", [oxygen])
    moved = docs_dir / "Oxygen (final).md"
    oxygen.rename(moved)
    assert library.rename_all([(oxygen, moved)]) == [(oxygen, moved)]
    assert library.collections.scope("Client A").documents == (moved,)
    assert [p.document_path for p in library.search("oxygen", collection="Client A")] \
        and {p.document_path for p in library.search("oxygen", collection="Client A")} == {moved}


def test_a_name_is_checked_before_anything_is_written(tmp_path: Path) -> None:
    store = Store(tmp_path / "library.sqlite3")
    try:
        collections = Collections(store)
        collections.create("Client A")
        assert collections.check_name("  Client   B ") == "Client B"
        for wrong, said in (("   ", "needs a name"), ("client a", "exists already"),
                            ("x" * 81, "at most 80")):
            with pytest.raises(CollectionError, match=said):
                collections.check_name(wrong)
        # Renaming, a collection may keep its name or change its case, but not take another's.
        assert collections.check_name("client A", renaming="Client A") == "client A"
        collections.create("Client B")
        with pytest.raises(CollectionError, match="exists already"):
            collections.check_name("CLIENT B", renaming="Client A")
        with pytest.raises(UnknownCollectionError):
            collections.check_name("Client C", renaming="Client Z")
        assert [c.name for c in collections.all()] == ["Client A", "Client B"]
    finally:
        store.close()
