"""`collections …`, `ingest/search/ask --collection` and `ask --scope collection`, as a script
meets them: real processes, the real embedder and model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import enclave, last_line

pytestmark = pytest.mark.slow

QUESTION = "Which team won Super Bowl 50?"


def test_a_collection_scopes_search_and_answers(tmp_path: Path, docs_dir: Path) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    enclave("ingest", docs_dir / "Super_Bowl_50.md", *data)
    enclave("collections", "create", "Client A", *data)
    report = last_line(enclave("ingest", docs_dir / "Oxygen.md", docs_dir / "Warsaw.md",
                               "--collection", "Client A", "--json", *data).stdout)
    assert len(report["added"]) == 2
    listed = json.loads(enclave("collections", "list", "--json", *data).stdout)
    assert [(c["name"], c["documents"]) for c in listed] == [("Client A", 2)]

    everywhere = json.loads(enclave("search", QUESTION, "--json", *data).stdout)
    assert everywhere[0]["file"] == "Super_Bowl_50.md"
    scoped = json.loads(enclave("search", QUESTION, "--collection", "client a", "--json",
                                *data).stdout)
    assert scoped and {p["file"] for p in scoped} <= {"Oxygen.md", "Warsaw.md"}

    answer = json.loads(enclave("ask", "Who discovered oxygen?", "--collection", "Client A",
                                "--json", *data).stdout)
    files = {c["file"] for c in answer["citations"]}
    assert files and files <= {"Oxygen.md", "Warsaw.md"}, answer

    for wrong in (["ask", QUESTION, "--collection", "Client B"],
                  ["ask", QUESTION, "--scope", "collection", "Client B"],
                  ["ingest", docs_dir / "Oxygen.md", "--collection", "Client B"],
                  ["collections", "add", "Client B", docs_dir / "Oxygen.md"]):
        result = enclave(*wrong, *data, check=False)
        assert result.returncode == 2, result.stderr
        assert "no collection is named 'Client B'" in result.stderr
        assert "Client A" in result.stderr, "the error lists the collections there are"

    removed = enclave("collections", "remove", "Client A", docs_dir / "Warsaw.md", *data)
    assert "Client A: 1 document," in removed.stdout
    enclave("collections", "delete", "Client A", *data)
    assert json.loads(enclave("collections", "list", "--json", *data).stdout) == []
    assert len(json.loads(enclave("docs", "--json", *data).stdout)) == 3
