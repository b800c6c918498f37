"""The pipeline: strings the stages together; the only place that joins them.

ingest (done by the caller) -> segment -> embed (cached) -> cluster -> `also` membership
-> label -> summarize -> cross-reference -> Run. Renderers take the Run from here.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import numpy as np

from .analysis.also import also_memberships
from .analysis.cluster import (
    ThreadClusterer,
    attach_labels,
    canonical_labels,
    lexical_model,
)
from .analysis.label import central_index, keyphrases, make_label
from .analysis.layout import post_layout
from .analysis.segment import segment_posts
from .analysis.text import names, says_what
from .analysis.thread_identity import (
    PriorThread,
    describe_changes,
    mark_dormant,
    match_threads,
)
from .analysis.timeline import time_intervals
from .config import Settings
from .embeddings import CachedEmbedder, Embedder, make_embedder, normalize_rows
from .reports.crossref import cross_reference, story_chains
from .reports.key_points import roundup_posts, select_key_points
from .reports.summarize import summarize_thread
from .timing import StageTimer
from .types import Assignment, Post, Problem, Run, Segment, Thread, unique_posts


def _post_vectors(posts, segments_by_post, seg_vectors, settings):
    """A post's vector: its headline blended with its body, lead paragraphs weighing most.

    News is written as an inverted pyramid: the event first, context and background after.
    Background paragraphs are what unrelated posts of one live blog share, so paragraph i
    weighs ``lead_decay ** i``. A headline that is only a dateline says nothing about the
    story and is left out when there is a body.
    """
    out = np.zeros((len(posts), seg_vectors.shape[1] if len(seg_vectors) else 0), np.float32)
    for i, post in enumerate(posts):
        rows = segments_by_post[post.id]
        title = [r for kind, r in rows if kind == "title"]
        body = [r for kind, r in rows if kind != "title"]
        if body and not says_what(post.title):
            title = []
        if body:
            weights = settings.lead_decay ** np.arange(len(body), dtype=np.float32)
            body_vec = (seg_vectors[body] * weights[:, None]).sum(0) / weights.sum()
        if title and body:
            out[i] = (
                settings.title_weight * seg_vectors[title[0]]
                + (1 - settings.title_weight) * body_vec
            )
        elif title:
            out[i] = seg_vectors[title[0]]
        elif body:
            out[i] = body_vec
    return normalize_rows(out)


def _lexical_text(post: Post) -> str:
    """The text of a post's TF-IDF row."""
    return f"{post.title}\n{post.body}"


def _lexical_centroids(lexical, members):
    """Each thread's TF-IDF centroid: the L2-normalised sum of its posts' rows."""
    from scipy import sparse
    from sklearn.preprocessing import normalize

    n = lexical.shape[0]
    rows = np.concatenate(members) if members else np.zeros(0, np.int64)
    cols = np.concatenate([np.full(len(m), t) for t, m in enumerate(members)]) if members else rows
    pick = sparse.csr_matrix((np.ones(rows.size, np.float32), (cols, rows)),
                             shape=(len(members), n))  # fmt: skip
    return normalize(pick @ lexical)


def _run_id(posts: Sequence[Post], settings: Settings) -> str:
    h = hashlib.sha256(settings.digest().encode())
    for post in posts:
        h.update(f"{post.id}\x1f{post.content_sha}\n".encode())
    return "run-" + h.hexdigest()[:12]


