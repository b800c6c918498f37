"""Near-linear pieces of the clusterer for large inputs (above ``ThreadClusterer.large_n``).

* ``approximate_neighbours``: each item's ``k`` most similar items under the blended
  similarity, from candidates instead of all pairs. Candidates are an HNSW index's
  nearest semantic neighbours (faiss; built single-threaded so the graph, and with it the
  result, is the same on every run) plus the items sharing the rarest words of the item
  (its top TF-IDF terms). Every candidate is scored with the exact blend, so what is
  missed is only what no candidate list holds.
* ``sparse_average_linkage``: average linkage cut at a threshold on a sparse similarity
  graph, merging the best pair first. Pairs with no edge have similarity 0 and never merge
  (threshold > 0), so on the shared-neighbour graph it gives the dense linkage's clusters
  without an n x n matrix.
* ``top_others``: for each segment, the thread centroids most similar to it other than its
  own thread's (the candidates of `also` memberships); exact in blocks, or from an HNSW
  index of the centroids once segments x threads passes ``DENSE_PAIRS_MAX``.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from .similarity import blended_pairs

if TYPE_CHECKING:
    import faiss

SEMANTIC_CANDIDATES = 32
LEXICAL_CANDIDATES = 32
TOP_TERMS = 12  # per item, the terms whose shared use makes a lexical candidate
TERM_POSTINGS_CAP = 2000  # terms that are a top term of more items say little; skipped
HNSW_M = 32
HNSW_EF = 96


def block_rows(n_cols: int) -> int:
    """Rows per block of a rows x ``n_cols`` similarity product: ~4 M cells (16 MB of
    float32, 32 MB of int64 indices from argpartition), so memory stays flat at any size."""
    return int(min(1024, max(64, (1 << 22) // max(n_cols, 1))))


# Above this many segment x centroid pairs (~2 TFLOP of products), `also` asks an index.
DENSE_PAIRS_MAX = 2_000_000_000


def hnsw_index(X: np.ndarray, ef_search: int = HNSW_EF) -> faiss.IndexHNSWFlat:
    """An HNSW index (faiss, inner product) of the rows of ``X``, built single-threaded:
    insertion order fixed, so the same graph, and the same answers, on every run."""
    import faiss

    index = faiss.IndexHNSWFlat(X.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        index.add(np.ascontiguousarray(X, dtype=np.float32))
    finally:
        faiss.omp_set_num_threads(threads)
    index.hnsw.efSearch = max(HNSW_EF, ef_search)
    return index


def semantic_candidates(X: np.ndarray, count: int) -> np.ndarray:
    """(n, count) item indices from an HNSW index on inner product; -1 where none."""
    count = min(count, len(X))
    _, found = hnsw_index(X, count).search(np.ascontiguousarray(X, dtype=np.float32), count)
    return found.astype(np.int64)


def top_others(
    X: np.ndarray,
    rows: NDArray[np.integer[Any]],
    own: NDArray[np.integer[Any]],
    centroids: np.ndarray,
    k: int = 1,
    block: int | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float32], NDArray[np.float32]]:
    """For each ``X[rows[i]]``: the ``k`` centroids most similar to it other than ``own[i]``
    (most similar first), those similarities, and the similarity to ``own[i]`` (inner
    products; needs >= 2 centroids). Missing candidates are -1 with similarity -inf.

    Exact, a block of rows at a time, while rows x centroids <= ``DENSE_PAIRS_MAX``; above
    that (a million posts) the nearest centroids from an HNSW index, so time stays
    near-linear in the rows.
    """
    n, k = len(rows), max(1, min(k, len(centroids) - 1))
    block = block or block_rows(len(centroids))
    cand = np.full((n, k), -1, dtype=np.int64)
    sims = np.full((n, k), -np.inf, dtype=np.float32)
    own_sim = np.zeros(n, dtype=np.float32)
    index = hnsw_index(centroids, k + 1) if n * len(centroids) > DENSE_PAIRS_MAX else None
    for start in range(0, n, block):  # a block of rows at a time: memory stays flat
        Q = X[rows[start : start + block]]
        part, o = slice(start, start + block), own[start : start + block]
        if index is None:
            found = Q @ centroids.T
            at = np.arange(len(found))
            own_sim[part] = found[at, o]
            found[at, o] = -np.inf
            top = np.argpartition(-found, k - 1, axis=1)[:, :k]
            top_sims = np.take_along_axis(found, top, axis=1)
            order = np.lexsort((top, -top_sims), axis=1)  # most similar first, ties by index
            cand[part] = np.take_along_axis(top, order, axis=1)
            sims[part] = np.take_along_axis(top_sims, order, axis=1)
            continue
        own_sim[part] = np.einsum("ij,ij->i", Q, centroids[o])
        found_sims, found = index.search(np.ascontiguousarray(Q, dtype=np.float32), k + 1)
        keep = (found != o[:, None]) & (found >= 0)
        pick = np.argsort(~keep, axis=1, kind="stable")[:, :k]  # the first k kept, in order
        kept = np.take_along_axis(keep, pick, axis=1)
        cand[part] = np.where(kept, np.take_along_axis(found, pick, axis=1), -1)
        sims[part] = np.where(kept, np.take_along_axis(found_sims, pick, axis=1), -np.inf)
    return cand, sims, own_sim


def windowed_candidates(
    X: np.ndarray,
    times: NDArray[np.float64],
    grace: float,
    half_life: float,
    floor: float,
    count: int,
) -> np.ndarray:
    """(n, count) semantic candidates among the posts close in time; -1 pads.

    When a subject comes back day after day for months, a post's nearest posts over the
    whole feed are mostly on other days, and time then drops them below the floor; the
    same-day posts that are its real neighbours may be in no candidate list. So dated posts
    also get candidates from an index of their own time window and the two around it, a
    window being the longest gap at which two posts can still be neighbours (grace, plus
    the half-lives it takes to bring a similarity of 1 under ``floor``). Undated posts keep
    the global candidates only (they are neutral)."""
    n = X.shape[0]
    out = np.full((n, count), -1, dtype=np.int64)
    dated = np.flatnonzero(~np.isnan(times[:, 0]))
    if dated.size < 2:
        return out
    reach = half_life * (np.log2(1.0 / floor) if floor > 0.01 else 8.0)
    width = max(grace + reach, 0.25) * 86_400.0
    window = np.floor((times[dated, 0] - times[dated, 0].min()) / width).astype(np.int64)
    for k in np.unique(window):
        query = dated[window == k]
        pool = dated[np.abs(window - k) <= 1]
        m = min(count, pool.size)
        _, found = hnsw_index(X[pool], m).search(np.ascontiguousarray(X[query]), m)
        out[query, :m] = np.where(found >= 0, pool[np.maximum(found, 0)], -1)
    return out


def lexical_candidates(lexical: sparse.csr_matrix, count: int, block: int = 2000) -> np.ndarray:
    """(n, count) items sharing the most weight in each item's top TF-IDF terms; -1 pads."""
    n = lexical.shape[0]
    pruned = _top_terms(lexical.tocsr(), TOP_TERMS)
    postings = np.bincount(pruned.indices, minlength=pruned.shape[1])
    common = np.flatnonzero(postings > TERM_POSTINGS_CAP)
    if common.size:
        keep = np.ones(pruned.shape[1], dtype=np.float32)
        keep[common] = 0.0
        pruned = (pruned @ sparse.diags(keep)).tocsr()
        pruned.eliminate_zeros()
    out = np.full((n, count), -1, dtype=np.int64)
    transposed = pruned.T.tocsr()
    for start in range(0, n, block):
        scores = _top_terms((pruned[start : start + block] @ transposed).tocsr(), count).tocoo()
        rank = _rank_in_row(scores.row, scores.col, -scores.data)
        out[start + scores.row, rank] = scores.col
    return out


