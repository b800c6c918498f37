"""The stages of `pipeline.analyze`, each a plain function: what it takes and gives is in
its docstring. Only `pipeline` calls them, and none touches the store.

The clustering's result travels between the stages as one frozen `Threading`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..analysis.describe.crossref import cross_reference, story_chains
from ..analysis.describe.label import central_index, keyphrases, make_label
from ..analysis.describe.summarize import summarize_thread
from ..analysis.language.text import proper_names, says_what
from ..analysis.threading.also import also_memberships
from ..analysis.threading.cluster import ThreadClusterer, attach_labels, canonical_labels
from ..analysis.threading.identity import match_threads
from ..analysis.threading.segment import segment_posts
from ..analysis.threading.similarity import post_vectors
from ..analysis.threading.timeline import thread_intervals, time_intervals
from ..embeddings import normalize_rows
from ..types import Assignment, Link, Post, Segment, Thread
from . import words as words

if TYPE_CHECKING:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    from ..analysis.threading.identity import LineageEvent, PriorThread
    from ..config import ClusterSettings, ReportSettings, Settings
    from ..embeddings import Embedder
    from ..forked import Forked
    from ..timing import StageTimer

# (post id, thread number) -> [(segment id, score)]: a post's `also` memberships
Also = dict[tuple[str, int], list[tuple[str, float]]]


@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)  # arrays: no meaningful ==
class Threading:
    """What clustering made of the posts; every later stage reads it, none changes it.

    Rows of ``post_vecs``, ``lexical`` and ``labels`` are the ``threaded`` posts (those
    with a segment), in (time, id) order; thread ``t`` is the posts ``members[t]``, numbered
    by first post, with unit ``centroids[t]``.
    """

    segments: list[Segment]
    seg_vectors: np.ndarray
    segments_by_post: dict[str, list[tuple[str, int]]]  # post id -> [(kind, segment row)]
    threaded: list[Post]
    unthreaded: tuple[str, ...]
    post_index: dict[str, int]  # post id -> row
    post_vecs: np.ndarray
    vectorizer: TfidfVectorizer | None
    lexical: sparse.csr_matrix  # the posts' TF-IDF rows
    # each segment's term counts in the vectorizer's vocabulary (None: no vocabulary)
    segment_counts: sparse.csr_matrix | None
    post_names: list[set[str]]  # per threaded post: the names it mentions
    common_words: set[str]  # words the threaded posts write in lower case somewhere
    labels: np.ndarray
    members: list[np.ndarray]
    centroids: np.ndarray


class Described(NamedTuple):
    """The threads with their labels and summaries, and what cross-referencing needs."""

    threads: list[Thread]
    thread_names: list[set[str]]  # per thread: the names its posts mention
    shared_posts: dict[tuple[str, str], list[str]]  # (home thread, other) -> `also` posts
    # thread id -> name for the threads named afresh (analysis/describe/naming.py); a function, as
    # the names may still be coming from a forked child (``words.namer``)
    names: Callable[[], dict[str, str]]


def segment_and_embed(
    posts: Sequence[Post],
    embedder: Embedder,
    settings: Settings,
    timer: StageTimer,
    frequencies: words.Frequencies | None = None,
) -> tuple[list[Segment], words.Lexical, np.ndarray]:
    """Posts -> (segments, their words, one unit vector per segment), timed as `segment`,
    `cluster` (the words) and `embed`. The words come first: they need no vector, so they
    are counted while an engine that embeds in the background (``CachedEmbedder.prefetch``)
    may still be at work. ``frequencies``: the store's (``words.lexical``)."""
    with timer.stage("segment"):
        segments: list[Segment] = segment_posts(posts, settings.segment)
    with timer.stage("cluster"):
        lexical = words.lexical(posts, segments, frequencies)
    with timer.stage("embed"):
        texts = [s.text for s in segments]
        seg_vectors = embedder.embed(texts) if segments else np.zeros((0, 1), np.float32)
    return segments, lexical, seg_vectors


