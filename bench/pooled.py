"""The pooled comparison of outlets and groups on BASIL (issue 33): what passes, and how
often anything passes when the sides make no difference.

For each data file (BASIL dev by default; BASIL 2015-19 is not in ``shared/``, give its
JSONL with ``--data``), the threads the pipeline makes (vectors from
bench/.cache/vectors.sqlite) are compared by outlet (fox, hpo, nyt) and by group (left:
hpo, nyt; right: fox), and the terms and speakers with q <= 0.05 are listed. Then the
null check: for the pair fox-nyt (one article a side per thread), the sides are swapped
at random within each thread ``--swaps`` times and the comparison is made again; every
term that passes then is a false discovery. The spread of the test's z and of the
log-odds' own z under the swaps is printed beside it (a calibrated z has spread 1 or
less in its bulk; the discrete sign test is below 1 by its continuity correction).

    .venv/bin/python bench/pooled.py [--data FILE ...] [--swaps 20]

Writes bench/results-pooled.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
from pathlib import Path

from storythreads.analysis.compare.groups import Grouping, regroup
from storythreads.analysis.compare.pooled import pooled_comparison, top_terms
from storythreads.analysis.ingest import read_posts
from storythreads.config import Settings
from storythreads.embeddings import CachedEmbedder, make_embedder
from storythreads.pipeline import analyze
from storythreads.store import Store
from storythreads.types import Run

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data" / "basil-dev.jsonl"
GROUPS = {"fox": "right", "hpo": "left", "nyt": "left"}


def threads(path: Path) -> Run:
    settings = Settings()
    with Store(HERE / ".cache" / "vectors.sqlite") as store:
        embedder = CachedEmbedder(make_embedder(settings.embedding), store)
        return analyze(read_posts([str(path)]).posts, settings, embedder)


def passing(run: Run) -> dict:
    pooled = pooled_comparison(run)
    return {
        side: [f"{r.term} (vs {r.other}: z {r.paired_z:.1f}, q {r.paired_q:.2g}; {r.threads} vs "
               f"{r.other_threads} threads)" for r in rows]
        for side, rows in top_terms(pooled.terms, 0.05, 10).items()
    } | {"tested": len(pooled.terms)}  # fmt: skip


def swapped(run: Run, a: str, b: str, seed: int) -> Run:
    """The run with only sides ``a`` and ``b``, their labels swapped in a random half of
    the threads (the same thread's posts all swap together)."""
    rng = random.Random(seed)
    thread_of = {x.post_id: x.thread_id for x in run.assignments if x.role == "primary"}
    flip = {t.id: rng.random() < 0.5 for t in run.threads}
    posts = []
    for p in run.posts:
        if p.source not in (a, b):
            continue
        if flip.get(thread_of.get(p.id, ""), False):
            p = dataclasses.replace(p, source=b if p.source == a else a)
        posts.append(p)
    return dataclasses.replace(run, posts=tuple(posts))


def null_check(run: Run, swaps: int) -> dict:
    false, z, lo_z = 0, [], []
    for seed in range(swaps):
        terms = pooled_comparison(swapped(run, "fox", "nyt", seed)).terms
        false += sum(r.passes(0.05) for r in terms)
        z += [r.paired_z for r in terms]
        lo_z += [r.z for r in terms]
    spread = statistics.fmean(v * v for v in z) ** 0.5
    return {"swaps": swaps, "false_discoveries": false, "z_rms": round(spread, 2),
            "log_odds_z_rms": round(statistics.fmean(v * v for v in lo_z) ** 0.5, 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="*", type=Path, default=[DATA])
    parser.add_argument("--swaps", type=int, default=20)
    args = parser.parse_args()
    grouping = Grouping("ideology", "(BASIL's outlets)", "", GROUPS)
    results = {}
    for path in args.data:
        run = threads(path)
        results[path.name] = row = {
            "outlets": passing(run),
            "groups": passing(regroup(run, grouping)),
            "null": null_check(run, args.swaps),
        }
        print(json.dumps({path.name: row}, indent=2, ensure_ascii=False))
    (HERE / "results-pooled.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
