"""kill -9 at the worst moments: nothing half-written survives, and work can resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from documents.crypto import open_database
from documents.embedder import Embedder
from documents.library import DATABASE_FILE, Library
from inference.conversations import ConversationStore
from inference.encryption import unlock
from inference.paths import models_dir
from inference.settings import Settings
from inference.workspace import EMBEDDER_EXPORTS_DIR
from tests.conftest import REPO, XQUAD

pytestmark = pytest.mark.slow


def start(*args: str | Path, stdout: int = subprocess.DEVNULL) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(REPO / "main.py"), *map(str, args)], cwd=REPO,
                            stdout=stdout, stderr=subprocess.DEVNULL, text=True)


def wait_until(condition: object, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("the condition was not met in time")
        time.sleep(0.2)


def indexed_count(data_dir: Path, keys: dict[Path, bytes | None] | None = None) -> int:
    """Documents committed so far; `keys` caches the data directory's key between polls
    (deriving it from the passphrase takes longer than the ingest's first files)."""
    path = data_dir / DATABASE_FILE
    if not path.exists():
        return 0
    try:
        keys = {} if keys is None else keys
        if data_dir not in keys:
            keys[data_dir] = unlock(data_dir).key
        db = open_database(path, keys[data_dir])
        try:
            return int(db.execute("SELECT count(*) FROM documents").fetchone()[0])
        finally:
            db.close()
    except Exception:  # Schema not written yet, or the file is being created.
        return 0


def test_kill_during_ingest_leaves_whole_documents_and_resumes(tmp_path: Path,
                                                               embedder: Embedder) -> None:
    docs = tmp_path / "docs"
    # Two copies of the articles, and the key made before the ingest starts (deriving it takes
    # longer than indexing the first files): the kill must land mid-batch on a quiet machine.
    shutil.copytree(XQUAD / "documents", docs / "a")
    shutil.copytree(XQUAD / "documents", docs / "b")
    data_dir = tmp_path / "data"
    keys: dict[Path, bytes | None] = {data_dir: unlock(data_dir).key}
    process = start("ingest", docs, "--data-dir", data_dir)
    try:
        wait_until(lambda: indexed_count(data_dir, keys) >= 3)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    survivors = indexed_count(data_dir)
    assert 3 <= survivors < 96, "killed mid-batch"

    key = unlock(data_dir).key
    db = open_database(data_dir / DATABASE_FILE, key)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        mismatched = db.execute(
            "SELECT path FROM documents d WHERE chunk_count != "
            "(SELECT count(*) FROM chunks c WHERE c.document_id = d.id)").fetchall()
        assert mismatched == [], "a document was half-written"
    finally:
        db.close()
    # The CLI indexed with the app's default backend: reopen with the same one.
    default = Embedder(embedder.model_dir, backend=Settings().embedder_backend,
                       cache_dir=models_dir() / EMBEDDER_EXPORTS_DIR)
    library = Library(data_dir, default, key=key)
    try:
        assert library.store.fts_integrity()
        assert library._vector_index().size == library.store.chunk_count()
        resumed = library.add([docs])
        assert len(resumed.unchanged) == survivors
        assert len(resumed.added) == 96 - survivors and not resumed.failed
        assert library._vector_index().size == library.store.chunk_count()
    finally:
        library.close()


def test_kill_during_an_answer_keeps_the_conversation(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ingest = subprocess.run([sys.executable, str(REPO / "main.py"), "ingest",
                             str(XQUAD / "documents" / "Warsaw.md"), "--data-dir", str(data_dir)],
                            cwd=REPO, capture_output=True, text=True, check=False)
    assert ingest.returncode == 0, ingest.stderr
    first = subprocess.run([sys.executable, str(REPO / "main.py"), "ask",
                            "Which river flows through Warsaw?", "--json", "--data-dir",
                            str(data_dir)], cwd=REPO, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    conversation = json.loads(first.stdout)["conversation"]

    process = start("ask", "Tell me everything about the history of Warsaw.",
                    "--conversation", str(conversation), "--data-dir", data_dir,
                    stdout=subprocess.PIPE)
    with process:
        assert process.stdout is not None
        assert process.stdout.read(8), "the answer started streaming"
        os.kill(process.pid, signal.SIGKILL)

    store = ConversationStore(data_dir, unlock(data_dir).key)
    try:
        roles = [m.role for m in store.messages(conversation)]
        assert roles == ["user", "assistant", "user"], "the question is kept, no half answer"
        assert len(store.history(conversation)) == 1
    finally:
        store.close()
    again = subprocess.run([sys.executable, str(REPO / "main.py"), "ask", "And its population?",
                            "--conversation", str(conversation), "--json", "--data-dir",
                            str(data_dir)], cwd=REPO, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
