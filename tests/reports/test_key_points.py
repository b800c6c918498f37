"""Key points: central, non-redundant, newest-first headlines across threads, roundups left out."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from storythreads.analysis.describe.key_points import roundup_posts, select_key_points
from storythreads.types import Post


def at(hour: int) -> datetime:
    return datetime(2023, 7, 8, hour, tzinfo=UTC)


def post(pid: str, hour: int, title: str, body: str = "Body text of the post goes here.") -> Post:
    return Post(pid, None, None, at(hour), title, None, body)


def unit(*rows) -> np.ndarray:
    v = np.array(rows, dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_roundups_are_left_out_and_picks_are_newest_first():
    posts = [
        post("a", 9, "Troops cross the river"),
        post("b", 10, "Lunchtime summary"),  # a summary by its headline
        post("c", 11, "Talks resume in Geneva"),
        post("d", 12, "What happened today"),  # a roundup by its `also` links
        post("e", 13, "Ceasefire announced"),
    ]
    vecs = unit([1, 0, 0], [1, 1, 1], [0, 1, 0], [1, 1, 1], [0, 0, 1])
    picked = select_key_points(posts, vecs, roundups={"d"}, n=5)
    assert [c.post_id for c in picked] == ["e", "c", "a"]
    assert [c.text for c in picked] == [
        "Ceasefire announced",
        "Talks resume in Geneva",
        "Troops cross the river",
    ]


def test_near_duplicates_are_not_both_picked():
    posts = [
        post("a", 9, "Quake hits city"),
        post("b", 10, "Quake hits city, dozens hurt"),
        post("c", 11, "Election date set"),
    ]
    vecs = unit([1, 0.05], [1, 0.0], [0, 1])
    picked = {c.post_id for c in select_key_points(posts, vecs, n=2)}
    assert "c" in picked and len(picked & {"a", "b"}) == 1


@pytest.mark.parametrize("title", ["", "DECEMBER 16, 2008"])  # untitled, or a bare dateline
def test_a_post_without_a_telling_headline_stands_in_with_its_first_sentence(title):
    posts = [
        post("a", 9, title, "Rescuers reached the village at dawn. More later."),
        post("b", 10, "Rain expected"),
    ]
    picked = select_key_points(posts, unit([1, 0], [0, 1]), n=2)
    assert [c.text for c in picked] == ["Rain expected", "Rescuers reached the village at dawn."]


def test_recency_decides_between_equally_central_posts():
    posts = [post("old", 9, "Old news"), post("new", 15, "New news")]
    vecs = unit([1, 0], [0, 1])
    assert [c.post_id for c in select_key_points(posts, vecs, n=1, recency=1.0)] == ["new"]


def test_nothing_to_pick():
    assert select_key_points([], np.zeros((0, 3), np.float32)) == []
    assert select_key_points([post("a", 9, "x")], unit([1, 0]), n=0) == []


def test_a_roundup_is_a_post_that_also_tells_two_other_threads():
    also = {("wrap", 1): ["s1"], ("wrap", 2): ["s2"], ("aside", 1): ["s3"]}
    assert roundup_posts(also) == {"wrap"}


def test_a_repeated_headline_is_a_candidate_once():
    posts = [
        post("a", 9, "Latest headlines"),
        post("b", 10, "Bridge closed after crash"),
        post("c", 11, "Latest headlines"),
        post("d", 12, "Council approves budget"),
    ]
    vecs = unit([1, 0, 0], [0, 1, 0], [1, 0, 0.01], [0, 0, 1])
    picked = [c.post_id for c in select_key_points(posts, vecs, n=4, recency=0)]
    assert sorted(picked) == ["a", "b", "d"]


def test_where_editors_title_only_their_key_events_only_those_are_candidates():
    """Issue 27: a blog that titles one post in four (its key events) gets its key points
    from those posts only, fewer than asked rather than untitled ones."""
    posts = [post(f"u{i}", 9 + i, "", f"Untitled update number {i}. More later.") for i in range(6)]
    posts += [post("k1", 16, "Ceasefire agreed"), post("k2", 17, "Talks to resume Monday")]
    vecs = unit(*([[1, 0]] * 6), [0, 1], [0.2, 1])
    picked = select_key_points(posts, vecs, n=5)
    assert [c.post_id for c in picked] == ["k2", "k1"]


def test_the_number_of_key_points_follows_the_run_unless_fixed():
    from storythreads.analysis.describe.key_points import key_point_count
    from storythreads.config import Settings

    assert [key_point_count(n) for n in (0, 1, 5, 12, 40)] == [3, 3, 5, 12, 12]
    assert key_point_count(40, setting=4) == 4 and key_point_count(2, setting=0) == 0
    assert Settings().report.key_points is None  # follows the run by default
    fixed = Settings.from_dict({"report": {"key_points": 9}})
    assert key_point_count(40, fixed.report.key_points) == 9


def test_posts_the_page_marks_as_key_events_come_first():
    import dataclasses

    posts = [post("a", 9, "Quake hits city"), post("b", 10, "Election date set"),
             post("c", 11, "Rain expected"), post("d", 12, "")]  # fmt: skip
    posts[3] = dataclasses.replace(posts[3], body="Officials confirm the toll. More soon.",
                                   key_event=True)  # fmt: skip
    posts[0] = dataclasses.replace(posts[0], key_event=True)
    vecs = unit([1, 0], [0, 1], [0.7, 0.7], [1, 0.1])
    picked = select_key_points(posts, vecs, n=2, recency=0.0)
    assert {c.post_id for c in picked} == {"a", "d"}  # both marks, the untitled one too
    assert len(select_key_points(posts, vecs, n=3)) == 3  # then the ranking fills the rest


def test_the_reports_show_the_pages_key_event_mark(tmp_path, monkeypatch, make_fake_embedder):
    import json

    from click.testing import CliRunner

    from storythreads.cli import commands as cli
    from storythreads.embeddings import CachedEmbedder

    monkeypatch.setattr(cli.engines, "embedder", lambda s: CachedEmbedder(make_fake_embedder()))
    rows = [
        {"id": "k", "published": "2024-03-04T08:00:00Z", "title": "Ceasefire agreed",
         "text": "Both sides signed.", "key_event": True},
        {"id": "u", "published": "2024-03-04T09:00:00Z", "title": "Reaction",
         "text": "Leaders welcomed it."},
    ]  # fmt: skip
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    assert CliRunner().invoke(cli.main, ["run", str(feed), "--out", str(out)]).exit_code == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {p["id"]: p["key_event"] for p in report["posts"]} == {"k": True, "u": False}
    assert "Ceasefire agreed · **key event**" in (out / "report.md").read_text(encoding="utf-8")
    assert '<span class="tag key-event">key event</span>' in (out / "report.html").read_text(
        encoding="utf-8"
    )
