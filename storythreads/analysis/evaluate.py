"""Scores of a clustering against gold labels: BCubed, pairwise F1, ARI, AMI.

Used by ``storythreads eval`` and the bench scripts; the gold labels never reach the
pipeline itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score


def bcubed(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 (Bagga & Baldwin 1998; Amigó et al. 2009)."""
    if len(predicted) != len(gold):
        raise ValueError(f"predicted has {len(predicted)} items, gold has {len(gold)}")
    n = len(gold)
    if n == 0:
        return 0.0, 0.0, 0.0
    both = Counter(zip(predicted, gold))
    pred_size = Counter(predicted)
    gold_size = Counter(gold)
    precision = sum(c * c / pred_size[p] for (p, _), c in both.items()) / n
    recall = sum(c * c / gold_size[g] for (_, g), c in both.items()) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def pairwise_f1(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> float:
    """F1 over same-cluster pairs."""
    both = Counter(zip(predicted, gold))
    tp = sum(c * (c - 1) / 2 for c in both.values())
    pred_pairs = sum(c * (c - 1) / 2 for c in Counter(predicted).values())
    gold_pairs = sum(c * (c - 1) / 2 for c in Counter(gold).values())
    if tp == 0:
        return 0.0
    p, r = tp / pred_pairs, tp / gold_pairs
    return 2 * p * r / (p + r)


def scores(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> dict[str, float]:
    p, r, f = bcubed(predicted, gold)
    return {
        "bcubed_precision": p,
        "bcubed_recall": r,
        "bcubed_f1": f,
        "pairwise_f1": pairwise_f1(predicted, gold),
        "ari": adjusted_rand_score(gold, predicted),
        "ami": adjusted_mutual_info_score(gold, predicted),
        "n_predicted": len(set(predicted)),
        "n_gold": len(set(gold)),
    }
