"""What the store's safety net costs a run: SQLite's quick_check at open, and the snapshot.

Builds a store of N posts (default 10,000 and 100,000) through the store's own writing
code (``Store.put_vectors``, ``Store.save_run``): the posts of the bench file (repeated
with new ids past its 20,000), their segments, a random 384-dim vector per segment, one
thread per 5 posts with a summary of 3 citations, a map position per post; no model is
loaded. Then times

* ``PRAGMA quick_check`` (what every ``Store`` open runs) with the store's pages evicted
  from the page cache first (``posix_fadvise``) and on the warm cache (as an hourly run
  finds it), and, for scale, the open itself;
* ``keep_snapshot`` (SQLite's online backup API into ``<store>.snapshots/``, what every
  run does before writing), and the snapshot's size on disk.

Prints a table and writes bench/results-snapshot.json. The stores are kept in bench/.cache
(``--reuse`` measures an existing one again; ``--store PATH`` measures any store).

    .venv/bin/python bench/snapshot_cost.py [--sizes 10000,100000] [--repeat 3] [--reuse]
        [--posts ../shared/data/liveblogs-bench-posts.jsonl] [--store PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from storythreads import Settings, read_posts
from storythreads.analysis.threading.identity import LineageEvent, format_thread_id
from storythreads.analysis.threading.segment import segment_posts
from storythreads.store import Store, keep_snapshot, list_snapshots
from storythreads.store.health import quick_check
from storythreads.store.snapshot_files import snapshot_dir
from storythreads.types import Assignment, Citation, Post, Run, Thread

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results-snapshot.json"
DIM = 384
POSTS_PER_THREAD = 5


def bench_posts(source: Path, n: int) -> list[Post]:
    """``n`` posts: the bench file's, repeated with new ids (r1-, r2- ...) and a mark on
    every line past its end."""
    if source.is_file():
        base = list(read_posts([source]).posts)
    else:  # no data set: plain made-up posts, the same size as live-blog posts
        start = datetime(2024, 1, 1, tzinfo=UTC)
        words = ["minister", "said", "the", "talks", "would", "resume", "on", "monday"]
        base = [
            Post(f"p{i}", "bench", None, start + timedelta(minutes=i), f"update {i}", None,
                 " ".join(words[(i + k) % len(words)] for k in range(120)))
            for i in range(20_000)
        ]  # fmt: skip
    posts = []
    for k in range(n // len(base) + 1):
        for p in base:  # repeats say something new in every line: a vector each, as new posts
            mark = f" [{k}]"
            body = p.body.replace("\n", f"{mark}\n") + mark
            posts.append(p if k == 0 else dataclasses.replace(p, id=f"r{k}-{p.id}", body=body))
    return posts[:n]


def synthetic_run(posts: list[Post], settings: Settings, rng) -> tuple[Run, list]:
    """A run over ``posts`` as update() would save it, with made-up threads and vectors."""
    segments = segment_posts(posts, settings.segment)
    threads, assignments, lineage = [], [], []
    for start in range(0, len(posts), POSTS_PER_THREAD):
        members = posts[start : start + POSTS_PER_THREAD]
        tid = format_thread_id(len(threads) + 1)
        cites = tuple(Citation(p.body[:200], p.id, p.published, p.byline, 0.5) for p in members[:3])
        times = [p.published for p in members if p.published]
        threads.append(
            Thread(
                id=tid,
                label=members[0].title[:60] or "untitled",
                keyphrases=("talks", "minister", "vote"),
                headline=members[0].title,
                post_ids=tuple(p.id for p in members),
                also_post_ids=(),
                first_seen=min(times) if times else None,
                last_seen=max(times) if times else None,
                summary=cites,
                centroid=rng.standard_normal(DIM).astype(np.float32),
            )
        )
        assignments += [Assignment(p.id, tid, "primary", 0.8) for p in members]
        lineage.append(LineageEvent(tid, "born"))
    now = datetime.now(UTC)
    run = Run(
        id="run-000001",
        started=now,
        finished=now,
        settings_digest=settings.digest(),
        model="bench-random",
        counts={"posts": len(posts), "segments": len(segments), "threads": len(threads)},
        posts=tuple(posts),
        threads=tuple(threads),
        assignments=tuple(assignments),
        links=(),
        segments=tuple(segments),
        lineage=tuple(lineage),
        next_thread_number=len(threads) + 1,
        layout=tuple((p.id, float(x), float(y)) for p, (x, y) in zip(
            posts, rng.standard_normal((len(posts), 2)), strict=True)),
    )  # fmt: skip
    return run, segments


def build_store(path: Path, posts: list[Post]) -> float:
    """Write the store through Store.put_vectors and Store.save_run; seconds taken."""
    remove_store(path)
    settings, rng = Settings(), np.random.default_rng(0)
    started = time.perf_counter()
    run, segments = synthetic_run(posts, settings, rng)
    with Store(path) as store:
        store.lock(0)
        shas = sorted({s.sha for s in segments})
        for i in range(0, len(shas), 5000):
            chunk = shas[i : i + 5000]
            vectors = rng.standard_normal((len(chunk), DIM)).astype(np.float32)
            store.put_vectors("bench-random", dict(zip(chunk, vectors, strict=True)))
        store.save_run(run, run.lineage, run.next_thread_number)
    return time.perf_counter() - started


def remove_store(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(snapshot_dir(path), ignore_errors=True)


def measure(path: Path, repeat: int) -> dict:
    """quick_check (page cache cold and warm), open and snapshot times (median of
    ``repeat``), sizes on disk."""
    with Store(path, check=False) as store:
        counts = {
            name: store.db.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
            for name in ("posts", "segments", "vectors", "threads")
        }
        cold, checks = [], []
        for _ in range(repeat):
            evict(path)  # as after a night in which other work filled the memory
            t = time.perf_counter()
            assert quick_check(store.db) is None
            cold.append(time.perf_counter() - t)
        for _ in range(repeat):  # as the previous hourly run left the cache
            t = time.perf_counter()
            assert quick_check(store.db) is None
            checks.append(time.perf_counter() - t)
    opens, unchecked = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        Store(path).close()
        opens.append(time.perf_counter() - t)
        t = time.perf_counter()
        Store(path, check=False).close()
        unchecked.append(time.perf_counter() - t)
    shutil.rmtree(snapshot_dir(path), ignore_errors=True)
    snaps = []
    with Store(path) as store:
        store.lock(0)
        for _ in range(repeat):
            t = time.perf_counter()
            made = keep_snapshot(store, keep=3)
            snaps.append(time.perf_counter() - t)
    snapshot = list_snapshots(path)[0]
    assert snapshot.path == made
    return {
        "store": str(path.relative_to(HERE.parent) if path.is_relative_to(HERE.parent) else path),
        "counts": counts,
        "store_bytes": path.stat().st_size,
        "quick_check_s": round(statistics.median(checks), 4),
        "quick_check_runs_s": [round(s, 4) for s in checks],
        "quick_check_cold_s": round(statistics.median(cold), 4),
        "quick_check_cold_runs_s": [round(s, 4) for s in cold],
        "open_with_check_s": round(statistics.median(opens), 4),
        "open_without_check_s": round(statistics.median(unchecked), 4),
        "snapshot_s": round(statistics.median(snaps), 4),
        "snapshot_runs_s": [round(s, 4) for s in snaps],
        "snapshot_bytes": snapshot.size,
        "snapshots_kept": len(list_snapshots(path)),
    }


def evict(path: Path) -> None:
    """Drop the file's pages from the page cache (posix_fadvise; no root needed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = HERE.parent.parent / "shared" / "data" / "liveblogs-bench-posts.jsonl"
    parser.add_argument("--posts", type=Path, default=default)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="measure stores already built")
    parser.add_argument("--store", type=Path, default=None, help="measure this store only")
    args = parser.parse_args()

    results = {}
    if args.store:  # added to the sizes measured before, under the store's file name
        if RESULTS.exists():
            results = json.loads(RESULTS.read_text()).get("sizes", {})
        results[args.store.name] = measure(args.store, args.repeat)
    else:
        CACHE.mkdir(exist_ok=True)
        for n in (int(s) for s in args.sizes.split(",")):
            path = CACHE / f"snapshot-{n}.sqlite"
            built = None
            if not (args.reuse and path.exists()):
                built = build_store(path, bench_posts(args.posts, n))
                print(f"built {path} ({n} posts) in {built:.1f} s", flush=True)
            results[str(n)] = {**measure(path, args.repeat), "build_s": built}
    for name, r in results.items():
        print(
            f"{name:>7} posts: store {mb(r['store_bytes'])}; quick_check {r['quick_check_s']:.3f} s "
            f"(cold cache {r['quick_check_cold_s']:.3f} s) "
            f"(open {r['open_without_check_s']:.3f} s without, {r['open_with_check_s']:.3f} s "
            f"with it); snapshot {r['snapshot_s']:.3f} s, {mb(r['snapshot_bytes'])} on disk"
        )
    out = {
        "measured": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "note": "median of --repeat; warm page cache but quick_check_cold_s (the store's "
        "pages evicted with posix_fadvise first); stores built by bench/snapshot_cost.py",
        "sizes": results,
    }
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
