"""Collections: named sets of files and folders ("Client A", "Contracts 2025") to search within.

A collection holds paths, never copies: a file in three collections is indexed and stored
once, and a member folder takes in every document under it, files indexed later included.
A conversation scoped to a collection searches only its documents (`Library.search` with
`collection=`), in both the vector and the keyword ranking. Names are unique regardless of
case, so "client a" finds "Client A".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from documents.errors import InvalidInputError
from documents.store import Store

#: The longest name a collection may have (it shows in the window's scope selector).
MAX_NAME = 80

#: A document is in a collection when its path is a member file, or lies under a member
#: folder ('/' appended once, so a member '/a/b' takes in '/a/b/c.pdf' but not '/a/bc.pdf').
_IN_COLLECTION = """
SELECT documents.path, documents.chunk_count FROM documents
WHERE documents.status = 'indexed' AND EXISTS (
    SELECT 1 FROM collection_members AS m WHERE m.collection_id = ? AND (
        documents.path = m.path OR (m.kind = 'folder' AND
        substr(documents.path, 1, length(rtrim(m.path, '/')) + 1) = rtrim(m.path, '/') || '/')))
ORDER BY documents.path
"""


class MemberKind(StrEnum):
    FILE = "file"
    FOLDER = "folder"


class CollectionError(InvalidInputError):
    """A collection the user named or made cannot be used; the message says why."""


class UnknownCollectionError(CollectionError):
    """No collection has the name the user gave."""


@dataclass(frozen=True)
class Member:
    path: Path
    kind: MemberKind


@dataclass(frozen=True)
class CollectionInfo:
    """A collection as lists show it: its members and the indexed documents they hold."""

    id: int
    name: str
    created: str
    members: tuple[Member, ...]
    documents: int
    chunks: int

    @property
    def member_files(self) -> int:
        return sum(1 for member in self.members if member.kind is MemberKind.FILE)

    @property
    def member_folders(self) -> int:
        return len(self.members) - self.member_files


@dataclass(frozen=True)
class CollectionScope:
    """What a search within a collection covers: its indexed documents and their chunks."""

    name: str
    documents: tuple[Path, ...]
    chunks: int

    @property
    def label(self) -> str:
        """For the user: "Searching: Client A"."""
        return f"Searching: {self.name}"


class Collections:
    """The collections of one library's store; every method takes and returns plain values."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, name: str) -> CollectionInfo:
        name = _valid_name(name)
        with self._store.transaction() as db:
            self._refuse_taken(name)
            db.execute("INSERT INTO collections(name, created) VALUES (?, ?)", (name, _now()))
        return self.get(name)

    def check_name(self, name: str, renaming: str | None = None) -> str:
        """`name` as it would be stored ("  Client   A " is "Client A"), or CollectionError
        saying in words why it cannot be used: a form says so while the user types, before
        anything is written. `renaming` is the collection being renamed, which may keep its
        name or change its case."""
        clean = _valid_name(name)
        keep = self._find(renaming)[0] if renaming is not None else None
        self._refuse_taken(clean, keep)
        return clean

    def rename(self, name: str, new_name: str) -> CollectionInfo:
        found = self.get(name)
        new_name = _valid_name(new_name)
        with self._store.transaction() as db:
            self._refuse_taken(new_name, found.id)
            db.execute("UPDATE collections SET name = ? WHERE id = ?", (new_name, found.id))
        return self.get(new_name)

    def delete(self, name: str) -> None:
        """Forget the collection; its documents stay in the library."""
        found = self.get(name)
        with self._store.transaction() as db:
            db.execute("DELETE FROM collections WHERE id = ?", (found.id,))

    def add(self, name: str, paths: Iterable[Path]) -> CollectionInfo:
        """Add files and folders (a folder by what is on disk, or by the documents under it
        when it is gone); adding a member twice changes nothing."""
        found = self.get(name)
        rows = [(found.id, str(path), self._kind(path).value) for path in paths]
        with self._store.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO collection_members(collection_id, path, kind) "
                           "VALUES (?, ?, ?)", rows)
        return self.get(name)

    def remove(self, name: str, paths: Iterable[Path]) -> CollectionInfo:
        """Take members out; the documents stay in the library and in other collections."""
        found = self.get(name)
        with self._store.transaction() as db:
            db.executemany("DELETE FROM collection_members WHERE collection_id = ? AND path = ?",
                           [(found.id, str(path)) for path in paths])
        return self.get(name)

    def all(self) -> list[CollectionInfo]:
        """Every collection, by name."""
        rows = self._store.rows("SELECT id, name, created FROM collections "
                                "ORDER BY name COLLATE NOCASE")
        return [self._info(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def get(self, name: str) -> CollectionInfo:
        """The collection called `name` (any case); UnknownCollectionError when none is."""
        return self._info(*self._find(name))

    def _find(self, name: str) -> tuple[int, str, str]:
        """(id, name, created) of the collection called `name`, or UnknownCollectionError."""
        rows = self._store.rows("SELECT id, name, created FROM collections WHERE name = ?",
                                (name.strip(),))
        if not rows:
            known = ", ".join(info.name for info in self.all()) or "none yet"
            raise UnknownCollectionError(f"no collection is named {name!r} (collections: "
                                         f"{known})")
        return int(rows[0][0]), str(rows[0][1]), str(rows[0][2])

    def by_id(self, collection_id: int) -> CollectionInfo | None:
        """The collection with this id (a conversation keeps it), None once deleted."""
        rows = self._store.rows("SELECT id, name, created FROM collections WHERE id = ?",
                                (collection_id,))
        return self._info(int(rows[0][0]), str(rows[0][1]), str(rows[0][2])) if rows else None

    def scope(self, name: str) -> CollectionScope:
        """The indexed documents of the collection now, and their chunk count (read at each
        search, so a file indexed into a member folder is searched at once)."""
        collection_id, found, _ = self._find(name)
        documents = self._documents(collection_id)
        return CollectionScope(found, tuple(path for path, _ in documents),
                               sum(chunks for _, chunks in documents))

    def _kind(self, path: Path) -> MemberKind:
        """A folder on disk, or a path the library holds documents under (a folder since
        moved or unmounted) is a folder; anything else a file."""
        if path.is_dir():
            return MemberKind.FOLDER
        if path.exists() or self._store.document(path) is not None:
            return MemberKind.FILE
        prefix = str(path).rstrip("/") + "/"
        under = self._store.rows("SELECT 1 FROM documents WHERE substr(path, 1, ?) = ? LIMIT 1",
                                 (len(prefix), prefix))
        return MemberKind.FOLDER if under else MemberKind.FILE

    def _refuse_taken(self, name: str, renaming: int | None = None) -> None:
        """Refuse a name another collection has (in any case); inside a writing transaction
        this reads within it (the store's lock is re-entrant, its connection the same)."""
        taken = self._store.rows("SELECT id, name FROM collections WHERE name = ?", (name,))
        if taken and int(taken[0][0]) != renaming:  # Named as it is kept: "client a" is "Client A".
            raise CollectionError(f"a collection named {str(taken[0][1])!r} exists already")

    def _documents(self, collection_id: int) -> list[tuple[Path, int]]:
        return [(Path(r[0]), int(r[1])) for r in self._store.rows(_IN_COLLECTION,
                                                                  (collection_id,))]

    def _info(self, collection_id: int, name: str, created: str) -> CollectionInfo:
        members = tuple(Member(Path(r[0]), MemberKind(r[1])) for r in self._store.rows(
            "SELECT path, kind FROM collection_members WHERE collection_id = ? ORDER BY path",
            (collection_id,)))
        documents = self._documents(collection_id)
        return CollectionInfo(collection_id, name, created, members, len(documents),
                              sum(chunks for _, chunks in documents))


def _valid_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise CollectionError("a collection needs a name")
    if len(name) > MAX_NAME:
        raise CollectionError(f"a collection's name may have at most {MAX_NAME} characters")
    return name


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
