"""Posts without a good time (issue 24): undated posts never bridge dated stories, times of
day take a date from their blog, placeholder times are undated, and the report says where
every time came from."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from click.testing import CliRunner

from storythreads.analysis.ingest import read_posts
from storythreads.analysis.threading.cluster import ThreadClusterer, attach_labels
from storythreads.cli import commands as cli
from storythreads.config import LimitSettings, Settings
from storythreads.embeddings import CachedEmbedder
from storythreads.pipeline import update
from storythreads.store import Store

DAY = 86_400.0


def partition(labels, rows=None) -> set[frozenset[int]]:
    rows = range(len(labels)) if rows is None else rows
    groups: dict[int, set[int]] = {}
    for row in rows:
        groups.setdefault(int(labels[row]), set()).add(int(row))
    return {frozenset(g) for g in groups.values()}


def years_apart(n_years: int = 4, per_year: int = 4, n_undated: int = 3, seed: int = 0):
    """One subject covered in ``n_years`` separate years (close vectors, far times), plus
    undated posts on the same subject: the chain that used to run through them."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(size=32)
    n = n_years * per_year + n_undated
    X = centre + 0.25 * rng.normal(size=(n, 32))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    times = np.full((n, 2), np.nan)
    for i in range(n_years * per_year):
        start = (i // per_year) * 365 * DAY + (i % per_year) * 3600.0
        times[i] = (start, start)
    return X.astype(np.float32), times


def test_undated_posts_join_one_story_and_merge_none():
    X, times = years_apart()
    dated = np.flatnonzero(~np.isnan(times[:, 0]))
    undated = np.flatnonzero(np.isnan(times[:, 0]))
    model = ThreadClusterer(lexical_weight=0.0).fit(X, times=times)
    labels = model.labels_
    years = {int(times[i, 0] // (365 * DAY)) for i in dated}
    for year in years:  # each year its own thread: time keeps them apart
        members = [i for i in dated if int(times[i, 0] // (365 * DAY)) == year]
        assert len({labels[i] for i in members}) == 1
    assert len({labels[i] for i in dated}) == len(years)
    for i in undated:  # in at most one of them, or a thread of undated posts
        assert labels[i] in {labels[j] for j in dated} | {labels[j] for j in undated}
    # time off, the same posts make one thread: the test data does chain
    flat = ThreadClusterer(lexical_weight=0.0, time_half_life_days=0).fit(X, times=times)
    assert flat.n_threads_ == 1


@pytest.mark.parametrize("large_n", [4000, 8])  # the exact path and the large one
@pytest.mark.parametrize("seed", range(5))
def test_undated_posts_never_change_how_the_dated_ones_are_threaded(seed, large_n):
    """The dated posts' partition is the same with and without the undated posts."""
    X, times = years_apart(n_years=3, per_year=5, n_undated=6, seed=seed)
    dated = np.flatnonzero(~np.isnan(times[:, 0]))
    model = ThreadClusterer(lexical_weight=0.0, large_n=large_n)
    together = model.fit_predict(X, times=times)
    alone = model.fit_predict(X[dated], times=times[dated])
    assert partition(together, dated) == {frozenset(dated[list(g)]) for g in partition(alone)}


def test_the_attach_path_places_undated_posts_by_the_same_rule():
    X, times = years_apart(n_years=2, per_year=4, n_undated=2)
    ids = [f"p{i}" for i in range(len(X))]
    model = ThreadClusterer(lexical_weight=0.0)
    full = model.fit_predict(X, times=times)
    stored = {ids[i]: int(full[i]) for i in range(8)}  # the dated posts, as a store holds them
    attached = attach_labels(ids, stored, X, None, model, times)
    assert list(attached) == list(full)


def test_all_undated_input_threads_as_before():
    X, times = years_apart(n_years=0, per_year=0, n_undated=6)
    with_times = ThreadClusterer(lexical_weight=0.0).fit_predict(X, times=times)
    without = ThreadClusterer(lexical_weight=0.0).fit_predict(X)
    assert list(with_times) == list(without)


# -- times that are no times ------------------------------------------------------------


def write_feed(path):
    rows = [
        {"id": "dated", "blog_id": "b1", "published": "2024-03-04T08:00:00Z",
         "title": "Flood waters rise in the valley", "text": "The river rose overnight."},
        {"id": "clock", "blog_id": "b1", "published": "10:30",
         "title": "Flood waters reach the town", "text": "The river reached the square."},
        {"id": "lonely-clock", "blog_id": "b2", "published": "11:00",
         "title": "Match report", "text": "A late goal won it."},
        {"id": "epoch", "published": "1970-01-01T00:00:00Z",
         "title": "Exported without a date", "text": "An export's placeholder time."},
        {"id": "future", "published": "2099-01-01",
         "title": "Dated in the far future", "text": "A typo in the year."},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_odd_times_are_listed_with_their_post_and_threaded_as_undated(tmp_path):
    result = read_posts([write_feed(tmp_path / "feed.jsonl")])
    posts = {p.id: p for p in result.posts}
    assert posts["clock"].published == datetime(2024, 3, 4, 10, 30, tzinfo=UTC)
    assert (posts["clock"].time_source, posts["clock"].time_inferred_from) == ("inferred", "dated")
    for pid in ("lonely-clock", "epoch", "future"):
        assert posts[pid].published is None and posts[pid].time_source == "none"
    assert posts["dated"].time_source == "given"
    said = {re.match(r"post (\S+): ", p.message)[1]: p.message for p in result.problems}
    assert set(said) == {"clock", "lonely-clock", "epoch", "future"}
    assert "date 2024-03-04 inferred from post dated" in said["clock"]
    assert "no dated post of its blog or file" in said["lonely-clock"]
    assert "before 1990" in said["epoch"] and "threaded as undated" in said["epoch"]
    assert "more than a day after this run" in said["future"]


def test_odd_times_can_be_kept_and_the_earliest_year_moved(tmp_path):
    limits = LimitSettings(odd_times="keep", earliest_year=1960)
    result = read_posts([write_feed(tmp_path / "feed.jsonl")], limits=limits)
    posts = {p.id: p for p in result.posts}
    assert posts["epoch"].published == datetime(1970, 1, 1, tzinfo=UTC)  # 1970 >= 1960
    assert posts["future"].published.year == 2099
    (future,) = [p.message for p in result.problems if p.message.startswith("post future")]
    assert future.endswith("kept as given (limits.odd_times = keep)")
    with pytest.raises(Exception, match="odd_times"):
        Settings.from_dict({"limits": {"odd_times": "drop"}})


def test_a_date_a_day_ahead_is_fine_and_two_days_is_not(tmp_path):
    soon = datetime.now(UTC) + timedelta(hours=20)
    later = datetime.now(UTC) + timedelta(days=2)
    rows = [{"id": "soon", "title": "a", "text": "x", "published": soon.isoformat()},
            {"id": "later", "title": "b", "text": "y", "published": later.isoformat()}]  # fmt: skip
    path = tmp_path / "f.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    posts = {p.id: p for p in read_posts([path]).posts}
    assert posts["soon"].published is not None and posts["later"].published is None


def test_the_report_says_where_each_time_came_from(tmp_path, monkeypatch, make_fake_embedder):
    monkeypatch.setattr(cli.engines, "embedder", lambda s: CachedEmbedder(make_fake_embedder()))
    out = tmp_path / "out"
    feed = write_feed(tmp_path / "feed.jsonl")
    result = CliRunner().invoke(cli.main, ["run", str(feed), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    sources = {p["id"]: p["time_source"] for p in report["posts"]}
    assert sources == {"dated": "given", "clock": "inferred", "lonely-clock": "none",
                       "epoch": "none", "future": "none"}  # fmt: skip
    problems = " ".join(p["message"] for p in report["problems"])
    for pid in ("clock", "lonely-clock", "epoch", "future"):
        assert f"post {pid}:" in problems
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "2024-03-04 10:30 UTC (date inferred) — Flood waters reach the town" in markdown
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "2024-03-04 10:30 UTC (date inferred)" in html
    with Store(out / "store.sqlite") as store:  # kept for the next runs
        kept = {p.id: p for p in store.load_posts()}
        assert kept["clock"].time_inferred_from == "dated"
        again = update(store, [], Settings(), CachedEmbedder(make_fake_embedder()))
        assert {p.id: p.time_source for p in again.posts}["clock"] == "inferred"
