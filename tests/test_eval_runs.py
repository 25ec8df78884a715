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


@pytest.mark.slow
def test_rerank_eval_runs_the_search_with_and_without_it(
        scifact_slice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["eval", "retrieval", "--dataset", str(scifact_slice), "--index-dir",
                str(tmp_path / "index"), "--limit", "3", "--rerank", "5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in data["rows"]] == [
        "hybrid (no reranking)", "late interaction, top 5, fused", "late interaction, top 5"]
    for row in data["rows"]:
        assert set(row["metrics"]) == {"ndcg@10", "recall@10", "recall@100", "mrr@10"}
    # Reranking moves only the top 5 chunks, so what the top 100 holds stays.
    assert len({row["metrics"]["recall@100"] for row in data["rows"]}) == 1
    cost = data["added_ms"]["5"]
    assert cost["p95"] >= cost["p50"] > 0 and cost["first_stage_p50"] > 0


def test_retrieval_eval_refuses_a_folder_that_is_not_a_dataset(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["eval", "retrieval", "--dataset", str(tmp_path)]) == 1
    assert "corpus.jsonl: missing" in capsys.readouterr().err


@pytest.fixture(scope="module")
def xquad_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three docqa articles and their questions."""
    dataset = tmp_path_factory.mktemp("docqa")
    (dataset / "documents").mkdir(parents=True)
    names = ("Super_Bowl_50.md", "Oxygen.md", "Warsaw.md")
    for name in names:
        shutil.copy(XQUAD / "documents" / name, dataset / "documents" / name)
    questions = [line for line in (XQUAD / "questions.jsonl").read_text().splitlines()
                 if json.loads(line)["doc"] in names]
    (dataset / "questions.jsonl").write_text("\n".join(questions) + "\n")
    return dataset


@pytest.mark.slow
def test_docqa_eval_with_answers_on_three_articles(xquad_slice: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "records.jsonl"
    assert run(["eval", "docqa", "--dataset", str(xquad_slice), "--limit", "3", "--json",
                "--output", str(records)]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert "[3/3]" in captured.err, "progress goes to stderr"
    assert result["questions"] == 3 and result["answered"] == 3
    assert result["answerable"] == 2 and result["unanswerable"] == 1
    assert len(result["held_out"]) == 1 and result["documents"] == 2, "one article left out"
    assert result["passage_hit@5"] >= 0.5
    for metric in ("exact_match", "f1", "contains", "citation_accuracy", "cited_rate",
                   "declined_answerable", "declined_unanswerable", "truncated"):
        assert 0.0 <= result[metric] <= 1.0, metric
    assert result["markers_valid"] is None or 0.0 <= result["markers_valid"] <= 1.0
    assert result["tokens_per_s"] > 0 and result["ttft_ms"] > 0
    assert result["config"]["model"].endswith(".gguf") and "command" in result["config"]
    outcomes = result["outcomes"]
    assert len({o["doc"] for o in outcomes if o["answerable"]}) > 1, "the sample spans them"
    unanswerable = [o for o in outcomes if not o["answerable"]]
    assert [o["doc"] for o in unanswerable] == result["held_out"] and unanswerable[0]["hit"] is None
    assert all(o["answer"] is not None and o["lead"] is not None for o in outcomes)
    lines = records.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [o["id"] for o in outcomes]

    assert run(["eval", "docqa", "--dataset", str(xquad_slice), "--retrieval-only",
                "--unanswerable-share", "0", "--limit", "0"]) == 0
    printed = capsys.readouterr().out
    assert "passage hit@5" in printed and "citation accuracy" not in printed
    assert "0 on 0 articles left out" in printed


@pytest.mark.slow
def test_followups_eval_asks_the_pair_in_one_conversation(
        xquad_slice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["eval", "followups", "--dataset", str(xquad_slice), "--limit", "1"]) == 0
    printed = capsys.readouterr().out
    assert "1 pair(s) of a question and its follow-up over 3 documents, rewrite on" in printed
    for label in ("article hit@4, in conversation", "paragraph hit@4, original", "token F1",
                  "markers all valid", "tokens/s"):
        assert label in printed
