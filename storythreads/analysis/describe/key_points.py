"""Key points: the handful of posts a reader should see first, like a live blog's key events.

A key point is a post's own headline (or, for an untitled post, its first sentence), cited
to the post. Posts are chosen across the whole run, not one per thread, because one story
may carry several key developments and a small story none:

- *candidates*: posts with a headline that says what happened (not only a dateline),
  each headline once (a repeated one such as "Latest headlines" keeps its first post),
  leaving out roundups — posts that also belong to
  two or more other threads, and headlines that announce a summary ("lunchtime summary", "recap");
  untitled posts stand in when too few titled ones are left, unless only a minority of
  the posts have a headline (a blog whose editors title their key events): then the
  headlined posts are the only candidates;
- *relevance*: how central the post is to the run (cosine of its vector with the mean of
  all candidates — degree centrality, linear in the number of posts) plus a tilt towards
  the newest posts, since a report is read for where things stand now;
- *diversity*: maximal marginal relevance, so two posts of one development are not both
  picked;
- *the editors' marks*: posts the page marks as key events (``Post.key_event``) are taken
  before any other, in the same order of relevance and diversity.

The result is listed newest first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet

import numpy as np

from ...types import Citation, Post
from ..language.text import says_what, tokens
from ..threading.segment import split_sentences

ROUNDUP = re.compile(
    r"\b(summary|summaries|recap|round-?up|catch(ing)? up|what we know|key events)\b", re.IGNORECASE
)


FEWEST, MOST = 3, 12  # key points when their number follows the run
MARKED_FIRST = 10.0  # above any relevance (at most 2) and redundancy: marked posts first


def key_point_count(n_threads: int, setting: int | None = None) -> int:
    """How many key points a run gets: ``setting`` when given (report.key_points), else
    one per thread, FEWEST to MOST: a day of five stories gets five, a busy day twelve."""
    return setting if setting is not None else min(MOST, max(FEWEST, n_threads))


def roundup_posts(also: Iterable[tuple[str, int]]) -> set[str]:
    """Posts that also tell two or more other threads: roundups, not developments.

    ``also`` holds the pipeline's (post id, thread) pairs of `also` memberships.
    """
    threads_of: dict[str, set[int]] = defaultdict(set)
    for post_id, thread in also:
        threads_of[post_id].add(thread)
    return {pid for pid, threads in threads_of.items() if len(threads) >= 2}


def _is_roundup(post: Post, roundups: AbstractSet[str]) -> bool:
    return post.id in roundups or bool(ROUNDUP.search(post.title))


def _first_of_each_headline(order: list[int], posts: Sequence[Post]) -> list[int]:
    """``order`` without the posts whose headline repeats an earlier one's words."""
    seen: set[tuple[str, ...]] = set()
    kept = []
    for i in order:
        words = tuple(tokens(posts[i].title))
        if words and words in seen:
            continue
        seen.add(words)
        kept.append(i)
    return kept


def _text(post: Post) -> str:
    if says_what(post.title):
        return " ".join(post.title.split())
    first = next(iter(split_sentences(post.body)), "")
    return " ".join(first.split()) or " ".join(post.body.split()[:30])


def select_key_points(
    posts: Sequence[Post],
    vectors: np.ndarray,
    roundups: AbstractSet[str] = frozenset(),
    n: int = 7,
    recency: float = 1.0,
    diversity: float = 0.7,
) -> list[Citation]:
    """Pick up to ``n`` key posts from ``posts`` (rows of ``vectors``, L2-normalised).

    ``roundups`` are ids of posts that summarise several threads (the pipeline passes posts
    with `also` links to two or more other threads).
    ``recency`` weighs newness against centrality (0 ignores time; 1 weighs them alike).
    """
    if n <= 0 or not len(posts):
        return []
    order = _first_of_each_headline(
        sorted(range(len(posts)), key=lambda i: posts[i].sort_key), posts
    )
    titled = [i for i in order if says_what(posts[i].title) and not _is_roundup(posts[i], roundups)]
    headlined = sum(1 for p in posts if says_what(p.title))
    if len(titled) >= n or (titled and 2 * headlined < len(posts)):
        # where only a few posts have a headline, the editors gave those their headline
        # (a Guardian blog titles its key events, about one post in four): they are the
        # candidates, and fewer key points are better than untitled ones (issue 27)
        pool = titled
    else:
        pool = titled + [
            i for i in order if i not in set(titled) and not _is_roundup(posts[i], roundups)
        ]
        pool = pool or order
    # the posts the page marks as key events come first (untitled ones too), roundups aside
    marked = [i for i in order if posts[i].key_event and not _is_roundup(posts[i], roundups)]
    pool = list(dict.fromkeys([*pool, *marked]))
    pool.sort(key=lambda i: posts[i].sort_key)
    vecs = vectors[pool]
    centre = vecs.mean(axis=0)
    norm = float(np.linalg.norm(centre))
    central = vecs @ (centre / norm) if norm > 0 else np.zeros(len(pool))
    span = float(np.ptp(central))
    relevance = (central - central.min()) / span if span > 0 else np.zeros(len(pool))
    if recency and len(pool) > 1:
        relevance = relevance + recency * np.arange(len(pool)) / (len(pool) - 1)
    redundancy = np.zeros(len(pool))
    first = np.array([posts[i].key_event for i in pool], dtype=float) * MARKED_FIRST
    chosen: list[int] = []
    for _ in range(min(n, len(pool))):
        score = (1 - diversity) * (relevance + first) - diversity * redundancy
        score[chosen] = -np.inf
        pick = int(np.argmax(score))
        chosen.append(pick)
        redundancy = np.maximum(redundancy, vecs @ vecs[pick])
    picked = sorted(chosen, key=lambda j: posts[pool[j]].sort_key, reverse=True)
    return [
        Citation(
            text=_text(posts[pool[j]]),
            post_id=posts[pool[j]].id,
            published=posts[pool[j]].published,
            byline=posts[pool[j]].byline,
            score=round(float(relevance[j]), 6),
        )
        for j in picked
    ]
