"""A library made before schema 2 opens, keeps its chunks, and gains metadata and a keyword
index over the chunks' context."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from documents.chunking import Chunk
from documents.metadata import DocumentMetadata
from documents.store import SCHEMA_VERSION, Store

#: The schema of version 1, as stores were written before document metadata.
_VERSION_1 = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents(
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    sha256 TEXT NOT NULL, size INTEGER NOT NULL, pages INTEGER,
    status TEXT NOT NULL CHECK (status IN ('indexed', 'failed')), error TEXT,
    chunk_count INTEGER NOT NULL DEFAULT 0, indexed_at TEXT NOT NULL);
CREATE TABLE chunks(
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, page INTEGER, char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL, text TEXT NOT NULL, embedding BLOB NOT NULL);
CREATE INDEX chunks_by_document ON chunks(document_id);
CREATE VIRTUAL TABLE chunks_fts USING fts5(
    text, content='chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO documents VALUES (1, '/docs/old.pdf', 'old.pdf', 'abc', 10, 1, 'indexed', NULL, 1,
                              '2026-01-01T00:00:00+00:00');
"""


def test_a_version_1_store_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(_VERSION_1)
        db.execute("INSERT INTO chunks VALUES (1, 1, 0, 1, 0, 30, ?, ?)",
                   ("Plumbatite hums when warmed.", np.ones(4, dtype=np.float32).tobytes()))
    db.close()

    store = Store(path)
    try:
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
        old = store.document(Path("/docs/old.pdf"))
        assert old is not None and old.title is None and old.chunk_count == 1
        assert store.fts_integrity()
        assert [i for i, _ in store.keyword_search('"plumbatite"', 5)] == [1]
        # New documents keep their metadata; their context is keyword-indexed.
        store.replace_document(
            Path("/docs/new.pdf"), "def", 20, 2,
            [Chunk(2, 0, 20, "Revenue 1,200.5", context="Acme — Annual Report 2022")],
            np.ones((1, 4), dtype=np.float32),
            DocumentMetadata("Acme — Annual Report 2022", "fiscal 2022", ((1, "Acme"),)))
        new = store.document(Path("/docs/new.pdf"))
        assert new is not None and (new.title, new.period, new.headings) == (
            "Acme — Annual Report 2022", "fiscal 2022", ("Acme",))
        assert len(store.keyword_search('"acme"', 5)) == 1
        assert store.remove_document(Path("/docs/old.pdf")) == [1]
        assert store.fts_integrity() and store.keyword_search('"plumbatite"', 5) == []
    finally:
        store.close()
    reopened = Store(path)  # Opening again migrates nothing twice.
    try:
        assert reopened.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert reopened.fts_integrity()
    finally:
        reopened.close()
