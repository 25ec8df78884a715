"""SQLite: documents, their chunks with page spans and vectors, and the FTS5 keyword index.

SQLite is the source of truth. The FAISS file is a cache of the `embedding` column that can be
rebuilt at any time, so a crash between the two writes never loses a document.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from documents.chunking import Chunk, embedded_text
from documents.crypto import open_database
from documents.embedder import Vectors
from documents.metadata import DocumentMetadata
from documents.retrieval import fts_match

#: 5: collections and their members.
#: 4: the folders kept in sync, and each document's modification time (a cheap change check).
#: 3: chunks' label, where a passage is when a page number would not say ("slide 3").
#: 2: documents' title, period and headings; chunks' context header, keyword-indexed.
SCHEMA_VERSION = 5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    pages INTEGER,
    status TEXT NOT NULL CHECK (status IN ('indexed', 'failed')),
    error TEXT,
    chunk_count INTEGER NOT NULL DEFAULT 0,
    indexed_at TEXT NOT NULL,
    title TEXT,
    period TEXT,
    headings TEXT,
    mtime_ns INTEGER
);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    page INTEGER,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    text TEXT NOT NULL,
    embedding BLOB NOT NULL,
    context TEXT NOT NULL DEFAULT '',
    label TEXT
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document_id);
CREATE TABLE IF NOT EXISTS folders(path TEXT PRIMARY KEY, added_at TEXT NOT NULL);
"""
#: The keyword index over each chunk's context header and text, kept in step by triggers.
_KEYWORD_INDEX = (
    """CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    context, text, content='chunks', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, context, text) VALUES (new.id, new.context, new.text);
END""",
    """CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, context, text)
    VALUES ('delete', old.id, old.context, old.text);
END""",
)
#: Version 1 to 2: new columns, and the keyword index rebuilt with the context column.
_MIGRATE_TO_2 = (
    "ALTER TABLE documents ADD COLUMN title TEXT",
    "ALTER TABLE documents ADD COLUMN period TEXT",
    "ALTER TABLE documents ADD COLUMN headings TEXT",
    "ALTER TABLE chunks ADD COLUMN context TEXT NOT NULL DEFAULT ''",
    "DROP TRIGGER IF EXISTS chunks_fts_insert",
    "DROP TRIGGER IF EXISTS chunks_fts_delete",
    "DROP TABLE IF EXISTS chunks_fts",
)
#: The folders kept in sync (documents/folder_sync.py), and the modification time each document
#: had when read, so that a start-up check hashes only the files whose time or size changed.
_MIGRATE_FOLDERS = (
    "CREATE TABLE IF NOT EXISTS folders(path TEXT PRIMARY KEY, added_at TEXT NOT NULL)",
    "ALTER TABLE documents ADD COLUMN mtime_ns INTEGER",
)
#: Collections: named sets of files and folders (documents/collections.py). Members are paths,
#: so a file in several collections is stored once and a member folder takes in files indexed
#: later. Run at every open too (IF NOT EXISTS), like the keyword index.
_COLLECTIONS = (
    """CREATE TABLE IF NOT EXISTS collections(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS collection_members(
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
    PRIMARY KEY (collection_id, path))""",
)
#: The steps from each older schema version to the next, run in order at open (`_migrate`),
#: each in one transaction with its new version number.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (*_MIGRATE_TO_2, *_KEYWORD_INDEX, "INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')"),
    2: ("ALTER TABLE chunks ADD COLUMN label TEXT",),
    3: _MIGRATE_FOLDERS,
    4: _COLLECTIONS,
}


@dataclass(frozen=True)
class DocumentRecord:
    """A file the library knows: indexed with its chunk count, or failed with the reason."""

    id: int
    path: Path
    name: str
    sha256: str
    size: int
    pages: int | None
    status: str
    error: str | None
    chunk_count: int
    indexed_at: str
    #: What the document is (documents/metadata.py); None when not derived (failed files,
    #: and documents indexed before schema 2 until they are indexed again).
    title: str | None = None
    period: str | None = None
    headings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileStat:
    """A document's file as it was read: enough to tell, without reading it, that it is the
    same (size and modification time), and to tell by its hash when they differ."""

    sha256: str
    size: int
    mtime_ns: int | None


