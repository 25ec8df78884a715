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