def thread_posts(
    posts: Sequence[Post],
    segments: list[Segment],
    lexical: words.Lexical,
    seg_vectors: np.ndarray,
    cs: ClusterSettings,
    attach_to: Sequence[PriorThread] | None,
) -> Threading:
    """Posts with their segments -> threads: each post gets a vector and a TF-IDF row, and
    posts close in both (and in time) share a thread.

    A post without a segment is unthreaded. With ``attach_to`` (the prior threads, in
    attach mode) their posts stay where they are and only the other posts are placed.
    """
    segments_by_post: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row, seg in enumerate(segments):
        segments_by_post[seg.post_id].append((seg.kind, row))

    threaded = lexical.threaded
    unthreaded = tuple(p.id for p in posts if not segments_by_post[p.id])
    post_index = {p.id: i for i, p in enumerate(threaded)}
    post_vecs = post_vectors(threaded, segments_by_post, seg_vectors, cs)
    labels = _labels(threaded, post_vecs, lexical.rows, cs, attach_to)
    segment_counts, post_names, common_words = lexical.words()
    n_threads = int(labels.max() + 1) if len(labels) else 0
    members = [np.flatnonzero(labels == t) for t in range(n_threads)]
    centroids = (
        normalize_rows(np.stack([post_vecs[m].mean(0) for m in members]))
        if members
        else np.zeros((0, 1))
    )
    return Threading(
        segments=segments,
        seg_vectors=seg_vectors,
        segments_by_post=segments_by_post,
        threaded=threaded,
        unthreaded=unthreaded,
        post_index=post_index,
        post_vecs=post_vecs,
        vectorizer=lexical.vectorizer,
        lexical=lexical.rows,
        segment_counts=segment_counts,
        post_names=post_names,
        common_words=common_words,
        labels=labels,
        members=members,
        centroids=centroids,
    )


def _labels(
    threaded: list[Post],
    post_vecs: np.ndarray,
    lexical: sparse.csr_matrix,
    cs: ClusterSettings,
    attach_to: Sequence[PriorThread] | None,
) -> np.ndarray:
    """A thread number per threaded post: clustered whole, or, given ``attach_to``, the
    prior threads kept and the other posts attached (see ``attach_labels``)."""
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
    if attach_to:
        group_of = {
            pid: g
            for g, p in enumerate(sorted(attach_to, key=lambda p: p.id))
            for pid in p.post_ids
        }
        ids = [p.id for p in threaded]
        return canonical_labels(attach_labels(ids, group_of, post_vecs, lexical, clusterer, times))
    return clusterer.fit_predict(post_vecs, lexical if len(threaded) else None, times)


def find_also(threading: Threading, settings: ClusterSettings) -> Also:
    """`also` memberships (analysis/threading/also.py), keyed by (post id, thread) -> [(segment id,
    score)]. Every segment is of a threaded post: a post without one is unthreaded."""
    segments = threading.segments
    hits = also_memberships(
        [seg.text for seg in segments],
        threading.seg_vectors,
        np.array([threading.post_index[seg.post_id] for seg in segments], dtype=np.int64),
        np.array([seg.kind != "title" for seg in segments], dtype=bool),
        threading.labels,
        threading.centroids,
        threading.lexical,
        threading.vectorizer,
        counts=threading.segment_counts,
        lexical_weight=settings.lexical_weight,
        threshold=settings.also_threshold,
        margin=settings.also_margin,
        timing=_also_timing(threading, settings),
    )
    found: Also = defaultdict(list)
    for (_, t), segs in hits.items():
        for row, score in segs:
            found[(segments[row].post_id, t)].append((segments[row].id, score))
    return found


def _also_timing(
    threading: Threading, settings: ClusterSettings
) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """(post intervals, thread spans, grace, half-life) for `also`, or None when time is off:
    a paragraph joins another thread only as far as the threads' own time factor lets it."""
    if settings.time_half_life_days <= 0 or not threading.threaded:
        return None
    times = time_intervals(threading.threaded)
    spans = thread_intervals(times, threading.labels, len(threading.members))
    return times, spans, settings.time_grace_days, settings.time_half_life_days