@dataclass(frozen=True)
class ChunkRecord:
    id: int
    document_path: Path
    document_name: str
    page: int | None
    char_start: int
    char_end: int
    text: str
    embedding: Vectors
    label: str | None = None
    #: The file's content hash: two records with the same hash, page and offsets are one
    #: passage of two copies of a file.
    document_sha256: str = ""


class Store:
    """All SQLite access for the document index, serialised by one lock.

    One connection is shared by the indexing and answering threads; the lock keeps each
    statement sequence atomic, and WAL lets readers in other processes (the CLI) proceed.
    """

    def __init__(self, path: Path, key: bytes | None = None) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._db = open_database(path, key)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        # Deleted documents must not linger in free pages of the file.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        if self.get_meta("schema_version") is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        self._migrate()
        for statement in (*_KEYWORD_INDEX, *_COLLECTIONS):
            self._db.execute(statement)

    def _migrate(self) -> None:
        """Bring a database written by an older Enclave up to `SCHEMA_VERSION`, step by step.

        Existing documents keep their chunks and vectors; what a step adds (metadata, a
        chunk's context header) stays empty until they are indexed again.
        """
        version = int(self.get_meta("schema_version") or SCHEMA_VERSION)
        while version < SCHEMA_VERSION:
            with self.transaction() as db:
                for statement in _MIGRATIONS[version]:
                    db.execute(statement)
                version += 1
                db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES "
                           "('schema_version', ?)", (str(version),))

    def close(self) -> None:
        with self.lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def rows(self, sql: str, values: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of one read-only statement, under the lock (documents/collections.py)."""
        with self.lock:
            return [tuple(row) for row in self._db.execute(sql, values).fetchall()]

    # -- metadata ---------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self.lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- documents --------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        with self.lock:
            rows = self._db.execute(
                "SELECT id, path, name, sha256, size, pages, status, error, chunk_count, "
                "indexed_at, title, period, headings FROM documents "
                "ORDER BY name COLLATE NOCASE, path"
            ).fetchall()
        return [_document(row) for row in rows]

    def document(self, path: Path) -> DocumentRecord | None:
        with self.lock:
            row = self._db.execute(
                "SELECT id, path, name, sha256, size, pages, status, error, chunk_count, "
                "indexed_at, title, period, headings FROM documents WHERE path = ?",
                (str(path),)
            ).fetchone()
        return None if row is None else _document(row)

    def replace_document(self, path: Path, sha256: str, size: int, pages: int | None,
                         chunks: Sequence[Chunk], vectors: Vectors,
                         metadata: DocumentMetadata | None = None,
                         mtime_ns: int | None = None) -> tuple[list[int], list[int]]:
        """Store a document's new chunks in place of any old ones, in one transaction.

        `mtime_ns` is the file's modification time when it was read (see `file_stats`).
        Returns (removed chunk ids, added chunk ids) so the vector index can follow.
        """
        title = period = headings = None
        if metadata is not None:
            title, period = metadata.title, metadata.period
            headings = json.dumps([heading for _, heading in metadata.headings])
        with self.transaction() as db:
            removed = self._delete(db, path)
            cursor = db.execute(
                "INSERT INTO documents(path, name, sha256, size, pages, status, error, "
                "chunk_count, indexed_at, title, period, headings, mtime_ns) "
                "VALUES (?, ?, ?, ?, ?, 'indexed', NULL, ?, ?, ?, ?, ?, ?)",
                (str(path), path.name, sha256, size, pages, len(chunks), _now(), title, period,
                 headings, mtime_ns),
            )
            document_id = cursor.lastrowid
            self._bump_generation(db)
            added = []
            for ordinal, (chunk, vector) in enumerate(zip(chunks, vectors, strict=True)):
                cursor = db.execute(
                    "INSERT INTO chunks(document_id, ordinal, page, char_start, char_end, text, "
                    "embedding, context, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (document_id, ordinal, chunk.page, chunk.char_start, chunk.char_end,
                     chunk.text, np.asarray(vector, dtype=np.float32).tobytes(),
                     chunk.context, chunk.label),
                )
                added.append(int(cursor.lastrowid or 0))
        return removed, added

    def record_failure(self, path: Path, sha256: str, size: int, error: str,
                       mtime_ns: int | None = None) -> None:
        """Remember why a new file failed, so the documents list can show it."""
        with self.lock:
            self._db.execute(
                "INSERT INTO documents(path, name, sha256, size, status, error, indexed_at, "
                "mtime_ns) VALUES (?, ?, ?, ?, 'failed', ?, ?, ?) ON CONFLICT(path) DO UPDATE "
                "SET sha256 = excluded.sha256, size = excluded.size, error = excluded.error, "
                "indexed_at = excluded.indexed_at, mtime_ns = excluded.mtime_ns "
                "WHERE status = 'failed'",
                (str(path), path.name, sha256, size, error, _now(), mtime_ns),
            )

    def file_stats(self) -> dict[Path, FileStat]:
        """What was stored of each document's file: hash, size and modification time."""
        with self.lock:
            rows = self._db.execute(
                "SELECT path, sha256, size, mtime_ns FROM documents").fetchall()
        return {Path(str(r[0])): FileStat(str(r[1]), int(r[2]), r[3]) for r in rows}

    def set_mtime(self, path: Path, mtime_ns: int) -> None:
        """Record a file's new modification time when its content was found unchanged."""
        with self.lock:
            self._db.execute("UPDATE documents SET mtime_ns = ? WHERE path = ?",
                             (mtime_ns, str(path)))

    def rename_document(self, old: Path, new: Path) -> bool:
        """Move a document to a new path, keeping its chunks, vectors and collections; False
        if `old` is unknown or `new` is taken. The generation moves on: caches keyed by path
        follow."""
        with self.transaction() as db:
            taken = db.execute("SELECT 1 FROM documents WHERE path = ?", (str(new),)).fetchone()
            cursor = db.execute("UPDATE documents SET path = ?, name = ? WHERE path = ?",
                                (str(new), new.name, str(old))) if taken is None else None
            renamed = cursor is not None and cursor.rowcount > 0
            if renamed:
                # A collection that holds the file itself keeps it under its new name.
                db.execute("UPDATE OR IGNORE collection_members SET path = ? "
                           "WHERE kind = 'file' AND path = ?", (str(new), str(old)))
                self._bump_generation(db)
        return renamed

    # -- folders kept in sync ---------------------------------------------------------------
    def folders(self) -> list[Path]:
        """The folders the user added, which are watched and checked at each start."""
        with self.lock:
            rows = self._db.execute("SELECT path FROM folders ORDER BY path").fetchall()
        return [Path(str(row[0])) for row in rows]

    def add_folder(self, path: Path) -> None:
        with self.lock:
            self._db.execute("INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)",
                             (str(path), _now()))

    def remove_folder(self, path: Path) -> bool:
        """Stop keeping a folder in sync (its documents stay); False if it was not kept."""
        with self.lock:
            cursor = self._db.execute("DELETE FROM folders WHERE path = ?", (str(path),))
        return bool(cursor.rowcount)

    def remove_document(self, path: Path) -> list[int] | None:
        """Delete a document and its chunks; None if it was not in the library."""
        with self.transaction() as db:
            exists = db.execute("SELECT 1 FROM documents WHERE path = ?", (str(path),)).fetchone()
            removed = self._delete(db, path) if exists else None
            if exists:
                self._bump_generation(db)
        if removed is not None:
            self.scrub()
        return removed

    def scrub(self) -> None:
        """Make deleted text unrecoverable from the files, not just unreachable.

        secure_delete zeroes freed pages, merging the FTS5 segments drops the deleted
        entries' terms, and a truncating checkpoint empties the WAL of old page images.
        """
        with self.lock:
            self._db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('optimize')")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def generation(self) -> int:
        """Bumped by every change to chunks; the vector file records the one it reflects."""
        return int(self.get_meta("generation") or 0)

    @staticmethod
    def _bump_generation(db: Any) -> None:
        db.execute("INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) "
                   "DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    @staticmethod
    def _delete(db: Any, path: Path) -> list[int]:
        ids = [int(row[0]) for row in db.execute(
            "SELECT chunks.id FROM chunks JOIN documents ON documents.id = chunks.document_id "
            "WHERE documents.path = ?", (str(path),))]
        db.execute("DELETE FROM chunks WHERE document_id IN "
                   "(SELECT id FROM documents WHERE path = ?)", (str(path),))
        db.execute("DELETE FROM documents WHERE path = ?", (str(path),))
        return ids

    # -- chunks -----------------------------------------------------------------------------
    def chunk_count(self) -> int:
        with self.lock:
            return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def all_embeddings(self, batch: int = 4096) -> Iterator[tuple[list[int], Vectors]]:
        """Every stored vector, in batches, for rebuilding the FAISS index."""
        with self.lock:
            rows = self._db.execute("SELECT id, embedding FROM chunks ORDER BY id").fetchall()
        for start in range(0, len(rows), batch):
            part = rows[start:start + batch]
            yield ([int(r[0]) for r in part],
                   np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in part]))

    def chunk_texts(self) -> list[tuple[int, str]]:
        with self.lock:
            return [(int(r[0]), str(r[1])) for r in
                    self._db.execute("SELECT id, text FROM chunks ORDER BY id")]

    def embedded_texts(self) -> list[tuple[int, str]]:
        """Each chunk's text as it is embedded: its context header, then its text."""
        with self.lock:
            return [(int(r[0]), embedded_text(str(r[1]), str(r[2]))) for r in
                    self._db.execute("SELECT id, context, text FROM chunks ORDER BY id")]

    def document_vectors(self, path: Path) -> dict[str, Vectors]:
        """A document's vectors by the text they embed (`embedded_text`), so that a changed
        file's unchanged chunks need not be embedded again when it is re-indexed."""
        with self.lock:
            rows = self._db.execute(
                "SELECT context, text, embedding FROM chunks JOIN documents ON "
                "documents.id = chunks.document_id WHERE documents.path = ?",
                (str(path),)).fetchall()
        return {embedded_text(str(r[0]), str(r[1])): np.frombuffer(r[2], dtype=np.float32)
                for r in rows}

    def update_embeddings(self, ids: Sequence[int], vectors: Vectors) -> None:
        with self.transaction() as db:
            self._bump_generation(db)
            db.executemany("UPDATE chunks SET embedding = ? WHERE id = ?",
                           [(v.tobytes(), i) for i, v in zip(ids, vectors, strict=True)])

    def chunks(self, ids: Iterable[int]) -> dict[int, ChunkRecord]:
        wanted = list(ids)
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        with self.lock:
            rows = self._db.execute(
                f"SELECT {_CHUNK_RECORD_COLUMNS} FROM chunks JOIN documents ON "
                f"documents.id = chunks.document_id WHERE chunks.id IN ({marks})", wanted,
            ).fetchall()
        return {int(r[0]): _chunk_record(r) for r in rows}

    def chunk_documents(self, ids: Iterable[int]) -> dict[int, Path]:
        """The document path of each chunk id (ranking documents by their chunks)."""
        wanted = list(ids)
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        with self.lock:
            rows = self._db.execute(
                "SELECT chunks.id, documents.path FROM chunks JOIN documents ON "
                f"documents.id = chunks.document_id WHERE chunks.id IN ({marks})", wanted,
            ).fetchall()
        return {int(r[0]): Path(r[1]) for r in rows}

    def document_chunks(self, path: Path, limit: int | None = None) -> list[ChunkRecord]:
        """A document's chunks in reading order, the first `limit` of them if given.

        For questions asked of each file alone: its opening, or a search within it.
        """
        with self.lock:
            rows = self._db.execute(
                f"SELECT {_CHUNK_RECORD_COLUMNS} FROM chunks JOIN documents ON "
                "documents.id = chunks.document_id "
                "WHERE documents.path = ? ORDER BY chunks.ordinal LIMIT ?",
                (str(path), -1 if limit is None else limit),
            ).fetchall()
        return [_chunk_record(r) for r in rows]

    def indexed_document_count(self) -> int:
        with self.lock:
            return int(self._db.execute(
                "SELECT count(*) FROM documents WHERE status = 'indexed'").fetchone()[0])

    def keyword_search(self, match: str, limit: int,
                       within: Sequence[Path] | None = None) -> list[tuple[int, float]]:
        """FTS5 BM25 ranking; returns (chunk id, score) with higher scores better.

        `within`: only the chunks of these documents (a question's filter, a collection).
        Its `+rowid` keeps the constraint from FTS5, which would otherwise look up the
        match once per chunk id: 617 ms against 10 ms for a 1,000-chunk collection at
        100k chunks, same rows (docs/benchmarks.md, scoped retrieval).
        """
        where, values = "", []
        if within is not None:
            where = (" AND +rowid IN (SELECT chunks.id FROM chunks JOIN documents ON "
                     "documents.id = chunks.document_id WHERE documents.path IN "
                     f"({','.join('?' * len(within))}))")
            values = [str(path) for path in within]
        with self.lock:
            rows = self._db.execute(
                f"SELECT rowid, bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ?{where} "
                "ORDER BY bm25(chunks_fts) LIMIT ?", (match, *values, limit),
            ).fetchall()
        return [(int(r[0]), -float(r[1])) for r in rows]

    def document_chunk_ids(self, paths: Sequence[Path]) -> list[int]:
        """The chunk ids of these documents (a vector search restricted to them)."""
        marks = ",".join("?" * len(paths))
        with self.lock:
            return [int(r[0]) for r in self._db.execute(
                "SELECT chunks.id FROM chunks JOIN documents ON documents.id = "
                f"chunks.document_id WHERE documents.path IN ({marks})",
                [str(path) for path in paths])]

    def chunks_containing(self, word: str, cap: int) -> int:
        """How many chunks hold `word` as the keyword index tokenizes it, counted up to `cap`.

        Counting stops at `cap` so that a word found nearly everywhere costs no more than
        `cap` rows of the index; the tokenizer (stemming included) is SQLite's own.
        """
        with self.lock:
            return int(self._db.execute(
                "SELECT count(*) FROM (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? "
                "LIMIT ?)", (fts_match([word]), cap),
            ).fetchone()[0])

    def fts_integrity(self) -> bool:
        """True when the keyword index agrees with the chunks table."""
        with self.lock:
            try:
                self._db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES "
                                 "('integrity-check', 1)")
            except Exception:  # sqlcipher3's DatabaseError: a corrupt keyword index.
                return False
        return True


def _document(row: tuple[object, ...]) -> DocumentRecord:
    headings = tuple(json.loads(str(row[12]))) if row[12] else ()
    return DocumentRecord(int(row[0]), Path(str(row[1])), str(row[2]), str(row[3]),  # type: ignore[call-overload]
                          int(row[4]), row[5], str(row[6]), row[7],  # type: ignore[call-overload, arg-type]
                          int(row[8]), str(row[9]), row[10], row[11], headings)  # type: ignore[call-overload, arg-type]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


#: What a `ChunkRecord` is read from, in its fields' order.
_CHUNK_RECORD_COLUMNS = ("chunks.id, documents.path, documents.name, page, char_start, "
                         "char_end, text, embedding, label, documents.sha256")


def _chunk_record(row: Sequence[Any]) -> ChunkRecord:
    """A `ChunkRecord` from a row of `_CHUNK_RECORD_COLUMNS`."""
    return ChunkRecord(int(row[0]), Path(row[1]), str(row[2]), row[3], int(row[4]),
                       int(row[5]), str(row[6]), np.frombuffer(row[7], dtype=np.float32),
                       row[8], str(row[9]))
