"""BERTopic vs storythreads on the same story-labelled posts, the same embeddings (issue 6).

Rows: storythreads with default settings (what ``storythreads eval`` runs), BERTopic with
its defaults, BERTopic with an HDBSCAN of ``min_cluster_size=2``, and a TF-IDF
agglomerative baseline that is *told* the true number of stories. All scores come from
``storythreads.analysis.evaluate.threads``. BERTopic gets the packaged all-MiniLM-L6-v2 vectors of
the same texts (``title\\nbody``), embedded once through storythreads' embedder and passed
as ``embeddings=``; UMAP has a fixed ``random_state``. BERTopic's outlier topic -1 is
scored with each outlier as a singleton cluster; the outlier share is printed beside it.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/bertopic_compare.py                      # ECB+ dev, gold_story_id
    .venv/bin/python bench/bertopic_compare.py FILE.jsonl --gold-field gold_story_id
    .venv/bin/python bench/bertopic_compare.py --pooled-blogs       # 5 dev live blogs vs blog id
    .venv/bin/python bench/bertopic_compare.py --seed               # the 9-post CNN live blog

Prints a table and adds the rows to bench/results-bertopic.json (one entry per data set).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from storythreads import Settings, analyze, read_posts
from storythreads.analysis.evaluate.threads import gold_labels, scores
from storythreads.embeddings import CachedEmbedder, SentenceTransformerEmbedder

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
SEED = HERE.parent / "examples" / "cnn-liveblog-2023-07-08.txt"
RESULTS = HERE / "results-bertopic.json"
POOLED_GENRES = ("business", "australia-news", "politics", "world", "us-news")
RANDOM_STATE = 42


def labelled_posts(path: Path, field: str, keep=None):
    """Posts of a JSONL file (gold fields unseen by the reader) and id -> gold label."""
    gold = gold_labels(str(path), field)
    if keep is not None:
        rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
        kept = {str(r["id"]) for r in rows if keep(r)}
        gold = {i: g for i, g in gold.items() if i in kept}
    posts = [p for p in read_posts([path], format="jsonl").posts if p.id in gold]
    return posts, gold


def pooled_blogs():
    """The first dev live blog of each of five genres (docs/quality.md), gold = blog id."""
    blogs = [json.loads(line) for line in (DATA / "liveblogs-dev-blogs.jsonl").open()]
    chosen = {}
    for blog in blogs:
        chosen.setdefault(blog["genre"], blog["blog_id"])
    ids = {chosen[g] for g in POOLED_GENRES}
    return labelled_posts(
        DATA / "liveblogs-dev-posts.jsonl", "blog_id", lambda r: r["blog_id"] in ids
    )


def seed_posts():
    """The bundled CNN blog, gold = the primary threads of seed-gold.json."""
    posts = read_posts([SEED]).posts
    entries = json.loads((DATA / "seed-gold.json").read_text())["posts"]
    gold = {}
    for entry in entries:
        (post,) = [p for p in posts if p.title.startswith(entry["headline_starts"])]
        gold[post.id] = entry["primary"]
    return posts, gold


class TimedEmbedder:
    """The packaged model, counting the seconds spent embedding."""

    def __init__(self, settings):
        self.inner = SentenceTransformerEmbedder(settings.embedding)
        self.name, self.seconds = self.inner.name, 0.0

    @property
    def dim(self):
        return self.inner.dim

    def embed(self, texts):
        started = time.perf_counter()
        vectors = self.inner.embed(texts)
        self.seconds += time.perf_counter() - started
        return vectors


def run_ours(posts, settings):
    """Labels, seconds without embedding, seconds embedding (segments), outlier share."""
    embedder = TimedEmbedder(settings)
    started = time.perf_counter()
    run = analyze(posts, settings, CachedEmbedder(embedder))
    primary = {a.post_id: a.thread_id for a in run.assignments if a.role == "primary"}
    labels = [primary.get(p.id, f"unthreaded:{p.id}") for p in posts]
    return labels, time.perf_counter() - started - embedder.seconds, embedder.seconds, 0.0


def run_bertopic(docs, embeddings, min_cluster_size):
    """Topic per doc, each outlier (-1) its own singleton; seconds; outlier share."""
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from umap import UMAP

    umap_model = UMAP(
        n_neighbors=15,
        n_components=5,
        min_dist=0.0,
        metric="cosine",
        random_state=RANDOM_STATE,
        low_memory=False,
    )  # BERTopic's defaults plus a seed
    kwargs = {"umap_model": umap_model}
    if min_cluster_size is not None:
        kwargs["hdbscan_model"] = HDBSCAN(
            min_cluster_size=min_cluster_size,
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=True,
        )  # BERTopic's defaults but the size
    started = time.perf_counter()
    topics, _ = BERTopic(**kwargs).fit_transform(docs, embeddings=embeddings)
    seconds = time.perf_counter() - started
    labels = [f"outlier:{i}" if t == -1 else f"topic:{t}" for i, t in enumerate(topics)]
    return labels, seconds, None, float(np.mean(np.asarray(topics) == -1))


def run_tfidf_agglomerative(docs, n_clusters):
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    started = time.perf_counter()
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(docs)
    labels = AgglomerativeClustering(n_clusters=n_clusters).fit_predict(tfidf.toarray())
    return labels.tolist(), time.perf_counter() - started, 0.0, 0.0


def warm_up_umap():
    """Compile UMAP's numba code outside the timed runs."""
    from umap import UMAP

    UMAP(n_components=5, random_state=RANDOM_STATE).fit(np.random.default_rng(0).random((60, 8)))


