"""Summary quality on the 30 dev live blogs: ROUGE against the editors' key points (issue 6).

For each blog, its posts are threaded on their own and the report's summaries are taken,
with as many items as the editors wrote key points:

- ``storythreads``: the most central cited sentence of each thread, busiest threads first;
- ``storythreads-key-points``: the report's "Key points" (reports.key_points): headlines
  chosen across the whole blog by centrality, diversity and recency, roundups left out;
  ``key-points-no-recency`` is the same with the recency tilt off;
- ``storythreads-headlines``: the central headline of each thread, busiest threads first.

Beside them, on the same posts and with the same length: LexRank (sumy) over sentences and
over headlines (the same candidates as the key points, each headline once), and a lead
baseline (the first sentence of each post).

Every system's items are scored in one order, newest first (the report's order): ROUGE-2
counts the bigram that joins one item to the next, and the Guardian's key-event lists run
newest first, so an order that matches theirs is worth about 0.03 ROUGE-2 by itself.
Prints mean ROUGE-1/2/L F1, overall and by source (guardian, bbc), and writes
bench/results-summaries.json.

    .venv/bin/pip install -e '.[bench]'      # rouge-score, sumy: benchmark-only
    .venv/bin/python bench/summaries.py
    .venv/bin/python bench/summaries.py --posts other-posts.jsonl --blogs other-blogs.jsonl
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from collections import defaultdict
from pathlib import Path
from statistics import mean

from rouge_score import rouge_scorer
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.summarizers.lex_rank import LexRankSummarizer

from storythreads import Settings, analyze, read_posts
from storythreads.analysis.threading.segment import split_sentences
from storythreads.config import ReportSettings
from storythreads.embeddings import CachedEmbedder, make_embedder
from storythreads.store import Store

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


def _words_of(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", text.lower()))


def lexrank_headlines(posts, k: int) -> list[str]:
    """LexRank choosing among the same candidates as the key points: post titles, each once."""
    words, seen, titles = _Words(), set(), []
    for p in posts:
        key = _words_of(p.title)
        if key and key not in seen:
            seen.add(key)
            titles.append(Paragraph([Sentence(p.title, words)]))
    return [str(s) for s in LexRankSummarizer()(ObjectDocumentModel(titles), k)]


def newest_first(items: list[str], posts) -> list[str]:
    """``items`` in the report's order: by the time of the first post that holds each."""
    when = {}
    for p in posts:  # oldest first
        for text in (p.title, *_sentences(p.body)):
            when.setdefault(_words_of(text), p.sort_key)
    first = posts[0].sort_key if posts else None
    return sorted(items, key=lambda t: when.get(_words_of(t), first), reverse=True)


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


def flag_precision(chosen_ids: list[str], flagged: set[str]) -> float | None:
    """The share of the chosen posts that the editors flagged as key events."""
    return sum(i in flagged for i in chosen_ids) / len(chosen_ids) if chosen_ids else None


def headline_posts(titles: list[str], posts) -> list[str]:
    """The posts whose headlines LexRank chose (the first post of each headline)."""
    first: dict[tuple, str] = {}
    for p in posts:
        first.setdefault(_words_of(p.title), p.id)
    return [first[_words_of(t)] for t in titles if _words_of(t) in first]


