"""Incremental run vs full run (issue 3): add 50 posts to a store of 10,000.

Prints the wall time of a full run on 10,050 posts (fresh store: every segment embedded)
and of an incremental run that adds the last 50 posts to a store already holding the first
10,000, and their ratio (target <= 0.05). Writes bench/results-incremental.json.

    .venv/bin/python bench/incremental.py [--posts ../shared/data/liveblogs-bench-posts.jsonl]
        [--base 10000] [--add 50] [--reuse-full]

--reuse-full takes the full-run time from an earlier results file and its store's vectors
(bench/.cache), so the incremental side can be re-measured in minutes.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from pathlib import Path

from storythreads import Settings, read_posts
from storythreads.analysis.threading.segment import segment_posts
from storythreads.embeddings import CachedEmbedder, make_embedder
from storythreads.pipeline import update
from storythreads.store import Store

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results-incremental.json"


def remove_store(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def seed_vectors(source_store: Path, target_store: Path, posts, settings) -> int:
    """Copy the stored vectors of ``posts``' segments from one store into a fresh one, as a
    store that has been running for a while would hold them; returns how many were copied."""
    remove_store(target_store)
    shas = sorted({s.sha for s in segment_posts(posts, settings.segment)})
    with Store(target_store) as store:
        src = sqlite3.connect(source_store)
        rows = []
        for i in range(0, len(shas), 500):
            chunk = shas[i : i + 500]
            rows += src.execute(
                f"SELECT model, sha, dim, vector FROM vectors WHERE sha IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
        src.close()
        with store.transaction():
            store.db.executemany("INSERT INTO vectors VALUES (?,?,?,?)", rows)
    return len(rows)


def timed_update(store_path: Path, posts, settings) -> tuple[float, dict]:
    start = time.perf_counter()
    with Store(store_path) as store:
        store.lock(0)
        run = update(store, posts, settings, CachedEmbedder(make_embedder(settings.embedding)))
    return time.perf_counter() - start, run.counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = HERE.parent.parent / "shared" / "data" / "liveblogs-bench-posts.jsonl"
    parser.add_argument("--posts", type=Path, default=default)
    parser.add_argument("--base", type=int, default=10_000)
    parser.add_argument("--add", type=int, default=50)
    parser.add_argument("--reuse-full", action="store_true")
    args = parser.parse_args()

    settings = Settings()
    posts = list(read_posts([args.posts]).posts)[: args.base + args.add]
    base, added = posts[: args.base], posts[args.base :]
    CACHE.mkdir(exist_ok=True)
    full_store = CACHE / "full.sqlite"

    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if args.reuse_full and full_store.exists() and "full_s" in previous:
        full_s, full_counts = previous["full_s"], previous["full_counts"]
    else:
        remove_store(full_store)
        full_s, full_counts = timed_update(full_store, posts, settings)
        print(f"full run, {len(posts)} posts: {full_s:.1f} s {full_counts}")

    # The incremental store starts with the base posts' vectors already computed, as a
    # store that has been running for a while would: only the new posts get embedded.
    inc_store = CACHE / "incremental.sqlite"
    seed_vectors(full_store, inc_store, base, settings)
    warm_s, _ = timed_update(inc_store, base, settings)
    inc_s, inc_counts = timed_update(inc_store, added, settings)
    ratio = inc_s / full_s
    result = {
        "posts_full": len(posts),
        "full_s": round(full_s, 2),
        "full_counts": full_counts,
        "base_run_without_embedding_s": round(warm_s, 2),
        "incremental_added": len(added),
        "incremental_s": round(inc_s, 2),
        "incremental_counts": inc_counts,
        "ratio": round(ratio, 4),
        "target": 0.05,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'full run':<28}{full_s:>9.1f} s  ({len(posts)} posts)")
    print(f"{f'incremental run (+{len(added)})':<28}{inc_s:>9.1f} s")
    print(f"{'ratio (target <= 0.05)':<28}{ratio:>9.3f}")


if __name__ == "__main__":
    main()
