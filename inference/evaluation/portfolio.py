"""Would two models beat one? A router by retrieval confidence, replayed on a kept comparison.

The portfolio idea: answer with the small model when retrieval is confident (the best
passage's similarity at least `t`), with the big one otherwise. A comparison run already
holds, for every question, both models' scored answers on the same passages, their times
and the best passage's similarity, so the router is evaluated by replaying it: no model
runs. A router is worth offering only if some threshold gives at least the best single
model's quality in less time; `offer` says whether one does.

    python -m inference.evaluation.portfolio RUN.json --small tiny --big small
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from documents.errors import InvalidInputError
from inference.evaluation.compare import ComparisonRun, QuestionOutcome, load_run


@dataclass(frozen=True)
class RouterPoint:
    """The router at one threshold: `threshold` None is a single model (`label`)."""

    label: str
    threshold: float | None
    small_share: float
    f1: float
    contains: float
    mean_s: float


def router_tradeoff(run: ComparisonRun, small: str, big: str) -> list[RouterPoint]:
    """Each single model, then the router at every threshold that changes a route."""
    pairs = _pairs(run, small, big)
    points = [_point(small, None, [(s, True) for s, _ in pairs]),
              _point(big, None, [(b, False) for _, b in pairs])]
    for threshold in sorted({s.top_similarity for s, _ in pairs if s.top_similarity > 0}):
        routed = [(s, True) if s.top_similarity >= threshold else (b, False)
                  for s, b in pairs]
        points.append(_point(f"router t={threshold:.2f}", threshold, routed))
    return points


def offer(points: Sequence[RouterPoint]) -> RouterPoint | None:
    """The fastest router point with at least the best single model's F1 and 'found' share,
    and faster than it; None when no router beats the best single model."""
    singles = [p for p in points if p.threshold is None]
    best = max(singles, key=lambda p: (p.f1, p.contains, -p.mean_s))
    better = [p for p in points if p.threshold is not None and p.f1 >= best.f1
              and p.contains >= best.contains and p.mean_s < best.mean_s]
    return min(better, key=lambda p: p.mean_s, default=None)


def _pairs(run: ComparisonRun, small: str,
           big: str) -> list[tuple[QuestionOutcome, QuestionOutcome]]:
    by_model: dict[str, dict[str, QuestionOutcome]] = {}
    for outcome in run.outcomes:
        by_model.setdefault(outcome.model, {})[outcome.question_id] = outcome
    for name in (small, big):
        if name not in by_model:
            raise InvalidInputError(f"the run has no answers by '{name}' (it compared "
                                    f"{', '.join(sorted(by_model)) or 'no model'})")
    both = [q.id for q in run.questions if q.id in by_model[small] and q.id in by_model[big]]
    if not both:
        raise InvalidInputError("no question was answered by both models")
    return [(by_model[small][q], by_model[big][q]) for q in both]


def _point(label: str, threshold: float | None,
           routed: Sequence[tuple[QuestionOutcome, bool]]) -> RouterPoint:
    count = len(routed)
    return RouterPoint(label, threshold, sum(on_small for _, on_small in routed) / count,
                       sum(o.f1 for o, _ in routed) / count,
                       sum(o.contains for o, _ in routed) / count,
                       sum(o.total_ms for o, _ in routed) / count / 1000)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("run", type=Path, help="a kept comparison (model-comparisons/*.json)")
    parser.add_argument("--small", required=True, help="the small model's name in the run")
    parser.add_argument("--big", required=True, help="the big model's name in the run")
    args = parser.parse_args(argv)
    points = router_tradeoff(load_run(args.run), args.small, args.big)
    print(f"{'':<18}{'on small':>9}{'F1':>7}{'found':>7}{'s/answer':>10}")
    for p in points:
        print(f"{p.label:<18}{p.small_share:>9.2f}{p.f1:>7.2f}{p.contains:>7.2f}"
              f"{p.mean_s:>10.1f}")
    chosen = offer(points)
    print("offer: " + (f"{chosen.label} beats the best single model" if chosen else
                       "no router beats the best single model on this run"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
