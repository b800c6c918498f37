"""The pipeline: strings the stages together; the only place that joins them.

ingest (done by the caller) -> segment -> embed (cached) -> cluster -> `also` membership
-> label -> summarize -> cross-reference -> Run. Renderers take the Run from here. The
stages themselves are in `_stages`, so that `analyze` reads as their list.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from ._stages import (
    _also,
    _assign,
    _cluster,
    _describe_threads,
    _identify,
    _link,
    _post_vectors,  # noqa: F401  (bench/ imports it from here)
    _segment_and_embed,
    _Threading,
)
from ._words import namer as _namer
from .analysis.layout import post_layout
from .analysis.thread_identity import PriorThread, describe_changes, mark_dormant
from .config import Settings
from .embeddings import CachedEmbedder, Embedder, make_embedder
from .provenance import provenance
from .reports.key_points import key_point_count, roundup_posts, select_key_points
from .store.snapshots import PendingSnapshot
from .timing import StageTimer
from .types import Post, Problem, Run, Thread, unique_posts


def _unique_within_limits(posts: Iterable[Post], max_posts: int) -> list[Post]:
    """The posts, one per id in (time, id) order; too many is an input error, raised
    before any model work is spent on them."""
    posts = unique_posts(posts)
    if len(posts) > max_posts:
        from .errors import InputError

        raise InputError(f"{len(posts)} posts exceed limits.max_posts ({max_posts})")
    return posts


def _cached(embedder: Embedder | None, settings: Settings) -> CachedEmbedder:
    """The embedder behind a cache, so a text repeated across posts is embedded once; a
    ``CachedEmbedder`` (e.g. over a store) is used as it is."""
    if isinstance(embedder, CachedEmbedder):
        return embedder
    return CachedEmbedder(embedder or make_embedder(settings.embedding))


def _run_id(posts: Sequence[Post], settings: Settings) -> str:
    """An id from the settings and what the posts say: the same input gets the same id."""
    h = hashlib.sha256(settings.digest().encode())
    for post in posts:
        h.update(f"{post.id}\x1f{post.content_sha}\n".encode())
    return "run-" + h.hexdigest()[:12]


def _counts(posts, threading: _Threading, threads, segments_embedded, problems) -> dict:
    """The run's counts, as report.md's header and the store's runs table show them."""
    return {
        "posts": len(posts),
        "segments": len(threading.segments),
        "segments_embedded": segments_embedded,
        "threads": len(threads),
        # posts close to no other post: a thread of their own, said so rather than binned
        "single_post_threads": sum(1 for th in threads if len(th.post_ids) == 1),
        "unthreaded": len(threading.unthreaded),
        "skipped_records": len(problems),
    }


def analyze(
    posts: Iterable[Post],
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    problems: Sequence[Problem] = (),
    prior: Sequence[PriorThread] | None = None,
    next_thread_number: int = 1,
    run_id: str | None = None,
    attach: bool = False,
    reuse: dict[str, Thread] | None = None,
    timer: StageTimer | None = None,
    layout: dict[str, tuple[float, float]] | None = None,
) -> Run:
    """Thread ``posts`` and return everything the reports need.

    ``embedder`` defaults to the packaged all-MiniLM-L6-v2 behind an in-memory cache; pass
    a ``CachedEmbedder`` over a store to reuse vectors across runs. The result does not
    depend on the order of ``posts``. ``prior`` are the threads of the previous run (see
    ``update``): clusters that continue them keep their ids, and ``run.changes`` says what
    changed since; without it, ids are numbered from ``next_thread_number``.

    ``attach=True`` is the cheap path for large stores: posts of ``prior`` threads stay
    where they are and only the other posts are placed (see ``attach_labels``). Threads in
    ``reuse`` whose posts did not change keep their stored label and summary, and posts in
    ``layout`` (post id -> stored map position) keep their place on the map, new ones
    placed near their neighbours.

    ``timer`` collects seconds per stage; they are also on ``run.timings``.
    """
    settings = settings or Settings()
    started = datetime.now(UTC)
    posts = _unique_within_limits(posts, settings.limits.max_posts)
    embedder = _cached(embedder, settings)
    timer = timer if timer is not None else StageTimer()

    namer = _namer(settings.report, len(posts))  # loads spaCy beside what follows
    try:
        embedded_before = embedder.embedded
        segments, lexical, seg_vectors = _segment_and_embed(posts, embedder, settings, timer)
        with timer.stage("cluster"):
            threading = _cluster(
                posts, segments, lexical, seg_vectors, settings.cluster, prior if attach else None
            )
            also = _also(threading, settings.cluster)
        with timer.stage("label"):
            thread_ids, lineage, next_thread_number = _identify(
                threading, prior, next_thread_number
            )
            assignments = _assign(threading, also, thread_ids)
            by_id = {p.id: p for p in posts}
            described = _describe_threads(
                threading, also, thread_ids, by_id, reuse, settings.report, timer, namer
            )
        with timer.stage("crossref"):
            threads, lineage = mark_dormant(
                described.threads, prior, lineage, settings.identity.dormant_hours, now=started
            )
            links = _link(threading, thread_ids, threads, described, settings)
        with timer.stage("summarize"):
            key_points = select_key_points(
                threading.threaded,
                threading.post_vecs,
                roundups=roundup_posts(also),
                n=key_point_count(
                    sum(t.status == "active" for t in threads), settings.report.key_points
                ),
                recency=settings.report.key_points_recency,
            )
        with timer.stage("layout"):
            run_layout = post_layout(
                threading.threaded,
                threading.post_vecs,
                settings.report,
                settings.cluster.seed,
                layout,
            )
        with timer.stage("label"):  # names from the child come in now (or were made here)
            names = described.names()
        threads = [
            dataclasses.replace(t, label=names[t.id]) if t.id in names else t for t in threads
        ]
        # Most active first; ties by first post, which the id order already encodes.
        threads.sort(key=lambda th: (-(len(th.post_ids) + len(th.also_post_ids)), th.id))
        return Run(
            id=run_id or _run_id(posts, settings),
            started=started,
            finished=datetime.now(UTC),
            settings_digest=settings.digest(),
            model=embedder.name,
            counts=_counts(
                posts, threading, threads, embedder.embedded - embedded_before, problems
            ),
            posts=tuple(posts),
            threads=tuple(threads),
            assignments=tuple(assignments),
            links=tuple(links),
            unthreaded=threading.unthreaded,
            problems=tuple(problems),
            changes=describe_changes(threads, prior, lineage, by_id) if prior is not None else {},
            segments=tuple(segments),
            lineage=tuple(lineage),
            next_thread_number=next_thread_number,
            layout=run_layout,
            key_points=tuple(key_points),
            provenance=provenance(settings, embedder),
            timings=dict(timer.seconds),
        )
    finally:
        if namer is not None:
            namer.close()


