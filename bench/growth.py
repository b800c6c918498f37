"""A store that grows for years (issue 26): +50 posts on 1k, 100k and 1M posts.

The large stores are the dated bench posts (liveblogs-bench-posts.jsonl) copied with new
ids (``id~k``) and dates shifted by 15 months a copy: 7 copies give about 100,000 posts
over 11 years, 70 copies about a million. Identical texts cost no embedding after the
first copy. The 1k store is the first 1,000 dated posts. By default the million-post store
is not made by a first run (hours on 2 cores) but from the 100k store, copied ten times in
SQL (``synthetic_store``); ``--first-run-1m`` makes it the long way.

For each size: the first run into a fresh store (wall time and peak, unless the store is
kept from an earlier bench), then a scheduled run adding 50 posts that follow the store's
newest post (the 50 dated posts after the first 1,000, shifted to follow each store's end
by the same gaps), on a copy of the store, so it can be measured again. Both stores hold
the 50 posts' vectors beforehand, so the +50 rows compare what grows with the store, not
the embedding of 150 paragraphs. Also the report folder's sizes.

    .venv/bin/python bench/growth.py [--sizes 1k,100k,1m] [--repeat 3] [--keep-stores]
    make bench-growth GROWTH_ARGS="--sizes 1k,100k --keep-stores"

About 25 minutes from nothing (the 100k first run is 14 of them), 2 minutes with
``--keep-stores``. Figures are merged into bench/results-growth.json as they are taken.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]
from measure import measured, stage_seconds

DATA = HERE.parent.parent / "shared" / "data" / "liveblogs-bench-posts.jsonl"
WORK = HERE / ".cache" / "growth"
RESULTS = HERE / "results-growth.json"
COPIES = {"1k": 0, "100k": 7, "1m": 70}  # 0: the first 1,000 dated posts
SHIFT_MONTHS = 15
# the million-post store is the 100k store copied in SQL ten times, each copy 105 months
# (7 x 15) earlier, with new post, segment and thread ids (a first run of a million posts
# does not fit a session: see docs/performance.md); its newest posts are the 100k store's
SYNTHETIC_COPIES, SYNTHETIC_SHIFT_MONTHS = 10, 7 * SHIFT_MONTHS
BASE_1K, ADDED = 1000, 50


def _dated_rows() -> list[dict]:
    """The bench posts with a full date and time, in (time, id) order."""
    rows = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if len(row.get("published") or "") > 5:  # "HH:MM" alone is a time without a date
            rows.append(row)
    return sorted(rows, key=lambda r: (r["published"], r["id"]))


def _months_later(when: str, months: int) -> str:
    t = datetime.fromisoformat(when)
    y, m = divmod(t.month - 1 + months, 12)
    return t.replace(year=t.year + y, month=m + 1, day=min(t.day, 28)).isoformat(timespec="minutes")


def _write(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def store_posts(size: str) -> Path:
    """The posts of the ``size`` store (built once, kept in bench/.cache/growth)."""
    path = WORK / f"posts-{size}.jsonl"
    if path.exists():
        return path
    rows = _dated_rows()
    copies = COPIES[size]
    if not copies:
        return _write(path, rows[:BASE_1K])

    def copied():
        for k in range(copies):
            for row in rows:
                yield {**row, "id": f"{row['id']}~{k}" if k else row["id"],
                       "published": _months_later(row["published"], SHIFT_MONTHS * k)}  # fmt: skip

    return _write(path, copied())


def added_posts(size: str) -> Path:
    """50 new posts right after the ``size`` store's newest one: the 50 dated posts after
    the first 1,000, moved by the time between the 1k store's end and this store's."""
    path = WORK / f"added-{size}.jsonl"
    if path.exists():
        return path
    if size == "1m" and not (WORK / "posts-1m.jsonl").exists():  # the synthetic store ends
        return added_posts("100k")  # where the 100k store does
    rows = _dated_rows()
    base_end = datetime.fromisoformat(rows[BASE_1K - 1]["published"])
    newest = max(
        json.loads(line)["published"] for line in store_posts(size).read_text().splitlines()
    )
    delta = datetime.fromisoformat(newest) - base_end
    out = []
    for row in rows[BASE_1K : BASE_1K + ADDED]:
        when = datetime.fromisoformat(row["published"]) + delta
        out.append(
            {**row, "id": f"{row['id']}~new", "published": when.isoformat(timespec="minutes")}
        )
    return _write(path, out)


def _cli() -> str:
    return str(Path(sys.executable).with_name("storythreads"))


def _folder_sizes(out: Path) -> dict:
    sizes = {
        p.name: p.stat().st_size for p in out.iterdir() if p.is_file() and p.suffix != ".sqlite"
    }
    archive = out / "archive"
    if archive.is_dir():
        files = [p for p in archive.rglob("*") if p.is_file()]
        sizes["archive_files"] = len(files)
        sizes["archive_bytes"] = sum(p.stat().st_size for p in files)
    return sizes


def synthetic_store(size: str = "1m", source: str = "100k") -> dict:
    """The ``source`` store copied ``SYNTHETIC_COPIES`` times in SQL (copy k: ids with a
    ``^k`` suffix, thread numbers moved past the source's, times SYNTHETIC_SHIFT_MONTHS*k
    months earlier), and its report folder; the first run it stands for is not timed."""
    import time

    start = time.perf_counter()
    target = WORK / f"store-{size}.sqlite"
    shutil.copyfile(WORK / f"store-{source}.sqlite", target)
    db = sqlite3.connect(target, isolation_level=None)
    step = int(db.execute("SELECT value FROM meta WHERE key = 'next_thread_number'").fetchone()[0])
    db.execute("BEGIN")
    for k in range(1, SYNTHETIC_COPIES):
        months, offset = f"-{SYNTHETIC_SHIFT_MONTHS * k} months", step * k

        def when(col, months=months):
            return f"strftime('%Y-%m-%dT%H:%M:%S+00:00', {col}, '{months}')"

        def tid(col, offset=offset):
            return f"printf('t-%06d', CAST(substr({col}, 3) AS INTEGER) + {offset})"

        db.execute(f"""INSERT INTO posts SELECT id || '^{k}', source, url, {when("published")},
            title, byline, body, captions, content_sha, first_run, last_run, date_only,
            time_inferred_from, outlet_group, key_event FROM posts WHERE id NOT LIKE '%^%'""")
        db.execute(f"""INSERT INTO segments SELECT id || '^{k}', post_id || '^{k}', ordinal, kind,
            text, sha FROM segments WHERE id NOT LIKE '%^%'""")
        db.execute(f"""INSERT INTO threads SELECT {tid("id")}, label, keyphrases, headline,
            centroid, {when("first_seen")}, {when("last_seen")}, status, summary, born_run,
            updated_run FROM threads WHERE CAST(substr(id, 3) AS INTEGER) < {step}""")
        db.execute(f"""INSERT INTO assignments SELECT post_id || '^{k}', {tid("thread_id")}, role,
            score, segment_ids FROM assignments WHERE post_id NOT LIKE '%^%'""")
        db.execute(f"""INSERT INTO links SELECT {tid("src")}, {tid("dst")}, kind, score, reason
            FROM links WHERE CAST(substr(src, 3) AS INTEGER) < {step}""")
        db.execute(f"""INSERT INTO layout SELECT post_id || '^{k}', x, y FROM layout
            WHERE post_id NOT LIKE '%^%'""")
        db.execute(f"""INSERT INTO lineage (run_id, thread_id, event, other_id, detail) SELECT
            run_id, {tid("thread_id")}, event, other_id, detail FROM lineage
            WHERE CAST(substr(thread_id, 3) AS INTEGER) < {step}""")
    db.execute(f"UPDATE terms SET df = df * {SYNTHETIC_COPIES}")
    db.execute(
        f"UPDATE meta SET value = CAST(value AS INTEGER) * {SYNTHETIC_COPIES} WHERE key = 'term_docs'"
    )
    db.execute(
        f"UPDATE meta SET value = '{step * SYNTHETIC_COPIES}' WHERE key = 'next_thread_number'"
    )
    db.execute("COMMIT")
    posts = db.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    db.close()
    out = WORK / f"out-{size}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(WORK / f"out-{source}", out, ignore=shutil.ignore_patterns("store.sqlite*"))
    return {"posts": posts, "built_s": round(time.perf_counter() - start, 1),
            "store_mb": round(target.stat().st_size / 2**20, 1), "from": source}  # fmt: skip


def first_run(size: str) -> dict:
    """``storythreads run`` of the store's posts into a fresh store: time and peak."""
    out = WORK / f"out-{size}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [_cli(), "run", str(store_posts(size)), "--out", str(out), "--profile"]
    r = measured(cmd, f"first-{size}", WORK)
    store = out / "store.sqlite"
    shutil.copyfile(store, WORK / f"store-{size}.sqlite")  # pristine, for the +50 runs
    return {"posts": sum(1 for _ in store_posts(size).open()), "wall_s": r["wall_s"],
            "peak_mb": r["peak_mb"], "tree_peak_mb": r["tree_peak_mb"],
            "store_mb": round(store.stat().st_size / 2**20, 1), "report_bytes": _folder_sizes(out),
            "summary": r["out"].strip().split("; wrote")[0]}  # fmt: skip