def compare(posts, gold):
    settings = Settings()
    docs = [f"{p.title}\n{p.body}" for p in posts]
    truth = [gold[p.id] for p in posts]
    started = time.perf_counter()
    embeddings = TimedEmbedder(settings).embed(docs)  # the model load is counted here
    embed_seconds = time.perf_counter() - started
    warm_up_umap()
    systems = {
        "storythreads (defaults)": lambda: run_ours(posts, settings),
        "BERTopic (defaults)": lambda: run_bertopic(docs, embeddings, None),
        "BERTopic (min_cluster_size=2)": lambda: run_bertopic(docs, embeddings, 2),
        "TF-IDF agglomerative, told true k": lambda: run_tfidf_agglomerative(docs, len(set(truth))),
    }
    rows = {}
    for name, system in systems.items():
        try:
            labels, seconds, embedded, outliers = system()
        except Exception as exc:  # noqa: BLE001 - BERTopic fails on tiny inputs: show it
            rows[name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        timing = {
            "seconds": seconds,
            "embed_seconds": embed_seconds if embedded is None else embedded,
        }
        rows[name] = {**scores(labels, truth), "outlier_share": outliers, **timing}
    return rows


def print_table(title, rows):
    print(f"\n{title}")
    head = f"{'system':<36}{'B3 P':>7}{'B3 R':>7}{'B3 F1':>7}{'pairF1':>7}{'ARI':>7}{'AMI':>7}"
    print(head + f"{'k/gold':>10}{'outl%':>7}{'embed s':>9}{'fit s':>7}")
    for name, r in rows.items():
        if "error" in r:
            print(f"{name:<36}  error: {r['error'][:160]}")
            continue
        cells = "".join(
            f"{r[k]:>7.3f}"
            for k in ("bcubed_precision", "bcubed_recall", "bcubed_f1", "pairwise_f1", "ari", "ami")
        )
        k_gold = f"{r['n_predicted']}/{r['n_gold']}"
        outl, embed, fit = 100 * r["outlier_share"], r["embed_seconds"], r["seconds"]
        print(f"{name:<36}{cells}{k_gold:>10}{outl:>7.1f}{embed:>9.1f}{fit:>7.1f}")
    print("BERTopic outliers (topic -1) are scored as singleton clusters; outl% is their share.")
    print("embed s: ours embeds segments (headline, paragraphs); BERTopic is given whole-text")
    print("vectors (one embedding, shared by both BERTopic rows). fit s: all the rest.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", default=str(DATA / "ecbplus-dev.jsonl"))
    parser.add_argument("--gold-field", default="gold_story_id")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--pooled-blogs", action="store_true", help="5 dev live blogs, vs blog id")
    group.add_argument("--seed", action="store_true", help="the 9-post CNN live blog")
    args = parser.parse_args()
    if args.pooled_blogs:
        name, (posts, gold) = "pooled 5 dev live blogs (gold = blog id)", pooled_blogs()
    elif args.seed:
        name, (posts, gold) = "CNN seed blog (gold = seed-gold.json primary)", seed_posts()
    else:
        name = f"{Path(args.input).name} (gold = {args.gold_field})"
        posts, gold = labelled_posts(Path(args.input), args.gold_field)
    rows = compare(posts, gold)
    print_table(f"{name}: {len(posts)} posts, {len(set(gold.values()))} gold groups", rows)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[name] = {"posts": len(posts), "rows": rows}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
