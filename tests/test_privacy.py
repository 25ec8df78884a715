"""The privacy promises, each shown by a test: encrypted at rest, deletion that deletes,
no network even for a full ingest and answer."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from documents.embedder import Embedder
from documents.library import Library
from inference.answer import AnswerFinished
from inference.conversations import ConversationStore
from inference.encryption import (
    ENCRYPTION_FILE,
    EncryptionMode,
    KeyUnavailableError,
    PassphraseRequiredError,
    recorded_mode,
    unlock,
)
from inference.workspace import Workspace
from tests.conftest import REPO, XQUAD

SECRET = ("Project Nightjar settles the Halvorsen claim for 4.2 million kroner, "
          "payable by the Tromsø subsidiary before the ninth of March.")
SECRET_WORDS = ("Nightjar", "Halvorsen", "kroner")


def secret_document(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "settlement-memo.md"
    path.write_text(f"# Settlement memo\n\n{SECRET}\n\nThe parties agreed on the terms above. "
                    "![tracking pixel](http://203.0.113.9/pixel.png)\n")
    return path


def files_containing(folder: Path, needles: tuple[str, ...]) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in needles:
                for encoded in (needle.encode(), needle.encode("utf-16-le")):
                    if encoded in data:
                        found.append(f"{path.name}: {needle}")
    return found


class MemoryKeyring(KeyringBackend):
    """A stand-in OS secret store, for testing the keyring path on a headless machine."""

    priority = -1  # type: ignore[assignment]  # Never picked by keyring on its own.

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.secrets[(service, username)]


@pytest.fixture()
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.delenv("ENCLAVE_PASSPHRASE", raising=False)
    yield backend
    keyring.set_keyring(previous)


@pytest.mark.slow
def test_nothing_readable_at_rest_after_ingest_and_answer(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    workspace = Workspace(data_dir)
    try:
        assert workspace.unlock().mode is EncryptionMode.PASSPHRASE
        report = workspace.library.add([secret_document(tmp_path / "docs")])
        assert report.added
        conversation = workspace.conversations.create("Settlement")
        question = "How much does Project Nightjar settle the Halvorsen claim for?"
        workspace.conversations.add_message(conversation.id, "user", question)
        answer = next(e for e in workspace.assistant().answer(question)
                      if isinstance(e, AnswerFinished)).answer
        assert answer.citations[0].passage.document_name == "settlement-memo.md"
        workspace.record_answer(conversation.id, answer)
        assert workspace.audit.verify().entries == 1
    finally:
        workspace.close()
    names = sorted(p.name for p in data_dir.iterdir())
    assert {"library.sqlite3", "vectors.faiss", "conversations.sqlite3", "audit.sqlite3",
            ENCRYPTION_FILE} <= set(names)
    assert files_containing(data_dir, (*SECRET_WORDS, "Settlement", "settlement-memo")) == []
    reopened = Workspace(data_dir)
    try:
        assert reopened.library.search("Halvorsen claim", 1)[0].document_name == \
            "settlement-memo.md"
        assert [m.role for m in reopened.conversations.messages(conversation.id)] == \
            ["user", "assistant"]
    finally:
        reopened.close()


def test_wrong_or_missing_passphrase_is_refused(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    unlock(tmp_path, "right passphrase")
    with pytest.raises(PassphraseRequiredError, match="wrong passphrase"):
        unlock(tmp_path, "wrong passphrase")
    monkeypatch.delenv("ENCLAVE_PASSPHRASE")
    with pytest.raises(PassphraseRequiredError):
        unlock(tmp_path)
    assert unlock(tmp_path, "right passphrase").key == unlock(tmp_path, "right passphrase").key


def test_keyring_mode_when_an_os_keyring_exists(tmp_path: Path,
                                                memory_keyring: MemoryKeyring) -> None:
    first = unlock(tmp_path)
    assert first.mode is EncryptionMode.KEYRING and first.key is not None
    assert len(memory_keyring.secrets) == 1
    assert unlock(tmp_path).key == first.key
    memory_keyring.secrets.clear()
    with pytest.raises(KeyUnavailableError, match="not in this user's OS keyring"):
        unlock(tmp_path)


def test_without_keyring_or_passphrase_the_user_must_choose(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENCLAVE_PASSPHRASE")
    with pytest.raises(PassphraseRequiredError, match="opt out"):
        unlock(tmp_path / "new")
    opted_out = unlock(tmp_path / "plain", opt_out=True)
    assert opted_out.mode is EncryptionMode.NONE and opted_out.key is None
    assert unlock(tmp_path / "plain").mode is EncryptionMode.NONE, "the choice is remembered"


def test_removed_document_leaves_no_trace_in_the_files(tmp_path: Path,
                                                      embedder: Embedder) -> None:
    """Unencrypted on purpose: what is checked is SQLite itself, not the cipher."""
    docs = tmp_path / "docs"
    memo = secret_document(docs)
    shutil.copy(XQUAD / "documents" / "Oxygen.md", docs / "Oxygen.md")
    library = Library(tmp_path / "data", embedder)
    try:
        library.add([docs])
        assert files_containing(tmp_path / "data", SECRET_WORDS), "sanity: stored in the clear"
        assert library.remove(memo.resolve())
        assert library.search("oxygen", 1)[0].document_name == "Oxygen.md"
    finally:
        library.close()
    assert files_containing(tmp_path / "data", SECRET_WORDS) == []


def _python_network_free_run(data_dir: Path, docs: Path, prefix: list[str]) -> str:
    env_command = [sys.executable, str(REPO / "main.py")]
    for args in (["ingest", str(docs)], ["ask", "How much is the Halvorsen claim settled for?",
                                         "--json"]):
        result = subprocess.run([*prefix, *env_command, *args, "--data-dir", str(data_dir)],
                                cwd=REPO, capture_output=True, text=True, check=False,
                                timeout=600)
        assert result.returncode == 0, result.stderr
    return result.stdout


def _unshare_works() -> bool:
    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "-rn", "true"], capture_output=True, check=False).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _unshare_works(), reason="no user+network namespaces here")
def test_ingest_and_answer_with_no_network_at_all(tmp_path: Path) -> None:
    output = _python_network_free_run(tmp_path / "data", tmp_path / "docs"
                                      if secret_document(tmp_path / "docs") else tmp_path,
                                      ["unshare", "-rn"])
    assert "settlement-memo.md" in output


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_strace_sees_no_internet_connect(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    secret_document(tmp_path / "docs")
    _python_network_free_run(tmp_path / "data", tmp_path / "docs",
                             ["strace", "-f", "-qq", "-e", "trace=network,execve", "-o",
                              str(trace)])
    calls = trace.read_text().splitlines()
    inet = [line for line in calls
            if re.search(r"connect\(.*AF_INET6?", line) or re.search(r"sendto\(.*AF_INET", line)]
    # Name the programs the offending processes ran, so a failure says who reached out.
    programs = {line.split()[0]: line for line in calls if "execve(" in line}
    assert inet == [], (inet[:5], [programs.get(line.split()[0], "a thread of the app")
                                   for line in inet[:5]], list(programs.values()))


def test_a_lost_encryption_record_is_not_taken_for_an_unencrypted_library(
        tmp_path: Path) -> None:
    key = unlock(tmp_path, "right passphrase").key
    ConversationStore(tmp_path, key).close()
    (tmp_path / ENCRYPTION_FILE).unlink()
    # Before the fix this recorded mode "none" for good, and the data could never be read.
    with pytest.raises(KeyUnavailableError, match=f"{ENCRYPTION_FILE}.*is missing"):
        unlock(tmp_path, "right passphrase")
    assert not (tmp_path / ENCRYPTION_FILE).exists(), "nothing is recorded over the data"
    plain = tmp_path / "plain"
    ConversationStore(plain, None).close()
    assert unlock(plain).mode is EncryptionMode.NONE, "unencrypted old data stays readable"


def test_a_lost_record_of_a_keyring_library_is_restored_from_the_keyring(
        tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    first = unlock(tmp_path)
    ConversationStore(tmp_path, first.key).close()
    (tmp_path / ENCRYPTION_FILE).unlink()
    again = unlock(tmp_path)
    assert again.mode is EncryptionMode.KEYRING and again.key == first.key
    assert recorded_mode(tmp_path) is EncryptionMode.KEYRING
    ConversationStore(tmp_path, again.key).close()
