"""Vectors -> groups of posts that tell one story.

``ThreadClusterer`` is a scikit-learn-style estimator over precomputed features.

1. *Blended similarity.* ``sim = (1 - w) * cos(semantic) + w * cos(TF-IDF)``. The semantic
   part says "same topic"; the TF-IDF part, dominated by rare words (names, places,
   numbers), says "same event" and keeps look-alike stories apart (two celebrity rehab
   check-ins, two earthquakes).
2. *Shared nearest neighbours.* Each post keeps its ``n_neighbors`` most similar posts
   whose similarity is at least ``floor``. Two posts are alike in proportion to the
   neighbours they share (Jaccard). Raw cosine levels differ between a dense topic and a
   sparse one; shared neighbours do not, so one cut works across topics and corpus sizes.
3. *Average linkage* on that, cut at ``threshold``: no k to choose, nothing thrown into an
   outlier bin; a post with no neighbour above the floor stays a thread of its own.

Undated posts (issue 24) never link dated ones. Time cannot pull an undated post away
from anything, so it is a near neighbour of its subject in every year, and shared
neighbours would chain those years into one thread through it. When some posts are dated
and some not, the dated ones are threaded first, with time; each undated post then joins
the thread it fits best (``best_fit_labels``: the highest average blended similarity to
the thread's posts, the average linkage's own measure, at least ``floor``), and those
that fit none are threaded among themselves. An undated post joins at most one story and
merges none. (A vote of its nearest neighbours, the attach path's rule for new dated
posts, favours the larger of two alike stories: on BASIL dev with one date in ten
removed, BCubed F1 0.962 against 0.990 by best fit.)

Small inputs use the exact pairwise matrix. Large ones (above ``large_n``) compute exact
neighbour sets a block of rows at a time, or above ``APPROX_MIN`` take them from
candidates (an HNSW index and shared rare words, each scored with the exact blend;
``analysis.neighbours``), and cluster each connected part of the neighbour graph on its
own: parts up to ``DENSE_PART_MAX`` items with the dense linkage, larger ones with the
same average linkage on the sparse shared-neighbour graph. Memory stays near-linear, and
so does time above ``APPROX_MIN``; on 10,000 live-blog posts the approximate neighbours
give a partition that agrees with the exact one at ARI 0.97 (bench/agreement.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Self, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from .neighbours import approximate_neighbours, sparse_average_linkage, sparse_shared_neighbours
from .similarity import blend_weight, blended_block, blended_similarity
from .timeline import scale_rows

DENSE_PART_MAX = 2000  # larger connected parts are linked on the sparse graph
# Exact neighbour blocks cost n^2 but run in BLAS; on 10,000 live-blog posts they took
# 28 s against 45 s for the approximate ones (bench/agreement.py), so the index is used
# only above this many posts.
APPROX_MIN = 20_000


def canonical_labels(labels: np.ndarray) -> np.ndarray:
    """Renumber groups by first appearance so equal partitions get equal labels."""
    mapping: dict[int, int] = {}
    return np.array([mapping.setdefault(int(v), len(mapping)) for v in labels], dtype=np.int64)


def neighbour_sets(sim: np.ndarray, n_neighbors: int, floor: float) -> sparse.csr_matrix:
    """Indicator rows: each item, plus its ``n_neighbors`` most similar items above ``floor``."""
    n = sim.shape[0]
    sim = sim.copy()
    np.fill_diagonal(sim, np.inf)  # an item is always its own first neighbour
    k = min(n_neighbors + 1, n)
    order = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    rows = np.repeat(np.arange(n), k)
    cols = order.ravel()
    keep = sim[rows, cols] >= floor
    return sparse.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], cols[keep])), shape=(n, n)
    )


def top_k_first(sim: np.ndarray, k: int) -> np.ndarray:
    """Per row, the columns of the ``k`` largest values, equal values taken lowest column
    first: the set a stable descending sort gives (``neighbour_sets``), in linear time.

    Ties are real (two copies of one post have the same vector); with ``argpartition``
    alone the blockwise path could pick another copy than the exact path.
    """
    kth = -np.partition(-sim, k - 1, axis=1)[:, k - 1 : k]  # the k-th largest per row
    above = sim > kth
    need = k - above.sum(axis=1, keepdims=True)
    level = sim == kth
    chosen = above | (level & (np.cumsum(level, axis=1) <= need))
    cols: np.ndarray = np.nonzero(chosen)[1].reshape(len(sim), k)
    return cols


def shared_neighbour_similarity(members: sparse.csr_matrix) -> np.ndarray:
    """Jaccard overlap of the neighbour sets of every pair (dense; for one component)."""
    inter = (members @ members.T).toarray()
    size = np.asarray(members.sum(axis=1)).ravel()
    union = size[:, None] + size[None, :] - inter
    return cast("np.ndarray", inter / np.maximum(union, 1.0))


def average_linkage(snn: np.ndarray, threshold: float) -> np.ndarray:
    if snn.shape[0] == 1:
        return np.zeros(1, dtype=np.int64)
    dist = 1.0 - snn
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(np.clip(dist, 0.0, 1.0), checks=False), method="average")
    return cast("np.ndarray", fcluster(tree, t=1.0 - threshold, criterion="distance"))


class ThreadClusterer:
    """Shared-nearest-neighbour average linkage on blended semantic + lexical similarity.

    Parameters
    ----------
    threshold : float in [0, 1]
        Minimum average shared-neighbour overlap (Jaccard) for two groups to merge.
    floor : float in [-1, 1]
        Minimum blended similarity for a post to count as another's neighbour.
    n_neighbors : int >= 1
        Size of each post's neighbour set (before the floor).
    lexical_weight : float in [0, 1]
        Weight of the TF-IDF cosine in the blend.
    time_grace_days, time_half_life_days : float >= 0
        Time between posts (``fit``'s ``times``) scales their similarity: 1 up to the grace,
        then halved every half-life (analysis.timeline). A half-life of 0 turns time off.
    large_n : int
        Above this many rows, approximate neighbours and cluster per component.
    seed : int
        Kept for API stability; the clustering itself is deterministic.

    Attributes
    ----------
    labels_ : ndarray of shape (n,)
        Group of each row, numbered by first appearance.
    n_threads_ : int
    """

    def __init__(
        self,
        threshold: float = 0.1,
        floor: float = 0.3,
        n_neighbors: int = 5,
        lexical_weight: float = 0.5,
        large_n: int = 4000,
        seed: int = 42,
        time_grace_days: float = 1.0,
        time_half_life_days: float = 2.0,
    ) -> None:
        self.threshold = threshold
        self.floor = floor
        self.n_neighbors = n_neighbors
        self.lexical_weight = lexical_weight
        self.large_n = large_n
        self.time_grace_days = time_grace_days
        self.time_half_life_days = time_half_life_days
        self.seed = seed

    def _timed(
        self,
        sim: np.ndarray,
        times: NDArray[np.float64] | None,
        rows: Sequence[int] | NDArray[np.integer[Any]],
    ) -> np.ndarray:
        """``sim`` (rows ``rows`` against every row) scaled in place by time, if given."""
        return scale_rows(sim, times, rows, self.time_grace_days, self.time_half_life_days)

    def _validate(
        self, X: ArrayLike, lexical: sparse.csr_matrix | None, times: ArrayLike | None = None
    ) -> NDArray[np.float32]:
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold ({self.threshold}) must be within [0, 1]")
        if not -1.0 <= self.floor <= 1.0:
            raise ValueError(f"floor ({self.floor}) must be within [-1, 1]")
        if not 0.0 <= self.lexical_weight <= 1.0:
            raise ValueError(f"lexical_weight ({self.lexical_weight}) must be within [0, 1]")
        if int(self.n_neighbors) < 1:
            raise ValueError(f"n_neighbors ({self.n_neighbors}) must be >= 1")
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, got shape {X.shape}")
        if lexical is not None and lexical.shape[0] != X.shape[0]:
            raise ValueError(f"lexical has {lexical.shape[0]} rows, X has {X.shape[0]}")
        if times is not None and np.shape(times) != (X.shape[0], 2):
            raise ValueError(f"times must have shape ({X.shape[0]}, 2), got {np.shape(times)}")
        if self.time_grace_days < 0 or self.time_half_life_days < 0:
            raise ValueError("time_grace_days and time_half_life_days must be >= 0")
        return X

    def fit(
        self,
        X: ArrayLike,
        lexical: sparse.csr_matrix | None = None,
        times: NDArray[np.float64] | None = None,
    ) -> Self:
        """Cluster rows of ``X`` (unit semantic vectors) with optional TF-IDF rows ``lexical``
        and optional ``times`` ((n, 2) start and end seconds, NaN when undated; see
        ``analysis.timeline.time_intervals``)."""
        X = self._validate(X, lexical, times)
        undated = self._undated(times)
        if undated is None:
            labels = self._grouped(X, lexical, times)
        else:  # the dated posts, then the undated ones placed (module docstring)
            times = cast("NDArray[np.float64]", times)  # undated is None without times
            labels = np.full(X.shape[0], -1, dtype=np.int64)
            dated = np.flatnonzero(~undated)
            sub_lexical = lexical[dated] if lexical is not None else None
            labels[dated] = self._grouped(X[dated], sub_lexical, times[dated])
            labels = self.place(X, lexical, labels, np.flatnonzero(undated), times)
        self.labels_ = canonical_labels(labels)
        self.n_threads_ = int(self.labels_.max() + 1) if X.shape[0] else 0
        return self

    def _undated(self, times: NDArray[np.float64] | None) -> np.ndarray | None:
        """Which rows are undated, when time is on and some rows are dated and some not."""
        if times is None or self.time_half_life_days <= 0:
            return None
        undated = np.isnan(np.asarray(times)[:, 0])
        return undated if 0 < undated.sum() < undated.size else None

    def _grouped(
        self,
        X: NDArray[np.float32],
        lexical: sparse.csr_matrix | None,
        times: NDArray[np.float64] | None,
    ) -> np.ndarray:
        """Group numbers of the rows, time counting as given (no undated rule)."""
        n = X.shape[0]
        if n <= 1:
            return np.zeros(n, dtype=np.int64)
        if n <= self.large_n:
            sim = self._timed(blended_similarity(X, lexical, self.lexical_weight), times, range(n))
            members = neighbour_sets(sim, self.n_neighbors, self.floor)
            return average_linkage(shared_neighbour_similarity(members), self.threshold)
        return self._large(X, lexical, times)

    def place(
        self,
        X: np.ndarray,
        lexical: sparse.csr_matrix | None,
        labels: np.ndarray,
        rows: np.ndarray,
        times: NDArray[np.float64] | None = None,
    ) -> np.ndarray:
        """``labels`` with each of ``rows`` (label -1) placed in an existing group: a dated
        row in the group most of its neighbours hold (``vote_labels``), an undated one in
        the group it fits best (``best_fit_labels``); those placed nowhere are grouped
        among themselves, numbered after the existing groups."""
        labels = labels.copy()
        n_groups = int(labels.max()) + 1 if labels.size else 0
        undated = np.zeros(rows.size, dtype=bool)
        if times is not None and self.time_half_life_days > 0:
            undated = np.isnan(np.asarray(times)[rows, 0])
        labels[rows[~undated]] = vote_labels(X, lexical, labels, rows[~undated], self, times)
        labels[rows[undated]] = best_fit_labels(X, lexical, labels, rows[undated], self)
        pool = rows[labels[rows] < 0]
        if pool.size:
            sub_lexical = lexical[pool] if lexical is not None else None
            sub_times = times[pool] if times is not None else None
            labels[pool] = self.fit_predict(X[pool], sub_lexical, sub_times) + max(n_groups, 0)
        return labels

    def fit_predict(
        self,
        X: ArrayLike,
        lexical: sparse.csr_matrix | None = None,
        times: NDArray[np.float64] | None = None,
    ) -> np.ndarray:
        return self.fit(X, lexical, times).labels_

    def _neighbours(
        self,
        X: np.ndarray,
        lexical: sparse.csr_matrix | None,
        times: NDArray[np.float64] | None = None,
    ) -> sparse.csr_matrix:
        """Neighbour sets from the exact blended similarity, a block of rows at a time.

        Memory stays at ``block x n``; time is quadratic, in BLAS: cheaper than the
        approximate neighbours up to ``APPROX_MIN`` rows, and their reference (tests, bench).
        """
        n = X.shape[0]
        k = min(self.n_neighbors + 1, n)
        w = blend_weight(self.lexical_weight, lexical)
        block = max(1, min(n, 2_000_000 // max(n, 1)))
        rows_out, cols_out = [], []
        for start in range(0, n, block):
            stop = min(n, start + block)
            sim = blended_block(X, lexical, slice(start, stop), w)
            self._timed(sim, times, range(start, stop))
            local = np.arange(stop - start)
            sim[local, local + start] = np.inf  # an item is always its own first neighbour
            top = top_k_first(sim, k)
            top_sim = np.take_along_axis(sim, top, axis=1)
            keep = top_sim >= self.floor
            rows_out.append(np.repeat(local + start, k)[keep.ravel()])
            cols_out.append(top.ravel()[keep.ravel()])
        rows = np.concatenate(rows_out)
        cols = np.concatenate(cols_out)
        return sparse.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, cols)), shape=(n, n))

    def _large(
        self,
        X: np.ndarray,
        lexical: sparse.csr_matrix | None,
        times: NDArray[np.float64] | None = None,
    ) -> NDArray[np.int64]:
        from scipy.sparse.csgraph import connected_components

        w = blend_weight(self.lexical_weight, lexical)
        if X.shape[0] <= APPROX_MIN:
            members = self._neighbours(X, lexical, times)
        else:
            timing = None
            if times is not None and self.time_half_life_days > 0:
                timing = (times, self.time_grace_days, self.time_half_life_days)
            members = approximate_neighbours(
                X, lexical, int(self.n_neighbors), self.floor, w, timing
            )
        overlap = members @ members.T  # pairs sharing at least one neighbour
        _, part = connected_components(overlap, directed=False)
        labels = np.empty(X.shape[0], dtype=np.int64)
        next_label = 0
        order = np.argsort(part, kind="stable")
        bounds = np.flatnonzero(np.diff(part[order])) + 1
        for idx in np.split(order, bounds):
            if idx.size == 1:
                labels[idx] = next_label
                next_label += 1
                continue
            if idx.size > DENSE_PART_MAX:
                sub = sparse_shared_neighbours(members[idx])
                sub_labels = sparse_average_linkage(sub, self.threshold)
            else:
                sub = shared_neighbour_similarity(members[idx])
                sub_labels = average_linkage(sub, self.threshold)
            labels[idx] = sub_labels + next_label
            next_label += int(sub_labels.max()) + 1
        return labels


def vote_labels(
    X: np.ndarray,
    lexical: sparse.csr_matrix | None,
    labels: np.ndarray,
    rows: ArrayLike,
    clusterer: ThreadClusterer,
    times: NDArray[np.float64] | None = None,
) -> np.ndarray:
    """The group each of ``rows`` joins: the one held by most of its neighbours (the
    clusterer's own rule: its ``n_neighbors`` most similar rows, blended and scaled by
    time, above ``floor``; rows labelled -1 are neighbours but do not vote); ties go to
    the closer neighbours, then the lower group. -1 when no neighbour votes.

    A block of rows at a time against every row, so memory stays near 8 MB."""
    rows = np.asarray(rows, dtype=np.int64)
    out = np.full(rows.size, -1, dtype=np.int64)
    if rows.size == 0:
        return out
    n = X.shape[0]
    w = blend_weight(clusterer.lexical_weight, lexical)
    k = min(int(clusterer.n_neighbors), n - 1)
    if k < 1:
        return out
    block = max(1, 2_000_000 // max(n, 1))
    for lo in range(0, rows.size, block):
        part = rows[lo : lo + block]
        sim = blended_block(X, lexical, part, w)
        clusterer._timed(sim, times, part)
        sim[np.arange(part.size), part] = -np.inf
        top = top_k_first(sim, k)
        for i, neighbours in enumerate(top):
            votes: dict[int, float] = defaultdict(float)
            for j in neighbours:
                if sim[i, j] >= clusterer.floor and labels[j] >= 0:
                    votes[int(labels[j])] += 1.0 + float(sim[i, j]) * 1e-3  # ties: closer
            if votes:
                out[lo + i] = max(votes, key=lambda g: (votes[g], -g))
    return out


def best_fit_labels(
    X: np.ndarray,
    lexical: sparse.csr_matrix | None,
    labels: np.ndarray,
    rows: ArrayLike,
    clusterer: ThreadClusterer,
) -> np.ndarray:
    """The group each of ``rows`` fits best: the highest average blended similarity to the
    group's rows (labels >= 0; time left out: for undated rows it is 1 to everything),
    when that average is at least the clusterer's ``floor``; else -1. A block of rows at
    a time against every row."""
    rows = np.asarray(rows, dtype=np.int64)
    out = np.full(rows.size, -1, dtype=np.int64)
    members = np.flatnonzero(labels >= 0)
    if rows.size == 0 or members.size == 0:
        return out
    w = blend_weight(clusterer.lexical_weight, lexical)
    groups = labels[members]
    sizes = np.bincount(groups).astype(np.float64)
    block = max(1, 2_000_000 // members.size)
    for lo in range(0, rows.size, block):
        part = rows[lo : lo + block]
        sim = blended_block(X, lexical, part, w, members)
        for i, row in enumerate(sim):
            mean = np.bincount(groups, weights=row, minlength=sizes.size) / np.maximum(sizes, 1)
            mean[sizes == 0] = -np.inf
            best = int(np.argmax(mean))  # ties: the lower group
            if mean[best] >= clusterer.floor:
                out[lo + i] = best
    return out


def attach_labels(
    post_ids: Sequence[str],
    group_of: Mapping[str, int],
    post_vecs: np.ndarray,
    lexical: sparse.csr_matrix | None,
    clusterer: ThreadClusterer,
    times: NDArray[np.float64] | None = None,
) -> np.ndarray:
    """Groups for the cheap path: posts in ``group_of`` keep their group; each other post joins
    the thread that holds most of its neighbours (``vote_labels``); posts with no stored
    neighbour are clustered among themselves into new groups."""
    labels = np.array([group_of.get(pid, -1) for pid in post_ids], dtype=np.int64)
    loose = np.flatnonzero(labels < 0)
    if loose.size == 0:
        return labels
    return clusterer.place(post_vecs, lexical, labels, loose, times)
