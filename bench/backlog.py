"""A backlog in one command (issue 34): a first run over an archive, whole or window by
window, side by side.

The archives are the growth bench's posts (bench/growth.py: the dated bench posts copied
with new ids): the first 20,000 and all 103,803. Each is run into a fresh store twice with
``storythreads run``: whole (``[store] backlog_window_posts`` above the archive's size: the
one-run path of before) and window by window (the default window, 20,000 posts). Both
stores get every paragraph's vector beforehand (copied from the growth bench's 100k
store, which must exist: ``make bench-growth GROWTH_ARGS="--sizes 100k --first-only"``),
so the rows compare threading, not the embedding both paths share. Printed and written to
bench/results-backlog.json: wall time, peak RSS of the process and of its tree, posts per
second, and how far the two paths' threads agree (BCubed F1 of one partition against the
other, and the share of posts whose thread is the same set of posts in both).

    .venv/bin/python bench/backlog.py [--sizes 20k,100k]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]
from growth import WORK, store_posts  # noqa: E402
from measure import measured  # noqa: E402

from storythreads.analysis.evaluate.threads import bcubed  # noqa: E402
from storythreads.store import Store  # noqa: E402

RESULTS = HERE / "results-backlog.json"
SIZES = {"20k": 20_000, "100k": None}
VECTORS = WORK / "store-100k.sqlite"


def archive(size: str) -> Path:
    path = WORK / f"backlog-{size}.jsonl"
    if not path.exists():
        lines = store_posts("100k").read_text().splitlines(keepends=True)
        path.write_text("".join(lines[: SIZES[size] or len(lines)]))
    return path


def fresh_store(path: Path) -> None:
    """A new store holding the vectors of the growth bench's 100k store, nothing else."""
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    Store(path).close()
    db = sqlite3.connect(path)
    with db:
        db.execute("ATTACH ? AS src", (str(VECTORS),))
        db.execute("INSERT INTO vectors SELECT * FROM src.vectors")
    db.close()


def threads_of(path: Path) -> dict[str, str]:
    db = sqlite3.connect(path)
    rows = db.execute("SELECT post_id, thread_id FROM assignments WHERE role = 'primary'")
    out = dict(rows.fetchall())
    db.close()
    return out


def first_run(size: str, how: str) -> tuple[dict, dict[str, str]]:
    store, out = WORK / f"backlog-{size}-{how}.sqlite", WORK / f"backlog-{size}-{how}"
    fresh_store(store)
    config = WORK / f"backlog-{how}.toml"
    window = 10_000_000 if how == "whole" else 20_000
    config.write_text(f"[store]\nbacklog_window_posts = {window}\n")
    cmd = [str(Path(sys.executable).with_name("storythreads")), "run", str(archive(size)),
           "--store", str(store), "--out", str(out), "--config", str(config),
           "--profile"]  # fmt: skip
    r = measured(cmd, f"backlog-{size}-{how}", WORK)
    posts = sum(1 for _ in archive(size).open())
    row = {"posts": posts, "wall_s": r["wall_s"], "peak_mb": r["peak_mb"],
           "tree_peak_mb": r["tree_peak_mb"], "posts_per_s": round(posts / r["wall_s"], 1),
           "summary": r["out"].strip().split("; wrote")[0],
           "stages": r["err"].strip().splitlines()[-14:]}  # fmt: skip
    return row, threads_of(store)


def agreement(a: dict[str, str], b: dict[str, str]) -> dict:
    ids = sorted(a)
    _, _, f1 = bcubed([a[i] for i in ids], [b[i] for i in ids])
    members_a: dict[str, set] = {}
    members_b: dict[str, set] = {}
    for i in ids:
        members_a.setdefault(a[i], set()).add(i)
        members_b.setdefault(b[i], set()).add(i)
    same = sum(members_a[a[i]] == members_b[b[i]] for i in ids)
    return {"bcubed_f1": round(f1, 4), "same_thread_share": round(same / len(ids), 4),
            "threads_whole": len(members_a), "threads_windowed": len(members_b)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20k,100k")
    args = parser.parse_args()
    if not VECTORS.exists():
        sys.exit(f"needs {VECTORS}: make bench-growth GROWTH_ARGS='--sizes 100k --first-only'")
    res = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for size in [s for s in args.sizes.split(",") if s]:
        whole, threads_whole = first_run(size, "whole")
        windowed, threads_windowed = first_run(size, "windowed")
        res[size] = {"whole": whole, "windowed": windowed,
                     "agreement": agreement(threads_whole, threads_windowed)}  # fmt: skip
        RESULTS.write_text(json.dumps(res, indent=2) + "\n")
        print(json.dumps({size: res[size]}, indent=2))


if __name__ == "__main__":
    main()
