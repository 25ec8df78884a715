"""The CLI as a user or a script meets it: real processes, the real model and embedder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from inference.catalog import DEFAULT_CHAT_MODEL
from tests.conftest import PDFS, REPO, XQUAD

pytestmark = pytest.mark.slow



def enclave(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)],
                            cwd=REPO, capture_output=True, text=True, check=False, timeout=600)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def last_line(stdout: str) -> dict[str, Any]:
    """`ingest --json`'s report: the last of its JSON lines, after the progress ones."""
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert all(line["event"] in ("progress", "file") for line in lines[:-1]), lines
    report: dict[str, Any] = lines[-1]
    return report


@pytest.fixture(scope="module")
def xquad_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("xquad-data")
    report = last_line(enclave("ingest", XQUAD / "documents", "--data-dir", data_dir,
                               "--json").stdout)
    assert len(report["added"]) == 48 and not report["failed"]
    return data_dir


def gold_questions() -> list[tuple[str, str]]:
    """One question from each of a few documents, taken from the gold file by id."""
    wanted = {"Super_Bowl_50.md", "Nikola_Tesla.md", "Amazon_rainforest.md"}
    picked: dict[str, str] = {}
    for line in (XQUAD / "questions.jsonl").read_text().splitlines():
        item = json.loads(line)
        if item["doc"] in wanted and item["doc"] not in picked:
            picked[item["doc"]] = item["question"]
    return [(question, doc) for doc, question in picked.items()]


def test_ask_cites_the_gold_document(xquad_data_dir: Path) -> None:
    for question, gold in gold_questions():
        result = json.loads(enclave("ask", question, "--data-dir", xquad_data_dir,
                                    "--json").stdout)
        assert result["answer"], question
        assert result["citations"][0]["file"] == gold, (question, result["citations"])
        assert set(result["citations"][0]) >= {"file", "page", "score", "snippet"}
        timings = result["timings"]
        assert timings["tokens"] > 0 and timings["tokens_per_s"] > 0
        assert 0 < timings["retrieval_ms"] <= timings["ttft_ms"] <= timings["total_ms"]
        assert result["model"]["file"] == DEFAULT_CHAT_MODEL.file_name
        assert result["model"]["sha256"] == DEFAULT_CHAT_MODEL.sha256


def test_a_question_the_documents_do_not_cover_is_declined(xquad_data_dir: Path) -> None:
    result = json.loads(enclave("ask", "How do I reset my home wifi router password?",
                                "--data-dir", xquad_data_dir, "--json").stdout)
    assert result["covered"] is False and not result["citations"]
    assert "do not seem to cover" in result["answer"]


def test_docs_lists_and_remove_forgets(tmp_path: Path) -> None:
    pdf = PDFS / "docling_tests" / "sources" / "normal_4pages.pdf"
    enclave("ingest", pdf, XQUAD / "documents" / "Warsaw.md", "--data-dir", tmp_path)
    listed = json.loads(enclave("docs", "--data-dir", tmp_path, "--json").stdout)
    assert {(Path(d["file"]).name, d["pages"]) for d in listed} == {
        ("normal_4pages.pdf", 4), ("Warsaw.md", None)}
    enclave("remove", pdf, "--data-dir", tmp_path)
    listed = json.loads(enclave("docs", "--data-dir", tmp_path, "--json").stdout)
    assert [Path(d["file"]).name for d in listed] == ["Warsaw.md"]
    again = enclave("remove", pdf, "--data-dir", tmp_path, check=False)
    assert again.returncode == 1 and "not in the library" in again.stderr


def test_errors_name_the_file_and_exit_non_zero(tmp_path: Path) -> None:
    bad = enclave("ingest", PDFS / "derived_truncated" / "zero_bytes.pdf", "--data-dir",
                  tmp_path, check=False)
    assert bad.returncode == 1 and "zero_bytes.pdf: empty file" in bad.stdout
    model = tmp_path / "model.gguf"
    model.write_text("not a model")
    result = enclave("ask", "anything?", "--data-dir", tmp_path, "--model", model, check=False)
    assert result.returncode == 1
    assert f"{model}: not a GGUF model file" in result.stderr
    assert "Traceback" not in result.stderr


def test_ingest_reports_every_file_uses_the_password_for_a_folder_and_exits_non_zero(
        tmp_path: Path) -> None:
    from tests.pdf_corpus import BATCH_PASSWORD, lone_surrogate, truncated, user_password

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a_note.md").write_text("Tides follow the moon around the earth.\n")
    (folder / "b_surrogate.pdf").write_bytes(lone_surrogate())
    (folder / "c_truncated.pdf").write_bytes(truncated())
    (folder / "d_protected.pdf").write_bytes(user_password())
    result = enclave("ingest", folder, "--password", BATCH_PASSWORD, "--json",
                     "--data-dir", tmp_path / "data", check=False)
    assert result.returncode == 1, result.stderr
    report = last_line(result.stdout)
    assert report["event"] == "report" and report["cancelled"] is False
    assert sorted(Path(p).name for p in report["added"]) == [
        "a_note.md", "b_surrogate.pdf", "d_protected.pdf"]
    [failed] = report["failed"]
    assert Path(failed["file"]).name == "c_truncated.pdf" and failed["reason"] == "damaged"
    assert failed["advice"] and "Traceback" not in result.stderr
    plain = enclave("ingest", folder / "c_truncated.pdf", "--data-dir", tmp_path / "data",
                    check=False)
    assert plain.returncode == 1 and "c_truncated.pdf: damaged" in plain.stdout
