"""Each file's part of a whole-collection answer, kept so asking again costs only new files.

A part is keyed by the file's content hash, the model's SHA-256, the normalised question
and the prompt version: a changed file, another model, another question or a new prompt
each miss, and nothing else does, so after adding one file a re-ask makes one model call.
The cache is its own SQLite file in the data directory, encrypted with the data key like
the library (SQLCipher; in the clear only when the user opted out of encryption).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

from documents.crypto import open_database

CACHE_FILE = "collection_answers.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS parts(
    key TEXT PRIMARY KEY,
    file_sha256 TEXT NOT NULL,
    part TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS parts_by_file ON parts(file_sha256);
"""


def normalized_question(question: str) -> str:
    """Case, spacing and closing punctuation do not make a new question."""
    return re.sub(r"\s+", " ", question).strip().rstrip("?.! ").lower()


def part_key(file_sha256: str, model_sha256: str, question: str, prompt_version: int) -> str:
    text = "\n".join((file_sha256, model_sha256, normalized_question(question),
                      str(prompt_version)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PartCache:
    """Parts as JSON objects by `part_key`; safe to use from any thread."""

    def __init__(self, data_dir: Path, key: bytes | None = None) -> None:
        self.path = data_dir / CACHE_FILE
        self._lock = threading.Lock()
        self._db = open_database(self.path, key)
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)

    def get(self, key: str) -> dict[str, object] | None:
        with self._lock:
            row = self._db.execute("SELECT part FROM parts WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        value = json.loads(str(row[0]))
        return value if isinstance(value, dict) else None

    def put(self, key: str, file_sha256: str, part: dict[str, object]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO parts(key, file_sha256, part, created_at) "
                "VALUES (?, ?, ?, ?)",
                (key, file_sha256, json.dumps(part), datetime.now(UTC).isoformat()))

    def forget_except(self, file_hashes: set[str]) -> int:
        """Drop the parts of files no longer in the library; how many were dropped."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT file_sha256 FROM parts").fetchall()
            gone = [str(row[0]) for row in rows if str(row[0]) not in file_hashes]
            for digest in gone:
                self._db.execute("DELETE FROM parts WHERE file_sha256 = ?", (digest,))
        return len(gone)

    def close(self) -> None:
        with self._lock:
            self._db.close()
