"""Thread ids across runs: the sparse, per-component matching gives what a dense Hungarian
assignment over every cluster x thread pair gives, at a fraction of the cost."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from storythreads.analysis.threading.identity import PriorThread, match_threads


def shared(clusters, prior, pairs) -> int:
    posts = {p.id: p.post_ids for p in prior}
    return sum(len(set(clusters[c]) & posts[t]) for c, t in pairs)


def dense_reference(clusters, prior):
    """The assignment over the full clusters x threads matrix (the former implementation)."""
    prior = sorted(prior, key=lambda p: p.id)
    overlap = np.array([[len(set(c) & p.post_ids) for p in prior] for c in clusters], float)
    tie = np.arange(len(prior))[None, :] * 1e-6
    rows, cols = linear_sum_assignment(-(overlap - tie))
    return {(int(c), prior[t].id) for c, t in zip(rows, cols, strict=True) if overlap[c, t] > 0}


def random_case(rng: random.Random, n_posts: int):
    posts = [f"p{i}" for i in range(n_posts)]
    old = [rng.randrange(n_posts // 3) for _ in posts]  # a thread per post last run
    prior = [
        PriorThread(f"t-{t:06d}", frozenset(p for p, o in zip(posts, old, strict=True) if o == t))
        for t in sorted(set(old))
    ]
    new: dict[int, list[str]] = {}
    for p, o in zip(
        posts, old, strict=True
    ):  # mostly the same threads, some posts move, some are new
        new.setdefault(o if rng.random() < 0.8 else rng.randrange(n_posts // 2), []).append(p)
    new.setdefault(n_posts, []).append("fresh")
    return [new[k] for k in sorted(new)], prior


@pytest.mark.parametrize("seed", range(20))
def test_matching_equals_the_dense_assignment(seed):
    clusters, prior = random_case(random.Random(seed), 120)
    ids, events, next_number = match_threads(clusters, prior, next_number=1000)
    kept = {(c, i) for c, i in enumerate(ids) if not i.startswith("t-0010")}
    reference = dense_reference(clusters, prior)
    # as many posts keep their thread as under the dense optimum (pairs differ only where
    # two clusters share equally many posts with one thread)
    assert shared(clusters, prior, kept) == shared(clusters, prior, reference)
    assert len(kept ^ reference) <= 0.1 * len(reference)
    assert len(set(ids)) == len(ids)  # one id per cluster
    new_ids = sorted(i for i in ids if i.startswith("t-0010"))
    assert new_ids == [f"t-{n:06d}" for n in range(1000, next_number)]
    # every thread of the last run that lost its id is accounted for
    ended = {e.thread_id for e in events if e.event in ("merged", "retired")}
    assert ended == {p.id for p in prior} - set(ids)


def test_split_merge_and_retire_events():
    prior = [PriorThread("t-000001", frozenset("abc")), PriorThread("t-000002", frozenset("de")),
             PriorThread("t-000003", frozenset("f"))]  # fmt: skip
    ids, events, nxt = match_threads([["a", "b"], ["c", "d", "e"], ["g"]], prior, 4)
    assert ids == ["t-000001", "t-000002", "t-000004"]
    got = {(e.thread_id, e.event, e.other_id) for e in events}
    assert ("t-000004", "born", None) in got
    assert ("t-000003", "retired", None) in got
    assert nxt == 5
    ids, events, _ = match_threads([["a", "b", "c", "d", "e"]], prior[:2], 4)
    assert ids == ["t-000001"]  # the larger share; the other was merged into it
    assert ("t-000002", "merged", "t-000001") in {
        (e.thread_id, e.event, e.other_id) for e in events
    }
    ids, events, _ = match_threads([["a"], ["b", "c"]], prior[:1], 4)
    assert ids == ["t-000004", "t-000001"]
    assert ("t-000004", "split", "t-000001") in {(e.thread_id, e.event, e.other_id) for e in events}


def test_no_prior_and_no_clusters():
    assert match_threads([["a"], ["b"]], [], 1)[0] == ["t-000001", "t-000002"]
    ids, events, nxt = match_threads([], [PriorThread("t-000001", frozenset("a"))], 2)
    assert ids == [] and events[0].event == "retired" and nxt == 2