def _settings(base: Settings, k: int, recency: float = 1.0) -> Settings:
    """``base``, but as many key points as the editors wrote; no map (no HTML is written)."""
    report = ReportSettings(key_points=k, key_points_recency=recency, formats=("json",))
    return dataclasses.replace(base, report=report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=Path, default=DATA / "liveblogs-dev-posts.jsonl")
    parser.add_argument("--blogs", type=Path, default=DATA / "liveblogs-dev-blogs.jsonl")
    parser.add_argument("--out", type=Path, default=HERE / "results-summaries.json")
    parser.add_argument("--config", help="a settings TOML file (default: shipped defaults)")
    args = parser.parse_args()
    blogs = [json.loads(line) for line in args.blogs.read_text(encoding="utf-8").splitlines()]
    by_blog = defaultdict(list)  # the harness splits blogs; the tool never sees blog_id
    flagged: set[str] = set()  # the editors' key-event flags: scored, never read by the tool
    for line in args.posts.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        by_blog[row["blog_id"]].append(row["id"])
        if row.get("is_key_event"):
            flagged.add(row["id"])
    posts = {p.id: p for p in read_posts([args.posts]).posts}
    base = Settings.from_toml(args.config) if args.config else Settings()
    (HERE / ".cache").mkdir(exist_ok=True)
    store = Store(HERE / ".cache" / "vectors.sqlite")  # the dev sets' cache (bench/dev_sets.py)
    embedder = CachedEmbedder(make_embedder(base.embedding), store)
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
    # scores[system][source][metric] -> one F1 per blog; source "all" pools both
    scores = {name: defaultdict(lambda: defaultdict(list)) for name in systems}
    # issue 27: on each Guardian blog, k = its number of flagged posts; the share of the
    # chosen posts that editors flagged (ours, LexRank over the headlines, chance)
    precision: dict[str, list[float]] = defaultdict(list)
    for blog in blogs:
        blog_posts = sorted((posts[i] for i in by_blog[blog["blog_id"]]), key=lambda p: p.sort_key)
        marked = {p.id for p in blog_posts} & flagged
        if blog.get("source") == "guardian" and marked:
            flags = len(marked)
            mine = analyze(blog_posts, _settings(base, flags), embedder)
            for name, chosen in (
                ("storythreads-key-points", [c.post_id for c in mine.key_points]),
                ("lexrank-headlines", headline_posts(lexrank_headlines(blog_posts, flags),
                                                     blog_posts)),
            ):  # fmt: skip
                value = flag_precision(chosen, marked)
                if value is not None:
                    precision[name].append(value)
            precision["chance"].append(flags / len(blog_posts))
        reference = "\n".join(blog["summary"])
        k = len(blog["summary"])
        run = analyze(blog_posts, _settings(base, k), embedder)
        # the same without the tilt towards the newest posts: centrality and diversity only
        plain = analyze(blog_posts, _settings(base, k, recency=0.0), embedder)
        for name, summary in (
            ("storythreads", newest_first(ours(run, k), blog_posts)),
            ("storythreads-key-points", ours_key_points(run, k)),  # newest first already
            ("key-points-no-recency", ours_key_points(plain, k)),
            ("storythreads-headlines", newest_first(ours_headlines(run, k), blog_posts)),
            ("lexrank", newest_first(lexrank(blog_posts, k), blog_posts)),
            ("lexrank-headlines", newest_first(lexrank_headlines(blog_posts, k), blog_posts)),
            ("lead", newest_first(lead(blog_posts, k), blog_posts)),
        ):
            result = scorer.score(reference, "\n".join(summary))
            for metric, value in result.items():
                for source in ("all", blog.get("source", "?")):
                    scores[name][source][metric].append(value.fmeasure)
    store.close()
    table = {
        name: {
            source: {metric: round(mean(values), 4) for metric, values in metrics.items()}
            for source, metrics in by_source.items()
        }
        for name, by_source in scores.items()
    }
    flags_table = {name: round(mean(values), 4) for name, values in precision.items()}
    n_flag_blogs = len(precision["chance"])
    args.out.write_text(
        json.dumps({**table, "flag_precision": {"blogs": n_flag_blogs, **flags_table}}, indent=2)
        + "\n"
    )
    print(f"flag precision on {n_flag_blogs} Guardian blogs (k = the blog's flagged posts): "
          + ", ".join(f"{name} {value:.3f}" for name, value in flags_table.items()))  # fmt: skip
    sources = [s for s in table["lexrank"] if s != "all"]
    print(f"{len(blogs)} blogs; ROUGE-1 / ROUGE-2 / ROUGE-L F1, items newest first for all")
    print(f"{'system':<26}" + "".join(f"{s:>24}" for s in ["all", *sources]))
    for name, by_source in table.items():
        cells = [
            "{rouge1:.3f} {rouge2:.3f} {rougeL:.3f}".format(**by_source[s])
            for s in ["all", *sources]
        ]
        print(f"{name:<26}" + "".join(f"{c:>24}" for c in cells))
    for ours_name, base in (
        ("storythreads", "lexrank"),
        ("storythreads-key-points", "lexrank-headlines"),
        ("key-points-no-recency", "lexrank-headlines"),
    ):
        for source in ["all", *sources]:
            a, b = table[ours_name][source]["rouge2"], table[base][source]["rouge2"]
            print(f"ROUGE-2 {ours_name} vs {base} [{source}]: {a / max(b, 1e-9) - 1:+.1%}")


if __name__ == "__main__":
    main()
