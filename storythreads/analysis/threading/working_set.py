"""How far back a scheduled run on a large store looks: its working set.

A store that grows for years holds stories that ended long ago. The threading weighs two
posts' similarity by the time between them (analysis.timeline): past the grace, every
half-life halves it. So a new post can be a neighbour of a stored post (blended similarity
at most 1, times the time factor, at least ``floor``) only within

    reach = grace + half_life * log2(1 / floor)

days: 1 + 2 * log2(1 / 0.3) = 4.5 days with the defaults. `also` memberships follow the
same factor with ``also_threshold``. A scheduled run therefore re-threads only the threads
seen within that reach of its new posts, and the threads its report shows (those active in
the last ``report.window_days``); everything older stays as stored.

The reach is derived from the settings, not fitted: a longer half-life or a lower floor
widens it. When it does not hold the whole store is the working set: time is off, the
floor is not positive, or a new post has no time (an undated post is near every time).
Threads with no dated post are in every working set for the same reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from ...config import ClusterSettings
from ...types import Post


def reach_days(cluster: ClusterSettings) -> float | None:
    """Days beyond which time keeps any two posts from being neighbours (or a paragraph
    from joining another thread); None when there is no such bound."""
    floor = min(cluster.floor, cluster.also_threshold)
    if cluster.time_half_life_days <= 0 or floor <= 0:
        return None
    return cluster.time_grace_days + cluster.time_half_life_days * math.log2(1.0 / floor)


def working_since(
    changed: Iterable[Post],
    newest: datetime | None,
    cluster: ClusterSettings,
    window_days: float,
) -> datetime | None:
    """The time from which a scheduled run re-threads: the reach before its earliest new
    or edited post (``changed``), or the report's window before the newest post
    (``newest``, the store's and the run's), whichever is earlier; a day more, for posts
    dated to the day only. None means the whole store (see the module's docstring)."""
    reach = reach_days(cluster)
    if reach is None or window_days <= 0:
        return None
    times = []
    for post in changed:
        if post.published is None:
            return None
        times.append(post.published)
    starts = [t - timedelta(days=reach) for t in times]
    if newest is not None:
        starts.append(newest - timedelta(days=window_days))
    if not starts:
        return None
    return min(starts) - timedelta(days=1)
