"""Typed links between threads, each with the reason a reader can check.

- ``similar``: the thread centroids are close (cosine at least ``threshold``);
- ``shared-entity``: both threads name the same people, places or organisations (names
  that many threads mention — the country a whole blog is about — do not count);
- ``shared-post``: a post belongs to one thread and, through a paragraph or bullet, to the
  other;
- ``follows`` / ``followed-by``: story chains (``story_chains``). The threading keeps events
  apart in time (analysis.timeline), so a subject that comes back weeks later is a new
  thread; this link joins it to the thread it continues, with the gap and the shared names.

Pairs are found from an inverted index and blockwise similarity, never by looping over
every pair of threads, so thousands of threads cost seconds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

import numpy as np

from ...timefmt import duration
from ...types import Link, LinkKind
from ..threading.neighbours import block_rows
from ..threading.similarity import blend_weight, blended_block

if TYPE_CHECKING:
    from scipy import sparse

MAX_NAME_THREADS = 50  # a name in more threads than this says nothing about any two of them
# ... nor does a name in more than a tenth of the threads ("Congress" in a politics feed)
NAME_SHARE = 10
MAX_SIMILAR = 5  # a reader follows a handful of "see also" links, not hundreds
CHAIN_CANDIDATES = 50  # a thread's predecessor is sought among its 50 most alike earlier ones


def _similar_pairs(centroids: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """Each thread's ``MAX_SIMILAR`` nearest threads above ``threshold``, as pairs i < j."""
    n = len(centroids)
    block = block_rows(n)
    pairs: dict[tuple[int, int], float] = {}
    m = min(MAX_SIMILAR + 1, n)
    for start in range(0, n, block):
        sim = centroids[start : start + block] @ centroids.T
        local = np.arange(sim.shape[0])
        sim[local, local + start] = -np.inf
        top = np.argpartition(-sim, m - 1, axis=1)[:, :m]
        for row, cols in enumerate(top):
            i = row + start
            for j in cols:
                score = float(sim[row, j])
                if score >= threshold:
                    pairs[(min(i, int(j)), max(i, int(j)))] = score
    return sorted((i, j, s) for (i, j), s in pairs.items())


def cross_reference(
    thread_ids: list[str],
    centroids: np.ndarray,
    thread_names: list[set[str]],
    shared_posts: dict[tuple[str, str], list[str]],
    threshold: float = 0.45,
    max_names: int = 4,
) -> list[Link]:
    """Links in both directions for every related pair of threads."""
    n = len(thread_ids)
    if n < 2:
        return []
    found: dict[tuple[int, int], list[tuple[LinkKind, float, str]]] = defaultdict(list)
    for i, j, score in _similar_pairs(np.asarray(centroids, dtype=np.float32), threshold):
        found[(i, j)].append(("similar", score, f"similar content (cosine {score:.2f})"))

    df = Counter(name for names in thread_names for name in names)
    limit = max(2.0, min(MAX_NAME_THREADS, n / NAME_SHARE)) if n >= 4 else n
    holders: dict[str, list[int]] = defaultdict(list)
    for t, held in enumerate(thread_names):
        for name in held:
            if 1 < df[name] <= limit:
                holders[name].append(t)
    shared: dict[tuple[int, int], list[str]] = defaultdict(list)
    for name, ts in holders.items():
        for x in range(len(ts)):
            for y in range(x + 1, len(ts)):
                shared[(ts[x], ts[y])].append(name)
    for (i, j), names in shared.items():
        names = sorted(names, key=lambda s: (df[s], s))
        score = len(names) / max(1, min(len(thread_names[i]), len(thread_names[j])))
        shown = ", ".join(names[:max_names]) + (" …" if len(names) > max_names else "")
        found[(i, j)].append(("shared-entity", score, f"both mention {shown}"))

    index = {tid: t for t, tid in enumerate(thread_ids)}
    posts_by_pair: dict[tuple[int, int], set[str]] = defaultdict(set)
    for (a, b), posts in shared_posts.items():
        i, j = sorted((index[a], index[b]))
        if i != j:
            posts_by_pair[(i, j)].update(posts)
    for pair, post_ids in posts_by_pair.items():
        found[pair].append(
            ("shared-post", 1.0, f"post(s) {', '.join(sorted(post_ids))} tell both stories")
        )

    links: list[Link] = []
    for (i, j), items in found.items():
        a, b = thread_ids[i], thread_ids[j]
        for kind, score, reason in items:
            links.append(Link(src=a, dst=b, kind=kind, score=score, reason=reason))
            links.append(Link(src=b, dst=a, kind=kind, score=score, reason=reason))
    return sorted(links, key=lambda link: (link.src, -link.score, link.dst, link.kind))