def identify(
    threading: Threading, prior: Sequence[PriorThread] | None, next_thread_number: int
) -> tuple[list[str], list[LineageEvent], int]:
    """Thread numbers -> ids: (thread ids, lineage, next thread number) from
    ``match_threads``, so a thread that continues a prior one keeps its id.

    Clusters are numbered by first post, so new ids follow the order stories appeared.
    """
    clusters = [[threading.threaded[i].id for i in m] for m in threading.members]
    return match_threads(clusters, prior or (), next_thread_number)


def assign(threading: Threading, also: Also, thread_ids: Sequence[str]) -> list[Assignment]:
    """One `primary` assignment per threaded post (scored by closeness to its thread's
    centroid), then the `also` ones, in post order."""
    assignments: list[Assignment] = []
    for i, post in enumerate(threading.threaded):
        t = threading.labels[i]
        score = float(threading.post_vecs[i] @ threading.centroids[t])
        assignments.append(Assignment(post.id, thread_ids[t], "primary", score))
    post_index = threading.post_index
    for (post_id, t), segs in sorted(also.items(), key=lambda kv: (post_index[kv[0][0]], kv[0][1])):
        assignments.append(
            Assignment(
                post_id, thread_ids[t], "also", max(s for _, s in segs), tuple(s for s, _ in segs)
            )
        )
    return assignments


def describe_threads(
    threading: Threading,
    *,
    also: Also,
    thread_ids: Sequence[str],
    by_id: dict[str, Post],
    reuse: Mapping[str, Thread] | None,
    report: ReportSettings,
    timer: StageTimer,
    namer: Forked | None = None,
) -> Described:
    """Label, headline and summary per thread (kept ones from ``reuse``), and the names and
    shared posts ``link_threads`` needs. Summaries are timed as `summarize`. Fresh threads' names
    are asked of ``namer`` (a ``words.namer`` child) when there is one; see ``Described``."""
    kept = _kept(threading, also, thread_ids, reuse)
    threaded, members = threading.threaded, threading.members
    fresh = [t for t in range(len(members)) if t not in kept]
    texts = [
        " ".join(f"{threaded[i].title}\n{threaded[i].body}" for i in members[t]) for t in fresh
    ]
    phrases = dict(zip(fresh, keyphrases(texts, report.keyphrases), strict=True))
    threads: list[Thread] = []
    thread_names: list[set[str]] = []
    shared_posts: dict[tuple[str, str], list[str]] = defaultdict(list)
    row_of = {seg.id: row for row, seg in enumerate(threading.segments)}
    also_by_thread: dict[int, list[tuple[str, list[tuple[str, float]]]]] = defaultdict(list)
    for (pid, t), segs in also.items():
        also_by_thread[t].append((pid, segs))
    common = threading.common_words
    for t, m in enumerate(members):
        tid = thread_ids[t]
        member_posts = [threaded[i] for i in m]
        also_here = sorted(also_by_thread[t], key=lambda item: by_id[item[0]].sort_key)
        for pid, _ in also_here:
            home = thread_ids[threading.labels[threading.post_index[pid]]]
            shared_posts[(home, tid)].append(pid)
        found = set().union(*(threading.post_names[i] for i in m))
        thread_names.append(proper_names(found, common))
        if t in kept:
            threads.append(dataclasses.replace(kept[t], centroid=threading.centroids[t]))
            continue
        rows = [r for p in member_posts for _, r in threading.segments_by_post[p.id]]
        rows += [row_of[sid] for _, segs in also_here for sid, _ in segs]
        threads.append(
            _new_thread(
                threading,
                t,
                tid=tid,
                rows=rows,
                also_here=also_here,
                phrases=phrases[t],
                by_id=by_id,
                report=report,
                timer=timer,
            )
        )
    reserved = [kept[t].label for t in kept]
    named = words.name_fresh(threading, [thread_ids[t] for t in fresh], fresh, phrases,
                             reserved, report, namer)  # fmt: skip
    return Described(threads, thread_names, shared_posts, named)


