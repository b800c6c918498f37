"""Summary quality on the 30 dev live blogs: ROUGE against the editors' key points (issue 6).

For each blog, its posts are threaded on their own and the report's summaries are taken,
with as many items as the editors wrote key points:

- ``storythreads``: the most central cited sentence of each thread, busiest threads first;
- ``storythreads-key-points``: the report's "Key points" (reports.key_points): headlines
  chosen across the whole blog by centrality, diversity and recency, roundups left out;
  ``key-points-no-recency`` is the same with the recency tilt off;
- ``storythreads-headlines``: the central headline of each thread, busiest threads first.

Beside them, on the same posts and with the same length: LexRank (sumy) over sentences and
over headlines (the same candidates as the key points), and a lead baseline (the first
sentence of each post, oldest first).
Prints mean ROUGE-1/2/L F1 and writes bench/results-summaries.json.

    .venv/bin/pip install rouge-score sumy      # benchmark-only dependencies
    .venv/bin/python bench/summaries.py
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from statistics import mean

from rouge_score import rouge_scorer
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.summarizers.lex_rank import LexRankSummarizer

from storythreads import Settings, analyze, read_posts
from storythreads.analysis.segment import split_sentences
from storythreads.config import ReportSettings
from storythreads.embeddings import CachedEmbedder, SentenceTransformerEmbedder

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"


class _Words:
    """sumy's tokenizer interface without nltk data (nothing may be downloaded)."""

    def to_words(self, sentence):
        return re.findall(r"\w+", sentence.lower())


def _sentences(text: str) -> list[str]:
    # the corpus is lower-cased and tokenised: split on " . " as well as on normal ends
    out = []
    for part in re.split(r"(?<=[.!?])\s+", text):
        out += [s for s in split_sentences(part) if len(s.split()) >= 5]
    return out


def lexrank(posts, k: int) -> list[str]:
    words = _Words()
    paragraphs = [Paragraph([Sentence(s, words) for s in _sentences(p.body)]) for p in posts]
    document = ObjectDocumentModel([p for p in paragraphs if p.sentences])
    return [str(s) for s in LexRankSummarizer()(document, k)]


def lexrank_headlines(posts, k: int) -> list[str]:
    """LexRank choosing among the same candidates as the headline overview: post titles."""
    words = _Words()
    titles = [Paragraph([Sentence(p.title, words)]) for p in posts if p.title.strip()]
    return [str(s) for s in LexRankSummarizer()(ObjectDocumentModel(titles), k)]


def lead(posts, k: int) -> list[str]:
    firsts = [(_sentences(p.body) or [p.title])[0] for p in posts]
    return firsts[:k]


def ours(run, k: int) -> list[str]:
    picked = []
    for thread in run.threads:  # most active first
        if thread.summary:
            picked.append(max(thread.summary, key=lambda c: c.score).text)
        if len(picked) == k:
            break
    return picked


def ours_key_points(run, k: int) -> list[str]:
    """The report's key points: headlines chosen across the whole run (reports.key_points)."""
    return [c.text for c in run.key_points][:k]


def ours_headlines(run, k: int) -> list[str]:
    """The report's overview line per thread: its most central headline, busiest first."""
    return [t.headline for t in run.threads if t.headline][:k]


def _settings(k: int, recency: float = 1.0) -> Settings:
    """Defaults, but as many key points as the editors wrote; no map (no HTML is written)."""
    report = ReportSettings(key_points=k, key_points_recency=recency, formats=("json",))
    return Settings(report=report)


def main() -> None:
    blogs = [
        json.loads(line)
        for line in (DATA / "liveblogs-dev-blogs.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    by_blog = defaultdict(list)  # the harness splits blogs; the tool never sees blog_id
    for line in (DATA / "liveblogs-dev-posts.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        by_blog[row["blog_id"]].append(row["id"])
    posts = {p.id: p for p in read_posts([DATA / "liveblogs-dev-posts.jsonl"]).posts}
    embedder = CachedEmbedder(SentenceTransformerEmbedder())
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    systems = (
        "storythreads",
        "storythreads-key-points",
        "key-points-no-recency",
        "storythreads-headlines",
        "lexrank",
        "lexrank-headlines",
        "lead",
    )
    scores = {name: defaultdict(list) for name in systems}
    for blog in blogs:
        blog_posts = sorted((posts[i] for i in by_blog[blog["blog_id"]]), key=lambda p: p.sort_key)
        reference = "\n".join(blog["summary"])
        k = len(blog["summary"])
        run = analyze(blog_posts, _settings(k), embedder)
        # the same without the tilt towards the newest posts: centrality and diversity only
        plain = analyze(blog_posts, _settings(k, recency=0.0), embedder)
        for name, summary in (
            ("storythreads", ours(run, k)),
            ("storythreads-key-points", ours_key_points(run, k)),
            ("key-points-no-recency", ours_key_points(plain, k)),
            ("storythreads-headlines", ours_headlines(run, k)),
            ("lexrank", lexrank(blog_posts, k)),
            ("lexrank-headlines", lexrank_headlines(blog_posts, k)),
            ("lead", lead(blog_posts, k)),
        ):
            result = scorer.score(reference, "\n".join(summary))
            for metric, value in result.items():
                scores[name][metric].append(value.fmeasure)
    table = {
        name: {metric: round(mean(values), 4) for metric, values in metrics.items()}
        for name, metrics in scores.items()
    }
    (HERE / "results-summaries.json").write_text(json.dumps(table, indent=2) + "\n")
    print(f"{'system':<24}{'ROUGE-1':>9}{'ROUGE-2':>9}{'ROUGE-L':>9}   ({len(blogs)} blogs)")
    for name, metrics in table.items():
        print(
            f"{name:<24}{metrics['rouge1']:>9.4f}{metrics['rouge2']:>9.4f}{metrics['rougeL']:>9.4f}"
        )
    for ours_name, base in (
        ("storythreads", "lexrank"),
        ("storythreads-key-points", "lexrank-headlines"),
    ):
        relative = table[ours_name]["rouge2"] / max(table[base]["rouge2"], 1e-9) - 1
        print(f"ROUGE-2 {ours_name} vs {base}: {relative:+.1%} (target +20%)")


if __name__ == "__main__":
    main()
