"""Threading quality on every dev set at once, shipped defaults (issue 14).

One row per set: BCubed precision, recall and F1 of the primary threads against the gold
story ids, the number of threads, and the widest time span of a predicted thread.
Vectors are cached in bench/.cache/vectors.sqlite, so a second run takes seconds.

    .venv/bin/python bench/dev_sets.py                 # seed, ECB+, BASIL, pooled blogs,
                                                       # BASIL with 1 in 10 / 1 in 4 undated
    .venv/bin/python bench/dev_sets.py --set basil -v  # one set, with its worst merges
    .venv/bin/python bench/dev_sets.py --config my.toml

Prints the table and writes bench/results-dev-sets.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bertopic_compare import DATA, labelled_posts, pooled_blogs, seed_posts

from storythreads import Settings, analyze
from storythreads.analysis.evaluate.threads import scores, worst_errors
from storythreads.embeddings import CachedEmbedder, make_embedder
from storythreads.store import Store


def undated(every: int):
    """BASIL dev with the date of one article in ``every`` removed (issue 24): the 1st,
    the (every+1)th, ... in file order, so the undated ones fall in every year."""

    def load():
        posts, gold = labelled_posts(DATA / "basil-dev.jsonl", "gold_story_id")
        order = {line_id: i for i, line_id in enumerate(_file_ids(DATA / "basil-dev.jsonl"))}
        return [
            replace(p, published=None, date_only=False) if order[p.id] % every == 0 else p
            for p in posts
        ], gold

    return load


def _file_ids(path: Path) -> list[str]:
    return [str(json.loads(line)["id"]) for line in path.read_text(encoding="utf-8").splitlines()]


SETS = {
    "seed": seed_posts,
    "ecbplus": lambda: labelled_posts(DATA / "ecbplus-dev.jsonl", "gold_story_id"),
    "basil": lambda: labelled_posts(DATA / "basil-dev.jsonl", "gold_story_id"),
    "pooled-blogs": pooled_blogs,
    "basil-1in10-undated": undated(10),
    "basil-1in4-undated": undated(4),
}
TARGETS = {
    "seed": "F1 1.000",
    "ecbplus": "F1 >= 0.95",
    "basil": "F1 >= 0.97",
    "pooled-blogs": "P >= 0.97",
    "basil-1in10-undated": "F1 >= 0.97",
    "basil-1in4-undated": "F1 >= 0.97",
}


def span_days(posts) -> float:
    times = [p.published for p in posts if p.published]
    return (max(times) - min(times)).total_seconds() / 86400 if len(times) > 1 else 0.0


def measure(name, settings, embedder, verbose=False):
    posts, gold = SETS[name]()
    run = analyze(posts, settings, embedder)
    primary = {a.post_id: a.thread_id for a in run.assignments if a.role == "primary"}
    predicted = [primary.get(p.id, f"unthreaded:{p.id}") for p in posts]
    truth = [gold[p.id] for p in posts]
    row = scores(predicted, truth)
    by_id = {p.id: p for p in posts}
    row["max_span_days"] = max(
        (span_days([by_id[i] for i in th.post_ids]) for th in run.threads), default=0.0
    )
    if verbose:
        errors = worst_errors(predicted, truth, [p.title or p.body[:80] for p in posts], n=8)
        for kind, rows in errors.items():
            print(f"  worst {kind} ({name}):")
            for r in rows:
                print(f"    {r['id']} ({r['stray_items']} stray)")
                for part in r["parts"]:
                    key = "gold" if "gold" in part else "thread"
                    print(f"      {part[key]} x{part['items']}: {part['example'][:80]}")
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", choices=list(SETS), dest="sets")
    parser.add_argument("--config", help="a settings TOML file (default: shipped defaults)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the worst merges")
    parser.add_argument("--out", type=Path, default=HERE / "results-dev-sets.json")
    args = parser.parse_args()
    settings = Settings.from_toml(args.config) if args.config else Settings()
    (HERE / ".cache").mkdir(exist_ok=True)
    results = {}
    with Store(HERE / ".cache" / "vectors.sqlite") as store:
        embedder = CachedEmbedder(make_embedder(settings.embedding), store)
        for name in args.sets or list(SETS):
            results[name] = measure(name, settings, embedder, args.verbose)
    print(
        f"{'set':<20}{'B3 P':>7}{'B3 R':>7}{'B3 F1':>7}{'ARI':>7}{'k/gold':>9}{'span d':>8}  target"
    )
    for name, r in results.items():
        cells = "".join(
            f"{r[k]:>7.3f}" for k in ("bcubed_precision", "bcubed_recall", "bcubed_f1", "ari")
        )
        k = f"{r['n_predicted']}/{r['n_gold']}"
        print(f"{name:<20}{cells}{k:>9}{r['max_span_days']:>8.1f}  {TARGETS[name]}")
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