def _kept(
    threading: Threading,
    also: Also,
    thread_ids: Sequence[str],
    reuse: Mapping[str, Thread] | None,
) -> dict[int, Thread]:
    """Thread number -> its stored thread, for those whose posts and `also` posts are
    unchanged: they keep their description, which saves the labelling and summarizing."""
    kept = {}
    for t, m in enumerate(threading.members):
        old = (reuse or {}).get(thread_ids[t])
        also_now = sorted(pid for (pid, tt) in also if tt == t)
        posts_now = {threading.threaded[i].id for i in m}
        if old and set(old.post_ids) == posts_now and sorted(old.also_post_ids) == also_now:
            kept[t] = old
    return kept


def _new_thread(
    threading: Threading,
    t: int,
    *,
    tid: str,
    rows: list[int],
    also_here: list[tuple[str, list[tuple[str, float]]]],
    phrases: list[str],
    by_id: dict[str, Post],
    report: ReportSettings,
    timer: StageTimer,
) -> Thread:
    """Thread ``t`` described afresh from its posts and the segment ``rows`` it holds
    (its posts' and its `also` segments')."""
    m = threading.members[t]
    member_posts = [threading.threaded[i] for i in m]
    segments, centroid = threading.segments, threading.centroids[t]
    seg_scores = dict(
        zip(
            (segments[r].id for r in rows),
            (threading.seg_vectors[rows] @ centroid).tolist(),
            strict=True,
        )
    )
    central = member_posts[central_index(threading.post_vecs[m])]
    # a dateline-only headline ("DECEMBER 16, 2008") says nothing: the next that does
    headline = next(
        (p.title for p in (central, *member_posts) if says_what(p.title)),
        central.title or " ".join(central.body.split()[:12]),
    )
    times = [p.published for p in member_posts if p.published]
    with timer.stage("summarize"):
        summary = summarize_thread(
            [segments[r] for r in rows],
            seg_scores,
            by_id,
            report.summary_sentences,
            central=central.id,
        )
    return Thread(
        id=tid,
        label=make_label(phrases, headline),
        keyphrases=tuple(phrases),
        headline=headline,
        post_ids=tuple(p.id for p in member_posts),
        also_post_ids=tuple(pid for pid, _ in also_here),
        first_seen=min(times, default=None),
        last_seen=max(times, default=None),
        summary=tuple(summary),
        centroid=centroid,
    )


def link_threads(
    threading: Threading,
    thread_ids: list[str],
    threads: Sequence[Thread],
    described: Described,
    settings: Settings,
) -> list[Link]:
    """Links between threads, sorted by thread and score: similar, shared-entity and
    shared-post (``cross_reference``) and follows/followed-by (``story_chains``)."""
    cs = settings.cluster
    links = cross_reference(
        thread_ids,
        threading.centroids,
        described.thread_names,
        described.shared_posts,
        settings.report.link_threshold,
    )
    lexical = threading.lexical if len(threading.threaded) else None
    chains = story_chains(
        thread_ids,
        threading.centroids,
        _lexical_centroids(lexical, threading.members) if lexical is not None else None,
        [(th.first_seen, th.last_seen) for th in threads],
        described.thread_names,
        settings.report.chain_threshold,
        lexical_weight=cs.lexical_weight,
        min_gap_days=cs.time_grace_days,
    )
    # additive: a chained pair keeps its other links too (report.json's contract)
    return sorted(links + chains, key=lambda k: (k.src, -k.score, k.dst, k.kind))


def _lexical_centroids(lexical: sparse.csr_matrix, members: list[np.ndarray]) -> sparse.csr_matrix:
    """Each thread's TF-IDF centroid: the L2-normalised sum of its posts' rows."""
    from scipy import sparse
    from sklearn.preprocessing import normalize

    n = lexical.shape[0]
    rows = np.concatenate(members) if members else np.zeros(0, np.int64)
    cols = np.concatenate([np.full(len(m), t) for t, m in enumerate(members)]) if members else rows
    pick = sparse.csr_matrix((np.ones(rows.size, np.float32), (cols, rows)),
                             shape=(len(members), n))  # fmt: skip
    return normalize(pick @ lexical)