def _rank_in_row(
    rows: NDArray[np.integer[Any]], cols: NDArray[np.integer[Any]], keys: np.ndarray
) -> np.ndarray:
    """Position of each entry in its row when the row is ordered by ``keys``, then column."""
    order = np.lexsort((cols, keys, rows))
    rank = np.empty(rows.size, dtype=np.int64)
    sorted_rows = rows[order]
    starts = np.searchsorted(sorted_rows, sorted_rows, side="left")
    rank[order] = np.arange(rows.size) - starts
    return rank


def _top_terms(matrix: sparse.csr_matrix, top: int) -> sparse.csr_matrix:
    """Each row's ``top`` largest entries (ties: the lower column)."""
    coo = matrix.tocoo()
    keep = _rank_in_row(coo.row, coo.col, -coo.data) < top
    return sparse.csr_matrix(
        (coo.data[keep], (coo.row[keep], coo.col[keep])), shape=matrix.shape, dtype=np.float32
    )


def approximate_neighbours(
    X: np.ndarray,
    lexical: sparse.csr_matrix | None,
    n_neighbors: int,
    floor: float,
    w: float,
    timing: tuple[NDArray[np.float64], float, float] | None = None,
) -> sparse.csr_matrix:
    """Indicator rows like ``neighbour_sets``: self plus the ``n_neighbors`` best candidates
    whose blended similarity is at least ``floor``. ``timing`` = (times, grace days,
    half-life days) scales each candidate's similarity by its time factor
    (analysis.timeline)."""
    n = X.shape[0]
    parts = [semantic_candidates(X, SEMANTIC_CANDIDATES)]
    if lexical is not None and w > 0:
        parts.append(lexical_candidates(lexical, LEXICAL_CANDIDATES))
    if timing is not None:
        parts.append(windowed_candidates(X, *timing, floor=floor, count=SEMANTIC_CANDIDATES))
    cand = np.sort(np.hstack(parts), axis=1)
    repeated = np.zeros(cand.shape, dtype=bool)
    repeated[:, 1:] = cand[:, 1:] == cand[:, :-1]
    cand[repeated] = -1
    own = np.arange(n)[:, None]
    rows = np.broadcast_to(own, cand.shape).ravel()
    cols = cand.ravel()
    sim: np.ndarray = np.full(cols.size, -np.inf, dtype=np.float32)
    valid = (cols >= 0) & (cols != rows)
    sim[valid] = blended_pairs(X, lexical, w, rows[valid], cols[valid])
    if timing is not None:
        from .timeline import pair_decay, scale

        times, grace, half_life = timing
        pairs = sim[valid]
        sim[valid] = scale(pairs, pair_decay(times, rows[valid], cols[valid], grace, half_life))
    sim = sim.reshape(cand.shape)
    # ties: the lower index, as the exact path's stable sort does
    k = min(n_neighbors, cand.shape[1])
    order = np.lexsort((cand, -sim), axis=1)[:, :k]
    best = np.take_along_axis(cand, order, axis=1)
    keep = np.take_along_axis(sim, order, axis=1) >= floor
    r = np.concatenate([np.arange(n), np.repeat(np.arange(n), k)[keep.ravel()]])
    c = np.concatenate([np.arange(n), best.ravel()[keep.ravel()]])
    return sparse.csr_matrix((np.ones(r.size, dtype=np.float32), (r, c)), shape=(n, n))


