"""Thread names against the event names BASIL's annotators gave (issue 16, item 6).

On ``../shared/data/basil-dev.jsonl`` (50 events x 3 articles), each row names the same
threads five ways and scores them with ROUGE-1 F (rouge-score, Porter stemmer) against the
articles' ``gold_story_label``: a thread's score is the mean over its articles (labels
differ now and then between the three outlets' articles of one event), the row's the mean
over threads. Two sets of threads:

- ``gold``: the articles grouped by ``gold_story_id``, which isolates naming from
  clustering;
- ``pipeline``: the threads ``storythreads.analyze`` makes with shipped settings (vectors
  from bench/.cache/vectors.sqlite, as in bench/dev_sets.py).

Rows:

- ``keywords``: today's labels (``label.make_label`` of ``label.keyphrases``, as the
  pipeline makes them: the top three c-TF-IDF keyphrases joined by " · ");
- ``ctfidf``: BERTopic's topic words: the top ``CTFIDF_WORDS`` words by class-based TF-IDF
  (all text of a thread is one document; ``tf * log(1 + avg words per thread / term
  frequency)``, English stop words out), computed here with scikit-learn;
- ``keybert``: KeyBERT-style phrases: the 1-3 word n-grams of the thread's headlines and
  leads (no stop word at either end), ranked by cosine to the thread's centroid with the
  packaged sentence model, the top ``KEYBERT_PHRASES`` picked with MMR (diversity 0.5),
  joined by " · ";
- ``central-headline``: the central post's headline (the pipeline's choice: the post
  closest to the thread's centroid; a dateline-only headline skipped);
- ``names``: ``analysis.naming.thread_names``.

Beside each row, the median name length in words (a " · " between phrases is none).
Prints the table and writes bench/results-naming.json. Targets (issue 16): names ROUGE-1
>= 0.45, median <= 8 words. The names' weights were set on these same 50 events: a dev
figure, not a held-out one.

    .venv/bin/pip install -e '.[bench]'     # rouge-score
    .venv/bin/python bench/naming.py
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from statistics import mean, median

import numpy as np
from rouge_score import rouge_scorer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bertopic_compare import DATA, labelled_posts

from storythreads import Settings, analyze
from storythreads.analysis.describe.label import central_index, keyphrases, make_label
from storythreads.analysis.describe.naming import headline_parts, lead_of, thread_names
from storythreads.analysis.language.nlp import load_nlp
from storythreads.analysis.language.text import says_what
from storythreads.analysis.threading.segment import segment_posts
from storythreads.embeddings import CachedEmbedder, make_embedder, normalize_rows
from storythreads.store import Store

BASIL = DATA / "basil-dev.jsonl"
RESULTS = HERE / "results-naming.json"
CTFIDF_WORDS = 4  # BERTopic names a topic by its top words; 4 is the middle of 3-5
KEYBERT_PHRASES = 2  # two phrases of up to three words: about a name's length
KEYBERT_DIVERSITY = 0.5
ROWS = ("keywords", "ctfidf", "keybert", "central-headline", "names")
TARGET = "ROUGE-1 >= 0.45, median <= 8 words"


def gold_labels(path: Path) -> dict[str, str]:
    """Article id -> its gold_story_label."""
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return {str(r["id"]): r["gold_story_label"] for r in rows}


def post_vectors(posts, embedder, settings) -> dict[str, np.ndarray]:
    """A unit vector per post as the pipeline makes it: the headline blended with the body,
    paragraph i of the body weighing lead_decay ** i (storythreads.pipeline.stages)."""
    segments = segment_posts(posts, settings.segment)
    vectors = embedder.embed([s.text for s in segments])
    rows: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row, seg in enumerate(segments):
        rows[seg.post_id].append((seg.kind, row))
    cs, out = settings.cluster, {}
    for post in posts:
        title = [r for kind, r in rows[post.id] if kind == "title"]
        body = [r for kind, r in rows[post.id] if kind != "title"]
        if body and not says_what(post.title):
            title = []
        vec = np.zeros(vectors.shape[1], np.float32)
        if body:
            weights = cs.lead_decay ** np.arange(len(body), dtype=np.float32)
            vec = (vectors[body] * weights[:, None]).sum(0) / weights.sum()
        if title and body:
            vec = cs.title_weight * vectors[title[0]] + (1 - cs.title_weight) * vec
        elif title:
            vec = vectors[title[0]]
        out[post.id] = vec
    ids = list(out)
    unit = normalize_rows(np.stack([out[i] for i in ids]))
    return dict(zip(ids, unit, strict=True))


def thread_text(posts) -> str:
    """All text of a thread, as the pipeline gives it to ``keyphrases``."""
    return " ".join(f"{p.title}\n{p.body}" for p in posts)


def central_headline(posts, central: int) -> str:
    """The pipeline's headline: the central post's, or the next that says something."""
    c = posts[central]
    return next(
        (p.title for p in (c, *posts) if says_what(p.title)),
        c.title or " ".join(c.body.split()[:12]),
    )


def ctfidf_names(texts: list[str], n_words: int = CTFIDF_WORDS) -> list[str]:
    """BERTopic's c-TF-IDF: each thread's text is one class; top words per class."""
    vectorizer = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[^\W\d_]{2,}\b")
    counts = vectorizer.fit_transform(texts).astype(np.float64)
    words = vectorizer.get_feature_names_out()
    avg = counts.sum() / counts.shape[0]
    idf = np.log(1 + avg / np.asarray(counts.sum(axis=0)).ravel())
    scores = counts.multiply(idf).tocsr()
    names = []
    for row in range(scores.shape[0]):
        values = scores[row].toarray().ravel()
        top = sorted(np.flatnonzero(values), key=lambda k: (-values[k], words[k]))[:n_words]
        names.append(" ".join(words[k] for k in top))
    return names


_NGRAM_WORD = re.compile(r"[A-Za-z][\w'’.-]*[A-Za-z0-9]|[A-Za-z]")


def ngram_candidates(posts) -> list[str]:
    """1-3 word n-grams of the headlines and leads, no stop word at either end."""
    found: dict[str, None] = {}
    for post in posts:
        for text in [*headline_parts(post.title), lead_of(post)]:
            words = _NGRAM_WORD.findall(text)
            for n in (1, 2, 3):
                for i in range(len(words) - n + 1):
                    gram = words[i : i + n]
                    if gram[0].lower() in ENGLISH_STOP_WORDS:
                        continue
                    if gram[-1].lower() in ENGLISH_STOP_WORDS:
                        continue
                    found.setdefault(" ".join(gram), None)
    return list(found)


def keybert_names(threads, centroids, embedder) -> list[str]:
    """KeyBERT's ranking (cosine of candidate and document embeddings) with MMR."""
    candidates = [ngram_candidates(posts) for posts in threads]
    flat = sorted({c for cands in candidates for c in cands})
    vectors = dict(zip(flat, normalize_rows(embedder.embed(flat)), strict=True)) if flat else {}
    names = []
    for cands, centroid in zip(candidates, centroids, strict=True):
        if not cands:
            names.append("")
            continue
        vecs = np.stack([vectors[c] for c in cands])
        relevance = vecs @ centroid
        chosen = [int(np.argmax(relevance))]
        while len(chosen) < min(KEYBERT_PHRASES, len(cands)):
            redundancy = (vecs @ vecs[chosen].T).max(axis=1)
            mmr = (1 - KEYBERT_DIVERSITY) * relevance - KEYBERT_DIVERSITY * redundancy
            mmr[chosen] = -np.inf
            chosen.append(int(np.argmax(mmr)))
        names.append(" · ".join(cands[k] for k in chosen))
    return names


