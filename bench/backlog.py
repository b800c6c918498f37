"""A backlog in one command (issue 34): a first run over an archive, whole or window by
window, side by side, up to a million posts.

The archives are the growth bench's posts (bench/growth.py: the dated bench posts, July
2014 to March 2018, copied with new ids and dates 15 months apart): the first 20,000 and
all 103,803 (7 copies, up to 2025). The million is 68 copies with the same 15 months
between them, going back from the original (1928 to 2018: forward, they would pass today
and be taken for placeholder times), its first 1,000,000 posts; every run is told
``[limits] earliest_year = 1900``, which changes nothing for the others. Each is run into a fresh store with ``storythreads run``:
whole (``[store] backlog_window_posts`` above the archive's size: the one-run path of
before; not at 1M, which does not fit) and window by window (the default window, 20,000
posts; the archive is read as an ``Archive``, each window's posts from the file). Both
stores get every paragraph's vector beforehand (copied from the growth bench's 100k
store, which must exist: ``make bench-growth GROWTH_ARGS="--sizes 100k --first-only"``),
so the rows compare threading, not the embedding both paths share. Printed and written to
bench/results-backlog.json: wall time, peak RSS of the process and of its tree, posts per
second, and how far the two paths' threads agree (BCubed F1 of one partition against the
other, and the share of posts whose thread is the same set of posts in both).

``side_by_side`` sets the windowed rows of every size next to each other, with the
ratios the issue asks for: the 1M peak (process tree) against 2 GB and against the 20k
peak, and the time per post at 1M against that at 100k.

    .venv/bin/python bench/backlog.py [--sizes 20k,100k,1m] [--paths whole,windowed]

About 1 h 45 min from nothing on 2 cores (the 1M run is 1 h 20 min of it).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]
from growth import WORK, store_posts  # noqa: E402
from measure import measured  # noqa: E402

from storythreads.analysis.evaluate.threads import bcubed  # noqa: E402
from storythreads.store import Store  # noqa: E402

RESULTS = HERE / "results-backlog.json"
SIZES = {"20k": 20_000, "100k": None, "1m": 1_000_000}
COPIES_1M, STEP_MONTHS = 68, 15


def months_earlier(when: str, months: int) -> str:
    t = datetime.fromisoformat(when)
    y, m = divmod(t.month - 1 - months, 12)
    return t.replace(year=t.year + y, month=m + 1, day=min(t.day, 28)).isoformat(timespec="minutes")


def million(path: Path) -> None:
    """The first copy of the 100k posts (the original dates), and 67 copies each 15
    months earlier than the last, with new ids: the first 1,000,000 of them."""
    lines = store_posts("100k").read_text().splitlines()
    original = [json.loads(line) for line in lines[: len(lines) // 7]]
    written = 0
    with path.open("w") as out:
        for k in range(COPIES_1M):
            for row in original:
                if written == SIZES["1m"]:
                    return
                copy = {**row, "id": f"{row['id']}~b{k}" if k else row["id"],
                        "published": months_earlier(row["published"], STEP_MONTHS * k)}  # fmt: skip
                out.write(json.dumps(copy, ensure_ascii=False) + "\n")
                written += 1
VECTORS = WORK / "store-100k.sqlite"


def archive(size: str) -> Path:
    path = WORK / f"backlog-{size}.jsonl"
    if not path.exists() and size == "1m":
        million(path)
    if not path.exists():
        limit = SIZES[size]
        with store_posts("100k").open() as src, path.open("w") as dst:
            for k, line in enumerate(src):
                if limit is not None and k >= limit:
                    break
                dst.write(line)
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
    config.write_text(f"[store]\nbacklog_window_posts = {window}\n[limits]\nearliest_year = 1900\n")
    cmd = [str(Path(sys.executable).with_name("storythreads")), "run", str(archive(size)),
           "--store", str(store), "--out", str(out), "--config", str(config),
           "--profile"]  # fmt: skip
    r = measured(cmd, f"backlog-{size}-{how}", WORK)
    with archive(size).open() as lines:
        posts = sum(1 for _ in lines)
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


def side_by_side(res: dict) -> dict:
    """The windowed first runs of every size measured, and the issue's three ratios."""
    rows = {size: res[size]["windowed"] for size in SIZES if "windowed" in res.get(size, {})}
    table = {size: {k: row[k] for k in ("posts", "wall_s", "tree_peak_mb", "peak_mb",
                                         "posts_per_s")} for size, row in rows.items()}  # fmt: skip
    out: dict = {"windowed_first_runs": table}
    if "1m" in rows and "20k" in rows:
        out["peak_1m_over_20k"] = round(rows["1m"]["tree_peak_mb"] / rows["20k"]["tree_peak_mb"], 2)
        out["peak_1m_mb"] = rows["1m"]["tree_peak_mb"]
    if "1m" in rows and "100k" in rows:
        per_post = {s: rows[s]["wall_s"] / rows[s]["posts"] for s in ("100k", "1m")}
        out["time_per_post_1m_over_100k"] = round(per_post["1m"] / per_post["100k"], 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20k,100k,1m")
    parser.add_argument("--paths", default="whole,windowed", help="whole is skipped at 1m")
    args = parser.parse_args()
    if not VECTORS.exists():
        sys.exit(f"needs {VECTORS}: make bench-growth GROWTH_ARGS='--sizes 100k --first-only'")
    res = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    paths = [p for p in args.paths.split(",") if p]
    for size in [s for s in args.sizes.split(",") if s]:
        threads = {}
        for how in paths:
            if how == "whole" and size == "1m":
                continue
            row, threads[how] = first_run(size, how)
            res.setdefault(size, {})[how] = row
            RESULTS.write_text(json.dumps(res, indent=2) + "\n")
            print(json.dumps({size: {how: row}}, indent=2), flush=True)
        if len(threads) == 2:
            res[size]["agreement"] = agreement(threads["whole"], threads["windowed"])
        res["side_by_side"] = side_by_side(res)
        RESULTS.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res["side_by_side"], indent=2))


if __name__ == "__main__":
    main()