def _preseed(store: Path, source: Path, added: Path) -> None:
    """Copy the added posts' vectors from ``source`` (a store that holds them) into ``store``."""
    from storythreads import Settings, read_posts
    from storythreads.analysis.threading.segment import segment_posts

    posts = read_posts([added], format="jsonl").posts
    shas = sorted({s.sha for s in segment_posts(posts, Settings().segment)})
    src = sqlite3.connect(source)
    marks = ",".join("?" * len(shas))
    rows = src.execute(
        f"SELECT model, sha, dim, vector FROM vectors WHERE sha IN ({marks})", shas
    ).fetchall()
    src.close()
    db = sqlite3.connect(store)
    with db:
        db.executemany("INSERT OR IGNORE INTO vectors VALUES (?,?,?,?)", rows)
    db.close()


def plus_fifty(size: str, repeat: int, vectors_from: Path | None) -> dict:
    """+50 posts on a copy of the pristine ``size`` store, ``repeat`` times: best and all."""
    pristine = WORK / f"store-{size}.sqlite"
    walls, peaks, stages, summary = [], [], {}, ""
    out = WORK / f"plus-{size}"
    for i in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        # the report folder as the last scheduled run left it
        shutil.copytree(WORK / f"out-{size}", out, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("store.sqlite*"))  # fmt: skip
        store = out / "store.sqlite"
        shutil.copyfile(pristine, store)
        _last_snapshot(pristine, store)
        if vectors_from is not None:
            _preseed(store, vectors_from, added_posts(size))
        cmd = [_cli(), "run", str(added_posts(size)), "--out", str(out), "--profile"]
        r = measured(cmd, f"plus50-{size}-{i}", WORK)
        walls.append(r["wall_s"])
        peaks.append(r["peak_mb"])
        if r["wall_s"] == min(walls):
            stages = stage_seconds(r["err"])
            summary = r["out"].strip().split("; wrote")[0]
    return {"wall_s": min(walls), "walls": walls, "peak_mb": max(peaks), "stages": stages,
            "summary": summary, "report_bytes": _folder_sizes(out)}  # fmt: skip