def _reusable(stored_threads, same_settings: bool, edited: set[str]) -> dict[str, Thread] | None:
    """The stored threads whose description (name, summary, keywords) a run may keep when
    its posts are unchanged: none when the last run had other settings, and none holding
    a post whose text was ``edited`` since."""
    if not same_settings:
        return None
    return {t.id: t for t in stored_threads if edited.isdisjoint((*t.post_ids, *t.also_post_ids))}


def update(
    store,
    posts: Iterable[Post],
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    problems: Sequence[Problem] = (),
    rethread: bool = False,
    timer: StageTimer | None = None,
) -> Run:
    """One scheduled run: add ``posts`` to ``store``, re-thread, keep ids, record the run.

    Only segments the store has never embedded reach the model. Everything the run
    produced is written in one transaction; the caller holds the store lock. The store as
    it is before anything is written (the vector cache included) is kept as a snapshot
    (``settings.store.snapshots``): pinned first thing, copied in the background while
    the posts are threaded, and on disk before the run is saved (waiting for it is timed
    as part of "save").
    """
    settings = settings or Settings()
    timer = timer if timer is not None else StageTimer()
    with timer.stage("save"):  # copied beside the threading; waited for before the save
        snapshot = PendingSnapshot(store, settings.store.snapshots)
    try:
        with timer.stage("load"):
            stored = {p.id: p for p in store.load_posts()}
        incoming = {p.id: p for p in unique_posts(posts)}
        edits = [
            (stored[i], p)
            for i, p in incoming.items()
            if i in stored and stored[i].content_sha != p.content_sha
        ]
        new = [i for i in incoming if i not in stored]
        inner = embedder.inner if isinstance(embedder, CachedEmbedder) else embedder
        cached = CachedEmbedder(inner or make_embedder(settings.embedding), store)
        next_number = int(store.meta("next_thread_number", "1"))
        # Small stores are re-threaded whole every run; large ones attach the new posts and
        # are re-threaded whole only when asked (`--rethread`, e.g. from a nightly cron line).
        attach = not rethread and len(stored) > settings.identity.full_rethread_max_posts
        # threads whose posts did not change keep their name and summary, and known posts keep
        # their place on the map (a map that jumps every hour is no map); a run with other
        # settings, or --rethread for the map, starts them afresh
        stored_threads = store.load_threads()  # read once: the prior threads and their descriptions
        vectors_before = store.last_vectors_key()
        same_settings = store.last_settings_digest() == settings.digest()
        reuse = _reusable(stored_threads, same_settings, {new.id for _, new in edits})
        run = analyze(
            {**stored, **incoming}.values(),
            settings,
            cached,
            problems,
            prior=[
                PriorThread(t.id, frozenset(t.post_ids), t.status)
                for t in sorted(stored_threads, key=lambda t: t.id)
            ],
            next_thread_number=next_number,
            run_id=f"run-{store.next_run_seq():06d}",
            attach=attach,
            reuse=reuse,
            timer=timer,
            layout=store.load_layout() if reuse is not None and not rethread else None,
        )
        counts = {
            **run.counts,
            "posts_new": len(new),
            "posts_updated": len(edits),
            "posts_unchanged": len(incoming) - len(new) - len(edits),
            "mode": "attach" if attach else "full",
        }
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
            )
    finally:
        with timer.stage("save"):
            snapshot.wait()  # a failed run still leaves its snapshot whole (or none)
    return dataclasses.replace(run, timings=dict(timer.seconds))
