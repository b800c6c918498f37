"""A store that grows for years (issue 26): the working set of a scheduled run, the store's
document frequencies, the report's window, the archive of thread pages and plotly.js
written once per report folder."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from helpers.fixture_posts import DAY1, WEEKS_FEED, write_posts_jsonl

from storythreads.analysis.threading.similarity import lexical_model
from storythreads.analysis.threading.working_set import reach_days, working_since
from storythreads.cli import commands as cli
from storythreads.config import ClusterSettings, ReportSettings, Settings
from storythreads.pipeline import analyze, update
from storythreads.pipeline.words import store_idf, term_counts
from storythreads.reports import publish, recent_window
from storythreads.reports.archive import read_index, write_archive
from storythreads.store import Store
from storythreads.types import Post

LARGE = Settings().replace("identity", full_rethread_max_posts=4)


@pytest.fixture
def fake_model(monkeypatch, make_fake_embedder):
    """The CLI embeds with the fake embedder."""
    from storythreads.embeddings import CachedEmbedder

    monkeypatch.setattr(
        cli.engines, "embedder", lambda settings: CachedEmbedder(make_fake_embedder())
    )


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


def _weeks(posts):
    weeks: dict[int, list[Post]] = {}
    for p in posts:
        weeks.setdefault((p.published - DAY1).days // 7, []).append(p)
    return [weeks[k] for k in sorted(weeks)]


# -- how far back a run looks ---------------------------------------------------------------


def test_the_reach_follows_the_time_settings_not_a_fitted_number():
    cs = ClusterSettings()
    assert reach_days(cs) == pytest.approx(1.0 + 2.0 * math.log2(1 / 0.3))  # 4.47 days
    assert reach_days(dataclasses.replace(cs, time_half_life_days=4.0)) > reach_days(cs)
    assert reach_days(dataclasses.replace(cs, time_half_life_days=0.0)) is None
    assert reach_days(dataclasses.replace(cs, floor=0.0)) is None


def test_an_undated_new_post_or_no_window_means_the_whole_store():
    cs = ClusterSettings()
    now = datetime(2024, 5, 1, tzinfo=UTC)
    dated = Post("a", None, None, now, "t", None, "b")
    undated = dataclasses.replace(dated, id="u", published=None)
    since = working_since([dated], now, cs, 7.0)
    assert since == now - timedelta(days=8)  # the window (7 days) + a day for dates only
    early = dataclasses.replace(dated, published=now - timedelta(days=30))
    assert working_since([early], now, cs, 7.0) == early.published - timedelta(
        days=reach_days(cs) + 1
    )
    assert working_since([dated, undated], now, cs, 7.0) is None
    assert working_since([dated], now, cs, 0.0) is None


# -- the store's document frequencies ---------------------------------------------------------


def test_rows_with_the_stores_frequencies_are_the_rows_of_a_fit_over_everything():
    texts = [f"{p.title}\n{p.body}" for p in WEEKS_FEED]
    some = texts[-12:]
    _, everything = lexical_model(texts)
    n, df = term_counts(WEEKS_FEED)
    vectorizer, part = lexical_model(some)
    vectorizer.idf_ = store_idf(vectorizer.get_feature_names_out(), n, df)
    part = vectorizer.transform(some)
    expected = (everything[-12:] @ everything[-12:].T).toarray()
    assert np.allclose((part @ part.T).toarray(), expected, atol=1e-6)
    # and not by chance: the working set's own IDF gives other rows
    _, own = lexical_model(some)
    assert not np.allclose((own @ own.T).toarray(), expected, atol=1e-3)


def test_the_store_keeps_its_word_counts_as_posts_come_and_are_edited(tmp_path, make_fake_embedder):
    batches = _weeks(WEEKS_FEED)
    with Store(tmp_path / "s.sqlite") as store:
        for batch in batches:
            update(store, batch, LARGE, make_fake_embedder())
        edited = dataclasses.replace(batches[-1][0], body="An entirely new body about tulips.")
        update(store, [edited], LARGE, make_fake_embedder())
        assert store.term_counts_kept()
        posts = store.load_posts()
        n, df = term_counts(posts)
        kept_n, kept = store.document_frequencies(df)
        assert kept_n == n and kept == dict(df)
        assert store.document_frequencies(["tulips"])[1] == {"tulips": 1}


# -- the working set ---------------------------------------------------------------------------


def test_a_working_set_run_reads_only_recent_threads_and_leaves_the_store_whole(
    tmp_path, make_fake_embedder
):
    batches = _weeks(WEEKS_FEED)
    with Store(tmp_path / "s.sqlite") as store:
        for batch in batches[:-1]:
            update(store, batch, LARGE, make_fake_embedder())
        before = store.load_run()
        run = update(store, batches[-1], LARGE, make_fake_embedder())
        after = store.load_run()
    assert run.counts["mode"] == "working set"
    assert run.counts["store_posts"] == len(WEEKS_FEED)
    assert len(run.posts) < len(WEEKS_FEED)  # the weeks before are not read again
    since = datetime.fromisoformat(run.counts["working_set_since"])
    old = {t.id for t in before.threads if t.last_seen < since}
    assert old and not old & {t.id for t in run.threads}
    # the threads outside the working set are as they were, and every post has one home
    unchanged = {t.id: (t.post_ids, t.summary, t.label) for t in before.threads if t.id in old}
    assert {
        t.id: (t.post_ids, t.summary, t.label) for t in after.threads if t.id in old
    } == unchanged
    primary = Counter(a.post_id for a in after.assignments if a.role == "primary")
    assert set(primary) == {p.id for p in WEEKS_FEED} and set(primary.values()) == {1}


def test_nothing_new_re_threads_only_the_window(tmp_path, make_fake_embedder):
    with Store(tmp_path / "s.sqlite") as store:
        update(store, WEEKS_FEED, LARGE, make_fake_embedder())
        again = update(store, [], LARGE, make_fake_embedder())
    assert again.counts["mode"] == "working set" and again.counts["posts_new"] == 0
    newest = max(p.published for p in WEEKS_FEED)
    assert all(p.published >= newest - timedelta(days=9) for p in again.posts)
    assert "no_change" in again.changes


# -- the report's window and the archive ---------------------------------------------------


def test_the_window_shows_recent_threads_whole_and_a_one_day_run_unchanged(fake_embedder):
    run = analyze(WEEKS_FEED, Settings(), fake_embedder)
    shown = recent_window(run, 7.0)
    newest = max(p.published for p in run.posts)
    assert shown.threads and len(shown.threads) < len(run.threads)
    assert all(t.last_seen >= newest - timedelta(days=7) for t in shown.threads)
    kept = {i for t in shown.threads for i in (*t.post_ids, *t.also_post_ids)}
    assert {p.id for p in shown.posts} >= kept
    assert shown.counts["archived_threads"] == len(run.threads) - len(shown.threads)
    one_day = analyze([p for p in WEEKS_FEED if p.published < DAY1 + timedelta(days=1)],
                      Settings(), fake_embedder)  # fmt: skip
    assert recent_window(one_day, 7.0) is one_day
    assert recent_window(run, 0.0) is run


def test_archive_pages_are_written_once_and_again_only_when_their_thread_changes(
    tmp_path, fake_embedder
):
    run = analyze(WEEKS_FEED, Settings(), fake_embedder)
    first = write_archive(run, tmp_path)
    assert first == {"written": len(run.threads), "unchanged": 0, "threads": len(run.threads)}
    page = tmp_path / "archive" / "threads" / f"{run.threads[0].id}.html"
    stamp = page.stat().st_mtime_ns
    assert write_archive(run, tmp_path)["written"] == 0 and page.stat().st_mtime_ns == stamp
    grown = dataclasses.replace(
        run,
        threads=(dataclasses.replace(run.threads[1], label="A new name"), *run.threads[2:]),
    )
    again = write_archive(grown, tmp_path)
    assert again["written"] == 1 and again["threads"] == len(run.threads)
    index = read_index(tmp_path / "archive")
    assert index[run.threads[1].id]["label"] == "A new name"
    data = json.loads((tmp_path / "archive" / "threads" / f"{run.threads[1].id}.json").read_text())
    assert data["schema"] == "storythreads.thread/1" and data["thread"]["label"] == "A new name"
    assert {p["id"] for p in data["posts"]} == set(run.threads[1].post_ids) | set(
        run.threads[1].also_post_ids
    )


def test_plotly_is_written_once_per_folder_or_inside_the_page(tmp_path, fake_embedder):
    run = analyze(WEEKS_FEED, Settings(), fake_embedder)
    publish(run, tmp_path / "a", ReportSettings())
    html = (tmp_path / "a" / "report.html").read_text()
    assets = list((tmp_path / "a" / "assets").glob("plotly-*.min.js"))
    assert len(assets) == 1 and assets[0].stat().st_size > 1_000_000
    assert f'src="assets/{assets[0].name}"' in html and len(html.encode()) < 1_000_000
    publish(run, tmp_path / "b", ReportSettings(single_file=True))
    inline = (tmp_path / "b" / "report.html").read_text()
    assert not (tmp_path / "b" / "assets").exists() and len(inline.encode()) > 3_000_000


def test_a_scheduled_cli_run_writes_the_window_the_archive_and_one_plotly(
    runner, tmp_path, fake_model
):
    out = tmp_path / "out"
    config = tmp_path / "large.toml"
    config.write_text("[identity]\nfull_rethread_max_posts = 4\n")
    batches = _weeks(WEEKS_FEED)
    for i, batch in enumerate(batches):
        result = runner.invoke(cli.main, ["run", str(write_posts_jsonl(tmp_path / f"{i}.jsonl", batch)),
                                          "--out", str(out), "--config", str(config)])  # fmt: skip
        assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    index = read_index(out / "archive")
    assert len(index) > len(report["threads"]) > 0
    assert {t["id"] for t in report["threads"]} <= set(index)
    assert len(list((out / "assets").iterdir())) == 1
    assert report["run"]["counts"]["mode"] == "working set"


def test_a_run_rewrites_only_the_index_blocks_of_its_threads(tmp_path, fake_embedder):
    """The archive's index comes in blocks of 1,000 thread ids: a run that describes only
    new threads writes their block, not the older ones (its cost does not grow with the
    store), and the front page counts them all."""
    from storythreads.reports.archive import BLOCK, block_of

    run = analyze(WEEKS_FEED, Settings(), fake_embedder)
    write_archive(run, tmp_path)
    old_block = tmp_path / "archive" / "index" / f"{block_of(run.threads[0].id)}.json"
    stamp = old_block.stat().st_mtime_ns
    late = dataclasses.replace(run.threads[0], id=f"t-{BLOCK + 5:06d}", label="Much later")
    counts = write_archive(dataclasses.replace(run, threads=(late,)), tmp_path)
    assert counts == {"written": 1, "unchanged": 0, "threads": len(run.threads) + 1}
    assert old_block.stat().st_mtime_ns == stamp
    assert block_of(late.id) == f"t-{BLOCK:06d}" and block_of("t-000999") == "t-000000"
    assert read_index(tmp_path / "archive")[late.id]["label"] == "Much later"
    front = (tmp_path / "archive" / "index.html").read_text()
    assert f"index/t-{BLOCK:06d}.html" in front and "index/t-000000.html" in front


def test_a_store_of_gigabytes_is_checked_and_copied_once_a_day(tmp_path, make_fake_embedder):
    """The whole-file check and the snapshot read every page: a store over
    store.full_copy_max_mb gets them only when its newest snapshot is a day old."""
    from storythreads.store import full_copy_due, list_snapshots

    path = tmp_path / "s.sqlite"
    small = Settings()
    tiny_limit = small.replace("store", full_copy_max_mb=0)  # every store counts as large
    batches = _weeks(WEEKS_FEED)
    with Store(path) as store:
        update(store, batches[0], small, make_fake_embedder())
        first = update(store, batches[1], tiny_limit, make_fake_embedder())  # no snapshot yet
        assert first.counts["store_full_copy"] and len(list_snapshots(path)) == 1
        second = update(store, batches[2], tiny_limit, make_fake_embedder())
        assert not second.counts["store_full_copy"] and len(list_snapshots(path)) == 1
    taken = list_snapshots(path)[0].taken
    assert not full_copy_due(path, 0, 24.0, now=taken + timedelta(hours=23))
    assert full_copy_due(path, 0, 24.0, now=taken + timedelta(hours=24))
    assert full_copy_due(path, 1024, 24.0, now=taken)  # a small store: every run
    assert full_copy_due(path, 0, 0.0, now=taken)  # 0 hours: every run


def test_compare_on_a_large_store_compares_everything_it_holds(runner, tmp_path, fake_model):
    """`compare --store` on a store past full_rethread_max_posts adds the posts through a
    working set, then compares over every stored post, not over the set; its page loads
    plotly.js from assets/ like the reports."""
    config = tmp_path / "large.toml"
    config.write_text("[identity]\nfull_rethread_max_posts = 4\n")
    store = tmp_path / "s.sqlite"
    batches = _weeks(WEEKS_FEED)
    for i, batch in enumerate(batches[:-1]):
        feed = write_posts_jsonl(tmp_path / f"{i}.jsonl", batch)
        args = ["run", str(feed), "--out", str(tmp_path / "r"), "--store", str(store)]
        assert runner.invoke(cli.main, [*args, "--config", str(config)]).exit_code == 0
    last = write_posts_jsonl(tmp_path / "last.jsonl", batches[-1])
    out = tmp_path / "cmp"
    result = runner.invoke(cli.main, ["compare", str(last), "--out", str(out), "--store",
                                      str(store), "--config", str(config)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((out / "compare.json").read_text())
    compared = {p for t in data["threads"] for p in t["posts"]}
    assert compared == {p.id for p in WEEKS_FEED}
    assert len(list((out / "assets").glob("plotly-*.min.js"))) == 1
    assert 'src="assets/plotly-' in (out / "compare.html").read_text()


def test_a_store_without_word_counts_counts_every_post_once(tmp_path, make_fake_embedder):
    """A store made before issue 26 keeps no document frequencies: its first working-set run
    counts every stored post, and then gives the rows of a store that always had them."""
    batches = _weeks(WEEKS_FEED)
    threads = {}
    for name in ("kept", "older"):
        with Store(tmp_path / f"{name}.sqlite") as store:
            for i, batch in enumerate(batches):
                if name == "older" and i == len(batches) - 1:  # as an older version left it
                    with store.transaction() as db:
                        db.execute("DELETE FROM terms")
                        db.execute("DELETE FROM meta WHERE key = 'term_docs'")
                    assert not store.term_counts_kept()
                update(store, batch, LARGE, make_fake_embedder())
            n, df = term_counts(store.load_posts())
            assert store.document_frequencies(df) == (n, dict(df))
            threads[name] = {t.id: t.post_ids for t in store.load_run().threads}
    assert threads["older"] == threads["kept"]


def test_a_windowed_report_says_what_it_leaves_to_the_archive(tmp_path, fake_embedder):
    run = analyze(WEEKS_FEED, Settings(), fake_embedder)
    publish(run, tmp_path, ReportSettings())
    left = len(run.threads) - len(recent_window(run, 7.0).threads)
    line = f"{left} older threads are in"
    assert line in (tmp_path / "report.md").read_text()
    html = (tmp_path / "report.html").read_text()
    assert line in html and 'href="archive/index.html"' in html
    one_day = analyze(WEEKS_FEED[:5], Settings(), fake_embedder)
    publish(one_day, tmp_path / "day", ReportSettings())
    assert "older threads" not in (tmp_path / "day" / "report.md").read_text()


def test_other_settings_than_the_last_runs_describe_every_thread_afresh(
    tmp_path, make_fake_embedder
):
    """A working set would leave the older threads described with the old settings: a run
    with other settings (or other vectors) takes the whole store instead."""
    batches = _weeks(WEEKS_FEED)
    other = LARGE.replace("report", summary_sentences=2)
    with Store(tmp_path / "s.sqlite") as store:
        for batch in batches[:-1]:
            update(store, batch, LARGE, make_fake_embedder())
        changed = update(store, batches[-1], other, make_fake_embedder())
        assert changed.counts["mode"] == "attach"
        assert len(changed.posts) == len(WEEKS_FEED)
        assert all(len(t.summary) <= 2 for t in store.load_run().threads)
        again = update(store, [], other, make_fake_embedder())
        assert again.counts["mode"] == "working set"