def words(name: str) -> int:
    """Words of a name; the " · " between keyphrases is none."""
    return sum(bool(re.search(r"\w", w)) for w in name.split())


def score_rows(threads, names_by_row, labels, scorer) -> dict:
    """ROUGE-1 F per row (mean over threads of the mean over a thread's articles) and the
    median name length in words."""
    out = {}
    for row, names in names_by_row.items():
        per_thread = [
            mean(scorer.score(labels[p.id], name)["rouge1"].fmeasure for p in posts)
            for name, posts in zip(names, threads, strict=True)
        ]
        out[row] = {
            "rouge1_f": round(mean(per_thread), 4),
            "median_words": median(words(name) for name in names),
            "threads": len(names),
        }
    return out


def name_threads(threads, vectors, keyphrase_lists, labels_now, nlp, embedder) -> dict:
    """The five rows' names for one set of threads."""
    centrals = [central_index(np.stack([vectors[p.id] for p in posts])) for posts in threads]
    centroids = normalize_rows(
        np.stack([np.mean([vectors[p.id] for p in posts], axis=0) for posts in threads])
    )
    started = time.perf_counter()
    ours = thread_names(threads, centrals, keyphrase_lists, nlp)
    seconds = time.perf_counter() - started
    rows = {
        "keywords": labels_now,
        "ctfidf": ctfidf_names([thread_text(posts) for posts in threads]),
        "keybert": keybert_names(threads, centroids, embedder),
        "central-headline": [
            central_headline(p, c) for p, c in zip(threads, centrals, strict=True)
        ],
        "names": ours,
    }
    return rows, seconds


