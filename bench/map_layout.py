"""Time the report map's projection (storythreads.analysis.describe.layout.project) by size.

    .venv/bin/python bench/map_layout.py [N ...]      # default: 1000 5000 10000 20000

Vectors are synthetic: unit-length 384-d points around n/50 centres (a story a centre), so
the timing is UMAP's, not the embedding model's. Prints one line per size and the one-off
cost of importing umap-learn and loading its cached numba kernels. Run it twice: the first
run on a machine also compiles the kernels (they are cached on disk afterwards).
"""

from __future__ import annotations

import sys
import time

import numpy as np


def synthetic(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = max(n // 50, 2)
    X = rng.normal(size=(k, dim))[rng.integers(0, k, n)] + 0.7 * rng.normal(size=(n, dim))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


def main(sizes: list[int]) -> None:
    start = time.perf_counter()
    from storythreads.analysis.describe.layout import enable_numba_cache, project

    enable_numba_cache()
    print(f"import umap-learn + load cached kernels: {time.perf_counter() - start:.1f} s")
    print(f"{'posts':>8}  {'seconds':>8}")
    for n in sizes:
        X = synthetic(n)
        start = time.perf_counter()
        project(X)
        print(f"{n:>8}  {time.perf_counter() - start:>8.1f}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 5000, 10000, 20000])
