"""The report's map: a 2-D projection of the post vectors (UMAP, cosine metric).

``project`` turns the pipeline's post vectors into one (x, y) per post, scaled into
[-1, 1] and rounded to 4 decimals, so the same vectors in the same order always give the
same bytes in report.html. The caller passes the posts in a canonical order (the pipeline
uses (time, id)); UMAP runs single-threaded with a fixed ``random_state``.

Fewer than ``MIN_UMAP`` posts get PCA instead: UMAP needs a neighbourhood graph, and with a
handful of points it is all noise. ``method="pca"`` asks for PCA at any size (no numba).
UMAP gets exact cosine neighbours from ``exact_knn`` (blocked matrix products) at every
size, and 200 epochs from 4,096 posts on. Above 4,096 rows that replaces a pynndescent
index: pynndescent builds its search kernels per call, so they compile in every process
(~25 s on 2 cores), which costs more than exact neighbours up to about 20,000 posts
(measured, fresh processes, 2 busy cores: 20,000 posts 37 s with exact neighbours, 21,000
posts 83 s with pynndescent). Below, it replaces UMAP's own all-pairs distances, which go
through sklearn with the numba metric called from Python once per pair (3,000 posts: 9.8 s
against 2.5 s).

Above ``UMAP_MAX`` posts, UMAP lays out an evenly spaced sample of ``UMAP_MAX`` of them (in
the caller's canonical order, so the sample is deterministic) and every other post goes
near its most similar sampled posts, as in ``place_new``. That keeps time and memory
linear in the posts: at 100,000 posts UMAP over all of them took 171 s and most of a
2.5 GB peak, and a map of 100,000 dots shows nothing 20,000 do not.

Cost. umap-learn compiles its numba kernels on first use; some (``smooth_knn_dist``,
``compute_membership_strengths``) are
declared without ``cache=True`` and cost ~30-50 s to compile in *every* process.
``enable_numba_cache`` turns on numba's own on-disk cache for them, so only the first process on a
machine pays it and later ones load the machine code (numba writes next to umap's sources
when that is writable, else to ``NUMBA_CACHE_DIR`` or the user's cache directory; with none
writable it compiles as before). What stays is importing umap-learn (~3-4 s on 2 busy
cores) once per process.

``place_new`` is the cheap path for attach-mode runs: posts already on the map keep their
place, a new post goes to the similarity-weighted mean of its nearest placed posts (how
UMAP's own ``transform`` initialises new points). ``--rethread`` recomputes the whole map.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..threading.neighbours import block_rows

if TYPE_CHECKING:
    from ...config import ReportSettings
    from ...types import Post

MIN_UMAP = 5  # below this many posts: PCA
N_NEIGHBORS = 15
DECIMALS = 4
UMAP_MAX = 20_000  # above: UMAP over a sample of this many posts, the rest placed near them
_CACHED = ("umap.", "pynndescent.")  # modules whose numba kernels get the on-disk cache


def _scaled(xy: np.ndarray) -> np.ndarray:
    """Centre on the mean, scale into [-1, 1], fix signs (first point in x, y >= 0), round."""
    xy = np.asarray(xy, dtype=np.float64)
    xy = xy - xy.mean(0)
    xy *= np.where(xy[0] < 0, -1.0, 1.0)
    scale = float(np.abs(xy).max())
    if scale > 0:
        xy /= scale
    return np.round(xy, DECIMALS) + 0.0  # + 0.0: no "-0.0" in the JSON


def _pca(vectors: np.ndarray) -> np.ndarray:
    from sklearn.decomposition import PCA

    n = len(vectors)
    if n < 2:
        return np.zeros((n, 2))
    k = min(2, n, vectors.shape[1])
    xy = PCA(n_components=k, svd_solver="full").fit_transform(vectors.astype(np.float64))
    return np.hstack([xy, np.zeros((n, 2 - k))])


@lru_cache(maxsize=1)
def enable_numba_cache() -> int:
    """Enable numba's on-disk cache on umap's (and pynndescent's) uncached kernels."""
    import sys

    import umap  # noqa: F401  (loads umap.* and pynndescent.*)
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    enabled = 0
    modules = [m for name, m in sorted(sys.modules.items()) if name.startswith(_CACHED)]
    for module in modules:
        for obj in vars(module).values():
            # numba sets _cache in Dispatcher.__init__; its type hints do not declare it
            if isinstance(obj, CPUDispatcher) and isinstance(obj._cache, NullCache):  # type: ignore[attr-defined]  # numba: untyped
                try:
                    obj.enable_caching()
                    enabled += 1
                except RuntimeError:  # no writable cache location: compile as before
                    return enabled
    return enabled


def exact_knn(
    vectors: np.ndarray, k: int, block: int | None = None
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Each row's ``k`` nearest rows by cosine distance (itself first), a block at a time.

    Rows are unit-length. Quadratic time, memory ``block`` x n: see the module docstring
    for where it is used instead of pynndescent.
    """
    n = len(vectors)
    block = block or block_rows(n)
    idx = np.zeros((n, k), dtype=np.int64)
    dist = np.zeros((n, k), dtype=np.float32)
    for start in range(0, n, block):
        sims = vectors[start : start + block] @ vectors.T
        rows = np.arange(len(sims))
        sims[rows, start + rows] = np.inf  # each row is its own nearest neighbour
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, part, axis=1), axis=1, kind="stable")
        near = np.take_along_axis(part, order, axis=1)
        idx[start : start + block] = near
        d = 1.0 - np.take_along_axis(sims, near, axis=1)
        d[:, 0] = 0.0
        dist[start : start + block] = np.clip(d, 0.0, 2.0)
    return idx, dist


def _umap(vectors: np.ndarray, seed: int) -> np.ndarray:
    import umap

    enable_numba_cache()
    n = len(vectors)
    vectors = vectors.astype(np.float32)
    k = min(N_NEIGHBORS, n - 1)
    # hand UMAP the exact neighbours at every size (project never passes more than UMAP_MAX
    # rows): below 4,096 rows it would otherwise compute every distance through sklearn's
    # pairwise_distances with its numba metric as a Python callable, one call per pair
    # (2.9 s for 1,000 posts, 9.8 s for 3,000; 0.8 s and 2.5 s this way, the same neighbours)
    knn = exact_knn(vectors, k)
    model = umap.UMAP(
        precomputed_knn=knn,
        n_components=2,
        n_neighbors=k,
        metric="cosine",
        # the layout's epochs are most of the cost; UMAP's own default is 500 below 10,000
        # rows and 200 above: 200 from 4,096 up keeps large maps to seconds, not minutes
        n_epochs=200 if n >= 4096 else None,
        # spectral init needs a well-connected graph; small maps start from PCA instead
        init="spectral" if n >= 50 else "pca",
        random_state=seed,
        n_jobs=1,
        low_memory=True,
        verbose=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_jobs overridden by random_state; graph notices
        return cast("np.ndarray", model.fit_transform(vectors))


def project(vectors: ArrayLike, seed: int = 42, method: str = "umap") -> np.ndarray:
    """One (x, y) per row of ``vectors``: UMAP (cosine) to 2-D, or PCA for tiny inputs.

    Deterministic for a given ``seed`` and row order; scaled into [-1, 1], 4 decimals.
    """
    vectors = np.asarray(vectors)
    n = len(vectors)
    if n == 0:
        return np.zeros((0, 2))
    if method not in ("umap", "pca"):
        raise ValueError(f"unknown projection {method!r}; use 'umap' or 'pca'")
    if method == "pca" or n < MIN_UMAP:
        return _scaled(_pca(vectors))
    try:
        if n <= UMAP_MAX:
            return _scaled(_umap(vectors, seed))
        sample = np.unique(np.linspace(0, n - 1, UMAP_MAX).round().astype(np.int64))
        xy = np.zeros((n, 2))
        xy[sample] = _scaled(_umap(vectors[sample], seed))
        return _near_placed(vectors, sample, xy)
    except (ImportError, RuntimeError, OSError) as exc:
        # umap-learn missing, or numba with no writable cache directory at all (umap's own
        # cache=True kernels then fail at import): a PCA map beats no report
        warnings.warn(
            f"report map: UMAP unavailable ({exc}); using PCA", RuntimeWarning, stacklevel=2
        )
        return _scaled(_pca(vectors))


def place_new(
    vectors: ArrayLike, placed: Mapping[int, tuple[float, float]], k: int = 5
) -> np.ndarray:
    """Positions for every row: rows in ``placed`` keep theirs, the rest go near their
    ``k`` most similar placed rows (weights: cosine similarity, clipped at 0).

    Rows are assumed unit-length (the pipeline's post vectors are). With nothing placed
    yet, falls back to ``project``.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    n = len(vectors)
    if not placed:
        return project(vectors)
    known = np.array(sorted(placed), dtype=np.int64)
    out = np.zeros((n, 2))
    out[known] = [placed[i] for i in known]
    return _near_placed(vectors, known, out, k)


def _near_placed(vectors: np.ndarray, known: np.ndarray, xy: np.ndarray, k: int = 5) -> np.ndarray:
    """``xy`` with every row not in ``known`` moved to the similarity-weighted mean of its
    ``k`` most similar ``known`` rows; rounded to ``DECIMALS``."""
    xy = xy.copy()
    known_vecs, known_xy = vectors[known], xy[known]
    kk = min(k, len(known))
    todo = np.setdiff1d(np.arange(len(vectors)), known)
    block = block_rows(len(known))
    for start in range(0, len(todo), block):  # a block of rows at a time: memory stays flat
        rows = todo[start : start + block]
        sims = vectors[rows] @ known_vecs.T
        # the k best columns, in no particular order: the weighted mean does not care
        near = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
        w = np.clip(np.take_along_axis(sims, near, axis=1), 0.0, None) + 1e-6
        xy[rows] = (w[:, :, None] * known_xy[near]).sum(1) / w.sum(1, keepdims=True)
    return np.round(xy, DECIMALS) + 0.0


def post_layout(
    posts: Sequence[Post],
    vectors: np.ndarray,
    report: ReportSettings,
    seed: int,
    placed: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[tuple[str, float, float], ...]:
    """The report map's (post_id, x, y) per post, only when report.html is written.

    ``report`` is the report settings (``map``, ``formats``). ``placed`` (attach mode, post
    id -> stored position): those posts stay, new posts go near their neighbours.
    """
    if report.map == "none" or "html" not in report.formats:
        return ()
    index = {p.id: i for i, p in enumerate(posts)}
    known = {index[pid]: xy for pid, xy in (placed or {}).items() if pid in index}
    xy = place_new(vectors, known) if known else project(vectors, seed, report.map)
    return tuple((p.id, float(x), float(y)) for p, (x, y) in zip(posts, xy, strict=True))
