"""Quality gates on the dev sets with the real model (slow: `make test-slow`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storythreads import Settings, analyze, read_posts
from storythreads.analysis.evaluate.threads import gold_labels, scores

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ECBPLUS = SHARED / "ecbplus-dev.jsonl"
BLOGS, BLOG_POSTS = SHARED / "liveblogs-dev-blogs.jsonl", SHARED / "liveblogs-dev-posts.jsonl"
GENRES = ("business", "australia-news", "politics", "world", "us-news")  # docs/quality.md


@pytest.mark.slow
@pytest.mark.skipif(not ECBPLUS.exists(), reason="../shared/data/ecbplus-dev.jsonl not present")
def test_ecbplus_bcubed_f1_at_least_095():
    gold = gold_labels(str(ECBPLUS), "gold_story_id")
    run = analyze(read_posts([ECBPLUS]).posts, Settings())
    ids = [p.id for p in run.posts]
    result = scores([run.primary_thread(i) for i in ids], [gold[i] for i in ids])
    assert result["bcubed_f1"] >= 0.95, result


@pytest.mark.slow
@pytest.mark.skipif(not BLOG_POSTS.exists(), reason="../shared/data/liveblogs-dev-* not present")
def test_pooled_live_blogs_never_share_a_thread():
    first_of_genre: dict[str, str] = {}
    for line in BLOGS.read_text(encoding="utf-8").splitlines():
        blog = json.loads(line)
        first_of_genre.setdefault(blog["genre"], blog["blog_id"])
    chosen = {first_of_genre[g] for g in GENRES}
    blog_of = {i: b for i, b in gold_labels(str(BLOG_POSTS), "blog_id").items() if b in chosen}
    posts = [p for p in read_posts([BLOG_POSTS]).posts if p.id in blog_of]
    assert len({blog_of[p.id] for p in posts}) == 5
    run = analyze(posts, Settings())
    ids = [p.id for p in run.posts]
    result = scores([run.primary_thread(i) for i in ids], [blog_of[i] for i in ids])
    assert result["bcubed_precision"] >= 0.97, result
