"""One error model and a log: clean one-line errors, and a log with reasons but no text."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from app.cli import CliError
from documents.crypto import DecryptionError
from documents.embedder import EmbedderError
from documents.errors import DocumentError, EnclaveError, InvalidInputError
from documents.library import EmbedderMismatchError
from inference.encryption import KeyUnavailableError, PassphraseRequiredError
from inference.engine import ModelLoadError
from inference.logs import LOG_FILE, PACKAGES, setup_logging
from inference.model_file import ModelFileError
from inference.offline import NetworkBlockedError
from inference.policy import PolicyError
from inference.provision import ProvisionError
from inference.workspace import SetupError
from tests.conftest import PDFS, REPO
from tests.test_privacy import SECRET_WORDS, secret_document


def test_every_domain_error_is_an_enclave_error() -> None:
    for kind in (CliError, DecryptionError, DocumentError, EmbedderError,
                 EmbedderMismatchError, InvalidInputError, KeyUnavailableError,
                 PassphraseRequiredError, ModelLoadError, ModelFileError, NetworkBlockedError,
                 PolicyError, ProvisionError, SetupError):
        assert issubclass(kind, EnclaveError), kind
    # The built-in bases stay, for callers that catch those.
    assert issubclass(ModelFileError, ValueError) and issubclass(PolicyError, PermissionError)


def test_setup_logging_keeps_one_file_and_debug_records_only_when_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCLAVE_LOG_DIR", str(tmp_path))
    monkeypatch.delenv("ENCLAVE_DEBUG", raising=False)
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = setup_logging()
        assert setup_logging() == path == tmp_path / LOG_FILE
        ours = [h for h in root.handlers if isinstance(h, RotatingFileHandler)]
        assert len(ours) == 1, "a second setup replaces the handler"
        log = logging.getLogger("inference.test")
        log.debug("question: what is the secret?")
        log.info("not indexed: a.pdf: damaged")
        setup_logging(debug=True)
        log.debug("question: asked with debug logging on")
        for handler in root.handlers:
            handler.flush()
        text = path.read_text(encoding="utf-8")
        assert "a.pdf: damaged" in text and "with debug logging on" in text
        assert "what is the secret" not in text
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
            handler.close()
        for name in PACKAGES:
            logging.getLogger(name).setLevel(logging.NOTSET)


def enclave(log_dir: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENCLAVE_LOG_DIR": str(log_dir)}
    return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)], cwd=REPO,
                          env=env, capture_output=True, text=True, check=False, timeout=600)


@pytest.mark.slow
def test_a_bad_embedder_is_one_line_on_screen_and_a_traceback_in_the_log(
        tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    result = enclave(logs, "ask", "anything?", "--data-dir", tmp_path / "data",
                     "--embedder", tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"enclave: error: {tmp_path}: not a sentence-transformers model directory"]
    log = (logs / LOG_FILE).read_text(encoding="utf-8")
    assert "Traceback" in log and "EmbedderError" in log
    assert "anything?" not in log, "the question is not logged"


@pytest.mark.slow
def test_the_log_holds_failure_reasons_but_no_document_or_question_text(
        tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    folder = tmp_path / "docs"
    secret_document(folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not really a PDF at all\n")
    data = tmp_path / "data"
    ingest = enclave(logs, "ingest", folder, PDFS / "derived_truncated" / "zero_bytes.pdf",
                     "--data-dir", data)
    assert "broken.pdf" in ingest.stdout, ingest.stdout + ingest.stderr
    question = "How much does Project Nightjar settle the Halvorsen claim for?"
    asked = enclave(logs, "ask", question, "--data-dir", data)
    assert asked.returncode == 0, asked.stderr
    log = (logs / LOG_FILE).read_text(encoding="utf-8")
    assert "zero_bytes.pdf: empty file" in log
    assert "broken.pdf: " in log
    assert "enclave ask: started" in log
    for text in (*SECRET_WORDS, question, "Nightjar"):
        assert text not in log, f"{text!r} was logged"

    # With debug logging turned on, the question may be logged.
    enclave(logs, "ask", question, "--data-dir", data, "--debug")
    assert question in (logs / LOG_FILE).read_text(encoding="utf-8")