def _also(segments, seg_vectors, post_index, labels, centroids, lexical, vectorizer, settings):
    """`also` memberships (analysis/also.py), keyed by (post id, thread) -> [(segment id,
    score)]. Every segment is of a threaded post: a post without one is unthreaded."""
    hits = also_memberships(
        [seg.text for seg in segments],
        seg_vectors,
        np.array([post_index[seg.post_id] for seg in segments], dtype=np.int64),
        np.array([seg.kind != "title" for seg in segments], dtype=bool),
        labels,
        centroids,
        lexical,
        vectorizer,
        lexical_weight=settings.lexical_weight,
        threshold=settings.also_threshold,
        margin=settings.also_margin,
    )
    found: dict[tuple[str, int], list[tuple[str, float]]] = defaultdict(list)
    for (_, t), segs in hits.items():
        for row, score in segs:
            found[(segments[row].post_id, t)].append((segments[row].id, score))
    return found


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
    where they are and only the other posts are placed (see ``attach_labels``); threads in
    ``reuse`` whose posts did not change keep their stored label and summary, and posts in
    ``layout`` (post id -> stored map position) keep their place on the map.

    ``timer`` collects seconds per stage; they are also on ``run.timings``.
    """
    settings = settings or Settings()
    started = datetime.now(UTC)
    posts = unique_posts(posts)
    if len(posts) > settings.limits.max_posts:
        from .errors import InputError

        raise InputError(
            f"{len(posts)} posts exceed limits.max_posts ({settings.limits.max_posts})"
        )
    if not isinstance(embedder, CachedEmbedder):
        embedder = CachedEmbedder(embedder or make_embedder(settings.embedding))
    embedded_before = embedder.embedded

    timer = timer if timer is not None else StageTimer()
    with timer.stage("segment"):
        segments: list[Segment] = segment_posts(posts, settings.segment)
    with timer.stage("embed"):
        texts = [s.text for s in segments]
        seg_vectors = embedder.embed(texts) if segments else np.zeros((0, 1), np.float32)
    timer.start("cluster")
    segments_by_post: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row, seg in enumerate(segments):
        segments_by_post[seg.post_id].append((seg.kind, row))

    threaded = [p for p in posts if segments_by_post[p.id]]
    unthreaded = tuple(p.id for p in posts if not segments_by_post[p.id])
    post_index = {p.id: i for i, p in enumerate(threaded)}
    post_vecs = _post_vectors(threaded, segments_by_post, seg_vectors, settings.cluster)
    vectorizer, lexical = lexical_model([_lexical_text(p) for p in threaded])
    cs = settings.cluster
    clusterer = ThreadClusterer(
        threshold=cs.threshold,
        floor=cs.floor,
        n_neighbors=cs.n_neighbors,
        lexical_weight=cs.lexical_weight,
        large_n=cs.large_n,
        seed=cs.seed,
        time_grace_days=cs.time_grace_days,
        time_half_life_days=cs.time_half_life_days,
    )
    times = time_intervals(threaded)
    if attach and prior:
        group_of = {
            pid: g for g, p in enumerate(sorted(prior, key=lambda p: p.id)) for pid in p.post_ids
        }
        ids = [p.id for p in threaded]
        labels = canonical_labels(
            attach_labels(ids, group_of, post_vecs, lexical, clusterer, times)
        )
    else:
        labels = clusterer.fit_predict(post_vecs, lexical if len(threaded) else None, times)

    n_threads = int(labels.max() + 1) if len(labels) else 0
    members = [np.flatnonzero(labels == t) for t in range(n_threads)]
    centroids = (
        normalize_rows(np.stack([post_vecs[m].mean(0) for m in members]))
        if members
        else np.zeros((0, 1))
    )
    also = _also(segments, seg_vectors, post_index, labels, centroids, lexical, vectorizer, cs)
    timer.stop()
    timer.start("label")

    # Clusters are numbered by first post, so new ids follow the order stories appeared.
    clusters = [[threaded[i].id for i in m] for m in members]
    thread_ids, lineage, next_thread_number = match_threads(
        clusters, prior or (), next_thread_number
    )
    by_id = {p.id: p for p in posts}
    assignments: list[Assignment] = []
    for i, post in enumerate(threaded):
        t = labels[i]
        assignments.append(
            Assignment(post.id, thread_ids[t], "primary", float(post_vecs[i] @ centroids[t]))
        )
    for (post_id, t), segs in sorted(also.items(), key=lambda kv: (post_index[kv[0][0]], kv[0][1])):
        assignments.append(
            Assignment(
                post_id, thread_ids[t], "also", max(s for _, s in segs), tuple(s for s, _ in segs)
            )
        )

    # A stored thread whose posts and `also` posts are unchanged keeps its description.
    kept = {}
    for t, m in enumerate(members):
        old = (reuse or {}).get(thread_ids[t])
        also_now = sorted(pid for (pid, tt) in also if tt == t)
        if old and set(old.post_ids) == set(clusters[t]) and sorted(old.also_post_ids) == also_now:
            kept[t] = old
    fresh = [t for t in range(n_threads) if t not in kept]
    texts = [
        " ".join(f"{threaded[i].title}\n{threaded[i].body}" for i in members[t]) for t in fresh
    ]
    phrases = dict(zip(fresh, keyphrases(texts, settings.report.keyphrases)))
    threads: list[Thread] = []
    thread_names: list[set[str]] = []
    shared_posts: dict[tuple[str, str], list[str]] = defaultdict(list)
    row_of = {seg.id: row for row, seg in enumerate(segments)}
    also_by_thread: dict[int, list[tuple[str, list[tuple[str, float]]]]] = defaultdict(list)
    for (pid, t), segs in also.items():
        also_by_thread[t].append((pid, segs))
    for t, m in enumerate(members):
        tid = thread_ids[t]
        member_posts = [threaded[i] for i in m]
        also_here = sorted(also_by_thread[t], key=lambda item: by_id[item[0]].sort_key)
        also_posts = [pid for pid, _ in also_here]
        for pid in also_posts:
            shared_posts[(thread_ids[labels[post_index[pid]]], tid)].append(pid)
        thread_names.append(set().union(*(names(f"{p.title}. {p.body}") for p in member_posts)))
        if t in kept:
            threads.append(dataclasses.replace(kept[t], centroid=centroids[t]))
            continue
        rows = [r for p in member_posts for _, r in segments_by_post[p.id]]
        rows += [row_of[sid] for _, segs in also_here for sid, _ in segs]
        thread_segments = [segments[r] for r in rows]
        seg_scores = dict(
            zip((segments[r].id for r in rows), (seg_vectors[rows] @ centroids[t]).tolist())
        )
        central = member_posts[central_index(post_vecs[m])]
        # a dateline-only headline ("DECEMBER 16, 2008") says nothing: the next that does
        headline = next(
            (p.title for p in (central, *member_posts) if says_what(p.title)),
            central.title or " ".join(central.body.split()[:12]),
        )
        times = [p.published for p in member_posts if p.published]
        with timer.stage("summarize"):
            summary = summarize_thread(
                thread_segments, seg_scores, by_id, settings.report.summary_sentences
            )
        threads.append(
            Thread(
                id=tid,
                label=make_label(phrases[t], headline),
                keyphrases=tuple(phrases[t]),
                headline=headline,
                post_ids=tuple(p.id for p in member_posts),
                also_post_ids=tuple(also_posts),
                first_seen=min(times, default=None),
                last_seen=max(times, default=None),
                summary=tuple(summary),
                centroid=centroids[t],
            )
        )
    timer.stop()
    with timer.stage("crossref"):
        threads, lineage = mark_dormant(
            threads, prior, lineage, settings.identity.dormant_hours, now=started
        )
        links = cross_reference(
            thread_ids, centroids, thread_names, shared_posts, settings.report.link_threshold
        )
        chains = story_chains(
            thread_ids,
            centroids,
            _lexical_centroids(lexical, members) if len(threaded) else None,
            [(th.first_seen, th.last_seen) for th in threads],
            thread_names,
            settings.report.chain_threshold,
            lexical_weight=cs.lexical_weight,
            min_gap_days=cs.time_grace_days,
        )
        chained = {(k.src, k.dst) for k in chains}
        # a chained pair's link says it all (its reason names the shared names and the gap)
        links = sorted(
            [k for k in links if (k.src, k.dst) not in chained or k.kind == "shared-post"]
            + chains,
            key=lambda k: (k.src, -k.score, k.dst, k.kind),
        )
    with timer.stage("summarize"):
        key_points = select_key_points(
            threaded,
            post_vecs,
            roundups=roundup_posts(also),
            n=settings.report.key_points,
            recency=settings.report.key_points_recency,
        )
    with timer.stage("layout"):
        run_layout = post_layout(
            threaded, post_vecs, settings.report, settings.cluster.seed, layout if attach else None
        )
    # Most active first; ties by first post, which the id order already encodes.
    threads.sort(key=lambda th: (-(len(th.post_ids) + len(th.also_post_ids)), th.id))
    counts = {
        "posts": len(posts),
        "segments": len(segments),
        "segments_embedded": embedder.embedded - embedded_before,
        "threads": len(threads),
        # posts close to no other post: a thread of their own, said so rather than binned
        "single_post_threads": sum(1 for th in threads if len(th.post_ids) == 1),
        "unthreaded": len(unthreaded),
        "skipped_records": len(problems),
    }
    return Run(
        id=run_id or _run_id(posts, settings),
        started=started,
        finished=datetime.now(UTC),
        settings_digest=settings.digest(),
        model=embedder.name,
        counts=counts,
        posts=tuple(posts),
        threads=tuple(threads),
        assignments=tuple(assignments),
        links=tuple(links),
        unthreaded=unthreaded,
        problems=tuple(problems),
        changes=describe_changes(threads, prior, lineage, by_id) if prior is not None else {},
        segments=tuple(segments),
        lineage=tuple(lineage),
        next_thread_number=next_thread_number,
        layout=run_layout,
        key_points=tuple(key_points),
        timings=dict(timer.seconds),
    )


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
    produced is written in one transaction; the caller holds the store lock.
    """
    settings = settings or Settings()
    timer = timer if timer is not None else StageTimer()
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
    run = analyze(
        {**stored, **incoming}.values(),
        settings,
        cached,
        problems,
        prior=store.prior_threads(),
        next_thread_number=next_number,
        run_id=f"run-{store.next_run_seq():06d}",
        attach=attach,
        reuse={t.id: t for t in store.load_threads()} if attach else None,
        timer=timer,
        layout=store.load_layout() if attach else None,
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
    run = dataclasses.replace(run, counts=counts, changes=changes)
    with timer.stage("save"):
        store.save_run(
            run,
            run.lineage,
            run.next_thread_number,
            edits,
            model_hash=cached.key,
        )
    return dataclasses.replace(run, timings=dict(timer.seconds))
