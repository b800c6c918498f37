"""A backlog in one command (issue 34): more new posts than a window go window by window,
each committed; a killed backlog resumes from the last committed window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers.fixture_posts import WEEKS_FEED

from storythreads.config import Settings
from storythreads.pipeline import update
from storythreads.pipeline.backlog import Progress, backlog, windows
from storythreads.store import Store
from storythreads.types import Post

# windows of 10 posts; stores over 12 posts attach new posts to a working set
SMALL = Settings().replace("store", backlog_window_posts=10).replace(
    "identity", full_rethread_max_posts=12
)


def partition(store) -> set[frozenset[str]]:
    run = store.load_run()
    homes: dict[str, set[str]] = {}
    for a in run.assignments:
        if a.role == "primary":
            homes.setdefault(a.thread_id, set()).add(a.post_id)
    return {frozenset(ids) for ids in homes.values()}


def test_windows_keep_time_order_and_posts_of_one_time_together():
    at = datetime(2024, 3, 4, tzinfo=UTC)
    posts = [Post(f"p{k:02d}", None, None, at + timedelta(hours=k // 3), f"t{k}", None, "x")
             for k in range(12)]  # fmt: skip
    undated = [Post(f"u{k}", None, None, None, f"u{k}", None, "x") for k in range(5)]
    cut = windows(posts + undated, 4)
    assert [len(w) for w in cut] == [6, 6, 4, 1]  # 4, then the rest of that hour
    assert [p.id for w in cut for p in w] == [p.id for p in posts + undated]
    assert all(w[0].published != v[-1].published for v, w in zip(cut, cut[1:], strict=False)
               if w[0].published)  # fmt: skip


def test_a_backlog_goes_window_by_window_and_holds_every_post(tmp_path, make_fake_embedder):
    seen: list[Progress] = []
    with Store(tmp_path / "s.sqlite") as store:
        run = backlog(store, WEEKS_FEED, SMALL, make_fake_embedder(), progress=seen.append)
        assert store.post_count() == len(WEEKS_FEED)
        runs = store.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        homes = partition(store)
    assert run.counts["backlog_windows"] == 4 == runs  # 37 posts, windows of 10
    assert run.counts["backlog_posts"] == 37 and run.counts["backlog_resumed_from"] == 0
    assert [(p.window, p.posts_done) for p in seen] == [(0, 0), (1, 10), (2, 20), (3, 30), (4, 37)]
    assert sorted(p for ids in homes for p in ids) == sorted(p.id for p in WEEKS_FEED)


def test_a_run_of_no_more_than_a_window_is_one_scheduled_run(tmp_path, make_fake_embedder):
    settings = Settings().replace("store", backlog_window_posts=100)
    with Store(tmp_path / "a.sqlite") as store:
        run = backlog(store, WEEKS_FEED, settings, make_fake_embedder())
        whole = partition(store)
    with Store(tmp_path / "b.sqlite") as store:
        update(store, WEEKS_FEED, settings, make_fake_embedder())
        assert partition(store) == whole
    assert "backlog_windows" not in run.counts


class Killed(Exception):
    pass


def test_a_killed_backlog_resumes_from_the_last_committed_window(tmp_path, make_fake_embedder):
    def kill_after_two(p: Progress) -> None:
        if p.window == 2:
            raise Killed

    with Store(tmp_path / "killed.sqlite") as store:
        with pytest.raises(Killed):
            backlog(store, WEEKS_FEED, SMALL, make_fake_embedder(), progress=kill_after_two)
        assert store.post_count() == 20  # two windows committed, nothing of the third
        embedder = make_fake_embedder()
        seen: list[Progress] = []
        run = backlog(store, WEEKS_FEED, SMALL, embedder, progress=seen.append)
        resumed = partition(store)
    assert seen[0] == Progress(0, 2, 0, 17, 20)  # it says it resumes, and what is left
    assert run.counts["backlog_resumed_from"] == 20
    assert embedder.texts_embedded < len(WEEKS_FEED)  # the stored posts are not embedded again
    with Store(tmp_path / "whole.sqlite") as store:
        backlog(store, WEEKS_FEED, SMALL, make_fake_embedder())
        assert partition(store) == resumed  # the same threads as a backlog never killed


def test_the_cli_says_a_backlog_starts_and_draws_no_bar_on_a_pipe(tmp_path, monkeypatch,
                                                                   make_fake_embedder):  # fmt: skip
    from click.testing import CliRunner
    from helpers.fixture_posts import write_posts_jsonl

    from storythreads.cli import commands as cli
    from storythreads.embeddings import CachedEmbedder

    monkeypatch.setattr(cli.engines, "engine_embedder",
                        lambda *a, **k: CachedEmbedder(make_fake_embedder()))  # fmt: skip
    data = write_posts_jsonl(tmp_path / "feed.jsonl", WEEKS_FEED)
    config = tmp_path / "settings.toml"
    config.write_text("[store]\nbacklog_window_posts = 10\n")
    result = CliRunner().invoke(cli.main, ["run", str(data), "--out", str(tmp_path / "out"),
                                           "--config", str(config)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "a backlog of 37 new posts, in 4 windows of up to 10 (each committed)" in result.output
    assert "Threading the backlog" not in result.output  # no bar: not a terminal


def test_an_archive_not_held_gives_the_threads_of_the_posts_held(tmp_path, make_fake_embedder):
    """The CLI reads a long JSONL file as an Archive: each window's posts are read from the
    file when its turn comes, and the threads are those of the same posts held in memory."""
    from helpers.fixture_posts import write_posts_jsonl

    from storythreads.analysis.ingest import read_archive

    data = write_posts_jsonl(tmp_path / "feed.jsonl", WEEKS_FEED)
    with Store(tmp_path / "held.sqlite") as store:
        backlog(store, WEEKS_FEED, SMALL, make_fake_embedder())
        held = partition(store)
        held_ids = {a.thread_id for a in store.load_run().assignments}
    with Store(tmp_path / "archive.sqlite") as store:
        run = backlog(store, read_archive(data, stream_bytes=0), SMALL, make_fake_embedder())
        assert partition(store) == held
        assert {a.thread_id for a in store.load_run().assignments} == held_ids
    assert run.counts["backlog_windows"] == 4
    # three more posts at the end of the same long file: only they are read and threaded
    later = WEEKS_FEED[-1].published + timedelta(hours=1)
    extra = [Post(f"extra-{k}", "Wire", None, later, f"More {k}", None, "x") for k in range(3)]
    write_posts_jsonl(data, [*WEEKS_FEED, *extra])
    with Store(tmp_path / "archive.sqlite") as store:
        run = backlog(store, read_archive(data, stream_bytes=0), SMALL, make_fake_embedder())
        assert store.post_count() == len(WEEKS_FEED) + 3
    assert (run.counts["posts_new"], run.counts["posts_unchanged"]) == (3, len(WEEKS_FEED))
