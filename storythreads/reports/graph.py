"""How a run's threads link, as every report reads it: each thread's outgoing links, its
story chain, the chains as paths a reader walks, and one entry per related thread with
all its reasons. Built once per report (``links_graph``) and shared by report.json and
the Markdown and HTML view (render.py)."""

from __future__ import annotations

from typing import NamedTuple, TypedDict

from ..analysis.describe.crossref import chain_roots
from ..types import Link, LinkKind, Run


def links_by_src(run: Run) -> dict[str, list[Link]]:
    """Each thread's outgoing links, strongest first; ties broken by (dst, kind)."""
    out: dict[str, list[Link]] = {}
    for link in sorted(run.links, key=lambda k: (-k.score, k.dst, k.kind)):
        out.setdefault(link.src, []).append(link)
    return out


def chains_of(run: Run) -> tuple[dict[str, str], list[list[str]]]:
    """Thread id -> its chain's first thread, and every chain of two or more threads as
    thread ids in time order (reports.crossref.story_chains); chains ordered by start."""
    ids = [t.id for t in run.threads]
    root = chain_roots(ids, run.links)
    start = {t.id: (t.first_seen.timestamp() if t.first_seen else float("inf"), t.id)
             for t in run.threads}  # fmt: skip
    groups: dict[str, list[str]] = {}
    for tid in ids:
        groups.setdefault(root[tid], []).append(tid)
    chains = [sorted(g, key=start.__getitem__) for g in groups.values() if len(g) > 1]
    return root, sorted(chains, key=lambda g: start[g[0]])


def chain_paths(run: Run, chains: list[list[str]]) -> list[list[str]]:
    """Each chain as its paths from the first thread to each last one: a thread followed by
    two later ones (a tree) reads as two lines, never as one line that invents a link."""
    after: dict[str, list[str]] = {}
    for link in run.links:
        if link.kind == "follows":
            after.setdefault(link.dst, []).append(link.src)
    paths = []
    for chain in chains:
        rank = {tid: i for i, tid in enumerate(chain)}  # time order
        stack = [[chain[0]]]
        while stack:
            path = stack.pop()
            nxt = sorted(after.get(path[-1], ()), key=rank.__getitem__, reverse=True)
            if not nxt:
                paths.append(path)
            stack.extend(path + [tid] for tid in nxt if tid not in path)
    return paths


class Reason(TypedDict):
    """One link of a related pair: why the two threads are related, and how strongly."""

    kind: LinkKind
    score: float
    reason: str


class Related(TypedDict):
    """A related thread (``related_threads``): the pair's strongest score, every reason."""

    thread_id: str
    score: float
    reasons: list[Reason]


def related_threads(run: Run) -> dict[str, list[Related]]:
    """Each thread's related threads, one entry per pair with every reason (a pair linked
    as similar, by shared names and by a shared post is one cross-reference, not three),
    strongest pair first; the reasons strongest first too."""
    pairs: dict[tuple[str, str], list[Link]] = {}
    for link in run.links:
        pairs.setdefault((link.src, link.dst), []).append(link)
    out: dict[str, list[Related]] = {}
    for (src, dst), links in pairs.items():
        links.sort(key=lambda k: (-k.score, k.kind))
        out.setdefault(src, []).append(
            {"thread_id": dst, "score": links[0].score,
             "reasons": [{"kind": k.kind, "score": k.score, "reason": k.reason} for k in links]}
        )  # fmt: skip
    for entries in out.values():
        entries.sort(key=lambda e: (-e["score"], e["thread_id"]))
    return out


class Graph(NamedTuple):
    """How the threads link, as report.json and the view both read it (built once)."""

    links: dict[str, list[Link]]  # links_by_src
    root: dict[str, str]  # thread id -> first thread of its chain
    chains: list[list[str]]
    related: dict[str, list[Related]]


def links_graph(run: Run) -> Graph:
    root, chains = chains_of(run)
    return Graph(links_by_src(run), root, chains, related_threads(run))