def story_chains(
    thread_ids: list[str],
    centroids: np.ndarray,
    lexical_centroids: sparse.csr_matrix | None,
    spans: list[tuple[datetime | None, datetime | None]],
    thread_names: list[set[str]],
    threshold: float = 0.38,
    lexical_weight: float = 0.5,
    min_gap_days: float = 1.0,
    max_names: int = 4,
) -> list[Link]:
    """``follows`` (later -> earlier) and ``followed-by`` links: each thread's predecessor.

    A thread B follows A when B began more than ``min_gap_days`` after A began, the two
    threads are at least ``threshold`` alike on the clustering's blend (semantic centroids
    and TF-IDF centroids, weighted as the clustering weighs them; time left out), and they
    share a name that few threads mention. Of such A, B follows the most alike, so every
    thread has at most one predecessor and the links form chains (trees at most) that a
    reader walks: the 2013 hearing -> the 2013 talking-points e-mails. Undated threads are
    in no chain.
    """
    n = len(thread_ids)
    dated = [i for i in range(n) if spans[i][0] is not None]
    if len(dated) < 2:
        return []
    df = Counter(name for names in thread_names for name in names)
    limit = max(2, min(MAX_NAME_THREADS, n / 2)) if n >= 4 else n
    rare = [{x for x in names if df[x] <= limit} for names in thread_names]
    order = sorted(dated, key=lambda i: (spans[i][0], thread_ids[i]))
    # every thread in `order` is dated (the test is for the type checker)
    starts = np.array([s.timestamp() for i in order if (s := spans[i][0]) is not None])
    vectors = np.asarray(centroids, dtype=np.float32)[order]
    words = lexical_centroids[order] if lexical_centroids is not None else None
    w = blend_weight(lexical_weight, words)
    links: list[Link] = []
    block = block_rows(len(order))
    for lo in range(0, len(order), block):
        sim = blended_block(vectors, words, slice(lo, lo + block), w)
        for row in range(sim.shape[0]):
            b = lo + row
            earlier = np.flatnonzero(starts < starts[b] - min_gap_days * 86_400)
            earlier = earlier[sim[row, earlier] >= threshold]
            # most alike first (ties: the later): the first that shares a rare name wins,
            # so a subject with thousands of threads costs no more than a handful of checks
            if earlier.size > CHAIN_CANDIDATES:
                top = np.argpartition(-sim[row, earlier], CHAIN_CANDIDATES - 1)
                earlier = earlier[top[:CHAIN_CANDIDATES]]
            ranked = earlier[np.lexsort((-starts[earlier], -sim[row, earlier]))]
            ib = order[b]
            for a in ranked:
                ia = order[a]
                shared = sorted(rare[ia] & rare[ib], key=lambda x: (df[x], x))
                if shared:
                    links += _chain_pair(thread_ids, spans, ia, ib, float(sim[row, a]), shared,
                                         max_names)  # fmt: skip
                    break
    return sorted(links, key=lambda link: (link.src, -link.score, link.dst, link.kind))


def _chain_pair(
    thread_ids: Sequence[str],
    spans: Sequence[tuple[datetime | None, datetime | None]],
    ia: int,
    ib: int,
    score: float,
    shared: Sequence[str],
    max_names: int,
) -> list[Link]:
    """The two links of "ib follows ia", their reason giving the gap and the shared names."""
    # story_chains chains dated threads only: both have a start
    start_a, start_b = cast(datetime, spans[ia][0]), cast(datetime, spans[ib][0])
    gap = (start_b - (spans[ia][1] or start_a)).total_seconds()
    if gap > 0:
        when = f"{duration(gap / 60).lstrip('+')} after its last post"
    else:  # began while the earlier thread still had posts to come
        when = (
            f"{duration((start_b - start_a).total_seconds() / 60).lstrip('+')} "
            "after it began, while it still ran"
        )
    shown = ", ".join(shared[:max_names]) + (" …" if len(shared) > max_names else "")
    return [
        Link(thread_ids[ib], thread_ids[ia], "follows", score,
             f"follows it {when}; both name {shown}"),
        Link(thread_ids[ia], thread_ids[ib], "followed-by", score,
             f"followed {when}; both name {shown}"),
    ]  # fmt: skip


def chain_roots(thread_ids: list[str], links: Iterable[Link]) -> dict[str, str]:
    """Thread id -> the id of the first thread of its story chain (itself when unchained)."""
    parent = {k.src: k.dst for k in links if k.kind == "follows"}
    roots = {}
    for tid in thread_ids:
        seen, at = {tid}, tid
        while at in parent and parent[at] not in seen:  # a cycle cannot form; guard anyway
            at = parent[at]
            seen.add(at)
        roots[tid] = at
    return roots
