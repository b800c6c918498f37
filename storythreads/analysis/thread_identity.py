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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


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

    Returns the ids, the lineage events, and the next unused id number.
    """
    prior = sorted(prior, key=lambda p: p.id)
    overlap = np.zeros((len(clusters), len(prior)), dtype=np.float64)
    for c, members in enumerate(clusters):
        members = set(members)
        for t, thread in enumerate(prior):
            overlap[c, t] = len(members & thread.post_ids)
    ids: list[str | None] = [None] * len(clusters)
    events: list[LineageEvent] = []
    matched_prior: set[int] = set()
    if len(clusters) and len(prior):
        # Maximise shared posts; the tiny second term prefers the older (lower) id on ties.
        tie = np.arange(len(prior))[None, :] * 1e-6
        rows, cols = linear_sum_assignment(-(overlap - tie))
        for c, t in zip(rows, cols):
            if overlap[c, t] > 0:
                ids[c] = prior[t].id
                matched_prior.add(t)
                grown = len(set(clusters[c]) - prior[t].post_ids)
                if grown or len(clusters[c]) != len(prior[t].post_ids):
                    events.append(LineageEvent(prior[t].id, "continued", None, f"+{grown} post(s)"))
    for c in range(len(clusters)):
        if ids[c] is not None:
            continue
        ids[c] = format_thread_id(next_number)
        next_number += 1
        source = int(np.argmax(overlap[c])) if len(prior) else -1
        if source >= 0 and overlap[c, source] > 0:
            events.append(
                LineageEvent(
                    ids[c], "split", prior[source].id, f"took {int(overlap[c, source])} post(s)"
                )
            )
        else:
            events.append(LineageEvent(ids[c], "born"))
    for t, thread in enumerate(prior):
        if t in matched_prior:
            continue
        if len(clusters) and overlap[:, t].max() > 0:
            into = ids[int(np.argmax(overlap[:, t]))]
            events.append(
                LineageEvent(thread.id, "merged", into, f"{int(overlap[:, t].max())} post(s) moved")
            )
        else:
            events.append(LineageEvent(thread.id, "retired", None, "no threaded posts left"))
    return [str(i) for i in ids], events, next_number


def mark_dormant(threads, prior, lineage, dormant_hours, now=None):
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


def describe_changes(threads, prior, lineage, by_id) -> dict:
    """What a reader of the previous report needs to know, in report order."""
    before = {p.id: p.post_ids for p in prior}
    changes: dict = {
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
