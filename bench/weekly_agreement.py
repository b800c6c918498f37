"""Scheduled runs over years agree with one full run (issue 14): BASIL dev, 2010-2014.

The 150 articles are fed to a store month by month, as a cron job would see them, three
ways: re-threaded whole every run (the default for small stores), attaching new posts to
the existing threads (the cheap path of large stores), and attaching with a nightly-style
`--rethread` at the end. Each is compared with one run over everything: the partition
(ARI, and whether it is identical), the thread ids, the `follows` chains, and BCubed F1
against the gold events. Vectors come from bench/.cache/vectors.sqlite, so only the first
run embeds.

    .venv/bin/python bench/weekly_agreement.py [--batch month|week]

Prints a table and writes bench/results-weekly-agreement.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bertopic_compare import DATA, labelled_posts
from sklearn.metrics import adjusted_rand_score

from storythreads import Settings
from storythreads.analysis.evaluate.threads import bcubed
from storythreads.embeddings import CachedEmbedder, make_embedder
from storythreads.pipeline import update
from storythreads.store import Store


class Cached:
    """The packaged model behind the bench's vector cache, as a plain Embedder (``update``
    unwraps a CachedEmbedder and puts its own store's cache in front)."""

    def __init__(self, cached: CachedEmbedder):
        self.cached, self.name = cached, cached.name

    @property
    def dim(self):
        return self.cached.dim

    def embed(self, texts):
        return self.cached.embed(texts)


def batches(posts, unit: str):
    groups: dict[tuple, list] = {}
    for p in sorted(posts, key=lambda p: p.sort_key):
        iso = p.published.isocalendar()
        key = (p.published.year, p.published.month) if unit == "month" else (iso[0], iso[1])
        groups.setdefault(key, []).append(p)
    return [groups[k] for k in sorted(groups)]


def run(path, posts_batches, settings, embedder, rethread_last=False):
    with Store(path) as store:
        for batch in posts_batches:
            result = update(store, batch, settings, embedder)
        if rethread_last:
            result = update(store, [], settings, embedder, rethread=True)
    return result


def describe(result, gold, reference=None):
    primary = {a.post_id: a.thread_id for a in result.assignments if a.role == "primary"}
    ids = sorted(primary)
    row = {"threads": len(result.threads), "mode": result.counts.get("mode")}
    row["bcubed_f1"] = bcubed([primary[i] for i in ids], [gold[i] for i in ids])[2]
    row["follows"] = sorted((k.src, k.dst) for k in result.links if k.kind == "follows")
    if reference is not None:
        ref = {a.post_id: a.thread_id for a in reference.assignments if a.role == "primary"}
        row["ari_vs_full"] = adjusted_rand_score([ref[i] for i in ids], [primary[i] for i in ids])
        row["same_ids"] = all(ref[i] == primary[i] for i in ids)
        row["same_follows"] = row["follows"] == sorted(
            (k.src, k.dst) for k in reference.links if k.kind == "follows"
        )
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", choices=["month", "week"], default="month")
    args = parser.parse_args()
    posts, gold = labelled_posts(DATA / "basil-dev.jsonl", "gold_story_id")
    settings = Settings()
    attach = settings.replace("identity", full_rethread_max_posts=10)
    (HERE / ".cache").mkdir(exist_ok=True)
    with Store(HERE / ".cache" / "vectors.sqlite") as cache, tempfile.TemporaryDirectory() as tmp:
        embedder = Cached(CachedEmbedder(make_embedder(settings.embedding), cache))
        parts = batches(posts, args.batch)
        full = run(Path(tmp, "full.sqlite"), [posts], settings, embedder)
        rows = {"one full run": describe(full, gold)}
        ways = {
            f"by {args.batch}, re-threaded whole": (settings, False),
            f"by {args.batch}, attached": (attach, False),
            f"by {args.batch}, attached, then --rethread": (attach, True),
        }
        for name, (s, rethread) in ways.items():
            result = run(Path(tmp, f"{len(rows)}.sqlite"), parts, s, embedder, rethread)
            rows[name] = describe(result, gold, full)
    print(f"{len(parts)} batches of BASIL dev ({len(posts)} articles, 2010-2014)")
    print(f"{'run':<42}{'threads':>8}{'B3 F1':>7}{'ARI':>7}  ids   follows")
    for name, r in rows.items():
        ari = f"{r['ari_vs_full']:>7.3f}" if "ari_vs_full" in r else f"{'':>7}"
        same = (f"  {'same' if r['same_ids'] else 'diff'}  {'same' if r['same_follows'] else 'diff'}"
                if "same_ids" in r else f"  {len(r['follows'])} links")  # fmt: skip
        print(f"{name:<42}{r['threads']:>8}{r['bcubed_f1']:>7.3f}{ari}{same}")
    out = HERE / "results-weekly-agreement.json"
    out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