def sparse_shared_neighbours(members: sparse.csr_matrix) -> sparse.csr_matrix:
    """Jaccard overlap of neighbour sets, only for pairs that share a neighbour."""
    inter = (members @ members.T).tocoo()
    size = np.asarray(members.sum(axis=1)).ravel()
    union = size[inter.row] + size[inter.col] - inter.data
    return sparse.csr_matrix(
        (inter.data / np.maximum(union, 1.0), (inter.row, inter.col)), shape=inter.shape
    )


def sparse_average_linkage(similarity: sparse.spmatrix, threshold: float) -> np.ndarray:
    """Flat clusters (0..m-1) of average linkage on a symmetric sparse similarity, merging
    while the best pair's mean similarity is at least ``threshold`` (> 0)."""
    n = similarity.shape[0]
    upper = sparse.triu(similarity, k=1).tocoo()
    links: list[dict[int, float]] = [{} for _ in range(n)]
    for a, b, v in zip(upper.row.tolist(), upper.col.tolist(), upper.data.tolist(), strict=True):
        links[a][b] = links[b][a] = v
    size = [1] * n
    parent = list(range(n))
    heap = [(-v, a, b) for a, b, v in zip(upper.row.tolist(), upper.col.tolist(),
                                           upper.data.tolist(), strict=True) if v >= threshold]  # fmt: skip
    heapq.heapify(heap)
    while heap:
        neg, a, b = heapq.heappop(heap)
        if parent[a] != a or parent[b] != b or b not in links[a]:
            continue
        now = links[a][b] / (size[a] * size[b])
        if abs(now - (-neg)) > 1e-12:  # sizes or sums changed since it was queued
            if now >= threshold:
                heapq.heappush(heap, (-now, a, b))
            continue
        if len(links[a]) < len(links[b]):
            a, b = b, a  # fold the smaller neighbourhood into the larger
        parent[b] = a
        del links[a][b]
        folded, links[b] = links[b], {}
        size[a] += size[b]
        for c, v in folded.items():
            if c == a:
                continue
            del links[c][b]
            total = links[a].get(c, 0.0) + v
            links[a][c] = links[c][a] = total
            # pairs of `a` with its other neighbours only got smaller: their queued
            # entries are re-checked when popped
            mean = total / (size[a] * size[c])
            if mean >= threshold:
                heapq.heappush(heap, (-mean, min(a, c), max(a, c)))
    roots = np.array([_root(parent, i) for i in range(n)])
    _, labels = np.unique(roots, return_inverse=True)
    return labels


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i
