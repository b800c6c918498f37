"""A backlog in one command (issue 34): an archive of any size threaded window by window.

A first run over a year of fifty outlets would hold every vector and every word count at
once. ``backlog`` takes the posts a run brings that the store does not hold yet, in time
order (undated posts last, as everywhere), cuts them into windows of
``store.backlog_window_posts``, and makes each window one scheduled run (``update``)
committed on its own: the first window is threaded whole, as any small store is; each
later one is a run on a store that holds the earlier ones, so it re-threads only its
working set (``analysis.threading.working_set``: the threads within time's reach of its
posts) and attaches its posts to the threads they continue. Peak memory follows the
window, not the archive.

A backlog killed half way has committed every window before the one it was in. The same
command again finds those posts stored and unchanged, and goes on with the rest (the
first window of the rest starts where the killed one did, so the windows are cut as they
were): it says so. Only the first window of a backlog keeps a snapshot of the store as it
was (``store.snapshots``); the later ones are its own work.

A run that brings no more new posts than a window is the one ``update`` it always was.
An ``Archive`` (``analysis.ingest.read_archive``: a file of a million posts, not held) is
asked only for the times and hashes of its posts, and for each window's posts in turn; a
run of an archive longer than a window that brings no more new posts than a window gives
``update`` only those, not the whole archive again (its stored posts are counted as
unchanged, as they would be).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ..analysis.ingest.archive import Archive
from ..config import Settings
from ..embeddings import Embedder
from ..timing import StageTimer
from ..types import Post, Problem, Run, unique_posts
from .scheduled import update

if TYPE_CHECKING:
    from ..store import Store


@dataclasses.dataclass(frozen=True)
class Progress:
    """Where a backlog stands: before its first window, then after each (a progress bar)."""

    window: int  # windows done (0: about to start)
    windows: int
    posts_done: int  # new posts committed so far, this backlog
    posts: int  # new posts this backlog brings
    resumed: int  # posts of the input the store already held unchanged


def new_posts(store: Store, posts: Iterable[Post]) -> tuple[Sequence[Post], int]:
    """The posts the store does not hold as they are (new or edited), in time order, and
    how many it already holds unchanged."""
    if isinstance(posts, Archive):
        fresh_part = posts.unstored(store.post_stamps)
        return fresh_part, len(posts) - len(fresh_part)
    incoming = unique_posts(posts)
    stamps = store.post_stamps(p.id for p in incoming)
    fresh = [p for p in incoming if p.id not in stamps or stamps[p.id][0] != p.content_sha]
    return fresh, len(incoming) - len(fresh)


def cut(times: Sequence[datetime | None], size: int) -> list[range]:
    """Posts at ``times`` (in time order) cut into runs of ``size``; a dated post never
    leaves the posts of its own time, so two runs of the same input cut the same windows."""
    out: list[range] = []
    start = 0
    for k in range(1, len(times) + 1):
        same_time = k < len(times) and times[k] is not None and times[k] == times[k - 1]
        if k == len(times) or (k - start >= size and not same_time):
            out.append(range(start, k))
            start = k
    return out


def windows(posts: Sequence[Post], size: int) -> list[list[Post]]:
    """``posts`` (in time order) in the windows ``cut`` gives."""
    return [list(posts[r.start : r.stop]) for r in cut([p.published for p in posts], size)]


def backlog(
    store: Store,
    posts: Sequence[Post],
    settings: Settings,
    embedder: Embedder | None = None,
    problems: Sequence[Problem] = (),
    timer: StageTimer | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> Run:
    """``update`` for a run of any size: the new posts window by window (see the module
    doc), each window committed on its own. Returns the last window's Run, its counts
    saying how many windows and posts the backlog took and how many were stored before."""
    fresh, held = new_posts(store, posts)
    size = settings.store.backlog_window_posts
    if len(fresh) <= size and not (isinstance(posts, Archive) and len(posts) > size):
        return update(store, posts, settings, embedder, problems=problems, timer=timer)
    if len(fresh) <= size:  # a few new posts in a long archive: only they are read again
        few = update(store, list(fresh), settings, embedder, problems=problems, timer=timer)
        unchanged = few.counts["posts_unchanged"] + held
        return dataclasses.replace(few, counts={**few.counts, "posts_unchanged": unchanged})
    times = fresh.times() if isinstance(fresh, Archive) else [p.published for p in fresh]
    pieces = cut(times, size)
    del times
    if progress is not None:
        progress(Progress(0, len(pieces), 0, len(fresh), held))
    quiet = dataclasses.replace(settings, store=dataclasses.replace(settings.store, snapshots=0))
    run: Run | None = None
    done = 0
    for k, part in enumerate(pieces, start=1):
        last = k == len(pieces)
        run = None  # the last window's run is not held through this one
        run = update(
            store,
            fresh[part.start : part.stop],
            settings if k == 1 else quiet,
            embedder,
            problems=problems if last else (),
            timer=timer,
        )
        done += len(part)
        if progress is not None:
            progress(Progress(k, len(pieces), done, len(fresh), held))
    assert run is not None  # fresh holds more than one window
    counts = {**run.counts, "backlog_windows": len(pieces), "backlog_posts": len(fresh),
              "backlog_resumed_from": held}  # fmt: skip
    return dataclasses.replace(run, counts=counts)
