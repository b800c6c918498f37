"""Scheduled runs: ``update`` adds posts to a store, re-threads what they can reach, keeps
thread ids and records the run (the only pipeline code that touches the store)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

from ..analysis.threading.identity import PriorThread
from ..analysis.threading.working_set import working_since
from ..config import Settings
from ..embeddings import CachedEmbedder, Embedder, make_embedder
from ..store.snapshot_files import full_copy_due
from ..store.snapshots import PendingSnapshot
from ..timing import StageTimer
from ..types import Post, Problem, Run, Thread, unique_posts
from .analysis import Continuation, analyze
from .words import Frequencies, term_counts

if TYPE_CHECKING:
    from ..store import Store


def _reusable(
    stored_threads: Iterable[Thread], same_settings: bool, edited: set[str]
) -> dict[str, Thread] | None:
    """The stored threads whose description (name, summary, keywords) a run may keep when
    its posts are unchanged: none when the last run had other settings, and none holding
    a post whose text was ``edited`` since."""
    if not same_settings:
        return None
    return {t.id: t for t in stored_threads if edited.isdisjoint((*t.post_ids, *t.also_post_ids))}


def update(
    store: Store,
    posts: Iterable[Post],
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    problems: Sequence[Problem] = (),
    rethread: bool = False,
    timer: StageTimer | None = None,
) -> Run:
    """One scheduled run: add ``posts`` to ``store``, re-thread, keep ids, record the run.

    Only segments the store has never embedded reach the model. A small store is
    re-threaded whole every run. A large one (over ``identity.full_rethread_max_posts``)
    re-threads only its working set (analysis.working_set): the threads within time's reach
    of the new posts and those the report's window shows; the returned Run covers that
    set, and the rest of the store stays as it was. ``rethread=True`` re-threads it whole;
    a run with other settings or other vectors than the last one's attaches the new posts
    to the whole store and describes every thread afresh.

    Everything the run produced is written in one transaction; the caller holds the store
    lock. The store as it is before anything is written (the vector cache included) is
    kept as a snapshot (``settings.store.snapshots``): pinned first thing, copied in the
    background while the posts are threaded, and on disk before the run is saved (waiting
    for it is timed as part of "save").
    """
    settings = settings or Settings()
    timer = timer if timer is not None else StageTimer()
    keeping = settings.store
    full_copy = full_copy_due(store.path, keeping.full_copy_max_mb, keeping.full_copy_every_hours)
    with timer.stage("save"):  # copied beside the threading; waited for before the save
        snapshot = PendingSnapshot(store, keeping.snapshots if full_copy else 0)
    try:
        with timer.stage("load"):
            incoming = {p.id: p for p in unique_posts(posts)}
            n_stored = store.post_count()
            stamps = store.post_stamps(incoming)
        changed = [
            p for i, p in incoming.items() if i not in stamps or stamps[i][0] != p.content_sha
        ]
        new = [p.id for p in changed if p.id not in stamps]
        # Small stores are re-threaded whole every run; large ones re-thread their working
        # set and attach the new posts, and are re-threaded whole only when asked
        # (`--rethread`, e.g. from a nightly cron line).
        attach = not rethread and n_stored > settings.identity.full_rethread_max_posts
        inner = embedder.inner if isinstance(embedder, CachedEmbedder) else embedder
        cached = CachedEmbedder(inner or make_embedder(settings.embedding), store)
        vectors_before = store.last_vectors_key()
        same_settings = store.last_settings_digest() == settings.digest()
        # other settings or other vectors than the last run's: every thread is placed and
        # described afresh, not only the working set's (the rest would keep the old ones)
        same_run = same_settings and vectors_before in (None, cached.key)
        since = (
            working_since(
                changed,
                _newest(store.newest_published(), incoming),
                settings.cluster,
                settings.report.window_days,
            )
            if attach and same_run
            else None
        )
        with timer.stage("load"):
            scope = store.working_set(since, incoming) if since is not None else None
            stored = {p.id: p for p in store.load_posts(scope[1] if scope else None)}
            # the prior threads and their descriptions, read once
            stored_threads = store.load_threads(ids=scope[0] if scope else None)
        edits = [(stored[p.id], p) for p in changed if p.id in stamps]
        with timer.stage("cluster"):
            terms, frequencies = _term_counts(store, stored, scope, changed, edits, settings)
        # threads whose posts did not change keep their name and summary, and known posts keep
        # their place on the map (a map that jumps every hour is no map); a run with other
        # settings, or --rethread for the map, starts them afresh
        reuse = _reusable(stored_threads, same_settings, {new.id for _, new in edits})
        run = analyze(
            {**stored, **incoming}.values(),
            settings,
            cached,
            problems,
            Continuation(
                prior=[
                    PriorThread(t.id, frozenset(t.post_ids), t.status)
                    for t in sorted(stored_threads, key=lambda t: t.id)
                ],
                next_thread_number=int(cast(str, store.meta("next_thread_number", "1"))),
                run_id=f"run-{store.next_run_seq():06d}",
                attach=attach,
                reuse=reuse,
                layout=(
                    store.load_layout(scope[1] if scope else None)
                    if reuse is not None and not rethread
                    else None
                ),
                frequencies=frequencies if scope else None,
            ),
            timer,
        )
        counts = {
            **run.counts,
            "posts_new": len(new),
            "posts_updated": len(edits),
            "posts_unchanged": len(incoming) - len(new) - len(edits),
            "mode": "working set" if scope else "attach" if attach else "full",
            "store_posts": n_stored + len(new),
            # the whole store checked and snapshotted before this run (store.full_copy_*)
            "store_full_copy": full_copy,
        }
        if scope and since is not None:  # a scope is only read from a `since`
            counts["working_set_since"] = since.isoformat()
        previous = store.last_run_id()
        changes = {"since_run": previous or "none (first run)", **run.changes}
        if previous and len(changes) == 1:
            changes["no_change"] = "no new threads, new posts, merges or splits"
        if vectors_before not in (None, cached.key):  # never mixed: all embedded afresh
            changes["vectors"] = (
                f"every segment embedded afresh ({run.counts['segments_embedded']}): the "
                f"store's vectors were made by {vectors_before}, this run's by {cached.key}"
            )
        run = dataclasses.replace(run, counts=counts, changes=changes)
        with timer.stage("save"):
            snapshot.wait()  # the way back is on disk before anything is written
            store.save_run(
                run,
                run.lineage,
                run.next_thread_number,
                edits,
                model_hash=cached.key,
                scope=scope,
                terms=terms,
            )
    finally:
        with timer.stage("save"):
            snapshot.wait()  # a failed run still leaves its snapshot whole (or none)
    return dataclasses.replace(run, timings=dict(timer.seconds))


def _newest(stored: datetime | None, incoming: dict[str, Post]) -> datetime | None:
    """The newest time of the stored and the incoming posts (None if none is dated)."""
    times = [p.published for p in incoming.values() if p.published]
    if stored is not None:
        times.append(stored)
    return max(times, default=None)


def _term_counts(
    store: Store,
    stored: dict[str, Post],
    scope: tuple[set[str], set[str]] | None,
    changed: Sequence[Post],
    edits: Sequence[tuple[Post, Post]],
    settings: Settings,
) -> tuple[tuple[int, Counter[str], bool] | None, Frequencies | None]:
    """The store's document frequencies as this run leaves them: (what to write: posts,
    word -> posts and whether they replace the kept counts, or None; a ``Frequencies``
    lookup for the run's working set, or None).

    A run that re-threads the whole store counts every post afresh, once the store is
    large enough for the next run to need them (past ``full_rethread_max_posts``; a
    small store does without). A working-set run adds its new posts and moves the edited
    ones; if the store kept no counts yet (made by an older version), it counts every
    stored post first (a one-off read of the store)."""
    kept = store.term_counts_kept()
    if scope is None:
        everything = {**stored, **{p.id: p for p in changed}}
        if not kept and len(everything) <= settings.identity.full_rethread_max_posts:
            return None, None
        return (*term_counts(everything.values()), True), None
    start_n, start_df = 0, Counter[str]()
    if not kept:
        start_n, start_df = term_counts(store.load_posts())
    added_n, added = term_counts(changed)
    removed_n, removed = term_counts(old for old, _ in edits)
    delta = start_df + added
    delta.subtract(removed)
    n_delta = start_n + added_n - removed_n

    def frequencies(words: Iterable[str]) -> tuple[int, dict[str, int]]:
        n, df = store.document_frequencies(words) if kept else (0, {})
        return n + n_delta, {w: df.get(w, 0) + delta.get(w, 0) for w in words}

    return (n_delta, delta, False), frequencies
