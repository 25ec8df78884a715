"""Both evals end to end through the CLI, on small slices of the real datasets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.cli import run
from tests.conftest import SHARED_DATA, XQUAD

SCIFACT = SHARED_DATA / "scifact"


@pytest.fixture(scope="module")
def scifact_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 12 judged SciFact claims, their abstracts and 28 other abstracts."""
    folder = tmp_path_factory.mktemp("scifact-slice")
    lines = (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()
    judgments = [line.split("\t") for line in lines[1:]]
    queries = list(dict.fromkeys(q for q, _, _ in judgments))[:12]
    relevant = {d for q, d, _ in judgments if q in queries}
    corpus = [json.loads(line) for line in
              (SCIFACT / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    others = [row for row in corpus if row["_id"] not in relevant][:28]
    kept = [row for row in corpus if row["_id"] in relevant] + others
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
    (folder / "queries.jsonl").write_text("".join(
        line + "\n" for line in (SCIFACT / "queries.jsonl").read_text().splitlines()
        if json.loads(line)["_id"] in queries))
    (folder / "qrels").mkdir()
    (folder / "qrels" / "test.tsv").write_text(lines[0] + "\n" + "".join(
        "\t".join(j) + "\n" for j in judgments if j[0] in queries))
    return folder


@pytest.mark.slow
def test_retrieval_eval_on_a_scifact_slice(scifact_slice: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "index"
    results = {}
    for mode in ("vector", "keyword", "hybrid"):
        assert run(["eval", "retrieval", "--dataset", str(scifact_slice), "--mode", mode,
                    "--index-dir", str(index), "--json"]) == 0
        results[mode] = json.loads(capsys.readouterr().out)
    hybrid = results["hybrid"]
    documents = len((scifact_slice / "corpus.jsonl").read_text().splitlines())
    assert hybrid["queries"] == 12 and hybrid["documents"] == documents
    assert hybrid["chunks"] >= documents and hybrid["failed_documents"] == 0
    assert hybrid["config"]["fusion"]["method"] == "reciprocal rank fusion"
    assert "fusion" not in results["vector"]["config"]
    assert len(list(index.iterdir())) == 1, "one kept index, reused by the later modes"
    for result in results.values():
        metrics = result["metrics"]
        assert set(metrics) == {"ndcg@10", "recall@10", "recall@100", "mrr@10"}
        assert 0.6 <= metrics["ndcg@10"] <= 1.0, result
        if result["mode"] != "keyword":  # Keywords only find documents sharing a word.
            assert metrics["recall@100"] == 1.0, "under 100 documents: all are in the top 100"
        assert metrics["mrr@10"] >= metrics["ndcg@10"] - 0.2
        assert result["queries_per_s"] > 0

    assert run(["eval", "retrieval", "--dataset", str(scifact_slice), "--mode", "vector",
                "--index-dir", str(index), "--limit", "3"]) == 0
    printed = capsys.readouterr().out
    assert "3 queries" in printed and "nDCG@10" in printed and "Recall@100" in printed
    assert "queries/s" in printed and "configuration" in printed


def test_retrieval_eval_refuses_a_folder_that_is_not_a_dataset(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["eval", "retrieval", "--dataset", str(tmp_path)]) == 1
    assert "corpus.jsonl: missing" in capsys.readouterr().err


@pytest.mark.slow
def test_docqa_eval_with_answers_on_three_articles(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    dataset = tmp_path / "docqa"
    (dataset / "documents").mkdir(parents=True)
    names = ("Super_Bowl_50.md", "Oxygen.md", "Warsaw.md")
    for name in names:
        shutil.copy(XQUAD / "documents" / name, dataset / "documents" / name)
    questions = [line for line in (XQUAD / "questions.jsonl").read_text().splitlines()
                 if json.loads(line)["doc"] in names]
    (dataset / "questions.jsonl").write_text("\n".join(questions) + "\n")

    assert run(["eval", "docqa", "--dataset", str(dataset), "--limit", "4", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["questions"] == 4 and result["documents"] == 3 and result["answered"] == 4
    assert result["passage_hit@5"] >= 0.5
    assert 0.0 <= result["citation_accuracy"] <= 1.0 and 0.0 <= result["f1"] <= 1.0
    assert len({o["doc"] for o in result["outcomes"]}) > 1, "the sample spans the articles"
    assert all(o["answer"] is not None for o in result["outcomes"])
    assert result["config"]["model"].endswith(".gguf")

    assert run(["eval", "docqa", "--dataset", str(dataset), "--retrieval-only"]) == 0
    printed = capsys.readouterr().out
    assert "passage hit@5" in printed and "citation accuracy" not in printed
