"""The large-input path: approximate neighbours and average linkage on a sparse graph."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from storythreads.analysis.threading import cluster, neighbours
from storythreads.analysis.threading.cluster import (
    ThreadClusterer,
    average_linkage,
    canonical_labels,
    neighbour_sets,
)
from storythreads.analysis.threading.neighbours import (
    approximate_neighbours,
    lexical_candidates,
    sparse_average_linkage,
    sparse_shared_neighbours,
    top_others,
)
from storythreads.analysis.threading.similarity import blended_similarity, lexical_vectors


def partition(labels) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), set()).add(i)
    return {frozenset(g) for g in groups.values()}


def blobs(n_groups: int, per_group: int, dim: int = 32, noise: float = 0.05, seed: int = 0):
    """Unit vectors around random unit centres, rows shuffled."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_groups, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    X = np.repeat(centres, per_group, axis=0) + noise * rng.normal(size=(n_groups * per_group, dim))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.repeat(np.arange(n_groups), per_group)
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order]


@pytest.mark.parametrize("seed", range(6))
def test_sparse_linkage_gives_the_dense_linkage_clusters(seed):
    """Without ties, best-pair-first merging on the sparse graph is scipy's average linkage."""
    rng = np.random.default_rng(seed)
    n = 80
    S = sparse.random(n, n, density=0.15, random_state=seed, data_rvs=rng.random).toarray()
    S = np.triu(S, 1)
    S = S + S.T
    dense = canonical_labels(average_linkage(S.copy(), 0.1))
    fast = canonical_labels(sparse_average_linkage(sparse.csr_matrix(S), 0.1))
    assert np.array_equal(dense, fast)
    assert 1 < dense.max() + 1 < n  # some merges, not all


def test_sparse_shared_neighbours_is_the_dense_jaccard_where_nonzero():
    X, _ = blobs(3, 20, noise=0.2, seed=4)
    members = neighbour_sets(blended_similarity(X, None, 0.0), 5, 0.3)
    dense = cluster.shared_neighbour_similarity(members)
    fast = sparse_shared_neighbours(members).toarray()
    assert np.allclose(fast, dense, atol=1e-6)


def _texts(y, rng):
    vocab = [f"w{i}" for i in range(400)]
    return [
        f"event{label} place{label} " + " ".join(rng.choice(vocab, 12)) for label in y
    ]  # a rare pair of words per group, and noise


def test_approximate_neighbours_are_the_exact_ones_on_clustered_data():
    X, y = blobs(30, 20, dim=48, noise=0.4, seed=5)
    L = lexical_vectors(_texts(y, np.random.default_rng(5)))
    exact = neighbour_sets(blended_similarity(X, L, 0.5), 5, 0.3)
    approx = approximate_neighbours(X, L, 5, 0.3, 0.5)
    recall = approx.multiply(exact).sum() / exact.sum()
    assert recall >= 0.99
    assert approx.sum() <= exact.sum()  # never more than self + 5 per row


def test_lexical_candidates_find_items_sharing_rare_words():
    texts = ["alpha beta gamma", "alpha beta delta", "zeta eta theta", "zeta eta iota"]
    found = lexical_candidates(lexical_vectors(texts), 2)
    assert set(found[0]) == {0, 1} and set(found[2]) == {2, 3}


def test_large_path_with_sparse_linkage_recovers_the_groups(monkeypatch):
    """Connected parts above DENSE_PART_MAX go through the sparse linkage; same groups."""
    X, y = blobs(6, 40, noise=0.1, seed=7)
    exact = ThreadClusterer(n_neighbors=15).fit_predict(X)
    monkeypatch.setattr(cluster, "DENSE_PART_MAX", 10)
    monkeypatch.setattr(cluster, "APPROX_MIN", 100)
    large = ThreadClusterer(n_neighbors=15, large_n=50).fit_predict(X)
    assert partition(exact) == partition(y)
    assert partition(large) == partition(exact)


def test_large_path_is_deterministic(monkeypatch):
    monkeypatch.setattr(cluster, "APPROX_MIN", 100)  # the approximate neighbours
    X, y = blobs(40, 30, dim=48, noise=0.5, seed=8)
    L = lexical_vectors(_texts(y, np.random.default_rng(8)))
    first = ThreadClusterer(large_n=100).fit_predict(X, L)
    second = ThreadClusterer(large_n=100).fit_predict(X, L)
    assert np.array_equal(first, second)


def test_large_path_uses_the_index_above_approx_min(monkeypatch):
    calls = []
    real = cluster.approximate_neighbours

    def spy(*args):
        calls.append(args[0].shape[0])
        return real(*args)

    monkeypatch.setattr(cluster, "approximate_neighbours", spy)
    X, _ = blobs(4, 40, noise=0.1, seed=9)
    exact = ThreadClusterer(large_n=50).fit_predict(X)
    assert calls == []
    monkeypatch.setattr(cluster, "APPROX_MIN", 100)
    approx = ThreadClusterer(large_n=50).fit_predict(X)
    assert calls == [160]
    assert partition(approx) == partition(exact)


@pytest.mark.parametrize("k", [1, 3])
def test_top_others_from_the_index_equal_the_exact_blocks(monkeypatch, k):
    """`also` candidates above DENSE_PAIRS_MAX come from an HNSW index of the centroids; on
    60 centroids it must find what the exact product finds: the k best other threads in
    order, their scores, and the own score."""
    rng = np.random.default_rng(5)
    centroids = rng.normal(size=(60, 32)).astype(np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    own = rng.integers(0, 60, size=3000)
    X = centroids[own] + 0.6 * rng.normal(size=(3000, 32)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    rows = np.arange(3000)[::-1]  # queries are rows of X, in any order
    exact = top_others(X, rows, own[rows], centroids, k, block=512)
    brute = X[rows] @ centroids.T
    assert np.allclose(exact[2], brute[np.arange(3000), own[rows]], atol=1e-5)
    brute[np.arange(3000), own[rows]] = -np.inf
    assert np.array_equal(exact[0], np.argsort(-brute, axis=1, kind="stable")[:, :k])
    assert np.allclose(exact[1], -np.sort(-brute, axis=1)[:, :k], atol=1e-5)
    assert not np.any(exact[0] == own[rows][:, None])
    monkeypatch.setattr(neighbours, "DENSE_PAIRS_MAX", 0)
    approx = top_others(X, rows, own[rows], centroids, k, block=512)
    assert np.array_equal(approx[0], exact[0])
    assert np.allclose(approx[1], exact[1], atol=1e-5)
    assert np.allclose(approx[2], exact[2], atol=1e-5)
