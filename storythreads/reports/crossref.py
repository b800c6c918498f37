"""Typed links between threads, each with the reason a reader can check.

- ``similar``: the thread centroids are close (cosine at least ``threshold``);
- ``shared-entity``: both threads name the same people, places or organisations (names
  that most threads mention, like the country a whole blog is about, do not count);
- ``shared-post``: a post belongs to one thread and, through a paragraph or bullet, to the
  other.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..types import Link


def cross_reference(
    thread_ids: list[str],
    centroids: np.ndarray,
    thread_names: list[set[str]],
    shared_posts: dict[tuple[str, str], list[str]],
    threshold: float = 0.45,
    max_names: int = 4,
) -> list[Link]:
    """Links in both directions for every related pair of threads."""
    links: list[Link] = []
    n = len(thread_ids)
    if n < 2:
        return links
    sim = centroids @ centroids.T
    df = Counter(name for names in thread_names for name in names)
    common = {name for name, c in df.items() if n >= 4 and c > n / 2}
    for i in range(n):
        for j in range(i + 1, n):
            a, b = thread_ids[i], thread_ids[j]
            found: list[tuple[str, float, str]] = []
            if sim[i, j] >= threshold:
                found.append(
                    ("similar", float(sim[i, j]), f"similar content (cosine {sim[i, j]:.2f})")
                )
            shared = sorted(thread_names[i] & thread_names[j] - common, key=lambda s: (df[s], s))
            if shared:
                score = len(shared) / max(1, min(len(thread_names[i]), len(thread_names[j])))
                shown = ", ".join(shared[:max_names]) + (" …" if len(shared) > max_names else "")
                found.append(("shared-entity", score, f"both mention {shown}"))
            posts = sorted(set(shared_posts.get((a, b), [])) | set(shared_posts.get((b, a), [])))
            if posts:
                found.append(("shared-post", 1.0, f"post(s) {', '.join(posts)} tell both stories"))
            for kind, score, reason in found:
                links.append(Link(src=a, dst=b, kind=kind, score=score, reason=reason))
                links.append(Link(src=b, dst=a, kind=kind, score=score, reason=reason))
    return sorted(links, key=lambda link: (link.src, -link.score, link.dst, link.kind))
