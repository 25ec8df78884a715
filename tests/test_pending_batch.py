"""The unfinished batch kept on disk: read back as written, sealed with a data key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.pending_batch import PENDING_FILE, PendingBatch, PendingBatchFile


def test_round_trip_and_clear(tmp_path: Path) -> None:
    pending = PendingBatchFile(tmp_path, None)
    assert pending.load() is None
    pending.save(PendingBatch(["/home/me/taxes", "/home/me/cv.pdf"], 12))
    assert pending.load() == PendingBatch(["/home/me/taxes", "/home/me/cv.pdf"], 12)
    pending.save(PendingBatch([]))
    assert not (tmp_path / PENDING_FILE).exists()
    pending.save(PendingBatch(["/a"]))
    pending.clear()
    assert pending.load() is None


@pytest.mark.log_ignore("ignoring an unreadable pending-batch.json")
def test_with_a_key_no_file_name_is_readable_on_disk(tmp_path: Path) -> None:
    key = os.urandom(32)
    PendingBatchFile(tmp_path, key).save(PendingBatch(["/home/me/divorce-papers.pdf"], 1))
    assert b"divorce" not in (tmp_path / PENDING_FILE).read_bytes()
    assert PendingBatchFile(tmp_path, key).load() == PendingBatch(
        ["/home/me/divorce-papers.pdf"], 1)
    assert PendingBatchFile(tmp_path, os.urandom(32)).load() is None, "another key: ignored"


@pytest.mark.log_ignore("ignoring an unreadable pending-batch.json")
def test_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / PENDING_FILE).write_text("{not json")
    assert PendingBatchFile(tmp_path, None).load() is None
    (tmp_path / PENDING_FILE).write_text('{"paths": "not a list of paths", "files": 1}')
    assert PendingBatchFile(tmp_path, None).load() is None
