"""The eval metrics against cases computed by hand, trec_eval's tie rule, SQuAD scoring."""

from __future__ import annotations

import math

import pytest

from inference.evaluation.metrics import (
    evaluate,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
    trec_order,
)
from inference.evaluation.squad import exact_match, f1_score, normalize_answer


def test_ndcg_binary_relevance_by_hand() -> None:
    run = {"a": 0.9, "x": 0.8, "b": 0.7}
    qrels = {"a": 1, "b": 1}
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3).
    assert ndcg_at_k(run, qrels, 10) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(run, qrels, 10) == pytest.approx(0.919721, abs=1e-6)
    assert ndcg_at_k(run, qrels, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert recall_at_k(run, qrels, 1) == 0.5
    assert recall_at_k(run, qrels, 2) == 0.5
    assert recall_at_k(run, qrels, 3) == 1.0
    assert mrr_at_k(run, qrels, 10) == 1.0


def test_ndcg_graded_relevance_uses_the_grade_as_gain() -> None:
    run = {"c": 3.0, "b": 2.0, "a": 1.0}
    qrels = {"a": 2, "b": 1, "c": 0}
    # DCG = 0 + 1/log2(3) + 2/log2(4); ideal = 2/log2(2) + 1/log2(3).
    expected = (1 / math.log2(3) + 1) / (2 + 1 / math.log2(3))
    assert ndcg_at_k(run, qrels, 10) == pytest.approx(expected)
    assert ndcg_at_k(run, qrels, 10) == pytest.approx(0.619906, abs=1e-6)
    assert mrr_at_k(run, qrels, 10) == 0.5
    assert mrr_at_k(run, qrels, 1) == 0.0
    assert recall_at_k(run, qrels, 2) == 0.5, "a judgment of 0 is not relevant"


def test_cut_off_and_nothing_found() -> None:
    run = {f"d{i:02d}": 100.0 - i for i in range(20)}
    qrels = {"d10": 1}  # rank 11
    assert ndcg_at_k(run, qrels, 10) == 0.0
    assert recall_at_k(run, qrels, 10) == 0.0 and recall_at_k(run, qrels, 100) == 1.0
    assert mrr_at_k(run, qrels, 10) == 0.0
    assert ndcg_at_k({}, qrels, 10) == 0.0


def test_ties_are_broken_by_document_id_descending_as_trec_eval_does() -> None:
    run = {"d1": 1.0, "d2": 1.0, "d3": 2.0}
    assert trec_order(run) == ["d3", "d2", "d1"]
    assert ndcg_at_k(run, {"d1": 1}, 10) == pytest.approx(1 / math.log2(4))
    assert mrr_at_k(run, {"d1": 1}, 10) == pytest.approx(1 / 3)


def test_evaluate_averages_judged_queries_and_counts_missing_runs_as_zero() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}}
    runs = {"q1": {"a": 1.0, "z": 0.5}}
    result = evaluate(runs, qrels, ndcg=(10,), recall=(10, 100), mrr=(10,))
    assert result == {"ndcg@10": 0.5, "recall@10": 0.5, "recall@100": 0.5, "mrr@10": 0.5}


def test_squad_normalisation_exact_match_and_f1() -> None:
    assert normalize_answer("The  Cat's hat!") == "cats hat"
    assert normalize_answer("An apple, a pear") == "apple pear"
    assert exact_match("the Broncos.", ["Denver Broncos", "Broncos"]) == 1.0
    assert exact_match("Denver", ["Broncos"]) == 0.0
    # prediction [denver, broncos, won] vs gold [broncos]: P = 1/3, R = 1.
    assert f1_score("Denver Broncos won", ["Broncos"]) == pytest.approx(0.5)
    assert f1_score("Denver Broncos won", ["Carolina", "Denver Broncos"]) == pytest.approx(0.8)
    assert f1_score("nothing here", ["Broncos"]) == 0.0
    assert exact_match("", []) == 0.0