def _last_snapshot(pristine: Path, store: Path) -> None:
    """The snapshot an hourly job's previous run left: the store as it is, taken an hour
    ago (a hard link to the pristine copy, which no run writes)."""
    from datetime import UTC

    from storythreads.store.snapshot_files import snapshot_dir, stamp

    folder = snapshot_dir(store)
    folder.mkdir(exist_ok=True)
    target = folder / f"{stamp(datetime.now(UTC) - timedelta(hours=1))}.sqlite"
    try:
        os.link(pristine, target)
    except OSError:
        shutil.copyfile(pristine, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,100k,1m")
    parser.add_argument("--repeat", type=int, default=3, help="+50 runs per size (best kept)")
    parser.add_argument("--keep-stores", action="store_true",
                        help="reuse the stores of an earlier bench (no first runs)")  # fmt: skip
    parser.add_argument("--first-only", action="store_true")
    parser.add_argument("--first-run-1m", action="store_true",
                        help="a real first run of the 1m posts (hours), not the store built "
                             "from the 100k one in SQL")  # fmt: skip
    args = parser.parse_args()
    sizes = [s for s in args.sizes.split(",") if s]
    res = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    res["machine"] = {
        "cpus": len(__import__("os").sched_getaffinity(0)),
        "cpu": platform.processor() or platform.machine(),
    }

    def save():
        RESULTS.write_text(json.dumps(res, indent=2) + "\n")

    for size in sizes:
        if size == "1m" and not args.first_run_1m:
            if not (args.keep_stores and (WORK / "store-1m.sqlite").exists()):
                print("synthetic 1m store ...", flush=True)
                res["synthetic_1m"] = synthetic_store()
                save()
            continue
        store_posts(size)
        if not (args.keep_stores and (WORK / f"store-{size}.sqlite").exists()):
            print(f"first run, {size} ...", flush=True)
            res[f"first_{size}"] = first_run(size)
            save()
    if args.first_only:
        return
    # the largest store has every text's vectors: the others get the added ones from it
    largest = WORK / f"store-{sizes[-1]}.sqlite"
    for size in sizes:
        print(f"+{ADDED} on {size} ...", flush=True)
        source = largest if size != sizes[-1] else None
        res[f"plus50_{size}"] = plus_fifty(size, args.repeat, source)
        save()
    base = res.get("plus50_1k", {}).get("wall_s")
    for size in sizes:
        row = res.get(f"plus50_{size}")
        if row:
            ratio = f"{row['wall_s'] / base:.2f}x the 1k cost" if base else ""
            html = row["report_bytes"].get("report.html", 0) / 2**20
            print(f"+{ADDED} on {size:>5}: {row['wall_s']:7.1f} s  peak {row['peak_mb']:5d} MB  "
                  f"report.html {html:.2f} MB  {ratio}")  # fmt: skip
        first = res.get(f"first_{size}")
        if first:
            print(f"first run {size:>5}: {first['wall_s']:7.1f} s  peak {first['peak_mb']:5d} MB "
                  f"({first['posts']} posts)")  # fmt: skip
    save()


if __name__ == "__main__":
    main()
