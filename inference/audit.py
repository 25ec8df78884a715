"""An append-only, hash-chained audit trail of answers, for regulated users.

Each entry holds its sequence number, time, the question (or only its SHA-256), the model
file's SHA-256, the cited chunks' hashes with file and page, and the answer's SHA-256 (a
whole-collection answer also its scope and the files it was answered from),
chained by `hash = SHA-256(previous hash + canonical JSON of the entry)`. Changing, removing or
reordering any entry breaks the chain; removing entries at the end is caught by the head
record (count and last hash) kept beside the chain. The log lives in an encrypted database
like the rest of the data.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from documents.crypto import open_database
from inference.answer import Answer, Citation
from inference.collection_answer import CollectionAnswer

AUDIT_FILE = "audit.sqlite3"
GENESIS = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries(
    seq INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    previous TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS head(id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL,
                                hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS entries_are_append_only BEFORE UPDATE ON entries BEGIN
    SELECT RAISE(ABORT, 'audit entries cannot be changed');
END;
"""


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    problems: list[str]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hash(previous: str, body: str) -> str:
    return hashlib.sha256((previous + body).encode("utf-8")).hexdigest()


def canonical(record: dict[str, object]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _citations(citations: list[Citation]) -> list[dict[str, object]]:
    """The sources an answer was given: file, page and a hash of the passage's text."""
    return [{"file": str(c.passage.document_path), "page": c.passage.page,
             "chunk_sha256": sha256_text(c.passage.text), "cited": c.cited}
            for c in citations]


class AuditLog:
    def __init__(self, data_dir: Path, key: bytes | None = None) -> None:
        self.path = data_dir / AUDIT_FILE
        self._lock = threading.Lock()
        self._db = open_database(self.path, key)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def append(self, record: dict[str, object]) -> int:
        """Add one entry after the current head, atomically; returns its sequence number."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                head = self._db.execute("SELECT count, hash FROM head WHERE id = 1").fetchone()
                count, previous = (0, GENESIS) if head is None else (int(head[0]), str(head[1]))
                seq = count + 1
                body = canonical({**record, "seq": seq})
                digest = chain_hash(previous, body)
                self._db.execute("INSERT INTO entries(seq, body, previous, hash) VALUES "
                                 "(?, ?, ?, ?)", (seq, body, previous, digest))
                self._db.execute("INSERT OR REPLACE INTO head(id, count, hash) VALUES (1, ?, ?)",
                                 (seq, digest))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return seq

    def append_answer(self, answer: Answer, include_question: bool = False) -> int:
        record: dict[str, object] = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "question_sha256": sha256_text(answer.question),
            "model_file": answer.model.get("file", ""),
            "model_sha256": answer.model.get("sha256", ""),
            "answer_sha256": sha256_text(answer.text),
            "covered": answer.covered,
            "stopped": answer.stopped,
            "citations": _citations(answer.citations),
        }
        if include_question:
            record["question"] = answer.question
        return self.append(record)

    def append_collection_answer(self, answer: CollectionAnswer,
                                 include_question: bool = False) -> int:
        """A whole-collection answer: as `append_answer`, with its scope and which files
        it was answered from (the coverage's other buckets as counts)."""
        coverage = answer.coverage
        record: dict[str, object] = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "question_sha256": sha256_text(answer.question),
            "scope": answer.scope,
            "kind": answer.kind.value,
            "model_file": answer.model.get("file", ""),
            "model_sha256": answer.model.get("sha256", ""),
            "answer_sha256": sha256_text(answer.text),
            "stopped": answer.partial,
            "files_in_scope": len(coverage.files_in_scope),
            "answered_from": [str(path) for path in coverage.answered_from],
            "nothing_relevant": len(coverage.nothing_relevant),
            "failed": len(coverage.failed),
            "not_reached": len(coverage.not_reached),
            "citations": _citations(answer.citations),
        }
        if include_question:
            record["question"] = answer.question
        return self.append(record)

    def entries(self) -> Iterator[tuple[int, str, str, str]]:
        """(seq, body, previous hash, hash) in storage order."""
        with self._lock:
            rows = self._db.execute("SELECT seq, body, previous, hash FROM entries "
                                    "ORDER BY rowid").fetchall()
        yield from ((int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows)

    def verify(self) -> VerifyResult:
        """Recompute the chain; report every altered, missing or reordered entry."""
        problems: list[str] = []
        previous, expected_seq, count = GENESIS, 1, 0
        for seq, body, stored_previous, stored_hash in self.entries():
            count += 1
            try:
                claimed = json.loads(body).get("seq")
            except json.JSONDecodeError:
                claimed = None
            if seq != expected_seq or claimed != seq:
                problems.append(f"entry {seq}: out of order or missing entries before it "
                                f"(expected {expected_seq})")
            if stored_previous != previous:
                problems.append(f"entry {seq}: does not follow the entry before it")
            if chain_hash(stored_previous, body) != stored_hash:
                problems.append(f"entry {seq}: content altered")
            previous, expected_seq = stored_hash, seq + 1
        with self._lock:
            head = self._db.execute("SELECT count, hash FROM head WHERE id = 1").fetchone()
        if head is not None and (int(head[0]) != count or str(head[1]) != previous):
            problems.append(f"the log ends at entry {count} but {int(head[0])} were written: "
                            "entries were removed from the end")
        return VerifyResult(not problems, count, problems)

    def export(self) -> list[dict[str, object]]:
        """Every entry with its chain hashes, so a compliance officer can re-verify it."""
        return [{"seq": seq, "entry": json.loads(body), "previous_hash": previous,
                 "hash": digest} for seq, body, previous, digest in self.entries()]
