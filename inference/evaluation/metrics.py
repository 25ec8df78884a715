"""Ranking metrics as trec_eval (and so pytrec_eval, BEIR and MTEB) computes them.

A run is {document id: score} for one query; qrels are {document id: relevance}. Documents
are ordered by score, ties broken by document id in decreasing order, as trec_eval does.
A relevance above 0 counts as relevant; nDCG uses the relevance itself as the gain.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Run = Mapping[str, float]
Qrels = Mapping[str, int]


def trec_order(run: Run) -> list[str]:
    """Document ids best first: score descending, then id descending (trec_eval's tie rule)."""
    return sorted(sorted(run, reverse=True), key=lambda doc: -run[doc])


def ndcg_at_k(run: Run, qrels: Qrels, k: int) -> float:
    """trec_eval's ndcg_cut: sum of rel / log2(rank + 1) over the top k, over the ideal."""
    ranked = trec_order(run)[:k]
    dcg = sum(qrels.get(doc, 0) / math.log2(rank + 1)
              for rank, doc in enumerate(ranked, start=1) if qrels.get(doc, 0) > 0)
    ideal = sorted((rel for rel in qrels.values() if rel > 0), reverse=True)[:k]
    idcg = sum(rel / math.log2(rank + 1) for rank, rel in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(run: Run, qrels: Qrels, k: int) -> float:
    """Relevant documents in the top k over all relevant documents."""
    relevant = {doc for doc, rel in qrels.items() if rel > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(trec_order(run)[:k])) / len(relevant)


def mrr_at_k(run: Run, qrels: Qrels, k: int) -> float:
    """1 / rank of the first relevant document in the top k, else 0."""
    for rank, doc in enumerate(trec_order(run)[:k], start=1):
        if qrels.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def evaluate(runs: Mapping[str, Run], qrels: Mapping[str, Qrels],
             ndcg: Sequence[int] = (10,), recall: Sequence[int] = (10, 100),
             mrr: Sequence[int] = (10,)) -> dict[str, float]:
    """Means over the queries of `qrels` that have a relevant document.

    A query missing from `runs` scores 0 (trec_eval -c), so a retriever cannot gain by
    returning nothing.
    """
    judged = [query for query, rels in qrels.items() if any(rel > 0 for rel in rels.values())]
    totals: dict[str, float] = {}
    for query in judged:
        run, rels = runs.get(query, {}), qrels[query]
        for k in ndcg:
            totals[f"ndcg@{k}"] = totals.get(f"ndcg@{k}", 0.0) + ndcg_at_k(run, rels, k)
        for k in recall:
            totals[f"recall@{k}"] = totals.get(f"recall@{k}", 0.0) + recall_at_k(run, rels, k)
        for k in mrr:
            totals[f"mrr@{k}"] = totals.get(f"mrr@{k}", 0.0) + mrr_at_k(run, rels, k)
    return {name: total / len(judged) for name, total in totals.items()} if judged else {}
