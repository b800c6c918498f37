"""Scores of a clustering against gold labels: BCubed, pairwise F1, ARI, AMI.

Used by ``storythreads eval`` and the bench scripts; the gold labels never reach the
pipeline itself.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime
from typing import Any

from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

from ...errors import InputError
from ...types import Run


def bcubed(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 (Bagga & Baldwin 1998; Amigó et al. 2009)."""
    if len(predicted) != len(gold):
        raise ValueError(f"predicted has {len(predicted)} items, gold has {len(gold)}")
    n = len(gold)
    if n == 0:
        return 0.0, 0.0, 0.0
    both = Counter(zip(predicted, gold, strict=True))
    pred_size = Counter(predicted)
    gold_size = Counter(gold)
    precision = sum(c * c / pred_size[p] for (p, _), c in both.items()) / n
    recall = sum(c * c / gold_size[g] for (_, g), c in both.items()) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def pairwise_f1(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> float:
    """F1 over same-cluster pairs."""
    both = Counter(zip(predicted, gold, strict=True))
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


def worst_errors(
    predicted: Sequence[Hashable],
    gold: Sequence[Hashable],
    titles: Sequence[str],
    n: int = 5,
    times: Sequence[datetime | None] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The ``n`` worst merges and splits, with one headline per part, so a person sees why.

    A merge is a thread holding several gold stories, ranked by the items outside its
    largest story; a split is a gold story spread over several threads, ranked the same way.
    With ``times`` (one per item, None when undated) each merge also gets the time its
    thread spans (``first``, ``last``, ``span_days``): a merge over years is two events
    joined, one over hours is more likely two angles of one. Without, those are None.
    """
    if times is not None and len(times) != len(predicted):
        raise ValueError(f"times has {len(times)} items, predicted has {len(predicted)}")

    def parts(
        keys: Sequence[Hashable], values: Sequence[Hashable]
    ) -> dict[Hashable, dict[Hashable, list[int]]]:
        groups: dict[Hashable, dict[Hashable, list[int]]] = {}
        for i, (k, v) in enumerate(zip(keys, values, strict=True)):
            groups.setdefault(k, {}).setdefault(v, []).append(i)
        return groups

    def worst(
        groups: dict[Hashable, dict[Hashable, list[int]]], part_name: str, spans: bool = False
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for key, split in groups.items():
            if len(split) < 2:
                continue
            sizes = sorted(((len(ix), str(v), ix) for v, ix in split.items()), reverse=True)
            stray = sum(size for size, _, _ in sizes[1:])
            rows.append(
                {
                    "id": str(key),
                    "stray_items": stray,
                    "parts": [
                        {part_name: v, "items": size, "example": titles[ix[0]]}
                        for size, v, ix in sizes
                    ],
                }
            )
            if spans:
                items = [i for _, _, ix in sizes for i in ix]
                rows[-1].update(_time_span([times[i] for i in items] if times else []))
        rows.sort(key=lambda r: (-r["stray_items"], r["id"]))
        return rows[:n]

    return {
        "merges": worst(parts(predicted, gold), "gold", spans=True),
        "splits": worst(parts(gold, predicted), "thread"),
    }


def _time_span(times: Sequence[datetime | None]) -> dict[str, str | float | None]:
    """First and last time (ISO, UTC, 'Z') and the days between; None for what is undated."""
    dated = sorted(_utc(t) for t in times if t is not None)
    if not dated:
        return {"first": None, "last": None, "span_days": None}
    days = (dated[-1] - dated[0]).total_seconds() / 86_400
    return {"first": _iso(dated[0]), "last": _iso(dated[-1]), "span_days": round(days, 4)}


def _utc(dt: datetime) -> datetime:
    """Naive times are taken as UTC (as the reports do), so naive and aware ones compare."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _iso(dt: datetime) -> str:
    return dt.replace(tzinfo=None).isoformat() + "Z"


def gold_labels(path: str, field: str) -> dict[str, object]:
    """id -> gold label for the records that have both; broken lines are the reader's to report."""
    gold: dict[str, object] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(row, dict) and "id" in row and field in row:
                    gold.setdefault(str(row["id"]), row[field])  # the reader keeps the first
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", path=path) from exc
    if not gold:
        raise InputError(f"no record has both an id and the gold field {field!r}", path=path)
    return gold


def evaluate_run(run: Run, gold: dict[str, object], gold_field: str, path: str) -> dict[str, Any]:
    """A run's threads scored against ``gold`` (post id -> story): the scores
    (``scores``) and the worst merges and splits (``worst_errors``), over the posts that
    have a label; an unthreaded post counts as a thread of its own. InputError when no post
    of the run has one."""
    primary = {a.post_id: a.thread_id for a in run.assignments if a.role == "primary"}
    ids = [p.id for p in run.posts if p.id in gold]
    if not ids:
        raise InputError(f"no post kept has a {gold_field!r} label", path=path)
    predicted = [primary.get(i, f"unthreaded:{i}") for i in ids]
    labels = [gold[i] for i in ids]
    by_id = {p.id: p for p in run.posts}
    errors = worst_errors(
        predicted,
        labels,
        [by_id[i].title or by_id[i].body[:80] for i in ids],
        times=[by_id[i].published for i in ids],
    )
    return {**scores(predicted, labels), **errors}
