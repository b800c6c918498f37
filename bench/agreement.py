"""Does the large-input path thread like the exact one? (issue 7; run by bench/scale.py)

On posts whose vectors a store already holds (no embedding): the exact blockwise neighbour
sets vs ``analysis.neighbours.approximate_neighbours`` (recall), and the partitions they
give (adjusted Rand index). The sparse linkage is compared apart: it gives scipy's
clusters except where equal shared-neighbour scores are merged in another order.

    .venv/bin/python bench/agreement.py POSTS.jsonl STORE.sqlite
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from storythreads import Settings, read_posts
from storythreads.analysis.threading import cluster as cl
from storythreads.analysis.threading import neighbours as nb
from storythreads.analysis.threading.segment import segment_posts
from storythreads.analysis.threading.similarity import lexical_vectors, post_vectors
from storythreads.embeddings import CachedEmbedder, SentenceTransformerEmbedder
from storythreads.store import Store
from storythreads.types import unique_posts


def agreement(posts_file: Path, store_path: Path) -> dict:
    """Exact vs approximate large path on the posts of ``posts_file`` (vectors from a store
    that holds them, e.g. bench/scale.py's 10k run):
    neighbour recall, and the partitions' ARI (sparse linkage counted apart: it breaks
    ties in another order than scipy's dense linkage)."""
    import numpy as np
    from scipy.sparse.csgraph import connected_components
    from sklearn.metrics import adjusted_rand_score

    settings = Settings()
    cs = settings.cluster
    posts = unique_posts(read_posts([posts_file], format="jsonl").posts)
    segments = segment_posts(posts, settings.segment)
    with Store(store_path) as store:
        cached = CachedEmbedder(SentenceTransformerEmbedder(settings.embedding), store)
        vectors = cached.embed([s.text for s in segments])
    rows = defaultdict(list)
    for r, seg in enumerate(segments):
        rows[seg.post_id].append((seg.kind, r))
    threaded = [p for p in posts if rows[p.id]]
    X = post_vectors(threaded, rows, vectors, cs)
    L = lexical_vectors([f"{p.title}\n{p.body}" for p in threaded])
    clusterer = cl.ThreadClusterer(cs.threshold, cs.floor, cs.n_neighbors, cs.lexical_weight)
    timings = {}
    start = time.perf_counter()
    exact = clusterer._neighbours(X, L)
    timings["exact_neighbours_s"] = time.perf_counter() - start
    start = time.perf_counter()
    approx = nb.approximate_neighbours(X, L, cs.n_neighbors, cs.floor, cs.lexical_weight)
    timings["approx_neighbours_s"] = time.perf_counter() - start

    def dense(members):  # the former large path: dense linkage per connected part
        _, part = connected_components(members @ members.T, directed=False)
        labels = np.empty(len(part), dtype=np.int64)
        for p in np.unique(part):
            idx = np.flatnonzero(part == p)
            sub = cl.shared_neighbour_similarity(members[idx])
            labels[idx] = cl._average_linkage(sub, cs.threshold) + 10 * len(part) * p
        return labels

    def sparse_linkage(members):
        return nb.sparse_average_linkage(nb.sparse_shared_neighbours(members), cs.threshold)

    exact_dense, exact_sparse = dense(exact), sparse_linkage(exact)
    approx_sparse = sparse_linkage(approx)
    ari = adjusted_rand_score
    return {
        "posts": len(threaded),
        "neighbour_recall": round(float(approx.multiply(exact).sum() / exact.sum()), 4),
        "ari_approx_vs_exact_same_linkage": round(ari(exact_sparse, approx_sparse), 4),
        "ari_sparse_vs_dense_linkage_exact_neighbours": round(ari(exact_dense, exact_sparse), 4),
        "ari_new_vs_former_large_path": round(ari(exact_dense, approx_sparse), 4),
        "threads_former": len(set(exact_dense.tolist())),
        "threads_new": len(set(approx_sparse.tolist())),
        **{k: round(v, 1) for k, v in timings.items()},
    }


if __name__ == "__main__":
    print(json.dumps(agreement(Path(sys.argv[1]), Path(sys.argv[2])), indent=2))
