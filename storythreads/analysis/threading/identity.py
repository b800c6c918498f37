"""Thread identity across runs: which new cluster continues which stored thread.

Each run re-clusters the posts in scope; this stage gives every cluster the id of the
stored thread it continues, so a story keeps its id while it grows. Clusters are matched
to stored threads by shared member posts, one to one, with the Hungarian method
(``scipy.optimize.linear_sum_assignment``); ties go to the older thread. What is left
over is recorded as lineage:

- a cluster matched to no thread is *born* (new id), or *split* from the thread whose
  posts it took;
- a stored thread matched to no cluster was *merged* into the cluster that took most of
  its posts, or *retired* if none of its posts is threaded any more.

New ids come from a counter that only grows, so a retired id is never reused.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import connected_components

from ...types import Post, Thread


@dataclass(frozen=True)
class PriorThread:
    """A thread as the store holds it before this run."""

    id: str
    post_ids: frozenset[str]
    status: str = "active"  # active | dormant


@dataclass(frozen=True)
class LineageEvent:
    thread_id: str
    event: str  # born | continued | split | merged | retired | dormant | revived
    other_id: str | None = None
    detail: str = ""


def format_thread_id(number: int) -> str:
    return f"t-{number:06d}"


def match_threads(
    clusters: Sequence[Sequence[str]],
    prior: Sequence[PriorThread],
    next_number: int = 1,
) -> tuple[list[str], list[LineageEvent], int]:
    """Ids for ``clusters`` (lists of post ids, in the order new ids should be given).

    Returns the ids, the lineage events, and the next unused id number. Time and memory
    follow the shared posts, not clusters x threads: the overlap matrix is sparse, and the
    assignment is solved per connected group of clusters and threads that share posts
    (almost all are one cluster and one thread).
    """
    prior = sorted(prior, key=lambda p: p.id)
    overlap = _overlap(clusters, prior)
    ids: list[str | None] = [None] * len(clusters)
    events: list[LineageEvent] = []
    matched_prior: set[int] = set()
    for c, t in _assignment(overlap):
        ids[c] = prior[t].id
        matched_prior.add(t)
        grown = len(set(clusters[c]) - prior[t].post_ids)
        if grown or len(clusters[c]) != len(prior[t].post_ids):
            events.append(LineageEvent(prior[t].id, "continued", None, f"+{grown} post(s)"))
    by_cluster, by_thread = overlap.tocsr(), overlap.T.tocsr()
    for c in range(len(clusters)):
        if ids[c] is not None:
            continue
        new_id = ids[c] = format_thread_id(next_number)
        next_number += 1
        source, shared = _most_shared(by_cluster, c)
        if shared:
            events.append(LineageEvent(new_id, "split", prior[source].id, f"took {shared} post(s)"))
        else:
            events.append(LineageEvent(new_id, "born"))
    for t, thread in enumerate(prior):
        if t in matched_prior:
            continue
        into, moved = _most_shared(by_thread, t)
        if moved:
            events.append(LineageEvent(thread.id, "merged", ids[into], f"{moved} post(s) moved"))
        else:
            events.append(LineageEvent(thread.id, "retired", None, "no threaded posts left"))
    return [str(i) for i in ids], events, next_number


def _overlap(clusters: Sequence[Sequence[str]], prior: Sequence[PriorThread]) -> sparse.coo_matrix:
    """clusters x prior threads: how many posts each pair shares."""
    owners: dict[str, list[int]] = {}
    for t, thread in enumerate(prior):
        for pid in thread.post_ids:
            owners.setdefault(pid, []).append(t)
    pairs = Counter(
        (c, t) for c, members in enumerate(clusters) for pid in set(members)
        for t in owners.get(pid, ())
    )  # fmt: skip
    keys = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    vals = np.array(list(pairs.values()), dtype=np.float64)
    rows, cols = keys[:, 0], keys[:, 1]
    return sparse.coo_matrix((vals, (rows, cols)), shape=(len(clusters), len(prior)))


def _assignment(overlap: sparse.coo_matrix) -> list[tuple[int, int]]:
    """(cluster, thread) pairs maximising shared posts, one to one (Hungarian method within
    each group of clusters and threads linked by shared posts); on ties the older thread."""
    if overlap.nnz == 0:
        return []
    n_c = overlap.shape[0]
    graph = sparse.bmat([[None, overlap], [overlap.T, None]], format="csr")
    _, component = connected_components(graph, directed=False)
    # the nodes of each component: clusters 0..n_c-1, then threads
    order = np.argsort(component, kind="stable")
    bounds = np.flatnonzero(np.diff(component[order])) + 1
    dense = overlap.tocsr()
    pairs = []
    for nodes in np.split(order, bounds):
        cs, ts = nodes[nodes < n_c], nodes[nodes >= n_c] - n_c
        if len(cs) == 1 and len(ts) == 1:  # most stories: one cluster continues one thread
            pairs.append((int(cs[0]), int(ts[0])))
            continue
        if not len(cs) or not len(ts):
            continue
        block = dense[cs][:, ts].toarray()
        # the tiny second term prefers the older (lower) id on ties
        rows, cols = linear_sum_assignment(-(block - ts[None, :] * 1e-9))
        pairs += [(int(cs[r]), int(ts[k])) for r, k in zip(rows, cols, strict=True)
                  if block[r, k] > 0]  # fmt: skip
    return sorted(pairs)


def _most_shared(matrix: sparse.csr_matrix, row: int) -> tuple[int, int]:
    """The column sharing most with ``row`` (ties: the lowest) and how many; (-1, 0) if none."""
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    if start == end:
        return -1, 0
    cols, vals = matrix.indices[start:end], matrix.data[start:end]
    best = vals.max()
    return int(cols[vals == best].min()), int(best)


def mark_dormant(
    threads: Sequence[Thread],
    prior: Iterable[PriorThread] | None,
    lineage: Iterable[LineageEvent],
    dormant_hours: float,
    now: datetime | None = None,
) -> tuple[list[Thread], list[LineageEvent]]:
    """Mark threads with no post for ``dormant_hours``, counted from the newest post (or from
    ``now`` when a post claims a future time, so one bad date cannot put every story to sleep)."""
    latest = max((t.last_seen for t in threads if t.last_seen), default=None)
    if latest and now and latest > now:
        latest = now
    was = {p.id: p.status for p in prior or ()}
    out, events = [], list(lineage)
    for t in threads:
        quiet = (
            latest and t.last_seen and (latest - t.last_seen).total_seconds() > dormant_hours * 3600
        )
        status = "dormant" if quiet else "active"
        if status == "dormant" and was.get(t.id) == "active":
            events.append(LineageEvent(t.id, "dormant", None, f"no post for {dormant_hours:g} h"))
        elif status == "active" and was.get(t.id) == "dormant":
            events.append(LineageEvent(t.id, "revived"))
        out.append(dataclasses.replace(t, status=status))
    return out, events


def describe_changes(
    threads: Iterable[Thread],
    prior: Iterable[PriorThread],
    lineage: Iterable[LineageEvent],
    by_id: Mapping[str, Post],
) -> dict[str, list[str | dict[str, str | int | None]]]:
    """What a reader of the previous report needs to know, in report order."""
    before = {p.id: p.post_ids for p in prior}
    changes: dict[str, list[str | dict[str, str | int | None]]] = {
        "new_threads": [],
        "updated_threads": [],
        "merged": [],
        "split": [],
        "dormant": [],
        "revived": [],
    }
    for t in threads:
        if t.id not in before:
            changes["new_threads"].append(t.id)
            continue
        new_posts = [pid for pid in t.post_ids if pid not in before[t.id]]
        if new_posts:
            newest = max(new_posts, key=lambda pid: by_id[pid].sort_key)
            changes["updated_threads"].append(
                {
                    "id": t.id,
                    "label": t.label,
                    "new_posts": len(new_posts),
                    "newest_headline": by_id[newest].title,
                }
            )
    for e in lineage:
        if e.event == "merged":
            changes["merged"].append({"id": e.thread_id, "into": e.other_id})
        elif e.event == "split":
            changes["split"].append({"id": e.thread_id, "from": e.other_id})
        elif e.event in ("dormant", "revived"):
            changes[e.event].append(e.thread_id)
    return {k: v for k, v in changes.items() if v}
