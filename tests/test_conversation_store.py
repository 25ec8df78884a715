"""The conversation store on its own: a failed write must not break the writes after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from inference.conversations import ConversationStore


def test_a_failed_message_insert_leaves_later_writes_working(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path, key=b"k" * 32)
    try:
        conversation = store.create("Budget")
        with pytest.raises(Exception, match="CHECK constraint failed"):
            store.add_message(conversation.id, "system", "not a role a message can have")
        # Before the fix the failed insert's transaction stayed open, and this failed with
        # "cannot start a transaction within a transaction".
        store.add_message(conversation.id, "user", "What is the travel budget?")
        store.rename(conversation.id, "Travel budget")
        assert [m.role for m in store.messages(conversation.id)] == ["user"]
    finally:
        store.close()
    reopened = ConversationStore(tmp_path, key=b"k" * 32)
    try:
        assert [m.content for m in reopened.messages(conversation.id)] == \
            ["What is the travel budget?"]
        assert reopened.get(conversation.id) is not None
        assert reopened.recent()[0].title == "Travel budget"
    finally:
        reopened.close()


def test_a_conversation_keeps_its_collection_and_older_stores_open(tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "conversations.sqlite3") as db:  # Before collections.
        db.execute("CREATE TABLE conversations(id INTEGER PRIMARY KEY, title TEXT NOT NULL, "
                   "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)")
        db.execute("INSERT INTO conversations VALUES (1, 'Old', 'a', 'a')")
    db.close()
    store = ConversationStore(tmp_path)
    try:
        old = store.get(1)
        assert old is not None and old.collection_id is None
        scoped = store.create("Client A", collection_id=7)
        assert store.get(scoped.id) == scoped and scoped.collection_id == 7
        store.set_collection(1, 3)
        store.set_collection(scoped.id, None)
        assert {c.id: c.collection_id for c in store.recent()} == {1: 3, scoped.id: None}
    finally:
        store.close()
