"""``analyze``: posts -> Run, the stages in order (they are in ``stages``, so that
``analyze`` reads as their list); ``Continuation``: what a scheduled run carries over."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from ..analysis.describe.key_points import key_point_count, roundup_posts, select_key_points
from ..analysis.describe.layout import post_layout
from ..analysis.threading.identity import PriorThread, describe_changes, mark_dormant
from ..config import Settings
from ..embeddings import CachedEmbedder, Embedder, make_embedder
from ..provenance import provenance
from ..timing import StageTimer
from ..types import Post, Problem, Run, Thread, unique_posts
from .stages import (
    Threading,
    assign,
    describe_threads,
    find_also,
    identify,
    link_threads,
    segment_and_embed,
    thread_posts,
)
from .words import Frequencies
from .words import namer as _namer


def _unique_within_limits(posts: Iterable[Post], max_posts: int) -> list[Post]:
    """The posts, one per id in (time, id) order; too many is an input error, raised
    before any model work is spent on them."""
    posts = unique_posts(posts)
    if len(posts) > max_posts:
        from ..errors import InputError

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


def _counts(
    posts: Sequence[Post],
    threading: Threading,
    threads: Sequence[Thread],
    segments_embedded: int,
    problems: Sequence[Problem],
) -> dict[str, Any]:
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


@dataclasses.dataclass(frozen=True)
class Continuation:
    """What a scheduled run carries over from its store (``update`` builds it).

    ``prior``: the stored threads the run continues (clusters that continue them keep
    their ids, and ``run.changes`` says what changed since); new ids are numbered from
    ``next_thread_number``. ``attach``: the cheap path for large stores, where the posts
    of ``prior`` threads stay where they are and only the other posts are placed (see
    ``attach_labels``). Threads in ``reuse`` whose posts did not change keep their stored
    label and summary; posts in ``layout`` (post id -> stored map position) keep their
    place on the map. ``frequencies``: the store's document frequencies, for a working set
    of a large store (``words.lexical``)."""

    prior: Sequence[PriorThread] = ()
    next_thread_number: int = 1
    run_id: str | None = None
    attach: bool = False
    reuse: dict[str, Thread] | None = None
    layout: dict[str, tuple[float, float]] | None = None
    frequencies: Frequencies | None = None


def analyze(
    posts: Iterable[Post],
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    problems: Sequence[Problem] = (),
    continuing: Continuation | None = None,
    timer: StageTimer | None = None,
) -> Run:
    """Thread ``posts`` and return everything the reports need.

    ``embedder`` defaults to the packaged all-MiniLM-L6-v2 behind an in-memory cache; pass
    a ``CachedEmbedder`` over a store to reuse vectors across runs. The result does not
    depend on the order of ``posts``. ``continuing``: what a scheduled run carries over
    from its store (see ``Continuation`` and ``update``); without it, thread ids are
    numbered from 1 and nothing is compared with an earlier run.

    ``timer`` collects seconds per stage; they are also on ``run.timings``.
    """
    settings = settings or Settings()
    started = datetime.now(UTC)
    posts = _unique_within_limits(posts, settings.limits.max_posts)
    embedder = _cached(embedder, settings)
    timer = timer if timer is not None else StageTimer()

    go_on = continuing or Continuation()
    prior = go_on.prior if continuing is not None else None
    namer = _namer(settings.report, len(posts))  # loads spaCy beside what follows
    try:
        embedded_before = embedder.embedded
        segments, lexical, seg_vectors = segment_and_embed(
            posts, embedder, settings, timer, go_on.frequencies
        )
        with timer.stage("cluster"):
            threading = thread_posts(
                posts, segments, lexical, seg_vectors, settings.cluster,
                go_on.prior if go_on.attach else None,
            )  # fmt: skip
            also = find_also(threading, settings.cluster)
        with timer.stage("label"):
            thread_ids, lineage, next_thread_number = identify(
                threading, prior, go_on.next_thread_number
            )
            assignments = assign(threading, also, thread_ids)
            by_id = {p.id: p for p in posts}
            described = describe_threads(
                threading,
                also=also,
                thread_ids=thread_ids,
                by_id=by_id,
                reuse=go_on.reuse,
                report=settings.report,
                timer=timer,
                namer=namer,
            )
        with timer.stage("crossref"):
            threads, lineage = mark_dormant(
                described.threads, prior, lineage, settings.identity.dormant_hours, now=started
            )
            links = link_threads(threading, thread_ids, threads, described, settings)
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
                go_on.layout,
            )
        with timer.stage("label"):  # names from the child come in now (or were made here)
            names = described.names()
        threads = [
            dataclasses.replace(t, label=names[t.id]) if t.id in names else t for t in threads
        ]
        # Most active first; ties by first post, which the id order already encodes.
        threads.sort(key=lambda th: (-(len(th.post_ids) + len(th.also_post_ids)), th.id))
        return Run(
            id=go_on.run_id or _run_id(posts, settings),
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
