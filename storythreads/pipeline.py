"""The pipeline: strings the stages together; the only place that joins them.

ingest (done by the caller) -> segment -> embed (cached) -> cluster -> `also` membership
-> label -> summarize -> cross-reference -> Run. Renderers take the Run from here.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import numpy as np

from .analysis.cluster import ThreadClusterer, lexical_vectors
from .analysis.label import central_index, keyphrases, make_label
from .analysis.segment import segment_posts
from .analysis.text import names
from .config import Settings
from .embeddings import CachedEmbedder, Embedder, SentenceTransformerEmbedder, normalize_rows
from .reports.crossref import cross_reference
from .reports.summarize import summarize_thread
from .types import Assignment, Post, Problem, Run, Segment, Thread


def _post_vectors(posts, segments_by_post, seg_vectors, settings):
    """A post's vector: its headline blended with its body, lead paragraphs weighing most.

    News is written as an inverted pyramid: the event first, context and background after.
    Background paragraphs are what unrelated posts of one live blog share, so paragraph i
    weighs ``lead_decay ** i``.
    """
    out = np.zeros((len(posts), seg_vectors.shape[1] if len(seg_vectors) else 0), np.float32)
    for i, post in enumerate(posts):
        rows = segments_by_post[post.id]
        title = [r for kind, r in rows if kind == "title"]
        body = [r for kind, r in rows if kind != "title"]
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


def _run_id(posts: Sequence[Post], settings: Settings) -> str:
    h = hashlib.sha256(settings.digest().encode())
    for post in posts:
        h.update(f"{post.id}\x1f{post.content_sha}\n".encode())
    return "run-" + h.hexdigest()[:12]


def _also(posts, segments, seg_vectors, post_index, primary, centroids, settings):
    """Segments much closer to another thread than to their own give `also` memberships."""
    found: dict[tuple[str, int], list[tuple[str, float]]] = defaultdict(list)
    if len(centroids) < 2:
        return found
    sims = seg_vectors @ centroids.T
    for row, seg in enumerate(segments):
        if seg.kind == "title":
            continue
        own = primary[post_index[seg.post_id]]
        if own < 0:
            continue
        best = int(np.argmax(np.where(np.arange(len(centroids)) == own, -np.inf, sims[row])))
        score = float(sims[row, best])
        if score >= settings.also_threshold and score >= sims[row, own] + settings.also_margin:
            found[(seg.post_id, best)].append((seg.id, score))
    return found


def analyze(
    posts: Iterable[Post],
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    problems: Sequence[Problem] = (),
) -> Run:
    """Thread ``posts`` and return everything the reports need.

    ``embedder`` defaults to the packaged all-MiniLM-L6-v2 behind an in-memory cache; pass
    a ``CachedEmbedder`` over a store to reuse vectors across runs. The result does not
    depend on the order of ``posts``.
    """
    settings = settings or Settings()
    started = datetime.now(UTC)
    unique: dict[str, Post] = {}
    for post in sorted(posts, key=lambda p: (p.sort_key, p.content_sha)):
        unique.setdefault(post.id, post)  # one post per id, whatever the input order
    posts = sorted(unique.values(), key=lambda p: p.sort_key)
    if len(posts) > settings.limits.max_posts:
        from .errors import InputError

        raise InputError(
            f"{len(posts)} posts exceed limits.max_posts ({settings.limits.max_posts})"
        )
    if not isinstance(embedder, CachedEmbedder):
        embedder = CachedEmbedder(embedder or SentenceTransformerEmbedder(settings.embedding))
    embedded_before = embedder.embedded

    segments: list[Segment] = segment_posts(posts, settings.segment)
    seg_vectors = (
        embedder.embed([s.text for s in segments]) if segments else np.zeros((0, 1), np.float32)
    )
    segments_by_post: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row, seg in enumerate(segments):
        segments_by_post[seg.post_id].append((seg.kind, row))

    threaded = [p for p in posts if segments_by_post[p.id]]
    unthreaded = tuple(p.id for p in posts if not segments_by_post[p.id])
    post_index = {p.id: i for i, p in enumerate(threaded)}
    post_vecs = _post_vectors(threaded, segments_by_post, seg_vectors, settings.cluster)
    lexical = lexical_vectors([f"{p.title}\n{p.body}" for p in threaded])
    cs = settings.cluster
    labels = ThreadClusterer(
        threshold=cs.threshold,
        floor=cs.floor,
        n_neighbors=cs.n_neighbors,
        lexical_weight=cs.lexical_weight,
        large_n=cs.large_n,
        seed=cs.seed,
    ).fit_predict(post_vecs, lexical if len(threaded) else None)

    n_threads = int(labels.max() + 1) if len(labels) else 0
    members = [np.flatnonzero(labels == t) for t in range(n_threads)]
    centroids = (
        normalize_rows(np.stack([post_vecs[m].mean(0) for m in members]))
        if members
        else np.zeros((0, 1))
    )
    also = _also(threaded, segments, seg_vectors, post_index, labels, centroids, cs)

    # Thread ids follow the order of each thread's first post: stable for the same input.
    thread_ids = [f"t-{t + 1:04d}" for t in range(n_threads)]
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

    texts = [" ".join(f"{threaded[i].title}\n{threaded[i].body}" for i in m) for m in members]
    phrases = keyphrases(texts, settings.report.keyphrases)
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
        rows = [r for p in member_posts for _, r in segments_by_post[p.id]]
        rows += [row_of[sid] for _, segs in also_here for sid, _ in segs]
        thread_segments = [segments[r] for r in rows]
        seg_scores = dict(
            zip((segments[r].id for r in rows), (seg_vectors[rows] @ centroids[t]).tolist())
        )
        headline = member_posts[central_index(post_vecs[m])].title
        times = [p.published for p in member_posts if p.published]
        summary = summarize_thread(
            thread_segments, seg_scores, by_id, settings.report.summary_sentences
        )
        thread_names.append(set().union(*(names(f"{p.title}. {p.body}") for p in member_posts)))
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
    links = cross_reference(
        thread_ids, centroids, thread_names, shared_posts, settings.report.link_threshold
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
        id=_run_id(posts, settings),
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
    )
