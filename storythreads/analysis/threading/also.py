"""`also` memberships: a paragraph or bullet that tells another thread's story as well.

A roundup post ("Here's what to know") has a bullet per story; a report on one story often
has a paragraph on another. Such a segment joins thread T as an `also` member when, by the
similarity the threads themselves were built with (``(1 - w)`` semantic cosine + ``w``
TF-IDF cosine, ``w = cluster.lexical_weight``), it is

* at least ``also_threshold`` similar to T's centroid (default 0.3, the default of
  ``cluster.floor``: the least similarity at which a post counts as another's neighbour), and
* closer to T, by ``also_margin``, than to the rest of its own thread. "The rest" leaves
  the segment's own words out: its post's TF-IDF row is replaced by that of the post's
  other segments. Without that, a paragraph always shares every one of its words with its
  own thread, which for a one-post thread is most of the lexical similarity (the seed's
  Azovstal post: its "Turkey was pressured by NATO" paragraph scores 0.44 against its own
  post with itself in it, 0.35 without).

The candidates for T are the ``CANDIDATES`` centroids nearest by the semantic cosine
(``neighbours.top_others``: exact, or an HNSW index at a million posts); each is scored
with the exact blend, and the own-thread side is computed only for segments whose best
candidate passes the threshold, so time and memory stay linear in the segments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from .neighbours import top_others
from .timeline import DAY, decay, scale

CANDIDATES = 8  # semantic candidates per segment, rescored with the blend
BLOCK = 16_384  # segments at a time on the own-thread side


def also_memberships(
    texts: list[str],
    seg_vectors: np.ndarray,
    seg_post: np.ndarray,
    candidate: np.ndarray,
    labels: np.ndarray,
    centroids: np.ndarray,
    lexical: sparse.csr_matrix | None = None,
    vectorizer: TfidfVectorizer | None = None,
    counts: sparse.csr_matrix | None = None,
    lexical_weight: float = 0.5,
    threshold: float = 0.3,
    margin: float = 0.05,
    timing: tuple[NDArray[np.float64], NDArray[np.float64], float, float] | None = None,
) -> dict[tuple[int, int], list[tuple[int, float]]]:
    """``{(post row, thread): [(segment row, score), ...]}`` of the `also` memberships.

    ``texts``, ``seg_vectors`` and ``seg_post`` are the segments of the threaded posts and
    the row of their post in ``labels`` (primary thread per post) and ``lexical`` (the
    posts' L2-normalised TF-IDF rows, from ``vectorizer``); ``candidate`` marks the
    segments that may join another thread (not titles). Without ``lexical`` the
    similarity is the semantic cosine alone. ``counts``: the texts' ``segment_counts``
    when the caller has them already.

    ``timing`` = (post intervals, thread intervals, grace days, half-life days) scales a
    segment's similarity to a candidate thread by the time factor the threads were built
    with (analysis.timeline), between its post and the thread's first-to-last span: a
    2014 article that recalls a 2010 event in a paragraph is not part of that story.
    """
    n_threads = len(centroids)
    found: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    rows = np.flatnonzero(candidate)
    if n_threads < 2 or rows.size == 0:
        return found
    own = labels[seg_post[rows]]
    own_sim: NDArray[np.floating[Any]]  # float32 here, float64 once blended below
    cand, cand_sem, own_sim = top_others(seg_vectors, rows, own, centroids, CANDIDATES)
    if timing is not None:
        cand_sem = scale(cand_sem.copy(), _time_factor(timing, seg_post[rows], cand))
    at = np.arange(rows.size)
    pick = np.argmax(np.where(cand >= 0, cand_sem, -np.inf), axis=1)
    score, best = cand_sem[at, pick], cand[at, pick]
    w = lexical_weight if lexical is not None and vectorizer is not None else 0.0
    if w > 0:
        if counts is None:
            counts = segment_counts(texts, vectorizer)
        seg_lex = _tfidf(counts[rows], vectorizer)
        members = sparse.csr_matrix(
            (np.ones(len(labels), np.float32), (labels, np.arange(len(labels)))),
            shape=(n_threads, len(labels)),
        )
        sums = (members @ lexical).tocsr()  # per thread: the sum of its posts' rows
        sum_norm = np.sqrt(_rowwise(sums, sums))
        valid = cand >= 0
        pairs = np.repeat(np.arange(rows.size), cand.shape[1])[valid.ravel()]
        lex = np.zeros(cand.shape, np.float64)
        lex[valid] = _dots(seg_lex, pairs, sums, cand[valid]) / np.maximum(
            sum_norm[cand[valid]], 1e-12
        )
        if timing is not None:
            lex = scale(lex, _time_factor(timing, seg_post[rows], cand))
        blend = np.where(valid, (1 - w) * cand_sem + w * lex, -np.inf)
        pick = np.argmax(blend, axis=1)
        score, best = blend[at, pick], cand[at, pick]
        near = np.flatnonzero(score >= threshold)  # only these need their own side
        own_lex = np.ones(rows.size)
        own_lex[near] = _own_without_self(
            counts, rows, near, seg_lex, seg_post, own, lexical, vectorizer, sums, sum_norm
        )
        own_sim = (1 - w) * own_sim + w * own_lex
    hit = (score >= threshold) & (score >= own_sim + margin) & (best >= 0)
    for i in np.flatnonzero(hit):
        found[(int(seg_post[rows[i]]), int(best[i]))].append((int(rows[i]), float(score[i])))
    return found


def segment_counts(
    texts: list[str],
    vectorizer: TfidfVectorizer,
    counted: tuple[dict[str, int], sparse.csr_matrix] | None = None,
) -> sparse.csr_matrix:
    """Every segment's term counts (float32 CSR) in ``vectorizer``'s vocabulary, titles too
    (they are part of "the rest" of a post). ``counted``: the texts' ``own_counts``,
    counted before the vocabulary was known (e.g. in another process): their columns are
    moved to the vocabulary's, and words outside it dropped, as counting in it would."""
    if counted is None:
        counts = CountVectorizer(
            analyzer=vectorizer.build_analyzer(), vocabulary=vectorizer.vocabulary_
        ).transform(texts)
        return counts.astype(np.float32).tocsr()
    own_vocabulary, counts = counted
    vocabulary = vectorizer.vocabulary_
    pairs = [(j, vocabulary[w]) for w, j in own_vocabulary.items() if w in vocabulary]
    own: np.ndarray | list[int]
    theirs: np.ndarray | list[int]
    if pairs:
        own, theirs = (np.array(c, dtype=np.int64) for c in zip(*pairs, strict=True))
    else:
        own, theirs = [], []
    move = sparse.csr_matrix(
        (np.ones(len(own), np.float32), (own, theirs)),
        shape=(counts.shape[1], len(vocabulary)),
    )
    out = (counts @ move).tocsr()
    out.sort_indices()
    return out


def own_counts(
    texts: list[str], analyzer: Callable[[str], list[str]]
) -> tuple[dict[str, int], sparse.csr_matrix]:
    """``texts``' term counts (float32 CSR) in a vocabulary of their own words, for
    ``segment_counts(counted=...)``."""
    counter = CountVectorizer(analyzer=analyzer, dtype=np.float32)
    try:
        counts = counter.fit_transform(texts).tocsr()
    except ValueError:  # no words at all
        return {}, sparse.csr_matrix((len(texts), 0), dtype=np.float32)
    return dict(counter.vocabulary_), counts


def _time_factor(
    timing: tuple[NDArray[np.float64], NDArray[np.float64], float, float],
    post_rows: np.ndarray,
    cand: np.ndarray,
) -> np.ndarray:
    """(segments, candidates) time factors between each segment's post and each candidate
    thread's span; 1 for missing candidates and undated posts or threads."""
    post_times, thread_times, grace, half_life = timing
    a = post_times[post_rows][:, None, :]
    b = thread_times[np.maximum(cand, 0)]
    gap = np.maximum(np.maximum(a[..., 0], b[..., 0]) - np.minimum(a[..., 1], b[..., 1]), 0.0)
    return decay(gap / DAY, grace, half_life).astype(np.float64)


def _own_without_self(
    counts: sparse.csr_matrix,
    rows: NDArray[np.integer[Any]],
    near: NDArray[np.integer[Any]],
    seg_lex: sparse.csr_matrix,
    seg_post: NDArray[np.integer[Any]],
    own: NDArray[np.integer[Any]],
    lexical: sparse.csr_matrix,
    vectorizer: TfidfVectorizer,
    sums: sparse.csr_matrix,
    sum_norm: NDArray[np.float64],
) -> NDArray[np.float64]:
    """TF-IDF cosine of each segment ``rows[near[i]]`` with its own thread's words less its
    own: the thread's sum of rows with its post's row replaced by the row of the post's
    other segments (title included), summed from their counts. Expanded into dot
    products, so no per-segment copy of a thread's row is made; ``BLOCK`` segments at a
    time, so the rows of "the rest" held at once stay bounded."""
    out = np.zeros(near.size)
    n_segs = len(seg_post)
    of_post = sparse.csr_matrix(
        (np.ones(n_segs, np.float32), (seg_post, np.arange(n_segs))),
        shape=(int(seg_post.max()) + 1, n_segs),
    )
    for start in range(0, near.size, BLOCK):
        part = near[start : start + BLOCK]
        targets = rows[part]
        itself = sparse.csr_matrix(
            (np.ones(part.size, np.float32), (np.arange(part.size), targets)),
            shape=(part.size, n_segs),
        )
        others = of_post[seg_post[targets]] - itself  # the other segments of each one's post
        others.eliminate_zeros()
        rest = (others @ counts).tocsr()
        rest.eliminate_zeros()
        rest = _tfidf(rest, vectorizer)
        g, post, t = seg_lex[part], lexical[seg_post[targets]], own[part]
        at = np.arange(part.size)
        g_sum, rest_sum, post_sum = (_dots(m, at, sums, t) for m in (g, rest, post))
        dot = g_sum - _rowwise(g, post) + _rowwise(g, rest)
        norm2 = (
            sum_norm[t] ** 2
            + _rowwise(post, post)
            + _rowwise(rest, rest)
            - 2 * post_sum
            + 2 * rest_sum
            - 2 * _rowwise(post, rest)
        )
        out[start : start + part.size] = np.where(
            norm2 > 1e-12, dot / np.sqrt(np.maximum(norm2, 1e-12)), 0.0
        )
    return out


def _tfidf(counts: sparse.csr_matrix, vectorizer: TfidfVectorizer) -> sparse.csr_matrix:
    """``vectorizer.transform`` from term counts: sublinear tf, idf, L2-normalised rows."""
    out = counts.copy()
    out.data = 1.0 + np.log(out.data)
    out = (out @ sparse.diags(vectorizer.idf_)).tocsr()
    return normalize(out, norm="l2", copy=False)


def _rowwise(a: sparse.csr_matrix, b: sparse.csr_matrix) -> np.ndarray:
    """Dot product of row i of ``a`` with row i of ``b``, for every i."""
    return np.asarray(a.multiply(b).sum(axis=1), dtype=np.float64).ravel()


def _dots(
    a: sparse.csr_matrix, rows: np.ndarray, m: sparse.csr_matrix, which: np.ndarray
) -> NDArray[np.float64]:
    """``a[rows[i]] . m[which[i]]`` for every i: each term of ``a[rows[i]]`` looks its
    weight up in row ``which[i]`` of ``m`` (a thread's sum, with many terms; SciPy's
    indexing by (row, column) pairs does a binary search inside the row), so no row of
    ``m`` is copied per pair; pairs a block at a time."""
    m = m.tocsr()
    m.sum_duplicates()  # canonical: sorted column indices, so lookups are binary searches
    out = np.zeros(len(rows), np.float64)
    lengths = np.diff(a.indptr)[rows]
    ends = np.cumsum(lengths)
    start = 0
    while start < len(rows):
        # pairs whose terms add up to about 4M lookups: memory stays flat at any size
        stop = max(start + 1, int(np.searchsorted(ends, ends[start] - lengths[start] + (1 << 22))))
        part = a[rows[start:stop]]  # CSR: each pair's terms together, pairs in order
        if part.nnz:
            pair = np.repeat(np.arange(stop - start), np.diff(part.indptr))
            found = np.asarray(m[which[start:stop][pair], part.indices]).ravel()
            weights = (part.data * found).astype(np.float64)  # summed in double precision
            filled = np.flatnonzero(np.diff(part.indptr))  # pairs with terms (others: 0)
            out[start + filled] = np.add.reduceat(weights, part.indptr[filled])
        start = stop
    return out
