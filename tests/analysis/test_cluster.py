"""ThreadClusterer: recovers well-separated groups, is order-free, and checks its params."""

from __future__ import annotations

import numpy as np
import pytest

from storythreads.analysis.threading.cluster import ThreadClusterer
from storythreads.analysis.threading.similarity import lexical_vectors


def partition(labels) -> set[frozenset[int]]:
    """The groups as sets of row indices: equal partitions compare equal whatever the labels."""
    groups: dict[int, set[int]] = {}
    for row, label in enumerate(labels):
        groups.setdefault(int(label), set()).add(row)
    return {frozenset(g) for g in groups.values()}


def blobs(n_groups: int, per_group: int, dim: int = 32, noise: float = 0.05, seed: int = 0):
    """Unit vectors around random unit centres, rows shuffled; the last axis is left empty."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_groups, dim))
    centres[:, -1] = 0.0
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    X = np.repeat(centres, per_group, axis=0) + noise * rng.normal(size=(n_groups * per_group, dim))
    X[:, -1] = 0.0
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.repeat(np.arange(n_groups), per_group)
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order]


def test_recovers_well_separated_groups():
    X, y = blobs(4, 10)
    model = ThreadClusterer(lexical_weight=0.0).fit(X)
    assert partition(model.labels_) == partition(y)
    assert model.n_threads_ == 4


def test_fit_returns_self_and_fit_predict_matches():
    X, _ = blobs(3, 8)
    model = ThreadClusterer()
    assert model.fit(X) is model
    assert np.array_equal(ThreadClusterer().fit_predict(X), model.labels_)


def test_labels_are_canonical():
    X, _ = blobs(4, 10, seed=3)
    labels = ThreadClusterer().fit_predict(X)
    assert labels[0] == 0
    first_seen = list(dict.fromkeys(labels.tolist()))
    assert first_seen == list(range(len(first_seen)))  # numbered by first appearance


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_inputs(n):
    X, _ = blobs(1, max(n, 1))
    model = ThreadClusterer().fit(X[:n])
    assert model.labels_.shape == (n,)
    assert model.n_threads_ == (1 if n else 0)  # two near-identical rows form one thread


def test_far_point_stays_a_singleton():
    X, y = blobs(3, 8)
    far = np.zeros((1, X.shape[1]), dtype=np.float32)
    far[0, -1] = 1.0  # orthogonal to every other row
    labels = ThreadClusterer().fit_predict(np.vstack([X, far]))
    assert partition(labels) == partition(y) | {frozenset({len(y)})}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": -0.1}, "threshold"),
        ({"floor": -2.0}, "floor"),
        ({"floor": 1.01}, "floor"),
        ({"lexical_weight": 1.2}, "lexical_weight"),
        ({"n_neighbors": 0}, "n_neighbors"),
    ],
)
def test_invalid_parameters_raise_value_error_naming_them(params, name):
    X, _ = blobs(2, 3)
    with pytest.raises(ValueError, match=rf"^{name} \("):
        ThreadClusterer(**params).fit(X)


def test_invalid_inputs_raise_value_error():
    with pytest.raises(ValueError, match="2-D"):
        ThreadClusterer().fit(np.ones(5, dtype=np.float32))
    X, _ = blobs(2, 3)
    with pytest.raises(ValueError, match="lexical has 2 rows"):
        ThreadClusterer().fit(X, lexical_vectors(["alpha beta", "gamma delta"]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shuffling_rows_gives_the_same_partition(seed):
    X, y = blobs(4, 10, seed=seed)
    labels = ThreadClusterer().fit_predict(X)
    order = np.random.default_rng(100 + seed).permutation(len(y))
    shuffled = ThreadClusterer().fit_predict(X[order])
    unshuffled = np.empty_like(shuffled)
    unshuffled[order] = shuffled
    assert partition(unshuffled) == partition(labels)


def test_large_n_path_matches_exact_path():
    """Blockwise neighbours + per-component clustering give the exact path's partition."""
    X, y = blobs(5, 40, noise=0.1)
    far = np.zeros((1, X.shape[1]), dtype=np.float32)
    far[0, -1] = 1.0
    X = np.vstack([X, far])
    exact = ThreadClusterer(n_neighbors=15).fit_predict(X)
    large = ThreadClusterer(n_neighbors=15, large_n=50).fit_predict(X)
    assert partition(exact) == partition(y) | {frozenset({len(y)})}
    assert partition(large) == partition(exact)
    assert large[0] == 0


def test_large_n_path_matches_exact_path_with_lexical_part():
    X, y = blobs(4, 30, noise=0.3, seed=3)
    texts = [f"story{label} word{label} common" for label in y]
    L = lexical_vectors(texts)
    exact = ThreadClusterer(lexical_weight=0.5).fit_predict(X, L)
    large = ThreadClusterer(lexical_weight=0.5, large_n=50).fit_predict(X, L)
    assert partition(large) == partition(exact)


GROUP_A = [
    "cluster munitions shipment Ukraine Pentagon Biden artillery shells",
    "Pentagon confirms cluster munitions shipment Biden artillery",
    "Biden defends cluster munitions artillery shipment Pentagon Ukraine",
    "artillery shells cluster munitions Pentagon shipment",
    "Ukraine welcomes cluster munitions shipment Biden Pentagon",
    "cluster munitions Biden artillery shipment",
]
GROUP_B = [
    "earthquake Anatolia rescuers rubble aftershock survivors",
    "rescuers search rubble after Anatolia earthquake aftershock",
    "aftershock hampers rescuers earthquake rubble survivors Anatolia",
    "survivors pulled rubble earthquake rescuers",
    "Anatolia earthquake aftershock survivors rescuers",
    "earthquake rubble rescuers survivors aftershock",
]


def test_lexical_weight_separates_semantically_identical_groups():
    texts = [
        t for pair in zip(GROUP_A, GROUP_B, strict=True) for t in pair
    ]  # interleaved A, B, A, B ...
    truth = [0, 1] * len(GROUP_A)
    X = np.tile(np.eye(1, 16, dtype=np.float32), (len(texts), 1))  # every row the same vector
    lexical = lexical_vectors(texts)
    assert lexical.shape[0] == len(texts)
    assert (lexical[0::2] @ lexical[1::2].T).nnz == 0  # disjoint vocabularies
    blended = ThreadClusterer(lexical_weight=0.5).fit_predict(X, lexical)
    assert partition(blended) == partition(truth)
    # semantics alone cannot tell them apart
    assert ThreadClusterer(lexical_weight=0.0).fit(X, lexical).n_threads_ == 1


def test_lexical_vectors_of_empty_texts_are_zero_rows():
    lexical = lexical_vectors(["", "   ", "the said saturday"])
    assert lexical.shape[0] == 3
    assert lexical.nnz == 0
