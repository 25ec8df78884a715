"""Conversations and their messages, kept across restarts in the data directory.

A question is stored the moment it is asked and an answer when it finishes, each in its own
transaction, so a crash mid-answer loses only the unfinished answer.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from documents.crypto import open_database
from inference.prompt import Turn

CONVERSATIONS_FILE = "conversations.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations(
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    collection_id INTEGER,
    lost_collection TEXT
);
CREATE TABLE IF NOT EXISTS messages(
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    sent TEXT,
    details TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
"""


#: Columns a conversation row is read with (`Conversation(*row)`).
_COLUMNS = "id, title, created_at, updated_at, collection_id, lost_collection"
#: Columns added since the first release, each with its declaration: an older store gets them
#: at open, empty (collections came later: all documents, nothing lost).
_ADDED_COLUMNS = {"collection_id": "INTEGER", "lost_collection": "TEXT"}


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    created_at: str
    updated_at: str
    #: The collection it searches (documents/collections.py, by id so a rename keeps it);
    #: None for every document.
    collection_id: int | None = None
    #: The name of the collection it searched until that was deleted (it then searches every
    #: document): kept, so the window says so after a restart too, until a scope is chosen.
    lost_collection: str | None = None


@dataclass(frozen=True)
class Message:
    """An assistant message's `sent` is the user turn the model saw (sources and question);
    `details` holds its citations and timings."""

    id: int
    role: str
    content: str
    sent: str | None
    details: dict[str, object]


class ConversationStore:
    def __init__(self, data_dir: Path, key: bytes | None = None) -> None:
        self._lock = threading.RLock()
        self._db = open_database(data_dir / CONVERSATIONS_FILE, key)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(conversations)")}
        for column, declaration in _ADDED_COLUMNS.items():
            if column not in columns:
                self._db.execute(f"ALTER TABLE conversations ADD COLUMN {column} {declaration}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def recent(self) -> list[Conversation]:
        """Every conversation, the most recently active first."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM conversations "
                                    "ORDER BY updated_at DESC, id DESC").fetchall()
        return [Conversation(*row) for row in rows]

    def get(self, conversation_id: int) -> Conversation | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM conversations WHERE id = ?",
                                   (conversation_id,)).fetchone()
        return None if row is None else Conversation(*row)

    def create(self, title: str = "New conversation",
               collection_id: int | None = None) -> Conversation:
        now = _now()
        with self._lock:
            cursor = self._db.execute("INSERT INTO conversations(title, created_at, updated_at, "
                                      "collection_id) VALUES (?, ?, ?, ?)",
                                      (title, now, now, collection_id))
        return Conversation(int(cursor.lastrowid or 0), title, now, now, collection_id)

    def set_collection(self, conversation_id: int, collection_id: int | None) -> None:
        """Scope the conversation to a collection, or to every document (None); a lost
        collection is then no longer worth mentioning."""
        with self._lock:
            self._db.execute("UPDATE conversations SET collection_id = ?, lost_collection = NULL "
                             "WHERE id = ?", (collection_id, conversation_id))

    def unscope(self, collection_id: int, name: str) -> list[int]:
        """Make the conversations that searched the deleted collection `name` search every
        document, remembering its name (`Conversation.lost_collection`); returns their ids.
        SQLite gives the next collection made the highest id free, so a deleted collection's
        conversations must not keep its id for a newcomer to inherit."""
        with self._lock:
            rows = self._db.execute("UPDATE conversations SET collection_id = NULL, "
                                    "lost_collection = ? WHERE collection_id = ? RETURNING id",
                                    (name, collection_id)).fetchall()
        return sorted(int(row[0]) for row in rows)

    def rename(self, conversation_id: int, title: str) -> None:
        with self._lock:
            self._db.execute("UPDATE conversations SET title = ? WHERE id = ?",
                             (title.strip() or "Untitled", conversation_id))

    def delete(self, conversation_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def add_message(self, conversation_id: int, role: str, content: str,
                    sent: str | None = None, details: dict[str, object] | None = None) -> int:
        now = _now()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    "INSERT INTO messages(conversation_id, role, content, sent, details, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (conversation_id, role, content, sent, json.dumps(details or {}), now))
                self._db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                                 (now, conversation_id))
            except BaseException:
                # Left open, the transaction would make every later write fail.
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return int(cursor.lastrowid or 0)

    def messages(self, conversation_id: int) -> list[Message]:
        with self._lock:
            rows = self._db.execute("SELECT id, role, content, sent, details FROM messages "
                                    "WHERE conversation_id = ? ORDER BY id",
                                    (conversation_id,)).fetchall()
        return [Message(r[0], r[1], r[2], r[3], json.loads(r[4] or "{}")) for r in rows]

    def history(self, conversation_id: int) -> list[Turn]:
        """Finished exchanges, as the model saw them, for replaying into the next prompt."""
        turns: list[Turn] = []
        pending: Message | None = None
        for message in self.messages(conversation_id):
            if message.role == "user":
                pending = message
            elif pending is not None:
                turns.append(Turn.from_record(message.sent or pending.content,
                                              message.content, message.details))
                pending = None
        return turns


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