def main():
    settings = Settings()
    posts, gold = labelled_posts(BASIL, "gold_story_id")
    labels = gold_labels(BASIL)
    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    nlp = load_nlp()
    (HERE / ".cache").mkdir(exist_ok=True)
    results = {}
    with Store(HERE / ".cache" / "vectors.sqlite") as store:
        embedder = CachedEmbedder(make_embedder(settings.embedding), store)
        vectors = post_vectors(posts, embedder, settings)
        by_id = {p.id: p for p in posts}

        grouped: dict[str, list] = defaultdict(list)
        for post in posts:
            grouped[gold[post.id]].append(post)
        gold_threads = [grouped[g] for g in sorted(grouped)]
        gold_phrases = keyphrases(
            [thread_text(t) for t in gold_threads], settings.report.keyphrases
        )
        gold_now = [
            make_label(kp, central_headline(t, central_index(np.stack([vectors[p.id] for p in t]))))
            for kp, t in zip(gold_phrases, gold_threads, strict=True)
        ]

        run = analyze(posts, settings, embedder)
        run_threads = [[by_id[i] for i in th.post_ids] for th in run.threads]
        run_phrases = [list(th.keyphrases) for th in run.threads]
        # the keyword labels of the same threads: the run again with report.names = "keywords"
        keyword_run = analyze(posts, settings.replace("report", names="keywords"), embedder)
        keyword_label = {th.id: th.label for th in keyword_run.threads}
        run_now = [keyword_label[th.id] for th in run.threads]

        for name, threads, phrases, now in (
            ("gold", gold_threads, gold_phrases, gold_now),
            ("pipeline", run_threads, run_phrases, run_now),
        ):
            rows, seconds = name_threads(threads, vectors, phrases, now, nlp, embedder)
            results[name] = score_rows(threads, rows, labels, scorer)
            results[name]["names"]["seconds"] = round(seconds, 2)
            duplicates = len(rows["names"]) - len({n.lower() for n in rows["names"]})
            results[name]["names"]["duplicate_names"] = duplicates

    print(f"{'threads':<10}{'row':<18}{'ROUGE-1 F':>10}{'median words':>14}")
    for name, rows in results.items():
        for row in ROWS:
            r = rows[row]
            print(f"{name:<10}{row:<18}{r['rouge1_f']:>10.3f}{r['median_words']:>14}")
    print(f"target (names): {TARGET}")
    for name in results:
        r = results[name]["names"]
        print(
            f"{name}: names in {r['seconds']:.1f} s (parse included), "
            f"{r['duplicate_names']} duplicate names"
        )
    results["about"] = {
        "data": "basil-dev.jsonl (50 events x 3 articles)",
        "metric": "ROUGE-1 F, rouge-score with Porter stemmer, against each article's "
        "gold_story_label; mean over a thread's articles, then over threads",
        "target": TARGET,
        "ctfidf_words": CTFIDF_WORDS,
        "keybert_phrases": KEYBERT_PHRASES,
        "spacy_pipeline": "_".join([nlp.meta.get("lang", ""), nlp.meta.get("name", "")])
        + " "
        + str(nlp.meta.get("version", "")),
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
